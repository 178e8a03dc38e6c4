"""Markdown for quick review: headings, paragraphs, pipe tables.

Pipe tables cannot merge cells: a merged cell's text appears once, at its top-left position, and
the positions it covers stay empty — the same picture as the printed table. Header cells are bold.
"""

from __future__ import annotations

import re

from xl_report.document.model import ReportDocument, Table

# Characters that would start Markdown or inline HTML inside a cell or paragraph.
_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")


def md_escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _SPECIAL.sub(r"\\\1", text)
    text = " ".join(text.split())  # no line breaks inside a paragraph or a cell
    return "\\" + text if text[:1] in "-+=" and text else text  # not a list item or a setext underline


def _table(t: Table) -> list[str]:
    grid = t.covering()
    lines = []
    for r, row in enumerate(grid):
        out = []
        for k, c in enumerate(row):
            if (c.row, c.col) != (r, k) or not c.text:
                out.append(" ")
            elif c.role == "header":
                out.append(f"**{md_escape(c.text)}**")
            else:
                out.append(md_escape(c.text))
        lines.append("| " + " | ".join(out) + " |")
        if r == 0:
            lines.append("|" + "|".join(" --- " for _ in row) + "|")
    return lines


def to_markdown(doc: ReportDocument) -> str:
    lines = [f"# {md_escape(doc.title)}", "", md_escape(doc.preamble), ""]
    for s in doc.sections:
        lines += [f"## {md_escape(s.heading)}", ""]
        for p in s.paragraphs:
            lines += [f"**{md_escape(p.text)}**" if p.subheading else md_escape(p.text), ""]
        if s.table is not None:
            lines += _table(s.table) + [""]
    return "\n".join(lines)
