"""An office's own ledger (.xls/.ods/.csv, other headers, free text) where the clerk and the county work:
the web page's upload (real HTTP, ``xl-report serve`` in its own process) and ``xl-report batch`` read it
as ``adopt``/``fill`` do; a text the rules cannot read is never counted, the clerk chooses it."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from xl_report.cli import app
from xl_report.core import form
from xl_report.core.aggregate import aggregate, cells_filled_by
from xl_report.core.ledger import ADOPT_SHEET
from xl_report.web.store import Store
from xl_report.xlsx.workbook import read_report_file

from . import ledger_factory as lf
from .conftest import _soffice_convert, needs_soffice
from .tally_factory import tally_from_rows
from .web_helpers import UNITS, YEAR, Serve, make_county

A, B, C, D = UNITS
UNDECIDED_TEXT = "看情况再说"  # a result no rule reads: the clerk must choose
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    return make_county(tmp_path_factory.mktemp("ledgers-web") / "县")


@pytest.fixture(scope="module")
def server(county):
    with Serve(county) as s:
        yield s


@pytest.fixture(scope="session")
def office_ledgers(tmp_path_factory) -> dict[str, lf.Layout]:
    """The 登记台账 saved by LibreOffice as .xls and the cases register as .ods, as offices keep them."""
    tmp = tmp_path_factory.mktemp("office-ledgers")
    register, cases = lf.register_xlsx(tmp), lf.cases_xlsx(tmp)
    out = tmp / "converted"
    out.mkdir()
    profile = out / "lo-profile"
    return {
        "xls": lf.Layout(_soffice_convert(register.path, out, "xls", profile), register.native),
        "ods": lf.Layout(_soffice_convert(cases.path, out, "ods", profile), cases.native),
    }


def undecided_csv(tmp: Path, name: str = "申请登记.csv") -> lf.Layout:
    """The GBK requests register with one result written as no rule can read (YS-006, ledger row 7)."""
    layout = lf.requests_csv(tmp, name)
    text = layout.path.read_bytes().decode("gbk")
    assert text.count("申请人撤回申请") == 1
    layout.path.write_bytes(text.replace("申请人撤回申请", UNDECIDED_TEXT).encode("gbk"))
    return layout


def upload(client, csrf: str, path: Path, name: str | None = None):
    file = (name or path.name, path.read_bytes(), "application/octet-stream")
    return client.post("/api/upload", files={"file": file}, headers={"X-CSRF-Token": csrf})


def clerk_counts(layout: lf.Layout) -> dict:
    """What a careful clerk's rows give, for the cells the ledger's sheets fill."""
    values = aggregate(tally_from_rows(**layout.native), YEAR).report.values
    return {n: values[n] for n in cells_filled_by(layout.native)}


def filled_counts(client, tmp: Path, names) -> tuple[dict, openpyxl.Workbook]:
    r = client.get("/api/files/filled")
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    path = tmp / "已填报.xlsx"
    path.write_bytes(r.content)
    values = read_report_file(path).values
    return {n: values[n] for n in names}, openpyxl.load_workbook(path)


def notes_text(wb: openpyxl.Workbook) -> str:
    return "\n".join(str(c.value) for row in wb[ADOPT_SHEET].iter_rows() for c in row if c.value is not None)


# --------------------------------------------------------------------------------------------
# Web
# --------------------------------------------------------------------------------------------


def test_a_gbk_csv_ledger_uploads_and_counts_as_the_clerk_would(server, county, tmp_path):
    layout = lf.requests_csv(tmp_path, "申请登记.csv", encoding="gbk")
    c, csrf = server.login(county.codes[A])
    r = upload(c, csrf, layout.path)
    assert r.status_code == 200, r.text
    body = r.json()
    assert not [f for f in body["findings"] if f["code"] in ("R06", "R10")]
    assert any("新收" in line for line in body["summary"])
    expected = clerk_counts(layout)
    got, wb = filled_counts(c, tmp_path, expected)
    assert got == expected and got[form.t3("new", "person")] == 2
    assert "原台账：申请登记.csv" in notes_text(wb)  # the clerk's file name, not the server's
    folder = Store(county.data, YEAR).unit_dir(A)
    assert (folder / "上传.csv").read_bytes() == layout.path.read_bytes()


def test_undecided_texts_are_chosen_in_the_downloaded_workbook_then_counted(server, county, tmp_path):
    layout = undecided_csv(tmp_path)
    c, csrf = server.login(county.codes[B])
    r = upload(c, csrf, layout.path)
    assert r.status_code == 200, r.text
    body = r.json()
    (choose,) = [f for f in body["findings"] if f["code"] == "R10"]
    assert choose["severity"] == "error" and UNDECIDED_TEXT in choose["message"] and "重新上传" in choose["message"]
    assert body["errors"] >= 1 and any("没有计数" in line for line in body["summary"])
    sheet, cell = choose["sheet"], choose["cell"]
    names = clerk_counts(layout)
    got, wb = filled_counts(c, tmp_path, names)
    typed = [n for n in got if not form.CELL_BY_NAME[n].computed]
    assert typed and all(got[n] is None for n in typed)  # nothing counted from a guess: the tables stay blank
    assert wb[sheet][cell].value == UNDECIDED_TEXT and wb[sheet][cell].fill.patternType == "solid"  # highlighted
    assert any(cell in dv.sqref for dv in wb[sheet].data_validations.dataValidation)  # its dropdown
    assert ADOPT_SHEET in wb.sheetnames and form.SHEET_FINDINGS in wb.sheetnames
    # 定稿 is refused while the cell is undecided
    r = c.post("/api/freeze", headers={"X-CSRF-Token": csrf})
    assert r.status_code in (400, 409) and r.json()["message"], r.text
    assert c.get("/api/files/frozen").status_code == 404
    # the clerk chooses in the downloaded workbook and uploads it again: counted as a careful clerk would
    wb[sheet][cell].value = "其他处理-其他"
    chosen = tmp_path / "选好了.xlsx"
    wb.save(chosen)
    r = upload(c, csrf, chosen)
    assert r.status_code == 200, r.text
    assert not [f for f in r.json()["findings"] if f["code"] in ("R06", "R10")]
    got, _ = filled_counts(c, tmp_path, names)
    assert got == names and got[form.t3("other_3", "other")] == 1


def _ods_with_entity() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr(
            "content.xml",
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            "<office:document-content>&e;</office:document-content>",
        )
    return buf.getvalue()


def _ods_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("content.xml", b"\0" * (600 * 1024 * 1024))
    return buf.getvalue()


@pytest.mark.parametrize(
    "name,kind",
    [
        ("台账.ods", "entity"),
        ("台账.ods", "bomb"),
        ("台账.xls", "not-ole"),
        ("台账.csv", "nul"),
        ("台账.csv", "no-header"),
        ("台账.xls", "xlsx-inside"),
    ],
)
def test_a_hostile_or_unusable_ledger_is_refused_with_nothing_stored(server, county, tmp_path, name, kind):
    data = {
        "entity": _ods_with_entity,
        "bomb": _ods_bomb,
        "not-ole": lambda: b"MZ\x90\x00" + b"\x00" * 5000,
        "nul": lambda: "编号,收到日期\n".encode() + b"\x00" * 100,
        "no-header": lambda: "姓名,工资\n张三,100\n".encode("gbk"),
        "xlsx-inside": lambda: county.books[C].read_bytes(),
    }[kind]()
    path = tmp_path / name
    path.write_bytes(data)
    c, csrf = server.login(county.codes[C])
    unit_dir = Store(county.data, YEAR).unit_dir(C)
    before = sorted(p.name for p in unit_dir.iterdir()) if unit_dir.exists() else None
    r = upload(c, csrf, path)
    assert r.status_code == 400 and r.json()["message"], r.text
    assert "Traceback" not in r.text and str(county.data) not in r.text
    after = sorted(p.name for p in unit_dir.iterdir()) if unit_dir.exists() else None
    assert after == before
    assert not [p for p in (county.data / str(YEAR)).iterdir() if p.name.startswith(".upload-")]


def test_the_page_offers_ledgers(server):
    page = server.client().get("/").text
    assert 'accept=".xlsx,.xlsm,.xls,.ods,.csv"' in page and "原有的台账" in page


@needs_soffice
@pytest.mark.parametrize("kind", ["xls", "ods"])
def test_an_xls_or_ods_ledger_uploads_and_counts_as_the_clerk_would(server, county, tmp_path, office_ledgers, kind):
    layout = office_ledgers[kind]
    c, csrf = server.login(county.codes[D])
    r = upload(c, csrf, layout.path)
    assert r.status_code == 200, r.text
    assert not [f for f in r.json()["findings"] if f["code"] in ("R06", "R10")]
    expected = clerk_counts(layout)
    got, wb = filled_counts(c, tmp_path, expected)
    assert got == expected
    assert f"原台账：{layout.path.name}" in notes_text(wb)
    assert (Store(county.data, YEAR).unit_dir(D) / f"上传.{kind}").is_file()
    assert not (Store(county.data, YEAR).unit_dir(D) / "上传.xlsx").exists()  # one current upload


# --------------------------------------------------------------------------------------------
# Batch
# --------------------------------------------------------------------------------------------


def run_batch(indir: Path, outdir: Path) -> dict:
    res = CliRunner().invoke(app, ["batch", str(indir), "-o", str(outdir), "--year", str(YEAR), "--jobs", "2"])
    assert res.exit_code in (0, 1), res.output
    return {u["unit"]: u for u in json.loads((outdir / "findings.json").read_text("utf-8"))["units"]}


def test_batch_takes_csv_ledgers_and_never_counts_an_undecided_one(tmp_path):
    indir = tmp_path / "收件"
    indir.mkdir()
    good = lf.requests_csv(indir, "甲镇.csv", encoding="gbk")
    utf8 = lf.requests_csv(indir, "乙镇.csv", encoding="utf-8-sig")
    undecided_csv(indir, "丙镇.csv")
    units = run_batch(indir, tmp_path / "out")
    for unit, layout in (("甲镇", good), ("乙镇", utf8)):
        expected = clerk_counts(layout)
        assert units[unit]["status"] != "失败", units[unit]
        values = read_report_file(tmp_path / "out" / f"{unit}.xlsx").values
        assert {n: values[n] for n in expected} == expected
    bad = units["丙镇"]
    assert bad["status"] == "失败" and UNDECIDED_TEXT in bad["reason"] and "选择" in bad["reason"]
    assert not (tmp_path / "out" / "丙镇.xlsx").exists()
    ws = openpyxl.load_workbook(tmp_path / "out" / "汇总.xlsx")["汇总"]
    rows = {r[1]: r for r in ws.iter_rows(min_row=4, values_only=True) if r[1]}
    assert "丙镇" in rows and "失败" in rows["丙镇"]


@needs_soffice
def test_batch_takes_xls_and_ods_ledgers(tmp_path, office_ledgers):
    indir = tmp_path / "收件"
    indir.mkdir()
    for kind, short in (("xls", "甲镇"), ("ods", "乙镇")):
        (indir / f"{short}.{kind}").write_bytes(office_ledgers[kind].path.read_bytes())
    units = run_batch(indir, tmp_path / "out")
    for kind, short in (("xls", "甲镇"), ("ods", "乙镇")):
        expected = clerk_counts(office_ledgers[kind])
        assert units[short]["status"] != "失败", units[short]
        values = read_report_file(tmp_path / "out" / f"{short}.xlsx").values
        assert {n: values[n] for n in expected} == expected
