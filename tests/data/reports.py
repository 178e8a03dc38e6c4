"""Published-report fixtures built by code, in the shapes real reports come in.

The grid of each table (rows, merged cells) comes from the renderer's document model; the writers
here emit it the way other tools do: the one-cell-per-line text dump of the sample, a government
web page (layout table around data tables, <br> inside labels), and a .docx with merged cells.
"""

from __future__ import annotations

import html
import random
from datetime import date
from pathlib import Path

from xl_report.core import form
from xl_report.core.report import ReportData
from xl_report.document.model import ReportDocument, Table, build_document

DATA = Path(__file__).resolve().parent
SAMPLE = DATA / "linxi-town-2023.txt"

NARRATIVE = {
    "overview": [
        "（一）主动公开",
        "本年度主动公开政府信息120条。",
        "（二）依申请公开",
        "本年度收到政府信息公开申请{新收}件。",
    ],
    "problems": ["一是公开内容不够全面。", "下一步将加强培训。"],
    "other": ["本年度未收取信息处理费。"],
}


def random_report(seed: int, unit: str = "某某县某某镇人民政府", year: int = 2024) -> ReportData:
    """A consistent report (totals computed) with random counts and a decimal fee."""
    rnd = random.Random(seed)
    r = ReportData(unit=unit, year=year, contact="0476-5326621")
    for c in form.CELLS:
        r.values[c.name] = rnd.choice((0, 1.5, 12.25, 300)) if c.kind == "amount" else rnd.choice((0, 0, 1, 3, 17, 240))
    r.with_totals()
    # keep 表三 balanced: 一 + 二 = （七）总计 + 四 per column
    for col in form.T3_APPLICANT_COLUMNS:
        done = r.num0(form.t3("total", col))
        new = r.num0(form.t3("new", col))
        r.values[form.t3("carried_in", col)] = max(done - new, 0)
        r.values[form.t3("carried_out", col)] = max(new - done, 0)
    r.with_totals()
    r.narrative = {k: list(v) for k, v in NARRATIVE.items()}
    return r


def document(report: ReportData) -> ReportDocument:
    return build_document(report)


# --------------------------------------------------------------------------------------------
# The text dump (as the sample): one cell per line, ' |' after each, fillers at short rows' ends
# --------------------------------------------------------------------------------------------


def dump(report: ReportData, date_line: str | None = None, spaced: bool = False) -> str:
    doc = document(report)
    lines = [doc.title, doc.preamble]
    for section in doc.sections:
        lines.append(section.heading)
        lines.extend(p.text for p in section.paragraphs)
        if section.table is not None:
            lines.extend(_dump_table(section.table, spaced))
    if date_line:
        lines += [report.unit or "", date_line]
    return "\n".join(lines) + "\n"


def _dump_table(table: Table, spaced: bool) -> list[str]:
    out = []
    for row in table.rows():
        width = sum(c.colspan for c in row)
        for i, c in enumerate(row):
            text = " ".join(c.text) if spaced and c.role != "value" and len(c.text) <= 6 else c.text
            filler = " " + "|" * (table.ncols - width) if i == len(row) - 1 and width < table.ncols else ""
            out.append(f"{text} |{filler}")
    return out


# --------------------------------------------------------------------------------------------
# A government web page: layout table around the article, data tables with rowspan/colspan
# --------------------------------------------------------------------------------------------


def web_page(report: ReportData, published: date | None = None, full_width: bool = True) -> str:
    doc = document(report)
    body = [f"<h1>{html.escape(doc.title)}</h1>"]
    if published:
        body.append(f"<div class='info'>发布时间：{published.isoformat()}  来源：本网</div>")
    body.append(f"<p>{html.escape(doc.preamble)}</p>")
    for section in doc.sections:
        body.append(f"<p><strong>{html.escape(section.heading)}</strong></p>")
        body.extend(f"<p>{html.escape(p.text)}</p>" for p in section.paragraphs)
        if section.table is not None:
            body.append(_html_table(section.table, full_width))
    article = "\n".join(body)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>年报</title>"
        "<script>var x = '第二十条第（一）项 0 0 0';</script></head><body>"
        "<div class='nav'>首页 &gt; 政务公开 &gt; 年度报告</div>"
        f"<table class='layout'><tr><td class='left'>栏目导航</td><td class='main'>{article}</td></tr></table>"
        "<div class='footer'>主办单位：某某县人民政府办公室 电话：0476-0000000</div></body></html>"
    )


def _html_table(table: Table, full_width: bool) -> str:
    rows = []
    for row in table.rows():
        tds = []
        for c in row:
            text = html.escape(c.text)
            if c.role != "value" and len(c.text) > 6:
                mid = len(text) // 2
                text = text[:mid] + "<br/>" + text[mid:]  # labels broken inside the cell
            if not full_width:
                text = text.replace("（", "(").replace("）", ")").replace("，", ",").replace("：", ":")
            span = (f" rowspan='{c.rowspan}'" if c.rowspan > 1 else "") + (
                f" colspan='{c.colspan}'" if c.colspan > 1 else ""
            )
            tds.append(f"<td{span}><p><span>{text}</span></p></td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    return "<table border='1'>" + "".join(rows) + "</table>"


# --------------------------------------------------------------------------------------------
# .docx with merged cells (python-docx), written independently of the renderer
# --------------------------------------------------------------------------------------------


def docx_report(report: ReportData, path: Path, date_line: str | None = None) -> Path:
    import docx
    from docx.shared import Cm, Pt

    doc = document(report)
    d = docx.Document()
    d.add_heading(doc.title, level=1)
    d.add_paragraph(doc.preamble)
    for section in doc.sections:
        d.add_paragraph(section.heading)
        for p in section.paragraphs:
            d.add_paragraph(p.text)
        if section.table is not None:
            t = section.table
            grid = d.add_table(rows=t.nrows, cols=t.ncols)
            grid.style = "Table Grid"
            grid.autofit = False
            scale = 16.0 / sum(t.widths)  # the page's text width in cm
            for row in grid.rows:
                for cell, w in zip(row.cells, t.widths):
                    cell.width = Cm(w * scale)
            for c in t.cells:
                cell = grid.cell(c.row, c.col)
                if c.rowspan > 1 or c.colspan > 1:
                    cell = cell.merge(grid.cell(c.row + c.rowspan - 1, c.col + c.colspan - 1))
                cell.text = c.text
                for run in cell.paragraphs[0].runs:
                    run.font.size = Pt(8)
    if date_line:
        d.add_paragraph(report.unit or "")
        d.add_paragraph(date_line)
    d.save(str(path))
    return path


# --------------------------------------------------------------------------------------------
# The demo county's units as reports (the counting rules applied to their synthetic tallies)
# --------------------------------------------------------------------------------------------


def demo_report(short: str, year: int = 2024) -> ReportData:
    from xl_report.cli import demo
    from xl_report.core.aggregate import aggregate

    names = demo.TOWNSHIPS + demo.DEPARTMENTS
    data = demo.synthetic_unit(demo.full_name(short), demo.level(short), year, seed=names.index(short))
    tally = demo.unit_tally(data, year)
    report = aggregate(tally, year).report
    report.unit, report.year, report.contact, report.level = data.unit, year, data.contact, data.level
    report.narrative = data.narrative
    return report
