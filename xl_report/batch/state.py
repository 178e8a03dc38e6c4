"""The batch's state in OUTDIR/.xl-report/: per-input records (reuse on rerun), per-run name claims,
the output folder's lock, and retiring the outputs of inputs that left DIR."""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from xl_report.batch.model import STATUS_FAILED, UnitResult
from xl_report.core.errors import InputError
from xl_report.xlsx.fileio import atomic_path, backup_path

STATE_DIR = ".xl-report"  # inside OUTDIR: one record per input file, plus the run's name claims


RETIRED_DIR = "已撤下"  # inside OUTDIR: outputs whose input has left DIR


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def state_dir(outdir: Path) -> Path:
    return outdir / STATE_DIR


# Records are JSON lines appended to one log per writing process and run (OUTDIR/.xl-report/units/
# <time>-<pid>.jsonl): creating a file costs more than the whole record on some file systems, and a
# batch writes one record per unit. The latest line for an input wins; a torn last line (killed
# mid-write) is skipped, i.e. costs a redo. One <sha1>.json per input (older versions) reads as oldest.
RECORD_LOG_LIMIT = 16  # record files kept before run_batch merges them into one


_OWN_FILES: dict[tuple[str, str, int], int] = {}  # (folder, kind, pid) -> this process's open log


def _own_log(folder: Path, kind: str) -> int:
    """This process's append-only log of ``kind`` in ``folder``, opened on first use."""
    key = (str(folder), kind, os.getpid())
    if key not in _OWN_FILES:
        path = folder / f"{time.time_ns():020d}-{os.getpid()}.{kind}"
        _OWN_FILES[key] = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o644)
    return _OWN_FILES[key]


def close_own_logs() -> None:
    for key in [k for k in _OWN_FILES if k[2] == os.getpid()]:
        os.close(_OWN_FILES.pop(key))
    _TOKENS.clear()


_TOKENS: dict[tuple[str, int], tuple[str, int]] = {}  # (claims folder, pid) -> (token file, its inode)


def claim_token(folder: Path, fresh: bool = False) -> tuple[str, int]:
    """This process's claim token in ``folder`` (a new one when ``fresh``)."""
    key = (str(folder), os.getpid())
    if fresh or key not in _TOKENS:
        procs = folder / "procs"
        procs.mkdir(exist_ok=True)
        path = str(procs / f"{os.getpid()}-{time.time_ns()}.token")
        open(path, "xb").close()
        _TOKENS[key] = (path, os.stat(path).st_ino)
    return _TOKENS[key]


def _record_files(outdir: Path) -> list[Path]:
    folder = state_dir(outdir) / "units"
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.json")) + sorted(folder.glob("*.jsonl"))  # oldest first


def record_index(outdir: Path, outputs: set[str] | None = None) -> dict[str, tuple[Path, int, int]]:
    """Input file name -> (file, offset, length) of its latest record. ``outputs``: collects the output
    file name of every record."""
    index: dict[str, tuple[Path, int, int]] = {}
    for path in _record_files(outdir):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        offset = 0
        for line in data.split(b"\n") if path.suffix == ".jsonl" else [data]:
            try:
                record = json.loads(line)
                source = record["source"]
                if outputs is not None and isinstance(record.get("file"), str):
                    outputs.add(record["file"])
            except (ValueError, TypeError, KeyError, AttributeError):
                source = None  # a damaged record only costs a redo
            if isinstance(source, str):
                index[source] = (path, offset, len(line))
            offset += len(line) + 1
    return index


def read_record(where: tuple[Path, int, int] | None) -> UnitResult | None:
    if where is None:
        return None
    path, offset, length = where
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return UnitResult.from_json(json.loads(f.read(length)))
    except (ValueError, TypeError, OSError):
        return None


def records(outdir: Path) -> Iterable[UnitResult]:
    for where in record_index(outdir).values():
        rec = read_record(where)
        if rec is not None:
            yield rec


def save_record(outdir: Path, result: UnitResult) -> None:
    data = json.dumps(result.to_json(), ensure_ascii=False, separators=(",", ":"), default=str)
    os.write(_own_log(state_dir(outdir) / "units", "jsonl"), (data + "\n").encode("utf-8"))  # one append


def merge_records(outdir: Path) -> None:
    """Many record files (runs add one per process) -> one, holding the latest record of each input."""
    files = _record_files(outdir)
    if len(files) <= RECORD_LOG_LIMIT:
        return
    index = record_index(outdir)
    target = state_dir(outdir) / "units" / f"{time.time_ns():020d}-{os.getpid()}.jsonl"
    with atomic_path(target) as tmp, open(tmp, "wb") as out:
        for where in index.values():
            path, offset, length = where
            with open(path, "rb") as f:
                f.seek(offset)
                out.write(f.read(length) + b"\n")
    for path in files:
        path.unlink(missing_ok=True)


def claim(outdir: Path, name: str, source: str) -> str | None:
    """Reserve an output name for this run; returns the other input holding it, if any.

    A claim is a hard link, named after the output name, to a token file of the claiming process
    (atomic, and no new file per unit); the process first notes (name, token, input) in its own log,
    which is how a later claimant finds the holder. Without hard links, a file holding the input.
    """
    folder = state_dir(outdir) / "claims"
    key = sha256_hex(name.casefold().encode("utf-8"))
    path = folder / key
    fresh = False
    for _ in range(2):
        try:
            token, ino = claim_token(folder, fresh)
            note = json.dumps([key, ino, source], ensure_ascii=False) + "\n"
            os.write(_own_log(folder / "procs", "log"), note.encode())
            os.link(token, path)
            return None
        except FileExistsError:
            holder = _claim_holder(folder, key, path)
            return None if holder == source else holder
        except OSError as e:
            if e.errno in (errno.EMLINK, errno.ENOENT):  # as many links as allowed / token gone: a new one
                fresh = True
                continue
            break
    try:  # no hard links on this file system
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        holder = _claim_holder(folder, key, path)
        return None if holder == source else holder
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(source)
    return None


def _claim_holder(folder: Path, key: str, path: Path) -> str:
    """The input that claimed ``key``: from the claims logs (a hard link) or the claim file itself."""
    ino = path.stat().st_ino
    for log in sorted((folder / "procs").glob("*.log")):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                k, token, source = json.loads(line)
            except (ValueError, TypeError):
                continue
            if k == key and token == ino:
                return source
    return path.read_text(encoding="utf-8")


def reusable(outdir: Path, rec: UnitResult | None, key: str) -> bool:
    if rec is None or rec.key != key:
        return False
    if rec.file is None:
        return rec.status == STATUS_FAILED
    return output_intact(outdir, rec)


def output_intact(outdir: Path, rec: UnitResult) -> bool:
    """The record's output is in ``outdir`` exactly as the run wrote it (not changed, not replaced)."""
    if rec.file is None:
        return False
    path = outdir / rec.file
    return path.is_file() and sha256_hex(path.read_bytes()) == rec.output_hash


# The code a unit's output depends on: the form and its counting (core), the rules, the workbook
# readers and writers (xlsx), the stages and the batch itself. A change in any of them is a change
# in behaviour, whatever the version says: the next run recomputes every unit.
BEHAVIOUR_PACKAGES = ("core", "rules", "xlsx", "stages", "batch")


@functools.lru_cache(maxsize=1)
def rules_digest() -> str:
    """SHA-256 over the source of BEHAVIOUR_PACKAGES (paths and bytes, in order): part of every reuse key."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for package in BEHAVIOUR_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def input_key(path: Path, options_key: str, data: bytes | None = None) -> str:
    """A unit's record key: its input's content and the run's options. Equal key, same result.
    ``data``: the input's bytes when already read (else the file is hashed in blocks)."""
    h = hashlib.sha256()
    if data is None:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    else:
        h.update(data)
    h.update(options_key.encode())
    return h.hexdigest()


@contextlib.contextmanager
def exclusive(outdir: Path):
    """One batch at a time per output folder: two would claim names and merge records under each
    other. An OS file lock, so a killed run never leaves the folder locked."""
    path = state_dir(outdir) / "lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as f:
        try:
            if sys.platform == "win32":
                import msvcrt  # lazy: platform-specific module

                f.seek(0)
                msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl  # lazy: platform-specific module

                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise InputError.at(
                "另一个批量处理正在写入这个输出文件夹，请等它结束后再运行（或换一个输出文件夹）", file=str(outdir)
            ) from None
        HELD_LOCKS.add(f.fileno())
        try:
            yield  # released when the file closes, also when the process dies
        finally:
            HELD_LOCKS.discard(f.fileno())


HELD_LOCKS: set[int] = set()  # descriptors of the output-folder locks this process holds


def drop_inherited_locks() -> None:
    """In a forked worker: let go of the parent's lock descriptors. A flock belongs to the open file,
    which a fork shares: a batch killed outright would otherwise stay locked until its orphaned workers
    notice and exit. The descriptor is pointed at /dev/null (not closed: the inherited file object
    would close its number again at exit, perhaps another file by then)."""
    if not HELD_LOCKS:
        return
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        for fd in HELD_LOCKS:
            os.dup2(null, fd)
    finally:
        os.close(null)
    HELD_LOCKS.clear()


def retire_stale(outdir: Path, gone: dict[str, tuple[Path, int, int]], current: set[str]) -> list[str]:
    """Move aside the outputs of inputs no longer in DIR (``gone``: their records): left in OUTDIR, a
    removed or replaced unit's old (even frozen) workbook would be sent upward with the rest. Only
    files exactly as a run wrote them, and none that this run wrote; a file the user changed stays."""
    retired = []
    for where in gone.values():
        rec = read_record(where)
        if rec is None or not rec.file or rec.file in current or not output_intact(outdir, rec):
            continue
        target = outdir / RETIRED_DIR / rec.file
        target.parent.mkdir(exist_ok=True)
        if target.exists():
            target = backup_path(target)
        os.replace(outdir / rec.file, target)
        retired.append(rec.file)
    return sorted(retired)
