"""Offices' own ledgers (issue 16): six realistic layouts give exactly the counts a careful clerk would
(cell by cell against the same records typed into our template), every decision is said, every file is
hostile, and nothing undecided is ever counted."""

from __future__ import annotations

import codecs
import csv
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from xl_report.cli import app
from xl_report.core import form
from xl_report.core.aggregate import aggregate
from xl_report.core.errors import InputError, TallyErrors
from xl_report.core.ledger import IGNORED, SKIPPED
from xl_report.core.tally_schema import REQUESTS
from xl_report.stages.fill import fill_workbook
from xl_report.xlsx.tally_reader import UndecidedValues, read_tally

from . import ledger_factory as lf
from .conftest import _soffice_convert, needs_soffice
from .tally_factory import fee, make_tally_workbook, tally_from_rows

YEAR = 2024
runner = CliRunner()


def _converted(src: Path, outdir: Path, to: str) -> Path:
    return _soffice_convert(src, outdir, to, outdir / "lo-profile")


@pytest.fixture(scope="session")
def office_files(tmp_path_factory) -> dict[str, lf.Layout]:
    """The .xls and .ods ledgers: written as .xlsx, saved by LibreOffice as an office would have them."""
    tmp = tmp_path_factory.mktemp("ledgers")
    docs, cases = lf.documents_xlsx(tmp), lf.cases_xlsx(tmp)
    far = lf.documents_xlsx(tmp, "远处.xlsx")
    wb = openpyxl.load_workbook(far.path)
    wb.active.cell(60_000, 200, "x")  # one stray cell: a 60,000 × 200 rectangle for calamine
    wb.save(far.path)
    out = tmp / "converted"
    out.mkdir()
    return {
        "xls": lf.Layout(_converted(docs.path, out, "xls"), docs.native),
        "ods": lf.Layout(_converted(cases.path, out, "ods"), cases.native),
        "far": lf.Layout(_converted(far.path, out, "xls"), {}),
    }


def _same_counts(layout: lf.Layout) -> dict:
    """The ledger's table cells equal those of the careful clerk's rows, cell by cell."""
    ours = aggregate(read_tally(layout.path), YEAR).report.values
    clerk = aggregate(tally_from_rows(**layout.native), YEAR).report.values
    assert ours == clerk
    return ours


def test_register_with_free_text_results_counts_as_the_clerk_would(tmp_path):
    values = _same_counts(lf.register_xlsx(tmp_path))
    t3 = form.t3
    assert values[t3("new", "person")] == 5 and values[t3("new", "business")] == 1
    assert values[t3("new", "legal")] == 1 and values[t3("new", "research")] == 1 and values[t3("new", "charity")] == 1
    assert values[t3("open", "person")] == 1 and values[t3("partial", "person")] == 1
    assert values[t3("unable_1", "person")] == 1 and values[t3("reject_1", "business")] == 1
    assert values[t3("deny_1", "legal")] == 1 and values[t3("unable_2", "research")] == 1
    assert values[t3("reject_2", "person")] == 1 and values[t3("other_1", "charity")] == 1
    assert values[t3("carried_out", "person")] == 1  # the December application still open


def test_register_decisions_are_all_said(tmp_path):
    t = read_tally(lf.register_xlsx(tmp_path).path)
    lines = [str(d) for d in t.adoption.decisions]
    assert "工作表“依申请公开台帐”读作“依申请公开台账”（工作表名的常见写法）" in lines
    assert "依申请公开台账：“答复结果”列读作“办理结果”（同义表头）" in lines
    assert "依申请公开台账：未使用“申请日期”列（同样可以读作“收到日期”，已按“受理日期”读取）" in lines
    assert any("“信息不存在”→“无法提供-本机关不掌握相关政府信息”（含“不存在”）" in line for line in lines)
    ignored = {d.source for d in t.adoption.decisions if d.kind == IGNORED}
    assert {"序号", "申请方式", "备注"} <= ignored
    assert [(d.source, d.why) for d in t.adoption.decisions if d.kind == SKIPPED] == [("第12行", "合计行")]


def test_one_sheet_decision_register_with_types_in_words(tmp_path):
    values = _same_counts(lf.decisions_register(tmp_path))
    assert values[form.t2("penalty", "decisions")] == 2  # the 2023 one is not this year's
    assert values[form.t2("licensing", "decisions")] == 1 and values[form.t2("coercion", "decisions")] == 1


def test_fees_in_yuan_as_text(tmp_path):
    values = _same_counts(lf.fees_list(tmp_path))
    assert values[form.t2("fees", "amount")] == pytest.approx(0.1316, abs=1e-4)  # 1,315.50 元, the 合计 row skipped


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig", "utf-16"])
def test_csv_in_every_common_encoding(tmp_path, encoding):
    values = _same_counts(lf.requests_csv(tmp_path, encoding=encoding))
    assert values[form.t3("new", "person")] == 2  # YS-004 was received in 2023
    assert values[form.t3("deny_6", "person")] == 1 and values[form.t3("other_3", "other")] == 1


def test_csv_messages_name_the_file_not_a_sheet(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("编号,收到日期,申请人类型\nA,2024-13-45,个人\n", encoding="utf-8")
    with pytest.raises(TallyErrors) as e:
        read_tally(path)
    (p,) = e.value.problems
    assert p.sheet is None and p.row == 2 and p.column == "收到日期" and p.file == str(path)


@pytest.mark.slow
@needs_soffice
def test_xls_saved_by_an_office(office_files):
    values = _same_counts(office_files["xls"])
    assert values[form.t2("normative", "issued")] == 1 and values[form.t2("normative", "repealed")] == 1
    assert values[form.t2("rules", "in_force")] == 1


@pytest.mark.slow
@needs_soffice
def test_an_xls_with_a_far_stray_cell_is_refused_before_calamine_allocates_it(office_files):
    with pytest.raises(InputError, match="数据范围过大（60,000 行 × 200 列）"):
        read_tally(office_files["far"].path)


@pytest.mark.slow
@needs_soffice
def test_ods_saved_by_libreoffice(office_files):
    values = _same_counts(office_files["ods"])
    assert values[form.t4("review", "upheld")] == 1 and values[form.t4("suit_direct", "corrected")] == 1
    assert values[form.t4("suit_after", "pending")] == 1


def test_the_documents_and_cases_registers_as_xlsx_too(tmp_path):
    _same_counts(lf.documents_xlsx(tmp_path))
    _same_counts(lf.cases_xlsx(tmp_path))


# --------------------------------------------------------------------------------------------
# Undecided values, missing columns
# --------------------------------------------------------------------------------------------


def _register_with(tmp_path: Path, results: list[str]) -> Path:
    rows = [lf.REGISTER_HEADER] + [
        [i, "2024.3.1", "某", "个人", "网上", "x", "2024.3.1", "2024.3.5", text, None]
        for i, text in enumerate(results, start=1)
    ]
    return lf._save(tmp_path / "台账.xlsx", {"登记台账": rows})


def test_undecided_values_are_listed_never_counted(tmp_path):
    path = _register_with(tmp_path, ["予以公开", "不予公开", "不予公开", "已电话沟通", "部分信息不存在，其余予以公开"])
    with pytest.raises(UndecidedValues) as e:
        read_tally(path)
    text = str(e.value)
    assert "3 种写法不能确定" in text and "第3、4行：“不予公开”只写了“不予公开”，没有写具体情形" in text
    assert "“已电话沟通”不能对应到任何规定的选项" in text and "同时符合" in text
    assert all(p.sheet == "登记台账" and p.column == "答复结果" for p in e.value.problems)  # as the ledger says


def test_fill_on_an_undecided_ledger_exits_2_and_writes_nothing(tmp_path):
    path = _register_with(tmp_path, ["予以公开", "不予公开"])
    result = runner.invoke(app, ["fill", str(path), "--year", "2024"])
    assert result.exit_code == 2 and "不予公开" in result.output and "adopt" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["台账.xlsx"]


def test_fill_on_a_foreign_ledger_prints_every_decision_and_keeps_the_original(tmp_path):
    layout = lf.register_xlsx(tmp_path)
    result = runner.invoke(app, ["fill", str(layout.path), "--year", "2024"])
    assert result.exit_code == 0, result.output
    assert "台账识别" in result.output and "“答复结果”列读作“办理结果”" in result.output
    wb = openpyxl.load_workbook(tmp_path / "登记台账-已填报.xlsx")
    assert "台账转换说明" in wb.sheetnames
    head = [c.value for c in wb[REQUESTS.name][1]]
    assert "原文：答复结果" in head


def test_a_missing_needed_column_is_one_error_naming_what_was_found(tmp_path):
    path = lf._save(tmp_path / "t.xlsx", {"依申请公开台帐": [["序号", "申请人", "答复结果"], [1, "某", "予以公开"]]})
    with pytest.raises(TallyErrors) as e:
        read_tally(path)
    (p,) = e.value.problems
    assert p.sheet == "依申请公开台帐" and "找不到“收到日期”、“申请人类型”列" in p.reason
    assert "找到的表头：序号、申请人、答复结果" in p.reason


def test_amounts_in_wan_yuan_are_never_read_as_yuan(tmp_path):
    rows = [["收费项目", "收费日期", "金额（万元）"], ["x", "2024.1.1", 0.12]]
    path = lf._save(tmp_path / "t.xlsx", {"收费明细": rows})
    with pytest.raises(TallyErrors, match="找不到“金额（元）”列"):
        read_tally(path)


def test_bad_dates_are_located_in_the_ledger(tmp_path):
    rows = [lf.REGISTER_HEADER, [1, "2024.3.1", "某", "个人", "网上", "x", "2024.2.30", "2024.3.5", "予以公开", None]]
    path = lf._save(tmp_path / "t.xlsx", {"登记台账": rows})
    with pytest.raises(TallyErrors) as e:
        read_tally(path)
    (p,) = e.value.problems
    assert (p.sheet, p.row, p.column) == ("登记台账", 2, "受理日期") and "日期不存在" in p.reason


def test_several_years_in_one_ledger_are_counted_by_the_report_years_rules(tmp_path):
    layout = lf.decisions_register(tmp_path)
    values_2023 = aggregate(read_tally(layout.path), 2023).report.values
    assert values_2023[form.t2("penalty", "decisions")] == 1


# --------------------------------------------------------------------------------------------
# Hostile and unreadable files
# --------------------------------------------------------------------------------------------


def test_et_files_get_the_save_as_message(tmp_path):
    path = tmp_path / "台账.et"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(InputError, match="请在 WPS 中另存为 .xlsx"):
        read_tally(path)


def test_a_password_protected_workbook_gets_a_clear_message(tmp_path):
    path = tmp_path / "台账.xlsx"
    streams = "EncryptionInfo".encode("utf-16-le") + "EncryptedPackage".encode("utf-16-le")  # as Office writes
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512 + streams)
    with pytest.raises(InputError, match="设置了打开密码"):
        read_tally(path)


def test_an_unknown_kind_of_file_is_refused(tmp_path):
    path = tmp_path / "台账.txt"
    path.write_text("编号", encoding="utf-8")
    with pytest.raises(InputError, match="不支持这种文件"):
        read_tally(path)


def test_csv_limits(tmp_path, monkeypatch):
    from xl_report.xlsx import ledger_reader

    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(["x"] * 500) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="超过 200 列"):
        read_tally(wide)
    monkeypatch.setattr(ledger_reader, "MAX_GRID_ROWS", 10)
    long = tmp_path / "long.csv"
    long.write_text("编号,收到日期,申请人类型\n" + "A,2024-1-1,个人\n" * 20, encoding="utf-8")
    with pytest.raises(InputError, match="行数超过"):
        read_tally(long)
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\xfd\x00\x81\x30" * 10)
    with pytest.raises(InputError):
        read_tally(binary)


def test_an_ods_repeating_a_value_a_million_times_is_refused(tmp_path):
    path = tmp_path / "bomb.ods"
    content = (
        '<?xml version="1.0"?><office:document-content xmlns:office="o" xmlns:table="t"><office:body>'
        '<office:spreadsheet><table:table table:name="收费台账"><table:table-row table:number-rows-repeated='
        '"1000000"><table:table-cell office:value-type="float" office:value="1"/></table:table-row>'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
    with pytest.raises(InputError, match="疑似恶意文件"):
        read_tally(path)


def test_formula_looking_ledger_text_stays_text_in_the_converted_workbook(tmp_path):
    rows = [
        lf.REGISTER_HEADER,
        [1, "2024.3.1", '=HYPERLINK("http://x")', "个人", "网上", "=1+1", "2024.3.1", "2024.3.5", "予以公开", None],
    ]
    path = lf._save(tmp_path / "t.xlsx", {"登记台账": rows})
    res = fill_workbook(path, tmp_path / "out.xlsx", year=YEAR)
    ws = openpyxl.load_workbook(res.output)[REQUESTS.name]
    assert ws["D2"].data_type == "s" and ws["E2"].value == "=1+1" and ws["E2"].data_type == "s"


def test_utf8_bom_and_gbk_decode_the_same(tmp_path):
    text = "编号,收到日期\n甲,2024-1-1\n"
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    b.write_bytes(text.encode("gbk"))
    from xl_report.xlsx.ledger_reader import open_ledger

    assert open_ledger(a).grid("a.csv") == open_ledger(b).grid("b.csv") == list(csv.reader(text.splitlines()))


def test_template_dates_still_read(tmp_path):
    assert read_tally(lf.fees_list(tmp_path).path).fees["收费日期"].tolist()[0] == date(2024, 3, 5)


def test_a_ledger_pasted_into_the_template_beside_its_empty_sheets_is_read(tmp_path):
    path = make_tally_workbook(tmp_path / "模板.xlsx", year=YEAR)
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("Sheet1")
    for row in [lf.REGISTER_HEADER] + [r for r, _ in lf.REGISTER_ROWS]:
        ws.append(row)
    wb.save(path)
    t = read_tally(path)
    assert len(t.requests) == 9 and ("Sheet1", "按表头识别") in {(d.source, d.why) for d in t.adoption.decisions}


def test_an_unrelated_extra_sheet_is_left_alone(tmp_path):
    path = make_tally_workbook(tmp_path / "模板.xlsx", year=YEAR, fees=[fee("x", date(2024, 1, 1), 10)])
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("备忘").append(["收费项目", "收费日期", "金额"])  # headers only: no ledger
    ws = wb.create_sheet("联系人")
    ws.append(["姓名", "电话"])
    ws.append(["某", "123"])
    wb.save(path)
    t = read_tally(path)
    assert t.adoption is None and t.fees["金额（元）"].tolist() == [10]


def test_header_synonyms_and_sheet_variants_never_point_two_ways():
    """The synonym tables are data: one header text means one column of one sheet, one name one sheet."""
    from xl_report.core import normalise as nz
    from xl_report.core.ledger import sheet_key
    from xl_report.core.tally_schema import TALLY_SHEETS

    for sheet in TALLY_SHEETS:
        keys = [nz.header_key(h) for c in sheet.columns for h in (c.header, *c.aliases)]
        assert len(keys) == len(set(keys)), sheet.name
    names = [sheet_key(n) for s in TALLY_SHEETS for n in (s.name, *s.aliases)]
    assert len(names) == len(set(names))


@pytest.mark.slow
def test_a_ledger_longer_than_the_templates_dropdowns_gets_them_stretched(tmp_path):
    from xl_report.stages.adopt import adopt_ledger
    from xl_report.xlsx.template import TALLY_ROWS

    rows = [lf.REGISTER_HEADER] + [
        [i, "2024.3.1", "某", "个人", "网上", "x", "2024.3.1", "2024.3.5", "予以公开", None]
        for i in range(TALLY_ROWS + 5)
    ]
    rows[-1][8] = "不予公开"
    path = lf._save(tmp_path / "长.xlsx", {"登记台账": rows})
    res = adopt_ledger(path, tmp_path / "o.xlsx")
    last = res.rows[REQUESTS.name] + 1
    assert res.undecided == 1 and last > TALLY_ROWS
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx")[REQUESTS.name]
    assert ws[f"K{last}"].value == "不予公开" and ws[f"K{last - 1}"].value == "予以公开"
    assert any(f"K{last}" in dv.sqref and dv.type == "list" for dv in ws.data_validations.dataValidation)


def test_a_broken_xls_is_a_clear_message(tmp_path):
    path = tmp_path / "台账.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(InputError, match="不是有效的 .xls 文件"):
        read_tally(path)
    path.write_bytes(b"not an xls at all")
    with pytest.raises(InputError, match="不是有效的 .xls 文件"):
        read_tally(path)


def test_a_tab_separated_export_with_a_title_line(tmp_path):
    path = tmp_path / "导出.csv"
    lines = ["某局2024年依申请公开登记台账", "\t".join(lf.CSV_HEADER)] + ["\t".join(r) for r, _ in lf.CSV_ROWS]
    path.write_text("\n".join(lines) + "\n", encoding="gb18030")
    values = aggregate(read_tally(path), YEAR).report.values
    clerk = aggregate(tally_from_rows(requests=[n for _, n in lf.CSV_ROWS]), YEAR).report.values
    assert values == clerk


def test_an_error_value_in_a_ledger_is_a_located_error_and_adopt_marks_it(tmp_path):
    from xl_report.stages.adopt import adopt_ledger

    rows = [lf.REGISTER_HEADER, [1, "2024.3.1", "某", "个人", "网上", "x", "2024.3.1", None, "予以公开", None]]
    path = lf._save(tmp_path / "t.xlsx", {"登记台账": rows})
    wb = openpyxl.load_workbook(path)
    wb["登记台账"]["H2"] = "=DATE(2024,3,5)"  # openpyxl saves a formula without its value
    wb.save(path)
    with pytest.raises(TallyErrors) as e:
        read_tally(path)
    (p,) = e.value.problems
    assert (p.sheet, p.row, p.column) == ("登记台账", 2, "答复日期") and "公式没有计算结果" in p.reason
    res = adopt_ledger(path, tmp_path / "o.xlsx")
    assert res.unreadable == 1
    assert openpyxl.load_workbook(tmp_path / "o.xlsx")[REQUESTS.name]["J2"].comment is not None
