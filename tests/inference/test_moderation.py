"""Tests of analysis.inference.moderation (Haans, Pieters & He 2016).

Independent derivations: finite differences (of X*(Z) in Z for the shift formula, and of the
functions in the coefficients for the delta-method gradients), brute-force grids for the
Fieller set at fixed Z using the 5-coefficient covariance directly, and a reparametrised
regression (X and Z centred at the evaluation point) fitted by pyfixest whose coefficients are
the slope and curvature at that point.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.inference.moderation import (
    ModerationNames,
    curvature_at,
    flattening_test,
    moderation_from_fit,
    moderation_table,
    shape_flip,
    slope_at,
    turning_point_at,
    turning_point_shift,
)
from analysis.inference.utest import critical_value

NAMES = {"x": "serv", "x2": "serv2", "z": "dig", "xz": "serv_dig", "x2z": "serv2_dig"}
ORDER = ["serv", "serv2", "serv_dig", "serv2_dig"]  # b1, b2, b4, b5


def _example():
    idx = ["serv", "serv2", "dig", "serv_dig", "serv2_dig", "size"]
    params = pd.Series([1.2, -2.0, 0.1, -0.3, 0.8, 0.05], index=idx)
    rng = np.random.default_rng(3)
    A = rng.normal(size=(6, 6)) * 0.1
    V = A @ A.T + np.diag([0.02, 0.05, 0.01, 0.03, 0.06, 0.001])
    cov = pd.DataFrame(V, index=idx, columns=idx)
    return params, cov


def _b_V(params, cov):
    return params[ORDER].to_numpy(), cov.loc[ORDER, ORDER].to_numpy()


def _num_grad(f, theta, h=1e-6):
    theta = np.asarray(theta, dtype=float)
    return np.array([(f(theta + h * e) - f(theta - h * e)) / (2 * h) for e in np.eye(len(theta))])


def _xstar(theta, z):
    b1, b2, b4, b5 = theta
    return -(b1 + b4 * z) / (2 * (b2 + b5 * z))


@pytest.mark.parametrize("z", [0.0, 0.4, 1.3])
def test_turning_point_delta_matches_numerical_gradient(z):
    params, cov = _example()
    b, V = _b_V(params, cov)
    g = _num_grad(lambda th: _xstar(th, z), b)
    tp = turning_point_at(params, cov, NAMES, z, df=None)
    assert tp["estimate"] == pytest.approx(_xstar(b, z))
    assert tp["se"] == pytest.approx(math.sqrt(g @ V @ g), rel=1e-6)


@pytest.mark.parametrize("z", [0.0, 0.4, 1.3])
def test_shift_formula_and_se_by_finite_differences(z):
    params, cov = _example()
    b, V = _b_V(params, cov)

    def shift_fd(th, h=1e-4):  # dX*/dZ by a central difference in Z, no closed form used
        return (_xstar(th, z + h) - _xstar(th, z - h)) / (2 * h)

    s = turning_point_shift(params, cov, NAMES, z, df=30)
    assert s["estimate"] == pytest.approx(shift_fd(b), rel=1e-6)
    g = _num_grad(shift_fd, b, h=1e-4)
    assert s["se"] == pytest.approx(math.sqrt(g @ V @ g), rel=1e-5)
    assert s["p"] == pytest.approx(2 * (1 - stats.t(30).cdf(abs(s["t"]))))


def test_fieller_at_fixed_z_matches_grid_from_full_covariance():
    params, cov = _example()
    b, V = _b_V(params, cov)
    for z, df in [(0.0, None), (0.5, 40), (1.3, 12)]:
        T = critical_value(0.05, df)
        f = turning_point_at(params, cov, NAMES, z, df=df)["fieller"]
        x = np.linspace(-40, 40, 800_001)
        C = np.stack([np.ones_like(x), 2 * x, np.full_like(x, z), 2 * x * z])  # d slope / d(b1,b2,b4,b5)
        slope = b @ C
        var = np.einsum("in,ij,jn->n", C, V, C)
        inside = slope**2 <= T**2 * var
        step = x[1] - x[0]
        if f.kind == "bounded":
            assert x[inside].min() == pytest.approx(f.lower, abs=2 * step)
            assert x[inside].max() == pytest.approx(f.upper, abs=2 * step)
        elif f.kind == "two_rays":
            assert x[~inside].min() == pytest.approx(f.lower, abs=2 * step)
            assert x[~inside].max() == pytest.approx(f.upper, abs=2 * step)
        else:
            assert inside.all()
    # at z = 2.5 the curvature b2 + b5 z is exactly 0: the Fieller set cannot be bounded
    assert turning_point_at(params, cov, NAMES, 2.5)["fieller"].kind != "bounded"


def test_slope_curvature_flattening_and_flip_hand_numbers():
    params, cov = _example()
    b, V = _b_V(params, cov)
    # slope at x = .3, z = .5: 1.2 - .3*.5 + 2*(-2 + .8*.5)*.3 = 1.05 - .96 = .09
    s = slope_at(params, cov, NAMES, 0.3, 0.5, df=None)
    assert s["estimate"] == pytest.approx(0.09)
    c = np.array([1, 0.6, 0.5, 0.3])
    assert s["se"] == pytest.approx(math.sqrt(c @ V @ c))
    cu = curvature_at(params, cov, NAMES, 0.5)
    assert cu["estimate"] == pytest.approx(-1.6)
    # flattening: b5 = .8 > 0 for an inverted U
    fl = flattening_test(params, cov, NAMES, df=None)
    se5 = math.sqrt(cov.loc["serv2_dig", "serv2_dig"])
    assert fl["t"] == pytest.approx(0.8 / se5)
    assert fl["p_one_sided"] == pytest.approx(0.5 * math.erfc((0.8 / se5) / math.sqrt(2)))
    flu = flattening_test(params, cov, NAMES, df=None, shape="u")
    assert flu["p_one_sided"] == pytest.approx(1 - fl["p_one_sided"])
    # flip: -b2/b5 = 2.5
    sf = shape_flip(params, cov, NAMES, zl=0.0, zh=3.0)
    assert sf["estimate"] == pytest.approx(2.5) and sf["inside_range"] is True
    assert sf["curvature_sign_at_zl"] == -1.0 and sf["curvature_sign_at_zh"] == 1.0
    g = _num_grad(lambda th: -th[1] / th[3], b)
    assert sf["se"] == pytest.approx(math.sqrt(g @ V @ g), rel=1e-6)
    assert shape_flip(params, cov, NAMES, zl=0.0, zh=2.0)["inside_range"] is False


def test_missing_names_raise():
    params, cov = _example()
    with pytest.raises(KeyError):
        slope_at(params, cov, {**NAMES, "x2z": "nope"}, 0.1, 0.1)
    assert ModerationNames.coerce(NAMES).x2z == "serv2_dig"


def test_table_is_tidy_and_consistent():
    params, cov = _example()
    tab = moderation_table(params, cov, NAMES, {"p10": 0.1, "p50": 0.5, "p90": 1.0}, x_values=[0.2, 0.6],
                           zl=0.0, zh=3.0, xl=0.0, xh=1.0, df=50)
    assert list(tab.columns) == ["quantity", "z", "x", "estimate", "se", "t", "p", "ci_lower", "ci_upper",
                                 "ci_kind", "note"]
    counts = tab["quantity"].value_counts()
    assert counts["turning_point"] == 3 and counts["slope"] == 6 and counts["utest"] == 3
    assert counts["flattening_b5"] == 1 and counts["shape_flip_z"] == 1
    row = tab[(tab.quantity == "turning_point") & (tab.note == "p50")].iloc[0]
    assert row.estimate == pytest.approx(_xstar(_b_V(params, cov)[0], 0.5))
    assert "inside" in tab.loc[tab.quantity == "shape_flip_z", "note"].iloc[0]
    tab.to_csv(index=False)  # serialisable


# --------------------------------------------------------------------------- pyfixest
@pytest.fixture(scope="module")
def mod_panel():
    rng = np.random.default_rng(2024)
    G, T = 150, 6
    firm = np.repeat(np.arange(G), T)
    year = np.tile(np.arange(T), G)
    serv = np.clip(rng.beta(2, 5, G * T) + 0.1 * rng.normal(size=G)[firm], 0, 1)
    dig = rng.gamma(2.0, 0.5, G * T)
    # inverted U flattened by dig: b1=2, b2=-2.5, b3=.1, b4=-.2, b5=.6
    y = (2 * serv - 2.5 * serv**2 + 0.1 * dig - 0.2 * serv * dig + 0.6 * serv**2 * dig
         + rng.normal(size=G)[firm] + 0.1 * year + 0.1 * rng.normal(size=G * T))
    d = pd.DataFrame({"firm": firm, "year": year, "serv": serv, "dig": dig, "y": y})
    d["serv2"] = d.serv**2
    d["serv_dig"] = d.serv * d.dig
    d["serv2_dig"] = d.serv2 * d.dig
    return d


def test_slope_and_curvature_equal_reparametrised_pyfixest_coefficients(mod_panel):
    pf = pytest.importorskip("pyfixest")
    fml = "y ~ serv + serv2 + dig + serv_dig + serv2_dig | firm + year"
    fit = pf.feols(fml, data=mod_panel, vcov={"CRV1": "firm"})
    tab = moderation_from_fit(fit, NAMES, "dig", x_col="serv", x_values=[0.25])
    q = np.quantile(mod_panel.dig, [0.1, 0.5, 0.9])
    assert tab.loc[tab.quantity == "turning_point", "z"].to_numpy() == pytest.approx(q)
    x0 = 0.25
    for z0 in q:
        u, w = mod_panel.serv - x0, mod_panel.dig - z0
        d = pd.DataFrame({"y": mod_panel.y, "u": u, "u2": u**2, "w": w, "uw": u * w, "u2w": u**2 * w,
                          "firm": mod_panel.firm, "year": mod_panel.year})
        f2 = pf.feols("y ~ u + u2 + w + uw + u2w | firm + year", data=d, vcov={"CRV1": "firm"})
        srow = tab[(tab.quantity == "slope") & np.isclose(tab.z, z0)].iloc[0]
        assert srow.estimate == pytest.approx(f2.coef()["u"], rel=1e-7)
        assert srow.t == pytest.approx(f2.tstat()["u"], rel=1e-6)
        assert srow.p == pytest.approx(f2.pvalue()["u"], rel=1e-5, abs=1e-12)
        crow = tab[(tab.quantity == "curvature") & np.isclose(tab.z, z0)].iloc[0]
        assert crow.estimate == pytest.approx(f2.coef()["u2"], rel=1e-7)
        assert crow.se == pytest.approx(f2.se()["u2"], rel=1e-6)
    # truth: X*(z) = -(2 - .2 z) / (2 (-2.5 + .6 z)); flattening b5 = .6 > 0 detected
    tp = tab[tab.quantity == "turning_point"]
    truth = -(2 - 0.2 * tp.z) / (2 * (-2.5 + 0.6 * tp.z))
    assert np.all(np.abs(tp.estimate.to_numpy() - truth.to_numpy()) < 4 * tp.se.to_numpy())
    assert tab.loc[tab.quantity == "flattening_b5", "p"].iloc[0] < 0.05
