"""Generated docs are current, and README's command table has one row per command naming every option."""

from __future__ import annotations

import re

import typer

from xl_report.cli import app
from xl_report.cli.docs import stale
from xl_report.cli.readme_table import ROWS
from xl_report.core.version import __version__

from .conftest import ROOT


def test_generated_docs_are_current():
    assert not stale(), "run: python -m xl_report.cli.docs"


def _commands() -> dict:
    return typer.main.get_command(app).commands  # a click Group: one command per name


def test_every_command_has_one_readme_row_in_help_order():
    """A new command needs @readme_row(...) above its @app.command (xl_report/cli/readme_table.py)."""
    assert [row.command for row in ROWS] == [c.name for c in app.registered_commands]
    assert set(_commands()) == {row.command for row in ROWS}


def test_every_option_is_mentioned_in_its_row():
    """A new option goes into its command's README row (usage or text) — then: python -m xl_report.cli.docs."""
    rows = {row.command: row.usage + row.what for row in ROWS}
    missing = []
    for name, command in _commands().items():
        for param in command.params:
            if param.param_type_name != "option" or param.name == "help":
                continue
            if not any(re.search(rf"(?<![\w-]){re.escape(opt)}\b", rows[name]) for opt in param.opts):
                missing.append(f"xl-report {name} {'/'.join(param.opts)}")
    assert not missing, "options missing from README's command table: " + ", ".join(missing)


def test_the_changelog_names_the_package_version():
    """Bump xl_report/core/version.py and add its CHANGELOG heading together; pyproject never spells it."""
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d\d-\d\d$", text, re.M)
    assert released and released[0] == __version__
    assert 'dynamic = ["version"]' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
