"""Benchmark: the web page near the deadline — C clerks uploading at once, and the county's dashboard.

    python benchmarks/serve.py [--clerks 8] [--rounds 3] [--units 300] [--workers 2]

Starts ``xl-report serve --data … --units …`` in its own process (real uvicorn, real HTTP, its worker
processes), then:

- upload → findings: one clerk alone (the baseline), then C clerks each uploading a typical unit
  workbook at the same moment, ``--rounds`` times; prints p50/p95/max and the ratio of the
  concurrent p95 to the lone upload. Target: p95 < 1.5 s for 8 clerks on a 2-core machine.
- the dashboard of ``--units`` units (every unit with this year's and last year's figures, as
  after a season of uploads): ``GET /api/county/dashboard``, median of 5 and worst. Target: < 1 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

YEAR = 2024


def county(root: Path, n_units: int, clerks: int):
    """A unit list of ``n_units``; codes and workbooks for the first ``clerks``; the others have the
    state a season of uploads leaves (figures this year and last)."""
    from tests.web_helpers import County
    from xl_report.cli.demo import level, synthetic_unit, write_unit
    from xl_report.core.figures import figures
    from xl_report.core.report import ReportData
    from xl_report.web.codes import issue
    from xl_report.web.store import Store

    names = [f"某某县第{i + 1:03d}单位" for i in range(n_units)]
    units_file = root / "单位名单.toml"
    units_file.write_text("units = [" + ", ".join(f'"{u}"' for u in names) + "]\n", encoding="utf-8")
    data = root / "data"
    codes = dict(issue(data, names[:clerks]))
    books = {
        u: write_unit(root / f"{u}.xlsx", synthetic_unit(u, level("城关镇"), YEAR, seed=i, size=2), YEAR)
        for i, u in enumerate(names[:clerks])
    }
    for i, u in enumerate(names[clerks:]):
        fig = figures(ReportData(values={}).values) | {"新收": 5 + i % 9, "办结": 4 + i % 7, "予以公开": 3}
        for year in (YEAR, YEAR - 1):
            Store(data, year).save_state(
                u,
                {
                    "status": "已提交",
                    "errors": 0,
                    "warnings": 1,
                    "figures": fig,
                    "updated_at": "2025-01-20T10:00:00+08:00",
                    "submitted": "f" * 64,
                    "fingerprint": "f" * 64,
                },
            )
    return County(root, data, units_file, codes, books)


def job_cpu(book: Path, unit: str) -> float:
    """CPU seconds of :func:`xl_report.web.work.upload_job` (what a worker process spends on one upload)."""
    import shutil

    from xl_report.web.work import upload_job

    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(book, Path(tmp) / "上传.xlsx")
        upload_job(tmp, unit, YEAR, None, None)  # imports
        t0 = time.process_time()
        for _ in range(3):
            upload_job(tmp, unit, YEAR, None, None)
        return (time.process_time() - t0) / 3


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clerks", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--units", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    from tests.web_helpers import Serve

    with tempfile.TemporaryDirectory() as tmp:
        c = county(Path(tmp), args.units, args.clerks)
        with Serve(c, ["--workers", str(args.workers)]) as s:
            clients = {u: s.bearer(code) for u, code in c.codes.items()}
            bodies = {u: c.books[u].read_bytes() for u in c.codes}

            def upload(unit: str) -> float:
                t0 = time.perf_counter()
                r = clients[unit].post("/api/upload", files={"file": ("年报.xlsx", bodies[unit])})
                assert r.status_code == 200 and "findings" in r.json(), r.text
                return time.perf_counter() - t0

            first = next(iter(c.codes))
            upload(first)  # warm: the workers import the library on their first job
            alone = statistics.median(upload(first) for _ in range(3))
            times: list[float] = []
            for _ in range(args.rounds):
                barrier = threading.Barrier(len(clients))

                def clerk(unit: str, barrier: threading.Barrier = barrier) -> None:
                    barrier.wait()
                    times.append(upload(unit))

                threads = [threading.Thread(target=clerk, args=(u,)) for u in clients]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            times.sort()
            load = os.getloadavg()[0]
            p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
            print(
                f"machine: {os.cpu_count()} cores, load average {load:.1f} during the run "
                "(other work on the machine slows every figure below)"
            )
            print(f"upload → findings, one clerk alone: {alone:.2f} s (median of 3)")
            print(
                f"{args.clerks} clerks at once × {args.rounds} rounds ({len(times)} uploads, "
                f"{args.workers} workers): "
                f"p50 {statistics.median(times):.2f} s, p95 {p95:.2f} s, max {times[-1]:.2f} s; "
                f"p95 / alone = {p95 / alone:.1f}× (target p95 < 1.5 s: {'met' if p95 < 1.5 else 'NOT met'})"
            )

            cpu = job_cpu(c.books[first], first)
            print(
                f"CPU time of one upload's work (fill + check + write, measured in this process): {cpu:.2f} s; "
                f"on an otherwise idle machine the last of {args.clerks} simultaneous uploads waits about "
                f"{-(-args.clerks // args.workers) * cpu:.2f} s"
            )

            county_client = s.bearer(c.token)
            dash = []
            for _ in range(5):
                t0 = time.perf_counter()
                r = county_client.get("/api/county/dashboard")
                dash.append(time.perf_counter() - t0)
                assert r.status_code == 200 and len(r.json()["units"]) == args.units
            print(
                f"dashboard of {args.units} units: median {statistics.median(dash):.3f} s, worst {max(dash):.3f} s "
                f"(target < 1 s: {'met' if max(dash) < 1 else 'NOT met'})"
            )


if __name__ == "__main__":
    main()
