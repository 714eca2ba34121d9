"""Simonsohn (2018) two-lines test for U / inverted-U relationships.

Simonsohn, U. (2018), "Two lines: A valid alternative to the invalid testing of U-shaped
relationships with quadratic regression", Advances in Methods and Practices in Psychological
Science 1(4), 538-555. The reference implementation is the R code behind
http://webstimate.org/twolines (version 0.52); this module re-implements its algorithm:

1. Direction. A quadratic regression ``y ~ x + x^2 + controls`` decides what to look for: if its
   slope at ``min(x)`` is positive, the most extreme fitted value is a maximum (candidate inverted
   U), otherwise a minimum.
2. Flexible fit. ``y = f(x) + controls`` with ``f`` a penalised regression spline. The fitted
   curve ``f(x_i)`` (controls held at their sample means) and its pointwise SE are computed for
   observations strictly inside the 10th-90th percentiles of x. The "flat region" is the set of
   those x whose fitted value is within one SE of the most extreme fitted value
   (``yhat + se > max yhat`` for a maximum; ``yhat - se < min yhat`` for a minimum).
3. First interrupted regression at the median of the flat region; ``z1``, ``z2`` = |t| of the
   two slopes.
4. Robin Hood rule. The breakpoint is moved to the ``z2 / (z1 + z2)`` quantile of the flat
   region: if line 1 is the stronger one (``z1 > z2``) the breakpoint moves left, giving more
   observations to the weaker second line, and vice versa.
5. Final interrupted regression at that breakpoint. The breakpoint belongs to line 1 in the
   regression that estimates slope 1 (``x <= xc``) and to line 2 in the regression that
   estimates slope 2 (``x >= xc``). Each regression is
   ``y = a + b_low * (x - xc) 1[x <= xc] + b_high * (x - xc) 1[x > xc] + c 1[x > xc] + controls``.
   A U shape is supported when the slopes have opposite signs and both are significant
   (``alpha = .05``), the reference's ``u.sig``.

Deviations from the R reference (documented choices):

- Smoother: mgcv ``gam(y ~ s(x, bs="cr", k=min(10, unique x)) + controls)`` with REML/GCV
  smoothing is replaced by a P-spline (Eilers & Marx 1996): cubic B-spline basis with
  ``min(n_basis, unique x)`` functions on equally spaced knots, second-order difference penalty,
  smoothing parameter chosen by GCV on a log grid, Bayesian posterior covariance
  ``sigma^2 (X'X + lambda S)^-1`` for the pointwise SE (mgcv's ``Vp`` analogue). Fitted values
  and flat regions therefore differ slightly from mgcv; the breakpoint rule is unchanged.
- Quantiles (percentiles, median, Robin Hood quantile) use numpy's default linear interpolation,
  identical to R's default ``quantile(type = 7)``.
- Controls enter both lines (and the smoother and the quadratic) linearly, as in the reference.
- Fixed effects (not in the reference): they are partialled out (Frisch-Waugh-Lovell, alternating
  projections) of y, of the spline basis and of the controls for steps 1-2 (the pointwise SE is
  then that of the centred smooth, mgcv ``type="terms"``), and absorbed by pyfixest in the
  interrupted regressions of steps 3-5. HC3 is not available with absorbed fixed effects
  (leverages of the dummies), so with ``fe`` the default covariance is cluster-robust CRV1 by the
  first FE (Stata/pyfixest small-sample correction, t with G-1 df). Without ``fe`` the default is
  HC3 with normal p-values, exactly as the reference (``coeftest(glm, vcovHC(glm, "HC3"))``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.interpolate import BSpline

from analysis.inference.utest import _clean

__all__ = [
    "InterruptedFit",
    "PSplineFit",
    "TwoLinesResult",
    "demean",
    "interrupted_regression",
    "pspline_fit",
    "robin_hood_breakpoint",
    "two_lines",
]


# --------------------------------------------------------------------------- fixed effects
def demean(X: np.ndarray, fe: np.ndarray, *, tol: float = 1e-12, maxiter: int = 10_000) -> np.ndarray:
    """Residuals of the columns of ``X`` on the fixed effects coded in ``fe`` (n x k integer
    codes), by alternating projections (exact in one pass for a single FE)."""
    X = np.array(X, dtype=float, copy=True)
    squeeze = X.ndim == 1
    if squeeze:
        X = X[:, None]
    fe = np.asarray(fe)
    if fe.ndim == 1:
        fe = fe[:, None]
    codes = [pd.factorize(fe[:, j])[0] for j in range(fe.shape[1])]
    counts = [np.bincount(c) for c in codes]
    for _ in range(maxiter):
        delta = 0.0
        for c, n in zip(codes, counts):
            means = np.stack([np.bincount(c, weights=X[:, j]) / n for j in range(X.shape[1])], axis=1)
            step = means[c]
            X -= step
            delta = max(delta, float(np.abs(step).max()) if step.size else 0.0)
        if len(codes) == 1 or delta < tol * max(1.0, float(np.abs(X).max())):
            break
    return X[:, 0] if squeeze else X


# --------------------------------------------------------------------------- smoother
@dataclass(frozen=True)
class PSplineFit:
    """Penalised-spline fit of ``y = f(x) + controls``. ``fitted``/``se`` are f at the data (with
    the intercept and controls at their means when there are no FE; centred smooth with FE)."""

    fitted: np.ndarray
    se: np.ndarray
    lam: float
    edf: float
    sigma2: float


def _bspline_basis(x: np.ndarray, k: int) -> np.ndarray:
    degree = 3
    k = max(k, degree + 1)
    lo, hi = float(x.min()), float(x.max())
    n_inner = k - degree + 1  # number of knots from lo to hi, inclusive
    inner = np.linspace(lo, hi, n_inner)
    h = inner[1] - inner[0] if n_inner > 1 else 1.0
    t = np.concatenate([lo - h * np.arange(degree, 0, -1), inner, hi + h * np.arange(1, degree + 1)])
    B = BSpline.design_matrix(np.clip(x, lo, hi), t, degree).toarray()
    return B


def pspline_fit(
    y: np.ndarray,
    x: np.ndarray,
    controls: np.ndarray | None = None,
    fe: np.ndarray | None = None,
    *,
    n_basis: int = 10,
    lambdas: np.ndarray | None = None,
) -> PSplineFit:
    """P-spline (cubic B-splines, 2nd-order difference penalty, GCV-chosen lambda)."""
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    n = len(y)
    k = int(min(n_basis, len(np.unique(x))))
    if k < 4:
        raise ValueError("x needs at least 4 distinct values for the spline smoother")
    B = _bspline_basis(x, k)[:, :-1]  # drop one column: identification (B rows sum to 1)
    K = B.shape[1]
    D = np.diff(np.eye(K + 1), n=2, axis=0)[:, :K]  # difference penalty with beta_K fixed at 0
    S_s = D.T @ D
    C = np.empty((n, 0)) if controls is None else np.asarray(controls, dtype=float).reshape(n, -1)
    if fe is not None:
        Z = demean(np.column_stack([y, B, C]), fe)
        yy, Bm, Cm = Z[:, 0], Z[:, 1 : 1 + K], Z[:, 1 + K :]
        X = np.column_stack([Bm, Cm])
        F = np.asarray(fe).reshape(n, -1)
        # absorbed parameters (levels minus redundant ones; exact for one or two nested-free FE)
        n_fe = int(sum(len(np.unique(F[:, j])) for j in range(F.shape[1])) - (F.shape[1] - 1))
    else:
        yy = y
        X = np.column_stack([np.ones(n), B, C])
        n_fe = 0
    p = X.shape[1]
    S = np.zeros((p, p))
    off = 0 if fe is not None else 1
    S[off : off + K, off : off + K] = S_s
    XtX, Xty = X.T @ X, X.T @ yy
    scale = np.trace(XtX[off : off + K, off : off + K]) / max(np.trace(S_s), 1e-300)
    grid = np.logspace(-6, 6, 49) if lambdas is None else np.asarray(lambdas, dtype=float)
    best = None
    for lam_rel in grid:
        lam = lam_rel * scale
        A = XtX + lam * S
        try:
            Ainv = np.linalg.inv(A)
        except np.linalg.LinAlgError:
            continue
        beta = Ainv @ Xty
        resid = yy - X @ beta
        edf = float(np.trace(Ainv @ XtX))
        denom = n - n_fe - edf
        if denom <= 0:
            continue
        gcv = n * float(resid @ resid) / denom**2
        if best is None or gcv < best[0]:
            best = (gcv, lam, beta, Ainv, edf, float(resid @ resid) / denom)
    if best is None:
        raise RuntimeError("smoother failed for every smoothing parameter")
    _, lam, beta, Ainv, edf, sigma2 = best
    Vp = sigma2 * Ainv
    if fe is not None:
        Bc = B - B.mean(axis=0)  # centred smooth (controls at their mean contribute 0)
        R = np.column_stack([Bc, np.zeros((n, Cm.shape[1]))])
    else:
        R = np.column_stack([np.ones(n), B, np.tile(C.mean(axis=0), (n, 1)) if C.shape[1] else np.empty((n, 0))])
    fitted = R @ beta
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", R, Vp, R), 0.0))
    return PSplineFit(fitted=fitted, se=se, lam=float(lam), edf=edf, sigma2=float(sigma2))


# --------------------------------------------------------------------------- interrupted regression
@dataclass(frozen=True)
class InterruptedFit:
    """Slopes of the two lines at breakpoint ``xc`` with their SEs, t (z) and two-sided p."""

    xc: float
    b1: float
    se1: float
    t1: float
    p1: float
    n1: int
    b2: float
    se2: float
    t2: float
    p2: float
    n2: int
    vcov: str


def _safe_frame(y, x_cols: dict[str, np.ndarray], C, fe) -> tuple[pd.DataFrame, list[str], list[str]]:
    d = {"y_": y, **x_cols}
    cn = []
    for j in range(C.shape[1]):
        d[f"c{j}_"] = C[:, j]
        cn.append(f"c{j}_")
    fn = []
    if fe is not None:
        for j in range(fe.shape[1]):
            d[f"fe{j}_"] = pd.factorize(fe[:, j])[0]
            fn.append(f"fe{j}_")
    return pd.DataFrame(d), cn, fn


def _one_line(y, x, xc, C, fe, which: int, vcov) -> tuple[float, float, float, float]:
    if which == 1:
        low = x <= xc
    else:
        low = x < xc
    cols = {"xlow_": np.where(low, x - xc, 0.0), "xhigh_": np.where(~low, x - xc, 0.0),
            "high_": (~low).astype(float)}
    key = "xlow_" if which == 1 else "xhigh_"
    if fe is None:
        import statsmodels.api as sm

        X = np.column_stack([np.ones(len(y)), cols["xlow_"], cols["xhigh_"], cols["high_"], C])
        cov_type = str(vcov).upper()
        res = sm.OLS(y, X).fit(cov_type=cov_type)
        i = 1 if which == 1 else 2
        return float(res.params[i]), float(res.bse[i]), float(res.tvalues[i]), float(res.pvalues[i])
    import pyfixest as pf

    d, cn, fn = _safe_frame(y, cols, C, fe)
    rhs = " + ".join(["xlow_", "xhigh_", "high_", *cn])
    v = vcov
    if isinstance(vcov, dict):
        v = {k: ("fe" + str(int(val)) + "_" if isinstance(val, int) else val) for k, val in vcov.items()}
    fit = pf.feols(f"y_ ~ {rhs} | {' + '.join(fn)}", data=d, vcov=v)
    return (float(fit.coef()[key]), float(fit.se()[key]), float(fit.tstat()[key]), float(fit.pvalue()[key]))


def interrupted_regression(
    y: np.ndarray,
    x: np.ndarray,
    xc: float,
    controls: np.ndarray | None = None,
    fe: np.ndarray | None = None,
    *,
    vcov: Any = None,
) -> InterruptedFit:
    """Two interrupted regressions at ``xc`` (reference ``reg2``): slope 1 from the fit in which
    ``xc`` belongs to the first line, slope 2 from the fit in which it belongs to the second.

    ``vcov``: without ``fe`` a statsmodels ``cov_type`` (default ``"HC3"``, normal p-values);
    with ``fe`` (n x k codes) a pyfixest vcov (default ``{"CRV1": 0}``: cluster by the first
    FE column; integers in the dict refer to FE columns).
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    n = len(y)
    C = np.empty((n, 0)) if controls is None else np.asarray(controls, dtype=float).reshape(n, -1)
    if fe is not None:
        fe = np.asarray(fe).reshape(n, -1)
    if vcov is None:
        vcov = "HC3" if fe is None else {"CRV1": 0}
    b1, se1, t1, p1 = _one_line(y, x, xc, C, fe, 1, vcov)
    b2, se2, t2, p2 = _one_line(y, x, xc, C, fe, 2, vcov)
    label = vcov if isinstance(vcov, str) else ";".join(f"{k}:{v}" for k, v in vcov.items())
    return InterruptedFit(float(xc), b1, se1, t1, p1, int((x <= xc).sum()), b2, se2, t2, p2,
                          int((x >= xc).sum()), label)


def robin_hood_breakpoint(xflat: np.ndarray, z1: float, z2: float) -> float:
    """Robin Hood rule: the ``|z2| / (|z1| + |z2|)`` quantile (R type 7 = numpy linear) of the
    flat region, so that the weaker line receives more observations."""
    z1, z2 = abs(z1), abs(z2)
    q = 0.5 if z1 + z2 == 0 or not np.isfinite(z1 + z2) else z2 / (z1 + z2)
    return float(np.quantile(np.asarray(xflat, dtype=float), q))


# --------------------------------------------------------------------------- main entry
@dataclass(frozen=True)
class TwoLinesResult:
    """Two-lines test result. ``supported`` is the reference ``u.sig``: opposite-sign slopes,
    both with p < alpha. ``shape_found`` is ``"inverted"`` (b1 > 0 > b2), ``"u"`` (b1 < 0 < b2)
    or None, whatever their significance; ``shape_searched`` is the direction from step 1."""

    shape_searched: str
    breakpoint: float
    breakpoint_initial: float
    flat_lower: float
    flat_upper: float
    x_most: float
    b1: float
    se1: float
    t1: float
    p1: float
    n1: int
    b2: float
    se2: float
    t2: float
    p2: float
    n2: int
    supported: bool
    shape_found: str | None
    alpha: float
    vcov: str
    n: int
    smoother_lambda: float
    smoother_edf: float

    def to_dict(self) -> dict[str, Any]:
        """Flat JSON-serialisable dict (non-finite floats become None)."""
        return {k: _clean(v) for k, v in asdict(self).items()}


def two_lines(
    data: pd.DataFrame,
    y: str,
    x: str,
    controls: Sequence[str] = (),
    fe: Sequence[str] = (),
    *,
    vcov: Any = None,
    alpha: float = 0.05,
    n_basis: int = 10,
    shape: Literal["inverted", "u"] | None = None,
) -> TwoLinesResult:
    """Simonsohn (2018) two-lines test of ``y`` on ``x`` (see module docstring for the algorithm
    and the deviations from the R reference).

    ``controls`` enter linearly; ``fe`` columns are absorbed (see module docstring). ``vcov``:
    default HC3 without FE, ``{"CRV1": <first fe column name>}`` with FE; any pyfixest vcov (with
    column names of ``data``) is accepted with FE, any statsmodels ``cov_type`` without.
    ``shape`` overrides the direction found by the quadratic in step 1.
    """
    cols = [y, x, *controls, *fe]
    if isinstance(vcov, dict):
        cols += [p.strip() for v in vcov.values() if isinstance(v, str) for p in v.split("+")]
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise KeyError(f"columns not in data: {missing}")
    d = data[list(dict.fromkeys(cols))].dropna()
    n = len(d)
    if n < 20:
        raise ValueError(f"too few complete observations ({n}) for the two-lines test")
    yv = d[y].to_numpy(dtype=float)
    xv = d[x].to_numpy(dtype=float)
    C = d[list(controls)].to_numpy(dtype=float) if controls else np.empty((n, 0))
    F = None
    vc = vcov
    if fe:
        F = np.column_stack([pd.factorize(d[c])[0] for c in fe])
        if vcov is None:
            vc = {"CRV1": 0}
        elif isinstance(vcov, dict):
            # cluster variables given by name: add them as extra FE-code columns? map to codes
            vc = {}
            for k, v in vcov.items():  # "firm" or two-way "firm+year": each part must be an fe column
                parts = [p.strip() for p in str(v).split("+")] if isinstance(v, str) else [v]
                if not all(p in fe for p in parts):
                    raise ValueError("with fe, cluster variables must be among the fe columns")
                idx = [list(fe).index(p) for p in parts]
                vc[k] = idx[0] if len(idx) == 1 else "+".join(f"fe{i}_" for i in idx)
    elif vcov is None:
        vc = "HC3"

    # Step 1: direction from a quadratic regression (controls, FE partialled out)
    Q = np.column_stack([xv, xv**2, C])
    if F is not None:
        Z = demean(np.column_stack([yv, Q]), F)
        coef = np.linalg.lstsq(Z[:, 1:], Z[:, 0], rcond=None)[0]
    else:
        coef = np.linalg.lstsq(np.column_stack([np.ones(n), Q]), yv, rcond=None)[0][1:]
    if shape is None:
        shape = "inverted" if coef[0] + 2 * coef[1] * xv.min() > 0 else "u"
    elif shape not in ("inverted", "u"):
        raise ValueError(f"shape must be 'inverted', 'u' or None, got {shape!r}")

    # Step 2: flexible fit and flat region in the middle 80% of x
    sm = pspline_fit(yv, xv, C if C.shape[1] else None, F, n_basis=n_basis)
    q10, q90 = np.quantile(xv, [0.1, 0.9])
    mid = (xv > q10) & (xv < q90)
    if mid.sum() == 0:
        raise ValueError("no observation strictly between the 10th and 90th percentiles of x")
    yh, se, xm = sm.fitted[mid], sm.se[mid], xv[mid]
    if shape == "inverted":
        most = yh.max()
        flat = yh + se > most
        x_most = float(xm[np.argmax(yh)])
    else:
        most = yh.min()
        flat = yh - se < most
        x_most = float(xm[np.argmin(yh)])
    xflat = xm[flat]
    if xflat.size == 0:  # numerically possible only if se == 0: use the extreme point itself
        xflat = np.array([x_most])

    # Steps 3-5: initial split at the median of the flat region, Robin Hood, final split
    xc0 = float(np.median(xflat))
    r0 = interrupted_regression(yv, xv, xc0, C, F, vcov=vc)
    xc = robin_hood_breakpoint(xflat, r0.t1, r0.t2)
    r = interrupted_regression(yv, xv, xc, C, F, vcov=vc)
    supported = bool(r.b1 * r.b2 < 0 and r.p1 < alpha and r.p2 < alpha)
    found = "inverted" if (r.b1 > 0 > r.b2) else "u" if (r.b1 < 0 < r.b2) else None
    label = r.vcov
    if fe and isinstance(vc, dict):
        label = ";".join(f"{k}:{fe[v] if isinstance(v, int) else vcov[k]}" for k, v in vc.items())
    return TwoLinesResult(
        shape_searched=shape,
        breakpoint=xc,
        breakpoint_initial=xc0,
        flat_lower=float(xflat.min()),
        flat_upper=float(xflat.max()),
        x_most=x_most,
        b1=r.b1,
        se1=r.se1,
        t1=r.t1,
        p1=r.p1,
        n1=r.n1,
        b2=r.b2,
        se2=r.se2,
        t2=r.t2,
        p2=r.p2,
        n2=r.n2,
        supported=supported,
        shape_found=found,
        alpha=float(alpha),
        vcov=label,
        n=n,
        smoother_lambda=sm.lam,
        smoother_edf=sm.edf,
    )
