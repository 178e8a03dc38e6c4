"""Access codes: one random code per unit of the list, stored only as a salted scrypt hash.

A code reads ``ABCD-EFGH-JKLM-NPQR``: the first group names the code's record (not secret, so a
login costs one scrypt, not one per unit), the other twelve letters are the secret (60 bits from an
alphabet without look-alikes such as 0/O and 1/I). The store, ``DATA/.xl-report/登录码.json``,
holds per unit: the record id, the salt and the hash. Codes themselves are printed once (or written
to the CSV the county hands out) and never kept.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from xl_report.batch.model import match_key
from xl_report.core.errors import InputError
from xl_report.xlsx.fileio import write_bytes_atomic

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone
ID_LEN, SECRET_LEN = 4, 12
STATE_DIR = ".xl-report"
STORE_FILE = "登录码.json"
CSV_COLUMNS = ("单位", "登录码")
# scrypt cost: ~16 MB and some 50 ms a check; the store is useless to a thief at this cost
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}


@dataclass(frozen=True)
class CodeRecord:
    unit: str
    id: str
    salt: str  # hex
    hash: str  # hex


def store_path(data: Path) -> Path:
    return Path(data) / STATE_DIR / STORE_FILE


def _hash(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode("ascii"), salt=salt, **SCRYPT).hex()


def normalise(code: str) -> str:
    """What the clerk typed, as stored: upper case, no dashes or spaces."""
    return "".join(ch for ch in code.upper() if ch not in "- \t")


def _new_code(taken: set[str]) -> tuple[str, str, str]:
    """(code as handed out, record id, secret)."""
    while True:
        rid = "".join(secrets.choice(ALPHABET) for _ in range(ID_LEN))
        if rid not in taken:
            break
    secret = "".join(secrets.choice(ALPHABET) for _ in range(SECRET_LEN))
    text = rid + secret
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4)), rid, secret


def load(data: Path) -> dict[str, CodeRecord]:
    """unit -> record; empty when no code was issued yet."""
    path = store_path(data)
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text("utf-8"))
        return {r["unit"]: CodeRecord(r["unit"], r["id"], r["salt"], r["hash"]) for r in raw["codes"]}
    except (ValueError, KeyError, TypeError):
        raise InputError.at("登录码文件已损坏，请用 xl-report codes 重新生成全部登录码", file=str(path)) from None


def _save(data: Path, records: dict[str, CodeRecord]) -> None:
    body = {"note": "各单位登录码的加盐哈希（scrypt），不含登录码本身", "codes": [r.__dict__ for r in records.values()]}
    write_bytes_atomic(store_path(data), json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8"))


def issue(data: Path, units: list[str], rotate: list[str] | None = None) -> list[tuple[str, str]]:
    """New codes: for every unit of ``units`` without one (first run: all), or, with ``rotate``, for
    those units only (their old codes stop working). Returns [(unit, code)] of the new codes."""
    records = load(data)
    by_key = {match_key(u): u for u in units}
    if rotate:
        unknown = [r for r in rotate if match_key(r) not in by_key]
        if unknown:
            raise InputError.at(f"单位名单中没有“{'、'.join(unknown)}”，无法更换登录码")
        todo = [by_key[match_key(r)] for r in rotate]
    else:
        todo = [u for u in units if u not in records]
    taken = {r.id for r in records.values()}
    out = []
    for unit in todo:
        code, rid, secret = _new_code(taken)
        taken.add(rid)
        salt = secrets.token_bytes(16)
        records[unit] = CodeRecord(unit, rid, salt.hex(), _hash(secret, salt))
        out.append((unit, code))
    # a unit taken off the list loses its code
    records = {u: r for u, r in records.items() if match_key(u) in by_key}
    _save(data, records)
    return out


def verify(records: dict[str, CodeRecord], code: str) -> str | None:
    """The unit whose code this is, else None (one scrypt at most)."""
    text = normalise(code)
    if len(text) != ID_LEN + SECRET_LEN or any(ch not in ALPHABET for ch in text):
        return None
    rid, secret = text[:ID_LEN], text[ID_LEN:]
    for r in records.values():
        if hmac.compare_digest(r.id, rid):
            return r.unit if hmac.compare_digest(_hash(secret, bytes.fromhex(r.salt)), r.hash) else None
    return None


def csv_text(codes: list[tuple[str, str]]) -> str:
    """单位,登录码 with a BOM, so Excel and WPS open the Chinese names right."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for unit, code in codes:
        w.writerow([_csv_safe(unit), code])
    return "\ufeff" + buf.getvalue()


def _csv_safe(text: str) -> str:
    """A unit name that starts like a formula is not run by the spreadsheet opening the CSV."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
