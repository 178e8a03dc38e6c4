"""One unit, in a worker process: read (one calamine pass), aggregate, check, (freeze), fill the
output workbook, record and write it."""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime
from pathlib import Path

from xl_report.batch.fastfill import TemplateFiller, personal_count
from xl_report.batch.inputs import LEDGER_FILES
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
from xl_report.batch.rollup import RollupSum
from xl_report.batch.state import claim, drop_inherited_locks, input_key, save_record, sha256_hex
from xl_report.core import form
from xl_report.core.aggregate import aggregate, merge_counts
from xl_report.core.errors import XlReportError
from xl_report.core.figures import figures
from xl_report.core.filenames import FROZEN_SUFFIX
from xl_report.core.findings import count
from xl_report.core.report import ReportData
from xl_report.core.tally import report_year
from xl_report.rules import check
from xl_report.xlsx.fileio import check_name_length, keep_backup, unit_file_name, write_bytes_atomic
from xl_report.xlsx.fillstate import fill_properties, fill_state
from xl_report.xlsx.safety import open_xlsx, read_package
from xl_report.xlsx.tally_reader import read_tally, read_workbook

WORKER: dict = {}


def init_worker(previous: dict[str, dict] | None) -> None:
    if "filler" not in WORKER:
        WORKER["filler"] = TemplateFiller()  # the template parsed once per process
    WORKER["previous"] = previous or {}


def start_worker(parent: int, previous: dict[str, dict] | None, init: bool) -> None:
    """Pool initializer. A batch killed outright (SIGKILL, a closed terminal) cannot tell its pool's
    workers, which would wait for work forever holding the console's pipe: they watch their parent."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    drop_inherited_locks()
    threading.Thread(target=watch, name="xl-report-parent-watch", daemon=True).start()
    if init:
        init_worker(previous)


def process_many(jobs: list[tuple[str, str, str | None]], opts: Options):
    """The results without their cell values, plus the chunk's share of the roll-up: less to send
    back, less for the main process to do."""

    share, out = RollupSum(), []
    for path, source, key in jobs:
        res = process_unit(path, source, key, opts)
        if res.has_report:
            share.add(res.values)
            res.figures = figures(res.values)  # the values stay here: the charts need these few
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
        result = UnitResult(
            source, fallback, STATUS_FAILED, reason=f"内部错误（{type(e).__name__}: {e}），请把该文件发给维护人员"
        )
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
    assert file is not None  # named by the caller before writing
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

    outdir = Path(opts.outdir)
    if path.suffix.lower() in LEDGER_FILES:  # an office's own ledger: read as fill and adopt read it
        tally = read_tally(path)  # a text left for the clerk: UndecidedValues, the unit fails listing them
        book: dict = {"meta_unit": tally.unit, "values": {}, "narrative": {}, "properties": {}}
    else:
        with open_xlsx(path, data) as package:  # checked, and its directory read once
            tally, book = read_workbook(path, package=package, data=data)
    year = report_year(opts.year, tally)
    agg = aggregate(tally, year)
    unit = display_name(book.get("meta_unit") or tally.unit) or display_name(path.stem) or path.name
    values = merge_counts({n: book["values"].get(n) for n in form.CELL_NAMES}, tally, agg)
    report = ReportData(
        unit=unit,
        year=year,
        contact=book.get("meta_contact"),
        level=book.get("meta_level"),
        published=book.get("meta_published"),
        values=values,
        narrative=book["narrative"],
        source=source,
    )
    filler = WORKER["filler"]
    view = filler.view(report)
    prev = WORKER["previous"].get(match_key(unit))
    previous = ReportData(unit=prev["unit"], year=prev["year"], values=prev["values"]) if prev else None
    # the input's own tables against its tally: a filled workbook edited by hand or filled from other
    # rows is an error here too (a never-filled one is simply filled: require_filled=False)
    table = ReportData(year=year, values=book["values"], locations=filler.names)  # the output's cells
    findings = list(
        check(
            view,
            previous=previous,
            tally=tally,
            narrative=view.narrative,
            config=opts.config,
            table=table,
            fill=fill_state(book["properties"]),
            require_filled=False,
        )
    )
    errors, warnings = count(findings)
    name = unit_file_name(unit, fallback=unit_file_name(path.stem))
    check_name_length(outdir / f"{name}{FROZEN_SUFFIX}.xlsx", "单位名称")  # refused here, not "File name too long"
    holder = claim(outdir, name, source)
    if holder is not None:
        return UnitResult(
            source,
            display_name(path.stem) or source,
            STATUS_FAILED,
            duplicate_of=holder,
            reason=f"单位名称“{unit}”与文件“{holder.lstrip('/')}”重复，未输出；请核对两个文件的单位名称",
        ), None
    frozen = None
    now = datetime.fromisoformat(opts.now) if opts.now else None
    filled = fill_properties(tally, now)  # the output records its fill, as fill_workbook's does
    if opts.freeze and not errors:
        data, frozen = filler.fill_frozen(
            view, tally, password=opts.password, now=now, personal_removed=personal_count(tally), extra=filled
        )
    else:
        data = filler.fill(view, None, tally=tally, properties=filled)
    file = f"{name}{FROZEN_SUFFIX}.xlsx" if frozen else f"{name}.xlsx"
    return UnitResult(
        source,
        unit,
        STATUS_ERRORS if errors else STATUS_OK,
        file=file,
        errors=errors,
        warnings=warnings,
        headline=headline(view),
        fingerprint=frozen.fingerprint if frozen else None,
        findings=[f.to_json() for f in findings],
        values={n: view.values[n] for n in form.CELL_NAMES},
        notes=list(agg.notes),
        year=year,
        output_hash=sha256_hex(data),
    ), data
