"""Benchmark: N synthetic units filled + checked + frozen, our batch vs the naive per-unit openpyxl path.

    python benchmarks/batch.py N [--jobs J] [--naive-sample K]

Both paths do the same work per unit from the same input files: read the tally, aggregate, check,
then write the frozen report workbook. Ours: one-pass calamine read + XML stamping of a once-parsed
template in worker processes (xl_report.batch.run_batch). Naive: fill_workbook (openpyxl load of the
unit's workbook, write, save) + freeze_file (load again, check, freeze, save), one unit after the
other — timed on a sample of K units and scaled to N (it is linear). Peak memory (ru_maxrss of the
main process and of the workers) shows the batch stays flat in N.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xl_report.demo import synthetic_unit, write_unit  # noqa: E402

YEAR = 2024


def generate(folder: Path, n: int) -> None:
    for i in range(n):
        write_unit(folder / f"unit{i:05d}.xlsx", synthetic_unit(f"某某县第{i:05d}单位", "乡镇人民政府", YEAR, seed=i),
                   YEAR)


def ours(indir: Path, outdir: Path, jobs: int | None) -> float:
    from xl_report.batch import run_batch

    t0 = time.perf_counter()
    result = run_batch(indir, outdir, year=YEAR, jobs=jobs, freeze=True, progress=False)
    seconds = time.perf_counter() - t0
    assert not [u for u in result.units if u.status == "失败"], [u.reason for u in result.units if u.reason][:3]
    return seconds


def naive(indir: Path, outdir: Path, sample: int) -> tuple[float, int]:
    from xl_report.fill import fill_workbook
    from xl_report.freeze import freeze_file

    files = sorted(indir.glob("*.xlsx"))[:sample]
    t0 = time.perf_counter()
    for p in files:
        filled = fill_workbook(p, outdir / f"{p.stem}-已填报.xlsx", year=YEAR)
        try:
            freeze_file(filled.output, outdir / f"{p.stem}-定稿.xlsx")
        except Exception:  # noqa: BLE001 - a unit with errors is not frozen: same as the batch
            pass
    return time.perf_counter() - t0, len(files)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, nargs="?", default=1000)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--naive-sample", type=int, default=20)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="xl-report-bench-"))
    try:
        indir = work / "in"
        t0 = time.perf_counter()
        generate(indir, args.n)
        print(f"generated {args.n} unit workbooks in {time.perf_counter() - t0:.1f} s")
        t_ours = ours(indir, work / "ours", args.jobs)
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        t_sample, k = naive(indir, work / "naive", min(args.naive_sample, args.n))
        t_naive = t_sample / k * args.n
        print(f"ours : {t_ours:7.2f} s for {args.n} units  ({t_ours / args.n * 1000:.1f} ms/unit, "
              f"jobs={args.jobs or 'all cores'}; fill + check + freeze + summary)")
        print(f"naive: {t_naive:7.2f} s for {args.n} units  ({t_sample / k * 1000:.1f} ms/unit measured on {k}, "
              f"sequential fill_workbook + freeze_file)")
        print(f"ratio: {t_naive / t_ours:.1f}x")
        print(f"peak RSS: main {own:.0f} MiB, largest worker {kids:.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
