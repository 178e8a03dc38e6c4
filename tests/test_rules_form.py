"""Workbook form rules: F02–F06, F12, F13."""

from __future__ import annotations

import pytest

from xl_report.core import form
from xl_report.rules.form_rules import check

from .rules_data import clean_report


def test_clean_report_is_quiet():
    assert check(clean_report()) == []


@pytest.mark.parametrize(
    "value, code, words",
    [
        (None, "F05", "空白"),
        ("/", "F05", "“/”"),
        ("—", "F05", "“—”"),
        ("无", "F05", "“无”"),
        (-2, "F06", "负数"),
        (1.5, "F06", "不是整数"),
        ("16（其中修订3件）", "F06", "文字“16（其中修订3件）”"),
        ("=A1*2", "F06", "公式"),
        (True, "F06", "请填数字"),
    ],
)
def test_bad_cell_values(value, code, words):
    r = clean_report()
    r.locations["t3_open_person"] = ("表三", "D7")
    r.values["t3_open_person"] = value
    (f,) = check(r)
    assert (f.code, f.severity, f.name, f.sheet, f.cell) == (code, "error", "t3_open_person", "表三", "D7")
    assert words in f.message and f.message.startswith("表三 （一）予以公开·自然人：")


def test_fee_amount_may_be_decimal_but_not_negative():
    r = clean_report()
    r.values["t2_fees_amount"] = 0.0375
    assert check(r) == []
    r.values["t2_fees_amount"] = -0.5
    assert [f.code for f in check(r)] == ["F06"]


def test_whole_float_counts_are_fine():
    r = clean_report()
    r.values["t2_penalty_decisions"] = 15.0
    assert check(r) == []


def test_missing_table_is_one_finding():
    r = clean_report()
    names = [c.name for c in form.CELLS if c.table == "表四"]
    for n in names:
        del r.values[n]
    r.missing = names
    (f,) = check(r)
    assert f.code == "F04" and f.sheet == "表四" and "没有表四" in f.message and len(f.names) == 15


def test_missing_named_cell_is_named():
    r = clean_report()
    r.missing = ["t2_rules_issued"]
    (f,) = check(r)
    assert f.code == "F02" and f.name == "t2_rules_issued" and "t2_rules_issued" in f.message


@pytest.mark.parametrize(
    "field, value, code",
    [("unit", None, "F12"), ("year", None, "F12"), ("level", None, "F13"), ("level", "村委会", "F13")],
)
def test_meta(field, value, code):
    r = clean_report()
    setattr(r, field, value)
    r.locations["meta_" + field] = ("说明", "B15")
    (f,) = check(r)
    assert f.code == code and f.name == "meta_" + field and f.cell == "B15"


def test_hostile_sum_ranges_are_read_fast_without_creating_cells():
    """=SUM over a whole sheet must not make openpyxl create millions of cells (it took minutes);
    nested SUMs fanning out past the budget stay an uncheckable formula (F06), never a hang."""
    import time

    from xl_report.xlsx.template import build_template
    from xl_report.xlsx.workbook import read_report, resolve_names

    wb = build_template()
    names = resolve_names(wb)
    sheet, a1 = names["t3_new_person"]
    ws = wb[sheet]
    ws[a1].value = "=SUM(AA1:AZ1048576)"
    ws["AA3"].value = 7
    sheet, fan = names["t3_carried_in_person"]
    wb[sheet][fan].value = "=SUM(BA1:BA400)"
    for r in range(1, 401):
        ws.cell(r, 53).value = "=SUM(BB1:BB400)"  # BA -> 400 cells of 400 each: 160,000 > budget
        ws.cell(r, 54).value = 1
    before = len(ws._cells)
    t = time.perf_counter()
    report = read_report(wb)
    assert time.perf_counter() - t < 2
    assert len(ws._cells) == before
    assert report.values["t3_new_person"] == 7
    assert report.values["t3_carried_in_person"] == "=SUM(BA1:BA400)"
    assert [f.code for f in check(report) if f.name == "t3_carried_in_person"] == ["F06"]


def test_a_cell_caption_says_each_heading_once():
    """Messages and audit --json name a cell by its caption: 表二's block heading heads both its rows and its
    columns, and is said once."""
    assert form.CELL_BY_NAME["t2_rules_issued"].caption == "表二 第二十条第（一）项·规章 · 本年制发件数"
    assert form.CELL_BY_NAME["t3_new_person"].caption == "表三 一、本年新收政府信息公开申请数量 · 申请人情况·自然人"
    captions = [c.caption for c in form.CELLS]
    assert len(set(captions)) == len(captions)
    for c in form.CELLS:
        heads = c.caption.split(" ", 1)[1].replace(" · ", "·").split("·")
        assert len(set(heads)) == len(heads), c.caption
