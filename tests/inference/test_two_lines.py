"""Tests of analysis.inference.two_lines (Simonsohn 2018).

Independent derivations: interrupted regressions rebuilt by hand with numpy (OLS, the HC3
sandwich written out, dummy-variable FE with a hand-written CRV1 sandwich), the FE demeaning
against a dummy-variable regression, the Robin Hood quantile by hand (R type 7), and simulated
data with known shape (including a concave monotone curve, where quadratic-based tests are
known to give false U's).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.inference.two_lines import (
    demean,
    interrupted_regression,
    pspline_fit,
    robin_hood_breakpoint,
    two_lines,
)


def _hc3(X, y):
    XtX_inv = np.linalg.inv(X.T @ X)
    b = XtX_inv @ X.T @ y
    e = y - X @ b
    h = np.einsum("ij,jk,ik->i", X, XtX_inv, X)
    meat = X.T @ (X * (e / (1 - h))[:, None] ** 2)
    return b, np.sqrt(np.diag(XtX_inv @ meat @ XtX_inv))


def test_interrupted_regression_matches_hand_built_hc3():
    rng = np.random.default_rng(11)
    n = 120
    x = rng.uniform(0, 10, n)
    x[:3] = 4.0  # ties exactly at the breakpoint: line 1 owns them in fit 1, line 2 in fit 2
    c = rng.normal(size=n)
    y = np.where(x < 4, x, 8 - x) + 0.3 * c + rng.normal(0, 1, n) * (1 + x / 10)
    xc = 4.0
    r = interrupted_regression(y, x, xc, c[:, None])
    # fit 1: x <= xc is line 1
    lo = x <= xc
    X1 = np.column_stack([np.ones(n), np.where(lo, x - xc, 0), np.where(~lo, x - xc, 0), (~lo).astype(float), c])
    b, se = _hc3(X1, y)
    assert r.b1 == pytest.approx(b[1], rel=1e-10) and r.se1 == pytest.approx(se[1], rel=1e-10)
    assert r.p1 == pytest.approx(2 * stats.norm.sf(abs(b[1] / se[1])), rel=1e-8)  # z-test as coeftest(glm)
    # fit 2: x >= xc is line 2
    lo2 = x < xc
    X2 = np.column_stack([np.ones(n), np.where(lo2, x - xc, 0), np.where(~lo2, x - xc, 0), (~lo2).astype(float), c])
    b, se = _hc3(X2, y)
    assert r.b2 == pytest.approx(b[2], rel=1e-10) and r.se2 == pytest.approx(se[2], rel=1e-10)
    assert r.n1 == lo.sum() and r.n2 == (~lo2).sum() and r.n1 + r.n2 == n + 3


def test_interrupted_regression_with_fe_matches_dummies_and_hand_crv1():
    pytest.importorskip("pyfixest")
    rng = np.random.default_rng(5)
    G, T = 30, 5
    g = np.repeat(np.arange(G), T)
    x = rng.uniform(0, 1, G * T) + 0.5 * rng.normal(size=G)[g]
    y = -(x - 0.5) ** 2 + rng.normal(size=G)[g] + rng.normal(0, 0.2, G * T)
    xc = 0.5
    r = interrupted_regression(y, x, xc, None, g[:, None])
    lo = x <= xc
    D = (g[:, None] == np.arange(G)).astype(float)
    X = np.column_stack([np.where(lo, x - xc, 0), np.where(~lo, x - xc, 0), (~lo).astype(float), D])
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    e = y - X @ b
    # CRV1 on the slopes (FWL: demeaned regressors), Stata xtreg fe small-sample factor
    # G/(G-1) (N-1)/(N-k) with k = 3 slopes + 1 (xtreg counts its _cons; the firm FE, nested in
    # the clusters, are not counted)
    Xd = demean(X[:, :3], g)
    A = np.linalg.inv(Xd.T @ Xd)
    meat = sum(np.outer(Xd[g == j].T @ e[g == j], Xd[g == j].T @ e[g == j]) for j in range(G))
    N, k = G * T, 4
    V = (G / (G - 1)) * ((N - 1) / (N - k)) * A @ meat @ A
    assert r.b1 == pytest.approx(b[0], rel=1e-8)
    assert r.se1 == pytest.approx(math.sqrt(V[0, 0]), rel=1e-6)
    assert r.p1 == pytest.approx(2 * stats.t(G - 1).sf(abs(b[0] / math.sqrt(V[0, 0]))), rel=1e-5)


def test_demean_equals_dummy_regression_residuals_two_way_unbalanced():
    rng = np.random.default_rng(8)
    n = 300
    f1, f2 = rng.integers(0, 25, n), rng.integers(0, 7, n)
    X = rng.normal(size=(n, 2)) + f1[:, None] * 0.1 + f2[:, None] * 0.3
    D = np.column_stack([(f1[:, None] == np.arange(25)), (f2[:, None] == np.arange(1, 7))]).astype(float)
    resid = X - D @ np.linalg.lstsq(D, X, rcond=None)[0]
    assert np.allclose(demean(X, np.column_stack([f1, f2])), resid, atol=1e-8)


def test_robin_hood_quantile_hand_numbers():
    xflat = np.arange(1.0, 12.0)  # 1..11
    # z2/(z1+z2) = 1/4 -> R type 7: 1 + .25 * (11 - 1) = 3.5: the strong line 1 gives data away
    assert robin_hood_breakpoint(xflat, 3.0, -1.0) == pytest.approx(3.5)
    assert robin_hood_breakpoint(xflat, 1.0, 3.0) == pytest.approx(8.5)
    assert robin_hood_breakpoint(xflat, 2.0, 2.0) == pytest.approx(6.0)
    # unsorted input with ties, q = 0.4: sorted [1,2,2,3,7], h = 0.4*4 = 1.6 -> 2 + .6*(2-2) = 2
    assert robin_hood_breakpoint(np.array([7, 2, 1, 3, 2.0]), 3.0, 2.0) == pytest.approx(2.0)


def test_pspline_recovers_smooth_curve_and_se_covers():
    rng = np.random.default_rng(21)
    n = 400
    x = rng.uniform(0, 1, n)
    truth = np.sin(2 * np.pi * x)
    y = truth + rng.normal(0, 0.2, n)
    f = pspline_fit(y, x)
    assert np.max(np.abs(f.fitted - truth)) < 0.15
    cover = np.mean(np.abs(f.fitted - truth) <= 1.96 * f.se)
    assert cover > 0.85
    assert 4 < f.edf < 11
    # pure noise: heavy smoothing (edf near the 2 unpenalised directions + intercept)
    f0 = pspline_fit(rng.normal(size=n), x)
    assert f0.edf < 4


def test_two_lines_inverted_u_known_truth():
    rng = np.random.default_rng(31)
    n = 600
    x = rng.uniform(0, 1, n)
    c = rng.normal(size=n)
    y = np.where(x < 0.5, 2 * x, 2 - 2 * x) + 0.5 * c + rng.normal(0, 0.3, n)  # tent, peak at .5
    d = pd.DataFrame({"y": y, "x": x, "c": c})
    r = two_lines(d, "y", "x", ["c"])
    assert r.shape_searched == "inverted" and r.shape_found == "inverted" and r.supported
    assert abs(r.breakpoint - 0.5) < 0.1
    assert r.flat_lower <= r.breakpoint <= r.flat_upper
    assert r.b1 == pytest.approx(2.0, abs=0.4) and r.b2 == pytest.approx(-2.0, abs=0.4)
    assert r.vcov == "HC3" and r.n == n
    d2 = r.to_dict()
    assert d2["supported"] is True and isinstance(d2["b1"], float)


def test_two_lines_u_shape_and_missing_rows():
    rng = np.random.default_rng(32)
    n = 500
    x = rng.uniform(-1, 2, n)
    y = (x - 0.8) ** 2 + rng.normal(0, 0.3, n)
    d = pd.DataFrame({"y": y, "x": x})
    d.loc[:9, "y"] = np.nan
    r = two_lines(d, "y", "x")
    assert r.n == n - 10
    assert r.shape_searched == "u" and r.shape_found == "u" and r.supported
    assert abs(r.breakpoint - 0.8) < 0.3


def test_two_lines_false_positive_rate_for_concave_monotone_curve():
    # log(x) is concave and monotone: a quadratic + U-test on x in [.05, 1] tends to find an
    # inverted U, the two-lines test should not (Simonsohn 2018, Figure 1 logic)
    rng = np.random.default_rng(41)
    reps, n = 60, 300
    hits = 0
    for _ in range(reps):
        x = rng.uniform(0.05, 1, n)
        y = np.log(x) + rng.normal(0, 0.5, n)
        hits += two_lines(pd.DataFrame({"y": y, "x": x}), "y", "x").supported
    assert hits / reps <= 0.10


def test_two_lines_panel_with_fixed_effects():
    pytest.importorskip("pyfixest")
    rng = np.random.default_rng(51)
    G, T = 120, 6
    f = np.repeat(np.arange(G), T)
    yr = np.tile(np.arange(T), G)
    a = rng.normal(size=G)
    x = np.clip(0.5 + 0.25 * a[f] + rng.uniform(-0.3, 0.3, G * T), 0, 1)  # x correlated with FE
    y = np.where(x < 0.4, 1.5 * x, 0.6 - 1.5 * (x - 0.4)) - 3 * a[f] + 0.1 * yr + rng.normal(0, 0.2, G * T)
    d = pd.DataFrame({"y": y, "x": x, "firm": f, "year": yr})
    r = two_lines(d, "y", "x", fe=["firm", "year"])
    assert r.vcov == "CRV1:firm"
    assert r.supported and r.shape_found == "inverted"
    assert abs(r.breakpoint - 0.4) < 0.12
    # pooled (FE ignored) the confounding by a (corr(x, a) > 0, effect -3a) hides the rise
    pooled = two_lines(d, "y", "x")
    assert not pooled.supported


def test_two_lines_input_errors():
    d = pd.DataFrame({"y": np.arange(30.0), "x": np.arange(30.0)})
    with pytest.raises(KeyError):
        two_lines(d, "y", "x", controls=["nope"])
    with pytest.raises(ValueError):
        two_lines(d.head(10), "y", "x")


def test_two_lines_cluster_by_name_equals_default_and_rejects_foreign_cluster():
    pytest.importorskip("pyfixest")
    rng = np.random.default_rng(61)
    G, T = 60, 5
    f = np.repeat(np.arange(G), T)
    x = rng.uniform(0, 1, G * T)
    y = np.where(x < 0.5, x, 1 - x) + rng.normal(size=G)[f] + rng.normal(0, 0.1, G * T)
    d = pd.DataFrame({"y": y, "x": x, "firm": f, "year": np.tile(np.arange(T), G), "ind": f % 7})
    a = two_lines(d, "y", "x", fe=["firm", "year"])
    b = two_lines(d, "y", "x", fe=["firm", "year"], vcov={"CRV1": "firm"})
    assert (a.se1, a.se2, a.breakpoint) == (b.se1, b.se2, b.breakpoint)
    c = two_lines(d, "y", "x", fe=["firm", "year"], vcov={"CRV1": "year"})
    assert c.vcov == "CRV1:year" and c.se1 != a.se1
    with pytest.raises(ValueError):
        two_lines(d, "y", "x", fe=["firm"], vcov={"CRV1": "ind"})
