"""Free-text rules (issue 16): every rule has a text that fires it and a near miss that does not;
ambiguous and unknown texts are never guessed."""

from __future__ import annotations

import pytest

from xl_report.core import form
from xl_report.core.ledger import apply_rules, interpret
from xl_report.core.ledger_rules import RULES, Rule
from xl_report.core.tally_schema import CASES, DECISIONS, DOCUMENTS, REQUESTS

R = {row.key: row.result for row in form.T3_RESULT_ROWS if row.result}
A = {k: form.T3_COLUMN_LABELS[k] for k in form.T3_APPLICANT_COLUMNS}
RESULT, APPLICANT = (REQUESTS.name, "办理结果"), (REQUESTS.name, "申请人类型")
DECISION, DOC, CASE = (DECISIONS.name, "类别"), (DOCUMENTS.name, "类别"), (CASES.name, "结果")

# (column, rule category, text that fires it, near miss that must not give that category)
CASES_TABLE = [
    (RESULT, R["partial"], "部分公开（涉及个人隐私）", "全部予以公开"),
    (RESULT, R["open"], "经审查，同意公开", "不予以公开"),
    (RESULT, R["deny_1"], "不予公开（涉密）", "经审查不涉及国家秘密，予以公开"),
    (RESULT, R["deny_2"], "属于法律、行政法规禁止公开的信息", "法律咨询已答复"),
    (RESULT, R["deny_3"], "公开后可能危及社会稳定，不予公开", "社会事务，予以公开"),
    (RESULT, R["deny_4"], "涉及商业秘密，不予公开", "商业登记信息，予以公开"),
    (RESULT, R["deny_5"], "属于人事管理信息，不予公开", "管理办法，予以公开"),
    (RESULT, R["deny_6"], "属于讨论记录，不予公开", "讨论通过的文件，予以公开"),
    (RESULT, R["deny_7"], "属于行政执法案卷信息", "执法结果已公开，予以公开"),
    (RESULT, R["deny_8"], "属于行政查询事项，告知查询渠道", "查阅后予以公开"),
    (RESULT, R["unable_1"], "经检索，信息不存在", "信息存在，予以公开"),
    (RESULT, R["unable_2"], "需要汇总加工，无法提供", "现有信息，予以公开"),
    (RESULT, R["unable_3"], "补正后申请内容仍不明确", "补正后内容明确，予以公开"),
    (RESULT, R["reject_1"], "属于投诉举报事项", "访问网站获取，予以公开"),
    (RESULT, R["reject_2"], "重复申请，不予处理", "首次申请，予以公开"),
    (RESULT, R["reject_3"], "要求提供公开出版物", "出示证件后予以公开"),
    (RESULT, R["reject_4"], "无正当理由大量反复申请", "大量信息，予以公开"),
    (RESULT, R["reject_5"], "要求重新出具已获取的信息", "出具公开告知书，予以公开"),
    (RESULT, R["other_1"], "申请人逾期不补正", "申请人按期补正后予以公开"),
    (RESULT, R["other_2"], "申请人逾期未缴纳信息处理费", "已缴纳费用，予以公开"),
    (RESULT, R["other_3"], "申请人主动撤回申请", "撤销原答复后予以公开"),
    (APPLICANT, A["person"], "普通公民", "有限公司"),
    (APPLICANT, A["business"], "某某科技有限公司", "个人"),
    (APPLICANT, A["research"], "某某大学法学院", "某某中学"),
    (APPLICANT, A["charity"], "环保志愿者协会", "行业公会"),
    (APPLICANT, A["legal"], "某某律所", "法院"),
    (APPLICANT, A["other"], "其他单位", "单位"),
    (DECISION, "行政许可", "准予许可决定书", "行政指导"),
    (DECISION, "行政处罚", "罚款决定", "行政奖励"),
    (DECISION, "行政强制", "查封场所", "行政检查"),
    (DOC, "规章", "市政府规章", "工作方案"),
    (DOC, "行政规范性文件", "县政府规范性文件", "内部通知"),
    (CASE, "结果维持", "复议维持", "驳回"),
    (CASE, "结果纠正", "确认违法", "驳回起诉"),
    (CASE, "其他结果", "申请人撤诉", "审理中"),
]


def _read(column, text):
    sheet = {s.name: s for s in (REQUESTS, DOCUMENTS, DECISIONS, CASES)}[column[0]]
    col = next(c for c in sheet.columns if c.header == column[1])
    return interpret(sheet, col, text)


@pytest.mark.parametrize("column,category,fires,misses", CASES_TABLE)
def test_rule_fires_on_its_words(column, category, fires, misses):
    rule = next(r for r in RULES[column] if r.category == category and not r.group)
    assert apply_rules(fires, RULES[column]).value == category  # through the rule itself...
    assert _read(column, fires).value == category  # ...and as a ledger cell is read
    assert apply_rules(misses, (rule,)).value is None  # the near miss does not fire the rule
    assert _read(column, misses).value != category


def test_every_rule_has_a_firing_and_a_missing_test():
    tested = {(column, category) for column, category, _, _ in CASES_TABLE}
    every = {(column, r.category) for column, rules in RULES.items() for r in rules if not r.group}
    assert every == tested


@pytest.mark.parametrize(
    "text,group",
    [("不予公开", "不予公开"), ("无法提供", "无法提供"), ("不予处理", "不予处理"), ("其他处理", "其他处理")],
)
def test_a_group_without_its_reason_is_left_for_the_clerk_with_the_groups_items(text, group):
    reading = _read(RESULT, f"{text}。")
    assert reading.value is None and reading.candidates and all(c.startswith(group) for c in reading.candidates)
    assert "具体情形" in reading.why


def test_a_group_with_its_reason_is_the_reasons_item():
    assert _read(RESULT, "不予公开（危及国家安全）").value == R["deny_3"]


@pytest.mark.parametrize(
    "column,text,candidates",
    [
        (RESULT, "部分信息不存在，其余予以公开", {R["open"], R["unable_1"]}),
        (RESULT, "属于信访事项，且为重复申请", {R["reject_1"], R["reject_2"]}),
        (APPLICANT, "某某研究院有限公司", {A["business"], A["research"]}),
        (APPLICANT, "法律服务公司", {A["business"], A["legal"]}),
        (DECISION, "许可与处罚", {"行政许可", "行政处罚"}),
    ],
)
def test_two_categories_are_never_guessed(column, text, candidates):
    reading = _read(column, text)
    assert reading.value is None and set(reading.candidates) == candidates and "不能确定" in reading.why


@pytest.mark.parametrize(
    "column,text",
    [(RESULT, "已电话沟通"), (RESULT, "办结"), (APPLICANT, "匿名"), (DECISION, "行政检查"), (CASE, "驳回")],
)
def test_unknown_texts_are_never_guessed(column, text):
    reading = _read(column, text)
    assert reading.value is None and "不能对应" in reading.why


def test_partial_wins_over_open_and_every_reason():
    assert _read(RESULT, "部分予以公开，部分涉及第三方不予公开").value == R["partial"]
    assert _read(RESULT, "区分处理：部分信息不存在").value == R["partial"]


def test_negated_keywords_do_not_fire():
    assert apply_rules("不属于国家秘密", (Rule(R["deny_1"], ("国家秘密",)),)).value is None
    assert apply_rules("并非信访事项，予以公开", RULES[RESULT]).value == R["open"]


def test_official_wording_and_exact_options_come_before_any_rule():
    assert _read(RESULT, "（三）不予公开 4.保护第三方合法权益").value == R["deny_4"]
    assert _read(APPLICANT, "法人或其他组织-商业企业").value == A["business"]
    assert _read(RESULT, "予以公开").why == "规定的选项或其同义词"
