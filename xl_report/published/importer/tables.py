"""Read 表二/表三/表四 from a token stream by their labels (a small state machine per table).

Rows are found by label (normalised, prefix-tolerant for labels cut by line breaks, printed variants
from ``variants.py``); the cells after a row label are its values. Column-header rows are skipped
wherever they repeat. Nothing is guessed: a row with the wrong number of cells, a group collapsed
into one row, an unknown row with numbers, a missing row, a row printed twice with different numbers,
digits run together that split more than one way (``splits.py``) — each becomes a precise finding and
its cells stay unread (listed in ``missing``). Two things are derived, each with a warning: a run of
digits with exactly one split (F15), and label-less rows that exactly fill a gap in the official
order (F18).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from xl_report.core import form
from xl_report.core.findings import Finding
from xl_report.published.importer import splits
from xl_report.published.importer.labels import CHAPTER, Matcher, compact, key
from xl_report.published.importer.readers import Token
from xl_report.published.importer.values import is_value, parse_value
from xl_report.published.importer.variants import T2_ROW_VARIANTS, T3_ROW_VARIANTS


@dataclass
class TableRead:
    values: dict[str, object] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    format_2019: bool = False
    # cells after the point where the text stops (an excerpt of a page): one finding for all of them
    cut_off: list[str] = field(default_factory=list)

    def problem(
        self, code: str, table: str, message: str, name: str | None = None, names: tuple[str, ...] = ()
    ) -> None:
        self.problems.append(Finding(code, "error", message, sheet=table, name=name, names=names))


@dataclass
class _Row:
    target: str
    label: str  # as printed
    want: int
    values: list[str] = field(default_factory=list)
    joined: bool = False  # the row's cells came as one run of digits (values == [the run])
    seq: int = 0  # token index of its label: rows and label-less rows in reading order
    row: int | None = None  # the source's table row of its label (None: a loose line or a text cell)
    lines: set[int] = field(default_factory=set)  # layout-text lines its values were printed on
    label_lines: set[int] = field(default_factory=set)  # … and its label
    # why its numbers cannot be trusted: more numbers right after it than its cells, or (layout text)
    # numbers spread over lines or beside numbers of no row — a number wrapped inside its cell
    unsure: str | None = None
    before: _Row | None = None  # the row filled last before its label (for numbers found after a group caption)


@dataclass
class _Fragment:
    key: str
    raw: str
    row: int | None
    lines: set[int] = field(default_factory=set)  # layout-text lines of its pieces


_MAX_FRAGMENTS = 3  # open label pieces at a time (a group caption and an item label wrapped around each other)


def header_run(tokens: list[Token], pieces: frozenset[str], min_run: int = 3) -> set[int]:
    """Token indices of column-header rows repeated inside a table (page 2 of a PDF, each sub-table):
    runs of at least ``min_run`` label tokens that are all pieces of header labels."""
    if not pieces:
        return set()
    skip: set[int] = set()
    run: list[int] = []
    for i, t in enumerate(tokens + [Token("0", True)]):
        k = key(t.text)
        if not is_value(t.text) and k and any(k in p for p in pieces):
            run.append(i)
            continue
        if not k and not is_value(t.text):
            continue  # an empty cell inside the header row
        if len(run) >= min_run:
            skip.update(run)
        run = []
    return skip


def scan_rows(
    tokens: list[Token],
    matcher: Matcher,
    want: dict[str, int],
    *,
    header_keys: frozenset = frozenset(),
    default_want: int = 0,
    order: tuple[str, ...] = (),
) -> tuple[list[_Row], list[_Row]]:
    """Walk ``tokens``: returns (rows matched to a target, unknown or label-less rows that carried values).

    ``want[target]`` is how many value cells the row has (0 for group captions); ``header_keys``
    are the column headers, skipped wherever their row is printed; ``order`` is the official row
    order, which settles a label cut short by a narrow column (“1.属” before the numbers of
    1.属于国家秘密) when the fragment fits the row that comes next. Label pieces wrapped over several
    lines are joined, also when a group caption's pieces are printed between them (“（六）其” /
    “2.申请人逾期…” / “他处理” / “要求缴纳费用、行政机关不 0 0 …”). Values in a table row never
    belong to a label printed outside that row.
    """
    rows: list[_Row] = []
    unknown: list[_Row] = []
    frags: list[_Fragment] = []
    stray: _Fragment | None = None  # unrecognised label text, reported if numbers follow it
    pending: _Row | None = None
    in_header = bool(header_keys)
    skip = header_run(tokens, header_keys)
    orphans: set[int] = set()  # layout lines holding numbers that belong to no row
    done: _Row | None = None  # the row just filled, while no label has followed it

    last_full: list[_Row] = []  # the row filled last

    def start(target: str, raw: str, i: int, row: int | None, lines: set[int]) -> _Row:
        r = _Row(
            target,
            raw,
            want.get(target, default_want),
            seq=i,
            row=row,
            label_lines=lines,
            before=last_full[-1] if last_full else None,
        )
        rows.append(r)
        return r

    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if i in skip:
            i += 1
            continue
        if is_value(tok.text):
            if pending is None and not tok.text.strip():
                i += 1
                continue  # filler cell
            if pending is not None and pending.row != tok.row and tok.row is not None and not pending.values:
                pending = None  # a label outside this table row: the row has no label of its own
            waiting = pending is None or (pending.want == 0 and not pending.values)  # none, or a group caption
            if waiting and frags:
                target, used = _resolve(frags, matcher, order, rows, tok.row)
                if target and not in_header:
                    pending = start(
                        target, "".join(f.raw for f in used), i, tok.row, set().union(*(f.lines for f in used))
                    )
                    waiting = False
                frags = []
            if waiting and stray is not None and (tok.row is None or stray.row == tok.row):
                pending = _Row("", stray.raw, default_want, seq=i, row=tok.row)
                unknown.append(pending)
            stray = None
            if pending is None and tok.row is not None and not in_header:
                cells = [t.text for t in _values_from(tokens, i)]
                if any(c.strip() for c in cells):  # a table row of numbers without a label
                    unknown.append(_Row("", "", default_want, cells, seq=i, row=tok.row))
                i += len(cells)
                continue
            if pending is None:
                if tok.line is not None and tok.text.strip():
                    orphans.add(tok.line)
                if done is not None and tok.text.strip():
                    done.unsure = done.unsure or f"其后还多出数字“{tok.text.strip()}”"
                i += 1
                continue  # a number outside any row (page number, header filler)
            if pending.want == 0:  # numbers right after a group caption: the group is collapsed
                pending.want = default_want
            if tok.joined and pending.want > 1 and not pending.values:
                pending.values, pending.joined, pending = [tok.text], True, None  # the whole row in one run
                i += 1
                continue
            pending.values.append(tok.text)
            if tok.line is not None:
                pending.lines.add(tok.line)
            if len(pending.values) >= pending.want:
                last_full.append(pending)
                pending, done = None, pending
            i += 1
            continue
        # a label token
        done = None
        k = key(tok.text)
        if not k:
            i += 1
            continue
        if in_header:
            if k in header_keys or not (matcher.exact_match(k) or (len(k) >= 4 and matcher.prefixes(k))):
                i += 1
                continue
            in_header = False
        chapter = has_chapter(tok.text)
        if pending is not None and (pending.want or pending.values):
            pending = None
        target, stray = None, None
        here = {tok.line} if tok.line is not None else set()
        label_lines = here
        fits = [f for f in frags if matcher.exact_match(f.key + k) or matcher.prefixes(f.key + k)]
        if len(fits) > 1:  # it could continue either of two labels: neither can be read
            frags = [f for f in frags if f not in fits]
            stray, k = _Fragment(k, tok.text, tok.row), ""
        elif fits:  # it continues one open label
            f = fits[0]
            cand = f.key + k
            if matcher.exact_match(cand):
                target, raw, label_lines = matcher.exact_match(cand), f.raw + tok.text, f.lines | here
                frags.remove(f)
            else:
                f.key, f.raw = cand, f.raw + tok.text
                f.lines |= here
            k = ""
        if target is None and k:
            exact = matcher.exact_match(k, chapter=chapter)
            if exact:
                target, raw = exact, tok.text
            elif matcher.prefixes(k):
                frags = (frags + [_Fragment(k, tok.text, tok.row, set(here))])[-_MAX_FRAGMENTS:]
            else:
                m = matcher.resolve(k, chapter=chapter)
                if m:  # a label followed by extra words in the same cell
                    target, raw = m.target, tok.text
                else:
                    stray = _Fragment(k, tok.text, tok.row)  # a tail piece of a cut label, or an unknown row
        if target is not None:
            pending = start(target, raw, i, tok.row, label_lines)
            if pending.want:
                frags = []  # a row label settles the pieces before it; a group caption's pieces may still wrap
        if pending is not None and tok.row is not None and pending.want and pending.seq == i:
            pending.values = _row_cells(tokens, i, pending.want)
            last_full.append(pending)
            i += 1 + _consumed(tokens, i)
            pending = None
            continue
        i += 1
    for u in unknown:  # numbers under an unknown label piece ('法提供 1') may be pieces of wrapped numbers
        orphans |= u.lines
    for r in rows:  # pdftotext prints a number wrapped inside its cell on the lines above and below
        span = r.lines | (r.label_lines if r.lines else set())
        near = range(min(span, default=0) - 1, max(span, default=-2) + 2)
        if len(r.lines) > 1 or any(n in orphans for n in near):
            r.unsure = r.unsure or "与上下行的数字错开（单元格内的数字折行了）"
    return rows, unknown


def has_chapter(text: str) -> bool:
    """'（六）其他' / '三、本年度…': a group caption or a section row, never a numbered item."""
    return bool(CHAPTER.match(compact(text)))


def _resolve(
    frags: list[_Fragment], matcher: Matcher, order: tuple[str, ...], rows: list[_Row], row: int | None
) -> tuple[str | None, list[_Fragment]]:
    """The row the open label pieces name when its numbers arrive: a piece naming one row wins over a
    group caption's piece; a piece only the next row in official order fits is that row."""
    usable = [f for f in frags if row is None or f.row == row]
    found = []
    for f in usable:
        m = matcher.resolve(f.key)
        target = m.target if m else _expected(rows, order, matcher.prefixes(f.key))
        if target:
            found.append((f, target))
    leaves = [(f, t) for f, t in found if t in order]
    pick = leaves or found
    if len({t for _, t in pick}) == 1:
        return pick[0][1], [pick[0][0]]
    return None, []


def _expected(rows: list[_Row], order: tuple[str, ...], candidates: set[str]) -> str | None:
    """The row due after the last one read, if the label fragment fits it."""
    done = [order.index(r.target) for r in rows if r.target in order]
    nxt = (max(done) + 1) if done else 0
    return order[nxt] if nxt < len(order) and order[nxt] in candidates else None


def _same_row_values(tokens: list[Token], i: int) -> list[Token]:
    """The value cells following the label at ``i`` in the same table row."""
    out = []
    for t in tokens[i + 1 :]:
        if t.row != tokens[i].row or not is_value(t.text):
            break
        out.append(t)
    return out


def _values_from(tokens: list[Token], i: int) -> list[Token]:
    """The value cells from ``i`` on in the table row of ``tokens[i]``."""
    out = []
    for t in tokens[i:]:
        if t.row != tokens[i].row or not is_value(t.text):
            break
        out.append(t)
    return out


def _consumed(tokens: list[Token], i: int) -> int:
    return len(_same_row_values(tokens, i))


def _row_cells(tokens: list[Token], i: int, want: int) -> list[str]:
    """A real table row: drop filler cells (spanned label columns, trailing padding) beyond ``want``."""
    cells = [t.text for t in _same_row_values(tokens, i)]
    while len(cells) > want and not cells[-1].strip():
        cells.pop()
    while len(cells) > want and not cells[0].strip():
        cells.pop(0)
    return cells


# --------------------------------------------------------------------------------------------
# 表二
# --------------------------------------------------------------------------------------------


def _concat_keys(tokens: list[Token]) -> str:
    return "".join(key(t.text) for t in tokens if not is_value(t.text))


def _t2_blocks(tokens: list[Token]) -> list[tuple[form.T2Block, list[Token]]]:
    """The tokens of each 表二 block, cut at the block captions (第二十条第（一）项 …) where they are printed."""
    captions = {key(b.caption): b for b in form.T2_BLOCKS}
    starts = [(i, captions[key(t.text)]) for i, t in enumerate(tokens) if key(t.text) in captions]
    return [
        (block, tokens[i : starts[n + 1][0] if n + 1 < len(starts) else len(tokens)])
        for n, (i, block) in enumerate(starts)
    ]


def _old_blocks(tokens: list[Token]) -> tuple[list[form.T2Block], list[str]]:
    """Blocks printed in the superseded 2019 format, and the 2019 headings found (the whole table when its
    block captions are not printed)."""
    keys = _concat_keys(tokens)
    found = [lab for lab in form.T2_2019_SIGNATURE if key(lab) in keys]
    blocks = _t2_blocks(tokens)
    if not found or not blocks:
        return (list(form.T2_BLOCKS) if found else []), found
    old = [b for b, part in blocks if any(key(lab) in _concat_keys(part) for lab in form.T2_2019_SIGNATURE)]
    # the 2019 table beyond its first block (上一年项目数量, 第二十条第（九）项 …) is the old table throughout;
    # only the first block's old headings under 2021 blocks is a mixed table (2019 column names kept there)
    if old != [form.T2_BLOCKS[0]] or any(lab not in form.T2_2019_SIGNATURE[:3] for lab in found):
        return list(form.T2_BLOCKS), found
    return old, found


def read_t2(tokens: list[Token], cut: bool = False) -> TableRead:
    """``cut``: the text stops inside this table (rows after the last one read are cut off, not missing)."""
    out = TableRead()
    table = "表二"
    old, found_2019 = _old_blocks(tokens)
    if old:
        out.format_2019 = True
        names = [form.t2(item, m) for b in old for item, _ in b.items for m, _ in b.measures]
        out.missing.extend(names)
        where = "表二" if len(old) == len(form.T2_BLOCKS) else "表二" + "、".join(b.caption for b in old)
        out.problem(
            "F02",
            table,
            f"{where}使用的是已废止的2019年试行格式（含“"
            + "”“".join(found_2019[:3])
            + f"”等栏目），应按{form.FORM_ID}格式填报；{where}数据未导入",
            names=tuple(names),
        )
    entries, want, measures = [], {}, {}
    for block in form.T2_BLOCKS:
        if block in old:
            continue
        for item, label in block.items:
            entries.append((label, item))
            want[item] = len(block.measures)
            measures[item] = block
    if not entries:
        return out
    synonyms = [
        (syn, item)
        for block in form.T2_BLOCKS
        for item, label in block.items
        if item in want
        for syn in form.T2_LABEL_SYNONYMS.get(label, ()) + T2_ROW_VARIANTS.get(item, ())
    ]
    order = tuple(item for _, item in entries)
    rows, unknown = scan_rows(tokens, Matcher(entries, synonyms), want, order=order)

    def cells_of(r: _Row) -> list[str]:
        return [form.t2(r.target, m) for m, _ in measures[r.target].measures]

    rows, unknown = settle(out, table, rows, unknown, order, cells_of)
    split_joined(out, table, rows, cells_of)
    seen: dict[str, _Row] = {}
    for n, row in enumerate(rows):
        block = measures[row.target]
        label = dict(block.items)[row.target]
        _take_row(
            out,
            "F02",
            table,
            label,
            row,
            [form.t2(row.target, m) for m, _ in block.measures],
            seen,
            "",
            cut and n == len(rows) - 1,
        )
    last = max((order.index(r.target) for r in rows), default=-1)
    for block in form.T2_BLOCKS:
        for item, label in block.items:
            if item in want and item not in seen:
                cells = tuple(form.t2(item, m) for m, _ in block.measures)
                out.missing.extend(cells)
                if cut and order.index(item) > last:
                    out.cut_off.extend(cells)
                else:
                    out.problem("F02", table, f"表二缺少“{label}”行（{block.caption}），未导入", names=cells)
    return out


# --------------------------------------------------------------------------------------------
# 表三
# --------------------------------------------------------------------------------------------
_T3_COLS = [c for c, _, _ in form.T3_COLUMNS]
_GROUP = "group:"


def _t3_matcher() -> tuple[Matcher, dict[str, int]]:
    entries, want = [], {}
    for row in form.T3_ROWS:
        entries.append((row.labels[-1], row.key))
        want[row.key] = len(_T3_COLS)
    for g in form.T3_RESULT_GROUPS:
        if g.items:
            entries.append((g.label, _GROUP + g.key))
            want[_GROUP + g.key] = 0
    entries.append((form.T3_RESULTS_LABEL, _GROUP + "results"))
    want[_GROUP + "results"] = 0
    return Matcher(entries, [(v, k) for k, vs in T3_ROW_VARIANTS.items() for v in vs]), want


_T3_HEADER_KEYS = frozenset(
    key(x)
    for x in (
        [lab for _, lab, _ in form.T3_COLUMNS] + [form.T3_APPLICANT_HEADER, form.T3_LEGAL_PERSON_HEADER, form.T3_NOTE]
    )
)


def read_t3(tokens: list[Token], cut: bool = False) -> TableRead:
    out = TableRead()
    table = "表三"
    matcher, want = _t3_matcher()
    rows, unknown = scan_rows(
        tokens,
        matcher,
        want,
        header_keys=_T3_HEADER_KEYS,
        default_want=len(_T3_COLS),
        order=tuple(r.key for r in form.T3_ROWS),
    )
    labels = {r.key: r.labels[-1] for r in form.T3_ROWS}
    stray = _stray_group_numbers(out, table, rows)

    def cells_of(r: _Row) -> list[str]:
        return [] if r.target.startswith(_GROUP) else [form.t3(r.target, c) for c in _T3_COLS]

    rows, unknown = settle(out, table, rows, unknown, tuple(r.key for r in form.T3_ROWS), cells_of)
    split_joined(out, table, rows, cells_of)
    groups = {g.key: g for g in form.T3_RESULT_GROUPS}
    seen: dict[str, _Row] = {}
    collapsed: set[str] = set()
    for n, row in enumerate(rows):
        if row.target.startswith(_GROUP):
            if row.values and row not in stray:  # numbers right after a group caption: its sub-rows were merged
                gkey = row.target[len(_GROUP) :]
                g = groups.get(gkey)
                caption = g.label if g else form.T3_RESULTS_LABEL
                keys = [r.key for r in form.T3_ROWS if r.key.startswith(f"{gkey}_")] if g else []
                collapsed.update(keys)
                out.problem(
                    "F03",
                    table,
                    f"表三“{caption}”的分项被合并为一行（{_show(row.values)}），无法拆分到各分项，未导入",
                    names=tuple(form.t3(k, c) for k in keys for c in _T3_COLS),
                )
            continue
        _take_row(
            out,
            "F03",
            table,
            labels[row.target],
            row,
            [form.t3(row.target, c) for c in _T3_COLS],
            seen,
            f"（{_show(row.values)}）",
            cut and n == len(rows) - 1,
        )
    for row in unknown:
        if row.label:
            out.problem("F03", table, f"表三有无法识别的行“{row.label}”（{_show(row.values)}），未导入")
        else:
            out.problem("F03", table, f"表三有一行数字没有行名（{_show(row.values)}），无法确定是哪一行，未导入")
    order = [r.key for r in form.T3_ROWS]
    last = max((order.index(r.target) for r in rows if r.target in order), default=-1)
    for r in form.T3_ROWS:
        if r.key not in seen:
            cells = tuple(form.t3(r.key, c) for c in _T3_COLS)
            out.missing.extend(cells)
            if cut and order.index(r.key) > last:
                out.cut_off.extend(cells)
            elif r.key not in collapsed:
                out.problem("F03", table, f"表三缺少“{'·'.join(r.labels)}”行，未导入", names=cells)
    return out


def _stray_group_numbers(out: TableRead, table: str, rows: list[_Row]) -> list[_Row]:
    """Group captions followed by numbers while the group's own rows are printed too: the numbers are no
    merged row but pieces of numbers wrapped inside their cells, so the rows beside them are not read."""
    result_keys = {r.key for r in form.T3_RESULT_ROWS}
    stray = []
    for g in rows:
        if not (g.target.startswith(_GROUP) and g.values):
            continue
        gkey = g.target[len(_GROUP) :]
        if not any(r.target in result_keys and (gkey == "results" or r.target.startswith(f"{gkey}_")) for r in rows):
            continue
        stray.append(g)
        near = {n + d for n in g.lines for d in (-1, 0, 1)}
        for r in rows:
            if r is g.before or r.lines & near:
                r.unsure = r.unsure or f"旁边有不属于任何一行的数字“{_show(g.values)}”（可能是单元格内的数字折行了）"
        out.problem("F03", table, f"{table}“{g.label.strip()}”后有不属于任何一行的数字（{_show(g.values)}），未导入")
    return stray


def _take_row(
    out: TableRead,
    code: str,
    table: str,
    label: str,
    row,
    cells: list[str],
    seen: dict[str, _Row],
    shown: str,
    cut: bool = False,
) -> None:
    """Import one matched row into ``cells``: a repeated row or a row with the wrong number of values
    is reported (``shown``: the printed values, for the message) and not imported. ``cut``: the text
    stops inside this row, so the values printed are its first cells, and the rest are cut off."""
    if row.target in seen:
        first = seen[row.target]
        if first.values == row.values or not row.values:
            return  # printed twice alike (a heading repeating the row label)
        for name in cells:
            out.values.pop(name, None)
        out.missing.extend(cells)
        out.problem(
            code,
            table,
            f"{table}“{label}”行出现两次，数字不同（{_show(first.values)}；{_show(row.values)}），无法确定，未导入",
            names=tuple(cells),
        )
        return
    seen[row.target] = row
    if row.unsure:
        out.missing.extend(cells)
        out.problem(
            code,
            table,
            f"{table}“{label}”行的数字（{_show(row.values)}）{row.unsure}，无法确定各栏数值，未导入",
            names=tuple(cells),
        )
        return
    if row.joined:
        out.missing.extend(cells)
        why = "表二没有总计可供核对" if table == "表二" else "或没有一种符合本行总计和表内勾稽关系"
        out.problem(
            "F16",
            table,
            f"{table}“{label}”行的数字连写为“{row.values[0]}”，"
            f"拆分为 {len(cells)} 栏的方法不止一种"
            f"（{why}），无法确定各栏数值，未导入",
            names=tuple(cells),
        )
        return
    if cut and 0 < len(row.values) < len(cells):
        for name, raw in zip(cells, row.values):
            _put(out, name, raw)
        rest = cells[len(row.values) :]
        out.missing.extend(rest)
        out.cut_off.extend(rest)
        return
    if len(row.values) != len(cells):
        out.missing.extend(cells)
        out.problem(
            code,
            table,
            f"{table}“{label}”行有 {len(row.values)} 个数值{shown}，应为 {len(cells)} 个，未导入",
            names=tuple(cells),
        )
        return
    for name, raw in zip(cells, row.values):
        _put(out, name, raw)


def settle(
    out: TableRead, table: str, rows: list[_Row], unknown: list[_Row], order: tuple[str, ...], cells_of
) -> tuple[list[_Row], list[_Row]]:
    """Rows as imported: a row label printed twice (a heading above its one-row sub-table) keeps the one
    occurrence that carries its values; label-less rows of numbers (a converter put the labels apart)
    take the official rows only where they exactly fill the gap between two recognised rows."""
    full: dict[str, list[_Row]] = {}
    for r in rows:
        if r.target in order and (r.joined or len(r.values) == r.want):
            full.setdefault(r.target, []).append(r)
    labelless = [r for r in unknown if not r.label]
    placed: list[_Row] = []
    known = sorted((r for r in rows if r.target in order and r.target in full), key=lambda r: r.seq)
    for a, b in pairwise(known):
        gap = [r for r in labelless if a.seq < r.seq < b.seq]
        between = order[order.index(a.target) + 1 : order.index(b.target)]
        if not gap or len(gap) != len(between) or any(t in full for t in between):
            continue
        for r, target in zip(gap, between):
            r.target, r.want, r.label = target, len(cells_of(_Row(target, "", 0))), target
            placed.append(r)
            full[target] = [r]
    rows = [r for r in rows if not (r.target in full and not r.values)]  # its label printed apart from its row
    if placed:
        rows = sorted(rows + placed, key=lambda r: r.seq)
        shown = "、".join(f"“{_row_label(table, r.target)}”" for r in placed[:3]) + ("等" if len(placed) > 3 else "")
        out.problems.append(
            Finding(
                "F18",
                "warning",
                f"{table}有 {len(placed)} 行数字没有行名（行名与数字分开印出），"
                f"按规定的行序放入{shown}行："
                "这些行恰好填满前后两个已识别行之间的空缺；请与原文核对",
                sheet=table,
                names=tuple(n for r in placed for n in cells_of(r)),
            )
        )
    return rows, [r for r in unknown if r not in placed]


def _row_label(table: str, target: str) -> str:
    if table == "表三":
        return next(r.labels[-1] for r in form.T3_ROWS if r.key == target)
    return next(label for b in form.T2_BLOCKS for item, label in b.items if item == target)


def split_joined(out: TableRead, table: str, rows: list[_Row], cells_of) -> None:
    """Give each joined row its certain split (``splits.solve``) with a warning; the others stay joined."""
    runs = {tuple(cells_of(r)): r.values[0] for r in rows if r.joined and cells_of(r)}
    if not runs:
        return
    known: dict[str, object] = {}
    for r in rows:
        names = cells_of(r)
        if names and not r.joined and len(r.values) == len(names):
            known.update((n, parse_value(raw)[0]) for n, raw in zip(names, r.values))
    solved = splits.solve(runs, known)
    done = []
    for r in rows:
        names = tuple(cells_of(r)) if r.joined else ()
        split = solved.get(names) if names else None
        if split is not None:
            parts = [str(v) for v in split]
            done.append((r, names))
            r.values, r.joined = parts, False
    if done:
        shown = "；".join(f"“{r.label.strip()}” {runs[n]} → {'、'.join(r.values)}" for r, n in done[:3])
        more = f" 等 {len(done)} 行" if len(done) > 3 else ""
        out.problems.append(
            Finding(
                "F15",
                "warning",
                f"{table}的数字连写在一起（{shown}{more}），每行只有一种拆法"
                f"{'（每栏至少一位数、不以 0 开头）' if table == '表二' else '符合本行总计和表内勾稽关系'}，"
                "已按此导入，请与原文核对",
                sheet=table,
                names=tuple(n for _, names in done for n in names),
            )
        )


def _show(values: list[str], limit: int = 8) -> str:
    shown = "、".join(v.strip() or "空白" for v in values[:limit])
    return shown + ("…" if len(values) > limit else "")


# --------------------------------------------------------------------------------------------
# 表四: one data row of 15 cells after the three header rows
# --------------------------------------------------------------------------------------------
_T4_HEADER_KEYS = frozenset(
    key(x)
    for x in (
        [form.T4_REVIEW, form.T4_SUIT]
        + [lab for _, labs in form.T4_GROUPS for lab in labs]
        + [lab for _, lab in form.T4_OUTCOMES]
    )
)


def _t4_group(text: str) -> str | None:
    """The 表四 column group a caption names: 复议后起诉 and 未经复议直接起诉 before 行政复议 (both say 复议)."""
    k = key(text)
    for group, labels in sorted(form.T4_GROUPS, key=lambda g: -len(g[1])):
        if key(labels[-1]) in k:
            return group
    return None


def _t4_runs(tokens: list[Token]) -> list[tuple[str | None, list[Token]]]:
    """Runs of value cells after the first header, each with the column group captioned last before it."""
    runs: list[tuple[str | None, list[Token]]] = []
    group: str | None = None
    run: list[Token] = []
    for t in tokens:
        if is_value(t.text):
            if t.text.strip() or run:
                run.append(t)
            continue
        if run:
            runs.append((group, run))
            run = []
        group = _t4_group(t.text) or group
    if run:
        runs.append((group, run))
    return runs


def read_t4(tokens: list[Token], cut: bool = False) -> TableRead:
    """One row of 15 cells after the header rows, or three sub-tables of 5 (行政复议 / 未经复议直接起诉 /
    复议后起诉, each under its own header); cells run together are split only where certain."""
    out = TableRead()
    table = "表四"
    names = [form.t4(g, o) for g, _ in form.T4_GROUPS for o, _ in form.T4_OUTCOMES]
    first = next(
        (i for i, t in enumerate(tokens) if not is_value(t.text) and any(h in key(t.text) for h in _T4_HEADER_KEYS)),
        None,
    )  # a header cell, or a header line ('行政复议行政诉讼')
    if first is None:
        out.missing.extend(names)
        if cut:
            out.cut_off.extend(names)
            return out
        out.problem(
            "F04", table, "未找到表四（政府信息公开行政复议、行政诉讼情况）的表头，表四未导入", names=tuple(names)
        )
        return out
    row = tuple(names)
    groups = {g: tuple(form.t4(g, o) for o, _ in form.T4_OUTCOMES) for g, _ in form.T4_GROUPS}
    runs = _t4_runs(tokens[first:])
    plan: list[tuple[tuple[str, ...], list[Token]]] = [(row, runs[-1][1] if runs else [])]
    if len(runs) > 1:
        subtables = [(groups[g], run) for g, run in runs if g is not None]
        if len(subtables) == len(runs) and len({c for c, _ in subtables}) == len(subtables):
            plan = subtables  # one sub-table per group; else the last run is the row (as printed)
    read: dict[tuple[str, ...], list[str]] = {}
    unsure: set[tuple[str, ...]] = set()
    for cells, run in plan:
        texts = [t.text for t in run]
        while len(texts) > len(cells) and not texts[-1].strip():
            texts.pop()
        while len(texts) > len(cells) and not texts[0].strip():
            texts.pop(0)
        read[tuple(cells)] = texts
        if len({t.line for t in run if t.line is not None}) > 1:  # layout text: a number wrapped in its cell
            unsure.add(tuple(cells))
    joined = {
        c: texts[0]
        for c, texts in read.items()
        if len(texts) == 1 and len(c) > 1 and texts[0].strip().isdigit() and len(texts[0].strip()) > 1
    }
    if joined:
        solved = splits.solve(joined, {})
        for cells, parts in solved.items():
            if parts is not None:
                read[cells] = [str(v) for v in parts]
                out.problems.append(
                    Finding(
                        "F15",
                        "warning",
                        f"表四的数字连写在一起（{joined[cells]} → "
                        f"{'、'.join(read[cells])}），只有一种拆分符合总计，已按此导入，请与原文核对",
                        sheet=table,
                        names=cells,
                    )
                )
    covered = {n for c in read for n in c}
    for cells, texts in read.items():
        if cells in unsure and not cut:
            out.missing.extend(cells)
            out.problem(
                "F04",
                table,
                f"表四的数字分在上下几行（单元格内的数字折行了：{_show(texts, 15)}），无法确定各栏数值，未导入",
                names=cells,
            )
            continue
        if len(texts) == len(cells):
            for name, raw in zip(cells, texts):
                _put(out, name, raw)
            continue
        out.missing.extend(cells)
        if cut:
            out.cut_off.extend(cells)
        elif cells in joined:
            out.problem(
                "F16",
                table,
                f"表四的数字连写为“{joined[cells]}”，"
                f"拆分为 {len(cells)} 栏的方法不止一种（或没有一种"
                "符合总计），无法确定各栏数值，未导入",
                names=cells,
            )
        else:
            out.problem(
                "F04",
                table,
                f"表四应有 {len(cells)} 个数值，读到 {len(texts)} 个（{_show(texts, 15)}），未导入",
                names=cells,
            )
    rest = tuple(n for n in names if n not in covered)
    if rest:
        out.missing.extend(rest)
        if cut:
            out.cut_off.extend(rest)
        else:
            missing = "、".join(lab[-1] for g, lab in form.T4_GROUPS if groups[g][0] in rest)
            out.problem("F04", table, f"表四缺少{missing}的数值，未导入", names=rest)
    return out


# --------------------------------------------------------------------------------------------


def _put(out: TableRead, name: str, raw: str) -> None:
    value, issue = parse_value(raw)
    out.values[name] = value
    cell = form.CELL_BY_NAME[name]
    where = f"{cell.table}“{cell.row_label}”行“{cell.col_label}”"
    if issue == "blank":
        shown = f"“{raw.strip()}”" if raw.strip() else "空白"
        out.problem("F05", cell.table, f"{where}为{shown}，应填数字（没有则填 0）；按空白导入", name=name)
    elif issue == "annotation":
        out.problem(
            "F06",
            cell.table,
            f"{where}含有文字“{raw.strip()}”，单元格只应填数字（说明请写入正文）；原文照录",
            name=name,
        )
