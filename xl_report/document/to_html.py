"""One self-contained HTML page for a government website: inline CSS, no external resources,
real <table>s with rowspan/colspan, A4 print layout. Every text is escaped (unit names and the
narrative come from a clerk's workbook: hostile input)."""

from __future__ import annotations

from html import escape

from xl_report.document.model import ReportDocument, Table

# Font stacks name the 公文 faces first, then the usual Windows/macOS/Linux fallbacks.
FONT_BODY = '"仿宋_GB2312", "仿宋", FangSong, STFangsong, "Noto Serif CJK SC", serif'
FONT_TITLE = '"方正小标宋简体", "华文中宋", STZhongsong, "宋体", SimSun, "Noto Serif CJK SC", serif'
FONT_HEAD = '"黑体", SimHei, STHeiti, "Noto Sans CJK SC", sans-serif'
FONT_SUB = '"楷体_GB2312", "楷体", KaiTi, STKaiti, "Noto Serif CJK SC", serif'

CSS = f"""
body {{ margin: 0; background: #f3f3f3; color: #000; }}
main {{ max-width: 156mm; margin: 0 auto; padding: 20mm 26mm 20mm 28mm; background: #fff;
  font-family: {FONT_BODY}; font-size: 16pt; line-height: 28pt; }}
h1 {{ font-family: {FONT_TITLE}; font-size: 22pt; font-weight: normal; line-height: 1.5; text-align: center;
  margin: 0 0 28pt; }}
h2 {{ font-family: {FONT_HEAD}; font-size: 16pt; font-weight: normal; margin: 0; text-indent: 2em; }}
p {{ margin: 0; text-indent: 2em; text-align: justify; }}
p.sub {{ font-family: {FONT_SUB}; }}
table {{ border-collapse: collapse; width: 100%; margin: 6pt 0 14pt; font-size: 10.5pt; line-height: 1.35;
  page-break-inside: auto; }}
table.wide {{ font-size: 9pt; }}
th, td {{ border: 1px solid #000; padding: 2pt 3pt; text-align: center; vertical-align: middle; }}
th {{ font-family: {FONT_HEAD}; font-weight: normal; }}
td.left {{ text-align: left; }}
tr {{ page-break-inside: avoid; }}
@page {{ size: A4; margin: 37mm 26mm 35mm 28mm; }}
@media print {{ body {{ background: #fff; }} main {{ max-width: none; padding: 0; }} }}
"""

# Nothing but the inline style may load or run.
CSP = "default-src 'none'; style-src 'unsafe-inline'"


def table_html(t: Table) -> str:
    total = sum(t.widths)
    cls = ' class="wide"' if t.ncols > 4 else ""
    out = [f"<table{cls}>", "<colgroup>"]
    out += [f'<col style="width:{w / total * 100:.1f}%">' for w in t.widths]
    out.append("</colgroup>")
    for row in t.rows():
        out.append("<tr>")
        for c in row:
            tag = "th" if c.role == "header" else "td"
            attrs = ""
            if c.rowspan > 1:
                attrs += f' rowspan="{c.rowspan}"'
            if c.colspan > 1:
                attrs += f' colspan="{c.colspan}"'
            if c.align == "left":
                attrs += ' class="left"'
            out.append(f"<{tag}{attrs}>{escape(c.text)}</{tag}>")
        out.append("</tr>")
    out.append("</table>")
    return "\n".join(out)


def to_html(doc: ReportDocument) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(doc.title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{escape(doc.title)}</h1>",
        f"<p>{escape(doc.preamble)}</p>",
    ]
    for s in doc.sections:
        parts.append(f"<h2>{escape(s.heading)}</h2>")
        for p in s.paragraphs:
            parts.append(f'<p class="sub">{escape(p.text)}</p>' if p.subheading else f"<p>{escape(p.text)}</p>")
        if s.table is not None:
            parts.append(table_html(s.table))
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)
