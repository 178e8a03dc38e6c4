"""Audit published reports: import each one, then every check that applies to a published report.

Findings of one report = the importer's structure findings (F01–F06, F12) + the cross-check
(``xl_report.rules.check``: arithmetic, text vs table, cross-year, deadline for a known unit type)
+ the publication-date checks a published report allows (D01 for an unknown unit type, D02).
Rule findings that only make sense for a workbook (missing cell names, 单位类型 not chosen) are left
out: for an imported report the importer already says which table and row could not be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from xl_report.core import form
from xl_report.core.deadlines import DUE_OTHER, due_date
from xl_report.core.errors import InputError
from xl_report.core.findings import Finding, count
from xl_report.core.report import ReportData
from xl_report.published.importer import ImportResult, import_report
from xl_report.rules import check
from xl_report.xlsx.workbook import read_report_file

# rule codes replaced by the importer's own, more precise findings for an imported report
_IMPORTER_OWNS = {"F02", "F03", "F04"}
_NOT_FOR_PUBLISHED = {"F13"}  # 单位类型 is a workbook field; a published report does not state it
_SAME_CELL = {"F05", "F06", "F12"}  # reported by both: keep the importer's (it shows the printed text)


@dataclass
class AuditResult:
    path: str
    unit: str | None = None
    year: int | None = None
    findings: list[Finding] = field(default_factory=list)
    report: ReportData | None = None
    format_2019: bool = False
    error: str | None = None  # the report could not be read at all

    @property
    def counts(self) -> tuple[int, int]:
        return count(self.findings)

    def verdict_line(self) -> str:
        """One line per report: file, unit and year, then no problem or the counts."""
        name = Path(self.path).name
        if self.error:
            return f"{name}：无法读取（{self.error}）"
        errors, warnings = self.counts
        who = f"{self.unit or '（单位不明）'} {self.year or '?'}年"
        verdict = "未发现问题" if not self.findings else f"错误 {errors} 个，提示 {warnings} 个"
        return f"{name}：{who}年报 — {verdict}"

    def blank_cells(self) -> list[dict]:
        """Every table cell left blank, with the finding that says why (the first one naming it)."""
        if self.report is None:
            return []
        why: dict[str, Finding] = {}
        for f in self.findings:
            for name in (f.name, *f.names):
                if name:
                    why.setdefault(name, f)
        out = []
        for cell in form.CELLS:
            if self.report.values.get(cell.name) is not None:
                continue
            cause = why.get(cell.name)
            out.append(
                {
                    "name": cell.name,
                    "label": cell.caption,
                    "code": cause.code if cause else None,
                    "reason": cause.message if cause else "未读出",
                }
            )
        return out

    def to_json(self) -> dict:
        d = {
            "report": self.path,
            "unit": self.unit,
            "year": self.year,
            "findings": [f.to_json() for f in self.findings],
        }
        if self.error:
            d["error"] = self.error
        else:
            d["blank_cells"] = self.blank_cells()
        return d


def audit(paths, previous: Path | str | ReportData | None = None, config: dict | None = None) -> list[AuditResult]:
    """One result per path, in order. An unreadable report gives a result with ``error`` set.

    ``previous``: last year's report (a published report or a workbook), used for the cross-year
    rules of the reports of the same unit.
    """
    last = read_previous_report(previous)
    results = []
    for path in paths:
        try:
            imported = import_report(path)
        except InputError as e:
            results.append(AuditResult(str(path), error=str(e)))
            continue
        results.append(audit_import(imported, str(path), last, config))
    return results


def read_previous_report(previous: Path | str | ReportData | None) -> ReportData | None:
    """Last year's report for the cross-year rules: a 年报 workbook, or a published report to import."""
    if previous is None or isinstance(previous, ReportData):
        return previous
    path = Path(previous)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_report_file(path)
    return import_report(path).report


def audit_import(
    imported: ImportResult, path: str, previous: ReportData | None = None, config: dict | None = None
) -> AuditResult:
    report = imported.report
    if previous is not None and previous.unit and report.unit and previous.unit != report.unit:
        previous = None  # last year's report of another unit says nothing about this one
    findings = list(imported.problems)
    mine = {(f.code, f.name) for f in findings}
    unread = set(report.missing)
    for f in _rules(report, previous, config):
        if f.code in _IMPORTER_OWNS or f.code in _NOT_FOR_PUBLISHED:
            continue
        if unread.intersection(f.names or (f.name,)):
            continue  # a cell it checks could not be read: a blank there is not a 0 to check
        if f.code in _SAME_CELL and (
            (f.code, f.name) in mine or (f.code == "F12" and any(c == "F12" for c, _ in mine))
        ):
            continue
        findings.append(_unlocated(f))
    findings += date_findings(report, config)
    return AuditResult(path, report.unit, report.year, findings, report, imported.format_2019)


def _rules(report: ReportData, previous: ReportData | None, config: dict | None) -> list[Finding]:
    return check(report, previous=previous, narrative=report.narrative, config=config)


def _unlocated(f: Finding) -> Finding:
    """Rule messages about the workbook's 说明 sheet carry no cell address for a published report."""
    return replace(f, cell=None) if f.cell else f


def date_findings(report: ReportData, config: dict | None = None) -> list[Finding]:
    """D02 when the report carries no date; D01 when the unit type is unknown to the rules.

    (For a unit type the name reveals — 乡镇/县级以上人民政府, 街道办事处 — the rule engine checks D01.)
    """
    if report.published is None:
        return [Finding("D02", "warning", "报告未注明发布日期（落款日期或发布日期），无法核对是否按期发布")]
    if report.level is not None or report.year is None:
        return []
    table = (config or {}).get("deadlines") or {}
    due = due_date(report.year, table.get("other", DUE_OTHER))
    if report.published <= due:
        return []
    return [
        Finding(
            "D01",
            "error",
            f"发布日期 {report.published.isoformat()} 晚于部门、乡镇、街道年报的发布期限 "
            f"{due.isoformat()}（晚 {(report.published - due).days} 天）",
            name="meta_published",
        )
    ]
