"""The sent-log: JSON lines proving what went where, and the memory that makes sending exactly-once.

Records (one JSON object per line, appended with a single write + fsync):
- ``pending``  written just before DATA: message-id, file, fingerprint, recipients;
- ``sent``     written right after the server accepted the message (DATA 250), one per attached file,
               with the recipients the server accepted;
- ``failed``   a definite refusal (4xx after the retries, 5xx): the message was not delivered;
- ``uncertain`` the message went out but no reply came (connection dropped, timeout): 待确认.

The window: a connection lost after the final ``.`` but before the 250 reply (``uncertain``), or a
crash, leaves a ``pending`` without an outcome. The message may or may not have been delivered, so it
is never sent again automatically: every run reports it as 待确认 until the clerk confirms it
(a ``sent`` record with ``confirmed``) or sends it again with ``--resend`` (same Message-ID, so the
recipient's mail system can recognise a duplicate). True exactly-once is impossible over SMTP; this
keeps the doubt visible instead of resolving it with a second copy. A torn last line (crash
mid-write) is ignored when reading.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from xl_report.core.errors import InputError


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


class SentLog:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.records: list[dict] = self._read()

    def _read(self) -> list[dict]:
        if not self.path.exists():
            return []
        records = []
        with self.path.open("r", encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a torn line from a crash mid-write
                if isinstance(rec, dict) and rec.get("event") in ("pending", "sent", "failed", "uncertain"):
                    records.append(rec)
        return records

    def append(self, record: dict) -> None:
        record = {"event": record.pop("event"), "time": now_iso(), **record}
        line = (json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size and not self._ends_with_newline():
                line = b"\n" + line  # never glue a record onto a torn one
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        self.records.append(record)

    def _ends_with_newline(self) -> bool:
        with self.path.open("rb") as f:
            f.seek(-1, os.SEEK_END)
            return f.read(1) == b"\n"

    # -- queries ------------------------------------------------------------------------------

    def sent_records(self, fingerprint: str) -> list[dict]:
        return [r for r in self.records if r["event"] == "sent" and r.get("fingerprint") == fingerprint]

    def delivered(self, fingerprint: str) -> set[str]:
        """Envelope addresses (lower case) that already accepted this fingerprint."""
        return {a.lower() for r in self.sent_records(fingerprint) for a in r.get("recipients", [])}

    def unresolved(self, fingerprint: str) -> dict | None:
        """The latest ``pending`` for this fingerprint with no outcome: delivery unknown."""
        done = {r.get("message_id") for r in self.records if r["event"] in ("sent", "failed")}
        for r in reversed(self.records):
            if r["event"] == "pending" and fingerprint in r.get("fingerprints", []) and r.get("message_id") not in done:
                return r
        return None

    def previous_version(self, file: str, unit: str | None, year: int | None, fingerprint: str) -> dict | None:
        """The latest ``sent`` record of the same report (same unit and year, or same file) in another version."""
        for r in reversed(self.records):
            if r["event"] != "sent" or r.get("fingerprint") == fingerprint:
                continue
            same_report = unit and year and r.get("unit") == unit and r.get("year") == year
            if same_report or r.get("file") == file:
                return r
        return None

    @contextmanager
    def locked(self):
        """One sender at a time per sent-log (a second concurrent run is refused, not blocked)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = self.path.with_name(self.path.name + ".lock")
        with open(lock, "a+b") as f:
            try:
                _lock(f)
            except OSError:
                raise InputError.at(
                    "另一个上报任务正在进行（发送记录被占用），请等它结束后再试", file=str(self.path)
                ) from None
            try:
                self.records = self._read()  # what another run wrote before we got the lock
                yield self
            finally:
                _unlock(f)


def _lock(f) -> None:
    if sys.platform == "win32":
        import msvcrt  # lazy: platform-specific module

        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl  # lazy: platform-specific module

        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock(f) -> None:
    if sys.platform == "win32":
        import msvcrt  # lazy: platform-specific module

        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl  # lazy: platform-specific module

        fcntl.flock(f.fileno(), fcntl.LOCK_UN)
