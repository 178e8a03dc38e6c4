"""The cross-check: ReportData (+ last year, + tally, + 正文) -> typed Findings.

``check`` is pure (no files) and fast (a few ms per workbook: it runs in batch over hundreds of
units). ``check_workbook`` is the file adapter; ``write_findings_sheet`` puts the result into a book.
Families, one module each: form_rules (F), arithmetic (A01–A04), plausibility (F11, A05, X03, D01),
crossyear (X01, X02, X04), narrative (T01–T03, F07), tally_rules (R01–R05). Catalogue: catalogue.py.
"""
from __future__ import annotations

from pathlib import Path

from .. import form
from ..errors import InputError, Problem, TallyErrors
from ..fileio import ensure_readable
from ..findings import Finding
from ..report import ReportData
from ..tally_schema import TALLY_BY_NAME, TALLY_SHEETS
from ..workbook import open_workbook, read_narrative, read_report, read_report_file, resolve_names
from . import arithmetic, crossyear, form_rules, narrative as narrative_rules, plausibility, tally_rules
from .catalogue import RULE_BY_CODE, RULES
from .common import finding
from .sheet import clear_findings, findings_sheet_rows, highlight_cells, restore_plan, write_findings_sheet


def check(report: ReportData, previous: ReportData | None = None, tally=None,
          narrative: dict | None = None, config: dict | None = None) -> list[Finding]:
    """Every rule over one report. ``narrative``: section -> paragraphs (text or (A1, text));
    defaults to ``report.narrative``. ``config``: the xl-report.toml dict ([calendar], [rules], [deadlines])."""
    out = form_rules.check(report)
    out += arithmetic.check(report)
    wrong_year = crossyear.check_year(report, previous) if previous is not None else []
    if wrong_year:  # X04: the carry-over links against another year's report would only be noise
        out += wrong_year
        previous = None
    out += plausibility.check(report, previous, tally, config)
    out += crossyear.check(report, previous)
    out += narrative_rules.check(report, narrative)
    if tally is not None:
        out += tally_rules.check(tally, report.year, config)
    return out


def check_workbook(path: Path | str, previous: Path | str | ReportData | None = None,
                   config: dict | None = None) -> list[Finding]:
    """Read report, 正文, tally and last year's report from files, then :func:`check`."""
    path = ensure_readable(path)
    wb = open_workbook(path)
    try:
        return check_book(wb, path, previous, config)
    finally:
        wb.close()


def check_book(wb, path: Path | str, previous: Path | str | ReportData | None = None,
               config: dict | None = None) -> list[Finding]:
    """:func:`check_workbook` over ``path`` already open as ``wb`` (not changed): for a caller that goes
    on with the same book (write 校验结果, freeze) instead of loading it twice. The tally is read from
    ``path`` (calamine, fast)."""
    path = Path(path)
    report = read_report(wb, source=str(path))
    if len(report.missing) == len(form.CELL_NAMES):
        raise InputError.at("不是年报工作簿：找不到表二、表三、表四的单元格名称（请用 xl-report template 生成的模板）",
                            file=str(path))
    narrative = read_narrative(wb, resolve_names(wb), cells=True)
    has_tally = any(s.name in wb.sheetnames for s in TALLY_SHEETS)
    last = _previous(previous)
    tally, tally_findings = _tally(path) if has_tally else (None, [])
    return tally_findings + check(report, last, tally, narrative, config)


def _previous(previous: Path | str | ReportData | None) -> ReportData | None:
    if previous is None or isinstance(previous, ReportData):
        return previous
    last = read_report_file(ensure_readable(previous))
    if len(last.missing) == len(form.CELL_NAMES):
        raise InputError.at("上一年度报告不是年报工作簿：找不到表二、表三、表四的单元格名称", file=str(previous))
    return last


def _tally(path: Path):
    """(Tally or None, findings): bad tally rows become R04/R06 findings instead of stopping the check."""
    from ..tally import read_tally  # lazy: the tally reader pulls pandas + calamine

    try:
        return read_tally(path), []
    except TallyErrors as e:
        return None, [_problem_finding(p) for p in e.problems]
    except InputError as e:
        return None, [finding("R06", f"台账无法读取：{e}")]


def _problem_finding(p: Problem) -> Finding:
    code = "R04" if p.column and "重复" in p.reason else "R06"
    cell = None
    sheet = TALLY_BY_NAME.get(p.sheet or "")
    if sheet is not None and p.row is not None and p.column in sheet.headers:
        from openpyxl.utils import get_column_letter

        cell = f"{get_column_letter(sheet.headers.index(p.column) + 1)}{p.row}"
    text = str(Problem(p.reason, sheet=p.sheet, row=p.row, column=p.column, value=p.value))
    return finding(code, text, sheet=p.sheet, cell=cell, row=p.row)


__all__ = ["check", "check_book", "check_workbook", "write_findings_sheet", "clear_findings", "findings_sheet_rows",
           "highlight_cells", "restore_plan", "RULES", "RULE_BY_CODE"]
