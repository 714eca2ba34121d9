"""Lind-Mehlum U-test, delta-method and Fieller intervals for the extreme point of a quadratic.

Model: ``y = ... + b1*x + b2*x**2 + ...`` with ``cov`` the 2x2 covariance of ``(b1, b2)``
(entries ``s11, s12, s22``).

Sources
-------
- Lind, J. T. and Mehlum, H. (2010), "With or Without U? The Appropriate Test for a U-Shaped
  Relationship", Oxford Bulletin of Economics and Statistics 72(1), 109-118; and their Stata
  command ``utest``.
- Sasabuchi, S. (1980), "A test of a multivariate normal mean with composite hypotheses determined
  by linear inequalities", Biometrika 67(2), 429-439 (the intersection-union test used by utest).
- Fieller, E. C. (1954), "Some problems in interval estimation", Journal of the Royal Statistical
  Society B 16(2), 175-185.

Conventions (see ``u_test``)
----------------------------
- ``df`` is the residual degrees of freedom used for every t distribution (``G - 1`` under
  one-way clustering, as Stata ``xtreg, fe vce(cluster)`` and pyfixest CRV1). ``df=None`` (or
  ``inf``) uses the standard normal.
- One-sided p-values are taken *in the direction required by the shape*: for an inverted U the
  slope must be positive at ``xl`` and negative at ``xh``.
- When the required sign pattern fails (extreme point outside ``[xl, xh]`` or the curve has the
  other shape) Stata's ``utest`` prints "Extremum outside interval - trivial failure to reject H0"
  and returns missing ``r(t)``/``r(p)``. Here ``trivial_failure`` is ``True``, ``reject`` is
  ``False``, and ``t_sasabuchi``/``p_sasabuchi`` keep the *signed* intersection-union statistic
  ``min(t_l, t_h)`` (t oriented in the required direction) and its p-value ``P(T > t)``, which
  is then >= 0.5. Whenever the sign pattern holds, ``t_sasabuchi = min(|t(xl)|, |t(xh)|)`` and
  ``p_sasabuchi = ttail(df, t_sasabuchi)``, identical to Stata ``utest`` ``r(t)`` and ``r(p)``.
- ``to_dict()`` returns plain Python scalars; every non-finite float (infinite Fieller bounds,
  undefined quantities) becomes ``None``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats

__all__ = [
    "FiellerInterval",
    "TurningPointDelta",
    "UTestResult",
    "critical_value",
    "fieller_interval",
    "fit_df_resid",
    "turning_point_delta",
    "u_test",
    "u_test_from_fit",
]

FiellerKind = Literal["bounded", "two_rays", "whole_line"]


# --------------------------------------------------------------------------- helpers
def _dist(df: float | None):
    """t distribution with ``df`` degrees of freedom, or the standard normal if df is None/inf."""
    if df is None or not np.isfinite(df):
        return stats.norm
    if df <= 0:
        raise ValueError(f"df must be positive, got {df}")
    return stats.t(df)


def critical_value(alpha: float, df: float | None) -> float:
    """Two-sided critical value ``T`` with ``P(|T| > crit) = alpha`` (t with ``df`` or normal)."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    return float(_dist(df).ppf(1.0 - alpha / 2.0))


def _clean(v: Any) -> Any:
    """Convert numpy scalars to Python scalars and non-finite floats to None (JSON-friendly)."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        v = float(v)
        return v if np.isfinite(v) else None
    return v


def _cov2(cov: Any) -> tuple[float, float, float]:
    c = np.asarray(cov, dtype=float)
    if c.shape != (2, 2):
        raise ValueError(f"cov must be 2x2, got shape {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError("cov contains non-finite values")
    if not np.isclose(c[0, 1], c[1, 0], rtol=1e-8, atol=1e-14 * max(1.0, np.abs(c).max())):
        raise ValueError("cov must be symmetric")
    if c[0, 0] < 0 or c[1, 1] < 0:
        raise ValueError("cov has negative variances")
    return float(c[0, 0]), float(c[0, 1]), float(c[1, 1])


# --------------------------------------------------------------------------- Fieller
@dataclass(frozen=True)
class FiellerInterval:
    """Fieller confidence set for the extreme point ``x* = -b1 / (2 b2)``.

    ``kind``:
      - ``"bounded"``: the set is ``[lower, upper]``;
      - ``"two_rays"``: the set is ``(-inf, lower] U [upper, inf)`` (the quadratic coefficient
        is not significantly different from zero at level alpha, but b1 + 2 b2 x cannot be zero
        everywhere). In the measure-zero case ``b2**2 == T**2 * s22`` the set is a single ray and
        one of ``lower``/``upper`` is infinite;
      - ``"whole_line"``: the set is the real line; ``lower = -inf``, ``upper = inf``.
    """

    kind: FiellerKind
    lower: float
    upper: float
    level: float

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies in the confidence set."""
        if self.kind == "bounded":
            return self.lower <= x <= self.upper
        if self.kind == "two_rays":
            return x <= self.lower or x >= self.upper
        return True


def fieller_interval(
    b1: float,
    b2: float,
    s11: float,
    s12: float,
    s22: float,
    df: float | None = None,
    alpha: float = 0.05,
) -> FiellerInterval:
    """Fieller (1954) ``1 - alpha`` confidence set for ``x* = -b1 / (2 b2)``.

    The set is ``{x : (b1 + 2 b2 x)^2 <= T^2 Var(b1 + 2 b2 x)}`` with
    ``Var(b1 + 2 b2 x) = s11 + 4 x s12 + 4 x^2 s22`` and ``T`` the two-sided critical value
    (t with ``df`` or normal). Equivalently: the values x at which the slope is not
    significantly different from zero. Writing it as ``a x^2 + b x + c <= 0`` with
    ``a = 4 (b2^2 - T^2 s22)``, ``b = 4 (b1 b2 - T^2 s12)``, ``c = b1^2 - T^2 s11`` and
    ``d = (s12^2 - s11 s22) T^2 + b2^2 s11 + b1^2 s22 - 2 b1 b2 s12`` (so that the discriminant
    is ``16 T^2 d``), the three cases of Lind & Mehlum (2010, appendix) / Stata ``utest, fieller``:

    - ``a > 0`` (b2 significant): bounded interval between the two roots (``d >= 0`` then holds);
    - ``a < 0`` and ``d > 0``: the union of two outer rays;
    - ``a < 0`` and ``d <= 0``: the whole real line.
    """
    level = 1.0 - alpha
    crit = critical_value(alpha, df)
    t2 = crit * crit
    if s11 < 0 or s22 < 0:
        raise ValueError("negative variance")
    a = 4.0 * (b2 * b2 - t2 * s22)
    b = 4.0 * (b1 * b2 - t2 * s12)
    c = b1 * b1 - t2 * s11
    d = (s12 * s12 - s11 * s22) * t2 + b2 * b2 * s11 + b1 * b1 * s22 - 2.0 * b1 * b2 * s12
    scale = max(abs(b2 * b2), abs(t2 * s22), np.finfo(float).tiny)
    if abs(a) <= 1e-14 * 4.0 * scale:
        # Degenerate: linear inequality b x + c <= 0 (a single ray, or all/nothing).
        if b > 0:
            return FiellerInterval("two_rays", -c / b, np.inf, level)
        if b < 0:
            return FiellerInterval("two_rays", -np.inf, -c / b, level)
        return FiellerInterval("whole_line", -np.inf, np.inf, level)
    if a > 0:
        d = max(d, 0.0)  # d >= 0 analytically when a > 0 (x* itself is in the set)
        root = 4.0 * crit * np.sqrt(d)  # sqrt of the discriminant b^2 - 4ac = 16 T^2 d
        r1, r2 = (-b - root) / (2.0 * a), (-b + root) / (2.0 * a)
        return FiellerInterval("bounded", float(min(r1, r2)), float(max(r1, r2)), level)
    if d > 0:
        root = 4.0 * crit * np.sqrt(d)  # sqrt of the discriminant b^2 - 4ac = 16 T^2 d
        r1, r2 = (-b - root) / (2.0 * a), (-b + root) / (2.0 * a)
        return FiellerInterval("two_rays", float(min(r1, r2)), float(max(r1, r2)), level)
    return FiellerInterval("whole_line", -np.inf, np.inf, level)


# --------------------------------------------------------------------------- delta method
@dataclass(frozen=True)
class TurningPointDelta:
    """Extreme point with its delta-method standard error and symmetric ``1 - alpha`` CI."""

    estimate: float
    se: float
    lower: float
    upper: float
    level: float


def turning_point_delta(
    b1: float,
    b2: float,
    s11: float,
    s12: float,
    s22: float,
    df: float | None = None,
    alpha: float = 0.05,
) -> TurningPointDelta:
    """Delta-method inference for ``x* = -b1 / (2 b2)`` (as Stata ``nlcom -_b[x]/(2*_b[x2])``).

    Gradient ``g = (-1/(2 b2), b1/(2 b2^2))``, hence
    ``Var(x*) = [s11 - 2 (b1/b2) s12 + (b1/b2)^2 s22] / (4 b2^2)``.
    The CI is ``x* +/- T se`` with ``T`` the two-sided t (``df``) or normal critical value.
    Returns NaN everywhere when ``b2 == 0``.
    """
    level = 1.0 - alpha
    if b2 == 0:
        nan = float("nan")
        return TurningPointDelta(nan, nan, nan, nan, level)
    with np.errstate(all="ignore"):  # near-zero b2: overflow to inf is the honest answer
        b1_, b2_ = np.float64(b1), np.float64(b2)
        r = b1_ / b2_
        var = (s11 - 2.0 * r * s12 + r * r * s22) / (4.0 * b2_ * b2_)
        se = float(np.sqrt(max(var, 0.0))) if not np.isnan(var) else float("inf")
        est = float(-b1_ / (2.0 * b2_))
        crit = critical_value(alpha, df)
        lo, hi = est - crit * se, est + crit * se
    if not np.isfinite(se):
        lo, hi = -np.inf, np.inf
    return TurningPointDelta(est, se, float(lo), float(hi), level)


# --------------------------------------------------------------------------- U-test
@dataclass(frozen=True)
class UTestResult:
    """Result of :func:`u_test`. Slopes, t and one-sided p at both ends of ``[xl, xh]``.

    ``p_l``/``p_h`` are one-sided in the direction the shape requires (inverted U: slope > 0 at
    xl, slope < 0 at xh; U: the reverse). ``t_l``/``t_h`` are the raw (unsigned-by-direction)
    t-values ``slope / se`` as printed by Stata ``utest``.
    """

    shape: str
    b1: float
    b2: float
    xl: float
    xh: float
    df: float | None
    alpha: float
    slope_l: float
    se_l: float
    t_l: float
    p_l: float
    slope_h: float
    se_h: float
    t_h: float
    p_h: float
    t_sasabuchi: float
    p_sasabuchi: float
    trivial_failure: bool
    reject: bool
    extreme_point: float
    extreme_in_interval: bool
    extreme_se: float
    extreme_ci_lower: float
    extreme_ci_upper: float
    fieller: FiellerInterval

    def to_dict(self) -> dict[str, Any]:
        """Flat JSON-serialisable dict; non-finite floats (e.g. infinite bounds) become None."""
        out: dict[str, Any] = {}
        for k, v in asdict(self).items():
            if k == "fieller":
                out["fieller_kind"] = v["kind"]
                out["fieller_lower"] = _clean(v["lower"])
                out["fieller_upper"] = _clean(v["upper"])
                out["fieller_level"] = _clean(v["level"])
            else:
                out[k] = _clean(v)
        return out


def u_test(
    b1: float,
    b2: float,
    cov: Any,
    xl: float,
    xh: float,
    df: float | None,
    *,
    shape: Literal["inverted", "u"] = "inverted",
    alpha: float = 0.05,
) -> UTestResult:
    """Lind & Mehlum (2010) test for an (inverted) U shape of ``b1 x + b2 x^2`` on ``[xl, xh]``.

    H1 (``shape="inverted"``): slope(xl) > 0 and slope(xh) < 0, against H0: monotone or U.
    ``shape="u"`` reverses the required signs. With ``slope(x) = b1 + 2 b2 x`` and
    ``se(x)^2 = s11 + 4 x s12 + 4 x^2 s22``, ``t(x) = slope(x) / se(x)``; the Sasabuchi
    intersection-union statistic is the smaller of the two t-values oriented in the required
    direction, with one-sided p from the t distribution with ``df`` (normal if None).

    Behaviour when the sign pattern fails: see the module docstring (``trivial_failure=True``,
    ``reject=False``; Stata returns missing t and p; here the signed IUT statistic is kept and
    its p-value is >= 0.5). ``reject`` is ``p_sasabuchi < alpha`` with the sign pattern holding.

    Also reports the extreme point ``x* = -b1/(2 b2)``, whether it lies in ``[xl, xh]``, its
    delta-method SE and CI (:func:`turning_point_delta`), and the Fieller set
    (:func:`fieller_interval`), all at level ``1 - alpha``.
    """
    if shape not in ("inverted", "u"):
        raise ValueError(f"shape must be 'inverted' or 'u', got {shape!r}")
    if not (np.isfinite(xl) and np.isfinite(xh)) or not xl < xh:
        raise ValueError(f"need finite xl < xh, got [{xl}, {xh}]")
    if not (np.isfinite(b1) and np.isfinite(b2)):
        raise ValueError("b1 and b2 must be finite")
    if df is not None and np.isfinite(df) and df <= 0:
        raise ValueError(f"df must be positive, got {df}")
    s11, s12, s22 = _cov2(cov)
    b1, b2, xl, xh = float(b1), float(b2), float(xl), float(xh)
    dist = _dist(df)

    def at(x: float) -> tuple[float, float, float]:
        slope = b1 + 2.0 * b2 * x
        var = s11 + 4.0 * x * s12 + 4.0 * x * x * s22
        se = float(np.sqrt(max(var, 0.0)))
        t = slope / se if se > 0 else np.copysign(np.inf, slope) if slope != 0 else 0.0
        return slope, se, float(t)

    slope_l, se_l, t_l = at(xl)
    slope_h, se_h, t_h = at(xh)
    sign = 1.0 if shape == "inverted" else -1.0  # required sign of the slope at xl
    dir_l, dir_h = sign * t_l, -sign * t_h  # t oriented so that "large positive" supports H1
    p_l = float(dist.sf(dir_l))
    p_h = float(dist.sf(dir_h))
    t_sas = float(min(dir_l, dir_h))
    p_sas = float(dist.sf(t_sas))
    trivial = not (sign * slope_l > 0 and -sign * slope_h > 0)
    reject = (not trivial) and p_sas < alpha

    delta = turning_point_delta(b1, b2, s11, s12, s22, df=df, alpha=alpha)
    x_star = delta.estimate
    in_int = bool(np.isfinite(x_star) and xl <= x_star <= xh)
    fie = fieller_interval(b1, b2, s11, s12, s22, df=df, alpha=alpha)
    return UTestResult(
        shape=shape,
        b1=b1,
        b2=b2,
        xl=xl,
        xh=xh,
        df=None if df is None else float(df),
        alpha=float(alpha),
        slope_l=float(slope_l),
        se_l=se_l,
        t_l=t_l,
        p_l=p_l,
        slope_h=float(slope_h),
        se_h=se_h,
        t_h=t_h,
        p_h=p_h,
        t_sasabuchi=t_sas,
        p_sasabuchi=p_sas,
        trivial_failure=trivial,
        reject=bool(reject),
        extreme_point=x_star,
        extreme_in_interval=in_int,
        extreme_se=delta.se,
        extreme_ci_lower=delta.lower,
        extreme_ci_upper=delta.upper,
        fieller=fie,
    )


# --------------------------------------------------------------------------- pyfixest
def fit_df_resid(fit: Any) -> float:
    """Residual degrees of freedom of a pyfixest ``Feols`` fit, as used for its own t-tests.

    pyfixest stores it as ``fit._df_t``: ``min(G) - 1`` under cluster-robust (CRV1/CRV3)
    inference (G = number of clusters, the minimum over clustering dimensions), and
    ``N - k`` otherwise, where k counts the slope coefficients *and* the absorbed fixed-effect
    levels (as ``areg``/``reghdfe`` without clustering). If that attribute is absent the value is
    rebuilt from ``fit._G`` / ``fit._N`` / ``fit._k``.
    """
    df_t = getattr(fit, "_df_t", None)
    if df_t is not None:
        return float(df_t)
    g = getattr(fit, "_G", None)
    if getattr(fit, "_is_clustered", False) and g:
        return float(min(g) - 1)
    return float(fit._N - fit._k)


def u_test_from_fit(
    fit: Any,
    x: str,
    x2: str,
    xl: float | None = None,
    xh: float | None = None,
    data: Any = None,
    *,
    shape: Literal["inverted", "u"] = "inverted",
    alpha: float = 0.05,
) -> UTestResult:
    """:func:`u_test` on a pyfixest ``Feols`` fit with linear term ``x`` and squared term ``x2``.

    Coefficients come from ``fit.coef()``, their covariance from ``fit._vcov`` (rows/columns in
    the order of ``fit._coefnames``), so the vcov chosen at estimation (e.g. ``{"CRV1": "firm"}``)
    is used. ``df`` is :func:`fit_df_resid` (``min(G) - 1`` when clustered, ``N - k`` with
    absorbed FE levels counted otherwise), matching pyfixest's and Stata's t-based p-values.
    Missing ``xl``/``xh`` default to the min/max of column ``x`` in ``data`` if given, else in
    the estimation sample ``fit._data`` (rows used in the fit, after NA removal).
    """
    names = [str(n) for n in fit._coefnames]
    for v in (x, x2):
        if v not in names:
            raise KeyError(f"coefficient {v!r} not in fit (has {names})")
    coef = fit.coef()
    i, j = names.index(x), names.index(x2)
    vc = np.asarray(fit._vcov, dtype=float)
    cov = vc[np.ix_([i, j], [i, j])]
    if xl is None or xh is None:
        src = data if data is not None else getattr(fit, "_data", None)
        if src is None or x not in src:
            raise ValueError(f"xl/xh not given and column {x!r} not available to compute the range")
        col = np.asarray(src[x], dtype=float)
        col = col[np.isfinite(col)]
        xl = float(col.min()) if xl is None else xl
        xh = float(col.max()) if xh is None else xh
    return u_test(
        float(coef[x]),
        float(coef[x2]),
        cov,
        xl,
        xh,
        fit_df_resid(fit),
        shape=shape,
        alpha=alpha,
    )
