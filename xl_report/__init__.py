"""xl_report: the 政府信息公开工作年度报告 from the staff tally sheets — fill, check, freeze, send.

The library API a script uses, importable from here::

    from xl_report import aggregate, check, read_tally, render

    tally = read_tally("台账.xlsx")  # five tally sheets -> Tally
    report = aggregate(tally, year=2024).report  # the counting rules -> ReportData
    findings = check(report, tally=tally)  # every rule -> [Finding]
    render(report, "年报.html")  # the publishable report (.docx / .html / .md)

Names are loaded on first use (PEP 562), so ``import xl_report`` and ``xl-report --help`` stay fast.
Each name's home module is in :data:`_HOMES`; the layers are described in README "For developers".
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from xl_report.core.version import __version__

# name -> the module that defines it (one line per export; the TYPE_CHECKING block below lists the same names)
_HOMES: dict[str, str] = {
    # the data
    "ReportData": "xl_report.core.report",
    "Tally": "xl_report.core.tally",
    "Finding": "xl_report.core.findings",
    "InputError": "xl_report.core.errors",
    "XlReportError": "xl_report.core.errors",
    "load_config": "xl_report.core.config",
    # tally -> report -> findings
    "read_tally": "xl_report.xlsx.tally_reader",
    "aggregate": "xl_report.core.aggregate",
    "check": "xl_report.rules",
    "RULES": "xl_report.rules",
    # workbooks
    "build_template": "xl_report.xlsx.template",
    "write_template": "xl_report.xlsx.template",
    "read_report_file": "xl_report.xlsx.workbook",
    "fill_workbook": "xl_report.stages.fill",
    "adopt_ledger": "xl_report.stages.adopt",
    "check_workbook": "xl_report.stages.check",
    "freeze_file": "xl_report.stages.freeze",
    "verify_file": "xl_report.stages.freeze",
    "keygen": "xl_report.stages.signing",
    # the county, published reports, the document, the mail
    "run_batch": "xl_report.batch.run",
    "import_report": "xl_report.published.importer",
    "audit": "xl_report.published.audit",
    "render": "xl_report.document",
    "send_files": "xl_report.mail",
}

__all__ = ["__version__", *_HOMES]


def __getattr__(name: str) -> object:
    """Import ``name`` from its home module on first use, then keep it here."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'xl_report' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for type checkers and IDEs; `x as x` marks a re-export
    from xl_report.batch.run import run_batch as run_batch
    from xl_report.core.aggregate import aggregate as aggregate
    from xl_report.core.config import load_config as load_config
    from xl_report.core.errors import InputError as InputError
    from xl_report.core.errors import XlReportError as XlReportError
    from xl_report.core.findings import Finding as Finding
    from xl_report.core.report import ReportData as ReportData
    from xl_report.core.tally import Tally as Tally
    from xl_report.document import render as render
    from xl_report.mail import send_files as send_files
    from xl_report.published.audit import audit as audit
    from xl_report.published.importer import import_report as import_report
    from xl_report.rules import RULES as RULES
    from xl_report.rules import check as check
    from xl_report.stages.adopt import adopt_ledger as adopt_ledger
    from xl_report.stages.check import check_workbook as check_workbook
    from xl_report.stages.fill import fill_workbook as fill_workbook
    from xl_report.stages.freeze import freeze_file as freeze_file
    from xl_report.stages.freeze import verify_file as verify_file
    from xl_report.stages.signing import keygen as keygen
    from xl_report.xlsx.tally_reader import read_tally as read_tally
    from xl_report.xlsx.template import build_template as build_template
    from xl_report.xlsx.template import write_template as write_template
    from xl_report.xlsx.workbook import read_report_file as read_report_file
