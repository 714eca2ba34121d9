"""Two-stage least squares for the inverted U (the ``iv`` estimator of the model step).

Instruments are industry-year leave-one-out means (the mean of the other firms of the same CSRC
industry in the same year) of Serv and Dig, the square of the Serv instrument and their
interactions for the nonlinear terms (:func:`add_loo_instruments`). This is an *option*, common in
this literature, not a claim of identification.

Weak instruments: with several endogenous regressors the first-stage F of each one alone says
little; :func:`sanderson_windmeijer_f` gives the conditional first-stage F of each endogenous
regressor given the others (Sanderson & Windmeijer 2016, J. Econometrics 190(2), 212-221; Stata
``ivreg2``'s "SW F"), with the same robust or cluster-robust variance as the second stage. A
result is flagged ``weak_instruments`` when the smallest SW F is below 10 (the Staiger-Stock rule
of thumb; Stock-Yogo critical values assume iid errors and a single endogenous regressor).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.estimation import FIXEF_TOL, ModelResult, ModelSpec, cluster_variables

#: Below this smallest Sanderson-Windmeijer F the IV result is flagged as weakly identified.
WEAK_F = 10.0


def loo_mean(frame: pd.DataFrame, column: str, groups: list[str]) -> pd.Series:
    """Leave-one-out mean of ``column`` within ``groups`` (NaN in cells with a single firm-year)."""
    g = frame.groupby(groups, sort=False)[column]
    total, count = g.transform("sum"), g.transform("count")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (total - frame[column]) / (count - 1)
    return out.where(count > 1)


def add_loo_instruments(frame: pd.DataFrame, ms: ModelSpec,
                        groups: tuple[str, ...] = ("industry", "year")) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Instruments for the endogenous terms of ``ms``: industry-year leave-one-out means.

    Serv is instrumented by the mean Serv of the *other* firms in the same CSRC industry and year
    (``iv_x``), Serv^2 by its square; with a moderator, Dig by its leave-one-out mean (``iv_z``) and
    the interactions by the products of the instruments. Returns the frame, the endogenous column
    names and the instrument names (just identified). It identifies the effect only if peer firms'
    servitization affects a firm's performance solely through its own servitization - an
    assumption, not a fact.
    """
    out = frame.copy()
    out[ms.x_sq] = out[ms.x] ** 2
    out["iv_x"] = loo_mean(out, ms.x, list(groups))
    out["iv_x_sq"] = out["iv_x"] ** 2
    endog, inst = [ms.x, ms.x_sq], ["iv_x", "iv_x_sq"]
    if ms.moderator:
        z = ms.moderator
        out[ms.interaction(ms.x)] = out[ms.x] * out[z]
        out[ms.interaction(ms.x_sq)] = out[ms.x_sq] * out[z]
        out["iv_z"] = loo_mean(out, z, list(groups))
        out["iv_x_z"] = out["iv_x"] * out["iv_z"]
        out["iv_x_sq_z"] = out["iv_x_sq"] * out["iv_z"]
        endog += [z, ms.interaction(ms.x), ms.interaction(ms.x_sq)]
        inst += ["iv_z", "iv_x_z", "iv_x_sq_z"]
    return out, endog, inst


def drop_singletons(frame: pd.DataFrame, fes: list[str]) -> pd.DataFrame:
    """Iteratively drop fixed-effect groups with one observation (as reghdfe / pyfixest)."""
    while True:
        bad = pd.Series(False, index=frame.index)
        for fe in fes:
            bad |= frame.groupby(fe, sort=False)[fe].transform("size") == 1
        if not bad.any():
            return frame
        frame = frame.loc[~bad]


def _fit_kwargs(ms: ModelSpec, data: pd.DataFrame) -> tuple[dict[str, Any], int | None, dict[str, int]]:
    """linearmodels ``fit`` arguments for the spec's standard errors, G and clusters per dimension."""
    if ms.se == "cluster":
        cols = cluster_variables(ms.cluster)
        codes = pd.DataFrame({c: pd.factorize(data[c], sort=True)[0] for c in cols}, index=data.index)
        by = {c: int(codes[c].nunique()) for c in cols}
        clusters = codes[cols[0]] if len(cols) == 1 else codes
        return {"cov_type": "clustered", "clusters": clusters, "debiased": True}, min(by.values()), by
    return {"cov_type": "unadjusted" if ms.se == "iid" else "robust", "debiased": True}, None, {}


def _absorbed_levels(data: pd.DataFrame, fes: tuple[str, ...]) -> int:
    """Degrees of freedom the absorbed fixed effects use: levels of each, less one per extra FE
    (the reghdfe/pyfixest count for connected effects)."""
    if not fes:
        return 0
    return int(sum(data[f].nunique() for f in fes) - (len(fes) - 1))


def sanderson_windmeijer_f(dm: pd.DataFrame, endog: list[str], exog: list[str], inst: list[str],
                           fit_kwargs: dict[str, Any]) -> dict[str, float]:
    """Conditional first-stage F of each endogenous regressor (Sanderson & Windmeijer 2016).

    For endogenous x_j: project x_j on the other endogenous regressors by 2SLS with the same
    instruments, take the residual e_j, regress e_j on the instruments and the exogenous regressors
    by OLS with the second stage's variance estimator, and divide the Wald statistic of the
    instruments by L - K1 + 1 (L instruments, K1 endogenous regressors). With one endogenous
    regressor this is the usual first-stage partial F.
    """
    from linearmodels.iv import IV2SLS

    L, K1 = len(inst), len(endog)
    out: dict[str, float] = {}
    exog_df = dm[exog] if exog else None
    for j, xj in enumerate(endog):
        others = [e for k, e in enumerate(endog) if k != j]
        if others:
            resid = IV2SLS(dm[xj], exog_df, dm[others], dm[inst]).fit(cov_type="unadjusted").resids
        else:
            resid = dm[xj]
        X = dm[inst + exog]
        res = IV2SLS(pd.Series(np.asarray(resid, dtype=float), index=dm.index, name="e"), X, None, None).fit(**fit_kwargs)
        b = res.params.loc[inst].to_numpy()
        V = res.cov.loc[inst, inst].to_numpy()
        wald = float(b @ np.linalg.solve(V, b))
        out[xj] = wald / (L - K1 + 1)
    return out


def fit_iv(frame: pd.DataFrame, ms: ModelSpec, quantiles: tuple[float, ...]) -> ModelResult:
    """2SLS of ``ms`` with the leave-one-out instruments (linearmodels ``IV2SLS``).

    The fixed effects are partialled out of every variable (outcome, endogenous terms, controls,
    instruments) by alternating projections (pyfixest's demeaner, tolerance 1e-10); 2SLS on the
    demeaned data equals 2SLS with the fixed-effect dummies as exogenous regressors (Frisch-Waugh-
    Lovell). Standard errors follow ``ms.se``: clustered (one- or two-way) with linearmodels'
    small-sample factor ``G/(G-1) * (N-1)/(N-k)``, k counting the slopes only (fixed effects nested
    in the clusters are not counted, as Stata ``xtivreg2``/``ivreghdfe``), t with G - 1 df; ``hc1``
    and ``iid`` with k counting the slopes and the absorbed fixed-effect levels (as the OLS models),
    t with N - k df.
    """
    from linearmodels.iv import IV2SLS
    from pyfixest.estimation import demean

    data, endog, inst = add_loo_instruments(frame, ms)
    cols = [ms.outcome, *endog, *ms.controls, *inst]
    data = data.dropna(subset=cols + list(ms.fixed_effects) + cluster_variables(ms.cluster))
    if ms.drop_singletons and ms.fixed_effects:
        data = drop_singletons(data, list(ms.fixed_effects))
    if len(data) == 0:
        raise ValueError(f"model {ms.name!r}: no observations left for 2SLS")
    values = data[cols].to_numpy(dtype=float)
    if ms.fixed_effects:
        codes = np.column_stack([pd.factorize(data[fe], sort=True)[0] for fe in ms.fixed_effects]).astype(np.uint64)
        values, ok = demean(values, codes, np.ones(len(data)), tol=FIXEF_TOL)
        if not ok:
            raise RuntimeError(f"model {ms.name!r}: fixed-effect demeaning did not converge")
    dm = pd.DataFrame(values, columns=cols, index=data.index)
    exog = dm[list(ms.controls)] if ms.controls else None
    kwargs, g, by = _fit_kwargs(ms, data)
    res = IV2SLS(dm[ms.outcome], exog, dm[endog], dm[inst]).fit(**kwargs)
    names = [*endog, *ms.controls]
    params = res.params.loc[names]
    cov = res.cov.loc[names, names]
    n, k = len(data), len(names)
    if ms.se == "cluster":
        df_t = float(g - 1)
    else:  # count the absorbed fixed effects as the OLS models do
        k_fe = _absorbed_levels(data, ms.fixed_effects)
        df_t = float(n - k - k_fe)
        cov = cov * (n - k) / df_t
    x = data[ms.x]
    mod_values, mod_range = {}, None
    if ms.moderator:
        z = data[ms.moderator]
        mod_values = {f"p{int(round(q * 100))}": float(z.quantile(q)) for q in quantiles}
        mod_range = (float(z.min()), float(z.max()))
    d = ms.to_dict()
    d["formula"] = d["formula"] + " (2SLS: " + ", ".join(endog) + " ~ " + ", ".join(inst) + ")"
    sw = sanderson_windmeijer_f(dm, endog, list(ms.controls), inst, kwargs)
    extras: dict[str, Any] = {"method": "iv", "instruments": inst, "first_stage_sw_f": sw,
                              "first_stage_min_f": min(sw.values()), "weak_instrument_threshold": WEAK_F,
                              "weak_instruments": bool(min(sw.values()) < WEAK_F)}
    if len(by) > 1:
        extras["n_clusters_by"] = by
    return ModelResult(
        spec=d, names=names, coef=[float(v) for v in params], se=[float(v) for v in np.sqrt(np.diag(cov))],
        vcov=cov.to_numpy(dtype=float).tolist(), n_obs=int(n), n_clusters=g, df_t=df_t,
        r2_within=None, x_range=(float(x.min()), float(x.max())), moderator_values=mod_values,
        moderator_range=mod_range, extras=extras,
        n_firms=int(data["firm"].nunique()) if "firm" in data.columns else None,
    )
