"""Chapter headings and the MD&A section of a normalized annual report.

Chinese annual reports follow the CSRC content-and-format standard No. 2 for annual reports
(公开发行证券的公司信息披露内容与格式准则第2号——年度报告的内容与格式), which numbers chapters
``第一节 ... 第十二节``. The management discussion and analysis (MD&A) chapter is titled, across
years and exchanges, 管理层讨论与分析 (2021 onwards), 经营情况讨论与分析 (about 2016-2020) or, in
older reports, 董事会报告 (the board report that then contained the MD&A; used only when neither
of the other titles occurs).

On normalized text (no whitespace) a chapter heading is ``第<number>节`` (or ``章``) followed by
its title. The same string also occurs in the table of contents (followed by a dot leader and a
page number) and in cross-references (请参见本报告“第四节经营情况讨论与分析”, 详见第五节(五));
those are not headings. :func:`find_mdna` returns the span from the MD&A heading to the next
chapter heading; if several candidates survive the filters, the longest span wins (a stray
reference spans almost nothing before the next heading), and a candidate followed by a heading
with a lower or equal chapter number is out of sequence and rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Heading", "chapter_headings", "find_mdna", "MDNA_TITLES", "FALLBACK_MDNA_TITLES"]

MDNA_TITLES = re.compile(r"(?:管理层|经营情况|公司经营情况|董事会关于公司报告期内经营情况的)讨论(?:与|和)?分析")
FALLBACK_MDNA_TITLES = re.compile(r"董事会报告")

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_HEADING = re.compile(r"第([一二三四五六七八九十]{1,3}|\d{1,2})[节章](?=[\u4e00-\u9fff])")
# Just before a cross-reference: an opening quote/bracket or a "see" verb / "this report".
# (Not any preceding 报告 or 见: a chapter may end with a table cell such as 审计报告 or 审计意见.)
_REF_BEFORE = re.compile(r"(?:[“\"《「『‘(\[]|(?<!意)见|参照|参阅|参考|本报告|载于|根据|按照|依据)$")
# A table-of-contents entry: the title runs into a dot leader and a page number, or straight into a
# page number and the next entry. (A prose ellipsis …… becomes "......" under NFKC, so a leader
# alone is not enough.)
_TOC_AFTER = re.compile(
    r"^[^.…·•]{0,40}?(?:(?:\.{4,}|…{3,}|·{4,}|•{4,})\d{1,3}|\d{1,3}第[一二三四五六七八九十\d]{1,3}[节章])"
)


def chinese_number(s: str) -> int | None:
    """一 -> 1, 十 -> 10, 十二 -> 12, 二十一 -> 21; Arabic digits pass through."""
    if s.isdigit():
        return int(s)
    if s == "十":
        return 10
    if "十" in s:
        tens, _, ones = s.partition("十")
        t = _CN_DIGITS.get(tens, 1) if tens else 1
        o = _CN_DIGITS.get(ones, 0) if ones else 0
        if (tens and tens not in _CN_DIGITS) or (ones and ones not in _CN_DIGITS):
            return None
        return 10 * t + o
    return _CN_DIGITS.get(s) if len(s) == 1 else None


@dataclass(frozen=True)
class Heading:
    start: int  # offset of "第"
    number: int
    title_start: int  # offset just after 节/章


def chapter_headings(text: str) -> list[Heading]:
    """Chapter headings of a normalized report, table-of-contents entries and references removed."""
    out = []
    for m in _HEADING.finditer(text):
        p = m.start()
        if _REF_BEFORE.search(text[max(0, p - 4) : p]):
            continue
        if _TOC_AFTER.match(text[m.end() : m.end() + 60]):
            continue
        n = chinese_number(m.group(1))
        if n is None:
            continue
        out.append(Heading(p, n, m.end()))
    return out


def find_mdna(text: str) -> tuple[int, int] | None:
    """(start, end) of the MD&A chapter in normalized ``text``, or None when not found.

    ``start`` is the offset of the chapter heading (``第四节经营情况讨论与分析``), ``end`` the offset
    of the next chapter heading with a higher number (or the end of the text).
    """
    heads = chapter_headings(text)
    for title_re in (MDNA_TITLES, FALLBACK_MDNA_TITLES):
        best: tuple[int, int] | None = None
        for i, h in enumerate(heads):
            if not title_re.match(text, h.title_start, h.title_start + 40):
                continue
            # Out of sequence (the next heading has a lower or equal number): a stray reference.
            if i + 1 < len(heads) and heads[i + 1].number <= h.number:
                continue
            end = len(text)
            for nxt in heads[i + 1 :]:
                if nxt.number > h.number:
                    end = nxt.start
                    break
            if best is None or end - h.start > best[1] - best[0]:
                best = (h.start, end)
        if best is not None:
            return best
    return None
