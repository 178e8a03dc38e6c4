"""Test helpers that stand in for Excel's VBA client (xlwings ``Remote.bas``) on Linux.

``payload_from_xlsx`` builds the exact JSON body ``RunServerPython`` POSTs for a workbook file;
``apply_actions`` replays the returned actions onto an openpyxl copy the way ``Remote.bas`` does,
so a test can look at the *resulting workbook* instead of an action list.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import xlwings as xw
from openpyxl import load_workbook
from openpyxl.styles import PatternFill

from xl_report.xlsx.workbook import cell_value

REMOTE_BAS = Path(xw.__file__).parent / "addin" / "Remote.bas"
# The actions the VBA client can replay: one `Sub <func>(wb As Workbook, action As Dictionary)` each.
VBA_ACTIONS = frozenset(
    re.findall(r"^Sub (\w+)\(wb As Workbook, action As Dictionary\)", REMOTE_BAS.read_text(encoding="utf-8"), re.M)
)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?)?$")


def _json_value(ws, cell) -> object:
    """What Excel's Range.Value gives for a cell, as Remote.bas encodes it."""
    v = cell.value
    if cell.data_type == "f":
        v = cell_value(ws, cell)  # Excel sends the computed value, never the formula
        if isinstance(v, str) and v.startswith("="):
            v = ""
    if v is None:
        return ""
    if isinstance(v, bool):
        return v
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(v, dt.date):
        return f"{v.isoformat()}T00:00:00.000Z"
    return v


def payload_from_xlsx(
    path: Path | str, active: int = 0, selection: str | None = "A1", exclude: tuple[str, ...] = ()
) -> dict:
    """The body Remote.bas's RunServerPython sends for the workbook at ``path`` (client "VBA")."""
    path = Path(path)
    wb = load_workbook(path)  # formulas kept so their values can be computed like Excel does
    names = []
    for name, dn in wb.defined_names.items():
        dests = list(dn.destinations)
        if len(dests) != 1:
            continue
        sheet, ref = dests[0]
        if sheet not in wb.sheetnames:
            continue
        names.append(
            {
                "name": name,
                "sheet_index": wb.sheetnames.index(sheet),
                "address": ref.replace("$", ""),
                "book_scope": True,
                "scope_sheet_name": None,
                "scope_sheet_index": None,
            }
        )
    sheets = []
    for ws in wb.worksheets:
        if ws.title in exclude or ws.max_row == 1 and ws.max_column == 1 and ws["A1"].value is None:
            values = [[]]
        else:
            values = [
                [_json_value(ws, c) for c in row]
                for row in ws.iter_rows(min_row=1, max_row=ws.max_row, min_col=1, max_col=ws.max_column)
            ]
        sheets.append({"name": ws.title, "pictures": [], "tables": [], "values": values})
    return {
        "client": "VBA",
        "version": xw.__version__,
        "book": {"name": path.name, "active_sheet_index": active, "selection": selection},
        "names": names,
        "sheets": sheets,
    }


def _excel_value(v: object) -> object:
    """What a cell holds after Remote.bas's setValues assigns ``v`` to Range.Value."""
    if not isinstance(v, str):
        return v
    if v == "":
        return None
    if _ISO.match(v):  # WebHelpers.ParseIso
        return dt.datetime.fromisoformat(v.rstrip("Z"))
    if v.startswith("'"):  # the apostrophe prefix: text stays text
        return v[1:]
    if v.startswith("="):
        return v
    try:  # Excel parses anything that looks like a number
        f = float(v)
    except ValueError:
        return v
    return int(f) if f.is_integer() else f


def apply_actions(src: Path | str, actions: list[dict], out: Path | str) -> Path:
    """Replay ``actions`` onto a copy of ``src`` as Remote.bas would; returns ``out``."""
    wb = load_workbook(src, keep_vba=str(src).lower().endswith((".xlsm", ".xlam")))
    for a in actions:
        func = a["func"]
        assert func in VBA_ACTIONS, f"{func} cannot be replayed by the VBA client"
        ws = wb.worksheets[a["sheet_position"]] if a.get("sheet_position") is not None else None
        cells = []
        if a.get("row_count"):
            r0, c0 = a["start_row"] + 1, a["start_column"] + 1
            cells = [[ws.cell(r0 + i, c0 + j) for j in range(a["column_count"])] for i in range(a["row_count"])]
        if func == "setValues":
            assert len(a["values"]) == len(cells), a
            for row_cells, row_vals in zip(cells, a["values"]):
                assert len(row_vals) == len(row_cells), a
                for c, v in zip(row_cells, row_vals):
                    value = _excel_value(v)
                    c.value = value
                    if isinstance(value, str) and not value.startswith("="):
                        c.data_type = "s"
        elif func == "rangeClearContents":
            for c in sum(cells, []):
                c.value = None
        elif func == "setRangeColor":
            for c in sum(cells, []):
                c.fill = PatternFill("solid", fgColor="FF" + a["args"][0].lstrip("#").upper())
        elif func == "setNumberFormat":
            for c in sum(cells, []):
                c.number_format = a["args"][0]
        elif func == "addSheet":
            wb.create_sheet(a["args"][1], a["args"][0])
        elif func == "sheetDelete":
            wb.remove(ws)
        elif func in ("sheetClear", "sheetClearContents"):
            for row in ws.iter_rows():
                for c in row:
                    c.value = None
        elif func in ("alert", "runMacro", "activateSheet", "rangeSelect"):
            pass  # UI / VBA side effects: asserted on the action list itself
        else:
            raise NotImplementedError(f"replay of {func} not implemented in the test helper")
    wb.save(out)
    return Path(out)


class LiveServer:
    """``xl-report serve``'s app on 127.0.0.1:<free port> in a thread (real uvicorn, real HTTP)."""

    def __init__(self, token: str = "test-token-0123456789", **kwargs):
        import socket

        from xl_report.excel.server import create_app

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.token = token
        self.app = create_app(token, **kwargs)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/xl-report"

    def __enter__(self) -> LiveServer:
        import threading
        import time

        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        for _ in range(100):
            if self.server.started:
                break
            time.sleep(0.05)
        assert self.server.started, "uvicorn did not start"
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def press(
        self,
        button: str,
        payload: object,
        *,
        token: str | None = None,
        host: str | None = None,
        content: bytes | None = None,
        headers: dict | None = None,
    ):
        import httpx

        token = self.token if token is None else token
        hdrs = {"Authorization": f"Bearer {token}"} if token else {}  # "": no header at all
        hdrs.update(headers or {})
        params = {"host": host} if host else None
        if content is not None:
            return httpx.post(f"{self.url}/{button}", content=content, headers=hdrs, params=params, timeout=60)
        return httpx.post(f"{self.url}/{button}", json=payload, headers=hdrs, params=params, timeout=60)
