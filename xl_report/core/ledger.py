"""An office's own ledger (台账) read as our five tally sheets — and every guess said.

Pure: sheet grids in (sheet name → rows as read), an :class:`Adoption` out: for each tally sheet found, a
grid in our schema (our header row where the ledger has its own, rows where they were, so every message
still names the ledger's row) plus the list of decisions taken on the way:

- which sheet was read as which tally sheet (by its name, one of its variants, or its headers);
- which column was read as which (our header, a synonym from :mod:`tally_schema`, or the clerk's mapping),
  which were ignored, which id was generated;
- every free-text value and the category it became, with the rule (:mod:`ledger_rules`) that matched;
- every value left for the clerk (it matched two categories, or none): never counted;
- every row skipped and why (a 合计 row, a repeated header, a row with content only in unused columns).

A sheet that is already ours (our name, our headers) passes through untouched: it is read exactly as before,
strictly (a free-text value there is an error, not a guess).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from xl_report.core import form
from xl_report.core import normalise as nz
from xl_report.core.errors import Problem
from xl_report.core.filenames import ADOPT_SHEET
from xl_report.core.ledger_rules import NEGATIONS, RULES, Rule
from xl_report.core.tally import HEADER_SCAN_ROWS, ID_COLUMNS, converter, is_total_row
from xl_report.core.tally_schema import TALLY_BY_NAME, TALLY_SHEETS, Column, TallySheet

# sheets of our own workbook that are never a ledger
FORM_SHEETS = frozenset(
    {form.SHEET_README, form.SHEET_NARRATIVE, form.SHEET_FINDINGS, form.SHEET_LISTS, *form.TABLE_TITLES, ADOPT_SHEET}
)

# kinds of decision, as the 转换说明 sheet shows them
SHEET, COLUMN, IGNORED, GENERATED = "工作表", "列", "未使用的列", "生成"
VALUE, UNDECIDED, SKIPPED = "取值", "待选择", "跳过的行"

HOW_NAME, HOW_VARIANT, HOW_HEADERS, HOW_MAPPING = "工作表名相同", "工作表名的常见写法", "按表头识别", "映射文件"
HOW_SAME, HOW_ALIAS = "表头相同", "同义表头"
HOW_CHOICE, HOW_LEARNED = "规定的选项或其同义词", "上次的选择"


@dataclass(frozen=True)
class Decision:
    """One line of the 转换说明 sheet."""

    kind: str
    sheet: str  # our tally sheet
    column: str = ""  # our column
    source: str = ""  # what the ledger says (sheet name, header or cell text)
    target: str = ""  # what it became ("" when left to the clerk)
    why: str = ""
    rows: tuple[int, ...] = ()  # ledger rows concerned (values, undecided, skipped)
    candidates: tuple[str, ...] = ()  # undecided: the categories to choose among (empty: nothing matched)

    def __str__(self) -> str:
        """One line for the terminal (fill prints every decision)."""
        n = f"（{len(self.rows)} 行）" if self.rows and self.kind in (VALUE, UNDECIDED) else ""
        if self.kind == SHEET:
            return f"工作表“{self.source}”读作“{self.target}”（{self.why}）"
        if self.kind == COLUMN:
            return f"{self.sheet}：“{self.source}”列读作“{self.target}”（{self.why}）"
        if self.kind == IGNORED:
            return f"{self.sheet}：未使用“{self.source}”列（{self.why}）"
        if self.kind == GENERATED:
            return f"{self.sheet}：{self.why}（第N行）"
        if self.kind == VALUE:
            return f"{self.sheet}·{self.column}：“{self.source}”→“{self.target}”（{self.why}）{n}"
        if self.kind == UNDECIDED:
            return f"{self.sheet}·{self.column}：“{self.source}”{self.why}，需要选择{n}"
        return f"{self.sheet}：跳过{self.source}（{self.why}）"

    def problem(self, file: str | None, source_sheet: str | None, source_column: str | None = None) -> Problem:
        """An undecided value as the clerk reads it: located in the ledger (its sheet, its header)."""
        rows = "、".join(map(str, self.rows[:8])) + ("…" if len(self.rows) > 8 else "")
        where = f"第{rows}行：" if rows else ""
        return Problem(
            f"{where}“{self.source}”{self.why}，请选择{self.column}",
            file=file,
            sheet=source_sheet,
            column=source_column or self.column,
        )


@dataclass
class LedgerMapping:
    """What a clerk (or an earlier conversion) decided: read before any rule."""

    sheets: dict[str, str] = field(default_factory=dict)  # ledger sheet name → tally sheet name
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # tally sheet → {ledger header → our header}
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)  # sheet → column → {text → value}

    def learn(self, sheet: str, column: str, text: str, value: str) -> None:
        self.values.setdefault(sheet, {}).setdefault(column, {})[text] = value

    def merge(self, other: LedgerMapping) -> None:
        self.sheets.update(other.sheets)
        for s, h in other.headers.items():
            self.headers.setdefault(s, {}).update(h)
        for s, cols in other.values.items():
            for c, v in cols.items():
                self.values.setdefault(s, {}).setdefault(c, {}).update(v)

    def __bool__(self) -> bool:
        return bool(self.sheets or self.headers or self.values)


@dataclass
class SheetRead:
    """One ledger sheet read as one tally sheet."""

    sheet: TallySheet
    source: str  # the ledger's sheet name
    how: str
    header_row: int = 0  # 0-based index of the ledger's header row
    columns: dict[str, int] = field(default_factory=dict)  # our header → ledger column index
    source_headers: dict[str, str] = field(default_factory=dict)  # our header → ledger header text
    native: bool = False  # our name and our headers: passed through untouched
    grid: list[list[object]] = field(default_factory=list)  # in our schema (see module doc)
    rows: Sequence[Sequence[object]] = ()  # the ledger's own rows, as read
    skipped: dict[int, str] = field(default_factory=dict)  # ledger row (1-based) → why
    undecided: dict[tuple[str, int], Reading] = field(default_factory=dict)  # (our header, row) → reading


@dataclass(frozen=True)
class Reading:
    """How one free-text value was read: the official value, or None and what the clerk chooses among."""

    value: str | None
    why: str
    candidates: tuple[str, ...] = ()


@dataclass
class Adoption:
    reads: list[SheetRead] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)

    @property
    def frames(self) -> dict[str, list[list[object]]]:
        return {r.sheet.name: r.grid for r in self.reads}

    @property
    def undecided(self) -> list[Decision]:
        return [d for d in self.decisions if d.kind == UNDECIDED]

    @property
    def foreign(self) -> bool:
        """Anything read other than as our own sheets: the clerk is told what was decided."""
        return any(not r.native for r in self.reads)

    def source_of(self, sheet: str) -> SheetRead | None:
        return next((r for r in self.reads if r.sheet.name == sheet), None)

    def relocate(self, p: Problem, sheet_label: Mapping[str, str | None] | None = None) -> Problem:
        """A tally problem located in the ledger: its sheet name and its header."""
        read = self.source_of(p.sheet or "")
        if read is None or read.native:
            return p
        column = read.source_headers.get(p.column or "", p.column)
        sheet = (sheet_label or {}).get(read.source, read.source)
        return Problem(p.reason, file=p.file, sheet=sheet, row=p.row, column=column, value=p.value)


# --------------------------------------------------------------------------------------------
# Free text
# --------------------------------------------------------------------------------------------

_NEGATION_KEYS = tuple(nz.key(n) for n in NEGATIONS)


def _fires(text_key: str, rule: Rule) -> str | None:
    """The first keyword of ``rule`` in the text, not negated; None if none."""
    for word in rule.keywords:
        k = nz.key(word)
        start = text_key.find(k)
        while start >= 0:
            if not text_key[:start].endswith(_NEGATION_KEYS):
                return word
            start = text_key.find(k, start + 1)
    return None


def apply_rules(text: str, rules: Sequence[Rule]) -> Reading:
    """The category the rules give ``text``, or None with the candidates (see :mod:`ledger_rules`)."""
    k = nz.key(text)
    words = {id(r): w for r in rules if (w := _fires(k, r))}
    fired = [r for r in rules if id(r) in words]
    items = [r for r in fired if not r.group]
    if items:
        beaten = {c for r in items for c in r.beats}
        winners = [r for r in items if r.category not in beaten]
        cats = list(dict.fromkeys(r.category for r in (winners or items)))
        if len(cats) == 1:
            rule = next(r for r in items if r.category == cats[0])
            return Reading(cats[0], f"含“{words[id(rule)]}”")
        return Reading(None, "同时符合" + "、".join(f"“{c}”" for c in cats) + "，不能确定", tuple(cats))
    if fired:
        options = tuple(dict.fromkeys(c for r in fired for c in r.group))
        groups = "、".join(f"“{r.category}”" for r in fired)
        return Reading(None, f"只写了{groups}，没有写具体情形", options)
    return Reading(None, "不能对应到任何规定的选项", ())


def _text(value: object) -> str:
    return str(nz.to_text(value)[0])


def interpret(sheet: TallySheet, column: Column, raw: object, mapping: LedgerMapping | None = None) -> Reading:
    """A choice cell's text: the clerk's earlier choice, an exact option or synonym, else the free-text rules."""
    text = _text(raw)
    learned = (mapping.values.get(sheet.name, {}).get(column.header, {}) if mapping else {}).get(text)
    if learned is not None:
        return Reading(learned, HOW_LEARNED)
    value, reason = converter(sheet, column)(raw)
    if reason is None:
        return Reading(str(value) if not isinstance(value, str) else value, HOW_CHOICE)
    rules = RULES.get((sheet.name, column.header))
    if rules is None:
        return Reading(None, "不是规定的选项", tuple(column.choices))
    return apply_rules(text, rules)


# --------------------------------------------------------------------------------------------
# Sheets and headers
# --------------------------------------------------------------------------------------------


def sheet_key(name: str) -> str:
    return nz.key(name).replace("帐", "账")  # 台帐 is the older spelling of 台账


_NAME_KEYS: dict[str, TallySheet] = {}
for _s in TALLY_SHEETS:
    for _n in (_s.name, *_s.aliases):
        _NAME_KEYS.setdefault(sheet_key(_n), _s)


def sheets_by_name(names: Iterable[str], mapping: LedgerMapping | None = None) -> dict[str, tuple[TallySheet, str]]:
    """Ledger sheet name → (tally sheet, how), for the sheets whose name says which tally they hold."""
    out: dict[str, tuple[TallySheet, str]] = {}
    for n in names:
        if n in FORM_SHEETS:
            continue
        if mapping and n in mapping.sheets and mapping.sheets[n] in TALLY_BY_NAME:
            out[n] = (TALLY_BY_NAME[mapping.sheets[n]], HOW_MAPPING)
        elif n in TALLY_BY_NAME:
            out[n] = (TALLY_BY_NAME[n], HOW_NAME)
        elif sheet_key(n) in _NAME_KEYS:
            out[n] = (_NAME_KEYS[sheet_key(n)], HOW_VARIANT)
    return out


_BRACKETED = re.compile(r"[(（【\[][^)）】\]]*[)）】\]]")


def _header_table(sheet: TallySheet) -> dict[str, tuple[str, int]]:
    """header key → (our header, rank): 0 for our own header, then the aliases in their order."""
    table: dict[str, tuple[str, int]] = {}
    for c in sheet.columns:
        table.setdefault(nz.header_key(c.header), (c.header, 0))
        for i, alias in enumerate(c.aliases, start=1):
            table.setdefault(nz.header_key(alias), (c.header, i))
    return table


_HEADER_TABLES = {s.name: _header_table(s) for s in TALLY_SHEETS}


def _lookup(sheet: TallySheet, text: str, mapping: LedgerMapping | None) -> tuple[str, int] | None:
    if mapping:
        mine = mapping.headers.get(sheet.name, {})
        if text in mine and mine[text] in sheet.headers:
            return mine[text], -1
    return _synonym(sheet.name, text)


@functools.lru_cache(maxsize=8192)
def _synonym(sheet_name: str, text: str) -> tuple[str, int] | None:
    """(our header, rank) of a header text by the synonym tables; cached: every unit has the same headers."""
    table = _HEADER_TABLES[sheet_name]
    hit = table.get(nz.header_key(text))
    if hit is None:
        bare = _BRACKETED.sub("", nz.fold(text))  # '答复结果（办理情况）' → '答复结果'
        if bare != nz.fold(text) and "元" not in text:  # never read '金额（万元）' as 金额（元）
            hit = table.get(nz.header_key(bare))
    return hit


def _required(sheet: TallySheet) -> frozenset[str]:
    """Headers a ledger must have: an id it lacks is generated (序号 is not an id: it is ignored)."""
    return frozenset(c.header for c in sheet.columns if c.required and (sheet.name, c.header) not in ID_COLUMNS)


@dataclass
class _HeaderMatch:
    row: int
    found: dict[str, tuple[int, str, int]]  # our header → (column index, ledger text, rank)
    shadowed: list[tuple[str, str, str]]  # (ledger text, our header, the text read instead)


_Candidate = tuple[str, TallySheet, str, _HeaderMatch | None]  # (ledger sheet, tally sheet, how, headers)


def _match_row(sheet: TallySheet, row: Sequence[object], i: int, mapping: LedgerMapping | None) -> _HeaderMatch:
    found: dict[str, tuple[int, str, int]] = {}
    shadowed: list[tuple[str, str, str]] = []
    for j, v in enumerate(row):
        if not isinstance(v, str) or not v.strip():
            continue
        hit = _lookup(sheet, v.strip(), mapping)
        if hit is None:
            continue
        header, rank = hit
        if header in found and found[header][2] <= rank:
            shadowed.append((v.strip(), header, found[header][1]))
            continue
        if header in found:
            shadowed.append((found[header][1], header, v.strip()))
        found[header] = (j, v.strip(), rank)
    return _HeaderMatch(i, found, shadowed)


def match_headers(
    sheet: TallySheet, rows: Sequence[Sequence[object]], mapping: LedgerMapping | None = None
) -> _HeaderMatch | None:
    """The first row (among the first rows: titles may sit above) holding every required header, else the
    row holding the most; None when no row holds any."""
    required = _required(sheet)
    best: _HeaderMatch | None = None
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        m = _match_row(sheet, row, i, mapping)
        if required <= m.found.keys():
            return m
        if m.found and (best is None or len(m.found) > len(best.found)):
            best = m
    return best


def _text_cells(row: Sequence[object]) -> list[str]:
    return [v.strip() for v in row if isinstance(v, str) and v.strip()]


def _has_data(rows: Sequence[Sequence[object]], after: int) -> bool:
    return any(nz.clean_cell(v) is not None for row in rows[after + 1 :] for v in row)


# --------------------------------------------------------------------------------------------
# The whole ledger
# --------------------------------------------------------------------------------------------


class LedgerError(Exception):
    """A ledger that cannot be read as tally sheets: the problems, located (the reader adds the file)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


def recognise(
    grids: Mapping[str, Sequence[Sequence[object]]],
    mapping: LedgerMapping | None = None,
    by_name: Mapping[str, tuple[TallySheet, str]] | None = None,
) -> Adoption:
    """Read ``grids`` (ledger sheet → rows as read) as tally sheets. ``by_name``: the sheets whose name
    already says which tally they hold (:func:`sheets_by_name`); without it, it is computed. Any other sheet
    is tried by its headers, for the tally sheets that no named sheet fills (a ledger pasted into the
    template beside its empty sheets; a ledger whose sheet is called Sheet1). Raises :class:`LedgerError`."""
    by_name = dict(sheets_by_name(grids, mapping) if by_name is None else by_name)
    problems: list[Problem] = []
    chosen: dict[str, _Candidate] = {}  # our sheet → the ledger sheet read as it
    candidates = [(n, s, how, match_headers(s, grids[n], mapping)) for n, (s, how) in by_name.items()]
    filled = {s.name for n, s, _, m in candidates if m is not None and _has_data(grids[n], m.row)}
    for n, rows in grids.items():
        if n in FORM_SHEETS or n in by_name:
            continue
        scored = [
            (s, m)
            for s in TALLY_SHEETS
            if s.name not in filled
            and (m := match_headers(s, rows, mapping))
            and _required(s) <= m.found.keys()
            and _has_data(rows, m.row)
        ]
        if not scored:
            continue  # a sheet of something else: not ours to read
        top = max(len(m.found) for _, m in scored)
        best = [(s, m) for s, m in scored if len(m.found) == top]
        if len(best) > 1:
            if not by_name:  # the ledger is all there is: say why nothing was read
                alike = "”又像“".join(s.name for s, _ in best)
                problems.append(Problem(f"表头既像“{alike}”，无法判断是哪一种台账，请把工作表改名为其中之一", sheet=n))
            continue
        candidates.append((n, best[0][0], HOW_HEADERS, best[0][1]))
    for n, s, how, m in candidates:
        if s.name in chosen:
            other = chosen[s.name]
            keep = _prefer(other, (n, s, how, m), grids)
            if keep is None:
                problems.append(Problem(f"工作表“{other[0]}”和“{n}”都是{s.name}，请合并为一张后重试", sheet=n))
                continue
            chosen[s.name] = keep
        else:
            chosen[s.name] = (n, s, how, m)
    adoption = Adoption()
    order = {s.name: i for i, s in enumerate(TALLY_SHEETS)}
    for name in sorted(chosen, key=order.__getitem__):
        source, sheet, how, m = chosen[name]
        try:
            adoption.reads.append(_read_sheet(sheet, source, how, m, grids[source], mapping, adoption.decisions))
        except LedgerError as e:
            problems.extend(e.problems)
    if problems:
        raise LedgerError(problems)
    return adoption


def _prefer(a: _Candidate, b: _Candidate, grids: Mapping[str, Sequence[Sequence[object]]]) -> _Candidate | None:
    """Two sheets for one tally: the template's own empty sheet gives way to the ledger pasted beside it;
    None when both hold rows (the clerk merges them)."""
    a_data = a[3] is not None and _has_data(grids[a[0]], a[3].row)
    b_data = b[3] is not None and _has_data(grids[b[0]], b[3].row)
    if a_data and b_data:
        return None
    return a if a_data or not b_data and a[2] == HOW_NAME else b


def _read_sheet(
    sheet: TallySheet,
    source: str,
    how: str,
    m: _HeaderMatch | None,
    rows: Sequence[Sequence[object]],
    mapping: LedgerMapping | None,
    decisions: list[Decision],
) -> SheetRead:
    where = {"sheet": source}
    if m is None or not _required(sheet) <= m.found.keys():
        if source == sheet.name or m is None and not any(nz.clean_cell(v) is not None for row in rows for v in row):
            # our own sheet (its own messages name what is missing), or an empty one
            grid = rows if isinstance(rows, list) else [list(r) for r in rows]
            return SheetRead(sheet, source, how, native=True, grid=grid, rows=rows)
        missing = sorted(
            _required(sheet) - (m.found.keys() if m else set()), key=[c.header for c in sheet.columns].index
        )
        seen = (
            _text_cells(rows[m.row])
            if m
            else next((_text_cells(r) for r in rows[:HEADER_SCAN_ROWS] if _text_cells(r)), [])
        )
        hint = "、".join(f"“{c}”" for c in missing)
        found = "、".join(seen[:20]) or "（没有文字）"
        raise LedgerError(
            [
                Problem(
                    f"读作“{sheet.name}”，但找不到{hint}列（找到的表头：{found}）；"
                    "请把表头改为规定的名称，或用 --mapping 指定",
                    row=(m.row + 1) if m else None,
                    **where,
                )
            ]
        )
    read = SheetRead(
        sheet,
        source,
        how,
        header_row=m.row,
        rows=rows,
        columns={h: j for h, (j, _, _) in m.found.items()},
        source_headers={h: t for h, (_, t, _) in m.found.items()},
    )
    read.native = source == sheet.name and all(rank == 0 for _, _, rank in m.found.values())
    if read.native:
        read.grid = rows if isinstance(rows, list) else [list(r) for r in rows]
        return read
    decisions.append(Decision(SHEET, sheet.name, source=source, target=sheet.name, why=how))
    for c in sheet.columns:
        if c.header in m.found:
            j, text, rank = m.found[c.header]
            why = HOW_SAME if rank == 0 else HOW_MAPPING if rank < 0 else HOW_ALIAS
            decisions.append(Decision(COLUMN, sheet.name, c.header, source=text, target=c.header, why=why))
    for text, header, instead in m.shadowed:
        decisions.append(
            Decision(IGNORED, sheet.name, header, source=text, why=f"同样可以读作“{header}”，已按“{instead}”读取")
        )
    used = {j for j, _, _ in m.found.values()}
    for j, v in enumerate(rows[m.row]):
        if j not in used and isinstance(v, str) and v.strip() and not any(v.strip() == s for s, _, _ in m.shadowed):
            decisions.append(Decision(IGNORED, sheet.name, source=v.strip(), why="年报不需要这一列"))
    generate = [c.header for c in sheet.columns if (sheet.name, c.header) in ID_COLUMNS and c.header not in m.found]
    for header in generate:
        decisions.append(
            Decision(GENERATED, sheet.name, header, target="第N行", why=f"台账没有{header}列，按台账行号生成")
        )
    _convert_rows(read, rows, mapping, generate, decisions)
    return read


def _convert_rows(
    read: SheetRead,
    rows: Sequence[Sequence[object]],
    mapping: LedgerMapping | None,
    generate: list[str],
    decisions: list[Decision],
) -> None:
    sheet = read.sheet
    header_texts = {nz.key(t) for t in _text_cells(rows[read.header_row])}
    picks = [(c, read.columns.get(c.header)) for c in sheet.columns]
    choice = {c.header for c in sheet.columns if c.kind == "choice"}
    readings: dict[str, dict[str, Reading]] = {h: {} for h in choice}
    where_rows: dict[tuple[str, str], list[int]] = {}
    grid: list[list[object]] = [[] for _ in range(read.header_row)]
    grid.append(list(sheet.headers))
    for i in range(read.header_row + 1, len(rows)):
        row = rows[i]
        excel_row = i + 1
        cells = [nz.clean_cell(row[j]) if j is not None and j < len(row) else None for c, j in picks]
        if all(v is None for v in cells):
            if any(nz.clean_cell(v) is not None for v in row):
                read.skipped[excel_row] = "只有年报不需要的列有内容"
            grid.append([])
            continue
        texts = _text_cells(row)
        undated = all(cells[k] is None for k, (c, _) in enumerate(picks) if c.required and c.kind == "date")
        if undated and is_total_row(list(row)):  # a record has its date; '总计划…' in a 申请内容 is no total
            read.skipped[excel_row] = "合计行"
            grid.append([])
            continue
        if texts and nz.key(texts[0]) in header_texts and {nz.key(t) for t in texts} <= header_texts:
            read.skipped[excel_row] = "重复的表头行"
            grid.append([])
            continue
        out: list[object] = []
        for (c, _), v in zip(picks, cells):
            if c.header in generate:
                v = f"第{excel_row}行"
            elif isinstance(v, str) and c.header in choice:  # free text; any other value meets its converter
                text = _text(v)
                reading = readings[c.header].get(text)
                if reading is None:
                    reading = readings[c.header][text] = interpret(sheet, c, v, mapping)
                where_rows.setdefault((c.header, text), []).append(excel_row)
                if reading.value is not None:
                    v = reading.value
                else:
                    read.undecided[(c.header, excel_row)] = reading
            out.append(v)
        grid.append(out)
    read.grid = grid
    for header, by_text in readings.items():
        for text, reading in by_text.items():
            rows_of = tuple(where_rows[(header, text)])
            if reading.value is None:
                decisions.append(
                    Decision(
                        UNDECIDED,
                        sheet.name,
                        header,
                        source=text,
                        why=reading.why,
                        rows=rows_of,
                        candidates=reading.candidates,
                    )
                )
            elif reading.why != HOW_CHOICE or text != reading.value:
                decisions.append(
                    Decision(
                        VALUE, sheet.name, header, source=text, target=reading.value, why=reading.why, rows=rows_of
                    )
                )
    for excel_row, why in read.skipped.items():
        decisions.append(Decision(SKIPPED, sheet.name, source=f"第{excel_row}行", why=why, rows=(excel_row,)))
