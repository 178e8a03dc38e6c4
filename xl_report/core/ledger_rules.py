"""Free-text rules: what an office's own ledger (台账) writes in words → the official category. Data, not code.

Each rule names an official category by its key in :mod:`xl_report.core.form` (never a second spelling of a
label) and the words that show it. A text is matched on its folded key (:func:`normalise.key`), so spaces,
brackets and punctuation do not matter. How the rules combine (:mod:`xl_report.core.ledger`):

- a keyword preceded by a negation (不/未/非/不涉及/不属于…) does not count: 不涉及国家秘密 is no 国家秘密;
- a rule with ``beats`` wins over those categories when both fire (部分公开 over 予以公开 and every
  不予公开/无法提供 reason: "区分处理的，只计这一情形");
- a *group* rule (不予公开 without a reason) only names the group: when no item rule fires, the clerk must
  choose the item;
- anything else that fires two categories, or none, is never guessed: it is listed for the clerk.
"""

from __future__ import annotations

from dataclasses import dataclass

from xl_report.core import form
from xl_report.core.tally_schema import (
    CASE_RESULTS,
    CASES,
    DECISION_CATEGORIES,
    DECISIONS,
    DOC_CATEGORIES,
    DOCUMENTS,
    REQUESTS,
)


@dataclass(frozen=True)
class Rule:
    category: str  # the official value (a choice of the tally column)
    keywords: tuple[str, ...]  # any of them in the text fires the rule
    beats: tuple[str, ...] = ()  # categories this rule wins over when both fire
    group: tuple[str, ...] = ()  # a group rule: the categories the clerk chooses among (category = group name)


NEGATIONS: tuple[str, ...] = ("不涉及", "未涉及", "不属于", "不含", "并非", "不是", "不", "未", "非", "无需")

_RESULT = {row.key: row.result for row in form.T3_RESULT_ROWS if row.result}
_ALL_RESULTS = tuple(_RESULT.values())


def _result(key: str, *keywords: str, beats: tuple[str, ...] = ()) -> Rule:
    return Rule(_RESULT[key], keywords, beats)


def _group(key: str, *keywords: str) -> Rule:
    g = next(g for g in form.T3_RESULT_GROUPS if g.key == key)
    return Rule(g.short, keywords, group=tuple(v for k, v in _RESULT.items() if k.startswith(f"{key}_")))


# 办理结果 → the 21 results of 表三 (form-2021.md §2.7 for the readings)
RESULT_RULES: tuple[Rule, ...] = (
    _result(
        "partial",
        "部分公开",
        "部分予以公开",
        "区分处理",
        "部分提供",
        beats=tuple(v for v in _ALL_RESULTS if v.startswith(("予以公开", "不予公开", "无法提供"))),
    ),
    _result("open", "予以公开", "同意公开", "全部公开", "公开并提供", "已主动公开", "告知获取方式", "告知获取途径"),
    _result("deny_1", "国家秘密", "涉密"),
    _result("deny_2", "法律行政法规禁止", "法律法规禁止"),
    _result("deny_3", "三安全一稳定", "国家安全", "公共安全", "经济安全", "社会稳定"),
    _result("deny_4", "第三方", "商业秘密", "个人隐私"),
    _result("deny_5", "内部事务", "人事管理", "后勤管理", "内部工作流程"),
    _result("deny_6", "过程性", "讨论记录", "请示报告"),
    _result("deny_7", "执法案卷"),
    _result("deny_8", "行政查询", "查询事项"),
    _result("unable_1", "不存在", "不掌握", "未制作", "未获取", "无此信息", "非本机关", "不属于本机关"),
    _result("unable_2", "另行制作", "加工", "汇总", "没有现成"),
    _result("unable_3", "仍不明确", "仍然不明确"),
    _result("reject_1", "信访", "投诉", "举报"),
    _result("reject_2", "重复申请", "重复提出"),
    _result("reject_3", "出版物"),
    _result("reject_4", "大量反复", "反复申请"),
    _result("reject_5", "重新出具", "确认或重新出具", "要求确认"),
    _result("other_1", "逾期不补正", "逾期未补正", "未补正", "不补正"),
    _result("other_2", "未缴纳", "未缴费", "逾期不缴纳", "未按收费通知"),
    _result("other_3", "撤回", "撤销申请"),
    _group("deny", "不予公开", "不予以公开", "不公开"),
    _group("unable", "无法提供"),
    _group("reject", "不予处理"),
    _group("other", "其他处理"),
)

_APPLICANT = {k: form.T3_COLUMN_LABELS[k] for k in form.T3_APPLICANT_COLUMNS}

# 申请人类型 → the six applicant columns of 表三
APPLICANT_RULES: tuple[Rule, ...] = (
    Rule(_APPLICANT["person"], ("个人", "公民", "群众", "自然人", "居民", "村民")),
    Rule(_APPLICANT["business"], ("公司", "企业", "个体工商户", "个体户", "商户", "集团")),
    Rule(_APPLICANT["research"], ("大学", "学院", "研究所", "研究院", "研究中心", "科研", "实验室")),
    Rule(_APPLICANT["charity"], ("协会", "基金会", "志愿", "公益", "慈善")),
    Rule(_APPLICANT["legal"], ("律师事务所", "律所", "法律服务", "法律援助")),
    Rule(_APPLICANT["other"], ("其他单位", "其他组织", "村委", "居委", "事业单位", "社会团体")),
)

_DECISION = dict(zip(("licensing", "penalty", "coercion"), DECISION_CATEGORIES))

# 执法决定台账·类别 written in words (决定书的名称)
DECISION_RULES: tuple[Rule, ...] = (
    Rule(_DECISION["licensing"], ("许可", "审批", "准予")),
    Rule(_DECISION["penalty"], ("处罚", "罚款", "警告", "没收", "吊销", "罚没")),
    Rule(_DECISION["coercion"], ("强制", "查封", "扣押", "冻结")),
)

_DOC = dict(zip(("rules", "normative"), DOC_CATEGORIES))

# 文件台账·类别
DOC_RULES: tuple[Rule, ...] = (
    Rule(_DOC["rules"], ("规章",)),
    Rule(_DOC["normative"], ("规范性文件",)),
)

_CASE = dict(zip(("upheld", "corrected", "other"), CASE_RESULTS))

# 复议诉讼台账·结果 ('驳回' means different things for 复议 and 诉讼: not a rule, the clerk chooses)
CASE_RESULT_RULES: tuple[Rule, ...] = (
    Rule(_CASE["upheld"], ("维持",)),
    Rule(_CASE["corrected"], ("撤销", "变更", "确认违法", "责令履行", "责令重新")),
    Rule(_CASE["other"], ("终止", "撤回", "撤诉", "调解", "和解")),
)

# (tally sheet, column) → its rules
RULES: dict[tuple[str, str], tuple[Rule, ...]] = {
    (REQUESTS.name, "办理结果"): RESULT_RULES,
    (REQUESTS.name, "申请人类型"): APPLICANT_RULES,
    (DECISIONS.name, "类别"): DECISION_RULES,
    (DOCUMENTS.name, "类别"): DOC_RULES,
    (CASES.name, "结果"): CASE_RESULT_RULES,
}
