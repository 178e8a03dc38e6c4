"""One unit, in a worker process: read (one calamine pass), aggregate, check, (freeze), stamp the
output workbook, record and write it."""
from __future__ import annotations

import contextlib
import importlib
import io
import os
import time
from datetime import date, datetime
from pathlib import Path

from xl_report.batch.model import (
    STATUS_ERRORS,
    STATUS_FAILED,
    STATUS_OK,
    Options,
    UnitResult,
    display_name,
    headline,
    match_key,
)
from xl_report.batch.state import claim, input_key, save_record, sha256_hex
from xl_report.core import form
from xl_report.core.errors import InputError, XlReportError
from xl_report.core.findings import count
from xl_report.core.report import ReportData
from xl_report.stages.freeze import FROZEN_SUFFIX
from xl_report.xlsx.fileio import keep_backup, unit_file_name, write_bytes_atomic
from xl_report.xlsx.safety import read_package

WORKER: dict = {}
# what every unit needs: imported by init_worker in the main process, once before the fork, rather than
# by each worker on its first unit
UNIT_MODULES = ("python_calamine", "chinese_calendar", "xl_report.core.aggregate", "xl_report.rules",
                "xl_report.stages.fill", "xl_report.xlsx.safety", "xl_report.xlsx.tally_reader")


def init_worker(previous: dict[str, dict] | None) -> None:
    from xl_report.batch.fastfill import Stamper

    for module in UNIT_MODULES:
        importlib.import_module(module)
    if "stamper" not in WORKER:
        WORKER["stamper"] = Stamper()  # the template parsed once per process
    WORKER["previous"] = previous or {}


def start_worker(parent: int, previous: dict[str, dict] | None, init: bool) -> None:
    """Pool initializer. A batch killed outright (SIGKILL, a closed terminal) cannot tell its pool's
    workers, which would wait for work forever holding the console's pipe: they watch their parent."""
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="xl-report-parent-watch", daemon=True).start()
    if init:
        init_worker(previous)


def process_many(jobs: list[tuple[str, str, str | None]], opts: Options):
    """The results without their cell values, plus the chunk's share of the roll-up: less to send
    back, less for the main process to do."""
    from xl_report.batch.summary import RollupSum

    share, out = RollupSum(), []
    for path, source, key in jobs:
        res = process_unit(path, source, key, opts)
        if res.has_report:
            share.add(res.values)
        res.values = {}
        out.append(res)
    return out, share


def process_unit(path: str, source: str, key: str | None, opts: Options) -> UnitResult:
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
    save_record(outdir, result)
    if output is not None:
        try:
            _write_output(outdir, result, output, opts)
        except XlReportError as e:  # a full disk, a read-only folder
            result = UnitResult(source, result.unit, STATUS_FAILED, reason=str(e))
            save_record(outdir, result)
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
    from xl_report.batch.fastfill import freeze_info, personal_count
    from xl_report.core.aggregate import aggregate
    from xl_report.rules import check
    from xl_report.stages.fill import report_year
    from xl_report.xlsx.safety import open_xlsx

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
    stamper = WORKER["stamper"]
    view = stamper.view(report)
    prev = WORKER["previous"].get(match_key(unit))
    previous = ReportData(unit=prev["unit"], year=prev["year"], values=prev["values"]) if prev else None
    findings = list(check(view, previous=previous, tally=tally, narrative=view.narrative, config=opts.config))
    errors, warnings = count(findings)
    name = unit_file_name(unit, fallback=unit_file_name(path.stem))
    holder = claim(outdir, name, source)
    if holder is not None:
        return UnitResult(source, display_name(path.stem) or source, STATUS_FAILED, duplicate_of=holder,
                          reason=f"单位名称“{unit}”与文件“{holder.lstrip('/')}”重复，未输出；请核对两个文件的单位名称"), None
    frozen = None
    if opts.freeze and not errors:
        now = datetime.fromisoformat(opts.now) if opts.now else None
        frozen = freeze_info(view, password=opts.password, now=now, personal_removed=personal_count(tally))
    file = f"{name}{FROZEN_SUFFIX}.xlsx" if frozen else f"{name}.xlsx"
    data = stamper.stamp(view, frozen, tally=tally, drop_personal=frozen is not None)
    return UnitResult(
        source, unit, STATUS_ERRORS if errors else STATUS_OK, file=file, errors=errors, warnings=warnings,
        headline=headline(view), fingerprint=frozen.fingerprint if frozen else None,
        findings=[f.to_json() for f in findings], values={n: view.values[n] for n in form.CELL_NAMES},
        notes=list(agg.notes), year=year, output_hash=sha256_hex(data)), data


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
    from xl_report.batch.fastfill import named_cells, package_names, split_coord

    key = sha256_hex(workbook_xml)
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

    from xl_report.core.aggregate import cells_filled_by
    from xl_report.core.normalise import parse_year
    from xl_report.core.tally import HEADER_SCAN_ROWS, MAX_ROWS, tally_from_frames
    from xl_report.core.tally_schema import TALLY_SHEETS
    from xl_report.xlsx.tally_reader import read_tally, refuse_misnamed_sheets
    from xl_report.xlsx.workbook import _date, _text

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
