"""Text (sheet 正文) against the tables: numbers (T01), "none" claims (T02), "all concluded" (T03),
year in the text (F07). Placeholders such as {新收} are substituted from the tables first."""

from __future__ import annotations

import re
from collections.abc import Iterable

from xl_report.core import form
from xl_report.core.findings import Finding
from xl_report.core.report import ReportData
from xl_report.rules.common import finding, fmt, total

_NUM = r"(\d+|[零〇一二两三四五六七八九十百]+)"
_UNITS = ("件", "起", "宗")
_UNIT = r"\s*(?:" + "|".join(_UNITS) + ")"
_GAP = r"[^，。；;,\d]{0,%d}?"
_CLAUSE_SPLIT = re.compile(r"[，。；;,！!？?\n]")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def _group_names(key: str) -> tuple[str, ...]:
    return tuple(form.t3(r.key, "total") for r in form.T3_RESULT_ROWS if r.key == key or r.key.startswith(key + "_"))


_SUIT_NAMES = (form.t4("suit_direct", "total"), form.t4("suit_after", "total"))
# topic -> (regex, names summed for the table value, Chinese topic label)
_TOPICS: tuple[tuple[str, re.Pattern, tuple[str, ...], str], ...] = (
    (
        "new",
        re.compile(r"(?:收到|受理|新收|接收|共收)" + _GAP % 20 + "申请" + _GAP % 12 + _NUM + _UNIT),
        (form.t3("new", "total"),),
        "收到申请",
    ),
    (
        "carried_in",
        re.compile(r"上一?年度?结转" + _GAP % 12 + _NUM + _UNIT),
        (form.t3("carried_in", "total"),),
        "上年结转",
    ),
    (
        "carried_out",
        re.compile(r"结转(?:至|到)?下一?年度?" + _GAP % 10 + _NUM + _UNIT),
        (form.t3("carried_out", "total"),),
        "结转下年度",
    ),
    ("done", re.compile(r"(?:办结|办理完毕|答复完毕)" + _GAP % 8 + _NUM + _UNIT), (form.t3("total", "total"),), "办结"),
    *(
        (g.key, re.compile(g.short + _GAP % 4 + _NUM + _UNIT), _group_names(g.key), g.short)
        for g in form.T3_RESULT_GROUPS
    ),
    ("review", re.compile(form.T4_REVIEW + _GAP % 8 + _NUM + _UNIT), (form.t4("review", "total"),), form.T4_REVIEW),
    ("suit", re.compile(form.T4_SUIT + _GAP % 8 + _NUM + _UNIT), _SUIT_NAMES, form.T4_SUIT),
)
_NO_REQUESTS = re.compile(r"(?:未|没有|无)(?:收到|受理|接到|发生)[^，。；;,]{0,12}?申请")
_NO_CASES = re.compile(r"(?:未|没有|无)(?:发生|收到|涉及|出现)[^，。；;,]{0,24}?(?:复议|诉讼)[^，。；;,]*")
# '未发生…被复议纠错、诉讼败诉情况' denies an outcome, not that cases were brought
_OUTCOME = re.compile(r"纠错|纠正|败诉|撤销|确认违法|被追责")
_ABOUT_CASES = re.compile(r"复议|诉讼|纠错|败诉")
_ALL_DONE = re.compile(
    r"(?:全部|均已|均|所有申请均已|已全部)(?:按时|按期|依法|按规定|在法定期限内)?"
    r"(?:办结|办理完毕|办理完成|答复完毕)"
)
# '予以公开及部分公开 120 件': one number for two result groups
_OPEN_AND_PARTIAL = re.compile(r"(?:予以公开|全部公开)(?:及|和|与|、|或)部分公开" + _GAP % 4 + _NUM + _UNIT)
_OPEN_KEYS = ("open", "partial")
_PERIOD = re.compile(r"(\d{4})\s*年\s*1\s*月\s*1\s*日\s*(?:起)?\s*至\s*(\d{4})\s*年\s*12\s*月\s*31\s*日")
_YEAR = re.compile(r"(?<!\d)(20\d{2})\s*年")
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


def _number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    value, current = 0, 0
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch == "十":
            value += (current or 1) * 10
            current = 0
        elif ch == "百":
            value += (current or 1) * 100
            current = 0
        else:
            return None
    return value + current


def substitute(text: str, report: ReportData) -> str:
    """Replace {新收} etc. (form.PLACEHOLDERS) by the table values, as the rendered report will."""

    def repl(m: re.Match) -> str:
        name = form.PLACEHOLDERS.get(m.group(1).strip())
        value = report.number(name) if name else None
        return m.group(0) if value is None else fmt(value)

    return _PLACEHOLDER.sub(repl, text)


def _paragraphs(report: ReportData, narrative: dict | None) -> Iterable[tuple[str, str | None, str]]:
    """(section, A1 or None, text with placeholders substituted)."""
    source = narrative if narrative is not None else report.narrative
    for section, paras in (source or {}).items():
        for para in paras:
            a1, text = para if isinstance(para, tuple) else (None, para)
            if text:
                yield section, a1, substitute(str(text), report)


def _where(section: str, a1: str | None) -> dict:
    return {"sheet": form.SHEET_NARRATIVE, "cell": a1, "name": form.NARRATIVE_NAMES.get(section)}


def _quote(text: str, limit: int = 40) -> str:
    text = text.strip()
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def _table_values(report: ReportData) -> dict[str, float | int]:
    return {key: total(report.num0(n) for n in names) for key, _, names, _ in _TOPICS}


def _accepted(key: str, values: dict, report: ReportData) -> tuple[set, str]:
    """Values the text may state for a topic, and how to describe them."""
    v = values[key]
    if key == "new":  # 受理/收到 means 新收 for some units, 新收 + 上年结转 for others (format-notes §2)
        both = total([v, values["carried_in"]])
        return {v, both}, f"本年新收 {fmt(v)}（或加上年结转为 {fmt(both)}）"
    if key == "suit":
        direct, after = (report.num0(n) for n in _SUIT_NAMES)
        return {v, direct, after}, f"{fmt(v)}（未经复议直接起诉 {fmt(direct)}，复议后起诉 {fmt(after)}）"
    return {v}, fmt(v)


def check_numbers(report: ReportData, narrative: dict | None = None) -> list[Finding]:
    out: list[Finding] = []
    values = None
    for section, a1, text in _paragraphs(report, narrative):
        for clause in _CLAUSE_SPLIT.split(text):
            if not any(unit in clause for unit in _UNITS):
                continue  # every pattern below ends in a count's unit: most clauses state none
            both = _OPEN_AND_PARTIAL.search(clause)
            if both and _number(both.group(1)) is not None:
                names = _group_names("open") + _group_names("partial")
                values = values or _table_values(report)
                table = total([values["open"], values["partial"]])
                if _number(both.group(1)) != table:
                    said = _number(both.group(1))
                    out.append(
                        finding(
                            "T01",
                            f"正文{_quote(both.group(0))}：予以公开及部分公开 {said} 件，表格为 {fmt(table)}",
                            names=names,
                            **_where(section, a1),
                        )
                    )
            for key, pattern, names, topic in _TOPICS:
                if both and key in _OPEN_KEYS:
                    continue
                if key == "new" and "补正" in clause:
                    continue
                m = pattern.search(clause)
                if not m:
                    continue
                stated = _number(m.group(1))
                if stated is None:
                    continue
                values = values or _table_values(report)
                ok, described = _accepted(key, values, report)
                if stated in ok:
                    continue
                out.append(
                    finding(
                        "T01",
                        f"正文{_quote(m.group(0))}：{topic} {stated} 件，表格为 {described}",
                        names=names,
                        **_where(section, a1),
                    )
                )
    return out


def check_claims(report: ReportData, narrative: dict | None = None) -> list[Finding]:
    out: list[Finding] = []
    new = report.num0(form.t3("new", "total"))
    review = report.num0(form.t4("review", "total"))
    suits = total(report.num0(n) for n in _SUIT_NAMES)
    carried_out = report.num0(form.t3("carried_out", "total"))
    for section, a1, text in _paragraphs(report, narrative):
        m = _NO_REQUESTS.search(text)
        if m and _ABOUT_CASES.search(_CLAUSE_SPLIT.split(text[m.start() :], 1)[0]):
            m = None  # '未发生因依申请公开被复议纠错…': about appeals, not about requests
        if m and new:
            out.append(
                finding(
                    "T02",
                    f"正文{_quote(m.group(0))}，但表三 本年新收申请为 {fmt(new)} 件",
                    names=(form.t3("new", "total"),),
                    **_where(section, a1),
                )
            )
        for m in _NO_CASES.finditer(text):
            said = m.group(0)
            if _OUTCOME.search(said):
                continue
            if "复议" in said and review:
                out.append(
                    finding(
                        "T02",
                        f"正文{_quote(said)}，但表四 {form.T4_REVIEW}为 {fmt(review)} 件",
                        names=(form.t4("review", "total"),),
                        **_where(section, a1),
                    )
                )
            if "诉讼" in said and suits:
                out.append(
                    finding(
                        "T02",
                        f"正文{_quote(said)}，但表四 {form.T4_SUIT}为 {fmt(suits)} 件",
                        names=_SUIT_NAMES,
                        **_where(section, a1),
                    )
                )
        m = _ALL_DONE.search(text)
        if m and carried_out:
            out.append(
                finding(
                    "T03",
                    f"正文{_quote(m.group(0))}，但表三 结转下年度继续办理为 {fmt(carried_out)} 件",
                    names=(form.t3("carried_out", "total"),),
                    **_where(section, a1),
                )
            )
    return out


def check_years(report: ReportData, narrative: dict | None = None) -> list[Finding]:
    if report.year is None:
        return []
    out: list[Finding] = []
    seen: set[int] = set()
    first: tuple[str, str | None] | None = None
    for section, a1, text in _paragraphs(report, narrative):
        for m in _PERIOD.finditer(text):
            if {int(m.group(1)), int(m.group(2))} != {report.year}:
                out.append(
                    finding(
                        "F07", f"正文{_quote(m.group(0))}：统计期限不是报告年度 {report.year} 年", **_where(section, a1)
                    )
                )
        years = {int(y) for y in _YEAR.findall(text)}
        if years and first is None:
            first = (section, a1)
        seen |= years
    if first is not None and report.year not in seen and not out:
        listed = "、".join(f"{y}年" for y in sorted(seen))
        out.append(
            finding(
                "F07",
                f"正文提到的年份是 {listed}，没有提到报告年度 {report.year} 年，是否沿用了往年的正文？",
                **_where(*first),
            )
        )
    return out


def check(report: ReportData, narrative: dict | None = None) -> list[Finding]:
    return check_numbers(report, narrative) + check_claims(report, narrative) + check_years(report, narrative)
