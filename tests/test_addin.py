"""The built add-in and .xlsm: deterministic, ASCII VBA, every button names a Sub, well-formed XML,
openpyxl keep_vba round trip, xlwings versions match; headless LibreOffice loads and runs them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import xlwings as xw
from openpyxl import load_workbook
from pyopenvba import ExcelFile
from typer.testing import CliRunner

from xl_report.cli import app
from xl_report.core.assets import MACROS, asset_dir
from xl_report.excel.addin import (
    ADDIN_FILE,
    BUTTONS,
    CUSTOM_UI_PART,
    HELP_TEXT,
    RIBBON_CALLBACK,
    TAB_LABEL,
    XLSM_FILE,
    build_addin_bytes,
    vba_string,
)
from xl_report.excel.buttons import PROTECT_SUB, SET_PROP_SUB

from .conftest import ROOT, needs_soffice

COMMITTED = {ADDIN_FILE: ROOT / "workbooks" / ADDIN_FILE, XLSM_FILE: ROOT / "workbooks" / XLSM_FILE}
NS_UI = "{http://schemas.microsoft.com/office/2006/01/customui}"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("addin")
    result = CliRunner().invoke(app, ["addin", "-o", str(d / ADDIN_FILE), "--xlsm", str(d / XLSM_FILE)])
    assert result.exit_code == 0, result.output
    return {ADDIN_FILE: d / ADDIN_FILE, XLSM_FILE: d / XLSM_FILE}


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _modules(path: Path) -> dict[str, str]:
    with ExcelFile(path) as x:
        return {n: x.get_module(n) for n in x.module_names()}


@pytest.mark.slow
def test_committed_files_are_what_the_build_produces(built):
    # pyopenvba + normalise_zip are byte-stable (checked: two builds give identical bytes)
    for name, path in built.items():
        assert path.read_bytes() == COMMITTED[name].read_bytes(), (
            f"workbooks/{name} is stale: run xl-report addin -o workbooks/{ADDIN_FILE} --xlsm workbooks/{XLSM_FILE}"
        )
    assert build_addin_bytes() == built[ADDIN_FILE].read_bytes()


def test_vba_is_ascii_and_complete(built):
    macros = asset_dir(MACROS)
    assert macros == ROOT / MACROS  # from a checkout: the top-level sources themselves
    for src in macros.glob("*.bas"):
        src.read_bytes().decode("ascii")
    need = {
        "xlwings",
        "Dictionary",
        "Remote",
        "WebHelpers",
        "WebClient",
        "WebRequest",
        "WebResponse",
        "IWebAuthenticator",
        "XlReport",
        "XlReportText",
    }
    for path in built.values():
        with ExcelFile(path) as x:
            assert not x.validate()
        mods = _modules(path)
        assert need <= set(mods)
        for src in mods.values():
            src.encode("ascii")
        # the client sends this version; the server refuses any other
        assert f'XLWINGS_VERSION As String = "{xw.__version__}"' in mods["xlwings"]
        assert 'PROJECT_NAME As String = "xl_report"' in mods["xlwings"]
    assert "ActiveWorkbook" in _modules(built[ADDIN_FILE])["xlwings"]  # add-in variant acts on the report


def _subs(source: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in re.finditer(r"^Public (?:Sub|Function) (\w+)\(([^)]*)\)", source, re.M)}


def test_every_button_names_an_existing_sub(built):
    subs = _subs(_modules(built[ADDIN_FILE])["XlReport"])
    # ribbon (add-in)
    ui = ET.fromstring(_parts(built[ADDIN_FILE])[CUSTOM_UI_PART])
    tab = ui.find(f".//{NS_UI}tab")
    assert tab.get("label") == TAB_LABEL
    buttons = tab.findall(f".//{NS_UI}button")
    assert [b.get("label") for b in buttons] == ["填报", "校验", "定稿", "上报", "帮助"]
    for b in buttons:
        assert subs[b.get("onAction")] == "control As IRibbonControl"
    assert RIBBON_CALLBACK in subs
    assert b"ui/extensibility" in _parts(built[ADDIN_FILE])["_rels/.rels"]
    assert "addin.macroEnabled.main+xml" in _parts(built[ADDIN_FILE])["[Content_Types].xml"].decode()
    # ribbon tags are dispatched in VBA
    for b in BUTTONS[:-1]:
        assert f'Case "{b.tag}": {b.macro}' in _modules(built[ADDIN_FILE])["XlReport"]
    # form buttons (.xlsm, sheet 说明)
    parts = _parts(built[XLSM_FILE])
    vml = [v.decode() for n, v in parts.items() if n.endswith(".vml") and b'ObjectType="Button"' in v]
    assert len(vml) == 1
    ET.fromstring(vml[0])
    macros = re.findall(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", vml[0])
    assert macros == [b.macro for b in BUTTONS]
    for m in macros:
        assert subs[m] == ""
    # Subs Python calls back through runMacro take the workbook first
    assert subs[PROTECT_SUB].startswith("wb As Workbook") and subs[SET_PROP_SUB].startswith("wb As Workbook")


def test_help_text_encodes_back():
    expr = vba_string(HELP_TEXT)
    expr.encode("ascii")
    decoded = "".join(
        chr(int(m.group(1))) if m.group(1) else ("\n" if m.group(0) == "vbLf" else m.group(2))
        for m in re.finditer(r'ChrW\((\d+)\)|vbLf|"([^"]*)"', expr)
    )
    assert decoded == HELP_TEXT


def test_openpyxl_keep_vba_round_trip(built, tmp_path):
    for name, path in built.items():
        if name.endswith(".xlam"):
            continue  # openpyxl does not open add-ins; the report files are .xlsx / .xlsm
        wb = load_workbook(path, keep_vba=True)
        wb["说明"]["B14"] = "某镇人民政府"
        out = tmp_path / name
        wb.save(out)
        before, after = _parts(path), _parts(out)
        kept = [n for n, v in before.items() if n.startswith("xl/vbaProject") or b'ObjectType="Button"' in v]
        assert len(kept) == 2
        for part in kept:  # (openpyxl regenerates its own comment VML; the button VML must stay)
            assert after[part] == before[part], part
        assert "macroEnabled" in after["[Content_Types].xml"].decode()
        ct = re.findall(r'codeName="(\w+)"', after["xl/workbook.xml"].decode())
        assert ct == re.findall(r'codeName="(\w+)"', before["xl/workbook.xml"].decode())


def test_xlsm_is_the_template(built, template_file):
    from xl_report.xlsx.workbook import read_report_file, resolve_names

    ours = load_workbook(built[XLSM_FILE], keep_vba=True)
    ref = load_workbook(template_file)
    assert ours.sheetnames == ref.sheetnames
    assert resolve_names(ours) == resolve_names(ref)
    assert read_report_file(built[XLSM_FILE]).values == read_report_file(template_file).values


def test_addin_refuses_wrong_suffix(tmp_path):
    result = CliRunner().invoke(app, ["addin", "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2 and ".xlam" in result.output


def _uno_available() -> bool:
    return (
        shutil.which("soffice") is not None
        and Path("/usr/bin/python3").exists()
        and subprocess.run(["/usr/bin/python3", "-c", "import uno"], capture_output=True).returncode == 0
    )


@needs_soffice
def test_libreoffice_loads_binds_and_runs(built, tmp_path):
    if not _uno_available():
        pytest.skip("python3-uno (system python) not installed")
    out = tmp_path / "lo.json"
    specs = [f"{built[XLSM_FILE]}::XlReport.XlReport_Ping", f"{built[ADDIN_FILE]}::XlReportText.HelpText"]
    subprocess.run(
        ["/usr/bin/python3", str(ROOT / "tests" / "lo_vba_probe.py"), str(out), *specs],
        check=True,
        timeout=120,
        capture_output=True,
    )
    res = json.loads(out.read_text(encoding="utf-8"))
    xlsm, xlam = res[str(built[XLSM_FILE])], res[str(built[ADDIN_FILE])]
    for r in (xlsm, xlam):
        assert r["loaded"]
        project = r["libraries"]["VBAProject"]
        assert {"XlReport", "XlReportText", "xlwings", "Remote", "WebHelpers"} <= set(project)
    assert xlsm["call"] == f"pong {len(load_workbook(built[XLSM_FILE], keep_vba=True).sheetnames)}"
    assert xlam["call"] == HELP_TEXT
    bound = {(b["label"], b["script"].split("?")[0].rsplit(".", 1)[-1]) for b in xlsm["bindings"]}
    assert bound == {(b.label, b.macro) for b in BUTTONS}
    assert all(b["sheet"] == "说明" and ".XlReport." in b["script"] for b in xlsm["bindings"])
