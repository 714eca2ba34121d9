"""Sample selection: the ledger reconciles and every drop is recorded with its rule."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.sample import SampleLedger, SampleRules, industry_class, is_special_treatment


def test_industry_classes():
    codes = pd.Series(["C13", "C43", "C12", "C44", "J66", "K70", "I65", "c27", None, ""])
    got = industry_class(codes, SampleRules()).tolist()
    assert got == ["kept", "kept", "non_manufacturing", "non_manufacturing", "financial", "real_estate",
                   "non_manufacturing", "kept", "missing", "missing"]


def test_special_treatment_names():
    names = pd.Series(["ST华仪", "*ST金宇", "＊ST康美", "S*ST前锋", "PT水仙", "四方科技", "STAR科技"])
    # a plain name that happens to start with "ST" is still flagged: CSMAR short names of ST
    # firms always carry the prefix, and A-share short names are Chinese
    assert is_special_treatment(names).tolist() == [True, True, True, True, True, False, True]


def test_ledger_records_rows_and_reconciles():
    frame = pd.DataFrame({"firm": ["a", "a", "b", "c"], "year": [1, 2, 1, 1], "v": [1.0, np.nan, 3.0, 4.0]})
    led = SampleLedger(frame)
    led.drop(frame["v"].isna().to_numpy(), "missing v")
    led.keep(led.frame["firm"] != "c", "not firm c", detail="firm c excluded")
    ledger = led.ledger()
    assert ledger["rows_dropped"].tolist() == [0, 1, 1]
    assert ledger["rows_remaining"].tolist() == [4, 3, 2]
    assert ledger["firms_remaining"].tolist() == [3, 3, 2]
    dropped = led.dropped()
    assert dropped[["firm", "year", "rule"]].values.tolist() == [["a", 2, "missing v"], ["c", 1, "not firm c"]]
    assert dropped["detail"].tolist() == ["", "firm c excluded"]
    with pytest.raises(ValueError, match="shape"):
        led.drop(np.array([True]), "bad mask")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(2000, 2005), st.floats(-1, 1)), min_size=1, max_size=60),
       st.lists(st.floats(-1, 1), min_size=1, max_size=5))
def test_ledger_reconciles_for_random_panels(rows, thresholds):
    frame = pd.DataFrame(rows, columns=["firm", "year", "v"])
    led = SampleLedger(frame)
    for i, t in enumerate(thresholds):
        led.drop((led.frame["v"] < t).to_numpy() & (led.frame["year"] % (i + 2) == 0), f"rule {i}")
    ledger, dropped = led.ledger(), led.dropped()
    assert ledger["rows_remaining"].iloc[-1] == len(led.frame)
    assert ledger["rows_dropped"].sum() == len(dropped) == len(frame) - len(led.frame)
    # every raw row is either kept or dropped exactly once
    kept = led.frame[["firm", "year", "v"]]
    both = pd.concat([kept, dropped[["firm", "year", "v"]]])
    assert sorted(map(tuple, both.values.tolist())) == sorted(map(tuple, frame.values.tolist()))
