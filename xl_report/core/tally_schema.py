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
    # other headers offices use for this column in their own ledgers (台账), most telling first:
    # when a ledger has two of them, the first listed is read and the other is reported as ignored
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class TallySheet:
    name: str
    key: str
    columns: tuple[Column, ...]
    purpose: str
    aliases: tuple[str, ...] = ()  # other names offices give this sheet (台帐 is matched anyway)

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    def column(self, header: str) -> Column:
        return next(c for c in self.columns if c.header == header)


APPLICANT_TYPES: tuple[str, ...] = tuple(form.T3_COLUMN_LABELS[k] for k in form.T3_APPLICANT_COLUMNS)
RESULT_CHOICES: tuple[str, ...] = tuple(form.RESULT_VALUES)
DOC_CATEGORIES: tuple[str, ...] = tuple(label for key, label in form.T2_BLOCKS[0].items)
DECISION_CATEGORIES: tuple[str, ...] = tuple(label for block in form.T2_BLOCKS[1:3] for _, label in block.items)
CASE_CATEGORIES: tuple[str, ...] = tuple("-".join(labels) for _, labels in form.T4_GROUPS)
CASE_RESULTS: tuple[str, ...] = tuple(label for key, label in form.T4_OUTCOMES if key not in ("pending", "total"))
YES_NO: tuple[str, ...] = ("是", "否")

REQUESTS = TallySheet(
    "依申请公开台账",
    "requests",
    (
        Column(
            "编号",
            "text",
            True,
            width=12,
            note="每件申请一个编号，不能重复",
            aliases=("申请编号", "登记编号", "受理编号", "流水号", "申请号", "收件编号"),
        ),
        Column(
            "收到日期",
            "date",
            True,
            width=12,
            note="条例第三十一条规定的收到申请之日",
            aliases=(
                "收到申请日期",
                "收到申请时间",
                "收到时间",
                "受理日期",
                "受理时间",
                "登记日期",
                "收件日期",
                "申请日期",
                "申请时间",
            ),
        ),
        Column(
            "申请人类型",
            "choice",
            True,
            APPLICANT_TYPES,
            width=14,
            aliases=("申请人类别", "申请人性质", "申请人身份", "申请主体类型", "主体类型", "申请人分类"),
        ),
        Column(
            "申请人",
            "text",
            width=12,
            personal=True,
            note="个人信息，只保留在台账中",
            aliases=("申请人姓名", "申请人名称", "申请人姓名名称", "姓名名称", "申请人姓名或名称", "姓名"),
        ),
        Column(
            "申请内容",
            "text",
            width=30,
            personal=True,
            aliases=(
                "申请公开内容",
                "申请公开的内容",
                "申请事项",
                "申请信息内容",
                "所需信息内容描述",
                "所需政府信息内容",
                "内容",
            ),
        ),
        Column("补正告知日期", "date", width=12, aliases=("告知补正日期", "补正通知日期", "通知补正日期")),
        Column(
            "补正收到日期",
            "date",
            width=12,
            note="收到补正后的申请之日，答复期限重新起算",
            aliases=("收到补正日期", "补正日期", "补正材料收到日期"),
        ),
        Column(
            "延期",
            "yesno",
            choices=YES_NO,
            width=8,
            note="经批准延长答复期限并告知申请人的填“是”",
            aliases=("是否延期", "延期答复", "是否延期答复", "延长答复期限"),
        ),
        Column(
            "征求意见工作日",
            "int",
            width=10,
            note="征求第三方或其他机关意见所用工作日，不计入答复期限",
            aliases=("征求意见用时", "征求意见天数", "征求第三方意见工作日"),
        ),
        Column(
            "办结日期",
            "date",
            width=12,
            note="尚未办结的请留空",
            aliases=("答复日期", "答复时间", "办结时间", "告知日期", "出具答复日期", "答复告知日期"),
        ),
        Column(
            "办理结果",
            "choice",
            choices=RESULT_CHOICES,
            width=40,
            note="已办结的申请必须选择",
            aliases=("答复结果", "答复情况", "办理情况", "处理结果", "答复类型", "答复意见", "办理结果及依据"),
        ),
    ),
    "每件政府信息公开申请填一行",
    (
        "依申请公开登记台账",
        "政府信息公开申请登记台账",
        "政府信息公开申请台账",
        "依申请公开登记表",
        "依申请公开申请登记表",
        "政府信息公开申请登记表",
        "申请登记台账",
        "依申请公开",
    ),
)
DOCUMENTS = TallySheet(
    "文件台账",
    "documents",
    (
        Column("文件名称", "text", True, width=36, aliases=("文件标题", "文件名", "标题", "名称")),
        Column("文号", "text", width=18, aliases=("发文字号", "发文号", "文件编号", "文件字号")),
        Column("类别", "choice", True, DOC_CATEGORIES, width=16, aliases=("文件类别", "文件类型", "文件种类", "类型")),
        Column(
            "印发日期", "date", True, width=12, aliases=("发布日期", "成文日期", "发文日期", "印发时间", "发布时间")
        ),
        Column("废止日期", "date", width=12, note="尚未废止的请留空", aliases=("失效日期", "废止时间", "宣布失效日期")),
    ),
    "本单位制发的每件规章、行政规范性文件填一行（含往年制发、仍然有效的）",
    ("规范性文件台账", "行政规范性文件台账", "规范性文件目录", "规范性文件清单", "文件目录", "制发文件台账"),
)
DECISIONS = TallySheet(
    "执法决定台账",
    "decisions",
    (
        Column(
            "类别",
            "choice",
            True,
            DECISION_CATEGORIES,
            width=12,
            aliases=("类型", "决定类型", "决定类别", "执法类型", "执法类别", "行为类别", "执法行为类别", "案件类型"),
        ),
        Column(
            "决定日期",
            "date",
            True,
            width=12,
            aliases=("作出决定日期", "决定作出日期", "处理决定日期", "决定时间", "作出日期", "日期"),
        ),
        Column("文书编号", "text", width=24, aliases=("决定书编号", "决定书文号", "文书号", "文号")),
        Column(
            "数量", "int", width=8, note="一批决定可合并填一行，留空按1件计", aliases=("件数", "决定数量", "决定件数")
        ),
    ),
    "每个行政许可、行政处罚、行政强制决定（或一批决定）填一行",
    (
        "行政执法决定台账",
        "执法决定登记表",
        "行政执法决定登记表",
        "执法决定登记",
        "行政执法决定",
        "执法决定",
        "执法台账",
    ),
)
FEES = TallySheet(
    "收费台账",
    "fees",
    (
        Column("收费项目", "text", True, width=30, aliases=("项目名称", "收费名称", "收费项目名称", "项目")),
        Column("收费日期", "date", True, width=12, aliases=("缴费日期", "收款日期", "收费时间", "日期")),
        Column(
            "金额（元）",
            "number",
            True,
            width=14,
            note="以“元”为单位填写，年报自动换算为万元",
            aliases=("收费金额（元）", "实收金额（元）", "金额", "收费金额", "实收金额"),
        ),
    ),
    "每笔行政事业性收费填一行，金额以元为单位",
    ("行政事业性收费台账", "收费明细", "收费明细表", "收费登记表", "收费登记", "收费清单"),
)
CASES = TallySheet(
    "复议诉讼台账",
    "cases",
    (
        Column("案件编号", "text", True, width=20, aliases=("案号", "编号", "案件号")),
        Column("类别", "choice", True, CASE_CATEGORIES, width=26, aliases=("案件类别", "案件类型", "类型")),
        Column("收到日期", "date", True, width=12, aliases=("收案日期", "立案日期", "受理日期", "收到时间")),
        Column(
            "结果",
            "choice",
            choices=CASE_RESULTS,
            width=12,
            note="尚未审结的请留空",
            aliases=("审理结果", "结案结果", "复议结果", "判决结果", "裁判结果"),
        ),
        Column("结案日期", "date", width=12, note="尚未审结的请留空", aliases=("审结日期", "结案时间", "审结时间")),
    ),
    "每件政府信息公开行政复议、行政诉讼案件填一行",
    ("行政复议诉讼台账", "复议诉讼案件台账", "行政复议行政诉讼台账", "复议诉讼登记表", "复议诉讼"),
)

TALLY_SHEETS: tuple[TallySheet, ...] = (REQUESTS, DOCUMENTS, DECISIONS, FEES, CASES)
TALLY_BY_NAME = {s.name: s for s in TALLY_SHEETS}
PERSONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    s.name: tuple(c.header for c in s.columns if c.personal) for s in TALLY_SHEETS
}
