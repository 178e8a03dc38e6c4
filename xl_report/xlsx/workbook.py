"""openpyxl adapter: read and write ReportData through the workbook's defined names.

Cells are addressed only by the names of ``cell-names.md`` (resolved from the workbook itself), so a
workbook whose layout differs but whose names are right works too.
"""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl.packaging.custom import StringProperty
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter, range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from xl_report.core import form
from xl_report.core.errors import InputError
from xl_report.core.normalise import one_line, parse_date, parse_year
from xl_report.core.report import ReportData
from xl_report.xlsx.fillstate import FILL_PROPERTIES
from xl_report.xlsx.names import Names, parse_ref, resolve_names
from xl_report.xlsx.safety import load_workbook_safely

__all__ = [
    "resolve_names",
    "parse_ref",
    "read_report",
    "read_report_file",
    "write_report",
    "cell_value",
    "open_workbook",
    "read_narrative",
    "write_narrative",
    "set_text",
    "record_fill",
    "sum_formula",
]


def _cell(wb: Workbook, names: Names, name: str):
    sheet, coord = names[name]
    if sheet not in wb.sheetnames:
        return None
    return wb[sheet][coord.split(":")[0]]


# --------------------------------------------------------------------------------------------
# Formula evaluation: the template's totals are SUM formulas; openpyxl files carry no cached
# values, so they are recomputed here (only SUM, + and - over cells and numbers are supported).
# --------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"\s*(SUM\(|[A-Z]{1,3}\d+(?::[A-Z]{1,3}\d+)?|\d+(?:\.\d+)?|[-+,()])", re.I)


class _Unsupported(Exception):
    pass


MAX_FORMULA_CELLS = 100_000  # cells one formula may look at, nested formulas included (hostile files)


def evaluate(ws: Worksheet, formula: str, depth: int = 0, budget: list[int] | None = None) -> float | int:
    """Evaluate a small SUM/+/- formula on ``ws``. Raises _Unsupported for anything else, and for a
    formula that would look at more than MAX_FORMULA_CELLS cells (nested SUMs over big ranges)."""
    if depth > 5:
        raise _Unsupported(formula)
    budget = [MAX_FORMULA_CELLS] if budget is None else budget
    text = formula[1:] if formula.startswith("=") else formula
    tokens, pos = [], 0
    while pos < len(text.rstrip()):
        m = _TOKEN.match(text, pos)
        if not m:
            raise _Unsupported(formula)
        tokens.append(m.group(1).upper())
        pos = m.end()
    total, sign, sum_sign = 0.0, 1, None  # sum_sign: the sign in front of an open SUM(
    for tok in tokens:
        if tok == "SUM(":
            if sum_sign is not None:
                raise _Unsupported(formula)
            sum_sign, sign = sign, 1
        elif tok == ")":
            if sum_sign is None:
                raise _Unsupported(formula)
            sum_sign = None
        elif tok == ",":
            if sum_sign is None:
                raise _Unsupported(formula)
        elif tok in "+-":
            if sum_sign is not None:
                raise _Unsupported(formula)
            sign = -1 if tok == "-" else 1
        else:
            term = float(tok) if tok[0].isdigit() else _range_sum(ws, tok, depth, budget)
            total += (sum_sign if sum_sign is not None else sign) * term
            sign = 1
    if sum_sign is not None:
        raise _Unsupported(formula)
    return int(total) if total.is_integer() else round(total, 4)


def _range_sum(ws: Worksheet, ref: str, depth: int, budget: list[int]) -> float:
    total = 0.0
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    for c in _range_cells(ws, min_col, min_row, max_col, max_row, budget):
        v = c.value
        if isinstance(v, str) and v.startswith("=") and c.data_type == "f":
            v = evaluate(ws, v, depth + 1, budget)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            total += v
    return total


def _range_cells(ws: Worksheet, min_col: int, min_row: int, max_col: int, max_row: int, budget: list[int]):
    """The cells of the range that exist, row by row. Never creates cells (ws.iter_rows would: a hostile
    =SUM(A1:XFD1048576) took minutes and gigabytes); a big range scans the existing cells instead."""
    cells = ws._cells  # (row, col) -> Cell
    area = (max_col - min_col + 1) * (max_row - min_row + 1)
    budget[0] -= min(area, len(cells))
    if budget[0] < 0:
        raise _Unsupported(f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}")
    if area <= len(cells):
        found = (cells.get((r, col)) for r in range(min_row, max_row + 1) for col in range(min_col, max_col + 1))
        return [c for c in found if c is not None]
    return [c for (r, col), c in sorted(cells.items()) if min_row <= r <= max_row and min_col <= col <= max_col]


def sum_formula(coords: list[str]) -> str:
    """=SUM(...) over same-sheet coordinates, as one A1:B1 run when they are contiguous."""
    pts = [(column_index_from_string(c), r) for c, r in map(coordinate_from_string, coords)]
    cols, rows = [c for c, _ in pts], [r for _, r in pts]
    contiguous = (len(set(rows)) == 1 and cols == list(range(cols[0], cols[0] + len(cols)))) or (
        len(set(cols)) == 1 and rows == list(range(rows[0], rows[0] + len(rows)))
    )
    return f"=SUM({coords[0]}:{coords[-1]})" if contiguous else f"=SUM({','.join(coords)})"


def cell_value(ws: Worksheet, cell) -> object:
    """The value a reader sees: numbers, text, None; formulas computed when we can."""
    v = cell.value
    if isinstance(v, str) and v.startswith("=") and cell.data_type == "f":
        try:
            return evaluate(ws, v)
        except _Unsupported:
            return v
    if isinstance(v, str):
        s = v.strip()
        return s if s else None
    return v


# --------------------------------------------------------------------------------------------
# Read
# --------------------------------------------------------------------------------------------


def open_workbook(path: Path | str, **kwargs) -> Workbook:
    return load_workbook_safely(path, **kwargs)


def read_report(wb: Workbook, source: str | None = None) -> ReportData:
    names = resolve_names(wb)
    data = ReportData(source=source)
    for name in form.CELL_NAMES:
        if name not in names or names[name][0] not in wb.sheetnames:
            data.missing.append(name)
            continue
        sheet, coord = names[name]
        data.locations[name] = (sheet, coord)
        ws = wb[sheet]
        data.values[name] = cell_value(ws, ws[coord])
    meta = {}
    for field in form.META_FIELDS:
        if field.name in names and names[field.name][0] in wb.sheetnames:
            c = _cell(wb, names, field.name)
            meta[field.name] = cell_value(c.parent, c)
            data.locations[field.name] = names[field.name]
    data.unit = one_line(meta.get("meta_unit"))
    data.year = parse_year(meta.get("meta_year"))
    data.contact = one_line(meta.get("meta_contact"))
    data.level = one_line(meta.get("meta_level"))
    data.published = parse_date(meta.get("meta_published"))
    data.narrative = read_narrative(wb, names)
    return data


def read_narrative(wb: Workbook, names: Names | None = None, *, cells: bool = False) -> dict[str, list]:
    """Section -> paragraphs; with ``cells=True`` each paragraph is (A1, text) (for located findings)."""
    names = names if names is not None else resolve_names(wb)
    out: dict[str, list] = {}
    for key, name in form.NARRATIVE_NAMES.items():
        found = _narrative_cells(wb, names, name)
        if found is None:
            continue
        paras: list[tuple[str, str] | str] = []
        for c in found:
            if c.value is not None and str(c.value).strip():
                text = str(c.value).strip()
                paras.append((c.coordinate, text) if cells else text)
        out[key] = paras
    return out


def _narrative_cells(wb: Workbook, names: Names, name: str) -> list | None:
    """The cells of a narrative name (one paragraph each; a single cell or a range), None when absent."""
    if name not in names or names[name][0] not in wb.sheetnames:
        return None
    sheet, coord = names[name]
    ws = wb[sheet]
    return [c for row in ws[coord] for c in row] if ":" in coord else [ws[coord]]


def read_report_file(path: Path | str) -> ReportData:
    """The report in a 年报 workbook: 说明, 表二/表三/表四 by cell name, 正文 (a hostile file is refused first)."""
    wb = open_workbook(path)
    try:
        return read_report(wb, source=str(path))
    finally:
        wb.close()


# --------------------------------------------------------------------------------------------
# Write
# --------------------------------------------------------------------------------------------


def record_fill(wb: Workbook, props: dict[str, object]) -> None:
    """Write (or replace) the fill record (:mod:`xl_report.xlsx.fillstate`) of an openpyxl book."""
    for name in [p.name for p in wb.custom_doc_props if p.name in FILL_PROPERTIES]:
        del wb.custom_doc_props[name]
    for name, value in props.items():
        wb.custom_doc_props.append(StringProperty(name=name, value=str(value)))


def set_text(cell, value: str | None) -> None:
    """Store text as text: a value like '=HYPERLINK(...)' must never become a formula."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def write_report(
    data: ReportData,
    wb: Workbook,
    *,
    tables: tuple[str, ...] | None = None,
    meta: bool = True,
    narrative: bool = False,
    totals: str = "formula",
) -> list[str]:
    """Write ``data`` into ``wb`` by name. Returns the names written.

    With ``totals="formula"`` computed (总计) cells keep — or get back — the template's SUM formula,
    so Excel recomputes them. With ``totals="values"`` they get the value in ``data`` as it is: an
    imported published report keeps its printed totals, so the check can catch a wrong one.
    """
    names = resolve_names(wb)
    missing = [n for n in form.CELL_NAMES if n not in names]
    if missing:
        raise InputError.at(f"工作簿缺少 {len(missing)} 个单元格名称（如 {missing[0]}），不是本工具的年报模板")
    written = []
    for cell_def in form.CELLS:
        if tables is not None and cell_def.table not in tables:
            continue
        c = _cell(wb, names, cell_def.name)
        if c is None:
            continue
        if totals == "formula" and cell_def.computed and cell_def.name in form.COMPUTED_FROM:
            c.value = _sum_formula(names, cell_def.name)
        else:
            v = data.values.get(cell_def.name)
            if isinstance(v, str):
                set_text(c, v)
            else:
                c.value = v
        written.append(cell_def.name)
    if meta:
        for field, value in (
            ("meta_unit", data.unit),
            ("meta_year", data.year),
            ("meta_contact", data.contact),
            ("meta_level", data.level),
            ("meta_published", data.published),
        ):
            c = _cell(wb, names, field) if value is not None and field in names else None
            if c is not None:
                if isinstance(value, str):
                    set_text(c, value)
                else:
                    c.value = value
    if narrative:
        write_narrative(wb, data.narrative, names)
    return written


def write_narrative(wb: Workbook, narrative: dict[str, list[str]], names=None) -> None:
    names = names if names is not None else resolve_names(wb)
    for key, paras in narrative.items():
        cells = _narrative_cells(wb, names, form.NARRATIVE_NAMES.get(key, ""))
        if not cells:
            continue
        if len(paras) > len(cells):  # more paragraphs than rows: join the overflow into the last cell
            paras = paras[: len(cells) - 1] + ["\n".join(paras[len(cells) - 1 :])]
        for i, c in enumerate(cells):
            set_text(c, paras[i] if i < len(paras) else None)


def _sum_formula(names: Names, name: str) -> str:
    return sum_formula([names[p][1] for p in form.COMPUTED_FROM[name]])
