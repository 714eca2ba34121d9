"""Mechanism links on simulated panels with known true values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import mechanism as mech


def _panel(seed=1, n_firms=200, years=range(2014, 2023), g=0.05, beta_d=0.10, direct=0.01):
    """D = firm + year + g Dig + e; roa = firm + year + beta_d D + direct Dig + u (indirect g*beta_d)."""
    rng = np.random.default_rng(seed)
    firms = [f"{i:06d}" for i in range(n_firms)]
    rows = [(f, y) for f in firms for y in years]
    p = pd.DataFrame(rows, columns=["firm", "year"])
    fi = p["firm"].astype(int).to_numpy()
    ye = (p["year"] - min(years)).to_numpy()
    fe_f, fe_y = rng.normal(0, 0.05, n_firms), rng.normal(0, 0.02, len(years))
    p["dig"] = rng.normal(1.5, 0.4, n_firms)[fi] + 0.1 * ye + rng.normal(0, 0.5, len(p))
    p["size"] = rng.normal(21, 1, len(p))
    p["ccd"] = 0.4 + fe_f[fi] + fe_y[ye] + g * p["dig"] + rng.normal(0, 0.03, len(p))
    p["roa"] = fe_f[fi] * 0.5 + fe_y[ye] + beta_d * p["ccd"] + direct * p["dig"] + 0.002 * p["size"] + rng.normal(0, 0.01, len(p))
    p["serv"] = np.clip(rng.beta(1.5, 4, len(p)), 0, 1)
    return p


def test_link_a_recovers_the_dig_coefficient():
    p = _panel()
    out = mech.link_dig_coupling(p, controls=["size"], outcomes=["ccd"])
    (row,) = out["rows"]
    assert row["ci_lower"] < 0.05 < row["ci_upper"] and row["p_one_sided_positive"] < 0.001
    assert row["n_clusters"] == 200
    (two_way,) = mech.link_dig_coupling(p, controls=["size"], outcomes=["ccd"], cluster="firm+year")["rows"]
    assert two_way["coef"] == pytest.approx(row["coef"]) and two_way["n_clusters"] == 9  # min(G)


def test_mediation_recovers_the_indirect_effect():
    p = _panel()
    out = mech.mediation(p, controls=["size"], reps=199, seed=5)
    ind = out["indirect"]
    assert ind["ci_lower"] < 0.005 < ind["ci_upper"]
    assert ind["estimate"] == pytest.approx(0.005, abs=0.0015)
    assert ind["ci_lower"] > 0  # detected
    assert out["a_path"]["coef"] == pytest.approx(0.05, abs=0.01)
    assert out["b_path"]["coef"] == pytest.approx(0.10, abs=0.02)
    # linear FE models on one sample: total = direct + indirect exactly
    assert abs(out["check_total_equals_direct_plus_indirect"]) < 1e-8
    assert any("ignorability" in a for a in out["assumptions"])
    assert mech.mediation(p, controls=["size"], reps=199, seed=5) == out  # seeded: reproducible


def test_mediation_bootstrap_matches_pyfixest_point_estimate():
    p = _panel(seed=2, n_firms=60)
    out = mech.mediation(p, reps=20, seed=1)
    fe = mech._fe_codes(p, ["firm", "year"])
    a = mech._fe_coef(p["ccd"].to_numpy(), p[["dig"]].to_numpy(), fe)[0]
    assert a == pytest.approx(out["a_path"]["coef"], rel=1e-7)


def test_stage_classification_by_share_and_years():
    f = pd.DataFrame({"firm": ["a"] * 5 + ["b"] * 3, "year": [2010, 2011, 2012, 2013, 2014, 2010, 2011, 2012],
                      "serv": [0.0, 0.05, 0.1, 0.29, 0.3, 0.0, 0.0, np.nan]})
    share = mech.classify_stages(f, "share", share_thresholds=[0.1, 0.3])
    assert share.tolist()[:7] == ["stage1", "stage1", "stage2", "stage2", "stage3", "stage1", "stage1"]
    assert pd.isna(share.iloc[7])
    years = mech.classify_stages(f, "years", years_thresholds=[2])
    # firm a: first service line 2011 -> 2010 none (stage1), 2011-2012 stage2 (0, 1 years), 2013+ stage3
    assert years.tolist()[:7] == ["stage1", "stage2", "stage2", "stage3", "stage3", "stage1", "stage1"]
    with pytest.raises(ValueError):
        mech.classify_stages(f, "bogus")


def test_stage_heterogeneity_reports_each_stage():
    p = _panel(n_firms=120)
    st = mech.classify_stages(p, "share", share_thresholds=[0.15, 0.35])
    out = mech.stage_heterogeneity(p, st, controls=["size"])
    assert set(out["stage_counts"]) == {"stage1", "stage2", "stage3"}
    a_rows = [r for r in out["rows"] if r["model"].endswith("dig_ccd") and "coef" in r]
    assert len(a_rows) == 3 and all(r["ci_lower"] < 0.05 < r["ci_upper"] for r in a_rows)


def test_resilience_on_a_simulated_shock():
    rng = np.random.default_rng(4)
    n = 300
    firms = [f"{i:06d}" for i in range(n)]
    serv, dig = rng.uniform(0, 0.6, n), rng.uniform(0, 4, n)
    rows = []
    for i, f in enumerate(firms):
        base = rng.normal(0.05, 0.02)
        for y in range(2016, 2024):
            roa = base + rng.normal(0, 0.003)
            if y == 2020:  # the shock: -0.04, softened by 0.008 per unit of Dig
                roa += -0.04 + 0.008 * dig[i]
            rows.append((f, y, roa, serv[i], dig[i]))
    p = pd.DataFrame(rows, columns=["firm", "year", "roa", "serv", "dig"])
    rf = mech.resilience_frame(p)
    assert len(rf) == n
    out = mech.resilience(p, shock_year=2020)
    drop = {r["term"]: r for r in out["rows"] if r["model"] == "drop"}
    assert drop["dig_pre"]["ci_lower"] < 0.008 < drop["dig_pre"]["ci_upper"]
    assert abs(drop["serv_pre"]["coef"]) < 4 * drop["serv_pre"]["se"]  # no true Serv effect
    rec = {r["term"]: r for r in out["rows"] if r["model"] == "recovery"}
    assert rec["dig_pre"]["coef"] == pytest.approx(-0.008, abs=0.002)  # recovery mirrors the drop
    assert len(out["groups"]) == 4 and sum(g["n_firms"] for g in out["groups"]) == n


def test_coupling_measures_from_indicators():
    rng = np.random.default_rng(0)
    ind = pd.DataFrame({"firm": ["x"] * 50, "year": range(50), "rd_intensity": rng.uniform(0, 0.1, 50),
                        "invention_applications": np.nan, "invention_grants": np.nan,
                        "service_growth": rng.normal(0, 0.05, 50), "new_service_lines": rng.poisson(0.3, 50)})
    out, info = mech.coupling_measures(ind)
    assert info["u1_indicators"] == ["rd_intensity"]
    assert info["u1_dropped_indicators"] == ["invention_applications", "invention_grants"]
    assert out["u1"].between(0, 1).all() and out["ccd"].between(0, 1).all()
    np.testing.assert_allclose(out["ccd"], (out["u1"] * out["u2"]) ** 0.25)


def test_innovation_indicators_service_growth_and_new_lines():
    panel = pd.DataFrame({"firm": ["a", "a", "a"], "year": [2010, 2011, 2012],
                          "operating_revenue": [100.0, 200.0, 400.0], "total_revenue": [100.0, 200.0, 400.0]})
    rd = pd.DataFrame({"firm": ["a", "a"], "period_end": pd.to_datetime(["2011-12-31", "2012-12-31"]),
                       "year": [2011, 2012], "rd_expense": [10.0, 8.0]})
    serv = pd.DataFrame({"firm": ["a"] * 3, "year": [2010, 2011, 2012], "service_revenue": [0.0, 20.0, 30.0],
                         "segment_revenue": [100.0, 200.0, 400.0]})
    labels = pd.DataFrame({"firm": ["a"] * 4, "year": [2011, 2012, 2012, 2012], "segment": ["维修", "维修", "租赁", "设备"],
                           "label": ["service", "service", "service", "product"],
                           "service_type": ["repair", "repair", "leasing", None]})
    out = mech.innovation_indicators(panel, rd, None, serv, labels)
    np.testing.assert_allclose(out["rd_intensity"], [np.nan, 0.05, 0.02])
    np.testing.assert_allclose(out["service_growth"], [np.nan, 0.2, 0.05])
    np.testing.assert_allclose(out["new_service_lines"], [np.nan, 1.0, 1.0])
    assert out["invention_applications"].isna().all()


def _curve_panel(seed=3, n_firms=250, years=range(2012, 2023), g=0.05, b=(0.3, -1.5, 2.5)):
    """D = firm + year + g Dig + e; roa = firm + year + (b0 + b1 S + b2 S^2) D + S - 1.5 S^2 + u (no direct effect)."""
    p = _panel(seed=seed, n_firms=n_firms, years=years, g=g, beta_d=0.0, direct=0.0)
    rng = np.random.default_rng(seed + 100)
    s = np.clip(rng.beta(2, 4, n_firms)[p["firm"].astype(int)] + rng.normal(0, 0.08, len(p)), 0, 1)
    p["serv"] = s
    p["roa"] = p["roa"] + (b[0] + b[1] * s + b[2] * s**2) * p["ccd"] + s - 1.5 * s**2 + rng.normal(0, 0.01, len(p))
    return p


def test_mediation_along_the_curve_recovers_the_b_path_and_no_direct_effect():
    b = (0.3, -1.5, 2.5)
    p = _curve_panel(b=b)
    out = mech.mediation(p, controls=["size"], curve="serv", reps=99, seed=2)
    assert out["check_total_equals_direct_plus_indirect"] is None and out["curve"] == "serv"
    for d in [out["direct"], *out["direct_at"]]:  # no direct effect anywhere on the curve
        assert d["ci_lower"] < 0 < d["ci_upper"], d
    truth = lambda x: b[0] + b[1] * x + b[2] * x**2  # noqa: E731
    at = {r["at"]: r for r in out["b_path_at"]}
    for name in ("p10", "p50", "p90"):
        r = at[name]
        assert r["ci_lower"] < truth(r["x"]) < r["ci_upper"], (name, r)
    s = p["serv"].to_numpy()
    assert at["p50"]["x"] == pytest.approx(np.quantile(s, 0.5))
    mean_truth = truth(s).mean()
    assert at["mean_effect"]["ci_lower"] < mean_truth < at["mean_effect"]["ci_upper"]
    ind = out["indirect"]
    assert ind["estimate"] == pytest.approx(out["a_path"]["coef"] * at["mean_effect"]["estimate"])
    assert ind["ci_lower"] < 0.05 * mean_truth < ind["ci_upper"]
    assert [r["at"] for r in out["indirect_at"]] == ["p10", "p50", "p90"]


def test_b_path_delta_interval_equals_the_recentred_regression():
    """b(x0) and its SE from the delta method equal the coefficient and SE of D in the model with
    D*(x - x0) and D*(x^2 - x0^2) terms (an independent reparametrization in pyfixest)."""
    import pyfixest as pf

    p = _curve_panel(seed=4, n_firms=120)
    out = mech.mediation(p, curve="serv", reps=19, seed=1)
    r = next(r for r in out["b_path_at"] if r["at"] == "p90")
    x0 = r["x"]
    q = p.assign(serv_sq=p["serv"] ** 2, d1=p["ccd"] * (p["serv"] - x0), d2=p["ccd"] * (p["serv"] ** 2 - x0**2),
                 t1=p["dig"] * (p["serv"] - x0), t2=p["dig"] * (p["serv"] ** 2 - x0**2))
    fit = pf.feols("roa ~ dig + t1 + t2 + ccd + d1 + d2 + serv + serv_sq | firm + year", q, vcov={"CRV1": "firm"})
    assert r["estimate"] == pytest.approx(float(fit.coef()["ccd"]), rel=1e-6)
    assert r["se"] == pytest.approx(float(fit.se()["ccd"]), rel=1e-6)
    direct = next(r for r in out["direct_at"] if r["at"] == "p90")  # the direct effect of Dig at x0
    assert direct["estimate"] == pytest.approx(float(fit.coef()["dig"]), rel=1e-6)
    assert direct["se"] == pytest.approx(float(fit.se()["dig"]), rel=1e-6)


def test_sobel_by_hand_and_by_the_delta_method():
    """a = 0.3 (0.1), b = 0.4 (0.1): z = 0.12 / sqrt(0.16 * 0.01 + 0.09 * 0.01) = 0.12 / 0.05 = 2.4 (by hand);
    the standard error equals a numerical delta method on a*b."""
    import numpy as np
    from scipy import stats

    from analysis.inference.sobel import baron_kenny, sobel

    s = sobel(0.3, 0.1, 0.4, 0.1)
    assert s["z"] == pytest.approx(2.4, rel=1e-12) and s["p"] == pytest.approx(2 * stats.norm.sf(2.4), rel=1e-12)
    a, b, V = 0.7, -0.2, np.diag([0.05**2, 0.09**2])
    h = 1e-6
    grad = np.array([((a + h) * b - (a - h) * b) / (2 * h), (a * (b + h) - a * (b - h)) / (2 * h)])
    assert sobel(a, 0.05, b, 0.09)["se"] == pytest.approx(float(np.sqrt(grad @ V @ grad)), rel=1e-6)
    assert baron_kenny(0.01, 0.01, 0.01, 0.2) == "full" and baron_kenny(0.01, 0.01, 0.01, 0.01) == "partial"
    assert baron_kenny(0.3, 0.01, 0.01, 0.01) == "no_total" and baron_kenny(0.01, 0.01, 0.2, 0.01) == "no_b"
