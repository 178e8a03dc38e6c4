"""Read the tally sheets (台账) of a workbook file with calamine: sheet grids → :func:`tally_from_frames`.

The file adapter of :mod:`xl_report.core.tally` (which parses, normalises and validates the grids).
"""
from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import cast

from defusedxml import ElementTree
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from python_calamine import CalamineError, CalamineWorkbook

from xl_report.core import normalise as nz
from xl_report.core.errors import InputError, Problem, TallyErrors
from xl_report.core.tally import HEADER_SCAN_ROWS, MAX_ROWS, Tally, tally_from_frames
from xl_report.core.tally_schema import TALLY_SHEETS
from xl_report.xlsx.safety import check_xlsx
from xl_report.xlsx.workbook import _REF


def read_tally(path: Path | str) -> Tally:
    """Read, normalise and validate the tally sheets of ``path``; TallyErrors lists every bad row."""
    path = check_xlsx(path)
    try:
        book = CalamineWorkbook.from_path(str(path))
        refuse_misnamed_sheets(book.sheet_names, path)
        frames = {}
        for sheet in TALLY_SHEETS:
            if sheet.name in book.sheet_names:
                frames[sheet.name] = _read_grid(book, sheet.name, path)
        if not frames:
            names = "、".join(s.name for s in TALLY_SHEETS)
            raise InputError.at(f"工作簿中没有任何台账工作表（应为：{names}）", file=str(path))
        unit, year = _read_meta(book, path)
    except CalamineError as e:  # a malformed part inside a well-formed zip
        raise InputError.at(f"无法读取工作簿（{e}）", file=str(path)) from None
    return tally_from_frames(frames, source=str(path), unit=unit, year=year)


def _sheet_key(name: str) -> str:
    return nz.key(name).replace("帐", "账")  # 台帐 is the older spelling of 台账


def refuse_misnamed_sheets(names: Sequence[str], path: Path) -> None:
    """'依申请公开台帐' or '收费台账 ' is meant as a tally sheet: read as absent, its table would silently
    keep the template's zeros (and freeze would keep its personal columns), so the clerk must rename it."""
    wanted = {_sheet_key(s.name): s.name for s in TALLY_SHEETS}
    problems = [Problem(f"工作表名应为“{wanted[_sheet_key(n)]}”，请改名后重试（名称不符的台账不会被统计）",
                        file=str(path), sheet=n)
                for n in names if n not in wanted.values() and _sheet_key(n) in wanted
                and wanted[_sheet_key(n)] not in names]
    if problems:
        raise TallyErrors(str(path), problems)


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _read_grid(book: CalamineWorkbook, name: str, path: Path) -> list[list[object]]:
    """The sheet as a grid from A1. python-calamine directly, i.e. the engine of
    ``pd.read_excel(engine="calamine")`` without pandas' per-cell Python conversion (~40% of the read):
    the values come typed as in Excel (text, float, date, bool; "" for empty) and nothing is inferred,
    so ids stay text and 'NA' stays 'NA'.
    """
    sheet = book.get_sheet_by_name(name)
    if sheet.total_height > MAX_ROWS + HEADER_SCAN_ROWS:
        raise InputError.at(f"行数超过 {MAX_ROWS:,} 行的上限，请检查是否误选了整列或粘贴了无关数据",
                            file=str(path), sheet=name)
    return cast(list[list[object]], sheet.to_python(skip_empty_area=False))  # list is invariant: typed cells


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
