"""Files the package ships besides its code: the VBA sources (``macros/``) and the committed workbooks
(``workbooks/``: template, add-in, .xlsm).

In the source tree they sit at the top (the design keeps ``macros/`` there); the wheel build
(``setup.py``) copies them into ``xl_report/assets/``. Lookup: the installed package first, then the
source checkout this package was imported from.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
INSTALLED = PACKAGE / "assets"  # present in a built wheel only
CHECKOUT = PACKAGE.parent  # the repository root when running from source

MACROS = "macros"
WORKBOOKS = "workbooks"


def asset_dir(folder: str) -> Path | None:
    """``folder`` (``macros`` or ``workbooks``) in the installed package, else in the source checkout."""
    for root in (INSTALLED, CHECKOUT):
        if (root / folder).is_dir() and (root is INSTALLED or (CHECKOUT / "pyproject.toml").is_file()):
            return root / folder
    return None


def asset_file(folder: str, name: str) -> Path | None:
    """One shipped file, or None when neither the package nor a checkout has it."""
    where = asset_dir(folder)
    return where / name if where is not None and (where / name).is_file() else None
