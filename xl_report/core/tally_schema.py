"""The staff tally sheets (台账): sheet names, headers and value kinds — the user-facing contract.

The template builder draws these sheets (headers, widths, dropdowns, date formats); the tally reader
validates against them. Category values come from :mod:`xl_report.core.form`, never spelled twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from xl_report.core import form

ColKind = Literal["text", "date", "choice", "int", "number", "yesno"]


@dataclass(frozen=True)
class Column:
    header: str
    kind: ColKind = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    width: float = 14
    personal: bool = False  # personal data: dropped from deliverables
    note: str = ""  # shown as the header cell's input message


@dataclass(frozen=True)
class TallySheet:
    name: str
    key: str
    columns: tuple[Column, ...]
    purpose: str

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    def column(self, header: str) -> Column:
        return next(c for c in self.columns if c.header == header)


APPLICANT_TYPES: tuple[str, ...] = tuple(form.T3_COLUMN_LABELS[k] for k in form.T3_APPLICANT_COLUMNS)
RESULT_CHOICES: tuple[str, ...] = tuple(form.RESULT_VALUES)
DOC_CATEGORIES: tuple[str, ...] = tuple(label for key, label in form.T2_BLOCKS[0].items)
DECISION_CATEGORIES: tuple[str, ...] = tuple(
    label for block in form.T2_BLOCKS[1:3] for _, label in block.items
)
CASE_CATEGORIES: tuple[str, ...] = tuple("-".join(labels) for _, labels in form.T4_GROUPS)
CASE_RESULTS: tuple[str, ...] = tuple(label for key, label in form.T4_OUTCOMES if key not in ("pending", "total"))
YES_NO: tuple[str, ...] = ("是", "否")

REQUESTS = TallySheet(
    "依申请公开台账",
    "requests",
    (
        Column("编号", "text", True, width=12, note="每件申请一个编号，不能重复"),
        Column("收到日期", "date", True, width=12, note="条例第三十一条规定的收到申请之日"),
        Column("申请人类型", "choice", True, APPLICANT_TYPES, width=14),
        Column("申请人", "text", width=12, personal=True, note="个人信息，只保留在台账中"),
        Column("申请内容", "text", width=30, personal=True),
        Column("补正告知日期", "date", width=12),
        Column("补正收到日期", "date", width=12, note="收到补正后的申请之日，答复期限重新起算"),
        Column("延期", "yesno", choices=YES_NO, width=8, note="经批准延长答复期限并告知申请人的填“是”"),
        Column("征求意见工作日", "int", width=10, note="征求第三方或其他机关意见所用工作日，不计入答复期限"),
        Column("办结日期", "date", width=12, note="尚未办结的请留空"),
        Column("办理结果", "choice", choices=RESULT_CHOICES, width=40, note="已办结的申请必须选择"),
    ),
    "每件政府信息公开申请填一行",
)
DOCUMENTS = TallySheet(
    "文件台账",
    "documents",
    (
        Column("文件名称", "text", True, width=36),
        Column("文号", "text", width=18),
        Column("类别", "choice", True, DOC_CATEGORIES, width=16),
        Column("印发日期", "date", True, width=12),
        Column("废止日期", "date", width=12, note="尚未废止的请留空"),
    ),
    "本单位制发的每件规章、行政规范性文件填一行（含往年制发、仍然有效的）",
)
DECISIONS = TallySheet(
    "执法决定台账",
    "decisions",
    (
        Column("类别", "choice", True, DECISION_CATEGORIES, width=12),
        Column("决定日期", "date", True, width=12),
        Column("文书编号", "text", width=24),
        Column("数量", "int", width=8, note="一批决定可合并填一行，留空按1件计"),
    ),
    "每个行政许可、行政处罚、行政强制决定（或一批决定）填一行",
)
FEES = TallySheet(
    "收费台账",
    "fees",
    (
        Column("收费项目", "text", True, width=30),
        Column("收费日期", "date", True, width=12),
        Column("金额（元）", "number", True, width=14, note="以“元”为单位填写，年报自动换算为万元"),
    ),
    "每笔行政事业性收费填一行，金额以元为单位",
)
CASES = TallySheet(
    "复议诉讼台账",
    "cases",
    (
        Column("案件编号", "text", True, width=20),
        Column("类别", "choice", True, CASE_CATEGORIES, width=26),
        Column("收到日期", "date", True, width=12),
        Column("结果", "choice", choices=CASE_RESULTS, width=12, note="尚未审结的请留空"),
        Column("结案日期", "date", width=12, note="尚未审结的请留空"),
    ),
    "每件政府信息公开行政复议、行政诉讼案件填一行",
)

TALLY_SHEETS: tuple[TallySheet, ...] = (REQUESTS, DOCUMENTS, DECISIONS, FEES, CASES)
TALLY_BY_NAME = {s.name: s for s in TALLY_SHEETS}
PERSONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    s.name: tuple(c.header for c in s.columns if c.personal) for s in TALLY_SHEETS
}
