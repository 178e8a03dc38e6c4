"""The wheel carries everything: built from a copy of the source tree, installed into a fresh venv and
run from an empty folder, ``xl-report template``, ``addin`` and ``demo`` work as for a county's IT person.

The fresh venv gets the wheel itself (``--no-deps``) and, for its dependencies only, a ``.pth`` line
pointing at this interpreter's site-packages: no download of pandas & co. per run, and ``pip check``
still proves every declared dependency is there (``pyopenvba`` included: the add-in needs no extra).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow

SHIPPED = {
    "xl_report/assets/macros/XlReport.bas": ROOT / "macros" / "XlReport.bas",
    "xl_report/assets/workbooks/年报模板.xlsx": ROOT / "workbooks" / "年报模板.xlsx",
    "xl_report/assets/workbooks/xl_report.xlam": ROOT / "workbooks" / "xl_report.xlam",
    "xl_report/assets/workbooks/年报模板.xlsm": ROOT / "workbooks" / "年报模板.xlsm",
}
# what a build leaves in a working tree; a stale build/lib would otherwise end up in the wheel
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    ".venv",
    "venv",
    "out",
    "demo-out",
    "*.pyc",
)


def _run(cmd: list[str], cwd: Path, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert res.returncode == 0, f"{cmd} -> {res.returncode}\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    _run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(work / "dist")], cwd=work)
    (built,) = (work / "dist").glob("xl_report-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv holding only the wheel; the dependencies come from this interpreter's site-packages."""
    env_dir = tmp_path_factory.mktemp("venv") / "v"
    _run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], cwd=env_dir.parent)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=env_dir
        ).stdout.strip()
    )
    deps = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "_xl_report_test_deps.pth").write_text("".join(f"{d}\n" for d in deps), encoding="utf-8")
    _run(
        # --ignore-installed: an xl_report of the same version visible through the .pth (the CI venv's own
        # install) would otherwise count as installed and the wheel would be skipped
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--ignore-installed",
            "-q",
            str(wheel),
        ],
        cwd=env_dir.parent,
    )
    return env_dir


def _clean_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env["HOME"] = str(home)  # nothing of the developer's (~/.xl_report, configs) leaks in
    return env


def test_wheel_ships_the_vba_sources_and_workbooks(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for inside, source in SHIPPED.items():
            assert inside in names, f"{inside} missing from {wheel.name}"
            assert z.read(inside) == source.read_bytes(), inside
        assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "build/"))]
        requires = [
            line
            for line in z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
    assert any("pyopenvba" in r and "extra ==" not in r for r in requires), requires


def test_installed_commands_work_from_an_empty_folder(venv, tmp_path):
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    exe, python = str(bindir / "xl-report"), str(bindir / "python")
    empty = tmp_path / "空文件夹"
    empty.mkdir()
    env = _clean_env(tmp_path)

    where = _run([python, "-c", "import xl_report; print(xl_report.__file__)"], cwd=empty, env=env).stdout
    assert Path(where.strip()).is_relative_to(venv), where  # the wheel's copy, not this checkout
    # every declared dependency is installed (pip itself reaches the venv through the .pth)
    assert "No broken requirements" in _run([python, "-m", "pip", "check"], cwd=empty, env=env).stdout

    _run([exe, "template", "-o", "t.xlsx"], cwd=empty, env=env)
    assert (empty / "t.xlsx").read_bytes() == SHIPPED["xl_report/assets/workbooks/年报模板.xlsx"].read_bytes()

    _run([exe, "addin", "-o", "x.xlam", "--xlsm", "x.xlsm"], cwd=empty, env=env)
    assert (empty / "x.xlam").read_bytes() == SHIPPED["xl_report/assets/workbooks/xl_report.xlam"].read_bytes()
    assert (empty / "x.xlsm").read_bytes() == SHIPPED["xl_report/assets/workbooks/年报模板.xlsm"].read_bytes()

    res = _run([exe, "demo", "-o", "d"], cwd=empty, env=env)
    assert "Traceback" not in res.stderr
    findings = json.loads((empty / "d" / "输出" / "2024年" / "findings.json").read_text(encoding="utf-8"))
    assert len(findings["units"]) == 20
    assert (empty / "d" / "输出" / "2024年" / "汇总.xlsx").is_file()
    assert list((empty / "d" / "发件箱").glob("*.eml"))
    assert sorted(p.name for p in empty.iterdir()) == sorted(["t.xlsx", "x.xlam", "x.xlsm", "d"])
