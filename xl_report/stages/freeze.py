"""Freeze (定稿) a report workbook and verify a frozen one.

Freezing writes a NEW workbook in which every formula is replaced by its value, every cell is
locked, every sheet and the workbook structure are protected, the file is marked final, and a
visible 定稿 line (date, short fingerprint) sits below each table. The fingerprint is v2: what a
reader of the saved file sees, read from its own XML (:mod:`xl_report.xlsx.reader_view`). It, the
canonical view itself (compressed, to name what changed), the time, the tool version, a force
reason and an optional Ed25519 signature (over fingerprint and time) are stored in custom document
properties, which survive openpyxl round trips (custom XML parts do not). Files frozen with the
older scheme (v1: the report's values only, :mod:`xl_report.core.fingerprint`) are still verified.

Formulas: the 200 report cells and the 说明 fields must be computable in Python (the template's
SUM totals are): what the fingerprint covers never comes from a cached value that may be stale.
Any other formula (e.g. one a clerk added on a tally sheet) takes the value Excel cached when the
file was last saved; with neither, freezing is refused and the cells are named.

Sheet protection is Excel's legacy 16-bit password hash: a deterrent. The fingerprint and the
signature are what make a change detectable.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.packaging.custom import BoolProperty, IntProperty, StringProperty
from openpyxl.styles import Alignment, Font, Protection
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.workbook.workbook import Workbook

from xl_report.core import form
from xl_report.core.errors import EXIT_FINDINGS, InputError, Problem, XlReportError
from xl_report.core.filenames import FROZEN_SUFFIX
from xl_report.core.findings import Finding
from xl_report.core.fingerprint import (
    Change,
    canonical_json,
    canonical_values,
    diff,
    fingerprint,
    fingerprint_of,
    fingerprint_of_json,
    short,
)
from xl_report.core.normalise import header_key, one_line, parse_year
from xl_report.core.tally_schema import PERSONAL_COLUMNS
from xl_report.stages.freeze_record import (
    FINAL_STATUS,
    MARK_AS_FINAL,
    PERSONAL_NOTE,
    PLACEHOLDER_FP,
    PROP_PREFIX,
    SCHEME,
    STAMP_FONT,
    freeze_info_from_props,
    freeze_password,
    freeze_properties,
    stamp_line,
    stamp_row_height,
)
from xl_report.stages.reader_diff import diff_views, named_value, token_values
from xl_report.stages.signing import (
    PUBLIC_SUFFIX,
    key_id,
    key_unit,
    keygen,
    load_private_key,
    load_public_key,
    safe_unit_name,
    sign,
    verify_signature,
)
from xl_report.xlsx.fileio import backup_existing, output_path, save_workbook
from xl_report.xlsx.fillstate import FILL_PROPERTIES
from xl_report.xlsx.reader_view import ReaderView, read_view, volatile_problems
from xl_report.xlsx.safety import check_xlsx, load_workbook_bytes, read_package
from xl_report.xlsx.workbook import cell_value, open_workbook, read_report, resolve_names, set_text

__all__ = [
    "FreezeResult",
    "VerifyResult",
    "FreezeRefused",
    "freeze_file",
    "freeze_book",
    "verify_file",
    "verify_book",
    "read_freeze_info",
    "freeze_properties",
    "stamp_line",
    "fingerprint",
    "canonical_values",
    "keygen",
    "freeze_password",
    "FROZEN_SUFFIX",
]

LOCKED = Protection(locked=True)
V1_NOTE = (
    "此文件使用旧版定稿指纹（v1）：只核对表二、表三、表四的数字、单位、年度、联系电话、单位类型和正文段落；"
    "不核对数字格式、字体颜色、隐藏的行列和工作表、名称位置、批注、公式、发布日期和台账"
)


# --------------------------------------------------------------------------------------------
# Results and errors
# --------------------------------------------------------------------------------------------


@dataclass
class FreezeResult:
    output: Path | None
    fingerprint: str
    findings: list[Finding] = field(default_factory=list)
    forced: bool = False
    signed: bool = False
    personal_removed: int = 0  # cells cleared
    frozen_at: str = ""


@dataclass
class VerifyResult:
    ok: bool
    frozen: bool
    fingerprint: str | None = None  # stored at freezing
    unit: str | None = None
    year: int | None = None
    changed: list[Change] = field(default_factory=list)
    signed: bool | None = None  # None: no keys given, signature not checked
    messages: list[str] = field(default_factory=list)
    path: str | None = None
    current_fingerprint: str | None = None
    frozen_at: str | None = None
    reason: str | None = None  # force reason recorded at freezing
    signer: str | None = None

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else (2 if not self.frozen else 1)

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "ok": self.ok,
            "frozen": self.frozen,
            "fingerprint": self.fingerprint,
            "current_fingerprint": self.current_fingerprint,
            "unit": self.unit,
            "year": self.year,
            "frozen_at": self.frozen_at,
            "reason": self.reason,
            "signed": self.signed,
            "signer": self.signer,
            "changed": [c.to_json() for c in self.changed],
            "messages": list(self.messages),
        }


class FreezeRefused(XlReportError):
    """The check found errors and --force was not given (exit 1)."""

    exit_code = EXIT_FINDINGS

    def __init__(self, findings: list[Finding]):
        errors = [f for f in findings if f.is_error]
        problems = [Problem(f"{f.code} {f.message}", sheet=f.sheet) for f in errors]
        super().__init__(
            f"校验发现 {len(errors)} 个错误，不能定稿。请改正后重新定稿；确需定稿的，"
            '请加 --force --reason "原因"（原因会记录在定稿文件中）：',
            problems,
        )
        self.findings = findings


# --------------------------------------------------------------------------------------------
# Custom properties: chunked strings
# --------------------------------------------------------------------------------------------


def _clear_props(wb: Workbook) -> None:
    """Drop earlier freeze properties; the fill record stays (upstream re-checks table ≡ tally with it)."""
    for name in [
        p.name
        for p in wb.custom_doc_props
        if (p.name.startswith(PROP_PREFIX) or p.name == MARK_AS_FINAL) and p.name not in FILL_PROPERTIES
    ]:
        del wb.custom_doc_props[name]


def read_freeze_info(wb: Workbook) -> dict | None:
    """What freezing stored in ``wb``, or None when the workbook was never frozen."""
    return freeze_info_from_props({p.name: p.value for p in wb.custom_doc_props})


# --------------------------------------------------------------------------------------------
# Freeze
# --------------------------------------------------------------------------------------------

CachedValue = Callable[[str, str], object]  # (sheet, A1) -> the value Excel cached, or None


def one_time_password(shared: str | None) -> str | None:
    """The sheet-protection password for a frozen file handed to a clerk (a button's live book, the web
    page's download): never the county's shared one, whose protection hash would travel with every file.
    When the county protects with a password, each such file gets a fresh random one, used once and
    never logged or kept. Protection is a courtesy; the fingerprint is the lock."""
    return secrets.token_urlsafe(12) if shared else None


def _check_reason(force: bool, reason: str | None) -> str | None:
    reason = (reason or "").strip() or None
    if force and not reason:
        raise InputError.at('使用 --force 强制定稿时，必须用 --reason "原因" 写明原因（原因会记录在定稿文件中）')
    return reason if force else None


def _run_check(wb: Workbook, path: Path, config: dict | None) -> list[Finding]:
    from xl_report.stages.check import check_book  # lazy: rules is a heavier module and optional for verify

    return list(check_book(wb, path, config=config))


def _check_book(wb: Workbook) -> list[Finding]:
    """Findings for an in-memory workbook: report and narrative (freeze_file's check also reads the tally)."""
    from xl_report.rules import check  # lazy: the rules are not needed to verify

    report = read_report(wb)
    return list(check(report, narrative=report.narrative))


def freeze_file(
    path: Path | str,
    output: Path | str | None = None,
    password: str | None = None,
    sign_key: Path | str | None = None,
    force: bool = False,
    reason: str | None = None,
    keep_personal: bool = False,
    config: dict | None = None,
) -> FreezeResult:
    """Check, then write the frozen copy of ``path`` (default ``<name>-定稿.xlsx``). Input untouched."""
    path = check_xlsx(path)
    reason = _check_reason(force, reason)
    if output and Path(output).exists() and Path(output).resolve() == path.resolve():
        raise InputError.at("定稿文件不能覆盖原工作簿，请用 -o 指定另一个文件名", file=str(output))
    out = output_path(path, FROZEN_SUFFIX, Path(output) if output else None)
    if out.suffix.lower() != path.suffix.lower():
        raise InputError.at(f"定稿文件的扩展名应与原工作簿相同（{path.suffix}）", file=str(out))
    wb = open_workbook(path)
    try:
        findings = _run_check(wb, path, config)  # on the same load: freezing changes the book only after
        result = freeze_book(
            wb,
            password=freeze_password(password, config),
            sign_key=sign_key,
            force=force,
            reason=reason,
            keep_personal=keep_personal,
            findings=findings,
            cached=_cache_reader(path),
            source=str(path),
        )
        backup_existing(out)
        save_workbook(wb, out)
    finally:
        wb.close()
    result.output = out
    return result


def _cache_reader(path: Path) -> CachedValue:
    """Excel's cached formula results, loaded only if a formula needs one."""
    book: dict[str, Workbook] = {}

    def cached(sheet: str, coord: str) -> object:
        if "wb" not in book:
            book["wb"] = open_workbook(path, data_only=True)
        wb = book["wb"]
        return wb[sheet][coord].value if sheet in wb.sheetnames else None

    return cached


def freeze_book(
    wb: Workbook,
    *,
    password: str | None = None,
    sign_key: Path | str | None = None,
    force: bool = False,
    reason: str | None = None,
    keep_personal: bool = False,
    findings: list[Finding] | None = None,
    cached: CachedValue | None = None,
    source: str | None = None,
    now: datetime | None = None,
) -> FreezeResult:
    """Freeze an openpyxl workbook in place (the caller saves it). ``findings=None`` runs the check."""
    reason = _check_reason(force, reason)
    existing = read_freeze_info(wb)
    if existing is not None:
        raise InputError.at(
            f"这个工作簿已经定稿（指纹 {short(existing['fingerprint'])}），不能再次定稿；"
            "如需修改，请在定稿前的工作簿上修改后重新定稿",
            file=source,
        )
    names = resolve_names(wb)
    missing = [n for n in form.CELL_NAMES if n not in names or names[n][0] not in wb.sheetnames]
    if missing:
        raise InputError.at(
            f"工作簿缺少 {len(missing)} 个单元格名称（如 {missing[0]}），不是本工具的年报模板", file=source
        )
    if findings is None:
        findings = _check_book(wb)
    errors = [f for f in findings if f.is_error]
    if errors and not force:
        raise FreezeRefused(findings)
    key = None
    if sign_key is not None:  # fail before touching the workbook
        key = load_private_key(sign_key)
        _check_key_unit(sign_key, read_report(wb, source=source).unit, source)

    if not errors:
        reason = None  # nothing was overridden: a forced freeze is one that ignored errors
    # personal columns go first: a formula there (never valued by Excel) must not block the freeze
    removed = 0 if keep_personal else _drop_personal(wb)
    _formulas_to_values(wb, names, cached, source)
    report = read_report(wb, source=source)
    now = now or datetime.now().astimezone()
    frozen_at = now.isoformat(timespec="seconds")

    # stamped with a placeholder first: the fingerprint is of the saved file without the 定稿 line's
    # time and fingerprint (reader_view leaves them out), so the final text can follow it
    volatile = _stamp_all(wb, names, PLACEHOLDER_FP, now, reason, len(errors))
    _protect(wb, password)
    _clear_props(wb)
    view = read_view(workbook_bytes(wb), source)
    text = canonical_json(view.canonical)
    fp = fingerprint_of_json(text)
    for cell, line in volatile:
        set_text(cell, line.replace(PLACEHOLDER_FP, fp).replace(short(PLACEHOLDER_FP), short(fp)))
    signature = key_hash = None
    if key is not None:
        signature, key_hash = sign(key, fp, frozen_at), key_id(key.public_key())
    _record(
        wb,
        freeze_properties(
            text,
            fp,
            frozen_at,
            reason=reason,
            forced_errors=len(errors),
            personal_removed=removed,
            signature=signature,
            key_id=key_hash,
            signer=report.unit,
        ),
    )
    return FreezeResult(
        None,
        fp,
        list(findings),
        forced=bool(force and errors),
        signed=key is not None,
        personal_removed=removed,
        frozen_at=frozen_at,
    )


def workbook_bytes(wb: Workbook) -> bytes:
    """The package openpyxl would save (what a reader of the file will open)."""
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _check_key_unit(sign_key: Path | str, unit: str | None, source: str | None) -> None:
    """A unit signs its own report only: the key file is named after its unit (keygen)."""
    owner = key_unit(sign_key)
    try:
        mine = safe_unit_name(unit)
    except InputError:
        mine = None
    if owner != mine:
        raise InputError.at(
            f"签名私钥“{Path(sign_key).name}”属于单位“{owner}”，与年报的单位名称“{unit or ''}”不一致，"
            "未定稿；请使用本单位用 xl-report keygen 生成的私钥",
            file=source,
        )


def _formulas_to_values(
    wb: Workbook, names: dict[str, tuple[str, str]], cached: CachedValue | None, source: str | None
) -> None:
    report_cells = {
        (s, c.split(":")[0]) for n, (s, c) in names.items() if n in form.CELL_BY_NAME or n in form.META_BY_NAME
    }
    problems: list[Problem] = []
    pending: list[tuple[Cell, object]] = []  # applied only when every formula has a value
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type != "f":
                    continue
                value = cell_value(ws, c)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    pending.append((c, value))
                    continue
                formula = c.value if isinstance(c.value, str) else getattr(c.value, "text", str(c.value))
                if (ws.title, c.coordinate) in report_cells:
                    problems.append(
                        Problem(
                            f"单元格 {c.coordinate} 是报表单元格，其公式无法计算（只支持 SUM 和加减），"
                            "请改为数字或模板原有的合计公式",
                            sheet=ws.title,
                            value=formula,
                        )
                    )
                    continue
                old = cached(ws.title, c.coordinate) if cached else None
                if old is None:
                    problems.append(
                        Problem(
                            f"单元格 {c.coordinate} 的公式无法计算，文件中也没有 Excel 保存的计算结果；"
                            "请在 Excel 中打开并保存一次，或改为数值",
                            sheet=ws.title,
                            value=formula,
                        )
                    )
                else:
                    pending.append((c, old))
    if problems:
        raise XlReportError(f"有 {len(problems)} 个公式无法转换为数值，未定稿：", problems)
    for c, value in pending:
        if isinstance(value, str):
            set_text(c, value)
        else:
            c.value = value


def _header_row(ws, headers: tuple[str, ...]) -> tuple[int, dict[str, int]] | None:
    """Row and columns of ``headers`` among the first rows (a clerk may add a title row)."""
    keys = {header_key(h): h for h in headers}  # '申请人（选填）', '*申请人' are the same column to the reader
    for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, 5)):
        found = {
            keys[header_key(c.value)]: c.column for c in row if c.value is not None and header_key(c.value) in keys
        }
        if found:
            return row[0].row, found
    return None


def _drop_personal(wb: Workbook) -> int:
    removed = 0
    for sheet, headers in PERSONAL_COLUMNS.items():
        if not headers or sheet not in wb.sheetnames:
            continue
        ws = wb[sheet]
        located = _header_row(ws, headers)
        if located is None:
            continue
        header_row, cols = located
        for col in cols.values():
            for (c,) in ws.iter_rows(min_row=header_row + 1, max_row=ws.max_row, min_col=col, max_col=col):
                if c.value is not None and not isinstance(c, MergedCell):
                    c.value = None
                    removed += 1
            ws.cell(header_row, col).comment = Comment(PERSONAL_NOTE, "xl_report", width=240, height=70)
    return removed


def _table_extent(ws) -> tuple[int, int]:
    """(last row, last column) of the printed table, else of the used range."""
    area = ws.print_area
    if area:
        first = area.split(",")[0].split("!")[-1]
        _, _, max_col, max_row = range_boundaries(first.replace("$", ""))
        return max_row, max_col
    return ws.max_row, ws.max_column


def _stamp(ws, lines: list[str]):
    """Write ``lines`` two rows below the table; returns the first line's cell."""
    last_row, last_col = _table_extent(ws)
    r = last_row + 2
    for i, text in enumerate(lines):
        c = ws.cell(r + i, 1)
        set_text(c, text)
        c.font = Font(**STAMP_FONT)
        c.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
        if last_col > 1:
            ws.merge_cells(start_row=r + i, start_column=1, end_row=r + i, end_column=last_col)
        ws.row_dimensions[r + i].height = stamp_row_height(text)
    if ws.print_area:
        ws.print_area = f"A1:{get_column_letter(last_col)}{r + len(lines) - 1}"
    return ws.cell(r, 1)


def _stamp_all(
    wb: Workbook, names: dict[str, tuple[str, str]], fp: str, now: datetime, reason: str | None, forced_errors: int
) -> list[tuple[object, str]]:
    """Write the 定稿 lines and the meta cells; returns the cells that show ``fp`` with their text."""
    lines = [stamp_line(fp, now)]
    if reason:
        lines.append(f"强制定稿（校验有 {forced_errors} 个错误）原因：{reason}")
    shown = []
    for title in (form.SHEET_README,) + form.TABLES:
        if title in wb.sheetnames:
            shown.append((_stamp(wb[title], lines), lines[0]))
    for name, text in (("meta_fingerprint", fp), ("meta_frozen_at", f"{now:%Y-%m-%d %H:%M:%S}")):
        if name in names and names[name][0] in wb.sheetnames:
            sheet, coord = names[name]
            set_text(cell := wb[sheet][coord.split(":")[0]], text)
            if name == "meta_fingerprint":
                shown.append((cell, text))
    return shown


def _protect(wb: Workbook, password: str | None) -> None:
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if not isinstance(c, MergedCell) and c.protection.locked is False:
                    c.protection = LOCKED
        for dim in ws.column_dimensions.values():
            if dim.protection.locked is False:
                dim.protection = LOCKED
        ws.protection.sheet = True
        if password:
            ws.protection.password = password
    wb.security = WorkbookProtection(lockStructure=True)
    if password:
        wb.security.workbookPassword = password
    wb.properties.contentStatus = FINAL_STATUS


def _record(wb: Workbook, props: dict[str, object]) -> None:
    _clear_props(wb)
    for name, value in props.items():
        if isinstance(value, bool):
            wb.custom_doc_props.append(BoolProperty(name=name, value=value))
        elif isinstance(value, int):
            wb.custom_doc_props.append(IntProperty(name=name, value=value))
        elif value != "":  # an empty lpwstr reads back as None: leave it out
            wb.custom_doc_props.append(StringProperty(name=name, value=str(value)))


# --------------------------------------------------------------------------------------------
# Verify
# --------------------------------------------------------------------------------------------


def verify_file(path: Path | str, keys_dir: Path | str | None = None) -> VerifyResult:
    """Verify one file. Raises InputError when the file cannot be read at all."""
    return verify_bytes(read_package(path), keys_dir=keys_dir, source=str(path))


def verify_book(wb: Workbook, keys_dir: Path | str | None = None, source: str | None = None) -> VerifyResult:
    """Verify an openpyxl workbook as it would be saved."""
    return verify_bytes(workbook_bytes(wb), keys_dir=keys_dir, source=source, wb=wb)


def verify_bytes(
    data: bytes, keys_dir: Path | str | None = None, source: str | None = None, wb: Workbook | None = None
) -> VerifyResult:
    """Verify a workbook package from its own XML: what a reader sees against what freezing recorded."""
    view = read_view(data, source)
    info = freeze_info_from_props(view.custom_props)
    if info is None:
        return VerifyResult(
            False, False, path=source, messages=["不是定稿文件（没有定稿指纹），请先用 xl-report freeze 定稿"]
        )
    if info["scheme"] < SCHEME:
        if wb is None:
            wb = load_workbook_bytes(data, source)
        return _verify_v1(wb, info, view, keys_dir, source)
    fp, stored = info["fingerprint"], info["view"]
    current_fp = view.fingerprint
    result = _frozen_result(info, current_fp, source)
    basis = stored if stored is not None else view.canonical
    unit, year = named_value(basis, "meta_unit"), named_value(basis, "meta_year")
    result.unit = one_line(unit) if isinstance(unit, str) else None
    result.year = parse_year(year)
    stored_ok = stored is not None and fingerprint_of_json(canonical_json(stored)) == fp
    if stored is None:
        result.messages.append("定稿时保存的内容记录已缺失或损坏，无法逐项指出改动")
    else:
        try:
            result.changed = diff_views(stored, view.canonical, token_values(fp, _stamp_time(info["frozen_at"])))
        except (TypeError, AttributeError, ValueError, KeyError, IndexError):  # a record not written by freeze
            stored_ok = False
            result.messages.append("定稿时保存的内容记录已损坏，无法逐项指出改动")
        if not stored_ok:
            result.messages.append("定稿时保存的内容记录与定稿指纹不一致：记录被改动过")
    for problem in volatile_problems(view, fp, info["frozen_at"]):
        result.changed.append(Change("stamp", "定稿行", None, None, text=problem))
    intact = stored_ok and current_fp == fp and not result.changed
    if not intact and not result.changed and current_fp != fp:
        result.messages.append("内容与定稿指纹不一致")
    if result.changed:
        result.messages.append(f"定稿后有 {len(result.changed)} 处改动（以上按读者看到的内容列出）")
    return _conclude(result, info, view, intact, keys_dir)


def _frozen_result(info: dict, current_fp: str, source: str | None) -> VerifyResult:
    """A frozen file's verdict before its checks: not yet ok, with what freeze recorded."""
    return VerifyResult(
        False,
        True,
        fingerprint=info["fingerprint"],
        path=source,
        current_fingerprint=current_fp,
        frozen_at=info["frozen_at"],
        reason=info["reason"],
        signer=info["signer"],
    )


def _stamp_time(frozen_at: str | None) -> str:
    try:
        return f"{datetime.fromisoformat(frozen_at or ''):%Y-%m-%d %H:%M}"
    except ValueError:
        return "（未知）"


def _verify_v1(
    wb: Workbook, info: dict, view: ReaderView, keys_dir: Path | str | None, source: str | None
) -> VerifyResult:
    """A file frozen with the older scheme: the report's values only (see V1_NOTE)."""
    report = read_report(wb, source=source)
    current = canonical_values(report)
    current_fp = fingerprint_of(current)
    stored, fp = info["values"], info["fingerprint"]
    result = _frozen_result(info, current_fp, source)
    basis = stored if stored is not None else current
    result.unit = basis.get("unit") if isinstance(basis.get("unit"), str) else None
    result.year = basis.get("year") if isinstance(basis.get("year"), int) else None
    result.messages.append(V1_NOTE)
    if stored is None:
        result.messages.append("定稿时保存的数据已缺失或损坏，无法逐格核对")
    else:
        result.changed = diff(stored, current)
        if fingerprint_of(stored) != fp:
            result.messages.append("定稿时保存的数据与定稿指纹不一致：保存的数据被改动过")
    intact = stored is not None and fingerprint_of(stored) == fp and current_fp == fp
    if not intact and not result.changed and stored is not None and current_fp != fp:
        result.messages.append("内容与定稿指纹不一致")
    if result.changed:
        result.messages.append(f"定稿后有 {len(result.changed)} 处内容被改动")
    return _conclude(result, info, view, intact, keys_dir)


def _conclude(
    result: VerifyResult, info: dict, view: ReaderView, intact: bool, keys_dir: Path | str | None
) -> VerifyResult:
    """What both schemes add once the content is judged: the forced-freeze reason, protection, signature."""
    if info["reason"]:
        result.messages.append(f"此文件为强制定稿，原因：{info['reason']}")
    result.messages.extend(_protection_notes(view, intact))
    signature_ok = True
    if keys_dir is not None:
        result.signed = signature_ok = _check_signature(info, result.unit, Path(keys_dir), result.messages)
    elif info["signature"]:
        result.messages.append(f"文件带有“{info['signer'] or ''}”的签名；未提供公钥目录（--keys），未核验签名")
    result.ok = intact and signature_ok
    return result


def _check_signature(info: dict, unit: str | None, keys_dir: Path, messages: list[str]) -> bool:
    if not keys_dir.is_dir():
        raise InputError.at("公钥目录不存在", file=str(keys_dir))
    if not info["signature"]:
        messages.append("文件没有签名")
        return False
    frozen_at = info["frozen_at"] or "" if info["scheme"] >= SCHEME else None

    def valid(pub: Path) -> bool:
        try:
            return verify_signature(load_public_key(pub), info["fingerprint"], info["signature"], frozen_at)
        except InputError:
            return False

    try:
        pub_path = keys_dir / (safe_unit_name(unit) + PUBLIC_SUFFIX)
    except InputError:
        messages.append("文件中没有可用的单位名称，无法查找公钥")
        return False
    if pub_path.is_file() and valid(pub_path):
        messages.append(f"签名有效（单位“{unit}”）")
        return True
    other = next((p for p in sorted(keys_dir.glob("*" + PUBLIC_SUFFIX)) if p != pub_path and valid(p)), None)
    if other is not None:
        messages.append(f"签名无效：文件是用单位“{key_unit(other)}”的密钥签署的，不是文件中的单位“{unit}”")
    elif not pub_path.is_file():
        messages.append(f"找不到单位“{unit}”的公钥文件 {pub_path.name}，无法核验签名")
    else:
        messages.append(f"签名无效：不是用单位“{unit}”的密钥签署的，或定稿指纹、定稿时间被改动")
    return False


def _protection_notes(view: ReaderView, intact: bool) -> list[str]:
    """Protection is a courtesy, the fingerprint is the lock: removing it is a warning."""
    lifted = [f"工作表“{t}”的保护已被取消" for t in view.unprotected]
    if not view.structure_locked:
        lifted.append("工作簿结构保护已被取消")
    if not lifted:
        return []
    tail = "；内容与定稿时一致" if intact else "；改动见上"
    return [f"注意：{'，'.join(lifted)}{tail}"]
