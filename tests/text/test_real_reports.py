"""Real annual reports (shared data, not in the repository): extraction, counts, MD&A boundaries.

Expected counts come from a reference counter written here (plain-Python leftmost-longest scan),
not from the package's counter.
"""

from __future__ import annotations

import re
import unicodedata

import pymupdf
import pytest

from analysis.text.counting import KeywordCounter
from analysis.text.dictionary import dictionary_from_mapping, load_dictionary
from analysis.text.pdf import extract_pdf
from analysis.text.sections import find_mdna

pytestmark = pytest.mark.shared

REPORTS = {
    # file: (fiscal year, MD&A heading as printed, next chapter heading)
    "600201_2020_annual_report.pdf": (2020, "第四节经营情况讨论与分析", "第五节重要事项"),
    "603339_2019_annual_report.pdf": (2019, "第四节经营情况讨论与分析", "第五节重要事项"),
}

WU = load_dictionary()
# Frequent, heavily nested words: exercises leftmost-longest resolution on real text.
DENSE_TERMS = ["公司", "有限公司", "股份有限公司", "研发", "研发投入", "投入", "疫苗", "口蹄疫",
               "口蹄疫疫苗", "智能", "智能制造", "数字化", "信息化", "数据", "大数据", "互联网",
               "报告期", "报告期内", "期内", "冷链", "冷链物流", "物流", "CNAS", "ELISA"]
DENSE = dictionary_from_mapping({"name": "dense", "version": "1", "source": "test",
                                 "categories": {"x": {"label_zh": "x", "label_en": "x",
                                                      "terms": DENSE_TERMS}}})


def reference_count(text: str, terms) -> dict[str, int]:
    """Leftmost-longest, non-overlapping, ASCII case-insensitive; indexed by first character."""
    def fold(s):
        return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)

    ftext = fold(text)
    by_first: dict[str, list[str]] = {}
    for t in sorted(terms, key=len, reverse=True):
        by_first.setdefault(fold(t)[0], []).append(t)
    counts: dict[str, int] = {}
    i = 0
    while i < len(ftext):
        for t in by_first.get(ftext[i], ()):
            if ftext[i : i + len(t)] == fold(t):
                counts[t] = counts.get(t, 0) + 1
                i += len(t)
                break
        else:
            i += 1
    return counts


@pytest.fixture(scope="module")
def extracted(real_reports_dir):
    out = {}
    for name in REPORTS:
        path = real_reports_dir / name
        if not path.exists():
            pytest.skip(f"{path} not found")
        doc = pymupdf.open(path)
        raw_pages = [p.get_text() for p in doc]
        out[name] = (extract_pdf(path), raw_pages)
    return out


@pytest.mark.parametrize("name", list(REPORTS))
def test_extraction_removes_running_heads(extracted, name):
    ext, raw_pages = extracted[name]
    year = REPORTS[name][0]
    n = len(raw_pages)
    assert ext.status == "ok" and ext.n_pages == n
    raw = "".join("".join(p.split()) for p in raw_pages)
    # every raw page carries "k / n" and "<year> 年年度报告"; none of the page markers survives
    marker = [re.compile(rf"^\s*{k}\s*/\s*{n}\s*$", re.M) for k in range(1, n + 1)]
    assert all(marker[k].search(raw_pages[k]) for k in range(n))
    assert re.findall(rf"(?<!\d)\d{{1,3}}/{n}", ext.text) == []
    assert raw.count(f"{year}年年度报告") >= n
    assert ext.text.count(f"{year}年年度报告") <= 5  # cover page and prose mentions only
    assert not any(ch.isspace() for ch in ext.text)
    assert not any(0xFF01 <= ord(ch) <= 0xFF5E for ch in ext.text)
    # nothing but running heads is lost: the cleaned text is the raw text minus ~ n short lines
    assert 0 < len(raw) - len(unicodedata.normalize("NFKC", ext.text)) < 40 * n


@pytest.mark.parametrize("name", list(REPORTS))
@pytest.mark.parametrize("dictionary", [WU, DENSE], ids=["wu_fei", "dense_nested"])
def test_counts_equal_reference(extracted, name, dictionary):
    ext, raw_pages = extracted[name]
    counter = KeywordCounter(dictionary)
    expected = reference_count(ext.text, dictionary.terms)
    assert counter.count(ext.text) == expected
    # the same terms are found in the raw pymupdf text normalized independently of the package
    raw = "".join("".join(unicodedata.normalize("NFKC", p).split()) for p in raw_pages)
    raw_counts = reference_count(raw, dictionary.terms)
    assert sum(expected.values()) >= sum(raw_counts.values()) * 0.98
    if dictionary is DENSE:
        assert sum(expected.values()) > 500  # the check is not vacuous


@pytest.mark.parametrize("name", list(REPORTS))
def test_mdna_boundaries(extracted, name):
    ext, _ = extracted[name]
    text = ext.text
    _, heading, next_heading = REPORTS[name]
    span = find_mdna(text)
    assert span is not None
    start, end = span
    # the table of contents lists the heading first (followed by dot leaders): not that one
    toc = text.index(heading + "....")
    toc_end = text.index("第十二节备查文件目录")
    assert toc < toc_end < start
    # the chapter itself: heading immediately followed by its first subsection "一、"
    assert start == text.index(heading + "一、")
    assert end == text.index(next_heading + "一、")
    # counting inside the section agrees with the reference too
    sub = text[start:end]
    assert KeywordCounter(DENSE).count(sub) == reference_count(sub, DENSE_TERMS)


@pytest.mark.parametrize("name", list(REPORTS))
def test_service_intensity_equals_reference(extracted, name):
    """Text-based service intensity: the service-term dictionary counted in the MD&A by the package equals
    the reference scan, and the measure is 10,000 x count / MD&A characters."""
    import pandas as pd

    from analysis.text.dictionary import SERVICE_DICTIONARY_PATH
    from analysis.text.measures import service_intensity

    svc = load_dictionary(SERVICE_DICTIONARY_PATH)
    ext, _ = extracted[name]
    start, end = find_mdna(ext.text)
    sub = ext.text[start:end]
    expected = reference_count(sub, svc.terms)
    got = KeywordCounter(svc).count(sub)
    assert got == expected and sum(expected.values()) > 0
    counts = pd.DataFrame([("600000", 2020, "mdna", t, c) for t, c in got.items()],
                          columns=["firm", "year", "section", "term", "count"])
    chars = pd.DataFrame([("600000", 2020, "mdna", len(sub))], columns=["firm", "year", "section", "n_chars"])
    m = service_intensity(counts, chars, svc).iloc[0]
    assert m.svc_text_per10k == pytest.approx(10000 * sum(expected.values()) / len(sub))


@pytest.mark.parametrize("name", list(REPORTS))
def test_jsonl_page_corpus_reads_like_the_pdf(extracted, name, tmp_path):
    """A JSON-lines page corpus ({"page": n, "inside": text} per line) made from a real report's pages is
    read as pages: the same normalized text as the PDF (running heads stripped per page, no JSON syntax),
    the same MD&A, and the same revenue breakdown."""
    import json

    from analysis.servitization.report_table import extract_breakdown
    from analysis.text.pdf import extract_file

    ext, raw_pages = extracted[name]
    p = tmp_path / name.replace(".pdf", ".jsonl")
    p.write_text("\n".join(json.dumps({"page": i, "inside": t}, ensure_ascii=False)
                           for i, t in enumerate(raw_pages, 1)), encoding="utf-8")
    j = extract_file(p)
    assert j.status == "ok" and j.n_pages == ext.n_pages
    assert j.text == ext.text and '"inside"' not in j.text
    assert find_mdna(j.text) == find_mdna(ext.text) is not None
    a = extract_breakdown(p)
    b = extract_breakdown(extracted_path(name))
    assert a.status["result"] == b.status["result"] == "reconciled"
    assert list(a.segments["segment"]) == list(b.segments["segment"])
    assert list(a.segments["revenue"]) == list(b.segments["revenue"])


def extracted_path(name):
    from tests.conftest import REAL_REPORTS_DIR
    return REAL_REPORTS_DIR / name
