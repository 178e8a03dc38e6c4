"""The four buttons as functions of a live xlwings Book, for every engine.

Each button: read the whole book (snapshot) -> run the file-based library function on a temporary
copy (the same code the CLI runs) -> diff -> write. Nothing is written before everything has been
computed, so an error leaves the book untouched and shows one message box instead.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook

from xl_report.core import form
from xl_report.core.config import load_config
from xl_report.core.errors import XlReportError
from xl_report.excel import writeback
from xl_report.excel.addin import TITLE_TEXT as TITLE
from xl_report.excel.snapshot import BookSnapshot, read_book, to_workbook
from xl_report.xlsx.fileio import save_workbook
from xl_report.xlsx.fillstate import FILL_PROPERTIES
from xl_report.xlsx.xlwings_conf import CONFIG_SHEETS

log = logging.getLogger(__name__)

MSGBOX_LIMIT = 900  # MsgBox shows at most 1024 characters
# VBA Subs shipped in macros/XlReport.bas, called back through runMacro (they take the workbook first).
PROTECT_SUB = "XlReport_Protect"
SET_PROP_SUB = "XlReport_SetProp"


@dataclass
class Outcome:
    """What a button computed: the workbook after the library call, and what to tell the clerk."""

    after: Path
    message: str
    recolor: set[tuple[str, str]] = field(default_factory=set)
    macros: list[tuple[str, tuple]] = field(default_factory=list)  # (Sub, args after the workbook)
    activate: str | None = None  # sheet to show at the end
    after_wb: object = None  # ``after`` already loaded (or still in memory), to spare a reload


def _config() -> dict:
    return load_config(os.environ.get("XL_REPORT_CONFIG") or None)


def _safe_stem(name: str) -> str:
    stem = Path(name.replace("\\", "/")).stem
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", stem)[:80] or "年报"


def _refuse_frozen(snap: BookSnapshot, what: str) -> None:
    if snap.frozen:
        raise XlReportError(f"这个工作簿已经定稿，不能再{what}。如需修改，请在定稿前保存的工作簿上修改后重新定稿。")


# --------------------------------------------------------------------------------------------
# The library calls (file in -> file out), one per button
# --------------------------------------------------------------------------------------------


def _fill(snap: BookSnapshot, src: Path, work: Path, config: dict) -> Outcome:
    # lazy: each click is a fresh Python: import only this button's stage
    from xl_report.stages.fill import describe_numbers, fill_workbook

    _refuse_frozen(snap, "填报")
    result = fill_workbook(src, work / "after.xlsx")
    facts = "；\n".join(describe_numbers(result.numbers or {}))
    notes = "\n".join(result.notes or [])
    tables = "、".join(result.tables or ())
    read_as = "；".join(result.decisions[:5]) + ("……" if len(result.decisions) > 5 else "")
    message = (
        f"已根据台账填写{tables or '报表'}。"
        + (f"\n{facts}。" if facts else "")
        + (f"\n{notes}" if notes else "")
        + (f"\n台账识别：{read_as}" if read_as else "")
        + "\n请点击“校验”检查勾稽关系。"
    )
    # the fill record (time, tally digest) lives in document properties: a live book gets them through VBA
    assert result.output is not None  # written to the path asked for
    wb = load_workbook(result.output)
    macros = [
        (SET_PROP_SUB, (p.name, "s", _prop_text(p.value))) for p in wb.custom_doc_props if p.name in FILL_PROPERTIES
    ]
    return Outcome(result.output, message, macros=macros, after_wb=wb)


def _check(snap: BookSnapshot, src: Path, work: Path, config: dict) -> Outcome:
    from xl_report.core.findings import count  # lazy: each click is a fresh Python: import only this button's stage
    from xl_report.stages.check import check_book  # lazy: each click is a fresh Python: import only this button's stage

    # lazy: each click is a fresh Python: import only this button's stage
    from xl_report.xlsx.findings_sheet import write_findings_sheet

    # lazy: each click is a fresh Python: import only this button's stage
    from xl_report.xlsx.safety import load_workbook_safely

    # lazy: each click is a fresh Python: import only this button's stage
    from xl_report.xlsx.workbook import resolve_names

    _refuse_frozen(snap, "校验后改写")
    wb = load_workbook_safely(src)  # loaded once: checked, then written into
    findings = list(check_book(wb, src, config=config))
    write_findings_sheet(wb, findings)
    errors, warnings = count(findings)
    # old highlights may sit in the live book: resend every report cell's fill
    recolor = {(sheet, coord) for sheet, coord in resolve_names(wb).values() if ":" not in coord}
    if not findings:
        message = "校验通过：没有发现问题。可以点击“定稿”。"
    else:
        message = (
            f"校验发现错误 {errors} 处、提示 {warnings} 处，详见“{form.SHEET_FINDINGS}”工作表"
            "（有问题的单元格已标出颜色）。"
        )
    return Outcome(src, message, recolor=recolor, activate=form.SHEET_FINDINGS, after_wb=wb)


def _freeze_password(config: dict) -> str:
    # lazy: each click is a fresh Python: import only this button's stage
    from xl_report.stages.freeze import freeze_password

    return freeze_password(None, config) or ""


def _one_time_password(config: dict) -> str:
    """The live book's protection password (the actions go to every clerk): see one_time_password."""
    # lazy: each click is a fresh Python: import only this button's stage
    from xl_report.stages.freeze import one_time_password

    return one_time_password(_freeze_password(config)) or ""


def _freeze(snap: BookSnapshot, src: Path, work: Path, config: dict) -> Outcome:
    from xl_report.core.fingerprint import short  # lazy: each click is a fresh Python: import only this button's stage

    # lazy: each click is a fresh Python: import only this button's stage
    from xl_report.stages.freeze import FreezeRefused, freeze_file

    _refuse_frozen(snap, "定稿")
    password = _one_time_password(config)
    try:  # xlwings' config sheets are not report content: frozen (and later checked) without them
        result = freeze_file(
            _without_config_sheets(snap, src, work),
            work / "after.xlsx",
            password=password or None,
            keep_personal=True,
            config=config,
        )
    except FreezeRefused as e:  # its message advises the command line's --force, which no button offers
        errors = sum(f.is_error for f in e.findings)
        raise XlReportError(
            f"校验发现 {errors} 个错误，不能定稿。请点击“校验”查看“{form.SHEET_FINDINGS}”工作表，改正后重新定稿：",
            e.problems,
        ) from None
    # what openpyxl stores but a live book can only get through VBA: document properties, protection
    wb = load_workbook(result.output)
    _keep_config_sheets(snap, src, wb)
    macros: list[tuple[str, tuple]] = [
        (SET_PROP_SUB, (p.name, _prop_kind(p.value), _prop_text(p.value))) for p in wb.custom_doc_props
    ]
    macros.append((PROTECT_SUB, (password,)))
    message = (
        f"已定稿，指纹 {short(result.fingerprint)}。所有工作表已保护。\n请立即保存工作簿（Ctrl+S），然后点击“上报”。"
    )
    assert result.output is not None  # written to the path asked for
    return Outcome(result.output, message, macros=macros, after_wb=wb)


def _prop_kind(value: object) -> str:
    return "b" if isinstance(value, bool) else "i" if isinstance(value, int) else "s"


def _prop_text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else str(value)


def _send(snap: BookSnapshot, src: Path, work: Path, config: dict) -> Outcome:
    from xl_report.mail import send_files  # lazy: each click is a fresh Python: import only this button's stage

    # lazy: each click is a fresh Python: import only this button's stage
    from xl_report.stages.freeze import FreezeRefused, freeze_file

    if not snap.frozen:
        raise XlReportError("请先点击“定稿”，保存工作簿后再上报。")
    # the book as the 定稿 button froze it (its 定稿 lines taken away) must freeze to the same fingerprint
    unstamped = _unstamped(src, work)
    changed = "定稿后工作簿的内容被改动过（指纹不一致），不能上报。请在定稿前的工作簿上修改后重新定稿。"
    try:
        again = freeze_file(unstamped, work / "核对.xlsx", keep_personal=True, config=config)
    except FreezeRefused:  # it froze without errors: whatever fails the check now came after
        raise XlReportError(changed) from None
    shown = str(snap.value("meta_fingerprint")).strip()
    if again.fingerprint != shown and _v1_fingerprint(unstamped) != shown:
        raise XlReportError(changed)
    deliverable = work / f"{_safe_stem(snap.name)}-定稿.xlsx"  # without personal data, as the CLI sends it
    freeze_file(unstamped, deliverable, password=_freeze_password(config) or None, config=config)
    report = send_files([deliverable], config)
    lines = [o.message for o in report.sent + report.queued + report.skipped + report.uncertain + report.failed] + list(
        report.notes
    )
    if report.failed:
        raise XlReportError("上报失败：\n" + "\n".join(lines))
    if report.uncertain:
        raise XlReportError("上报结果待确认：\n" + "\n".join(lines))
    return Outcome(src, "上报完成。\n" + "\n".join(lines))


def _v1_fingerprint(path: Path) -> str:
    """The older scheme's fingerprint (the report's values): a book the 定稿 button froze before v2."""
    from xl_report.core.fingerprint import fingerprint
    from xl_report.xlsx.workbook import read_report_file

    return fingerprint(read_report_file(path))


def _keep_config_sheets(snap: BookSnapshot, src: Path, wb) -> None:
    """Put the config sheets left out of the freeze back into ``wb`` as they were (nothing to write back)."""
    found = [name for name in CONFIG_SHEETS if snap.sheet(name) is not None]
    if not found:
        return
    before = load_workbook(src)
    for name in found:
        ws = wb.create_sheet(name)
        for row in before[name].iter_rows():
            for c in row:
                if c.value is not None:
                    ws.cell(c.row, c.column, c.value)


def _unstamped(src: Path, work: Path) -> Path:
    """``src`` without what the 定稿 button added to the values: the 定稿 lines and the 定稿指纹 / 定稿时间 cells."""
    from xl_report.xlsx.reader_view import STAMP_PREFIX
    from xl_report.xlsx.safety import load_workbook_safely
    from xl_report.xlsx.workbook import resolve_names

    wb = load_workbook_safely(src)
    names = resolve_names(wb)
    for name in ("meta_fingerprint", "meta_frozen_at"):
        if name in names and names[name][0] in wb.sheetnames:
            wb[names[name][0]][names[name][1].split(":")[0]].value = None
    for name in CONFIG_SHEETS:
        if name in wb.sheetnames:
            wb.remove(wb[name])
    for title in (form.SHEET_README,) + form.TABLES:
        if title not in wb.sheetnames:
            continue
        for (c,) in wb[title].iter_rows(min_col=1, max_col=1):
            if isinstance(c.value, str) and c.value.startswith(STAMP_PREFIX):
                c.value = None
    out = work / f"{src.stem}-核对.xlsx"
    save_workbook(wb, out)
    return out


def _without_config_sheets(snap: BookSnapshot, src: Path, work: Path) -> Path:
    """``src`` without xlwings' config sheets: they may hold the county token (AUTH) and must not be mailed."""
    found = [name for name in CONFIG_SHEETS if snap.sheet(name) is not None]
    if not found:
        return src
    # lazy: each click is a fresh Python: import only this button's stage
    from xl_report.xlsx.safety import load_workbook_safely

    wb = load_workbook_safely(src)
    for name in found:
        wb.remove(wb[name])
    clean = work / f"{src.stem}-无配置.xlsx"
    save_workbook(wb, clean)
    return clean


BUTTONS: dict[str, Callable[[BookSnapshot, Path, Path, dict], Outcome]] = {
    "fill": _fill,
    "check": _check,
    "freeze": _freeze,
    "send": _send,
}


# --------------------------------------------------------------------------------------------
# Running a button on a live Book
# --------------------------------------------------------------------------------------------


def _short_message(text: str) -> str:
    return text if len(text) <= MSGBOX_LIMIT else text[: MSGBOX_LIMIT - 30] + "\n……（内容较多，其余从略）"


def alert(book, message: str, error: bool = False) -> None:
    book.app.alert(_short_message(message), title=TITLE, buttons="ok", mode="critical" if error else "info")


def macro_name(book, host: str | None, sub: str) -> str:
    """Qualified macro name for Application.Run. ``host``: the workbook holding our VBA — "book" for
    the report workbook itself (.xlsm), else the add-in's file name (default xl_report.xlam)."""
    owner = book.name if host in (None, "", "book") else host
    return "'" + owner.replace("'", "''") + "'!" + sub


def run_macro(book, host: str | None, sub: str, *args) -> None:
    name = macro_name(book, host, sub)
    if book.app.engine.name == "remote":
        book.app.macro(name)(*args)  # the VBA client passes the workbook as the first argument
    else:
        book.app.macro(name)(book.api, *args)


def plan(book, button: str) -> tuple[writeback.Plan, Outcome]:
    """Read ``book`` and compute the button's writes (nothing is written). Raises XlReportError."""
    snap = read_book(book)
    before_wb = to_workbook(snap)
    with tempfile.TemporaryDirectory(prefix="xl_report_") as tmp:
        work = Path(tmp)
        src = work / f"{_safe_stem(snap.name)}.xlsx"
        save_workbook(before_wb, src)
        config = {} if button == "fill" else _config()  # read once per press; 填报 needs none
        outcome = BUTTONS[button](snap, src, work, config)
        after = outcome.after_wb if outcome.after_wb is not None else load_workbook(outcome.after)
        # the overlay in memory is exactly what was saved to ``src``: no need to parse it again
        return writeback.diff(before_wb, after, recolor=outcome.recolor), outcome


def run(book, button: str, host: str | None = None) -> None:
    """Press ``button`` on ``book``: compute everything, then write; on a user error only a message box."""
    if button not in BUTTONS:
        raise ValueError(button)
    try:
        todo, outcome = plan(book, button)
    except XlReportError as e:
        alert(book, str(e), error=True)
        return
    writeback.apply(book, todo)
    for sub, args in outcome.macros:
        run_macro(book, host, sub, *args)
    if outcome.activate:
        book.sheets[outcome.activate].activate()
    alert(book, outcome.message)
