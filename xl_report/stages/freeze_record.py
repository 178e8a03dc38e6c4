"""What a frozen workbook records, without openpyxl: its custom properties (written and read back), the
stored view's encoding, the visible 定稿 line, the sheet-protection hash.

:mod:`xl_report.stages.freeze` freezes an openpyxl book with these; the batch's workers write the same record
straight into the package XML (:mod:`xl_report.batch.fastfill`) and never load openpyxl (~50 ms a process).
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from datetime import datetime

from xl_report.core.config import secret_from_env
from xl_report.core.fingerprint import short
from xl_report.core.version import __version__
from xl_report.xlsx.deflate import fast_zlib

PASSWORD_ENV = "XL_REPORT_FREEZE_PASSWORD"
FINAL_STATUS = "Final"  # what Excel's "Mark as Final" writes to contentStatus
MARK_AS_FINAL = "_MarkAsFinal"
# Custom document properties (the xl_report_ prefix keeps them apart from a clerk's own).
P_FINGERPRINT = "xl_report_fingerprint"
P_FROZEN_AT = "xl_report_frozen_at"
P_VERSION = "xl_report_version"
P_VALUES = "xl_report_values"  # chunked: _parts + _1.._n
P_REASON = "xl_report_force_reason"  # chunked
P_FORCED_ERRORS = "xl_report_forced_errors"
P_PERSONAL = "xl_report_personal_removed"
P_SIGNATURE = "xl_report_signature"
P_SIGNER = "xl_report_signer"  # chunked
P_KEY_ID = "xl_report_signer_key"
P_SCHEME = "xl_report_scheme"  # 2: reader-view fingerprint; absent: v1
P_VIEW = "xl_report_view"  # chunked: base64 of the zlib-compressed canonical view
SCHEME = 2
MAX_VIEW_BYTES = 256 * 1024 * 1024  # a stored view inflates to at most this (a hostile property is a bomb)
# The 定稿 line is written with this fingerprint first: the fingerprint covers the file without it.
PLACEHOLDER_FP = "0" * 64
PROP_PREFIX = "xl_report_"
# Office's custom-property dialog takes at most 255 characters (UTF-16 units) per value: chunk.
PROP_CHUNK = 255
# the 定稿 line's font (openpyxl's Font(**STAMP_FONT) in freeze; :func:`stamp_font_xml` for the XML writers)
STAMP_FONT = {"name": "仿宋_GB2312", "size": 10, "bold": True, "color": "C00000"}
PERSONAL_NOTE = "定稿文件不含个人信息：本列内容已删除（原始台账保留在定稿前的工作簿中）"


_BEYOND_BMP = re.compile("[\U00010000-\U0010ffff]")


def _chunks(text: str, limit: int = PROP_CHUNK) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` UTF-16 units (Office counts those)."""
    if not _BEYOND_BMP.search(text):  # the usual case: one unit per character, plain slices
        return [text[i : i + limit] for i in range(0, len(text), limit)]
    out: list[str] = []
    cur: list[str] = []
    size = 0  # characters beyond the BMP take two units
    for ch in text:
        n = 2 if ord(ch) > 0xFFFF else 1
        if size + n > limit:
            out.append("".join(cur))
            cur, size = [], 0
        cur.append(ch)
        size += n
    if cur:
        out.append("".join(cur))
    return out


def _text_props(base: str, text: str) -> dict[str, object]:
    parts = _chunks(text)
    out: dict[str, object] = {f"{base}_parts": len(parts)}
    out.update({f"{base}_{i}": part for i, part in enumerate(parts, start=1)})
    return out


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _str(value: object) -> str | None:
    """A stored text property; anything else (a hostile or hand-edited file) counts as absent."""
    return value if isinstance(value, str) else None


def _get_text(props: dict, base: str) -> str | None:
    n = _int(props.get(f"{base}_parts"))
    if n is None or n > 10_000:
        return None
    parts = [props.get(f"{base}_{i}") for i in range(1, n + 1)]
    texts = [p for p in parts if isinstance(p, str)]
    return "".join(texts) if len(texts) == len(parts) else None


def encode_view(canonical_text: str) -> str:
    # a fast low level (ISA-L): ~0.05 ms instead of ~1.3 ms at zlib's 9 for ~11% more bytes; a batch
    # freezes hundreds of units, and the reader (zlib) takes any level
    return base64.b64encode(fast_zlib.compress(canonical_text.encode("utf-8"), 2)).decode("ascii")


def decode_view(text: str | None) -> dict | None:
    """The stored canonical view, or None when missing, damaged or not what freezing wrote."""
    if not text:
        return None
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(base64.b64decode(text, validate=True), MAX_VIEW_BYTES)
        if inflater.unconsumed_tail:
            return None
        view = json.loads(raw.decode("utf-8"))
    except (ValueError, zlib.error, UnicodeDecodeError, RecursionError):
        return None
    return view if _view_shape_ok(view) else None


def _view_shape_ok(view: object) -> bool:
    """The stored record has the shape :mod:`xl_report.xlsx.reader_view` writes (a hand-made one may not)."""
    if not (
        isinstance(view, dict)
        and isinstance(view.get("sheets"), list)
        and isinstance(view.get("names"), list)
        and isinstance(view.get("looks", {}), dict)
    ):
        return False
    names_ok = all(isinstance(n, list) and len(n) >= 3 and all(isinstance(x, str) for x in n) for n in view["names"])
    sheets_ok = all(
        isinstance(sh, dict) and isinstance(sh.get("name"), str) and isinstance(sh.get("cells", {}), dict)
        for sh in view["sheets"]
    )
    looks_ok = all(isinstance(look, dict) for look in view.get("looks", {}).values())
    return names_ok and sheets_ok and looks_ok


def freeze_info_from_props(props: dict) -> dict | None:
    """What freezing stored in these custom properties, or None when the workbook was never frozen.

    ``scheme`` is 2 (reader view, ``view`` the canonical dict) or 1 (``values`` the v1 canonical
    dict); either is None when missing or not valid.
    """
    fp = props.get(P_FINGERPRINT)
    if not isinstance(fp, str) or not fp:
        return None
    values = None
    text = _get_text(props, P_VALUES) if P_SCHEME not in props else None
    if text is not None:
        try:
            values = json.loads(text)
        except ValueError:
            values = None
        if not (
            isinstance(values, dict)
            and isinstance(values.get("cells"), dict)
            and isinstance(values.get("narrative"), dict)
        ):
            values = None  # not what freezing wrote: treat as missing
    scheme = _int(props.get(P_SCHEME)) or 1
    return {
        "fingerprint": fp,
        "scheme": scheme,
        "view": decode_view(_get_text(props, P_VIEW)) if scheme >= 2 else None,
        "values": values,
        "frozen_at": _str(props.get(P_FROZEN_AT)),
        "version": _str(props.get(P_VERSION)),
        "reason": _get_text(props, P_REASON),
        "forced_errors": _int(props.get(P_FORCED_ERRORS)),
        "personal_removed": _int(props.get(P_PERSONAL)),
        "signature": _str(props.get(P_SIGNATURE)),
        "signer": _get_text(props, P_SIGNER),
        "key_id": _str(props.get(P_KEY_ID)),
    }


def freeze_password(password: str | None = None, config: dict | None = None) -> str | None:
    """Option, else the env var named by config [freeze] password_env, else XL_REPORT_FREEZE_PASSWORD."""
    if password:
        return password
    env_name = ((config or {}).get("freeze") or {}).get("password_env")
    return secret_from_env(env_name) or secret_from_env(PASSWORD_ENV)


def stamp_line(fp: str, now: datetime) -> str:
    """The visible 定稿 line below each table (also for writers that build the package themselves)."""
    return f"定稿：{now:%Y-%m-%d %H:%M}　指纹 {short(fp)}（可用 xl-report verify 核验，改动任何数字都会被发现）"


def stamp_row_height(line: str) -> int:
    """Points of the row holding a 定稿 line (or the note of a forced freeze): a long one wraps onto two lines."""
    return 18 if len(line) < 40 else 32


def freeze_properties(
    view_json: str,
    fp: str,
    frozen_at: str,
    *,
    reason: str | None = None,
    forced_errors: int = 0,
    personal_removed: int = 0,
    signature: str | None = None,
    key_id: str | None = None,
    signer: str | None = None,
) -> dict[str, object]:
    """The custom document properties of a frozen workbook, in order (bool / int / str values).

    ``view_json``: :func:`canonical_json` of the reader view whose fingerprint is ``fp``. Also for
    writers that build the package themselves (the fast stamp path): the reader accepts integers
    written as text.
    """
    props: dict[str, object] = {
        MARK_AS_FINAL: True,
        P_FINGERPRINT: fp,
        P_SCHEME: SCHEME,
        P_FROZEN_AT: frozen_at,
        P_VERSION: f"xl-report {__version__}",
        P_PERSONAL: personal_removed,
    }
    props.update(_text_props(P_VIEW, encode_view(view_json)))
    if reason:
        props.update(_text_props(P_REASON, reason))
        props[P_FORCED_ERRORS] = forced_errors
    if signature:
        props[P_SIGNATURE] = signature
        props[P_KEY_ID] = key_id or ""
        props.update(_text_props(P_SIGNER, signer or ""))
    return props


def stamp_font_xml() -> bytes:
    """:data:`STAMP_FONT` as a ``<font>`` of styles.xml, as openpyxl writes it (held equal by
    tests/test_openpyxl_parity.py)."""
    f = STAMP_FONT
    bold = '<b val="1"/>' if f["bold"] else ""
    return f'<font><name val="{f["name"]}"/>{bold}<color rgb="00{f["color"]}"/><sz val="{f["size"]}"/></font>'.encode()


def sheet_password_hash(password: str) -> str:
    """Excel's legacy 16-bit sheet-protection hash (hex), as openpyxl's ``hash_password`` computes it (a
    deterrent, not a lock; tests/test_openpyxl_parity.py holds the two equal)."""
    value = 0
    for i, ch in enumerate(password, start=1):
        shifted = ord(ch) << i
        value ^= (shifted & 0x7FFF) | (shifted >> 15)
    value ^= len(password) ^ 0xCE4B
    return format(value, "X")
