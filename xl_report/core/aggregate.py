"""Tally → the numbers of 表二, 表三 and 表四 for one report year, with the counting rules of the format.

Rules (docs/format-notes.md §1), for report year Y:

- 表三 一 新收: received in Y. 二 上年结转: received before Y, not concluded before 1 Jan Y.
  三 results: concluded in Y, once, in the row of its result. 四 结转下年度: received by 31 Dec Y, not
  concluded by then. Columns by applicant type; totals are the sums (the 勾稽 identity then holds).
- 表二 （一）: 制发 = issued in Y; 废止 = repealed in Y; 现行有效 = issued by 31 Dec Y, not repealed by then.
  （五）（六）: sum of 数量 (blank = 1) of decisions dated in Y. （八）: 元 dated in Y ÷ 10,000 → 万元, 4 decimals.
- 表四: concluded in Y → its result; received by 31 Dec Y and not concluded by then → 尚未审结.

A tally sheet that is present (even empty) is authoritative: all its cells are in ``report.values``
(zeros included). An absent sheet contributes no values at all — the caller keeps what is there —
and a Chinese note says so.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

from xl_report.core import form
from xl_report.core.errors import InputError
from xl_report.core.report import ReportData
from xl_report.core.tally import Tally
from xl_report.core.tally_schema import CASE_CATEGORIES, CASES, DECISIONS, DOCUMENTS, FEES, REQUESTS, TallySheet

YUAN_PER_WANYUAN = 10_000
AMOUNT_DECIMALS = 4

_APPLICANT_COL = {label: key for key, label, _ in form.T3_COLUMNS if key != "total"}
_DOC_ITEM = {label: key for key, label in form.T2_BLOCKS[0].items}
_DECISION_ITEM = {label: key for block in form.T2_BLOCKS[1:3] for key, label in block.items}
_FEE_CELL = form.t2(form.T2_BLOCKS[3].items[0][0], form.T2_BLOCKS[3].measures[0][0])
_CASE_GROUP = dict(zip(CASE_CATEGORIES, (g for g, _ in form.T4_GROUPS)))
_CASE_OUTCOME = {label: key for key, label in form.T4_OUTCOMES}

# which cells each tally sheet owns
_SHEET_CELLS: dict[str, tuple[str, ...]] = {
    REQUESTS.key: tuple(c.name for c in form.CELLS if c.table == "表三"),
    DOCUMENTS.key: tuple(
        form.t2(item, m) for item, _ in form.T2_BLOCKS[0].items for m, _ in form.T2_BLOCKS[0].measures
    ),
    DECISIONS.key: tuple(form.t2(item, "decisions") for item in _DECISION_ITEM.values()),
    FEES.key: (_FEE_CELL,),
    CASES.key: tuple(c.name for c in form.CELLS if c.table == "表四"),
}
# every total with its parts, totals of totals (（七）总计·总计) last
_TOTALS = tuple(
    (n, form.COMPUTED_FROM[n])
    for n in sorted(form.COMPUTED_FROM, key=lambda n: any(p in form.COMPUTED_FROM for p in form.COMPUTED_FROM[n]))
)
_SHEET_TABLE = {REQUESTS.key: "表三", DOCUMENTS.key: "表二", DECISIONS.key: "表二", FEES.key: "表二", CASES.key: "表四"}


@dataclass
class AggregateResult:
    report: ReportData  # values only for the cells of present tally sheets (totals computed)
    tables: tuple[str, ...]  # "表二" / "表三" / "表四" that received values
    notes: list[str] = field(default_factory=list)  # Chinese, for the clerk

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.report.values)


def aggregate(tally: Tally, year: int) -> AggregateResult:
    """Count the tally into 表二/表三/表四 of report ``year`` (rules: module docstring); absent sheets add nothing."""
    if not isinstance(year, int) or isinstance(year, bool):
        raise InputError.at(f"报告年度应为四位数字（值：{year}）")
    values: dict[str, int | float] = {}
    notes: list[str] = []
    if tally.year is not None and tally.year != year:  # e.g. a --year typo: every count would be of that year
        notes.append(
            f"按 {year} 年度统计，但“{form.SHEET_README}”中的{form.META_BY_NAME['meta_year'].label}是 "
            f"{tally.year} 年，请核对年度。"
        )
    start, end = date(year, 1, 1), date(year, 12, 31)
    counters = {
        REQUESTS.key: _requests,
        DOCUMENTS.key: _documents,
        DECISIONS.key: _decisions,
        FEES.key: _fees,
        CASES.key: _cases,
    }
    for sheet in (REQUESTS, DOCUMENTS, DECISIONS, FEES, CASES):
        df = tally.columns(sheet.key)  # plain lists: loops over pandas columns are slow
        if df is None:
            notes.append(_absent_note(sheet))
            continue
        sheet_values = dict.fromkeys(_SHEET_CELLS[sheet.key], 0)
        note = counters[sheet.key](df, start, end, sheet_values)
        if note:
            notes.append(note)
        values.update(sheet_values)
    tables = tuple(t for t in form.TABLES if any(_SHEET_TABLE[k] == t for k in tally.present))
    report = ReportData(unit=tally.unit, year=year, values=cast(dict[str, object], values), source=tally.source)
    # totals of totals last, so their parts are already summed
    for name, parts in _TOTALS:
        if name in values:
            values[name] = sum(values[p] for p in parts)
    return AggregateResult(report, tables, notes)


def row_count(tally: Tally, key: str) -> int:
    """Rows of a tally sheet (0 when absent or empty)."""
    cols = tally.columns(key)
    return len(next(iter(cols.values()), [])) if cols else 0


def merge_counts(existing: Mapping[str, object], tally: Tally, result: AggregateResult) -> dict[str, object]:
    """The table values to write: ``existing`` (the workbook's) with the counts of ``result`` on top,
    except where a tally sheet is present but holds no row while the workbook has numbers typed in its
    cells: the clerk keeps no such tally (the template's sheet merely exists), so "0 cases" would be a
    wrong number; the typed numbers stay, with a note in ``result.notes``. ``check`` does not compare
    the cells of an empty tally sheet either (:mod:`xl_report.rules.table_tally`)."""
    values = {**existing, **result.report.values}
    for sheet in (REQUESTS, DOCUMENTS, DECISIONS, FEES, CASES):
        if not tally.has(sheet.key) or row_count(tally, sheet.key):
            continue
        cells = _SHEET_CELLS[sheet.key]
        typed = [n for n in cells if not form.CELL_BY_NAME[n].computed and _nonzero(existing.get(n))]
        if not typed:
            continue
        values.update({n: existing.get(n) for n in cells})
        result.notes.append(
            f"“{sheet.name}”没有记录：{_SHEET_TABLE[sheet.key]}中由它统计的格子保留了工作簿中手工填写的"
            "数字（未改为 0）。本年度确实没有的，请把这些格子改为 0；或把记录登记到台账后重新填报。"
        )
    return values


def _nonzero(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v != 0


def cells_filled_by(sheet_keys) -> frozenset[str]:
    """The report cells :func:`aggregate` sets when these tally sheets are present (whatever they hold)."""
    return _cells_filled_by(tuple(sheet_keys))


@functools.lru_cache(maxsize=64)
def _cells_filled_by(sheet_keys: tuple[str, ...]) -> frozenset[str]:
    return frozenset(n for k in sheet_keys for n in _SHEET_CELLS[k])


def _absent_note(sheet: TallySheet) -> str:
    rows = []
    for name in _SHEET_CELLS[sheet.key]:
        label = form.CELL_BY_NAME[name].row_label if sheet.key in (DOCUMENTS.key, DECISIONS.key, FEES.key) else None
        if label and label not in rows:
            rows.append(label)
    what = f"{_SHEET_TABLE[sheet.key]}“{'、'.join(rows)}”" if rows else _SHEET_TABLE[sheet.key]
    return f"没有“{sheet.name}”工作表：{what}未改动，保留工作簿中原有的数字。"


def _later_note(sheet: TallySheet, count: int, end: date, what: str) -> str | None:
    if not count:
        return None
    return f"“{sheet.name}”中有 {count} 件{what}的收到日期晚于 {end.year} 年，未计入 {end.year} 年度。"


# --------------------------------------------------------------------------------------------
# One counter per sheet: fills ``out`` (pre-set to zeros) and returns an optional note.
# --------------------------------------------------------------------------------------------


def _requests(df, start: date, end: date, out: dict) -> str | None:
    later = 0
    for received, done, kind, result in zip(df["收到日期"], df["办结日期"], df["申请人类型"], df["办理结果"]):
        col = _APPLICANT_COL[kind]
        if received > end:
            later += 1
            continue
        if done is not None and done < start:
            continue  # concluded in an earlier year
        out[form.t3("new" if received >= start else "carried_in", col)] += 1
        if done is not None and done <= end:
            out[form.t3(form.RESULT_VALUES[result], col)] += 1
        else:
            out[form.t3("carried_out", col)] += 1
    return _later_note(REQUESTS, later, end, "申请")


def _documents(df, start: date, end: date, out: dict) -> None:
    for kind, issued, repealed in zip(df["类别"], df["印发日期"], df["废止日期"]):
        item = _DOC_ITEM[kind]
        if start <= issued <= end:
            out[form.t2(item, "issued")] += 1
        if repealed is not None and start <= repealed <= end:
            out[form.t2(item, "repealed")] += 1
        if issued <= end and (repealed is None or repealed > end):
            out[form.t2(item, "in_force")] += 1


def _decisions(df, start: date, end: date, out: dict) -> None:
    for kind, day, count in zip(df["类别"], df["决定日期"], df["数量"]):
        if start <= day <= end:
            out[form.t2(_DECISION_ITEM[kind], "decisions")] += 1 if count is None else count


def _fees(df, start: date, end: date, out: dict) -> None:
    yuan = math.fsum(a for day, a in zip(df["收费日期"], df["金额（元）"]) if start <= day <= end)
    # decimal half-up: 1550.5 元 is 0.1551 万元 as counted by hand (binary round() gives 0.155)
    exact = Decimal(repr(yuan)) / YUAN_PER_WANYUAN
    wan = float(exact.quantize(Decimal(1).scaleb(-AMOUNT_DECIMALS), rounding=ROUND_HALF_UP))
    out[_FEE_CELL] = int(wan) if wan.is_integer() else wan


def _cases(df, start: date, end: date, out: dict) -> str | None:
    later = 0
    for kind, received, result, closed in zip(df["类别"], df["收到日期"], df["结果"], df["结案日期"]):
        group = _CASE_GROUP[kind]
        if received > end:
            later += 1
        elif closed is not None and start <= closed <= end:
            out[form.t4(group, _CASE_OUTCOME[result])] += 1
        elif closed is None or closed > end:
            out[form.t4(group, "pending")] += 1
    return _later_note(CASES, later, end, "案件")


def placeholder_numbers(report: ReportData, tables: tuple[str, ...] = form.TABLES) -> dict[str, int | float]:
    """The numbers behind the 正文 placeholders (新收, 上年结转, 办结, 结转下年度, 复议, 诉讼 …) of ``tables``."""
    return {
        label: report.num0(name) for label, name in form.PLACEHOLDERS.items() if form.CELL_BY_NAME[name].table in tables
    }


__all__ = ["AggregateResult", "aggregate", "placeholder_numbers", "cells_filled_by", "merge_counts", "row_count"]
