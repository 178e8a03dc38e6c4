"""Searching the XML of a package part this program wrote itself (template, add-in, summary)."""

from __future__ import annotations

import re
from typing import AnyStr


def expect(pattern: AnyStr | re.Pattern[AnyStr], text: AnyStr, pos: int = 0) -> re.Match[AnyStr]:
    """The first match of ``pattern`` in ``text`` from ``pos``. A part we built ourselves always has it:
    no match is a bug here (ValueError), never something wrong with the clerk's file."""
    m = re.compile(pattern).search(text, pos)
    if m is None:
        raise ValueError(f"expected {pattern!r} in our own XML")
    return m
