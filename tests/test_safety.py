"""The package checks every reader goes through (xl_report.safety), on hand-made hostile packages."""
from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xl_report.errors import InputError
from xl_report.safety import check_xlsx, open_xlsx

SHEET = "xl/worksheets/sheet1.xml"


def workbook(path: Path, far_cell: str | None = None, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for i in range(1, 201):
        ws.append([f"A{i}", i])
    if far_cell:
        ws[far_cell] = "误填"
    tmp = path.with_suffix(".tmp.xlsx")
    wb.save(tmp)
    with zipfile.ZipFile(tmp) as src, zipfile.ZipFile(path, "w", compression) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
    tmp.unlink()
    return path


def patch_sizes(path: Path, part: str, size: int) -> None:
    """Make the package declare ``size`` as the part's uncompressed size (local and central headers)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(part)
    struct.pack_into("<I", data, info.header_offset + 22, size)
    central = data.rindex(part.encode()) - 46  # its central directory entry (the name's last occurrence)
    assert data[central:central + 4] == b"PK\x01\x02"
    struct.pack_into("<I", data, central + 24, size)
    path.write_bytes(bytes(data))


def test_a_sane_workbook_passes(tmp_path):
    open_xlsx(workbook(tmp_path / "ok.xlsx")).close()


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_a_far_cell_is_found_whether_the_sheet_is_compressed_or_stored(tmp_path, compression):
    with pytest.raises(InputError, match="数据范围过大"):
        check_xlsx(workbook(tmp_path / "far.xlsx", "XFD1000", compression))


def test_a_part_larger_than_it_declares_is_refused(tmp_path):
    """The inflated size is capped at the declared one: a lying directory cannot smuggle in a bomb."""
    path = workbook(tmp_path / "liar.xlsx")
    patch_sizes(path, SHEET, 100)
    with pytest.raises(InputError, match="压缩炸弹") as e:
        check_xlsx(path)
    assert "liar.xlsx" in str(e.value)


def test_a_damaged_sheet_stream_is_a_clear_error(tmp_path):
    path = workbook(tmp_path / "damaged.xlsx")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(SHEET)
    start = info.header_offset + 30 + len(SHEET)
    data[start:start + 40] = b"\xff" * 40  # garbage where the deflate stream starts
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="文件已损坏") as e:
        check_xlsx(path)
    assert "damaged.xlsx" in str(e.value)


def test_an_unknown_compression_method_is_a_clear_error(tmp_path):
    path = workbook(tmp_path / "method.xlsx")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(SHEET)
    struct.pack_into("<H", data, info.header_offset + 8, 99)  # local header: method 99 (AES, unsupported)
    central = data.rindex(SHEET.encode()) - 46
    struct.pack_into("<H", data, central + 10, 99)
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="文件已损坏或已加密"):
        check_xlsx(path)
