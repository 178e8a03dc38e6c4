"""Read 表二/表三/表四 from a token stream by their labels (a small state machine per table).

Rows are found by label (normalised, prefix-tolerant for labels cut by line breaks); the cells
after a row label are its values. Nothing is guessed: a row with the wrong number of cells, a
group collapsed into one row, an unknown row with numbers, a missing row — each becomes a precise
finding and its cells stay unread (listed in ``missing``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from xl_report.core import form
from xl_report.core.findings import Finding
from xl_report.published.importer.labels import Matcher, key
from xl_report.published.importer.readers import Token
from xl_report.published.importer.values import is_value, parse_value


@dataclass
class TableRead:
    values: dict[str, object] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    format_2019: bool = False

    def problem(self, code: str, table: str, message: str, name: str | None = None,
                names: tuple[str, ...] = ()) -> None:
        self.problems.append(Finding(code, "error", message, sheet=table, name=name, names=names))


@dataclass
class _Row:
    target: str
    label: str  # as printed
    want: int
    values: list[str] = field(default_factory=list)


def scan_rows(tokens: list[Token], matcher: Matcher, want: dict[str, int], *, header_keys: frozenset = frozenset(),
              default_want: int = 0, order: tuple[str, ...] = ()) -> tuple[list[_Row], list[_Row]]:
    """Walk ``tokens``: returns (rows matched to a target, unknown labels that carried values).

    ``want[target]`` is how many value cells the row has (0 for group captions); ``header_keys``
    are column headers skipped before the first row label; ``order`` is the official row order,
    which settles a label cut short by a narrow column (“1.属” before the numbers of 1.属于国家秘密)
    when the fragment fits the row that comes next.
    """
    rows: list[_Row] = []
    unknown: list[_Row] = []
    acc, acc_raw = "", ""
    stray: str | None = None  # unrecognised label text, reported if numbers follow it
    pending: _Row | None = None
    in_header = bool(header_keys)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if is_value(tok.text):
            if pending is None and not tok.text.strip():
                i += 1
                continue  # filler cell
            if pending is None and acc:
                m = matcher.resolve(acc)
                target = m.target if m else _expected(rows, order, matcher.prefixes(acc))
                if target and not in_header:
                    pending = _start(target, acc_raw, want, default_want, rows)
                acc, acc_raw = "", ""
            if pending is None and stray is not None:
                pending = _Row("", stray, default_want)
                unknown.append(pending)
            stray = None
            if pending is None:
                i += 1
                continue  # a number outside any row (page number, header filler)
            if pending.want == 0:  # numbers right after a group caption: the group is collapsed
                pending.want = default_want
            pending.values.append(tok.text)
            if len(pending.values) >= pending.want:
                pending = None
            i += 1
            continue
        # a label token
        k = key(tok.text)
        if not k:
            i += 1
            continue
        if in_header:
            if k in header_keys or not (matcher.exact_match(k) or (len(k) >= 4 and matcher.prefixes(k))):
                i += 1
                continue
            in_header = False
        pending = None
        cand = acc + k
        target = matcher.exact_match(cand)
        if target:
            pending = _start(target, acc_raw + tok.text, want, default_want, rows)
            acc, acc_raw, stray = "", "", None
        elif matcher.prefixes(cand):
            acc, acc_raw, stray = cand, acc_raw + tok.text, None
        elif exact := matcher.exact_match(k):
            pending = _start(exact, tok.text, want, default_want, rows)
            acc, acc_raw, stray = "", "", None
        elif matcher.prefixes(k):
            acc, acc_raw, stray = k, tok.text, None
        else:
            m = matcher.resolve(k)
            acc, acc_raw = "", ""
            if m:  # a label followed by extra words in the same cell
                pending = _start(m.target, tok.text, want, default_want, rows)
                stray = None
            else:
                stray = tok.text  # a tail fragment of a cut label, or an unknown row
        if pending is not None and tok.row is not None and pending.want:
            pending.values = _row_cells(tokens, i, pending.want)
            i += 1 + _consumed(tokens, i)
            pending = None
            continue
        i += 1
    return rows, unknown


def _expected(rows: list[_Row], order: tuple[str, ...], candidates: set[str]) -> str | None:
    """The row due after the last one read, if the label fragment fits it."""
    done = [order.index(r.target) for r in rows if r.target in order]
    nxt = (max(done) + 1) if done else 0
    return order[nxt] if nxt < len(order) and order[nxt] in candidates else None


def _start(target: str, raw: str, want: dict[str, int], default_want: int, rows: list[_Row]) -> _Row:
    row = _Row(target, raw, want.get(target, default_want))
    rows.append(row)
    return row


def _same_row_values(tokens: list[Token], i: int) -> list[Token]:
    """The value cells following the label at ``i`` in the same table row."""
    out = []
    for t in tokens[i + 1:]:
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


def read_t2(tokens: list[Token]) -> TableRead:
    out = TableRead()
    table = "表二"
    keys = _concat_keys(tokens)
    found_2019 = [lab for lab in form.T2_2019_SIGNATURE if key(lab) in keys]
    names = [c.name for c in form.CELLS if c.table == table]
    if found_2019:
        out.format_2019 = True
        out.missing.extend(names)
        out.problem("F02", table, "表二使用的是已废止的2019年试行格式（含“" + "”“".join(found_2019[:3])
                    + "”等栏目），应按国办公开办函〔2021〕30号格式填报；表二数据未导入", names=tuple(names))
        return out
    entries, want, measures = [], {}, {}
    for block in form.T2_BLOCKS:
        for item, label in block.items:
            entries.append((label, item))
            want[item] = len(block.measures)
            measures[item] = block
    synonyms = [(syn, item) for block in form.T2_BLOCKS for item, label in block.items
                for syn in form.T2_LABEL_SYNONYMS.get(label, ())]
    rows, unknown = scan_rows(tokens, Matcher(entries, synonyms), want, order=tuple(item for item, _ in entries))
    seen: set[str] = set()
    for row in rows:
        block = measures[row.target]
        label = dict(block.items)[row.target]
        _take_row(out, "F02", table, label, row, [form.t2(row.target, m) for m, _ in block.measures], seen, "")
    for block in form.T2_BLOCKS:
        for item, label in block.items:
            if item not in seen:
                cells = tuple(form.t2(item, m) for m, _ in block.measures)
                out.missing.extend(cells)
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
    return Matcher(entries), want


_T3_HEADER_KEYS = frozenset(key(x) for x in (
    [lab for _, lab, _ in form.T3_COLUMNS] + [form.T3_APPLICANT_HEADER, form.T3_LEGAL_PERSON_HEADER, form.T3_NOTE]))


def read_t3(tokens: list[Token]) -> TableRead:
    out = TableRead()
    table = "表三"
    matcher, want = _t3_matcher()
    rows, unknown = scan_rows(tokens, matcher, want, header_keys=_T3_HEADER_KEYS, default_want=len(_T3_COLS),
                              order=tuple(r.key for r in form.T3_ROWS))
    labels = {r.key: r.labels[-1] for r in form.T3_ROWS}
    groups = {g.key: g for g in form.T3_RESULT_GROUPS}
    seen: set[str] = set()
    collapsed: set[str] = set()
    for row in rows:
        if row.target.startswith(_GROUP):
            if row.values:  # numbers right after a group caption: its sub-rows were merged
                gkey = row.target[len(_GROUP):]
                g = groups.get(gkey)
                caption = g.label if g else form.T3_RESULTS_LABEL
                keys = [r.key for r in form.T3_ROWS if r.key.startswith(f"{gkey}_")] if g else []
                collapsed.update(keys)
                out.problem("F03", table, f"表三“{caption}”的分项被合并为一行（{_show(row.values)}），"
                            "无法拆分到各分项，未导入", names=tuple(form.t3(k, c) for k in keys for c in _T3_COLS))
            continue
        _take_row(out, "F03", table, labels[row.target], row, [form.t3(row.target, c) for c in _T3_COLS], seen,
                  f"（{_show(row.values)}）")
    for row in unknown:
        out.problem("F03", table, f"表三有无法识别的行“{row.label}”（{_show(row.values)}），未导入")
    for r in form.T3_ROWS:
        if r.key not in seen:
            cells = tuple(form.t3(r.key, c) for c in _T3_COLS)
            out.missing.extend(cells)
            if r.key not in collapsed:
                out.problem("F03", table, f"表三缺少“{'·'.join(r.labels)}”行，未导入", names=cells)
    return out


def _take_row(out: TableRead, code: str, table: str, label: str, row, cells: list[str], seen: set[str],
              shown: str) -> None:
    """Import one matched row into ``cells``: a repeated row or a row with the wrong number of values
    is reported (``shown``: the printed values, for the message) and not imported."""
    if row.target in seen:
        out.problem(code, table, f"{table}“{label}”行重复出现，只导入第一行", names=tuple(cells))
        return
    seen.add(row.target)
    if len(row.values) != len(cells):
        out.missing.extend(cells)
        out.problem(code, table, f"{table}“{label}”行有 {len(row.values)} 个数值{shown}，应为 {len(cells)} 个，未导入",
                    names=tuple(cells))
        return
    for name, raw in zip(cells, row.values):
        _put(out, name, raw)


def _show(values: list[str], limit: int = 8) -> str:
    shown = "、".join(v.strip() or "空白" for v in values[:limit])
    return shown + ("…" if len(values) > limit else "")


# --------------------------------------------------------------------------------------------
# 表四: one data row of 15 cells after the three header rows
# --------------------------------------------------------------------------------------------
_T4_HEADER_KEYS = frozenset(key(x) for x in (
    [form.T4_REVIEW, form.T4_SUIT] + [lab for _, labs in form.T4_GROUPS for lab in labs]
    + [lab for _, lab in form.T4_OUTCOMES]))


def read_t4(tokens: list[Token]) -> TableRead:
    out = TableRead()
    table = "表四"
    names = [form.t4(g, o) for g, _ in form.T4_GROUPS for o, _ in form.T4_OUTCOMES]
    last = max((i for i, t in enumerate(tokens) if key(t.text) in _T4_HEADER_KEYS and not is_value(t.text)),
               default=None)
    if last is None:
        out.missing.extend(names)
        out.problem("F04", table, "未找到表四（政府信息公开行政复议、行政诉讼情况）的表头，表四未导入", names=tuple(names))
        return out
    cells: list[str] = []
    for t in tokens[last + 1:]:
        if not is_value(t.text):
            if cells:
                break
            continue  # a row caption before the numbers
        cells.append(t.text)
    while len(cells) > len(names) and not cells[-1].strip():
        cells.pop()
    while len(cells) > len(names) and not cells[0].strip():
        cells.pop(0)
    if len(cells) != len(names):
        out.missing.extend(names)
        out.problem("F04", table, f"表四应有 {len(names)} 个数值，读到 {len(cells)} 个（{_show(cells, 15)}），未导入",
                    names=tuple(names))
        return out
    for name, raw in zip(names, cells):
        _put(out, name, raw)
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
        out.problem("F06", cell.table, f"{where}含有文字“{raw.strip()}”，单元格只应填数字（说明请写入正文）；"
                    "原文照录", name=name)
