"""Real SMTP servers on 127.0.0.1 for the mail tests (aiosmtpd), with a throw-away self-signed cert.

Modes: ``plain`` (no auth, like an intranet relay), ``starttls`` (STARTTLS required, AUTH required
after TLS: port-587 style) and ``ssl`` (implicit TLS + AUTH: port-465 style). A scripted sink can
refuse (4xx/5xx) or drop the connection at the n-th DATA, store a message and then drop the
connection or answer only after the client's timeout, drop the connection before DATA, and refuse
chosen recipients.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER = "zhengwu@example.gov.cn"
PASSWORD = "s3cret-Auth-Code"


def make_cert(directory: Path) -> tuple[Path, Path]:
    """Self-signed cert for localhost / 127.0.0.1 (cryptography; no openssl CLI needed)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def free_port() -> int:
    # Controller(port=0) does not work: it connects to its own port to check readiness.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Delivery:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class Sink:
    """Stores accepted messages; ``script`` gives the reply for the next DATA commands in order:
    "ok", "drop" (close the connection without replying), "store-drop" (store the message, then
    close without replying), "store-slow:<seconds>" (store, answer 250 only after that long), or an
    SMTP reply such as "451 busy". ``rcpt_script``: "drop" closes the connection at the next RCPT
    (before DATA), "ok" passes."""

    deliveries: list[Delivery] = field(default_factory=list)
    script: list[str] = field(default_factory=list)
    rcpt_script: list[str] = field(default_factory=list)
    refuse_rcpt: dict[str, str] = field(default_factory=dict)  # address -> reply
    data_commands: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_script and self.rcpt_script.pop(0) == "drop":
            server.transport.close()
            return "421 closing"  # never reaches the client
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_commands += 1
        action = self.script.pop(0) if self.script else "ok"
        if action == "drop":
            server.transport.close()
            return "421 closing"  # never reaches the client: the transport is closed
        if action not in ("ok", "store-drop") and not action.startswith("store-slow:"):
            return action
        self.deliveries.append(
            Delivery(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content)
        )
        if action == "store-drop":
            server.transport.close()
            return "421 closing"
        if action.startswith("store-slow:"):
            await asyncio.sleep(float(action.split(":", 1)[1]))
        return "250 OK"

    @property
    def messages(self) -> list[bytes]:
        return [d.content for d in self.deliveries]


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == USER
        and auth_data.password.decode() == PASSWORD
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd replies 535 itself


class SmtpServer:
    """One aiosmtpd server; ``stop()`` / ``start()`` again on the same port simulate an outage."""

    def __init__(self, mode: str, cert: tuple[Path, Path] | None = None, port: int | None = None):
        self.mode = mode
        self.sink = Sink()
        self.port = port or free_port()
        self.cert = cert
        self._ctrl: Controller | None = None

    def _controller(self) -> Controller:
        kw: dict = {"hostname": "127.0.0.1", "port": self.port}
        if self.mode != "plain":
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(*map(str, self.cert))
            kw.update(authenticator=_authenticator, auth_required=True)
            if self.mode == "starttls":
                kw.update(tls_context=ctx, require_starttls=True, auth_require_tls=True)
            else:  # implicit TLS: aiosmtpd only counts STARTTLS as TLS, hence auth_require_tls=False
                kw.update(ssl_context=ctx, server_hostname="localhost", auth_require_tls=False)
        return Controller(self.sink, **kw)

    def start(self) -> SmtpServer:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._ctrl = self._controller()
            self._ctrl.start()
        return self

    def stop(self) -> None:
        if self._ctrl is not None:
            self._ctrl.stop()
            self._ctrl = None
