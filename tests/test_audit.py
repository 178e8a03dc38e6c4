"""xl-report audit: import + every check that applies to a published report."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from xl_report.cli import app
from xl_report.core import form
from xl_report.published.audit import audit, due_date

from .data.reports import SAMPLE, dump, random_report, web_page

runner = CliRunner()


def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


def write(tmp_path, text: str, name: str = "r.txt"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def codes(result) -> list[str]:
    return sorted(f.code for f in result.findings)


def test_sample_audits_without_errors():
    (r,) = audit([SAMPLE])
    assert r.error is None and r.counts[0] == 0
    assert codes(r) == ["D02"]  # the dump carries no date
    assert (r.unit, r.year) == ("林西县林西镇党群服务中心", 2023)
    assert "林西县林西镇党群服务中心 2023年" in r.verdict_line() and "错误 0 个" in r.verdict_line()


def test_cli_sample_exit_0_and_json_shape():
    res = runner.invoke(app, ["audit", str(SAMPLE), "--json"])
    assert res.exit_code == 0, res.output
    (obj,) = json.loads(res.output)
    assert obj["report"] == str(SAMPLE) and obj["unit"] == "林西县林西镇党群服务中心" and obj["year"] == 2023
    (f,) = obj["findings"]
    assert set(f) == {"code", "severity", "message", "sheet", "cell", "name", "names", "row"}


def test_arithmetic_error_exit_1(tmp_path):
    # 自然人 new = 3 but nothing concluded or carried over: A01 and A02 break
    lines = sample_text().split("\n")
    i = lines.index("一、本年新收政府信息公开申请数量 |")
    lines[i + 1] = "3 |"
    p = write(tmp_path, "\n".join(lines))
    (r,) = audit([p])
    assert {"A01", "A02"} <= set(codes(r))
    res = runner.invoke(app, ["audit", str(p)])
    assert res.exit_code == 1
    assert "A01" in res.output and "错误" in res.output


def test_text_contradicts_table(tmp_path):
    # the overview says no request was received, the table says 2
    lines = sample_text().split("\n")
    for label in ("一、本年新收政府信息公开申请数量 |", "(一)予以公开 |"):
        i = lines.index(label)
        lines[i + 1] = "2 |"
        lines[i + 7] = "2 | ||" if lines[i + 7].endswith("||") else "2 |"
    (r,) = audit([write(tmp_path, "\n".join(lines))])
    assert "T02" in codes(r) or "T01" in codes(r)


def test_blank_and_annotation_reported_once(tmp_path):
    text = sample_text().replace("行政处罚 |\n5 |", "行政处罚 |\n22（其中修订16件） |")
    text = text.replace("行政许可 |\n0 |", "行政许可 |\n/ |")
    (r,) = audit([write(tmp_path, text)])
    assert [f.name for f in r.findings if f.code == "F06"] == ["t2_penalty_decisions"]
    assert [f.name for f in r.findings if f.code == "F05"] == ["t2_licensing_decisions"]


def test_missing_row_is_one_precise_finding(tmp_path):
    lines = sample_text().split("\n")
    i = lines.index("2.重复申请 |")
    (r,) = audit([write(tmp_path, "\n".join(lines[:i] + lines[i + 8 :]))])
    f03 = [f for f in r.findings if f.code == "F03"]
    assert len(f03) == 1 and "2.重复申请" in f03[0].message


def test_2019_format_flagged(tmp_path):
    text = sample_text().replace("本年制发件数 |", "本年新制作数量 |").replace("本年废止件数 |", "本年新公开数量 |")
    (r,) = audit([write(tmp_path, text)])
    assert r.format_2019 and "F02" in codes(r) and r.counts[0] >= 1


def test_sections_missing_or_renamed(tmp_path):
    text = sample_text().replace("五、存在的主要问题及改进情况", "五、存在的主要问题及改进措施")
    text = text.replace("六、其他需要报告的事项\n", "")
    (r,) = audit([write(tmp_path, text)])
    f01 = {f.severity: f.message for f in r.findings if f.code == "F01"}
    assert "六、其他需要报告的事项" in f01["error"]
    assert "改进措施" in f01["warning"]


# --------------------------------------------------------------------------------------------
# Publication deadline
# --------------------------------------------------------------------------------------------


def _dated(tmp_path, unit: str, when: str):
    text = sample_text().replace("林西县林西镇党群服务中心2023年", f"{unit}2023年")
    return write(tmp_path, text + f"\n{unit}\n{when}\n")


@pytest.mark.parametrize(
    "unit, when, late",
    [
        ("林西县林西镇党群服务中心", "2024年1月31日", False),  # a department-like unit: 1月31日
        ("林西县林西镇党群服务中心", "2024年2月1日", True),
        ("林西县林西镇人民政府", "2024年2月5日", True),  # 乡镇 by the local rule: 1月31日
        ("林西县人民政府", "2024年3月31日", False),  # 县级以上 government's own report: 3月31日
        ("林西县人民政府", "2024年4月1日", True),
    ],
)
def test_deadline_by_unit_type(tmp_path, unit, when, late):
    (r,) = audit([_dated(tmp_path, unit, when)])
    assert ("D01" in codes(r)) is late
    assert "D02" not in codes(r)


def test_deadline_configurable(tmp_path):
    p = _dated(tmp_path, "林西县林西镇党群服务中心", "2024年2月20日")
    (r,) = audit([p], config={"deadlines": {"other": "02-28"}})
    assert "D01" not in codes(r)
    cfg = tmp_path / "xl-report.toml"
    cfg.write_text('[deadlines]\nother = "02-10"\n', encoding="utf-8")
    res = runner.invoke(app, ["audit", str(p), "--config", str(cfg)])
    assert res.exit_code == 1 and "D01" in res.output


def test_due_date_formats():
    assert due_date(2023, "01-31") == due_date(2023, "1月31日") == date(2024, 1, 31)


@pytest.mark.parametrize("text", ["02-30", "13-01", "1月", "a-b"])
def test_impossible_deadline_is_a_config_error(tmp_path, text):
    p = _dated(tmp_path, "林西县林西镇党群服务中心", "2024年2月20日")
    cfg = tmp_path / "xl-report.toml"
    cfg.write_text(f'[deadlines]\nother = "{text}"\n', encoding="utf-8")
    res = runner.invoke(app, ["audit", str(p), "--config", str(cfg)])
    assert res.exit_code == 2 and "[deadlines]" in res.output and "Traceback" not in res.output


# --------------------------------------------------------------------------------------------
# Several reports, last year's report, unreadable input
# --------------------------------------------------------------------------------------------


def test_previous_year_carry_over(tmp_path):
    last = random_report(1, year=2023)
    this = random_report(2, year=2024)
    prev = write(tmp_path, dump(last), "2023.txt")
    cur = write(tmp_path, web_page(this, date(2025, 1, 10)), "2024.html")
    (r,) = audit([cur], previous=prev)
    assert "X01" in codes(r)  # this year's 上年结转 differs from last year's 结转下年度
    for col, _, _ in form.T3_COLUMNS:
        this.values[form.t3("carried_in", col)] = last.values[form.t3("carried_out", col)]
    cur2 = write(tmp_path, web_page(this, date(2025, 1, 10)), "2024b.html")
    (r2,) = audit([cur2], previous=prev)
    assert "X01" not in codes(r2)


def test_previous_of_another_unit_is_not_compared(tmp_path):
    prev = write(tmp_path, dump(random_report(1, unit="某某县另一镇人民政府", year=2023)), "other.txt")
    (r,) = audit([SAMPLE], previous=prev)
    assert "X01" not in codes(r)


def test_many_reports_one_unreadable_exit_2(tmp_path):
    bad = write(tmp_path, "这不是年报\n", "bad.txt")
    good = write(tmp_path, web_page(random_report(4), date(2025, 1, 20)), "good.html")
    res = runner.invoke(app, ["audit", str(SAMPLE), str(bad), str(good), "--json"])
    assert res.exit_code == 2
    objs = json.loads(res.stdout)
    assert [o["report"] for o in objs] == [str(SAMPLE), str(bad), str(good)]
    assert "error" in objs[1] and objs[1]["findings"] == [] and "表三" in objs[1]["error"]
    res = runner.invoke(app, ["audit", str(SAMPLE), str(good)])
    assert res.exit_code == 0, res.output
    assert res.output.count("年报 —") == 2 and "共审核 2 份年报" in res.output
