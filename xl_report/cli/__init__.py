"""The typer CLI: ``xl-report``. Each command is a few lines over the library API.

Commands live in one small module per area (``cli/cmd_*.py``), each registering on :data:`app`;
the import order below is the order of ``xl-report --help`` (the clerk's workflow). A command module
imports only typer, rich and light core modules at its top; the library a command runs is imported in
its body (``# lazy: xl-report --help imports no library code``), so ``--help`` and every command start
without openpyxl & co. (tests/test_startup.py, benchmarks/startup.py).
"""

# isort: skip_file
from __future__ import annotations

from xl_report.cli.app import app, main  # noqa: F401
from xl_report.cli import cmd_template  # noqa: F401  template
from xl_report.cli import cmd_adopt  # noqa: F401  adopt
from xl_report.cli import cmd_fill  # noqa: F401  fill
from xl_report.cli import cmd_check  # noqa: F401  check
from xl_report.cli import cmd_freeze  # noqa: F401  freeze, verify, keygen
from xl_report.cli import cmd_render  # noqa: F401  render
from xl_report.cli import cmd_send  # noqa: F401  send
from xl_report.cli import cmd_batch  # noqa: F401  batch, demo
from xl_report.cli import cmd_import  # noqa: F401  import, audit
from xl_report.cli import cmd_excel  # noqa: F401  serve, addin
