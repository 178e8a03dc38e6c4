"""Sheet grids remembered across workbooks (xl_report.xlsx.sheet_grids): a shared sheet is parsed once,
and a remembered grid is only ever the one calamine would read."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from xl_report.cli.demo import synthetic_unit, write_unit
from xl_report.xlsx import sheet_grids
from xl_report.xlsx.safety import open_xlsx, read_package
from xl_report.xlsx.tally_reader import read_tally, read_workbook

YEAR = 2024
TABLE3 = "xl/worksheets/sheet8.xml"  # 表三 in the template
RELS = "xl/_rels/workbook.xml.rels"


def unit(folder: Path, seed: int) -> Path:
    return write_unit(
        folder / f"unit{seed}.xlsx", synthetic_unit(f"某某县第{seed}单位", "乡镇人民政府", YEAR, seed=seed), YEAR
    )


def read(path: Path):
    data = read_package(path)
    with open_xlsx(path, data) as package:
        return read_workbook(path, package=package, data=data)


def rewrite(src: Path, dst: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            out.writestr(info.filename, parts.get(info.filename, z.read(info)))
        for name, data in parts.items():
            if name not in z.namelist():
                out.writestr(name, data)
    return dst


def remembered(sheet: str) -> int:
    return sum(1 for key in sheet_grids._GRIDS if key[0] == sheet)


def test_units_sharing_a_table_sheet_parse_it_once_and_read_as_alone(tmp_path):
    sheet_grids._GRIDS.clear()
    a, b = unit(tmp_path, 1), unit(tmp_path, 2)
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        assert za.read(TABLE3) == zb.read(TABLE3)  # the premise: the template's 表三, byte for byte
    first, second = read(a), read(b)
    assert remembered("表三") == 1  # one grid for both units
    for path, (tally, fields) in ((a, first), (b, second)):
        alone_tally = read_tally(path)  # a path without a checked package in memory: nothing remembered
        assert fields["values"] and fields["meta_unit"] == f"某某县第{path.stem[4:]}单位"
        assert tally.columns("requests") == alone_tally.columns("requests")
    assert first[1]["values"] == second[1]["values"]


def test_a_grid_is_not_taken_for_another_workbook_whose_other_parts_differ(tmp_path):
    """The same 表三 part with other shared strings reads as those strings: the key holds every part that
    is not a sheet."""
    sheet_grids._GRIDS.clear()
    base = unit(tmp_path, 3)
    with zipfile.ZipFile(base) as z:
        table = z.read(TABLE3)
    table = re.sub(rb'<c r="D5"[^>]*?(?:/>|>.*?</c>)', b'<c r="D5" t="s"><v>0</v></c>', table, count=1, flags=re.S)

    def strings(text: str) -> bytes:
        return (
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
            f"<si><t>{text}</t></si></sst>"
        ).encode()

    first = rewrite(base, tmp_path / "first.xlsx", {TABLE3: table, "xl/sharedStrings.xml": strings("甲")})
    second = rewrite(base, tmp_path / "second.xlsx", {TABLE3: table, "xl/sharedStrings.xml": strings("乙")})
    assert read(first)[1]["values"]["t3_new_person"] == "甲"
    assert read(second)[1]["values"]["t3_new_person"] == "乙"
    assert read(first)[1]["values"]["t3_new_person"] == "甲"
    assert remembered("表三") == 2  # both remembered, each under its own key


def test_plain_sheet_parts_are_those_of_the_one_reader(template_file):
    with zipfile.ZipFile(template_file) as z:
        workbook, rels = z.read("xl/workbook.xml"), z.read(RELS)
    parts = sheet_grids._plain_sheet_parts(workbook, rels)
    assert parts is not None and parts["表三"] == TABLE3


@pytest.mark.parametrize(
    "part, old, new",
    [
        ("xl/_rels/workbook.xml.rels", b'Target="/xl/worksheets/sheet8.xml"', b'Target="../xl/worksheets/sheet8.xml"'),
        (
            "xl/_rels/workbook.xml.rels",
            b'Target="/xl/worksheets/sheet8.xml"',
            b'Target="/xl/worksheets/sheet&#56;.xml"',
        ),
        (RELS, b'Id="rId8"', b'Id="rId7"'),  # a duplicate id
        ("xl/workbook.xml", b'r:id="rId8"', b'x:id="rId8" xmlns:x="urn:other"'),  # not the relationship id
        ("xl/workbook.xml", 'name="表三"'.encode(), "name='表三'".encode()),
    ],
)
def test_a_sheet_calamine_might_read_elsewhere_is_never_remembered(template_file, part, old, new):
    with zipfile.ZipFile(template_file) as z:
        parts = {n: z.read(n) for n in ("xl/workbook.xml", RELS)}
    assert old in parts[part]
    parts[part] = parts[part].replace(old, new, 1)
    assert sheet_grids._plain_sheet_parts(parts["xl/workbook.xml"], parts[RELS]) is None
