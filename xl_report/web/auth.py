"""Who is asking: a signed session cookie (the page) or ``Authorization: Bearer`` (scripts).

The cookie carries role, unit, a per-login nonce, an expiry and the *generation* of the credential
it was made from (a hash of the unit's code record, of the county token), HMAC-signed with a key
kept in DATA. A rotated code or a new token thus ends the sessions made with the old one; the
server keeps no session table. The CSRF token is an HMAC of the session nonce: the page gets it on
login (and from ``GET /api/session``) and sends it as ``X-CSRF-Token`` with every POST.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from xl_report.web import codes

COOKIE = "xl_report_session"
CSRF_HEADER = "x-csrf-token"
SESSION_SECONDS = 12 * 3600
KEY_FILE = "session.key"
COUNTY = "county"
UNIT = "unit"


@dataclass(frozen=True)
class Who:
    role: str  # "unit" | "county"
    unit: str | None  # the unit's name (None for the county)
    nonce: str  # the session's (cookie) or "" (Bearer: no CSRF needed)
    bearer: bool


def load_key(data: Path) -> bytes:
    """The signing key of DATA (created on first start, readable by the server's user only)."""
    path = Path(data) / codes.STATE_DIR / KEY_FILE
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another server process made it first
            pass
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
    key = path.read_bytes()
    if len(key) < 32:
        raise ValueError(f"{path} is damaged: delete it (everyone logs in again)")
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sessions:
    def __init__(self, key: bytes, token: str, data: Path):
        self.key, self.token, self.data = key, token, Path(data)
        self._records: dict[str, codes.CodeRecord] = {}
        self._records_stamp: tuple[int, int] | None = None
        self._bearer_cache: OrderedDict[bytes, str] = OrderedDict()  # sha256(code) -> unit: one scrypt per code
        self._lock = threading.Lock()

    # ---- credentials -------------------------------------------------------------------
    def records(self) -> dict[str, codes.CodeRecord]:
        """The code store, reloaded when `xl-report codes` changed it (a rotation takes effect at once)."""
        path = codes.store_path(self.data)
        try:
            st = path.stat()
            stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._records_stamp:
                self._records = codes.load(self.data) if stamp else {}
                self._records_stamp = stamp
                self._bearer_cache.clear()
            return self._records

    def generation(self, role: str, unit: str | None) -> str | None:
        if role == COUNTY:
            return hashlib.sha256(b"county|" + self.token.encode()).hexdigest()[:16]
        rec = self.records().get(unit or "")
        return None if rec is None else hashlib.sha256(f"{rec.id}|{rec.salt}".encode()).hexdigest()[:16]

    def check_code(self, code: str) -> Who | None:
        """A unit's code or the county token -> who; None when it is neither."""
        if hmac.compare_digest(code.strip().encode(), self.token.encode()):
            return Who(COUNTY, None, "", True)
        records = self.records()
        digest = hashlib.sha256(codes.normalise(code).encode()).digest()
        with self._lock:
            unit = self._bearer_cache.get(digest)
        if unit is None:
            unit = codes.verify(records, code)
            if unit is None:
                return None
            with self._lock:
                self._bearer_cache[digest] = unit
                while len(self._bearer_cache) > 1000:
                    self._bearer_cache.popitem(last=False)
        return Who(UNIT, unit, "", True)

    # ---- cookies ---------------------------------------------------------------------
    def cookie_for(self, who: Who) -> tuple[str, Who]:
        nonce = secrets.token_hex(16)
        body = {
            "r": who.role,
            "u": who.unit,
            "n": nonce,
            "e": int(time.time()) + SESSION_SECONDS,
            "g": self.generation(who.role, who.unit),
        }
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        return f"{_b64(raw)}.{_b64(self._sign(raw))}", Who(who.role, who.unit, nonce, False)

    def from_cookie(self, value: str) -> Who | None:
        try:
            raw_b64, sig_b64 = value.split(".", 1)
            raw = _unb64(raw_b64)
            if not hmac.compare_digest(_unb64(sig_b64), self._sign(raw)):
                return None
            body = json.loads(raw)
        except (ValueError, TypeError):
            return None
        if not isinstance(body, dict) or body.get("e", 0) < time.time() or body.get("r") not in (UNIT, COUNTY):
            return None
        if body.get("g") is None or not hmac.compare_digest(
            str(body["g"]), str(self.generation(body["r"], body.get("u")))
        ):
            return None  # the code was rotated or the unit left the list
        return Who(body["r"], body.get("u"), str(body.get("n", "")), False)

    def csrf_for(self, who: Who) -> str:
        return _b64(self._sign(b"csrf|" + who.nonce.encode()))

    def csrf_ok(self, who: Who, given: str | None) -> bool:
        return who.bearer or (bool(given) and hmac.compare_digest(str(given), self.csrf_for(who)))

    def _sign(self, raw: bytes) -> bytes:
        return hmac.new(self.key, raw, hashlib.sha256).digest()
