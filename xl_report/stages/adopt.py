"""xl-report adopt: an office's own ledger (台账) → the template workbook, every decision written down.

The tally sheets get the ledger's rows with normalised values; beside them a ``原文：<表头>`` column keeps
the ledger's text wherever the value differs from it (nothing is lost) and ``原台账行号`` says where each
row came from. A value left for the clerk stays as the ledger wrote it, highlighted, with the dropdown of
the official options; a value that cannot be read (a date that does not exist) is highlighted too. The
台账转换说明 sheet lists every decision (:class:`xl_report.core.ledger.Decision`); with the clerk's choices
in the tally sheets, it is the mapping next year's conversion starts from (:mod:`ledger_mapping`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_from_string
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange

from xl_report.core import normalise as nz
from xl_report.core.errors import InputError, TallyErrors
from xl_report.core.findings import Finding
from xl_report.core.ledger import (
    ADOPT_SHEET,
    COLUMN,
    GENERATED,
    IGNORED,
    SHEET,
    SKIPPED,
    UNDECIDED,
    VALUE,
    Adoption,
    Decision,
    LedgerMapping,
    SheetRead,
)
from xl_report.core.report import ReportData
from xl_report.core.tally import CellError, converter, tally_from_frames
from xl_report.core.tally_schema import YES_NO
from xl_report.rules.common import finding
from xl_report.stages.ledger_mapping import NOTE_HEADERS, ORIGINAL_PREFIX, load_mapping, save_mapping
from xl_report.xlsx.bulk_rows import column_styles, merge_rows, row_xml
from xl_report.xlsx.fileio import Rewrite, backup_existing, save_workbook
from xl_report.xlsx.tally_reader import read_adoption
from xl_report.xlsx.template import BORDER, DATE_FORMAT, F_BODY, F_HEAD, HEADER_FILL, TALLY_ROWS, build_template
from xl_report.xlsx.workbook import set_text, write_report

UNDECIDED_FILL = PatternFill("solid", fgColor="F8CBAD")  # orange: choose from the dropdown
UNREADABLE_FILL = PatternFill("solid", fgColor="FF9999")  # red: correct the value
SOURCE_ROW = "原台账行号"
CHECK = "需核对"  # a value that cannot be read: a kind of line in 转换说明


@dataclass
class AdoptResult:
    output: Path
    adoption: Adoption
    rows: dict[str, int] = field(default_factory=dict)  # tally sheet → rows written
    undecided: int = 0  # cells left for the clerk
    unreadable: int = 0  # cells to correct
    remaining: list[str] = field(default_factory=list)  # what fill would still refuse (besides the above)
    mapping_file: Path | None = None
    marked: list[Marked] = field(default_factory=list)  # the highlighted cells, where the workbook has them


@dataclass(frozen=True)
class Marked:
    """A highlighted cell of the converted workbook: to choose (``undecided``) or to correct."""

    sheet: str  # our tally sheet
    column: str  # our header
    text: str  # what the ledger says
    cell: str  # e.g. "F3"
    why: str
    undecided: bool
    candidates: tuple[str, ...] = ()


def adopt_ledger(
    ledger: Path | str,
    output: Path | str,
    *,
    year: int | None = None,
    unit: str | None = None,
    mapping: Path | str | None = None,
    save_mapping_to: Path | str | None = None,
) -> AdoptResult:
    """Convert an office's own ledger (.xlsx/.xlsm/.xls/.ods/.csv) into the template workbook ``output``, every
    decision listed in its 台账转换说明 sheet (see the module doc). ``mapping``: an earlier conversion (its
    workbook, or the TOML of ``save_mapping_to``) whose choices are taken first."""
    out = Path(output)
    if out.suffix.lower() != ".xlsx":
        raise InputError.at("输出文件名必须以 .xlsx 结尾", file=str(out))
    if Path(ledger).resolve() == out.resolve():
        raise InputError.at("输出文件不能是台账本身（原台账不会被改动）", file=str(out))
    learned = load_mapping(mapping) if mapping is not None else None
    wb, plain, result = adopted_book(ledger, out, year=year, unit=unit, learned=learned)
    backup_existing(out)
    save_adopted(wb, out, plain)
    if save_mapping_to is not None:
        result.mapping_file = save_mapping(mapping_of(result.adoption, learned), save_mapping_to)
    return result


def adopted_book(
    ledger: Path | str,
    output: Path,
    *,
    year: int | None = None,
    unit: str | None = None,
    learned: LedgerMapping | None = None,
    name: str | None = None,
) -> tuple[Workbook, PlainRows, AdoptResult]:
    """The converted workbook of :func:`adopt_ledger`, not yet saved (:func:`save_adopted`). ``name``: how
    the 转换说明 names the ledger (default: its file name)."""
    adoption, file, book_unit, book_year = read_adoption(ledger, learned)
    wb = build_template()
    result = AdoptResult(output, adoption)
    plain = write_adoption(
        wb,
        adoption,
        name or Path(ledger).name,
        result,
        label=file.sheet_label if file is not None else lambda name: name,
    )
    meta_year, meta_unit = year if year is not None else book_year, unit if unit is not None else book_unit
    if meta_year is not None or meta_unit is not None:
        write_report(ReportData(unit=meta_unit, year=meta_year), wb, tables=(), meta=True)
    return wb, plain, result


def choice_findings(result: AdoptResult) -> list[Finding]:
    """One error finding per text left for the clerk (R10) or value to correct (R06), naming the highlighted
    cells of the converted workbook: for a caller that hands the workbook back (the web page)."""
    groups: dict[tuple[bool, str, str, str], list[Marked]] = {}
    for m in result.marked:
        groups.setdefault((m.undecided, m.sheet, m.column, m.text), []).append(m)
    out = []
    for (undecided, sheet, column, text), marks in groups.items():
        cells = "、".join(m.cell for m in marks[:12]) + (f"等 {len(marks)} 个格子" if len(marks) > 12 else "")
        first = marks[0]
        if undecided:
            options = "、".join(first.candidates[:6]) if first.candidates else "下拉列表中的一项"
            message = (
                f"{sheet}·{column}：“{text}”{first.why}，没有计数。请在下载的工作簿中，"
                f"于橙色格子 {cells} 的下拉列表中选择（可选：{options}），选好后重新上传"
            )
        else:
            message = f"{sheet}·{column}：“{text}”{first.why}。请在下载的工作簿中改正红色格子 {cells}，改好后重新上传"
        out.append(
            finding(
                "R10" if undecided else "R06",
                message,
                sheet=sheet,
                cell=first.cell,
                row=coordinate_from_string(first.cell)[1],
            )
        )
    return out


def mapping_of(adoption: Adoption, learned: LedgerMapping | None = None) -> LedgerMapping:
    """What this conversion decided (plus what it was told), as a mapping for next year."""
    m = LedgerMapping()
    if learned:
        m.merge(learned)
    for d in adoption.decisions:
        if d.kind == SHEET:
            m.sheets[d.source] = d.target
        elif d.kind == COLUMN:
            m.headers.setdefault(d.sheet, {})[d.source] = d.target
        elif d.kind == VALUE:
            m.learn(d.sheet, d.column, d.source, d.target)
    return m


# --------------------------------------------------------------------------------------------
# Writing the workbook
# --------------------------------------------------------------------------------------------


@dataclass
class _Cell:
    """A highlighted cell: the ledger's text, its colour and the note saying why."""

    value: str
    fill: PatternFill
    note: str


@dataclass
class PlainRows:
    """Rows without highlight, per tally sheet: written as XML while the workbook is saved (:mod:`bulk_rows`)."""

    rows: dict[str, dict[int, list[tuple[int, object]]]] = field(default_factory=dict)  # sheet → row → cells
    width: dict[str, int] = field(default_factory=dict)

    def rewrite(self, wb: Workbook) -> dict[str, Rewrite]:
        """The ``rewrite`` of :func:`save_workbook` for ``wb`` as it is now (sheet order fixes the part names)."""
        out: dict[str, Rewrite] = {}
        for name, rows in self.rows.items():
            part = f"xl/worksheets/sheet{wb.sheetnames.index(name) + 1}.xml"
            width = self.width[name]

            def merge(body: bytes, rows=rows, part=part, width=width):
                styles = column_styles(body)
                xml = {r: row_xml(r, cells, styles) for r, cells in rows.items()}
                return [(part, merge_rows(body, xml, width))]

            out[part] = merge
        return out

    def write_into(self, wb: Workbook) -> None:
        """The rows into ``wb``'s cells (openpyxl: slower, for a caller that saves the workbook itself)."""
        for name, rows in self.rows.items():
            ws = wb[name]
            for r, cells in rows.items():
                for k, v in cells:
                    put_value(ws.cell(r, k), v)
        self.rows = {}


def put_value(cell, value: object) -> None:
    """A tally value into a cell: text as text (never a formula), a date with the template's date format."""
    if isinstance(value, str):
        set_text(cell, value)
    else:
        cell.value = value
        if isinstance(value, date):
            cell.number_format = DATE_FORMAT


def save_adopted(wb: Workbook, target: Path, plain: PlainRows) -> None:
    save_workbook(wb, target, deterministic=True, rewrite=plain.rewrite(wb) or None)


def write_adoption(
    wb: Workbook, adoption: Adoption, ledger_name: str, result: AdoptResult, label=lambda name: name
) -> PlainRows:
    """The ledger's rows into the template's tally sheets, and the 转换说明 sheet. The plain rows are
    returned, to be written while saving (:func:`save_adopted`)."""
    checks: list[Decision] = []
    plain = PlainRows()
    frames = {}
    for read in adoption.reads:
        frames[read.sheet.name] = _write_sheet(wb, read, result, checks, plain)
    try:
        tally_from_frames(frames, source=ledger_name)
    except TallyErrors as e:  # what fill will still say once the highlighted cells are chosen
        result.remaining = [str(p) for p in e.problems if not _highlighted(p, adoption, checks)]
    _write_notes(wb, adoption, ledger_name, checks, result, label)
    return plain


def _highlighted(p, adoption: Adoption, checks: list[Decision]) -> bool:
    """A problem on a cell the clerk already sees highlighted (listed once, not twice)."""
    marked = adoption.undecided + checks
    return p.column is not None and any(d.sheet == p.sheet and d.column == p.column for d in marked)


def _display(value: object) -> str:
    if isinstance(value, str):
        return value
    return str(nz.to_text(value)[0])


def _source_cells(read: SheetRead, i: int) -> list[object]:
    """Row ``i`` of the ledger in our column order (interpreted choices; generated ids)."""
    if not read.native:
        row = read.grid[i] if i < len(read.grid) else []
        return list(row) + [None] * (len(read.sheet.columns) - len(row))
    src = read.rows[i]
    return [
        src[read.columns[c.header]] if c.header in read.columns and read.columns[c.header] < len(src) else None
        for c in read.sheet.columns
    ]


def _memoised(convert):
    """A converter remembering its answers: a ledger repeats its dates and categories row after row."""
    memo: dict[tuple[type, object], tuple[object, str | None]] = {}

    def run(v: object) -> tuple[object, str | None]:
        k = (v.__class__, v)
        if k not in memo:
            memo[k] = convert(v)
        return memo[k]

    return run


def _write_sheet(
    wb: Workbook, read: SheetRead, result: AdoptResult, checks: list[Decision], plain: PlainRows
) -> list[list[object]]:
    """Write one sheet's rows; returns them as a grid in our schema (to validate what fill will read)."""
    sheet = read.sheet
    convert = [_memoised(converter(sheet, c)) for c in sheet.columns]
    keep = [not c.personal for c in sheet.columns]  # personal data never gets a second copy
    headers = sheet.headers
    where = [read.columns.get(h) for h in headers]
    undecided_rows = {row for _, row in read.undecided}
    shown: dict[tuple[type, object], str] = {}  # value → its text (a ledger repeats its values)

    def display(v: object) -> str:
        key = (v.__class__, v)
        if key not in shown:
            shown[key] = _display(v)
        return shown[key]

    originals: dict[str, dict[int, str]] = {}  # our header → {output row → the ledger's text}
    out: dict[int, list[object]] = {}  # output row → values (a _Cell where highlighted)
    marked_rows: set[int] = set()
    source_rows: dict[int, int] = {}
    r = 1
    for i in range(read.header_row + 1, len(read.rows)):
        excel_row = i + 1
        if excel_row in read.skipped:
            continue
        cells = [nz.clean_cell(v) for v in _source_cells(read, i)]
        if all(v is None for v in cells):
            continue
        r += 1
        source_rows[r] = excel_row
        src = read.rows[i]
        row: list[object] = []
        for k, v in enumerate(cells):
            if v is None:
                row.append(None)
                continue
            j = where[k]
            original = nz.clean_cell(src[j]) if j is not None and j < len(src) else None
            reading = read.undecided.get((headers[k], excel_row)) if excel_row in undecided_rows else None
            value: object = None
            reason: str | None = None
            if isinstance(v, CellError):  # #N/A or a formula without its value: the clerk corrects it
                reason, v = v.reason, v.text
            elif reading is None:
                value, reason = convert[k](v)
            if reading is None and not reason:
                if value.__class__ is bool:
                    value = YES_NO[0] if value else YES_NO[1]
                row.append(value)
                if original is not None and original is not value and keep[k] and display(original) != display(value):
                    originals.setdefault(headers[k], {})[r] = display(original)
                continue
            if keep[k]:  # the clerk will overwrite it: the original is kept beside
                originals.setdefault(headers[k], {})[r] = display(original if original is not None else v)
            marked_rows.add(r)
            if reading is not None:
                options = "、".join(reading.candidates[:6]) if reading.candidates else "下拉列表中的一项"
                row.append(
                    _Cell(
                        display(v),
                        UNDECIDED_FILL,
                        f"原台账：{display(v)}\n{reading.why}。请在下拉列表中选择（可选：{options}）",
                    )
                )
                result.undecided += 1
                result.marked.append(
                    Marked(
                        sheet.name,
                        headers[k],
                        display(v),
                        f"{get_column_letter(k + 1)}{r}",
                        reading.why,
                        True,
                        tuple(reading.candidates),
                    )
                )
            else:
                row.append(_Cell(display(v), UNREADABLE_FILL, f"{reason}。请改正后再填报"))
                result.marked.append(
                    Marked(sheet.name, headers[k], display(v), f"{get_column_letter(k + 1)}{r}", str(reason), False)
                )
                checks.append(
                    Decision(CHECK, sheet.name, headers[k], source=display(v), why=str(reason), rows=(excel_row,))
                )
                result.unreadable += 1
        out[r] = row
    extra: list[tuple[str, dict[int, int] | dict[int, str]]] = []
    if not read.native or originals:
        extra = [(SOURCE_ROW, source_rows)] + [
            (ORIGINAL_PREFIX + read.source_headers.get(h, h), originals[h]) for h in sheet.headers if h in originals
        ]
    ws = wb[sheet.name]
    width = len(sheet.columns)
    for k, (title, _) in enumerate(extra, start=width + 1):
        head = ws.cell(1, k)
        set_text(head, title)
        head.font, head.fill, head.border = F_HEAD, HEADER_FILL, BORDER
        ws.column_dimensions[get_column_letter(k)].width = 10 if title == SOURCE_ROW else 24
    bulk = plain.rows.setdefault(sheet.name, {})
    plain.width[sheet.name] = width + len(extra)
    for r, row in out.items():
        values = [(k, v.value if v.__class__ is _Cell else v) for k, v in enumerate(row, start=1) if v is not None]
        values += [(k, col[r]) for k, (_, col) in enumerate(extra, start=width + 1) if r in col]
        if r not in marked_rows:
            bulk[r] = values
            continue
        for k, v in values:  # a row with a highlighted cell: through openpyxl (fill, comment)
            cell = ws.cell(r, k)
            put_value(cell, v)
            marked = row[k - 1] if k <= width else None
            if isinstance(marked, _Cell):
                cell.fill = marked.fill
                cell.comment = Comment(marked.note, "xl_report", width=300, height=120)
    if r > TALLY_ROWS:
        _extend_validations(ws, r)
    result.rows[sheet.name] = r - 1
    grid: list[list[object]] = [list(sheet.headers)]
    grid += [[v.value if v.__class__ is _Cell else v for v in out[n]] if n in out else [] for n in range(2, r + 1)]
    return grid


def _extend_validations(ws, last_row: int) -> None:
    """The template's dropdowns cover TALLY_ROWS rows: stretch them over a longer ledger."""
    for dv in ws.data_validations.dataValidation:
        ranges = [
            CellRange(min_col=r.min_col, min_row=r.min_row, max_col=r.max_col, max_row=last_row)
            if r.max_row == TALLY_ROWS
            else r
            for r in dv.sqref.ranges
        ]
        dv.sqref = MultiCellRange(ranges)


def _write_notes(
    wb: Workbook, adoption: Adoption, ledger_name: str, checks: list[Decision], result: AdoptResult, label
) -> None:
    ws = wb.create_sheet(ADOPT_SHEET, index=1)
    undecided = adoption.undecided
    lines = [
        f"原台账：{ledger_name}",
        f"待选择：{result.undecided} 个格子（橙色，{len(undecided)} 种写法）——请在下拉列表中选择，选好后再点“填报”",
        f"需核对：{result.unreadable} 个格子（红色）——请改正",
        "其余均已转换；原台账的文字保留在各台账工作表右侧的“原文：”列，原行号在“原台账行号”列。",
        "下一年用 xl-report adopt 新台账 -o 新工作簿.xlsx --mapping 本工作簿.xlsx，已做过的选择不必再做。",
    ]
    lines += [f"填报时还会提示：{p}" for p in result.remaining[:20]]
    set_text(ws.cell(1, 1), ADOPT_SHEET)
    ws.cell(1, 1).font = Font(name=F_HEAD.name, size=14)
    for i, line in enumerate(lines, start=2):
        set_text(ws.cell(i, 1), line)
        ws.cell(i, 1).font = F_BODY
    top = len(lines) + 3
    for j, h in enumerate(NOTE_HEADERS, start=1):
        c = ws.cell(top, j)
        set_text(c, h)
        c.font, c.fill, c.border = F_HEAD, HEADER_FILL, BORDER
    order = {k: i for i, k in enumerate((UNDECIDED, CHECK, SHEET, COLUMN, GENERATED, IGNORED, VALUE, SKIPPED))}
    decisions = sorted(adoption.decisions + checks, key=lambda d: order.get(d.kind, 99))
    r = top
    for d in decisions:
        r += 1
        read = adoption.source_of(d.sheet)
        source_sheet = (label(read.source) or "") if read else ""
        target = d.target or ("（请选择：" + "、".join(d.candidates[:6]) + "）" if d.candidates else "")
        rows = "、".join(map(str, d.rows[:30])) + ("…" if len(d.rows) > 30 else "")
        values = (d.kind, d.sheet, d.column, source_sheet, d.source, target, d.why, len(d.rows) or None, rows or None)
        for j, v in enumerate(values, start=1):
            c = ws.cell(r, j)
            if isinstance(v, str):
                set_text(c, v)
            else:
                c.value = v
            c.font = F_BODY
            if d.kind == UNDECIDED:
                c.fill = UNDECIDED_FILL
            elif d.kind == CHECK:
                c.fill = UNREADABLE_FILL
    for j, w in enumerate((10, 16, 12, 16, 36, 40, 40, 6, 30), start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.freeze_panes = ws.cell(top + 1, 1)
    ws.auto_filter.ref = f"A{top}:{get_column_letter(len(NOTE_HEADERS))}{max(r, top)}"
    for sheet in wb.worksheets:  # one selected tab, or Excel opens the sheets grouped
        sheet.sheet_view.tabSelected = False
    wb.active = wb.sheetnames.index(ADOPT_SHEET)
    ws.sheet_view.tabSelected = True
