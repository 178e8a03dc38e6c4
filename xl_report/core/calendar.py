"""The official Chinese working-day calendar, for the reply deadlines of 条例第三十、三十三条.

Source: ``chinesecalendar`` (State Council holiday notices, incl. 调休 make-up workdays), flattened
once into a sorted table of working-day ordinals so a deadline is one ``bisect`` (≈1 µs) instead of
a day-by-day loop. A year the package does not know yet can be supplied in the config::

    [calendar]
    extra_holidays = ["2027-01-01", "2027-02-05"]   # weekdays that are days off
    extra_workdays = ["2027-02-20"]                 # weekend days that are 调休 workdays

Any year named there counts as known (weekdays work unless listed). A year known to neither raises
:class:`UnknownYear` — callers turn it into a warning finding; we never guess weekday-only silently.
"""

from __future__ import annotations

import functools
from bisect import bisect_left, bisect_right
from datetime import date

import chinese_calendar
from chinese_calendar import constants as _cc

from xl_report.core.errors import InputError
from xl_report.core.normalise import parse_date


class UnknownYear(Exception):
    """The holiday schedule of ``year`` is not known (neither chinesecalendar nor config)."""

    def __init__(self, year: int):
        super().__init__(year)
        self.year = year


def _package_years() -> range:
    """Years chinesecalendar covers (it raises NotImplementedError outside them)."""
    first = min(_cc.holidays).year
    last = first
    while True:
        try:
            chinese_calendar.is_workday(date(last + 1, 1, 1))
        except NotImplementedError:
            break
        last += 1
    return range(first, last + 1)


PACKAGE_YEARS = _package_years()


class WorkCalendar:
    """Working days of the known years; ``add_workdays`` / ``workdays_between`` via bisect."""

    def __init__(self, extra_holidays: tuple[date, ...] = (), extra_workdays: tuple[date, ...] = ()):
        off, on = set(extra_holidays), set(extra_workdays)
        self.years = frozenset(PACKAGE_YEARS) | {d.year for d in off | on}
        # by day ordinals, not dates (each batch worker builds this: ~20 years of days): the config's days
        # first, then the package's holidays and 调休 workdays, then Monday to Friday
        on_days, off_days = {d.toordinal() for d in on}, {d.toordinal() for d in off}
        package_work = {d.toordinal() for d in _cc.workdays if d.year in PACKAGE_YEARS}
        package_off = {d.toordinal() for d in _cc.holidays if d.year in PACKAGE_YEARS}
        days: list[int] = []
        for year in sorted(self.years):
            for o in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1):
                if o in on_days:
                    days.append(o)
                elif o in off_days or o in package_off:
                    continue
                elif o in package_work or o % 7 not in (0, 6):  # ordinal % 7: 0 is Sunday, 6 Saturday
                    days.append(o)
        self._days = days

    def _need(self, *years: int) -> None:
        for y in range(min(years), max(years) + 1):
            if y not in self.years:
                raise UnknownYear(y)

    def is_workday(self, d: date) -> bool:
        self._need(d.year)
        o = d.toordinal()
        i = bisect_left(self._days, o)
        return i < len(self._days) and self._days[i] == o

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` itself not counted; n >= 1)."""
        self._need(start.year)
        i = bisect_right(self._days, start.toordinal()) + n - 1
        if i >= len(self._days):
            raise UnknownYear(max(self.years) + 1)
        result = date.fromordinal(self._days[i])
        self._need(start.year, result.year)
        return result

    def workdays_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; 0 when b <= a."""
        if b <= a:
            return 0
        self._need(a.year, b.year)
        return bisect_right(self._days, b.toordinal()) - bisect_right(self._days, a.toordinal())


def _dates(values, key: str, source: str | None) -> tuple[date, ...]:
    if isinstance(values, (str, date)):
        values = [values]  # one date written without the list brackets
    if not isinstance(values, (list, tuple, type(None))):
        raise InputError.at(f'[calendar] {key} 应为日期列表，如 {key} = ["2027-01-01"]', file=source)
    out = []
    for raw in values or ():
        v = parse_date(raw) if isinstance(raw, (str, date)) else None
        if v is None:
            raise InputError.at(f'[calendar] {key} 中的“{raw}”不是日期，请写成 "2027-01-01" 的形式', file=source)
        out.append(v)
    return tuple(sorted(out))


@functools.lru_cache(maxsize=16)
def _cached(extra_holidays: tuple[date, ...], extra_workdays: tuple[date, ...]) -> WorkCalendar:
    return WorkCalendar(extra_holidays, extra_workdays)


def calendar_from_config(config: dict | None = None) -> WorkCalendar:
    """The calendar with the config's [calendar] overrides (built once per distinct override set)."""
    config = config or {}
    table = config.get("calendar") or {}
    source = config.get("_path")
    if not isinstance(table, dict):
        raise InputError.at(
            "配置文件中的 calendar 应为一节 [calendar]（含 extra_holidays、extra_workdays）", file=source
        )
    return _cached(
        _dates(table.get("extra_holidays"), "extra_holidays", source),
        _dates(table.get("extra_workdays"), "extra_workdays", source),
    )


__all__ = ["WorkCalendar", "UnknownYear", "calendar_from_config", "PACKAGE_YEARS"]
