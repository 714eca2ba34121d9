"""Loading and validating keyword dictionaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.text.dictionary import (
    DEFAULT_DICTIONARY_PATH,
    DictionaryError,
    combine,
    load_dictionary,
)

EXTRA = DEFAULT_DICTIONARY_PATH.parent / "example_extra_transformation.yaml"

# Category sizes of Wu Fei et al. (2021) as listed in shared/docs/METHODS.md, section 2.
EXPECTED_SIZES = {"ai": 15, "big_data": 9, "cloud": 13, "blockchain": 5, "application": 34}


def test_packaged_wu_fei_dictionary():
    d = load_dictionary()
    assert d.name == "wu_fei_2021"
    assert len(d.terms) == 76 and len(set(d.terms)) == 76
    assert d.categories == tuple(EXPECTED_SIZES)
    assert {c: len(d.terms_of(c)) for c in d.categories} == EXPECTED_SIZES
    # spot checks against the published list
    assert d.category_of["人工智能"] == "ai"
    assert d.category_of["征信"] == "big_data"
    assert d.category_of["EB级存储"] == "cloud"
    assert d.category_of["差分隐私技术"] == "blockchain"
    assert d.category_of["Fintech"] == "application"
    assert d.category_of["移动互联"] == "application"
    assert d.labels_zh["ai"] == "人工智能技术"
    assert load_dictionary(DEFAULT_DICTIONARY_PATH).fingerprint == d.fingerprint
    frame = d.to_frame()
    assert list(frame.columns[:2]) == ["term", "category"] and len(frame) == 76


def _write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "d.yaml"
    p.write_text(body, encoding="utf-8")
    return p


GOOD = """name: t
version: "1"
source: test
categories:
  a: {label_zh: 甲, label_en: A, terms: [%s]}
"""


@pytest.mark.parametrize(
    "terms, needle",
    [
        ("大数据, 云计算, 大数据", "大数据"),  # duplicate
        ("Fintech, fintech", "fintech"),  # duplicate up to case (matching is case-insensitive)
        ("'大 数据'", "大 数据"),  # whitespace: would never match normalized text
        ("Ｂ２Ｂ", "Ｂ２Ｂ"),  # full-width: not normalized
        ("''", "empty term"),
        ("123", "123"),  # not a string (YAML int)
    ],
)
def test_invalid_terms_name_file_and_term(tmp_path, terms, needle):
    p = _write(tmp_path, GOOD % terms)
    with pytest.raises(DictionaryError) as exc:
        load_dictionary(p)
    assert str(p) in str(exc.value) and needle in str(exc.value)


@pytest.mark.parametrize(
    "body, needle",
    [
        ("name: t\nversion: '1'\ncategories: {}\n", "source"),
        ("name: t\nversion: '1'\nsource: s\ncategories: {}\nextra: 1\n", "extra"),
        ("name: t\nversion: '1'\nsource: s\ncategories:\n  Bad-Key: {label_zh: x, label_en: y, terms: [a]}\n", "Bad-Key"),
        ("name: t\nversion: '1'\nsource: s\ncategories:\n  a: {label_zh: x, terms: [a]}\n", "label_en"),
        ("name: t\nversion: '1'\nsource: s\ncategories:\n  a: {label_zh: x, label_en: y, terms: []}\n", "'a'"),
        ("name: t\nversion: '1'\nsource: s\ncategories:\n  a: {label_zh: x, label_en: y, terms: [b], weight: 2}\n", "weight"),
        ("[1, 2]\n", "mapping"),
        ("name: t\n  bad: [\n", "YAML"),
    ],
)
def test_invalid_structure(tmp_path, body, needle):
    p = _write(tmp_path, body)
    with pytest.raises(DictionaryError) as exc:
        load_dictionary(p)
    assert str(p) in str(exc.value) and needle in str(exc.value)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_dictionary(tmp_path / "nope.yaml")


def test_combine_with_packaged_extra_file():
    base = load_dictionary()
    extra = load_dictionary(EXTRA)
    both = combine(base, extra)
    assert both.terms[:76] == base.terms
    assert len(both.terms) == 76 + len(extra.terms)
    assert both.categories == base.categories + extra.categories
    assert both.category_of["人工智能"] == "ai"
    for t in extra.terms:
        assert both.category_of[t] == extra.category_of[t]


def test_combine_rejects_duplicate_terms_and_label_conflicts(tmp_path):
    base = load_dictionary()
    dup = load_dictionary(_write(tmp_path, GOOD % "区块链, 元宇宙"))
    with pytest.raises(DictionaryError, match="区块链"):
        combine(base, dup)
    p2 = tmp_path / "e.yaml"
    p2.write_text(
        "name: e\nversion: '1'\nsource: s\ncategories:\n"
        "  ai: {label_zh: 别的, label_en: Other, terms: [元宇宙]}\n",
        encoding="utf-8",
    )
    with pytest.raises(DictionaryError, match="ai"):
        combine(base, load_dictionary(p2))
