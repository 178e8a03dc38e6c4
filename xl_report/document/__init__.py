"""Render the publishable annual report (.docx / .html / .md) from ReportData.

``render(report, path)`` builds the document once (:mod:`.model`: title, preamble, the six sections,
the three tables as grids with merged cells, all labels from :mod:`xl_report.core.form`) and hands it to
the writer chosen by the file suffix. The file is written atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from xl_report.core.errors import InputError
from xl_report.core.filenames import DOCUMENT_SUFFIXES
from xl_report.core.report import ReportData
from xl_report.document.model import ReportDocument, build_document
from xl_report.document.to_html import to_html
from xl_report.document.to_markdown import to_markdown
from xl_report.xlsx.fileio import write_bytes_atomic


def _docx(doc: ReportDocument) -> bytes:
    from xl_report.document.to_docx import to_docx  # lazy: python-docx (~0.2 s) only when a .docx is asked for

    return to_docx(doc)


def _html(doc: ReportDocument) -> bytes:
    return to_html(doc).encode("utf-8")


def _md(doc: ReportDocument) -> bytes:
    return to_markdown(doc).encode("utf-8")


WRITERS = {".docx": _docx, ".html": _html, ".htm": _html, ".md": _md}
SUFFIXES = DOCUMENT_SUFFIXES


@dataclass(frozen=True)
class RenderResult:
    path: Path
    warnings: tuple[str, ...]  # Chinese notes for the clerk (blank cells, missing contact, …)


def check_suffix(path: Path | str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in WRITERS:
        raise InputError.at(f"输出文件名必须以 {' / '.join(SUFFIXES)} 结尾", file=str(path))
    return suffix


def render(report: ReportData, path: Path | str) -> RenderResult:
    """Write the report to ``path``; the suffix picks the format. InputError when the narrative has
    an unknown placeholder or one whose table cell is blank, or the unit/year is missing."""
    path = Path(path)
    writer = WRITERS[check_suffix(path)]
    doc = build_document(report)
    write_bytes_atomic(path, writer(doc))
    return RenderResult(path, doc.warnings)


__all__ = ["render", "RenderResult", "build_document", "check_suffix", "SUFFIXES"]
