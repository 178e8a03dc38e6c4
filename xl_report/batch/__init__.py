"""County batch: every unit's workbook in a folder filled, checked, (frozen) and summed up."""

from __future__ import annotations

from xl_report.batch.inputs import (
    find_inputs,
    folders_with_workbooks,
    previous_reports,
    read_unit_list,
)
from xl_report.batch.model import (
    STATUS_ERRORS,
    STATUS_FAILED,
    STATUS_MISSING,
    STATUS_OK,
    BatchResult,
    UnitResult,
)
from xl_report.batch.run import run_batch
from xl_report.batch.state import RETIRED_DIR

__all__ = [
    "run_batch",
    "BatchResult",
    "UnitResult",
    "read_unit_list",
    "previous_reports",
    "find_inputs",
    "folders_with_workbooks",
    "RETIRED_DIR",
    "STATUS_OK",
    "STATUS_ERRORS",
    "STATUS_FAILED",
    "STATUS_MISSING",
]
