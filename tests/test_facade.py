"""The library facade: README's script runs as written; every exported name resolves, lazily, with a docstring."""

from __future__ import annotations

import ast
import importlib
import os
import re
import subprocess
import sys
from datetime import date as D
from pathlib import Path

import pytest

import xl_report

from .conftest import ROOT
from .tally_factory import case, make_tally_workbook, request


def readme_script() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- facade-script -->\n```python\n(.*?)```", text, re.S)
    assert m, "README.md has no ```python block after <!-- facade-script -->"
    return m.group(1)


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_the_readme_script_runs_as_written(tmp_path):
    script = readme_script()
    assert len([line for line in script.splitlines() if line.strip()]) == 5, "the README promises five lines"
    make_tally_workbook(
        tmp_path / "台账.xlsx",
        unit="某某县某某镇人民政府",
        year=2024,
        requests=[
            request("1", D(2024, 3, 5), "自然人", D(2024, 3, 20), "予以公开"),
            request("2", D(2024, 12, 20), "商业企业"),
        ],
        cases=[case("c1", "复议", D(2024, 5, 1))],
    )
    r = _run(script, tmp_path)
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "年报.html").read_text(encoding="utf-8")
    assert "某某县某某镇人民政府" in html and "2024" in html
    # one line per finding: a tally carries no 单位类型, so F13 says the 规章 row cannot be judged
    lines = r.stdout.splitlines()
    assert lines and all(re.match(r"[FAXTDR]\d\d ", line) for line in lines), r.stdout
    assert any(line.startswith("F13 ") for line in lines), r.stdout


def test_every_exported_name_resolves_and_says_what_it_does():
    for name in xl_report.__all__:
        value = getattr(xl_report, name)
        if name == "__version__":
            assert re.fullmatch(r"\d+\.\d+\.\d+", value)
            continue
        if callable(value):
            doc = (value.__doc__ or "").strip()
            assert doc and not doc.startswith(f"{name}("), f"xl_report.{name} has no docstring of its own"


def test_type_checkers_see_the_same_names():
    """The TYPE_CHECKING imports (what IDEs and mypy see) match the names loaded at run time, module for module."""
    tree = ast.parse((ROOT / "xl_report" / "__init__.py").read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    seen = {a.name: n.module for n in block.body if isinstance(n, ast.ImportFrom) for a in n.names}
    assert seen == xl_report._HOMES


def test_no_export_is_shadowed_by_a_subpackage_of_the_same_name():
    """`import xl_report.<child>` sets that attribute on the package: an export of that name would flip to the
    module (this is why the renderer's package is `document`, not `render`)."""
    children = {p.name for p in (ROOT / "xl_report").iterdir() if (p / "__init__.py").exists()}
    children |= {p.stem for p in (ROOT / "xl_report").glob("*.py")}
    assert not children & set(xl_report.__all__)
    importlib.import_module("xl_report.document")
    assert callable(xl_report.render) and xl_report.render.__module__ == "xl_report.document"


def test_importing_the_package_loads_nothing_heavy(tmp_path):
    r = _run(
        "import sys, xl_report; print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('xl_report', 'openpyxl', 'pandas', 'typer', 'rich', 'python_calamine', 'lxml'))))",
        tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert set(r.stdout.split()) <= {"xl_report", "xl_report.core", "xl_report.core.version"}, r.stdout
