"""Cross-year: X01 carry-over (error), X02 in-force stock (warning), X04 wrong previous year."""

from __future__ import annotations

from xl_report.rules.crossyear import check

from .rules_data import clean_report, previous_report


def test_quiet_on_consistent_years_and_without_previous():
    assert check(clean_report(), previous_report()) == []
    assert check(clean_report(), None) == []


def test_x01_carry_over_per_column():
    p = previous_report()
    p.values["t3_carried_out_person"] = 4
    p.values["t3_carried_out_business"] = 1
    found = check(clean_report(), p)
    x01 = [f for f in found if f.code == "X01"]
    assert [f.name for f in x01] == ["t3_carried_in_person", "t3_carried_in_business"]
    assert x01[0].severity == "error"
    assert x01[0].message == "表三 自然人列：上年结转 2 ≠ 上一年度（2023年）报告的结转下年度 4"


def test_x02_stock_identity():
    p = previous_report()
    p.values["t2_normative_in_force"] = 9
    (f,) = check(clean_report(), p)
    assert f.code == "X02" and f.severity == "warning" and f.name == "t2_normative_in_force"
    assert "12 ≠ 上年现行有效件数 9 + 本年制发件数 3 − 本年废止件数 1 = 11" in f.message


def test_x04_previous_is_not_last_year():
    p = previous_report()
    p.year = 2022
    assert [f.code for f in check(clean_report(), p)] == ["X04"]


def test_a_wrong_year_previous_gives_x04_alone_from_the_whole_check():
    """Carry-over and stock compared with another year's report would be noise on top of X04."""
    from xl_report.rules import check as check_all

    p = previous_report()
    p.year = 2022
    p.values["t3_carried_out_person"] = 4  # would be X01 against the right year
    p.values["t2_normative_in_force"] = 9  # would be X02
    codes = [f.code for f in check_all(clean_report(), p, narrative={})]
    assert "X04" in codes and not {"X01", "X02", "X03"} & set(codes)
    p.year = 2023
    assert {"X01", "X02"} <= {f.code for f in check_all(clean_report(), p, narrative={})}
