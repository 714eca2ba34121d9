"""Tests of analysis.inference.utest.

Expected numbers are derived independently of the code under test: hand arithmetic written as
literals, numerical differentiation, brute-force grids for the Fieller set, the closed-form
case split for a diagonal covariance, an OLS reparametrisation (slope at xl = coefficient on
x - xl) fitted by pyfixest, and small seeded coverage simulations.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.inference.utest import (
    critical_value,
    fieller_interval,
    fit_df_resid,
    turning_point_delta,
    u_test,
    u_test_from_fit,
)

Z975 = 1.959963984540054  # standard normal 0.975 quantile (tables)


# --------------------------------------------------------------------------- hand numbers
def test_slopes_t_and_sasabuchi_match_hand_arithmetic():
    # b1 = 2, b2 = -1, s11 = .04, s12 = .005, s22 = .01 on [0, 2]:
    # slope(0) = 2, var = .04 -> se .2, t = 10
    # slope(2) = 2 - 4 = -2, var = .04 + 4*2*.005 + 4*4*.01 = .24, t = -2/sqrt(.24) = -4.0824829
    cov = [[0.04, 0.005], [0.005, 0.01]]
    r = u_test(2.0, -1.0, cov, 0.0, 2.0, df=None)
    assert r.slope_l == pytest.approx(2.0)
    assert r.se_l == pytest.approx(0.2)
    assert r.t_l == pytest.approx(10.0)
    assert r.slope_h == pytest.approx(-2.0)
    assert r.se_h == pytest.approx(0.4898979485566356)
    assert r.t_h == pytest.approx(-4.08248290463863)
    assert r.t_sasabuchi == pytest.approx(4.08248290463863)
    # normal upper tail at 4.0825 is 2.2285e-05 (tables / erfc)
    assert r.p_sasabuchi == pytest.approx(0.5 * math.erfc(4.08248290463863 / math.sqrt(2)))
    assert r.p_sasabuchi == pytest.approx(2.2285e-05, rel=1e-3)
    assert r.extreme_point == pytest.approx(1.0)
    assert r.extreme_in_interval and r.reject and not r.trivial_failure


def test_one_sided_p_at_known_quantiles():
    # t(xl) = 1.959964 -> one-sided p = .025 (normal); t(xh) = -1.644854 -> p = .05
    cov = np.diag([1.0, 0.0])  # se(x) = 1 everywhere (s22 = s12 = 0)
    b2 = -(Z975 + 1.6448536269514722) / 2.0  # slope(1) = Z975 + 2 b2 = -1.644854
    r = u_test(Z975, b2, cov, 0.0, 1.0, df=None)
    assert r.p_l == pytest.approx(0.025, abs=1e-9)
    assert r.p_h == pytest.approx(0.05, abs=1e-9)
    assert r.p_sasabuchi == pytest.approx(0.05, abs=1e-9)  # max of the two
    assert r.reject is False  # 0.05 is not < 0.05
    # Student t with 10 df: t = 2.228139 is the .975 quantile (t tables)
    r10 = u_test(2.228138851986274, -2.0, cov, 0.0, 1.0, df=10)
    assert r10.p_l == pytest.approx(0.025, abs=1e-9)


def test_u_shape_mirrors_inverted():
    cov = [[0.04, 0.005], [0.005, 0.01]]
    inv = u_test(2.0, -1.0, cov, 0.0, 2.0, df=30)
    u = u_test(-2.0, 1.0, cov, 0.0, 2.0, df=30, shape="u")
    assert u.p_sasabuchi == pytest.approx(inv.p_sasabuchi)
    assert u.t_sasabuchi == pytest.approx(inv.t_sasabuchi)
    assert u.reject and u.extreme_point == pytest.approx(1.0)
    # asking for the wrong shape: trivial failure, p >= .5, no rejection
    wrong = u_test(2.0, -1.0, cov, 0.0, 2.0, df=30, shape="u")
    assert wrong.trivial_failure and not wrong.reject and wrong.p_sasabuchi > 0.5


def test_extremum_outside_interval_is_trivial_failure():
    cov = [[0.04, 0.005], [0.005, 0.01]]
    r = u_test(2.0, -1.0, cov, 0.0, 0.8, df=50)  # x* = 1 > xh: both slopes positive
    assert not r.extreme_in_interval
    assert r.trivial_failure and not r.reject
    assert r.t_sasabuchi < 0 and r.p_sasabuchi > 0.5
    d = r.to_dict()
    assert d["trivial_failure"] is True


def test_input_validation():
    cov = np.eye(2)
    with pytest.raises(ValueError):
        u_test(1, -1, cov, 1.0, 0.0, df=10)
    with pytest.raises(ValueError):
        u_test(1, -1, np.eye(3), 0.0, 1.0, df=10)
    with pytest.raises(ValueError):
        u_test(1, -1, [[1, 0.5], [0.4, 1]], 0.0, 1.0, df=10)
    with pytest.raises(ValueError):
        u_test(1, -1, cov, 0.0, 1.0, df=10, shape="n")
    with pytest.raises(ValueError):
        u_test(1, -1, cov, 0.0, 1.0, df=0)


# --------------------------------------------------------------------------- delta method
@pytest.mark.parametrize(
    "b1,b2,s11,s12,s22,df",
    [(2.0, -1.0, 0.04, 0.005, 0.01, None), (0.3, -0.8, 0.02, -0.006, 0.05, 25), (-1.2, 0.4, 0.5, 0.1, 0.03, 7)],
)
def test_delta_method_equals_numerical_gradient(b1, b2, s11, s12, s22, df):
    def g(p):
        return -p[0] / (2.0 * p[1])

    p0 = np.array([b1, b2])
    h = 1e-6
    grad = np.array([(g(p0 + h * e) - g(p0 - h * e)) / (2 * h) for e in np.eye(2)])
    V = np.array([[s11, s12], [s12, s22]])
    se_num = math.sqrt(grad @ V @ grad)
    r = turning_point_delta(b1, b2, s11, s12, s22, df=df, alpha=0.05)
    assert r.estimate == pytest.approx(-b1 / (2 * b2))
    assert r.se == pytest.approx(se_num, rel=1e-7)
    crit = Z975 if df is None else {25: 2.059538552753294, 7: 2.364624251592785}[df]  # t tables
    assert r.lower == pytest.approx(r.estimate - crit * se_num, rel=1e-7)
    assert r.upper == pytest.approx(r.estimate + crit * se_num, rel=1e-7)


def test_delta_method_b2_zero_is_nan():
    r = turning_point_delta(1.0, 0.0, 1.0, 0.0, 1.0)
    assert math.isnan(r.estimate) and math.isnan(r.se)


# --------------------------------------------------------------------------- Fieller
def _grid_set(b1, b2, s11, s12, s22, crit, lo=-60.0, hi=60.0, n=1_200_001):
    x = np.linspace(lo, hi, n)
    t2 = (b1 + 2 * b2 * x) ** 2 / (s11 + 4 * x * s12 + 4 * x**2 * s22)
    return x, t2 <= crit**2


@pytest.mark.parametrize(
    "b1,b2,s11,s12,s22,df,kind",
    [
        (2.0, -1.0, 0.04, 0.005, 0.01, None, "bounded"),
        (0.9, -0.35, 0.09, -0.02, 0.02, 40, "bounded"),
        (1.0, -0.1, 0.04, 0.0, 0.01, None, "two_rays"),  # z1 = 5, z2 = -1
        (0.8, -0.15, 0.04, 0.012, 0.01, 15, "two_rays"),
        (0.1, -0.05, 0.04, 0.0, 0.01, None, "whole_line"),  # z1 = .5, z2 = -.5
        (0.2, 0.1, 0.09, -0.01, 0.04, 12, "whole_line"),
    ],
)
def test_fieller_matches_brute_force_grid(b1, b2, s11, s12, s22, df, kind):
    crit = critical_value(0.05, df)
    f = fieller_interval(b1, b2, s11, s12, s22, df=df, alpha=0.05)
    assert f.kind == kind
    x, inside = _grid_set(b1, b2, s11, s12, s22, crit)
    step = x[1] - x[0]
    if kind == "bounded":
        xs = x[inside]
        assert xs.min() == pytest.approx(f.lower, abs=2 * step)
        assert xs.max() == pytest.approx(f.upper, abs=2 * step)
        assert np.all(np.diff(np.flatnonzero(inside)) == 1)  # one connected piece
    elif kind == "two_rays":
        outside = x[~inside]
        assert outside.min() == pytest.approx(f.lower, abs=2 * step)
        assert outside.max() == pytest.approx(f.upper, abs=2 * step)
        assert inside[0] and inside[-1]
    else:
        assert inside.all()
    # the bounds themselves sit exactly on |t| = T
    for bnd in (f.lower, f.upper):
        if np.isfinite(bnd):
            t = (b1 + 2 * b2 * bnd) / math.sqrt(s11 + 4 * bnd * s12 + 4 * bnd**2 * s22)
            assert abs(t) == pytest.approx(crit, rel=1e-9)


def test_fieller_case_split_closed_form_for_diagonal_cov():
    # with s12 = 0: whole line iff z1^2 + z2^2 < T^2; rays iff z2^2 < T^2 < z1^2 + z2^2
    T = Z975
    for z1, z2, kind in [(0.5, -0.5, "whole_line"), (1.9, -0.2, "whole_line"), (2.0, -0.3, "two_rays"),
                         (0.3, -1.95, "two_rays"), (0.1, -1.97, "bounded"), (5.0, -3.0, "bounded")]:
        assert (z1**2 + z2**2 < T**2) == (kind == "whole_line")
        f = fieller_interval(z1 * 0.2, z2 * 0.1, 0.04, 0.0, 0.01, df=None)
        assert f.kind == kind, (z1, z2)


@settings(max_examples=150, deadline=None)
@given(
    b1=st.floats(-5, 5),
    b2=st.floats(-3, 3).filter(lambda v: abs(v) > 1e-3),
    sd1=st.floats(0.05, 3),
    sd2=st.floats(0.05, 3),
    rho=st.floats(-0.95, 0.95),
    df=st.one_of(st.none(), st.integers(3, 500)),
    probes=st.lists(st.floats(-50, 50), min_size=5, max_size=5),
)
def test_fieller_set_is_the_set_of_insignificant_slopes(b1, b2, sd1, sd2, rho, df, probes):
    s11, s22, s12 = sd1**2, sd2**2, rho * sd1 * sd2
    crit = critical_value(0.05, df)
    f = fieller_interval(b1, b2, s11, s12, s22, df=df)
    x_star = -b1 / (2 * b2)
    assert f.contains(x_star)  # the point estimate is always in the Fieller set
    for x in probes:
        t = (b1 + 2 * b2 * x) / math.sqrt(s11 + 4 * x * s12 + 4 * x * x * s22)
        if abs(abs(t) - crit) > 1e-6:  # skip points numerically on the boundary
            assert f.contains(x) == (abs(t) <= crit)


def test_fieller_level_changes_width():
    f95 = fieller_interval(2.0, -1.0, 0.04, 0.005, 0.01, df=None, alpha=0.05)
    f90 = fieller_interval(2.0, -1.0, 0.04, 0.005, 0.01, df=None, alpha=0.10)
    assert f90.lower > f95.lower and f90.upper < f95.upper and f95.level == 0.95


# --------------------------------------------------------------------------- to_dict
def test_to_dict_is_flat_json_and_infinities_are_none():
    r = u_test(0.1, -0.05, [[0.04, 0], [0, 0.01]], 0.0, 3.0, df=20)
    assert r.fieller.kind == "whole_line"
    d = r.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["fieller_kind"] == "whole_line"
    assert d["fieller_lower"] is None and d["fieller_upper"] is None
    assert all(not isinstance(v, (dict, list, tuple)) for v in d.values())
    assert {"t_l", "p_l", "t_h", "p_h", "t_sasabuchi", "p_sasabuchi", "extreme_point", "extreme_se",
            "extreme_ci_lower", "extreme_ci_upper", "extreme_in_interval", "df", "shape"} <= set(d)
    pd.DataFrame([d])  # tidy row


# --------------------------------------------------------------------------- simulated data
def _ols(X, y):
    XtX_inv = np.linalg.inv(X.T @ X)
    b = XtX_inv @ X.T @ y
    e = y - X @ b
    s2 = e @ e / (len(y) - X.shape[1])
    return b, s2 * XtX_inv


def test_simulated_inverted_u_truth_known():
    rng = np.random.default_rng(20240601)
    n = 2000
    x = rng.uniform(0, 2, n)
    y = 1 + 4 * x - 2 * x**2 + rng.normal(0, 1, n)  # x* = 1
    X = np.column_stack([np.ones(n), x, x**2])
    b, V = _ols(X, y)
    r = u_test(b[1], b[2], V[1:, 1:], x.min(), x.max(), df=n - 3)
    assert r.reject and r.p_sasabuchi < 1e-6
    assert r.extreme_point == pytest.approx(1.0, abs=0.05)
    assert r.fieller.kind == "bounded" and r.fieller.contains(1.0)
    assert r.extreme_ci_lower < 1.0 < r.extreme_ci_upper
    # monotone (concave but increasing on the range): no inverted U
    y2 = 1 + 4 * x - 0.5 * x**2 + rng.normal(0, 1, n)  # x* = 4, outside [0, 2]
    b, V = _ols(X, y2)
    r2 = u_test(b[1], b[2], V[1:, 1:], x.min(), x.max(), df=n - 3)
    assert not r2.reject and r2.trivial_failure and not r2.extreme_in_interval


def test_size_of_utest_under_boundary_null_is_at_most_alpha():
    # True turning point exactly at xh: slope(xh) = 0, the least favourable null.
    rng = np.random.default_rng(7)
    n, reps = 150, 300
    x = rng.uniform(0, 2, n)
    X = np.column_stack([np.ones(n), x, x**2])
    XtX_inv = np.linalg.inv(X.T @ X)
    rejections = 0
    for _ in range(reps):
        y = 4 * x - 1 * x**2 + rng.normal(0, 1, n)  # x* = 2 = xh (up to sample max)
        b = XtX_inv @ X.T @ y
        e = y - X @ b
        V = (e @ e / (n - 3)) * XtX_inv
        rejections += u_test(b[1], b[2], V[1:, 1:], 0.0, 2.0, df=n - 3).reject
    assert rejections / reps <= 0.05 + 2.5 * math.sqrt(0.05 * 0.95 / reps)


def test_fieller_and_delta_coverage_small_simulation():
    rng = np.random.default_rng(12345)
    n, reps = 200, 300
    x = rng.uniform(0, 2, n)
    X = np.column_stack([np.ones(n), x, x**2])
    XtX_inv = np.linalg.inv(X.T @ X)
    cover_f = cover_d = 0
    for _ in range(reps):
        y = 1 + 3 * x - 1.5 * x**2 + rng.normal(0, 1, n)  # x* = 1
        b = XtX_inv @ X.T @ y
        e = y - X @ b
        V = (e @ e / (n - 3)) * XtX_inv
        cover_f += fieller_interval(b[1], b[2], V[1, 1], V[1, 2], V[2, 2], df=n - 3).contains(1.0)
        d = turning_point_delta(b[1], b[2], V[1, 1], V[1, 2], V[2, 2], df=n - 3)
        cover_d += d.lower <= 1.0 <= d.upper
    # binomial band: .95 +/- 3 sd with 300 reps is about [.912, .988]
    band = 3 * math.sqrt(0.95 * 0.05 / reps)
    assert abs(cover_f / reps - 0.95) <= band
    assert abs(cover_d / reps - 0.95) <= band


# --------------------------------------------------------------------------- pyfixest wrapper
@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(99)
    G, T = 60, 8
    firm = np.repeat(np.arange(G), T)
    year = np.tile(np.arange(T), G)
    x = rng.uniform(0, 1, G * T) + 0.3 * rng.normal(size=G)[firm]
    u = rng.normal(size=G)[firm] * 0.5 + rng.normal(size=G * T)
    y = 2 * x - 1.6 * x**2 + rng.normal(size=G)[firm] + 0.2 * year + u
    df = pd.DataFrame({"firm": firm, "year": year, "x": x, "y": y, "c": rng.normal(size=G * T)})
    df["x2"] = df["x"] ** 2
    return df


def test_u_test_from_fit_matches_reparametrised_regression(panel):
    pf = pytest.importorskip("pyfixest")
    fit = pf.feols("y ~ x + x2 + c | firm + year", data=panel, vcov={"CRV1": "firm"})
    assert fit_df_resid(fit) == 59.0  # G - 1
    r = u_test_from_fit(fit, "x", "x2")
    assert r.xl == pytest.approx(panel["x"].min()) and r.xh == pytest.approx(panel["x"].max())
    assert r.df == 59.0
    # slope at a point x0 = coefficient on (x - x0) in a regression on (x - x0), (x - x0)^2:
    # same column space, so its CRV1 t-statistic and p-value must coincide with ours.
    for x0, t_ours, p_ours, slope in [(r.xl, r.t_l, r.p_l, r.slope_l), (r.xh, r.t_h, r.p_h, r.slope_h)]:
        d = panel.assign(xc=panel["x"] - x0, xc2=(panel["x"] - x0) ** 2)
        f2 = pf.feols("y ~ xc + xc2 + c | firm + year", data=d, vcov={"CRV1": "firm"})
        assert f2.coef()["xc"] == pytest.approx(slope, rel=1e-8)
        assert f2.tstat()["xc"] == pytest.approx(t_ours, rel=1e-7)
        # pyfixest's two-sided p halved is the one-sided p when the sign is right
        assert f2.pvalue()["xc"] / 2 == pytest.approx(p_ours, rel=1e-6)
    assert r.reject


def test_u_test_from_fit_iid_df_and_explicit_bounds(panel):
    pf = pytest.importorskip("pyfixest")
    fit = pf.feols("y ~ x + x2 + c | firm", data=panel, vcov="iid")
    # N - slopes - firm levels: 480 - 3 - 60 = 417
    assert fit_df_resid(fit) == 417.0
    r = u_test_from_fit(fit, "x", "x2", xl=0.1, xh=0.9)
    assert (r.xl, r.xh, r.df) == (0.1, 0.9, 417.0)
    with pytest.raises(KeyError):
        u_test_from_fit(fit, "x", "nope")


@settings(max_examples=200, deadline=None)
@given(
    b1=st.floats(-5, 5),
    b2=st.floats(-3, 3),
    sd1=st.floats(0.01, 2),
    sd2=st.floats(0.01, 2),
    rho=st.floats(-0.9, 0.9),
    xl=st.floats(-2, 1),
    width=st.floats(0.1, 3),
    df=st.one_of(st.none(), st.integers(2, 300)),
    shape=st.sampled_from(["inverted", "u"]),
)
def test_utest_invariants(b1, b2, sd1, sd2, rho, xl, width, df, shape):
    cov = [[sd1**2, rho * sd1 * sd2], [rho * sd1 * sd2, sd2**2]]
    r = u_test(b1, b2, cov, xl, xl + width, df=df, shape=shape)
    # intersection-union: overall p is the larger of the two one-sided p-values
    assert r.p_sasabuchi == pytest.approx(max(r.p_l, r.p_h), rel=1e-9, abs=1e-300)
    # reject iff both one-sided tests reject (and the sign pattern holds)
    assert r.reject == (r.p_l < 0.05 and r.p_h < 0.05 and not r.trivial_failure)
    # the sign pattern holds iff the extreme point is strictly inside and b2 has the right sign
    if b2 != 0 and not r.trivial_failure:
        assert xl < r.extreme_point < xl + width
        assert (b2 < 0) == (shape == "inverted")
    # with the sign pattern, Stata's min(|t_l|, |t_h|)
    if not r.trivial_failure:
        assert r.t_sasabuchi == pytest.approx(min(abs(r.t_l), abs(r.t_h)))
    json.dumps(r.to_dict(), allow_nan=False)
