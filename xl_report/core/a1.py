"""A1 references without openpyxl: column letters and numbers, a cell's coordinate, a range's bounds.

Every reader and writer of the package XML (the batch's workers, the reader view, the tally reader, the
rules' cell locations) takes its coordinates from here; the workers never load openpyxl (~50 ms of a
process's start). The answers are openpyxl's (``openpyxl.utils.cell``), errors included as ValueError:
tests/test_openpyxl_parity.py holds them equal, since the openpyxl paths of fill and freeze write the same workbooks.
"""

from __future__ import annotations

import functools
import re

MAX_COLUMN = 18278  # ZZZ: the last column openpyxl (and so this module) accepts
_CELL = re.compile(r"^[$]?([A-Za-z]{1,3})[$]?(\d+)$")
_RANGE = re.compile(
    r"^[$]?(?P<min_col>[A-Za-z]{1,3})?[$]?(?P<min_row>\d+)?(:[$]?(?P<max_col>[A-Za-z]{1,3})?[$]?(?P<max_row>\d+)?)?$"
)


@functools.cache
def column_letter(index: int) -> str:
    """1 -> "A", 27 -> "AA"."""
    if not 1 <= index <= MAX_COLUMN:
        raise ValueError(f"Invalid column index {index}")
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@functools.cache
def column_index(letters: str) -> int:
    """ "A" -> 1, "aa" -> 27."""
    index = 0
    if 0 < len(letters) <= 3:
        for ch in letters.upper():
            if not "A" <= ch <= "Z":
                index = 0
                break
            index = index * 26 + ord(ch) - 64
    if not 0 < index <= MAX_COLUMN:
        raise ValueError(f"'{letters}' is not a valid column name. Column names are from A to ZZZ")
    return index


def split_cell(coord: str) -> tuple[str, int]:
    """ "B12" (or "$B$12") -> ("B", 12)."""
    m = _CELL.match(coord)
    if not m or not int(m.group(2)):
        raise ValueError(f"Invalid cell coordinates ({coord})")
    return m.group(1), int(m.group(2))


def cell_position(coord: str) -> tuple[int, int]:
    """ "B12" -> (column 2, row 12)."""
    letters, row = split_cell(coord)
    return column_index(letters), row


def range_bounds(ref: str) -> tuple[int | None, int | None, int | None, int | None]:
    """ "B3:D22" -> (min column, min row, max column, max row); a cell is a range of one; a whole column
    ("A:C") or row ("3:5") has None for what it leaves open."""
    m = _RANGE.match(ref)
    if not m:
        raise ValueError(f"{ref} is not a valid coordinate or range")
    min_col, min_row, sep, max_col, max_row = m.group("min_col", "min_row", 3, "max_col", "max_row")
    if sep:
        cols, rows = (min_col, max_col), (min_row, max_row)
        if not (all(cols + rows) or (all(cols) and not any(rows)) or (all(rows) and not any(cols))):
            raise ValueError(f"{ref} is not a valid coordinate or range")
    c0 = column_index(min_col) if min_col is not None else None
    r0 = int(min_row) if min_row is not None else None
    c1 = column_index(max_col) if max_col is not None else c0
    r1 = int(max_row) if max_row is not None else r0
    return c0, r0, c1, r1


def cell_box(ref: str) -> tuple[int, int, int, int]:
    """:func:`range_bounds` of a cell or a range of cells (every bound given): (min col, min row, max col, max row)."""
    c0, r0, c1, r1 = range_bounds(ref)
    if c0 is None or r0 is None or c1 is None or r1 is None:
        raise ValueError(f"{ref} is not a range of cells")
    return c0, r0, c1, r1


def reading_order(ref: object) -> tuple[int, int]:
    """A sort key: (row, column) of a cell or of a range's first cell; (0, 0) when not a reference (a
    stored record read back may hold anything)."""
    try:
        c0, r0, _, _ = range_bounds(ref)  # type: ignore[arg-type]  # not a str: TypeError, (0, 0)
    except (ValueError, TypeError):
        return 0, 0
    return r0 or 0, c0 or 0
