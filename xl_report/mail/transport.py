"""SMTP delivery: verified TLS always, bounded retries with backoff for transient failures.

smtplib does not verify certificates unless given a context, so every connection uses
``ssl.create_default_context(cafile=ca_file)``. Failures are classified:
transient (connection refused/dropped, timeouts, 4xx) → retried; permanent (5xx) → reported for that
message; fatal (certificate, TLS, login, server lacks STARTTLS) → nothing else can succeed, stop.

Ambiguous: once the message and its terminating ``.`` have gone out, a dropped connection or a timeout
(no reply at all) means the server may have stored it. That is never retried: the caller records it
as 待确认 (see :mod:`xl_report.mail.sentlog`). A reply after the terminator (4xx, 5xx) is definite.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import time
from collections.abc import Callable

from xl_report.mail.settings import SmtpSettings, smtp_password


class DeliveryError(Exception):
    def __init__(
        self,
        reason: str,
        *,
        transient: bool = False,
        fatal: bool = False,
        ambiguous: bool = False,
        connecting: bool = False,
    ):
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.fatal = fatal
        self.ambiguous = ambiguous  # the server may have accepted the message before the failure
        self.connecting = connecting  # never got a usable session: the rest of the batch will fail too


def _reply_text(resp: object) -> str:
    if isinstance(resp, bytes):
        resp = resp.decode("utf-8", "replace")
    text = " ".join(str(resp).split())
    return text if len(text) <= 160 else text[:159] + "…"


def classify(exc: BaseException, *, connecting: bool) -> DeliveryError:
    """A Chinese, secret-free explanation of an SMTP/network failure and what kind it is."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return DeliveryError(
            f"服务器证书验证失败（{exc.verify_message}）。如单位邮件服务器使用内部证书，"
            f"请在配置 [smtp] ca_file 中指定该 CA 证书文件",
            fatal=True,
        )
    if isinstance(exc, ssl.SSLError):
        return DeliveryError(
            f"加密连接失败（{exc.reason or exc}）：请检查 [smtp] security 与端口是否匹配"
            f"（ssl 用 465，starttls 用 587）",
            fatal=True,
        )
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return DeliveryError(
            f"邮箱登录失败（{exc.smtp_code} {_reply_text(exc.smtp_error)}）：请检查用户名和密码（授权码）", fatal=True
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryError(f"邮件服务器不支持所需功能（{exc}）：请检查 [smtp] security 设置", fatal=True)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        detail = "；".join(f"{a}（{c} {_reply_text(m)}）" for a, (c, m) in exc.recipients.items())
        return DeliveryError(f"收件人被服务器拒收：{detail}", transient=all(400 <= c < 500 for c in codes))
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return DeliveryError("与邮件服务器的连接中断", transient=True, connecting=connecting)
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        transient = 400 <= code < 500
        kind = "暂时拒绝" if transient else "拒绝"
        return DeliveryError(
            f"邮件服务器{kind}（{code} {_reply_text(exc.smtp_error)}）",
            transient=transient,
            fatal=connecting and not transient,
            connecting=connecting,
        )
    if isinstance(exc, smtplib.SMTPException):
        return DeliveryError(f"邮件发送失败（{_reply_text(exc)}）", transient=True, connecting=connecting)
    if isinstance(exc, ConnectionRefusedError):
        return DeliveryError("邮件服务器拒绝连接（服务器未运行或端口不对）", transient=True, connecting=True)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return DeliveryError("连接邮件服务器超时", transient=True, connecting=connecting)
    if isinstance(exc, socket.gaierror):
        return DeliveryError("找不到邮件服务器（请检查 [smtp] host 与网络）", transient=True, connecting=True)
    if isinstance(exc, OSError):
        return DeliveryError(f"网络错误（{exc.strerror or exc}）", transient=True, connecting=connecting)
    raise exc


class _Tracked:
    """Knows whether the message body and its terminator were sent (smtplib's data() sends them in one
    piece ending in CRLF.CRLF): a failure after that, without a reply, may have delivered the message."""

    body_sent = False

    def send(self, s):
        super().send(s)  # type: ignore[misc]
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.body_sent = True


class _SMTP(_Tracked, smtplib.SMTP):
    pass


class _SMTP_SSL(_Tracked, smtplib.SMTP_SSL):
    pass


class SmtpSender:
    """One SMTP session reused across a batch, reopened after any failure."""

    def __init__(
        self,
        smtp: SmtpSettings,
        *,
        retries: int = 3,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        progress: Callable[[str], None] | None = None,
    ):
        self.smtp = smtp
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.progress = progress
        self._conn: _SMTP | _SMTP_SSL | None = None
        self._password = smtp_password(smtp)  # fail early (InputError) when it is missing

    def _connect(self) -> _SMTP | _SMTP_SSL:
        s = self.smtp
        ctx = ssl.create_default_context(cafile=str(s.ca_file) if s.ca_file else None)
        conn: _SMTP | _SMTP_SSL
        if s.security == "ssl":
            conn = _SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ctx)
        else:
            conn = _SMTP(s.host, s.port, timeout=s.timeout)
        try:
            if s.security == "starttls":
                conn.ehlo()
                conn.starttls(context=ctx)
                conn.ehlo()
            if s.username and self._password is not None:  # smtp_password refused a username without one
                conn.login(s.username, self._password)
        except BaseException:
            _quietly_close(conn)
            raise
        return conn

    def send(self, from_addr: str, recipients: list[str], data: bytes) -> dict[str, tuple[int, bytes]]:
        """Deliver once (with retries); returns the recipients the server refused (others accepted).
        Raises DeliveryError; ``ambiguous`` when the message went out and no reply came (never retried)."""
        for attempt in range(self.retries + 1):
            connecting = self._conn is None
            try:
                if self._conn is None:
                    self._conn = self._connect()
                    connecting = False
                self._conn.body_sent = False
                return self._conn.sendmail(from_addr, recipients, data)
            except (smtplib.SMTPException, OSError) as e:
                err = classify(e, connecting=connecting)
                err.ambiguous = bool(
                    self._conn is not None and self._conn.body_sent and not isinstance(e, smtplib.SMTPResponseException)
                )
                self.abort()  # the session is unusable: a polite QUIT could wait another timeout
                if err.ambiguous:
                    err.reason += "（邮件内容已全部发出，服务器未确认收到）"
                    raise err from None
                if not err.transient or attempt == self.retries:
                    raise err from None
                delay = min(self.backoff * 2**attempt, self.max_backoff)
                if self.progress:
                    self.progress(f"{err.reason}，{delay:g} 秒后重试（第 {attempt + 1} 次，共 {self.retries} 次）")
                self.sleep(delay)
        raise AssertionError("unreachable")

    def abort(self) -> None:
        """Drop the connection without QUIT (after a failure or Ctrl-C: the server may not answer)."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            _quietly_close(conn)

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                _quietly_close(conn)


def _quietly_close(conn: smtplib.SMTP) -> None:
    try:
        conn.close()
    except OSError:
        pass
