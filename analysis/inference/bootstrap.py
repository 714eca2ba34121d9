"""Wild cluster restricted (WCR) bootstrap for one coefficient of a fixed-effects regression.

The bootstrap is the WCR11 of pyfixest's ``Feols.wildboottest`` (which calls the ``wildboottest``
package): null imposed, Rademacher weights drawn per cluster, CRV1 bootstrap t statistics,
two-tailed p-value ``mean(|t| < |t*_b|)``. pyfixest builds the full dummy-variable design (one
column per firm) and loops over all pairs of clusters in Python, which is fine for a few dozen
clusters and infeasible for thousands. This module computes the *same* statistic in closed form:

- Fixed effects nested in the clusters (firm effects with clustering by firm) are removed by the
  within transformation, which is exact (one-pass group demeaning). Other fixed effects (year,
  industry-by-year) enter as dummy columns. By Frisch-Waugh-Lovell the coefficient, the restricted
  residuals (which have zero mean within every nested group), the cluster scores and the
  bootstrap denominators are then identical to those of the full dummy-variable regression, so
  p-values equal pyfixest's to rounding when the weights are the same (tested).
- Weights: ``numpy.random.default_rng(seed)``, ``rng.choice([-1, 1], size=G * B)`` reshaped to
  ``(G, B)`` with clusters in sorted order, as ``wildboottest.weights.draw_weights``; all ``2^G``
  sign vectors (full enumeration) when ``2^G < B``.
- Bootstrap t (Roodman, MacKinnon, Nielsen & Webb 2019, "Fast and wild: Bootstrap inference in
  Stata using boottest", Stata Journal 19(1), 4-60, section 3): with ``a`` the row of
  ``(W'W)^-1 W'`` for the tested coefficient, restricted residuals ``u~`` and cluster sums
  ``s_g = sum_g a_i u~_i``, ``S_g = sum_g W_i u~_i``, ``C_g = sum_g a_i W_i``:
  numerator ``s'v`` and CRV1 denominator ``sum_g (s_g v_g - C_g' (W'W)^-1 S'v)^2``.
- Confidence interval by test inversion (Roodman et al. 2019, section 3.5): the restricted
  residuals are linear in the hypothesised value ``b0``, so ``t*(b0)`` is a ratio of a linear
  function and the square root of a quadratic in ``b0``, evaluated for all draws at once; the
  bounds are where ``p(b0)`` falls to ``alpha`` (found by a grid outward from the estimate, then
  bisection; same weights for every ``b0``).

The small-sample factor ``(N-1)/(N-K) * G/(G-1)`` multiplies the original and every bootstrap
variance alike, so p-values and intervals do not depend on it. The reported ``se`` and ``t`` take
K = rank of the dummy-variable design (+1 for the absorbed effect), which is pyfixest's CRV1 K
(slopes + non-nested fixed-effect levels + 1 per nested effect) whenever no fixed-effect level is
collinear with the others; with firm and industry-by-year effects pyfixest also counts the
redundant levels (one per industry), so its SE is larger by a factor of order 1 + n_industries/(2N).

pyfixest's own ``wildboottest`` inverts the dummy design's X'X without a rank check, so with firm
and industry-by-year effects (collinear dummies) its result is wrong; this module drops collinear
dummy columns (pivoted QR) and is checked against a brute-force bootstrap in that case.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import product
from typing import Any, Sequence

import numpy as np
import pandas as pd

__all__ = ["WildBootstrapResult", "WildBootstrap", "wild_bootstrap_from_data", "rademacher_weights"]

#: Largest number of dummy columns built for fixed effects not nested in the clusters.
MAX_DUMMY_COLUMNS = 3000


@dataclass
class WildBootstrapResult:
    """WCR bootstrap of H0: coefficient = ``null`` for one parameter (JSON-friendly via to_dict)."""

    param: str
    estimate: float
    se: float
    t: float
    null: float
    p_value: float
    ci_lower: float | None
    ci_upper: float | None
    level: float
    reps: int
    seed: int
    weights: str
    n_clusters: int
    full_enumeration: bool
    method: str = "WCR11 (null imposed), CRV1 bootstrap t, two-tailed p = mean(|t| < |t*|)"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, float) and not np.isfinite(v):
                d[k] = None
        return d


def rademacher_weights(n_clusters: int, reps: int, seed: int) -> tuple[np.ndarray, bool]:
    """(G x B) Rademacher weights exactly as ``wildboottest`` draws them; full enumeration of the
    2^G sign vectors (returned with ``True``) when ``2^G < reps``."""
    if n_clusters < 2:
        raise ValueError(f"wild cluster bootstrap needs at least 2 clusters, got {n_clusters}")
    if 2 ** min(n_clusters, 62) < reps:
        return np.array(list(product([-1, 1], repeat=n_clusters)), dtype=float).T, True
    rng = np.random.default_rng(seed=seed)
    return rng.choice([-1, 1], size=n_clusters * reps, replace=True).reshape(n_clusters, reps).astype(float), False


def _codes(values: Any) -> tuple[np.ndarray, int]:
    uniq, inv = np.unique(np.asarray(values), return_inverse=True)
    return inv.ravel(), len(uniq)


def _group_sum(codes: np.ndarray, n: int, values: np.ndarray) -> np.ndarray:
    """Sum of rows of ``values`` (N or N x p) by group code (G or G x p)."""
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=n)
    return np.column_stack([np.bincount(codes, weights=values[:, i], minlength=n)
                            for i in range(values.shape[1])]) if values.shape[1] else np.zeros((n, 0))


def _is_nested(fe: np.ndarray, cluster: np.ndarray) -> bool:
    """True if every level of ``fe`` lies within one cluster."""
    d = pd.DataFrame({"f": fe, "c": cluster})
    return bool((d.groupby("f", sort=False)["c"].nunique() <= 1).all())


class WildBootstrap:
    """Precomputed pieces of the WCR bootstrap of one regression (reuse for several parameters).

    ``y`` (N), ``X`` (N x k slopes, named ``names``), ``fixed_effects`` (name -> N labels),
    ``cluster`` (N labels). The first fixed effect nested in the clusters is absorbed by the
    within transformation; every other fixed effect becomes dummy columns (the first level and any
    column collinear with earlier ones dropped).
    """

    def __init__(self, y: np.ndarray, X: np.ndarray, names: Sequence[str],
                 fixed_effects: dict[str, Any], cluster: Any):
        y = np.asarray(y, dtype=float)
        X = np.asarray(X, dtype=float)
        self.names = list(names)
        cl_codes, G = _codes(cluster)
        self.cluster_codes, self.G, self.N = cl_codes, G, len(y)
        absorbed = None
        dummies = []
        for name, labels in fixed_effects.items():
            labels = np.asarray(labels)
            if absorbed is None and _is_nested(labels, cl_codes):
                absorbed = name
                self._absorb = _codes(labels)
            else:
                dummies.append((name, labels))
        n_dummy = sum(len(np.unique(lab)) - 1 for _, lab in dummies)
        if n_dummy > MAX_DUMMY_COLUMNS:
            raise ValueError(f"wild bootstrap: fixed effects {[n for n, _ in dummies]} are not nested in the "
                             f"clusters and need {n_dummy} dummy columns (limit {MAX_DUMMY_COLUMNS})")
        cols = [X]
        for _, labels in dummies:
            codes, n = _codes(labels)
            D = np.zeros((self.N, n))
            D[np.arange(self.N), codes] = 1.0
            cols.append(D[:, 1:])
        W = np.hstack(cols)
        if absorbed is not None:
            codes, n = self._absorb
            counts = np.bincount(codes, minlength=n).astype(float)
            y = y - (np.bincount(codes, weights=y, minlength=n) / counts)[codes]
            W = W - (_group_sum(codes, n, W) / counts[:, None])[codes]
        else:  # no absorbed effect: the intercept is a column (as in the dummy-variable regression)
            W = np.hstack([W, np.ones((self.N, 1))])
        keep = self._independent_columns(W, X.shape[1])
        self.W = W[:, keep]
        self.y = y
        self.absorbed = absorbed
        self.n_dummy_kept = int(self.W.shape[1] - X.shape[1])
        WtW = self.W.T @ self.W
        self.A = np.linalg.inv(WtW)
        self.beta = self.A @ (self.W.T @ y)
        self.resid = y - self.W @ self.beta
        k_eff = self.W.shape[1] + (1 if absorbed is not None else 0)
        self.ssc = (self.N - 1) / (self.N - k_eff) * G / (G - 1)
        scores = _group_sum(cl_codes, G, self.W * self.resid[:, None])
        self.vcov = self.ssc * self.A @ (scores.T @ scores) @ self.A
        self._weights: dict[tuple[int, int], tuple[np.ndarray, bool]] = {}

    @staticmethod
    def _independent_columns(W: np.ndarray, n_slopes: int) -> np.ndarray:
        """Indices of a maximal set of linearly independent columns, slopes first (pivoted QR of
        the Gram matrix restricted to the dummy block after projecting out the slopes)."""
        from scipy.linalg import qr

        p = W.shape[1]
        if p == n_slopes:
            return np.arange(p)
        G = W.T @ W
        scale = np.sqrt(np.maximum(np.diag(G), 1e-300))
        Gs = G / np.outer(scale, scale)
        _, R, piv = qr(Gs, pivoting=True)
        d = np.abs(np.diag(R))
        rank = int((d > d[0] * 1e-10).sum())
        keep = np.sort(piv[:rank])
        if not set(range(n_slopes)).issubset(keep):
            raise ValueError("wild bootstrap: a regressor is collinear with the fixed effects")
        return keep

    def index(self, param: str) -> int:
        if param not in self.names:
            raise KeyError(f"wild bootstrap: parameter {param!r} not among the regressors {self.names}")
        return self.names.index(param)

    def _pieces(self, j: int, v: np.ndarray):
        """Cluster-level linear pieces: numerator n0 + d*n1 and Z0 + d*Z1 (G x B), d = b_hat - b0."""
        A, W, c, G = self.A, self.W, self.cluster_codes, self.G
        a = W @ A[j]                              # row j of (W'W)^-1 W'
        h = W @ A[:, j] / A[j, j]                 # restricted residual = resid + d * h
        C = _group_sum(c, G, W * a[:, None])      # G x p
        out = []
        for u in (self.resid, h):
            s = _group_sum(c, G, a * u)           # G
            S = _group_sum(c, G, W * u[:, None])  # G x p
            Z = s[:, None] * v - C @ (A @ (S.T @ v))
            out.append((s @ v, Z))
        (n0, Z0), (n1, Z1) = out
        q = [np.einsum("gb,gb->b", P, Q, optimize=False) for P, Q in ((Z0, Z0), (Z0, Z1), (Z1, Z1))]
        return n0, n1, *q

    def draws(self, param: str, *, reps: int = 999, seed: int, null: float = 0.0) -> tuple[float, np.ndarray]:
        """Original t and the B bootstrap t statistics under H0: ``param = null`` (for checks)."""
        j = self.index(param)
        v, _ = rademacher_weights(self.G, reps, seed)
        n0, n1, q00, q01, q11 = self._pieces(j, v)
        d = float(self.beta[j]) - null
        tb = (n0 + d * n1) / np.sqrt(self.ssc * (q00 + 2 * d * q01 + d * d * q11))
        return d / float(np.sqrt(self.vcov[j, j])), tb

    def test(self, param: str, *, reps: int = 999, seed: int, null: float = 0.0, alpha: float = 0.05,
             ci: bool = True, weights: str = "rademacher") -> WildBootstrapResult:
        """WCR bootstrap p-value of H0: ``param = null`` and (``ci``) the test-inversion interval."""
        if weights != "rademacher":
            raise ValueError(f"models.bootstrap.weights: only 'rademacher' is implemented, got {weights!r}")
        if reps < 1:
            raise ValueError(f"models.bootstrap.reps must be positive, got {reps}")
        j = self.index(param)
        key = (int(reps), int(seed))
        if key not in self._weights:  # same draws for every parameter of this regression
            self._weights = {key: rademacher_weights(self.G, reps, seed)}
        v, full = self._weights[key]
        n0, n1, q00, q01, q11 = self._pieces(j, v)
        b, se = float(self.beta[j]), float(np.sqrt(self.vcov[j, j]))

        def pvalue(b0: float) -> float:
            d = b - b0
            t = d / se
            den = self.ssc * (q00 + 2 * d * q01 + d * d * q11)
            tb = (n0 + d * n1) / np.sqrt(np.maximum(den, 1e-300))
            return float(np.mean(np.abs(t) < np.abs(tb)))

        lo = hi = float("nan")
        if ci:
            lo, hi = (self._bound(pvalue, b, se, alpha, s) for s in (-1.0, 1.0))
        return WildBootstrapResult(param=param, estimate=b, se=se, t=(b - null) / se, null=float(null),
                                   p_value=pvalue(null), ci_lower=lo, ci_upper=hi, level=1 - alpha,
                                   reps=int(v.shape[1]), seed=int(seed), weights=weights,
                                   n_clusters=int(self.G), full_enumeration=bool(full))

    @staticmethod
    def _bound(pvalue, b: float, se: float, alpha: float, sign: float, tol: float = 1e-7) -> float:
        """Bound of {b0 : p(b0) > alpha} on one side of b: step outward by se/4 until p <= alpha,
        then bisect to ``tol * se``. Infinite if p stays above alpha up to 100 se."""
        inside, step = 0.0, 0.25
        outside = None
        while inside + step <= 100.0:
            x = inside + step
            if pvalue(b + sign * x * se) <= alpha:
                outside = x
                break
            inside = x
        if outside is None:
            return sign * float("inf")
        while outside - inside > tol:
            mid = 0.5 * (inside + outside)
            if pvalue(b + sign * mid * se) > alpha:
                inside = mid
            else:
                outside = mid
        return float(b + sign * 0.5 * (inside + outside) * se)


def wild_bootstrap_from_data(data: pd.DataFrame, y: str, x: Sequence[str], fixed_effects: Sequence[str],
                             cluster: str, params: Sequence[str], *, reps: int = 999, seed: int,
                             alpha: float = 0.05, ci: bool = True) -> dict[str, WildBootstrapResult]:
    """WCR bootstrap for each of ``params`` on the estimation sample ``data`` (complete cases,
    singletons already removed): ``y ~ x | fixed_effects``, clusters ``cluster`` (one variable;
    multiway clustering is not supported, as in pyfixest/wildboottest). Same weights (same seed)
    for every parameter, as pyfixest's ``wildboottest`` with a fixed seed."""
    if "+" in cluster or "^" in cluster:
        raise ValueError(f"models.bootstrap needs one-way clustering; models.cluster is {cluster!r}")
    missing = [c for c in [y, *x, *fixed_effects, cluster] if c not in data.columns]
    if missing:
        raise KeyError(f"wild bootstrap: column(s) {missing} not in the data")
    wb = WildBootstrap(data[y].to_numpy(float), data[list(x)].to_numpy(float), list(x),
                       {f: data[f].to_numpy() for f in fixed_effects}, data[cluster].to_numpy())
    return {p: wb.test(p, reps=reps, seed=seed, alpha=alpha, ci=ci) for p in params}
