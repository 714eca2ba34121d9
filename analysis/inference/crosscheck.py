"""Cross-check of the pyfixest estimates with linearmodels ``PanelOLS`` (an independent code path).

The model of a :class:`analysis.estimation.ModelSpec` is refitted on the *same* estimation sample
(the rows pyfixest used, i.e. after complete-case and singleton removal), and the coefficients and
standard errors are compared.

How the small-sample conventions are matched (methods reference, section 4; checked numerically
in tests/inference/test_crosscheck.py):

- pyfixest CRV1 (default ``ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")``)
  scales by ``(N-1)/(N-K) * G/(G-1)``. With firm and year effects and clustering by firm, the
  firm effects are nested in the clusters and counted once, the year effects are counted in full:
  K = k + T (the Stata ``xtreg y x i.year, fe vce(cluster firm)`` count, which includes the
  constant).
- linearmodels ``PanelOLS(entity_effects=True)`` with the *other* fixed effects as dummy regressors
  (first level dropped) plus a constant, fitted with ``cov_type="clustered", cluster_entity=True,
  debiased=True, group_debias=True``: the single entity effect is nested in the clusters and not
  counted (``auto_df``), the regressors are k + (T - 1) + 1 = k + T, and
  ``group_debias`` supplies ``G/(G-1) * (N-1)/N``, so the scale is the same. Fitting two-way
  effects instead (``time_effects=True``) counts the entity effects as well and the standard
  errors differ in the second significant digit.
- Two-way clustering (``cluster: firm+year``): linearmodels scales each of V_firm, V_year and
  V_firm-year by its own G/(G-1) under ``group_debias``, pyfixest scales their sum by
  min(G)/(min(G)-1) and counts both nested effects once (K = k + 1 + non-nested FE). The
  comparison fits linearmodels with ``debiased=False, group_debias=False`` (no scaling: V_firm +
  V_year - V_firm-year) and applies pyfixest's scalar; the structure of the estimator, which is
  what can go wrong, is still compared element by element.
"""

from __future__ import annotations

import math

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.estimation import (ModelSpec, add_model_terms, cluster_variables, estimation_sample,
                                 fit_model)

__all__ = ["CrossCheck", "crosscheck", "panelols_fit"]


@dataclass
class CrossCheck:
    """Coefficients and SEs from both paths and their largest absolute differences."""

    names: list[str]
    coef_pyfixest: list[float]
    coef_linearmodels: list[float]
    se_pyfixest: list[float]
    se_linearmodels: list[float]
    max_abs_diff_coef: float
    max_abs_diff_se: float
    se_scale: float
    note: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def record(self) -> dict[str, Any]:
        """What a saved result keeps: rounding noise (~1e-14) is not byte-stable across machines, so
        the differences are recorded as power-of-ten bounds with the verdict."""
        def above(x: float) -> float:
            return float(10.0 ** math.ceil(math.log10(max(x, 1e-300))))

        return {"coef_max_abs_diff_below": above(self.max_abs_diff_coef),
                "se_max_abs_diff_below": above(self.max_abs_diff_se),
                "coef_equal_1e-8": self.max_abs_diff_coef < 1e-8, "se_equal_1e-6": self.max_abs_diff_se < 1e-6,
                "note": self.note}


def _dummies(values: pd.Series, name: str) -> pd.DataFrame:
    levels = np.sort(values.unique())
    out = pd.DataFrame({f"{name}[{lv}]": (values.to_numpy() == lv).astype(float) for lv in levels[1:]},
                       index=values.index)
    return out


def panelols_fit(sample: pd.DataFrame, spec: ModelSpec):
    """linearmodels PanelOLS of ``spec`` on ``sample`` (already the estimation sample with the model
    terms). The first fixed effect is the entity effect; the others enter as dummy regressors with
    a constant. Returns ``(result, se_scale, note)``: pyfixest's SE = linearmodels SE * se_scale."""
    from linearmodels.panel import PanelOLS

    if not spec.fixed_effects:
        raise ValueError(f"model {spec.name!r}: the PanelOLS cross-check needs at least one fixed effect")
    entity, *others = spec.fixed_effects
    time_col = "year" if "year" in sample.columns and entity != "year" else None
    d = sample.copy()
    d["_t"] = d[time_col] if time_col else d.groupby(entity).cumcount()
    d = d.set_index([entity, "_t"], drop=False)
    exog = d[spec.regressors].astype(float)
    dummies = [_dummies(d[f], f) for f in others]
    exog = pd.concat([exog, *dummies], axis=1)
    exog.insert(0, "const", 1.0)
    mod = PanelOLS(d[spec.outcome].astype(float), exog, entity_effects=True, drop_absorbed=True,
                   check_rank=False)
    clusters = cluster_variables(spec.cluster)
    if not clusters:
        raise ValueError(f"model {spec.name!r}: the cross-check compares clustered standard errors "
                         "(models.cluster is null)")
    n = len(d)
    k_pf = pyfixest_k(sample, spec, clusters)
    if len(clusters) == 1:
        codes = pd.factorize(d[clusters[0]])[0]
        res = mod.fit(cov_type="clustered", clusters=pd.DataFrame({"c": codes}, index=d.index),
                      debiased=True, group_debias=True)
        k_lm = len(res.params)
        scale = float(np.sqrt((n - k_lm) / (n - k_pf)))
        return res, scale, ("one-way: PanelOLS(entity_effects, other FE as dummies + const), clustered, "
                            f"debiased=True, group_debias=True; K linearmodels={k_lm}, K pyfixest={k_pf}"
                            + ("" if k_lm == k_pf else " (pyfixest counts fixed-effect levels that are "
                               "collinear with the nested effect), SE scaled by sqrt((N-K_lm)/(N-K_pf))"))
    cl = pd.DataFrame({c: pd.factorize(d[c])[0] for c in clusters}, index=d.index)
    res = mod.fit(cov_type="clustered", clusters=cl, debiased=False, group_debias=False,
                  auto_df=False, count_effects=False)
    g_min = int(min(d[c].nunique() for c in clusters))
    scale = float(np.sqrt((n - 1) / (n - k_pf) * g_min / (g_min - 1)))
    return res, scale, ("two-way: PanelOLS clustered by both, debiased=False, group_debias=False, "
                        f"SE times sqrt((N-1)/(N-K) * minG/(minG-1)) with K={k_pf}, minG={g_min}")


def pyfixest_k(sample: pd.DataFrame, spec: ModelSpec, clusters: list[str]) -> int:
    """K of pyfixest's CRV1 small-sample factor (``pyfixest.utils.utils.get_ssc`` with
    ``k_fixef="nonnested"``): slopes + levels of every fixed effect not nested in a cluster
    variable + 1 for each nested one, less (number of fixed effects - 1)."""
    k_fe = 0
    for f in spec.fixed_effects:
        nested = any(sample.groupby(f)[c].nunique().max() <= 1 for c in clusters)
        k_fe += 1 if nested else sample[f].nunique()
    return len(spec.regressors) + k_fe - max(len(spec.fixed_effects) - 1, 0)


def crosscheck(panel: pd.DataFrame, spec: ModelSpec, fit: Any = None) -> CrossCheck:
    """Fit ``spec`` with pyfixest (unless ``fit`` is given) and with linearmodels on the same rows."""
    fit = fit if fit is not None else fit_model(panel, spec)
    sample = add_model_terms(estimation_sample(panel, fit), spec)
    res, scale, note = panelols_fit(sample, spec)
    names = list(spec.regressors)
    cp = fit.coef().loc[names].to_numpy(float)
    sp = fit.se().loc[names].to_numpy(float)
    missing = [n for n in names if n not in res.params.index]
    if missing:
        raise ValueError(f"model {spec.name!r}: linearmodels dropped {missing} as absorbed by the fixed effects")
    cl = res.params.loc[names].to_numpy(float)
    sl = res.std_errors.loc[names].to_numpy(float) * scale
    return CrossCheck(names=names, coef_pyfixest=cp.tolist(), coef_linearmodels=cl.tolist(),
                      se_pyfixest=sp.tolist(), se_linearmodels=sl.tolist(),
                      max_abs_diff_coef=float(np.max(np.abs(cp - cl))),
                      max_abs_diff_se=float(np.max(np.abs(sp - sl))), se_scale=scale, note=note)
