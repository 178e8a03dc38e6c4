"""Table ≡ tally (R07–R09): every table cell the tally sheets determine holds what the tally gives.

The tally is aggregated by the same code as ``fill`` (:func:`xl_report.core.aggregate.aggregate`), so
a freshly filled workbook always agrees; a table that was never filled, a tally changed after the fill
and a number edited by hand (even one that keeps every identity) do not. Cells of absent tally
sheets are not compared (the clerk types them), nor those of a tally sheet without a single row: a
template's empty tally sheets mean "this tally is not kept", and its tables are typed by hand.
Totals are left to the identities (A01–A04).

- R09 (warning, listed first): the tally rows differ from those the workbook was filled from.
- R08 (error): a table the tally determines is all blank / 0 while the tally gives numbers: one
  finding per table, not one per cell.
- R07 (error): one finding per cell that differs, with the table's and the tally's value.
"""

from __future__ import annotations

from datetime import datetime

from xl_report.core import form
from xl_report.core import normalise as nz
from xl_report.core.aggregate import aggregate, cells_filled_by, row_count
from xl_report.core.errors import printable
from xl_report.core.findings import Finding
from xl_report.core.report import ReportData
from xl_report.core.tally import FillState, Tally, tally_digest
from xl_report.rules.common import cell_finding, finding, fmt, label

FILL_ADVICE = "请先点“填报”（或运行 xl-report fill）再校验"


def check(
    table: ReportData, tally: Tally, fill: FillState | None = None, *, require_filled: bool = True
) -> list[Finding]:
    """``table``: the report as found in the workbook. ``fill``: the workbook's fill record.
    ``require_filled=False`` (the batch, which fills the tables itself): a table that was never filled
    is not an error, only one that was filled and now disagrees."""
    kept = [k for k in tally.present if row_count(tally, k)]
    if table.year is None or not kept:
        return []  # no year, no counts (F12 says so)
    compared = cells_filled_by(kept)
    if not require_filled and fill is None and all(_blank(table.values.get(n)) for n in compared):
        return []  # the batch fills a workbook never filled: nothing to compare, no second count
    try:
        counted = aggregate(tally, table.year).report.values
    except (KeyError, TypeError):  # rows the tally reader would have refused (a hand-built Tally): R06's job
        return []
    computed = {n: v for n, v in counted.items() if n in compared}
    out: list[Finding] = []
    changed = fill is not None and fill.digest != tally_digest(tally)
    if changed:
        when = f"（填报时间 {_local_time(fill.filled_at)}）" if fill and fill.filled_at else ""
        out.append(finding("R09", f"填报后台账有改动{when}：表中的数字是按改动前的台账算的，请重新填报"))
    if changed:
        advice = "台账在填报后有改动，请重新填报"
    elif fill is not None:
        advice = "填报后表中数字被手工改动；请重新填报，或把改动记入台账"
    else:
        advice = "表中数字与台账不一致，请重新填报"
    for t in form.TABLES:
        names = [
            n
            for n in computed
            if form.CELL_BY_NAME[n].table == t and not form.CELL_BY_NAME[n].computed and n not in table.missing
        ]
        differ = [
            n
            for n in names
            if not _same(table.values.get(n), computed[n])
            and not _same(nz.number_in_text(table.values.get(n)), computed[n])
        ]  # F06: stored as text
        if not differ:
            continue
        if all(_blank(table.values.get(n)) for n in names):
            if require_filled:
                first = differ[0]
                text = (
                    f"{t}未填报：台账中有记录（如 {label(first)} 应为 {fmt(computed[first])}），"
                    f"但表中由台账计算的 {len(names)} 个格子全为空或 0。{FILL_ADVICE}"
                )
                out.append(cell_finding("R08", text, table, first))
            continue
        for n in differ:
            text = f"{label(n)}：表中 {fmt(table.values.get(n))}，台账 {fmt(computed[n])}（{advice}）"
            out.append(cell_finding("R07", text, table, n))
    return out


def _local_time(stamp: str) -> str:
    """The recorded fill time (ISO, UTC) as the clerk's clock showed it; an unreadable stamp as it is."""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return printable(stamp)


def _number(v: object) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _same(in_table: object, from_tally: object) -> bool:
    """Equal as the report prints them: amounts (万元) to 4 decimals, counts exactly."""
    x, y = _number(in_table), _number(from_tally)
    return x is not None and y is not None and round(x, 4) == round(y, 4)


def _blank(v: object) -> bool:
    if v is None or v.__class__ is int:  # most cells: blank, or a count
        return not v
    x = _number(v)
    return v is None or (x is not None and x == 0)
