"""Influence of each firm (cluster) on the inverted U: b2, the turning point and b5.

A referee's question "do a handful of firms make the paradox?" is answered by leave-one-cluster-out
estimates (the cluster jackknife): for every cluster g of a model (the firm under ``models.cluster: firm``,
the first variable of a two-way clustering), the model's point estimates without g's rows. They are exact, not
a one-step (DFBETA) approximation. When a fixed effect's groups lie inside the clusters (the firm effect under
clustering by firm), no refit is needed (:func:`_loco_by_downdating`): demeaned within those groups once, the
other clusters' rows do not change when g is left out, the other effects enter as dummies, and g's normal
equations are the whole sample's cross-products minus g's own. Otherwise each subsample is refitted
(:func:`_loco_by_refits`): demeaned on the fixed effects by alternating projections, singleton groups dropped
again when the model drops them. Either way the slopes equal the model step's on that subsample
(``tests/test_influence.py`` checks both routes against statsmodels with fixed-effect dummies).

Quantities (the conventions of the robustness table): b2 is the coefficient of Serv^2; the turning point
is ``-b1 / (2 b2)`` in a quadratic model and ``-(b1 + b4 z) / (2 (b2 + b5 z))`` at the median moderator z
in a moderated one; b5 is the coefficient of Serv^2 x Dig (moderated models only). Each firm's influence
is the change it causes by its presence: estimate with all firms minus estimate without it, so that
a positive ``infl_b2`` means the firm pushes b2 up.

:func:`refit_without` then refits the model without the most influential firms through the model step
(:func:`analysis.models.estimate_inverted_u`), with its U-test, so the curve with and without them can be
compared.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.estimation import ModelResult, ModelSpec, add_model_terms, cluster_variables, estimation_sample
from analysis.models import ModelOptions, estimate_inverted_u, fit

#: Columns of the per-cluster influence table (``paper/results/influence/<model>.csv``).
INFLUENCE_COLUMNS = ("cluster", "n_obs", "b2", "turning_point", "b5", "infl_b2", "infl_turning_point", "infl_b5",
                     "rank_turning_point")


def turning_point(params: pd.Series | dict, spec: ModelSpec, z: float | None = None) -> float:
    """-b1 / (2 b2), or at moderator value ``z`` -(b1 + b4 z) / (2 (b2 + b5 z)) for a moderated spec."""
    b1, b2 = float(params[spec.x]), float(params[spec.x_sq])
    if spec.moderator and z is not None:
        b1 += float(params[spec.interaction(spec.x)]) * z
        b2 += float(params[spec.interaction(spec.x_sq)]) * z
    return -b1 / (2 * b2) if b2 != 0 else float("nan")


def _demeaned(values: np.ndarray, fe_codes: np.ndarray) -> np.ndarray:
    """Columns of ``values`` demeaned on the fixed effects (alternating projections to a relative tolerance of
    1e-12, :func:`analysis.inference.two_lines.demean`; no compilation, so a job starts at once)."""
    from analysis.inference.two_lines import demean

    return demean(values, fe_codes)


def _within_slopes(values: np.ndarray, fe_codes: np.ndarray | None) -> np.ndarray:
    """Least-squares slopes of column 0 on the other columns after demeaning on the fixed effects."""
    if fe_codes is not None and fe_codes.shape[1]:
        values = _demeaned(values, fe_codes)
    else:  # no fixed effects: the model's intercept, by centring (Frisch-Waugh-Lovell)
        values = values - values.mean(axis=0)
    beta, *_ = np.linalg.lstsq(values[:, 1:], values[:, 0], rcond=None)
    return beta


def _singleton_free(fe_codes: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``keep`` less the rows of fixed-effect groups with one observation, iterated (as pyfixest)."""
    keep = keep.copy()
    while True:
        bad = np.zeros(len(keep), dtype=bool)
        for j in range(fe_codes.shape[1]):
            counts = np.bincount(fe_codes[keep, j], minlength=int(fe_codes[:, j].max()) + 1)
            bad |= keep & (counts[fe_codes[:, j]] == 1)
        if not bad.any():
            return keep
        keep &= ~bad


def _downdating_plan(sample: pd.DataFrame, fes: list[str], by: str, max_dummies: int = 300
                     ) -> tuple[int, list[int]] | None:
    """(index of the fixed effect absorbed by demeaning, indices of those entered as dummies) when a fixed effect
    has its groups nested in the clusters (the firm effect under clustering by firm) and the others have at most
    ``max_dummies`` levels in all; None otherwise."""
    if not fes:
        return None
    nested = [j for j, c in enumerate(fes) if sample.groupby(c, sort=False)[by].nunique().max() == 1]
    if not nested:
        return None
    absorbed = max(nested, key=lambda j: sample[fes[j]].nunique())
    others = [j for j in range(len(fes)) if j != absorbed]
    if sum(sample[fes[j]].nunique() for j in others) > max_dummies:
        return None
    return absorbed, others


def _loco_by_downdating(values: np.ndarray, fe_codes: np.ndarray, codes: np.ndarray, n_clusters: int,
                        absorbed: int, others: list[int]) -> list[np.ndarray]:
    """Leave-one-cluster-out slopes, exactly, without refitting: the absorbed effect's groups lie inside the
    clusters, so demeaning within them once leaves every other cluster's rows unchanged when a cluster is left
    out; the other effects enter as dummies (one level of each left out). The cross-products of the demeaned
    columns minus the left-out cluster's own give each cluster's normal equations; a dummy whose level has no
    row left is dropped (a level with one row left absorbs it, as dropping that singleton would)."""
    dummies, levels = [], []
    for j in others:
        n = int(fe_codes[:, j].max()) + 1
        d = np.zeros((len(values), n - 1))
        rows = fe_codes[:, j] > 0
        d[np.nonzero(rows)[0], fe_codes[rows, j] - 1] = 1.0
        dummies.append(d)
        levels.append(fe_codes[:, j])
    W = np.column_stack([values, *dummies]) if dummies else values
    g_abs = fe_codes[:, absorbed]
    sizes = np.bincount(g_abs)
    means = np.stack([np.bincount(g_abs, weights=W[:, k]) for k in range(W.shape[1])], axis=1) / sizes[:, None]
    W = W - means[g_abs]
    total = W.T @ W
    k_x = values.shape[1] - 1  # slopes of the model (column 0 is the outcome)
    out = []
    for g in range(n_clusters):
        rows = codes == g
        A = total - W[rows].T @ W[rows]
        keep = np.ones(W.shape[1], dtype=bool)
        start = values.shape[1]
        for lev in levels:
            n_left = np.bincount(lev[~rows], minlength=int(lev.max()) + 1)[1:]
            keep[start:start + len(n_left)] = n_left > 0
            start += len(n_left)
        idx = np.nonzero(keep[1:])[0] + 1
        beta = np.linalg.solve(A[np.ix_(idx, idx)], A[idx, 0])
        out.append(beta[:k_x])
    return out


def _loco_by_refits(values: np.ndarray, fe_codes: np.ndarray | None, codes: np.ndarray, n_clusters: int,
                    drop_singletons: bool) -> list[np.ndarray]:
    """Leave-one-cluster-out slopes by refitting on each subsample (any fixed effects)."""
    # Demeaned once on the whole sample: the fixed-effect part of a column is a sum of the effects, which the
    # subsample's own fixed effects absorb, so demeaning these values again on a subsample gives the
    # subsample's within values exactly, in a few iterations instead of hundreds.
    if fe_codes is not None:
        values = _demeaned(values, fe_codes)
    out = []
    for g in range(n_clusters):
        keep = codes != g
        if drop_singletons and fe_codes is not None:
            keep = _singleton_free(fe_codes, keep)
        out.append(_within_slopes(values[keep], fe_codes[keep] if fe_codes is not None else None))
    return out


def cluster_influence(panel: pd.DataFrame, spec: ModelSpec, options: ModelOptions) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Leave-one-cluster-out estimates of ``spec`` on ``panel``: one row per cluster (:data:`INFLUENCE_COLUMNS`,
    ranked by the absolute change of the turning point) and the full-sample values (b2, turning point, b5,
    median moderator, cluster variable) with the estimation sample as ``firm:year`` keys."""
    result, f = fit(panel, spec, options)  # the model step's fit: its sample and full-sample coefficients
    sample = add_model_terms(estimation_sample(panel, f), spec)
    by = (cluster_variables(spec.cluster) or ["firm"])[0]
    names = list(spec.regressors)
    values = sample[[spec.outcome, *names]].to_numpy(dtype=float)
    fes = list(spec.fixed_effects)
    fe_codes = (np.column_stack([pd.factorize(sample[c], sort=True)[0] for c in fes]).astype(np.int64)
                if fes else None)
    z = float(sample[spec.moderator].median()) if spec.moderator else None

    def summary(beta: np.ndarray) -> tuple[float, float, float]:
        p = dict(zip(names, beta))
        b5 = p[spec.interaction(spec.x_sq)] if spec.moderator else float("nan")
        return float(p[spec.x_sq]), turning_point(p, spec, z), float(b5)

    full = summary(np.asarray(result.params().loc[names], dtype=float))
    groups = sample[by].to_numpy()
    codes, uniques = pd.factorize(groups, sort=True)
    plan = _downdating_plan(sample, fes, by)
    betas = (_loco_by_downdating(values, fe_codes, codes, len(uniques), *plan) if plan is not None
             else _loco_by_refits(values, fe_codes, codes, len(uniques), spec.drop_singletons))
    rows = []
    for g, name in enumerate(uniques):
        b2, tp, b5 = summary(betas[g])
        rows.append({"cluster": name, "n_obs": int((codes == g).sum()), "b2": b2, "turning_point": tp, "b5": b5,
                     "infl_b2": full[0] - b2, "infl_turning_point": full[1] - tp, "infl_b5": full[2] - b5})
    table = pd.DataFrame(rows, columns=[c for c in INFLUENCE_COLUMNS if c != "rank_turning_point"])
    order = table["infl_turning_point"].abs().fillna(np.inf).sort_values(ascending=False, kind="mergesort").index
    table = table.loc[order].reset_index(drop=True)
    table["rank_turning_point"] = np.arange(1, len(table) + 1)
    info = {"model": spec.name, "cluster_variable": by, "n_clusters": int(len(uniques)), "n_obs": int(len(sample)),
            "b2": full[0], "turning_point": full[1], "b5": full[2] if spec.moderator else None,
            "moderator_median": z, "ranked_by": "abs(infl_turning_point)",
            "sample": [f"{f}:{int(y)}" for f, y in zip(sample["firm"], sample["year"])]}
    return table, info


def most_influential(table: pd.DataFrame, k: int, by: str = "infl_turning_point") -> list:
    """The ``k`` clusters with the largest absolute influence on ``by`` (ties in table order)."""
    order = table[by].abs().fillna(np.inf).sort_values(ascending=False, kind="mergesort").index
    return list(table.loc[order[:k], "cluster"])


def refit_without(panel: pd.DataFrame, spec: ModelSpec, options: ModelOptions, clusters: list,
                  by: str = "firm") -> ModelResult:
    """The model step on ``panel`` without the rows of ``clusters`` (U-test and moderation statistics)."""
    frame = panel[~panel[by].isin(clusters)].reset_index(drop=True)  # the model step reads rows by position
    return estimate_inverted_u(frame, spec, options, details=False)


def influence_record(panel: pd.DataFrame, spec: ModelSpec, options: ModelOptions, top: int
                     ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per-cluster influence table and a JSON-ready record: the full-sample values, the ``top`` firms that
    move the turning point most, and the model refitted without them (b1, b2, turning point, U-test p, b5)."""
    table, info = cluster_influence(panel, spec, options)
    drop = most_influential(table, top)
    res = refit_without(panel, spec, options, drop, info["cluster_variable"])
    p = res.params()
    without = {"n_obs": res.n_obs, "n_clusters": res.n_clusters, "b1": float(p[spec.x]), "b2": float(p[spec.x_sq]),
               "turning_point": turning_point(p, spec, info["moderator_median"]),
               "p_sasabuchi": res.extras["utest"]["p_sasabuchi"], "x_range": list(res.x_range),
               "b5": float(p[spec.interaction(spec.x_sq)]) if spec.moderator else None}
    if spec.moderator:
        without["b4"] = float(p[spec.interaction(spec.x)])
    info.update({"top": int(top), "dropped": [str(c) for c in drop], "without_top": without})
    return table, info
