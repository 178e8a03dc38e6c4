"""README's command table (between its ``<!-- commands -->`` markers), declared beside each command.

A command module puts ``@readme_row(usage, what)`` above its ``@app.command``; ``python -m xl_report.cli.docs``
writes the rows into README.md in the order the commands are registered (the order of ``--help``), and a test
fails when a command has no row or README is stale. A new option: add it to the usage (or mention it in
``what``) — the test checks that every option of a command is mentioned in its row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

F = TypeVar("F", bound=Callable)


@dataclass(frozen=True)
class Row:
    usage: str  # Markdown, e.g. "`xl-report fill 工作簿.xlsx [-o 输出.xlsx]`"
    what: str  # Chinese, for the clerk (Markdown)

    @property
    def command(self) -> str:
        return self.usage.strip("`").split()[1]


ROWS: list[Row] = []


def readme_row(usage: str, what: str) -> Callable[[F], F]:
    """Declare the command's README row; the function is returned unchanged."""

    def register(fn: F) -> F:
        ROWS.append(Row(usage, what))
        return fn

    return register


def markdown_table() -> str:
    lines = ["| 命令 | 作用 |", "|---|---|"]
    lines += [f"| {row.usage} | {row.what} |" for row in ROWS]
    return "\n".join(lines) + "\n"
