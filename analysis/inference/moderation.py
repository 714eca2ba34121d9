"""Moderated (inverted) U shapes: Haans, Pieters & He (2016).

Model: ``y = b1 X + b2 X^2 + b3 Z + b4 X Z + b5 X^2 Z + controls + FE + e``
(in the application X = Serv, Z = Dig). Following Haans, R. F. J., Pieters, C. and He, Z.-L.
(2016), "Thinking about U: Theorizing and testing U- and inverted U-shaped relationships in
strategy research", Strategic Management Journal 37(7), 1177-1195:

- slope of X at (X, Z): ``b1 + b4 Z + 2 (b2 + b5 Z) X`` (a linear combination: exact SE);
- turning point ``X*(Z) = -(b1 + b4 Z) / (2 (b2 + b5 Z))`` with a delta-method CI and a Fieller
  (1954) set; at fixed Z it is the ratio for the combined coefficients ``A = b1 + b4 Z`` and
  ``B = b2 + b5 Z``, so :func:`analysis.inference.utest.turning_point_delta` and
  :func:`analysis.inference.utest.fieller_interval` are reused with ``Cov(A, B) = L V L'``;
- turning-point shift ``dX*/dZ = (b1 b5 - b2 b4) / (2 (b2 + b5 Z)^2)``, which depends on Z, with a
  delta-method SE (analytic gradient) at chosen Z values;
- flattening: the curvature ``b2 + b5 Z`` shrinks in absolute value as Z grows when b5 has the
  sign opposite to the curvature of the shape (``b5 > 0`` for an inverted U); one-sided test of
  ``b5`` in that direction. NB: b2 is the curvature at Z = 0, so centre Z (or read the curvature
  rows at the reported Z values) before interpreting b2 itself;
- shape flip: ``Z_flip = -b2 / b5`` where the curvature changes sign; reported with whether it
  lies in the observed range ``[zl, zh]`` (if so, the curve is an inverted U on one side and a U
  on the other: Haans et al. insist this must be reported).

All t-based quantities use ``df`` residual degrees of freedom (``G - 1`` under clustering;
``None`` = normal), as in :mod:`analysis.inference.utest`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis.inference.utest import (
    _dist,
    critical_value,
    fieller_interval,
    fit_df_resid,
    turning_point_delta,
    u_test,
)

__all__ = [
    "ModerationNames",
    "curvature_at",
    "flattening_test",
    "moderation_from_fit",
    "moderation_table",
    "shape_flip",
    "slope_at",
    "turning_point_at",
    "turning_point_shift",
]

Shape = Literal["inverted", "u"]


@dataclass(frozen=True)
class ModerationNames:
    """Coefficient names of the moderated quadratic. ``z`` (the main effect of Z) is not needed
    by any quantity here and may be None."""

    x: str
    x2: str
    xz: str
    x2z: str
    z: str | None = None

    @classmethod
    def coerce(cls, names: ModerationNames | Mapping[str, str]) -> ModerationNames:
        if isinstance(names, ModerationNames):
            return names
        return cls(x=names["x"], x2=names["x2"], xz=names["xz"], x2z=names["x2z"], z=names.get("z"))


def _prep(params: pd.Series, cov: pd.DataFrame, names) -> tuple[np.ndarray, np.ndarray]:
    """(b1, b2, b4, b5) and their 4x4 covariance, in that order."""
    n = ModerationNames.coerce(names)
    keys = [n.x, n.x2, n.xz, n.x2z]
    missing = [k for k in keys if k not in params.index or k not in cov.index or k not in cov.columns]
    if missing:
        raise KeyError(f"coefficients {missing} not found in params/cov")
    b = params.loc[keys].to_numpy(dtype=float)
    V = cov.loc[keys, keys].to_numpy(dtype=float)
    if not np.allclose(V, V.T, rtol=1e-8, atol=1e-14 * max(1.0, np.abs(V).max())):
        raise ValueError("cov must be symmetric")
    return b, V


def _lincom(c: np.ndarray, b: np.ndarray, V: np.ndarray, df: float | None) -> dict[str, float]:
    est = float(c @ b)
    se = float(np.sqrt(max(c @ V @ c, 0.0)))
    t = est / se if se > 0 else float("nan")
    p = float(2.0 * _dist(df).sf(abs(t))) if se > 0 else float("nan")
    return {"estimate": est, "se": se, "t": t, "p": p}


def _ci(est: float, se: float, df: float | None, alpha: float) -> tuple[float, float]:
    c = critical_value(alpha, df)
    return est - c * se, est + c * se


def slope_at(params, cov, names, x: float, z: float, df: float | None = None, alpha: float = 0.05) -> dict:
    """Slope of X at (x, z): ``b1 + b4 z + 2 (b2 + b5 z) x``; SE, t, two-sided p, CI."""
    b, V = _prep(params, cov, names)
    r = _lincom(np.array([1.0, 2.0 * x, z, 2.0 * x * z]), b, V, df)
    r["ci_lower"], r["ci_upper"] = _ci(r["estimate"], r["se"], df, alpha)
    return r


def curvature_at(params, cov, names, z: float, df: float | None = None, alpha: float = 0.05) -> dict:
    """Curvature coefficient ``b2 + b5 z`` (half the second derivative) with SE, t, p, CI."""
    b, V = _prep(params, cov, names)
    r = _lincom(np.array([0.0, 1.0, 0.0, z]), b, V, df)
    r["ci_lower"], r["ci_upper"] = _ci(r["estimate"], r["se"], df, alpha)
    return r


def _combined(b: np.ndarray, V: np.ndarray, z: float) -> tuple[float, float, np.ndarray]:
    L = np.array([[1.0, 0.0, z, 0.0], [0.0, 1.0, 0.0, z]])
    A, B = L @ b
    return float(A), float(B), L @ V @ L.T


def turning_point_at(params, cov, names, z: float, df: float | None = None, alpha: float = 0.05) -> dict:
    """Turning point ``X*(z)`` with delta-method SE/CI and the Fieller set at fixed z."""
    b, V = _prep(params, cov, names)
    A, B, C = _combined(b, V, z)
    d = turning_point_delta(A, B, C[0, 0], C[0, 1], C[1, 1], df=df, alpha=alpha)
    f = fieller_interval(A, B, C[0, 0], C[0, 1], C[1, 1], df=df, alpha=alpha)
    return {
        "estimate": d.estimate,
        "se": d.se,
        "ci_lower": d.lower,
        "ci_upper": d.upper,
        "fieller": f,
        "a": A,
        "b": B,
        "cov_ab": C,
    }


def turning_point_shift(params, cov, names, z: float, df: float | None = None, alpha: float = 0.05) -> dict:
    """``dX*/dZ = (b1 b5 - b2 b4) / (2 (b2 + b5 z)^2)`` at z, delta-method SE (analytic gradient),
    t, two-sided p and CI. NaN when ``b2 + b5 z = 0``."""
    b, V = _prep(params, cov, names)
    b1, b2, b4, b5 = b
    B = b2 + b5 * z
    nan = float("nan")
    if B == 0:
        return {"estimate": nan, "se": nan, "t": nan, "p": nan, "ci_lower": nan, "ci_upper": nan}
    N = b1 * b5 - b2 * b4
    est = N / (2.0 * B * B)
    grad = np.array(
        [
            b5 / (2.0 * B * B),
            -b4 / (2.0 * B * B) - N / B**3,
            -b2 / (2.0 * B * B),
            b1 / (2.0 * B * B) - N * z / B**3,
        ]
    )
    se = float(np.sqrt(max(grad @ V @ grad, 0.0)))
    t = est / se if se > 0 else nan
    p = float(2.0 * _dist(df).sf(abs(t))) if se > 0 else nan
    lo, hi = _ci(est, se, df, alpha)
    return {"estimate": float(est), "se": se, "t": float(t), "p": p, "ci_lower": lo, "ci_upper": hi}


def flattening_test(params, cov, names, df: float | None = None, *, shape: Shape = "inverted") -> dict:
    """One-sided test that Z flattens the curve: H1 ``b5 > 0`` for an inverted U (``b5 < 0``
    for a U), i.e. b5 of the sign opposite to the curvature the shape requires."""
    if shape not in ("inverted", "u"):
        raise ValueError(f"shape must be 'inverted' or 'u', got {shape!r}")
    b, V = _prep(params, cov, names)
    b5, se = float(b[3]), float(np.sqrt(V[3, 3]))
    t = b5 / se
    sign = 1.0 if shape == "inverted" else -1.0
    p = float(_dist(df).sf(sign * t))
    return {"estimate": b5, "se": se, "t": float(t), "p_one_sided": p, "direction": ">0" if sign > 0 else "<0"}


def shape_flip(params, cov, names, zl: float | None = None, zh: float | None = None,
               df: float | None = None, alpha: float = 0.05) -> dict:
    """Z at which the curvature ``b2 + b5 Z`` is zero (``-b2/b5``), its delta-method SE/CI, and
    whether it lies inside the observed range ``[zl, zh]`` (None if the range is not given).
    Also the sign of the curvature at zl and zh."""
    b, V = _prep(params, cov, names)
    b2, b5 = float(b[1]), float(b[3])
    nan = float("nan")
    if b5 == 0:
        z_flip, se = nan, nan
    else:
        z_flip = -b2 / b5
        g = np.array([-1.0 / b5, b2 / b5**2])
        sub = V[np.ix_([1, 3], [1, 3])]
        se = float(np.sqrt(max(g @ sub @ g, 0.0)))
    lo, hi = _ci(z_flip, se, df, alpha) if np.isfinite(se) else (nan, nan)
    inside = None
    if zl is not None and zh is not None:
        inside = bool(np.isfinite(z_flip) and zl <= z_flip <= zh)
    out = {"estimate": z_flip, "se": se, "ci_lower": lo, "ci_upper": hi, "inside_range": inside,
           "zl": zl, "zh": zh}
    for tag, zz in (("zl", zl), ("zh", zh)):
        out[f"curvature_sign_at_{tag}"] = None if zz is None else float(np.sign(b2 + b5 * zz))
    return out


_COLUMNS = ["quantity", "z", "x", "estimate", "se", "t", "p", "ci_lower", "ci_upper", "ci_kind", "note"]


def moderation_table(
    params: pd.Series,
    cov: pd.DataFrame,
    names: ModerationNames | Mapping[str, str],
    z_values: Sequence[float] | Mapping[str, float],
    *,
    x_values: Sequence[float] = (),
    zl: float | None = None,
    zh: float | None = None,
    xl: float | None = None,
    xh: float | None = None,
    df: float | None = None,
    alpha: float = 0.05,
    shape: Shape = "inverted",
) -> pd.DataFrame:
    """Tidy (long) table of the moderation quantities.

    Columns: ``quantity, z, x, estimate, se, t, p, ci_lower, ci_upper, ci_kind, note``. One row
    per quantity and evaluation point; ``z_values`` may be a mapping label -> value (e.g.
    ``{"p10": .., "p50": .., "p90": ..}``: the label goes to ``note``). Quantities:

    - ``curvature``: ``b2 + b5 z`` (two-sided p);
    - ``turning_point``: X*(z), delta CI (``ci_kind="delta"``);
    - ``turning_point_fieller``: same estimate, Fieller set (``ci_kind`` = bounded / two_rays /
      whole_line; for two_rays the set is (-inf, ci_lower] U [ci_upper, inf); infinite bounds are
      NaN in the frame);
    - ``turning_point_shift``: dX*/dZ at z (two-sided p, delta CI);
    - ``utest``: if ``xl``/``xh`` given, the Lind-Mehlum test at z on [xl, xh] (``t`` Sasabuchi,
      one-sided ``p``; ``note`` flags trivial failure);
    - ``slope``: slope of X at each (x in ``x_values``, z) (two-sided p);
    - ``flattening_b5``: b5 with the one-sided p in the flattening direction;
    - ``shape_flip_z``: -b2/b5 with delta CI; ``note`` says whether it lies in [zl, zh].
    """
    _prep(params, cov, names)  # validate early
    if isinstance(z_values, Mapping):
        zs = [(str(k), float(v)) for k, v in z_values.items()]
    else:
        zs = [("", float(v)) for v in z_values]
    nan = float("nan")
    rows: list[dict[str, Any]] = []

    def add(quantity, z, x, est, se, t, p, lo, hi, kind, note):
        def fin(v):
            return float(v) if v is not None and np.isfinite(v) else nan

        rows.append(dict(zip(_COLUMNS, [quantity, z, x, fin(est), fin(se), fin(t), fin(p), fin(lo), fin(hi),
                                        kind, note])))

    for label, z in zs:
        c = curvature_at(params, cov, names, z, df, alpha)
        add("curvature", z, nan, c["estimate"], c["se"], c["t"], c["p"], c["ci_lower"], c["ci_upper"], "delta", label)
        tp = turning_point_at(params, cov, names, z, df, alpha)
        add("turning_point", z, nan, tp["estimate"], tp["se"], nan, nan, tp["ci_lower"], tp["ci_upper"], "delta", label)
        f = tp["fieller"]
        add("turning_point_fieller", z, nan, tp["estimate"], nan, nan, nan, f.lower, f.upper, f.kind, label)
        s = turning_point_shift(params, cov, names, z, df, alpha)
        add("turning_point_shift", z, nan, s["estimate"], s["se"], s["t"], s["p"], s["ci_lower"], s["ci_upper"],
            "delta", label)
        if xl is not None and xh is not None:
            C = tp["cov_ab"]
            u = u_test(tp["a"], tp["b"], C, xl, xh, df, shape=shape, alpha=alpha)
            note = (label + ";" if label else "") + ("trivial_failure" if u.trivial_failure else "")
            add("utest", z, nan, u.extreme_point, nan, u.t_sasabuchi, u.p_sasabuchi, nan, nan, "", note)
        for x in x_values:
            sl = slope_at(params, cov, names, float(x), z, df, alpha)
            add("slope", z, float(x), sl["estimate"], sl["se"], sl["t"], sl["p"], sl["ci_lower"], sl["ci_upper"],
                "delta", label)
    fl = flattening_test(params, cov, names, df, shape=shape)
    add("flattening_b5", nan, nan, fl["estimate"], fl["se"], fl["t"], fl["p_one_sided"], nan, nan, "",
        f"one-sided H1: b5{fl['direction']}")
    sf = shape_flip(params, cov, names, zl, zh, df, alpha)
    note = "range not given" if sf["inside_range"] is None else (
        "inside observed Z range" if sf["inside_range"] else "outside observed Z range")
    add("shape_flip_z", nan, nan, sf["estimate"], sf["se"], nan, nan, sf["ci_lower"], sf["ci_upper"], "delta", note)
    return pd.DataFrame(rows, columns=_COLUMNS)


def moderation_from_fit(
    fit: Any,
    names: ModerationNames | Mapping[str, str],
    z_col: str,
    *,
    x_col: str | None = None,
    z_values: Sequence[float] | Mapping[str, float] | None = None,
    x_values: Sequence[float] = (),
    data: pd.DataFrame | None = None,
    alpha: float = 0.05,
    shape: Shape = "inverted",
) -> pd.DataFrame:
    """:func:`moderation_table` for a pyfixest ``Feols`` fit.

    Uses ``fit.coef()``, ``fit._vcov`` (labelled by ``fit._coefnames``) and ``df`` from
    :func:`analysis.inference.utest.fit_df_resid`. The sample is ``data`` if given, else the
    estimation sample ``fit._data``. Default ``z_values``: p10/p50/p90 of ``z_col`` in that
    sample (numpy linear quantiles); ``[zl, zh]`` is its min/max; if ``x_col`` is given,
    ``[xl, xh]`` (its range) is used for a U-test at each z.
    """
    coefnames = [str(c) for c in fit._coefnames]
    params = pd.Series(np.asarray(fit.coef(), dtype=float), index=coefnames)
    cov = pd.DataFrame(np.asarray(fit._vcov, dtype=float), index=coefnames, columns=coefnames)
    sample = data if data is not None else fit._data
    z = pd.to_numeric(sample[z_col], errors="coerce").dropna().to_numpy(dtype=float)
    if z_values is None:
        q = np.quantile(z, [0.1, 0.5, 0.9])
        z_values = {"p10": q[0], "p50": q[1], "p90": q[2]}
    xl = xh = None
    if x_col is not None:
        xv = pd.to_numeric(sample[x_col], errors="coerce").dropna().to_numpy(dtype=float)
        xl, xh = float(xv.min()), float(xv.max())
    return moderation_table(params, cov, names, z_values, x_values=x_values, zl=float(z.min()), zh=float(z.max()),
                            xl=xl, xh=xh, df=fit_df_resid(fit), alpha=alpha, shape=shape)
