"""The document around the tables: title (unit, year), contact phone, date, the six sections.

Section headings are found by the titles of ``form.SECTIONS`` (tolerant to 、/．/. and spacing, and
to near-synonyms such as 改进措施, which give a warning); the narrative sections 一/五/六 become
paragraph lists for ``ReportData.narrative``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher

from xl_report.core import form
from xl_report.core.findings import Finding
from xl_report.core.normalise import parse_date, parse_year
from xl_report.published.importer.labels import compact, key, nfkc
from xl_report.published.importer.readers import Token

_CN_DIGITS = "〇零一二三四五六七八九"
_NUMERALS = "一二三四五六"
_HEADING = re.compile(rf"^(?:第)?([{_NUMERALS}])(?:部分)?\s*[、.,:：．]?")
_SIMILAR = 0.72  # a heading at least this close to the official title is accepted (with a warning)
_MAX_HEADING_EXTRA = 8  # extra characters a heading may carry ("（2023年）")


@dataclass
class Heading:
    section: str
    index: int  # token index
    text: str
    exact: bool


@dataclass
class Layout:
    headings: dict[str, Heading] = field(default_factory=dict)
    out_of_order: list[str] = field(default_factory=list)

    def region(self, section: str, tokens: list[Token]) -> list[Token]:
        """Tokens between this section's heading and the next heading found."""
        h = self.headings.get(section)
        if h is None:
            return []
        following = [x.index for x in self.headings.values() if x.index > h.index]
        return tokens[h.index + 1 : min(following, default=len(tokens))]

    def first_index(self) -> int:
        return min((h.index for h in self.headings.values()), default=0)


def heading_match(text: str, number: int, title: str) -> bool | None:
    """True: the official heading; False: a near-synonym; None: not this heading."""
    s = compact(text)
    m = _HEADING.match(s)
    want = key(title)
    if m:
        if _NUMERALS.index(m.group(1)) != number:
            return None
        body = key(s[m.end() :])
    else:
        body = key(s)
        if body != want:
            return None
    if not body or len(body) > len(want) + _MAX_HEADING_EXTRA:
        return None
    if body == want or body.startswith(want):
        return True
    return False if SequenceMatcher(None, body, want).ratio() >= _SIMILAR else None


def find_sections(tokens: list[Token]) -> Layout:
    layout = Layout()
    pos = 0
    for number, (section, title) in enumerate(form.SECTIONS):
        hit = _find_heading(tokens, pos, number, title)
        if hit is None:
            earlier = _find_heading(tokens, 0, number, title)
            if earlier is not None and earlier.index not in {h.index for h in layout.headings.values()}:
                layout.out_of_order.append(section)
            continue
        hit.section = section
        layout.headings[section] = hit
        pos = hit.index + 1
    _renumbered(tokens, layout)
    return layout


def _renumbered(tokens: list[Token], layout: Layout) -> None:
    """Official titles printed under another numeral (表二 under 一、 when 总体情况 is unnumbered): found
    between their neighbours, accepted with a warning (``exact=False``)."""
    sections = [s for s, _ in form.SECTIONS]
    for n, (section, title) in enumerate(form.SECTIONS):
        if section in layout.headings:
            continue
        before = [layout.headings[s].index for s in sections[:n] if s in layout.headings]
        after = [layout.headings[s].index for s in sections[n + 1 :] if s in layout.headings]
        lo, hi = max(before, default=-1) + 1, min(after, default=len(tokens))
        want = key(title)
        for i in range(lo, hi):
            t = tokens[i]
            if t.cell and t.row is not None:
                continue
            m = _HEADING.match(compact(t.text))
            if m and key(compact(t.text)[m.end() :]) == want:
                layout.headings[section] = Heading(section, i, t.text, False)
                if section in layout.out_of_order:
                    layout.out_of_order.remove(section)
                break


def _find_heading(tokens: list[Token], start: int, number: int, title: str) -> Heading | None:
    for i in range(start, len(tokens)):
        t = tokens[i]
        if t.cell and t.row is not None:
            continue
        exact = heading_match(t.text, number, title)
        if exact is not None:
            return Heading("", i, t.text, exact)
    return None


def section_findings(layout: Layout) -> list[Finding]:
    out = []
    for section, title in form.SECTIONS:
        h = layout.headings.get(section)
        if h is None:
            how = "位置不对（顺序应为一至六）" if section in layout.out_of_order else "未找到"
            out.append(Finding("F01", "error", f"报告的“{title}”部分{how}"))
        elif not h.exact:
            out.append(
                Finding(
                    "F01",
                    "warning",
                    f"第{_NUMERALS[[s for s, _ in form.SECTIONS].index(section)]}部分"
                    f"标题为“{h.text.strip()}”，规范标题为“{title}”",
                )
            )
    return out


# --------------------------------------------------------------------------------------------
# Title, contact, dates
# --------------------------------------------------------------------------------------------
_TITLE_TAIL = key(form.REPORT_TITLE_SUFFIX[1:])  # 政府信息公开工作年度报告
# real titles drop or move words of the tail: 政府信息公开年度报告, 政府信息公开工作报告
# … and 政府 (下湿壕镇政府2022年信息公开工作年度报告)
_TAIL_WORDS = _TITLE_TAIL.removeprefix("政府").split("工作年度")  # 信息公开 / 报告
_TAIL = re.compile("(?:政府)?" + "(?:工作)?(?:年度)?".join(map(re.escape, _TAIL_WORDS)))
_TITLE_LABEL = re.compile(r"^(?:标题|题目|文章标题)[:：]")  # a crawler's record: '标题: <title>'
_TITLE = re.compile(r"^(?P<unit>.*?)(?P<year>(?:19|20)\d\d)年度?(?P<rest>.*?)$")
_QUOTED = re.compile(r"《([^《》]+)》")
_MAX_TITLE = 60  # a longer line is a sentence that mentions the title, not the title
_PERIOD = re.compile(r"((?:19|20)\d\d)年1月1日(?:起)?(?:至|到|-)")
_PHONE = re.compile(
    r"(?:电话|联系方式|热线|咨询)[^0-9]{0,8}((?:0\d{2,3}[-—－ ]?)?\d{7,8}(?:[-转]\d{1,5})?|1[3-9]\d{9})"
)
_DATE = (
    r"((?:19|20)\d\d|[〇零一二三四五六七八九]{4})\s*(?:年|[-./])\s*([0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*(?:月|[-./])\s*"
    r"([0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*日?"
)
_DATE_LINE = re.compile(rf"^{_DATE}$")
_DATE_LABELED = re.compile(rf"(?:发布日期|发布时间|成文日期|印发日期|落款日期)\s*[:：]?\s*{_DATE}")


def read_title(tokens: list[Token], limit: int) -> tuple[str | None, int | None]:
    """(unit, year) from ``<单位><年>年政府信息公开工作年度报告`` before the first section."""
    first: tuple[str | None, int | None] | None = None
    for i, t in enumerate(tokens[:limit]):
        m = None
        line = _TITLE_LABEL.sub("", compact(t.text))
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        wrapped = [line + compact(nxt.text)] if nxt is not None and not nxt.cell and len(nxt.text) <= 20 else []
        for s in [line] + _QUOTED.findall(line) + wrapped:  # a title may wrap onto a second line
            tail = _TAIL.search(s)
            # the title is a line (or a 《quoted》 name) that ends with the tail
            if tail and tail.end() <= _MAX_TITLE and not key(s[tail.end() :]):
                m = _TITLE.match(s[: tail.start()])
                if m:
                    break
        if not m:
            continue
        unit = (m.group("unit") or m.group("rest") or "").strip('《》"“”')
        if not unit and i > 0 and len(compact(tokens[i - 1].text)) <= 40:
            unit = compact(tokens[i - 1].text)  # title printed on two lines
        if unit:
            return unit, parse_year(m.group("year"))
        # '2022年政府信息公开工作年度报告' alone: a later line may name the unit
        first = first or (None, parse_year(m.group("year")))
    return first or (None, None)


def read_period_year(tokens: list[Token]) -> int | None:
    for i, t in enumerate(tokens):
        text = compact(t.text) + (compact(tokens[i + 1].text)[:20] if i + 1 < len(tokens) else "")
        m = _PERIOD.search(text)  # the sentence may wrap right inside '2024年1月1日'
        if m and m.start() < len(compact(t.text)):
            return parse_year(m.group(1))
    return None


def old_form_citation(tokens: list[Token]) -> Finding | None:
    """F17 when the text cites the superseded 2019 report format notice instead of the 2021 one."""
    old = compact(form.FORM_ID_2019)
    for t in tokens:
        if not t.cell and old in _normal_brackets(compact(t.text)):
            return Finding(
                "F17",
                "warning",
                f"正文引用了已废止的{form.FORM_ID_2019}，"
                f"年度报告格式已由{form.FORM_ID}替代"
                f"（“{t.text.strip()[:40]}…”）",
            )
    return None


def _normal_brackets(text: str) -> str:
    """'国办公开办函[2019]60号' / '(2019)' -> the official 〔2019〕."""
    return re.sub(r"[\[【(（]\s*((?:19|20)\d\d)\s*[\]】)）]", r"〔\1〕", text)


def read_contact(tokens: list[Token]) -> str | None:
    for t in tokens:
        m = _PHONE.search(nfkc(t.text))
        if m:
            return re.sub(r"[—－ ]", "-", m.group(1))
    return None


def _cn_number(s: str) -> int:
    if s.isdigit():
        return int(s)
    if all(c in _CN_DIGITS for c in s):  # 二〇二四
        return int("".join(str(max(_CN_DIGITS.index(c) - 1, 0)) for c in s))
    tens, _, ones = s.partition("十")
    if "十" not in s:
        return _CN_DIGITS.index(s) - 1
    return (_CN_DIGITS.index(tens) - 1 if tens else 1) * 10 + (_CN_DIGITS.index(ones) - 1 if ones else 0)


def _to_date(m: re.Match) -> date | None:
    """A matched date (digits or 二〇二四年三月五日) through the one date parser (validity, plausible year)."""
    try:
        y, mo, d = _cn_number(m.group(1)), _cn_number(m.group(2)), _cn_number(m.group(3))
    except (ValueError, IndexError):
        return None
    return parse_date(f"{y:04d}-{mo:02d}-{d:02d}")


def read_published(tokens: list[Token], tail_from: int) -> tuple[date | None, int | None]:
    """(date, token index of a trailing date line): a labelled date anywhere, else a date line at the end."""
    for t in tokens:
        m = _DATE_LABELED.search(compact(t.text))
        if m and _to_date(m):
            return _to_date(m), None
    tail = [i for i in range(max(tail_from, len(tokens) - 4), len(tokens)) if not tokens[i].cell]
    for i in reversed(tail):
        m = _DATE_LINE.match(compact(tokens[i].text))
        if m and _to_date(m):
            return _to_date(m), i
    return None, None


# --------------------------------------------------------------------------------------------
# Narrative paragraphs
# --------------------------------------------------------------------------------------------
_END = tuple("。！？；：!?;:…")
_ENUM_START = re.compile(r"^(?:[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十]+[、.．]|\d+[、.．)）])")


def paragraphs(tokens: list[Token], wrapped: bool) -> list[str]:
    """Paragraph lines of a region; ``wrapped`` sources (text dumps, PDF) get broken lines re-joined."""
    out: list[str] = []
    for t in tokens:
        if t.cell:
            continue
        line = t.text.strip()
        if not line:
            continue
        if wrapped and out and _continues(out[-1], line):
            sep = " " if out[-1][-1:].isascii() and line[:1].isascii() and line[:1].isalnum() else ""
            out[-1] = out[-1] + sep + line
        else:
            out.append(line)
    return out


_PAGE_CHROME = re.compile(
    r"主办单位|承办单位|版权所有|网站标识码|ICP备|技术支持|关闭窗口|打印本页|网站地图|扫一扫|分享到|"
    r"上一篇|下一篇|相关链接"
)


def before_page_chrome(tokens: list[Token]) -> list[Token]:
    """A web page's footer (主办单位, 版权所有, 打印本页…) is not part of the last section."""
    for i, t in enumerate(tokens):
        if not t.cell and _PAGE_CHROME.search(t.text):
            return tokens[:i]
    return tokens


def _continues(prev: str, line: str) -> bool:
    if prev.endswith(_END) or _ENUM_START.match(line):
        return False
    heading_like = _ENUM_START.match(prev) and len(prev) <= 30
    return not heading_like


# words that make a name an organ of a place rather than the place (局, 中心, 街道 …)
_ORGAN = re.compile(r"[局委办处所院站队部厅室会社司馆]|中心|街道|政府|机关")


def infer_level(unit: str | None) -> str | None:
    """The form's unit level from the unit name, when the name says it (人民政府 / 街道办事处)."""
    if not unit:
        return None
    labels = {u.label for u in form.UNIT_LEVELS}
    gov = "人民政府"
    if unit.endswith(("县", "区", "旗")) and not _ORGAN.search(unit):
        unit += gov  # a bare place name ('平潭综合实验区') titles its government's own report
    elif unit.endswith(("乡", "镇")) and not _ORGAN.search(unit) or unit.endswith(("乡政府", "镇政府")):
        unit = unit.removesuffix("政府") + gov  # '下湿壕镇政府'
    if unit.endswith("街道办事处"):
        level = "街道办事处"
    elif unit.endswith(gov):
        place = unit[: -len(gov)]
        if place.endswith(("乡", "镇", "苏木")):
            level = "乡镇人民政府"
        elif place.endswith(("省", "自治区")) or place in ("北京市", "天津市", "上海市", "重庆市"):
            level = "省级人民政府"
        elif place.endswith(("市", "州", "盟")) and not place.endswith(("县", "区", "旗")):
            level = "设区的市级人民政府" if not _county_city(place) else "县级人民政府"
        elif place.endswith(("县", "区", "旗")):
            level = "县级人民政府"
        else:
            return None
    else:
        return None
    return level if level in labels else None


def _county_city(place: str) -> bool:
    """'某某省某某市' inside a prefecture (县级市) is named after its prefecture: '…州…市', '…市…市'."""
    return place.count("市") >= 2 or ("州" in place[:-1] and place.endswith("市"))
