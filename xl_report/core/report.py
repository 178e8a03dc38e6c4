"""ReportData: the numbers and texts of one annual report, addressed by cell name.

Pure data; the adapters (workbook files, live Excel books, published-report import) fill it in.
Values are kept as found (a number, None for blank, or the raw text when a cell holds something
that is not a number) so the rules can report form errors precisely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from xl_report.core import form


@dataclass
class ReportData:
    """One annual report: unit, year, contact, level, publication date, cell name -> value, 正文 paragraphs."""

    unit: str | None = None
    year: int | None = None
    contact: str | None = None
    level: str | None = None  # one of form.UNIT_LEVELS labels
    published: date | None = None
    values: dict[str, object] = field(default_factory=dict)  # cell name -> number | None | raw text
    narrative: dict[str, list[str]] = field(default_factory=dict)  # section key -> paragraphs
    missing: list[str] = field(default_factory=list)  # cell names the source did not have
    # where each named cell lives, for findings: name -> (sheet, A1)
    locations: dict[str, tuple[str, str]] = field(default_factory=dict)
    source: str | None = None

    @classmethod
    def zeros(cls, **meta) -> ReportData:
        return cls(values={name: 0 for name in form.CELL_NAMES}, **meta)

    def number(self, name: str) -> float | int | None:
        """The numeric value of a cell, or None when blank or not a number."""
        v = self.values.get(name)
        if isinstance(v, bool):
            return None
        if isinstance(v, (int, float)):
            return v
        return None

    def num0(self, name: str) -> float | int:
        v = self.number(name)
        return 0 if v is None else v

    def with_totals(self) -> ReportData:
        """Fill every computed (总计) cell from its parts, as the template formulas do.

        form.COMPUTED_FROM lists a total after the totals it sums, so one pass is enough.
        """
        values = self.values
        for name, parts in form.COMPUTED_FROM.items():  # plain ints (most cells) skip num0's checks
            values[name] = _clean(sum([v if (v := values.get(p)).__class__ is int else self.num0(p) for p in parts]))
        return self

    def location(self, name: str) -> tuple[str | None, str | None]:
        return self.locations.get(name, (form.CELL_BY_NAME[name].table if name in form.CELL_BY_NAME else None, None))


def _clean(x: float | int) -> float | int:
    """Keep whole numbers as int; round amounts to 4 decimals (万元 with 元 precision)."""
    if isinstance(x, float):
        x = round(x, 4)
        if x.is_integer():
            return int(x)
    return x
