"""The county summary: OUTDIR/汇总.xlsx and OUTDIR/findings.json.

汇总.xlsx holds one row per unit (status, error and warning counts, headline numbers, fingerprint,
a link to the unit's file), the 全县合计 roll-up of 表二/表三/表四 in the official layout — the
template's own table sheets, not a redrawing — itself checked, and every finding.

Memory stays flat in the number of units: the batch hands each unit's result to
:class:`~xl_report.batch.rollup.UnitDetails`, which adds its cells to the roll-up and spools its findings
to a temporary file, and keeps only the summary row. The per-unit rows of 汇总 and 校验结果 and the
findings of findings.json are streamed into the files, written exactly as openpyxl writes such cells.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from xl_report.batch.fastfill import clean_text, xml_escape
from xl_report.batch.model import HEADLINES, STATUS_FAILED, headline, match_key
from xl_report.batch.rollup import FINDINGS_FILE, ROLLUP, SUMMARY_FILE, InMemoryDetails, UnitDetails, check_rollup
from xl_report.core import form
from xl_report.core.errors import printable
from xl_report.core.figures import figures
from xl_report.core.findings import SEVERITY_LABELS, count
from xl_report.core.version import __version__
from xl_report.xlsx.charts import FIRST_ROW, add_chart_sheet, table_row
from xl_report.xlsx.fileio import atomic_path, save_workbook
from xl_report.xlsx.ooxml import expect
from xl_report.xlsx.template import build_template, print_as_list
from xl_report.xlsx.workbook import set_text, write_report

if TYPE_CHECKING:
    from xl_report.batch.model import BatchResult

SHEET_SUMMARY = "汇总"
STATUS_FILLS = {"成功": "E2EFDA", "有错误": "FCE4D6", "失败": "F8CBAD", "未提交": "EDEDED"}
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
BOLD = Font(bold=True)
WRAP = Alignment(vertical="top", wrap_text=True)


def write_summary(
    batch: BatchResult,
    year: int | None = None,
    config: dict | None = None,
    details: UnitDetails | InMemoryDetails | None = None,
    previous: dict[str, dict] | None = None,
    template=None,
) -> None:
    """汇总.xlsx and findings.json. ``details``: what :meth:`UnitDetails.add` kept of the units'
    values and findings (without it, the units still hold them). ``previous``: last year's reports by
    match key (:func:`xl_report.batch.inputs.previous_reports`), for the this-year-vs-last charts;
    the charts' figures are kept in ``batch.charts`` for 汇总.html (:mod:`xl_report.document.dashboard`).
    ``template``: a fresh :func:`summary_template` workbook, if one was built already."""
    details = details or InMemoryDetails(batch.units)
    try:
        years = sorted({u.year for u in batch.units if u.has_report and u.year})
        year = year or (years[-1] if years else None)
        batch.rollup = details.rollup.report(year)
        batch.rollup_findings = check_rollup(batch.rollup, config)
        out = batch.outdir
        charts = chart_rows(batch, details, previous)
        wb, rewrite = summary_book(batch, year, details, charts, template)
        save_workbook(wb, out / SUMMARY_FILE, deterministic=True, rewrite=rewrite)
        batch.summary_path = out / SUMMARY_FILE
        batch.charts = charts
        with atomic_path(out / FINDINGS_FILE) as tmp, open(tmp, "wb") as f:
            for piece in findings_json_pieces(batch, year, details):
                f.write(piece.encode("utf-8"))
        batch.findings_path = out / FINDINGS_FILE
    finally:
        details.close()


def chart_rows(
    batch: BatchResult, details: UnitDetails | InMemoryDetails, previous: dict[str, dict] | None
) -> dict[str, tuple[dict, dict | None]]:
    """source -> (this year's figures, last year's or None) of every unit with a report."""
    out = {}
    for u in batch.units:
        fig = details.figures.get(u.source) if u.has_report else None
        if fig is not None:
            last = (previous or {}).get(match_key(u.unit))
            out[u.source] = (fig, figures(last["values"]) if last else None)
    return out


def findings_json(batch: BatchResult, year: int | None, details=None, *, units: bool = True) -> dict:
    details = details or InMemoryDetails(())
    return {
        "tool": f"xl-report {__version__}",
        "year": year,
        "counts": batch.counts(),
        "units": [_unit_json(u, details) for u in batch.units] if units else [],
        "rollup": {
            "unit": ROLLUP,
            "values": batch.rollup.values if batch.rollup else {},
            "findings": [f.to_json() for f in batch.rollup_findings],
        },
        "ignored": [{"file": name, "reason": why} for name, why in batch.ignored],
    }


def _unit_json(u, details) -> dict:
    return {
        "unit": u.unit,
        "source": u.source or None,
        "file": u.file,
        "status": u.status,
        "reason": u.reason,
        "errors": u.errors,
        "warnings": u.warnings,
        "fingerprint": u.fingerprint,
        "headline": u.headline,
        "notes": u.notes,
        "findings": details.findings(u),
    }


def _dump(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, default=str)


def findings_json_pieces(batch: BatchResult, year: int | None, details) -> Iterator[str]:
    """:func:`findings_json` as ``json.dumps(..., indent=1)`` would write it, one unit at a time."""
    skeleton = findings_json(batch, year, details, units=False)
    head, tail = _dump(skeleton).split('"units": []', 1)  # no JSON string holds an unescaped quote
    yield head
    if not batch.units:
        yield '"units": []'
    else:
        yield '"units": [\n'
        for i, u in enumerate(batch.units):
            # a nested value is the same dump, indented two more levels (strings hold no raw newline)
            yield ("" if i == 0 else ",\n") + "  " + _dump(_unit_json(u, details)).replace("\n", "\n  ")
        yield "\n ]"
    yield tail


# --------------------------------------------------------------------------------------------
# The workbook
# --------------------------------------------------------------------------------------------

IGNORED = "跳过"  # the status column of an input-folder entry that was not read
ROLLUP_CLEAN = "无错误"  # the status column of the 全县合计 row when its check finds no error
COLUMNS = (
    "序号",
    "单位名称",
    "状态",
    "错误",
    "提示",
    "新收",
    "上年结转",
    "办结",
    "结转下年度",
    "复议",
    "诉讼",
    "定稿指纹",
    "文件",
    "说明",
)
WIDTHS = (6, 30, 8, 6, 6, 8, 9, 8, 10, 6, 6, 16, 30, 60)


def summary_template():
    """The summary workbook's start: the template's three table sheets. It does not depend on the units,
    so the batch builds it while its workers run (:func:`summary_book` takes it)."""
    wb = build_template()
    _keep_tables(wb)
    return wb


def summary_book(batch: BatchResult, year: int | None, details=None, charts: dict | None = None, template=None):
    """The summary workbook without its per-unit rows, and the rewrite that streams them into the
    package as it is saved (see :func:`xl_report.xlsx.fileio.save_workbook`): (workbook, rewrite).
    ``template``: :func:`summary_template`'s workbook (built here without it), filled in place."""

    details = details or InMemoryDetails(())
    wb = template if template is not None else summary_template()
    ws = wb.create_sheet(SHEET_SUMMARY, 0)
    title = f"{year}年度" if year else ""
    set_text(ws.cell(1, 1), f"{title}政府信息公开工作年度报告汇总（共 {len(batch.units)} 个单位）")
    ws.cell(1, 1).font = Font(bold=True, size=14)
    counts = batch.counts()
    set_text(ws.cell(2, 1), "，".join(f"{k} {v} 个" for k, v in counts.items()))
    for j, (label, width) in enumerate(zip(COLUMNS, WIDTHS), start=1):
        c = ws.cell(3, j)
        set_text(c, label)
        c.font, c.fill = BOLD, HEAD_FILL
        ws.column_dimensions[get_column_letter(j)].width = width
    styles = _RowStyles(ws, batch.units)
    r = 4 + len(batch.units)  # the unit rows (4 .. r - 1) are streamed in on saving
    rollup = batch.rollup
    assert rollup is not None  # write_summary sums it up first
    errors, warnings = count(batch.rollup_findings)
    total = headline(rollup)
    _write_row(
        ws,
        r,
        [
            None,
            ROLLUP,
            "有错误" if errors else ROLLUP_CLEAN,  # a sum is not a unit that 成功: its own check found no error
            errors,
            warnings,
            *total.values(),
            None,
            None,
            f"表二、表三、表四为 {sum(1 for u in batch.units if u.has_report)} 个单位之和",
        ],
    )
    for j in range(1, len(COLUMNS) + 1):
        ws.cell(r, j).font = BOLD
    if batch.ignored:  # entries of the input folder that were not read: the clerk may have meant them
        set_text(ws.cell(r + 2, 1), f"输入文件夹中跳过的 {len(batch.ignored)} 项（未处理）：")
        ws.cell(r + 2, 1).font = BOLD
        for k, (name, why) in enumerate(batch.ignored, start=r + 3):
            _write_row(ws, k, [None, None, IGNORED, None, None, *([None] * len(HEADLINES)), None, printable(name), why])
    ws.freeze_panes = "C4"
    print_as_list(ws, "3:3")
    ws.auto_filter.ref = f"A3:{get_column_letter(len(COLUMNS))}{r - 1}"
    write_report(rollup, wb, tables=form.TABLES, meta=False)
    for table in form.TABLES:
        _rollup_note(wb[table], sum(1 for u in batch.units if u.has_report))
    findings_ws = _findings_sheet(wb, batch, details)
    chart_rows = [(u.unit, *charts[u.source]) for u in batch.units if u.source in charts] if charts else []
    charts_ws = add_chart_sheet(wb, chart_rows, year, table=False) if charts is not None else None
    wb.active = 0
    styles.register(ws)

    def unit_rows() -> Iterator[bytes]:
        for i, u in enumerate(batch.units, start=1):
            note = u.reason or "；".join(u.notes)
            checked = u.source and u.status != STATUS_FAILED  # a failed unit was never checked: no "0 errors"
            row = [
                i,
                u.unit,
                u.status,
                u.errors if checked else None,
                u.warnings if checked else None,
                *(u.headline.get(k) for k in HEADLINES),
                (u.fingerprint or "")[:12] or None,
                u.file,
                note or None,
            ]
            yield _row_xml(3 + i, row, styles.of(u))

    def findings_rows() -> Iterator[bytes]:
        for i, (unit, file, f) in enumerate(_finding_rows(batch, details), start=2):
            yield _row_xml(
                i,
                [
                    unit,
                    file,
                    SEVERITY_LABELS.get(str(f.get("severity")), f.get("severity")),
                    f.get("code"),
                    f.get("message"),
                    f.get("sheet"),
                    f.get("cell"),
                ],
                [styles.wrap] * 7,
            )

    def chart_table_rows() -> Iterator[bytes]:
        for i, row in enumerate(chart_rows, start=FIRST_ROW):
            yield _row_xml(i, table_row(*row))

    def part(w) -> str:
        return f"xl/worksheets/sheet{wb.worksheets.index(w) + 1}.xml"

    links = [(f"{get_column_letter(13)}{3 + i}", u.file) for i, u in enumerate(batch.units, start=1) if u.file]
    summary_part, findings_part = part(ws), part(findings_ws)
    last_finding = 1 + _finding_count(batch, details)
    rewrite = {
        summary_part: lambda body: _splice_summary(summary_part, body, r, unit_rows(), links),
        findings_part: lambda body: [
            (findings_part, _splice_rows(_dimension(body, f"A1:G{last_finding}"), findings_rows()))
        ],
    }
    if charts_ws is not None and chart_rows:  # the table's unit rows go between its header and its total
        charts_part = part(charts_ws)
        below = FIRST_ROW + len(chart_rows) + 1  # the 全县合计 row, under a blank one
        rewrite[charts_part] = lambda body: [(charts_part, _splice_before_row(body, below, chart_table_rows()))]
    return wb, rewrite


class _RowStyles:
    """The cell formats of the unit rows, registered in the order openpyxl meets them when it writes
    such rows itself, so the workbook's style table is the same as if every row were a cell."""

    def __init__(self, ws, units) -> None:
        self.units = units
        self.wrap = 0  # format ids, once registered
        self._ids: dict[str | None, int] = {}  # status -> its fill's id; None -> the link's id
        self._fills: dict[str, object] = {}
        self._link = None
        self._wrap = _style(ws, alignment=WRAP) if units else None
        for u in units:  # fonts and fills in the order the rows assigned them
            if u.status not in self._fills:
                self._fills[u.status] = _style(
                    ws, alignment=WRAP, fill=PatternFill("solid", fgColor=STATUS_FILLS[u.status])
                )
            if u.file and self._link is None:
                self._link = _style(ws, alignment=WRAP, font=Font(color="0563C1", underline="single"))

    def register(self, ws) -> None:
        """Cell format ids (xf indices): the title and header cells first, then the unit rows'."""
        styles = ws.parent._cell_styles
        for c in (ws.cell(1, 1), *(ws.cell(3, j) for j in range(1, len(COLUMNS) + 1))):
            c.style_id  # noqa: B018 - registers the format, as writing the cell would
        self.wrap = styles.add(self._wrap if self.units else _style(ws, alignment=WRAP))
        for u in self.units:
            if u.status not in self._ids:
                self._ids[u.status] = styles.add(self._fills[u.status])
            if u.file and None not in self._ids:
                self._ids[None] = styles.add(self._link)

    def of(self, u) -> list[int]:
        out = [self.wrap] * len(COLUMNS)
        out[2] = self._ids[u.status]
        if u.file:
            out[12] = self._ids[None]
        return out


def _style(ws, **attrs):
    """The style array of a cell given these attributes (assigning them registers fonts, fills... as a
    real cell would)."""
    c = Cell(ws)
    for k, v in attrs.items():
        setattr(c, k, v)
    return c._style


def _row_xml(r: int, values: list, styles: list[int] | None = None) -> bytes:
    """One ``<row>`` exactly as openpyxl writes its cells (text inline): styled cells, blanks kept for
    their format; or, without ``styles``, cells of the default format, blanks left out."""
    cells = []
    formats: list[int | None] = list(styles) if styles is not None else [None] * len(values)
    for j, (v, s) in enumerate(zip(values, formats), start=1):
        at = f'r="{get_column_letter(j)}{r}"' + ("" if s is None else f' s="{s}"')
        if v is None:
            if s is not None:
                cells.append(f'<c {at} t="n"></c>')
        elif isinstance(v, str):
            v = clean_text(v)  # unit names and messages come from outside: text stays text, XML-safe
            space = ' xml:space="preserve"' if v != v.strip() else ""
            cells.append(f'<c {at} t="inlineStr"><is><t{space}>{xml_escape(v, _TEXT)}</t></is></c>')
        elif isinstance(v, bool):
            cells.append(f'<c {at} t="b"><v>{int(v)}</v></c>')
        else:
            cells.append(f'<c {at} t="n"><v>{format(v, ".16g")}</v></c>')
    return f'<row r="{r}">{"".join(cells)}</row>'.encode("ascii", "xmlcharrefreplace")  # as openpyxl's writer


_TEXT = {"\r": "&#13;"}  # lxml writes a carriage return in text as a character reference
_AFTER_HYPERLINKS = re.compile(
    rb"<(?:printOptions|pageMargins|pageSetup|headerFooter|rowBreaks|colBreaks|"
    rb"customProperties|cellWatches|ignoredErrors|smartTags|drawing|legacyDrawing|"
    rb"picture|oleObjects|controls|webPublishItems|tableParts|extLst)\b|</worksheet>"
)
_RNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _splice_summary(part: str, body: bytes, total_row: int, rows: Iterable[bytes], links: list[tuple[str, str]]):
    """The 汇总 sheet with the unit rows before the 全县合计 row, its hyperlinks and their relationships."""
    at = expect(rb'<row r="%d"[ >]' % total_row, body).start()
    tail = body[at:]
    pieces: list[Iterable[bytes]] = [[body[:at]], rows]
    if links:
        end = tail.index(b"</sheetData>")
        cut = expect(_AFTER_HYPERLINKS, tail, end).start()
        pieces += [
            [tail[:cut], b"<hyperlinks>"],
            (
                f'<hyperlink xmlns:r="{_RNS}" ref="{ref}" r:id="rId{k}"/>'.encode()
                for k, (ref, _) in enumerate(links, start=1)
            ),
            [b"</hyperlinks>", tail[cut:]],
        ]
    else:
        pieces.append([tail])
    yield part, (p for group in pieces for p in group)
    if links:  # the sheet has no relationships of its own: openpyxl writes them right after it
        rels = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
        targets = (xml_escape(link_target(target), {'"': "&quot;"}) for _, target in links)
        xml = (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Type="{_RNS}/hyperlink" Target="{target}" TargetMode="External" Id="rId{k}"/>'
                for k, target in enumerate(targets, start=1)
            )
            + "</Relationships>"
        )
        yield rels, [xml.encode("utf-8")]


def link_target(file: str) -> str:
    """A file name as a relative hyperlink: Excel and LibreOffice read the target as a URL, where "#"
    starts a location inside the file and "%" an escape (unit names may hold either)."""
    return file.replace("%", "%25").replace("#", "%23")


def _splice_before_row(body: bytes, r: int, rows: Iterable[bytes]) -> Iterator[bytes]:
    at = expect(rb'<row r="%d"[ >]' % r, body).start()
    yield body[:at]
    yield from rows
    yield body[at:]


def _splice_rows(body: bytes, rows: Iterable[bytes]) -> Iterator[bytes]:
    at = body.index(b"</sheetData>")
    yield body[:at]
    yield from rows
    yield body[at:]


def _dimension(body: bytes, ref: str) -> bytes:
    return re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>'.encode(), body, count=1)


def _write_row(ws, r: int, values: list) -> None:
    for j, v in enumerate(values, start=1):
        c = ws.cell(r, j)
        if isinstance(v, str):
            set_text(c, v)  # unit names and messages come from outside: text stays text
        else:
            c.value = v
        c.alignment = WRAP


def _keep_tables(wb) -> None:
    """Only the three table sheets of the template stay; names pointing elsewhere go."""
    keep = set(form.TABLES)
    for ws in list(wb.worksheets):
        if ws.title not in keep:
            wb.remove(ws)
    for name in [
        n
        for n, dn in wb.defined_names.items()
        if not any(f"'{t}'!" in (dn.attr_text or "") or f"{t}!" in (dn.attr_text or "") for t in keep)
    ]:
        del wb.defined_names[name]


def _rollup_note(ws, n: int) -> None:
    area = ws.print_area
    last = int(area.split("$")[-1]) if area else ws.max_row
    c = ws.cell(last + 2, 1)
    set_text(c, f"{ROLLUP}：以上为 {n} 个单位报表之和（含有错误的单位；失败、未提交的单位不计入）。")
    c.font = Font(bold=True, color="C00000")


def _findings_sheet(wb, batch: BatchResult, details):
    """The 校验结果 sheet's header; its rows are streamed in on saving (:func:`_finding_rows`)."""
    ws = wb.create_sheet(form.SHEET_FINDINGS)
    heads = ("单位名称", "文件", "级别", "代码", "说明", "工作表", "单元格")
    for j, (label, width) in enumerate(zip(heads, (28, 28, 6, 6, 80, 12, 8)), start=1):
        set_text(ws.cell(1, j), label)
        ws.cell(1, j).font, ws.cell(1, j).fill = BOLD, HEAD_FILL
        ws.column_dimensions[get_column_letter(j)].width = width
    r = 2 + _finding_count(batch, details)
    ws.freeze_panes = "A2"
    print_as_list(ws, "1:1")
    if r > 2:
        ws.auto_filter.ref = f"A1:G{r - 1}"
    return ws


def _finding_rows(batch: BatchResult, details) -> Iterator[tuple[str, str | None, dict]]:
    """(unit, file, finding) of every unit in order, then the roll-up's, then each failed unit's reason."""
    for u in batch.units:
        if details.count(u):
            for f in details.findings(u):
                yield u.unit, u.file or u.source, f
    for f in batch.rollup_findings:
        yield ROLLUP, SUMMARY_FILE, f.to_json()
    for u in batch.units:
        if u.status == "失败":
            yield u.unit, u.source, {"severity": "error", "code": "失败", "message": u.reason}


def _finding_count(batch: BatchResult, details) -> int:
    return (
        sum(details.count(u) for u in batch.units)
        + len(batch.rollup_findings)
        + sum(1 for u in batch.units if u.status == "失败")
    )
