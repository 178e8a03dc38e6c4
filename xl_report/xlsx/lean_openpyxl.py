"""openpyxl loaded without numpy, for a process that never hands it a numpy value (the batch command).

openpyxl imports numpy (~0.13 s, paid again by the interpreter's exit) only to accept numpy numbers as
cell values. The batch's values come from calamine and its own sums, so the command asks
:func:`xl_report.batch.run.run_batch` to load openpyxl this way; a library caller's openpyxl keeps its
numpy support (the default).
"""

from __future__ import annotations

import sys


def import_openpyxl_without_numpy() -> None:
    """Import openpyxl now, as if numpy were not installed; nothing when either is loaded already."""
    if "openpyxl" in sys.modules or "numpy" in sys.modules:
        return
    sys.modules["numpy"] = None  # type: ignore[assignment]  # `import numpy` raises ImportError
    try:
        import openpyxl  # noqa: F401  # lazy: the point of this function
    finally:
        del sys.modules["numpy"]
