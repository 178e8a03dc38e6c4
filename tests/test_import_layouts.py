"""Published reports as they really look (issue 15, cases A–L): each synthetic report reads back exactly.

Every case is generated from one ReportData through the renderer's document model (tests/data/layouts.py),
so the 200 expected cells are the report's own numbers, never a hand-typed table.
"""

from __future__ import annotations

import random
import re
from itertools import combinations

import pytest

from xl_report.core import form
from xl_report.published.importer import import_report

from .data import layouts
from .data.reports import docx_report, web_page

CASES = "abcdefghijk"


def read(tmp_path, text: str, name: str = "r.txt"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return import_report(p)


def assert_exact(result, report) -> None:
    got = result.report.values
    wrong = {n: (got.get(n), report.values[n]) for n in form.CELL_NAMES if got.get(n) != report.values[n]}
    assert wrong == {}
    assert all(type(got[n]) is type(report.values[n]) for n in form.CELL_NAMES)
    assert result.report.missing == []
    assert (result.report.unit, result.report.year) == (report.unit, report.year)


@pytest.mark.parametrize("case", CASES)
def test_case_reads_the_200_cells(tmp_path, case):
    r = layouts.report()
    res = read(tmp_path, getattr(layouts, f"case_{case}")(r))
    assert_exact(res, r)
    assert not [f for f in res.problems if f.is_error]


@pytest.mark.parametrize("name", ["r.txt", "r.md", "r", "r.html"])
def test_a_layout_text_by_its_shape_whatever_the_suffix(tmp_path, name):
    r = layouts.report()
    res = read(tmp_path, layouts.case_a(r), name)
    assert_exact(res, r)
    assert res.report.narrative["overview"][:2] == ["（一）主动公开", "本年度主动公开政府信息120条。"]


def test_k_page_footers_never_become_values(tmp_path):
    r = layouts.report()
    text = layouts.case_k(r)
    assert all(f in text for f in layouts.FOOTERS[:3])
    res = read(tmp_path, text)
    assert_exact(res, r)
    assert not any(
        v in (-4, -3, -5, 4, 3, 2) and not isinstance(v, bool) and v != r.values[n]
        for n, v in res.report.values.items()
    )


def test_h_label_less_rows_placed_by_order_with_a_warning(tmp_path):
    res = read(tmp_path, layouts.case_h(layouts.report()))
    (f,) = [f for f in res.problems if f.code == "F18"]
    assert f.severity == "warning" and "8 行" in f.message
    assert set(f.names) == {form.t3(f"deny_{i}", c) for i in range(1, 9) for c, _, _ in form.T3_COLUMNS}


def test_h_rows_that_do_not_fill_the_gap_stay_blank(tmp_path):
    """Seven label-less rows between 部分公开 and 1.本机关不掌握: which row is missing is unknowable."""
    r = layouts.report()
    text = layouts.case_h(r)
    lines = text.splitlines()
    first = next(
        i
        for i, x in enumerate(lines)
        if x.startswith("| ") and "属于" not in x and lines[i - 1] == "" and lines[i - 2].startswith("8.")
    )
    del lines[first + 3]  # one value row fewer
    res = read(tmp_path, "\n".join(lines) + "\n")
    deny = [form.t3(f"deny_{i}", c) for i in range(1, 9) for c, _, _ in form.T3_COLUMNS]
    assert all(res.report.values.get(n) is None for n in deny)
    assert set(deny) <= set(res.report.missing)
    assert not [f for f in res.problems if f.code == "F18"]
    assert sum("没有行名" in f.message for f in res.problems) == 7
    others = [n for n in form.CELL_NAMES if n not in deny]
    assert all(res.report.values[n] == r.values[n] for n in others)


def test_h_loose_label_never_takes_a_label_less_row(tmp_path):
    r = layouts.report()
    text = layouts.case_h(r, placed=("carried_in",))  # first recognised row after it: （一）予以公开
    res = read(tmp_path, text.replace(r"| " + form.T3_ROWS[0].labels[0] + " |", "| |"))
    cells = [form.t3(k, c) for k in ("new", "carried_in") for c, _, _ in form.T3_COLUMNS]
    assert all(res.report.values.get(n) is None for n in cells)


def test_f_short_caption_does_not_match_row_3_other(tmp_path):
    r = layouts.report()
    text = layouts.case_f(r)
    assert "| （六）其他 | 1." in text
    res = read(tmp_path, text)
    assert res.report.values[form.t3("other_3", "total")] == r.values[form.t3("other_3", "total")]
    assert_exact(res, r)


def test_j_official_titles_under_other_numerals_are_warnings(tmp_path):
    res = read(tmp_path, layouts.case_j(layouts.report()))
    f01 = [f for f in res.problems if f.code == "F01"]
    assert len(f01) == 5 and all(f.severity == "warning" for f in f01)


# --------------------------------------------------------------------------------------------
# L: cells run together
# --------------------------------------------------------------------------------------------


def _own_splits(digits: str, n: int) -> list[tuple[int, ...]]:
    """Independent oracle: cuts of ``digits`` into n numbers (no leading zeros) whose first n-1 sum to the last."""
    out = []
    for cuts in combinations(range(1, len(digits)), n - 1):
        parts = [digits[a:b] for a, b in zip((0,) + cuts, cuts + (len(digits),))]
        if all(p == "0" or not p.startswith("0") for p in parts):
            v = tuple(int(p) for p in parts)
            if n == 1 or n < 7 or sum(v[:-1]) == v[-1]:
                out.append(v)
    return out


def test_l_run_together_cells_read_where_the_split_is_certain(tmp_path):
    r = layouts.report_l()
    res = read(tmp_path, layouts.case_l(r))
    got = res.report.values
    said = {n for f in res.problems for n in f.names}
    expected_blank = set()
    for names, digits in layouts.runs(r).items():
        if len(names) > 1 and len(_own_splits(digits, len(names))) != 1:
            expected_blank.update(names)
    # designed: 12/0/15 (no total), 予以公开 1/11 (11/1 fits too), two rows with a dropped column
    assert {n.rsplit("_", 1)[0] for n in expected_blank} >= {"t2_normative", "t3_open", "t3_total", "t3_carried_out"}
    for n in form.CELL_NAMES:
        if n in expected_blank:
            assert got.get(n) is None and n in said and n in res.report.missing, n
        else:
            assert got[n] == r.values[n], n  # never a wrong number
    derived = [f for f in res.problems if f.code == "F15"]
    assert derived and all(f.severity == "warning" for f in derived)
    assert {f.code for f in res.problems if f.is_error} == {"F16"}
    # the report is never refused whole: unit, year, date and the narrative come in
    assert (res.report.unit, res.report.year, str(res.report.published)) == ("某某县某某乡人民政府", 2024, "2025-01-20")
    assert res.report.narrative["overview"] == r.narrative["overview"]
    assert res.report.narrative["other"] == r.narrative["other"]


def test_l_table_four_run_together(tmp_path):
    r = layouts.report_l()
    t4 = " ".join(layouts.cell_text(r, n) for n in form.CELL_NAMES if n.startswith("t4_"))
    joined = t4.replace(" ", "")
    assert len(joined) == 15  # single digits: one split
    res = read(tmp_path, layouts.case_l(r).replace(t4, joined))
    assert all(res.report.values[n] == r.values[n] for n in form.CELL_NAMES if n.startswith("t4_"))
    dropped = layouts.case_l(r).replace(t4, joined[:-1])
    res = read(tmp_path, dropped)
    names = [n for n in form.CELL_NAMES if n.startswith("t4_")]
    assert all(res.report.values.get(n) is None for n in names)
    assert any(f.code == "F16" and set(f.names) == set(names) for f in res.problems)


def test_a_number_wrapped_inside_its_cell_is_never_read_wrong(tmp_path):
    """pdftotext prints a number too wide for its cell as pieces on the lines above and below its row."""
    r = layouts.report()
    lines = layouts.case_a(r).splitlines()
    label = form.T3_ROWS[1].labels[0]  # 二、上年结转…
    i = next(n for n, x in enumerate(lines) if x.strip().startswith(label))
    head, *values = lines[i].split(layouts.GAP)
    wide = max(range(len(values)), key=lambda k: len(values[k]))
    assert len(values[wide]) >= 2
    pos = lines[i].rindex(values[wide]) if wide == len(values) - 1 else lines[i].index(layouts.GAP + values[wide])
    top, bottom = values[wide][:-1], values[wide][-1]
    values[wide] = ""
    lines[i] = layouts.GAP.join([head] + [v for v in values if v])
    lines[i : i + 1] = [" " * pos + top, lines[i], " " * pos + bottom]
    res = read(tmp_path, "\n".join(lines) + "\n")
    got = res.report.values
    assert not [n for n in form.CELL_NAMES if got.get(n) is not None and got[n] != r.values[n]]
    cells = [form.t3("carried_in", c) for c, _, _ in form.T3_COLUMNS]
    assert all(got.get(n) is None for n in cells)
    assert any("折行" in f.message and set(cells) <= set(f.names) for f in res.problems)


@pytest.mark.parametrize("case", "abcdefghik")
def test_a_number_dropped_or_doubled_is_never_read_wrong(tmp_path, case):
    """One number lost or printed twice anywhere in the tables: blank cells with findings, never a wrong one."""
    r = layouts.report(3)
    text = getattr(layouts, f"case_{case}")(r)
    start, end = text.index(form.T2_BLOCKS[0].caption[:4]), text.rindex(form.SECTION_TITLES["problems"][2:])
    numbers = [m for m in re.finditer(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])", text) if start < m.start() < end]
    sep = {"a": layouts.GAP, "c": layouts.GAP, "i": " ", "k": " |\n"}.get(case, " | ")
    rnd = random.Random(case)
    for m in rnd.sample(numbers, 6):
        for changed in (text[: m.start()] + text[m.end() :], text[: m.end()] + sep + m.group() + text[m.end() :]):
            res = read(tmp_path, changed)
            got = res.report.values
            assert not [n for n in form.CELL_NAMES if got.get(n) is not None and got[n] != r.values[n]]
            said = {n for f in res.problems for n in (*f.names, f.name)}
            assert {n for n in form.CELL_NAMES if got.get(n) is None} <= said


def test_reader_chosen_by_content_when_the_suffix_lies(tmp_path):
    r = layouts.report()
    res = read(tmp_path, web_page(r), "saved-page.txt")  # a web page saved as text
    assert_exact(res, r)
    docx = docx_report(r, tmp_path / "r.docx")
    lying = tmp_path / "r.pdf"  # a Word file renamed .pdf
    lying.write_bytes(docx.read_bytes())
    assert_exact(import_report(lying), r)
