"""xl-report check on real files: exit codes, JSON, human output, --previous, --write, tally, config."""

from __future__ import annotations

import json
from datetime import date

import openpyxl
import pytest
from typer.testing import CliRunner

from xl_report.cli import app
from xl_report.core import form
from xl_report.core.calendar import PACKAGE_YEARS
from xl_report.xlsx.workbook import resolve_names

from .rules_data import clean_report, previous_report, write_workbook

runner = CliRunner()


def run(*args):
    return runner.invoke(app, ["check", *map(str, args)])


def findings(result) -> list[dict]:
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def clean_file(tmp_path_factory):
    return write_workbook(tmp_path_factory.mktemp("check") / "年报.xlsx", clean_report())


def edited(src, dst, changes: dict):
    wb = openpyxl.load_workbook(src)
    names = resolve_names(wb)
    for name, value in changes.items():
        sheet, a1 = names[name]
        wb[sheet][a1.split(":")[0]].value = value
    wb.save(dst)
    return dst


@pytest.mark.slow
def test_clean_workbook_exits_0(clean_file):
    result = run(clean_file, "--json")
    assert result.exit_code == 0, result.output
    assert findings(result) == []
    human = run(clean_file)
    assert human.exit_code == 0 and "校验通过" in human.stdout


@pytest.mark.parametrize(
    "name, value",
    [
        ("t3_open_person", 7),  # an input part of a 总计 formula
        ("t3_carried_out_person", 0),
        ("t3_total_total", 99),  # a formula overwritten by a number
        ("t4_review_total", 5),
        ("t3_deny_4_business", None),  # blank
        ("t4_suit_direct_corrected", "一件"),
    ],
)
@pytest.mark.slow
def test_single_cell_corruption_exits_1_and_names_the_cell(clean_file, tmp_path, name, value):
    bad = edited(clean_file, tmp_path / "bad.xlsx", {name: value})
    result = run(bad, "--json")
    assert result.exit_code == 1, result.output
    errors = [f for f in findings(result) if f["severity"] == "error"]
    assert any(name == f["name"] or name in f["names"] for f in errors)
    one = errors[0]
    assert set(one) >= {"code", "severity", "message", "sheet", "cell", "name", "names", "row"}
    assert one["sheet"] in form.TABLES and one["cell"]


@pytest.mark.slow
def test_human_output_groups_by_severity(clean_file, tmp_path):
    bad = edited(clean_file, tmp_path / "bad.xlsx", {"t3_carried_out_person": 1, "t2_rules_issued": 1})
    result = run(bad)
    assert result.exit_code == 1
    out = result.stdout
    assert "错误（" in out and "提示（" in out and out.index("错误（") < out.index("提示（")
    assert "A01" in out and "F11" in out and "新收 10 + 上年结转 2" in out


@pytest.mark.slow
def test_previous_year(clean_file, tmp_path):
    prev = previous_report()
    good = write_workbook(tmp_path / "2023.xlsx", prev)
    assert run(clean_file, "--previous", good, "--json").exit_code == 0
    prev.values["t3_carried_out_person"] = 5
    prev.with_totals()
    bad = write_workbook(tmp_path / "2023-bad.xlsx", prev)
    result = run(clean_file, "--previous", bad, "--json")
    assert result.exit_code == 1
    x01 = {f["name"]: f for f in findings(result) if f["code"] == "X01"}
    assert set(x01) == {"t3_carried_in_person", "t3_carried_in_total"}
    assert "上年结转 2 ≠ 上一年度（2023年）报告的结转下年度 5" in x01["t3_carried_in_person"]["message"]


@pytest.mark.slow
def test_write_keeps_a_backup_and_adds_the_sheet(clean_file, tmp_path):
    book = edited(clean_file, tmp_path / "book.xlsx", {"t4_review_total": 5})
    result = run(book, "--write")
    assert result.exit_code == 1
    backups = list(tmp_path.glob("book.备份-*.xlsx"))
    assert len(backups) == 1
    assert form.SHEET_FINDINGS not in openpyxl.load_workbook(backups[0]).sheetnames
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames[0] == form.SHEET_FINDINGS
    assert any(c.value == "A04" for c in wb[form.SHEET_FINDINGS]["C"])
    # the report itself is intact and still checks the same
    again = run(book, "--json")
    assert [f["code"] for f in findings(again)] == ["A04", "T01"]  # T01: the text says 行政复议2件


@pytest.mark.parametrize("content", [b"not a zip", None])
def test_unusable_input_exits_2(tmp_path, content):
    path = tmp_path / "x.xlsx"
    if content is None:
        openpyxl.Workbook().save(path)  # a real workbook, but not the report template
    else:
        path.write_bytes(content)
    result = run(path)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_missing_previous_exits_2(clean_file, tmp_path):
    assert run(clean_file, "--previous", tmp_path / "nope.xlsx").exit_code == 2


REQ = {"申请人类型": "自然人", "办理结果": "予以公开"}


@pytest.mark.slow
def test_tally_deadlines_from_the_file(tmp_path):
    rows = [
        {"编号": "2024-1", "收到日期": date(2024, 9, 27), "办结日期": date(2024, 11, 5), **REQ},  # late
        {"编号": "2024-2", "收到日期": date(2024, 3, 1), "办结日期": date(2024, 3, 5), **REQ},
    ]
    book = write_workbook(tmp_path / "t.xlsx", clean_report(), requests=rows)
    result = run(book, "--json")
    assert result.exit_code == 0, result.output  # overdue is a warning
    (r01,) = [f for f in findings(result) if f["code"] != "T01"]  # the text's numbers are of another 表三
    assert r01["code"] == "R01" and r01["row"] == 2 and r01["sheet"] == "依申请公开台账"


def test_bad_tally_rows_become_error_findings(tmp_path):
    rows = [{"编号": "1", "收到日期": "昨天", **REQ}, {"编号": "1", "收到日期": date(2024, 3, 1), **REQ}]
    book = write_workbook(tmp_path / "t.xlsx", clean_report(), requests=rows)
    result = run(book, "--json")
    assert result.exit_code == 1, result.output
    codes = {f["code"] for f in findings(result)}
    assert codes <= {"R04", "R06"} and "R06" in codes
    assert all(f["row"] for f in findings(result))


@pytest.mark.slow
def test_unknown_calendar_year_and_config_override(tmp_path):
    y = PACKAGE_YEARS[-1] + 1
    report = clean_report(year=y, published=None)
    report.narrative = {}
    rows = [{"编号": "1", "收到日期": date(y, 3, 1), "办结日期": date(y, 6, 1), **REQ}]
    book = write_workbook(tmp_path / "t.xlsx", report, requests=rows)
    result = run(book, "--json")
    assert result.exit_code == 0
    assert [f["code"] for f in findings(result)] == ["R05"]
    cfg = tmp_path / "xl-report.toml"
    cfg.write_text(f'[calendar]\nextra_holidays = ["{y}-01-01"]\n', encoding="utf-8")
    result = run(book, "--json", "--config", cfg)
    assert [f["code"] for f in findings(result)] == ["R01"]


@pytest.mark.slow
def test_write_refuses_a_frozen_workbook(clean_file, tmp_path):
    from xl_report.stages.freeze import freeze_file, verify_file

    frozen = freeze_file(clean_file, output=tmp_path / "定稿.xlsx").output
    before = frozen.read_bytes()
    res = runner.invoke(app, ["check", str(frozen), "--write"])
    assert res.exit_code == 2 and "定稿文件" in res.output and "Traceback" not in res.output, res.output
    assert frozen.read_bytes() == before and not list(tmp_path.glob("*备份*"))
    assert verify_file(frozen).ok
