"""The two real Wind-derived vendor panels go through one mapping file each (no user code).

The files live in ``../shared/data/vendor_panels/`` (read in place, never copied into the
repository); the tests skip with a clear reason when that folder is absent. Expected numbers are
typed from the CSV (row = line number in the file, header = line 1), never from the code's output.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from analysis.config import section_defaults
from analysis.estimation import fit_model
from analysis.models import specs_from_config
from analysis.ingest import TABLES, load_vendor_mapping, read_raw_file, read_table, to_canonical
from analysis.panel import build_panel
from analysis.validation import sanity_checks, validate_table

pytestmark = pytest.mark.shared

REPO = Path(__file__).resolve().parents[1]
VENDORS = REPO / "config" / "vendors"
FIXTURE = REPO / "tests" / "data" / "vendor_panels" / "machinery_serv_dig.csv"


def _tables(raw_dir, mapping):
    tables, log = {}, []
    for name in TABLES:
        tables[name] = validate_table(read_table(raw_dir, mapping, name, log), name, mapping.tables.get(name))
    return tables, log


@pytest.fixture(scope="module")
def machinery(vendor_panels_dir):
    mapping = load_vendor_mapping(VENDORS / "wind_panel_machinery.yaml")
    tables, log = _tables(vendor_panels_dir, mapping)
    return mapping, tables, log


@pytest.fixture(scope="module")
def estate(vendor_panels_dir):
    mapping = load_vendor_mapping(VENDORS / "wind_panel_estate.yaml")
    tables, log = _tables(vendor_panels_dir, mapping)
    return mapping, tables, log


def _row(frame, firm, year):
    hit = frame[(frame["firm"] == firm) & (frame["period_end"] == pd.Timestamp(f"{year}-12-31"))]
    assert len(hit) == 1
    return hit.iloc[0]


def test_machinery_amounts_in_yuan_match_the_file(machinery):
    mapping, t, _ = machinery
    assert len(t["balance_sheet"]) == 5457  # 5458 lines, one header row
    # machinery_fin_charts.csv line 2: 2017, 000008.SZ, 总资产 10678315230.0, 总负债 3491262206.0,
    # 所有者权益 7187053024.0, 营业收入 2330932161.0, 净利润 889609890.1, 所有制 公有制企业, 分类 运输设备
    bs = _row(t["balance_sheet"], "000008", 2017)
    assert bs["total_assets"] == 10678315230.0 and bs["total_liabilities"] == 3491262206.0
    assert bs["total_equity"] == 7187053024.0 and bs["statement_type"] == "A" and bs["_source_row"] == 2
    inc = _row(t["income_statement"], "000008", 2017)
    assert inc["total_revenue"] == 2330932161.0 and inc["net_profit"] == 889609890.1
    co = t["company"][t["company"]["firm"] == "000008"].iloc[0]
    assert co["ownership"] == "国企" and co["industry"] == "C37"  # 运输设备 -> C37 by the crosswalk
    # line 3689: 2017, 600031.SH (三一重工), 民营企业, 工程机械Ⅱ, 总资产 58237690000.0, 净利润 2227085000.0
    assert _row(t["balance_sheet"], "600031", 2017)["total_assets"] == 58237690000.0
    assert _row(t["income_statement"], "600031", 2017)["net_profit"] == 2227085000.0
    co = t["company"][t["company"]["firm"] == "600031"].iloc[0]
    assert co["ownership"] == "民营" and co["industry"] == "C35"
    # the vendor's ratios are fractions: line 2 ROA 0.095435643, 资产负债率 0.326948786
    r = t["ratios"][(t["ratios"]["firm"] == "000008") & (t["ratios"]["year"] == 2017)].iloc[0]
    assert r["roa"] == 0.095435643 and r["lev"] == 0.326948786
    warnings = sanity_checks(t, mapping.tables)  # no unit error; a few odd rows are warnings
    assert all("outside" in w for w in warnings)


def test_computed_sum_of_parts_equals_the_vendor_total(vendor_panels_dir):
    # a mapping that has only current + non-current parts: total assets as their sum. Line 3689
    # (600031.SH, 2017): 总流动资产 36207449000.0 + 总非流动资产 22030241000.0 = 总资产 58237690000.0
    mapping = load_vendor_mapping(VENDORS / "wind_panel_machinery.yaml")
    bs_map = mapping.tables["balance_sheet"]
    from dataclasses import replace
    from analysis.ingest import Computed
    cols = {v: c for v, c in bs_map.columns.items() if c != "total_assets"}
    summed = replace(bs_map, columns=cols,
                     computed={**bs_map.computed, "total_assets": Computed("sum", ("总流动资产", "总非流动资产"))})
    raw = read_raw_file(vendor_panels_dir / "machinery_fin_charts.csv", 1, firm_column="股票")
    bs = to_canonical(raw, summed, mapping.missing_values)
    assert _row(bs, "600031", 2017)["total_assets"] == 36207449000.0 + 22030241000.0 == 58237690000.0


def test_machinery_reaches_an_estimation_panel(machinery):
    _, t, _ = machinery
    measures = pd.read_csv(FIXTURE, comment="#", dtype={"firm": str})
    cfg = {**section_defaults("sample"), "years": [2011, 2017], "st_source": "unavailable",
           "winsorize": {"enabled": False}}
    with pytest.warns(UserWarning, match="not applied"):
        res = build_panel(t, measures[["firm", "year", "serv"]], measures[["firm", "year", "dig"]], cfg)
    led = res.ledger.set_index("rule")["rows_dropped"]
    assert led["special treatment (ST, *ST, PT) firm-year: not applied: ST status declared unavailable "
               "(sample.st_source: unavailable)"] == 0
    assert led["outside manufacturing C13-C43"] == 0 and led["industry code missing"] == 0
    p = res.panel.set_index(["firm", "year"])
    assert len(p) == 70 - 0  # every fixture firm-year has statements
    # by hand from lines 2 and 3 (000008.SZ 2017 and 2016)
    row = p.loc[("000008", 2017)]
    assert row["roa"] == pytest.approx(889609890.1 / 10678315230.0, rel=1e-12)
    assert row["lev"] == pytest.approx(3491262206.0 / 10678315230.0, rel=1e-12)
    assert row["size"] == pytest.approx(math.log(10678315230.0), rel=1e-12)
    assert row["growth"] == pytest.approx(2330932161.0 / 1876006502.0 - 1, rel=1e-12)
    assert row["soe"] == 1 and p.loc[("600031", 2017), "soe"] == 0
    # the estimation runs on it (firm and year effects, clustered by firm)
    models = section_defaults("models")
    spec = specs_from_config({**models, "outcomes": ["roa"]})[0]
    fit = fit_model(res.panel, spec)
    assert fit._N == 70 and math.isfinite(float(fit.coef()["serv"]))


def test_estate_units_percent_ratios_and_real_estate_ledger(estate):
    mapping, t, log = estate
    # 150 lines of Hong Kong listings (.HK) are excluded and counted, not read as A-share firms
    assert len(t["balance_sheet"]) == 990 - 150
    assert any("150 row(s) excluded: Hong Kong listing" in r["notes"] for r in log)
    # estate_fin_charts.csv line 2: 2007, 000002.SZ (万科A), roa 8.18, alrate 66.11, asset 1000.94,
    # liability 661.75 (亿元), type_name 国有企业
    bs = _row(t["balance_sheet"], "000002", 2007)
    assert bs["total_assets"] == pytest.approx(1000.94e8, rel=1e-12)
    assert bs["total_liabilities"] == pytest.approx(661.75e8, rel=1e-12)
    assert bs["total_equity"] == pytest.approx((1000.94 - 661.75) * 1e8, rel=1e-12)
    r = t["ratios"][(t["ratios"]["firm"] == "000002") & (t["ratios"]["year"] == 2007)].iloc[0]
    assert r["lev"] == pytest.approx(0.6611) and r["roa"] == pytest.approx(0.0818)
    # line 561: 2016, 600048.SH (保利地产), roa 5.86, roe 15.45, alrate 74.76, asset 4679.97, liability 3498.95
    bs = _row(t["balance_sheet"], "600048", 2016)
    assert bs["total_assets"] == pytest.approx(4679.97e8, rel=1e-12)
    r = t["ratios"][(t["ratios"]["firm"] == "600048") & (t["ratios"]["year"] == 2016)].iloc[0]
    assert r["roe"] == pytest.approx(0.1545) and r["lev"] == pytest.approx(0.7476)
    assert t["income_statement"]["net_profit"].isna().all()  # declared unavailable
    sanity_checks(t, mapping.tables)  # the percent ratios agree with liabilities / assets
    cfg = {**section_defaults("sample"), "st_source": "unavailable", "winsorize": {"enabled": False}}
    empty = pd.DataFrame({"firm": pd.Series([], dtype=str), "year": pd.Series([], dtype="int64"),
                          "serv": pd.Series([], dtype=float), "dig": pd.Series([], dtype=float)})
    with pytest.warns(UserWarning, match="not applied"):
        res = build_panel(t, empty[["firm", "year", "serv"]], empty[["firm", "year", "dig"]], cfg)
    led = res.ledger.set_index("rule")["rows_dropped"]
    assert led["real estate (CSRC K)"] == 840 and len(res.panel) == 0


def test_percent_declared_as_fraction_is_an_error(vendor_panels_dir):
    # the estate ratios are in percent; a mapping that says "fraction" is caught by the check
    from dataclasses import replace
    from analysis.ingest import RawDataError
    mapping = load_vendor_mapping(VENDORS / "wind_panel_estate.yaml")
    rt = mapping.tables["ratios"]
    wrong = replace(rt, scale={**rt.scale, "lev": 1.0})
    t = {"balance_sheet": read_table(vendor_panels_dir, mapping, "balance_sheet"),
         "ratios": to_canonical(read_raw_file(vendor_panels_dir / "estate_fin_charts.csv", 1, "证券代码."),
                                wrong, mapping.missing_values)}
    with pytest.raises(RawDataError, match="percent"):
        sanity_checks(t, {"ratios": wrong})
