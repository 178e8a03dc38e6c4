"""Cell values of a published table: numbers, blanks ('/', '—', '无'), and annotated numbers."""

from __future__ import annotations

import re

from xl_report.published.importer.labels import compact

_BLANK_WORDS = {"", "无", "空", "/", "//", "\\", "×", "x", "X"}
_DASHES = re.compile(r"^[-_~]+$")
_NUMBER = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$")
_ITEM_LABEL = re.compile(r"^\(?\d{1,2}\)?[.、,:]\D")
_STARTS_NUMERIC = re.compile(r"^[+-]?\d")


def is_blank(text: str) -> bool:
    t = compact(text)
    return t in _BLANK_WORDS or bool(_DASHES.match(t))


def is_value(text: str) -> bool:
    """A value cell (number, blank marker, or annotated number) rather than a label."""
    t = compact(text)
    if is_blank(t):
        return True
    if _ITEM_LABEL.match(t):
        return False  # '1.属于国家秘密', '3、其他'
    return bool(_STARTS_NUMERIC.match(t))


def parse_value(text: str) -> tuple[object, str | None]:
    """(value, issue): issue is None, 'blank' or 'annotation' (the raw text is kept for the rules)."""
    if is_blank(text):
        return None, "blank"
    m = _NUMBER.match(compact(text))
    if m:
        digits = m.group(2).replace(",", "")
        if m.group(3):
            real = float(m.group(1) + digits + m.group(3))
            number: int | float = int(real) if real.is_integer() and not m.group(3).strip(".0") else real
        else:
            number = int(m.group(1) + digits)
        return number, None
    return text.strip(), "annotation"
