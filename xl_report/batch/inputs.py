"""What a batch reads besides the units: the input folder's workbooks, the expected units (--units)
and last year's reports (--previous)."""

from __future__ import annotations

import os
from pathlib import Path

from python_calamine import CalamineWorkbook

from xl_report.batch.model import display_name, match_key
from xl_report.batch.rollup import SUMMARY_FILE
from xl_report.batch.state import output_intact, records
from xl_report.core import form
from xl_report.core.config import read_toml
from xl_report.core.errors import InputError, XlReportError
from xl_report.core.filenames import FROZEN_SUFFIX
from xl_report.xlsx.safety import check_xlsx

LEDGER_FILES = (".xls", ".ods", ".csv")  # an office's own ledger, converted as `adopt`/`fill` convert it
INPUT_SUFFIXES = (".xlsx", ".xlsm") + LEDGER_FILES
# spreadsheets no reader of ours opens (WPS .et, binary .xlsb, Numbers, templates): listed as skipped, never opened
OTHER_SPREADSHEETS = (".et", ".ett", ".xlsb", ".numbers", ".xltx", ".xlt")


UNIT_LIST_HEADER_ROWS = 10  # rows of a --units workbook searched for the 单位名称 header


MAX_UNITS = 10_000  # names in a --units list: a county has dozens; millions would only exhaust memory


def find_inputs(indir: Path, outdir: Path) -> list[Path]:
    return scan_inputs(indir, outdir)[0]


def scan_inputs(indir: Path, outdir: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """The unit workbooks of ``indir``, and the entries skipped (name, Chinese reason) that a clerk may
    have meant as one: hidden workbooks, links pointing outside ``indir`` or nowhere, pipes and other
    special files (never opened: reading a FIFO would block), spreadsheets in another format, subfolders
    holding workbooks (the batch reads ``indir`` itself only). Excel's ~$ lock files and the batch's
    own outputs are left out silently."""
    if not indir.is_dir():
        raise InputError.at("输入文件夹不存在", file=str(indir))
    out_resolved, in_resolved = outdir.resolve(), indir.resolve()
    files, skipped = [], []
    with os.scandir(indir) as it:  # the entries' types come with the listing: no stat per file
        entries = sorted(((indir / e.name, e) for e in it), key=lambda pe: pe[0])
    for p, entry in entries:
        if p.suffix.lower() in OTHER_SPREADSHEETS and not p.name.startswith(("~$", ".")):
            skipped.append(
                (
                    p.name,
                    f"不是 Excel 工作簿（{p.suffix.lower()} 格式），未处理；如是单位的台账，"
                    "请用 Excel 或 WPS 打开后另存为 .xlsx 再放回",
                )
            )
            continue
        if entry.is_dir() and not entry.is_symlink() and p.suffix.lower() not in INPUT_SUFFIXES:
            if not p.name.startswith(".") and p.resolve() != out_resolved and _holds_workbooks(p):
                skipped.append((p.name, "子文件夹，其中的工作簿未处理；请把各单位的工作簿直接放在输入文件夹中"))
            continue
        if p.suffix.lower() not in INPUT_SUFFIXES or p.name.startswith("~$"):
            continue
        why = _skip_reason(p, entry, in_resolved)
        if why:
            skipped.append((p.name, why))
        elif (p.resolve().parent if entry.is_symlink() else in_resolved) != out_resolved:
            files.append(p)
    return files, skipped


def _skip_reason(p: Path, entry: os.DirEntry, indir: Path) -> str | None:
    if p.name.startswith("."):
        return "隐藏文件（文件名以“.”开头），未处理；如是单位的台账，请去掉文件名开头的“.”"
    if entry.is_symlink():
        target = p.resolve()
        if not target.exists():
            return "快捷方式（符号链接）指向的文件不存在，未处理"
        if not target.is_relative_to(indir):
            return "快捷方式（符号链接）指向输入文件夹以外的文件，出于安全考虑未处理；请把文件本身放进输入文件夹"
    if not entry.is_file():
        return "不是普通文件（文件夹、管道或设备），未处理"
    return None


def folders_with_workbooks(indir: Path, outdir: Path) -> list[str]:
    """Subfolders of ``indir`` (not OUTDIR) that hold workbooks: the batch reads ``indir`` itself only,
    so units filed by township / department in subfolders would silently show as 未提交."""
    out_resolved = outdir.resolve()
    found = []
    with os.scandir(indir) as it:  # the entries' types come with the listing: no stat per file
        folders = sorted(indir / e.name for e in it if e.is_dir() and not e.name.startswith("."))
    for d in folders:
        if d.resolve() == out_resolved:
            continue
        if _holds_workbooks(d):
            found.append(d.name)
    return found


def _holds_workbooks(folder: Path) -> bool:
    return any(is_workbook_name(f) for f in folder.rglob("*"))


def is_workbook_name(path: Path) -> bool:
    """A unit's workbook by its name: not an Excel lock file, not hidden, a workbook suffix."""
    return not path.name.startswith(("~$", ".")) and path.suffix.lower() in INPUT_SUFFIXES


def read_unit_list(path: Path | str) -> list[str]:
    """Expected unit names from a TOML file (``units = [...]`` or ``[[units]] name = ...``) or an
    .xlsx whose first sheet lists them in the column headed 单位名称 (else the first column)."""

    path = Path(path)
    if not path.is_file():
        raise InputError.at("找不到单位名单文件", file=str(path))
    names: list[str] = []
    if path.suffix.lower() == ".toml":
        data = read_toml(path, "单位名单")
        listed = data.get("units", [])
        if isinstance(listed, str):  # units = "某单位": one unit
            listed = [listed]
        if not isinstance(listed, list):
            raise InputError.at('单位名单应写成 units = ["某某镇人民政府", "某某局"] 这样的名称列表', file=str(path))
        for item in listed:
            name = item.get("name") if isinstance(item, dict) else item
            if isinstance(name, str):
                names.append(name)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        check_xlsx(path)
        try:
            rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        except Exception as e:  # noqa: BLE001 - calamine raises its own types
            raise InputError.at(f"无法读取单位名单（{e}）", file=str(path)) from None
        label = form.META_BY_NAME["meta_unit"].label
        col = 0
        for at, row in enumerate(rows[:UNIT_LIST_HEADER_ROWS]):  # a title row may sit above the header
            heads = [str(v).strip() for v in row]
            if label in heads:
                col, rows = heads.index(label), rows[at + 1 :]
                break
        # a number is never a unit name (a 序号 column when there is no header)
        names = [
            str(r[col]) for r in rows if col < len(r) and not isinstance(r[col], (int, float)) and str(r[col]).strip()
        ]
    else:
        raise InputError.at("单位名单应为 .xlsx 或 .toml 文件", file=str(path))
    if len(names) > MAX_UNITS:
        raise InputError.at(
            f"单位名单中的名称过多（{len(names):,} 个，上限 {MAX_UNITS:,} 个），请检查是否选错了文件", file=str(path)
        )
    out, seen = [], set()
    for n in names:
        shown = display_name(n)
        if shown and match_key(shown) not in seen:
            seen.add(match_key(shown))
            out.append(shown)
    if not out:
        raise InputError.at("单位名单中没有任何单位名称", file=str(path))
    return out


def previous_reports(prevdir: Path | str) -> dict[str, dict]:
    """Last year's reports by unit: match key -> ReportData fields (unit, year, values).

    Uses last year's batch records when the output file they describe is unchanged, else reads the
    output workbook itself.
    """
    prevdir = Path(prevdir)
    if not prevdir.is_dir():
        raise InputError.at("找不到上一年度的输出文件夹", file=str(prevdir))
    out: dict[str, dict] = {}
    known: set[str] = set()
    for rec in records(prevdir):
        if not rec.has_report or not rec.file:
            continue
        known.add(rec.file)
        if output_intact(prevdir, rec):
            out[match_key(rec.unit)] = {"unit": rec.unit, "year": rec.year, "values": rec.values}

    for path in sorted(prevdir.glob("*.xlsx")):
        if (
            path.name in known
            and match_key(path.stem.removesuffix(FROZEN_SUFFIX)) in out
            or path.name.startswith(("~$", "."))
            or path.name == SUMMARY_FILE
        ):
            continue  # the summary holds no unit's report: not worth parsing
        # lazy: openpyxl (~50 ms) only for a workbook without last year's batch record; the workers never load it
        from xl_report.xlsx.workbook import read_report_file

        try:
            rep = read_report_file(path)
        except XlReportError:
            continue
        if rep.unit and not rep.missing:
            out.setdefault(match_key(rep.unit), {"unit": rep.unit, "year": rep.year, "values": rep.values})
    if not out:  # e.g. last year's tally folder given: silently no cross-year check at all
        raise InputError.at(
            "该文件夹中没有任何单位的年报；--previous 应指向上一年度 xl-report batch 的输出文件夹", file=str(prevdir)
        )
    return out
