"""digital_indices: per (firm, year, section) totals, categories and indices (hand-computed)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.text.dictionary import load_dictionary
from analysis.text.measures import digital_indices, normalize_firm

WU = load_dictionary()


def _counts(rows):
    return pd.DataFrame(rows, columns=["firm", "year", "section", "term", "count"])


def _chars(rows):
    return pd.DataFrame(rows, columns=["firm", "year", "section", "n_chars"])


def test_indices_hand_computed():
    counts = _counts(
        [
            ("000651", 2020, "full", "人工智能", 3),
            ("000651", 2020, "full", "机器学习", 1),
            ("000651", 2020, "full", "B2B", 2),
            ("000651", 2020, "mdna", "人工智能", 1),
            (600201, 2019, "full", "区块链", 5),  # int firm code is padded
        ]
    )
    chars = _chars(
        [
            ("000651", 2020, "full", 20000),
            ("000651", 2020, "mdna", 4000),
            ("600201", 2019, "full", 50000),
            ("600201", 2020, "full", 1000),  # no terms: zeros, not missing
        ]
    )
    out = digital_indices(counts, chars, WU)
    assert list(out.columns) == [
        "firm", "year", "section", "n_chars", "dig_total",
        "dig_ai", "dig_big_data", "dig_cloud", "dig_blockchain", "dig_application",
        "dig_ln", "dig_per10k",
    ]
    assert out[["firm", "year", "section"]].values.tolist() == [
        ["000651", 2020, "full"], ["000651", 2020, "mdna"],
        ["600201", 2019, "full"], ["600201", 2020, "full"],
    ]
    r = out.iloc[0]
    assert (r.dig_total, r.dig_ai, r.dig_application, r.dig_cloud) == (6, 4, 2, 0)
    assert r.dig_ln == pytest.approx(math.log(7))
    assert r.dig_per10k == pytest.approx(3.0)  # 6 * 10000 / 20000
    r = out.iloc[1]
    assert (r.dig_total, r.dig_ai) == (1, 1) and r.dig_per10k == pytest.approx(2.5)
    r = out.iloc[2]
    assert (r.dig_total, r.dig_blockchain) == (5, 5) and r.dig_ln == pytest.approx(math.log(6))
    r = out.iloc[3]
    assert r.dig_total == 0 and r.dig_ln == 0.0 and r.dig_per10k == 0.0
    assert out["firm"].map(len).eq(6).all()
    assert str(out["year"].dtype) == "int64"


def test_empty_counts_and_zero_chars():
    out = digital_indices(_counts([]), _chars([("1", 2021, "full", 0)]), WU)
    assert out.loc[0, "firm"] == "000001"
    assert out.loc[0, "dig_total"] == 0 and math.isnan(out.loc[0, "dig_per10k"])


def test_errors():
    chars = _chars([("000651", 2020, "full", 100)])
    with pytest.raises(ValueError, match="not in dictionary"):
        digital_indices(_counts([("000651", 2020, "full", "元宇宙", 1)]), chars, WU)
    with pytest.raises(ValueError, match="without an n_chars row"):
        digital_indices(_counts([("000651", 2021, "full", "大数据", 1)]), chars, WU)
    with pytest.raises(ValueError, match="duplicate"):
        digital_indices(_counts([]), pd.concat([chars, chars]), WU)
    with pytest.raises(ValueError, match="lacks column"):
        digital_indices(_counts([]), chars.drop(columns="n_chars"), WU)


@pytest.mark.parametrize(
    "value, expected",
    [(651, "000651"), ("651", "000651"), ("000651.SZ", "000651"), ("SH600201", "600201"),
     (600201.0, "600201"), (" 600201 ", "600201")],
)
def test_normalize_firm(value, expected):
    assert normalize_firm(value) == expected


@pytest.mark.parametrize("value", ["60020A", "1234567", -1, "abc"])
def test_normalize_firm_rejects(value):
    with pytest.raises(ValueError):
        normalize_firm(value)


def test_every_section_keeps_its_columns_whichever_is_the_main_measure():
    """reports.section: mdna must not remove the dig_mdna robustness choice (it did: only the other
    sections got dig_<section> columns)."""
    from analysis.text.measures import firm_year_dig

    idx = pd.DataFrame({"firm": ["000001"] * 2, "year": [2020] * 2, "section": ["full", "mdna"],
                        "n_chars": [1000, 400], "dig_total": [9, 3], "dig_ln": [math.log(10), math.log(4)],
                        "dig_per10k": [90.0, 75.0]})
    for main, other in (("full", "mdna"), ("mdna", "full")):
        w = firm_year_dig(idx, main)
        assert len(w) == 1
        assert w["dig"].iloc[0] == w[f"dig_{main}"].iloc[0]
        assert {"dig_full", "dig_mdna", "dig_full_per10k", "dig_mdna_per10k"} <= set(w.columns)
        assert w["dig_count"].iloc[0] == (9 if main == "full" else 3)
