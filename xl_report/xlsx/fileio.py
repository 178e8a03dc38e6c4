"""Atomic, deterministic file output: never a half-written file, never a lost user workbook."""

from __future__ import annotations

import errno
import io
import itertools
import os
import re
import shutil
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from xl_report.core.errors import InputError

# Zip entries get this timestamp so that identical content gives identical bytes.
FIXED_ZIP_TIME = (2021, 9, 26, 0, 0, 0)  # the date 国办公开办函〔2021〕30号 was signed


@contextmanager
def atomic_path(target: Path | str):
    """Yield a temp path next to ``target``; rename it over ``target`` only if the block succeeds."""
    target = Path(target)
    fd, tmp = _create_temp(target)
    os.close(fd)
    with _replacing(tmp, target):
        yield tmp


def write_bytes_atomic(target: Path | str, data: bytes) -> None:
    """:func:`atomic_path` for bytes in hand: one open of the temp file (the batch writes one per unit)."""
    target = Path(target)
    fd, tmp = _create_temp(target)
    with _replacing(tmp, target), open(fd, "wb") as f:
        try:
            f.write(data)
        except OSError as e:  # a full disk, a quota
            raise _write_error(target, e) from None


_TEMP_NUMBERS = itertools.count()
# created as a user's file would be (the umask applies); never through a planted link
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


MAX_NAME_BYTES = 255  # a file name's length on every common file system (ext4, NTFS in UTF-16 units, APFS)


def check_name_length(target: Path, what: str = "文件名") -> Path:
    """Refuse a name the file system cannot hold, with a message instead of "File name too long"."""
    size = len(target.name.encode("utf-8"))
    if size > MAX_NAME_BYTES:
        raise InputError.at(
            f"{what}过长（{size} 字节，上限 {MAX_NAME_BYTES} 字节），无法保存，请缩短{what}", file=str(target)
        )
    return target


def _create_temp(target: Path) -> tuple[int, Path]:
    """A new hidden temp file beside ``target`` (``.<stem>.<pid>-<n><suffix>.tmp``, or ``.xl-report.…``
    for a long name; an interrupted batch clears both): (open fd, path)."""
    check_name_length(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        while True:
            n = f"{os.getpid()}-{next(_TEMP_NUMBERS)}"
            tmp = target.with_name(f".{target.stem}.{n}{target.suffix}.tmp")
            if len(tmp.name.encode("utf-8")) > MAX_NAME_BYTES:
                tmp = target.with_name(f".xl-report.{n}.tmp")
            try:
                return os.open(tmp, _TEMP_FLAGS, 0o666), tmp
            except FileExistsError:  # left by a killed process that had this pid
                continue
    except OSError as e:
        raise _write_error(target, e) from None


@contextmanager
def _replacing(tmp: Path, target: Path):
    """Rename ``tmp`` over ``target`` if the block succeeds, else remove it."""
    try:
        yield
        try:
            os.replace(tmp, target)
        except OSError as e:
            raise _write_error(target, e) from None
    except BaseException:
        with _suppress():
            os.unlink(tmp)
        raise


def _write_error(target: Path, e: OSError) -> InputError:
    """A read-only folder, a file held open by Excel, a full disk: a user's problem, not a traceback."""
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.EBUSY, errno.ETXTBSY):
        why = "没有写入权限（文件夹只读，或文件正被 Excel、WPS 等程序打开），请关闭文件或换一个文件夹"
    elif e.errno == errno.ENOSPC:
        why = "磁盘空间不足"
    elif e.errno in (errno.EEXIST, errno.ENOTDIR):
        why = "所在位置不是文件夹"
    elif e.errno == errno.ENAMETOOLONG:
        why = f"文件名过长（上限 {MAX_NAME_BYTES} 字节），请缩短文件名"
    else:
        why = f"无法写入（{e.strerror or e}）"
    return InputError.at(f"无法写到“{target.parent}”：{why}", file=str(target))


@contextmanager
def _suppress():
    try:
        yield
    except OSError:
        pass


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


# part name -> function of the part's bytes yielding the entries (name, pieces) written in its place
Rewrite = Callable[[bytes], Iterable[tuple[str, Iterable[bytes]]]]


def normalise_zip(data: bytes, rewrite: Mapping[str, Rewrite] | None = None, dest: BinaryIO | None = None) -> bytes:
    """Rewrite a zip with fixed entry times and a fixed modified stamp: byte-stable output.

    ``rewrite`` replaces parts; their pieces are streamed into the package, so a large generated sheet
    never sits in memory whole. With ``dest`` (a binary file) the package goes there (returns b"").
    """
    src = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    out = dest or buffer
    stamp = datetime(*FIXED_ZIP_TIME).strftime("%Y-%m-%dT%H:%M:%SZ").encode()

    def entry(name: str) -> zipfile.ZipInfo:
        new = zipfile.ZipInfo(name, FIXED_ZIP_TIME)
        new.compress_type = zipfile.ZIP_DEFLATED
        new.external_attr = 0o600 << 16
        return new

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", body)
            if rewrite and info.filename in rewrite:
                for name, pieces in rewrite[info.filename](body):
                    with dst.open(entry(name), "w") as f:
                        for piece in pieces:
                            f.write(piece)
                continue
            dst.writestr(entry(info.filename), body)
    return b"" if dest else buffer.getvalue()


def save_workbook(
    wb, target: Path | str, *, deterministic: bool = False, rewrite: Mapping[str, Rewrite] | None = None
) -> None:
    """Save an openpyxl workbook atomically (temp file + rename). ``rewrite`` (deterministic only):
    parts to replace while the package is written, see :func:`normalise_zip`."""
    buf = io.BytesIO()
    if deterministic:
        fixed = datetime(*FIXED_ZIP_TIME)
        wb.properties.created = fixed
        wb.properties.modified = fixed
        wb.properties.lastModifiedBy = None
    wb.save(buf)
    data = buf.getvalue()
    if rewrite:
        if not deterministic:
            raise ValueError("rewrite needs deterministic=True")
        with atomic_path(target) as tmp, open(tmp, "wb") as f:
            normalise_zip(data, rewrite, f)
        return
    if deterministic:
        data = normalise_zip(data)
    write_bytes_atomic(target, data)


def backup_path(path: Path) -> Path:
    """A backup name that is not taken yet: a second backup within the same second must not replace
    the first (which may be the only copy of the original)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    bak = path.with_name(f"{path.stem}.备份-{stamp}{path.suffix}")
    n = 1
    while bak.exists():
        n += 1
        bak = path.with_name(f"{path.stem}.备份-{stamp}-{n}{path.suffix}")
    return bak


def keep_backup(path: Path) -> Path:
    """Copy a user's file to a fresh backup name before it is overwritten; returns the backup."""
    bak = backup_path(path)
    try:
        shutil.copy2(path, bak)
    except OSError as e:
        raise _write_error(bak, e) from None
    return bak


def backup_existing(path: Path) -> Path | None:
    """Back up ``path`` if it exists: an earlier output may have been edited by hand since (正文 typed
    into the 已填报 workbook, a clerk's tally in 年报模板.xlsx, a polished .docx)."""
    return keep_backup(path) if path.is_file() else None


def output_path(input_path: Path, suffix: str, output: Path | None) -> Path:
    """``output``, else ``<input><suffix>.xlsx`` beside the input. The caller calls :func:`backup_existing`
    once it is sure to write, so a refused run leaves no stray backup."""
    return check_name_length(output or input_path.with_name(f"{input_path.stem}{suffix}{input_path.suffix or '.xlsx'}"))


# Windows device names: not usable as a file name, whatever the extension
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def unit_file_name(unit: str | None, fallback: str = "未命名单位") -> str:
    """A unit name usable as a file name everywhere: no separators, traversal, control or format
    characters (e.g. right-to-left overrides), no Windows device names; at most 80 characters."""
    text = unicodedata.normalize("NFC", unit or "")
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    text = re.sub(r'[/\\:*?"<>|]', "_", text)
    text = re.sub(r"\s+", " ", text).strip(" ._")
    text = text[:80].strip(" ._")
    if not text:
        text = fallback
    if text.split(".")[0].strip().upper() in _RESERVED:
        text = "_" + text
    return text


def ensure_readable(path: Path | str) -> Path:
    path = Path(path)
    if not path.exists():
        raise InputError.at("文件不存在", file=str(path))
    if path.is_dir():
        raise InputError.at("这是一个文件夹，不是Excel文件", file=str(path))
    if path.name.startswith("~$"):  # Excel and WPS leave it beside a workbook while it is open
        raise InputError.at(
            f"这是 Excel/WPS 打开工作簿时生成的临时文件，不是工作簿；请选择原文件“{path.name[2:]}”", file=str(path)
        )
    return path
