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
- :func:`heterogeneity`: the baseline inverted U within each group of a column (region: East,
  Central, West; ownership: state-owned, non-state), and for every pair of groups the b2 difference
  with :func:`group_difference`'s permutation p. Firm-years without a group are left out and counted.

Every model is fitted by the one model step, :func:`analysis.models.estimate_inverted_u`.
Randomness comes from ``numpy.random.default_rng(seed)`` with the config's ``seed``.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.estimation import ModelSpec
from analysis.models import ModelOptions, estimate_inverted_u


def baseline_spec(models: Mapping[str, Any]) -> tuple[ModelSpec, ModelOptions]:
    """The checks' model: the baseline inverted U of the first outcome, with the ``models`` settings."""
    options = ModelOptions.from_config(models)
    outcome = models["outcomes"][0]
    return options.spec(f"baseline_{outcome}", outcome, models["x"], controls=models["controls"],
                        fixed_effects=models["fixed_effects"]), options


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


#: the heterogeneity splits: name -> (panel column, {group name: value of the column}), groups in table order
HETEROGENEITY: dict[str, tuple[str, dict[str, Any]]] = {
    "region": ("region", {"east": "east", "central": "central", "west": "west"}),
    "ownership": ("soe", {"state": 1, "non_state": 0}),
}


def heterogeneity(panel: pd.DataFrame, spec: ModelSpec, options: ModelOptions, by: str, groups: Mapping[str, Any],
                  reps: int, seed: int, min_obs: int) -> dict[str, Any]:
    """The model ``spec`` within each group of column ``by`` (``groups``: name -> value, in table order)
    and, for every pair of groups that could be estimated, the difference of b2 with the Fisher
    permutation p of :func:`group_difference` (the pair's firms' labels permuted ``reps`` times, seeded
    by ``seed``).

    A firm belongs to the group of its first firm-year in ``panel`` (its region never changes; a firm
    whose ownership changes stays in its first group), so that the columns are exactly the groups the
    permutation test compares. Firm-years whose ``by`` is missing are left out and recorded
    (``n_missing``, ``n_firms_missing``, ``firms_missing``); a group with fewer than ``min_obs``
    firm-years (``models.min_observations``) or whose model cannot be fitted is ``skipped`` with the reason,
    and a pair whose permutation fits fail is ``failed`` with the reason."""
    missing = panel[by].isna()
    data = panel[~missing]
    firm_group = data.groupby("firm", sort=True)[by].first()
    unknown = sorted(set(firm_group) - set(groups.values()), key=str)
    if unknown:
        raise ValueError(f"column {by!r} has values {unknown} outside the groups {dict(groups)}")
    name_of = {v: k for k, v in groups.items()}
    member = data["firm"].map(firm_group).map(name_of)
    fitted = []
    for name in groups:
        part = data[member == name].reset_index(drop=True)
        entry: dict[str, Any] = {"group": name, "n_obs": int(len(part)), "n_firms": int(part["firm"].nunique())}
        if len(part) < min_obs:
            fitted.append({**entry, "status": "skipped",
                           "reason": f"{len(part)} firm-years, fewer than models.min_observations = {min_obs}"})
            continue
        try:
            r = estimate_inverted_u(part, replace(spec, name=f"{spec.name}_{name}"), options)
        except ValueError as exc:  # too few firm-years (PanelTooSmall) or a model that cannot be fitted
            fitted.append({**entry, "status": "skipped", "reason": str(exc)})
            continue
        fitted.append({**entry, "status": "ok", "result": r.to_dict()})
    pairs = []
    for a, b in combinations([f["group"] for f in fitted if f["status"] == "ok"], 2):
        in_pair = member.isin([a, b])
        try:
            d = group_difference(data[in_pair].assign(_group_a=(member[in_pair] == a).astype(int)), spec, options,
                                 "_group_a", reps, seed)
        except ValueError as exc:  # a permuted group whose model cannot be fitted
            pairs.append({"a": a, "b": b, "status": "failed", "reason": f"{type(exc).__name__}: {exc}"})
            continue
        pairs.append({"a": a, "b": b, "status": "ok", "b2_a": d["group_1"]["b2"], "b2_b": d["group_0"]["b2"],
                      "diff": d["diff"], "p_permutation": d["p_permutation"], "n_firms_a": d["n_firms_1"], "n_firms_b": d["n_firms_0"]})
    return {"by": by, "status": "ok", "groups": fitted, "pairs": pairs, "reps": int(reps), "seed": int(seed),
            "n_missing": int(missing.sum()), "n_firms_missing": int(panel.loc[missing, "firm"].nunique()),
            "firms_missing": sorted(map(str, panel.loc[missing, "firm"].unique()))}
