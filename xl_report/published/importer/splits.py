"""Cells run together (``713000074`` for the seven cells of a 表三 row): split only where certain.

A run of digits is split into the row's cells only when exactly one split (no number with a leading
zero) satisfies the row's own total and the table's identities (``form.IDENTITIES``: 总计 = sum of the
parts, 新收 + 结转 = 办结 + 结转下年度 per column). Two splits, or none, leave the row blank.
"""

from __future__ import annotations

from itertools import combinations, pairwise, product
from math import comb, prod

from xl_report.core import form

MAX_SPLITS = 200_000  # ways to cut one run; beyond this the run is not split at all
MAX_COMBINATIONS = 200_000  # joint choices over the ambiguous rows of a table


def splits(digits: str, cells: int) -> list[tuple[int, ...]]:
    """Every way to cut ``digits`` into ``cells`` numbers without leading zeros."""
    if not digits.isdigit() or not 0 < cells <= len(digits) or comb(len(digits) - 1, cells - 1) > MAX_SPLITS:
        return []
    out = []
    for cuts in combinations(range(1, len(digits)), cells - 1):
        bounds = (0, *cuts, len(digits))
        parts = [digits[a:b] for a, b in pairwise(bounds)]
        if all(p == "0" or p[0] != "0" for p in parts):
            out.append(tuple(int(p) for p in parts))
    return out


def _holds(ident: form.Identity, values: dict[str, int | float]) -> bool:
    return sum(values[n] for n in ident.lhs) == sum(values[n] for n in ident.rhs)


def solve(runs: dict[tuple[str, ...], str], known: dict[str, object]) -> dict[tuple[str, ...], tuple[int, ...] | None]:
    """For each run (the names of its cells -> its digits): its certain split, or None.

    ``known``: the table's other cells as read (numbers; blanks and texts take part in no identity).
    """
    numbers = {n: v for n, v in known.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    candidates: dict[tuple[str, ...], list[tuple[int, ...]]] = {}
    for names, digits in runs.items():
        own = [i for i in form.IDENTITIES if set(i.names) <= set(names)]
        candidates[names] = [c for c in splits(digits, len(names)) if all(_holds(i, dict(zip(names, c))) for i in own)]
    out: dict[tuple[str, ...], tuple[int, ...] | None] = {
        names: (c[0] if len(c) == 1 else None) for names, c in candidates.items()
    }
    open_rows = [names for names, c in candidates.items() if len(c) > 1]
    if not open_rows or prod(len(candidates[r]) for r in open_rows) > MAX_COMBINATIONS:
        return out
    fixed = dict(numbers)
    for names, c in candidates.items():
        if len(c) == 1:
            fixed.update(zip(names, c[0]))
    every = set(fixed) | {n for r in open_rows for n in r}
    checks = [i for i in form.IDENTITIES if set(i.names) <= every and set(i.names) & {n for r in open_rows for n in r}]
    if not checks:
        return out
    seen: dict[tuple[str, ...], set[tuple[int, ...]]] = {r: set() for r in open_rows}
    for choice in product(*(candidates[r] for r in open_rows)):
        values = dict(fixed)
        for names, split in zip(open_rows, choice):
            values.update(zip(names, split))
        if all(_holds(i, values) for i in checks):
            for names, split in zip(open_rows, choice):
                seen[names].add(split)
    for names in open_rows:
        if len(seen[names]) == 1:
            out[names] = next(iter(seen[names]))
    return out
