"""Robustness models (analysis/robustness.py): spec ids, panel preparation, OLS and 2SLS fits.

The panel is synthetic with a known truth (``make_panel``): firm and year effects, an inverted U in
Serv flattened by Dig, winsorized at 1%/99% by the package's own :func:`analysis.panel.winsorize`
so that the raw values are known.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from analysis.config import REPO_ROOT, load_config, validate_config
from analysis.estimation import ModelSpec, fit_model, tidy_result
from analysis.panel import winsorize
from analysis.iv import add_loo_instruments, fit_iv, loo_mean
from analysis.presentation.robustness import robustness_table
from analysis.robustness import (DIMENSIONS, Choices, RobustnessConfigError, Spec,
                                 estimate_spec, high_tech_flag, prepare_panel,
                                 robustness_models, spec_from_mapping, summary_record)

TRUTH = {"b1": 0.20, "b2": -0.25, "b3": 0.002, "b4": -0.03, "b5": 0.04}
WINSOR = ["roa", "roe", "size", "lev", "growth"]


def make_panel(n_firms: int = 120, years=range(2014, 2022), seed: int = 3, gaps: bool = True):
    """(winsorized panel, raw panel, bounds) with the columns of data_clean/panel.parquet used here."""
    rng = np.random.default_rng(seed)
    firms = [f"{600000 + i:06d}" for i in range(n_firms)]
    industries = np.array(["C27", "C39", "C35", "C13", "C26", "C40", "C33"])
    rows = []
    for i, f in enumerate(firms):
        ind, soe, fe = industries[i % len(industries)], int(i % 3 == 0), rng.normal(0, 0.03)
        sbase, dbase = rng.normal(-1.0, 1.0), rng.normal(1.2, 0.6)
        for y in years:
            if gaps and i % 10 == 0 and y == 2017:
                continue  # a gap in the panel: the 2018 lag must be missing
            rows.append((f, y, ind, soe, fe, sbase, dbase))
    p = pd.DataFrame(rows, columns=["firm", "year", "industry", "soe", "fe", "sbase", "dbase"])
    n = len(p)
    p["serv"] = 0.9 / (1 + np.exp(-(p["sbase"] + rng.normal(0, 0.4, n))))
    p["dig_count"] = rng.poisson(np.exp(p["dbase"] + rng.normal(0, 0.3, n)))
    p["dig"] = np.log1p(p["dig_count"])
    p["n_chars"] = rng.integers(20000, 40000, n).astype(float)
    p["dig_per10k"] = p["dig_count"] / p["n_chars"] * 1e4
    p["dig_mdna"] = np.log1p(rng.binomial(p["dig_count"], 0.6))
    p["dig_ai"] = rng.binomial(p["dig_count"], 0.3).astype(float)
    p["size"] = rng.normal(21.5, 1.0, n)
    p["lev"] = np.clip(rng.normal(0.42, 0.12, n), 0.02, 0.95)
    p["growth"] = rng.normal(0.08, 0.25, n)
    p["age"] = np.log1p(p["year"] - 2000 + rng.integers(0, 10, n))
    year_fe = dict(zip(years, rng.normal(0, 0.01, len(years))))
    s, d = p["serv"], p["dig"]
    p["roa"] = (p["fe"] + p["year"].map(year_fe) + TRUTH["b1"] * s + TRUTH["b2"] * s**2 + TRUTH["b3"] * d
                + TRUTH["b4"] * s * d + TRUTH["b5"] * s**2 * d + 0.005 * p["size"] - 0.05 * p["lev"]
                + 0.01 * p["growth"] + rng.normal(0, 0.02, n))
    p["roe"] = p["roa"] / (1 - p["lev"])
    p = p.drop(columns=["fe", "sbase", "dbase"]).sort_values(["firm", "year"]).reset_index(drop=True)
    raw = p.copy()
    wins, bounds = winsorize(p, WINSOR, (0.01, 0.99))
    # as the panel rule writes them: through CSV
    return wins, raw, pd.read_csv(pd.io.common.StringIO(bounds.to_csv(index=False)))


@pytest.fixture(scope="module")
def panel():
    return make_panel()


def test_config(**robustness_overrides) -> dict:
    cfg = load_config(REPO_ROOT / "config" / "config.yaml")
    cfg = copy.deepcopy(cfg)
    cfg["robustness"].update(robustness_overrides)
    return cfg


test_config.__test__ = False  # a helper, not a test


@pytest.fixture(scope="module")
def cfg():
    return test_config()


@pytest.fixture(scope="module")
def choices(cfg):
    return Choices.from_config(cfg)


# --------------------------------------------------------------------------- specs
def test_spec_id_is_a_stable_content_hash():
    a, b = Spec(), Spec(sample="soe")
    assert a.spec_id == Spec().spec_id and len(a.spec_id) == 12
    assert a.spec_id != b.spec_id
    assert a.key.split("|")[0] == "outcome=roa" and len(a.key.split("|")) == len(DIMENSIONS)
    assert Spec(name="x").spec_id == a.spec_id  # the label is not part of the identity
    # the quadratic model does not depend on the Dig choice
    assert Spec(dig="dig_mdna").baseline_key() == a.baseline_key() != b.baseline_key()
    # pinned: a change of the hashing or the key format would break comparability of saved results
    assert a.spec_id == __import__("hashlib").sha256(a.key.encode()).hexdigest()[:12]


def test_robustness_models_from_config(cfg):
    specs = {s.name: s for s in robustness_models(cfg)}
    assert specs["roe"] == Spec(outcome="roe", name="roe")
    assert specs["lag1"].lag == 1 and specs["iv"].method == "iv"
    assert specs["industry_year_fe"].fixed_effects == "firm_industry_year"


def test_config_errors_name_the_key(cfg):
    bad = copy.deepcopy(cfg)
    bad["robustness"]["models"] = {"oops": {"dig": "no_such_measure"}}
    with pytest.raises(RobustnessConfigError, match=r"robustness\.models\.oops.*robustness\.choices\.dig"):
        robustness_models(bad)
    bad["robustness"]["models"] = {"oops": {"colour": "red"}}
    with pytest.raises(RobustnessConfigError, match=r"robustness\.models\.oops.*colour"):
        robustness_models(bad)
    with pytest.raises(RobustnessConfigError, match="robustness.choices"):
        Choices.from_config({"robustness": {}})


def test_schema_rejects_unknown_robustness_keys(cfg):
    bad = copy.deepcopy(cfg)
    bad["robustness"]["choices"]["sample"]["weird"] = {"firm_size": "large"}
    with pytest.raises(Exception, match="firm_size|additional"):
        validate_config(bad)


# --------------------------------------------------------------------------- preparation
def test_high_tech_flag():
    ind = pd.Series(["C27", "C39", "C3911", "C35", "C13", None])
    assert high_tech_flag(ind, ("C27", "C37", "C39", "C40")).tolist() == [1, 1, 1, 0, 0, 0]


def test_lag_uses_exactly_the_previous_year_of_the_same_firm(panel, choices):
    wins, _, bounds = panel
    prep = prepare_panel(wins, Spec(lag=1), choices, bounds)
    f = prep.frame
    assert prep.baseline.x == "serv_l1" and prep.moderated.moderator == "dig_l1"
    assert prep.baseline.controls == ("size_l1", "lev_l1", "growth_l1")
    src = wins.set_index(["firm", "year"])
    for r in f.sample(25, random_state=1).itertuples():
        assert r.serv_l1 == src.loc[(r.firm, r.year - 1), "serv"]
        assert r.dig_l1 == src.loc[(r.firm, r.year - 1), "dig"]
        assert r.lev_l1 == src.loc[(r.firm, r.year - 1), "lev"]
        assert r.roa == src.loc[(r.firm, r.year), "roa"]  # the outcome is not lagged
    # first years and the year after a gap have no lag: they drop
    assert 2014 not in set(f["year"])
    gap_firm = wins["firm"].iloc[0]  # firm 0 has no 2017
    assert not ((f["firm"] == gap_firm) & (f["year"] == 2018)).any()
    assert ((f["firm"] == gap_firm) & (f["year"] == 2019)).any()


def test_serv_lag_choice_lags_only_serv(panel, choices):
    wins, _, bounds = panel
    prep = prepare_panel(wins, Spec(serv="serv_lag1"), choices, bounds)
    assert prep.baseline.x == "serv_l1" and prep.moderated.moderator == "dig"
    assert prep.baseline.controls == ("size", "lev", "growth")


def test_lags_are_taken_before_the_sample_filter(panel, choices):
    wins, _, bounds = panel
    f = prepare_panel(wins, Spec(lag=1, sample="no2020"), choices, bounds).frame
    assert 2020 not in set(f["year"]) and 2021 in set(f["year"])  # 2021 keeps its 2020 lag


def test_sample_filters(panel, choices):
    wins, _, bounds = panel
    soe = prepare_panel(wins, Spec(sample="soe"), choices, bounds).frame
    non = prepare_panel(wins, Spec(sample="non_soe"), choices, bounds).frame
    assert (soe["soe"] == 1).all() and (non["soe"] == 0).all() and len(soe) + len(non) == len(wins)
    ht = prepare_panel(wins, Spec(sample="high_tech"), choices, bounds).frame
    tr = prepare_panel(wins, Spec(sample="traditional"), choices, bounds).frame
    assert set(ht["industry"]) == {"C27", "C39", "C40"}
    assert set(tr["industry"]) == {"C35", "C13", "C26", "C33"}


def test_tighter_winsorizing_equals_winsorizing_the_raw_values(panel, choices):
    wins, raw, bounds = panel
    got = prepare_panel(wins, Spec(winsorize="p5"), choices, bounds).frame
    want, _ = winsorize(raw, WINSOR, (0.05, 0.95))
    for col in ("roa", "size", "lev", "growth"):  # the spec's outcome and controls
        np.testing.assert_allclose(got[col].to_numpy(), want[col].to_numpy(), rtol=0, atol=1e-12)
    assert not np.allclose(got["roa"], wins["roa"])  # it did something


def test_trimming_drops_exactly_the_clipped_firm_years(panel, choices):
    wins, raw, bounds = panel
    got = prepare_panel(wins, Spec(winsorize="trim1"), choices, bounds).frame
    keep = pd.Series(True, index=raw.index)
    for col in ("roa", "size", "lev", "growth"):
        lo, hi = np.nanquantile(raw[col], 0.01), np.nanquantile(raw[col], 0.99)
        keep &= raw[col].between(lo, hi, inclusive="neither")
    expected = raw.loc[keep, ["firm", "year"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(got[["firm", "year"]], expected)
    assert len(expected) < len(raw) - 20


def test_looser_winsorizing_than_built_is_refused(panel, cfg):
    wins, _, bounds = panel
    bad = copy.deepcopy(cfg)
    bad["robustness"]["choices"]["winsorize"]["loose"] = {"limits": [0.001, 0.999]}
    with pytest.raises(RobustnessConfigError, match=r"robustness\.choices\.winsorize\.loose\.limits"):
        prepare_panel(wins, Spec(winsorize="loose"), Choices.from_config(bad), bounds)


def test_dig_transform_and_missing_columns(panel, choices):
    wins, _, bounds = panel
    prep = prepare_panel(wins, Spec(dig="dig_ai"), choices, bounds)
    assert prep.moderated.moderator == "ln1p_dig_ai"
    np.testing.assert_allclose(prep.frame["ln1p_dig_ai"], np.log1p(prep.frame["dig_ai"]))
    est = estimate_spec(wins, Spec(dig="dig_intangible"), choices, bounds)
    assert est["status"] == "skipped" and "dig_intangible" in est["reason"]
    rec = summary_record(est)
    assert rec["b2"] is None and rec["status"] == "skipped"


# --------------------------------------------------------------------------- estimation
def test_default_spec_reproduces_the_main_estimate_and_recovers_the_truth(panel, choices):
    wins, _, bounds = panel
    est = estimate_spec(wins, Spec(), choices, bounds)
    assert est["status"] == "ok"
    ms = ModelSpec("m", "roa", "serv", "dig", ("size", "lev", "growth"))
    direct = tidy_result(fit_model(wins, ms), ms, wins)
    mod = est["moderated"]
    np.testing.assert_allclose(mod["coef"], direct.coef, rtol=1e-10)
    np.testing.assert_allclose(mod["se"], direct.se, rtol=1e-10)
    assert mod["n_obs"] == direct.n_obs
    # truth inside the 99.9% intervals of the moderated model (fixed seed)
    for name, key in [("serv", "b1"), ("serv_sq", "b2"), ("serv_sq_x_dig", "b5")]:
        i = mod["names"].index(name)
        assert abs(mod["coef"][i] - TRUTH[key]) < 3.3 * mod["se"][i], (name, mod["coef"][i])
    rec = summary_record(est)
    assert rec["b2"] < 0 and rec["utest_reject"] and rec["tp_in_range"]
    assert rec["b5"] > 0 and rec["p_b5_flattening"] < 0.05
    # the U-test uses the estimation sample's Serv range and G - 1 df
    assert rec["x_min"] == wins["serv"].min() and rec["df_t"] == wins["firm"].nunique() - 1


def test_industry_year_fixed_effects_match_pyfixest_interaction(panel, choices):
    wins, _, bounds = panel
    est = estimate_spec(wins, Spec(fixed_effects="firm_industry_year"), choices, bounds)
    import pyfixest as pf

    d = wins.assign(serv_sq=wins["serv"] ** 2)
    fit = pf.feols("roa ~ serv + serv_sq + size + lev + growth | firm + industry^year", data=d,
                   vcov={"CRV1": "firm"})
    b = est["baseline"]
    np.testing.assert_allclose(b["coef"][:2], fit.coef().loc[["serv", "serv_sq"]].to_numpy(), rtol=1e-6)


def test_baseline_cache_gives_the_same_numbers(panel, choices):
    wins, _, bounds = panel
    cache: dict = {}
    first = estimate_spec(wins, Spec(), choices, bounds, baseline_cache=cache)
    cached = estimate_spec(wins, Spec(dig="dig_mdna"), choices, bounds, baseline_cache=cache)
    fresh = estimate_spec(wins, Spec(dig="dig_mdna"), choices, bounds)
    assert cached["baseline"] == fresh["baseline"] == first["baseline"]
    assert cached["moderated"] == fresh["moderated"] != first["moderated"]


def test_loo_mean():
    f = pd.DataFrame({"g": ["a", "a", "a", "b", "c", "c"], "v": [1.0, 2.0, 6.0, 5.0, 1.0, np.nan]})
    got = loo_mean(f, "v", ["g"])
    assert got.iloc[:3].tolist() == [4.0, 3.5, 1.5]
    assert np.isnan(got.iloc[3])  # a single firm in the cell


def test_iv_equals_2sls_with_explicit_dummies(panel):
    """The demeaned 2SLS equals linearmodels IV2SLS with firm and year dummies (FWL)."""
    from linearmodels.iv import IV2SLS

    wins = panel[0][lambda d: d["firm"].isin(sorted(d["firm"].unique())[:40])].reset_index(drop=True)
    ms = ModelSpec("iv", "roa", "serv", None, ("size", "lev"), ("firm", "year"), "firm", drop_singletons=False)
    res = fit_iv(wins, ms, (0.1, 0.5, 0.9))
    data, endog, inst = add_loo_instruments(wins, ms)
    data = data.dropna(subset=inst).reset_index(drop=True)
    dummies = pd.get_dummies(data[["firm", "year"]].astype(str), drop_first=True, dtype=float)
    exog = pd.concat([pd.Series(1.0, index=data.index, name="const"), data[["size", "lev"]], dummies], axis=1)
    ref = IV2SLS(data["roa"], exog, data[endog], data[inst]).fit(cov_type="clustered", clusters=data["firm"])
    np.testing.assert_allclose(res.coef, ref.params.loc[res.names].to_numpy(), rtol=1e-7, atol=1e-10)
    assert res.n_obs == len(data) and res.df_t == data["firm"].nunique() - 1
    assert res.extras["method"] == "iv" and res.extras["instruments"] == ["iv_x", "iv_x_sq"]


def test_iv_spec_runs_end_to_end(panel, choices):
    wins, _, bounds = panel
    est = estimate_spec(wins, Spec(method="iv"), choices, bounds)
    assert est["status"] == "ok", est["reason"]
    assert "2SLS" in est["moderated"]["spec"]["formula"]
    assert len(est["moderated"]["names"]) == 5 + 3


def test_estimation_is_deterministic(panel, choices):
    wins, _, bounds = panel
    a = estimate_spec(wins, Spec(sample="soe", fixed_effects="firm_industry_year"), choices, bounds)
    b = estimate_spec(wins, Spec(sample="soe", fixed_effects="firm_industry_year"), choices, bounds)
    assert a == b


def test_robustness_table(panel, choices, cfg):
    wins, _, bounds = panel
    base = spec_from_mapping(cfg["robustness"]["base"], name="baseline")
    rows = [estimate_spec(wins, base, choices, bounds), estimate_spec(wins, Spec(outcome="tobin_q", name="tq"),
                                                                      choices, bounds)]
    md = robustness_table(rows, 0.05).to_markdown()
    assert "skipped" in md and "Outcome: Tobin's Q" in md  # row labels from the label file
    assert md.count("\n|") == 2 + 2  # header, rule and two rows


def test_robustness_table_honours_output_parentheses(panel, choices, cfg):
    """output.parentheses: t prints t values (coefficient / standard error of the saved fit) under b2
    and b5, with headers and the note saying so; se prints the standard errors."""
    wins, _, bounds = panel
    rows = [estimate_spec(wins, spec_from_mapping(cfg["robustness"]["base"], name="baseline"), choices, bounds)]
    quad, mod = rows[0]["baseline"], rows[0]["moderated"]
    b2, se2 = quad["coef"][quad["names"].index("serv_sq")], quad["se"][quad["names"].index("serv_sq")]
    b5, se5 = mod["coef"][mod["names"].index("serv_sq_x_dig")], mod["se"][mod["names"].index("serv_sq_x_dig")]
    md_se, md_t = robustness_table(rows, 0.05).to_markdown(), robustness_table(rows, 0.05, parentheses="t").to_markdown()
    assert f"({se2:.4f})" in md_se and f"({se5:.4f})" in md_se and "b2 (SE)" in md_se
    assert f"({b2 / se2:.2f})" in md_t and f"({b5 / se5:.2f})" in md_t and f"({se2:.4f})" not in md_t
    assert "b2 (t)" in md_t and "b5 (t)" in md_t and "t statistics in parentheses" in md_t
    zh = robustness_table(rows, 0.05, "zh", "t").to_markdown()
    assert "b2（t 值）" in zh and f"({b2 / se2:.2f})" in zh
    with pytest.raises(ValueError, match="output.parentheses"):
        robustness_table(rows, 0.05, parentheses="z")


def test_winsorizing_choices_when_the_panel_is_not_winsorized(panel, cfg):
    _, raw, _ = panel
    off = copy.deepcopy(cfg)
    off["winsorize"]["enabled"] = False
    ch = Choices.from_config(off)
    got = prepare_panel(raw, Spec(winsorize="p5"), ch, None).frame
    want, _ = winsorize(raw, WINSOR, (0.05, 0.95))
    np.testing.assert_allclose(got["roa"].to_numpy(), want["roa"].to_numpy(), rtol=0, atol=1e-12)
    with pytest.raises(RobustnessConfigError, match=r"winsorize\.trim1.*winsorize\.enabled"):
        prepare_panel(raw, Spec(winsorize="trim1"), ch, pd.DataFrame(columns=["variable", "group", "lower", "upper"]))


def test_a_failing_specification_is_recorded_not_raised(panel, cfg):
    wins, _, bounds = panel
    c = copy.deepcopy(cfg)
    c["robustness"]["choices"]["sample"]["nineties"] = {"years": [1990, 1999]}  # no firm-years at all
    est = estimate_spec(wins, Spec(sample="nineties"), Choices.from_config(c), bounds)
    assert est["status"] == "failed" and est["reason"], est
    assert summary_record(est)["b2"] is None


def test_serv_measure_without_variation_is_skipped_with_its_reason(panel, choices):
    """The text-based service intensity (Serv choice serv_text) where no MD&A uses a service term is 0 for
    every firm-year: nothing to fit, and the record says why (it used to fail with a bare KeyError)."""
    wins, _, bounds = panel
    est = estimate_spec(wins.assign(serv_text=0.0), Spec(serv="serv_text"), choices, bounds)
    assert est["status"] == "skipped"
    assert est["reason"] == "the Serv measure serv_text has no variation in the estimation sample (every value 0)"
    est = estimate_spec(wins.assign(serv_text=wins["serv"] * 40.0), Spec(serv="serv_text"), choices, bounds)
    assert est["status"] == "ok" and est["baseline"] is not None
