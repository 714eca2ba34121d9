"""Firm-year measures: hand-computed examples, breakdown preference, flags, and a generated property."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.servitization.classifier import label_segments, load_rules
from analysis.servitization.measures import (ALTERNATIVE_SERV, MEASURE_COLUMNS, measures_with_alternatives,
                                           operating_revenue, servitization_measures)
from analysis.servitization.segments import coerce_segments, fill_missing_from_reports

RULES = load_rules()
COLS = ["firm", "year", "breakdown", "segment", "revenue", "cost", "source"]


def seg(rows):
    return pd.DataFrame(rows, columns=COLS)


def measure(rows, **kw):
    return servitization_measures(label_segments(seg(rows), RULES), **kw)


def test_hand_example_product_breakdown():
    rows = [
        ("000651", 2020, "product", "压缩机", 600.0, 400.0, "vendor:csmar"),
        ("000651", 2020, "product", "技术服务", 150.0, 50.0, "vendor:csmar"),
        ("000651", 2020, "product", "维修服务", 50.0, 20.0, "vendor:csmar"),
        ("000651", 2020, "product", "合计", 800.0, 470.0, "vendor:csmar"),
        ("000651", 2020, "industry", "制造业", 800.0, 470.0, "vendor:csmar"),
        ("000651", 2020, "region", "华东", 500.0, np.nan, "vendor:csmar"),
        ("000651", 2020, "region", "国外", 300.0, np.nan, "vendor:csmar"),
    ]
    m = measure(rows)
    assert list(m.columns) == list(MEASURE_COLUMNS)
    r = m.iloc[0]
    assert r.firm == "000651" and r.year == 2020
    assert r.serv_share == pytest.approx(200 / 800)
    assert r.serv_breadth == 2 and r.serv_dummy == 1
    assert r.breakdown_used == "product" and r.n_segments == 3 and r.n_service_segments == 2
    assert r.source == "vendor:csmar"
    assert r.sum_check_against == "table_total" and r.reference_revenue == 800.0
    assert not r.flag_sum_mismatch and not r.flag_share_out_of_range and not r.flag_negative_revenue


def test_industry_fallback_and_configurable_preference():
    rows = [
        ("600001", 2019, "industry", "制造业", 700.0, 1.0, "report:a.pdf#p10"),
        ("600001", 2019, "industry", "工程承包", 300.0, 1.0, "report:a.pdf#p10"),
        ("600001", 2019, "region", "境内", 1000.0, 1.0, "report:a.pdf#p10"),
        ("600002", 2019, "product", "阀门", 100.0, 1.0, "vendor:csmar"),
        ("600002", 2019, "industry", "技术服务", 100.0, 1.0, "vendor:csmar"),
        ("600002", 2019, "product", "合计", 100.0, 1.0, "vendor:csmar"),
    ]
    m = measure(rows).set_index("firm")
    assert m.loc["600001", "breakdown_used"] == "industry"
    assert m.loc["600001", "serv_share"] == pytest.approx(0.3)
    assert m.loc["600001", "source"] == "report:a.pdf#p10"
    assert m.loc["600002", "breakdown_used"] == "product" and m.loc["600002", "serv_share"] == 0
    assert m.loc["600002", "serv_dummy"] == 0
    m2 = measure(rows, prefer=("industry", "product")).set_index("firm")
    assert m2.loc["600002", "breakdown_used"] == "industry" and m2.loc["600002", "serv_share"] == 1.0
    m3 = measure(rows, prefer=("product",)).set_index("firm")
    assert m3.loc["600001", "flag_no_usable_breakdown"] and math.isnan(m3.loc["600001", "serv_share"])
    assert pd.isna(m3.loc["600001", "serv_dummy"]) and m3.loc["600001", "breakdown_used"] is None


def test_region_only_never_used_and_region_refused():
    rows = [("000002", 2020, "region", "华东", 10.0, 1.0, "v"), ("000002", 2020, "region", "国外", 5.0, 1.0, "v")]
    m = measure(rows)
    assert m.loc[0, "flag_no_usable_breakdown"] and math.isnan(m.loc[0, "serv_share"])
    with pytest.raises(ValueError, match="region"):
        measure(rows, prefer=("product", "region"))
    with pytest.raises(ValueError, match="unknown breakdown"):
        measure(rows, prefer=("products",))


def test_breadth_counts_distinct_types_with_positive_revenue():
    rows = [
        ("000003", 2020, "product", "设备租赁", 10.0, 1.0, "v"),
        ("000003", 2020, "product", "房屋租赁", 10.0, 1.0, "v"),   # same type: leasing
        ("000003", 2020, "product", "检测服务", 0.0, 0.0, "v"),     # zero revenue: not counted
        ("000003", 2020, "product", "钢材", 80.0, 1.0, "v"),
    ]
    r = measure(rows).iloc[0]
    assert r.serv_breadth == 1 and r.serv_share == pytest.approx(0.2) and r.n_service_segments == 3


def test_flags_negative_out_of_range_and_sum_mismatch():
    rows = [
        ("000004", 2020, "product", "技术服务", 120.0, 1.0, "v"),
        ("000004", 2020, "product", "钢材", -20.0, 1.0, "v"),
        ("000005", 2020, "product", "技术服务", 50.0, 1.0, "v"),
        ("000005", 2020, "product", "钢材", 50.0, 1.0, "v"),
        ("000005", 2020, "product", "合计", 103.0, 1.0, "v"),      # 3% off the table's own total
        ("000006", 2020, "product", "钢材", 100.0, 1.0, "v"),
    ]
    total = pd.DataFrame({"firm": ["000006"], "year": [2020], "revenue": [100.5]})
    m = measure(rows, total_revenue=total).set_index("firm")
    a = m.loc["000004"]
    assert a.serv_share == pytest.approx(1.2) and a.flag_share_out_of_range and a.flag_negative_revenue
    assert a.sum_check_against == "none" and not a.flag_sum_mismatch
    b = m.loc["000005"]
    assert b.flag_sum_mismatch and b.sum_gap_rel == pytest.approx((100 - 103) / 103)
    assert not b.flag_share_out_of_range
    c = m.loc["000006"]
    assert c.sum_check_against == "total_revenue" and not c.flag_sum_mismatch  # 0.5% < 1%
    m_strict = measure(rows, total_revenue=total, tolerance=0.001).set_index("firm")
    assert m_strict.loc["000006", "flag_sum_mismatch"]


def test_missing_revenue_flagged_and_ignored():
    rows = [("000007", 2020, "product", "技术服务", np.nan, 1.0, "v"),
            ("000007", 2020, "product", "钢材", 100.0, 1.0, "v")]
    r = measure(rows).iloc[0]
    assert r.flag_missing_revenue and r.serv_share == 0.0


def test_given_total_beats_table_total():
    rows = [("000008", 2020, "product", "钢材", 100.0, 1.0, "v"),
            ("000008", 2020, "product", "合计", 100.0, 1.0, "v")]
    total = pd.DataFrame({"firm": ["8"], "year": [2020], "revenue": [150.0]})
    r = measure(rows, total_revenue=total).iloc[0]
    assert r.sum_check_against == "total_revenue" and r.flag_sum_mismatch


def test_fill_missing_from_reports_never_mixes_sources():
    vendor = seg([("000651", 2020, "product", "压缩机", 1.0, 1.0, "vendor:csmar")])
    report = seg([("000651", 2020, "product", "技术服务", 1.0, 1.0, "report:x.pdf#p3"),
                  ("651", 2021, "product", "技术服务", 1.0, np.nan, "report:y.pdf#p4")])
    out = fill_missing_from_reports(vendor, report)
    assert list(zip(out["firm"], out["year"], out["source"])) == [
        ("000651", 2020, "vendor:csmar"), ("000651", 2021, "report:y.pdf#p4")]


def test_coerce_segments_errors():
    bad = seg([("A0651", 2020, "product", "x", 1.0, 1.0, "v")])
    with pytest.raises(ValueError, match="firm"):
        coerce_segments(bad)
    bad = seg([("000651", 2020, "segment", "x", 1.0, 1.0, "v")])
    with pytest.raises(ValueError, match="breakdown"):
        coerce_segments(bad)


# A generated property: the share computed by the package equals a share computed here from the
# hand-written label table, for random firm-years mixing products, services, totals and region rows.
PRODUCTS = ["工程机械", "压缩机", "阀门", "生物疫苗", "钢材", "光伏组件"]
SERVICES = ["技术服务", "维修服务", "融资租赁", "设备租赁", "工程承包", "检测服务", "培训服务"]
SERVICE_TYPE = {"技术服务": "technical", "维修服务": "maintenance", "融资租赁": "finance_leasing",
                "设备租赁": "leasing", "工程承包": "engineering", "检测服务": "testing", "培训服务": "training"}
NOISE = ["合计", "其他业务", "内部抵消"]

line = st.tuples(st.sampled_from(["product", "industry", "region"]),
                 st.sampled_from(PRODUCTS + SERVICES + NOISE),
                 st.floats(min_value=0, max_value=1e10, allow_nan=False))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(2015, 2016), line), min_size=1, max_size=30))
def test_generated_share_matches_independent_sum(data):
    rows = [(f"{f:06d}", y, b, n, r, np.nan, "vendor:demo") for f, y, (b, n, r) in data]
    m = measure(rows).set_index(["firm", "year"])
    for (firm, year), r in m.iterrows():
        mine = [(b, n, v) for f, y, b, n, v in (x[:5] for x in rows) if f == firm and y == year]
        for b in ("product", "industry"):
            lines = [(n, v) for bb, n, v in mine if bb == b and n not in NOISE]
            if lines:
                break
        else:
            assert r.flag_no_usable_breakdown and math.isnan(r.serv_share)
            continue
        assert r.breakdown_used == b
        svc = sum(v for n, v in lines if n in SERVICES)
        tot = sum(v for n, v in lines)
        if tot == 0:
            assert math.isnan(r.serv_share)
        elif isinstance(r.serv_missing_reason, str):  # lines that do not add up to the 合计 row: no share
            totals = [v for bb, n, v in mine if bb == b and n == "合计"]
            assert totals and math.isnan(r.serv_share) and "fails its sum check" in r.serv_missing_reason
        else:
            assert r.serv_share == pytest.approx(svc / tot, rel=1e-12, abs=1e-15)
            assert r.serv_dummy == int(svc > 0)
        assert r.serv_breadth == len({SERVICE_TYPE[n] for n, v in lines if n in SERVICES and v > 0})
        assert r.n_segments == len(lines)


# ------------------------------------------------------------------ mixed lines and the denominator

def _mixed_frame():
    # amounts chosen by hand: product 100, service 20, mixed 80, other business 10 (not a segment)
    seg = pd.DataFrame({"firm": "000001", "year": 2020, "breakdown": "product",
                        "segment": ["压缩机", "技术服务", "设备及其服务", "其他业务收入"],
                        "revenue": [100.0, 20.0, 80.0, 10.0], "cost": np.nan, "source": "x"})
    return label_segments(seg, load_rules())


@pytest.mark.parametrize("mixed,share", [("exclude", 20 / 200), ("half", 60 / 200), ("full", 100 / 200)])
def test_mixed_line_treatments(mixed, share):
    lab = _mixed_frame()
    assert list(lab["label"]) == ["product", "service", "mixed", "not_segment"]
    m = servitization_measures(lab, mixed=mixed).iloc[0]
    assert m.serv_share == pytest.approx(share)
    assert m.mixed_revenue == 80.0 and m.n_mixed_segments == 1 and m.mixed_treatment == mixed
    assert bool(m.flag_mixed) == (mixed == "exclude")


def test_operating_revenue_denominator():
    lab = _mixed_frame()
    total = pd.DataFrame({"firm": ["000001"], "year": [2020], "revenue": [250.0]})
    m = servitization_measures(lab, total_revenue=total, denominator="operating_revenue").iloc[0]
    assert m.serv_share == pytest.approx(20 / 250) and m.denominator == "operating_revenue"
    with pytest.raises(ValueError, match="needs total_revenue"):
        servitization_measures(lab, denominator="operating_revenue")
    with pytest.raises(ValueError, match="mixed must be one of"):
        servitization_measures(lab, mixed="some")


def test_operating_revenue_prefers_the_income_statement_then_the_report():
    income = pd.DataFrame({"firm": ["000001", "000002"], "year": [2020, 2020], "operating_revenue": [250.0, np.nan]})
    status = pd.DataFrame({"firm": ["1", "2", "3"], "year": [2020, 2020, 2019],
                           "operating_revenue": [999.0, 300.0, np.nan]})
    got = operating_revenue(income, status).sort_values(["firm", "year"]).reset_index(drop=True)
    # 000001: the statement's 250 beats the report's 999; 000002: the statement has none, the report 300;
    # 000003: neither
    assert got.to_dict("records") == [{"firm": "000001", "year": 2020, "revenue": 250.0},
                                      {"firm": "000002", "year": 2020, "revenue": 300.0}]


def test_alternatives_are_the_shares_under_each_choice():
    lab = _mixed_frame()
    oprev = pd.DataFrame({"firm": ["000001"], "year": [2020], "revenue": [250.0]})
    m = measures_with_alternatives(lab, oprev, mixed="exclude", denominator="main_business").iloc[0]
    # hand values from _mixed_frame: service 20, product 100, mixed 80; operating revenue 250
    assert m.serv_share == pytest.approx(20 / 200)
    assert (m.serv_share_mixed_exclude, m.serv_share_mixed_half, m.serv_share_mixed_full) == (
        pytest.approx(20 / 200), pytest.approx(60 / 200), pytest.approx(100 / 200))
    assert (m.serv_share_main_business, m.serv_share_operating_revenue) == (pytest.approx(20 / 200),
                                                                           pytest.approx(20 / 250))
    half = measures_with_alternatives(lab, oprev, mixed="half", denominator="operating_revenue").iloc[0]
    assert half.serv_share == pytest.approx(60 / 250) and half.serv_share_mixed_full == pytest.approx(100 / 250)
    assert set(ALTERNATIVE_SERV) <= set(m.index)
