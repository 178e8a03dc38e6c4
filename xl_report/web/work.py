"""The heavy steps of the web app (填报 + 校验, 定稿 + 年报), run in worker processes.

Each job takes paths and plain values and returns a plain dict, so it crosses a process boundary;
a user's mistake comes back as ``{"error": "<Chinese message>"}`` (never a path of the server's).
The jobs write only into the temporary folder they are given: the caller moves the results into
the unit's folder once the job succeeded, so a refused upload leaves nothing behind.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from xl_report.batch.model import display_name, match_key
from xl_report.batch.unit import start_worker
from xl_report.core import form
from xl_report.core.errors import TallyErrors, XlReportError
from xl_report.core.figures import figures
from xl_report.core.findings import count
from xl_report.core.fingerprint import short
from xl_report.core.ledger import ADOPT_SHEET
from xl_report.core.report import ReportData
from xl_report.core.tally import has_cell_errors
from xl_report.document import render
from xl_report.rules.catalogue import RULE_BY_CODE
from xl_report.stages.adopt import adopted_book, choice_findings, save_adopted
from xl_report.stages.check import check_book, problem_finding
from xl_report.stages.fill import blank_tables, copy_tally, describe_numbers, fill_book, open_report_book
from xl_report.stages.freeze import FreezeRefused, freeze_file
from xl_report.web.store import DOCX, FILLED, FROZEN, HTML, upload_name
from xl_report.xlsx.fileio import save_workbook
from xl_report.xlsx.findings_sheet import ordered, write_findings_sheet
from xl_report.xlsx.safety import check_xlsx
from xl_report.xlsx.tally_reader import UndecidedValues, read_tally
from xl_report.xlsx.template import build_template
from xl_report.xlsx.workbook import read_report_file, resolve_names, set_text, write_narrative, write_report


def _message(e: XlReportError, *folders: Path) -> str:
    text = str(e)
    for folder in folders:
        text = text.replace(str(folder) + os.sep, "").replace(str(folder), "")
    return text


def upload_job(
    work: str,
    unit: str,
    year: int,
    previous: str | None,
    config: dict | None,
    suffix: str = ".xlsx",
    name: str | None = None,
) -> dict:
    """Fill and check ``work/上传<suffix>`` (a workbook, or an office's own ledger: .xls/.ods/.csv too) for
    ``unit`` and ``year``; write ``work/已填报.xlsx`` with its 校验结果 sheet and highlights. Bad tally rows
    are findings (no filled workbook then). A ledger with texts the rules cannot read with certainty gives
    the converted workbook (as ``adopt`` writes it, tables blank) and one finding per text to choose."""
    folder = Path(work)
    src = folder / upload_name(suffix)
    try:
        if src.suffix in (".xlsx", ".xlsm"):
            check_xlsx(src)
        try:
            tally = read_tally(src)
        except UndecidedValues:  # never counted: the clerk chooses in the converted workbook, then re-uploads
            return _undecided(folder, src, unit, year, name)
        except TallyErrors as e:
            if has_cell_errors(e.problems):  # an Excel error value: an unusable file (as check says), not a row
                raise
            found = [problem_finding(p) for p in e.problems]
            return _result(
                unit, year, found, filled=False, summary=[f"台账有 {len(found)} 处错误，未能填报：请改正后重新上传。"]
            )
        if tally.year is not None and tally.year != year:
            label = form.META_BY_NAME["meta_year"].label
            return {
                "error": f"工作簿“{form.SHEET_README}”中的{label}是 {tally.year} 年，"
                f"县里正在收 {year} 年度的年报：请上传 {year} 年度的工作簿。"
            }
        if tally.unit and match_key(display_name(tally.unit) or "") != match_key(unit):
            return {
                "error": f"工作簿“{form.SHEET_README}”中的单位名称是“{display_name(tally.unit)}”，"
                f"与登录的单位“{unit}”不一致：请上传本单位的工作簿，或改正单位名称后重新上传。"
            }
        wb, notes = open_report_book(src, tally, name)
        result = fill_book(wb, tally, year)
        names = resolve_names(wb)
        if not result.report.unit and "meta_unit" in names:  # the unit is known from the login
            sheet, coord = names["meta_unit"]
            set_text(wb[sheet][coord.split(":")[0]], unit)
        found = list(check_book(wb, src, previous=previous, config=config))
        write_findings_sheet(wb, found)
        save_workbook(wb, folder / FILLED)
        lines = describe_numbers(result.numbers) + notes + list(result.notes)
        return _result(unit, year, ordered(found), filled=True, summary=lines, values=result.report.values)
    except XlReportError as e:
        return {"error": _message(e, folder)}


def _undecided(folder: Path, src: Path, unit: str, year: int, name: str | None) -> dict:
    """The ledger converted (tables left blank: nothing is counted from a guess), every text left for the
    clerk a finding that names the cells to choose in the downloaded workbook."""
    wb, plain, result = adopted_book(src, folder / FILLED, year=year, unit=unit, name=name)
    blank_tables(wb)
    found = choice_findings(result)
    write_findings_sheet(wb, found)
    save_adopted(wb, folder / FILLED, plain)
    summary = [
        f"台账中有 {len({(m.sheet, m.column, m.text) for m in result.marked if m.undecided})} 种写法"
        f"（{result.undecided} 个格子）不能确定对应哪一项，没有计数：请下载工作簿，在橙色格子的下拉列表中"
        "选择，选好后重新上传。"
    ]
    if result.unreadable:
        summary.append(f"另有 {result.unreadable} 个格子（红色）无法读取，请改正。")
    summary.append(f"台账已转换为填报工作簿，每一项转换都列在“{ADOPT_SHEET}”工作表中。")
    return _result(unit, year, ordered(found), filled=True, summary=summary)


def _result(unit: str, year: int, found: list, *, filled: bool, summary: list[str], values: dict | None = None) -> dict:
    errors, warnings = count(found)
    return {
        "unit": unit,
        "year": year,
        "summary": summary,
        "errors": errors,
        "warnings": warnings,
        "findings": [_finding_json(f) for f in found],
        "filled": filled,
        "figures": figures(values or {}),
    }


def _finding_json(f) -> dict:
    """The API's finding, plus ``rule``: what the rule of its code requires (the catalogue's title)."""
    rule = RULE_BY_CODE.get(f.code)
    return {
        "code": f.code,
        "severity": f.severity,
        "message": f.message,
        "sheet": f.sheet,
        "cell": f.cell,
        "name": f.name,
        "rule": rule.title if rule else None,
    }


def freeze_job(work: str, password: str | None, config: dict | None) -> dict:
    """Freeze ``work/已填报.xlsx`` into ``work/定稿.xlsx`` (personal data removed) and render the
    publishable report beside it. ``{"refused": findings}`` when errors remain."""
    folder = Path(work)
    try:
        result = freeze_file(folder / FILLED, folder / FROZEN, password=password, config=config)
    except FreezeRefused as e:
        return {"refused": [_finding_json(f) for f in ordered(e.findings)]}
    except XlReportError as e:
        return {"error": _message(e, folder)}
    out: dict = {
        "fingerprint": result.fingerprint,
        "short": short(result.fingerprint),
        "frozen_at": result.frozen_at,
        "report_error": None,
        "report_notes": [],
    }
    try:
        report = read_report_file(folder / FROZEN)
        for name in (DOCX, HTML):
            out["report_notes"] = list(render(report, folder / name).warnings)
    except XlReportError as e:  # e.g. a placeholder in 正文 that names no table cell: the workbook is frozen anyway
        out["report_error"] = _message(e, folder)
    return out


def _start_worker(parent: int) -> None:
    """Like the batch's workers, leave when the server is gone (killed outright, it cannot tell them);
    import the .docx writer now, not on the first clerk's 定稿."""
    start_worker(parent, None, False)
    import xl_report.document.to_docx  # noqa: F401 - lazy in document/ (python-docx); warmed here


def make_pool(jobs: int) -> ProcessPoolExecutor:
    # spawn: the server's threads (uvicorn, the event loop) are not forked into a worker
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(os.getpid(),),
    )
    for _ in range(jobs):
        pool.submit(int)  # start the workers now
    return pool


def template_job(last: str, unit: str, year: int) -> dict:
    """A fresh template for ``year`` started from the unit's frozen workbook of the year before: its
    tally rows (requests still open carry over), 说明 and 正文; the tables are left to 填报."""
    try:
        path = check_xlsx(last)
        report = read_report_file(path)
        tally = read_tally(path)
    except XlReportError as e:
        return {"error": "上一年度的定稿工作簿无法读取：" + _message(e, Path(last).parent)}
    wb = build_template()
    copy_tally(wb, tally)
    write_report(
        ReportData(unit=report.unit or unit, year=year, contact=report.contact, level=report.level),
        wb,
        tables=(),
        meta=True,
    )
    write_narrative(wb, report.narrative)
    buf = io.BytesIO()
    wb.save(buf)
    return {"data": buf.getvalue()}
