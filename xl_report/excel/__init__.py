"""Buttons inside Excel: 填报 · 校验 · 定稿 · 上报.

Desktop Excel with Python (VBA ``RunPython``)::

    RunPython "import xl_report.excel as x; x.fill()"

calls the entry points below on ``xw.Book.caller()``. Without Python on the clerk's PC, the same
buttons POST the book to ``xl-report serve`` (VBA ``RunServerPython``), which runs the same
:func:`run` on the remote engine (see :mod:`xl_report.excel.server`).
"""

from __future__ import annotations

from xl_report.excel.buttons import BUTTONS, TITLE, alert, plan, run
from xl_report.excel.snapshot import BookSnapshot, read_book, to_workbook


def _caller():
    import xlwings as xw  # lazy: xlwings (~0.8 s) only when a button runs in Excel

    return xw.Book.caller()


def fill(host: str | None = None) -> None:
    """填报: fill 表二/表三/表四 from the tally sheets of the calling workbook."""
    run(_caller(), "fill", host)


def check(host: str | None = None) -> None:
    """校验: write the 校验结果 sheet and highlight the cells involved."""
    run(_caller(), "check", host)


def freeze(host: str | None = None) -> None:
    """定稿: values and stamps, document properties and sheet protection (through our VBA Subs)."""
    run(_caller(), "freeze", host)


def send(host: str | None = None) -> None:
    """上报: produce the frozen deliverable with the library's freeze and mail it upward."""
    run(_caller(), "send", host)


__all__ = [
    "fill",
    "check",
    "freeze",
    "send",
    "run",
    "plan",
    "alert",
    "BUTTONS",
    "TITLE",
    "BookSnapshot",
    "read_book",
    "to_workbook",
]
