"""Header safety: no CR/LF or control character ever reaches a header; addresses are validated.

Everything that ends up in a header (unit names read from a workbook, rendered subjects, file names,
configured addresses) passes through here, so header injection is impossible by construction.
"""

from __future__ import annotations

import re
import unicodedata
from email.policy import default as _default_policy

from xl_report.core.errors import InputError

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# A mailbox local part / domain we accept: ASCII, no spaces (SMTPUTF8 is not assumed of any server).
_ADDR_SPEC = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


def has_control(text: str) -> bool:
    return bool(_CONTROL.search(text))


def header_text(text: str, what: str, *, file: str | None = None) -> str:
    """Text for a header (subject, file name, unit name): refused when it holds line breaks/control chars."""
    text = unicodedata.normalize("NFC", str(text)).strip()
    if has_control(text):
        raise InputError.at(
            f"{what}中含有换行或控制字符，不能用于邮件标题或附件名（防止邮件头注入）", file=file, value=text
        )
    return text


def body_text(text: str) -> str:
    """Body text: keep line breaks and tabs, drop every other control character."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or not _CONTROL.match(ch))


def address(value: object, what: str) -> str:
    """One validated mailbox as ``Display Name <local@domain>`` or ``local@domain`` (returned cleaned)."""
    if not isinstance(value, str) or not value.strip():
        raise InputError.at(f"{what}不是有效的邮箱地址", value=value)
    text = value.strip()
    if has_control(text):
        raise InputError.at(f"{what}中含有换行或控制字符（防止邮件头注入）", value=text)
    try:
        header = _default_policy.header_factory("To", text)
        mailboxes = header.addresses
    except Exception:  # the parser raises assorted errors on garbage
        mailboxes = ()
    if len(mailboxes) != 1 or header.defects or not _ADDR_SPEC.match(mailboxes[0].addr_spec or ""):
        raise InputError.at(
            f"{what}不是有效的邮箱地址（应为 name@example.gov.cn 或 显示名 <name@example.gov.cn>）", value=text
        )
    return str(mailboxes[0])


def addr_spec(mailbox: str) -> str:
    """The bare ``local@domain`` of a validated mailbox (for the SMTP envelope)."""
    return _default_policy.header_factory("To", mailbox).addresses[0].addr_spec


def address_list(values: object, what: str) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, (list, tuple)):
        raise InputError.at(f'{what}应为邮箱地址列表，如 ["a@example.gov.cn"]', value=values)
    out: list[str] = []
    for v in values:
        a = address(v, what)
        if addr_spec(a).lower() not in {addr_spec(x).lower() for x in out}:
            out.append(a)
    return out
