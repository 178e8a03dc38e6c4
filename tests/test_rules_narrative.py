"""Text vs tables: T01 numbers, T02 'none' claims, T03 'all concluded', F07 year; placeholders first."""

from __future__ import annotations

import pytest

from xl_report.rules.narrative import check, substitute

from .rules_data import clean_report


def run(*paras, **changes):
    r = clean_report()
    r.values.update(changes)
    r.with_totals()
    return check(r, {"overview": [("B7", p) for p in paras]})


def test_clean_narrative_is_quiet():
    assert check(clean_report()) == []


def test_placeholders_are_substituted_from_the_tables():
    r = clean_report()
    assert substitute("共收到申请{新收}件，办结{办结}件，{未知}", r) == "共收到申请13件，办结12件，{未知}"


@pytest.mark.parametrize(
    "text",
    [
        "本年度共收到政府信息公开申请13件。",  # 新收
        "受理政府信息公开申请15件（含上年结转2件）。",  # 新收 + 上年结转
        "收到依申请公开政府信息数为 十三 件",
        "结转下年度继续办理3件",
        "予以公开6件，部分公开2件，不予公开1件，无法提供1件，不予处理1件，其他处理1件。",
        "本年度办结12件。",
        "发生行政复议2件，行政诉讼1件。",
    ],
)
def test_matching_numbers_are_quiet(text):
    assert run(text) == []


@pytest.mark.parametrize(
    "text, topic, names",
    [
        ("本年度共收到政府信息公开申请17件。", "收到申请 17 件", ("t3_new_total",)),
        ("上年结转3件", "上年结转 3 件", ("t3_carried_in_total",)),
        ("结转下年度继续办理1件", "结转下年度 1 件", ("t3_carried_out_total",)),
        ("办结95件", "办结 95 件", ("t3_total_total",)),
        ("予以公开5件", "予以公开 5 件", ("t3_open_total",)),
        ("不予公开二件", "不予公开 2 件", ("t3_deny_1_total",)),
        ("行政复议3起", "行政复议 3 件", ("t4_review_total",)),
        ("行政诉讼4件", "行政诉讼 4 件", ("t4_suit_direct_total", "t4_suit_after_total")),
    ],
)
def test_t01_numbers_differ(text, topic, names):
    (f,) = run(text)
    assert f.code == "T01" and f.severity == "warning" and topic in f.message
    assert f.sheet == "正文" and f.cell == "B7" and f.name == "text_overview"
    assert set(names) <= set(f.names)


def test_t01_new_accepts_either_reading_and_says_so():
    (f,) = run("受理申请14件")
    assert "本年新收 13（或加上年结转为 15）" in f.message


def test_t01_ignores_correction_clauses():
    assert run("收到补正申请4件") == []


@pytest.mark.parametrize("text", ["本年度未收到政府信息公开申请。", "我镇没有收到依申请公开申请"])
def test_t02_no_requests_while_table_has_some(text):
    (f,) = run(text)
    assert f.code == "T02" and f.severity == "error"


def test_t02_quiet_when_table_is_zero():
    zero = {k: 0 for k in ("t3_new_person", "t3_new_business", "t3_new_legal")}
    found = run("本年度未收到政府信息公开申请。", **zero)
    assert not [f for f in found if f.code == "T02"]


def test_t02_no_cases_while_table_has_some():
    found = run("我镇未发生因信息公开引起的行政诉讼和行政复议案件。")
    assert sorted(f.code for f in found) == ["T02", "T02"]
    assert {n for f in found for n in f.names} == {"t4_review_total", "t4_suit_direct_total", "t4_suit_after_total"}
    quiet = run("未发生行政复议案件。", t4_review_upheld=0, t4_review_pending=0)
    assert quiet == []


def test_t03_all_concluded_while_carried_over():
    (f,) = run("所有申请均已按时办结。")
    assert f.code == "T03" and "结转下年度继续办理为 3 件" in f.message
    assert (
        run(
            "所有申请均已按时办结。",
            t3_carried_out_person=0,
            t3_carried_out_business=0,
            t3_open_person=8,
            t3_deny_4_business=2,
        )
        == []
    )


def test_f07_period_of_another_year():
    (f,) = run("所列数据统计期限为2023年1月1日至2023年12月31日。")
    assert f.code == "F07" and "2024" in f.message


def test_f07_text_only_mentions_other_years():
    (f,) = run("2023年，我镇政务公开工作……", "2022年工作中存在问题的改进情况")
    assert f.code == "F07" and "2022年、2023年" in f.message
    assert run("2024年，我镇……", "2023年工作中存在问题的改进情况") == []


def test_narrative_name_on_a_single_cell_reads_and_writes():
    """A workbook whose 正文 names point at one cell each (hand-made, older layout) is written and read alike."""
    from openpyxl.workbook.defined_name import DefinedName

    from xl_report.core import form
    from xl_report.xlsx.template import build_template
    from xl_report.xlsx.workbook import read_narrative, resolve_names, write_narrative

    wb = build_template()
    key, name = next(iter(form.NARRATIVE_NAMES.items()))
    sheet, coord = resolve_names(wb)[name]
    first = coord.split(":")[0]
    del wb.defined_names[name]
    wb.defined_names[name] = DefinedName(name, attr_text=f"'{sheet}'!${first[0]}${first[1:]}")
    write_narrative(wb, {key: ["第一段。", "第二段。"]})
    assert wb[sheet][first].value == "第一段。\n第二段。"
    assert read_narrative(wb)[key] == ["第一段。\n第二段。"]
