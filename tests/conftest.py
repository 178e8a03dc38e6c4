"""Shared fixtures: real files built by code, real tools where the machine has them."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")


@pytest.fixture(scope="session")
def template_file(tmp_path_factory) -> Path:
    from xl_report.template import write_template

    return write_template(tmp_path_factory.mktemp("tpl") / "模板.xlsx")


def soffice_available() -> bool:
    return shutil.which("soffice") is not None


needs_soffice = pytest.mark.skipif(not soffice_available(), reason="LibreOffice (soffice) not installed")


def to_pdf(src: Path, outdir: Path) -> Path:
    """Convert with headless LibreOffice, with a private profile so parallel runs don't collide."""
    env = dict(os.environ)
    fonts = ROOT / "tests" / "fonts.conf"
    if fonts.exists():
        env["FONTCONFIG_FILE"] = str(fonts)
    profile = outdir / "lo-profile"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(outdir), str(src)],
        check=True, capture_output=True, timeout=180, env=env,
    )
    return outdir / (src.stem + ".pdf")


def pdf_pages(pdf: Path) -> list[str]:
    """Text of each page (pdftotext)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")
