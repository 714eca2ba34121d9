"""Panel building: sample rules, ledger reconciliation, duplicates, winsorizing."""

import numpy as np
import pandas as pd
import pytest

from analysis.ingest import RawDataError
from analysis.panel import build_panel, winsorize


def _statements(rows):
    """rows: (firm, date, type, short_name, assets, liabilities, revenue, profit)."""
    bs = pd.DataFrame({
        "firm": [r[0] for r in rows], "short_name": [r[3] for r in rows],
        "period_end": pd.to_datetime([r[1] for r in rows]), "statement_type": [r[2] for r in rows],
        "total_assets": [r[4] for r in rows], "total_liabilities": [r[5] for r in rows],
        "total_equity": [r[4] - r[5] if r[5] == r[5] else np.nan for r in rows],
        "_source_file": "bs.csv", "_source_row": range(4, 4 + len(rows))})
    inc = pd.DataFrame({
        "firm": [r[0] for r in rows], "short_name": [r[3] for r in rows],
        "period_end": pd.to_datetime([r[1] for r in rows]), "statement_type": [r[2] for r in rows],
        "total_revenue": [r[6] for r in rows], "operating_revenue": [r[6] for r in rows],
        "net_profit": [r[7] for r in rows], "_source_file": "is.csv", "_source_row": range(4, 4 + len(rows))})
    return bs, inc


def _company(firms):
    return pd.DataFrame({"firm": [f[0] for f in firms], "name": "x", "founded": pd.NaT,
                         "listed": pd.to_datetime("2000-01-01"), "industry": [f[1] for f in firms],
                         "ownership": [f[2] for f in firms]})


ROWS = [
    ("000001", "2018-12-31", "A", "甲", 100.0, 50.0, 80.0, 5.0),
    ("000001", "2019-12-31", "A", "甲", 110.0, 50.0, 88.0, 6.0),
    ("000001", "2019-12-31", "A", "甲", 110.0, 50.0, 88.0, 6.0),   # exact duplicate
    ("000001", "2019-06-30", "A", "甲", 105.0, 50.0, 40.0, 3.0),   # semiannual
    ("000001", "2019-12-31", "B", "甲", 90.0, 40.0, 60.0, 4.0),    # parent company
    ("000001", "2020-12-31", "A", "ST甲", 120.0, 60.0, 90.0, -1.0),  # ST year
    ("000002", "2018-12-31", "A", "乙", 200.0, 100.0, 150.0, 10.0),
    ("000002", "2019-12-31", "A", "乙", 210.0, np.nan, 160.0, 12.0),  # liabilities missing
    ("000003", "2018-12-31", "A", "丙", 300.0, 100.0, 100.0, 9.0),   # bank
    ("000003", "2019-12-31", "A", "丙", 310.0, 100.0, 110.0, 9.0),
    ("000004", "2019-12-31", "A", "丁", 50.0, 10.0, 40.0, 2.0),     # first year: no growth
]
CFG = {"industry": {"section": "C", "min": 13, "max": 43}, "exclude_st": True,
       "required": ["roa", "size", "lev", "growth", "serv", "dig"],
       "winsorize": {"enabled": False}}


def _measures(pairs):
    serv = pd.DataFrame({"firm": [p[0] for p in pairs], "year": [p[1] for p in pairs], "serv": 0.3})
    dig = pd.DataFrame({"firm": [p[0] for p in pairs], "year": [p[1] for p in pairs], "dig": 1.0})
    return serv, dig


def test_every_rule_drops_what_it_should_and_the_ledger_reconciles():
    bs, inc = _statements(ROWS)
    tables = {"balance_sheet": bs, "income_statement": inc,
              "company": _company([("000001", "C35", "国企"), ("000002", "C27", "民营"),
                                   ("000003", "J66", "国企"), ("000004", "C13", "民营")])}
    serv, dig = _measures([("000001", 2019), ("000001", 2020), ("000002", 2019), ("000004", 2019)])
    res = build_panel(tables, serv, dig, CFG)
    led = res.ledger.set_index("rule")["rows_dropped"]
    assert led["annual statements only (period ending Dec 31)"] == 1
    assert led["consolidated statements only (Typrep A)"] == 1
    assert led["exact duplicate row"] == 1
    assert led["financial industry (CSRC J)"] == 2
    assert led["special treatment (ST, *ST, PT) firm-year"] == 1
    assert led["missing lev"] == 1
    assert led["missing growth"] == 3  # first years of 000001, 000002, 000004
    assert res.ledger["rows_remaining"].iloc[0] == len(ROWS)
    assert res.ledger["rows_dropped"].sum() == len(ROWS) - len(res.panel) == len(res.dropped)
    # the one surviving firm-year, with variables computed by hand
    assert res.panel[["firm", "year"]].values.tolist() == [["000001", 2019]]
    row = res.panel.iloc[0]
    assert row["roa"] == pytest.approx(6 / 110) and row["lev"] == pytest.approx(50 / 110)
    assert row["growth"] == pytest.approx(88 / 80 - 1) and row["soe"] == 1
    assert set(res.dropped["_source_row"].dropna().astype(int)) <= set(range(4, 4 + len(ROWS)))


def test_conflicting_duplicates_stop_with_file_and_rows():
    rows = ROWS[:2] + [("000001", "2019-12-31", "A", "甲", 999.0, 50.0, 88.0, 6.0)]
    bs, inc = _statements(rows)
    tables = {"balance_sheet": bs, "income_statement": inc, "company": _company([("000001", "C35", "国企")])}
    serv, dig = _measures([])
    with pytest.raises(RawDataError, match=r"bs.csv.*share a firm-year.*000001.*2019"):
        build_panel(tables, serv, dig, CFG)


def test_winsorize_pooled_and_by_year():
    df = pd.DataFrame({"year": [1] * 5 + [2] * 5, "v": [0.0, 1, 2, 3, 100, 10, 11, 12, 13, -50]})
    out, bounds = winsorize(df, ["v"], (0.1, 0.9))
    lo, hi = np.quantile(df["v"], [0.1, 0.9])
    assert out["v"].min() == pytest.approx(lo) and out["v"].max() == pytest.approx(hi)
    out, bounds = winsorize(df, ["v"], (0.25, 0.75), by="year")
    assert out.loc[4, "v"] == pytest.approx(np.quantile([0, 1, 2, 3, 100], 0.75))
    assert out.loc[9, "v"] == pytest.approx(np.quantile([10, 11, 12, 13, -50], 0.25))
    assert bounds["group"].tolist() == ["1", "2"] and bounds["n_clipped_high"].tolist() == [1, 1]
