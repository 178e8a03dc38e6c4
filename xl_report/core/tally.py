"""Tally sheets (台账) → Tally: normalise and validate every row of the sheet grids.

The file reader (calamine) is :mod:`xl_report.xlsx.tally_reader`; this module is pure.

Contract (other modules rely on it): each present sheet is a pandas DataFrame whose columns are the
schema headers of :mod:`xl_report.core.tally_schema` (absent optional columns added, all missing), plus
``_row`` = the Excel row number. Dates are ``datetime.date`` or None, 延期 is bool, ints are int,
金额（元） is float, choice columns hold the canonical value. A sheet that is absent is ``None``.

The reader keeps each sheet as plain Python columns (:meth:`Tally.columns`: header → list, same
values) and builds the DataFrame only when ``tally.requests`` etc. is first accessed: code that loops
over rows (aggregate, rules, the batch filler) uses the columns, so the batch never pays for pandas.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from xl_report.core import form
from xl_report.core import normalise as nz
from xl_report.core.errors import InputError, Problem, TallyErrors, printable
from xl_report.core.tally_schema import TALLY_SHEETS, Column, TallySheet

if TYPE_CHECKING:
    import pandas as pd

    from xl_report.core.ledger import Adoption

Columns = dict[str, list]  # header -> values, one per row (plus ROW_COLUMN)


class _SheetField:
    """A tally sheet attribute: the DataFrame, built on first access from the columns the reader kept."""

    def __set_name__(self, owner, name: str) -> None:
        self.key, self.slot = name, f"_frame_{name}"

    def __get__(self, obj, owner=None):
        if obj is None:
            return None  # the dataclass default
        d = obj.__dict__
        if self.slot not in d:
            cols = d.get("_columns", {}).get(self.key)
            d[self.slot] = None if cols is None else _frame(cols)
        return d[self.slot]

    def __set__(self, obj, value) -> None:
        obj.__dict__[self.slot] = value
        obj.__dict__.get("_columns", {}).pop(self.key, None)  # the frame is the truth from now on


def _frame(cols: Columns) -> pd.DataFrame:
    import pandas as pd  # lazy: pandas (~0.5 s) only when a caller asks for DataFrames

    return pd.DataFrame(cols, columns=list(cols), dtype=object)


@dataclass
class Tally:
    """The five tally sheets of one unit, normalised (see the module docstring for the contract)."""

    source: str | None = None
    requests: pd.DataFrame | None = _SheetField()  # 依申请公开台账
    documents: pd.DataFrame | None = _SheetField()  # 文件台账
    decisions: pd.DataFrame | None = _SheetField()  # 执法决定台账
    fees: pd.DataFrame | None = _SheetField()  # 收费台账
    cases: pd.DataFrame | None = _SheetField()  # 复议诉讼台账
    unit: str | None = None  # from 说明 (meta_unit) when the tally is the template
    year: int | None = None  # from 说明 (meta_year)
    year_typed: str | None = None  # 说明's 报告年度 as typed when it is not a year (for the message)
    adoption: Adoption | None = None  # how an office's own ledger was read (None: our own sheets)

    def sheet(self, key: str) -> pd.DataFrame | None:
        return getattr(self, key)

    def columns(self, key: str) -> Columns | None:
        """The sheet as plain columns (header → list of values, plus ``_row``), None when absent.
        Free for a tally from the reader; derived from the DataFrame otherwise (not cached: it may change)."""
        cols = self.__dict__.get("_columns", {}).get(key)
        if cols is not None:
            return cols
        df = self.sheet(key)
        return None if df is None else {h: df[h].tolist() for h in df.columns}

    def _set_columns(self, key: str, cols: Columns) -> None:
        self.__dict__.pop(f"_frame_{key}", None)
        self.__dict__.setdefault("_columns", {})[key] = cols

    def has(self, key: str) -> bool:
        return key in self.__dict__.get("_columns", {}) or self.sheet(key) is not None

    @property
    def present(self) -> tuple[str, ...]:
        return tuple(k for k in ("requests", "documents", "decisions", "fees", "cases") if self.has(k))


@dataclass(frozen=True)
class CellError:
    """A cell the file reader found holding an Excel error value (#N/A …) or a formula saved without
    its computed value: never a blank (a blank 数量 counts as 1), always a located error."""

    text: str  # the error literal, or FORMULA_WITHOUT_VALUE
    formula: str | None = None

    @property
    def reason(self) -> str:
        if self.text == FORMULA_WITHOUT_VALUE:
            return f"{CELL_ERROR_REASON}：公式没有计算结果（文件保存时未计算），请在 Excel 中打开并保存一次，或改为数值"
        return f"{CELL_ERROR_REASON}：单元格是 Excel 错误值 {self.text}，请改正公式或改为数值"


FORMULA_WITHOUT_VALUE = "formula-without-value"
CELL_ERROR_REASON = "台账中不能有错误值"


def has_cell_errors(problems: Sequence[Problem]) -> bool:
    """Whether a tally's problems include an error value (an unusable file, not a bad row)."""
    return any(p.reason.startswith(CELL_ERROR_REASON) for p in problems)


MAX_ROWS = 200_000  # data rows per sheet; a larger tally is certainly a mistake (or hostile)
HEADER_SCAN_ROWS = 30  # the header row is searched among the first rows (title rows may sit above)
ROW_COLUMN = "_row"
_TOTAL_ROW = re.compile(r"^(?:合计|总计|小计|共计)")

# one converter per column kind; 'choice' columns get the converter of their own value list
_KIND_CONVERTERS: dict[str, Callable[[object], nz.Converted]] = {
    "text": nz.to_text,
    "date": nz.to_date,
    "int": nz.to_int,
    "number": nz.to_amount,
    "yesno": nz.to_yesno,
}
_CHOICE_CONVERTERS: dict[tuple[str, str], Callable[[object], nz.Converted]] = {
    ("依申请公开台账", "申请人类型"): nz.to_applicant,
    ("依申请公开台账", "办理结果"): nz.to_result,
    ("文件台账", "类别"): nz.to_doc_category,
    ("执法决定台账", "类别"): nz.to_decision_category,
    ("复议诉讼台账", "类别"): nz.to_case_category,
    ("复议诉讼台账", "结果"): nz.to_case_result,
}
ID_COLUMNS = {("依申请公开台账", "编号"), ("复议诉讼台账", "案件编号")}


def converter(sheet: TallySheet, column: Column) -> Callable[[object], nz.Converted]:
    if (sheet.name, column.header) in ID_COLUMNS:
        return nz.to_id
    if column.kind == "choice":
        return _CHOICE_CONVERTERS[(sheet.name, column.header)]
    return _KIND_CONVERTERS[column.kind]


def tally_from_frames(
    frames: Mapping[str, pd.DataFrame | Sequence[Sequence[object]]],
    *,
    source: str | None = None,
    unit: str | None = None,
    year: int | None = None,
) -> Tally:
    """Build a Tally from raw sheet grids (sheet name → rows as read, row 0 = Excel row 1).

    This is the reader minus the file: tests and in-memory callers (the Excel button) use it directly.
    """
    problems: list[Problem] = []
    tally = Tally(source=source, unit=unit, year=year)
    for sheet in TALLY_SHEETS:
        if sheet.name not in frames:
            continue
        raw = frames[sheet.name]
        pd = sys.modules.get("pandas")  # a DataFrame can only come from a caller that imported pandas
        rows = raw.values.tolist() if pd is not None and isinstance(raw, pd.DataFrame) else [list(r) for r in raw]
        tally._set_columns(sheet.key, _parse_sheet(sheet, rows, problems, source))
    if problems:
        order = {s.name: i for i, s in enumerate(TALLY_SHEETS)}
        problems.sort(key=lambda p: (order.get(p.sheet or "", -1), p.row or 0))  # stable: per row, checks in order
        raise TallyErrors(source or "台账", problems)
    return tally


# --------------------------------------------------------------------------------------------
# Parsing one sheet
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _header_key(text: str) -> str:
    return nz.header_key(text)  # the same few header texts in every unit's workbook


@functools.cache
def _header_spec(sheet: TallySheet) -> tuple[dict[str, str], frozenset[str]]:
    """(header key → header, required headers) of a schema sheet."""
    return {nz.header_key(h): h for h in sheet.headers}, frozenset(c.header for c in sheet.columns if c.required)


def _find_header(sheet: TallySheet, rows: list[list[object]]) -> tuple[int, dict[str, int]] | None:
    """(row index, header → column index) of the first row holding every required header."""
    wanted, required = _header_spec(sheet)
    best: tuple[int, dict[str, int]] | None = None
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        found: dict[str, int] = {}
        for j, v in enumerate(row):
            if isinstance(v, str) and v.strip():
                h = wanted.get(_header_key(v))
                if h and h not in found:
                    found[h] = j
        if required <= found.keys():
            return i, found
        if found and (best is None or len(found) > len(best[1])):
            best = (i, found)
    return best


def is_total_row(row: list[object]) -> bool:
    return any(isinstance(v, str) and _TOTAL_ROW.match(nz.key(v)) for v in row)


_BLANK_CELL: tuple[object, str | None, object] = (None, None, None)  # (value, reason, raw) of an empty cell


_MEMO: dict[object, dict[tuple[type, object], tuple[object, str | None, object]]] = {}  # per converter
_MEMO_LIMIT = 50_000  # entries per converter; a batch sees the same categories and dates again and again


def _convert_column(body: list[list[object]], j: int, convert) -> list[tuple[object, str | None, object]]:
    """(value, reason, raw) per row of column ``j``; each distinct raw value is converted once per
    process (results are immutable values, shared safely)."""
    memo = _MEMO.setdefault(convert, {})
    if len(memo) > _MEMO_LIMIT:
        memo.clear()
    out = []
    for row in body:
        v = row[j] if j < len(row) else None
        k = (v.__class__, v)  # the type too: True == 1 == 1.0 must not share a result
        try:
            cell = memo[k]
        except KeyError:
            cell = memo[k] = _convert_cell(v, convert)
        except TypeError:  # unhashable: never from a reader, but keep the contract total
            cell = _convert_cell(v, convert)
        out.append(cell)
    return out


def _convert_cell(v: object, convert) -> tuple[object, str | None, object]:
    if isinstance(v, CellError):
        return None, v.reason, v.formula or v.text
    raw = nz.clean_cell(v)
    if raw is None:
        return _BLANK_CELL
    value, reason = convert(raw)
    return value, reason, raw


def _empty(columns: list[str]) -> Columns:
    return {c: [] for c in columns}


def _parse_sheet(sheet: TallySheet, rows: list[list[object]], problems: list[Problem], source: str | None) -> Columns:
    columns = list(sheet.headers) + [ROW_COLUMN]
    where: dict[str, Any] = {"file": source, "sheet": sheet.name}  # Problem(**where)
    found = _find_header(sheet, rows)
    if found is None:
        if any(nz.clean_cell(v) is not None for row in rows for v in row):
            problems.append(Problem(f"找不到表头行（第一行应为：{'、'.join(sheet.headers)}）", **where))
        return _empty(columns)  # a truly empty sheet is an empty tally
    header_idx, col_of = found
    missing = [c.header for c in sheet.columns if c.required and c.header not in col_of]
    if missing:
        problems.append(Problem(f"表头缺少必填列：{'、'.join(missing)}", row=header_idx + 1, **where))
        return _empty(columns)
    if len(rows) - header_idx - 1 > MAX_ROWS:
        raise InputError.at(f"行数超过 {MAX_ROWS:,} 行的上限", **where)

    body = rows[header_idx + 1 :]
    blank_column = [_BLANK_CELL] * len(body)
    cells_by_column = [
        _convert_column(body, col_of[c.header], converter(sheet, c)) if c.header in col_of else blank_column
        for c in sheet.columns
    ]
    records: list[list[object]] = []
    for i, cells in enumerate(zip(*cells_by_column)):
        if all(c is _BLANK_CELL for c in cells):
            continue  # blank rows are tolerated
        excel_row = header_idx + i + 2
        record: list[object] = []
        found_problems: list[Problem] = []
        for column, (value, reason, raw) in zip(sheet.columns, cells):
            if reason:
                found_problems.append(Problem(reason, row=excel_row, column=column.header, value=raw, **where))
            elif value is None and raw is None and column.required:
                found_problems.append(Problem("必填项为空", row=excel_row, column=column.header, **where))
            record.append(value)
        if found_problems:
            if is_total_row(body[i]):
                continue  # a 合计 row (no valid record would carry the word) is tolerated
            problems.extend(found_problems)
        record.append(excel_row)
        records.append(record)
    cols = dict(zip(columns, map(list, zip(*records)))) if records else _empty(columns)
    _ROW_CHECKS[sheet.key](cols, problems, where)
    return cols


# --------------------------------------------------------------------------------------------
# Cross-column checks (on converted values; a value already reported bad is None here)
# --------------------------------------------------------------------------------------------


def _check_order(df: Columns, problems: list[Problem], where: dict, first: str, later: str, reason: str) -> None:
    for a, b, r in zip(df[first], df[later], df[ROW_COLUMN]):
        if a is not None and b is not None and b < a:
            problems.append(Problem(reason, row=r, column=later, value=b.isoformat(), **where))


def _check_unique(df: Columns, problems: list[Problem], where: dict, column: str) -> None:
    seen: dict[object, int] = {}
    for v, r in zip(df[column], df[ROW_COLUMN]):
        if v is None:
            continue
        if v in seen:
            problems.append(Problem(f"编号重复（与第{seen[v]}行相同）", row=r, column=column, value=v, **where))
        else:
            seen[v] = r


def _check_outcome(
    df: Columns, problems: list[Problem], where: dict, done: str, outcome: str, raw_missing: set[int]
) -> None:
    """A concluded row needs its outcome; an outcome needs its conclusion date."""
    for d, res, r in zip(df[done], df[outcome], df[ROW_COLUMN]):
        if r in raw_missing:
            continue
        if d is not None and res is None:
            problems.append(Problem(f"已填写{done}，但没有填写{outcome}", row=r, column=outcome, **where))
        elif d is None and res is not None:
            problems.append(
                Problem(
                    f"填写了{outcome}，但{done}为空（尚未办结的请不要填写{outcome}）",
                    row=r,
                    column=done,
                    value=res,
                    **where,
                )
            )


def _rows_with_problem(problems: list[Problem], where: dict, columns: tuple[str, ...]) -> set[int]:
    """Rows whose cell in ``columns`` was already reported: no second message for the same cell."""
    return {p.row for p in problems if p.sheet == where["sheet"] and p.column in columns and p.row is not None}


def _check_requests(df: Columns, problems: list[Problem], where: dict) -> None:
    unreadable = _rows_with_problem(problems, where, ("办结日期", "办理结果"))
    _check_unique(df, problems, where, "编号")
    _check_order(df, problems, where, "收到日期", "办结日期", "办结日期早于收到日期")
    _check_order(df, problems, where, "收到日期", "补正告知日期", "补正告知日期早于收到日期")
    _check_order(df, problems, where, "补正告知日期", "补正收到日期", "补正收到日期早于补正告知日期")
    _check_order(df, problems, where, "补正收到日期", "办结日期", "办结日期早于补正收到日期")
    _check_outcome(df, problems, where, "办结日期", "办理结果", unreadable)


def _check_documents(df: Columns, problems: list[Problem], where: dict) -> None:
    _check_order(df, problems, where, "印发日期", "废止日期", "废止日期早于印发日期")


def _check_cases(df: Columns, problems: list[Problem], where: dict) -> None:
    unreadable = _rows_with_problem(problems, where, ("结案日期", "结果"))
    _check_unique(df, problems, where, "案件编号")
    _check_order(df, problems, where, "收到日期", "结案日期", "结案日期早于收到日期")
    _check_outcome(df, problems, where, "结案日期", "结果", unreadable)


def _no_checks(df: Columns, problems: list[Problem], where: dict) -> None:
    """Single-column rules (required, numbers ≥ 0, dates) already ran while converting."""


_ROW_CHECKS = {
    "requests": _check_requests,
    "documents": _check_documents,
    "decisions": _no_checks,
    "fees": _no_checks,
    "cases": _check_cases,
}


# --------------------------------------------------------------------------------------------
# Digest: what a fill was computed from
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FillState:
    """What a workbook records of its last fill: when, and the digest of the tally rows it used."""

    filled_at: str | None
    digest: str | None


def tally_digest(tally: Tally) -> str:
    """SHA-256 over the normalised rows of the present sheets, personal columns and row numbers left
    out (a frozen copy has no personal columns; sorting the rows changes no number), rows sorted;
    a sheet without rows counts as absent (a fresh template brings empty ones)."""
    out: dict[str, list[str]] = {}
    for sheet in TALLY_SHEETS:
        cols = tally.columns(sheet.key)
        if cols is None:
            continue
        kept = [c.header for c in sheet.columns if not c.personal]
        if not cols[ROW_COLUMN]:
            continue
        rows = zip(*(cols[h] for h in kept))
        out[sheet.key] = sorted(_row_json([_plain(v) for v in r]) for r in rows)
    return hashlib.sha256(json.dumps(out, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


_row_json = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False), built once
_AS_IS = frozenset({str, int, bool, type(None)})


def _plain(value: object) -> object:
    """A normalised tally value as JSON data (dates as ISO text, 5.0 as 5)."""
    if value.__class__ in _AS_IS:  # most values: text, counts, blanks
        return value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 6)
    return value


def report_year(year: int | None, tally: Tally) -> int:
    """--year wins; otherwise 报告年度 from 说明; otherwise the clerk must say."""
    if year is not None:
        return year
    if tally.year is not None:
        return tally.year
    label = f"“{form.SHEET_README}”工作表的“{form.META_BY_NAME['meta_year'].label}”"
    if tally.year_typed is not None:  # typed, but not a year: "please fill it" would be false
        raise InputError.at(
            f"{label}（值：{printable(tally.year_typed)}）不是年份：请填写四位数的年份，如 2024；"
            "或在命令中加 --year 2024 这样的参数",
            file=tally.source,
        )
    raise InputError.at(
        f"不知道报告年度：请在“{form.SHEET_README}”工作表填写“{form.META_BY_NAME['meta_year'].label}”，"
        "或在命令中加 --year 2024 这样的参数",
        file=tally.source,
    )
