"""The names of the files (and of the one sheet of our own) that the commands' help texts show, as a clerk
sees them: the commands name them without importing the modules that write them (``xl-report --help``
starts in a blink)."""

from __future__ import annotations

TEMPLATE_FILE = "年报模板.xlsx"  # xl-report template
FILLED_SUFFIX = "-已填报"  # xl-report fill: <input>-已填报.xlsx
FROZEN_SUFFIX = "-定稿"  # xl-report freeze: <input>-定稿.xlsx
ADDIN_FILE = "xl_report.xlam"  # xl-report addin
XLSM_FILE = "年报模板.xlsm"  # xl-report addin --xlsm
DOCUMENT_SUFFIXES = (".docx", ".html", ".md")  # xl-report render: the formats, by the output's suffix
ADOPT_SHEET = "台账转换说明"  # xl-report adopt: the sheet listing every decision
