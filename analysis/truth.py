"""Compare estimates with the true model of the demo sample (truth recovery).

For the moderated model: each true coefficient (b1..b5 on serv, serv_sq, dig, serv_x_dig,
serv_sq_x_dig, and the controls) against its 95% confidence interval, and the true turning point
X*(z) = -(b1 + b4 z) / (2 (b2 + b5 z)) at the moderator quantiles against the Fieller set.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from scipy import stats

from analysis.estimation import ModelResult


def _true_turning_point(m: dict[str, Any], z: float) -> float:
    return -(m["b1"] + m["b4"] * z) / (2.0 * (m["b2"] + m["b5"] * z))


def true_coefficients(result: ModelResult, truth: dict[str, Any]) -> dict[str, float]:
    """The true model's coefficients under the result's coefficient names (moderated model only)."""
    m = truth["model"]
    x, z = result.spec["x"], result.spec["moderator"]
    if z is None:
        raise ValueError("truth recovery needs the moderated model (the true model has Serv x Dig terms)")
    return {x: m["b1"], f"{x}_sq": m["b2"], z: m["b3"], f"{x}_x_{z}": m["b4"],
            f"{x}_sq_x_{z}": m["b5"], **m["controls"]}


def truth_recovery(result: ModelResult, truth: dict[str, Any], level: float = 0.95) -> pd.DataFrame:
    """One row per checked quantity: true value, estimate, interval, whether it is covered."""
    m = truth["model"]
    true_coef = true_coefficients(result, truth)
    crit = stats.t.ppf(0.5 + level / 2, result.df_t)
    rows = []
    params = result.params()
    se = pd.Series(result.se, index=result.names)
    for name, true in true_coef.items():
        if name not in params.index:
            continue
        lo, hi = params[name] - crit * se[name], params[name] + crit * se[name]
        rows.append({"quantity": name, "true": true, "estimate": params[name], "lower": lo, "upper": hi,
                     "interval": "t", "covered": bool(lo <= true <= hi)})
    mod = pd.DataFrame(result.extras["moderation"])
    for q, zval in result.moderator_values.items():
        f = mod[(mod["quantity"] == "turning_point_fieller") & (mod["note"] == q)].iloc[0]
        true = _true_turning_point(m, zval)
        kind = f["ci_kind"]
        lo = f["ci_lower"] if f["ci_lower"] is not None else float("-inf")
        hi = f["ci_upper"] if f["ci_upper"] is not None else float("inf")
        covered = (lo <= true <= hi) if kind == "bounded" else (true <= lo or true >= hi) if kind == "two_rays" else True
        rows.append({"quantity": f"turning_point_{q}", "true": true, "estimate": f["estimate"], "lower": lo,
                     "upper": hi, "interval": f"fieller:{kind}", "covered": bool(covered)})
    return pd.DataFrame(rows)


def joint_wald(result: ModelResult, truth: dict[str, Any]) -> dict[str, float]:
    """Joint Wald test of H0: every coefficient of the true model equals its true value.

    F = (b - b0)' V^-1 (b - b0) / k against F(k, df_t): under a correct estimator and covariance it
    rejects at 5% in 5% of samples, so "p > 0.05" is a recovery check that holds with probability
    0.95, unlike requiring each of k separate 95% intervals to cover (probability about 0.95^k).
    """
    import numpy as np

    true_coef = true_coefficients(result, truth)
    names = [n for n in true_coef if n in result.names]
    d = result.params().loc[names].to_numpy() - np.array([true_coef[n] for n in names])
    V = result.cov().loc[names, names].to_numpy()
    k = len(names)
    f_stat = float(d @ np.linalg.solve(V, d) / k)
    return {"f": f_stat, "k": k, "df": result.df_t, "p": float(stats.f.sf(f_stat, k, result.df_t))}
