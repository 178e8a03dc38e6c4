"""Build the upward message: Chinese subject and body, workbook(s) attached under their Chinese names.

Attachment names carry RFC 2231 ``filename*=`` (the standard: Gmail, Thunderbird, Apple Mail) plus an
RFC 2047 encoded-word ``name=`` on Content-Type, which older Outlook/Exchange paths and some Chinese
webmail fall back to (docs/format-notes.md §5).
"""

from __future__ import annotations

import base64
import email.policy
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from xl_report.core.errors import InputError
from xl_report.core.fingerprint import short as short_fingerprint
from xl_report.mail import headers
from xl_report.mail.facts import Workbook
from xl_report.mail.settings import MailSettings, render
from xl_report.xlsx.fileio import write_bytes_atomic

# refold_source="none": the pre-folded Content-Type we set_raw() is emitted exactly as written.
POLICY = email.policy.SMTP.clone(refold_source="none")
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9._ ()-]+$")
_MAX_WORD_BYTES = 45  # 45 bytes -> 60 base64 chars -> 72-char encoded-word, within RFC 2047's 75


@dataclass(frozen=True)
class Note:
    """Why this send is special (shown in the subject prefix and the body)."""

    draft: bool = False
    replaces: str | None = None  # Chinese description of the version this one corrects


def encoded_words(text: str) -> list[str]:
    """RFC 2047 base64 encoded-words, split on character boundaries."""
    words, chunk = [], b""
    for ch in text:
        b = ch.encode("utf-8")
        if len(chunk) + len(b) > _MAX_WORD_BYTES:
            words.append(chunk)
            chunk = b""
        chunk += b
    if chunk:
        words.append(chunk)
    return ["=?utf-8?b?" + base64.b64encode(w).decode("ascii") + "?=" for w in words]


def attach(msg: EmailMessage, book: Workbook) -> None:
    maintype, subtype = book.mime
    msg.add_attachment(book.data, maintype=maintype, subtype=subtype, filename=book.name)
    part = list(msg.iter_attachments())[-1]
    name = f'"{book.name}"' if _PLAIN_NAME.match(book.name) else '"' + "\r\n ".join(encoded_words(book.name)) + '"'
    del part["Content-Type"]
    part.set_raw("Content-Type", f"{maintype}/{subtype};\r\n name={name}")


def short(fingerprint: str) -> str:
    """The short form stamped on the frozen sheets (drafts: of their SHA-256)."""
    return short_fingerprint(fingerprint.split(":", 1)[-1])


def template_values(books: list[Workbook], now: datetime, verdict: Callable[[Workbook], str]) -> dict[str, object]:
    verdicts = [verdict(b) for b in books]
    details = "\n".join(
        f"附件：{b.name}\n  校验结果：{s}\n  "
        f"{'定稿指纹' if b.frozen else '草稿（未定稿）SHA-256'}：{short(b.fingerprint)}"
        for b, s in zip(books, verdicts)
    )
    years = sorted({str(b.year) for b in books if b.year})
    return {
        "unit": "、".join(dict.fromkeys(b.unit or "（未填单位名称）" for b in books)),
        "year": "、".join(years) or "",
        "summary": "；".join(verdicts),
        "fingerprint": "、".join(short(b.fingerprint) for b in books),
        "file": "、".join(b.name for b in books),
        "count": len(books),
        "details": details,
        "date": f"{now.year}年{now.month}月{now.day}日",
    }


def build(
    settings: MailSettings,
    books: list[Workbook],
    recipients: tuple[str, ...],
    *,
    bundle: bool,
    notes: list[Note],
    message_id: str | None = None,
    now: datetime | None = None,
    verdict: Callable[[Workbook], str] = lambda b: "未校验",
) -> EmailMessage:
    """One message for ``books`` (one workbook, or all of them with ``bundle``), addressed to ``recipients``."""
    now = now or datetime.now().astimezone()
    values = template_values(books, now, verdict)
    subject = render(settings.bundle_subject if bundle else settings.subject, values)
    body = render(settings.bundle_body if bundle else settings.body, values)
    prefix, lead = "", ""  # what makes this send special goes first: subject prefix and the body's first lines
    if any(n.replaces for n in notes):
        prefix += "【更正】"
        lead += "".join(f"说明：本邮件附件为更正版，替代{n.replaces}。\n" for n in notes if n.replaces)
    if any(n.draft for n in notes):
        prefix += "【草稿】"
        lead += "说明：附件为未定稿的草稿，仅供预审，不作为正式报送。\n"
    body = f"{lead}\n{body}" if lead else body
    msg = EmailMessage(policy=POLICY)
    msg["Subject"] = headers.header_text(prefix + subject, "邮件标题")
    if settings.sender:
        msg["From"] = settings.sender
    wanted = {headers.addr_spec(r).lower() for r in recipients}
    to = [a for a in settings.to if headers.addr_spec(a).lower() in wanted]
    cc = [a for a in settings.cc if headers.addr_spec(a).lower() in wanted]
    if to:
        msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id or make_msgid(domain=_domain(settings.sender))
    for book in books:  # one per attachment, unfolded (set_raw) so that it reads back exactly
        fp = headers.header_text(book.fingerprint, "指纹")
        if not fp.isascii() or " " in fp:
            raise InputError.at("定稿指纹无效", file=str(book.path), value=fp)
        msg.set_raw("X-XL-Report-Fingerprint", fp)
    msg.set_content(headers.body_text(body))
    for book in books:
        attach(msg, book)
    return msg


def _domain(sender: str | None) -> str:
    return headers.addr_spec(sender).rsplit("@", 1)[1] if sender else "xl-report.local"


_UNSAFE_FILE_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


def write_eml(outbox: Path, msg: EmailMessage, books: list[Workbook], *, bundle: bool) -> Path:
    """Write the message as ``.eml`` into the outbox (atomic; same content → same file name)."""
    if bundle:
        stem = f"报送-{len(books)}个单位"
    else:
        stem = Path(books[0].name).stem
    stem = _UNSAFE_FILE_CHARS.sub("_", stem)[:80]
    tag = (
        short(books[0].fingerprint)[:8]
        if len(books) == 1
        else hashlib.sha256("".join(b.fingerprint for b in books).encode()).hexdigest()[:8]
    )
    target = outbox / f"{stem}-{tag}.eml"
    write_bytes_atomic(target, msg.as_bytes())
    return target
