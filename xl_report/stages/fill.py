"""Fill 表二/表三/表四 of a report workbook from its tally sheets (xl-report fill; the Excel 填报 button).

The input is normally the template a clerk has kept the tallies in: the tables are written into a
copy of it (the input itself is never modified). A bare .xlsx holding only tally sheets has no tables
to write into: the output is then a fresh template with the tallies copied in (normalised values),
so the clerk gets one complete workbook either way.

Nothing is written when any tally row is bad (TallyErrors lists them all).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from openpyxl.workbook.workbook import Workbook

from xl_report.core import form
from xl_report.core.aggregate import aggregate, merge_counts, placeholder_numbers
from xl_report.core.errors import InputError
from xl_report.core.filenames import FILLED_SUFFIX
from xl_report.core.report import ReportData
from xl_report.core.tally import Tally, report_year
from xl_report.core.tally_schema import TALLY_SHEETS, YES_NO
from xl_report.stages.adopt import AdoptResult, PlainRows, put_value, save_adopted, write_adoption
from xl_report.xlsx.fileio import backup_existing, save_workbook
from xl_report.xlsx.fileio import output_path as default_output
from xl_report.xlsx.fillstate import fill_properties
from xl_report.xlsx.findings_sheet import clear_findings
from xl_report.xlsx.tally_reader import read_tally
from xl_report.xlsx.template import build_template
from xl_report.xlsx.workbook import open_workbook, read_report, record_fill, resolve_names, write_report

FRESH_NOTE = "输入文件不是年报模板（缺少表二、表三、表四），已生成新的填报工作簿，并把台账复制进去。"


@dataclass
class FillResult:
    output: Path | None  # None for fill_book (in memory)
    report: ReportData  # what the workbook now holds (totals computed)
    tables: tuple[str, ...]
    notes: list[str] = field(default_factory=list)
    numbers: dict[str, int | float] = field(default_factory=dict)  # placeholder label -> number (for messages)
    decisions: list[str] = field(default_factory=list)  # how an office's own ledger was read (one line each)


def describe_numbers(s: dict[str, int | float]) -> list[str]:
    """The numbers of a fill (:attr:`FillResult.numbers`) as the clerk reads them, with units."""
    lines = []
    if "新收" in s:
        lines.append(
            f"本年新收申请 {s['新收']} 件，上年结转 {s['上年结转']} 件，本年办结 {s['办结']} 件"
            f"（予以公开 {s['予以公开']} 件，部分公开 {s['部分公开']} 件），结转下年度 {s['结转下年度']} 件"
        )
    if "行政许可" in s:
        lines.append(
            f"行政许可 {s['行政许可']} 件，行政处罚 {s['行政处罚']} 件，行政强制 {s['行政强制']} 件，"
            f"行政事业性收费 {s['收费金额']} 万元"
        )
    if "行政复议" in s:
        lines.append(
            f"行政复议 {s['行政复议']} 件，行政诉讼 {s['直接起诉'] + s['复议后起诉']} 件"
            f"（未经复议直接起诉 {s['直接起诉']} 件，复议后起诉 {s['复议后起诉']} 件）"
        )
    return lines


def is_report_book(wb: Workbook) -> bool:
    names = resolve_names(wb)
    return all(n in names and names[n][0] in wb.sheetnames for n in form.CELL_NAMES)


def fill_book(wb: Workbook, tally: Tally, year: int | None = None, now: datetime | None = None) -> FillResult:
    """Write the tables of ``tally`` into the open report workbook ``wb`` (cells of absent sheets kept),
    the 说明 unit when the book has none, and the fill record (time, tally digest); an earlier check's
    校验结果 sheet and highlights go."""
    from xl_report.stages.freeze import read_freeze_info  # lazy: freeze pulls the signing library

    if read_freeze_info(wb) is not None:  # refilled, it would still carry the 定稿 stamp and protection
        raise InputError.at(
            "这个工作簿已经定稿，不能再填报；如需修改，请在定稿前的工作簿上填报后重新定稿", file=tally.source
        )
    year = report_year(year, tally)
    result = aggregate(tally, year)
    existing = read_report(wb, source=tally.source)
    values = merge_counts(existing.values, tally, result)
    write_report(
        ReportData(unit=None if existing.unit else tally.unit, year=year, values=values),
        wb,
        tables=result.tables,
        meta=True,
    )
    clear_findings(wb)  # an earlier check's 校验结果 and red cells describe the tables this fill replaced
    record_fill(wb, fill_properties(tally, now))
    report = ReportData(
        unit=existing.unit or tally.unit,
        year=year,
        contact=existing.contact,
        level=existing.level,
        published=existing.published,
        values=values,
        narrative=existing.narrative,
        locations=existing.locations,
        source=tally.source,
    ).with_totals()
    return FillResult(None, report, result.tables, result.notes, placeholder_numbers(report, result.tables))


def fill_workbook(input_path: Path | str, output_path: Path | str | None = None, year: int | None = None) -> FillResult:
    """填报: count the tally sheets of ``input_path`` into 表二/表三/表四 of a new file (default
    ``<name>-已填报.xlsx``); the input is never changed. TallyErrors lists every bad tally row.

    ``input_path`` may also be an office's own ledger (.xlsx/.xls/.ods/.csv): it is read as
    :func:`xl_report.stages.adopt.adopt_ledger` reads it, its decisions are in :attr:`FillResult.decisions`,
    and a value it leaves for the clerk stops the fill (UndecidedValues, exit 2)."""
    src = Path(input_path)
    out = Path(output_path) if output_path is not None else None
    if out is not None and out.suffix.lower() not in (".xlsx", ".xlsm"):
        raise InputError.at("输出文件名必须以 .xlsx 结尾", file=str(out))
    tally = read_tally(src)  # checks the file first (every kind of ledger file)
    year = report_year(year, tally)  # before the (slow) full load
    xlsx = src.suffix.lower() in (".xlsx", ".xlsm")
    wb, notes, plain = report_book(src, tally)
    macros = wb.vba_archive is not None
    target = default_output(src if xlsx else src.with_suffix(".xlsx"), FILLED_SUFFIX, out)
    if target.suffix.lower() == ".xlsm" and not macros:
        target = target.with_suffix(".xlsx") if out is None else target
        if target.suffix.lower() == ".xlsm":
            raise InputError.at("输入文件不含宏，输出文件名请以 .xlsx 结尾", file=str(target))
    elif target.suffix.lower() == ".xlsx" and macros:
        raise InputError.at("输入文件含宏（.xlsm），输出文件名也请以 .xlsm 结尾", file=str(target))
    result = fill_book(wb, tally, year)
    backup_existing(target)
    if plain.rows:
        save_adopted(wb, target, plain)
    else:
        save_workbook(wb, target)
    result.output = target
    result.notes = notes + result.notes
    result.decisions = [str(d) for d in tally.adoption.decisions] if tally.adoption is not None else []
    return result


def open_report_book(src: Path, tally: Tally, name: str | None = None) -> tuple[Workbook, list[str]]:
    """``src`` as the workbook to fill: itself when it is a report template, else a fresh template with
    blank tables and ``tally``'s rows copied in (and a note saying so). ``name``: how the 台账转换说明
    names an office's ledger (default: its file name)."""
    wb, notes, plain = report_book(src, tally, name)
    plain.write_into(wb)  # the caller saves with openpyxl: every row in its cells
    return wb, notes


def report_book(src: Path, tally: Tally, name: str | None = None) -> tuple[Workbook, list[str], PlainRows]:
    """:func:`open_report_book`, an office's own ledger included (.xls/.ods/.csv too): its rows written as
    :func:`xl_report.stages.adopt.write_adoption` writes them (the original text kept, every decision in the
    台账转换说明 sheet), the plain ones left to :func:`save_adopted` (fast) or :meth:`PlainRows.write_into`."""
    if src.suffix.lower() in (".xlsx", ".xlsm"):
        wb = open_workbook(src)
        if is_report_book(wb):
            return wb, [], PlainRows()
        wb.close()
    wb = build_template()
    blank_tables(wb)  # no tally sheet, no number: as blank as the batch leaves it (F05 says fill it)
    plain = PlainRows()
    if tally.adoption is not None:
        plain = write_adoption(wb, tally.adoption, name or src.name, AdoptResult(src, tally.adoption))
    else:
        copy_tally(wb, tally)
    return wb, [FRESH_NOTE], plain


def blank_tables(wb: Workbook) -> None:
    """Empty the template's input cells (its zeros would read as counted)."""
    names = resolve_names(wb)
    for cell in form.CELLS:
        if not cell.computed:
            sheet, coord = names[cell.name]
            wb[sheet][coord].value = None


def copy_tally(wb: Workbook, tally: Tally) -> None:
    """Write the (normalised) tally rows into the template's empty tally sheets, text kept as text."""
    for sheet in TALLY_SHEETS:
        df = tally.sheet(sheet.key)
        if df is None:
            continue
        ws = wb[sheet.name]
        for r, record in enumerate(df[list(sheet.headers)].itertuples(index=False, name=None), start=2):
            for j, v in enumerate(record, start=1):
                if v is None:
                    continue
                put_value(ws.cell(r, j), (YES_NO[0] if v else YES_NO[1]) if isinstance(v, bool) else v)
