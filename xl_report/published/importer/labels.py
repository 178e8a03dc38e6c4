"""Label normalisation and matching: typographic variants of the official labels -> form entries.

Published reports spell the labels of ``xl_report.core.form`` with full- or half-width brackets and commas,
spaces inside words (``自 然 人``), line breaks, ``3、其他`` or ``4 .无正当理由…``. Every label is
reduced to a *key*: NFKC, no whitespace, no punctuation, no chapter numbering (一、 / （一）), but item
numbers kept (``3其他`` and ``2其他法律…`` must stay apart). Only labels from ``form`` are matched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_CN_NUM = "一二三四五六七八九十"
CHAPTER = re.compile(rf"^(?:[{_CN_NUM}]+[、.,:]|\([{_CN_NUM}]+\)[、.,]?)")
_ITEM = re.compile(r"^\(?(\d{1,2})\)?\s*[.、,:]?(?=\D)")
_NOT_WORD = re.compile(r"[^\w]|_", re.UNICODE)
_SPACE = re.compile(r"\s+")


def nfkc(text: str) -> str:
    """Half-width brackets, commas and digits; ideographic spaces become plain spaces."""
    return unicodedata.normalize("NFKC", text).replace("—", "-").replace("–", "-")


def compact(text: str) -> str:
    """NFKC without any whitespace (labels and cells are compared in this form)."""
    return _SPACE.sub("", nfkc(text))


def key(text: str, *, keep_item: bool = True) -> str:
    """The matching key of a label: ``（三）不予公开`` -> ``不予公开``; ``4 .无正当理由`` -> ``4无正当理由``."""
    s = compact(text)
    s = CHAPTER.sub("", s)
    m = _ITEM.match(s)
    if m:
        s = (m.group(1) if keep_item else "") + s[m.end() :]
    return _NOT_WORD.sub("", s)


@dataclass(frozen=True)
class Match:
    target: str
    exact: bool


class Matcher:
    """Matches label keys against a fixed set of (label, target) entries.

    ``exact`` keys come from the labels themselves (with item numbers); ``bare`` keys (without item
    numbers, or synonyms) only match exactly, for reports that drop the numbering.
    """

    def __init__(self, entries: list[tuple[str, str]], synonyms: Iterable[tuple[str, str]] = ()):
        self.exact: dict[str, str] = {}
        self.bare: dict[str, str] = {}
        self.item_bare: set[str] = set()  # bare keys of numbered items ('其他' of '3.其他')
        for label, target in entries:
            self.exact.setdefault(key(label), target)
            bare = key(label, keep_item=False)
            if bare not in self.exact:
                self.bare.setdefault(bare, target)
                if bare != key(label):
                    self.item_bare.add(bare)
        for label, target in synonyms:
            self.bare.setdefault(key(label), target)

    def exact_match(self, k: str, chapter: bool = False) -> str | None:
        """``chapter``: the text carried a chapter number ('（六）其他'), so it is no numbered item."""
        if k in self.exact:
            return self.exact[k]
        if chapter and k in self.item_bare:
            return None
        return self.bare.get(k)

    def prefixes(self, k: str) -> set[str]:
        """Targets whose key starts with ``k`` (a label cut by a line break)."""
        if not k:
            return set()
        return {t for lk, t in self.exact.items() if lk.startswith(k)}

    def resolve(self, k: str, min_len: int = 3, chapter: bool = False) -> Match | None:
        """Exact match, else the single target ``k`` is a prefix of, else a label ``k`` starts with."""
        t = self.exact_match(k, chapter)
        if t:
            return Match(t, True)
        cands = self.prefixes(k)
        if len(cands) == 1 and len(k) >= min_len:
            return Match(cands.pop(), False)
        # a label followed by extra words in the same cell ("规章（本级）")
        longer = [(len(lk), t) for lk, t in self.exact.items() if len(lk) >= min_len and k.startswith(lk)]
        if longer:
            return Match(max(longer)[1], False)
        return None
