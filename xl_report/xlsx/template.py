"""Build the template workbook from :mod:`xl_report.core.form` and :mod:`xl_report.core.tally_schema`.

The three table sheets mirror the official layout (merged multi-level headers, borders, fonts, A4
print setup, one page per table). Every value cell gets its workbook-scoped defined name; 总计
cells hold SUM formulas over their parts; input cells are unlocked and tinted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from xl_report.core import form
from xl_report.core.tally_schema import TALLY_SHEETS, TallySheet
from xl_report.xlsx.fileio import save_workbook
from xl_report.xlsx.workbook import sum_formula

# Official typography. Excel/WPS fall back to 仿宋/黑体/宋体 when the GB2312 faces are absent.
FONT_TITLE = "方正小标宋简体"
FONT_HEAD = "黑体"
FONT_BODY = "仿宋_GB2312"

THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
TOP_LEFT = Alignment(horizontal="left", vertical="top", wrap_text=True)
F_TITLE = Font(name=FONT_TITLE, size=16)
F_HEAD = Font(name=FONT_HEAD, size=10)
F_BODY = Font(name=FONT_BODY, size=10)
F_NOTE = Font(name=FONT_BODY, size=9, color="595959")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # pale yellow: type here
COMPUTED_FILL = PatternFill("solid", fgColor="E7E6E6")  # grey: computed, do not type
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
UNLOCKED = Protection(locked=False)
COUNT_FORMAT = "0"
AMOUNT_FORMAT = "0.00"
DATE_FORMAT = "yyyy-mm-dd"
TALLY_ROWS = 5000  # rows covered by the tally sheets' validation


@dataclass(frozen=True)
class Slot:
    sheet: str
    row: int
    col: int

    @property
    def coord(self) -> str:
        return f"{get_column_letter(self.col)}{self.row}"

    @property
    def ref(self) -> str:
        return f"{quote_sheetname(self.sheet)}!${get_column_letter(self.col)}${self.row}"


def _box(
    ws: Worksheet, min_row: int, min_col: int, max_row: int, max_col: int, *, font=F_BODY, align=CENTER, fill=None
) -> None:
    for row in ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col):
        for c in row:
            c.border = BORDER
            c.font = font
            c.alignment = align
            if fill is not None:
                c.fill = fill


def _put(
    ws: Worksheet,
    row: int,
    col: int,
    text: str,
    *,
    end_row: int | None = None,
    end_col: int | None = None,
    font=F_BODY,
    align=CENTER,
    fill=None,
) -> None:
    end_row = end_row or row
    end_col = end_col or col
    ws.cell(row, col, text)
    if (end_row, end_col) != (row, col):
        ws.merge_cells(start_row=row, start_column=col, end_row=end_row, end_column=end_col)
    _box(ws, row, col, end_row, end_col, font=font, align=align, fill=fill)


def _title(ws: Worksheet, text: str, ncols: int) -> None:
    _put(ws, 1, 1, text, end_col=ncols, font=F_TITLE, align=Alignment(horizontal="center", vertical="center"))
    for col in range(1, ncols + 1):
        ws.cell(1, col).border = Border()
    ws.row_dimensions[1].height = 30


def _header_block(ws: Worksheet, top: int, first_col: int, paths) -> int:
    """Draw merged multi-level column headers for ``paths`` (one per column). Returns rows used."""
    depth = max(len(p) for p in paths)
    for level, first, last, end_level, label in form.label_spans(paths, depth):
        _put(
            ws,
            top + level,
            first_col + first,
            label,
            end_row=top + end_level,
            end_col=first_col + last,
            font=F_HEAD,
            fill=HEADER_FILL,
        )
    return depth


def _print_setup(ws: Worksheet, last_row: int, last_col: int, landscape: bool) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_area = f"A1:{get_column_letter(last_col)}{last_row}"
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.sheet_view.showGridLines = False


def print_as_list(ws: Worksheet, title_rows: str) -> None:
    """A4 landscape, all columns on one page width, header rows repeated on every page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def _value_cell(ws: Worksheet, slot: Slot, cell: form.CellDef, slots: dict[str, Slot], *, end_col: int | None = None):
    c = ws.cell(slot.row, slot.col)
    if end_col:
        ws.merge_cells(start_row=slot.row, start_column=slot.col, end_row=slot.row, end_column=end_col)
    _box(ws, slot.row, slot.col, slot.row, end_col or slot.col)
    c.number_format = AMOUNT_FORMAT if cell.kind == "amount" else COUNT_FORMAT
    if cell.computed:
        c.fill = COMPUTED_FILL
    else:
        c.fill = INPUT_FILL
        c.protection = UNLOCKED
        c.value = 0
    slots[cell.name] = slot


# --------------------------------------------------------------------------------------------
# Table sheets
# --------------------------------------------------------------------------------------------


def _sheet_t2(wb: Workbook, slots: dict[str, Slot]) -> None:
    ws = wb.create_sheet("表二")
    ncols = 4
    _title(ws, form.T2_TITLE, ncols)
    r = 2
    for block in form.T2_BLOCKS:
        _put(ws, r, 1, block.caption, end_col=ncols, font=F_HEAD, fill=HEADER_FILL)
        r += 1
        _put(ws, r, 1, form.T2_ITEM_HEADER, font=F_HEAD, fill=HEADER_FILL)
        single = len(block.measures) == 1
        for j, (_, label) in enumerate(block.measures):
            _put(ws, r, 2 + j, label, end_col=ncols if single else None, font=F_HEAD, fill=HEADER_FILL)
        r += 1
        for item, label in block.items:
            _put(ws, r, 1, label)
            for j, (measure, _) in enumerate(block.measures):
                cell = form.CELL_BY_NAME[form.t2(item, measure)]
                _value_cell(ws, Slot(ws.title, r, 2 + j), cell, slots, end_col=ncols if single else None)
            r += 1
    ws.column_dimensions["A"].width = 24
    for col in "BCD":
        ws.column_dimensions[col].width = 18
    for row in range(2, r):
        ws.row_dimensions[row].height = 24
    _print_setup(ws, r - 1, ncols, landscape=False)


def _sheet_t3(wb: Workbook, slots: dict[str, Slot]) -> None:
    ws = wb.create_sheet("表三")
    label_cols = 3
    col_paths = form.T3_COLUMN_PATHS
    ncols = label_cols + len(col_paths)
    _title(ws, form.T3_TITLE, ncols)
    depth = _header_block(ws, 2, label_cols + 1, col_paths)
    _put(ws, 2, 1, form.T3_NOTE, end_row=1 + depth, end_col=label_cols, font=F_NOTE)
    first = 2 + depth
    rows = form.T3_ROWS
    for level, i, end, end_level, label in form.label_spans([row.labels for row in rows], label_cols):
        last = end_level == label_cols - 1
        total = rows[i].key == "total" and last
        _put(
            ws,
            first + i,
            level + 1,
            label,
            end_row=first + end,
            end_col=end_level + 1,
            align=LEFT if last else CENTER,
            font=F_HEAD if total else F_BODY,
        )
    for i, row in enumerate(rows):
        for j, (col, _, _) in enumerate(form.T3_COLUMNS):
            _value_cell(
                ws, Slot(ws.title, first + i, label_cols + 1 + j), form.CELL_BY_NAME[form.t3(row.key, col)], slots
            )
    last_row = first + len(rows) - 1
    ws.column_dimensions["A"].width = 7
    ws.column_dimensions["B"].width = 9
    ws.column_dimensions["C"].width = 34
    for j in range(len(col_paths)):
        ws.column_dimensions[get_column_letter(label_cols + 1 + j)].width = 8.5
    for r in range(2, first):
        ws.row_dimensions[r].height = 30
    for r in range(first, last_row + 1):
        ws.row_dimensions[r].height = 30 if len(ws.cell(r, 3).value or "") > 16 else 20
    ws.freeze_panes = ws.cell(first, label_cols + 1)
    _print_setup(ws, last_row, ncols, landscape=False)


def _sheet_t4(wb: Workbook, slots: dict[str, Slot]) -> None:
    ws = wb.create_sheet("表四")
    paths = form.T4_COLUMN_PATHS
    ncols = len(paths)
    _title(ws, form.T4_TITLE, ncols)
    depth = _header_block(ws, 2, 1, paths)
    r = 2 + depth
    j = 0
    for group, _ in form.T4_GROUPS:
        for outcome, _ in form.T4_OUTCOMES:
            _value_cell(ws, Slot(ws.title, r, 1 + j), form.CELL_BY_NAME[form.t4(group, outcome)], slots)
            j += 1
    for col in range(1, ncols + 1):
        ws.column_dimensions[get_column_letter(col)].width = 9
    for row in range(2, r + 1):
        ws.row_dimensions[row].height = 30
    _print_setup(ws, r, ncols, landscape=True)


def _formulas(wb: Workbook, slots: dict[str, Slot]) -> None:
    for name, parts in form.COMPUTED_FROM.items():
        slot = slots[name]
        wb[slot.sheet][slot.coord] = sum_formula([slots[p].coord for p in parts])


# --------------------------------------------------------------------------------------------
# 说明, 正文, tally and list sheets
# --------------------------------------------------------------------------------------------

README_LINES = (
    "本工作簿按照国办公开办函〔2021〕30号《中华人民共和国政府信息公开工作年度报告格式》制作。",
    "使用步骤：",
    "1. 在本页黄色格子里填写单位名称、报告年度、单位类型和联系电话。",
    "2. 平时把每件申请、每个文件、每个执法决定、每笔收费、每个复议诉讼案件记在对应的“台账”工作表里，一件一行。",
    "3. 年底点“填报”按钮（或运行 xl-report fill），表二、表三、表四会按统计规则自动算好填入，不用手工数。",
    "4. 在“正文”工作表填写年报的第一、五、六部分文字，可以写 {新收}、{办结} 这样的占位符，"
    "生成年报时自动换成表中的数字。",
    "5. 点“校验”按钮（或运行 xl-report check），按“校验结果”工作表的提示改正错误。",
    "6. 领导审定后点“定稿”按钮（或运行 xl-report freeze），生成不能再改动的定稿文件，再点“上报”发送给上级。",
    "说明：黄色格子可以填写；灰色格子是自动计算的合计，请不要改动。"
    "表格中的数字请填写阿拉伯数字，没有发生的填 0，不要留空或填“/”。",
)


def _sheet_readme(wb: Workbook, slots: dict[str, Slot]) -> None:
    ws = wb.active
    ws.title = form.SHEET_README
    _title(ws, "政府信息公开工作年度报告（填报工作簿）", 3)
    r = 3
    for line in README_LINES:
        ws.cell(r, 1, line).alignment = LEFT
        ws.cell(r, 1).font = F_BODY
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=3)
        ws.row_dimensions[r].height = 32 if len(line) > 48 else 18
        r += 1
    r += 1
    _put(ws, r, 1, "填报信息", end_col=3, font=F_HEAD, fill=HEADER_FILL)
    r += 1
    for meta in form.META_FIELDS:
        _put(ws, r, 1, meta.label, font=F_HEAD)
        c = ws.cell(r, 2)
        _box(ws, r, 2, r, 2, align=LEFT)
        if meta.user_input:
            c.fill = INPUT_FILL
            c.protection = UNLOCKED
        else:
            c.fill = COMPUTED_FILL
        if meta.kind == "year":
            c.number_format = "0"
            dv = DataValidation(
                type="whole",
                operator="between",
                formula1="2019",
                formula2="2100",
                showErrorMessage=True,
                errorTitle="报告年度",
                error="请填写四位数的年份，如 2024",
            )
            ws.add_data_validation(dv)
            dv.add(c.coordinate)
        elif meta.kind == "date":
            c.number_format = DATE_FORMAT
        elif meta.kind == "choice":
            ref = _list_ref(wb, meta.label, meta.choices)
            dv = DataValidation(
                type="list", formula1=ref, showErrorMessage=True, errorTitle=meta.label, error="请从下拉列表中选择"
            )
            ws.add_data_validation(dv)
            dv.add(c.coordinate)
        _put(ws, r, 3, meta.hint, font=F_NOTE, align=LEFT)
        slots[meta.name] = Slot(ws.title, r, 2)
        r += 1
    r += 1
    _put(ws, r, 1, "台账工作表", end_col=3, font=F_HEAD, fill=HEADER_FILL)
    r += 1
    for sheet in TALLY_SHEETS:
        _put(ws, r, 1, sheet.name, font=F_HEAD)
        _put(ws, r, 2, sheet.purpose, end_col=3, align=LEFT)
        r += 1
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 40
    ws.column_dimensions["C"].width = 44
    ws.sheet_view.showGridLines = False
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


NARRATIVE_ROWS = {"overview": 20, "problems": 8, "other": 8}
NARRATIVE_SEED = {
    "overview": [
        form.OVERVIEW_TOPICS[0],
        "",
        "",
        form.OVERVIEW_TOPICS[1],
        "本年度共收到政府信息公开申请{新收}件，上年结转{上年结转}件，办结{办结}件，结转下年度继续办理{结转下年度}件。",
        "",
        form.OVERVIEW_TOPICS[2],
        "",
        "",
        form.OVERVIEW_TOPICS[3],
        "",
        "",
        form.OVERVIEW_TOPICS[4],
    ],
    "problems": ["（一）上一年度存在问题的改进情况", "", "（二）本年度存在的主要问题", "", "（三）改进措施"],
    "other": ["本年度未收取信息处理费。"],
}


def _sheet_narrative(wb: Workbook, slots: dict[str, Slot], ranges: dict[str, str]) -> None:
    ws = wb.create_sheet(form.SHEET_NARRATIVE)
    _title(ws, "年报正文（第一、五、六部分）", 2)
    _put(ws, 2, 1, "部分", font=F_HEAD, fill=HEADER_FILL)
    _put(
        ws,
        2,
        2,
        "内容（每格一段；可用 {新收} {上年结转} {办结} {结转下年度} {行政复议} 等占位符，生成年报时换成表中数字）",
        font=F_HEAD,
        fill=HEADER_FILL,
    )
    r = 3
    for key in form.NARRATIVE_SECTIONS:
        n = NARRATIVE_ROWS[key]
        _put(ws, r, 1, form.SECTION_TITLES[key], end_row=r + n - 1, font=F_HEAD)
        seed = NARRATIVE_SEED.get(key, [])
        for i in range(n):
            c = ws.cell(r + i, 2, seed[i] if i < len(seed) and seed[i] else None)
            _box(ws, r + i, 2, r + i, 2, align=TOP_LEFT)
            c.fill = INPUT_FILL
            c.protection = UNLOCKED
        ranges[form.NARRATIVE_NAMES[key]] = f"{quote_sheetname(ws.title)}!$B${r}:$B${r + n - 1}"
        r += n
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 100
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


def _list_ref(wb: Workbook, title: str, choices: tuple[str, ...]) -> str:
    """Put a dropdown list on the hidden list sheet (Excel caps inline lists at 255 characters)."""
    ws = wb[form.SHEET_LISTS] if form.SHEET_LISTS in wb.sheetnames else wb.create_sheet(form.SHEET_LISTS)
    ws.sheet_state = "hidden"
    for col in range(1, ws.max_column + 2):
        head = ws.cell(1, col).value
        if head == title:
            break
        if head is None:
            ws.cell(1, col, title)
            for i, choice in enumerate(choices, start=2):
                ws.cell(i, col, choice)
            break
    letter = get_column_letter(col)
    return f"{quote_sheetname(ws.title)}!${letter}$2:${letter}${len(choices) + 1}"


def _sheet_tally(wb: Workbook, sheet: TallySheet) -> None:
    ws = wb.create_sheet(sheet.name)
    for j, column in enumerate(sheet.columns, start=1):
        c = ws.cell(1, j, column.header)
        c.font = Font(name=FONT_HEAD, size=10, color="C00000" if column.required else "000000")
        c.fill = HEADER_FILL
        c.border = BORDER
        c.alignment = CENTER
        letter = get_column_letter(j)
        dim = ws.column_dimensions[letter]
        dim.width = column.width
        rng = f"{letter}2:{letter}{TALLY_ROWS}"
        dv = None
        if column.kind == "date":
            dim.number_format = DATE_FORMAT
            dv = DataValidation(
                type="date",
                operator="between",
                formula1="DATE(2000,1,1)",
                formula2="DATE(2100,12,31)",
                errorTitle=column.header,
                error="请填写日期，如 2024-03-05",
            )
        elif column.kind in ("choice", "yesno"):
            dv = DataValidation(
                type="list",
                formula1=_list_ref(wb, f"{sheet.name}.{column.header}", column.choices),
                errorTitle=column.header,
                error="请从下拉列表中选择",
            )
        elif column.kind == "int":
            dv = DataValidation(
                type="whole",
                operator="greaterThanOrEqual",
                formula1="0",
                errorTitle=column.header,
                error="请填写不小于 0 的整数",
            )
        elif column.kind == "number":
            dv = DataValidation(
                type="decimal",
                operator="greaterThanOrEqual",
                formula1="0",
                errorTitle=column.header,
                error="请填写不小于 0 的数字",
            )
        if dv is not None:
            dv.showErrorMessage = True
            dv.allow_blank = True
            ws.add_data_validation(dv)
            dv.add(rng)
        if column.note:
            c.comment = Comment(
                column.note + ("（必填）" if column.required else ""), "xl_report", width=220, height=80
            )
    ws.freeze_panes = "A2"
    print_as_list(ws, "1:1")
    ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}1"


# --------------------------------------------------------------------------------------------


def build_template() -> Workbook:
    """The blank 年报 workbook in memory: 说明, the five tally sheets, 表二/表三/表四 with named cells, 正文."""
    wb = Workbook()
    slots: dict[str, Slot] = {}
    ranges: dict[str, str] = {}
    _sheet_readme(wb, slots)
    for sheet in TALLY_SHEETS:
        _sheet_tally(wb, sheet)
    _sheet_t2(wb, slots)
    _sheet_t3(wb, slots)
    _sheet_t4(wb, slots)
    _sheet_narrative(wb, slots, ranges)
    _formulas(wb, slots)
    for name, slot in slots.items():
        wb.defined_names[name] = DefinedName(name, attr_text=slot.ref)
    for name, ref in ranges.items():
        wb.defined_names[name] = DefinedName(name, attr_text=ref)
    # keep the hidden list sheet last and the 说明 sheet active
    wb.move_sheet(form.SHEET_LISTS, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(form.SHEET_LISTS))
    wb.active = 0
    wb.calculation.fullCalcOnLoad = True
    wb.properties.title = "政府信息公开工作年度报告"
    wb.properties.subject = form.FORM_ID
    wb.properties.creator = "xl_report"
    return wb


def write_template(path: Path | str) -> Path:
    """Write :func:`build_template` to ``path`` (byte-stable: the same code writes the same bytes)."""
    path = Path(path)
    save_workbook(build_template(), path, deterministic=True)
    return path
