"""Check a workbook file: read report, 正文, tally and last year's report, then :func:`xl_report.rules.check`."""

from __future__ import annotations

from pathlib import Path

from openpyxl.utils import get_column_letter

from xl_report.core import form
from xl_report.core.errors import InputError, Problem, TallyErrors
from xl_report.core.findings import Finding
from xl_report.core.report import ReportData
from xl_report.core.tally import has_cell_errors
from xl_report.core.tally_schema import TALLY_BY_NAME, TALLY_SHEETS
from xl_report.rules import check
from xl_report.rules.common import finding
from xl_report.xlsx.fileio import ensure_readable
from xl_report.xlsx.fillstate import book_properties, fill_state
from xl_report.xlsx.tally_reader import read_tally
from xl_report.xlsx.workbook import open_workbook, read_narrative, read_report, read_report_file, resolve_names


def check_workbook(
    path: Path | str, previous: Path | str | ReportData | None = None, config: dict | None = None
) -> list[Finding]:
    """Read report, 正文, tally and last year's report from files, then :func:`check`."""
    path = ensure_readable(path)
    wb = open_workbook(path)
    try:
        return check_book(wb, path, previous, config)
    finally:
        wb.close()


def check_book(
    wb, path: Path | str, previous: Path | str | ReportData | None = None, config: dict | None = None
) -> list[Finding]:
    """:func:`check_workbook` over ``path`` already open as ``wb`` (not changed): for a caller that goes
    on with the same book (write 校验结果, freeze) instead of loading it twice. The tally is read from
    ``path`` (calamine, fast)."""
    path = Path(path)
    report = read_report(wb, source=str(path))
    if len(report.missing) == len(form.CELL_NAMES):
        raise InputError.at(
            "不是年报工作簿：找不到表二、表三、表四的单元格名称（请用 xl-report template 生成的模板）", file=str(path)
        )
    names = resolve_names(wb)
    refuse_error_values(wb, names, path)
    narrative = read_narrative(wb, names, cells=True)
    has_tally = any(s.name in wb.sheetnames for s in TALLY_SHEETS)
    last = _previous(previous)
    tally, tally_findings = _tally(path) if has_tally else (None, [])
    return tally_findings + check(report, last, tally, narrative, config, fill=fill_state(book_properties(wb)))


def refuse_error_values(wb, names: dict[str, tuple[str, str]], path: Path) -> None:
    """A table cell holding an Excel error value (#N/A …) cannot be checked: a located error (exit 2)."""
    problems = []
    for name in form.CELL_NAMES:
        sheet, coord = names.get(name, (None, ""))
        if sheet in wb.sheetnames:
            c = wb[sheet][coord.split(":")[0]]
            if c.data_type == "e":
                problems.append(
                    Problem(
                        f"单元格 {c.coordinate} 是 Excel 错误值，请改正公式或改为数值",
                        file=str(path),
                        sheet=sheet,
                        value=c.value,
                    )
                )
    if problems:
        raise InputError(f"表格中有 {len(problems)} 个错误值，无法校验：", problems)


def _previous(previous: Path | str | ReportData | None) -> ReportData | None:
    if previous is None or isinstance(previous, ReportData):
        return previous
    last = read_report_file(ensure_readable(previous))
    if len(last.missing) == len(form.CELL_NAMES):
        raise InputError.at("上一年度报告不是年报工作簿：找不到表二、表三、表四的单元格名称", file=str(previous))
    return last


def _tally(path: Path):
    """(Tally or None, findings): bad tally rows become R04/R06 findings instead of stopping the check."""
    try:
        return read_tally(path), []
    except TallyErrors as e:
        if has_cell_errors(e.problems):  # an error value is an unusable file, not a bad row (exit 2)
            raise
        return None, [problem_finding(p) for p in e.problems]
    except InputError as e:
        return None, [finding("R06", f"台账无法读取：{e}")]


def problem_finding(p: Problem) -> Finding:
    code = "R04" if p.column and "重复" in p.reason else "R06"
    cell = None
    sheet = TALLY_BY_NAME.get(p.sheet or "")
    if sheet is not None and p.row is not None and p.column in sheet.headers:
        cell = f"{get_column_letter(sheet.headers.index(p.column) + 1)}{p.row}"
    text = str(Problem(p.reason, sheet=p.sheet, row=p.row, column=p.column, value=p.value))
    return finding(code, text, sheet=p.sheet, cell=cell, row=p.row)
