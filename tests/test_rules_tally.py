"""Tally rules on the 依申请公开台账: R01 overdue reply, R02 late 补正 notice, R03 open past deadline at
31 Dec, R04 duplicate 编号, R05 unknown calendar year (warning, never a crash)."""

from __future__ import annotations

from datetime import date as D

import pytest

from xl_report.core.calendar import PACKAGE_YEARS
from xl_report.rules import check
from xl_report.rules.tally_rules import check as tally_check

from .rules_data import clean_report, tally

DONE_OK = "予以公开"


def row(no, received, **more):
    return {"编号": no, "收到日期": received, **more}


def test_on_time_rows_are_quiet():
    rows = [
        row("1", D(2025, 9, 26), 办结日期=D(2025, 10, 30), 办理结果=DONE_OK),  # exactly the 20th working day
        row("2", D(2025, 9, 26), 延期=True, 办结日期=D(2025, 11, 27), 办理结果=DONE_OK),
        row("3", D(2025, 9, 26), 征求意见工作日=5, 办结日期=D(2025, 11, 6), 办理结果=DONE_OK),
        row("4", D(2025, 3, 3), 补正告知日期=D(2025, 3, 12), 补正收到日期=D(2025, 4, 1), 办结日期=D(2025, 4, 29)),
        row("5", D(2025, 12, 10)),  # open at 31 Dec but not yet due
        row("6", D(2025, 11, 3), 补正告知日期=D(2025, 11, 6)),  # waiting for 补正: clock stopped
    ]
    assert tally_check(tally(rows, 2025)) == []


def test_r01_overdue_reply_names_row_and_days():
    (f,) = tally_check(tally([row("A1", D(2025, 9, 26), 办结日期=D(2025, 11, 3))], 2025))
    assert f.code == "R01" and f.severity == "warning" and f.row == 2 and f.sheet == "依申请公开台账"
    assert "编号 A1" in f.message and "答复期限 2025-10-30" in f.message and "逾期 2 个工作日" in f.message
    assert f.cell == "J2"  # the 办结日期 column


def test_r01_extension_and_consultation_extend_the_deadline():
    late = tally_check(tally([row("1", D(2025, 9, 26), 延期=True, 征求意见工作日=2, 办结日期=D(2025, 12, 2))], 2025))
    assert (
        [f.code for f in late] == ["R01"] and "2025-12-01" in late[0].message and "延期 20 个工作日" in late[0].message
    )


def test_r01_clock_restarts_at_correction():
    rows = [row("1", D(2025, 3, 3), 补正告知日期=D(2025, 3, 12), 补正收到日期=D(2025, 4, 1), 办结日期=D(2025, 4, 30))]
    (f,) = tally_check(tally(rows, 2025))
    assert f.code == "R01" and "补正收到日期 2025-04-01" in f.message


def test_r02_correction_notice_after_seven_working_days():
    (f,) = tally_check(tally([row("1", D(2025, 3, 3), 补正告知日期=D(2025, 3, 13))], 2025))
    assert f.code == "R02" and "2025-03-12" in f.message and "1 个工作日" in f.message and f.cell == "F2"


def test_r03_open_past_deadline_at_year_end():
    (f,) = tally_check(tally([row("9", D(2025, 11, 3))], 2025))
    assert f.code == "R03" and "2025-12-01" in f.message and "12月31日" in f.message


def test_r04_duplicate_numbers():
    (f,) = tally_check(
        tally(
            [
                row("7", D(2025, 3, 3), 办结日期=D(2025, 3, 4)),
                row("8", D(2025, 3, 3), 办结日期=D(2025, 3, 4)),
                row("7", D(2025, 3, 5), 办结日期=D(2025, 3, 6)),
            ],
            2025,
        )
    )
    assert f.code == "R04" and f.severity == "error" and "第 2、4 行" in f.message and f.row == 4


def test_r05_unknown_year_is_a_warning_not_a_crash():
    y = PACKAGE_YEARS[-1] + 1
    rows = [row("1", D(y, 3, 1), 办结日期=D(y, 3, 20)), row("2", D(y, 4, 1))]
    (f,) = tally_check(tally(rows, y))
    assert f.code == "R05" and f.severity == "warning" and f"{y}年" in f.message and "2 件" in f.message
    assert "[calendar]" in f.message


def test_r05_config_override_lets_the_check_run():
    y = PACKAGE_YEARS[-1] + 1
    config = {"calendar": {"extra_holidays": [f"{y}-01-01"]}}
    rows = [row("1", D(y, 3, 1), 办结日期=D(y, 6, 1))]
    assert [f.code for f in tally_check(tally(rows, y), config=config)] == ["R01"]


def test_empty_or_absent_request_sheet_is_quiet():
    from xl_report.core.tally import Tally

    assert tally_check(Tally()) == []
    assert tally_check(tally([])) == []


def test_check_runs_tally_rules_with_the_report_year():
    findings = check(clean_report(), tally=tally([row("1", D(2024, 11, 1))], year=None))
    assert [f.code for f in findings] == ["R03"]


@pytest.mark.parametrize("n", [2000])
def test_tally_rules_are_fast(n):
    import time

    rows = [row(str(i), D(2024, 1 + i % 12, 1 + i % 28), 办结日期=D(2024, 12, 30)) for i in range(n)]
    t = tally(rows)
    tally_check(t)
    start = time.perf_counter()
    tally_check(t)
    assert time.perf_counter() - start < 1.0
