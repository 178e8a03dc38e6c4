"""docs/cell-names.md, generated from the form so the list of names is never a second copy.

Regenerate with ``python -m xl_report.cli.docs`` (a test checks it is current).
"""

from __future__ import annotations

from xl_report.core import form


def cell_names_markdown() -> str:
    lines = [
        "# 单元格名称 / Cell names",
        "",
        f"本工具模板中表二、表三、表四的每个数字格都有固定的工作簿级名称（{form.FORM_ID}格式）。",
        "程序、测试和外部检查工具都只通过这些名称访问单元格，不依赖具体的行列位置。",
        "",
        "Generated from `xl_report/core/form.py` by `python -m xl_report.cli.docs`; do not edit by hand.",
        "",
        "| 名称 name | 表 | 行 | 列 | 类型 | 合计 |",
        "|---|---|---|---|---|---|",
    ]
    for c in form.CELLS:
        kind = "金额（万元，可有小数）" if c.kind == "amount" else "件数（整数）"
        lines.append(
            f"| `{c.name}` | {c.table} | {' / '.join(c.row_labels)} | {' / '.join(c.col_labels)} | {kind} | "
            f"{'自动计算' if c.computed else ''} |"
        )
    lines += ["", "## 说明工作表 / meta", "", "| 名称 name | 项目 | 说明 |", "|---|---|---|"]
    for m in form.META_FIELDS:
        lines.append(f"| `{m.name}` | {m.label} | {m.hint} |")
    lines += ["", "## 正文工作表 / narrative", "", "| 名称 name | 部分 |", "|---|---|"]
    for key, name in form.NARRATIVE_NAMES.items():
        lines.append(f"| `{name}` | {form.SECTION_TITLES[key]}（每格一段） |")
    return "\n".join(lines) + "\n"
