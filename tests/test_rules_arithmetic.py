"""A01–A04 and the single-cell corruption guarantee, on ReportData (pure, fast)."""

from __future__ import annotations

import time

import pytest

from xl_report.core import form
from xl_report.rules import check
from xl_report.rules.arithmetic import check as arithmetic

from .rules_data import clean_report, previous_report, tally

IDENTITY_NAMES = sorted({n for i in form.IDENTITIES for n in i.names})


def codes(findings):
    return sorted({f.code for f in findings})


def test_clean_report_has_no_findings_at_all():
    assert check(clean_report(), previous=previous_report()) == []


def test_a01_message_names_the_numbers():
    r = clean_report()
    r.values["t3_carried_out_person"] = 1  # 10 + 2 = 10 + 1 is false
    found = [f for f in arithmetic(r) if f.code == "A01"]
    assert len(found) == 1
    f = found[0]
    assert f.message == "表三 自然人列：新收 10 + 上年结转 2 ≠ 办理结果总计 10 + 结转下年度 1（相差 1）"
    assert f.severity == "error" and f.sheet == "表三"
    assert f.names[:4] == ("t3_new_person", "t3_carried_in_person", "t3_total_person", "t3_carried_out_person")
    assert "t3_open_person" in f.names  # a part of the 总计 formula: a wrong part is named too


@pytest.mark.parametrize(
    "code, name, value",
    [
        ("A02", "t3_new_total", 12),  # row total ≠ six columns
        ("A03", "t3_total_business", 0),  # （七）总计 0 though its parts are not
        ("A04", "t4_review_total", 0),
        ("A04", "t4_suit_after_total", 3),
    ],
)
def test_each_identity_fires(code, name, value):
    r = clean_report()
    r.values[name] = value
    found = [f for f in arithmetic(r) if f.code == code]
    assert found and all(f.severity == "error" for f in found)
    assert any(f.name == name for f in found)


def test_blank_total_with_non_zero_parts_is_caught_as_arithmetic_too():
    r = clean_report()
    r.values["t4_review_total"] = None
    assert "A04" in codes(arithmetic(r))


def test_text_cells_do_not_produce_meaningless_sums():
    r = clean_report()
    r.values["t3_open_person"] = "6（其中修订2件）"
    assert [f.code for f in check(r)] == ["F06"]


@pytest.mark.parametrize("name", IDENTITY_NAMES)
def test_any_single_cell_corruption_is_caught_and_named(name):
    r = clean_report()
    r.values[name] = r.values[name] + 1
    errors = [f for f in check(r) if f.is_error]
    assert errors, name
    assert any(name in f.names or f.name == name for f in errors)


@pytest.mark.parametrize("name", IDENTITY_NAMES[::9])
@pytest.mark.parametrize("bad", [None, "/", -1, 2.5, "3件"])
def test_other_corruptions_are_caught_and_named(name, bad):
    r = clean_report()
    r.values[name] = bad
    assert any(f.is_error and (f.name == name or name in f.names) for f in check(r))


def test_check_is_fast():
    r, p = clean_report(), previous_report()
    t = tally([{"编号": str(i), "收到日期": __import__("datetime").date(2024, 3, 1 + i % 28)} for i in range(50)])
    check(r, previous=p, tally=t)  # warm the calendar
    start = time.perf_counter()
    for _ in range(50):
        check(r, previous=p)
    per = (time.perf_counter() - start) / 50
    assert per < 0.01, f"{per * 1000:.1f} ms per report"
