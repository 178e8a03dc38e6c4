"""Filling a workbook from its tallies: files, notes, safety, and the CLI (issue 3)."""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from datetime import date

import openpyxl
import pytest
from typer.testing import CliRunner

from xl_report.cli import app
from xl_report.core import form
from xl_report.core.errors import InputError, TallyErrors
from xl_report.stages.fill import FRESH_NOTE, fill_book, fill_workbook
from xl_report.xlsx.tally_reader import read_tally
from xl_report.xlsx.workbook import read_report_file, resolve_names

from .tally_factory import case, decision, fee, make_tally_workbook, request, tally_from_rows

D = date
T3 = form.t3
runner = CliRunner()

REQUESTS = [
    request("1", D(2022, 12, 20), "个人", D(2023, 1, 10), "予以公开"),
    request("2", D(2023, 3, 5), "企业", D(2023, 3, 25), "（三）不予公开 4.保护第三方合法权益"),
    request("3", D(2023, 12, 29), "律师事务所"),
]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_fill_template_workbook_end_to_end(tmp_path):
    src = make_tally_workbook(
        tmp_path / "镇.xlsx",
        unit="某镇人民政府",
        year=2023,
        requests=REQUESTS,
        decisions=[decision("行政处罚", D(2023, 2, 2), 4)],
        cases=[case("c", "复议", D(2023, 9, 1))],
        fees=[fee("工本费", D(2023, 6, 1), 2500)],
        drop=["documents"],
        values={"t2_rules_issued": 1, "t2_normative_in_force": 7},
    )
    before = digest(src)
    result = fill_workbook(src)
    assert result.output == tmp_path / "镇-已填报.xlsx" and result.output.exists()
    assert digest(src) == before  # the input is never modified
    assert result.tables == ("表二", "表三", "表四")
    assert result.numbers["新收"] == 2 and result.numbers["上年结转"] == 1 and result.numbers["办结"] == 2
    assert result.numbers["结转下年度"] == 1 and result.numbers["行政复议"] == 1 and result.numbers["收费金额"] == 0.25
    assert any("没有“文件台账”工作表" in n for n in result.notes)

    back = read_report_file(result.output)  # formulas evaluated from the saved file
    v = back.values
    assert (back.unit, back.year) == ("某镇人民政府", 2023)
    assert v[T3("new", "business")] == 1 and v[T3("new", "legal")] == 1 and v[T3("carried_in", "person")] == 1
    assert v[T3("open", "person")] == 1 and v[T3("deny_4", "business")] == 1 and v[T3("total", "total")] == 2
    assert v[T3("carried_out", "legal")] == 1 and v[T3("carried_out", "total")] == 1
    assert v[T3("deny_1", "person")] == 0  # zeros, not blanks
    assert v["t2_penalty_decisions"] == 4 and v["t2_licensing_decisions"] == 0 and v["t2_fees_amount"] == 0.25
    assert v["t2_rules_issued"] == 1 and v["t2_normative_in_force"] == 7  # absent sheet: hand-typed values kept
    assert v["t2_rules_repealed"] == 0  # as the template had it
    assert v[form.t4("review", "pending")] == 1 and v[form.t4("review", "total")] == 1
    assert {n: result.report.values[n] for n in form.CELL_NAMES} == v  # the result describes the file


@pytest.mark.slow
def test_year_from_option_overrides_and_is_written(tmp_path):
    src = make_tally_workbook(tmp_path / "t.xlsx", requests=REQUESTS)  # no 报告年度 in 说明
    with pytest.raises(InputError, match="不知道报告年度"):
        fill_workbook(src)
    assert not (tmp_path / "t-已填报.xlsx").exists()
    res = fill_workbook(src, tmp_path / "out.xlsx", year=2024)
    back = read_report_file(res.output)
    assert back.year == 2024 and back.values[T3("carried_in", "legal")] == 1 and back.values[T3("new", "total")] == 0


@pytest.mark.slow
def test_bare_tally_gives_a_fresh_template_with_the_tally(tmp_path):
    src = make_tally_workbook(
        tmp_path / "台账.xlsx", base_template=False, requests=REQUESTS, title="2023年台账", totals_row=True
    )
    res = fill_workbook(src, year=2023)
    assert res.notes[0] == FRESH_NOTE
    assert res.tables == ("表三",)
    wb = openpyxl.load_workbook(res.output)
    assert set(form.CELL_NAMES) <= set(resolve_names(wb))
    again = read_tally(res.output)  # the copied tally reads back to the same normalised rows
    cols = ["编号", "收到日期", "申请人类型", "办结日期", "办理结果"]
    assert again.requests[cols].values.tolist() == read_tally(src).requests[cols].values.tolist()
    assert again.year == 2023
    assert read_report_file(res.output).values[T3("new", "total")] == 2


def test_row_errors_write_nothing(tmp_path):
    src = make_tally_workbook(
        tmp_path / "t.xlsx",
        year=2023,
        requests=[request("1", "2023-02-30", "自然人"), request("1", D(2023, 1, 1), "火星人")],
    )
    with pytest.raises(TallyErrors) as info:
        fill_workbook(src)
    assert len(info.value.problems) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]  # no output, no temp file


@pytest.mark.slow
def test_formula_injection_stays_text(tmp_path):
    evil = '=HYPERLINK("http://example.invalid/x","点我")'
    rows = [request("=1+1", D(2023, 1, 1), "自然人", 申请内容=evil, 申请人="@SUM(1)")]
    for base in (True, False):  # copy of the input workbook, and the fresh template
        src = make_tally_workbook(tmp_path / f"t{base}.xlsx", base_template=base, requests=rows, year=2023)
        out = fill_workbook(src, year=2023).output
        ws = openpyxl.load_workbook(out)["依申请公开台账"]
        cells = {c.value: c.data_type for row in ws.iter_rows(min_row=2, max_row=2) for c in row if c.value}
        assert cells[evil] == "s" and cells["=1+1"] == "s"
        with zipfile.ZipFile(out) as z:
            sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
            xml = "".join(z.read(n).decode() for n in sheets)
        assert "HYPERLINK" not in "".join(re.findall(r"<f>(.*?)</f>", xml))


@pytest.mark.slow
def test_output_over_input_keeps_a_backup(tmp_path):
    src = make_tally_workbook(tmp_path / "t.xlsx", requests=REQUESTS, year=2023)
    original = src.read_bytes()
    fill_workbook(src, src)
    backups = [p for p in tmp_path.iterdir() if "备份" in p.name]
    assert len(backups) == 1 and backups[0].read_bytes() == original
    assert read_report_file(src).values[T3("new", "total")] == 2


def test_fill_book_in_memory_keeps_hand_typed_text(tmp_path):
    src = make_tally_workbook(tmp_path / "t.xlsx", values={"t2_fees_amount": "/"}, drop=["fees"])
    wb = openpyxl.load_workbook(src)
    res = fill_book(wb, tally_from_rows(requests=REQUESTS, cases=[]), 2023)
    assert res.output is None and res.tables == ("表三", "表四")
    assert res.report.values["t2_fees_amount"] == "/"  # untouched: 表二 not written at all
    assert res.report.values[T3("total", "total")] == 2


def test_fill_book_without_the_readme_sheet_writes_the_tables(tmp_path):
    """A clerk deleted 说明 (its names remain): the tables are still filled, the year just has no cell."""
    wb = openpyxl.load_workbook(make_tally_workbook(tmp_path / "t.xlsx"))
    wb.remove(wb[form.SHEET_README])
    res = fill_book(wb, tally_from_rows(requests=REQUESTS), 2023)
    assert res.tables == ("表三",) and res.report.values[T3("total", "total")] == 2


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def test_cli_fill_ok(tmp_path):
    src = make_tally_workbook(tmp_path / "t.xlsx", requests=REQUESTS, year=2023, drop=["cases"])
    r = runner.invoke(app, ["fill", str(src), "-o", str(tmp_path / "o.xlsx")])
    assert r.exit_code == 0, r.output
    assert "本年新收申请 2 件，上年结转 1 件，本年办结 2 件" in r.output and "结转下年度 1 件" in r.output
    assert "没有“复议诉讼台账”工作表" in r.output
    assert (tmp_path / "o.xlsx").exists()


def test_cli_fill_errors_exit_2_without_traceback(tmp_path):
    src = make_tally_workbook(
        tmp_path / "t.xlsx",
        year=2023,
        requests=[request("1", "明天", "自然人"), request("2", D(2023, 1, 1), "其他", None, "予以公开")],
    )
    r = runner.invoke(app, ["fill", str(src)])
    assert r.exit_code == 2
    assert "有 2 处错误" in r.output and "第2行" in r.output and "第3行" in r.output
    assert "Traceback" not in r.output and not (tmp_path / "t-已填报.xlsx").exists()
    for args in (["fill", str(tmp_path / "none.xlsx")], ["fill", str(src), "-o", str(tmp_path / "o.txt")]):
        r = runner.invoke(app, args)
        assert r.exit_code == 2 and "Traceback" not in r.output


@pytest.mark.slow
def test_cli_fill_year_option(tmp_path):
    src = make_tally_workbook(tmp_path / "t.xlsx", requests=REQUESTS)
    r = runner.invoke(app, ["fill", str(src)])
    assert r.exit_code == 2 and "--year" in r.output
    r = runner.invoke(app, ["fill", str(src), "--year", "2023"])
    assert r.exit_code == 0 and "已填报 2023 年度" in r.output


@pytest.mark.slow
def test_cli_fill_unwritable_output_exit_2_without_traceback(tmp_path):
    src = make_tally_workbook(tmp_path / "t.xlsx", requests=REQUESTS, year=2023)
    # output "inside" a file: the folder cannot be made (as a read-only folder, it is the user's problem)
    r = runner.invoke(app, ["fill", str(src), "-o", str(src / "o.xlsx")])
    assert r.exit_code == 2 and isinstance(r.exception, SystemExit), r.output
    assert "无法写到" in r.output and "o.xlsx" in r.output
    if os.geteuid() == 0:
        return  # root writes into read-only folders
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        r = runner.invoke(app, ["fill", str(src), "-o", str(ro / "o.xlsx")])
        assert r.exit_code == 2 and isinstance(r.exception, SystemExit) and "没有写入权限" in r.output, r.output
    finally:
        ro.chmod(0o755)


@pytest.mark.slow
def test_frozen_workbook_is_not_filled_again(tmp_path):
    from xl_report.stages.freeze import freeze_file

    src = make_tally_workbook(tmp_path / "t.xlsx", requests=REQUESTS, year=2023, unit="某某镇人民政府")
    filled = fill_workbook(src).output
    frozen = freeze_file(filled, force=True, reason="测试").output
    r = runner.invoke(app, ["fill", str(frozen), "-o", str(tmp_path / "again.xlsx")])
    assert r.exit_code == 2 and "已经定稿" in r.output, r.output
    assert not (tmp_path / "again.xlsx").exists()


@pytest.mark.slow
def test_fill_again_keeps_the_edited_output(tmp_path):
    """正文 typed into the 已填报 workbook survives a second fill (after a tally fix) as a backup."""
    src = make_tally_workbook(tmp_path / "t.xlsx", requests=REQUESTS, year=2023)
    first = fill_workbook(src).output
    edited = first.read_bytes() + b""  # any earlier output counts as the user's
    fill_workbook(src)
    backups = list(tmp_path.glob("t-已填报.备份-*.xlsx"))
    assert len(backups) == 1 and backups[0].read_bytes() == edited
