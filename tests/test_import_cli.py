"""xl-report import: a real template workbook comes out, blanks stay blank, unreadable input exits 2."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from xl_report.cli import app
from xl_report.core import form
from xl_report.xlsx.workbook import open_workbook, read_report_file, resolve_names

from .data.reports import SAMPLE

runner = CliRunner()


def test_import_sample_to_workbook(tmp_path):
    out = tmp_path / "林西.xlsx"
    res = runner.invoke(app, ["import", str(SAMPLE), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "200/200" in res.output and "林西县林西镇党群服务中心" in res.output
    data = read_report_file(out)
    assert (data.unit, data.year, data.contact) == ("林西县林西镇党群服务中心", 2023, "0476-5326621")
    assert data.values["t2_penalty_decisions"] == 5
    assert all(data.values[n] == 0 for n in form.CELL_NAMES if n != "t2_penalty_decisions")
    assert data.narrative["other"] == ["本年度本机关未收取费用"]
    assert data.narrative["overview"][0] == "(一)主动公开情况"
    wb = open_workbook(out)
    names = resolve_names(wb)
    sheet, coord = names["t3_total_total"]
    assert wb[sheet][coord].value == 0  # the printed total itself, not a formula that would hide an error
    assert sorted(set(form.TABLES) & set(wb.sheetnames)) == sorted(form.TABLES)


@pytest.mark.slow
def test_blank_cells_stay_blank_and_problems_printed(tmp_path):
    text = SAMPLE.read_text(encoding="utf-8").replace("行政处罚 |\n5 |", "行政处罚 |\n/ |")
    src = tmp_path / "r.txt"
    src.write_text(text, encoding="utf-8")
    out = tmp_path / "r.xlsx"
    res = runner.invoke(app, ["import", str(src), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "F05" in res.output and "行政处罚" in res.output
    assert read_report_file(out).values["t2_penalty_decisions"] is None


def test_existing_output_is_backed_up(tmp_path):
    out = tmp_path / "r.xlsx"
    out.write_bytes(b"old workbook")
    res = runner.invoke(app, ["import", str(SAMPLE), "-o", str(out)])
    assert res.exit_code == 0, res.output
    backups = [p for p in tmp_path.iterdir() if "备份" in p.name]
    assert len(backups) == 1 and backups[0].read_bytes() == b"old workbook"


def test_default_output_next_to_report(tmp_path):
    src = tmp_path / "年报.txt"
    src.write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    assert runner.invoke(app, ["import", str(src)]).exit_code == 0
    assert (tmp_path / "年报.xlsx").is_file()


def test_unreadable_exits_2_without_output(tmp_path):
    src = tmp_path / "notice.txt"
    src.write_text("关于召开会议的通知\n", encoding="utf-8")
    out = tmp_path / "x.xlsx"
    res = runner.invoke(app, ["import", str(src), "-o", str(out)])
    assert res.exit_code == 2
    assert "表三" in res.output and "Traceback" not in res.output
    assert not out.exists() and list(tmp_path.iterdir()) == [src]


def test_wrong_suffix_and_missing_file(tmp_path):
    assert runner.invoke(app, ["import", str(SAMPLE), "-o", str(tmp_path / "x.csv")]).exit_code == 2
    assert runner.invoke(app, ["import", str(tmp_path / "none.txt")]).exit_code == 2


@pytest.mark.slow
def test_wrong_printed_total_survives_import_and_is_caught(tmp_path):
    """A published 总计 that disagrees with its parts is imported as printed, so check reports it."""
    src = tmp_path / "r.txt"
    # 表三 row 一: 自然人 becomes 1 while the printed 总计 stays 0
    lines = SAMPLE.read_text(encoding="utf-8").split("\n")
    i = next(k for k, line in enumerate(lines) if line.startswith("一、本年新收政府信息公开申请数量"))
    lines[i + 1] = "1 |"
    src.write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "r.xlsx"
    assert runner.invoke(app, ["import", str(src), "-o", str(out)]).exit_code == 0
    data = read_report_file(out)
    assert data.values["t3_new_person"] == 1 and data.values["t3_new_total"] == 0
    res = runner.invoke(app, ["check", str(out), "--json"])
    assert res.exit_code == 1
    assert "t3_new_total" in res.output and "A02" in res.output
