"""Read a unit workbook with calamine: its tally sheets (台账) → :func:`tally_from_frames`, and the report
fields (说明, table cells, narrative) through its defined names. ONE reader for every path: fill,
check and freeze (:func:`read_tally`) and the batch (:func:`read_workbook`, from the bytes it already read).

Which sheets hold which tally is decided by :func:`xl_report.core.ledger.recognise` (our names, their common
variants such as 依申请公开台帐, or the headers of an office's own ledger); .xls/.ods/.csv ledgers come
through :mod:`xl_report.xlsx.ledger_reader`. The decisions are on ``tally.adoption``.

Excel error values (#N/A …) and formulas saved without a computed value read as blank in calamine;
here they are found in the sheet XML and reach the tally parser as :class:`CellError`, which makes
them located errors instead of blanks (a blank 数量 counts as 1 decision).
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

from lxml import etree
from python_calamine import CalamineError, CalamineWorkbook

from xl_report.core import form
from xl_report.core import normalise as nz
from xl_report.core.a1 import column_index, split_cell
from xl_report.core.aggregate import cells_filled_by
from xl_report.core.errors import InputError, Problem, TallyErrors
from xl_report.core.ledger import (
    FORM_SHEETS,
    Adoption,
    Decision,
    LedgerError,
    LedgerMapping,
    recognise,
    sheets_by_name,
)
from xl_report.core.normalise import one_line
from xl_report.core.tally import FORMULA_WITHOUT_VALUE, HEADER_SCAN_ROWS, MAX_ROWS, CellError, Tally, tally_from_frames
from xl_report.core.tally_schema import TALLY_SHEETS
from xl_report.xlsx.fillstate import package_properties
from xl_report.xlsx.ledger_reader import LedgerFile, open_ledger
from xl_report.xlsx.names import NS, names_in_package, package_sheet_parts, report_cells
from xl_report.xlsx.safety import check_xlsx

XLSX = (".xlsx", ".xlsm")


def read_tally(path: Path | str, mapping: LedgerMapping | None = None) -> Tally:
    """Read, normalise and validate the tally sheets of ``path``; TallyErrors lists every bad row.

    ``path`` may be an office's own ledger (other sheet names and headers, free text, .xls/.ods/.csv):
    the decisions taken are on ``tally.adoption``. A value left for the clerk (matching two categories, or
    none) is an error listing it: never counted."""
    if Path(path).suffix.lower() in XLSX:
        return read_workbook(check_xlsx(path), table_cells=False, mapping=mapping)[0]
    adoption, ledger, unit, year = read_adoption(path, mapping)
    assert ledger is not None  # not a workbook: read as a ledger file
    return tally_from_adoption(adoption, str(ledger.path), unit=unit, year=year, sheet_label=ledger.sheet_label)


def read_workbook(
    path: Path | str,
    *,
    table_cells: bool = True,
    package: zipfile.ZipFile | None = None,
    data: bytes | None = None,
    mapping: LedgerMapping | None = None,
) -> tuple[Tally, dict]:
    """The tally and the report fields of one unit workbook, from ONE calamine pass. The caller has
    checked the file (:func:`xl_report.xlsx.safety.check_xlsx` / ``open_xlsx``).

    ``fields``: ``meta_*`` (parsed as :func:`xl_report.xlsx.workbook.read_report` does), ``values``
    (the typed input cells of the tables; computed totals left out), ``narrative`` and ``properties``
    (the custom document properties). ``table_cells=False`` leaves out of ``values`` the cells that
    the present tally sheets fill (:func:`xl_report.core.aggregate.cells_filled_by`).
    ``package``: the file already open as a ``zipfile.ZipFile``; ``data``: its bytes, already read.
    """
    adoption, fields = read_book(path, table_cells=table_cells, package=package, data=data, mapping=mapping)
    tally = tally_from_adoption(adoption, str(path), unit=fields["meta_unit"], year=fields["meta_year"])
    tally.year_typed = fields.get("meta_year_typed")
    return tally, fields


def read_book(
    path: Path | str,
    *,
    table_cells: bool = True,
    package: zipfile.ZipFile | None = None,
    data: bytes | None = None,
    mapping: LedgerMapping | None = None,
) -> tuple[Adoption, dict]:
    """:func:`read_workbook` before validation: the recognised tally sheets (see :mod:`xl_report.core.ledger`)
    and the report fields."""
    path = Path(path)
    try:
        book = (
            CalamineWorkbook.from_filelike(io.BytesIO(data))
            if data is not None
            else CalamineWorkbook.from_path(str(path))
        )
    except Exception as e:  # noqa: BLE001 - calamine raises its own types for malformed parts
        raise InputError.at(f"无法读取工作簿（{e}）", file=str(path)) from None
    present = set(book.sheet_names)
    grids: dict[str, list] = {}  # rows as calamine returns them: _cell converts what is used

    def grid(sheet: str, limit: int | None = None) -> list:
        """Each sheet read once; its first read decides how many rows it keeps."""
        if sheet not in grids:
            try:
                grids[sheet] = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False, nrows=limit)
            except Exception as e:  # noqa: BLE001 - calamine raises its own types for malformed parts
                raise InputError.at(f"无法读取工作表（{e}）", file=str(path), sheet=sheet) from None
        return grids[sheet]

    # '依申请公开台帐' is the 依申请公开台账 (read as absent, 表三 would keep zeros): the recogniser decides
    # which sheets hold which tally, by their names or else by their headers (any sheet may hold a ledger)
    by_name = sheets_by_name(book.sheet_names, mapping)
    candidates = [n for n in book.sheet_names if n not in FORM_SHEETS]
    try:
        opened = (
            contextlib.nullcontext(package)
            if package is not None
            else zipfile.ZipFile(io.BytesIO(data) if data is not None else path)
        )
        with opened as z:
            named = _field_cells(z)
            bad_cells = error_cells(z, candidates)
            properties = package_properties(z)
    except (OSError, zipfile.BadZipFile) as e:
        raise InputError.at(f"无法读取工作簿（{e}）", file=str(path)) from None
    frames = {}
    for sheet in candidates:
        rows = grid(sheet, MAX_ROWS + HEADER_SCAN_ROWS + 1)
        if len(rows) > MAX_ROWS + HEADER_SCAN_ROWS:
            raise InputError.at(
                f"行数超过 {MAX_ROWS:,} 行的上限，请检查是否误选了整列或粘贴了无关数据", file=str(path), sheet=sheet
            )
        frames[sheet] = with_errors(
            [[v if v.__class__ is str else _cell(v) for v in row] for row in rows], bad_cells.get(sheet, {})
        )
    try:
        adoption = recognise(frames, mapping, by_name)
    except LedgerError as e:
        raise ledger_errors(e, str(path), lambda name: name) from None
    if not adoption.reads:
        names = "、".join(s.name for s in TALLY_SHEETS)
        raise InputError.at(f"工作簿中没有任何台账工作表，也没有能识别的台账表头（应为：{names}）", file=str(path))
    skip = frozenset() if table_cells else cells_filled_by(r.sheet.key for r in adoption.reads)
    fields: dict = {"values": {}, "narrative": {}, "properties": properties}

    def value(sheet: str, row: int, col: int) -> object:
        """The cell at 0-based (row, col) as the tally parser takes it; text stripped, blank None."""
        g = grids.get(sheet)
        if g is None:
            if sheet not in present:
                return None
            g = grid(sheet)
        if row < len(g):
            line = g[row]
            if col < len(line):
                v = line[col]
                return (v.strip() or None) if v.__class__ is str else _cell(v)
        return None

    narrative, values, others = named
    for key, refs in narrative:
        fields["narrative"][key] = [str(v) for v in (value(*ref) for ref in refs) if v is not None]
    for name, (sheet, row, col) in values:
        if name not in skip:
            fields["values"][name] = value(sheet, row, col)
    for name, (sheet, row, col) in others:
        fields[name] = value(sheet, row, col)
    if form.SHEET_README in present:  # a 说明 copied without its names (cells pasted): found by its labels
        rows = grid(form.SHEET_README, README_SCAN_ROWS)
        if not _META_NAMES <= fields.keys():  # with every field named, the labels could add nothing
            for name, v in _readme_by_label(rows).items():
                fields.setdefault(name, v)
    for name in ("meta_unit", "meta_contact", "meta_level"):
        fields[name] = one_line(fields.get(name))
    fields["meta_published"] = nz.parse_date(fields.get("meta_published"))
    typed_year = fields.get("meta_year")
    fields["meta_year"] = nz.parse_year(typed_year)
    if fields["meta_year"] is None and typed_year is not None:  # typed, but no year: the message names it
        fields["meta_year_typed"] = str(typed_year.date() if isinstance(typed_year, datetime) else typed_year)
    return adoption, fields


def with_errors(frame: list[list[object]], bad: dict[tuple[int, int], CellError]) -> list[list[object]]:
    """``frame`` with the error values and value-less formulas found in the sheet XML put in their cells."""
    for (row, col), error in bad.items():
        if row <= MAX_ROWS + HEADER_SCAN_ROWS:
            while len(frame) < row:
                frame.append([])
            line = frame[row - 1]
            line.extend([""] * (col - len(line)))
            line[col - 1] = error
    return frame


def tally_from_adoption(
    adoption: Adoption,
    source: str,
    *,
    unit: str | None = None,
    year: int | None = None,
    sheet_label: Callable[[str], str | None] = lambda name: name,
) -> Tally:
    """The Tally of a recognised ledger, its problems located in the ledger (its sheets, its headers)."""
    undecided = adoption.undecided
    if undecided:
        raise UndecidedValues(
            source, [d.problem(source, _label(adoption, d.sheet, sheet_label), _header(adoption, d)) for d in undecided]
        )
    try:
        tally = tally_from_frames(adoption.frames, source=source, unit=unit, year=year)
    except TallyErrors as e:
        labels = {r.source: sheet_label(r.source) for r in adoption.reads}
        raise TallyErrors(source, [adoption.relocate(p, labels) for p in e.problems]) from None
    tally.adoption = adoption if adoption.foreign else None
    return tally


class UndecidedValues(TallyErrors):
    """Free-text values the rules could not read with certainty (exit 2: the clerk chooses)."""

    def __init__(self, file: str, problems: list[Problem]):
        InputError.__init__(
            self,
            f"台账“{Path(file).name}”有 {len(problems)} 种写法不能确定对应哪一项，"
            "未写入任何文件。请用 xl-report adopt 转换后在下拉列表中选择，或改为规定的选项：",
            problems,
        )


def _header(adoption: Adoption, d: Decision) -> str | None:
    read = adoption.source_of(d.sheet)
    return read.source_headers.get(d.column) if read else None


def _label(adoption: Adoption, sheet: str, sheet_label: Callable[[str], str | None]) -> str | None:
    read = adoption.source_of(sheet)
    return sheet_label(read.source) if read else sheet


def read_adoption(
    path: Path | str, mapping: LedgerMapping | None = None
) -> tuple[Adoption, LedgerFile | None, str | None, int | None]:
    """The ledger at ``path`` read as tally sheets (not yet validated): (adoption, file, unit, year).
    The file is None for a workbook (.xlsx/.xlsm: read by :func:`read_book`, error values included)."""
    if Path(path).suffix.lower() in XLSX:
        adoption, fields = read_book(check_xlsx(path), table_cells=False, mapping=mapping)
        return adoption, None, fields["meta_unit"], fields["meta_year"]
    ledger = open_ledger(path)
    try:
        by_name = sheets_by_name(ledger.names, mapping)
        grids = {n: ledger.grid(n) for n in ledger.names if n not in FORM_SHEETS}
        adoption = recognise(grids, mapping, by_name)
    except CalamineError as e:
        raise InputError.at(f"无法读取工作簿（{e}）", file=str(ledger.path)) from None
    except LedgerError as e:
        raise ledger_errors(e, str(ledger.path), ledger.sheet_label) from None
    if not adoption.reads:
        wanted = "、".join(s.name for s in TALLY_SHEETS)
        raise InputError.at(f"文件中没有能识别的台账表头（应为：{wanted}）", file=str(ledger.path))
    return adoption, ledger, None, None


def ledger_errors(e: LedgerError, source: str, sheet_label: Callable[[str], str | None]) -> TallyErrors:
    return TallyErrors(
        source,
        [
            Problem(
                p.reason,
                file=source,
                sheet=sheet_label(p.sheet) if p.sheet else None,
                row=p.row,
                column=p.column,
                value=p.value,
            )
            for p in e.problems
        ],
    )


README_SCAN_ROWS = 60  # rows of 说明 searched for its field labels (the template's sit at rows 14-18)
_META_LABELS = {nz.key(m.label): m.name for m in form.META_FIELDS}
_META_NAMES = frozenset(m.name for m in form.META_FIELDS)


def _readme_by_label(rows: list) -> dict[str, object]:
    """说明 fields by label: a cell reading 单位名称 (or 单位名称：) and the cell right of it (the template's
    hint column further right is never taken for a value)."""
    found: dict[str, object] = {}
    for row in rows:
        for j, v in enumerate(row):
            name = _META_LABELS.get(nz.key(v)) if isinstance(v, str) and v.strip() else None
            if name is None or name in found:
                continue
            value = nz.clean_cell(row[j + 1]) if j + 1 < len(row) else None
            if value is not None:
                found[name] = _cell(value)
    return found


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------


def _cell(value: object) -> object:
    """A calamine value as the tally parser takes it: whole floats as int, dates as datetime."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value


Ref = tuple[str, int, int]  # (sheet, row, col), 0-based
# (narrative key, its cells), the typed input cells of the tables (computed totals left out), the other
# names (说明 fields): each in the names' order
FieldCells = tuple[list[tuple[str, list[Ref]]], list[tuple[str, Ref]], list[tuple[str, Ref]]]
_FIELD_CELLS: dict[bytes, FieldCells] = {}


def _field_cells(z: zipfile.ZipFile) -> FieldCells:
    """The named report cells by what they fill; cached per workbook.xml (units mostly share the template's)."""
    try:
        key = z.read("xl/workbook.xml")
    except KeyError:
        return [], [], []
    if key not in _FIELD_CELLS:
        if len(_FIELD_CELLS) > 64:
            _FIELD_CELLS.clear()
        narrative_key = {n: k for k, n in form.NARRATIVE_NAMES.items()}
        out: FieldCells = ([], [], [])
        for name, refs in report_cells(names_in_package(z)).items():
            cells = []
            for sheet, a1 in refs:
                letters, row = split_cell(a1)
                cells.append((sheet, row - 1, column_index(letters) - 1))
            if name in narrative_key:
                out[0].append((narrative_key[name], cells))
            elif name not in form.CELL_BY_NAME:
                out[2].append((name, cells[0]))
            elif not form.CELL_BY_NAME[name].computed:
                out[1].append((name, cells[0]))
        _FIELD_CELLS[key] = out
    return _FIELD_CELLS[key]


# --------------------------------------------------------------------------------------------
# Error values and formulas without a value, from the sheet XML
# --------------------------------------------------------------------------------------------
# an error cell (t="e") or a formula (<f>, <f t="shared" .../>, <x:f>): plain substring tests, ~10x faster
# than one regex over a large sheet; a hit only means "parse this part"
_MAYBE_BAD = (b't="e"', b"<f>", b"<f ", b"<f/", b":f>", b":f ")
_CELL, _ROW, _V, _F = f"{{{NS}}}c", f"{{{NS}}}row", f"{{{NS}}}v", f"{{{NS}}}f"


def error_cells(z: zipfile.ZipFile, sheets: Sequence[str]) -> dict[str, dict[tuple[int, int], CellError]]:
    """sheet -> {(row, col): CellError} for each cell holding an Excel error value or a formula
    saved without its value. Parts without either (the usual case) cost one byte scan."""
    parts = package_sheet_parts(z)
    out: dict[str, dict[tuple[int, int], CellError]] = {}
    for sheet in sheets:
        part = parts.get(sheet)
        try:
            data = z.read(part) if part else b""
        except KeyError:
            continue
        if not any(mark in data for mark in _MAYBE_BAD):
            continue
        found = _scan(data)
        if found:
            out[sheet] = found
    return out


def _scan(data: bytes) -> dict[tuple[int, int], CellError]:
    found: dict[tuple[int, int], CellError] = {}
    row, col = 0, 0
    for event, el in etree.iterparse(
        io.BytesIO(data),
        events=("start", "end"),
        tag=(_ROW, _CELL),
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
    ):
        if el.tag == _ROW:
            if event == "start":
                row, col = int(el.get("r") or row + 1), 0
            else:
                el.clear()
            continue
        if event == "start":
            continue
        ref = el.get("r")
        if ref:
            letters = ref.rstrip("0123456789")
            col = column_index(letters)
        else:
            col += 1
        v = el.find(_V)
        cached = v.text if v is not None else None
        if el.get("t") == "e":
            found[(row, col)] = CellError(cached or "#N/A")
        elif el.find(_F) is not None and not cached and el.get("t") not in ("str", "inlineStr"):
            f = el.find(_F)
            found[(row, col)] = CellError(FORMULA_WITHOUT_VALUE, "=" + (f.text or "") if f.text else None)
        el.clear()
    return found
