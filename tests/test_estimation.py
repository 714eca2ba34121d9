"""Estimation wrapper: coefficients against an independent dummy-variable OLS, tidy results."""

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from snakemake_interface_common.exceptions import WorkflowError

from analysis.estimation import ModelResult, ModelSpec, check_columns, fit_model, tidy_result


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(3)
    firms, years = 80, 8
    df = pd.DataFrame([(f"{i:06d}", 2010 + t) for i in range(firms) for t in range(years)],
                      columns=["firm", "year"])
    df = df.sample(frac=0.9, random_state=1).sort_values(["firm", "year"]).reset_index(drop=True)
    fe = rng.normal(0, 1, firms)[df["firm"].astype(int)]
    df["serv"] = rng.uniform(0, 0.9, len(df))
    df["dig"] = rng.gamma(2.0, 1.0, len(df))
    df["size"] = rng.normal(21, 1, len(df)) + 0.3 * fe
    df["roa"] = (fe + 0.2 * df.serv - 0.25 * df.serv**2 + 0.01 * df.dig - 0.03 * df.serv * df.dig
                 + 0.04 * df.serv**2 * df.dig + 0.005 * df["size"] + rng.normal(0, 0.03, len(df)))
    return df


SPEC = ModelSpec(name="m", outcome="roa", moderator="dig", controls=("size",))


def test_coefficients_equal_dummy_variable_ols(panel):
    fit = fit_model(panel, SPEC)
    d = panel.assign(serv_sq=panel.serv**2, serv_x_dig=panel.serv * panel.dig,
                     serv_sq_x_dig=panel.serv**2 * panel.dig)
    ols = smf.ols("roa ~ serv + serv_sq + dig + serv_x_dig + serv_sq_x_dig + size + C(firm) + C(year)",
                  data=d).fit()
    for name in SPEC.regressors:
        assert fit.coef()[name] == pytest.approx(ols.params[name], rel=1e-8, abs=1e-10)


def test_tidy_result_round_trips_and_describes_the_sample(panel):
    fit = fit_model(panel, SPEC)
    res = tidy_result(fit, SPEC, panel, (0.1, 0.5, 0.9))
    assert res.names == SPEC.regressors
    assert res.n_obs == len(panel) and res.n_clusters == panel["firm"].nunique()
    assert res.df_t == res.n_clusters - 1
    V = np.array(res.vcov)
    assert np.allclose(V, V.T) and np.allclose(np.sqrt(np.diag(V)), res.se)
    assert res.x_range == (panel.serv.min(), panel.serv.max())
    assert res.moderator_values["p50"] == pytest.approx(panel.dig.median())
    again = ModelResult.from_dict(json.loads(json.dumps(res.to_dict())))
    assert again == res


def test_singletons_are_dropped_and_the_sample_follows(panel):
    extra = panel.iloc[[0]].assign(firm="999999")  # a firm seen once
    p = pd.concat([panel, extra], ignore_index=True)
    fit = fit_model(p, SPEC)
    res = tidy_result(fit, SPEC, p)
    assert res.n_obs == len(panel)
    keep = ModelSpec(**{**SPEC.__dict__, "drop_singletons": False})
    assert tidy_result(fit_model(p, keep), keep, p).n_obs == len(p)


def test_missing_column_is_a_clear_error_not_a_crash(panel):
    bad = ModelSpec(name="bad", outcome="roa", fixed_effects=("firm", "industry"))
    with pytest.raises(KeyError, match="industry"):
        check_columns(panel, bad)
    with pytest.raises(KeyError, match="industry"):
        fit_model(panel, bad)


# ---------------------------------------------------------------- options (issue 6)
@pytest.fixture(scope="module")
def panel_ind(panel):
    p = panel.copy()
    p["industry"] = np.array(["C13", "C27", "C35", "C39"])[p["firm"].astype(int) % 4]
    return p


def test_industry_year_fixed_effects_equal_dummy_variable_ols(panel_ind):
    spec = ModelSpec(name="iy", outcome="roa", moderator="dig", controls=("size",),
                     fixed_effects=("firm", "industry_year"))
    fit = fit_model(panel_ind, spec)
    d = panel_ind.assign(serv_sq=panel_ind.serv**2, serv_x_dig=panel_ind.serv * panel_ind.dig,
                         serv_sq_x_dig=panel_ind.serv**2 * panel_ind.dig,
                         iy=panel_ind["industry"] + "/" + panel_ind["year"].astype(str))
    ols = smf.ols("roa ~ serv + serv_sq + dig + serv_x_dig + serv_sq_x_dig + size + C(firm) + C(iy)", data=d).fit()
    for name in spec.regressors:
        assert fit.coef()[name] == pytest.approx(ols.params[name], rel=1e-8, abs=1e-10)
    # a different model from firm + year effects
    base = fit_model(panel_ind, SPEC)
    assert abs(base.coef()["serv"] - fit.coef()["serv"]) > 1e-6
    res = tidy_result(fit, spec, panel_ind)
    assert res.spec["fixed_effects"] == ["firm", "industry_year"] and "industry_year" not in panel_ind


def test_industry_year_needs_the_industry_column(panel):
    spec = ModelSpec(name="iy", outcome="roa", fixed_effects=("firm", "industry_year"))
    with pytest.raises(KeyError, match="industry"):
        fit_model(panel, spec)


def test_two_way_clustering_matches_a_hand_computation(panel):
    """V = c (A M_firm A + A M_year A - A M_firm,year A) with c = (N-1)/(N-K) minG/(minG-1),
    K = slopes + 1 (both effects nested in a cluster dimension), residuals from dummy OLS."""
    spec = ModelSpec(name="tw", outcome="roa", moderator="dig", controls=("size",), cluster="firm+year")
    fit = fit_model(panel, spec)
    res = tidy_result(fit, spec, panel)
    n_years, n_firms = panel["year"].nunique(), panel["firm"].nunique()
    assert res.n_clusters == n_years and res.df_t == n_years - 1
    assert res.extras["n_clusters_by"] == {"firm": n_firms, "year": n_years}
    d = panel.assign(serv_sq=panel.serv**2, serv_x_dig=panel.serv * panel.dig,
                     serv_sq_x_dig=panel.serv**2 * panel.dig)
    ols = smf.ols("roa ~ serv + serv_sq + dig + serv_x_dig + serv_sq_x_dig + size + C(firm) + C(year)", data=d).fit()
    # partial out the FE (Frisch-Waugh): residualise the slopes on the dummies
    D = pd.get_dummies(d[["firm", "year"]].astype(str), drop_first=True, dtype=float).assign(c=1.0).to_numpy()
    X = d[spec.regressors].to_numpy()
    Xt = X - D @ np.linalg.lstsq(D, X, rcond=None)[0]
    A = np.linalg.inv(Xt.T @ Xt)
    u = ols.resid.to_numpy()

    def meat(groups):
        S = pd.DataFrame(Xt * u[:, None]).groupby(np.asarray(groups)).sum().to_numpy()
        return S.T @ S

    fy = d["firm"].astype(str) + "_" + d["year"].astype(str)
    N, K, G = len(d), len(spec.regressors) + 1, min(n_firms, n_years)
    V = (N - 1) / (N - K) * G / (G - 1) * A @ (meat(d["firm"]) + meat(d["year"]) - meat(fy)) @ A
    np.testing.assert_allclose(res.se, np.sqrt(np.diag(V)), rtol=1e-6)


def test_bootstrap_results_in_the_tidy_extras(panel):
    from analysis.estimation import bootstrap_results

    fit = fit_model(panel, SPEC)
    out = bootstrap_results(fit, SPEC, panel, ["serv_sq", "serv_sq_x_dig", "not_in_model"], reps=199, seed=3)
    assert set(out) == {"serv_sq", "serv_sq_x_dig"}
    for name, r in out.items():
        assert r["estimate"] == pytest.approx(float(fit.coef()[name]), rel=1e-9)
        assert 0 <= r["p_value"] <= 1 and r["reps"] == 199 and r["seed"] == 3
        assert r["ci_lower"] < r["estimate"] < r["ci_upper"]
    json.dumps(out)
    two = ModelSpec(**{**SPEC.__dict__, "cluster": "firm+year"})
    with pytest.raises(ValueError, match="models.bootstrap"):
        bootstrap_results(fit_model(panel, two), two, panel, ["serv_sq"], reps=99, seed=1)


def test_schema_accepts_the_options_and_keeps_defaults_off():
    import copy

    import yaml

    from analysis.config import REPO_ROOT, validate_config

    cfg = yaml.safe_load((REPO_ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    ok = validate_config(copy.deepcopy(cfg))
    assert ok["models"]["bootstrap"]["enabled"] is False and ok["models"]["crosscheck"] is False
    assert ok["models"]["fixed_effects"] == ["firm", "year"] and ok["models"]["cluster"] == "firm"
    cfg2 = copy.deepcopy(cfg)
    cfg2["models"].update(cluster="firm+year", fixed_effects=["firm", "industry_year"],
                          bootstrap={"enabled": True, "reps": 499}, crosscheck=True)
    assert validate_config(cfg2)["models"]["bootstrap"]["params"] == ["serv_sq", "serv_sq_x_dig"]
    for bad in ({"cluster": "firm year"}, {"bootstrap": {"reps": 10}}, {"bootstrap": {"weights": "normal"}},
                {"bootstrap": {"enable": True}}):
        cfg3 = copy.deepcopy(cfg)
        cfg3["models"].update(bad)
        with pytest.raises(WorkflowError, match="Error validating config"):
            validate_config(cfg3)


def test_r2_firms_and_singletons_equal_an_independent_dummy_variable_ols(panel):
    """R², adjusted R² (slopes and FE levels counted, as reghdfe) and the firm count from statsmodels
    OLS with firm and year dummies; the singleton count is the complete cases the fit dropped."""
    extra = panel.iloc[[0]].assign(firm="999999")  # a firm seen once: a singleton
    p = pd.concat([panel, extra], ignore_index=True)
    res = tidy_result(fit_model(p, SPEC), SPEC, p)
    assert res.n_singletons == 1 and res.n_firms == panel["firm"].nunique()
    d = panel.assign(serv_sq=panel.serv**2, serv_x_dig=panel.serv * panel.dig,
                     serv_sq_x_dig=panel.serv**2 * panel.dig)
    ols = smf.ols("roa ~ serv + serv_sq + dig + serv_x_dig + serv_sq_x_dig + size + C(firm) + C(year)",
                  data=d).fit()
    assert res.r2 == pytest.approx(ols.rsquared, rel=1e-8)
    assert res.r2_adj == pytest.approx(ols.rsquared_adj, rel=1e-8)
    keep = ModelSpec(**{**SPEC.__dict__, "drop_singletons": False})
    assert tidy_result(fit_model(p, keep), keep, p).n_singletons == 0
