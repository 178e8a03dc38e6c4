"""The Excel buttons end to end on Linux: the exact VBA payload of a real workbook, POSTed over real
HTTP to ``xl-report serve``, the returned actions replayed as Remote.bas would, compared with what
the CLI (the file-based library) produces for the same input."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xl_report.core import form
from xl_report.excel.writeback import excel_literal, rectangles
from xl_report.stages.check import check_workbook
from xl_report.stages.fill import fill_workbook
from xl_report.xlsx.fileio import save_workbook
from xl_report.xlsx.findings_sheet import write_findings_sheet
from xl_report.xlsx.workbook import read_report_file, resolve_names

from .tally_factory import case, decision, document, fee, make_tally_workbook, request
from .xlwings_payload import VBA_ACTIONS, LiveServer, apply_actions, payload_from_xlsx

YEAR = 2023


@pytest.fixture(scope="module")
def server():
    with LiveServer() as s:
        yield s


@pytest.fixture(scope="module")
def tally_book(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("excel")
    return make_tally_workbook(
        d / "某镇年报.xlsx",
        unit="某镇人民政府",
        year=YEAR,
        values={"meta_level": "乡镇人民政府"},
        requests=[
            request(1, date(2023, 3, 5), done=date(2023, 3, 20), result="予以公开", 申请内容="=1+1"),
            request(2, date(2023, 6, 1), kind="商业企业", done=date(2023, 6, 10), result="不予公开-保护第三方合法权益"),
            request(3, date(2023, 12, 25), kind="科研机构"),
        ],
        documents=[document("某某管理办法", "行政规范性文件", date(2023, 2, 1), number="001")],
        decisions=[decision("行政处罚", date(2023, 4, 2), count=3), decision("行政许可", date(2023, 5, 2))],
        fees=[fee("工本费", date(2023, 5, 1), 1234.5)],
        cases=[case("复2023-1", "行政复议", date(2023, 7, 1), "结果维持", date(2023, 8, 1))],
    )


def _press(server, button: str, src: Path, out: Path, host: str = "xl_report.xlam") -> list[dict]:
    r = server.press(button, payload_from_xlsx(src), host=host)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    actions = r.json()["actions"]
    assert {a["func"] for a in actions} <= VBA_ACTIONS
    apply_actions(src, actions, out)
    return actions


def _named_values(path: Path) -> dict:
    return read_report_file(path).values


def _rgb(cell) -> str | None:
    return cell.fill.fgColor.rgb[-6:].upper() if cell.fill is not None and cell.fill.fill_type == "solid" else None


@pytest.fixture(scope="module")
def filled(server, tally_book, tmp_path_factory) -> tuple[Path, Path, list[dict]]:
    d = tmp_path_factory.mktemp("filled")
    live = d / "live.xlsx"
    actions = _press(server, "fill", tally_book, live)
    cli = fill_workbook(tally_book, d / "cli.xlsx", year=None).output
    return live, Path(cli), actions


@pytest.mark.slow
def test_fill_over_http_equals_cli(filled, tally_book):
    live, cli, actions = filled
    ours, theirs = _named_values(live), _named_values(cli)
    assert ours == theirs
    assert ours[form.t3("new", "total")] == 3 and ours["t2_penalty_decisions"] == 3
    # a handful of grouped writes, then one message
    assert actions[-1]["func"] == "alert" and actions[-1]["args"][3] == "info"
    assert "填写" in actions[-1]["args"][0]
    assert "万元" in actions[-1]["args"][0] and "本年新收申请 3 件" in actions[-1]["args"][0]  # as the CLI says it
    assert sum(a["func"] == "setValues" for a in actions) < 30
    # the fill record reaches the live book through the VBA property setter (table ≡ tally, issue 13)
    props = {
        a["args"][1]: a["args"][3]
        for a in actions
        if a["func"] == "runMacro" and a["args"][0].endswith("!XlReport_SetProp")
    }
    assert set(props) == {"xl_report_filled_at", "xl_report_tally_digest"}
    assert len(props["xl_report_tally_digest"]) == 64
    # the tally the clerk typed is not rewritten
    wb = load_workbook(live)
    assert wb["依申请公开台账"]["E2"].value == "=1+1" and wb["依申请公开台账"]["E2"].data_type == "s"


@pytest.mark.slow
def test_fill_over_http_reads_a_variant_sheet_name(server, filled, tally_book, tmp_path):
    """'依申请公开台帐' (the older spelling) is the 依申请公开台账 for the button and the server too (issue 16)."""
    src = tmp_path / "台帐.xlsx"
    wb = load_workbook(tally_book)
    wb["依申请公开台账"].title = "依申请公开台帐"
    wb.save(src)
    actions = _press(server, "fill", src, tmp_path / "live.xlsx")
    assert _named_values(tmp_path / "live.xlsx") == _named_values(filled[0])
    assert "台账识别：工作表“依申请公开台帐”读作“依申请公开台账”" in actions[-1]["args"][0]


@pytest.mark.slow
def test_check_over_http_equals_cli(server, tally_book, tmp_path):
    # hand-typed tables that break A01 in 表三 自然人列
    src = make_tally_workbook(
        tmp_path / "手填.xlsx",
        unit="某镇人民政府",
        year=YEAR,
        values={"meta_level": "乡镇人民政府", "t3_new_person": 3},
    )
    live = tmp_path / "live.xlsx"
    actions = _press(server, "check", src, live)
    findings = check_workbook(src)
    assert any(f.is_error for f in findings)
    wb = load_workbook(src)
    write_findings_sheet(wb, findings)
    cli = tmp_path / "cli.xlsx"
    save_workbook(wb, cli)
    _same_findings_and_highlights(live, cli)
    assert actions[-1]["func"] == "alert" and "错误" in actions[-1]["args"][0]
    assert any(a["func"] == "activateSheet" for a in actions)

    # fix the book and check again: the old sheet is rewritten and the old highlights go away
    wb = load_workbook(live)
    sheet, coord = resolve_names(wb)[form.t3("carried_out", "person")]
    wb[sheet][coord] = 3
    fixed = tmp_path / "fixed.xlsx"
    wb.save(fixed)
    again = tmp_path / "again.xlsx"
    _press(server, "check", fixed, again)
    findings2 = check_workbook(fixed)
    assert not any(f.code == "A01" for f in findings2)
    wb2 = load_workbook(fixed)
    write_findings_sheet(wb2, findings2)
    cli2 = tmp_path / "cli2.xlsx"
    save_workbook(wb2, cli2)
    _same_findings_and_highlights(again, cli2)


def test_check_and_freeze_buttons_refuse_a_table_never_filled(server, tally_book, tmp_path):
    """The tally has rows, the tables were never filled: 校验 says so (R08, as the CLI), 定稿 refuses."""
    live = tmp_path / "live.xlsx"
    actions = _press(server, "check", tally_book, live)
    assert {f.code for f in check_workbook(tally_book) if f.is_error} >= {"R08"}
    rows = [[c.value for c in r] for r in load_workbook(live)[form.SHEET_FINDINGS].iter_rows()]
    assert any("R08" in row for row in rows)
    assert actions[-1]["func"] == "alert" and "错误" in actions[-1]["args"][0]
    r = server.press("freeze", payload_from_xlsx(tally_book), host="xl_report.xlam")
    alert = r.json()["actions"][-1]
    assert alert["func"] == "alert" and "不能定稿" in alert["args"][0] and "R08" in alert["args"][0]
    assert not any(a["func"] == "runMacro" for a in r.json()["actions"])


def _same_findings_and_highlights(live: Path, cli: Path) -> None:
    a, b = load_workbook(live), load_workbook(cli)
    rows = lambda ws: [[c.value for c in r] for r in ws.iter_rows()]  # noqa: E731
    assert rows(a[form.SHEET_FINDINGS]) == rows(b[form.SHEET_FINDINGS])
    names = resolve_names(b)
    for name in form.CELL_NAMES:
        sheet, coord = names[name]
        assert _rgb(a[sheet][coord]) == _rgb(b[sheet][coord]), name


@pytest.mark.slow
def test_freeze_over_http_equals_cli(server, filled, tmp_path):
    from xl_report.stages.freeze import freeze_file

    live_filled, _, _ = filled
    live = tmp_path / "frozen-live.xlsx"
    actions = _press(server, "freeze", live_filled, live, host="book")
    cli = freeze_file(live_filled, tmp_path / "frozen-cli.xlsx", keep_personal=True)
    assert _named_values(live) == _named_values(cli.output)
    values = read_report_file(live)
    names = resolve_names(load_workbook(live))
    sheet, coord = names["meta_fingerprint"]
    shown = load_workbook(live)[sheet][coord].value
    macros = [a["args"] for a in actions if a["func"] == "runMacro"]
    # document properties as the CLI stores them, then protection; all qualified with the host book
    props = {args[1]: args[3] for args in macros if args[0].endswith("!XlReport_SetProp")}
    cli_props = {p.name: p.value for p in load_workbook(cli.output).custom_doc_props}
    assert set(props) == set(cli_props)
    assert props["xl_report_fingerprint"] == shown
    assert macros[-1] == [f"'{live_filled.name}'!XlReport_Protect", ""]
    assert all(args[0].startswith(f"'{live_filled.name}'!") for args in macros)
    assert values.unit == "某镇人民政府"

    # a frozen book refuses the other buttons with a message and nothing else
    for button in ("fill", "freeze"):
        r = server.press(button, payload_from_xlsx(live))
        acts = r.json()["actions"]
        assert [a["func"] for a in acts] == ["alert"] and "已经定稿" in acts[0]["args"][0]


@pytest.mark.slow
def test_send_over_http_writes_outbox(server, filled, tmp_path, monkeypatch):
    live_filled, _, _ = filled
    frozen = tmp_path / "frozen.xlsx"
    _press(server, "freeze", live_filled, frozen)
    outbox = tmp_path / "outbox"
    cfg = tmp_path / "xl-report.toml"
    cfg.write_text(
        f'[upward]\nto = ["shangji@example.gov.cn"]\noutbox = "{outbox.as_posix()}"\n'
        f'sent_log = "{(tmp_path / "sent.json").as_posix()}"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("XL_REPORT_CONFIG", str(cfg))
    r = server.press("send", payload_from_xlsx(frozen))
    acts = r.json()["actions"]
    assert [a["func"] for a in acts] == ["alert"], acts
    assert acts[0]["args"][3] == "info", acts[0]["args"][0]
    emls = list(outbox.glob("*.eml"))
    assert len(emls) == 1
    # not frozen yet: refused
    r = server.press("send", payload_from_xlsx(live_filled))
    assert "请先点击“定稿”" in r.json()["actions"][0]["args"][0]


@pytest.mark.slow
def test_user_errors_leave_the_book_untouched(server, tmp_path):
    bad = make_tally_workbook(
        tmp_path / "坏台账.xlsx", year=YEAR, requests=[request(1, date(2023, 3, 5), kind="外星人")]
    )
    for button in ("fill",):
        acts = server.press(button, payload_from_xlsx(bad)).json()["actions"]
        assert [a["func"] for a in acts] == ["alert"]
        assert acts[0]["args"][3] == "critical" and "申请人类型" in acts[0]["args"][0]
    # errors in the tables: freeze refused, nothing written
    src = make_tally_workbook(tmp_path / "手填.xlsx", unit="某镇人民政府", year=YEAR, values={"t3_new_person": 3})
    acts = server.press("freeze", payload_from_xlsx(src)).json()["actions"]
    assert [a["func"] for a in acts] == ["alert"] and "不能定稿" in acts[0]["args"][0]
    # not our workbook at all
    from openpyxl import Workbook

    other = tmp_path / "别的.xlsx"
    wb = Workbook()
    wb.active["A1"] = "随便"
    wb.save(other)
    acts = server.press("check", payload_from_xlsx(other)).json()["actions"]
    assert [a["func"] for a in acts] == ["alert"] and "不是年报填报工作簿" in acts[0]["args"][0]


def test_text_that_excel_would_parse_keeps_an_apostrophe():
    for text in ("=1+1", "+86", "-3", "@x", "001", "2024-01-01", "1,000", "TRUE", "'x"):
        assert excel_literal(text) == "'" + text
    for text in ("某镇人民政府", "A01 表三", "第1行"):
        assert excel_literal(text) == text


def test_rectangles_group_runs():
    cells = {(r, c): True for r in (5, 6, 7) for c in (2, 3, 4)} | {(9, 2): True, (5, 8): True}
    rects = [rect for rect, _ in rectangles(cells)]
    assert rects == [(5, 2, 7, 4), (5, 8, 5, 8), (9, 2, 9, 2)]


def test_entry_points_call_book_caller(monkeypatch):
    """RunPython's entry points: xw.Book.caller() (Windows/macOS only) feeds the same run()."""
    import xlwings as xw

    import xl_report.excel as x

    seen = []
    monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: "BOOK"))
    monkeypatch.setattr(x, "run", lambda book, button, host=None: seen.append((book, button, host)))
    x.fill(host="book"), x.check(), x.freeze(), x.send()
    assert seen == [("BOOK", "fill", "book"), ("BOOK", "check", None), ("BOOK", "freeze", None), ("BOOK", "send", None)]


def _alert(server, button: str, payload: dict) -> str:
    acts = server.press(button, payload).json()["actions"]
    assert [a["func"] for a in acts] == ["alert"], acts
    return acts[0]["args"][0]


def test_renamed_table_sheet_is_named_as_renamed(server, tally_book):
    # found in acceptance: a clerk renaming 表三 to 表3 was told rows/columns had been inserted
    payload = payload_from_xlsx(tally_book)
    for sheet in payload["sheets"]:
        if sheet["name"] == "表三":
            sheet["name"] = "表3"
    message = _alert(server, "fill", payload)
    assert "“表3”" in message and "表三" in message and "改名" in message
    assert "插入或删除" not in message


@pytest.mark.slow
def test_freeze_refusal_in_excel_gives_no_command_line_advice(server, tmp_path):
    # found in acceptance: the 定稿 message box told the clerk to add --force --reason
    src = make_tally_workbook(tmp_path / "手填.xlsx", unit="某镇人民政府", year=YEAR, values={"t3_new_person": 3})
    message = _alert(server, "freeze", payload_from_xlsx(src))
    assert "不能定稿" in message and "A01" in message and "校验" in message
    assert "--" not in message


@pytest.mark.slow
def test_send_leaves_the_config_sheet_and_its_token_out_of_the_mail(server, filled, tmp_path, monkeypatch):
    # found in acceptance: docs/excel-buttons.md allows an xl_report.conf sheet holding AUTH "Bearer <token>";
    # 上报 mailed it upward inside the deliverable
    import email
    import email.policy
    import io

    live_filled, _, _ = filled
    frozen = tmp_path / "frozen.xlsx"
    _press(server, "freeze", live_filled, frozen)
    payload = payload_from_xlsx(frozen)
    secret = "Bearer county-secret-token-123"
    payload["sheets"].append(
        {
            "name": "xl_report.conf",
            "pictures": [],
            "tables": [],
            "values": [["SERVER_URL", "http://10.1.2.3:8000"], ["AUTH", secret]],
        }
    )
    outbox = tmp_path / "outbox"
    cfg = tmp_path / "xl-report.toml"
    cfg.write_text(f'[upward]\nto = ["shangji@example.gov.cn"]\noutbox = "{outbox.as_posix()}"\n', encoding="utf-8")
    monkeypatch.setenv("XL_REPORT_CONFIG", str(cfg))
    assert "上报完成" in _alert(server, "send", payload)
    [eml] = outbox.glob("*.eml")
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    [part] = msg.iter_attachments()
    sent = load_workbook(io.BytesIO(part.get_content()))
    assert "xl_report.conf" not in sent.sheetnames and "表三" in sent.sheetnames
    assert not any(secret in str(c.value) for ws in sent.worksheets for row in ws.iter_rows() for c in row)


def test_no_response_of_the_four_buttons_carries_the_freeze_password(server, filled, tally_book, tmp_path, monkeypatch):
    from openpyxl.utils.protection import hash_password

    secret = "County-Freeze-Pass-2024"
    monkeypatch.setenv("XL_REPORT_FREEZE_PASSWORD", secret)
    outbox = tmp_path / "outbox"
    cfg = tmp_path / "xl-report.toml"
    cfg.write_text(
        f'[upward]\nto = ["shangji@example.gov.cn"]\noutbox = "{outbox.as_posix()}"\n'
        f'sent_log = "{(tmp_path / "sent.jsonl").as_posix()}"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("XL_REPORT_CONFIG", str(cfg))
    live_filled, _, _ = filled
    bodies, protect = [], []
    for button, book in (
        ("fill", tally_book),
        ("check", live_filled),
        ("freeze", live_filled),
        ("freeze", live_filled),
    ):
        r = server.press(button, payload_from_xlsx(book))
        assert r.status_code == 200
        bodies.append(r.text)
        protect += [
            a["args"][1]
            for a in r.json()["actions"]
            if a["func"] == "runMacro" and a["args"][0].endswith("!XlReport_Protect")
        ]
    frozen = tmp_path / "frozen.xlsx"
    apply_actions(live_filled, server.press("freeze", payload_from_xlsx(live_filled)).json()["actions"], frozen)
    r = server.press("send", payload_from_xlsx(frozen))
    bodies.append(r.text)
    assert "上报完成" in r.json()["actions"][0]["args"][0]
    for body in bodies:
        assert secret not in body and hash_password(secret) not in body
    # the live book is protected with a one-time password: random, one per freeze
    assert len(protect) == 2 and protect[0] != protect[1] and all(len(p) >= 16 for p in protect)
    # the mailed deliverable is protected server-side with the county's password, and verifies
    from xl_report.stages.freeze import verify_file

    [eml] = outbox.glob("*.eml")
    import email
    import email.policy

    part = next(email.message_from_bytes(eml.read_bytes(), policy=email.policy.default).iter_attachments())
    sent = tmp_path / "sent.xlsx"
    sent.write_bytes(part.get_content())
    assert verify_file(sent).ok
    assert load_workbook(sent)["表三"].protection.password == hash_password(secret)


def test_send_refuses_a_book_changed_after_freeze_and_takes_one_frozen_before_v2(server, filled, tmp_path, monkeypatch):
    from xl_report.core.fingerprint import fingerprint

    live_filled, _, _ = filled
    frozen = tmp_path / "frozen.xlsx"
    _press(server, "freeze", live_filled, frozen)
    cfg = tmp_path / "xl-report.toml"
    cfg.write_text(
        f'[upward]\nto = ["shangji@example.gov.cn"]\noutbox = "{(tmp_path / "outbox").as_posix()}"\n'
        f'sent_log = "{(tmp_path / "sent.jsonl").as_posix()}"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("XL_REPORT_CONFIG", str(cfg))
    wb = load_workbook(frozen)
    names = resolve_names(wb)
    sheet, coord = names["t3_new_person"]
    wb[sheet][coord] = wb[sheet][coord].value + 1  # typed over after freezing (protection lifted)
    changed = tmp_path / "changed.xlsx"
    wb.save(changed)
    assert "被改动" in _alert(server, "send", payload_from_xlsx(changed))  # the check fails now
    wb = load_workbook(frozen)
    sheet, coord = names["meta_contact"]
    wb[sheet][coord] = "0476-0000000"  # still consistent, but not what was frozen
    wb.save(changed)
    assert "指纹不一致" in _alert(server, "send", payload_from_xlsx(changed))
    # a book frozen by the button before v2 shows the older fingerprint (the report's values)
    wb = load_workbook(frozen)
    sheet, coord = names["meta_fingerprint"]
    wb[sheet][coord] = fingerprint(read_report_file(frozen))
    old = tmp_path / "old.xlsx"
    wb.save(old)
    assert "上报完成" in _alert(server, "send", payload_from_xlsx(old))
