"""Write tally workbooks for tests: real clerk workbooks (a copy of the template) or bare .xlsx files.

    make_tally_workbook(path, requests=[{"编号": "1", "收到日期": date(2023, 3, 5), ...}], year=2023)

Rows are dicts keyed by the tally header (xl_report.core.tally_schema); values are written as given
(dates as Excel dates, text always as text — a value like '=HYPERLINK(...)' stays text).
A sheet argument left as None keeps the sheet as the base has it: present and empty in the
template, absent in a bare workbook. ``drop`` removes sheets (by key or name) to test absent sheets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path

import openpyxl
from openpyxl.workbook.workbook import Workbook

from xl_report.core import form
from xl_report.core.tally_schema import TALLY_SHEETS, TallySheet
from xl_report.xlsx.fileio import save_workbook
from xl_report.xlsx.template import build_template
from xl_report.xlsx.workbook import resolve_names, set_text

Row = Mapping[str, object]
SHEET_KEYS = {s.key: s for s in TALLY_SHEETS}


def make_tally_workbook(
    path: Path | str,
    *,
    requests: Sequence[Row] | None = None,
    documents: Sequence[Row] | None = None,
    decisions: Sequence[Row] | None = None,
    fees: Sequence[Row] | None = None,
    cases: Sequence[Row] | None = None,
    unit: str | None = None,
    year: int | str | None = None,
    base_template: bool = True,
    drop: Iterable[str] = (),
    title: str | None = None,
    totals_row: bool = False,
    blank_rows: int = 0,
    extra_column: str | None = None,
    values: Mapping[str, object] | None = None,
) -> Path:
    """Write a tally workbook and return its path.

    title: a merged title row written above each filled sheet's header (the header moves to row 2).
    totals_row: a trailing '合计' row under each filled sheet's data.
    blank_rows: blank rows between the header and the data.
    extra_column: an extra (unknown) column appended after the schema columns, with 'x' in every row.
    values: report cells typed by hand (cell name → value), e.g. to check that absent sheets keep them.
    """
    path = Path(path)
    wb = build_template() if base_template else _bare_workbook()
    given = {"requests": requests, "documents": documents, "decisions": decisions, "fees": fees, "cases": cases}
    for key, rows in given.items():
        if rows is None:
            continue
        sheet = SHEET_KEYS[key]
        ws = wb[sheet.name] if sheet.name in wb.sheetnames else wb.create_sheet(sheet.name)
        write_rows(
            ws, sheet, rows, title=title, totals_row=totals_row, blank_rows=blank_rows, extra_column=extra_column
        )
    for item in drop:
        name = SHEET_KEYS[item].name if item in SHEET_KEYS else item
        if name in wb.sheetnames:
            del wb[name]
    names = resolve_names(wb)
    for name, value in ({"meta_unit": unit, "meta_year": year} | dict(values or {})).items():
        if value is not None and name in names:
            sheet, coord = names[name]
            cell = wb[sheet][coord]
            set_text(cell, value) if isinstance(value, str) else setattr(cell, "value", value)
    save_workbook(wb, path)
    return path


def _bare_workbook() -> Workbook:
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    return wb


def write_rows(
    ws,
    sheet: TallySheet,
    rows: Sequence[Row],
    *,
    title: str | None = None,
    totals_row: bool = False,
    blank_rows: int = 0,
    extra_column: str | None = None,
) -> None:
    """Write the header (unless the sheet has it already in row 1) and the rows of one tally sheet."""
    headers = list(sheet.headers) + ([extra_column] if extra_column else [])
    unknown = {k for r in rows for k in r} - set(headers)
    assert not unknown, f"not a header of {sheet.name}: {unknown}"
    top = 1
    if title:
        ws.insert_rows(1)
        ws.cell(1, 1, title)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        top = 2
    for j, h in enumerate(headers, start=1):
        ws.cell(top, j, h)
    r = top + 1 + blank_rows
    for row in rows:
        for j, h in enumerate(headers, start=1):
            put(ws.cell(r, j), "x" if h == extra_column else row.get(h))
        r += 1
    if totals_row:
        ws.cell(r, 1, "合计")
        amount = next((j for j, h in enumerate(headers, start=1) if h == "金额（元）"), None)
        if amount:
            ws.cell(r, amount, sum(float(row.get("金额（元）") or 0) for row in rows))


def put(cell, value: object) -> None:
    if isinstance(value, (date, datetime)):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, str):
        set_text(cell, value)
    else:
        cell.value = value


def grid(key: str, rows: Sequence[Row]) -> list[list[object]]:
    """A raw sheet grid as the reader sees it: the header row, then the rows (missing keys blank)."""
    headers = SHEET_KEYS[key].headers
    return [list(headers)] + [[row.get(h) for h in headers] for row in rows]


def tally_from_rows(*, unit: str | None = None, year: int | None = None, **sheets: Sequence[Row] | None):
    """A Tally in memory, through the real normaliser and validator (no file): sheets by key."""
    from xl_report.core.tally import tally_from_frames

    frames = {SHEET_KEYS[k].name: grid(k, rows) for k, rows in sheets.items() if rows is not None}
    return tally_from_frames(frames, source="内存台账.xlsx", unit=unit, year=year)


def request(no: str | int, received, kind: str = "自然人", done=None, result: str | None = None, **more) -> dict:
    """One 依申请公开台账 row."""
    return {"编号": str(no), "收到日期": received, "申请人类型": kind, "办结日期": done, "办理结果": result, **more}


def document(name: str, kind: str, issued, repealed=None, number: str | None = None) -> dict:
    return {"文件名称": name, "文号": number, "类别": kind, "印发日期": issued, "废止日期": repealed}


def decision(kind: str, day, count: int | None = None, number: str | None = None) -> dict:
    return {"类别": kind, "决定日期": day, "文书编号": number, "数量": count}


def fee(item: str, day, amount) -> dict:
    return {"收费项目": item, "收费日期": day, "金额（元）": amount}


def case(no: str, kind: str, received, result: str | None = None, closed=None) -> dict:
    return {"案件编号": no, "类别": kind, "收到日期": received, "结果": result, "结案日期": closed}


__all__ = [
    "make_tally_workbook",
    "write_rows",
    "grid",
    "tally_from_rows",
    "request",
    "document",
    "decision",
    "fee",
    "case",
    "form",
]
