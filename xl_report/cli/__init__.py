"""The typer CLI: ``xl-report``. Each command is a few lines over the library API.

Commands live in one small module per area (``cli/cmd_*.py``), each registering on :data:`app`;
the import order below is the order of ``xl-report --help`` (the clerk's workflow). A command module
imports only typer, rich and light core modules at its top; the library a command runs is imported in
its body (``# lazy: CLI start-up``), so ``--help`` and every command start without openpyxl & co.
(tests/test_startup.py, benchmarks/startup.py).
"""
from __future__ import annotations

from xl_report.cli.app import app, main  # noqa: F401
from xl_report.cli import cmd_template  # noqa: F401,E402  template
from xl_report.cli import cmd_fill  # noqa: F401,E402  fill
from xl_report.cli import cmd_check  # noqa: F401,E402  check
from xl_report.cli import cmd_freeze  # noqa: F401,E402  freeze, verify, keygen
from xl_report.cli import cmd_render  # noqa: F401,E402  render
from xl_report.cli import cmd_send  # noqa: F401,E402  send
from xl_report.cli import cmd_batch  # noqa: F401,E402  batch, demo
from xl_report.cli import cmd_import  # noqa: F401,E402  import, audit
from xl_report.cli import cmd_excel  # noqa: F401,E402  serve, addin
