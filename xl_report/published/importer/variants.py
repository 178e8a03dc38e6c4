"""How published reports print some official row labels: abbreviations, old wordings, a dropped character.

Keys are row keys of ``xl_report.form`` (the official labels themselves live only there); each variant
is matched after the usual normalisation (width, punctuation, spaces: ``labels.key``), exactly — a
variant is never matched by similarity, so a new one is added here once it has been seen in print.
"""

from __future__ import annotations

T2_ROW_VARIANTS: dict[str, tuple[str, ...]] = {
    "normative": ("规范性文件", "行政规范性文件（含规章）"),
    "fees": ("行政事业性收费项目",),
}

T3_ROW_VARIANTS: dict[str, tuple[str, ...]] = {
    "deny_2": ("2.其他法律行政法规禁公开", "2.其他法律、行政法规禁止公开"),
    "deny_3": ("3.危及国家安全、公共安全、经济安全和社会稳定",),
    "unable_1": ("1.本机关不掌握相关信息", "1.本机关不掌握相关政府信息的"),
    "reject_5": ("5.要求行政机关确认或重新出具已获取的信息",),
    "other_1": ("1.逾期不补正", "1.申请人逾期不补正", "1.申请人无正当理由逾期不补正"),
    "other_2": ("2.逾期不缴费", "2.逾期未缴纳费用", "2.申请人逾期未缴纳费用", "2.申请人逾期未按收费通知缴纳费用"),
}
