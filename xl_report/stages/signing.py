"""Ed25519 unit keys: ``<unit>.key`` (private, PEM, mode 0600, never embedded) and ``<unit>.pub``.

The signature covers the fingerprint (with a domain prefix so it cannot be replayed as a signature
over anything else); the fingerprint covers the unit, so a file signed by another unit's key fails.
A v2 signature (reader-view fingerprint) also covers the time of freezing shown on the 定稿 line.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from xl_report.core.errors import InputError
from xl_report.xlsx.fileio import unit_file_name

SIGNED_PREFIX = b"xl_report freeze v1\n"
SIGNED_PREFIX_V2 = b"xl_report freeze v2\n"
PRIVATE_SUFFIX = ".key"
PUBLIC_SUFFIX = ".pub"

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# cryptography (~12 ms to import) is loaded where a key is made, read or checked: every batch freezes,
# few sign


def safe_unit_name(unit: str | None) -> str:
    """The key files' base name: :func:`xl_report.xlsx.fileio.unit_file_name`, refusing a name with nothing left."""
    name = unit_file_name(unit, fallback="")
    if not name:
        raise InputError.at(f"单位名称“{unit or ''}”不能用作密钥文件名，请填写单位全称")
    return name


def _message(fp: str, frozen_at: str | None = None) -> bytes:
    if frozen_at is None:
        return SIGNED_PREFIX + fp.encode("ascii")
    return SIGNED_PREFIX_V2 + fp.encode("ascii") + b"\n" + frozen_at.encode("utf-8")


def key_id(public: Ed25519PublicKey) -> str:
    """Short id of a public key, stored beside the signature to tell keys apart in messages."""
    from cryptography.hazmat.primitives import serialization  # lazy: see above

    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def keygen(unit: str, directory: Path | str = ".") -> tuple[Path, Path]:
    """Write ``<unit>.key`` (0600) and ``<unit>.pub`` in ``directory``; never overwrite a key."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    name = safe_unit_name(unit)
    private_path, public_path = directory / (name + PRIVATE_SUFFIX), directory / (name + PUBLIC_SUFFIX)
    for p in (private_path, public_path):
        if p.exists():
            raise InputError.at("密钥文件已存在，为防止误覆盖，请先移走旧文件", file=str(p))
    from cryptography.hazmat.primitives import serialization  # lazy: see above
    from cryptography.hazmat.primitives.asymmetric import ed25519  # lazy: see above

    key = ed25519.Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # O_EXCL + 0600 at creation: the private key is never readable by others, not even briefly.
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(private_pem)
        os.chmod(private_path, 0o600)  # in case a umask or filesystem widened it
        public_path.write_bytes(public_pem)
    except BaseException:
        private_path.unlink(missing_ok=True)
        raise
    return private_path, public_path


def load_private_key(path: Path | str) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives import serialization  # lazy: see above
    from cryptography.hazmat.primitives.asymmetric import ed25519  # lazy: see above

    path = Path(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise InputError.at("找不到签名私钥文件", file=str(path)) from None
    except (ValueError, TypeError, OSError) as e:
        raise InputError.at(
            f"无法读取签名私钥（{type(e).__name__}），请使用 xl-report keygen 生成的 .key 文件", file=str(path)
        ) from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise InputError.at("签名私钥不是 Ed25519 密钥，请使用 xl-report keygen 生成的 .key 文件", file=str(path))
    return key


def load_public_key(path: Path | str) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives import serialization  # lazy: see above
    from cryptography.hazmat.primitives.asymmetric import ed25519  # lazy: see above

    path = Path(path)
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except FileNotFoundError:
        raise InputError.at("找不到单位公钥文件", file=str(path)) from None
    except (ValueError, TypeError, OSError) as e:
        raise InputError.at(f"无法读取公钥（{type(e).__name__}）", file=str(path)) from None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise InputError.at("公钥不是 Ed25519 密钥", file=str(path))
    return key


def sign(key: Ed25519PrivateKey, fp: str, frozen_at: str | None = None) -> str:
    """Base64 signature over the fingerprint (v2: and the time of freezing)."""
    return base64.b64encode(key.sign(_message(fp, frozen_at))).decode("ascii")


def verify_signature(public: Ed25519PublicKey, fp: str, signature: str, frozen_at: str | None = None) -> bool:
    from cryptography.exceptions import InvalidSignature  # lazy: see above

    try:
        public.verify(base64.b64decode(signature, validate=True), _message(fp, frozen_at))
        return True
    except (InvalidSignature, ValueError, UnicodeEncodeError):
        return False


def key_unit(path: Path | str) -> str:
    """The unit a key file belongs to: keygen names it ``<unit>.key`` / ``<unit>.pub``."""
    return Path(path).name.removesuffix(PRIVATE_SUFFIX).removesuffix(PUBLIC_SUFFIX)
