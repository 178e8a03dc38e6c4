"""Publication deadlines of the annual report (条例第四十九条; 乡镇/街道 by the usual
local rule): 1月31日, or 3月31日 for 县级以上人民政府本级.

The one parser of the ``[deadlines]`` texts of xl-report.toml (``other = "01-31"``, ``government = "03-31"``).
"""

from __future__ import annotations

from datetime import date

from xl_report.core.errors import InputError

DUE_GOVERNMENT = "03-31"  # 县级以上人民政府本级
DUE_OTHER = "01-31"  # departments, 乡镇, 街道 (and any unit whose type the name does not reveal)


def due_date(year: int, text: str) -> date:
    """'01-31' or '1月31日' of the year after the report year."""
    bad = InputError.at(f"配置 [deadlines] 的期限“{text}”格式不对，应写成 01-31 或 1月31日")
    parts = [x.strip() for x in str(text).replace("月", "-").replace("日", "").split("-") if x.strip()]
    if len(parts) != 2 or not all(x.isdigit() for x in parts):
        raise bad
    try:
        return date(year + 1, int(parts[0]), int(parts[1]))
    except ValueError:  # 02-30, 13-01
        raise bad from None
