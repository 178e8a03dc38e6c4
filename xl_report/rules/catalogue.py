"""The finding catalogue: every code the cross-check can emit, its severity and a short title.

Codes are stable (clerks, batch summaries and the Excel add-in refer to them). F/A/X/T/D follow the
published check list of the format (docs/format-notes.md §4); R codes are the tally (台账) rules of this toolkit.
docs/findings.md is generated from this table (``python -m xl_report.cli.docs``; a test keeps it current).
"""

from __future__ import annotations

from dataclasses import dataclass

from xl_report.core.findings import Severity


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    title: str  # Chinese, shown to the clerk
    title_en: str


RULES: tuple[Rule, ...] = (
    Rule(
        "F01",
        "error",
        "已发布年报缺少某一部分，或六个部分的顺序、标题不符合格式（用同义标题时为提示）",
        "published report: a section missing or out of order (a synonym title is a warning)",
    ),
    Rule("F02", "error", "缺少表二或表二的单元格", "table 2 or one of its named cells missing"),
    Rule("F03", "error", "缺少表三或表三的单元格", "table 3 or one of its named cells missing"),
    Rule("F04", "error", "缺少表四或表四的单元格", "table 4 or one of its named cells missing"),
    Rule("F05", "error", "数字格为空或填了“/”“-”“无”等，应填 0", "numeric cell blank or a dash/placeholder"),
    Rule(
        "F06",
        "error",
        "数字格不是非负整数（收费金额可为小数），或格内写了文字说明",
        "not a non-negative integer (fee may be decimal), or text in a numeric cell",
    ),
    Rule("F07", "warning", "正文中的年份与报告年度不一致", "year in the text differs from the report year"),
    Rule(
        "F11", "warning", "没有规章制定权的单位，规章一行不为 0", "规章 non-zero for a unit without rule-making power"
    ),
    Rule("F12", "error", "单位名称或报告年度未填写", "unit name or report year missing"),
    Rule("F13", "warning", "单位类型未填写或无法识别", "unit level missing or unknown"),
    Rule(
        "F14",
        "error",
        "已发布年报的文本在表格中断（如网页摘录不全），其后的单元格未导入",
        "published report text stops inside a table (an excerpt): the cells after it are not imported",
    ),
    Rule(
        "F15",
        "warning",
        "已发布年报的表格数字连写在一起，按合计和勾稽关系只有一种拆分，已按此导入",
        "cells run together in a published table, split the only way its totals allow",
    ),
    Rule(
        "F16",
        "error",
        "已发布年报的表格数字连写在一起，无法唯一拆分，未导入",
        "cells run together in a published table with no unique split: not imported",
    ),
    Rule(
        "F17",
        "warning",
        "已发布年报引用已废止的年报格式通知（国办公开办函〔2019〕60号）",
        "published report cites the superseded 2019 format notice",
    ),
    Rule(
        "F18",
        "warning",
        "已发布年报的表格行没有行名，按规定行序放入（恰好填满两个已识别行之间的空缺）",
        "label-less rows of a published table placed by the official order (they exactly fill a gap)",
    ),
    Rule(
        "A01",
        "error",
        "表三 勾稽关系：第一项加第二项之和等于第三项加第四项之和",
        "table 3: new + carried in = total + carried out",
    ),
    Rule("A02", "error", "表三 总计列等于六类申请人之和", "table 3: total column = sum of six applicant columns"),
    Rule("A03", "error", "表三 （七）总计等于各项办理结果之和", "table 3: (7) total = sum of the 21 result rows"),
    Rule(
        "A04",
        "error",
        "表四 总计等于结果维持、结果纠正、其他结果、尚未审结之和",
        "table 4: total = sum of four outcomes",
    ),
    Rule(
        "A05", "warning", "行政事业性收费金额像是按“元”填写的（应为万元）", "fee amount looks like 元 entered as 万元"
    ),
    Rule("X01", "error", "上年结转与上一年度报告的结转下年度不一致", "carried in ≠ last year's carried out"),
    Rule("X02", "warning", "现行有效件数与上年现行有效件数加制发减废止不一致", "in-force stock identity broken"),
    Rule("X03", "warning", "所有数字与上一年度完全相同", "every number identical to last year"),
    Rule("X04", "warning", "所给上一年度报告的年度不是上一年", "previous report is not of the year before"),
    Rule("T01", "warning", "正文中的数字与表格不一致", "number in the text differs from the tables"),
    Rule(
        "T02", "error", "正文称未收到申请或未发生复议诉讼，但表格不为 0", "text says none while the table is non-zero"
    ),
    Rule(
        "T03", "warning", "正文称全部办结，但有结转下年度的申请", "text says all concluded while some are carried over"
    ),
    Rule("D01", "error", "年报发布日期晚于法定期限", "report published after the legal deadline"),
    Rule("D02", "warning", "已发布年报未注明发布日期，无法核对是否按期发布", "published report not dated"),
    Rule("R01", "warning", "答复超过法定期限", "reply later than the legal deadline"),
    Rule("R02", "warning", "补正告知超过 7 个工作日", "request for correction later than 7 working days"),
    Rule("R03", "warning", "年底仍未办结且已超过答复期限", "still open at 31 Dec and past the deadline"),
    Rule("R04", "error", "台账编号重复", "duplicate request number in the tally"),
    Rule(
        "R05",
        "warning",
        "该年度的节假日安排未知，期限未能核对",
        "holiday schedule of a year unknown: deadlines not checked",
    ),
    Rule("R06", "error", "台账数据有错误", "tally row error"),
    Rule(
        "R07",
        "error",
        "表中数字与台账算出的不一致（填报后台账或表格有改动）",
        "a table cell differs from what the tally gives (tally or table changed after fill)",
    ),
    Rule(
        "R08",
        "error",
        "表格未填报：台账中有记录，但由台账计算的格子全为空或 0",
        "table never filled: blank/zero while the tally has records",
    ),
    Rule("R09", "warning", "填报后台账有改动（与填报时的台账不同）", "tally changed since the tables were filled"),
    Rule(
        "R10",
        "error",
        "台账中的写法不能确定对应哪一项，需要在下拉列表中选择（未计数）",
        "a ledger text the rules cannot read with certainty: the clerk chooses (never counted)",
    ),
)
RULE_BY_CODE: dict[str, Rule] = {r.code: r for r in RULES}
