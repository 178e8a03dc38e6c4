"""Normalising what clerks type into tally cells: text, numbers, dates, yes/no and category values.

Every converter returns ``(value, reason)``: the canonical value, or ``None`` and a Chinese reason
when the cell cannot be understood. Blank cells are ``None`` before they reach a converter.

Category values are matched on a *folded key* (full-width → half-width, spaces, quotes, brackets
and separators removed, numbering such as ``（三）`` and ``4.`` dropped), so the official numbered
wording, ``不予公开 - 4.保护第三方合法权益`` and ``不予公开-保护第三方合法权益`` are all the same value.
Synonyms are listed here once; judgement calls (docs/format-notes.md §2) are documented beside them.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, timedelta

from xl_report.core import form
from xl_report.core.tally_schema import (
    APPLICANT_TYPES,
    CASE_CATEGORIES,
    CASE_RESULTS,
    DECISION_CATEGORIES,
    DOC_CATEGORIES,
    RESULT_CHOICES,
    YES_NO,
)

Converted = tuple[object, str | None]

# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------
_QUOTES = "“”‘’「」『』\"'`"
_SEPARATORS = "-－—–_:：/／·,，、;；|"
_BRACKETS = "()（）[]【】〔〕<>《》"
_DROP = str.maketrans("", "", _QUOTES + _SEPARATORS + _BRACKETS)
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Full-width digits, letters, brackets and punctuation → half-width (NFKC); trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def clean_cell(value: object) -> object:
    """A raw cell as read: strings trimmed, blank / NaN → None; other values unchanged."""
    if value is None:
        return None
    if isinstance(value, str):
        s = value.strip()
        return s or None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def key(text: str) -> str:
    """Folded comparison key: no spaces, quotes, brackets or separators; lower case."""
    return _SPACE.sub("", fold(text)).translate(_DROP).lower()


_LINE_BREAKS = re.compile(r"\s*[\r\n\t\v\f\x85\u2028\u2029]+\s*")


def one_line(v: object) -> str | None:
    """A one-line field (unit name, contact, level): a line break typed into the cell (Alt+Enter)
    reads as a space, so the name prints, files and mails as one line everywhere."""
    if v is None:
        return None
    s = _LINE_BREAKS.sub(" ", str(v)).strip()
    return s or None


def header_key(text: object) -> str:
    """Key of a header cell: tolerates '*', '（必填）', '(选填)' and line breaks around the header."""
    s = _SPACE.sub("", fold(str(text)))
    s = re.sub(r"[*＊]|\((?:必填|选填|可选|非必填)\)", "", s)
    return s.translate(_DROP).lower()


def as_text(value: object) -> str:
    """Free text and ids: numbers typed in an id column become '12', not '12.0'."""
    if isinstance(value, str):
        return value  # already trimmed by clean_cell
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return _as_date(value).isoformat()
    return str(value).strip()


def to_text(value: object) -> Converted:
    """:func:`as_text` as a converter (never an issue)."""
    return as_text(value), None


def to_id(value: object) -> Converted:
    """An id (编号, 案件编号): folded, so '００１' and '001' are the same id."""
    return fold(as_text(value)), None


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")


def _number(value: object, unit_words: str) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        s = _SPACE.sub("", fold(value)).replace(",", "")
        s = re.sub(f"^[¥￥]|[{unit_words}]$" if unit_words else "^[¥￥]", "", s)
        if _NUMBER.match(s):
            return float(s)
    return None


def number_in_text(value: object) -> float | None:
    """The number a text cell spells exactly ('4', ' 4 ', '４', '1,200'), None for anything else: a
    table cell holding it is a number stored as text (WPS, pasted cells), which Excel's SUM skips."""
    return _number(value, "") if isinstance(value, str) else None


def to_int(value: object) -> Converted:
    x = _number(value, "件个次批")
    if x is None or not math.isfinite(x):
        return None, "不是数字"
    if not x.is_integer():
        return None, "应为整数"
    if x < 0:
        return None, "不能为负数"
    return int(x), None


def to_amount(value: object) -> Converted:
    x = _number(value, "元")
    if x is None or not math.isfinite(x):
        return None, "不是数字（金额以“元”为单位，只填数字）"
    if x < 0:
        return None, "金额不能为负数"
    return x, None


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------
EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_EPOCH_MOMENT = datetime(1899, 12, 30)


def excel_serial(value: date) -> float:
    """A date or a (naive) datetime as Excel's serial number, days since 1899-12-30 with Excel's 29 Feb 1900
    that never was, exactly as openpyxl writes it (tests/test_openpyxl_parity.py holds the two equal)."""
    moment = value if isinstance(value, datetime) else datetime.combine(value, datetime.min.time())
    days = (moment - _EXCEL_EPOCH_MOMENT).days
    if 0 < days <= 60:
        days -= 1
    return days + (moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 10**6) / 86400


MIN_YEAR, MAX_YEAR = 1990, 2100
_DATE = re.compile(  # 2024-3-5, 2024/03/05, 2024.3.5(.), 2024年3月5日 / 5号, with an optional time of day
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号.]?(?:[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
DATE_HINT = "无法识别的日期，请写成 2024-03-05 这样的格式"


def _as_date(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def to_date(value: object) -> Converted:
    """Excel dates, serial numbers, 2023-03-05, 2023/3/5, 2023年3月5日 (or 5号), 2023.3.5, 20230305."""
    if isinstance(value, (datetime, date)):  # pandas Timestamp is a datetime
        d: date | None = _as_date(value)
    elif isinstance(value, bool):
        return None, DATE_HINT
    elif isinstance(value, (int, float)):
        d = _from_number(value)
        if d is None:
            return None, DATE_HINT
    elif isinstance(value, str):
        s = fold(value)
        m = _DATE.match(s) or _COMPACT_DATE.match(s)
        if not m:
            return None, DATE_HINT
        d = _ymd(m)
        if d is None:
            return None, "日期不存在（月份或日期超出范围）"
    else:
        return None, DATE_HINT
    assert d is not None  # each branch above returned on None
    if not MIN_YEAR <= d.year <= MAX_YEAR:
        return None, f"日期不合理（年份应在 {MIN_YEAR}–{MAX_YEAR} 之间）"
    return d, None


def parse_date(value: object) -> date | None:
    """:func:`to_date` without the reason: the date, or None (blank or not a date)."""
    value = clean_cell(value)
    d = to_date(value)[0] if value is not None else None
    return d if isinstance(d, date) else None


def _from_number(x: float) -> date | None:
    """A date typed into a number cell: an Excel serial (2000–2100) or 20230305."""
    if not math.isfinite(x) or not float(x).is_integer():
        return None
    n = int(x)
    if 36526 <= n <= 73050:  # 2000-01-01 .. 2099-12-31 as Excel serials
        return EXCEL_EPOCH + timedelta(days=n)
    m = _COMPACT_DATE.match(str(n))
    return _ymd(m) if m else None


def _ymd(m: re.Match) -> date | None:
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def parse_year(value: object) -> int | None:
    """THE report year parser (说明, --year text, mail, import): 2023, 2023.0, '2023', '２０２３',
    '2023年', '2023年度' (spaces anywhere) all mean 2023; anything else — '23', '2023-2024', a year
    outside MIN_YEAR..MAX_YEAR — is None (not a year), never a guess."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        y = int(value) if float(value).is_integer() else None
    else:
        m = re.fullmatch(r"(\d{4})(?:\.0)?年?(?:度)?", _SPACE.sub("", fold(str(value))))
        y = int(m.group(1)) if m else None
    return y if y is not None and MIN_YEAR <= y <= MAX_YEAR else None


# --------------------------------------------------------------------------------------------
# Yes / no
# --------------------------------------------------------------------------------------------
_YES = {"是", "y", "yes", "true", "1", "有", "√", "✓", "已延期", "延期"}
_NO = {"否", "n", "no", "false", "0", "无", "×", "未延期", "不延期"}


def to_yesno(value: object) -> Converted:
    if isinstance(value, bool):
        return value, None
    k = key(str(value)) if not isinstance(value, float) else key(str(int(value)) if value.is_integer() else "")
    if k in _YES:
        return True, None
    if k in _NO:
        return False, None
    return None, f"应填写“{YES_NO[0]}”或“{YES_NO[1]}”"


# --------------------------------------------------------------------------------------------
# Categories
# --------------------------------------------------------------------------------------------
class Choices:
    """A closed list of canonical values plus synonyms, matched on the folded key."""

    def __init__(
        self, canonical: tuple[str, ...], synonyms: dict[str, str] | None = None, prep=None, hint: str | None = None
    ):
        self.canonical = canonical
        self._prep = prep or (lambda s: s)
        self._map: dict[str, str] = {}
        for value in canonical:
            self._map[self._key(value)] = value
        for alias, value in (synonyms or {}).items():
            assert value in canonical, value
            self._map.setdefault(self._key(alias), value)
        self.hint = hint or "应为：" + "、".join(canonical)

    def _key(self, text: str) -> str:
        return key(self._prep(_SPACE.sub("", fold(text))))

    def __call__(self, value: object) -> Converted:
        found = self._map.get(self._key(as_text(value)))
        return (found, None) if found else (None, f"不是规定的选项，{self.hint}")


# 表三 columns. Judgement calls (docs/format-notes.md §2): a lawyer applying personally is 自然人; a law firm
# is 法律服务机构; 个体工商户 counts as 商业企业; 村委会/居委会/事业单位/社会团体 count as 其他.
_APPLICANT_SYNONYMS = {
    "个人": "自然人",
    "公民": "自然人",
    "群众": "自然人",
    "律师": "自然人",
    "自然人个人": "自然人",
    "企业": "商业企业",
    "公司": "商业企业",
    "企业法人": "商业企业",
    "个体工商户": "商业企业",
    "商户": "商业企业",
    "科研院所": "科研机构",
    "研究所": "科研机构",
    "研究院": "科研机构",
    "科研单位": "科研机构",
    "公益组织": "社会公益组织",
    "社会组织": "社会公益组织",
    "基金会": "社会公益组织",
    "公益机构": "社会公益组织",
    "律师事务所": "法律服务机构",
    "律所": "法律服务机构",
    "法律服务所": "法律服务机构",
    "法律援助机构": "法律服务机构",
    "其他组织": "其他",
    "村委会": "其他",
    "村民委员会": "其他",
    "居委会": "其他",
    "居民委员会": "其他",
    "事业单位": "其他",
    "社会团体": "其他",
    "其它": "其他",
}


def _drop_legal_person(s: str) -> str:
    """'法人或其他组织-商业企业' → '商业企业' (the 表三 header path typed into the cell)."""
    head = form.T3_LEGAL_PERSON_HEADER
    return s[len(head) :] if s.startswith(head) and len(s) > len(head) else s


_GROUP_NO = re.compile(r"^(?:\(?[一二三四五六七]\)|[一二三四五六七][、.])")
_ITEM_NO = re.compile(r"(?<!\d)\d{1,2}\s*[.、]")
_PARTIAL_NOTE = re.compile(r"\(区分处理[^)]*\)")


def _result_prep(s: str) -> str:
    """'(三)不予公开4.保护第三方合法权益' → '不予公开保护第三方合法权益' (numbering and notes dropped)."""
    s = _GROUP_NO.sub("", s)
    s = _PARTIAL_NOTE.sub("", s)
    return _ITEM_NO.sub("", s)


def _result_synonyms() -> dict[str, str]:
    syn: dict[str, str] = {}
    items: dict[str, list[str]] = {}
    for row in form.T3_RESULT_ROWS:
        group_label, result = row.labels[1], form.RESULT_OF[row.key]
        if len(row.labels) == 3:  # numbered official form: '（三）不予公开 4.保护第三方合法权益'
            syn[f"{group_label} {row.labels[2]}"] = result
            items.setdefault(form.strip_item_number(row.labels[2]), []).append(result)
        else:
            syn[group_label] = result
    # an item's wording alone is enough when it is unambiguous ('保护第三方合法权益')
    for item, results in items.items():
        if len(results) == 1 and item != "其他":
            syn[item] = results[0]
    open_, partial = form.T3_RESULT_GROUPS[0].short, form.T3_RESULT_GROUPS[1].short
    other = form.RESULT_OF[form.T3_RESULT_ROWS[-1].key]  # 其他处理-其他: withdrawals go here (docs/format-notes.md §2)
    syn.update(
        {
            "全部公开": open_,
            "公开": open_,
            "同意公开": open_,
            "区分处理": partial,
            "部分予以公开": partial,
            "撤回": other,
            "撤回申请": other,
            "申请人撤回": other,
            "申请人主动撤回": other,
        }
    )
    return syn


_DOC_SYNONYMS = {"规范性文件": "行政规范性文件", "政府规章": "规章", "部门规章": "规章"}
_DECISION_SYNONYMS = {label.removeprefix("行政"): label for label in DECISION_CATEGORIES}  # 许可 → 行政许可


def _case_synonyms() -> dict[str, str]:
    review, direct, after = CASE_CATEGORIES
    return {
        "复议": review,
        "直接起诉": direct,
        "未经复议直接起诉": direct,
        "直诉": direct,
        "行政诉讼未经复议": direct,
        "诉讼直接起诉": direct,
        "复议后起诉": after,
        "复议后诉讼": after,
        "经复议后起诉": after,
        "诉讼复议后起诉": after,
    }


# 表四 outcomes, in the usual reading (docs/format-notes.md §1, rule 12). '驳回' is left out on purpose: it
# means different things for 复议 and 诉讼, so the clerk must choose.
def _case_result_synonyms() -> dict[str, str]:
    upheld, corrected, other = CASE_RESULTS
    syn = {"维持": upheld, "纠正": corrected, "其他": other, "其它结果": other}
    syn.update({w: corrected for w in ("撤销", "变更", "确认违法", "责令履行", "撤销重作")})
    syn.update({w: other for w in ("终止", "撤回", "调解", "和解", "撤诉")})
    return syn


to_applicant = Choices(APPLICANT_TYPES, _APPLICANT_SYNONYMS, prep=_drop_legal_person)
to_result = Choices(
    RESULT_CHOICES,
    _result_synonyms(),
    prep=_result_prep,
    hint="应为“予以公开”“部分公开”或“类别-具体情形”，如“不予公开-保护第三方合法权益”（见下拉列表）",
)
to_doc_category = Choices(DOC_CATEGORIES, _DOC_SYNONYMS)
to_decision_category = Choices(DECISION_CATEGORIES, _DECISION_SYNONYMS)
to_case_category = Choices(CASE_CATEGORIES, _case_synonyms())
to_case_result = Choices(CASE_RESULTS, _case_result_synonyms())
