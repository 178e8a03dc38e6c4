"""Found in an acceptance pass (issues 13, 15, 18 tried from outside, as a clerk and a county would)."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from xl_report.batch.model import STATUS_FAILED
from xl_report.batch.run import run_batch
from xl_report.cli import app
from xl_report.cli.demo import synthetic_unit, write_unit
from xl_report.core import form
from xl_report.document import render
from xl_report.published.importer import import_report
from xl_report.stages.check import check_workbook
from xl_report.stages.fill import fill_workbook
from xl_report.xlsx.fillstate import book_properties, fill_state
from xl_report.xlsx.workbook import read_report_file, resolve_names

from .data.reports import demo_report
from .real_reports import REAL
from .tally_factory import make_tally_workbook, request

runner = CliRunner()
UNIT = "某某县某某镇人民政府"
META = {"meta_level": "乡镇人民政府", "meta_contact": "0476-5326621"}


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def hand_typed_book(path: Path) -> Path:
    """A clerk who keeps no 复议诉讼台账 (the template's sheet stays empty) and types 表四 by hand."""
    typed = {form.t4("review", "upheld"): 2, form.t4("review", "other"): 1, **META}
    return make_tally_workbook(
        path,
        unit=UNIT,
        year=2024,
        values=typed,
        requests=[request(1, date(2024, 3, 1), "自然人", date(2024, 3, 5), "予以公开")],
    )


def test_fill_keeps_a_hand_typed_table_whose_tally_sheet_is_empty(tmp_path):
    """填报 used to overwrite 行政复议 2+1 typed by hand with 0 (the empty tally sheet counted as "no
    cases"), and check then passed the zeros: a wrong number with a green light."""
    res = fill_workbook(hand_typed_book(tmp_path / "台账.xlsx"))
    report = read_report_file(res.output)
    assert report.values[form.t4("review", "upheld")] == 2 and report.values[form.t4("review", "other")] == 1
    assert any("复议诉讼台账" in n and "手工" in n for n in res.notes)
    assert report.values[form.t3("new", "person")] == 1  # the tallies that have rows are still counted
    assert not [f for f in check_workbook(res.output) if f.is_error]


@pytest.mark.slow
def test_batch_keeps_a_hand_typed_table_whose_tally_sheet_is_empty(tmp_path):
    indir = tmp_path / "in"
    indir.mkdir()
    hand_typed_book(indir / "镇.xlsx")
    batch = run_batch(indir, tmp_path / "out", freeze=True, progress=False, jobs=1)
    (unit,) = batch.units
    assert unit.fingerprint and unit.file
    frozen = read_report_file(tmp_path / "out" / unit.file)
    assert frozen.values[form.t4("review", "upheld")] == 2 and frozen.values[form.t4("review", "other")] == 1


DATA = Path(__file__).parent / "data"


def test_a_text_whose_rows_cannot_be_rebuilt_is_refused_without_denying_its_headings(tmp_path):
    """`pdftotext` without -layout (as a copy from a PDF viewer) of the demo's rendered 城关镇 report:
    labels and numbers come in separate runs, no row can be rebuilt. The headings are all there:
    "找不到表二" was a false statement to the clerk; say what is wrong with the text and what to do."""
    text = tmp_path / "复制的年报.txt"
    text.write_bytes((DATA / "chengguan-2024-pdftotext-raw.txt").read_bytes())
    res = cli("import", text, "-o", tmp_path / "x.xlsx")
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "找不到" not in res.output and "复制的年报.txt" in res.output
    assert "行名和数字" in res.output and "pdftotext -layout" in res.output
    assert not (tmp_path / "x.xlsx").exists()


@pytest.mark.parametrize("typed", ["2024-2025", "二〇二四年", datetime(2024, 1, 1)])
def test_a_report_year_that_is_not_a_year_is_named_not_called_missing(tmp_path, typed):
    """ "不知道报告年度：请填写报告年度" to a clerk who has typed one (a date formatted 2024年 shows
    "2024年" on screen): name the value and say what a year looks like."""
    src = make_tally_workbook(
        tmp_path / "台账.xlsx",
        unit=UNIT,
        year=2024,
        values=META,
        requests=[request(1, date(2024, 3, 1), "自然人", date(2024, 3, 5), "予以公开")],
    )
    wb = openpyxl.load_workbook(src)
    sheet, a1 = resolve_names(wb)["meta_year"]
    wb[sheet][a1] = typed
    wb.save(src)
    shown = typed.date().isoformat() if isinstance(typed, datetime) else typed
    res = cli("fill", src)
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "不知道报告年度" not in res.output and shown in res.output and "四位数" in res.output
    assert not (tmp_path / "台账-已填报.xlsx").exists()


def test_a_workbook_in_another_format_or_a_subfolder_is_listed_as_skipped(tmp_path):
    """A unit that sent its tally as WPS .et, or a township folder of workbooks: the county saw nothing of
    them in 汇总 (without --units not even 未提交) — silently left out. (.ods and .csv are read as ledgers.)"""
    indir = tmp_path / "in"
    (indir / "乡镇").mkdir(parents=True)
    write_unit(indir / "甲.xlsx", synthetic_unit("某某县甲镇人民政府", "乡镇人民政府", 2024, seed=1), 2024)
    for name in ("公安局.ods", "财政局.et", "教育局.csv"):
        (indir / name).write_bytes(b"not read")
    shutil.copy(indir / "甲.xlsx", indir / "乡镇" / "乙.xlsx")
    (indir / "说明.txt").write_text("各单位台账", "utf-8")  # not a spreadsheet: not worth a line
    batch = run_batch(indir, tmp_path / "out", progress=False, jobs=1)
    # .ods and .csv are ledgers the batch reads (as adopt does): these broken ones fail, each with its reason
    assert sorted(u.source for u in batch.units) == sorted(["甲.xlsx", "公安局.ods", "教育局.csv"])
    failed = {u.source: u.reason for u in batch.units if u.status == "失败"}
    assert set(failed) == {"公安局.ods", "教育局.csv"} and all(failed.values())
    assert "不是有效的 .ods 文件" in failed["公安局.ods"] and "表头" in failed["教育局.csv"]
    ignored = dict(batch.ignored)
    assert set(ignored) == {"财政局.et", "乡镇"}
    assert "另存为 .xlsx" in ignored["财政局.et"]
    assert "子文件夹" in ignored["乡镇"]
    wb = openpyxl.load_workbook(tmp_path / "out" / "汇总.xlsx")
    listed = {r[12]: r[13] for r in wb["汇总"].iter_rows(values_only=True) if r[2] == "跳过"}
    assert listed == ignored


def test_a_number_stored_as_text_is_named_so_and_not_called_a_tally_difference(tmp_path):
    """WPS and pasted cells store "4" as text: Excel's SUM skips it, so it is an error — but the clerk
    typed 4, so "填的是文字“4”，请只填数字" and "表中 “4”，台账 4" were baffling. Say it is a number stored
    as text and how to convert it; a text number that differs from the tally is still R07."""
    res = fill_workbook(hand_typed_book(tmp_path / "台账.xlsx"))
    same, other = form.t3("new", "person"), form.t3("open", "person")
    wb = openpyxl.load_workbook(res.output)
    names = resolve_names(wb)
    assert wb[names[same][0]][names[same][1]].value == 1
    wb[names[same][0]][names[same][1]] = "1"
    wb[names[other][0]][names[other][1]] = " 5 "
    wb.save(res.output)
    found = check_workbook(res.output)
    on_same = [f for f in found if f.name == same]
    assert [f.code for f in on_same] == ["F06"]
    assert "以文本形式存储的数字" in on_same[0].message and "转换为数字" in on_same[0].message
    assert "R07" in [f.code for f in found if f.name == other]


def test_the_fill_time_is_shown_as_a_clerk_reads_a_time(tmp_path):
    """R09 said "填报时间 2026-12-06T09:55:28+00:00": an ISO stamp in UTC, eight hours off for the clerk."""
    res = fill_workbook(hand_typed_book(tmp_path / "台账.xlsx"))
    wb = openpyxl.load_workbook(res.output)
    ws = wb["依申请公开台账"]
    ws.append(["N9", date(2024, 6, 1), "自然人", None, None, None, None, None, None, date(2024, 6, 5), "予以公开"])
    wb.save(res.output)
    (r09,) = [f for f in check_workbook(res.output) if f.code == "R09"]
    stamp = fill_state(book_properties(openpyxl.load_workbook(res.output)))
    assert stamp is not None and stamp.filled_at
    local = datetime.fromisoformat(stamp.filled_at).astimezone().strftime("%Y-%m-%d %H:%M")
    assert f"填报时间 {local}" in r09.message and "+00:00" not in r09.message and "T" not in r09.message


@pytest.mark.parametrize("suffix", [".md", ".html"])
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_report_saved_as_unicode_by_notepad_is_read(tmp_path, suffix, encoding):
    """Windows Notepad's "Unicode" is UTF-16 with a byte-order mark: it was decoded as GB18030 into
    noise and refused ("找不到表二…")."""
    report = demo_report("城关镇")
    rendered = tmp_path / f"年报{suffix}"
    render(report, rendered)
    saved = tmp_path / f"另存{suffix}"
    text = rendered.read_text("utf-8")
    saved.write_bytes(("\ufeff" + text).encode(encoding) if encoding.endswith("be") else text.encode(encoding))
    res = import_report(saved)
    assert {n: res.report.values.get(n) for n in form.CELL_NAMES} == {n: report.values[n] for n in form.CELL_NAMES}
    assert (res.report.unit, res.report.year) == (report.unit, report.year)


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf \r\n\r\n"])
def test_an_empty_file_is_called_empty(tmp_path, content):
    """A page saved before it loaded, or a 0-byte download: "找不到表二…请确认这是一份年度报告" blamed the
    content of a file that has none."""
    path = tmp_path / "年报.txt"
    path.write_bytes(content)
    res = cli("import", path, "-o", tmp_path / "x.xlsx")
    assert res.exit_code == 2 and "文件是空的" in res.output and "找不到" not in res.output
    assert not (tmp_path / "x.xlsx").exists()


def test_fill_drops_the_findings_of_the_workbook_it_replaces(tmp_path):
    """check --write, then 填报 again: the 校验结果 sheet (first sheet, "错误 2 个：表中 4，台账 14") and the red
    cells stayed, and went into the frozen report upward although the refilled workbook checks clean."""
    res = fill_workbook(hand_typed_book(tmp_path / "台账.xlsx"))
    wb = openpyxl.load_workbook(res.output)
    wb["依申请公开台账"].append(
        ["N9", date(2024, 6, 1), "自然人", None, None, None, None, None, None, date(2024, 6, 5), "予以公开"]
    )
    wb.save(res.output)
    assert cli("check", res.output, "--write").exit_code == 1
    name = form.t3("new", "person")
    sheet, a1 = resolve_names(openpyxl.load_workbook(res.output))[name]
    template_fill = openpyxl.load_workbook(hand_typed_book(tmp_path / "原样.xlsx"))[sheet][a1].fill.fgColor.rgb
    assert openpyxl.load_workbook(res.output)[sheet][a1].fill.fgColor.rgb != template_fill  # highlighted
    refilled = tmp_path / "重填.xlsx"
    assert cli("fill", res.output, "-o", refilled).exit_code == 0
    wb = openpyxl.load_workbook(refilled)
    assert form.SHEET_FINDINGS not in wb.sheetnames
    assert wb[sheet][a1].fill.fgColor.rgb == template_fill
    frozen = tmp_path / "定稿.xlsx"
    assert cli("freeze", refilled, "-o", frozen).exit_code == 0
    assert form.SHEET_FINDINGS not in openpyxl.load_workbook(frozen).sheetnames


def browser_copy(page: bytes) -> str:
    """What a browser's select-all + copy of a report page gives in a text editor: paragraphs one a
    line, each table row one line with its cells separated by tabs (a rowspan cell in its first row only)."""
    from lxml import html  # lazy: only this helper parses HTML

    out: list[str] = []

    def walk(el) -> None:
        if el.tag == "table":
            for tr in el.iter("tr"):
                out.append("\t".join(" ".join(td.text_content().split()) for td in tr if td.tag in ("td", "th")))
            return
        leaf = not any(c.tag in ("table", "p", "div") for c in el.iterdescendants())
        if el.tag in ("p", "h1", "h2", "h3", "div") and leaf:
            text = " ".join(el.text_content().split())
            if text:
                out.append(text)
            return
        for c in el:
            walk(c)

    walk(html.fromstring(page.decode("utf-8")))
    return "\n".join(out) + "\n"


def test_a_page_copied_from_a_browser_with_tabs_between_cells_is_read(tmp_path):
    """Tabs between the cells of a copied table were kept inside the labels ("三、本年度办理结果\\x09（一）予以公开"):
    101 of 200 cells, the rest blank with F03/F04."""
    report = demo_report("城关镇")
    page = tmp_path / "年报.html"
    render(report, page)
    copied = tmp_path / "复制的网页.txt"
    copied.write_text(browser_copy(page.read_bytes()), "utf-8")
    assert "\t（一）予以公开\t" in copied.read_text("utf-8")
    res = import_report(copied)
    assert {n: res.report.values.get(n) for n in form.CELL_NAMES} == {n: report.values[n] for n in form.CELL_NAMES}
    assert not [f for f in res.problems if f.is_error]


def test_a_real_page_copied_from_a_browser_is_read_exactly(tmp_path):
    sample = REAL / "pingtan_2025.html"
    if not sample.exists():
        pytest.skip("shared real samples not present")
    copied = tmp_path / "平潭.txt"
    copied.write_text(browser_copy(sample.read_bytes()), "utf-8")
    cells = json.loads((REAL / "pingtan_2025.expected.json").read_text("utf-8"))["cells"]
    res = import_report(copied)
    assert {n: res.report.values.get(n) for n in cells} == cells


@pytest.mark.parametrize("suffix", [".pdf", ".html", ".docx"])
def test_a_published_report_given_where_a_workbook_is_wanted_is_told_to_import_first(tmp_path, suffix):
    """`check 年报.xlsx --previous 去年年报.pdf`: "不是有效的 Excel 工作簿；如为 .xls 或 WPS 格式，请另存为
    .xlsx" sent the clerk to save a PDF as .xlsx. Say what the file is and that `import` reads it."""
    report = demo_report("城关镇")
    published = tmp_path / f"去年年报{suffix}"
    if suffix == ".pdf":
        published.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    else:
        render(report, published)
    src = fill_workbook(hand_typed_book(tmp_path / "台账.xlsx")).output
    for res in (cli("check", src, "--previous", published), cli("check", published)):
        assert res.exit_code == 2 and "Traceback" not in res.output
        assert "xl-report import" in res.output and "另存为 .xlsx" not in res.output, res.output


def test_a_failed_unit_shows_no_error_count_of_zero_in_the_summary(tmp_path):
    """汇总 read "失败 | 0 | 0" for a unit whose tally could not be used: zero errors beside 失败 reads as
    "nothing wrong". The counts are of check findings, which a failed unit never got: blank."""
    indir = tmp_path / "in"
    indir.mkdir()
    write_unit(indir / "甲.xlsx", synthetic_unit("某某县甲镇人民政府", "乡镇人民政府", 2024, seed=1), 2024)
    bad = make_tally_workbook(
        indir / "乙.xlsx",
        unit="某某县乙镇人民政府",
        year=2024,
        values=META,
        requests=[request(1, date(2024, 3, 5), "自然人", date(2024, 3, 1), "予以公开")],
    )
    assert bad.exists()
    batch = run_batch(indir, tmp_path / "out", progress=False, jobs=1)
    assert {u.source: u.status for u in batch.units}["乙.xlsx"] == STATUS_FAILED
    ws = openpyxl.load_workbook(tmp_path / "out" / "汇总.xlsx")["汇总"]
    (row,) = [r for r in ws.iter_rows(min_row=4, values_only=True) if r[2] == STATUS_FAILED]
    assert row[3] is None and row[4] is None and "办结日期" in str(row[13])
    ok = [r for r in ws.iter_rows(min_row=4, values_only=True) if r[1] == "某某县甲镇人民政府"][0]
    assert isinstance(ok[3], int)
