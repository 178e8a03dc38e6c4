"""Small helpers shared by the rule families: build a located Finding, format numbers."""

from __future__ import annotations

from collections.abc import Iterable

from xl_report.core import form
from xl_report.core.findings import Finding
from xl_report.core.report import ReportData, _clean
from xl_report.rules.catalogue import RULE_BY_CODE


def finding(
    code: str,
    message: str,
    *,
    sheet: str | None = None,
    cell: str | None = None,
    name: str | None = None,
    names: Iterable[str] = (),
    row: int | None = None,
) -> Finding:
    """A Finding whose severity comes from the catalogue (one code, one severity)."""
    return Finding(code, RULE_BY_CODE[code].severity, message, sheet, cell, name, tuple(names), row)


def cell_finding(code: str, message: str, report: ReportData, name: str | None, names: Iterable[str] = ()) -> Finding:
    """A Finding located at the named cell (sheet and A1 from the workbook the report came from)."""
    sheet, a1 = report.location(name) if name else (None, None)
    if a1 and ":" in a1:
        a1 = a1.split(":")[0]
    return finding(code, message, sheet=sheet, cell=a1, name=name, names=names)


def fmt(value: object) -> str:
    """A number as a clerk writes it: 12, 3.5, 0.0123; blank as 空; text quoted."""
    if value is None:
        return "空"
    if isinstance(value, bool):
        return f"“{value}”"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{round(value, 4):.4f}".rstrip("0").rstrip(".")
        return text or "0"
    return f"“{value}”"


def total(values: Iterable[float | int]) -> float | int:
    """A sum rounded like the report's amounts (so 0.1 + 0.2 == 0.3)."""
    return _clean(sum(values))


def label(name: str) -> str:
    """Short Chinese locus of a cell: 表二 规章·本年制发件数 / 表三 （三）不予公开 1.属于国家秘密·自然人."""
    c = form.CELL_BY_NAME[name]
    if c.table == "表四":
        return f"{c.table} {'·'.join(c.col_labels)}"
    rows = [lab for lab in c.row_labels if lab != form.T3_RESULTS_LABEL] if c.table == "表三" else [c.row_label]
    return f"{c.table} {' '.join(rows)}·{c.col_label}"
