"""KeywordCounter against a brute-force leftmost-longest reference counter.

The reference scans every position and compares every term character by character (ASCII letters
compared case-insensitively): it shares no code with the Aho-Corasick implementation.
"""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from analysis.text.counting import KeywordCounter, category_totals
from analysis.text.dictionary import dictionary_from_mapping, load_dictionary
from analysis.text.normalize import normalize_text

WU = load_dictionary()
WU_COUNTER = KeywordCounter(WU)


def _same(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x == y:
            continue
        if "A" <= x <= "Z" or "a" <= x <= "z":
            if chr(ord(x) ^ 0x20) == y:
                continue
        return False
    return True


def reference_count(text, terms, negators=()):
    counts = {}
    i = 0
    while i < len(text):
        best = None
        for t in terms:
            if _same(text[i : i + len(t)], t) and (best is None or len(t) > len(best)):
                best = t
        if best is None:
            i += 1
            continue
        negated = any(i >= len(n) and text[i - len(n) : i] == n for n in negators)
        if not negated:
            counts[best] = counts.get(best, 0) + 1
        i += len(best)
    return counts


def _dict_of(terms):
    return dictionary_from_mapping(
        {
            "name": "gen",
            "version": "1",
            "source": "generated",
            "categories": {"x": {"label_zh": "x", "label_en": "x", "terms": list(terms)}},
        }
    )


# --- hand-computed cases -------------------------------------------------------------------------


def test_nested_terms_not_double_counted():
    assert WU_COUNTER.count("推进移动互联网建设") == {"移动互联网": 1}
    assert WU_COUNTER.count("移动互联和移动互联网") == {"移动互联": 1, "移动互联网": 1}
    # 网联 straddles the end of 移动互联网: leftmost-longest takes 移动互联网 only
    assert WU_COUNTER.count("移动互联网联盟") == {"移动互联网": 1}


def test_case_insensitive_latin_terms():
    assert WU_COUNTER.count("b2b、B2b、FINTECH及fintech,NFC支付,eb级存储") == {
        "B2B": 2,
        "Fintech": 2,
        "NFC支付": 1,
        "EB级存储": 1,
    }


def test_counts_after_normalization_of_broken_and_fullwidth_text():
    raw = "公司发展人工\n智能与大 数据，开展Ｂ２Ｃ业务和\u3000云计\r\n算"
    assert WU_COUNTER.count(normalize_text(raw)) == {"人工智能": 1, "大数据": 1, "B2C": 1, "云计算": 1}


def test_regression_pyahocorasick_iter_long_miss():
    # pyahocorasick 2.3.1 iter_long returns nothing here; the right answer is one "bc".
    c = KeywordCounter(_dict_of(["abcd", "bc"]))
    assert c.count("abce") == {"bc": 1}
    c = KeywordCounter(_dict_of(["cbba", "caa", "a", "cab", "ab"]))
    assert c.count("bcbbabca") == {"cbba": 1, "a": 1}


def test_negation_exclusion():
    c = KeywordCounter(WU, exclude_negated=True)
    text = "公司没有区块链业务，无人工智能，未涉及大数据，并将发展云计算；无人零售"
    assert c.count(text) == {"大数据": 1, "云计算": 1, "无人零售": 1}
    assert c.count_negated(text) == {"区块链": 1, "人工智能": 1}  # 未涉及 is not immediately before
    assert WU_COUNTER.count(text) == {
        "区块链": 1, "人工智能": 1, "大数据": 1, "云计算": 1, "无人零售": 1,
    }
    # a negated long term is consumed: the nested short term is not counted instead
    assert c.count("无移动互联网") == {}


def test_category_totals_all_categories():
    counts = {"人工智能": 2, "机器学习": 1, "区块链": 4}
    assert category_totals(counts, WU) == {
        "ai": 3, "big_data": 0, "cloud": 0, "blockchain": 4, "application": 0,
    }
    assert WU_COUNTER.category_totals({}) == dict.fromkeys(WU.categories, 0)


def test_empty_and_termless_text():
    assert WU_COUNTER.count("") == {}
    assert WU_COUNTER.count("公司主营业务为疫苗生产") == {}


# --- property tests ------------------------------------------------------------------------------

_FULL = {c: chr(ord(c) + 0xFEE0) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"}


@st.composite
def dirty_documents(draw, terms, filler_chars):
    """(clean text, dirty text): terms and filler pieces; the dirty copy has whitespace inserted
    (also inside terms), random ASCII case flips and some characters in full-width form."""
    pieces = draw(
        st.lists(
            st.one_of(
                st.sampled_from(terms),
                st.text(st.sampled_from(filler_chars), min_size=1, max_size=4),
            ),
            max_size=25,
        )
    )
    clean = "".join(pieces)
    flips = draw(st.lists(st.booleans(), min_size=len(clean), max_size=len(clean)))
    clean = "".join(
        (ch.swapcase() if f and ch.isascii() and ch.isalpha() else ch) for ch, f in zip(clean, flips)
    )
    dirty = []
    for ch in clean:
        if ch in _FULL and draw(st.integers(0, 3)) == 0:
            dirty.append(_FULL[ch])
        else:
            dirty.append(ch)
        if draw(st.integers(0, 5)) == 0:
            dirty.append(draw(st.sampled_from(["\n", " ", "\r\n", "\u3000", "\t", "  \n "])))
    return clean, "".join(dirty)


# Filler built from fragments of the real terms, so that near-misses and nestings are frequent.
_WU_FILLER = sorted(set("".join(WU.terms)) | set("，。、公司网联") )


@settings(max_examples=300, deadline=None)
@given(dirty_documents(list(WU.terms), _WU_FILLER))
def test_wu_dictionary_matches_reference(doc):
    clean, dirty = doc
    expected = reference_count(clean, WU.terms)
    assert WU_COUNTER.count(normalize_text(dirty)) == expected


_NEG_COUNTER = KeywordCounter(WU, exclude_negated=True)


@settings(max_examples=200, deadline=None)
@given(dirty_documents(list(WU.terms) + ["没有", "无", "未"], _WU_FILLER + ["无", "未"]))
def test_wu_dictionary_negation_matches_reference(doc):
    clean, dirty = doc
    expected = reference_count(clean, WU.terms, negators=("没有", "无", "未"))
    assert _NEG_COUNTER.count(normalize_text(dirty)) == expected


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.text(st.sampled_from("ab数据B"), min_size=1, max_size=4), min_size=1, max_size=6),
    st.text(st.sampled_from("abAB数据"), max_size=30),
)
def test_random_dictionaries_match_reference(terms, text):
    uniq = list({t.lower(): t for t in terms}.values())
    assume(len(uniq) == len({t.lower() for t in uniq}))
    counter = KeywordCounter(_dict_of(uniq))
    assert counter.count(text) == reference_count(text, uniq)
    # spans are non-overlapping, ordered, and cover text equal to their term
    last = 0
    for s, e, term, _neg in counter.spans(text):
        assert s >= last and _same(text[s:e], term)
        last = e


def test_case_folding_fallback_for_non_ascii_or_long_latin_terms():
    # Non-ASCII cased letters / very long Latin terms: the counter lower-cases the text instead of
    # enumerating spellings; results must be the same as the reference.
    terms = ["Ωmega数据", "Blockchainbased", "区块链"]
    c = KeywordCounter(_dict_of(terms))
    assert c._lower_text  # the fallback path is the one under test
    text = "ωMEGA数据、BLOCKCHAINBASED和blockchainBased及区块链"
    assert c.count(text) == {"Ωmega数据": 1, "Blockchainbased": 2, "区块链": 1}
    ascii_only = KeywordCounter(_dict_of(["Fintech", "B2B"]))
    assert not ascii_only._lower_text
    assert ascii_only.count("FinTech fINTECH b2B") == {"Fintech": 2, "B2B": 1}
