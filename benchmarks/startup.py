"""Benchmark: how long ``xl-report --help`` takes, interpreter start included (target: under 0.25 s).

    python benchmarks/startup.py [--runs R]

Runs ``python -m xl_report --help`` (what the ``xl-report`` script does) R times in fresh processes with
this checkout first on the path and prints the median wall time, next to a bare ``python -c pass``
and ``import typer`` (the floor: the CLI's help is drawn by typer and rich). Also lists any heavy
module the CLI loads at start-up: a command imports what it uses inside its own body.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.25
# what no command's --help needs: loaded at start-up, they would cost every command their import time
HEAVY = (
    "openpyxl",
    "numpy",
    "pandas",
    "lxml",
    "python_calamine",
    "cryptography",
    "xlwings",
    "docx",
    "fastapi",
    "uvicorn",
    "pyopenvba",
    "isal",
    "chinese_calendar",
    "email.mime",
)


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env["COLUMNS"] = "120"
    return env


def timed(cmd: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall seconds and CPU seconds (user + system) of each run."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env(), cwd=ROOT)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


# the package's own modules a start may load: the CLI and the few constants its help texts show
LIGHT_OWN = (
    "xl_report",
    "xl_report.cli",
    "xl_report.core",
    "xl_report.core.version",
    "xl_report.core.errors",
    "xl_report.core.filenames",
    "xl_report.core.findings",
)


def heavy_modules_at_startup() -> list[str]:
    """Heavy libraries and library modules of the package that ``import xl_report.cli`` loads."""
    code = "import json, sys, xl_report.cli; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=_env())
    loaded = json.loads(out.stdout)
    own = [
        m for m in loaded if m.startswith("xl_report.") and not m.startswith("xl_report.cli.") and m not in LIGHT_OWN
    ]
    return [m for m in HEAVY if m in loaded] + own


def compile_package() -> None:
    """Bytecode for the package, as ``pip install`` writes it: a checkout run with PYTHONDONTWRITEBYTECODE
    would otherwise compile every module on every start, which no installed copy does."""
    compileall.compile_dir(str(ROOT / "xl_report"), quiet=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    compile_package()
    help_times, help_cpu = timed([sys.executable, "-m", "xl_report", "--help"], args.runs)
    python_times, _ = timed([sys.executable, "-c", "pass"], args.runs)
    typer_times, typer_cpu = timed([sys.executable, "-c", "import typer, typer.rich_utils"], args.runs)
    median = statistics.median(help_times)
    print(
        f"xl-report --help : {median:.3f} s median of {args.runs} runs (min {min(help_times):.3f} s); "
        f"target < {TARGET} s: {'met' if median < TARGET else 'NOT met'}"
    )
    print(
        f"                   CPU {statistics.median(help_cpu):.3f} s median (user + system: what a busy machine "
        "cannot inflate much)"
    )
    print(
        f"floor            : python -c pass {statistics.median(python_times):.3f} s, "
        f"import typer + rich help {statistics.median(typer_times):.3f} s "
        f"(CPU {statistics.median(typer_cpu):.3f} s) (medians)"
    )
    heavy = heavy_modules_at_startup()
    print(f"heavy at start-up: {', '.join(heavy) if heavy else 'none'}")
    print(f"machine          : load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
