"""Coupling coordination degree and entropy weights against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.coupling import coupling_coordination, entropy_weights, minmax_normalize, subsystem_index


@pytest.mark.parametrize("u1,u2,c,t,d", [
    # hand-computed: C = 2 sqrt(u1 u2)/(u1+u2), T = (u1+u2)/2, D = sqrt(C T)
    (0.25, 0.25, 1.0, 0.25, 0.5),
    (0.16, 0.64, 2 * 0.32 / 0.80, 0.40, math.sqrt(0.8 * 0.4)),  # C = 0.8, D = sqrt(0.32)
    (1.0, 1.0, 1.0, 1.0, 1.0),
    (0.0, 0.5, 0.0, 0.25, 0.0),    # U1 = 0: no coupling
    (0.5, 0.0, 0.0, 0.25, 0.0),    # U2 = 0
    (0.0, 0.0, 0.0, 0.0, 0.0),     # both 0: C defined as 0 (0/0)
])
def test_coupling_hand_values(u1, u2, c, t, d):
    out = coupling_coordination(u1, u2)
    assert out["C"] == pytest.approx(c, abs=1e-15)
    assert out["T"] == pytest.approx(t, abs=1e-15)
    assert out["D"] == pytest.approx(d, abs=1e-15)


def test_coupling_unequal_weights_and_vectors():
    # a = 0.3, b = 0.7; U1 = 0.09, U2 = 0.49: C = 2*0.21/0.58, T = 0.027 + 0.343 = 0.37
    out = coupling_coordination(np.array([0.09, np.nan]), np.array([0.49, 0.2]), a=0.3, b=0.7)
    assert out["C"][0] == pytest.approx(0.42 / 0.58)
    assert out["T"][0] == pytest.approx(0.37)
    assert out["D"][0] == pytest.approx(math.sqrt(0.42 / 0.58 * 0.37))
    assert np.isnan(out["C"][1]) and np.isnan(out["D"][1])
    # with a = b = 0.5, D = (U1 U2)^(1/4)
    u1, u2 = np.array([0.1, 0.3, 0.9]), np.array([0.7, 0.2, 0.4])
    np.testing.assert_allclose(coupling_coordination(u1, u2)["D"], (u1 * u2) ** 0.25, rtol=1e-14)


def test_coupling_rejects_bad_weights_and_negative_indices():
    with pytest.raises(ValueError):
        coupling_coordination(0.2, 0.3, a=0.6, b=0.6)
    with pytest.raises(ValueError):
        coupling_coordination(-0.1, 0.3)


def test_entropy_weights_worked_by_hand():
    # x1' = [0, .5, 1] -> p = [0, 1/3, 2/3], e1 = (1/3 ln 3 + 2/3 ln 1.5) / ln 3;
    # x2' = [0, 0, 1] -> p = [0, 0, 1], e2 = 0. Shift ~ 0 so the hand values hold.
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [10.0, 10.0, 40.0]})
    ew = entropy_weights(frame, ["a", "b"], shift=1e-13)
    e1 = (1 / 3 * math.log(3) + 2 / 3 * math.log(1.5)) / math.log(3)
    assert ew["entropy"]["a"] == pytest.approx(e1, abs=1e-9)
    assert ew["entropy"]["b"] == pytest.approx(0.0, abs=1e-9)
    assert ew["weights"]["a"] == pytest.approx((1 - e1) / (2 - e1), abs=1e-9)
    assert ew["weights"]["b"] == pytest.approx(1 / (2 - e1), abs=1e-9)


def _independent_entropy(X: np.ndarray, negative: set[int], shift: float) -> np.ndarray:
    """Textbook entropy weights written directly with numpy (matrix form)."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    Z = (X - lo) / (hi - lo)
    for j in negative:
        Z[:, j] = (hi[j] - X[:, j]) / (hi[j] - lo[j])
    P = (Z + shift) / (Z + shift).sum(axis=0)
    E = -(P * np.log(P)).sum(axis=0) / np.log(X.shape[0])
    return (1 - E) / (1 - E).sum()


def test_entropy_weights_match_an_independent_computation():
    rng = np.random.default_rng(3)
    X = np.column_stack([rng.lognormal(0, 1, 200), rng.normal(5, 1, 200), rng.poisson(2, 200)]).astype(float)
    frame = pd.DataFrame(X, columns=["x", "y", "z"])
    ew = entropy_weights(frame, ["x", "y", "z"], {"y": "negative"}, shift=1e-4)
    expected = _independent_entropy(X, {1}, 1e-4)
    np.testing.assert_allclose([ew["weights"][c] for c in "xyz"], expected, rtol=1e-12)
    assert sum(ew["weights"].values()) == pytest.approx(1.0)


def test_constant_indicator_gets_zero_weight_and_missing_rows_stay_missing():
    frame = pd.DataFrame({"a": [1.0, 2.0, 4.0, np.nan], "b": [3.0, 3.0, 3.0, 3.0], "year": [1, 1, 2, 2]})
    u, info = subsystem_index(frame, ["a", "b"])
    assert info["pooled"]["weights"]["b"] == 0.0 and info["pooled"]["weights"]["a"] == 1.0
    np.testing.assert_allclose(u.iloc[:3], [0.0, 1 / 3, 1.0])
    assert np.isnan(u.iloc[3])
    with pytest.raises(ValueError):
        entropy_weights(frame, ["b"])
    np.testing.assert_allclose(minmax_normalize([1.0, 3.0], "negative"), [1.0, 0.0])


def test_subsystem_index_by_year_normalizes_within_each_year():
    frame = pd.DataFrame({"a": [1.0, 3.0, 10.0, 20.0], "b": [0.0, 1.0, 5.0, 5.5], "year": [1, 1, 2, 2]})
    u, info = subsystem_index(frame, ["a", "b"], scope="year")
    assert set(info) == {"1", "2"}
    np.testing.assert_allclose(u.to_numpy(), [0.0, 1.0, 0.0, 1.0])  # each year: worst 0, best 1
