"""Shared fixtures: real files built by code, real tools where the machine has them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .mail_helpers import UNITS, report_name, workbook_bytes

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")


@pytest.fixture(scope="session")
def template_file(tmp_path_factory) -> Path:
    from xl_report.xlsx.template import write_template

    return write_template(tmp_path_factory.mktemp("tpl") / "模板.xlsx")


def soffice_available() -> bool:
    return shutil.which("soffice") is not None


def needs_soffice(test):
    """A LibreOffice test: skipped without soffice, and slow (headless LibreOffice takes seconds to start)."""
    skip = pytest.mark.skipif(not soffice_available(), reason="LibreOffice (soffice) not installed")
    return pytest.mark.slow(skip(test))


def to_pdf(src: Path, outdir: Path) -> Path:
    """Convert with headless LibreOffice, with a private profile so parallel runs don't collide."""
    return _soffice_convert(src, outdir, "pdf", outdir / "lo-profile")


# LibreOffice keeps an .xlsx's cached formula results unless told to recalculate on load
_RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def recalculated_by_libreoffice(src: Path, outdir: Path) -> Path:
    """``src`` opened in LibreOffice, every formula recalculated by it, saved as .xlsx in ``outdir``:
    an independent spreadsheet engine's values for our formulas."""
    profile = outdir / "lo-profile-recalc"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_RECALC_ALWAYS, encoding="utf-8")
    return _soffice_convert(src, outdir, "xlsx:Calc MS Excel 2007 XML", profile)


def _soffice_convert(src: Path, outdir: Path, to: str, profile: Path) -> Path:
    env = dict(os.environ)
    fonts = ROOT / "tests" / "fonts.conf"
    if fonts.exists():
        env["FONTCONFIG_FILE"] = str(fonts)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(outdir),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env=env,
    )
    return outdir / (src.stem + "." + to.split(":")[0])


def pdf_pages(pdf: Path) -> list[str]:
    """Text of each page (pdftotext)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


@pytest.fixture(scope="session")
def unit_book_bytes(template_file) -> dict[str, bytes]:
    """A report workbook per unit of the mail tests, built once."""
    return {unit: workbook_bytes(template_file, unit) for unit in UNITS}


@pytest.fixture
def books(tmp_path, unit_book_bytes) -> list[Path]:
    """The mail tests' report workbooks, one per unit, in a fresh folder."""
    paths = []
    for unit in UNITS:
        p = tmp_path / report_name(unit)
        p.write_bytes(unit_book_bytes[unit])
        paths.append(p)
    return paths
