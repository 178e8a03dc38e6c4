"""Import of published reports: the real sample, text-dump variants, HTML, .docx, PDF."""

from __future__ import annotations

from datetime import date

import pytest

from xl_report.core import form
from xl_report.core.errors import InputError
from xl_report.published.importer import import_report
from xl_report.published.importer.labels import key

from .conftest import needs_soffice, to_pdf
from .data.reports import SAMPLE, docx_report, dump, random_report, web_page

T2 = [c.name for c in form.CELLS if c.table == "表二"]
T3 = [c.name for c in form.CELLS if c.table == "表三"]
T4 = [c.name for c in form.CELLS if c.table == "表四"]


def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


def imp(tmp_path, text: str, name: str = "r.txt"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return import_report(p)


def codes(result) -> list[str]:
    return [p.code for p in result.problems]


# --------------------------------------------------------------------------------------------
# The real published sample
# --------------------------------------------------------------------------------------------


def test_sample_imports_exactly():
    res = import_report(SAMPLE)
    r = res.report
    assert (r.unit, r.year, r.contact) == ("林西县林西镇党群服务中心", 2023, "0476-5326621")
    assert res.problems == [] and r.missing == [] and not res.format_2019
    assert all(r.values[n] == 0 and isinstance(r.values[n], int) for n in T3 + T4)
    assert r.values["t2_penalty_decisions"] == 5
    assert all(r.values[n] == 0 for n in T2 if n != "t2_penalty_decisions")
    assert len(r.values) == 200
    assert r.published is None and res.published is None


def test_sample_narrative_sections():
    n = import_report(SAMPLE).report.narrative
    assert n["overview"][0] == "(一)主动公开情况"
    assert len(n["overview"]) == 12
    # the line cut in the dump ("召开了 8 个行" / "政村专职人员…") is one paragraph again
    assert any("8 个行政村专职人员的培训" in p for p in n["overview"])
    assert n["problems"][0].startswith("相较于2022年") and len(n["problems"]) == 9
    assert n["other"] == ["本年度本机关未收取费用"]


# --------------------------------------------------------------------------------------------
# Typographic variants of the labels
# --------------------------------------------------------------------------------------------


def test_label_keys_normalise_variants():
    assert key("（三）不予公开") == key("(三) 不予公 开") == "不予公开"
    assert key("3、其他") == key("3.其他") == key("3．其他") == "3其他"
    assert key("4 .无正当理由大量反复申请") == key("4.无正当理由大量反复申请")
    assert key("自 然 人") == key("自然人")
    assert key("3.危及“三安全一稳定”") == key('3.危及"三安全一稳定"')
    assert key("2.其他法律行政法规禁止公开") != key("3.其他")


@pytest.mark.parametrize("variant", ["full_width", "half_width", "spaced", "numbering"])
def test_typographic_variants_import_the_same(tmp_path, variant):
    text = sample_text().replace("行政处罚 |\n5 |", "行政处罚 |\n7 |")
    if variant == "full_width":
        text = text.translate(str.maketrans({"(": "（", ")": "）", ",": "，", ":": "：", "{": "〔", "}": "〕"}))
    elif variant == "half_width":
        text = text.replace("“", '"').replace("”", '"')
    elif variant == "spaced":
        text = (
            text.replace("法人或其他组织 |", "法人或 其他组织 |")
            .replace("1.属于国家秘密 |", "1. 属于 国家 秘密 |")
            .replace("行政规范性文件 |", "行政规范 性文件 |")
            .replace("(七)总计 |", "( 七 ) 总 计 |")
        )
    else:
        text = (
            text.replace("3、其他 |", "3.其他 |")
            .replace("2.重复申请 |", "2、重复申请 |")
            .replace("1.本机关不掌握相关政府信息 |", "1．本机关不掌握相关政府信息 |")
        )
    res = imp(tmp_path, text)
    assert res.problems == []
    assert res.report.values["t2_penalty_decisions"] == 7
    assert all(res.report.values[n] == 0 for n in T3 + T4)


def test_label_cut_over_two_lines(tmp_path):
    text = sample_text().replace(
        "(二)部分公开(区分处理的,只计这一情形,不计其他情形) |", "(二)部分公开(区分处理的,\n只计这一情形,不计其他情形) |"
    )
    text = text.replace("2.没有现成信息需要另行制作 |\n0 |", "2.没有现成信息需要另行制作 |\n4 |")
    res = imp(tmp_path, text)
    assert res.problems == []
    assert res.report.values["t3_unable_2_person"] == 4


# --------------------------------------------------------------------------------------------
# Cell contents: blanks, '/', annotations
# --------------------------------------------------------------------------------------------


def _row_values(text: str, label: str, new: list[str]) -> str:
    """Replace the value lines following ``label`` in the dump."""
    lines = text.split("\n")
    i = next(k for k, line in enumerate(lines) if line.startswith(label))
    for j, v in enumerate(new, start=1):
        tail = lines[i + j].split("|", 1)[1]
        lines[i + j] = f"{v} |{tail}"
    return "\n".join(lines)


def test_blank_slash_dash_are_none_with_a_problem(tmp_path):
    text = _row_values(sample_text(), "一、本年新收", ["/", "—", "", "-", "无", "0", "0"])
    res = imp(tmp_path, text)
    v = res.report.values
    assert [v[form.t3("new", c)] for c, _, _ in form.T3_COLUMNS] == [None, None, None, None, None, 0, 0]
    blank = [p for p in res.problems if p.code == "F05"]
    assert {p.name for p in blank} == {
        form.t3("new", c) for c in ("person", "business", "research", "charity", "legal")
    }
    msg = next(p.message for p in blank if p.name == "t3_new_person")
    assert "表三" in msg and "一、本年新收政府信息公开申请数量" in msg and "自然人" in msg and "“/”" in msg
    assert all(p.severity == "error" for p in blank)


def test_annotation_keeps_raw_text(tmp_path):
    text = sample_text().replace("行政处罚 |\n5 |", "行政处罚 |\n22（其中修订16件） |")
    res = imp(tmp_path, text)
    assert res.report.values["t2_penalty_decisions"] == "22（其中修订16件）"
    (p,) = res.problems
    assert p.code == "F06" and p.name == "t2_penalty_decisions" and "22（其中修订16件）" in p.message


def test_amount_decimal_and_thousands(tmp_path):
    text = sample_text().replace("行政事业性收费 |\n0 |", "行政事业性收费 |\n12.35 |")
    text = _row_values(text, "(一)予以公开", ["1,234", "0", "0", "0", "0", "0", "1,234"])
    res = imp(tmp_path, text)
    assert res.report.values["t2_fees_amount"] == 12.35
    assert res.report.values["t3_open_person"] == 1234


# --------------------------------------------------------------------------------------------
# Structure: missing, collapsed, short rows; 2019 表二
# --------------------------------------------------------------------------------------------


def _drop_row(text: str, label: str, n: int = 7) -> str:
    lines = text.split("\n")
    i = next(k for k, line in enumerate(lines) if line.startswith(label))
    return "\n".join(lines[:i] + lines[i + 1 + n :])


def test_missing_row_reported_by_label(tmp_path):
    res = imp(tmp_path, _drop_row(sample_text(), "4.保护第三方合法权益"))
    (p,) = res.problems
    assert p.code == "F03" and "（三）不予公开" in p.message and "4.保护第三方合法权益" in p.message
    names = {form.t3("deny_4", c) for c, _, _ in form.T3_COLUMNS}
    assert set(p.names) == names and names <= set(res.report.missing)
    assert not names & set(res.report.values)
    assert res.report.values["t3_deny_5_person"] == 0  # the rows around it are read


def test_short_row_not_guessed(tmp_path):
    text = _drop_row(sample_text(), "2.重复申请", 7).replace(
        "3.要求提供公开出版物 |", "2.重复申请 |\n0 |\n0 |\n0 |\n3.要求提供公开出版物 |"
    )
    res = imp(tmp_path, text)
    (p,) = res.problems
    assert p.code == "F03" and "2.重复申请" in p.message and "3 个数值" in p.message
    assert "t3_reject_2_person" in res.report.missing and "t3_reject_2_person" not in res.report.values


def test_collapsed_group_reported(tmp_path):
    lines = sample_text().split("\n")
    i = next(k for k, line in enumerate(lines) if line.startswith("(四) 无法提供"))
    collapsed = lines[: i + 1] + ["0 |"] * 7 + lines[i + 1 + 3 * 8 :]
    res = imp(tmp_path, "\n".join(collapsed))
    (p,) = res.problems
    assert p.code == "F03" and "（四）无法提供" in p.message and "合并" in p.message
    assert {f"t3_unable_{k}_total" for k in (1, 2, 3)} <= set(res.report.missing)


def test_unknown_row_with_numbers_reported(tmp_path):
    text = sample_text().replace("(七)总计 |", "小计 |\n0 |\n0 |\n0 |\n0 |\n0 |\n0 |\n0 |\n(七)总计 |")
    res = imp(tmp_path, text)
    (p,) = res.problems
    assert p.code == "F03" and "小计" in p.message


def test_table4_wrong_count(tmp_path):
    text = sample_text()
    head, tail = text.split("五、存在的主要问题及改进情况")
    head = head.rstrip("\n").rsplit("\n", 2)[0] + "\n"  # two of the 15 numbers gone
    res = imp(tmp_path, head + "五、存在的主要问题及改进情况" + tail)
    (p,) = res.problems
    assert p.code == "F04" and "13" in p.message and set(T4) <= set(res.report.missing)


T2_2019 = """二、主动公开政府信息情况
第二十条第(一)项 | |||
信息内容 |
本年新制作数量 |
本年新公开数量 |
对外公开总数量 |
规章 |
0 |
0 |
0 |
规范性文件 |
2 |
2 |
15 |
第二十条第(五)项 | |||
信息内容 |
上一年项目数量 |
本年增/减 |
处理决定数量 |
行政许可 |
3 |
0 |
120 |
其他对外管理服务事项 |
0 |
0 |
0 |
第二十条第(九)项 | |||
信息内容 |
采购项目数量 |
采购总金额 |
政府集中采购 |
2 |
35.6 |
"""


def test_2019_table2_detected_tables_3_4_still_read(tmp_path):
    text = sample_text()
    start = text.index("二、主动公开政府信息情况")
    end = text.index("三、收到和处理政府信息公开申请情况")
    res = imp(tmp_path, text[:start] + T2_2019 + text[end:])
    assert res.format_2019
    f02 = [p for p in res.problems if p.code == "F02"]
    assert len(f02) == 1 and "2019" in f02[0].message and "本年新制作数量" in f02[0].message
    assert set(T2) <= set(res.report.missing)
    assert all(res.report.values[n] == 0 for n in T3 + T4)


# --------------------------------------------------------------------------------------------
# Title, dates, unreadable input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, expected",
    [
        ("2024年1月20日", date(2024, 1, 20)),
        ("二〇二四年一月二十日", date(2024, 1, 20)),
        ("二〇二四年三月五日", date(2024, 3, 5)),
    ],
)
def test_closing_date_read_and_dropped_from_narrative(tmp_path, line, expected):
    text = sample_text() + "\n林西县林西镇党群服务中心\n" + line + "\n"
    res = imp(tmp_path, text)
    assert res.published == expected == res.report.published
    assert res.report.narrative["other"] == ["本年度本机关未收取费用"]


def test_unit_type_from_name(tmp_path):
    text = sample_text().replace("林西县林西镇党群服务中心2023年", "林西县人民政府2023年")
    assert imp(tmp_path, text).report.level == "县级人民政府"
    text = sample_text().replace("林西县林西镇党群服务中心2023年", "林西县林西镇人民政府2023年")
    assert imp(tmp_path, text).report.level == "乡镇人民政府"
    assert import_report(SAMPLE).report.level is None  # a 服务中心: the name does not say


def test_not_a_report_is_input_error(tmp_path):
    with pytest.raises(InputError) as e:
        imp(tmp_path, "会议通知\n请各单位于下周一参加会议。\n")
    assert "表三" in str(e.value) and "收到和处理政府信息公开申请情况" in str(e.value)


def test_unsupported_and_damaged_files(tmp_path):
    p = tmp_path / "r.doc"
    p.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match="另存为"):
        import_report(p)
    p = tmp_path / "r.docx"
    p.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="Word"):
        import_report(p)


def test_a_text_of_millions_of_lines_is_refused_quickly(tmp_path):
    """7 million one-number lines (28 MB) kept the section search busy for minutes at 1.4 GB."""
    import time

    p = tmp_path / "many.txt"
    p.write_text(SAMPLE.read_text(encoding="utf-8") + "1 |\n" * 60_000, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(InputError, match="内容过多") as e:
        import_report(p)
    assert "many.txt" in str(e.value) and time.monotonic() - started < 10


def test_gb18030_text(tmp_path):
    p = tmp_path / "gbk.txt"
    p.write_bytes(sample_text().encode("gb18030"))
    assert import_report(p).report.unit == "林西县林西镇党群服务中心"


# --------------------------------------------------------------------------------------------
# Generated reports in every input kind
# --------------------------------------------------------------------------------------------


def _same_values(result, report):
    diff = {
        n: (result.report.values.get(n), report.values[n])
        for n in form.CELL_NAMES
        if result.report.values.get(n) != report.values[n]
    }
    assert diff == {}
    assert result.problems == []


@pytest.mark.parametrize("seed", range(3))
def test_generated_dump(tmp_path, seed):
    report = random_report(seed)
    res = imp(tmp_path, dump(report, spaced=seed % 2 == 1))
    _same_values(res, report)
    assert (res.report.unit, res.report.year) == (report.unit, report.year)


@pytest.mark.parametrize("full_width", [True, False])
def test_web_page_with_rowspan_colspan(tmp_path, full_width):
    report = random_report(7)
    res = imp(tmp_path, web_page(report, date(2025, 1, 22), full_width), "r.html")
    _same_values(res, report)
    assert res.report.unit == report.unit and res.published == date(2025, 1, 22)
    assert res.report.narrative["other"] == ["本年度未收取信息处理费。"]
    assert res.report.contact == "0476-5326621"  # the preamble's, not the page footer's


@pytest.mark.slow
def test_docx_with_merged_cells(tmp_path):
    report = random_report(11)
    res = import_report(docx_report(report, tmp_path / "r.docx", date_line="2025年1月15日"))
    _same_values(res, report)
    assert res.published == date(2025, 1, 15)
    assert res.report.narrative["problems"] == ["一是公开内容不够全面。", "下一步将加强培训。"]


@needs_soffice
def test_pdf_via_pdftotext(tmp_path):
    report = random_report(5)
    pdf = to_pdf(docx_report(report, tmp_path / "年报.docx", date_line="2025年1月15日"), tmp_path)
    res = import_report(pdf)
    _same_values(res, report)
    assert res.report.unit == report.unit and res.published == date(2025, 1, 15)


def test_pdf_without_pdftotext(tmp_path, monkeypatch):
    import shutil

    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(InputError, match="pdftotext"):
        import_report(pdf)


# --------------------------------------------------------------------------------------------
# Dump styles seen on real government pages
# --------------------------------------------------------------------------------------------


def test_text_then_bar_style(tmp_path):
    """Each cell on its own line, closed by a line holding only '|'."""
    lines = []
    for line in sample_text().split("\n"):
        if "|" in line:
            lines += [line.split("|", 1)[0].strip(), "|"]
        else:
            lines.append(line)
    res = imp(tmp_path, "\n".join(lines))
    assert res.problems == [] and res.report.values["t2_penalty_decisions"] == 5 and len(res.report.values) == 200


def test_whole_rows_on_one_line_and_blank_line_cells(tmp_path):
    text = sample_text()
    start, end = text.index("第二十条第(一)项"), text.index("三、收到和处理政府信息公开申请情况")
    t2 = (
        "第二十条第(一)项 | |||\n信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n规章 | 0 | 0 | 0 |\n"
        "行政规范性文件 | 4 | 0 | 32 |\n第二十条第(五)项 | |||\n信息内容 | 本年处理决定数量 | ||\n行政许可 | 0 | ||\n"
        "第二十条第(六)项 | |||\n信息内容 | 本年处理决定数量 | ||\n行政处罚 | 9 | ||\n行政强制 | 0 | ||\n"
        "第二十条第(八)项 | |||\n信息内容 | 本年收费金额(单位:万元) | ||\n行政事业性收费 | 0 |\n"
    )
    res = imp(tmp_path, text[:start] + t2 + text[end:].replace(" |", "\n"))
    v = res.report.values
    assert (v["t2_normative_issued"], v["t2_normative_in_force"], v["t2_penalty_decisions"]) == (4, 32, 9)
    assert res.problems == [] and all(v[n] == 0 for n in T3 + T4)


def test_title_quoted_in_a_sentence(tmp_path):
    text = sample_text().replace(
        "林西县林西镇党群服务中心2023年政府信息公开工作年度报告\n",
        "按照做好2023年政府信息公开工作年度报告编制发布工作的要求，现编制形成了"
        "《林西县林西镇人民政府2023年政府信息公开工作年度报告》。\n",
    )
    r = imp(tmp_path, text).report
    assert (r.unit, r.year, r.level) == ("林西县林西镇人民政府", 2023, "乡镇人民政府")
