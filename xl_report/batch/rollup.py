"""What the county summary sums up and keeps of each unit while the workers run, without openpyxl.

:class:`RollupSum` is the 全县合计 roll-up (the workers sum their chunks' shares with it);
:class:`UnitDetails` keeps what the summary needs of every unit beyond its row (its cells in the
roll-up, its chart figures, its findings spooled to a temporary file), so memory stays flat in the
number of units. :mod:`xl_report.batch.summary` writes 汇总.xlsx and findings.json from them.
"""

from __future__ import annotations

import json
import math
import tempfile
from fractions import Fraction
from typing import cast

from xl_report.core import form
from xl_report.core.figures import figures
from xl_report.core.findings import Finding
from xl_report.core.report import ReportData
from xl_report.rules import check

SUMMARY_FILE = "汇总.xlsx"
FINDINGS_FILE = "findings.json"
ROLLUP = "全县合计"


class RollupSum:
    """Cell-by-cell sum of unit reports, one unit at a time (text in a number cell counts as 0).

    Exact whatever the order units arrive in: integers as integers, floats as fractions (a float
    converts to a Fraction exactly); a cell that ever held a float gives a float rounded to 4 decimals.
    """

    def __init__(self) -> None:
        self.ints: dict[str, int] = dict.fromkeys(form.CELL_NAMES, 0)
        self.floats: dict[str, Fraction] = {}
        self.odd: dict[str, float] = {}  # NaN / infinity: no Fraction; they poison the sum as before

    def add(self, values: dict[str, object]) -> None:
        ints = self.ints
        for name, v in values.items():
            if v.__class__ is int and name in ints:  # the usual case
                ints[name] += v
                continue
            if name not in ints or isinstance(v, bool):
                continue
            if isinstance(v, int):
                ints[name] += v
            elif isinstance(v, float):
                if math.isfinite(v):
                    self.floats[name] = self.floats.get(name, 0) + Fraction(v)
                else:
                    self.odd[name] = self.odd.get(name, 0.0) + v

    def subtract(self, values: dict[str, object]) -> None:
        """Take back what :meth:`add` added for ``values`` (exact, like the sum)."""
        self.add({n: -v for n, v in values.items() if isinstance(v, (int, float)) and not isinstance(v, bool)})

    def merge(self, other: RollupSum) -> None:
        """Add another sum (e.g. a worker's share): exact, so the grouping does not matter."""
        for name, n in other.ints.items():
            self.ints[name] += n
        for name, fraction in other.floats.items():
            self.floats[name] = self.floats.get(name, 0) + fraction
        for name, odd in other.odd.items():
            self.odd[name] = self.odd.get(name, 0.0) + odd

    def report(self, year: int | None) -> ReportData:
        values: dict[str, float | int] = dict(self.ints)
        for name in self.floats.keys() | self.odd.keys():
            values[name] = round(float(values[name] + self.floats.get(name, 0)) + self.odd.get(name, 0.0), 4)
        return ReportData(unit=ROLLUP, year=year, values=cast(dict[str, object], values)).with_totals()


def rollup(units, year: int | None) -> ReportData:
    """Cell-by-cell sum of every unit that produced a report (text in a number cell counts as 0)."""
    total = RollupSum()
    for u in units:
        total.add(u.values)
    return total.report(year)


class UnitDetails:
    """What the summary needs from the units beyond their rows: the roll-up sum and the findings.

    :meth:`add` takes a unit result, adds its cells to the roll-up, spools its findings to a
    temporary file and empties both fields, so the caller can keep the result as a summary row.
    """

    def __init__(self) -> None:
        self.rollup = RollupSum()
        self.figures: dict[str, dict] = {}  # source -> the unit's chart figures (core.figures)
        self._spool = tempfile.TemporaryFile()
        self._where: dict[str, tuple[int, int, int]] = {}  # source -> (offset, length, findings)

    def add(self, u) -> None:
        if u.has_report:
            self.rollup.add(u.values)
            self.figures[u.source] = u.figures or figures(u.values)
        if u.findings:
            data = json.dumps(u.findings, ensure_ascii=False, default=str).encode("utf-8")
            offset = self._spool.seek(0, 2)
            self._spool.write(data)
            self._where[u.source] = (offset, len(data), len(u.findings))
        u.values, u.findings = {}, []

    def remove(self, u, values: dict[str, object]) -> None:
        """Take back a unit counted by :meth:`add` (``values``: its cells, which add emptied)."""
        if u.has_report:
            self.rollup.subtract(values)
        self._where.pop(u.source, None)
        self.figures.pop(u.source, None)

    def findings(self, u) -> list[dict]:
        if u.findings or u.source not in self._where:
            return u.findings
        offset, length, _ = self._where[u.source]
        self._spool.seek(offset)
        return json.loads(self._spool.read(length).decode("utf-8"))

    def count(self, u) -> int:
        return len(u.findings) or self._where.get(u.source, (0, 0, 0))[2]

    def close(self) -> None:
        self._spool.close()


class InMemoryDetails:
    """UnitDetails' interface over results that still hold their values and findings."""

    def __init__(self, units) -> None:
        self.rollup = RollupSum()
        self.figures: dict[str, dict] = {}
        for u in units:
            if u.has_report:
                self.rollup.add(u.values)
                self.figures[u.source] = figures(u.values)

    @staticmethod
    def findings(u) -> list[dict]:
        return u.findings

    @staticmethod
    def count(u) -> int:
        return len(u.findings)

    def close(self) -> None:
        pass


def check_rollup(report: ReportData, config: dict | None = None) -> list[Finding]:
    """The table checks on the roll-up (unit metadata such as 联系电话 does not apply to a sum)."""

    return [
        f
        for f in check(report, narrative={}, config=config)
        if not (f.name or "").startswith("meta_") and f.sheet != form.SHEET_README
    ]
