"""The cross-check: ReportData (+ last year, + tally, + 正文) -> typed Findings.

``check`` is pure (no files) and fast (a few ms per workbook: it runs in batch over hundreds of
units). The file adapter is :mod:`xl_report.stages.check`; :mod:`xl_report.xlsx.findings_sheet` writes
the result into a book.
Families, one module each: form_rules (F), arithmetic (A01–A04), plausibility (F11, A05, X03, D01),
crossyear (X01, X02, X04), narrative (T01–T03, F07), tally_rules (R01–R05),
table_tally (R07–R09). Catalogue: catalogue.py.
"""

from __future__ import annotations

from xl_report.core.findings import Finding
from xl_report.core.report import ReportData
from xl_report.core.tally import FillState
from xl_report.rules import arithmetic, crossyear, form_rules, plausibility, table_tally, tally_rules
from xl_report.rules import narrative as narrative_rules
from xl_report.rules.catalogue import RULE_BY_CODE, RULES


def check(
    report: ReportData,
    previous: ReportData | None = None,
    tally=None,
    narrative: dict | None = None,
    config: dict | None = None,
    *,
    table: ReportData | None = None,
    fill: FillState | None = None,
    require_filled: bool = True,
) -> list[Finding]:
    """Every rule over one report. ``narrative``: section -> paragraphs (text or (A1, text));
    defaults to ``report.narrative``. ``config``: the xl-report.toml dict ([calendar], [rules], [deadlines]).
    With a ``tally``, the tables are compared with it (R07–R09, :mod:`table_tally`): ``table`` is the
    tables as found in the workbook (default ``report``), ``fill`` its fill record."""
    out = table_tally.check(table or report, tally, fill, require_filled=require_filled) if tally is not None else []
    out += form_rules.check(report)
    out += arithmetic.check(report)
    wrong_year = crossyear.check_year(report, previous) if previous is not None else []
    if wrong_year:  # X04: the carry-over links against another year's report would only be noise
        out += wrong_year
        previous = None
    out += plausibility.check(report, previous, tally, config)
    out += crossyear.check(report, previous)
    out += narrative_rules.check(report, narrative)
    if tally is not None:
        out += tally_rules.check(tally, report.year, config)
    return out


__all__ = ["check", "RULES", "RULE_BY_CODE"]
