"""Counting rules tally → 表二/表三/表四, with hand-computed expectations (issue 3)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xl_report.core import form
from xl_report.core.aggregate import aggregate, placeholder_numbers
from xl_report.core.tally_schema import APPLICANT_TYPES, CASE_CATEGORIES, CASE_RESULTS, RESULT_CHOICES

from .tally_factory import case, decision, document, fee, make_tally_workbook, request, tally_from_rows

D = date
T3 = form.t3
T4 = form.t4

REQUESTS = [
    request("r1", D(2021, 12, 20), "自然人", D(2023, 1, 10), "予以公开"),  # carried twice, concluded 2023
    request("r2", D(2022, 12, 28), "企业"),  # pending for years
    request("r3", D(2022, 6, 1), "个人", D(2022, 7, 1), "予以公开"),  # done in 2022
    request("r4", "2023-03-05", "律师事务所", "2023/3/20", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    request("r5", D(2023, 12, 30), "自然人", D(2024, 1, 5), "不予公开-保护第三方合法权益"),
    request("r6", D(2024, 1, 2), "其他"),
    request("r7", "2023年5月5日", "科研机构", "2023.5.6", "（三）不予公开 4.保护第三方合法权益"),
]


def nonzero(values: dict, prefix: str) -> dict:
    return {k: v for k, v in values.items() if k.startswith(prefix) and v}


def assert_identities(values: dict) -> None:
    for ident in form.IDENTITIES:
        lhs = sum(values[n] for n in ident.lhs)
        rhs = sum(values[n] for n in ident.rhs)
        assert lhs == rhs, (ident.code, ident.where)


def test_requests_2023_hand_counted():
    res = aggregate(tally_from_rows(requests=REQUESTS), 2023)
    v = res.report.values
    assert nonzero(v, "t3_") == {
        T3("new", "legal"): 1,
        T3("new", "person"): 1,
        T3("new", "research"): 1,
        T3("new", "total"): 3,
        T3("carried_in", "person"): 1,
        T3("carried_in", "business"): 1,
        T3("carried_in", "total"): 2,
        T3("open", "person"): 1,
        T3("open", "total"): 1,
        T3("partial", "legal"): 1,
        T3("partial", "total"): 1,  # 部分公开 only, not also 不予公开
        T3("deny_4", "research"): 1,
        T3("deny_4", "total"): 1,
        T3("total", "person"): 1,
        T3("total", "legal"): 1,
        T3("total", "research"): 1,
        T3("total", "total"): 3,
        T3("carried_out", "business"): 1,
        T3("carried_out", "person"): 1,
        T3("carried_out", "total"): 2,
    }
    assert len([n for n in v if n.startswith("t3_")]) == 175  # the whole table, zeros included
    assert res.tables == ("表三",)
    assert any("1 件申请的收到日期晚于 2023 年" in n for n in res.notes)
    assert_identities({n: res.report.values.get(n, 0) for n in form.CELL_NAMES})
    assert placeholder_numbers(res.report, res.tables) == {
        "新收": 3,
        "上年结转": 2,
        "办结": 3,
        "结转下年度": 2,
        "予以公开": 1,
        "部分公开": 1,
    }


def test_multi_year_carry_over_is_continuous():
    tally = tally_from_rows(requests=REQUESTS)
    by_year = {y: aggregate(tally, y).report.values for y in (2021, 2022, 2023, 2024)}
    assert by_year[2022][T3("carried_in", "total")] == 1  # r1
    assert by_year[2022][T3("new", "total")] == 2  # r2, r3
    assert by_year[2022][T3("open", "total")] == 1  # r3
    assert by_year[2024][T3("carried_in", "total")] == 2  # r2, r5
    assert by_year[2024][T3("deny_4", "person")] == 1  # r5 concluded in 2024, counted there only
    assert by_year[2024][T3("carried_out", "total")] == 2  # r2, r6
    for y in (2022, 2023, 2024):  # this year's 上年结转 = last year's 结转下年度, column by column
        for col in form.T3_APPLICANT_COLUMNS:
            assert by_year[y][T3("carried_in", col)] == by_year[y - 1][T3("carried_out", col)]


def test_documents_issued_repealed_in_force():
    docs = [
        document("办法甲", "规章", D(2019, 5, 1), D(2023, 6, 1)),
        document("通知乙", "行政规范性文件", D(2023, 2, 1)),
        document("意见丙", "行政规范性文件", D(2020, 1, 1), D(2024, 3, 1)),  # repealed after Y: still in force
        document("规定丁", "行政规范性文件", D(2024, 1, 5)),  # issued after Y: nothing
        document("细则戊", "规范性文件", D(2023, 12, 31), D(2023, 12, 31)),
    ]
    res = aggregate(tally_from_rows(documents=docs), 2023)
    assert res.report.values == {
        "t2_rules_issued": 0,
        "t2_rules_repealed": 1,
        "t2_rules_in_force": 0,
        "t2_normative_issued": 2,
        "t2_normative_repealed": 1,
        "t2_normative_in_force": 2,
    }
    assert res.tables == ("表二",)


def test_decisions_sum_quantities_default_one():
    rows = [
        decision("行政许可", D(2023, 1, 1)),  # blank 数量 = 1
        decision("许可", D(2023, 6, 1), 5),
        decision("行政处罚", D(2022, 12, 31), 3),  # last year
        decision("处罚", "2023-12-31"),
    ]
    res = aggregate(tally_from_rows(decisions=rows), 2023)
    assert res.report.values == {"t2_licensing_decisions": 6, "t2_penalty_decisions": 1, "t2_coercion_decisions": 0}


def test_fees_yuan_to_wanyuan_four_decimals():
    rows = [
        fee("工本费", D(2023, 3, 1), 12345.67),
        fee("工本费", D(2023, 4, 1), "1,000元"),
        fee("工本费", D(2023, 5, 1), 0.33),
        fee("工本费", D(2022, 5, 1), 5000),
    ]
    res = aggregate(tally_from_rows(fees=rows), 2023)
    assert res.report.values == {"t2_fees_amount": 1.3346}  # 13,346.00 元
    whole = aggregate(tally_from_rows(fees=[fee("x", D(2023, 1, 2), 50000)]), 2023)
    assert whole.report.values["t2_fees_amount"] == 5 and isinstance(whole.report.values["t2_fees_amount"], int)
    tiny = aggregate(tally_from_rows(fees=[fee("x", D(2023, 1, 2), 0.4)]), 2023)
    assert tiny.report.values["t2_fees_amount"] == 0  # below 1 元 precision of 万元 with 4 decimals


def test_fees_round_half_up_like_a_hand_count():
    # 1,550.50 元 = 0.15505 万元 → 0.1551 by hand; binary floats made it 0.155 (0.155049999…)
    res = aggregate(tally_from_rows(fees=[fee("x", D(2023, 3, 1), 1200), fee("x", D(2023, 8, 8), "350.5")]), 2023)
    assert res.report.values["t2_fees_amount"] == 0.1551


CASES = [
    case("c1", "行政复议", D(2022, 11, 1), "结果维持", D(2023, 2, 1)),
    case("c2", "复议", D(2023, 3, 1), "撤销", D(2024, 1, 10)),  # pending at the end of 2023
    case("c3", "直接起诉", D(2021, 1, 1), "维持", D(2022, 5, 5)),  # concluded before Y: ignored
    case("c4", "行政诉讼-复议后起诉", D(2023, 10, 10)),
    case("c5", "行政诉讼-未经复议直接起诉", D(2023, 1, 1), "其他结果", D(2023, 6, 1)),
    case("c6", "行政复议", D(2024, 2, 2)),
]


def test_cases_spanning_years():
    tally = tally_from_rows(cases=CASES)
    v = aggregate(tally, 2023).report.values
    assert nonzero(v, "t4_") == {
        T4("review", "upheld"): 1,
        T4("review", "pending"): 1,
        T4("review", "total"): 2,
        T4("suit_direct", "other"): 1,
        T4("suit_direct", "total"): 1,
        T4("suit_after", "pending"): 1,
        T4("suit_after", "total"): 1,
    }
    v24 = aggregate(tally, 2024).report.values
    assert nonzero(v24, "t4_") == {
        T4("review", "corrected"): 1,
        T4("review", "pending"): 1,
        T4("review", "total"): 2,
        T4("suit_after", "pending"): 1,
        T4("suit_after", "total"): 1,
    }
    assert nonzero(aggregate(tally, 2022).report.values, "t4_") == {
        T4("review", "pending"): 1,
        T4("review", "total"): 1,
        T4("suit_direct", "upheld"): 1,
        T4("suit_direct", "total"): 1,
    }


def test_empty_sheet_is_authoritative_absent_sheet_is_not():
    res = aggregate(tally_from_rows(requests=[], fees=[]), 2023)
    assert res.tables == ("表二", "表三")
    assert set(res.report.values) == {n for n in form.CELL_NAMES if n.startswith("t3_")} | {"t2_fees_amount"}
    assert all(v == 0 for v in res.report.values.values())
    notes = "\n".join(res.notes)
    for absent in ("文件台账", "执法决定台账", "复议诉讼台账"):
        assert f"没有“{absent}”工作表" in notes
    assert "行政许可、行政处罚、行政强制" in notes and "收费台账" not in notes


def test_year_must_be_an_int():
    from xl_report.core.errors import InputError

    with pytest.raises(InputError):
        aggregate(tally_from_rows(requests=[]), "2023")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Property: random tallies — identities hold and an independent, naive count agrees
# --------------------------------------------------------------------------------------------
BASE = D(2021, 1, 1)
# year boundaries (31 Dec / 1 Jan) are where counting rules go wrong: draw them often
EDGES = [(D(y, m, d) - BASE).days for y in range(2021, 2026) for m, d in ((1, 1), (12, 31)) if D(y, m, d) >= BASE]
days = st.one_of(st.integers(0, 4 * 366), st.sampled_from(EDGES))
maybe_days = st.one_of(st.none(), st.integers(0, 500), st.sampled_from([0, 1, 365]))

request_rows = st.lists(
    st.tuples(days, maybe_days, st.sampled_from(APPLICANT_TYPES), st.sampled_from(RESULT_CHOICES)), max_size=40
)
case_rows = st.lists(
    st.tuples(days, maybe_days, st.sampled_from(CASE_CATEGORIES), st.sampled_from(CASE_RESULTS)), max_size=15
)
doc_rows = st.lists(st.tuples(days, maybe_days, st.sampled_from(["规章", "行政规范性文件"])), max_size=15)


def _requests(rows):
    return [
        request(
            i, BASE + timedelta(r), kind, None if d is None else BASE + timedelta(r + d), None if d is None else res
        )
        for i, (r, d, kind, res) in enumerate(rows)
    ]


def _cases(rows):
    return [
        case(
            f"c{i}",
            kind,
            BASE + timedelta(r),
            None if d is None else res,
            None if d is None else BASE + timedelta(r + d),
        )
        for i, (r, d, kind, res) in enumerate(rows)
    ]


def _docs(rows):
    return [
        document(f"d{i}", kind, BASE + timedelta(r), None if d is None else BASE + timedelta(r + d))
        for i, (r, d, kind) in enumerate(rows)
    ]


def naive_counts(reqs, cases, docs, y: int) -> dict:
    """Written independently of aggregate: per row, where is it on 1 Jan and on 31 Dec of y?"""
    col = {lab: key for key, lab, _ in form.T3_COLUMNS}
    out: dict = {}

    def add(name, n=1):
        out[name] = out.get(name, 0) + n

    for r in reqs:
        got, done, c = r["收到日期"].year, r["办结日期"].year if r["办结日期"] else 9999, col[r["申请人类型"]]
        if got == y:
            add(T3("new", c))
        if got < y <= done:
            add(T3("carried_in", c))
        if done == y:
            add(T3(form.RESULT_VALUES[r["办理结果"]], c))
        if got <= y < done:
            add(T3("carried_out", c))
    groups = dict(zip(CASE_CATEGORIES, ("review", "suit_direct", "suit_after")))
    outcomes = dict(zip(CASE_RESULTS, ("upheld", "corrected", "other")))
    for k in cases:
        got, done = k["收到日期"].year, k["结案日期"].year if k["结案日期"] else 9999
        if done == y:
            add(T4(groups[k["类别"]], outcomes[k["结果"]]))
        elif got <= y < done:
            add(T4(groups[k["类别"]], "pending"))
    items = {"规章": "rules", "行政规范性文件": "normative"}
    for d in docs:
        issued, repealed = d["印发日期"].year, d["废止日期"].year if d["废止日期"] else 9999
        it = items[d["类别"]]
        if issued == y:
            add(f"t2_{it}_issued")
        if repealed == y:
            add(f"t2_{it}_repealed")
        if issued <= y < repealed:
            add(f"t2_{it}_in_force")
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request_rows, case_rows, doc_rows, st.integers(2021, 2025))
def test_property_random_tallies(req_rows, c_rows, d_rows, year):
    reqs, cases, docs = _requests(req_rows), _cases(c_rows), _docs(d_rows)
    res = aggregate(tally_from_rows(requests=reqs, cases=cases, documents=docs), year)
    values = res.report.values
    assert_identities({n: values.get(n, 0) for n in form.CELL_NAMES})
    expected = naive_counts(reqs, cases, docs, year)
    parts = {n: v for n, v in values.items() if v and not form.CELL_BY_NAME[n].computed}
    assert parts == expected
    # every request counted at most once in 三, and 三 ⊆ (一 + 二)
    assert values[T3("total", "total")] <= values[T3("new", "total")] + values[T3("carried_in", "total")]


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(request_rows, case_rows, st.integers(2021, 2025))
def test_property_file_round_trip_agrees(tmp_path, req_rows, c_rows, year):
    """The same rows through a real .xlsx (openpyxl writes, calamine reads) give the same numbers."""
    from xl_report.xlsx.tally_reader import read_tally

    reqs, cases = _requests(req_rows), _cases(c_rows)
    path = make_tally_workbook(tmp_path / "t.xlsx", requests=reqs, cases=cases, base_template=False)
    from_file = aggregate(read_tally(path), year).report.values
    assert from_file == aggregate(tally_from_rows(requests=reqs, cases=cases), year).report.values


def test_a_year_other_than_the_workbooks_own_is_noted():
    rows = [request("1", date(2024, 3, 1))]
    assert not any("请核对年度" in n for n in aggregate(tally_from_rows(year=2024, requests=rows), 2024).notes)
    (note,) = [n for n in aggregate(tally_from_rows(year=2024, requests=rows), 2031).notes if "请核对年度" in n]
    assert "按 2031 年度统计" in note and "报告年度是 2024 年" in note
