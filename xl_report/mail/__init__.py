"""Mail the frozen workbooks upward: SMTP with verified TLS, or ``.eml`` files in an outbox.

Public API: :func:`send_files` -> :class:`SendReport`. Modules: ``settings`` ([smtp]/[upward] config),
``facts`` (what a workbook is: frozen or draft, fingerprint), ``compose`` (message building),
``transport`` (SMTP + retries), ``sentlog`` (exactly-once memory), ``send`` (orchestration).
"""

from __future__ import annotations

from xl_report.mail.send import Outcome, SendReport, confirm_files, send_files
from xl_report.mail.settings import MailSettings, SmtpSettings, mail_settings

__all__ = ["send_files", "confirm_files", "SendReport", "Outcome", "MailSettings", "SmtpSettings", "mail_settings"]
