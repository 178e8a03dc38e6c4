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
