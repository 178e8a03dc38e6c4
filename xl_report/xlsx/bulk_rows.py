"""Many plain rows into a sheet that openpyxl has just written: cell XML straight into ``<sheetData>``.

openpyxl spends ~50 µs per cell building and writing its cell objects; a 10,000-row ledger converted by
``adopt`` has ~150,000 cells. The rows that need openpyxl (highlights, comments) go through it; the rest are
written here as ``<row>`` XML and merged into its ``<sheetData>`` in row order while the package is saved
(:func:`xl_report.xlsx.fileio.save_workbook`'s ``rewrite``). Text is always inline text (never a formula).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from html import escape  # xml.sax.saxutils's escape (&, <, >) without its urllib, http and email imports

from xl_report.core.a1 import column_letter
from xl_report.core.normalise import excel_serial

XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # XML 1.0 cannot carry them
_TEXT: dict[str, str] = {}  # text → its XML: categories and dates repeat row after row
_ROW = re.compile(rb'<row r="(\d+)"[^>]*?(?:/>|>.*?</row>)', re.S)
_COL_STYLE = re.compile(
    rb'<col [^>]*?min="(\d+)" max="(\d+)"[^>]*?style="(\d+)"|'
    rb'<col [^>]*?style="(\d+)"[^>]*?min="(\d+)" max="(\d+)"'
)


def cell_xml(ref: str, value: object, style: str = "") -> str:
    """One ``<c>``: text inline, numbers and dates as numbers (``style``: e.g. ``' s="3"'`` for a date)."""
    if isinstance(value, str):
        text = _TEXT.get(value)
        if text is None:
            text = escape(XML_ILLEGAL.sub("", value), quote=False)
            if len(_TEXT) < 50_000:
                _TEXT[value] = text
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (datetime, date)):
        return f'<c r="{ref}"{style}><v>{number_text(excel_serial(value))}</v></c>'
    return f'<c r="{ref}"><v>{number_text(value)}</v></c>'  # type: ignore[arg-type]


def number_text(value: int | float) -> str:
    """A number as a cell's ``<v>`` holds it: a whole float without ".0", others as Python writes them."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def row_xml(r: int, cells: Iterable[tuple[int, object]], styles: dict[int, str]) -> str:
    """A ``<row>`` of (1-based column, value) pairs; ``styles``: column → style attribute for dates."""
    body = "".join(cell_xml(f"{column_letter(j)}{r}", v, styles.get(j, "")) for j, v in cells)
    return f'<row r="{r}">{body}</row>'


def column_styles(sheet_xml: bytes) -> dict[int, str]:
    """Column → ``' s="N"'`` of the sheet's ``<col>`` styles (the template's date columns carry theirs)."""
    out: dict[int, str] = {}
    for m in _COL_STYLE.finditer(sheet_xml):
        lo, hi, s = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(5), m.group(6), m.group(4))
        for j in range(int(lo), int(hi) + 1):
            out[j] = f' s="{s.decode()}"'
    return out


def merge_rows(sheet_xml: bytes, rows: dict[int, str], last_col: int) -> Iterator[bytes]:
    """The sheet with ``rows`` (row number → ``<row>`` XML) merged into its ``<sheetData>`` in order."""
    start = sheet_xml.find(b"<sheetData")
    open_end = sheet_xml.find(b">", start) + 1
    empty = sheet_xml[open_end - 2 : open_end] == b"/>"
    close = open_end if empty else sheet_xml.find(b"</sheetData>", open_end)
    head = sheet_xml[:start] + b"<sheetData>"
    existing = {int(m.group(1)): m.group(0) for m in _ROW.finditer(sheet_xml, open_end, close)}
    last_row = max([*existing, *rows, 1])
    head = re.sub(
        rb'<dimension ref="[^"]*"/>',
        f'<dimension ref="A1:{column_letter(last_col)}{last_row}"/>'.encode(),
        head,
        count=1,
    )
    yield head
    batch: list[bytes] = []
    for r in sorted(existing.keys() | rows.keys()):
        batch.append(existing[r] if r in existing else rows[r].encode("utf-8"))
        if len(batch) >= 2000:
            yield b"".join(batch)
            batch = []
    yield b"".join(batch)
    yield b"</sheetData>" + sheet_xml[close + (0 if empty else len(b"</sheetData>")) :]
