"""Influence of each firm on b2, the turning point and b5 (analysis/influence.py), checked against an
independent computation: for every firm, statsmodels OLS with firm and year dummies on the panel without that
firm (and without the singletons that dropping it leaves), on a small unbalanced panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.influence import cluster_influence, influence_record, most_influential, turning_point
from analysis.models import ModelOptions, specs_from_config

MODELS = {"outcomes": ["roa"], "x": "serv", "moderator": "dig", "controls": ["size"], "fixed_effects": ["firm", "year"],
          "se": "auto", "cluster": "firm", "drop_singletons": True, "moderator_quantiles": [0.1, 0.5, 0.9],
          "alpha": 0.05, "bootstrap": {"enabled": False, "reps": 9, "params": []}, "crosscheck": False}


def _panel(n_firms: int = 14, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_firms):
        years = sorted(rng.choice(np.arange(2012, 2020), size=int(rng.integers(2, 8)), replace=False))
        a = rng.normal()
        for y in years:
            serv, dig = rng.uniform(0, 0.8), rng.uniform(0, 3)
            roa = (a + 0.01 * (y - 2012) + 0.2 * serv - 0.25 * serv ** 2 + 0.01 * dig - 0.03 * serv * dig
                   + 0.04 * serv ** 2 * dig + 0.005 * rng.normal() + rng.normal(scale=0.02))
            rows.append({"firm": f"{600000 + i:06d}", "year": int(y), "serv": serv, "dig": dig, "roa": roa,
                         "size": rng.normal(22, 1)})
    # a year seen in two firms only: leaving either out leaves a singleton year (dropped, as pyfixest would)
    for firm in ("600000", "600001"):
        rows.append({"firm": firm, "year": 2021, "serv": 0.5, "dig": 2.0, "roa": rng.normal(0.05, 0.02), "size": 22.0})
    # one firm seen once: a singleton the model drops
    rows.append({"firm": "699999", "year": 2015, "serv": 0.3, "dig": 1.0, "roa": 0.05, "size": 22.0})
    return pd.DataFrame(rows)


def _statsmodels_loco(panel: pd.DataFrame, spec) -> dict[str, tuple[float, float, float]]:
    """(b2, turning point, b5) without each firm: OLS on dummies (statsmodels), singletons dropped first."""
    import statsmodels.formula.api as smf

    def drop_singletons(d):
        while True:
            bad = (d.groupby("firm")["firm"].transform("size") == 1) | (d.groupby("year")["year"].transform("size") == 1)
            if not bad.any():
                return d
            d = d[~bad]

    base = drop_singletons(panel)
    z = float(base["dig"].median()) if spec.moderator else None
    rhs = "serv + I(serv**2) + size" + (" + dig + serv:dig + I(serv**2):dig" if spec.moderator else "")
    out = {}
    for firm in sorted(base["firm"].unique()):
        d = drop_singletons(base[base["firm"] != firm])
        p = smf.ols(f"roa ~ {rhs} + C(firm) + C(year)", data=d).fit().params
        b1, b2 = p["serv"], p["I(serv ** 2)"]
        b5 = p["I(serv ** 2):dig"] if spec.moderator else float("nan")
        if spec.moderator:
            tp = -(b1 + p["serv:dig"] * z) / (2 * (b2 + b5 * z))
        else:
            tp = -b1 / (2 * b2)
        out[firm] = (b2, tp, b5)
    return out


@pytest.mark.parametrize("route", ["downdating", "refits"])
@pytest.mark.parametrize("which", ["baseline_roa", "moderation_roa"])
def test_leave_one_firm_out_equals_statsmodels_refits(which, route, monkeypatch):
    import analysis.influence

    if route == "refits":  # the general route, for fixed effects not nested in the clusters
        monkeypatch.setattr(analysis.influence, "_downdating_plan", lambda *a, **k: None)
    panel = _panel()
    spec = {s.name: s for s in specs_from_config(MODELS)}[which]
    table, info = cluster_influence(panel, spec, ModelOptions.from_config(MODELS))
    expected = _statsmodels_loco(panel, spec)
    assert set(table["cluster"]) == set(expected)  # the singleton firm is not in the estimation sample
    assert "699999" not in set(table["cluster"])
    for r in table.itertuples(index=False):
        b2, tp, b5 = expected[r.cluster]
        assert r.b2 == pytest.approx(b2, abs=1e-8)
        assert r.turning_point == pytest.approx(tp, abs=1e-7)
        assert r.infl_b2 == pytest.approx(info["b2"] - b2, abs=1e-8)
        assert r.infl_turning_point == pytest.approx(info["turning_point"] - tp, abs=1e-7)
        if spec.moderator:
            assert r.b5 == pytest.approx(b5, abs=1e-8)
            assert r.infl_b5 == pytest.approx(info["b5"] - b5, abs=1e-8)
    # ranked by the absolute influence on the turning point
    assert list(table["rank_turning_point"]) == list(range(1, len(table) + 1))
    assert table["infl_turning_point"].abs().is_monotonic_decreasing


def test_refit_without_the_top_firms_goes_through_the_model_step():
    from analysis.models import estimate_inverted_u

    panel = _panel()
    options = ModelOptions.from_config(MODELS)
    spec = specs_from_config(MODELS)[0]
    table, rec = influence_record(panel, spec, options, top=3)
    assert rec["dropped"] == most_influential(table, 3) and len(rec["dropped"]) == 3
    direct = estimate_inverted_u(panel[~panel["firm"].isin(rec["dropped"])].reset_index(drop=True), spec, options)
    p = direct.params()
    assert rec["without_top"]["b2"] == pytest.approx(p["serv_sq"], rel=1e-10)
    assert rec["without_top"]["turning_point"] == pytest.approx(turning_point(p, spec), rel=1e-10)
    assert rec["without_top"]["p_sasabuchi"] == pytest.approx(direct.extras["utest"]["p_sasabuchi"], rel=1e-10)
    assert rec["without_top"]["n_obs"] < rec["n_obs"]
    assert len(rec["sample"]) == rec["n_obs"] and "699999:2015" not in rec["sample"]


def test_without_fixed_effects_the_intercept_is_kept():
    import statsmodels.formula.api as smf

    panel = _panel()
    cfg = {**MODELS, "fixed_effects": [], "moderator": None}
    spec = specs_from_config(cfg)[0]
    table, info = cluster_influence(panel, spec, ModelOptions.from_config(cfg))
    for r in table.head(4).itertuples(index=False):
        p = smf.ols("roa ~ serv + I(serv**2) + size", data=panel[panel["firm"] != r.cluster]).fit().params
        assert r.b2 == pytest.approx(p["I(serv ** 2)"], abs=1e-9)
        assert r.turning_point == pytest.approx(-p["serv"] / (2 * p["I(serv ** 2)"]), abs=1e-8)
