"""Atomic output (xl_report.fileio): a whole new file or the old one, never a half-written one."""

from __future__ import annotations

import os

import pytest

from xl_report.core.errors import InputError
from xl_report.xlsx import fileio
from xl_report.xlsx.fileio import atomic_path, write_bytes_atomic


def test_write_bytes_atomic_replaces_whole_with_ordinary_permissions(tmp_path):
    target = tmp_path / "单位.xlsx"
    target.write_bytes(b"old")
    write_bytes_atomic(target, b"new" * 1000)
    assert target.read_bytes() == b"new" * 1000
    mask = os.umask(0o022)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask
    assert [p.name for p in tmp_path.iterdir()] == ["单位.xlsx"]  # no temp file left


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "汇总.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["汇总.xlsx"]


def test_a_temp_name_left_by_a_killed_process_is_stepped_over(tmp_path, monkeypatch):
    import itertools

    monkeypatch.setattr(fileio, "_TEMP_NUMBERS", itertools.count())
    stale = tmp_path / f".单位.{os.getpid()}-0.xlsx.tmp"
    stale.write_bytes(b"left over")
    write_bytes_atomic(tmp_path / "单位.xlsx", b"data")
    assert (tmp_path / "单位.xlsx").read_bytes() == b"data" and stale.read_bytes() == b"left over"


def test_a_file_where_the_folder_should_be_is_a_chinese_error(tmp_path):
    (tmp_path / "输出").write_bytes(b"a file, not a folder")
    with pytest.raises(InputError, match="无法写到"):
        write_bytes_atomic(tmp_path / "输出" / "单位.xlsx", b"data")
