"""A live xlwings Book -> an openpyxl workbook the file-based library can work on.

Works on every engine (desktop COM for ``RunPython``, the remote engine for the server): it only
reads sheet values and named ranges, in one pass, before anything is written.

The openpyxl copy is the template (formats, formulas, names, validation) overlaid with the book's
values: the book is the truth for every value, the template for every formula (Excel sends a
formula's *result*, never the formula).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openpyxl.cell.cell import MergedCell
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.workbook.workbook import Workbook

from xl_report.core import form
from xl_report.core.errors import InputError
from xl_report.xlsx.template import build_template
from xl_report.xlsx.workbook import resolve_names, set_text


@dataclass
class SheetValues:
    name: str
    row: int  # 1-based position of values[0][0]
    column: int
    values: list[list[object]]

    def get(self, row: int, column: int) -> object:
        i, j = row - self.row, column - self.column
        if 0 <= i < len(self.values) and 0 <= j < len(self.values[i]):
            return self.values[i][j]
        return None

    @property
    def last_row(self) -> int:
        return self.row + len(self.values) - 1

    @property
    def last_column(self) -> int:
        return self.column + max((len(r) for r in self.values), default=0) - 1


@dataclass
class BookSnapshot:
    name: str
    sheets: list[SheetValues]
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # book-scope name -> (sheet, "B14")

    def sheet(self, name: str) -> SheetValues | None:
        return next((s for s in self.sheets if s.name == name), None)

    def value(self, cell_name: str) -> object:
        if cell_name not in self.names:
            return None
        sheet, coord = self.names[cell_name]
        s = self.sheet(sheet)
        if s is None:
            return None

        return s.get(*coordinate_to_tuple(coord.split(":")[0]))

    @property
    def frozen(self) -> bool:
        v = self.value("meta_fingerprint")
        return isinstance(v, str) and bool(v.strip())


def read_book(book) -> BookSnapshot:
    """Every sheet's used-range values and every book-scope named range of ``book``."""
    sheets = []
    for sheet in book.sheets:
        used = sheet.used_range
        values = used.options(ndim=2).value or [[]]
        sheets.append(SheetValues(sheet.name, used.row, used.column, [list(r) for r in values]))
    names: dict[str, tuple[str, str]] = {}
    for n in book.names:
        if "!" in n.name:  # sheet-scoped (Print_Area, _FilterDatabase): not ours
            continue
        try:
            rng = n.refers_to_range
        except Exception:  # constants / formulas: no range
            continue
        names[n.name] = (rng.sheet.name, rng.address.replace("$", ""))
    return BookSnapshot(book.name, sheets, names)


def template_workbook() -> Workbook:
    """A fresh template (building it is faster than parsing a saved copy: openpyxl binds merges slowly)."""

    return build_template()


def check_structure(snapshot: BookSnapshot, template: Workbook) -> None:
    """Refuse a book whose report cells are not where the template has them (InputError)."""
    expected = resolve_names(template)
    wanted = list(form.CELL_NAMES) + [m.name for m in form.META_FIELDS]
    missing = [n for n in wanted if n not in snapshot.names]
    if len(missing) == len(wanted):
        raise InputError.at(
            "当前工作簿不是年报填报工作簿（找不到表二、表三、表四的单元格名称）。请在“年报模板”工作簿中点击按钮",
            file=snapshot.name,
        )
    if missing:
        raise InputError.at(
            f"工作簿缺少 {len(missing)} 个单元格名称（如 {missing[0]}），可能删除或改动了表格结构，请用新模板重新填写",
            file=snapshot.name,
        )
    for n in wanted:
        if n in expected and snapshot.names[n] != (expected[n][0], expected[n][1]):
            sheet, coord = snapshot.names[n]
            if sheet != expected[n][0] and snapshot.sheet(expected[n][0]) is None:
                raise InputError.at(
                    f"工作表“{expected[n][0]}”被改名为“{sheet}”，请把工作表名改回“{expected[n][0]}”后再点击按钮",
                    file=snapshot.name,
                )
            raise InputError.at(
                f"单元格名称 {n} 在“{sheet}”{coord}，而模板中在“{expected[n][0]}”{expected[n][1]}："
                "表格结构被改动（插入或删除了行列），请用新模板重新填写",
                file=snapshot.name,
            )


def to_workbook(snapshot: BookSnapshot) -> Workbook:
    """The template overlaid with the book's values, sheets in the book's order."""
    wb = template_workbook()
    check_structure(snapshot, wb)
    for title in list(wb.sheetnames):
        if snapshot.sheet(title) is None:
            wb.remove(wb[title])
    for s in snapshot.sheets:
        ws = wb[s.name] if s.name in wb.sheetnames else wb.create_sheet(s.name)
        last_row = max(ws.max_row, s.last_row)
        last_col = max(ws.max_column, s.last_column)
        for row in ws.iter_rows(min_row=1, max_row=last_row, min_col=1, max_col=last_col):
            for c in row:
                if isinstance(c, MergedCell) or c.data_type == "f":
                    continue  # merged: no value of its own; formula: the template's, Excel sent its result
                v = s.get(c.row, c.column)
                if isinstance(v, str):
                    set_text(c, v if v.strip() else None)
                else:
                    c.value = v
    wb._sheets = [wb[s.name] for s in snapshot.sheets]  # the book's order
    wb.active = 0
    return wb
