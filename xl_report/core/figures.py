"""The few figures the county's charts show for one report: requests received and concluded and the
result mix of 表三 (by the official result groups), read from the report's cells."""

from __future__ import annotations

from xl_report.core import form

RECEIVED = "新收"
CONCLUDED = "办结"
# the result groups of 表三 by their short official names (予以公开 … 其他处理), each with its leaf rows
RESULT_GROUPS: dict[str, tuple[str, ...]] = {
    g.short: tuple(
        form.t3(r.key, "total") for r in form.T3_RESULT_ROWS if r.key == g.key or r.key.startswith(g.key + "_")
    )
    for g in form.T3_RESULT_GROUPS
}


def _num(value: object) -> float | int:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def figures(values: dict[str, object]) -> dict[str, float | int]:
    """{新收, 办结, 予以公开, 部分公开, 不予公开, 无法提供, 不予处理, 其他处理} of a report's cell values
    (a blank or text cell counts as 0)."""
    out: dict[str, float | int] = {
        RECEIVED: _num(values.get(form.PLACEHOLDERS[RECEIVED])),
        CONCLUDED: _num(values.get(form.PLACEHOLDERS[CONCLUDED])),
    }
    for short, names in RESULT_GROUPS.items():
        out[short] = sum(_num(values.get(n)) for n in names)
    return out
