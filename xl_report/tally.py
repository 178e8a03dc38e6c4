"""Tally sheets (台账) → Tally: read with pandas + calamine, normalise, validate every row.

Contract (other modules rely on it): each present sheet is a pandas DataFrame whose columns are the
schema headers of :mod:`xl_report.tally_schema` (absent optional columns added, all missing), plus
``_row`` = the Excel row number. Dates are ``datetime.date`` or None, 延期 is bool, ints are int,
金额（元） is float, choice columns hold the canonical value. A sheet that is absent is ``None``.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass
class Tally:
    source: str | None = None
    requests: pd.DataFrame | None = None  # 依申请公开台账
    documents: pd.DataFrame | None = None  # 文件台账
    decisions: pd.DataFrame | None = None  # 执法决定台账
    fees: pd.DataFrame | None = None  # 收费台账
    cases: pd.DataFrame | None = None  # 复议诉讼台账
    unit: str | None = None  # from 说明 (meta_unit) when the tally is the template
    year: int | None = None  # from 说明 (meta_year)

    def sheet(self, key: str) -> pd.DataFrame | None:
        return getattr(self, key)

    @property
    def present(self) -> tuple[str, ...]:
        return tuple(k for k in ("requests", "documents", "decisions", "fees", "cases") if self.sheet(k) is not None)
