"""Benchmark: reading one unit workbook, as a batch worker does, against a naive openpyxl load.

    python benchmarks/read.py [N] [--repeat R]

Ours, per unit: ``read_package`` (size check, one read), ``open_xlsx`` (zip-bomb, path, DTD, extent
checks over every part) and ``read_workbook`` (one calamine pass: the tally sheets validated into a
Tally, the error-value scan, 说明 fields, table cells and narrative by their defined names) — everything
``xl-report batch`` does before aggregating a unit. Naive: ``openpyxl.load_workbook`` of the same file,
which only parses it (no checks, no validation, nothing extracted), so the ratio is conservative.

Synthetic units of the demo county (``benchmarks/batch.py`` writes the same ones); the two are timed
alternately R times, so both see the same load on a shared machine; medians are printed. Every run reads
N workbooks it has not read before, as a batch worker does (the per-process caches hold only what units
share, such as the template's parts), after a warm-up on 10 others.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

YEAR = 2024


def generate(folder: Path, n: int) -> list[Path]:
    from xl_report.cli.demo import synthetic_unit, write_unit

    units = (synthetic_unit(f"某某县第{i:05d}单位", "乡镇人民政府", YEAR, seed=i) for i in range(n))
    return [write_unit(folder / f"unit{i:05d}.xlsx", unit, YEAR) for i, unit in enumerate(units)]


def ours(files: list[Path]) -> float:
    from xl_report.xlsx.safety import open_xlsx, read_package
    from xl_report.xlsx.tally_reader import read_workbook

    t0 = time.perf_counter()
    for p in files:
        data = read_package(p)
        with open_xlsx(p, data) as package:
            read_workbook(p, package=package, data=data)
    return (time.perf_counter() - t0) / len(files)


def naive(files: list[Path]) -> float:
    import openpyxl

    t0 = time.perf_counter()
    for p in files:
        openpyxl.load_workbook(p).close()
    return (time.perf_counter() - t0) / len(files)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, nargs="?", default=100)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = generate(Path(tmp), args.n * args.repeat + 10)
        ours(files[-10:]), naive(files[-10:])  # warm-up: imports, the per-process caches of a worker
        t_ours, t_naive = [], []
        for i in range(args.repeat):
            part = files[i * args.n : (i + 1) * args.n]
            t_ours.append(ours(part))
            t_naive.append(naive(part))
    o, n = statistics.median(t_ours), statistics.median(t_naive)
    print(f"read {args.n} unit workbooks, median of {args.repeat}")
    print(f"ours  : {o * 1000:6.2f} ms/unit  read_package + open_xlsx + read_workbook (checked, validated)")
    print(f"naive : {n * 1000:6.2f} ms/unit  openpyxl.load_workbook (parsed only)")
    print(f"ratio : {n / o:5.1f}x")


if __name__ == "__main__":
    main()
