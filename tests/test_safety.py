"""The package checks every reader goes through (xl_report.safety), on hand-made hostile packages."""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xl_report.core.errors import InputError
from xl_report.xlsx.safety import Package, _walk_cells, check_xlsx, open_xlsx
from xl_report.xlsx.tally_reader import read_tally

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


def patch_headers(path: Path, part: str, local: int | None, central: int | None, fmt: str, value: int) -> None:
    """Overwrite one field of the part's local header and/or central directory entry (offsets within
    each), as a hand-crafted hostile package would."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(part)
    if local is not None:
        struct.pack_into(fmt, data, info.header_offset + local, value)
    if central is not None:
        entry = data.rindex(part.encode()) - 46  # its central directory entry (the name's last occurrence)
        assert data[entry : entry + 4] == b"PK\x01\x02"
        struct.pack_into(fmt, data, entry + central, value)
    path.write_bytes(bytes(data))


def overwrite_local(path: Path, part: str, offset: int, new: bytes) -> None:
    """Overwrite bytes at ``offset`` from the start of the part's local header (30: its name; 30 + the
    name's length: its data)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        start = z.getinfo(part).header_offset + offset
    data[start : start + len(new)] = new
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
    patch_headers(path, SHEET, 22, 24, "<I", 100)  # the uncompressed size
    with pytest.raises(InputError, match="压缩炸弹") as e:
        check_xlsx(path)
    assert "liar.xlsx" in str(e.value)


def test_a_damaged_sheet_stream_is_a_clear_error(tmp_path):
    path = workbook(tmp_path / "damaged.xlsx")
    overwrite_local(path, SHEET, 30 + len(SHEET), b"\xff" * 40)  # garbage where the deflate stream starts
    with pytest.raises(InputError, match="文件已损坏") as e:
        check_xlsx(path)
    assert "damaged.xlsx" in str(e.value)


def test_an_unknown_compression_method_is_a_clear_error(tmp_path):
    path = workbook(tmp_path / "method.xlsx")
    patch_headers(path, SHEET, 8, 10, "<H", 99)  # compression method 99 (AES, unsupported)
    with pytest.raises(InputError, match="文件已损坏或已加密"):
        check_xlsx(path)


# A minimal package: one sheet "S" whose part and relationship target are given (calamine reads a sheet
# from wherever workbook.xml.rels points).
_CT = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WB = (
    '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="{target}"/></Relationships>'
)


def package(
    path: Path, sheet_data: str, part: str = "xl/worksheets/sheet1.xml", target: str = "worksheets/sheet1.xml"
) -> Path:
    sheet = (
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{sheet_data}</sheetData></worksheet>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WB)
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS.format(target=target))
        z.writestr(part, sheet)
    return path


def calamine_extent(path: Path) -> tuple[int, int]:
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("S")
    return sheet.height, sheet.width


_FAR = '<row r="1"><c r="A1"><v>1</v></c></row><row r="300"><c r="XFD300"><v>1</v></c></row>'
# Every spelling below is legal XML that calamine reads as a 300 x 16,384 (or 1,048,000 x 5) rectangle.
SPELLINGS = {
    "usual": _FAR,
    "single quotes": _FAR.replace('"', "'"),
    "tab before r": _FAR.replace("<c r=", "<c\tr="),
    "spaces around =": _FAR.replace("<c r=", "<c r = "),
    "lower case": _FAR.replace("XFD300", "xfd300"),
    "r not first": _FAR.replace('<c r="XFD300">', '<c s="0" r="XFD300">'),
    "namespace prefix": _FAR.replace("<row", "<x:row")
    .replace("</row", "</x:row")
    .replace("<c", "<x:c")
    .replace("</c", "</x:c")
    .replace("<v", "<x:v")
    .replace("</v", "</x:v")
    .replace('<x:row r="1"', '<x:row xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="1"')
    .replace('<x:row r="300"', '<x:row xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="300"'),
    "no references, wide": '<row r="1">' + "<c><v>1</v></c>" * 16384 + '</row><row r="300"><c><v>1</v></c></row>',
    "no references, tall": '<row><c><v>1</v></c></row><row r="1048000">' + "<c><v>1</v></c>" * 5 + "</row>",
}


@pytest.mark.slow
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_a_far_cell_is_refused_before_calamine_allocates_it(tmp_path, spelling):
    path = package(tmp_path / "far.xlsx", SPELLINGS[spelling])
    rows, cols = calamine_extent(path)  # the premise: calamine really would allocate this rectangle
    assert rows * cols > 4_000_000
    with pytest.raises(InputError, match="数据范围过大"):
        check_xlsx(path)


@pytest.mark.slow
@pytest.mark.parametrize("part, target", [("xl/evil.png", "evil.png"), ("evil.xml", "/evil.xml")])
def test_a_sheet_outside_xl_worksheets_is_scanned_too(tmp_path, part, target):
    path = package(tmp_path / "elsewhere.xlsx", _FAR, part=part, target=target)
    assert calamine_extent(path) == (300, 16384)
    with pytest.raises(InputError, match="数据范围过大"):
        check_xlsx(path)


def test_cells_without_references_are_placed_as_calamine_places_them(tmp_path):
    """A small sheet in an unusual spelling is walked, not refused."""
    data = '<row r="3"><c r="B3"><v>1</v></c><c><v>2</v></c></row><row><c s="1" r=\'A4\'><v>3</v></c></row>'
    path = package(tmp_path / "odd.xlsx", data)
    check_xlsx(path)
    assert _walk_cells(f"<sheetData>{data}</sheetData>".encode()) == (4, 3, 3)  # last cell C4 (C3 follows B3)
    assert calamine_extent(path) == (2, 3)  # A3:C4


def test_an_excel_lock_file_is_named_for_what_it_is(tmp_path):
    from typer.testing import CliRunner

    from xl_report.cli import app

    lock = tmp_path / "~$年报.xlsx"
    lock.write_bytes(b"\x0cAdministrator" + bytes(150))  # what Excel leaves while 年报.xlsx is open
    res = CliRunner().invoke(app, ["check", str(lock)])
    assert res.exit_code == 2 and "临时文件" in res.output and "“年报.xlsx”" in res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize("cell", ['<c r="A{i}"><v>1</v></c>', "<c><v>1</v></c>"])
def test_too_many_cells_for_openpyxl_are_refused_whatever_their_spelling(tmp_path, cell, monkeypatch):
    """A small file of very many cells would cost openpyxl (fill, check, freeze, verify) GBs."""
    from xl_report.xlsx import safety

    monkeypatch.setattr(safety, "MAX_CELLS", 5_000)  # the same check at a size a test can build quickly
    rows = "".join(f'<row r="{i}">{cell.format(i=i)}</row>' for i in range(1, 5_002))
    with pytest.raises(InputError, match="单元格过多"):
        check_xlsx(package(tmp_path / "many.xlsx", rows))
    check_xlsx(
        package(tmp_path / "enough.xlsx", "".join(f'<row r="{i}">{cell.format(i=i)}</row>' for i in range(1, 4_000)))
    )


def with_part(template_file: Path, path: Path, part: str, edit) -> Path:
    """A copy of the template with one part rewritten by ``edit(bytes) -> bytes``."""
    with zipfile.ZipFile(template_file) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info.filename, edit(data) if info.filename == part else data)
    return path


_LOL = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">' for i in range(1, 10))
    + "]>"
)
_XXE = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize(
    "dtd, part, encoding",
    [
        (_LOL, "xl/styles.xml", "utf-8"),  # openpyxl refused it, calamine read the workbook as if sound
        (_LOL, "docProps/core.xml", "utf-8"),  # both readers went on silently
        (_XXE, "xl/workbook.xml", "utf-8"),  # openpyxl dropped the names: "不知道报告年度", not the cause
        (_XXE, "xl/worksheets/sheet1.xml", "utf-16-le"),
        (_XXE, "xl/worksheets/sheet1.xml", "utf-16"),  # with a byte-order mark
        (_XXE, "xl/worksheets/sheet2.xml", "utf-16-be"),
    ],
)
@pytest.mark.slow
def test_an_entity_declaration_in_any_part_is_refused_for_every_reader(template_file, tmp_path, dtd, part, encoding):
    from typer.testing import CliRunner

    from xl_report.cli import app

    def edit(data: bytes) -> bytes:
        body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
        return (dtd + body.decode("utf-8")).encode(encoding)

    path = with_part(template_file, tmp_path / "evil.xlsx", part, edit)
    with pytest.raises(InputError, match="实体声明") as e:
        check_xlsx(path)
    assert part in str(e.value)
    folder = tmp_path / "in"
    folder.mkdir()
    path.rename(folder / "evil.xlsx")
    res = CliRunner().invoke(app, ["batch", str(folder), "-o", str(tmp_path / "out"), "-j", "1"])
    assert res.exit_code == 1 and "实体声明" in res.output.replace("\n", "").replace("│", "").replace(" ", "")


def test_thousands_of_defined_names_are_refused(template_file, tmp_path):
    """200,000 names in a 600 KB file cost openpyxl ~10 s and 300 MB on every open."""
    junk = b"".join(b'<definedName name="junk%d">S!$A$1</definedName>' % i for i in range(10_001))
    path = with_part(
        template_file,
        tmp_path / "names.xlsx",
        "xl/workbook.xml",
        lambda d: d.replace(b"<definedNames>", b"<definedNames>" + junk),
    )
    with pytest.raises(InputError, match="名称.*过多"):
        check_xlsx(path)


def test_a_report_name_over_a_huge_range_is_not_walked(template_file, tmp_path):
    """'表三'!$A$1:$XFD$1048576 as a cell name made fill take 8 GB and batch 24 GB (17 billion cells)."""
    from xl_report.xlsx.names import names_from_xml, report_cells
    from xl_report.xlsx.workbook import read_report_file

    huge = "'表三'!$A$1:$XFD$1048576".encode()

    def edit(data: bytes) -> bytes:
        return re.sub(rb'(<definedName name="t3_new_person"[^>]*>)[^<]+', lambda m: m.group(1) + huge, data)

    path = with_part(template_file, tmp_path / "huge.xlsx", "xl/workbook.xml", edit)
    assert "t3_new_person" in read_report_file(path).missing
    with zipfile.ZipFile(path) as z:
        cells = report_cells(names_from_xml(z.read("xl/workbook.xml")))
    assert "t3_new_person" not in cells and len(cells["text_overview"]) == 20  # ordinary ranges still read


def test_a_part_whose_local_name_disagrees_with_the_directory_is_refused(tmp_path):
    """zipfile (openpyxl: fill, check) refused it while the batch (calamine) read it as sound."""
    path = workbook(tmp_path / "names.xlsx")
    overwrite_local(path, SHEET, 30, SHEET.replace("sheet1", "sheetX").encode())
    with pytest.raises(InputError, match="文件已损坏") as e:
        check_xlsx(path)
    assert "names.xlsx" in str(e.value)


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_a_checked_package_reads_every_part_as_zipfile_does(tmp_path, compression):
    """open_xlsx keeps the parts it inflated for its checks; reading them back gives zipfile's bytes."""
    path = workbook(tmp_path / "ok.xlsx", compression=compression)
    with open_xlsx(path, path.read_bytes()) as package, zipfile.ZipFile(path) as plain:
        assert isinstance(package, Package) and len(package.parts) == len(plain.infolist())  # all kept
        for info in plain.infolist():
            assert package.read(info.filename) == plain.read(info.filename)
        with pytest.raises(KeyError):
            package.read("xl/absent.xml")


def test_a_part_with_a_wrong_checksum_is_refused_on_reading_as_zipfile_refuses_it(tmp_path):
    """The checks do not verify CRC-32 (nor did they before the parts were kept); a read still does."""
    path = workbook(tmp_path / "crc.xlsx")
    patch_headers(path, SHEET, 14, 16, "<I", 0x12345678)  # the CRC-32, in both headers
    with zipfile.ZipFile(path) as plain, pytest.raises(zipfile.BadZipFile, match="Bad CRC-32"):
        plain.read(SHEET)
    with open_xlsx(path) as package, pytest.raises(zipfile.BadZipFile, match="Bad CRC-32"):
        package.read(SHEET)
    with pytest.raises(InputError, match="Bad CRC-32") as e:  # the tally reader's message, as before
        read_tally(path)
    assert "crc.xlsx" in str(e.value)


def test_a_part_shared_by_many_workbooks_is_still_checked_in_each(tmp_path):
    """Facts of a part are remembered by its compressed bytes: the same hostile part is refused every
    time, and a sane part of the same name in another file is not taken for it."""
    bad = workbook(tmp_path / "bad.xlsx", "XFD1000")
    good = workbook(tmp_path / "good.xlsx")
    for _ in range(2):
        with pytest.raises(InputError, match="数据范围过大"):
            check_xlsx(bad)
        check_xlsx(good)
