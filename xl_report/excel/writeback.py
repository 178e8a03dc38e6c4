"""Diff two openpyxl workbooks (before / after a library call) into writes a live Book can replay.

Only what xlwings' VBA client (``Remote.bas``) replays is produced: values (setValues), cleared
cells (rangeClearContents), fill colours (setRangeColor), number formats (setNumberFormat), new
sheets (addSheet, always appended) and deleted sheets (sheetDelete). Cells are grouped into
rectangles so a filled table is a handful of actions, not hundreds.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl.cell.cell import MergedCell
from openpyxl.workbook.workbook import Workbook

Rect = tuple[int, int, int, int]  # first row, first column, last row, last column (1-based)


@dataclass
class Plan:
    deleted_sheets: list[str] = field(default_factory=list)
    new_sheets: list[str] = field(default_factory=list)
    values: list[tuple[str, Rect, list[list[object]]]] = field(default_factory=list)
    clears: list[tuple[str, Rect]] = field(default_factory=list)
    colors: list[tuple[str, Rect, str]] = field(default_factory=list)
    formats: list[tuple[str, Rect, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.deleted_sheets or self.new_sheets or self.values or self.clears or self.colors or self.formats)


_LOOKS_PARSED = re.compile(r"^\s*([-+]?[\d.,%]+(?:[eE][-+]?\d+)?|\d{1,4}[-/.年]\d{1,2}.*|true|false|#.*)\s*$", re.I)


def excel_literal(text: str) -> str:
    """Text that Excel must keep as text when assigned to Range.Value (no formula, number or date).

    A leading apostrophe is Excel's own "this is text" marker and is not part of the value.
    """
    if text and (text[0] in "=+-@'" or _LOOKS_PARSED.match(text)):
        return "'" + text
    return text


def _value(cell) -> object:
    v = cell.value
    if isinstance(v, str) and cell.data_type != "f":
        return v if v != "" else None
    return v


def _write_value(cell) -> object:
    v = _value(cell)
    if isinstance(v, str) and cell.data_type != "f":
        return excel_literal(v)
    if isinstance(v, datetime) and v.time() == datetime.min.time():
        return v.date()
    return v


def _rgb(cell) -> str | None:
    fill = cell.fill
    if fill is None or fill.fill_type != "solid":
        return None
    rgb = fill.fgColor.rgb if fill.fgColor is not None and fill.fgColor.type == "rgb" else None
    return f"#{rgb[-6:].lower()}" if isinstance(rgb, str) else None


def _same(a: object, b: object) -> bool:
    if isinstance(a, (datetime, date)) and isinstance(b, (datetime, date)):
        return a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) < 1e-9
    return a == b


def rectangles(cells: dict[tuple[int, int], object]) -> list[tuple[Rect, object]]:
    """Group (row, column) -> key into rectangles of equal key: row runs first, then stacked runs."""
    runs: dict[tuple[int, int, object], list[int]] = {}  # (first col, last col, key) -> rows
    by_row: dict[int, list[int]] = {}
    for row, col in cells:
        by_row.setdefault(row, []).append(col)
    for r in sorted(by_row):
        cols = sorted(by_row[r])
        start = prev = cols[0]
        for c in [*cols[1:], None]:
            if c is not None and c == prev + 1 and _key(cells[(r, c)]) == _key(cells[(r, start)]):
                prev = c
                continue
            runs.setdefault((start, prev, _key(cells[(r, start)])), []).append(r)
            if c is not None:
                start = prev = c
    out: list[tuple[Rect, object]] = []
    for (c1, c2, _value), rows in runs.items():
        first = last = rows[0]
        for nxt in [*rows[1:], None]:
            if nxt is not None and nxt == last + 1:
                last = nxt
                continue
            out.append(((first, c1, last, c2), cells[(first, c1)]))
            if nxt is not None:
                first = last = nxt
    return sorted(out, key=lambda x: x[0])


def _key(v: object) -> object:
    return v if isinstance(v, str) and v.startswith("#") else True  # colours/formats group by value


def diff(before: Workbook, after: Workbook, *, recolor: Collection[tuple[str, str]] = frozenset()) -> Plan:
    """The writes that turn ``before`` into ``after``. ``recolor``: (sheet, A1) whose fill is sent even
    when unchanged (the live book may carry an old highlight the snapshot cannot see)."""
    plan = Plan()
    plan.deleted_sheets = [t for t in before.sheetnames if t not in after.sheetnames]
    plan.new_sheets = [t for t in after.sheetnames if t not in before.sheetnames]
    for ws in after.worksheets:
        old = before[ws.title] if ws.title in before.sheetnames else None
        changed: dict[tuple[int, int], object] = {}
        cleared: dict[tuple[int, int], object] = {}
        colors: dict[tuple[int, int], object] = {}
        formats: dict[tuple[int, int], object] = {}
        max_row = max(ws.max_row, old.max_row if old is not None else 0)
        max_col = max(ws.max_column, old.max_column if old is not None else 0)
        for row in ws.iter_rows(min_row=1, max_row=max_row, min_col=1, max_col=max_col):
            for c in row:
                if isinstance(c, MergedCell):
                    continue
                o = old[c.coordinate] if old is not None else None
                new_v, old_v = _value(c), (_value(o) if o is not None and not isinstance(o, MergedCell) else None)
                if new_v is None and old_v is not None:
                    cleared[(c.row, c.column)] = True
                elif new_v is not None and not _same(new_v, old_v):
                    changed[(c.row, c.column)] = True
                rgb = _rgb(c)
                if rgb and (rgb != (_rgb(o) if o is not None else None) or (ws.title, c.coordinate) in recolor):
                    colors[(c.row, c.column)] = rgb
                fmt = c.number_format
                if fmt != (o.number_format if o is not None else "General") and fmt != "General":
                    formats[(c.row, c.column)] = "#" + fmt  # '#' marks a grouping key
        for rect, _ in rectangles(changed):
            r1, c1, r2, c2 = rect
            plan.values.append(
                (ws.title, rect, [[_write_value(ws.cell(r, c)) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)])
            )
        plan.clears += [(ws.title, rect) for rect, _ in rectangles(cleared)]
        plan.colors += [(ws.title, rect, str(key)) for rect, key in rectangles(colors)]
        plan.formats += [(ws.title, rect, str(key)[1:]) for rect, key in rectangles(formats)]
    return plan


def apply(book, plan: Plan) -> None:
    """Queue (remote engine) or perform (desktop) the plan's writes on a live xlwings Book."""
    for title in plan.deleted_sheets:
        book.sheets[title].delete()
    for title in plan.new_sheets:
        book.sheets.add(title, after=book.sheets[len(book.sheets) - 1])
    for title, (r1, c1, r2, c2), rows in plan.values:
        book.sheets[title].range((r1, c1), (r2, c2)).value = rows
    for title, (r1, c1, r2, c2) in plan.clears:
        book.sheets[title].range((r1, c1), (r2, c2)).clear_contents()
    for title, (r1, c1, r2, c2), fmt in plan.formats:
        book.sheets[title].range((r1, c1), (r2, c2)).number_format = fmt
    for title, (r1, c1, r2, c2), rgb in plan.colors:
        book.sheets[title].range((r1, c1), (r2, c2)).color = rgb
