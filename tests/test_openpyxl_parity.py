"""What the batch's workers compute without openpyxl gives openpyxl's answers: A1 references
(xl_report.core.a1), the built-in number formats, date serials, the sheet-protection hash, the 定稿 line's
font. The XML writer and the openpyxl paths of fill and freeze must write the same workbooks."""

from __future__ import annotations

import random

import pytest
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter, range_boundaries

from xl_report.core import a1


def test_column_letters_and_numbers_are_openpyxls() -> None:
    for index in range(1, a1.MAX_COLUMN + 1):
        letters = get_column_letter(index)
        assert a1.column_letter(index) == letters
        assert a1.column_index(letters) == index
        assert a1.column_index(letters.lower()) == index
    for bad in (0, -1, a1.MAX_COLUMN + 1):
        with pytest.raises(ValueError):
            get_column_letter(bad)
        with pytest.raises(ValueError):
            a1.column_letter(bad)


def _same(ours, theirs, text: str) -> None:
    """Both give the same value, or both refuse the text."""
    try:
        expected = theirs(text)
    except Exception:  # noqa: BLE001 - openpyxl raises ValueError or its own CellCoordinatesException
        with pytest.raises(ValueError):
            ours(text)
        return
    assert ours(text) == expected, text


def test_cells_and_ranges_are_read_as_openpyxl_reads_them() -> None:
    rnd = random.Random(7)
    pieces = [
        "",
        "$",
        "A",
        "a",
        "Z",
        "AA",
        "zz",
        "XFD",
        "ZZZ",
        "AAAA",
        "1",
        "0",
        "12",
        "007",
        "1048576",
        ":",
        "!",
        " ",
        "é",
    ]
    texts = {"".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 7))) for _ in range(20_000)}
    texts |= {"B12", "$B$12", "A0", "B3:D22", "$A$1:$C$9", "A:C", "3:5", "A1:", ":A1", "A1:B", "", "ZZZ1", "AAAA1"}
    for text in sorted(texts):
        _same(a1.split_cell, coordinate_from_string, text)
        _same(a1.range_bounds, range_boundaries, text)
        _same(a1.column_index, column_index_from_string, text)
    assert a1.cell_position("AB7") == (28, 7)
    assert a1.reading_order("C2:D9") == (2, 3)
    assert a1.reading_order("not a cell") == (0, 0)


def test_the_built_in_number_formats_are_openpyxls() -> None:
    from openpyxl.styles.numbers import BUILTIN_FORMATS

    from xl_report.xlsx.number_formats import BUILTIN_FORMATS as ours

    assert ours == BUILTIN_FORMATS


def test_date_serials_are_openpyxls() -> None:
    from datetime import date, datetime, timedelta

    from openpyxl.utils.datetime import to_excel

    from xl_report.core.normalise import excel_serial

    rnd = random.Random(11)
    days = [date(1899, 12, 30) + timedelta(days=d) for d in range(-3, 400)]
    days += [date(1, 1, 1) + timedelta(days=rnd.randrange(3_652_058)) for _ in range(5_000)]
    for d in days:
        assert excel_serial(d) == to_excel(d), d
        moment = datetime.combine(d, datetime.min.time()) + timedelta(microseconds=rnd.randrange(86_400_000_000))
        assert excel_serial(moment) == to_excel(moment), moment


def test_the_sheet_protection_hash_and_the_stamp_font_are_openpyxls() -> None:
    from openpyxl.styles import Font
    from openpyxl.utils.protection import hash_password
    from openpyxl.xml.functions import tostring

    from xl_report.stages.freeze_record import STAMP_FONT, sheet_password_hash, stamp_font_xml

    rnd = random.Random(5)
    alphabet = "abcXYZ019 !~定稿密码é\U0001f600"
    passwords = ["", "a", "定稿Secret-2024", "x" * 40, "密" * 300]
    passwords += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 60))) for _ in range(5_000)]
    for password in passwords:
        assert sheet_password_hash(password) == hash_password(password), password
    assert stamp_font_xml() == tostring(Font(**STAMP_FONT).to_tree())
