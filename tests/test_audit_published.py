"""Audit on published reports as they really are (issue 15): unread cells, negations, wrapped titles,
and the published errors that must still be caught."""

from __future__ import annotations

from xl_report.core import form
from xl_report.published.audit import audit
from xl_report.published.importer import import_report

from .data import layouts
from .data.reports import dump, random_report


def write(tmp_path, text: str, name: str = "r.txt"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def codes(result) -> set[str]:
    return {f.code for f in result.findings}


def with_text(report, *paragraphs: str):
    report.narrative = {"overview": list(paragraphs), "problems": ["无。"], "other": ["无。"]}
    return report


def test_rules_skip_cells_that_could_not_be_read(tmp_path):
    r = with_text(random_report(4), "本年度共收到政府信息公开申请999件，结转下年度继续办理999件。")
    text = dump(r)
    new_row = form.T3_ROWS[0].labels[0] + " |\n"
    cut = text.index(new_row) + len(new_row)
    text = text[:cut] + "".join(f"{layouts.cell_text(r, form.t3('new', c))} |\n" for c in ("person", "business"))
    (res,) = audit([write(tmp_path, text)])
    assert "F14" in codes(res)
    assert not codes(res) & {"T01", "T03", "A01", "A02", "A03", "A04"}
    assert res.report.values[form.t3("new", "business")] == r.values[form.t3("new", "business")]
    (full,) = audit([write(tmp_path, dump(r), "full.txt")])  # the same text read whole: the numbers disagree
    assert "T01" in codes(full)


def test_denied_outcome_says_nothing_about_cases(tmp_path):
    r = random_report(4)
    assert r.values[form.t4("review", "total")] and r.values[form.t4("suit_direct", "total")]
    (res,) = audit([write(tmp_path, dump(with_text(r, "全年未发生因依申请公开被复议纠错、诉讼败诉情况。")))])
    assert "T02" not in codes(res)
    (res,) = audit([write(tmp_path, dump(with_text(r, "全年未发生政府信息公开行政复议案件。")), "b.txt")])
    assert "T02" in codes(res)


def test_done_as_required_means_all_done(tmp_path):
    r = random_report(4)
    r.values[form.t3("carried_out", "person")] += 2
    r.with_totals()
    (res,) = audit([write(tmp_path, dump(with_text(r, "上述申请均已按规定办理完成。")))])
    assert "T03" in codes(res)


def test_open_and_partial_is_one_number_for_two_groups(tmp_path):
    r = random_report(4)
    both = r.values[form.t3("open", "total")] + r.values[form.t3("partial", "total")]
    (res,) = audit([write(tmp_path, dump(with_text(r, f"其中予以公开及部分公开{both}件。")))])
    assert "T01" not in codes(res)
    (res,) = audit([write(tmp_path, dump(with_text(r, f"其中予以公开及部分公开{both + 1}件。")), "b.txt")])
    (t01,) = [f for f in res.findings if f.code == "T01"]
    assert form.t3("open", "total") in t01.names and form.t3("partial", "total") in t01.names


def test_title_and_period_wrapped_over_two_lines(tmp_path):
    r = random_report(4, unit="某某县某某镇人民政府", year=2023)
    title = f"{r.unit}{r.year}{form.REPORT_TITLE_SUFFIX}"
    text = dump(r).replace(title, f"{r.unit}{r.year}年政府信息公开\n工作年度报告", 1)
    res = import_report(write(tmp_path, text))
    assert (res.report.unit, res.report.year) == (r.unit, 2023)
    no_title = dump(r).replace(title + "\n", "", 1).replace("统计期限为2023年1月1日", "统计期限为2023年1月\n1日", 1)
    assert title not in no_title and "2023年1月\n1日" in no_title
    res = import_report(write(tmp_path, no_title, "b.txt"))
    assert res.report.year == 2023


def test_crawler_title_and_bare_place_name(tmp_path):
    r = random_report(4, unit="某某综合实验区", year=2023)
    res = import_report(write(tmp_path, "标题: " + dump(r)))
    assert (res.report.unit, res.report.level) == ("某某综合实验区", "县级人民政府")


def test_old_format_notice_cited(tmp_path):
    r = random_report(4)
    text = dump(r)
    assert form.FORM_ID in text
    (res,) = audit([write(tmp_path, text)])
    assert "F17" not in codes(res)
    (res,) = audit([write(tmp_path, text.replace(form.FORM_ID, "国办公开办函[2019]60号"), "b.txt")])
    (f17,) = [f for f in res.findings if f.code == "F17"]
    assert f17.severity == "warning" and form.FORM_ID_2019 in f17.message


def test_township_reporting_rules_is_flagged(tmp_path):
    r = random_report(4, unit="某某县某某镇政府")
    r.values[form.t2("rules", "issued")] = 2
    r.with_totals()
    (res,) = audit([write(tmp_path, dump(r))])
    assert "F11" in codes(res)


def test_published_errors_still_caught_in_layout_text(tmp_path):
    """总计 printed 0 while its parts are not, and a group collapsed into one row, in pdftotext layout text."""
    r = layouts.report()
    r.values[form.t3("new", "total")] = 0
    text = layouts.case_a(r)
    (res,) = audit([write(tmp_path, text)])
    assert "A02" in codes(res) and res.report.values[form.t3("new", "total")] == 0
    r = layouts.report()
    lines = layouts.case_a(r).splitlines()
    other = [
        i
        for i, x in enumerate(lines)
        if any(
            x.strip().startswith((lab, "（六）其他处理" + layouts.GAP + lab))
            for lab in ("1.申请人无正当", "2.申请人逾期", "3.其他")
        )
    ]
    assert len(other) == 3
    caption = next(g.label for g in form.T3_RESULT_GROUPS if g.key == "other")
    sums = [sum(r.values[form.t3(f"other_{k}", c)] for k in (1, 2, 3)) for c, _, _ in form.T3_COLUMNS]
    lines[other[0]] = "  " + caption + layouts.GAP + layouts.GAP.join(str(v) for v in sums)
    del lines[other[1] : other[-1] + 1]
    (res,) = audit([write(tmp_path, "\n".join(lines), "b.txt")])
    collapsed = [f for f in res.findings if f.code == "F03" and "合并" in f.message]
    assert collapsed and all(res.report.values.get(form.t3(f"other_{k}", "total")) is None for k in (1, 2, 3))
