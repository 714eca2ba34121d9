"""The referees' standard checks of this literature, computed on the estimation panel.

- :func:`vif`: variance inflation factors of the regressors of the main model (Serv, Serv², the
  controls), each 1 / (1 - R²) of the regressor on the others with an intercept (pooled, as Stata's
  ``estat vif`` after ``regress``). Serv and Serv² are collinear by construction: their VIF is
  reported, not a problem (Lind & Mehlum 2010).
- :func:`group_mean_differences`: means of the model variables in two groups (e.g. SOE and
  non-SOE) with Welch's t test of the difference (unequal variances).
- :func:`placebo`: the quadratic model with Serv permuted across firm-years (seeded), ``reps`` times;
  the share of placebo models whose U-test rejects is the false-positive rate (it should be near
  ``alpha``), set against the real estimate.
- :func:`group_difference`: the difference of b2 (Serv²) between two groups, with a Fisher
  permutation p-value (firms' group labels permuted, as Stata's ``bdiff``), seeded.

Every model is fitted by the one model step, :func:`analysis.models.estimate_inverted_u`.
Randomness comes from ``numpy.random.default_rng(seed)`` with the config's ``seed``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

import numpy as np
import pandas as pd

from analysis.estimation import ModelSpec
from analysis.models import ModelOptions, estimate_inverted_u


def vif(panel: pd.DataFrame, variables: Sequence[str]) -> pd.DataFrame:
    """VIF of each variable on the others (complete cases, with an intercept)."""
    d = panel[list(variables)].dropna().astype("float64")
    X = d.to_numpy()
    rows = []
    for j, v in enumerate(variables):
        y = X[:, j]
        others = np.column_stack([np.ones(len(d)), np.delete(X, j, axis=1)])
        beta, *_ = np.linalg.lstsq(others, y, rcond=None)
        resid = y - others @ beta
        r2 = 1 - resid @ resid / ((y - y.mean()) @ (y - y.mean()))
        rows.append({"variable": v, "vif": float(1 / (1 - r2)) if r2 < 1 else float("inf"), "r2": float(r2),
                     "n": int(len(d))})
    return pd.DataFrame(rows)


def group_mean_differences(panel: pd.DataFrame, variables: Sequence[str], group: str) -> pd.DataFrame:
    """Means by the two values of ``group`` (1 vs 0) and Welch's t test of the difference."""
    from scipy import stats

    g = panel[group]
    values = sorted(g.dropna().unique())
    if len(values) != 2:
        raise ValueError(f"group variable {group!r} must have two values, it has {values}")
    lo, hi = values
    rows = []
    for v in variables:
        a = panel.loc[g == hi, v].dropna().astype("float64")
        b = panel.loc[g == lo, v].dropna().astype("float64")
        va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
        diff = a.mean() - b.mean()
        se = np.sqrt(va + vb)
        df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
        t = diff / se
        rows.append({"variable": v, "group": group, "n_1": int(len(a)), "mean_1": float(a.mean()),
                     "n_0": int(len(b)), "mean_0": float(b.mean()), "diff": float(diff), "se": float(se),
                     "t": float(t), "df": float(df), "p": float(2 * stats.t.sf(abs(t), df))})
    return pd.DataFrame(rows)


def _b2(frame: pd.DataFrame, spec: ModelSpec, options: ModelOptions) -> dict[str, Any]:
    r = estimate_inverted_u(frame.reset_index(drop=True), spec, options, details=False)
    i = r.names.index(spec.x_sq)
    u = r.extras["utest"]
    return {"b2": float(r.coef[i]), "se": float(r.se[i]), "df_t": float(r.df_t), "n_obs": int(r.n_obs),
            "utest_p": float(u["p_sasabuchi"]), "reject": bool(u["reject"])}


def placebo(panel: pd.DataFrame, spec: ModelSpec, options: ModelOptions, reps: int, seed: int) -> dict[str, Any]:
    """The real estimate and ``reps`` placebo estimates with Serv permuted across firm-years."""
    rng = np.random.default_rng(seed)
    real = _b2(panel, spec, options)
    draws = []
    for _ in range(reps):
        fake = panel.copy()
        fake[spec.x] = rng.permutation(panel[spec.x].to_numpy())
        draws.append(_b2(fake, spec, options))
    d = pd.DataFrame(draws)
    return {"real": real, "reps": int(reps), "seed": int(seed), "alpha": options.alpha,
            "share_reject": float(d["reject"].mean()), "share_b2_below_real": float((d["b2"] <= real["b2"]).mean()),
            "b2_mean": float(d["b2"].mean()), "b2_sd": float(d["b2"].std(ddof=1)),
            "b2_p05": float(d["b2"].quantile(0.05)), "b2_p95": float(d["b2"].quantile(0.95)),
            "draws": d.to_dict("list")}


def group_difference(panel: pd.DataFrame, spec: ModelSpec, options: ModelOptions, group: str, reps: int,
                     seed: int) -> dict[str, Any]:
    """b2 in the groups ``group == 1`` and ``group == 0`` and the Fisher permutation p-value of their
    difference: each firm's group label (its first value) is permuted across firms ``reps`` times."""
    data = panel.dropna(subset=[group])
    firm_group = data.groupby("firm", sort=True)[group].first()
    firms, labels = firm_group.index.to_numpy(), firm_group.to_numpy()

    def fit_groups(lab: np.ndarray) -> tuple[dict[str, Any], dict[str, Any]]:
        is1 = data["firm"].map(dict(zip(firms, lab))) == 1
        return _b2(data[is1], replace(spec, name=f"{spec.name}_{group}1"), options), \
            _b2(data[~is1], replace(spec, name=f"{spec.name}_{group}0"), options)

    g1, g0 = fit_groups(labels)
    diff = g1["b2"] - g0["b2"]
    rng = np.random.default_rng(seed)
    perm = []
    for _ in range(reps):
        p1, p0 = fit_groups(rng.permutation(labels))
        perm.append(p1["b2"] - p0["b2"])
    perm = np.asarray(perm)
    p = float((1 + np.sum(np.abs(perm) >= abs(diff))) / (reps + 1))
    return {"group": group, "group_1": g1, "group_0": g0, "diff": float(diff), "p_permutation": p,
            "reps": int(reps), "seed": int(seed), "n_firms_1": int((labels == 1).sum()),
            "n_firms_0": int((labels == 0).sum())}
