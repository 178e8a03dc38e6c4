"""Read the tally sheets (台账) of a workbook file with calamine: sheet grids → :func:`tally_from_frames`.

The file adapter of :mod:`xl_report.core.tally` (which parses, normalises and validates the grids); an
office's own ledger goes through :mod:`xl_report.core.ledger` on the way.
"""
from __future__ import annotations

import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from defusedxml import ElementTree
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from python_calamine import CalamineError, CalamineWorkbook

from xl_report.core import normalise as nz
from xl_report.core.errors import InputError, Problem, TallyErrors
from xl_report.core.ledger import FORM_SHEETS, Adoption, Decision, LedgerError, LedgerMapping, recognise, sheets_by_name
from xl_report.core.tally import Tally, tally_from_frames
from xl_report.core.tally_schema import TALLY_SHEETS
from xl_report.xlsx.ledger_reader import LedgerFile, open_ledger
from xl_report.xlsx.workbook import _REF


def read_tally(path: Path | str, mapping: LedgerMapping | None = None) -> Tally:
    """Read, normalise and validate the tally sheets of ``path``; TallyErrors lists every bad row.

    ``path`` may be an office's own ledger (other sheet names and headers, free text, .xls/.ods/.csv):
    it is read through :func:`xl_report.core.ledger.recognise`, and the decisions it took are on
    ``tally.adoption``. A value left for the clerk (matching two categories, or none) is an error listing
    it: never counted."""
    adoption, ledger, unit, year = read_adoption(path, mapping)
    return tally_from_adoption(adoption, str(ledger.path), unit=unit, year=year, sheet_label=ledger.sheet_label)


def tally_from_adoption(adoption: Adoption, source: str, *, unit: str | None = None, year: int | None = None,
                        sheet_label: Callable[[str], str | None] = lambda name: name) -> Tally:
    """The Tally of a recognised ledger, its problems located in the ledger (its sheets, its headers)."""
    undecided = adoption.undecided
    if undecided:
        raise UndecidedValues(source, [d.problem(source, _label(adoption, d.sheet, sheet_label), _header(adoption, d))
                                       for d in undecided])
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
        InputError.__init__(self, f"台账“{Path(file).name}”有 {len(problems)} 种写法不能确定对应哪一项，"
                            "未写入任何文件。请用 xl-report adopt 转换后在下拉列表中选择，或改为规定的选项：", problems)


def _header(adoption: Adoption, d: Decision) -> str | None:
    read = adoption.source_of(d.sheet)
    return read.source_headers.get(d.column) if read else None


def _label(adoption: Adoption, sheet: str, sheet_label: Callable[[str], str | None]) -> str | None:
    read = adoption.source_of(sheet)
    return sheet_label(read.source) if read else sheet


def read_adoption(path: Path | str, mapping: LedgerMapping | None = None
                  ) -> tuple[Adoption, LedgerFile, str | None, int | None]:
    """The ledger at ``path`` read as tally sheets (not yet validated): (adoption, file, unit, year)."""
    ledger = open_ledger(path)
    try:
        by_name = sheets_by_name(ledger.names, mapping)
        names = [n for n in ledger.names if n not in FORM_SHEETS]  # others may hold a ledger pasted in
        grids = {n: ledger.grid(n) for n in names}
        adoption = recognise(grids, mapping, by_name)
        if not adoption.reads:
            wanted = "、".join(s.name for s in TALLY_SHEETS)
            raise InputError.at(f"文件中没有任何台账工作表，也没有能识别的台账表头（应为：{wanted}）",
                                file=str(ledger.path))
        unit, year = _read_meta(ledger.book, ledger.path) if ledger.is_xlsx and ledger.book else (None, None)
    except CalamineError as e:  # a malformed part inside a well-formed zip
        raise InputError.at(f"无法读取工作簿（{e}）", file=str(ledger.path)) from None
    except LedgerError as e:
        raise ledger_errors(e, str(ledger.path), ledger.sheet_label) from None
    return adoption, ledger, unit, year


def ledger_errors(e: LedgerError, source: str, sheet_label: Callable[[str], str | None]) -> TallyErrors:
    return TallyErrors(source, [Problem(p.reason, file=source, sheet=sheet_label(p.sheet) if p.sheet else None,
                                        row=p.row, column=p.column, value=p.value) for p in e.problems])


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _read_meta(book: CalamineWorkbook, path: Path) -> tuple[str | None, int | None]:
    """meta_unit / meta_year through the workbook's defined names (cheap: workbook.xml + one small sheet)."""
    refs = defined_cell_names(path, ("meta_unit", "meta_year"))
    values: dict[str, object] = {}
    grids: dict[str, Sequence[Sequence[object]]] = {}
    for name, (sheet, coord) in refs.items():
        if sheet not in book.sheet_names:
            continue
        if sheet not in grids:
            grids[sheet] = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False, nrows=200)
        col_letter, row = coordinate_from_string(coord)
        col = column_index_from_string(col_letter)
        grid = grids[sheet]
        if row <= len(grid) and col <= len(grid[row - 1]):
            values[name] = nz.clean_cell(grid[row - 1][col - 1])
    unit = values.get("meta_unit")
    return (str(unit) if unit is not None else None), nz.parse_year(values.get("meta_year"))


def defined_cell_names(path: Path | str, wanted: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Single-cell defined names from xl/workbook.xml without loading the workbook: name → (sheet, 'B5')."""
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    try:
        with zipfile.ZipFile(path) as z:
            part = next((n for n in z.namelist() if n.lower() == "xl/workbook.xml"), None)
            if part is None:
                return {}
            root = ElementTree.fromstring(z.read(part))
    except Exception:  # no names is not an error here: the caller falls back to --year
        return {}
    out = {}
    for dn in root.iter(f"{ns}definedName"):
        name = dn.get("name")
        if name in wanted and dn.get("localSheetId") is None:
            m = _REF.match((dn.text or "").strip())
            if m and not m.group(5):
                out[name] = ((m.group(1) or "").replace("''", "'") or m.group(2), f"{m.group(3)}{m.group(4)}")
    return out
