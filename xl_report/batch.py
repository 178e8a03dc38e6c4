"""County batch: read → aggregate → check → (freeze) → write, for every unit's tally workbook in a folder.

Worker processes each parse the template once (:class:`xl_report.stamp.Stamper`) and stamp every
unit's values into it. A unit whose file is broken, hostile or wrong fails with a Chinese reason;
the others carry on. Every output is written atomically; a per-unit record (``OUTDIR/.xl-report/``)
remembers the input's content hash, so a rerun skips unchanged units and an interrupted run
completes the rest. The summary workbook, the 全县合计 roll-up and findings.json are written by
:mod:`xl_report.summary` at the end.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import re
import shutil
import time
import unicodedata
from datetime import date, datetime
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, fields as dataclass_fields
from pathlib import Path
from typing import Callable, Iterable

from . import __version__, form
from .errors import EXIT_FINDINGS, EXIT_OK, InputError, XlReportError
from .fileio import atomic_path, backup_existing, backup_path, keep_backup, unit_file_name, write_bytes_atomic
from .findings import Finding, count
from .freeze import FROZEN_SUFFIX
from .report import ReportData
from .safety import read_package

STATUS_OK = "成功"
STATUS_ERRORS = "有错误"
STATUS_FAILED = "失败"
STATUS_MISSING = "未提交"
STATE_DIR = ".xl-report"  # inside OUTDIR: one record per input file, plus the run's name claims
INPUT_SUFFIXES = (".xlsx", ".xlsm", ".xls")  # .xls is picked up so that it fails with a clear reason
RECORD_VERSION = 1
UNIT_LIST_HEADER_ROWS = 10  # rows of a --units workbook searched for the 单位名称 header
MAX_UNITS = 10_000  # names in a --units list: a county has dozens; millions would only exhaust memory
# headline columns of the summary: label -> the cells it adds up
HEADLINES: dict[str, tuple[str, ...]] = {
    "新收": (form.PLACEHOLDERS["新收"],),
    "上年结转": (form.PLACEHOLDERS["上年结转"],),
    "办结": (form.PLACEHOLDERS["办结"],),
    "结转下年度": (form.PLACEHOLDERS["结转下年度"],),
    "复议": (form.PLACEHOLDERS["行政复议"],),
    "诉讼": (form.PLACEHOLDERS["直接起诉"], form.PLACEHOLDERS["复议后起诉"]),
}


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass
class UnitResult:
    """One row of the summary; also the JSON record kept in OUTDIR/.xl-report/units/."""

    source: str  # input file name inside DIR ("" for a unit that did not submit)
    unit: str
    status: str
    file: str | None = None  # output file name inside OUTDIR
    reason: str | None = None  # why the unit failed (Chinese)
    errors: int = 0
    warnings: int = 0
    headline: dict[str, float | int] = field(default_factory=dict)
    fingerprint: str | None = None
    findings: list[dict] = field(default_factory=list)
    values: dict[str, object] = field(default_factory=dict)  # the 200 cells, for the roll-up
    notes: list[str] = field(default_factory=list)
    year: int | None = None
    key: str = ""  # what the result depends on (input hash + options): equal key, same result
    output_hash: str | None = None
    skipped: bool = False  # reused from the previous run (not stored)
    duplicate_of: str | None = None  # the input holding this unit's name (a failure that depends on it)

    def to_json(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in dataclass_fields(self)}  # shallow: json.dumps copies anyway
        d.pop("skipped")
        d["v"] = RECORD_VERSION
        return d

    @classmethod
    def from_json(cls, d: dict) -> "UnitResult":
        d = dict(d)
        d.pop("v", None)
        return cls(**d)

    @property
    def has_report(self) -> bool:
        return self.status in (STATUS_OK, STATUS_ERRORS)


@dataclass
class BatchResult:
    outdir: Path
    units: list[UnitResult]
    rollup: ReportData | None = None
    rollup_findings: list[Finding] = field(default_factory=list)
    summary_path: Path | None = None
    findings_path: Path | None = None
    seconds: float = 0.0
    retired: list[str] = field(default_factory=list)  # outputs of inputs no longer in DIR, moved aside

    @property
    def processed(self) -> int:
        return sum(1 for u in self.units if u.source and not u.skipped)

    @property
    def skipped(self) -> int:
        return sum(1 for u in self.units if u.skipped)

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in (STATUS_OK, STATUS_ERRORS, STATUS_FAILED, STATUS_MISSING)}
        for u in self.units:
            out[u.status] += 1
        return out

    @property
    def exit_code(self) -> int:
        bad = any(u.status in (STATUS_FAILED, STATUS_ERRORS) for u in self.units)
        return EXIT_FINDINGS if bad else EXIT_OK


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------


def display_name(unit: str | None) -> str | None:
    """The unit name as shown in the summary: control characters gone, spaces collapsed."""
    if unit is None:
        return None
    text = "".join(ch for ch in unicodedata.normalize("NFC", str(unit)) if unicodedata.category(ch) not in ("Cc", "Cf"))
    text = re.sub(r"\s+", " ", text).strip()
    return text[:200] or None


def _match_key(unit: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", unit)).casefold()


# --------------------------------------------------------------------------------------------
# Expected units (--units) and last year's results (--previous)
# --------------------------------------------------------------------------------------------


def read_unit_list(path: Path | str) -> list[str]:
    """Expected unit names from a TOML file (``units = [...]`` or ``[[units]] name = ...``) or an
    .xlsx whose first sheet lists them in the column headed 单位名称 (else the first column)."""
    from .config import read_toml

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
        from python_calamine import CalamineWorkbook

        from .safety import check_xlsx

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
                col, rows = heads.index(label), rows[at + 1:]
                break
        # a number is never a unit name (a 序号 column when there is no header)
        names = [str(r[col]) for r in rows if col < len(r) and not isinstance(r[col], (int, float))
                 and str(r[col]).strip()]
    else:
        raise InputError.at("单位名单应为 .xlsx 或 .toml 文件", file=str(path))
    if len(names) > MAX_UNITS:
        raise InputError.at(f"单位名单中的名称过多（{len(names):,} 个，上限 {MAX_UNITS:,} 个），请检查是否选错了文件",
                            file=str(path))
    out, seen = [], set()
    for n in names:
        shown = display_name(n)
        if shown and _match_key(shown) not in seen:
            seen.add(_match_key(shown))
            out.append(shown)
    if not out:
        raise InputError.at("单位名单中没有任何单位名称", file=str(path))
    return out


def load_previous(prevdir: Path | str) -> dict[str, dict]:
    """Last year's reports by unit: match key -> ReportData fields (unit, year, values).

    Uses last year's batch records when the output file they describe is unchanged, else reads the
    output workbook itself.
    """
    prevdir = Path(prevdir)
    if not prevdir.is_dir():
        raise InputError.at("找不到上一年度的输出文件夹", file=str(prevdir))
    out: dict[str, dict] = {}
    known: set[str] = set()
    for rec in _records(prevdir):
        if not rec.has_report or not rec.file:
            continue
        known.add(rec.file)
        if _output_intact(prevdir, rec):
            out[_match_key(rec.unit)] = {"unit": rec.unit, "year": rec.year, "values": rec.values}
    from .summary import SUMMARY_FILE
    from .workbook import read_report_file

    for path in sorted(prevdir.glob("*.xlsx")):
        if path.name in known and _match_key(path.stem.removesuffix(FROZEN_SUFFIX)) in out or \
                path.name.startswith(("~$", ".")) or path.name == SUMMARY_FILE:
            continue  # the summary holds no unit's report: not worth parsing
        try:
            rep = read_report_file(path)
        except XlReportError:
            continue
        if rep.unit and not rep.missing:
            out.setdefault(_match_key(rep.unit), {"unit": rep.unit, "year": rep.year, "values": rep.values})
    if not out:  # e.g. last year's tally folder given: silently no cross-year check at all
        raise InputError.at("该文件夹中没有任何单位的年报；--previous 应指向上一年度 xl-report batch 的输出文件夹",
                            file=str(prevdir))
    return out


# --------------------------------------------------------------------------------------------
# State: per-input records and per-run name claims
# --------------------------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _state(outdir: Path) -> Path:
    return outdir / STATE_DIR


# Records are JSON lines appended to one log per writing process and run (OUTDIR/.xl-report/units/
# <time>-<pid>.jsonl): creating a file costs more than the whole record on some file systems, and a
# batch writes one record per unit. The latest line for an input wins; a torn last line (killed
# mid-write) is skipped, i.e. costs a redo. One <sha1>.json per input (older versions) reads as oldest.
RECORD_LOG_LIMIT = 16  # record files kept before run_batch merges them into one

_OWN_FILES: dict[tuple[str, str, int], int] = {}  # (folder, kind, pid) -> this process's open log


def _own_log(folder: Path, kind: str) -> int:
    """This process's append-only log of ``kind`` in ``folder``, opened on first use."""
    key = (str(folder), kind, os.getpid())
    if key not in _OWN_FILES:
        path = folder / f"{time.time_ns():020d}-{os.getpid()}.{kind}"
        _OWN_FILES[key] = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o644)
    return _OWN_FILES[key]


def _close_own_logs() -> None:
    for key in [k for k in _OWN_FILES if k[2] == os.getpid()]:
        os.close(_OWN_FILES.pop(key))
    _TOKENS.clear()


_TOKENS: dict[tuple[str, int], tuple[str, int]] = {}  # (claims folder, pid) -> (token file, its inode)


def _token(folder: Path, fresh: bool = False) -> tuple[str, int]:
    """This process's claim token in ``folder`` (a new one when ``fresh``)."""
    key = (str(folder), os.getpid())
    if fresh or key not in _TOKENS:
        procs = folder / "procs"
        procs.mkdir(exist_ok=True)
        path = str(procs / f"{os.getpid()}-{time.time_ns()}.token")
        open(path, "xb").close()
        _TOKENS[key] = (path, os.stat(path).st_ino)
    return _TOKENS[key]


def _record_files(outdir: Path) -> list[Path]:
    folder = _state(outdir) / "units"
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.json")) + sorted(folder.glob("*.jsonl"))  # oldest first


def _record_index(outdir: Path, outputs: set[str] | None = None) -> dict[str, tuple[Path, int, int]]:
    """Input file name -> (file, offset, length) of its latest record. ``outputs``: collects the output
    file name of every record."""
    index: dict[str, tuple[Path, int, int]] = {}
    for path in _record_files(outdir):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        offset = 0
        for line in (data.split(b"\n") if path.suffix == ".jsonl" else [data]):
            try:
                record = json.loads(line)
                source = record["source"]
                if outputs is not None and isinstance(record.get("file"), str):
                    outputs.add(record["file"])
            except (ValueError, TypeError, KeyError, AttributeError):
                source = None  # a damaged record only costs a redo
            if isinstance(source, str):
                index[source] = (path, offset, len(line))
            offset += len(line) + 1
    return index


def _read_record(where: tuple[Path, int, int] | None) -> UnitResult | None:
    if where is None:
        return None
    path, offset, length = where
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return UnitResult.from_json(json.loads(f.read(length)))
    except (ValueError, TypeError, OSError):
        return None


def _records(outdir: Path) -> Iterable[UnitResult]:
    for where in _record_index(outdir).values():
        rec = _read_record(where)
        if rec is not None:
            yield rec


def _save_record(outdir: Path, result: UnitResult) -> None:
    data = json.dumps(result.to_json(), ensure_ascii=False, separators=(",", ":"), default=str)
    os.write(_own_log(_state(outdir) / "units", "jsonl"), (data + "\n").encode("utf-8"))  # one append


def _merge_records(outdir: Path) -> None:
    """Many record files (runs add one per process) -> one, holding the latest record of each input."""
    files = _record_files(outdir)
    if len(files) <= RECORD_LOG_LIMIT:
        return
    index = _record_index(outdir)
    target = _state(outdir) / "units" / f"{time.time_ns():020d}-{os.getpid()}.jsonl"
    with atomic_path(target) as tmp, open(tmp, "wb") as out:
        for where in index.values():
            path, offset, length = where
            with open(path, "rb") as f:
                f.seek(offset)
                out.write(f.read(length) + b"\n")
    for path in files:
        path.unlink(missing_ok=True)


def _claim(outdir: Path, name: str, source: str) -> str | None:
    """Reserve an output name for this run; returns the other input holding it, if any.

    A claim is a hard link, named after the output name, to a token file of the claiming process
    (atomic, and no new file per unit); the process first notes (name, token, input) in its own log,
    which is how a later claimant finds the holder. Without hard links, a file holding the input.
    """
    folder = _state(outdir) / "claims"
    key = _sha256(name.casefold().encode("utf-8"))
    path = folder / key
    fresh = False
    for _ in range(2):
        try:
            token, ino = _token(folder, fresh)
            note = json.dumps([key, ino, source], ensure_ascii=False) + "\n"
            os.write(_own_log(folder / "procs", "log"), note.encode())
            os.link(token, path)
            return None
        except FileExistsError:
            holder = _claim_holder(folder, key, path)
            return None if holder == source else holder
        except OSError as e:
            if e.errno in (errno.EMLINK, errno.ENOENT):  # as many links as allowed / token gone: a new one
                fresh = True
                continue
            break
    try:  # no hard links on this file system
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        holder = _claim_holder(folder, key, path)
        return None if holder == source else holder
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(source)
    return None


def _claim_holder(folder: Path, key: str, path: Path) -> str:
    """The input that claimed ``key``: from the claims logs (a hard link) or the claim file itself."""
    ino = path.stat().st_ino
    for log in sorted((folder / "procs").glob("*.log")):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                k, token, source = json.loads(line)
            except (ValueError, TypeError):
                continue
            if k == key and token == ino:
                return source
    return path.read_text(encoding="utf-8")


def _reusable(outdir: Path, rec: UnitResult | None, key: str) -> bool:
    if rec is None or rec.key != key:
        return False
    if rec.file is None:
        return rec.status == STATUS_FAILED
    return _output_intact(outdir, rec)


def _output_intact(outdir: Path, rec: UnitResult) -> bool:
    """The record's output is in ``outdir`` exactly as the run wrote it (not changed, not replaced)."""
    path = outdir / rec.file
    return path.is_file() and _sha256(path.read_bytes()) == rec.output_hash


# --------------------------------------------------------------------------------------------
# One unit (runs in a worker process)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    outdir: str
    year: int | None = None
    freeze: bool = False
    password: str | None = field(default=None, repr=False)  # a secret: never in a repr or a log
    config: dict | None = None
    now: str | None = None  # ISO time of the run: every unit frozen in one run shares it
    options_key: str = ""  # what a unit's result depends on besides its input (see input_key)
    foreign: frozenset[str] = frozenset()  # files in OUTDIR that no run wrote: backed up before replaced


def input_key(path: Path, options_key: str, data: bytes | None = None) -> str:
    """A unit's record key: its input's content and the run's options. Equal key, same result.
    ``data``: the input's bytes when already read (else the file is hashed in blocks)."""
    h = hashlib.sha256()
    if data is None:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    else:
        h.update(data)
    h.update(options_key.encode())
    return h.hexdigest()


_WORKER: dict = {}


def _init_worker(previous: dict[str, dict] | None) -> None:
    from . import aggregate, fill, rules, safety  # noqa: F401 - imported once, before any fork
    from .stamp import Stamper

    if "stamper" not in _WORKER:
        _WORKER["stamper"] = Stamper()  # the template parsed once per process
    _WORKER["previous"] = previous or {}


def _start_worker(parent: int, previous: dict[str, dict] | None, init: bool) -> None:
    """Pool initializer. A batch killed outright (SIGKILL, a closed terminal) cannot tell its pool's
    workers, which would wait for work forever holding the console's pipe: they watch their parent."""
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="xl-report-parent-watch", daemon=True).start()
    if init:
        _init_worker(previous)


def _process_many(jobs: list[tuple[str, str, str | None]], opts: Options):
    """The results without their cell values, plus the chunk's share of the roll-up: less to send
    back, less for the main process to do."""
    from .summary import RollupSum

    share, out = RollupSum(), []
    for path, source, key in jobs:
        res = _process(path, source, key, opts)
        if res.has_report:
            share.add(res.values)
        res.values = {}
        out.append(res)
    return out, share


def _process(path: str, source: str, key: str | None, opts: Options) -> UnitResult:
    outdir = Path(opts.outdir)
    fallback = display_name(Path(source).stem) or source
    try:
        data = read_package(path)  # read once: hashed, checked and parsed from memory
        if key is None:  # no earlier record, so the main process did not read the input: hash it here
            key = input_key(Path(path), opts.options_key, data)
        result, output = _run_unit(Path(path), source, opts, data)
    except XlReportError as e:
        result, output = UnitResult(source, fallback, STATUS_FAILED, reason=str(e).replace(path, source)), None
    except Exception as e:  # noqa: BLE001 - a bug must not stop the county: report it on the unit
        result = UnitResult(source, fallback, STATUS_FAILED, reason=f"内部错误（{type(e).__name__}: {e}），请把该文件发给维护人员")
        result.key = ""  # never reuse: the next version may handle it
        return result
    # unreadable (e.g. too large): tried again next run, at the cost of a stat; a duplicate name
    # depends on another input: decided again every run
    result.key = "" if result.duplicate_of else key or ""
    # the record first, then the output: killed in between, the next run finds a record whose output
    # is missing (redone), never an output without a record (taken for the user's own file)
    _save_record(outdir, result)
    if output is not None:
        try:
            _write_output(outdir, result, output, opts)
        except XlReportError as e:  # a full disk, a read-only folder
            result = UnitResult(source, result.unit, STATUS_FAILED, reason=str(e))
            _save_record(outdir, result)
    return result


def _write_output(outdir: Path, result: UnitResult, data: bytes, opts: Options) -> None:
    """Write a unit's workbook: a user's own file of that name is backed up first; the other variant
    (frozen / not frozen) from an earlier run goes, as it would contradict this one."""
    file = result.file
    if file in opts.foreign and (outdir / file).is_file():
        result.notes.append(f"输出文件夹中原有的同名文件已备份为“{keep_backup(outdir / file).name}”")
    write_bytes_atomic(outdir / file, data)
    frozen = result.fingerprint is not None
    name = file.removesuffix(".xlsx").removesuffix(FROZEN_SUFFIX) if frozen else file.removesuffix(".xlsx")
    stale = f"{name}.xlsx" if frozen else f"{name}{FROZEN_SUFFIX}.xlsx"
    if stale not in opts.foreign and (outdir / stale).is_file():
        (outdir / stale).unlink()


def _run_unit(path: Path, source: str, opts: Options, data: bytes) -> tuple[UnitResult, bytes | None]:
    """One unit read, filled, checked (and frozen): its result and the output workbook to write."""
    from .aggregate import aggregate
    from .fill import report_year
    from .rules import check
    from .safety import open_xlsx
    from .stamp import personal_count

    outdir = Path(opts.outdir)
    with open_xlsx(path, data) as package:  # checked, and its directory read once
        tally, book = read_unit(path, tally_cells=False, package=package, data=data)
    year = report_year(opts.year, tally)
    agg = aggregate(tally, year)
    unit = display_name(book.get("meta_unit") or tally.unit) or display_name(path.stem) or path.name
    values = {n: book["values"].get(n) for n in form.CELL_NAMES}
    values.update(agg.report.values)
    report = ReportData(unit=unit, year=year, contact=book.get("meta_contact"), level=book.get("meta_level"),
                        published=book.get("meta_published"), values=values, narrative=book["narrative"],
                        source=source)
    stamper = _WORKER["stamper"]
    view = stamper.view(report)
    prev = _WORKER["previous"].get(_match_key(unit))
    previous = ReportData(unit=prev["unit"], year=prev["year"], values=prev["values"]) if prev else None
    findings = list(check(view, previous=previous, tally=tally, narrative=view.narrative, config=opts.config))
    errors, warnings = count(findings)
    name = unit_file_name(unit, fallback=unit_file_name(path.stem))
    holder = _claim(outdir, name, source)
    if holder is not None:
        return UnitResult(source, display_name(path.stem) or source, STATUS_FAILED, duplicate_of=holder,
                          reason=f"单位名称“{unit}”与文件“{holder.lstrip('/')}”重复，未输出；请核对两个文件的单位名称"), None
    frozen = None
    if opts.freeze and not errors:
        now = datetime.fromisoformat(opts.now) if opts.now else None
        data, frozen = stamper.stamp_frozen(view, tally, password=opts.password, now=now,
                                            personal_removed=personal_count(tally))
    else:
        data = stamper.stamp(view, None, tally=tally)
    file = f"{name}{FROZEN_SUFFIX}.xlsx" if frozen else f"{name}.xlsx"
    return UnitResult(
        source, unit, STATUS_ERRORS if errors else STATUS_OK, file=file, errors=errors, warnings=warnings,
        headline=headline(view), fingerprint=frozen.fingerprint if frozen else None,
        findings=[f.to_json() for f in findings], values={n: view.values[n] for n in form.CELL_NAMES},
        notes=list(agg.notes), year=year, output_hash=_sha256(data)), data


def headline(report: ReportData) -> dict[str, float | int]:
    return {label: sum(report.num0(n) for n in names) for label, names in HEADLINES.items()}


def _cell(value: object) -> object:
    """A calamine value as pandas' calamine engine hands it to the tally reader."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value


_POSITIONS: dict[str, dict[str, list[tuple[str, int, int]]]] = {}


def _cell_positions(workbook_xml: bytes) -> dict[str, list[tuple[str, int, int]]]:
    """Named cells -> [(sheet, row, col)]; cached per workbook.xml (units mostly share the template's)."""
    from .stamp import named_cells, package_names, split_coord

    key = _sha256(workbook_xml)
    if key not in _POSITIONS:
        if len(_POSITIONS) > 64:
            _POSITIONS.clear()
        _POSITIONS[key] = {name: [(s, *reversed(split_coord(a1))) for s, a1 in refs]
                           for name, refs in named_cells(package_names(workbook_xml)).items()}
    return _POSITIONS[key]


def read_unit(path: Path, *, tally_cells: bool = True, package=None, data: bytes | None = None):
    """The tally and the report fields of one unit workbook, from ONE calamine pass.

    Same result as :func:`xl_report.tally.read_tally` (its grids go through ``tally_from_frames``)
    without pandas' per-sheet overhead (~6× faster); plus, through the workbook's defined names, the
    meta fields, the typed table values and the narrative. Returns (Tally, fields).
    ``tally_cells=False`` leaves out of ``fields["values"]`` the table cells that the present tally
    sheets fill (:func:`xl_report.aggregate.cells_filled_by`): the batch recomputes them, so their
    sheets need not be read at all. ``package``: the file already open as a ``zipfile.ZipFile``;
    ``data``: its bytes, already read.
    """
    import zipfile

    from python_calamine import CalamineWorkbook

    from .aggregate import cells_filled_by
    from .tally import HEADER_SCAN_ROWS, MAX_ROWS, read_tally, refuse_misnamed_sheets, tally_from_frames
    from .tally_schema import TALLY_SHEETS
    from .normalise import parse_year
    from .workbook import _date, _text

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data)) if data is not None else \
            CalamineWorkbook.from_path(str(path))
    except Exception as e:  # noqa: BLE001 - calamine raises its own types for malformed parts
        raise InputError.at(f"无法读取工作簿（{e}）", file=str(path)) from None
    refuse_misnamed_sheets(book.sheet_names, path)  # '依申请公开台帐' read as absent would leave 表三 at zero
    present = set(book.sheet_names)
    grids: dict[str, list[list[object]]] = {}  # as calamine returns them: _cell converts what is used

    def grid(sheet: str, limit: int | None = None) -> list[list[object]]:
        if sheet not in grids:
            try:
                grids[sheet] = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False, nrows=limit)
            except Exception as e:  # noqa: BLE001
                raise InputError.at(f"无法读取工作表（{e}）", file=str(path), sheet=sheet) from None
        return grids[sheet]

    frames = {}
    for sheet in TALLY_SHEETS:
        if sheet.name in present:
            rows = grid(sheet.name, MAX_ROWS + HEADER_SCAN_ROWS + 1)
            if len(rows) > MAX_ROWS + HEADER_SCAN_ROWS:
                raise InputError.at(f"行数超过 {MAX_ROWS:,} 行的上限，请检查是否误选了整列或粘贴了无关数据",
                                    file=str(path), sheet=sheet.name)
            frames[sheet.name] = [[v if v.__class__ is str else _cell(v) for v in row] for row in rows]
    skip = frozenset() if tally_cells else cells_filled_by(s.key for s in TALLY_SHEETS if s.name in frames)
    if not frames:
        read_tally(path)  # raises the tally reader's own message for a workbook without tally sheets
    fields: dict = {"values": {}, "narrative": {}}
    try:
        with (contextlib.nullcontext(package) if package is not None else zipfile.ZipFile(path)) as z:
            cells = _cell_positions(z.read("xl/workbook.xml"))
    except (KeyError, zipfile.BadZipFile, ValueError, SyntaxError):
        cells = {}

    def value(sheet: str, row: int, col: int) -> object:
        if sheet not in present:
            return None
        g = grid(sheet)
        v = _cell(g[row - 1][col - 1]) if row <= len(g) and col <= len(g[row - 1]) else None
        return (v.strip() or None) if isinstance(v, str) else v

    narrative_key = {n: k for k, n in form.NARRATIVE_NAMES.items()}
    for name, refs in cells.items():
        if name in narrative_key:
            fields["narrative"][narrative_key[name]] = [str(v) for v in (value(*ref) for ref in refs) if v is not None]
        elif name in form.CELL_BY_NAME:
            if not form.CELL_BY_NAME[name].computed and name not in skip:
                fields["values"][name] = value(*refs[0])
        else:
            fields[name] = value(*refs[0])
    for name in ("meta_unit", "meta_contact", "meta_level"):
        fields[name] = _text(fields.get(name))
    fields["meta_published"] = _date(fields.get("meta_published"))
    tally = tally_from_frames(frames, source=str(path), unit=fields["meta_unit"],
                              year=parse_year(fields.get("meta_year")))
    return tally, fields


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------

Progress = Callable[[UnitResult], None]


def find_inputs(indir: Path, outdir: Path) -> list[Path]:
    if not indir.is_dir():
        raise InputError.at("输入文件夹不存在", file=str(indir))
    out_resolved = outdir.resolve()
    files = []
    for p in sorted(indir.iterdir()):
        if not _workbook_name(p) or not p.is_file():
            continue
        if p.resolve().parent == out_resolved:
            continue
        files.append(p)
    return files


def folders_with_workbooks(indir: Path, outdir: Path) -> list[str]:
    """Subfolders of ``indir`` (not OUTDIR) that hold workbooks: the batch reads ``indir`` itself only,
    so units filed by township / department in subfolders would silently show as 未提交."""
    out_resolved = outdir.resolve()
    found = []
    for d in sorted(p for p in indir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if d.resolve() == out_resolved:
            continue
        if any(_workbook_name(f) for f in d.rglob("*")):
            found.append(d.name)
    return found


def _workbook_name(path: Path) -> bool:
    """A unit's workbook by its name: not an Excel lock file, not hidden, a workbook suffix."""
    return not path.name.startswith(("~$", ".")) and path.suffix.lower() in INPUT_SUFFIXES


def run_batch(indir: Path | str, outdir: Path | str, year: int | None = None, jobs: int | None = None,
              freeze: bool = False, previous: Path | str | None = None, units: Path | str | None = None,
              force: bool = False, progress: bool | Progress = True, config: dict | None = None,
              password: str | None = None) -> BatchResult:
    """Process every unit workbook in ``indir`` into ``outdir``; then the summary and roll-up.

    ``progress``: a callback called with each finished unit (the CLI draws its bar with it).
    """
    from .summary import FINDINGS_FILE, SUMMARY_FILE, UnitDetails, write_summary

    t0 = time.perf_counter()
    indir, outdir = Path(indir), Path(outdir)
    if outdir.resolve() == indir.resolve():
        raise InputError.at("输出文件夹不能与输入文件夹相同", file=str(outdir))
    if year is not None:
        from .normalise import MAX_YEAR, MIN_YEAR

        if not MIN_YEAR <= year <= MAX_YEAR:  # a typo: else every unit fails with an internal error
            raise InputError.at(f"报告年度 {year} 不合理（应在 {MIN_YEAR}–{MAX_YEAR} 之间），请检查 --year")
    expected = read_unit_list(units) if units else None
    prev_index = load_previous(previous) if previous else None
    inputs = find_inputs(indir, outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    first_run = not _state(outdir).is_dir()
    with _exclusive(outdir):
        if first_run:  # no run wrote here yet: a 汇总.xlsx / findings.json is the user's
            for own in (SUMMARY_FILE, FINDINGS_FILE):
                backup_existing(outdir / own)
        for tmp in outdir.glob(".*.tmp"):  # left by an interrupted run (fileio.atomic_path)
            tmp.unlink(missing_ok=True)
        claims = _state(outdir) / "claims"
        shutil.rmtree(claims, ignore_errors=True)
        claims.mkdir(parents=True)
        # a unit called 汇总 must not be overwritten by the summary; "/" keeps the claim apart from an
        # input file that is itself named 汇总.xlsx (no file name holds a "/")
        _claim(outdir, Path(SUMMARY_FILE).stem, "/" + SUMMARY_FILE)
        (_state(outdir) / "units").mkdir(parents=True, exist_ok=True)
        if freeze and password is None:
            from .freeze import freeze_password

            password = freeze_password(None, config)
        options_key = _sha256(json.dumps({
            "version": __version__, "year": year, "freeze": freeze, "config": _plain(config),
            "password": _sha256(password.encode()) if password else None,
            "previous": prev_index}, sort_keys=True, ensure_ascii=False, default=str).encode())
        # a workbook of the user's in OUTDIR (not written by a run: no record names it) is backed up
        # before an output of the same name replaces it
        existing = {p.name for p in outdir.glob("*.xlsx")} - {SUMMARY_FILE}
        recorded: set[str] = set()
        index = _record_index(outdir, recorded)
        records = {} if force else index
        opts = Options(str(outdir), year, freeze, password, _plain(config),
                       datetime.now().astimezone().isoformat(timespec="seconds"), options_key,
                       frozenset(existing - recorded))
        progress_cb = progress if callable(progress) else (lambda _r: None)
        details = UnitDetails()  # the roll-up sum and the spooled findings: results keep only their row

        def notify(res: UnitResult) -> None:
            details.add(res)
            progress_cb(res)

        results: dict[str, UnitResult] = {}
        todo: list[tuple[str, str, str | None]] = []
        _close_own_logs()  # a log left open by an earlier run in this process points into a removed folder
        try:
            for p in inputs:
                source = p.name
                if source not in records:  # nothing to reuse: the worker hashes it, in parallel
                    todo.append((str(p), source, None))
                    continue
                key = input_key(p, options_key)
                rec = _read_record(records.get(source))
                if _reusable(outdir, rec, key) and (rec.file is None or _claim(
                        outdir, Path(rec.file).stem.removesuffix(FROZEN_SUFFIX), source) is None):
                    rec.skipped = True
                    results[source] = rec
                    notify(rec)
                else:
                    todo.append((str(p), source, key))
            _run_jobs(todo, opts, prev_index, jobs, results, notify, details.rollup.merge)
            _settle_duplicates(inputs, opts, prev_index, results, details)
        finally:
            _close_own_logs()
        _merge_records(outdir)

        ordered = [results[p.name] for p in inputs]
        if expected is not None:
            ordered = _with_missing(ordered, expected)
        batch = BatchResult(outdir, ordered)
        gone = {source: where for source, where in index.items() if source not in results}
        batch.retired = _retire_stale(outdir, gone, {u.file for u in ordered if u.file})
        write_summary(batch, year=year, config=config, details=details)
        batch.seconds = time.perf_counter() - t0
        return batch


@contextlib.contextmanager
def _exclusive(outdir: Path):
    """One batch at a time per output folder: two would claim names and merge records under each
    other. An OS file lock, so a killed run never leaves the folder locked."""
    path = _state(outdir) / "lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as f:
        try:
            if os.name == "nt":
                import msvcrt

                f.seek(0)
                msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise InputError.at("另一个批量处理正在写入这个输出文件夹，请等它结束后再运行（或换一个输出文件夹）",
                                file=str(outdir)) from None
        yield  # released when the file closes, also when the process dies


RETIRED_DIR = "已撤下"  # inside OUTDIR: outputs whose input has left DIR


def _retire_stale(outdir: Path, gone: dict[str, tuple[Path, int, int]], current: set[str]) -> list[str]:
    """Move aside the outputs of inputs no longer in DIR (``gone``: their records): left in OUTDIR, a
    removed or replaced unit's old (even frozen) workbook would be sent upward with the rest. Only
    files exactly as a run wrote them, and none that this run wrote; a file the user changed stays."""
    retired = []
    for where in gone.values():
        rec = _read_record(where)
        if rec is None or not rec.file or rec.file in current or not _output_intact(outdir, rec):
            continue
        target = outdir / RETIRED_DIR / rec.file
        target.parent.mkdir(exist_ok=True)
        if target.exists():
            target = backup_path(target)
        os.replace(outdir / rec.file, target)
        retired.append(rec.file)
    return sorted(retired)


def _plain(config: dict | None) -> dict | None:
    """The picklable, hashable part of the config (tables of plain values)."""
    if not config:
        return None
    return json.loads(json.dumps({k: v for k, v in config.items() if not k.startswith("_")}, default=str))


def _run_jobs(todo: list[tuple[str, str, str | None]], opts: Options, prev_index: dict | None, jobs: int | None,
              results: dict[str, UnitResult], notify: Progress, add_share: Callable) -> None:
    if not todo:
        return
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo)))

    def finish(res: UnitResult) -> None:
        results[res.source] = res
        notify(res)

    def finish_chunk(fut) -> None:
        done, share = fut.result()
        add_share(share)
        for res in done:
            finish(res)

    if jobs == 1 and len(todo) < 4:  # not worth starting a process
        _init_worker(prev_index)
        for job in todo:
            finish(_process(*job, opts))
        return
    import multiprocessing

    # fork where there is one: workers start with the parent's modules and its parsed template (no
    # re-import, no per-worker parse); the default moves to forkserver in newer Pythons
    fork = "fork" in multiprocessing.get_all_start_methods()
    if fork:
        _init_worker(prev_index)
    context = multiprocessing.get_context("fork") if fork else None
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker,
                             initargs=(os.getpid(), None if fork else prev_index, not fork)) as pool:
        pending = set()
        for chunk in _chunks(todo, jobs):  # a bounded number of chunks in flight: memory stays flat in N
            pending.add(pool.submit(_process_many, chunk, opts))
            if len(pending) >= jobs * 4:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    finish_chunk(fut)
        for fut in pending:
            finish_chunk(fut)


def _settle_duplicates(inputs: list[Path], opts: Options, prev_index: dict | None,
                       results: dict[str, UnitResult], details) -> None:
    """Two inputs naming one unit: the input whose file name sorts first keeps the output, whichever
    worker claimed the name first (else a rerun or a resumed run could pick the other one)."""
    order = {p.name: i for i, p in enumerate(inputs)}
    outdir = Path(opts.outdir)
    for source in sorted((s for s, r in results.items() if r.duplicate_of in order), key=order.__getitem__):
        lost = results[source]
        holder = results.get(lost.duplicate_of or "")
        if holder is None or order[source] > order[holder.source] or not holder.has_report or not holder.file:
            continue
        rec = _read_record(_record_index(outdir).get(holder.source))
        details.remove(holder, rec.values if rec else {})
        name = Path(holder.file).stem.removesuffix(FROZEN_SUFFIX)
        claims = _state(outdir) / "claims"
        (claims / _sha256(name.casefold().encode("utf-8"))).unlink(missing_ok=True)
        _token(claims, fresh=True)  # this process may have noted the name for the holder: a new identity
        _init_worker(prev_index)
        for redo in (source, holder.source):  # the first takes the name, the holder now clashes with it
            res = _process(str(inputs[order[redo]]), redo, None, opts)
            results[redo] = res
            details.add(res)


def _chunks(todo: list, jobs: int, largest: int = 16) -> Iterable[list]:
    """Chunks amortise the inter-process overhead while keeping the progress bar moving; they shrink
    towards the end so that no worker finishes a long chunk alone while the others idle."""
    at = 0
    while at < len(todo):
        size = max(1, min(largest, (len(todo) - at) // (jobs * 8)))
        yield todo[at:at + size]
        at += size


def _with_missing(results: list[UnitResult], expected: list[str]) -> list[UnitResult]:
    """Order by the expected list; add 未提交 rows; units not on the list follow, with a note."""
    by_key: dict[str, list[UnitResult]] = {}
    for r in results:
        by_key.setdefault(_match_key(r.unit), []).append(r)
    out = []
    for name in expected:
        got = by_key.pop(_match_key(name), None)
        if got:
            out.extend(got)
        else:
            out.append(UnitResult("", name, STATUS_MISSING, reason="未收到该单位的文件"))
    for rest in by_key.values():
        for r in rest:
            if "不在单位名单中" not in " ".join(r.notes):
                r.notes.append("该单位不在单位名单中，请核对单位名称")
            out.append(r)
    return out


__all__ = ["run_batch", "BatchResult", "UnitResult", "unit_file_name", "read_unit_list", "load_previous",
           "STATUS_OK", "STATUS_ERRORS", "STATUS_FAILED", "STATUS_MISSING"]
