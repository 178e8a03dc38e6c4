"""Benchmark: read + validate + aggregate a 10,000-row tally (issue 3; target well under 1 s).

    /work/venv/bin/python benchmarks/tally.py [--rows 10000] [--repeat 5]

Writes a tally workbook (10,000 applications plus 1,000 rows in each other sheet) with openpyxl
write-only mode, then times xl_report's path (pandas + calamine, normalise, validate, aggregate)
against a naive openpyxl read (read_only iter_rows, values only — no validation at all).
Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from xl_report.core.aggregate import aggregate  # noqa: E402
from xl_report.core.tally_schema import (
    APPLICANT_TYPES,
    CASE_CATEGORIES,
    CASE_RESULTS,
    CASES,
    DECISION_CATEGORIES,
    DECISIONS,
    DOC_CATEGORIES,
    DOCUMENTS,
    FEES,
    REQUESTS,
    RESULT_CHOICES,
)
from xl_report.xlsx.tally_reader import read_tally  # noqa: E402

YEAR = 2023


def _day(rng: random.Random) -> date:
    return date(YEAR - 1, 1, 1) + timedelta(rng.randrange(730))


def write_tally(path: Path, rows: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    wb = openpyxl.Workbook(write_only=True)

    def sheet(spec, make, n):
        ws = wb.create_sheet(spec.name)
        ws.append(list(spec.headers))
        for i in range(n):
            ws.append(make(i))

    def req(i):
        got = _day(rng)
        done = got + timedelta(rng.randrange(60)) if rng.random() < 0.9 else None
        return [
            f"YSQ-{i:06d}",
            got,
            rng.choice(APPLICANT_TYPES),
            f"申请人{i}",
            "关于某某事项的政府信息",
            None,
            None,
            rng.choice(["是", "否"]),
            rng.randrange(5),
            done,
            rng.choice(RESULT_CHOICES) if done else None,
        ]

    def case_row(i):
        got = _day(rng)
        closed = got + timedelta(rng.randrange(200)) if rng.random() < 0.7 else None
        return [f"AJ-{i}", rng.choice(CASE_CATEGORIES), got, rng.choice(CASE_RESULTS) if closed else None, closed]

    sheet(REQUESTS, req, rows)
    sheet(
        DOCUMENTS, lambda i: [f"文件{i}", f"某政发〔{YEAR}〕{i}号", rng.choice(DOC_CATEGORIES), _day(rng), None], 1000
    )
    sheet(DECISIONS, lambda i: [rng.choice(DECISION_CATEGORIES), _day(rng), f"决定{i}", rng.randrange(1, 4)], 1000)
    sheet(FEES, lambda i: ["工本费", _day(rng), round(rng.uniform(1, 500), 2)], 1000)
    sheet(CASES, case_row, 1000)
    wb.save(path)
    return path


def ours(path: Path):
    return aggregate(read_tally(path), YEAR)


def naive(path: Path) -> int:
    """What a hand-written script would do: openpyxl read-only, count 新收 by looking at raw cells."""
    wb = openpyxl.load_workbook(path, read_only=True)
    n = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=2, values_only=True):
            if ws.title == REQUESTS.name and row[1] is not None and row[1].year == YEAR:
                n += 1
    wb.close()
    return n


def timed(fn, path: Path, repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time (CPU time is the fairer number on a busy machine)."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn(path)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def calamine_only(path: Path) -> None:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        book.get_sheet_by_name(name).to_python(skip_empty_area=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_tally(Path(tmp) / "tally.xlsx", args.rows)
        size = path.stat().st_size // 1024
        result = ours(path)  # warm-up, and a sanity check that both count the same 新收
        assert result.report.values["t3_new_total"] == naive(path)
        t_ours = timed(ours, path, args.repeat)
        t_raw = timed(calamine_only, path, args.repeat)
        t_naive = timed(naive, path, args.repeat)
    print(f"tally: {args.rows:,} applications + 4,000 other rows, {size} KiB; median of {args.repeat}")
    print("                                             wall ms   CPU ms")
    for label, (wall, cpu) in (
        ("xl_report read_tally + validate + aggregate", t_ours),
        ("  of which calamine parse alone", t_raw),
        ("naive openpyxl read_only read (no checks)", t_naive),
    ):
        print(f"{label:<44} {wall * 1000:7.0f}  {cpu * 1000:7.0f}")
    print(f"ratio naive / xl_report: {t_naive[0] / t_ours[0]:.1f}x wall, {t_naive[1] / t_ours[1]:.1f}x CPU")


if __name__ == "__main__":
    main()
