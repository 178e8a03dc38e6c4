"""One fingerprint for one content: the batch's frozen writer (batch/fastfill.py) and fill + freeze
(openpyxl) produce files a reader sees alike, and the time of freezing is not part of it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from xl_report.batch import run_batch
from xl_report.batch.fastfill import TemplateFiller
from xl_report.cli.demo import synthetic_unit, write_unit
from xl_report.stages.fill import fill_workbook
from xl_report.stages.freeze import freeze_file, verify_bytes, verify_file
from xl_report.stages.reader_diff import diff_views
from xl_report.xlsx.reader_view import read_view

from .test_fastfill import sample


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("parity")
    (d / "in").mkdir()
    src = write_unit(d / "in" / "003.xlsx", synthetic_unit("某某镇人民政府", "乡镇人民政府", 2024, seed=3), 2024)
    run_batch(d / "in", d / "out", year=2024, freeze=True, progress=False)
    [batch] = (d / "out").glob("*-定稿.xlsx")
    fill_workbook(src, d / "filled.xlsx", year=2024)
    return batch, freeze_file(d / "filled.xlsx", d / "filled-定稿.xlsx").output


def test_batch_and_fill_freeze_show_a_reader_the_same(both):
    batch, cli = both
    assert verify_file(batch).ok and verify_file(cli).ok
    a, b = read_view(batch.read_bytes()).canonical, read_view(cli.read_bytes()).canonical
    # everything agrees, tally rows, the note on the personal columns and the look of every cell included
    assert [str(c) for c in diff_views(a, b)] == []
    assert read_view(batch.read_bytes()).fingerprint == read_view(cli.read_bytes()).fingerprint


def test_the_moment_of_freezing_is_not_in_the_fingerprint():
    filler = TemplateFiller()
    view = filler.view(sample())
    _, early = filler.fill_frozen(view, now=datetime(2025, 1, 20, 9, 30, tzinfo=UTC))
    data, late = filler.fill_frozen(view, now=datetime(2026, 2, 1, 17, 5, tzinfo=UTC))
    assert early.fingerprint == late.fingerprint and early.stamp_line != late.stamp_line
    shown = read_view(data)
    assert shown.stamps and all(text == late.stamp_line for _, _, text in shown.stamps)
    assert verify_bytes(data).ok
