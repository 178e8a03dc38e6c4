"""Where xlwings reads its settings from inside a workbook: sheets that may hold the county server's token.

The add-in builder names its config sheet after :data:`PROJECT_NAME`; the 上报 button strips these sheets and
``mail`` refuses to attach a workbook that still has one.
"""

from __future__ import annotations

PROJECT_NAME = "xl_report"  # xlwings config: sheet xl_report.conf, %USERPROFILE%\.xl_report\xl_report.conf
# Sheets xlwings reads settings from (SERVER_URL, AUTH "Bearer <token>", LICENSE_KEY): never mailed upward.
CONFIG_SHEETS = (f"{PROJECT_NAME}.conf", "xlwings.conf")
