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


def test_the_batch_command_loads_neither_numpy_nor_typers_help_renderer(tmp_path):
    """openpyxl would import numpy (~0.13 s of the batch's serial start, and again at exit) and typer its
    help renderer (~50 ms): neither is used by a batch that runs. The batch still fills, checks and sums."""
    from xl_report.cli.demo import synthetic_unit, write_unit

    indir = tmp_path / "in"
    indir.mkdir()
    for i in range(2):
        write_unit(indir / f"{i}.xlsx", synthetic_unit(f"某某县第{i}单位", "乡镇人民政府", 2024, seed=i), 2024)
    out = tmp_path / "out"
    probe = (
        "import sys\n"
        "from xl_report.cli import main\n"
        f"sys.argv = ['xl-report', 'batch', {str(indir)!r}, '-o', {str(out)!r}, '--year', '2024', '--freeze']\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    print('loaded:', sorted(m for m in ('numpy', 'typer.rich_utils') if m in sys.modules), file=sys.stderr)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=False, cwd=ROOT
    )
    assert res.returncode == 0, res.stderr
    assert "loaded: []" in res.stderr, res.stderr
    assert "共 2 个单位：成功 2 个" in res.stdout and (out / "汇总.xlsx").is_file()
