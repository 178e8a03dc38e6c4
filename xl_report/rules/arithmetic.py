"""Arithmetic identities A01–A04, driven only by ``form.IDENTITIES`` and recomputed in Python.

A total cell's value in a file is never trusted as a formula result: workbook.read_report already
recomputes formulas, and here every identity is summed again from its parts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from xl_report.core import form
from xl_report.core.findings import Finding
from xl_report.core.report import ReportData
from xl_report.rules.common import cell_finding, fmt, total


def _term_label(code: str, name: str) -> str:
    cell = form.CELL_BY_NAME[name]
    if code == "A01":
        return form.T3_ROW_SHORT[cell.row_key]
    if code == "A03":
        if cell.row_key == "total":
            return form.T3_TOTAL_LABEL
        return form.RESULT_OF[cell.row_key].replace("-", "·")
    return cell.col_label  # A02: applicant column, A04: outcome


@dataclass(frozen=True)
class _Prepared:
    ident: form.Identity
    lhs: tuple[tuple[str, str], ...]  # (name, short label)
    rhs: tuple[tuple[str, str], ...]
    main: str  # the cell a finding points at
    names: tuple[str, ...]  # the identity's cells, then the parts of its 总计 cells (see _involved)


def _involved(ident: form.Identity) -> tuple[str, ...]:
    """In a workbook the 总计 cells are formulas over their parts, so a wrong part shows up as a broken
    A01 on the total: list the parts (one level) too, so the finding names the cell that was changed."""
    names = list(ident.names)
    for n in ident.names:
        names.extend(p for p in form.COMPUTED_FROM.get(n, ()) if p not in names)
    return tuple(names)


# Built once at import: the rules run over hundreds of workbooks per batch.
PREPARED: tuple[_Prepared, ...] = tuple(
    _Prepared(
        i,
        tuple((n, _term_label(i.code, n)) for n in i.lhs),
        tuple((n, _term_label(i.code, n)) for n in i.rhs),
        i.total or i.lhs[0],
        _involved(i),
    )
    for i in form.IDENTITIES
)
# (code, main cell) -> the identity's own cells: what the workbook highlights.
DIRECT_NAMES: dict[tuple[str, str], tuple[str, ...]] = {(p.ident.code, p.main): p.ident.names for p in PREPARED}
_SUM_NAMES = {"A02": "六类申请人之和", "A03": "各项办理结果之和", "A04": "四项结果之和"}


def _side(terms: tuple[tuple[str, str], ...], values: dict[str, float | int], code: str) -> tuple[float | int, str]:
    s = total(values[n] for n, _ in terms)
    if len(terms) <= 2:
        return s, " + ".join(f"{lab} {fmt(values[n])}" for n, lab in terms)
    shown = [f"{lab} {fmt(values[n])}" for n, lab in terms if values[n]]
    if not shown:
        return s, f"{_SUM_NAMES[code]} 0"
    return s, f"{' + '.join(shown)} = {fmt(s)}（{_SUM_NAMES[code]}）" if len(
        shown
    ) > 1 else f"{shown[0]}（{_SUM_NAMES[code]}）"


_IDENTITY_NAMES: tuple[str, ...] = tuple(dict.fromkeys(n for p in PREPARED for n in p.ident.names))


def check(report: ReportData) -> list[Finding]:
    out: list[Finding] = []
    missing = set(report.missing)
    raw = report.values
    prepared: Sequence[_Prepared] = PREPARED
    if not missing and all(v.__class__ is int for v in map(raw.get, _IDENTITY_NAMES)):
        # the usual case, plain counts: exact sums, and only a broken identity goes the long way below
        ints = cast(dict[str, int], raw)  # just checked
        prepared = [
            p for p in PREPARED if sum(map(ints.__getitem__, p.ident.lhs)) != sum(map(ints.__getitem__, p.ident.rhs))
        ]
    for p in prepared:
        names = p.ident.names
        values: dict[str, float | int] = {}
        usable = True
        for n in names:
            v = raw.get(n)
            if n in missing or isinstance(v, bool) or not (v is None or isinstance(v, (int, float))):
                usable = False  # F03/F05/F06 already report the cell; a sum over it means nothing
                break
            values[n] = 0 if v is None else v
        if not usable:
            continue
        left = total(map(values.__getitem__, p.ident.lhs))
        right = total(map(values.__getitem__, p.ident.rhs))
        if abs(left - right) > 1e-9:  # the texts only for a broken identity: most hold
            _, left_text = _side(p.lhs, values, p.ident.code)
            _, right_text = _side(p.rhs, values, p.ident.code)
            diff = fmt(total([left, -right]))
            out.append(
                cell_finding(
                    p.ident.code, f"{p.ident.where}：{left_text} ≠ {right_text}（相差 {diff}）", report, p.main, p.names
                )
            )
    return out
