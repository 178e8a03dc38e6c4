"""The [smtp] and [upward] tables of xl-report.toml, validated up front (a bad config fails before any send).

The password is never stored here: :func:`smtp_password` reads it from the environment (or the system
keyring when the optional ``keyring`` package is installed) at connect time.
"""

from __future__ import annotations

import ssl
import string
from dataclasses import dataclass, field
from pathlib import Path

from xl_report.core.config import secret_from_env
from xl_report.core.errors import InputError
from xl_report.mail import headers

SECURITY_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
DEFAULT_PASSWORD_ENV = "XL_REPORT_SMTP_PASSWORD"
KEYRING_SERVICE = "xl-report"
SENT_LOG_NAME = "xl-report-sent.jsonl"

# Placeholders the subject/body templates may use (key -> what it means, for the error message).
TEMPLATE_KEYS = {
    "unit": "单位名称",
    "year": "报告年度",
    "summary": "校验结果摘要",
    "fingerprint": "定稿指纹",
    "file": "附件文件名",
    "count": "附件个数",
    "details": "附件清单（每个附件一行）",
    "date": "发送日期",
}
DEFAULT_SUBJECT = "【报送】{unit}{year}年政府信息公开工作年度报告"
DEFAULT_BODY = (
    "您好：\n\n附件为{unit}{year}年政府信息公开工作年度报告，请审阅。\n\n{details}\n\n"
    "（本邮件由 xl-report 于{date}发送。）\n"
)
DEFAULT_BUNDLE_SUBJECT = "【报送】{year}年政府信息公开工作年度报告（{count}个单位）"
DEFAULT_BUNDLE_BODY = (
    "您好：\n\n附件为{count}个单位的{year}年政府信息公开工作年度报告，请审阅。\n\n{details}\n\n"
    "（本邮件由 xl-report 于{date}发送。）\n"
)

_SMTP_KEYS = {"host", "port", "security", "username", "password_env", "ca_file", "from", "timeout"}
_UPWARD_KEYS = {"to", "cc", "subject", "body", "bundle_subject", "bundle_body", "outbox", "sent_log"}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # "ssl" | "starttls" | "none"
    username: str | None = None
    password_env: str = DEFAULT_PASSWORD_ENV
    ca_file: Path | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class MailSettings:
    smtp: SmtpSettings | None  # None: the embedded default (write .eml files to the outbox)
    sender: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str = DEFAULT_SUBJECT
    body: str = DEFAULT_BODY
    bundle_subject: str = DEFAULT_BUNDLE_SUBJECT
    bundle_body: str = DEFAULT_BUNDLE_BODY
    outbox: Path = field(default_factory=lambda: Path("outbox"))
    sent_log: Path = field(default_factory=lambda: Path(SENT_LOG_NAME))

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc


def check_template(template: object, what: str, *, single_line: bool = False) -> str:
    """Only the known placeholders, plain names (no attribute/index access into our objects)."""
    if not isinstance(template, str):
        raise InputError.at(f"配置 {what} 应为文字", value=template)
    if single_line and headers.has_control(template):
        raise InputError.at(f"配置 {what}（邮件标题）中不能有换行或控制字符（防止邮件头注入）", value=template)
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as e:
        raise InputError.at(
            f"配置 {what} 的花括号不成对（{e}）；如要写花括号本身，请写成 {{{{ 或 }}}}", value=template
        ) from None
    known = "、".join(f"{{{k}}}（{v}）" for k, v in TEMPLATE_KEYS.items())
    for name in fields:
        if name not in TEMPLATE_KEYS:
            raise InputError.at(f"配置 {what} 使用了未知的占位符 {{{name}}}；可用的占位符：{known}", value=template)
    return template


def render(template: str, values: dict[str, object]) -> str:
    return template.format_map(_Values(values))


class _Values(dict):
    def __missing__(self, key):  # check_template makes this unreachable for configured templates
        raise InputError.at(f"未知的占位符 {{{key}}}")


def _table(config: dict, name: str, allowed: set[str]) -> dict:
    table = config.get(name) or {}
    if not isinstance(table, dict):
        raise InputError.at(f"配置文件中的 [{name}] 应为一个表", file=config.get("_path"))
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise InputError.at(
            f"配置文件的 [{name}] 中有不认识的项：{'、'.join(unknown)}；可用的项：{'、'.join(sorted(allowed))}",
            file=config.get("_path"),
        )
    return table


def base_dir(config: dict) -> Path:
    """Relative paths in the config are relative to the config file (else to the current folder)."""
    return Path(config["_path"]).resolve().parent if config.get("_path") else Path.cwd()


def _path(value: object, base: Path, what: str) -> Path:
    if not isinstance(value, str) or not value.strip() or headers.has_control(value):
        raise InputError.at(f"配置 {what} 应为文件或文件夹路径", value=value)
    p = Path(value).expanduser()
    return p if p.is_absolute() else base / p


def _smtp(table: dict, base: Path, cfg_file: str | None) -> SmtpSettings:
    host = table.get("host")
    if not isinstance(host, str) or not host.strip() or headers.has_control(host) or " " in host.strip():
        raise InputError.at("配置 [smtp] host（邮件服务器地址）缺失或无效", file=cfg_file, value=host)
    host = host.strip()
    security = table.get("security", "ssl")
    if security not in SECURITY_PORTS:
        raise InputError.at(
            "配置 [smtp] security 只能是 ssl（465端口）、starttls（587端口）或 none（仅限本机）",
            file=cfg_file,
            value=security,
        )
    if security == "none" and host.lower() not in LOCAL_HOSTS:
        raise InputError.at(
            '配置 [smtp] security = "none"（不加密）只允许用于本机（127.0.0.1 / localhost）；'
            "连接其他服务器请用 ssl 或 starttls",
            file=cfg_file,
            value=host,
        )
    port = table.get("port", SECURITY_PORTS[security])
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise InputError.at("配置 [smtp] port 应为 1–65535 的整数", file=cfg_file, value=port)
    username = table.get("username")
    if username is not None and (not isinstance(username, str) or headers.has_control(username)):
        raise InputError.at("配置 [smtp] username 无效", file=cfg_file)
    password_env = table.get("password_env", DEFAULT_PASSWORD_ENV)
    if not isinstance(password_env, str) or not password_env.strip():
        raise InputError.at("配置 [smtp] password_env 应为环境变量的名字", file=cfg_file)
    ca_file = None
    if table.get("ca_file") is not None:
        ca_file = _path(table["ca_file"], base, "[smtp] ca_file")
        if not ca_file.is_file():
            raise InputError.at("找不到 [smtp] ca_file 指定的证书文件", file=str(ca_file))
        try:  # load it now: a bad file is a config mistake, not a TLS failure at send time
            ssl.create_default_context(cafile=str(ca_file))
        except (ssl.SSLError, ValueError, OSError, UnicodeDecodeError):
            raise InputError.at(
                "[smtp] ca_file 指定的文件不是有效的 PEM 证书（应为 -----BEGIN CERTIFICATE----- 开头的文本文件）",
                file=str(ca_file),
            ) from None
    timeout = table.get("timeout", 30)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise InputError.at("配置 [smtp] timeout 应为正数（秒）", file=cfg_file, value=timeout)
    return SmtpSettings(host, port, security, username or None, password_env.strip(), ca_file, float(timeout))


def mail_settings(
    config: dict, *, to: list[str] | None = None, outbox: Path | str | None = None, sent_log: Path | str | None = None
) -> MailSettings:
    """Validated settings from a ``load_config`` dict; ``to`` (from --to) replaces [upward] to and cc."""
    cfg_file = config.get("_path")
    base = base_dir(config)
    smtp_t = _table(config, "smtp", _SMTP_KEYS)
    up = _table(config, "upward", _UPWARD_KEYS)
    smtp = _smtp(smtp_t, base, cfg_file) if smtp_t else None
    sender = headers.address(smtp_t["from"], "配置 [smtp] from（发件人）") if smtp_t.get("from") else None
    if sender is None and smtp and smtp.username and "@" in smtp.username:
        sender = headers.address(smtp.username, "配置 [smtp] username")
    if to:
        recipients, cc = headers.address_list(list(to), "--to 收件人"), []
    else:
        recipients = headers.address_list(up.get("to"), "配置 [upward] to（收件人）")
        cc = headers.address_list(up.get("cc"), "配置 [upward] cc（抄送）")
        in_to = {headers.addr_spec(a).lower() for a in recipients}
        cc = [a for a in cc if headers.addr_spec(a).lower() not in in_to]  # one copy per mailbox
    return MailSettings(
        smtp=smtp,
        sender=sender,
        to=tuple(recipients),
        cc=tuple(cc),
        subject=check_template(up.get("subject", DEFAULT_SUBJECT), "[upward] subject", single_line=True),
        body=check_template(up.get("body", DEFAULT_BODY), "[upward] body"),
        bundle_subject=check_template(
            up.get("bundle_subject", DEFAULT_BUNDLE_SUBJECT), "[upward] bundle_subject", single_line=True
        ),
        bundle_body=check_template(up.get("bundle_body", DEFAULT_BUNDLE_BODY), "[upward] bundle_body"),
        outbox=Path(outbox) if outbox else _path(up.get("outbox", "outbox"), base, "[upward] outbox"),
        sent_log=Path(sent_log) if sent_log else _path(up.get("sent_log", SENT_LOG_NAME), base, "[upward] sent_log"),
    )


def smtp_password(smtp: SmtpSettings) -> str | None:
    """The password from the environment, else the system keyring (optional); never logged."""
    if not smtp.username:
        return None
    password = secret_from_env(smtp.password_env)
    if password is None:
        password = _keyring_password(smtp)
    if password is None:
        raise InputError.at(
            f"没有找到 SMTP 密码：请在环境变量 {smtp.password_env} 中设置邮箱密码（或授权码）"
            f"后重试；配置文件里不能直接写密码"
        )
    if not password.isascii():
        raise InputError.at("SMTP 密码（授权码）只能包含英文字母、数字和符号")
    return password


def _keyring_password(smtp: SmtpSettings) -> str | None:
    try:
        import keyring  # lazy: optional, the system keyring (Windows Credential Manager, macOS Keychain, ...)
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, f"{smtp.username}@{smtp.host}") or None
    except Exception:  # no usable keyring backend: same as no entry
        return None
