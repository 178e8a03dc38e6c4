"""Reading tally sheets: normalisation, header detection, and every bad row reported at once (issue 3)."""

from __future__ import annotations

from datetime import date, datetime

import openpyxl
import pytest

from xl_report.core import tally as tally_mod
from xl_report.core.errors import InputError, TallyErrors
from xl_report.core.normalise import to_applicant, to_date, to_result
from xl_report.core.tally import ROW_COLUMN
from xl_report.core.tally_schema import CASES, FEES, REQUESTS, TALLY_SHEETS
from xl_report.xlsx.tally_reader import read_tally

from .tally_factory import case, decision, document, fee, make_tally_workbook, request, tally_from_rows

D = date


@pytest.mark.parametrize(
    "text",
    [
        date(2023, 3, 5),
        datetime(2023, 3, 5, 9, 30),
        "2023-03-05",
        "2023/3/5",
        "2023年3月5日",
        "2023.3.5",
        "２０２３－０３－０５",
        " 2023 年 3 月 5 日 ",
        20230305,
        44990,
        "20230305",
        "2023年3月5号",
        "2023.03.05.",
        "2023年03月05日 09:30",
    ],
)
def test_date_forms(text):
    assert to_date(text) == (date(2023, 3, 5), None)


@pytest.mark.parametrize(
    "text", ["2023-02-30", "下周一", "3/5/2023", "1899-01-01", True, 2.5, "2023.3.5.6", "23.3.5", "2023年3月"]
)
def test_bad_dates_have_reasons(text):
    value, reason = to_date(text)
    assert value is None and reason


@pytest.mark.parametrize(
    "text,expected",
    [
        ("（三）不予公开 4.保护第三方合法权益", "不予公开-保护第三方合法权益"),
        ("(三)不予公开4、保护第三方合法权益", "不予公开-保护第三方合法权益"),
        ("不予公开 - 保护第三方合法权益", "不予公开-保护第三方合法权益"),
        ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "部分公开"),
        ("（一）予以公开", "予以公开"),
        ("危及三安全一稳定", "不予公开-危及“三安全一稳定”"),
        ("（六）其他处理 3.其他", "其他处理-其他"),
        ("申请人撤回", "其他处理-其他"),
        ("无法提供—本机关不掌握相关政府信息", "无法提供-本机关不掌握相关政府信息"),
    ],
)
def test_result_forms(text, expected):
    assert to_result(text) == (expected, None)


@pytest.mark.parametrize("text", ["不予公开", "其他", "同意", "不予处理-其他"])
def test_ambiguous_or_unknown_results_are_errors(text):
    assert to_result(text)[0] is None


@pytest.mark.parametrize(
    "text,expected",
    [
        ("个人", "自然人"),
        ("律师事务所", "法律服务机构"),
        ("企业", "商业企业"),
        ("自 然 人", "自然人"),
        ("法人或其他组织-科研机构", "科研机构"),
        ("村委会", "其他"),
    ],
)
def test_applicant_synonyms(text, expected):
    assert to_applicant(text) == (expected, None)


def test_reads_template_workbook_with_meta(tmp_path):
    path = make_tally_workbook(
        tmp_path / "t.xlsx",
        unit="某某县某某镇人民政府",
        year="２０２３",
        requests=[
            request("００１", "2023/3/5", "个人", "2023年3月20日", "（一）予以公开", 延期="是", 征求意见工作日="３")
        ],
    )
    t = read_tally(path)
    assert (t.unit, t.year) == ("某某县某某镇人民政府", 2023)
    assert t.present == ("requests", "documents", "decisions", "fees", "cases")  # template: all present
    df = t.requests
    assert list(df.columns) == list(REQUESTS.headers) + [ROW_COLUMN]
    row = df.iloc[0].to_dict()
    assert row["编号"] == "001" and row["收到日期"] == date(2023, 3, 5) and row["办结日期"] == date(2023, 3, 20)
    assert row["申请人类型"] == "自然人" and row["办理结果"] == "予以公开"
    assert row["延期"] is True and row["征求意见工作日"] == 3 and row[ROW_COLUMN] == 2
    assert row["补正告知日期"] is None and row["申请人"] is None
    assert len(t.cases) == 0


def test_bare_workbook_absent_sheets_and_no_meta(tmp_path):
    path = make_tally_workbook(
        tmp_path / "t.xlsx", base_template=False, fees=[fee("工本费", D(2023, 1, 1), "1,234.50元")]
    )
    t = read_tally(path)
    assert t.present == ("fees",) and t.requests is None
    assert (t.unit, t.year) == (None, None)
    assert t.fees["金额（元）"].tolist() == [1234.5]


def test_header_under_merged_title_blank_rows_extra_column_totals_row(tmp_path):
    rows = [request("A1", D(2023, 1, 5), "自然人"), request("NA", D(2023, 2, 5), "其他", D(2023, 2, 6), "予以公开")]
    path = make_tally_workbook(
        tmp_path / "t.xlsx",
        base_template=False,
        requests=rows,
        fees=[fee("x", D(2023, 1, 1), 10)],
        title="某某镇2023年依申请公开台账",
        blank_rows=2,
        totals_row=True,
        extra_column="备注",
    )
    t = read_tally(path)
    assert t.requests["编号"].tolist() == ["A1", "NA"]  # 'NA' stays text
    assert t.requests[ROW_COLUMN].tolist() == [5, 6]  # title row 1, header row 2, two blank rows
    assert t.fees["金额（元）"].tolist() == [10.0]  # the 合计 row under the data is not a fee


def test_header_with_marks_and_reordered_columns(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = FEES.name
    ws.append(["说明：金额以元为单位"])
    ws.append(["金额（元）*", "备注", "收费日期\n(必填)", "收费项目"])
    ws.append([100, "x", "2023-1-2", "工本费"])
    wb.save(tmp_path / "t.xlsx")
    t = read_tally(tmp_path / "t.xlsx")
    assert t.fees[["收费项目", "收费日期", "金额（元）", ROW_COLUMN]].values.tolist() == [
        ["工本费", date(2023, 1, 2), 100.0, 3]
    ]


def test_every_bad_row_reported_at_once(tmp_path):
    requests = [
        request("1", D(2023, 1, 5), "外星人"),  # 3 unknown category
        request("2", "2023-13-45", "自然人"),  # 4 unreadable date
        request("3", D(2023, 5, 1), "自然人", D(2023, 4, 1), "予以公开"),  # 5 done before received
        request("3", D(2023, 5, 1), "自然人"),  # 6 duplicate 编号
        request("5", D(2023, 5, 1), "自然人", D(2023, 5, 2)),  # 7 result missing
        request("6", D(2023, 5, 1), "自然人", None, "予以公开"),  # 8 result without 办结日期
        {"编号": "7", "申请人类型": "自然人"},  # 9 required 收到日期 missing
        request("8", D(2023, 5, 1), "自然人", D(2023, 5, 2), "不予公开"),  # 10 result not specific
        request("9", D(2023, 5, 1), "自然人", 延期="也许", 征求意见工作日=-2),  # 11 two bad cells
    ]
    fees = [fee("工本费", D(2023, 1, 1), -5), fee("工本费", "昨天", "十元")]
    documents = [document("办法", "规章", D(2023, 5, 1), D(2023, 1, 1))]
    cases = [case("c1", "行政复议", D(2023, 1, 1), "结果维持"), case("c1", "行政赔偿", D(2023, 1, 1))]
    decisions = [decision("行政许可", D(2023, 1, 1), 1.5)]
    path = make_tally_workbook(
        tmp_path / "bad.xlsx",
        requests=requests,
        fees=fees,
        documents=documents,
        cases=cases,
        decisions=decisions,
        year=2023,
    )
    with pytest.raises(TallyErrors) as info:
        read_tally(path)
    got = {(p.sheet, p.row, p.column) for p in info.value.problems}
    req, fee_s, doc_s, case_s, dec_s = (s.name for s in (REQUESTS, FEES, TALLY_SHEETS[1], CASES, TALLY_SHEETS[2]))
    assert got == {
        (req, 2, "申请人类型"),
        (req, 3, "收到日期"),
        (req, 4, "办结日期"),
        (req, 5, "编号"),
        (req, 6, "办理结果"),
        (req, 7, "办结日期"),
        (req, 8, "收到日期"),
        (req, 9, "办理结果"),
        (req, 10, "延期"),
        (req, 10, "征求意见工作日"),
        (doc_s, 2, "废止日期"),
        (dec_s, 2, "数量"),
        (fee_s, 2, "金额（元）"),
        (fee_s, 3, "收费日期"),
        (fee_s, 3, "金额（元）"),
        (case_s, 2, "结案日期"),
        (case_s, 3, "案件编号"),
        (case_s, 3, "类别"),
    }
    text = str(info.value)
    for reason in (
        "不是规定的选项",
        "无法识别的日期",
        "办结日期早于收到日期",
        "编号重复（与第4行相同）",
        "已填写办结日期，但没有填写办理结果",
        "填写了办理结果，但办结日期为空",
        "必填项为空",
        "金额不能为负数",
        "废止日期早于印发日期",
        "应为整数",
        "不能为负数",
    ):
        assert reason in text, reason
    assert "第2行" in text and "外星人" in text and "bad.xlsx" in text
    assert len(info.value.problems) == len(got)  # one message per bad cell


def test_missing_header_and_missing_required_column(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = FEES.name
    wb.active.append(["随便写的", "内容"])
    ws = wb.create_sheet(CASES.name)
    ws.append(["案件编号", "类别", "结果"])  # 收到日期 missing
    wb.save(tmp_path / "t.xlsx")
    with pytest.raises(TallyErrors) as info:
        read_tally(tmp_path / "t.xlsx")
    text = str(info.value)
    assert "找不到表头行" in text and "表头缺少必填列：收到日期" in text


def test_not_a_tally_or_not_a_workbook(tmp_path):
    wb = openpyxl.Workbook()
    wb.save(tmp_path / "empty.xlsx")
    with pytest.raises(InputError, match="没有任何台账工作表"):
        read_tally(tmp_path / "empty.xlsx")
    (tmp_path / "x.xlsx").write_text("not a zip")
    with pytest.raises(InputError, match="不是有效的 Excel"):
        read_tally(tmp_path / "x.xlsx")
    with pytest.raises(InputError, match="文件不存在"):
        read_tally(tmp_path / "none.xlsx")


def test_row_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(tally_mod, "MAX_ROWS", 5)
    path = make_tally_workbook(tmp_path / "t.xlsx", base_template=False, fees=[fee("x", D(2023, 1, 1), 1)] * 40)
    with pytest.raises(InputError, match="行数超过 5 行的上限"):
        read_tally(path)


def test_formula_like_text_stays_text(tmp_path):
    evil = '=HYPERLINK("http://example.invalid","点我")'
    path = make_tally_workbook(
        tmp_path / "t.xlsx", base_template=False, requests=[request("=1+1", D(2023, 1, 1), "自然人", 申请内容=evil)]
    )
    df = read_tally(path).requests
    assert df["编号"].tolist() == ["=1+1"] and df["申请内容"].tolist() == [evil]


def test_in_memory_tally_uses_the_same_validation():
    with pytest.raises(TallyErrors):
        tally_from_rows(requests=[request("1", "nonsense", "自然人")])
    assert tally_from_rows(requests=[]).requests.empty


@pytest.mark.parametrize("far_cell", ["XFD2000", "Z200000", "AB150001"])
def test_a_stray_far_cell_is_refused_before_the_sheet_is_loaded(tmp_path, far_cell):
    """One value far to the right or far down would make calamine allocate the whole rectangle (GBs)."""
    import resource
    import time

    path = tmp_path / "wide.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = REQUESTS.name
    ws.append(list(REQUESTS.headers))
    for i in range(1, 2001):
        ws.append([f"A{i}", "2024-01-02", "自然人"])
    ws[far_cell] = "误填"
    wb.save(path)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    with pytest.raises(InputError) as e:
        read_tally(path)
    assert "数据范围过大" in str(e.value) and "wide.xlsx" in str(e.value)
    assert time.perf_counter() - t0 < 10
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024  # KiB: no GB allocation


def test_a_normal_wide_enough_sheet_is_fine(tmp_path):
    path = make_tally_workbook(tmp_path / "ok.xlsx", requests=[request("A1", "2024-01-02")], year=2024)
    wb = openpyxl.load_workbook(path)
    wb[REQUESTS.name]["AD5"] = "备注"  # a note a few columns to the right is harmless
    wb.save(path)
    assert read_tally(path).requests is not None


def test_variant_sheet_names_are_read_as_the_tally_sheet_and_said(tmp_path):
    """'依申请公开台帐' (older spelling) or a trailing space: read as the tally sheet (issue 16), never as
    absent (表三 would silently keep the template's zeros); the reading is one of the decisions."""
    path = make_tally_workbook(
        tmp_path / "t.xlsx",
        requests=[request("A1", "2024-01-02", "自然人")],
        fees=[fee("x", D(2024, 1, 1), 10)],
        year=2024,
    )
    wb = openpyxl.load_workbook(path)
    wb[REQUESTS.name].title = "依申请公开台帐"
    wb[FEES.name].title = f"{FEES.name} "
    wb.save(path)
    t = read_tally(path)
    assert t.requests["编号"].tolist() == ["A1"] and t.fees["金额（元）"].tolist() == [10]
    assert {(d.source, d.target) for d in t.adoption.decisions if d.kind == "工作表"} == {
        ("依申请公开台帐", REQUESTS.name),
        (f"{FEES.name} ", FEES.name),
    }


def test_two_filled_sheets_for_one_tally_are_an_error(tmp_path):
    path = make_tally_workbook(tmp_path / "t.xlsx", requests=[request("A1", "2024-01-02", "自然人")], year=2024)
    wb = openpyxl.load_workbook(path)
    copy = wb.copy_worksheet(wb[REQUESTS.name])
    copy.title = "依申请公开台帐"
    wb.save(path)
    with pytest.raises(TallyErrors, match="都是依申请公开台账，请合并"):
        read_tally(path)


def test_the_templates_empty_sheet_gives_way_to_the_ledger_pasted_beside_it(tmp_path):
    path = make_tally_workbook(tmp_path / "t.xlsx", requests=[request("A1", "2024-01-02", "自然人")], year=2024)
    wb = openpyxl.load_workbook(path)
    wb.copy_worksheet(wb[REQUESTS.name]).title = "依申请公开台帐"
    ws = wb[REQUESTS.name]
    ws.delete_rows(2, ws.max_row)
    wb.save(path)
    assert read_tally(path).requests["编号"].tolist() == ["A1"]
