"""Working-day calendar: chinesecalendar through a bisect table, checked against `holidays`."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest

from xl_report.core.calendar import PACKAGE_YEARS, UnknownYear, WorkCalendar, calendar_from_config
from xl_report.core.errors import InputError

CAL = calendar_from_config()


@pytest.mark.parametrize("year", range(2021, 2027))
def test_every_day_agrees_with_the_holidays_oracle(year):
    oracle = holidays.China(years=year)
    d = date(year, 1, 1)
    wrong = []
    while d.year == year:
        if CAL.is_workday(d) != oracle.is_working_day(d):
            wrong.append(d)
        d += timedelta(days=1)
    assert wrong == []


@pytest.mark.parametrize(
    "day",
    [
        "2021-02-07",
        "2021-09-18",
        "2021-10-09",
        "2025-01-26",
        "2025-02-08",
        "2025-09-28",
        "2025-10-11",
        "2026-01-04",
        "2026-02-14",
        "2026-10-10",
    ],
)
def test_tiaoxiu_weekend_days_are_workdays(day):
    d = date.fromisoformat(day)
    assert d.weekday() >= 5 and CAL.is_workday(d)


@pytest.mark.parametrize("day", ["2025-10-01", "2025-10-08", "2026-02-16", "2024-05-01", "2023-01-23"])
def test_holidays_are_days_off(day):
    assert not CAL.is_workday(date.fromisoformat(day))


def test_deadlines_over_national_day():
    # received Friday 2025-09-26: 20 working days (receipt day not counted) -> Thu 2025-10-30
    assert CAL.add_workdays(date(2025, 9, 26), 20) == date(2025, 10, 30)
    assert CAL.add_workdays(date(2025, 9, 26), 40) == date(2025, 11, 27)
    # a Saturday receipt starts counting on Monday
    assert CAL.add_workdays(date(2025, 3, 1), 1) == date(2025, 3, 3)
    assert CAL.workdays_between(date(2025, 10, 30), date(2025, 10, 31)) == 1
    assert CAL.workdays_between(date(2025, 10, 31), date(2025, 10, 30)) == 0


def test_deadlines_agree_with_the_oracle():
    oracle = holidays.China(years=range(2021, 2027))
    start = date(2021, 1, 1)
    for k in range(0, 2000, 7):
        d = start + timedelta(days=k)
        n, want = 0, d
        while n < 20:
            want += timedelta(days=1)
            n += oracle.is_working_day(want)
        if want.year > 2026:
            break
        assert CAL.add_workdays(d, 20) == want, d


def test_unknown_year_raises_a_typed_error():
    last = PACKAGE_YEARS[-1]
    with pytest.raises(UnknownYear) as e:
        CAL.is_workday(date(last + 1, 3, 1))
    assert e.value.year == last + 1
    with pytest.raises(UnknownYear):  # a deadline running into the unknown year
        CAL.add_workdays(date(last, 12, 20), 20)


def test_config_override_makes_a_year_known():
    y = PACKAGE_YEARS[-1] + 1
    cal = calendar_from_config(
        {"calendar": {"extra_holidays": [f"{y}-01-01", date(y, 1, 4)], "extra_workdays": [f"{y}-01-09"]}}
    )
    assert not cal.is_workday(date(y, 1, 1))  # a Friday made a holiday
    assert not cal.is_workday(date(y, 1, 4))
    assert cal.is_workday(date(y, 1, 9))  # a Saturday made a workday
    assert cal.is_workday(date(y, 1, 5))
    assert cal.add_workdays(date(y - 1, 12, 31), 1) == date(y, 1, 5)
    assert calendar_from_config({"calendar": {"extra_holidays": [f"{y}-01-01"]}}) is calendar_from_config(
        {"calendar": {"extra_holidays": [f"{y}-01-01"]}}
    )  # built once


def test_override_can_correct_a_known_year():
    cal = WorkCalendar(extra_holidays=(date(2025, 12, 31),))
    assert not cal.is_workday(date(2025, 12, 31)) and CAL.is_workday(date(2025, 12, 31))


def test_bad_config_date_is_an_input_error():
    with pytest.raises(InputError, match="extra_holidays"):
        calendar_from_config({"calendar": {"extra_holidays": ["2027-13-01"]}, "_path": "xl-report.toml"})


@pytest.mark.parametrize(
    "table, words", [(5, "[calendar]"), ({"extra_holidays": 5}, "日期列表"), ({"extra_workdays": ["x"]}, "“x”不是日期")]
)
def test_misshapen_calendar_config_is_an_input_error(table, words):
    with pytest.raises(InputError) as e:
        calendar_from_config({"calendar": table, "_path": "xl-report.toml"})
    assert words in str(e.value)


def test_one_date_without_brackets_is_accepted():
    day = next(d for d in (date(PACKAGE_YEARS[-1] + 1, 1, i) for i in range(1, 8)) if d.weekday() < 5)
    cal = calendar_from_config({"calendar": {"extra_holidays": day.isoformat()}})
    assert not cal.is_workday(day) and cal.is_workday(day + timedelta(days=7))
