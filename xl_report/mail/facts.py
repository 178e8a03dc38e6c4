"""What the mailer needs to know about one workbook: bytes, fingerprint, frozen or draft, unit, year.

A frozen workbook is identified by its freeze fingerprint (``xl_report.stages.freeze.verify_file``); a draft by
the SHA-256 of its bytes. The bytes attached are exactly the bytes that were verified.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from xl_report.core.errors import InputError, XlReportError
from xl_report.core.findings import count
from xl_report.core.normalise import one_line, parse_year
from xl_report.mail import headers
from xl_report.stages.check import check_workbook
from xl_report.stages.freeze import verify_file
from xl_report.xlsx.safety import check_xlsx, load_workbook_safely
from xl_report.xlsx.workbook import resolve_names
from xl_report.xlsx.xlwings_conf import CONFIG_SHEETS

MIME_TYPES = {
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".xlsm": ("application", "vnd.ms-excel.sheet.macroEnabled.12"),
}


@dataclass(frozen=True)
class Workbook:
    path: Path
    name: str  # attachment file name (the file's own, Chinese, name)
    data: bytes
    fingerprint: str
    frozen: bool  # frozen and verified
    unit: str | None
    year: int | None
    refusal: str | None  # why this is a draft (None when frozen and verified)
    verdict: str | None = None  # the check result known without re-checking (frozen files)

    @property
    def mime(self) -> tuple[str, str]:
        return MIME_TYPES[self.path.suffix.lower()]

    @property
    def label(self) -> str:
        return f"{self.unit or '（未填单位名称）'}{self.year or ''}"


def sha256_fingerprint(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def inspect(path: Path | str, keys_dir: Path | str | None = None) -> Workbook:
    """Read and verify one workbook (InputError when it cannot be mailed at all)."""
    path = Path(path)
    if path.suffix.lower() not in MIME_TYPES:
        raise InputError.at("只能上报 .xlsx 或 .xlsm 工作簿", file=str(path))
    check_xlsx(path)
    _refuse_config_sheets(path)
    name = headers.header_text(path.name, "文件名", file=str(path))
    data = path.read_bytes()
    frozen, fingerprint, verdict = False, None, None
    refusal: str | None = None
    result = verify_file(path, keys_dir=keys_dir)
    unit, year = result.unit, result.year
    if result.frozen and result.ok:
        frozen, fingerprint = True, result.fingerprint
        verdict = _frozen_verdict(result)
    elif result.frozen:
        detail = "；".join(str(m) for m in (result.messages or [])) or "内容与定稿指纹不一致"
        refusal = f"定稿核验未通过（{detail}）"
    else:
        refusal = "尚未定稿"
    if path.read_bytes() != data:
        raise InputError.at("文件在上报过程中被修改，请稍后重试", file=str(path))
    if unit is None or year is None:
        unit, year = _meta(path, unit, year)
    if unit is not None:
        unit = headers.header_text(unit, "单位名称", file=str(path))
    return Workbook(path, name, data, fingerprint or sha256_fingerprint(data), frozen, unit, year, refusal, verdict)


def _refuse_config_sheets(path: Path) -> None:
    """xlwings' config sheet may hold the county server's token: such a workbook is never attached."""
    with zipfile.ZipFile(path) as z:
        workbook_xml = z.read("xl/workbook.xml").decode("utf-8", "replace")
    found = [name for name in CONFIG_SHEETS if f'name="{name}"' in workbook_xml]
    if found:
        raise InputError.at(
            f"工作簿中有“{found[0]}”工作表，其中可能写有县服务器的令牌（AUTH），不能上报。"
            "请删除该工作表后再上报，或在 Excel 中用“上报”按钮（会自动去掉该工作表）",
            file=str(path),
        )


def _frozen_verdict(result) -> str:
    """Freezing refuses a workbook with errors unless forced with a recorded reason: no need to re-check."""
    text = f"强制定稿（校验有错误未改正，原因：{result.reason}）" if result.reason else "定稿时校验无错误"
    if result.signed:
        text += "，单位签名有效"
    return headers.body_text(text)


def _meta(path: Path, unit, year):
    """Unit and year from the 说明 sheet (read-only load: ten times faster than a full load)."""
    wb = load_workbook_safely(path, read_only=True)
    try:
        names = resolve_names(wb)

        def value(name):
            sheet, coord = names.get(name, (None, None))
            return wb[sheet][coord].value if sheet in wb.sheetnames else None

        return unit or one_line(value("meta_unit")), year or parse_year(value("meta_year"))
    finally:
        wb.close()


def check_verdict(book: Workbook, config: dict | None = None) -> str:
    """One Chinese line: from the freeze record, else from running the cross-check on the draft."""
    if book.verdict:
        return book.verdict
    try:
        errors, warnings = count(check_workbook(book.path, config=config))
    except XlReportError as e:
        return f"无法校验（{e.message}）"
    if not errors and not warnings:
        return "校验通过"
    return f"校验发现 {errors} 个错误、{warnings} 个提示"
