"""The 校验结果 sheet and the cell highlights, as a plan (plain data) and as an openpyxl writer.

The plan functions (:func:`findings_sheet_rows`, :func:`highlight_cells`, :func:`restore_plan`) let
the live-Excel adapter (xlwings actions: setValues / setRangeColor) write exactly what
:func:`write_findings_sheet` writes into a file.
"""

from __future__ import annotations

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import quote_sheetname
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink

from xl_report.core import form
from xl_report.core.findings import SEVERITY_LABELS, Finding, count
from xl_report.rules.arithmetic import DIRECT_NAMES
from xl_report.xlsx.template import COMPUTED_FILL, F_BODY, F_HEAD, HEADER_FILL, INPUT_FILL
from xl_report.xlsx.workbook import resolve_names, set_text

HEADERS = ("序号", "级别", "代码", "说明", "位置")
WIDTHS = (6, 6, 6, 100, 22)
HIGHLIGHT = {"error": "FFC7CE", "warning": "FFE699"}  # light red / amber: distinct from input yellow
MAX_NAMES_HIGHLIGHTED = 8  # A03 involves 22 cells: only its total is highlighted


def ordered(findings: list[Finding]) -> list[Finding]:
    """Errors first, otherwise in rule order."""
    return sorted(findings, key=lambda f: f.severity != "error")


def location_text(f: Finding) -> str:
    if f.sheet and f.row is not None:
        return f"{f.sheet} 第{f.row}行"
    if f.sheet and f.cell:
        return f"{f.sheet}!{f.cell}"
    return f.sheet or ""


def link_target(f: Finding) -> str | None:
    """Internal hyperlink location, e.g. '表三'!D5."""
    if f.sheet and f.cell:
        return f"{quote_sheetname(f.sheet)}!{f.cell}"
    return None


def verdict_line(findings: list[Finding]) -> str:
    """The first line of the 校验结果 sheet: passed, or how many errors and warnings."""
    errors, warnings = count(findings)
    if not findings:
        return "校验通过：未发现问题。"
    return f"校验结果：错误 {errors} 个，提示 {warnings} 个。错误必须改正；提示请逐条核实。点击“位置”可跳到对应单元格。"


def findings_sheet_rows(findings: list[Finding]) -> list[list[object]]:
    """Rows of the 校验结果 sheet: the verdict line, the header, one row per finding."""
    rows: list[list[object]] = [[verdict_line(findings)], list(HEADERS)]
    for i, f in enumerate(ordered(findings), start=1):
        rows.append([i, SEVERITY_LABELS[f.severity], f.code, f.message, location_text(f)])
    return rows


def highlight_cells(
    findings: list[Finding], locations: dict[str, tuple[str, str]] | None = None
) -> list[tuple[str, str, str]]:
    """(sheet, A1, fill colour) for every offending cell; errors win over warnings.

    ``locations`` (cell name -> (sheet, A1)) adds the other cells of an identity when it is small.
    """
    plan: dict[tuple[str, str], str] = {}

    def add(sheet: str | None, a1: str | None, severity: str) -> None:
        if sheet and a1:
            key = (sheet, a1.split(":")[0])
            if plan.get(key) != HIGHLIGHT["error"]:
                plan[key] = HIGHLIGHT[severity]

    for f in findings:
        add(f.sheet, f.cell, f.severity)
        shown = DIRECT_NAMES.get((f.code, f.name or ""), f.names)
        if locations and len(shown) <= MAX_NAMES_HIGHLIGHTED:
            for name in shown:
                if name in locations:
                    add(*locations[name], f.severity)
    return [(s, a1, colour) for (s, a1), colour in plan.items()]


def _template_fills(names: dict[str, tuple[str, str]]) -> dict[tuple[str, str], PatternFill]:
    """The template's own fill of every named input/computed cell: what a re-check restores."""
    fills: dict[tuple[str, str], PatternFill] = {}
    for cell in form.CELLS:
        if cell.name in names:
            sheet, a1 = names[cell.name]
            fills[(sheet, a1)] = COMPUTED_FILL if cell.computed else INPUT_FILL
    for meta in form.META_FIELDS:
        if meta.name in names:
            sheet, a1 = names[meta.name]
            fills[(sheet, a1)] = INPUT_FILL if meta.user_input else COMPUTED_FILL
    return fills


def restore_plan(names: dict[str, tuple[str, str]], cells: list[tuple[str, str]]) -> list[tuple[str, str, str | None]]:
    """(sheet, A1, template colour or None) for previously highlighted ``cells``."""
    fills = _template_fills(names)
    narrative_sheets = {names[n][0] for n in form.NARRATIVE_NAMES.values() if n in names}
    out = []
    for sheet, a1 in cells:
        fill = fills.get((sheet, a1))
        if fill is None and sheet in narrative_sheets:
            fill = INPUT_FILL
        out.append((sheet, a1, fill.fgColor.rgb[-6:] if fill is not None else None))
    return out


def _highlighted(wb: Workbook) -> list[tuple[str, str]]:
    colours = set(HIGHLIGHT.values())
    out = []
    for ws in wb.worksheets:
        for c in ws._cells.values():  # only cells that exist: fast even on long tallies
            rgb = c.fill.fgColor.rgb if c.fill is not None and c.fill.fill_type == "solid" else None
            if isinstance(rgb, str) and rgb[-6:].upper() in colours:
                out.append((ws.title, c.coordinate))
    return out


def clear_findings(wb: Workbook, names: dict[str, tuple[str, str]] | None = None) -> None:
    """Remove an old 校验结果 sheet and restore the template fill of previously highlighted cells."""
    names = names if names is not None else resolve_names(wb)
    if form.SHEET_FINDINGS in wb.sheetnames:
        wb.remove(wb[form.SHEET_FINDINGS])
    for sheet, a1, colour in restore_plan(names, _highlighted(wb)):
        wb[sheet][a1].fill = PatternFill("solid", fgColor=colour) if colour else PatternFill(fill_type=None)


def write_findings_sheet(wb: Workbook, findings: list[Finding]) -> None:
    """Write the 校验结果 sheet (first, active) and highlight the offending cells; a re-check replaces both."""
    names = resolve_names(wb)
    clear_findings(wb, names)
    ws = wb.create_sheet(form.SHEET_FINDINGS, 0)
    rows = findings_sheet_rows(findings)
    ws.append([None])
    set_text(ws.cell(1, 1), verdict_line(findings))
    ws.cell(1, 1).font = F_HEAD
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    for j, head in enumerate(rows[1], start=1):
        c = ws.cell(2, j, head)
        c.font, c.fill = F_HEAD, HEADER_FILL
    wrap = Alignment(wrap_text=True, vertical="top")
    for i, (f, row) in enumerate(zip(ordered(findings), rows[2:]), start=3):
        for j, value in enumerate(row, start=1):
            c = ws.cell(i, j)
            if isinstance(value, str):
                set_text(c, value)  # messages quote clerks' text: it must never become a formula
            else:
                c.value = value
            c.font, c.alignment = F_BODY, wrap
        target = link_target(f)
        if target and f.sheet in wb.sheetnames:
            c = ws.cell(i, len(HEADERS))
            c.hyperlink = Hyperlink(ref=c.coordinate, location=target)
            c.font = Font(name=F_BODY.name, size=F_BODY.size, color="0563C1", underline="single")
    for j, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[chr(64 + j)].width = width
    ws.freeze_panes = "A3"
    for sheet, a1, colour in highlight_cells(findings, names):
        if sheet in wb.sheetnames and sheet != form.SHEET_FINDINGS:
            wb[sheet][a1].fill = PatternFill("solid", fgColor=colour)
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False
