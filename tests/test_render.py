"""The publishable report (issue 9, render half): .docx / .html / .md from ReportData.

Expected cell positions are computed here from xl_report.core.form (the official layout), not taken from
the renderer's own model.
"""

from __future__ import annotations

import random
import re
import shutil
import time
from decimal import Decimal
from pathlib import Path

import docx
import lxml.html
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm
from typer.testing import CliRunner

from xl_report.cli import app
from xl_report.core import form
from xl_report.core.errors import InputError
from xl_report.core.report import ReportData
from xl_report.document import render
from xl_report.document.model import format_value
from xl_report.xlsx.fileio import save_workbook
from xl_report.xlsx.workbook import open_workbook, read_report_file, write_report

from .conftest import needs_soffice, pdf_pages, to_pdf

UNIT = "某某县某某镇人民政府"
OVERVIEW = [
    form.OVERVIEW_TOPICS[0],
    "本年度主动公开政府信息，依据国办公开{2021}30号文件。",
    form.OVERVIEW_TOPICS[1],
    "本年度共收到政府信息公开申请{新收}件，上年结转{上年结转}件，办结{办结}件，结转下年度继续办理{结转下年度}件；"
    "收取行政事业性收费{收费金额}万元。",
]


def random_report(seed: int = 7, **meta) -> ReportData:
    rnd = random.Random(seed)
    data = ReportData(unit=UNIT, year=2024, contact="0476-5326621", level="乡镇人民政府", **meta)
    for c in form.CELLS:
        data.values[c.name] = (
            round(rnd.uniform(0, 99), rnd.randint(0, 4)) if c.kind == "amount" else rnd.randint(0, 400)
        )
    data.with_totals()
    data.narrative = {
        "overview": list(OVERVIEW),
        "problems": ["（一）存在的主要问题", "人员力量不足。"],
        "other": ["本年度未收取信息处理费。"],
    }
    return data


def expected_text(report: ReportData, name: str) -> str:
    """Independent of the renderer: integers for counts, amounts without trailing zeros."""
    v = report.values[name]
    if v is None:
        return ""
    if form.CELL_BY_NAME[name].kind == "amount":
        return format(Decimal(str(v)).normalize(), "f")
    return str(int(v))


# --------------------------------------------------------------------------------------------
# Where each named cell sits in the official layout (row, col of the full grid)
# --------------------------------------------------------------------------------------------


def t2_positions() -> dict[str, tuple[int, int]]:
    pos, r = {}, 0
    for block in form.T2_BLOCKS:
        r += 2  # caption row, header row
        for item, _ in block.items:
            for j, (measure, _) in enumerate(block.measures):
                pos[f"t2_{item}_{measure}"] = (r, 1 + j)
            r += 1
    return pos


def t3_depth() -> int:
    return max(len(c.col_labels) for c in form.CELLS if c.table == "表三")


def t3_positions() -> dict[str, tuple[int, int]]:
    depth, label_cols = t3_depth(), max(len(r.labels) for r in form.T3_ROWS)
    return {
        form.t3(row.key, col): (depth + i, label_cols + j)
        for i, row in enumerate(form.T3_ROWS)
        for j, (col, _, _) in enumerate(form.T3_COLUMNS)
    }


def t4_positions() -> dict[str, tuple[int, int]]:
    depth = max(len(c.col_labels) for c in form.CELLS if c.table == "表四")
    n = len(form.T4_OUTCOMES)
    return {
        form.t4(g, o): (depth, gi * n + oi)
        for gi, (g, _) in enumerate(form.T4_GROUPS)
        for oi, (o, _) in enumerate(form.T4_OUTCOMES)
    }


POSITIONS = {"表二": t2_positions(), "表三": t3_positions(), "表四": t4_positions()}


def norm(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def dedupe(texts) -> tuple[str, ...]:
    out: list[str] = []
    for t in texts:
        if t and (not out or out[-1] != t):
            out.append(t)
    return tuple(out)


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


def html_grid(table) -> tuple[list[list[str]], dict[tuple[int, int], tuple[int, int]]]:
    """The HTML table algorithm: cell text at every (row, col) it covers, and each origin's span."""
    grid: dict[tuple[int, int], str] = {}
    spans = {}
    for r, tr in enumerate(table.xpath("./tr|./tbody/tr")):
        k = 0
        for cell in tr.xpath("./th|./td"):
            while (r, k) in grid:
                k += 1
            rs, cs = int(cell.get("rowspan", 1)), int(cell.get("colspan", 1))
            spans[(r, k)] = (rs, cs)
            for dr in range(rs):
                for dc in range(cs):
                    grid[(r + dr, k + dc)] = norm(cell.text_content())
            k += cs
    nrows = max(r for r, _ in grid) + 1
    ncols = max(c for _, c in grid) + 1
    assert len(grid) == nrows * ncols, "the table grid has holes"
    return [[grid[(r, c)] for c in range(ncols)] for r in range(nrows)], spans


def html_tables(path: Path):
    root = lxml.html.fromstring(path.read_bytes())
    tables = root.xpath("//table")
    assert len(tables) == 3
    return root, dict(zip(form.TABLES, tables))


def assert_html_values(path: Path, data: ReportData) -> None:
    _, tables = html_tables(path)
    for key, table in tables.items():
        grid, _ = html_grid(table)
        for name, (r, c) in POSITIONS[key].items():
            assert grid[r][c] == expected_text(data, name), (key, name)


def test_html_every_value_in_its_official_cell(tmp_path):
    data = random_report()
    assert_html_values(render(data, tmp_path / "年报.html").path, data)
    assert sum(len(p) for p in POSITIONS.values()) == len(form.CELLS) == 200


def test_html_labels_and_merged_headers_follow_the_form(tmp_path):
    out = render(random_report(), tmp_path / "年报.html").path
    _, tables = html_tables(out)
    grids = {k: html_grid(t) for k, t in tables.items()}
    depth = t3_depth()
    # 表三: row label path and column header path of every value cell
    grid, spans = grids["表三"]
    for name, (r, c) in POSITIONS["表三"].items():
        cell = form.CELL_BY_NAME[name]
        assert dedupe(grid[r][:3]) == tuple(norm(x) for x in cell.row_labels), name
        assert dedupe(grid[k][c] for k in range(depth)) == tuple(norm(x) for x in cell.col_labels), name
    assert spans[(0, 0)] == (depth, 3) and grid[0][0] == norm(form.T3_NOTE)
    results_rows = sum(1 for row in form.T3_ROWS if row.labels[0] == form.T3_RESULTS_LABEL)
    assert spans[(POSITIONS["表三"][form.t3("open", "person")][0], 0)] == (results_rows, 1)
    assert spans[(0, 3)] == (1, len(form.T3_COLUMNS))  # 申请人情况
    assert spans[(1, 4)] == (1, sum(1 for *_, legal in form.T3_COLUMNS if legal))  # 法人或其他组织
    assert spans[(1, 3)] == (depth - 1, 1)  # 自然人 down to the last header row
    # 表四
    grid, spans = grids["表四"]
    for name, (r, c) in POSITIONS["表四"].items():
        assert dedupe(grid[k][c] for k in range(r)) == tuple(norm(x) for x in form.CELL_BY_NAME[name].col_labels)
    assert grid[0][5] == form.T4_SUIT and spans[(0, 5)] == (1, 2 * len(form.T4_OUTCOMES))
    # 表二: block captions span the table; item and measure labels beside/above the values
    grid, spans = grids["表二"]
    for name, (r, c) in POSITIONS["表二"].items():
        cell = form.CELL_BY_NAME[name]
        block_top = next(k for k in range(r, -1, -1) if grid[k][0] == norm(cell.row_labels[0]))
        assert spans[(block_top, 0)] == (1, 4)
        assert grid[r][0] == norm(cell.row_label) and grid[block_top + 1][c] == norm(cell.col_label)
        assert grid[block_top + 1][0] == form.T2_ITEM_HEADER


def test_html_page_structure_and_text(tmp_path):
    data = random_report()
    out = render(data, tmp_path / "年报.html").path
    text = out.read_text(encoding="utf-8")
    root, _ = html_tables(out)
    assert root.get("lang") == "zh-CN"
    assert "@page" in text and "A4" in text
    assert not re.search(r"""(src|href)\s*=|<script|<link|@import|url\(""", text), "must be self-contained"
    title = f"{UNIT}2024{form.REPORT_TITLE_SUFFIX}"
    assert root.xpath("//h1")[0].text_content() == title
    body = norm(root.text_content())
    assert "所列数据统计期限为2024年1月1日至2024年12月31日" in body
    assert f"请与{UNIT}联系（电话：0476-5326621）" in body
    assert [h.text_content() for h in root.xpath("//h2")] == [t for _, t in form.SECTIONS]
    new = expected_text(data, form.PLACEHOLDERS["新收"])
    fee = expected_text(data, form.PLACEHOLDERS["收费金额"])
    assert f"共收到政府信息公开申请{new}件" in body and f"收费{fee}万元" in body
    assert "{2021}" in body  # braces around non-names are ordinary text
    assert "{" + "新收}" not in body


def test_html_escapes_hostile_text(tmp_path):
    data = random_report()
    data.unit = '<script>alert("x")</script>镇'
    data.narrative["other"] = ['<img src=x onerror="alert(1)">&amp; 完']
    out = render(data, tmp_path / "a.html").path
    text = out.read_text(encoding="utf-8")
    assert "<script" not in text and "<img" not in text
    root = lxml.html.fromstring(text)
    assert root.xpath("//h1")[0].text_content().startswith(data.unit)  # shown verbatim, not executed
    assert '<img src=x onerror="alert(1)">&amp; 完' in root.text_content()
    md = render(data, tmp_path / "a.md").path.read_text(encoding="utf-8")
    assert "<script" not in md and "<img" not in md
    # .docx: XML specials and control characters (Excel lets a clerk paste them) in text and cells
    data.narrative["problems"] = ["问题\x0b一]]>&<w:t>"]
    data.values["t2_rules_issued"] = "<w:p/>\x07"
    d = docx.Document(str(render(data, tmp_path / "a.docx").path))
    assert d.paragraphs[0].text.startswith(data.unit)
    assert any(p.text == "问题一]]>&<w:t>" for p in d.paragraphs)
    r, c = POSITIONS["表二"]["t2_rules_issued"]
    assert d.tables[0]._cells[r * 4 + c].text == "<w:p/>"


def test_blank_cells_stay_blank_and_text_is_kept(tmp_path):
    data = random_report()
    data.values["t3_new_person"] = None
    data.values["t2_rules_issued"] = "/"
    result = render(data, tmp_path / "a.html")
    _, tables = html_tables(result.path)
    r, c = POSITIONS["表三"]["t3_new_person"]
    assert html_grid(tables["表三"])[0][r][c] == ""
    r, c = POSITIONS["表二"]["t2_rules_issued"]
    assert html_grid(tables["表二"])[0][r][c] == "/"
    assert any("为空" in w for w in result.warnings) and any("不是数字" in w for w in result.warnings)


@pytest.mark.parametrize(
    "value, kind, text",
    [
        (0, "count", "0"),
        (3.0, "count", "3"),
        (12, "count", "12"),
        (None, "count", ""),
        (0, "amount", "0"),
        (0.0, "amount", "0"),
        (12.3456, "amount", "12.3456"),
        (12.5, "amount", "12.5"),
        (3, "amount", "3"),
        (0.00001, "amount", "0"),
        (1.23456789, "amount", "1.2346"),
        (" / ", "count", "/"),
    ],
)
def test_format_value(value, kind, text):
    assert format_value(value, kind) == text


# --------------------------------------------------------------------------------------------
# Placeholders and required metadata
# --------------------------------------------------------------------------------------------


def test_unknown_placeholder_is_an_error_naming_it(tmp_path):
    data = random_report()
    data.narrative["overview"].append("本年度办理{新收件}件。")
    with pytest.raises(InputError) as e:
        render(data, tmp_path / "a.md")
    assert "{新收件}" in str(e.value) and form.SECTION_TITLES["overview"] in str(e.value)
    assert not (tmp_path / "a.md").exists()


def test_placeholder_of_a_blank_cell_is_an_error(tmp_path):
    data = random_report()
    data.values[form.PLACEHOLDERS["新收"]] = None
    with pytest.raises(InputError, match="为空"):
        render(data, tmp_path / "a.html")


def test_missing_unit_is_an_error(tmp_path):
    data = random_report()
    data.unit = None
    with pytest.raises(InputError, match="单位名称"):
        render(data, tmp_path / "a.html")


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------


def test_markdown_is_readable(tmp_path):
    data = random_report()
    md = render(data, tmp_path / "a.md").path.read_text(encoding="utf-8")
    assert md.startswith(f"# {UNIT}2024{form.REPORT_TITLE_SUFFIX}")
    for _, title in form.SECTIONS:
        assert f"## {title}" in md
    table_lines = [line for line in md.splitlines() if line.startswith("|")]
    widths = {line.count(" | ") + 1 for line in table_lines if "---" not in line}
    assert widths == {4, 3 + len(form.T3_COLUMNS), 3 * len(form.T4_OUTCOMES)}
    row = next(line for line in table_lines if line.startswith(f"| {form.T3_ROWS[0].labels[0]} "))
    assert row.split(" | ")[-1].rstrip(" |") == expected_text(data, form.t3(form.T3_ROWS[0].key, "total"))


# --------------------------------------------------------------------------------------------
# docx
# --------------------------------------------------------------------------------------------


def test_docx_typography_tables_and_merges(tmp_path):
    data = random_report()
    t0 = time.perf_counter()
    out = render(data, tmp_path / "年报.docx").path
    elapsed = time.perf_counter() - t0
    assert elapsed < 1.5, f"docx render took {elapsed:.2f} s"
    d = docx.Document(str(out))
    s = d.sections[0]
    assert abs(s.page_width - Mm(210)) < Mm(0.5) and abs(s.page_height - Mm(297)) < Mm(0.5)
    assert [round(x / Mm(1)) for x in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)] == [
        37,
        35,
        28,
        26,
    ]
    # East Asian fonts everywhere: document defaults, styles, every run
    styles = d.styles.element
    defaults = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert defaults.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    runs = list(d.element.body.iter(qn("w:r")))
    assert runs and all(r.find(qn("w:rPr")).find(qn("w:rFonts")).get(qn("w:eastAsia")) for r in runs)
    paras = d.paragraphs
    assert paras[0].text == f"{UNIT}\n2024{form.REPORT_TITLE_SUFFIX}"  # a long title breaks after the unit
    assert paras[0].runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    headings = [p for p in paras if p.style.name == "Heading 1"]
    assert [p.text for p in headings] == [t for _, t in form.SECTIONS]
    assert headings[0].runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    body = next(p for p in paras if p.text.startswith("本年度共收到"))
    assert body.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    normal = d.styles["Normal"].paragraph_format
    assert normal.line_spacing == docx.shared.Pt(28) and normal.first_line_indent == docx.shared.Pt(32)
    assert d.styles["Normal"].font.size == docx.shared.Pt(16)
    expected_new = expected_text(data, form.PLACEHOLDERS["新收"])
    assert f"共收到政府信息公开申请{expected_new}件" in body.text
    # tables: values at their official positions; merged cells are real merges
    assert len(d.tables) == 3
    for key, table in zip(form.TABLES, d.tables):
        cells = table._cells
        ncols = len(table.columns)
        for name, (r, c) in POSITIONS[key].items():
            assert cells[r * ncols + c].text == expected_text(data, name), (key, name)
    t3 = d.tables[1]
    cells, ncols = t3._cells, len(t3.columns)
    depth = t3_depth()
    assert cells[0]._tc is cells[(depth - 1) * ncols + 2]._tc and cells[0].text == form.T3_NOTE
    xml = t3._tbl.xml
    assert "w:gridSpan" in xml and 'w:vMerge w:val="restart"' in xml
    t4 = d.tables[2]
    assert t4._cells[5]._tc is t4._cells[14]._tc and t4._cells[5].text == form.T4_SUIT


def test_docx_is_byte_stable(tmp_path):
    data = random_report()
    a = render(data, tmp_path / "a.docx").path.read_bytes()
    b = render(data, tmp_path / "b.docx").path.read_bytes()
    assert a == b


# --------------------------------------------------------------------------------------------
# From a real workbook, and the CLI
# --------------------------------------------------------------------------------------------


@pytest.fixture
def filled_workbook(template_file, tmp_path) -> tuple[Path, ReportData]:
    data = random_report(seed=11)
    wb = open_workbook(template_file)
    write_report(data, wb, narrative=True)
    path = tmp_path / "年报.xlsx"
    save_workbook(wb, path)
    return path, data


def test_render_from_a_filled_workbook(filled_workbook, tmp_path):
    path, data = filled_workbook
    report = read_report_file(path)
    assert report.unit == UNIT and report.narrative["overview"] == OVERVIEW
    assert_html_values(render(report, tmp_path / "年报.html").path, data)


@pytest.mark.slow
def test_cli_render_all_formats(filled_workbook, tmp_path):
    path, _ = filled_workbook
    runner = CliRunner()
    for suffix in (".docx", ".html", ".md"):
        out = tmp_path / f"报告{suffix}"
        res = runner.invoke(app, ["render", str(path), "-o", str(out)])
        assert res.exit_code == 0, res.output
        assert out.stat().st_size > 1000
    res = runner.invoke(app, ["render", str(path)])  # default: beside the workbook, .docx
    assert res.exit_code == 0 and path.with_suffix(".docx").exists()


def test_cli_render_input_errors(filled_workbook, tmp_path):
    path, _ = filled_workbook
    runner = CliRunner()
    res = runner.invoke(app, ["render", str(tmp_path / "没有.xlsx"), "-o", str(tmp_path / "a.docx")])
    assert res.exit_code == 2 and "Traceback" not in res.output
    res = runner.invoke(app, ["render", str(path), "-o", str(tmp_path / "a.pdf")])
    assert res.exit_code == 2 and not (tmp_path / "a.pdf").exists()
    assert ".docx" in res.output


# --------------------------------------------------------------------------------------------
# LibreOffice: the .docx is a real document
# --------------------------------------------------------------------------------------------


@needs_soffice
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext not installed")
def test_docx_converts_to_pdf_with_title_and_numbers(tmp_path):
    data = random_report()
    out = render(data, tmp_path / "年报.docx").path
    pages = pdf_pages(to_pdf(out, tmp_path))
    text = norm("".join(pages))
    assert 2 <= len(pages) <= 5
    assert f"{UNIT}2024{form.REPORT_TITLE_SUFFIX}" in text
    assert form.T3_NOTE[1:10] in text
    for name in (form.t3("total", "total"), form.t4("suit_after", "total"), "t2_fees_amount"):
        assert expected_text(data, name) in text


# --------------------------------------------------------------------------------------------
# Round trip with the importer (issue 9: render → import gives the same 200 values)
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".html", ".docx"])
def test_render_then_import_gives_the_same_report(tmp_path, suffix):
    from xl_report.published.importer import import_report

    for seed in range(3):
        data = random_report(seed)
        back = import_report(render(data, tmp_path / f"r{seed}{suffix}").path).report
        assert (back.unit, back.year) == (data.unit, data.year)
        assert {n: back.values.get(n) for n in form.CELL_NAMES} == {n: data.values[n] for n in form.CELL_NAMES}
        assert back.narrative["problems"] == data.narrative["problems"]


@pytest.mark.slow
def test_cli_render_again_keeps_the_hand_edited_document(filled_workbook, tmp_path):
    path, _ = filled_workbook
    out = tmp_path / "报告.md"
    out.write_text("领导改过的稿子", encoding="utf-8")
    res = CliRunner().invoke(app, ["render", str(path), "-o", str(out)])
    assert res.exit_code == 0 and "已备份" in res.output, res.output
    backups = list(tmp_path.glob("报告.备份-*.md"))
    assert len(backups) == 1 and backups[0].read_text(encoding="utf-8") == "领导改过的稿子"
