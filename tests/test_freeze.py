"""Freeze (定稿): a new, protected, final workbook with a fingerprint; the input never changes."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.protection import hash_password
from typer.testing import CliRunner

from xl_report.cli import app
from xl_report.core import form
from xl_report.core.errors import TallyErrors, XlReportError
from xl_report.core.fingerprint import short
from xl_report.core.report import ReportData
from xl_report.core.tally_schema import PERSONAL_COLUMNS, REQUESTS
from xl_report.stages.freeze import (
    FreezeRefused,
    freeze_book,
    freeze_file,
    read_freeze_info,
    verify_book,
    verify_file,
    workbook_bytes,
)
from xl_report.stages.freeze_record import PASSWORD_ENV
from xl_report.stages.reader_diff import named_value
from xl_report.xlsx.fileio import backup_existing, save_workbook
from xl_report.xlsx.reader_view import fingerprint_v2
from xl_report.xlsx.template import build_template
from xl_report.xlsx.workbook import open_workbook, resolve_names, write_report

from .conftest import needs_soffice, pdf_pages, to_pdf

UNIT = "某某县某某镇人民政府"
PASSWORD = "定稿Secret-2024"
APPLICANT = "张三丰"
REQUEST_TEXT = "关于某某村土地征收补偿标准的文件"


def good_report() -> ReportData:
    """A consistent report (every identity holds) with distinctive numbers."""
    r = ReportData(
        unit=UNIT, year=2024, contact="0476-5326621", level="乡镇人民政府", values={n: 0 for n in form.CELL_NAMES}
    )
    r.values.update(
        t2_normative_issued=3,
        t2_normative_repealed=1,
        t2_normative_in_force=12,
        t2_licensing_decisions=173,
        t2_penalty_decisions=29,
        t2_coercion_decisions=2,
        t2_fees_amount=1.25,
    )
    for j, col in enumerate(form.T3_APPLICANT_COLUMNS):
        new, carried_in, opened, partial, unable = 11 + j, 1, 8 + j, 1, 1 if j % 2 == 0 else 0
        r.values.update(
            {
                form.t3("new", col): new,
                form.t3("carried_in", col): carried_in,
                form.t3("open", col): opened,
                form.t3("partial", col): partial,
                form.t3("unable_1", col): unable,
                form.t3("carried_out", col): new + carried_in - opened - partial - unable,
            }
        )
    r.values.update(t4_review_upheld=2, t4_review_corrected=1, t4_suit_direct_pending=1)
    r.narrative = {
        "overview": [
            "（一）主动公开",
            "本镇全年主动公开政府信息一百余条。",
            "（二）依申请公开",
            "本年度共收到政府信息公开申请{新收}件，办结{办结}件。",
        ],
        "problems": ["（一）上一年度存在问题的改进情况", "已全部整改。"],
        "other": ["本年度未收取信息处理费。"],
    }
    return r.with_totals()


def write_book(path: Path, report: ReportData | None = None, *, tally: bool = True) -> Path:
    """The template holding ``report``; with ``tally``, the 依申请公开台账 rows that give good_report's
    表三 (table ≡ tally, R07), the first of them with the personal columns filled."""
    wb = build_template()
    write_report(report or good_report(), wb, narrative=True)
    if tally:
        ws = wb[REQUESTS.name]
        for row in request_rows():
            ws.append([row.get(h) for h in REQUESTS.headers])
    save_workbook(wb, path)
    return path


def request_rows() -> list[dict]:
    """Rows whose 2024 表三 is good_report's (first row: 自然人, received 2024-03-04, 予以公开)."""
    first = {
        "编号": "2024-001",
        "收到日期": date(2024, 3, 4),
        "申请人类型": "自然人",
        "申请人": APPLICANT,
        "申请内容": REQUEST_TEXT,
        "办结日期": date(2024, 3, 20),
        "办理结果": "予以公开",
    }
    rows, v = [first], good_report().values
    for key, label, _ in form.T3_COLUMNS:
        if key == "total":
            continue
        results = (
            ["予以公开"] * v[form.t3("open", key)]
            + ["部分公开"] * v[form.t3("partial", key)]
            + ["无法提供-本机关不掌握相关政府信息"] * v[form.t3("unable_1", key)]
        )
        if key == "person":
            results.remove("予以公开")  # the first row's
        for _ in range(v[form.t3("carried_in", key)]):
            rows.append(
                {
                    "收到日期": date(2023, 12, 1),
                    "申请人类型": label,
                    "办结日期": date(2024, 1, 10),
                    "办理结果": results.pop(),
                }
            )
        for _ in range(v[form.t3("new", key)] - (key == "person")):
            done = results.pop() if results else None
            rows.append(
                {
                    "收到日期": date(2024, 5, 6) if done else date(2024, 12, 20),
                    "申请人类型": label,
                    "办理结果": done,
                    "办结日期": date(2024, 5, 20) if done else None,
                }
            )
    for i, row in enumerate(rows[1:], start=2):
        row["编号"] = f"2024-{i:03d}"
    return rows


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return write_book(tmp_path_factory.mktemp("freeze") / "年报.xlsx")


@pytest.fixture(scope="module")
def frozen(source):
    before = sha(source)
    result = freeze_file(source, password=PASSWORD)
    assert sha(source) == before, "the input workbook must never change"
    return result


def cell(wb, name: str):
    sheet, coord = resolve_names(wb)[name]
    return wb[sheet][coord.split(":")[0]]


# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_writes_a_new_file_and_keeps_the_input(source, frozen):
    assert frozen.output == source.with_name("年报-定稿.xlsx")
    assert frozen.output.exists()
    assert not frozen.forced and not [f for f in frozen.findings if f.is_error]
    wb = openpyxl.load_workbook(source)
    assert read_freeze_info(wb) is None  # the input is not frozen
    assert cell(wb, "t3_total_total").value.startswith("=SUM")  # ... and still has its formulas


@pytest.mark.slow
def test_fingerprint_is_over_what_a_reader_sees_not_the_moment(source, frozen, tmp_path):
    # v2: the frozen file as displayed, read from its own XML; the 定稿 line's time is not part of it
    assert frozen.fingerprint == fingerprint_v2(frozen.output.read_bytes())
    assert re.fullmatch(r"[0-9a-f]{64}", frozen.fingerprint)
    later = freeze_book(open_workbook(source), findings=[], now=datetime(2031, 5, 6, 7, 8, tzinfo=UTC))
    assert later.fingerprint == frozen.fingerprint and later.frozen_at != frozen.frozen_at


def test_every_formula_became_its_value(frozen):
    wb = openpyxl.load_workbook(frozen.output)
    formulas = [
        (ws.title, c.coordinate) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"
    ]
    assert formulas == []
    expected = good_report()
    for name in form.COMPUTED_FROM:
        assert cell(wb, name).value == expected.values[name], name


def test_protection_flags_in_the_xml(frozen):
    with zipfile.ZipFile(frozen.output) as z:
        sheets = [n for n in z.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]
        assert len(sheets) == len(openpyxl.load_workbook(frozen.output).worksheets)
        pw_hash = hash_password(PASSWORD)
        for name in sheets:
            xml = z.read(name).decode()
            tag = re.search(r"<sheetProtection[^>]*>", xml)
            assert tag, name
            assert 'sheet="1"' in tag.group(0) and f'password="{pw_hash}"' in tag.group(0), name
        wbxml = z.read("xl/workbook.xml").decode()
        tag = re.search(r"<workbookProtection[^>]*>", wbxml).group(0)
        assert 'lockStructure="1"' in tag and f'workbookPassword="{pw_hash}"' in tag
        assert "<cp:contentStatus>Final</cp:contentStatus>" in z.read("docProps/core.xml").decode()
        custom = z.read("docProps/custom.xml").decode()
        assert 'name="_MarkAsFinal"' in custom and 'name="xl_report_fingerprint"' in custom
        # the password itself is nowhere in the package
        for n in z.namelist():
            assert PASSWORD.encode() not in z.read(n), n


def test_every_cell_is_locked(frozen, source):
    assert any(
        c.protection.locked is False for row in openpyxl.load_workbook(source)["表三"].iter_rows() for c in row
    ), "the template has unlocked input cells"
    wb = openpyxl.load_workbook(frozen.output)
    unlocked = [
        (ws.title, c.coordinate)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.protection.locked is False
    ]
    assert unlocked == []


def test_visible_stamp_below_each_table_and_meta_cells(frozen):
    wb = openpyxl.load_workbook(frozen.output)
    for title in (form.SHEET_README,) + form.TABLES:
        ws = wb[title]
        stamps = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("定稿：")]
        assert len(stamps) == 1, title
        assert short(frozen.fingerprint) in stamps[0].value
        names = {coord for n, (s, coord) in resolve_names(wb).items() if s == title}
        assert stamps[0].coordinate not in names  # not inside the official table
    assert cell(wb, "meta_fingerprint").value == frozen.fingerprint
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", cell(wb, "meta_frozen_at").value)
    info = read_freeze_info(wb)
    assert info["fingerprint"] == frozen.fingerprint and info["version"].startswith("xl-report ")
    assert info["scheme"] == 2 and named_value(info["view"], "t2_licensing_decisions") == 173


def _column(ws, header: str) -> list:
    col = [c.value for c in ws[1]].index(header) + 1
    return [v for r in range(2, ws.max_row + 1) if (v := ws.cell(r, col).value) is not None]


def test_personal_columns_dropped_by_default(frozen, source, tmp_path):
    assert PERSONAL_COLUMNS[REQUESTS.name] == ("申请人", "申请内容")
    ws = openpyxl.load_workbook(frozen.output)[REQUESTS.name]
    assert _column(ws, "申请人") == [] and _column(ws, "申请内容") == []
    assert _column(ws, "申请人类型") == [r["申请人类型"] for r in request_rows()]  # counts stay possible
    assert [c.value for c in ws[1]] == list(REQUESTS.headers)
    assert frozen.personal_removed == 2
    with zipfile.ZipFile(frozen.output) as z:
        assert not any(APPLICANT.encode() in z.read(n) for n in z.namelist())
    stored = json.dumps(read_freeze_info(openpyxl.load_workbook(frozen.output))["view"], ensure_ascii=False)
    assert APPLICANT not in stored and REQUEST_TEXT not in stored  # the compressed record holds none either
    kept = freeze_file(source, output=tmp_path / "kept.xlsx", keep_personal=True)
    ws = openpyxl.load_workbook(kept.output)[REQUESTS.name]
    assert _column(ws, "申请人") == [APPLICANT] and _column(ws, "申请内容") == [REQUEST_TEXT]
    assert kept.fingerprint != frozen.fingerprint  # the tally a reader sees is part of the fingerprint (v2)


@pytest.mark.slow
def test_freeze_then_verify_and_openpyxl_round_trip(frozen, tmp_path):
    assert verify_file(frozen.output).ok
    copy = tmp_path / "round-trip.xlsx"
    wb = openpyxl.load_workbook(frozen.output)
    wb.save(copy)  # an unrelated save by another tool keeps the custom properties
    result = verify_file(copy)
    assert result.ok and result.frozen and result.changed == []
    assert (result.unit, result.year, result.fingerprint) == (UNIT, 2024, frozen.fingerprint)


def _broken_source(tmp_path: Path) -> Path:
    report = good_report()
    report.values["t3_new_person"] += 5  # A01 breaks in the 自然人 column (and the totals follow)
    return write_book(tmp_path / "有错.xlsx", report.with_totals())


@pytest.mark.slow
def test_refuses_a_workbook_with_check_errors(tmp_path):
    src = _broken_source(tmp_path)
    before = sha(src)
    with pytest.raises(FreezeRefused) as e:
        freeze_file(src)
    assert e.value.exit_code == 1 and any(f.code == "A01" for f in e.value.findings)
    assert not src.with_name("有错-定稿.xlsx").exists() and sha(src) == before
    run = CliRunner().invoke(app, ["freeze", str(src)])
    assert run.exit_code == 1
    assert "不能定稿" in run.output and "--force" in run.output
    assert "勾稽" in run.output or "A01" in run.output


@pytest.mark.slow
def test_force_needs_a_reason_and_records_it(tmp_path):
    src = _broken_source(tmp_path)
    with pytest.raises(XlReportError) as e:
        freeze_file(src, force=True, reason="  ")
    assert e.value.exit_code == 2 and "--reason" in str(e.value)
    reason = "上级通知先报送，数字差异待核实"
    result = freeze_file(src, force=True, reason=reason)
    assert result.forced
    wb = openpyxl.load_workbook(result.output)
    info = read_freeze_info(wb)
    assert info["reason"] == reason and info["forced_errors"] >= 1
    readme = [c.value for row in wb[form.SHEET_README].iter_rows() for c in row if isinstance(c.value, str)]
    assert any(reason in v for v in readme)  # visible, not only in the properties
    verified = verify_file(result.output)
    assert verified.ok and verified.reason == reason
    assert any(reason in m for m in verified.messages)


@pytest.mark.slow
def test_refreezing_a_frozen_file_is_refused(frozen, tmp_path):
    with pytest.raises(XlReportError, match="已经定稿"):
        freeze_file(frozen.output, output=tmp_path / "again.xlsx", force=True, reason="再来一次")


def test_backups_within_one_second_never_replace_each_other(tmp_path):
    book = tmp_path / "book.xlsx"
    book.write_bytes(b"original")
    backup_existing(book)  # writing over it: a backup first
    book.write_bytes(b"changed")
    backup_existing(book)
    backups = sorted(tmp_path.glob("book.备份-*.xlsx"))
    assert sorted(p.read_bytes() for p in backups) == [b"changed", b"original"]


def test_output_over_the_input_is_refused(source):
    before = sha(source)
    with pytest.raises(XlReportError, match="不能覆盖"):
        freeze_file(source, output=source)
    assert sha(source) == before and not list(source.parent.glob("*备份*"))


@pytest.mark.slow
def test_a_formula_python_cannot_compute_is_refused_in_a_report_cell(tmp_path):
    src = write_book(tmp_path / "公式.xlsx")
    wb = openpyxl.load_workbook(src)
    c = cell(wb, "t4_review_total")
    c.value = "=AVERAGE(A5:D5)*4"
    wb.save(src)
    wb = open_workbook(src)
    with pytest.raises(XlReportError) as e:
        freeze_book(wb, findings=[])
    assert "表四" in str(e.value) and c.coordinate in str(e.value) and "AVERAGE" in str(e.value)


@pytest.mark.slow
def test_other_formulas_take_excels_cached_value(tmp_path):
    src = write_book(tmp_path / "缓存.xlsx")
    wb = openpyxl.load_workbook(src)
    wb[REQUESTS.name]["M2"] = "=VLOOKUP(A2,A2:B2,2,FALSE)"
    wb.save(src)
    wb = open_workbook(src)
    with pytest.raises(XlReportError, match="M2"):  # no cached value: refused, nothing guessed
        freeze_book(wb, findings=[], cached=lambda sheet, coord: None)
    wb = open_workbook(src)
    freeze_book(wb, findings=[], cached=lambda sheet, coord: "2024-03-04" if coord == "M2" else None)
    assert wb[REQUESTS.name]["M2"].value == "2024-03-04" and wb[REQUESTS.name]["M2"].data_type == "s"


@pytest.mark.slow
def test_password_from_env_or_config_never_printed(source, tmp_path, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "env-pass-1")
    out = tmp_path / "env.xlsx"
    run = CliRunner().invoke(app, ["freeze", str(source), "-o", str(out)])
    assert run.exit_code == 0, run.output
    assert openpyxl.load_workbook(out)["表三"].protection.password == hash_password("env-pass-1")
    assert "env-pass-1" not in run.output
    monkeypatch.setenv("MY_FREEZE_PW", "cfg-pass-2")
    cfg = tmp_path / "xl-report.toml"
    cfg.write_text('[freeze]\npassword_env = "MY_FREEZE_PW"\n', encoding="utf-8")
    out2 = tmp_path / "cfg.xlsx"
    run = CliRunner().invoke(
        app, ["freeze", str(source), "-o", str(out2), "--config", str(cfg), "--password", "opt-pass-3"]
    )
    assert run.exit_code == 0, run.output
    assert openpyxl.load_workbook(out2).security.workbookPassword == hash_password("opt-pass-3")
    assert "opt-pass-3" not in run.output and "cfg-pass-2" not in run.output
    assert "已定稿" in run.output and "定稿指纹" in run.output
    monkeypatch.delenv(PASSWORD_ENV)
    out3 = tmp_path / "cfg-env.xlsx"
    assert CliRunner().invoke(app, ["freeze", str(source), "-o", str(out3), "--config", str(cfg)]).exit_code == 0
    assert openpyxl.load_workbook(out3)["表二"].protection.password == hash_password("cfg-pass-2")


@pytest.mark.slow
def test_without_password_sheets_are_still_protected(source, tmp_path, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    result = freeze_file(source, output=tmp_path / "nopw.xlsx")
    wb = openpyxl.load_workbook(result.output)
    assert all(ws.protection.sheet and not ws.protection.password for ws in wb.worksheets)
    assert wb.security.lockStructure


def test_freeze_book_in_memory(tmp_path):
    """The batch path: a workbook built in memory, frozen, saved by the caller."""
    wb = build_template()
    write_report(good_report(), wb, narrative=True)
    result = freeze_book(wb, findings=[])
    assert result.output is None and result.fingerprint == fingerprint_v2(workbook_bytes(wb))
    assert verify_book(wb).ok
    path = tmp_path / "批量.xlsx"
    save_workbook(wb, path)
    assert verify_file(path).ok


@needs_soffice
def test_frozen_file_opens_in_libreoffice_with_the_same_numbers(frozen, tmp_path):
    src = tmp_path / "frozen.xlsx"
    shutil.copy(frozen.output, src)
    pdf = to_pdf(src, tmp_path)
    text = "\n".join(pdf_pages(pdf))
    assert short(frozen.fingerprint) in text and "定稿" in text
    expected = good_report()
    for name in ("t2_licensing_decisions", "t3_new_total", "t3_total_total", "t3_carried_out_total", "t4_review_total"):
        assert re.search(rf"(?<!\d){expected.values[name]}(?!\d)", text), name
    assert "1.25" in text
    assert APPLICANT not in text


def test_freeze_book_runs_the_check_when_not_given_findings():
    wb, wb2 = build_template(), build_template()
    write_report(good_report(), wb, narrative=True)
    write_report(good_report(), wb2, narrative=True)
    sheet, coord = resolve_names(wb)["t4_review_upheld"]
    wb[sheet][coord] = wb[sheet][coord].value + 1
    sheet, coord = resolve_names(wb)["t4_review_total"]
    wb[sheet][coord] = good_report().values["t4_review_total"]  # total typed over: A04 no longer holds
    with pytest.raises(FreezeRefused) as e:
        freeze_book(wb)
    assert any(f.code == "A04" for f in e.value.findings)
    assert read_freeze_info(wb) is None
    result = freeze_book(wb2)
    assert result.fingerprint == fingerprint_v2(workbook_bytes(wb2)) and verify_book(wb2).ok


@pytest.mark.slow
def test_cli_freeze_signed_then_verify(source, tmp_path):
    keys = tmp_path / "keys"
    assert CliRunner().invoke(app, ["keygen", UNIT, "-d", str(keys)]).exit_code == 0
    out = tmp_path / "signed.xlsx"
    run = CliRunner().invoke(app, ["freeze", str(source), "-o", str(out), "--sign", str(keys / f"{UNIT}.key")])
    assert run.exit_code == 0, run.output
    assert "签名" in run.output and "个人信息" in run.output
    run = CliRunner().invoke(app, ["verify", str(out), "--keys", str(keys)])
    assert run.exit_code == 0 and "签名有效" in run.output
    bad = CliRunner().invoke(
        app, ["freeze", str(source), "-o", str(tmp_path / "x.xlsx"), "--sign", str(keys / f"{UNIT}.pub")]
    )
    assert bad.exit_code == 2 and "私钥" in bad.output and not (tmp_path / "x.xlsx").exists()


def test_a_formula_without_value_in_a_tally_cell_refuses_the_freeze(tmp_path):
    """A formula typed into 申请人 (no cached value: never opened in Excel) is an unusable tally cell, even
    in a column the freeze drops: a located error, exit 2, nothing written (issue 13: any tally cell);
    a header typed '申请人（选填）' is still the personal column."""
    path = write_book(tmp_path / "年报.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb[REQUESTS.name]
    col = list(REQUESTS.headers).index("申请人") + 1
    ws.cell(1, col).value = "申请人（选填）"
    ws.cell(2, col).value = '=HYPERLINK("http://x.example","张三丰")'
    wb.save(path)
    for keep in (True, False):
        with pytest.raises(TallyErrors) as info:
            freeze_file(path, output=tmp_path / "定稿.xlsx", keep_personal=keep)
        assert info.value.exit_code == 2
        (p,) = info.value.problems
        assert (p.sheet, p.row, p.column) == (REQUESTS.name, 2, "申请人") and "公式没有计算结果" in p.reason
    assert sorted(f.name for f in tmp_path.iterdir()) == ["年报.xlsx"]


@pytest.mark.slow
def test_refused_freeze_leaves_no_backup_and_a_second_freeze_keeps_one(tmp_path):
    bad = good_report()
    bad.values["t3_new_person"] += 1  # 勾稽 broken
    path = write_book(tmp_path / "年报.xlsx", bad)
    earlier = path.with_name("年报-定稿.xlsx")
    earlier.write_bytes(b"an earlier frozen copy")
    with pytest.raises(FreezeRefused):
        freeze_file(path)
    assert not list(tmp_path.glob("*备份*")) and earlier.read_bytes() == b"an earlier frozen copy"
    freeze_file(path, force=True, reason="测试")
    assert [p.read_bytes() for p in tmp_path.glob("年报-定稿.备份-*.xlsx")] == [b"an earlier frozen copy"]
