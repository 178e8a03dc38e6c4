"""Typed findings: what the cross-check reports (stable code, severity, Chinese message, location)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from xl_report.core.errors import printable

Severity = Literal["error", "warning"]
SEVERITY_LABELS = {"error": "错误", "warning": "提示"}


@dataclass(frozen=True)
class Finding:
    """One problem the checks found: a catalogued code, its severity, a Chinese message and where it is."""

    code: str  # stable, e.g. "A01"
    severity: Severity
    message: str  # Chinese, names the numbers involved
    sheet: str | None = None  # workbook sheet (table or tally sheet)
    cell: str | None = None  # A1 address of the main cell, when one is involved
    name: str | None = None  # cell name of the main cell
    names: tuple[str, ...] = field(default_factory=tuple)  # every cell name involved (identities)
    row: int | None = None  # tally row (Excel row number), when relevant

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", printable(self.message))  # a cell's ESC never reaches a terminal

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_json(self) -> dict:
        d = asdict(self)
        d["names"] = list(self.names)
        return d


def count(findings: list[Finding]) -> tuple[int, int]:
    """(errors, warnings)."""
    errors = sum(1 for f in findings if f.severity == "error")
    return errors, len(findings) - errors
