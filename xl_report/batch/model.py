"""The batch's results: one :class:`UnitResult` per input (also its JSON record), the run's
:class:`BatchResult`, the options a unit is processed with, and the unit name as shown."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from pathlib import Path

from xl_report.core import form
from xl_report.core.errors import EXIT_FINDINGS, EXIT_OK
from xl_report.core.findings import Finding
from xl_report.core.report import ReportData

STATUS_OK = "成功"


STATUS_ERRORS = "有错误"


STATUS_FAILED = "失败"


STATUS_MISSING = "未提交"


RECORD_VERSION = 1


# headline columns of the summary: label -> the cells it adds up
HEADLINES: dict[str, tuple[str, ...]] = {
    "新收": (form.PLACEHOLDERS["新收"],),
    "上年结转": (form.PLACEHOLDERS["上年结转"],),
    "办结": (form.PLACEHOLDERS["办结"],),
    "结转下年度": (form.PLACEHOLDERS["结转下年度"],),
    "复议": (form.PLACEHOLDERS["行政复议"],),
    "诉讼": (form.PLACEHOLDERS["直接起诉"], form.PLACEHOLDERS["复议后起诉"]),
}


@dataclass
class UnitResult:
    """One row of the summary; also the JSON record kept in OUTDIR/.xl-report/units/."""

    source: str  # input file name inside DIR ("" for a unit that did not submit)
    unit: str
    status: str
    file: str | None = None  # output file name inside OUTDIR
    reason: str | None = None  # why the unit failed (Chinese)
    errors: int = 0
    warnings: int = 0
    headline: dict[str, float | int] = field(default_factory=dict)
    fingerprint: str | None = None
    findings: list[dict] = field(default_factory=list)
    values: dict[str, object] = field(default_factory=dict)  # the 200 cells, for the roll-up
    figures: dict[str, float | int] = field(default_factory=dict)  # what the charts show (core.figures)
    notes: list[str] = field(default_factory=list)
    year: int | None = None
    key: str = ""  # what the result depends on (input hash + options): equal key, same result
    output_hash: str | None = None
    skipped: bool = False  # reused from the previous run (not stored)
    duplicate_of: str | None = None  # the input holding this unit's name (a failure that depends on it)

    def to_json(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in dataclass_fields(self)}  # shallow: json.dumps copies anyway
        d.pop("skipped")
        d["v"] = RECORD_VERSION
        return d

    @classmethod
    def from_json(cls, d: dict) -> UnitResult:
        d = dict(d)
        d.pop("v", None)
        return cls(**d)

    @property
    def has_report(self) -> bool:
        return self.status in (STATUS_OK, STATUS_ERRORS)


@dataclass
class BatchResult:
    outdir: Path
    units: list[UnitResult]
    rollup: ReportData | None = None
    rollup_findings: list[Finding] = field(default_factory=list)
    summary_path: Path | None = None
    html_path: Path | None = None  # 汇总.html (written by xl_report.document.dashboard)
    charts: dict[str, tuple[dict, dict | None]] = field(default_factory=dict)  # source -> (figures, last year's)
    findings_path: Path | None = None
    seconds: float = 0.0
    retired: list[str] = field(default_factory=list)  # outputs of inputs no longer in DIR, moved aside
    ignored: list[tuple[str, str]] = field(default_factory=list)  # DIR entries not read: (name, reason)

    @property
    def processed(self) -> int:
        return sum(1 for u in self.units if u.source and not u.skipped)

    @property
    def skipped(self) -> int:
        return sum(1 for u in self.units if u.skipped)

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in (STATUS_OK, STATUS_ERRORS, STATUS_FAILED, STATUS_MISSING)}
        for u in self.units:
            out[u.status] += 1
        return out

    @property
    def exit_code(self) -> int:
        bad = any(u.status in (STATUS_FAILED, STATUS_ERRORS) for u in self.units)
        return EXIT_FINDINGS if bad else EXIT_OK


@dataclass(frozen=True)
class Options:
    outdir: str
    year: int | None = None
    freeze: bool = False
    password: str | None = field(default=None, repr=False)  # a secret: never in a repr or a log
    config: dict | None = None
    now: str | None = None  # ISO time of the run: every unit frozen in one run shares it
    options_key: str = ""  # what a unit's result depends on besides its input (see input_key)
    foreign: frozenset[str] = frozenset()  # files in OUTDIR that no run wrote: backed up before replaced


Progress = Callable[[UnitResult], None]


def headline(report: ReportData) -> dict[str, float | int]:
    return {label: sum(report.num0(n) for n in names) for label, names in HEADLINES.items()}


def display_name(unit: str | None) -> str | None:
    """The unit name as shown in the summary: control characters gone, spaces collapsed."""
    if unit is None:
        return None
    text = "".join(ch for ch in unicodedata.normalize("NFC", str(unit)) if unicodedata.category(ch) not in ("Cc", "Cf"))
    text = re.sub(r"\s+", " ", text).strip()
    return text[:200] or None


def match_key(unit: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", unit)).casefold()
