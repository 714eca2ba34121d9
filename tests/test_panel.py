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
                         "ownership": [f[2] for f in firms], "province": "广东省"})


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


# --------------------------------------------------------------------------- issue 3 additions
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from analysis.sample import industry_by_year  # noqa: E402


def _years_rows(firm, years, short="甲", assets=100.0):
    return [(firm, f"{y}-12-31", "A", short, assets + y - 2015, 40.0, 80.0 + y - 2015, 5.0) for y in years]


def test_industry_valid_in_each_year_from_the_history():
    rows = _years_rows("000001", range(2015, 2021)) + _years_rows("000002", range(2015, 2021))
    bs, inc = _statements(rows)
    company = _company([("000001", "K70", "国企"), ("000002", "C27", "民营")])  # today's codes
    history = pd.DataFrame({"firm": ["000001", "000001", "000002"],
                            "start": pd.to_datetime(["2000-01-01", "2018-07-01", "2019-01-01"]),
                            "industry": ["C35", "K70", "J66"], "_source_file": "h.csv", "_source_row": [4, 5, 6]})
    serv, dig = _measures([(f, y) for f in ("000001", "000002") for y in range(2015, 2021)])
    tables = {"balance_sheet": bs, "income_statement": inc, "company": company, "industry_history": history}
    res = build_panel(tables, serv, dig, CFG)
    led = res.ledger.set_index("rule")["rows_dropped"]
    assert led["real estate (CSRC K)"] == 3  # 000001 from 2018 on (code of Dec 31)
    assert led["financial industry (CSRC J)"] == 2  # 000002 in 2019-2020
    got = res.panel.set_index(["firm", "year"])
    # 2015 has no growth; 000002 before its first history row keeps the company's code C27
    assert got.index.tolist() == [("000001", 2016), ("000001", 2017), ("000002", 2016), ("000002", 2017),
                                  ("000002", 2018)]
    assert got["industry"].tolist() == ["C35", "C35", "C27", "C27", "C27"]
    assert got["industry_source"].tolist() == ["history", "history", "company", "company", "company"]
    # without the history, the current codes decide: 000001 (K70) out entirely, 000002 (C27) in
    res2 = build_panel({k: v for k, v in tables.items() if k != "industry_history"}, serv, dig, CFG)
    assert set(res2.panel["firm"]) == {"000002"} and len(res2.panel) == 5


def test_industry_by_year_unit():
    fy = pd.DataFrame({"firm": ["1", "1", "2"], "year": [2010, 2012, 2012]})
    hist = pd.DataFrame({"firm": ["1", "1"], "start": pd.to_datetime(["2011-12-31", "2013-01-01"]),
                         "industry": ["C30", "J66"]})
    code, src = industry_by_year(fy, pd.Series(["X", "X", "Y"]), hist)
    assert code.tolist() == ["X", "C30", "Y"] and src.tolist() == ["company", "history", "company"]


def test_tobin_q_and_top1_where_data_exist():
    rows = _years_rows("000001", [2018, 2019, 2020])
    bs, inc = _statements(rows)
    mv = pd.DataFrame({"firm": ["000001", "000001"], "period_end": pd.to_datetime(["2019-12-31", "2020-12-31"]),
                       "year": pd.array([2019, 2020], dtype="Int64"), "market_value": [200.0, np.nan],
                       "_source_file": "mv.csv", "_source_row": [4, 5]})
    sh = pd.DataFrame({"firm": ["000001"] * 3,
                       "period_end": pd.to_datetime(["2019-06-30", "2019-12-31", "2020-12-31"]),
                       "year": pd.array([pd.NA, 2019, 2020], dtype="Int64"), "top1": [0.9, 0.35, 0.4],
                       "_source_file": "sh.csv", "_source_row": [4, 5, 6]})
    tables = {"balance_sheet": bs, "income_statement": inc, "company": _company([("000001", "C35", "国企")]),
              "market_value": mv, "shareholders": sh}
    serv, dig = _measures([("000001", 2019), ("000001", 2020)])
    p = build_panel(tables, serv, dig, CFG).panel.set_index("year")
    assert p.loc[2019, "tobin_q"] == pytest.approx((200.0 + 40.0) / 104.0)
    assert np.isnan(p.loc[2020, "tobin_q"])  # market value missing
    assert p.loc[2019, "top1"] == 0.35 and p.loc[2020, "top1"] == 0.4  # year-end rows only
    # required: firm-years without Tobin's Q leave with a ledger line
    res = build_panel(tables, serv, dig, {**CFG, "required": CFG["required"] + ["tobin_q"]})
    assert res.ledger.set_index("rule").loc["missing tobin_q", "rows_dropped"] == 1
    # conflicting market values for one firm-year stop the run
    bad = pd.concat([mv, mv.iloc[[0]].assign(market_value=300.0, _source_row=9)], ignore_index=True)
    with pytest.raises(RawDataError, match=r"mv.csv.*firm 000001, year 2019.*200.0 vs 300.0"):
        build_panel({**tables, "market_value": bad}, serv, dig, CFG)


_row = st.tuples(st.sampled_from(["000001", "000002", "000003", "000004"]),
                 st.integers(2016, 2020),
                 st.sampled_from(["12-31", "12-31", "12-31", "06-30"]),
                 st.sampled_from(["A", "A", "A", "B"]),
                 st.sampled_from(["甲", "甲", "ST甲"]),
                 st.one_of(st.just(np.nan), st.floats(1, 1000)),
                 st.one_of(st.just(np.nan), st.floats(0, 500)),
                 st.floats(-50, 50))


@settings(max_examples=40, deadline=None)
@given(st.lists(_row, min_size=1, max_size=40),
       st.lists(st.sampled_from(["C13", "C43", "J66", "K70", "I65", ""]), min_size=4, max_size=4),
       st.lists(st.tuples(st.sampled_from(["000001", "000002", "000003", "000004"]), st.integers(2016, 2020)),
                max_size=20),
       st.sampled_from(["pooled", "year"]))
def test_ledger_reconciles_for_random_raw_panels(rows, codes, measured, by):
    # one row per firm, date and statement type (conflicts are an error, tested elsewhere), but
    # exact copies of a row are allowed
    raw, seen = [], {}
    for f, y, md, t, n, a, liab, p in rows:
        r = (f, f"{y}-{md}", t, n, a, liab, 80.0, p)
        first = seen.setdefault(r[:3], r)
        if first is r or repr(first) == repr(r):
            raw.append(r)
    bs, inc = _statements(raw)
    company = _company([(f, c or None, "国企") for f, c in zip(["000001", "000002", "000003", "000004"], codes)])
    serv, dig = (m.astype({"firm": "str", "year": "int64"}) for m in _measures(sorted(set(measured))))
    cfg = {**CFG, "winsorize": {"enabled": True, "limits": [0.1, 0.9], "by": by,
                                "variables": ["roa", "size", "lev", "tobin_q"]}}
    res = build_panel({"balance_sheet": bs, "income_statement": inc, "company": company}, serv, dig, cfg)
    led = res.ledger
    # measured firm-years without any balance-sheet row enter the ledger and leave it as "balance sheet missing"
    orphans = set(measured) - set(zip(bs["firm"], bs["period_end"].dt.year))
    assert led["rows_remaining"].iloc[0] == len(bs) + len(orphans)
    assert (led["rows_remaining"].iloc[0] - led["rows_dropped"].cumsum() == led["rows_remaining"]).all()
    assert led["rows_remaining"].iloc[-1] == len(res.panel) == len(bs) + len(orphans) - len(res.dropped)
    missing_bs = res.dropped[res.dropped["rule"] == "balance sheet missing"]
    assert set(zip(missing_bs["firm"], missing_bs["year"].astype(int))) == orphans
    # every raw row ends in the panel or in dropped, exactly once
    assert sorted(res.dropped["_source_row"].dropna().tolist() + res.panel["_source_row"].tolist()) == \
        sorted(bs["_source_row"].tolist())
    assert not res.panel.duplicated(["firm", "year"]).any()
    assert res.panel[["roa", "size", "lev", "growth", "serv", "dig"]].notna().all().all()


def test_text_service_intensity_joins_the_panel_without_selecting():
    """The text-based service intensity (service terms per 10,000 MD&A characters) becomes serv_text; a
    firm-year without it stays in the sample unless serv_text is required, then leaves with its reason."""
    rows = _years_rows("000001", [2018, 2019, 2020])
    bs, inc = _statements(rows)
    tables = {"balance_sheet": bs, "income_statement": inc, "company": _company([("000001", "C35", "国企")])}
    serv, dig = _measures([("000001", 2019), ("000001", 2020)])
    svc = pd.DataFrame({"firm": ["000001"], "year": [2019], "n_chars": [20000], "svc_text_total": [7],
                        "svc_text_ln": [np.log(8)], "svc_text_per10k": [3.5]})
    p = build_panel(tables, serv, dig, CFG, service_intensity=svc).panel.set_index("year")
    assert p.loc[2019, "serv_text"] == 3.5 and np.isnan(p.loc[2020, "serv_text"])
    assert "svc_text_total" not in p.columns
    res = build_panel(tables, serv, dig, {**CFG, "required": CFG["required"] + ["serv_text"]}, service_intensity=svc)
    assert res.panel["year"].tolist() == [2019]
    assert res.dropped.loc[res.dropped["year"] == 2020, "detail"].iloc[0] == (
        "no text-based service intensity (no report, or its MD&A not found)")
    with pytest.raises(ValueError, match=r"service-intensity measures lack the column 'svc_text_per10k'"):
        build_panel(tables, serv, dig, CFG, service_intensity=svc.drop(columns="svc_text_per10k"))
    with pytest.raises(ValueError, match=r"service-intensity measures have 2 rows sharing a firm-year"):
        build_panel(tables, serv, dig, CFG, service_intensity=pd.concat([svc, svc]))
