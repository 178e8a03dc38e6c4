"""Start-up: ``xl-report --help`` and every command's start load typer and rich, not openpyxl & co.
(each command imports what it uses in its own body). The timing itself is benchmarks/startup.py's
figure; this test runs that benchmark briefly and holds it to what does not depend on the machine."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT


def test_cli_start_up_loads_no_heavy_library():
    res = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "startup.py"), "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert "xl-report --help :" in res.stdout
    assert "heavy at start-up: none" in res.stdout, res.stdout


def _python(code: str) -> subprocess.CompletedProcess:
    """``code`` run in a fresh interpreter (what it imports is all its own); it must succeed."""
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False, cwd=ROOT
    )
    assert res.returncode == 0, res.stderr
    return res


def _units(folder, n: int) -> None:
    from xl_report.cli.demo import synthetic_unit, write_unit

    folder.mkdir()
    for i in range(n):
        write_unit(folder / f"{i}.xlsx", synthetic_unit(f"某某县第{i}单位", "乡镇人民政府", 2024, seed=i), 2024)


def test_the_batch_command_loads_neither_numpy_nor_typers_help_renderer(tmp_path):
    """openpyxl would import numpy (~0.13 s of the batch's serial start, and again at exit) and typer its
    help renderer (~50 ms): neither is used by a batch that runs. Before its workers fork, the command's
    process loads neither openpyxl nor rich nor the dashboard (serial time: it loads them while the workers
    run). The batch still fills, checks and sums."""
    indir, out = tmp_path / "in", tmp_path / "out"
    _units(indir, 2)
    probe = (
        "import sys\n"
        "import xl_report.batch.run as run\n"
        "from xl_report.cli import main\n"
        "fork = run._run_jobs\n"
        "def counted(*args, **kwargs):\n"
        "    print('before the fork:', sorted(m for m in HEAVY if m in sys.modules), file=sys.stderr)\n"
        "    return fork(*args, **kwargs)\n"
        "HEAVY = ('openpyxl', 'numpy', 'rich', 'xl_report.document.dashboard', 'xl_report.batch.summary')\n"
        "run._run_jobs = counted\n"
        f"sys.argv = ['xl-report', 'batch', {str(indir)!r}, '-o', {str(out)!r}, '--year', '2024', '--freeze']\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    print('loaded:', sorted(m for m in ('numpy', 'typer.rich_utils') if m in sys.modules), file=sys.stderr)\n"
    )
    res = _python(probe)
    assert "before the fork: []" in res.stderr, res.stderr
    assert "loaded: []" in res.stderr, res.stderr
    assert "共 2 个单位：成功 2 个" in res.stdout and (out / "汇总.xlsx").is_file()


def test_a_batch_unit_runs_without_openpyxl(tmp_path):
    """The workers read, check, fill and freeze from the package XML: xl_report.batch.unit and everything it
    imports load no openpyxl (~50 ms of serial start in the command, which forks them), nor does a unit."""
    indir, out = tmp_path / "in", tmp_path / "out"
    _units(indir, 1)
    for folder in ("claims", "units"):  # what run_batch prepares before its workers start
        (out / ".xl-report" / folder).mkdir(parents=True)
    probe = (
        "import sys\n"
        "from xl_report.batch.model import Options\n"
        "from xl_report.batch.unit import init_worker, process_unit\n"
        "print('imported:', 'openpyxl' in sys.modules)\n"
        "init_worker(None)\n"
        f"opts = Options({str(out)!r}, 2024, freeze=True, options_key='k')\n"
        f"res = process_unit({str(indir / '0.xlsx')!r}, '0.xlsx', None, opts)\n"
        "print('unit:', res.status, res.file, bool(res.fingerprint), 'openpyxl' in sys.modules)\n"
    )
    res = _python(probe)
    assert "imported: False" in res.stdout, res.stdout
    assert "unit: 成功 某某县第0单位-定稿.xlsx True False" in res.stdout, res.stdout
    assert (out / "某某县第0单位-定稿.xlsx").is_file()
