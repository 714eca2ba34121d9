"""Estimation wrapper: coefficients against an independent dummy-variable OLS, tidy results."""

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

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
