"""The typer CLI: ``xl-report``. Each command is a few lines over the library API.

Commands live in one small module per area (``cli/cmd_*.py``), each registering on :data:`app`.
"""
from __future__ import annotations

from .app import app, main  # noqa: F401
from . import cmd_template  # noqa: F401  (registers commands)
from . import cmd_check  # noqa: F401
from . import cmd_freeze  # noqa: F401
from . import cmd_fill  # noqa: F401
from . import cmd_render  # noqa: F401
from . import cmd_import  # noqa: F401
from . import cmd_excel  # noqa: F401
from . import cmd_batch  # noqa: F401
from . import cmd_send  # noqa: F401
