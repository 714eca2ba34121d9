"""The one model step (analysis/models.py) and its one parser of model options.

Standard errors are checked against independent computations: statsmodels OLS with firm and year
dummies (classical and HC1), a hand-written Lind-Mehlum test on statsmodels' covariance, and
linearmodels' own first-stage partial F for the Sanderson-Windmeijer statistic with one endogenous
regressor. The configuration matrix checks that every standard-error choice reaches every consumer
(main estimate, robustness baseline, specification curve, mechanism moderation) unchanged.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from analysis.config import REPO_ROOT, validate_config
from analysis.estimation import estimation_sample
from analysis.models import (ModelConfigError, ModelOptions, add_statistics, estimate_inverted_u, fit,
                             specs_from_config, two_lines_test)

import yaml

STUDY = yaml.safe_load((REPO_ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))


def config(**models) -> dict:
    """The study config, validated (schema defaults filled), with ``models`` overrides."""
    cfg = copy.deepcopy(STUDY)
    cfg["models"].update(models)
    return validate_config(cfg)


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(11)
    firms, years = 90, 7
    df = pd.DataFrame([(f"{i:06d}", 2012 + t) for i in range(firms) for t in range(years)], columns=["firm", "year"])
    df = df.sample(frac=0.92, random_state=2).sort_values(["firm", "year"]).reset_index(drop=True)
    fe = rng.normal(0, 0.5, firms)[df["firm"].astype(int)]
    df["industry"] = np.array(["C27", "C39", "C35", "C13"])[df["firm"].astype(int) % 4]
    df["serv"] = rng.uniform(0, 0.9, len(df))
    df["dig"] = rng.gamma(2.0, 1.0, len(df))
    df["size"] = rng.normal(21, 1, len(df)) + 0.3 * fe
    df["lev"] = rng.uniform(0.1, 0.8, len(df))
    het = 0.02 + 0.05 * df["serv"]  # heteroskedastic: HC1 and iid differ
    df["roa"] = (fe + 0.2 * df.serv - 0.25 * df.serv**2 + 0.01 * df.dig - 0.03 * df.serv * df.dig
                 + 0.04 * df.serv**2 * df.dig + 0.005 * df["size"] + rng.normal(0, 1, len(df)) * het)
    return df


# ----------------------------------------------------------------------------------- options parser
def test_options_follow_the_documented_rules():
    o = ModelOptions.from_config(config()["models"])
    assert (o.se, o.cluster) == ("cluster", "firm")  # study config: cluster firm, se auto
    assert ModelOptions.from_config(config(cluster=None)["models"]).se == "hc1"  # documented: null = HC1
    two = ModelOptions.from_config(config(cluster="firm+year")["models"])
    assert (two.se, two.cluster_columns) == ("cluster", ["firm", "year"])
    iid = ModelOptions.from_config(config(se="iid")["models"])
    assert (iid.se, iid.cluster) == ("iid", None)  # the cluster variable is not used for iid errors
    with pytest.raises(ModelConfigError, match="models.se.*models.cluster"):
        ModelOptions.from_config(config(se="cluster", cluster=None)["models"])


def test_options_have_no_defaults_of_their_own():
    """Every setting comes from the validated config: a models section without a key is an error,
    not a silent default (the schema is the one place for defaults)."""
    models = config()["models"]
    for key in ("se", "cluster", "drop_singletons", "alpha", "moderator_quantiles"):
        partial = {k: v for k, v in models.items() if k != key}
        with pytest.raises(KeyError):
            ModelOptions.from_config(partial)


def test_bootstrap_needs_one_way_clustering_and_known_params():
    with pytest.raises(ModelConfigError, match="models.bootstrap.enabled"):
        specs_from_config(config(cluster="firm+year", bootstrap={"enabled": True})["models"])
    with pytest.raises(ModelConfigError, match="models.bootstrap.enabled"):
        specs_from_config(config(se="iid", bootstrap={"enabled": True})["models"])
    with pytest.raises(ModelConfigError, match="models.bootstrap.params"):
        specs_from_config(config(bootstrap={"enabled": True, "params": ["serv_cube"]})["models"])
    with pytest.raises(ModelConfigError, match="models.cluster"):  # the schema rejects it too
        specs_from_config({**config()["models"], "cluster": "firm+year+industry"})


# ------------------------------------------------------------------------ standard errors, by hand
def _dummies_ols(panel, cov_type="nonrobust"):
    d = panel.assign(serv_sq=panel.serv**2)
    return smf.ols("roa ~ serv + serv_sq + size + C(firm) + C(year)", data=d).fit(cov_type=cov_type)


@pytest.mark.parametrize("se,cov_type", [("iid", "nonrobust"), ("hc1", "HC1")])
def test_iid_and_hc1_equal_dummy_variable_ols(panel, se, cov_type):
    o = ModelOptions.from_config(config(se=se, drop_singletons=False)["models"])
    spec = o.spec("m", "roa", "serv", controls=["size"], fixed_effects=["firm", "year"])
    res = estimate_inverted_u(panel, spec, o)
    ols = _dummies_ols(panel, cov_type)
    for name in ("serv", "serv_sq", "size"):
        i = res.names.index(name)
        assert res.coef[i] == pytest.approx(ols.params[name], rel=1e-8)
        assert res.se[i] == pytest.approx(ols.bse[name], rel=1e-6)
    assert res.df_t == ols.df_resid  # N - K, K counting the dummies
    assert res.extras["se"]["type"] == se and res.n_clusters is None


def test_iid_u_test_equals_a_hand_computation(panel):
    """Lind-Mehlum by hand from statsmodels' classical covariance: slopes b1 + 2 b2 x at the data's
    bounds, t = slope / se, Sasabuchi p = the larger one-sided t(df) p-value."""
    o = ModelOptions.from_config(config(se="iid", drop_singletons=False)["models"])
    spec = o.spec("m", "roa", "serv", controls=["size"], fixed_effects=["firm", "year"])
    u = estimate_inverted_u(panel, spec, o).extras["utest"]
    ols = _dummies_ols(panel)
    b, V = ols.params[["serv", "serv_sq"]].to_numpy(), ols.cov_params().loc[["serv", "serv_sq"], ["serv", "serv_sq"]].to_numpy()
    xl, xh = panel.serv.min(), panel.serv.max()
    t = []
    for x in (xl, xh):
        g = np.array([1.0, 2 * x])
        t.append(g @ b / math.sqrt(g @ V @ g))
    p = max(stats.t(ols.df_resid).sf(t[0]), stats.t(ols.df_resid).cdf(t[1]))
    assert u["t_l"] == pytest.approx(t[0], rel=1e-6) and u["t_h"] == pytest.approx(t[1], rel=1e-6)
    assert u["p_sasabuchi"] == pytest.approx(p, rel=1e-5)
    assert u["extreme_point"] == pytest.approx(-b[0] / (2 * b[1]), rel=1e-8)


def test_iid_errors_change_the_verdict_where_they_should():
    """A cross-section (no fixed effects) with a mild inverted U and strong heteroskedasticity at high
    x: HC1 and iid tests disagree; the package must report the one asked for."""
    rng = np.random.default_rng(5)
    n = 400
    x = rng.uniform(0, 1, n)
    y = 0.3 * x - 0.3 * x**2 + rng.normal(0, 0.02 + 0.3 * x**3, n)
    d = pd.DataFrame({"x": x, "y": y})
    res = {}
    for se in ("iid", "hc1"):
        o = ModelOptions.from_config(config(se=se)["models"])
        spec = o.spec(f"cs_{se}", "y", "x")
        res[se] = estimate_inverted_u(d, spec, o).extras["utest"]
        cov = "nonrobust" if se == "iid" else "HC1"
        ols = smf.ols("y ~ x + I(x**2)", data=d).fit(cov_type=cov)
        V = ols.cov_params().iloc[1:, 1:].to_numpy()
        g = np.array([1.0, 2 * x.max()])
        assert res[se]["t_h"] == pytest.approx(g @ ols.params.iloc[1:].to_numpy() / math.sqrt(g @ V @ g), rel=1e-6)
    assert res["iid"]["p_sasabuchi"] != pytest.approx(res["hc1"]["p_sasabuchi"], rel=0.05)


def test_two_way_clustering_through_the_options(panel):
    o = ModelOptions.from_config(config(cluster="firm+year")["models"])
    spec = o.spec("m", "roa", "serv", moderator="dig", controls=["size"], fixed_effects=["firm", "year"])
    res = estimate_inverted_u(panel, spec, o)
    assert res.extras["se"] == {"type": "cluster", "cluster": ["firm", "year"], "df_t": panel.year.nunique() - 1,
                                "n_clusters": {"firm": panel.firm.nunique(), "year": panel.year.nunique()}}
    assert "moderation" in res.extras and "flattening" in res.extras


def test_two_lines_test_uses_the_same_errors_and_sample(panel):
    for models in ({}, {"cluster": "firm+year"}, {"se": "iid"}, {"se": "hc1"}):
        o = ModelOptions.from_config(config(**models)["models"])
        spec = o.spec("m", "roa", "serv", controls=["size"], fixed_effects=["firm", "year"])
        result, f = fit(panel, spec, o)
        tl = two_lines_test(panel, spec, o, estimation_sample(panel, f).index)
        assert tl["n"] == result.n_obs
        assert np.isfinite(tl["p1"]) and np.isfinite(tl["p2"])


# ------------------------------------------------------------------------------ IV: first stage F
def test_sanderson_windmeijer_f_equals_the_partial_f_with_one_endogenous_regressor():
    from linearmodels.iv import IV2SLS

    from analysis.iv import sanderson_windmeijer_f

    rng = np.random.default_rng(2)
    n = 600
    z1, z2, w = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)
    g = np.repeat(np.arange(60), 10)
    x = 0.3 * z1 + 0.1 * z2 + 0.2 * w + rng.normal(size=n)
    y = x + w + rng.normal(size=n)
    dm = pd.DataFrame({"y": y, "x": x, "z1": z1, "z2": z2, "w": w})
    for kwargs in ({"cov_type": "robust", "debiased": True},
                   {"cov_type": "clustered", "clusters": pd.Series(g), "debiased": True}):
        sw = sanderson_windmeijer_f(dm, ["x"], ["w"], ["z1", "z2"], kwargs)
        res = IV2SLS(dm["y"], dm[["w"]], dm[["x"]], dm[["z1", "z2"]]).fit(**kwargs)
        diag = res.first_stage.diagnostics
        # linearmodels reports the robust first-stage test as a chi2(L) Wald statistic: F = Wald / L
        assert str(diag["f.dist"]["x"]) == "chi2(2)"
        assert sw["x"] == pytest.approx(float(diag["f.stat"]["x"]) / 2, rel=1e-6)


def test_sanderson_windmeijer_f_finds_the_weakly_identified_regressor():
    """(i) x1 strongly instrumented by z1, x2 weakly by z2: SW F small for x2.
    (ii) both regressors strongly correlated with the instruments but along the same direction (the
    first-stage matrix is nearly rank one): each plain first-stage F is large, yet neither is
    separately identified, and the SW F of both is small - what the conditional F is for."""
    from linearmodels.iv import IV2SLS

    from analysis.iv import sanderson_windmeijer_f

    rng = np.random.default_rng(4)
    n = 2000
    z1, z2, u = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)
    robust = {"cov_type": "robust", "debiased": True}
    d1 = pd.DataFrame({"x1": z1 + rng.normal(size=n), "x2": 0.02 * z2 + rng.normal(size=n), "z1": z1, "z2": z2})
    sw = sanderson_windmeijer_f(d1, ["x1", "x2"], [], ["z1", "z2"], robust)
    assert sw["x2"] < 10
    x1 = z1 + 0.5 * z2 + rng.normal(size=n)
    d2 = pd.DataFrame({"x1": x1, "x2": 0.5 * z1 + 0.25 * z2 + 0.01 * z2 + rng.normal(size=n),
                       "z1": z1, "z2": z2, "y": x1 + u})
    sw2 = sanderson_windmeijer_f(d2, ["x1", "x2"], [], ["z1", "z2"], robust)
    plain = IV2SLS(d2["y"], None, d2[["x1", "x2"]], d2[["z1", "z2"]]).fit(**robust).first_stage.diagnostics["f.stat"]
    assert plain["x1"] / 2 > 100 and plain["x2"] / 2 > 100  # chi2(2) Wald -> F
    assert sw2["x1"] < 10 and sw2["x2"] < 10


def test_iv_result_reports_first_stage_f_and_the_weak_flag(panel):
    o = ModelOptions.from_config(config()["models"])
    spec = o.spec("iv", "roa", "serv", controls=["size"], fixed_effects=["firm", "year"])
    res = estimate_inverted_u(panel, spec, o, method="iv")
    ex = res.extras
    assert set(ex["first_stage_sw_f"]) == {"serv", "serv_sq"}
    assert ex["first_stage_min_f"] == min(ex["first_stage_sw_f"].values())
    assert ex["weak_instruments"] == (ex["first_stage_min_f"] < 10)
    assert "utest" in ex and ex["se"]["type"] == "cluster"


# --------------------------------------------------------------- configuration matrix (functions)
SE_MATRIX = [{}, {"cluster": "firm+year"}, {"cluster": None}, {"se": "iid"}, {"se": "hc1"},
             {"controls": ["size", "lev", "growth", "age"]}]


@pytest.mark.parametrize("models", SE_MATRIX, ids=lambda m: ",".join(f"{k}={v}" for k, v in m.items()) or "study")
def test_robustness_baseline_and_curve_equal_the_main_table(models):
    """Under every standard-error choice and an added control: the robustness baseline row and the
    specification curve's baseline specification are the main table's model, number for number, and
    nothing is skipped for a configuration reason."""
    from analysis.robustness import Choices, estimate_spec, spec_from_mapping
    from analysis.speccurve import build_specifications, curve_settings, run_specifications
    from tests.test_robustness import make_panel

    panel, _, bounds = make_panel(n_firms=60)
    cfg = config(**models)
    cfg["models"]["outcomes"] = ["roa"]
    main = [s for s in specs_from_config(cfg["models"]) if s.name == "baseline_roa"][0]
    o = ModelOptions.from_config(cfg["models"])
    main_res = estimate_inverted_u(panel, main, o)

    choices = Choices.from_config(cfg)
    base = spec_from_mapping(cfg["robustness"]["base"], name="baseline")
    est = estimate_spec(panel, base, choices, bounds)
    assert est["status"] == "ok", est["reason"]
    rb = est["baseline"]
    assert rb["names"] == main_res.names
    np.testing.assert_allclose(rb["coef"], main_res.coef, rtol=1e-10)
    np.testing.assert_allclose(rb["se"], main_res.se, rtol=1e-10)
    assert rb["extras"]["se"] == main_res.extras["se"]

    curve_cfg = copy.deepcopy(cfg)
    curve_cfg["robustness"]["speccurve"].update(outcome=["roa"], serv=["serv"], dig=["dig"], controls=["main"],
                                                fixed_effects=["main"], winsorize=["as_built"], sample=["all", "soe"])
    specs = build_specifications(curve_cfg)
    rows = run_specifications(panel, specs, Choices.from_config(curve_settings(curve_cfg)), bounds)
    assert (rows["status"] == "ok").all(), rows["reason"].tolist()
    first = rows.iloc[0]
    b2 = main_res.coef[main_res.names.index("serv_sq")]
    assert first["b2"] == pytest.approx(b2, rel=1e-10)
    assert first["utest_p"] == pytest.approx(main_res.extras["utest"]["p_sasabuchi"], rel=1e-8)


def test_mechanism_moderation_goes_through_the_model_step(panel):
    from analysis.mechanism import link_coupling_moderation

    for models in ({}, {"se": "iid"}, {"cluster": "firm+year"}):
        o = ModelOptions.from_config(config(**models)["models"])
        out = link_coupling_moderation(panel.assign(ccd=panel["dig"] / 10), o, outcome="roa", x="serv",
                                       controls=["size"], fixed_effects=["firm", "year"])
        r = out["result"]
        direct = estimate_inverted_u(panel.assign(ccd=panel["dig"] / 10),
                                     o.spec("d", "roa", "serv", moderator="ccd", controls=["size"],
                                            fixed_effects=["firm", "year"]), o)
        np.testing.assert_allclose(r["se"], direct.se, rtol=1e-12)
        assert r["extras"]["se"]["type"] == o.se


def test_statistics_can_be_added_to_a_saved_fit(panel):
    """add_statistics is what estimate_inverted_u adds: the two paths give identical results."""
    o = ModelOptions.from_config(config()["models"])
    spec = o.spec("m", "roa", "serv", moderator="dig", controls=["size"], fixed_effects=["firm", "year"])
    a = estimate_inverted_u(panel, spec, o)
    r, _ = fit(panel, spec, o)
    b = add_statistics(r, spec, o)
    assert a.to_dict() == b.to_dict()
