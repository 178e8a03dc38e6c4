"""A ledger mapping kept for next year: TOML (``--save-mapping``) or the converted workbook itself.

The workbook holds it twice over: the 台账转换说明 sheet lists which sheet and column was read as what and
which text became which category, and each tally sheet keeps the original text beside the value the clerk
chose from the dropdown — so next year's ledger of the same office converts with no questions.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import cast

from python_calamine import CalamineError, CalamineWorkbook

from xl_report.core import normalise as nz
from xl_report.core.errors import InputError
from xl_report.core.ledger import ADOPT_SHEET, COLUMN, SHEET, VALUE, LedgerMapping
from xl_report.core.tally import converter
from xl_report.core.tally_schema import TALLY_BY_NAME, TALLY_SHEETS, TallySheet
from xl_report.xlsx.fileio import write_bytes_atomic
from xl_report.xlsx.safety import check_xlsx

# the 台账转换说明 table (the header row is found by its first cell)
NOTE_HEADERS = ("类别", "台账工作表", "列", "原台账工作表", "原台账中的内容", "转换为", "依据", "件数", "原台账行号")
ORIGINAL_PREFIX = "原文："  # a tally sheet's column keeping the ledger's text of one column
# TOML tables
_T_SHEETS, _T_HEADERS, _T_VALUES = "工作表", "表头", "取值"


def load_mapping(path: Path | str) -> LedgerMapping:
    """A mapping from a .toml written by ``--save-mapping`` or from a workbook ``adopt`` wrote."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return mapping_from_workbook(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise InputError.at(f"无法读取映射文件（{e}）", file=str(path)) from None
    m = LedgerMapping()
    try:
        m.sheets = {str(k): str(v) for k, v in data.get(_T_SHEETS, {}).items()}
        m.headers = {str(s): {str(k): str(v) for k, v in h.items()} for s, h in data.get(_T_HEADERS, {}).items()}
        for s, cols in data.get(_T_VALUES, {}).items():
            for c, values in cols.items():
                for text, value in values.items():
                    m.learn(str(s), str(c), str(text), str(value))
    except AttributeError:
        raise InputError.at("映射文件的结构不对（应由 xl-report adopt --save-mapping 生成）", file=str(path)) from None
    _validate(m, path)
    return m


def _validate(m: LedgerMapping, path: Path) -> None:
    """Every target must be ours: a wrong value in a hand-edited mapping would count silently."""
    bad = [f"{s}→{t}" for s, t in m.sheets.items() if t not in TALLY_BY_NAME]
    for s, h in m.headers.items():
        bad += [f"{s}.{k}→{v}" for k, v in h.items() if s not in TALLY_BY_NAME or v not in TALLY_BY_NAME[s].headers]
    for s, cols in m.values.items():
        for c, values in cols.items():
            sheet = TALLY_BY_NAME.get(s)
            column = next((col for col in sheet.columns if col.header == c), None) if sheet else None
            for text, value in values.items():
                if (
                    sheet is None
                    or column is None
                    or column.kind != "choice"
                    or converter(sheet, column)(value) != (value, None)
                ):
                    bad.append(f"{s}.{c}：{text}→{value}")
    if bad:
        raise InputError.at("映射文件中有不是规定名称或选项的内容：" + "；".join(bad[:5]), file=str(path))


def save_mapping(m: LedgerMapping, path: Path | str) -> Path:
    """Write ``m`` as TOML (atomic). Strings are written as JSON strings, which TOML reads the same."""

    def q(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)

    lines = ["# xl_report 台账映射（xl-report adopt --save-mapping 生成；下次转换时用 --mapping 指定）", ""]
    lines.append(f"[{q(_T_SHEETS)}]")
    lines += [f"{q(k)} = {q(v)}" for k, v in sorted(m.sheets.items())]
    for s, h in sorted(m.headers.items()):
        lines += ["", f"[{q(_T_HEADERS)}.{q(s)}]"] + [f"{q(k)} = {q(v)}" for k, v in sorted(h.items())]
    for s, cols in sorted(m.values.items()):
        for c, values in sorted(cols.items()):
            lines += ["", f"[{q(_T_VALUES)}.{q(s)}.{q(c)}]"] + [f"{q(k)} = {q(v)}" for k, v in sorted(values.items())]
    path = Path(path)
    write_bytes_atomic(path, ("\n".join(lines) + "\n").encode("utf-8"))
    return path


def mapping_from_workbook(path: Path) -> LedgerMapping:
    """The mapping an adopted workbook holds: its 转换说明 rows and the clerk's choices beside the 原文."""
    check_xlsx(path)
    try:
        book = CalamineWorkbook.from_path(str(path))
        m = LedgerMapping()
        if ADOPT_SHEET not in book.sheet_names:
            raise InputError.at(
                f"工作簿中没有“{ADOPT_SHEET}”工作表（不是 xl-report adopt 转换的工作簿）", file=str(path)
            )
        rows = book.get_sheet_by_name(ADOPT_SHEET).to_python(skip_empty_area=False)
        top = next((i for i, r in enumerate(rows) if r and r[0] == NOTE_HEADERS[0]), None)
        for r in rows[top + 1 :] if top is not None else []:
            kind, sheet, column, source_sheet, text, target = (list(r) + [""] * 6)[:6]
            if kind == SHEET and source_sheet:
                m.sheets[str(source_sheet)] = str(target)
            elif kind == COLUMN and text and target:
                m.headers.setdefault(str(sheet), {})[str(text)] = str(target)
            elif kind == VALUE and text and target:
                m.learn(str(sheet), str(column), str(text), str(target))
        for tally_sheet in TALLY_SHEETS:
            if tally_sheet.name in book.sheet_names:
                grid = book.get_sheet_by_name(tally_sheet.name).to_python(skip_empty_area=False)
                _learn_choices(m, tally_sheet, cast(list[list[object]], grid))
    except CalamineError as e:
        raise InputError.at(f"无法读取工作簿（{e}）", file=str(path)) from None
    _validate(m, path)
    return m


def _learn_choices(m: LedgerMapping, sheet: TallySheet, rows: list[list[object]]) -> None:
    """(original text, value now in the cell) pairs of every choice column that kept its 原文 column."""
    if not rows:
        return
    head = [str(v) if isinstance(v, str) else "" for v in rows[0]]
    for c in sheet.columns:
        if c.kind != "choice" or c.header not in head:
            continue
        j = head.index(c.header)
        originals = [
            k
            for k, h in enumerate(head)
            if h.startswith(ORIGINAL_PREFIX)
            and m.headers.get(sheet.name, {}).get(h.removeprefix(ORIGINAL_PREFIX)) == c.header
        ]
        for k in originals:
            for r in rows[1:]:
                text = nz.clean_cell(r[k]) if k < len(r) else None
                value = nz.clean_cell(r[j]) if j < len(r) else None
                if isinstance(text, str) and isinstance(value, str) and converter(sheet, c)(value) == (value, None):
                    m.learn(sheet.name, c.header, text, value)
