"""pyfixest against linearmodels PanelOLS: coefficients to 1e-8, standard errors to 1e-6, on a
simulated unbalanced panel with singleton firms (dropped by both paths independently)."""

import numpy as np
import pandas as pd
import pytest

from analysis.estimation import ModelSpec, fit_model
from analysis.inference.crosscheck import crosscheck, panelols_fit


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(12)
    n_firms, n_years = 250, 10
    df = pd.DataFrame([(f"{f:06d}", 2010 + t) for f in range(n_firms) for t in range(n_years)],
                      columns=["firm", "year"])
    df = df.sample(frac=0.6, random_state=3).sort_values(["firm", "year"]).reset_index(drop=True)
    singles = pd.DataFrame({"firm": [f"9{i:05d}" for i in range(6)], "year": 2010 + np.arange(6)})
    df = pd.concat([df, singles], ignore_index=True)
    code = df["firm"].astype(int) % 1000
    df["industry"] = np.array(["C13", "C27", "C35", "C39"])[code % 4]
    a = rng.normal(size=1000)[code]
    df["serv"] = rng.uniform(0, 0.9, len(df))
    df["dig"] = rng.gamma(2.0, 1.0, len(df)) + 0.3 * a
    df["size"] = rng.normal(21, 1, len(df)) + 0.3 * a
    e = rng.normal(size=1000)[code] * 0.02 + rng.normal(0, 0.03, len(df))
    df["roa"] = (a * 0.03 + 0.2 * df.serv - 0.25 * df.serv**2 + 0.002 * df.dig - 0.03 * df.serv * df.dig
                 + 0.04 * df.serv**2 * df.dig + 0.005 * df["size"] + e)
    return df


def spec(**kw):
    return ModelSpec(name="m", outcome="roa", moderator="dig", controls=("size",), **kw)


@pytest.mark.parametrize("fixed_effects, cluster", [
    (("firm", "year"), "firm"),            # the pipeline default
    (("firm", "year"), "firm+year"),
    (("firm", "industry_year"), "firm"),
    (("firm", "year", "industry_year"), "firm+year"),
    (("firm",), "firm"),
])
def test_pyfixest_equals_linearmodels(panel, fixed_effects, cluster):
    c = crosscheck(panel, spec(fixed_effects=fixed_effects, cluster=cluster))
    assert len(c.names) == 6
    assert c.max_abs_diff_coef < 1e-8, c
    assert c.max_abs_diff_se < 1e-6, c
    assert min(c.se_pyfixest) > 1e-4  # a real comparison, not two zeros


def test_default_needs_no_rescaling(panel):
    """Firm + year FE, clustered by firm: the documented kwargs give equality with scale exactly 1."""
    c = crosscheck(panel, spec())
    assert c.se_scale == 1.0
    assert "group_debias=True" in c.note


def test_without_group_debias_the_check_would_fail(panel):
    """The tolerance is tight enough to see the small-sample factor (the test can fail)."""
    s = spec()
    fit = fit_model(panel, s)
    from analysis.estimation import add_model_terms, estimation_sample

    sample = add_model_terms(estimation_sample(panel, fit), s)
    res, _, _ = panelols_fit(sample, s)
    from linearmodels.panel import PanelOLS

    d = sample.set_index(["firm", "year"], drop=False)
    exog = pd.concat([d[s.regressors], pd.get_dummies(d["year"], drop_first=True, dtype=float)], axis=1)
    exog.insert(0, "const", 1.0)
    plain = PanelOLS(d["roa"], exog, entity_effects=True).fit(cov_type="clustered", cluster_entity=True,
                                                             debiased=True)
    diff_ok = np.abs(res.std_errors[s.regressors] - fit.se()[s.regressors]).max()
    diff_plain = np.abs(plain.std_errors[s.regressors] - fit.se()[s.regressors]).max()
    assert diff_ok < 1e-6 < diff_plain


def test_singletons_dropped_consistently(panel):
    """linearmodels' own singleton removal (singletons=False) keeps the same rows as pyfixest."""
    from linearmodels.panel import PanelOLS

    s = spec()
    fit = fit_model(panel, s)
    d = panel.assign(serv_sq=panel.serv**2, serv_x_dig=panel.serv * panel.dig,
                     serv_sq_x_dig=panel.serv**2 * panel.dig).set_index(["firm", "year"], drop=False)
    exog = pd.concat([d[s.regressors], pd.get_dummies(d["year"], drop_first=True, dtype=float)], axis=1)
    exog.insert(0, "const", 1.0)
    lm = PanelOLS(d["roa"], exog, entity_effects=True, singletons=False).fit(
        cov_type="clustered", cluster_entity=True, debiased=True, group_debias=True)
    assert int(fit._N) == lm.nobs == len(panel) - 6
    np.testing.assert_allclose(lm.params[s.regressors], fit.coef()[s.regressors], rtol=0, atol=1e-8)
    np.testing.assert_allclose(lm.std_errors[s.regressors], fit.se()[s.regressors], rtol=0, atol=1e-6)


def test_unclustered_is_refused(panel):
    with pytest.raises(ValueError, match="models.cluster"):
        crosscheck(panel, spec(cluster=None))
