"""Plausibility: F11 规章 without 规章制定权, A05 fee in 元, X03 identical to last year, D01 published late."""

from __future__ import annotations

import copy
from datetime import date

import pandas as pd
import pytest

from xl_report.core import form
from xl_report.core.tally import Tally
from xl_report.rules.plausibility import check

from .rules_data import clean_report, previous_report


def test_clean_report_is_quiet():
    assert check(clean_report(), previous_report()) == []


@pytest.mark.parametrize("level", [u.label for u in form.UNIT_LEVELS])
def test_f11_rules_only_for_units_without_rule_making_power(level):
    r = clean_report(level=level)
    r.values["t2_rules_issued"] = 2
    found = [f for f in check(r) if f.code == "F11"]
    can = form.UNIT_LEVEL_BY_LABEL[level].can_make_rules
    assert bool(found) is (not can)
    if found:
        assert found[0].severity == "warning" and found[0].name == "t2_rules_issued"
        assert level in found[0].message and "本年制发件数 2" in found[0].message


def test_f11_quiet_when_level_unknown():
    r = clean_report(level=None)
    r.values["t2_rules_in_force"] = 1
    assert check(r) == []


def test_a05_fee_looks_like_yuan():
    r = clean_report()
    r.values["t2_fees_amount"] = 35000
    (f,) = check(r)
    assert f.code == "A05" and f.severity == "warning" and "35000 万元" in f.message


def test_a05_limit_is_higher_for_governments_and_configurable():
    r = clean_report(level="设区的市级人民政府")
    r.values["t2_fees_amount"] = 35000
    assert check(r) == []
    assert [f.code for f in check(r, config={"rules": {"fee_limit_wan": 100}})] == ["A05"]


def test_a05_fee_equal_to_the_tally_sum_in_yuan():
    r = clean_report()
    r.values["t2_fees_amount"] = 350
    fees = pd.DataFrame(
        {"收费项目": ["复印", "工本"], "收费日期": [date(2024, 3, 1)] * 2, "金额（元）": [200.0, 150.0], "_row": [2, 3]}
    )
    (f,) = check(r, tally=Tally(fees=fees))
    assert f.code == "A05" and "350 元" in f.message and "0.035" in f.message
    r.values["t2_fees_amount"] = 0.035
    assert check(r, tally=Tally(fees=fees)) == []


def test_x03_identical_to_last_year():
    r = clean_report()
    p = copy.deepcopy(r)
    p.year = r.year - 1
    (f,) = [f for f in check(r, p) if f.code == "X03"]
    assert f.severity == "warning" and "完全相同" in f.message
    assert check(r.zeros(unit="x", year=2024, level="乡镇人民政府"), r.zeros()) == []  # all zeros: fine


@pytest.mark.parametrize(
    "level, published, late",
    [
        ("乡镇人民政府", date(2025, 1, 31), False),
        ("乡镇人民政府", date(2025, 2, 3), True),
        ("县级人民政府", date(2025, 3, 31), False),
        ("县级人民政府", date(2025, 4, 1), True),
    ],
)
def test_d01_publication_deadline(level, published, late):
    r = clean_report(level=level, published=published)
    found = [f for f in check(r) if f.code == "D01"]
    assert bool(found) is late
    if late:
        assert found[0].severity == "error" and found[0].name == "meta_published"


def test_d01_deadline_configurable():
    r = clean_report(published=date(2025, 2, 10))
    assert check(r, config={"deadlines": {"other": "02-28"}}) == []


def test_a05_tally_sum_counts_only_the_report_year():
    """A tally kept over several years: the 元 total compared with the cell is the report year's (as fill counts)."""
    r = clean_report()
    r.values["t2_fees_amount"] = 350
    fees = pd.DataFrame(
        {
            "收费项目": ["复印", "工本", "旧"],
            "收费日期": [date(r.year, 3, 1), date(r.year, 5, 1), date(r.year - 1, 5, 1)],
            "金额（元）": [200.0, 150.0, 90.0],
            "_row": [2, 3, 4],
        }
    )
    (f,) = check(r, tally=Tally(fees=fees))
    assert f.code == "A05" and "350 元" in f.message


@pytest.mark.parametrize(
    "config",
    [
        {"deadlines": {"other": "02-30"}},
        {"deadlines": {"other": "1月"}},
        {"rules": {"fee_limit_wan": "1000"}},
        {"rules": {"fee_limit_wan": -1}},
    ],
)
def test_bad_config_values_are_input_errors_not_tracebacks(config):
    from xl_report.core.errors import InputError

    with pytest.raises(InputError, match=r"\[(deadlines|rules)\]"):
        check(clean_report(), config=config)


def test_deadline_may_be_written_in_chinese():
    r = clean_report()
    r.published = date(r.year + 1, 2, 1)
    assert [f.code for f in check(r, config={"deadlines": {"other": "1月31日"}})] == ["D01"]
    assert check(r, config={"deadlines": {"other": "2月1日"}}) == []
