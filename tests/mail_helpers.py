"""Shared helpers for the mail tests: workbooks with unit/year, configs, parsing what the server got."""

from __future__ import annotations

import email
import email.policy
import io
import json
from email.header import decode_header, make_header
from pathlib import Path

from xl_report.core.config import load_config

UNITS = ["某某县甲镇人民政府", "某某县乙乡人民政府", "某某县丙街道办事处"]
TO = "县政务公开办 <xian@example.gov.cn>"
FROM = "某某镇政务公开办 <zhengwu@example.gov.cn>"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_name(unit: str, year: int = 2024) -> str:
    return f"{unit}{year}年政府信息公开工作年度报告（定稿）.xlsx"


def workbook_bytes(template: Path, unit: str, year: int = 2024, contact: str | None = None) -> bytes:
    from xl_report.core.report import ReportData
    from xl_report.xlsx.workbook import open_workbook, write_report

    wb = open_workbook(template)
    write_report(ReportData(unit=unit, year=year, contact=contact), wb, tables=())
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(v if not isinstance(v, Path) else str(v), ensure_ascii=False)


def write_config(directory: Path, smtp: dict | None = None, upward: dict | None = None) -> dict:
    lines = []
    for name, table in (("smtp", smtp), ("upward", upward)):
        if table is not None:
            lines.append(f"[{name}]")
            lines += [f"{k} = {toml_value(v)}" for k, v in table.items()]
    path = directory / "xl-report.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_config(path)


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def attachments(msg) -> list[tuple[str, str, bytes, str]]:
    """(RFC 2231 filename, RFC 2047 name= fallback, payload bytes, content type) of each attachment."""
    out = []
    for part in msg.iter_attachments():
        raw_name = part.get_param("name", header="content-type")
        name = str(make_header(decode_header(raw_name))) if raw_name else None
        out.append((part.get_filename(), name, part.get_content(), part.get_content_type()))
    return out


def log_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
