"""Cells run together: split only where exactly one split fits the row's total and the table's identities."""

from __future__ import annotations

from xl_report.core import form
from xl_report.published.importer.splits import solve, splits

COLS = [c for c, _, _ in form.T3_COLUMNS]


def row(key: str) -> tuple[str, ...]:
    return tuple(form.t3(key, c) for c in COLS)


def test_splits_have_no_leading_zeros():
    assert splits("000", 3) == [(0, 0, 0)]
    assert splits("0102", 2) == [(0, 102)]
    assert len(splits("12015", 3)) > 1
    assert splits("12", 3) == []


def test_own_total_settles_a_row_or_leaves_it_open():
    assert solve({row("new"): "713000074"}, {}) == {row("new"): (71, 3, 0, 0, 0, 0, 74)}
    assert solve({row("open"): "111000012"}, {}) == {row("open"): None}  # 1/11 or 11/1
    assert solve({row("open"): "11100001"}, {}) == {row("open"): None}  # a dropped column: no split at all


def test_table_identities_settle_what_the_row_total_cannot():
    known = {}
    for r in form.T3_RESULT_ROWS:
        if r.key != "open":
            known.update(dict.fromkeys(row(r.key), 0))
    known.update(zip(row("total"), (1, 11, 0, 0, 0, 0, 12)))
    assert solve({row("open"): "111000012"}, known) == {row("open"): (1, 11, 0, 0, 0, 0, 12)}
    known.update(zip(row("total"), (11, 1, 0, 0, 0, 0, 12)))
    assert solve({row("open"): "111000012"}, known) == {row("open"): (11, 1, 0, 0, 0, 0, 12)}
    known[form.t3("total", "person")] = 5  # the report's own totals disagree: no split fits, none is taken
    assert solve({row("open"): "111000012"}, known) == {row("open"): None}


def test_table_four_group_totals():
    names = tuple(n for n in form.CELL_NAMES if n.startswith("t4_"))
    assert solve({names: "011021000100000"}, {})[names] == (0, 1, 1, 0, 2, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0)
