"""County batch: read → aggregate → check → (freeze) → write, for every unit's tally workbook in a folder.

Worker processes each parse the template once (:class:`xl_report.batch.fastfill.TemplateFiller`) and fill every
unit's values into it. A unit whose file is broken, hostile or wrong fails with a Chinese reason;
the others carry on. Every output is written atomically; a per-unit record (``OUTDIR/.xl-report/``)
remembers the input's content hash, so a rerun skips unchanged units and an interrupted run
completes the rest. The 全县合计 roll-up is summed as results arrive (:mod:`xl_report.batch.rollup`);
the summary workbook and findings.json are written by :mod:`xl_report.batch.summary` at the end (it and
openpyxl are loaded while the workers run: the workers never need them)."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from datetime import datetime
from pathlib import Path
from types import ModuleType

from xl_report.batch.inputs import previous_reports, read_unit_list, scan_inputs
from xl_report.batch.model import (
    STATUS_MISSING,
    BatchResult,
    Options,
    Progress,
    UnitResult,
    match_key,
)
from xl_report.batch.rollup import FINDINGS_FILE, SUMMARY_FILE, UnitDetails
from xl_report.batch.state import (
    claim,
    claim_token,
    close_own_logs,
    exclusive,
    input_key,
    merge_records,
    read_record,
    record_index,
    retire_stale,
    reusable,
    rules_digest,
    sha256_hex,
    state_dir,
)
from xl_report.batch.unit import init_worker, process_many, process_unit, start_worker
from xl_report.core.errors import InputError
from xl_report.core.filenames import FROZEN_SUFFIX
from xl_report.core.normalise import MAX_YEAR, MIN_YEAR
from xl_report.core.version import __version__
from xl_report.stages.freeze_record import freeze_password
from xl_report.xlsx.fileio import backup_existing
from xl_report.xlsx.lean_openpyxl import import_openpyxl_without_numpy


def run_batch(
    indir: Path | str,
    outdir: Path | str,
    year: int | None = None,
    jobs: int | None = None,
    freeze: bool = False,
    previous: Path | str | None = None,
    units: Path | str | None = None,
    force: bool = False,
    progress: bool | Progress = True,
    config: dict | None = None,
    password: str | None = None,
    lean_openpyxl: bool = False,
    meanwhile: Callable[[], None] | None = None,
) -> BatchResult:
    """Process every unit workbook in ``indir`` into ``outdir``; then the summary and roll-up.

    ``progress``: a callback called with each finished unit (the CLI draws its bar with it).
    ``lean_openpyxl``: load openpyxl without numpy (:mod:`xl_report.xlsx.lean_openpyxl`), for a process
    that never hands it a numpy value (the CLI); openpyxl writes the summary and reads last year's reports.
    ``meanwhile``: called once in this process while the workers run, if any start (the cores are shared
    with them, so work done there costs about half its time): e.g. the caller's imports for afterwards.
    """

    t0 = time.perf_counter()
    indir, outdir = Path(indir), Path(outdir)
    if outdir.resolve() == indir.resolve():
        raise InputError.at("输出文件夹不能与输入文件夹相同", file=str(outdir))
    if year is not None:
        if not MIN_YEAR <= year <= MAX_YEAR:  # a typo: else every unit fails with an internal error
            raise InputError.at(f"报告年度 {year} 不合理（应在 {MIN_YEAR}–{MAX_YEAR} 之间），请检查 --year")
    expected = read_unit_list(units) if units else None
    if previous and lean_openpyxl:
        import_openpyxl_without_numpy()  # last year's workbooks without a batch record are read with openpyxl
    prev_index = previous_reports(previous) if previous else None
    inputs, ignored = scan_inputs(indir, outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    first_run = not state_dir(outdir).is_dir()
    with exclusive(outdir):
        if first_run:  # no run wrote here yet: a 汇总.xlsx / findings.json is the user's
            for own in (SUMMARY_FILE, FINDINGS_FILE):
                backup_existing(outdir / own)
        for tmp in outdir.glob(".*.tmp"):  # left by an interrupted run (fileio.atomic_path)
            tmp.unlink(missing_ok=True)
        claims = state_dir(outdir) / "claims"
        shutil.rmtree(claims, ignore_errors=True)
        claims.mkdir(parents=True)
        # a unit called 汇总 must not be overwritten by the summary; "/" keeps the claim apart from an
        # input file that is itself named 汇总.xlsx (no file name holds a "/")
        claim(outdir, Path(SUMMARY_FILE).stem, "/" + SUMMARY_FILE)
        (state_dir(outdir) / "units").mkdir(parents=True, exist_ok=True)
        if freeze and password is None:
            password = freeze_password(None, config)
        options_key = sha256_hex(
            json.dumps(
                {
                    "version": __version__,
                    "rules": rules_digest(),
                    "year": year,
                    "freeze": freeze,
                    "config": _plain(config),
                    "password": sha256_hex(password.encode()) if password else None,
                    "previous": prev_index,
                },
                sort_keys=True,
                ensure_ascii=False,
                default=str,
            ).encode()
        )
        # a workbook of the user's in OUTDIR (not written by a run: no record names it) is backed up
        # before an output of the same name replaces it
        existing = {p.name for p in outdir.glob("*.xlsx")} - {SUMMARY_FILE}
        recorded: set[str] = set()
        index = record_index(outdir, recorded)
        records = {} if force else index
        opts = Options(
            str(outdir),
            year,
            freeze,
            password,
            _plain(config),
            datetime.now().astimezone().isoformat(timespec="seconds"),
            options_key,
            frozenset(existing - recorded),
        )
        progress_cb = progress if callable(progress) else (lambda _r: None)
        details = UnitDetails()  # the roll-up sum and the spooled findings: results keep only their row

        def notify(res: UnitResult) -> None:
            details.add(res)
            progress_cb(res)

        early: dict = {}  # the summary's start, built while the workers run

        def while_waiting() -> None:
            early["template"] = _summary_writer(lean_openpyxl).summary_template()
            if meanwhile is not None:
                meanwhile()

        results: dict[str, UnitResult] = {}
        todo: list[tuple[str, str, str | None]] = []
        close_own_logs()  # a log left open by an earlier run in this process points into a removed folder
        try:
            for p in inputs:
                source = p.name
                if source not in records:  # nothing to reuse: the worker hashes it, in parallel
                    todo.append((str(p), source, None))
                    continue
                key = input_key(p, options_key)
                rec = read_record(records.get(source))
                if (
                    rec is not None
                    and reusable(outdir, rec, key)
                    and (
                        rec.file is None
                        or claim(outdir, Path(rec.file).stem.removesuffix(FROZEN_SUFFIX), source) is None
                    )
                ):
                    rec.skipped = True
                    results[source] = rec
                    notify(rec)
                else:
                    todo.append((str(p), source, key))
            _run_jobs(todo, opts, prev_index, jobs, results, notify, details.rollup.merge, while_waiting)
            _settle_duplicates(inputs, opts, prev_index, results, details)
        finally:
            close_own_logs()
        merge_records(outdir)

        ordered = [results[p.name] for p in inputs]
        if expected is not None:
            ordered = _with_missing(ordered, expected)
        batch = BatchResult(outdir, ordered, ignored=ignored)
        gone = {source: where for source, where in index.items() if source not in results}
        batch.retired = retire_stale(outdir, gone, {u.file for u in ordered if u.file})
        _summary_writer(lean_openpyxl).write_summary(
            batch, year=year, config=config, details=details, previous=prev_index, template=early.get("template")
        )
        batch.seconds = time.perf_counter() - t0
        return batch


def _summary_writer(lean_openpyxl: bool) -> ModuleType:
    """:mod:`xl_report.batch.summary` (openpyxl), first needed while the workers run (``while_waiting``)."""
    if lean_openpyxl:
        import_openpyxl_without_numpy()
    # lazy: openpyxl loads while the workers run (the two cores are shared: half its time); they never need it
    from xl_report.batch import summary

    return summary


def _plain(config: dict | None) -> dict | None:
    """The picklable, hashable part of the config (tables of plain values)."""
    if not config:
        return None
    return json.loads(json.dumps({k: v for k, v in config.items() if not k.startswith("_")}, default=str))


def _run_jobs(
    todo: list[tuple[str, str, str | None]],
    opts: Options,
    prev_index: dict | None,
    jobs: int | None,
    results: dict[str, UnitResult],
    notify: Progress,
    add_share: Callable,
    while_waiting: Callable[[], None] = lambda: None,
) -> None:
    """Process ``todo`` in worker processes (or here, for a few units and one job). ``while_waiting``
    runs once in this process as soon as the workers have their first chunks: the two cores are shared
    with them, so work moved from after the workers into their run costs half its time."""
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
        init_worker(prev_index)
        for job in todo:
            finish(process_unit(*job, opts))
        return

    # fork where there is one: workers start with the parent's modules and its parsed template (no
    # re-import, no per-worker parse); the default moves to forkserver in newer Pythons
    fork = "fork" in multiprocessing.get_all_start_methods()
    if fork:
        init_worker(prev_index)
    context = multiprocessing.get_context("fork") if fork else None
    with ProcessPoolExecutor(
        jobs,
        mp_context=context,
        initializer=start_worker,
        initargs=(os.getpid(), None if fork else prev_index, not fork),
    ) as pool:
        pending = set()
        waited = False
        for chunk in _chunks(todo, jobs):  # a bounded number of chunks in flight: memory stays flat in N
            pending.add(pool.submit(process_many, chunk, opts))
            if len(pending) >= jobs * 4:
                if not waited:
                    waited = True
                    while_waiting()
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    finish_chunk(fut)
        if not waited:
            while_waiting()
        for fut in pending:
            finish_chunk(fut)


def _settle_duplicates(
    inputs: list[Path], opts: Options, prev_index: dict | None, results: dict[str, UnitResult], details
) -> None:
    """Two inputs naming one unit: the input whose file name sorts first keeps the output, whichever
    worker claimed the name first (else a rerun or a resumed run could pick the other one)."""
    order = {p.name: i for i, p in enumerate(inputs)}
    outdir = Path(opts.outdir)
    for source in sorted((s for s, r in results.items() if r.duplicate_of in order), key=order.__getitem__):
        lost = results[source]
        holder = results.get(lost.duplicate_of or "")
        if holder is None or order[source] > order[holder.source] or not holder.has_report or not holder.file:
            continue
        rec = read_record(record_index(outdir).get(holder.source))
        details.remove(holder, rec.values if rec else {})
        name = Path(holder.file).stem.removesuffix(FROZEN_SUFFIX)
        claims = state_dir(outdir) / "claims"
        (claims / sha256_hex(name.casefold().encode("utf-8"))).unlink(missing_ok=True)
        claim_token(claims, fresh=True)  # this process may have noted the name for the holder: a new identity
        init_worker(prev_index)
        for redo in (source, holder.source):  # the first takes the name, the holder now clashes with it
            res = process_unit(str(inputs[order[redo]]), redo, None, opts)
            results[redo] = res
            details.add(res)


def _chunks(todo: list, jobs: int, largest: int = 16) -> Iterable[list]:
    """Chunks amortise the inter-process overhead while keeping the progress bar moving; they shrink
    towards the end so that no worker finishes a long chunk alone while the others idle."""
    at = 0
    while at < len(todo):
        size = max(1, min(largest, (len(todo) - at) // (jobs * 8)))
        yield todo[at : at + size]
        at += size


def _with_missing(results: list[UnitResult], expected: list[str]) -> list[UnitResult]:
    """Order by the expected list; add 未提交 rows; units not on the list follow, with a note. A name on
    the list and a received one that differ only by left-out characters (“某某镇政府” for “某某镇人民政府”,
    a missing county prefix) are pointed at each other: more likely one unit mistyped than a missing one
    and a stranger. Names that differ by other characters (甲镇 / 乙镇) are never paired."""
    by_key: dict[str, list[UnitResult]] = {}
    for r in results:
        by_key.setdefault(match_key(r.unit), []).append(r)
    out, missing = [], []
    for name in expected:
        got = by_key.pop(match_key(name), None)
        if got:
            out.extend(got)
        else:
            missing.append(UnitResult("", name, STATUS_MISSING, reason="未收到该单位的文件"))
            out.append(missing[-1])
    extra = [r for rest in by_key.values() for r in rest]
    hints = _near_misses(missing, extra)
    for r in extra:
        if "不在单位名单中" not in " ".join(r.notes):
            near = hints.get(id(r))
            r.notes.append(
                f"该单位不在单位名单中；名单中的“{near.unit}”可能就是该单位，请核对单位名称"
                if near is not None
                else "该单位不在单位名单中，请核对单位名称"
            )
        out.append(r)
    for m in missing:
        near = hints.get(id(m))
        if near is not None:
            m.reason = f"未收到该单位的文件；收到的“{near.unit}”（文件“{near.source}”）可能就是该单位，请核对单位名称"
    return out


def _near_misses(missing: list[UnitResult], extra: list[UnitResult]) -> dict[int, UnitResult]:
    """id of a unit -> its counterpart, for the pairs whose names differ only by characters one of them
    leaves out, each name in exactly one such pair."""
    pairs = [
        (m, e)
        for m in missing
        for e in extra
        if _leaves_out(match_key(m.unit), match_key(e.unit)) or _leaves_out(match_key(e.unit), match_key(m.unit))
    ]
    seen = Counter(id(u) for pair in pairs for u in pair)
    out: dict[int, UnitResult] = {}
    for m, e in pairs:
        if seen[id(m)] == 1 and seen[id(e)] == 1:
            out[id(m)], out[id(e)] = e, m
    return out


def _leaves_out(short: str, long: str) -> bool:
    """``short`` is ``long`` with some characters left out (and keeps at least four of them)."""
    if len(short) < 4 or len(short) >= len(long):
        return False
    rest = iter(long)
    return all(ch in rest for ch in short)
