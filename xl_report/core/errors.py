"""Errors a user can cause, with Chinese messages that name the file, sheet, row and column.

The CLI turns these into one line on stderr and exit code 2; they never show a traceback.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_FINDINGS = 1  # the check found errors / a unit failed
EXIT_INPUT = 2  # unusable input


def printable(text: str) -> str:
    """``text`` safe to show on a terminal: control and format characters (ESC, BEL, the ``_x001B_``
    escapes openpyxl decodes, bidi overrides, zero-width marks) written as ``\\x1b`` / ``\\u202e``;
    line breaks kept (messages are multi-line)."""
    if _PLAIN.fullmatch(text):
        return text  # the usual case: nothing to escape
    return "".join(
        ch
        if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf")
        else (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        for ch in text
    )


_PLAIN = re.compile(
    r"[^\x00-\x09\x0b-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f"
    r"\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]*",
    re.S,
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    reason: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None  # Excel row number (1-based)
    column: str | None = None  # column header (or letter when there is no header)
    value: object = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"文件“{Path(self.file).name}”")
        if self.sheet:
            where.append(f"工作表“{self.sheet}”")
        if self.row is not None:
            where.append(f"第{self.row}行")
        if self.column:
            where.append(f"“{self.column}”列")
        head = "，".join(where)
        val = "" if self.value in (None, "") else f"（值：{_short(self.value)}）"
        return printable(f"{head}：{self.reason}{val}" if head else f"{self.reason}{val}")


def _short(value: object, limit: int = 40) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class XlReportError(Exception):
    """Base class: an expected failure with a message meant for the clerk."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])

    def __str__(self) -> str:
        if not self.problems:
            return printable(self.message)
        lines = [self.message] + [f"  - {p}" for p in self.problems]
        return printable("\n".join(lines))


class InputError(XlReportError):
    """The input cannot be used (exit 2)."""

    @classmethod
    def at(cls, reason: str, **where) -> InputError:
        p = Problem(reason, **where)
        return cls(str(p), [])


class TallyErrors(InputError):
    """Every bad row of a tally, reported at once (exit 2, nothing written)."""

    def __init__(self, file: str, problems: list[Problem]):
        super().__init__(f"台账“{Path(file).name}”有 {len(problems)} 处错误，未写入任何文件：", problems)
