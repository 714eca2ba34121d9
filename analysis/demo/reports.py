"""Synthetic annual-report texts in which dictionary terms occur a known number of times.

A report is Chinese boilerplate prose in the chapter structure of A-share annual reports (a table
of contents, then 第一节 ... 第七节, the MD&A chapter being 第四节 经营情况讨论与分析). Each term
mention is a sentence made from a template whose surrounding characters can never form or extend
a dictionary term, and the whole text is checked against an independent leftmost-longest count,
so the number of mentions written is exactly the number a correct counter finds.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

CHAPTERS = ("第一节 重要提示、目录和释义", "第二节 公司简介和主要财务指标", "第三节 公司业务概要",
            "第四节 经营情况讨论与分析", "第五节 重要事项", "第六节 普通股股份变动及股东情况",
            "第七节 财务报告")
MDNA_CHAPTER = 3  # index into CHAPTERS

FILLER = (
    "公司董事会、监事会及董事、监事、高级管理人员保证年度报告内容的真实性、准确性、完整性。",
    "报告期内，公司主营业务未发生重大变化，经营状况总体平稳。",
    "公司坚持以客户为中心，持续优化产品结构，提升核心竞争力。",
    "公司严格按照企业会计准则的规定编制财务报表，真实完整地反映了公司的财务状况。",
    "面对复杂多变的外部环境，公司管理层积极应对，努力完成年度经营目标。",
    "公司持续加强安全生产管理，全年未发生重大安全事故。",
    "公司重视研发投入，不断完善研发体系和人才激励机制。",
    "公司积极履行社会责任，注重保护股东、债权人和职工的合法权益。",
    "原材料价格波动对公司毛利率产生一定影响，公司通过集中采购降低成本。",
    "公司不断拓展国内外市场，营销网络覆盖主要区域。",
    "报告期内公司现金流量状况良好，资产负债结构合理。",
    "公司将继续深化内部控制建设，提升规范运作水平。",
    "公司所处行业竞争激烈，行业集中度逐步提高。",
    "公司主要产品的产能利用率保持在较高水平。",
    "未来公司将围绕发展战略，稳步推进重点项目建设。",
)
TEMPLATES = (
    "公司持续推进{}相关工作。",
    "报告期内公司在{}领域加大投入。",
    "公司积极布局{}业务。",
    "围绕{}，公司开展了多项研究。",
)


def _normalize(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def reference_count(text: str, terms: list[str]) -> int:
    """Leftmost-longest, non-overlapping, case-insensitive count of ``terms`` in ``text``.

    Deliberately independent of the package's counter (a regular expression whose alternatives are
    tried longest first), used only to check the generated texts.
    """
    alternatives = sorted({_normalize(t) for t in terms}, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(t) for t in alternatives), re.IGNORECASE)
    return sum(1 for _ in pattern.finditer(_normalize(text)))


def check_building_blocks(terms: list[str]) -> None:
    """Fail loudly if a filler sentence contains a term or a template can change a mention's count."""
    low = [t.casefold() for t in terms]
    for s in FILLER + CHAPTERS:
        hit = [t for t in low if t in s.casefold()]
        if hit:
            raise AssertionError(f"demo filler {s!r} contains dictionary terms {hit}")
    for tpl in TEMPLATES:
        prefix = tpl.split("{}")[0]
        for term in terms:
            s = tpl.format(term).casefold()
            lo, hi = len(prefix), len(prefix) + len(term)
            for u in low:
                start = s.find(u)
                while start != -1:
                    if start < lo or start + len(u) > hi:
                        raise AssertionError(f"template {tpl!r} with {term!r} creates {u!r}")
                    start = s.find(u, start + 1)


def _variant(rng: np.random.Generator, term: str) -> str:
    """A surface form of a mention: Latin case/full-width variants, or a line break inside."""
    if term.isascii() or any(c.isascii() and c.isalpha() for c in term):
        r = rng.random()
        if r < 0.2:
            term = term.lower()
        elif r < 0.3:
            term = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in term)
    if len(term) >= 2 and rng.random() < 0.05:
        k = int(rng.integers(1, len(term)))
        term = term[:k] + "\n" + term[k:]
    return term


def report_text(rng: np.random.Generator, *, name: str, year: int,
                mentions: list[str], mdna_share: float = 0.6, filler_per_chapter: int = 12) -> tuple[str, int]:
    """One report's text; returns (text, number of mentions placed inside the MD&A chapter)."""
    chapters: list[list[str]] = [[] for _ in CHAPTERS]
    for ch in chapters:
        ch.extend(FILLER[i] for i in rng.integers(0, len(FILLER), filler_per_chapter))
    in_mdna = 0
    others = [i for i in range(len(CHAPTERS)) if i != MDNA_CHAPTER]
    for term in mentions:
        if rng.random() < mdna_share:
            idx = MDNA_CHAPTER
            in_mdna += 1
        else:
            idx = others[int(rng.integers(0, len(others)))]
        sentence = TEMPLATES[int(rng.integers(0, len(TEMPLATES)))].format(_variant(rng, term))
        pos = int(rng.integers(0, len(chapters[idx]) + 1))
        chapters[idx].insert(pos, sentence)
    lines = [f"{name}", f"{year}年年度报告", "", "目录"]
    lines += [f"{c} ......... {i * 7 + 2}" for i, c in enumerate(CHAPTERS)]
    for title, body in zip(CHAPTERS, chapters):
        lines += ["", title]
        # wrap prose at 38 characters, as text extracted from a PDF page would be
        para = "".join(body)
        lines += [para[i:i + 38] for i in range(0, len(para), 38)]
    return "\n".join(lines) + "\n", in_mdna
