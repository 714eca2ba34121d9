"""The mechanism behind the servitization paradox: product-service innovation coupling.

Argument (XCMG case research): the paradox arises when product and service innovation are badly
coupled; digitalization couples them, stage by stage, and makes the product-service system
resilient. This module measures the coupling and tests each link; every function is pure (frames
in, tidy dicts/frames out) and the Snakemake rule ``mechanism`` saves the results.

Measures (:func:`innovation_indicators`, :func:`analysis.coupling.coupling_measures`; firm-years of the estimation
panel, nothing is dropped - a firm-year lacking an input keeps a missing value):

- product innovation (subsystem U1):
  ``rd_intensity`` = R&D expense / operating revenue (canonical table ``rd``, revenue from the
  panel; falls back to total revenue); ``invention_applications`` and ``invention_grants`` =
  ln(1 + count) from the optional canonical table ``patents``;
- service innovation (subsystem U2):
  ``service_growth`` = (service revenue_t - service revenue_{t-1}) / main-business revenue_{t-1}
  (data_clean/servitization.parquet; scaled by last year's total segment revenue rather than by last
  year's service revenue so that it is defined - zero - for firms without a service line and does
  not explode for tiny service lines); ``new_service_lines`` = number of service types (label
  ``service`` in data_clean/segment_labels.csv) reported this year but not last year. Both need the
  previous year's segment data and are missing in a firm's first observed year.
- An indicator with no data at all (e.g. no patent file) is dropped from its subsystem (recorded).
- U1, U2 by entropy weights and C, T, D (:mod:`analysis.coupling`); ``ccd`` = D.

Links (each returns a JSON-ready dict):

(a) :func:`link_dig_coupling`: FE regressions of D (and U1, U2, ln R&D intensity) on Dig;
(b) :func:`link_coupling_moderation`: the inverted U moderated by D (Haans, Pieters & He 2016
    machinery of :mod:`analysis.inference.moderation`, as for Dig);
(c) :func:`mediation`: Dig -> D -> performance, product-of-coefficients indirect effect with a
    firm-cluster bootstrap percentile interval, with the assumptions it rests on;
(d) :func:`stage_heterogeneity` with :func:`classify_stages`;
(e) :func:`resilience`: drop and recovery of performance around an industry-wide shock year.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.coupling import PRODUCT_INDICATORS, SERVICE_INDICATORS, coupling_measures  # noqa: F401 (re-exported)

MEDIATION_ASSUMPTIONS = [
    "Sequential ignorability: given the controls and the firm and year effects, Dig is as good as "
    "randomly assigned with respect to D and performance, and D is as good as randomly assigned with "
    "respect to performance given Dig (no unobserved time-varying confounder of D and performance).",
    "No Dig x D interaction in the outcome model (the effect of D on performance does not depend on Dig); "
    "note that link (b) allows D to moderate the Serv curve, which this linear mediation model ignores.",
    "Linearity and additivity of both equations (product-of-coefficients indirect effect a*b).",
    "Firm clusters are independent (the bootstrap resamples whole firms).",
]
#: with ``curve``: D's effect may vary along the servitization curve (no longer an assumption)
MEDIATION_ASSUMPTIONS_CURVE = [
    MEDIATION_ASSUMPTIONS[0],
    "No Dig x D interaction in the outcome model (the effect of D on performance does not depend on Dig); "
    "it may vary with Serv (b path b0 + b1 Serv + b2 Serv^2, as in link (b)).",
    "Linearity of the mediator equation in Dig (the a path does not vary with Serv); Dig's direct effect may "
    "vary with Serv (c'0 + c'1 Serv + c'2 Serv^2, Dig's own moderation of the curve); the average indirect "
    "effect averages a*b(Serv) over the estimation sample.",
    MEDIATION_ASSUMPTIONS[3],
]


# --------------------------------------------------------------------------- result names
LINKS = ("coupling", "moderation", "mediation", "stages", "resilience")
#: links estimated once per performance outcome (``mechanism.outcomes``); coupling (a) has no outcome
OUTCOME_LINKS = LINKS[1:]


def result_names(outcomes: list[str] | tuple[str, ...]) -> list[str]:
    """Names of the saved link results (paper/results/mechanism/<name>.json, tables mechanism_<name>):
    ``coupling`` and ``<link>_<outcome>`` for the other links and every outcome."""
    return ["coupling"] + [f"{link}_{y}" for link in OUTCOME_LINKS for y in outcomes]


def parse_result_name(name: str) -> tuple[str, str | None]:
    """``moderation_tobin_q`` -> (``moderation``, ``tobin_q``); ``coupling`` -> (``coupling``, None)."""
    link, _, outcome = name.partition("_")
    if link not in LINKS or (link == "coupling") != (outcome == ""):
        raise ValueError(f"not a mechanism result name: {name!r}")
    return link, outcome or None


# --------------------------------------------------------------------------- measures
def yearly(frame: pd.DataFrame) -> pd.DataFrame:
    """A canonical yearly table with a ``year`` column (from ``period_end`` if needed)."""
    f = frame.copy()
    if "year" not in f.columns or f["year"].isna().all():
        f["year"] = pd.to_datetime(f["period_end"]).dt.year
    f = f[f["year"].notna()].copy()
    f["year"] = f["year"].astype("int64")
    return f


def innovation_indicators(panel: pd.DataFrame, rd: pd.DataFrame | None, patents: pd.DataFrame | None,
                          servitization: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """The indicators of both subsystems for every firm-year of ``panel`` (see the module doc)."""
    out = panel[["firm", "year"]].copy().reset_index(drop=True)
    revenue = panel["operating_revenue"] if "operating_revenue" in panel else panel["total_revenue"]
    if "total_revenue" in panel:
        revenue = revenue.fillna(panel["total_revenue"])
    out["revenue"] = revenue.to_numpy(dtype=float)
    # product innovation
    if rd is not None and len(rd):
        r = yearly(rd).groupby(["firm", "year"], as_index=False)["rd_expense"].sum(min_count=1)
        out = out.merge(r, on=["firm", "year"], how="left")
        rev = out["revenue"].where(out["revenue"] > 0)
        out["rd_intensity"] = out["rd_expense"] / rev
    else:
        out["rd_expense"] = np.nan
        out["rd_intensity"] = np.nan
    for col in ("invention_applications", "invention_grants"):
        if patents is not None and len(patents) and col in patents and patents[col].notna().any():
            p = yearly(patents).groupby(["firm", "year"], as_index=False)[col].sum(min_count=1)
            out = out.merge(p.rename(columns={col: f"_{col}"}), on=["firm", "year"], how="left")
            out[col] = np.log1p(out.pop(f"_{col}"))
        else:
            out[col] = np.nan
    # service innovation: growth of service revenue (scaled by last year's main-business revenue)
    s = servitization[["firm", "year", "service_revenue", "segment_revenue"]].copy()
    prev = s.assign(year=s["year"] + 1).rename(columns={"service_revenue": "_sr_prev", "segment_revenue": "_seg_prev"})
    s = s.merge(prev, on=["firm", "year"], how="left")
    s["service_growth"] = (s["service_revenue"] - s["_sr_prev"]) / s["_seg_prev"].where(s["_seg_prev"] > 0)
    out = out.merge(s[["firm", "year", "service_growth"]], on=["firm", "year"], how="left")
    # new service lines: service types present this year, absent last year (last year observed)
    lab = labels[labels["label"] == "service"].copy()
    lab["service_type"] = lab["service_type"].fillna(lab["segment"]).astype(str)
    types = lab.groupby(["firm", "year"])["service_type"].agg(lambda v: frozenset(v)).to_dict()
    observed = set(zip(servitization["firm"], servitization["year"]))
    new_lines = []
    for f, y in zip(out["firm"], out["year"]):
        if (f, y) not in observed or (f, y - 1) not in observed:
            new_lines.append(np.nan)
        else:
            new_lines.append(float(len(types.get((f, y), frozenset()) - types.get((f, y - 1), frozenset()))))
    out["new_service_lines"] = new_lines
    return out


# --------------------------------------------------------------------------- regressions
def _feols(frame: pd.DataFrame, y: str, xs: Sequence[str], fe: Sequence[str], cluster: str | None,
           se: str | None = None):
    """A link regression with the model options' standard errors (``se``, ``cluster``: as
    :func:`analysis.estimation.vcov_of`)."""
    import pyfixest as pf
    from pyfixest.demeaners import MapDemeaner

    from analysis.estimation import FIXEF_TOL, PanelTooSmall, cluster_variables, vcov_of

    vcov = vcov_of(se, cluster)
    fml = f"{y} ~ {' + '.join(xs)}" + (f" | {' + '.join(fe)}" if fe else "")
    cols = list(dict.fromkeys([y, *xs, *fe, *(cluster_variables(cluster) if isinstance(vcov, dict) else [])]))
    data = frame[cols].replace([np.inf, -np.inf], np.nan).dropna().reset_index(drop=True)
    if data.empty:  # pyfixest would abort the process (a Rust panic), not raise
        raise PanelTooSmall(f"no firm-year has every variable of {fml}: see data_clean/sample_ledger.csv")
    return pf.feols(fml, data=data, vcov=vcov, fixef_rm="singleton" if fe else "none",
                    demeaner=MapDemeaner(fixef_tol=FIXEF_TOL))


def regression_rows(fit, model: str, terms: Sequence[str] | None = None, alpha: float = 0.05) -> list[dict]:
    """Tidy rows (model, term, coef, se, t, p, ci, n_obs, n_clusters) of a pyfixest fit."""
    tidy = fit.tidy(alpha=alpha)
    g = getattr(fit, "_G", None)
    rows = []
    for term, r in tidy.iterrows():
        if terms is not None and term not in terms:
            continue
        rows.append({"model": model, "outcome": fit._depvar, "term": str(term),
                     "coef": float(r["Estimate"]), "se": float(r["Std. Error"]), "t": float(r["t value"]),
                     "p": float(r["Pr(>|t|)"]), "ci_lower": float(r.iloc[4]), "ci_upper": float(r.iloc[5]),
                     "n_obs": int(fit._N), "n_clusters": int(min(g)) if g else None})
    return rows


def link_dig_coupling(frame: pd.DataFrame, *, dig: str = "dig", controls: Sequence[str] = (),
                      fixed_effects: Sequence[str] = ("firm", "year"), cluster: str | None = "firm",
                      outcomes: Sequence[str] = ("ccd", "u1", "u2", "ln_rd_intensity"),
                      alpha: float = 0.05, se: str | None = None) -> dict[str, Any]:
    """Link (a): does digitalization raise coupling? y = firm + year + g Dig + controls + e for y
    in ``outcomes`` (those present with data); rows for g (one-sided H1: g > 0 reported too)."""
    f = frame.copy()
    if "ln_rd_intensity" in outcomes and "rd_intensity" in f:
        f["ln_rd_intensity"] = np.log(f["rd_intensity"].where(f["rd_intensity"] > 0))
    rows = []
    for y in outcomes:
        if y not in f or f[y].notna().sum() < 10:
            continue
        fit = _feols(f, y, [dig, *controls], fixed_effects, cluster, se)
        for r in regression_rows(fit, f"dig_{y}", [dig], alpha):
            r["p_one_sided_positive"] = float(r["p"] / 2 if r["coef"] > 0 else 1 - r["p"] / 2)
            rows.append(r)
    return {"link": "a", "description": "FE regression of coupling measures on Dig",
            "controls": list(controls), "fixed_effects": list(fixed_effects), "cluster": cluster,
            "se": se or ("cluster" if cluster else "hc1"), "rows": rows}


def link_coupling_moderation(frame: pd.DataFrame, options, *, outcome: str, x: str, moderator: str = "ccd",
                             controls: Sequence[str] = (), fixed_effects: Sequence[str] = ("firm", "year")) -> dict[str, Any]:
    """Link (b): the inverted U of ``outcome`` in ``x`` moderated by coupling D, through the model step
    (:func:`analysis.models.estimate_inverted_u`, ``options``: :class:`analysis.models.ModelOptions`):
    the same Haans-Pieters-He quantities as the Dig moderation (flattening b5, turning-point shift, flip)."""
    from analysis.models import estimate_inverted_u

    spec = options.spec(f"mechanism_moderation_{outcome}", outcome, x, moderator=moderator, controls=controls,
                        fixed_effects=fixed_effects, label=f"Moderation by coupling ({moderator}): {outcome}")
    data = frame.replace([np.inf, -np.inf], np.nan).dropna(subset=[outcome, x, moderator, *controls]).reset_index(drop=True)
    result = estimate_inverted_u(data, spec, options)
    return {"link": "b", "description": "inverted U moderated by coupling coordination D",
            "result": result.to_dict()}


# --------------------------------------------------------------------------- mediation
def _fe_codes(frame: pd.DataFrame, fixed_effects: Sequence[str]) -> np.ndarray:
    return np.column_stack([pd.factorize(frame[c])[0] for c in fixed_effects]) if fixed_effects else np.zeros((len(frame), 0))


def _fe_coef(y: np.ndarray, X: np.ndarray, fe: np.ndarray) -> np.ndarray:
    """OLS coefficients of y on X after sweeping out the fixed effects (alternating projections)."""
    from analysis.inference.two_lines import demean

    if fe.shape[1]:
        M = demean(np.column_stack([y, X]), fe, tol=1e-10)
    else:
        M = np.column_stack([y - y.mean(), X - X.mean(axis=0)])
    beta, *_ = np.linalg.lstsq(M[:, 1:], M[:, 0], rcond=None)
    return beta


def mediation(frame: pd.DataFrame, *, treatment: str = "dig", mediator: str = "ccd", outcome: str = "roa",
              controls: Sequence[str] = (), fixed_effects: Sequence[str] = ("firm", "year"),
              cluster: str = "firm", curve: str | None = None, curve_quantiles: Sequence[float] = (0.1, 0.5, 0.9),
              reps: int = 499, seed: int = 0, alpha: float = 0.05) -> dict[str, Any]:
    """Link (c): Dig -> D -> performance (product of coefficients).

    Without ``curve``::

        mediator:  M = a T + controls + FE;    outcome: Y = c' T + b M + controls + FE;   total: Y = c T + ...

    Indirect effect a*b, direct c', total c (= c' + a b exactly, same sample), share a*b / c.

    With ``curve`` = x (the servitization variable), D's effect on performance may vary along the
    servitization curve, as link (b) allows (a moderated b path, "conditional process" mediation)::

        outcome: Y = c'0 T + c'1 T x + c'2 T x^2 + b0 M + b1 M x + b2 M x^2 + g1 x + g2 x^2 + controls + FE
        total:   Y = c0 T + c1 T x + c2 T x^2 + g1 x + g2 x^2 + controls + FE

    Dig keeps its own moderation of the curve (as in the main moderated model): without the T x and
    T x^2 terms, D - which moves with Dig - would pick up Dig's moderation and show a spurious b path.
    b(x) = b0 + b1 x + b2 x^2 and the direct effect c'(x) (``b_path_at``, ``direct_at``, ``total_at``:
    delta-method intervals at the ``curve_quantiles`` of x and at the sample mean; ``direct``/``total``
    are the coefficients at x = 0); conditional indirect effects a*b(x) at those quantiles and the
    average indirect effect a * mean_i b(x_i) (the indirect effect reported as ``indirect``); the
    share mediated uses the sample-mean total effect.

    Intervals of indirect effects (``ci_lower``/``ci_upper``; the bias-corrected percentile interval
    as ``ci_bc_lower``/``ci_bc_upper``): percentile bootstrap over firms (clusters resampled with
    replacement, each draw a distinct FE group), ``reps`` draws from ``numpy.random.default_rng(seed)``;
    conditional effects are evaluated at the full-sample quantiles of x in every draw. Assumptions:
    :data:`MEDIATION_ASSUMPTIONS`.
    """
    from scipy import stats

    cols = list(dict.fromkeys([outcome, treatment, mediator, *([curve] if curve else []), *controls,
                               *fixed_effects, cluster]))
    data = frame[cols].replace([np.inf, -np.inf], np.nan).dropna().reset_index(drop=True)
    data = data.sort_values([cluster, *[f for f in fixed_effects if f != cluster]], kind="stable").reset_index(drop=True)
    curve_terms: list[str] = []
    b_terms, d_terms = [mediator], [treatment]
    if curve:
        x = data[curve].to_numpy(float)
        data[f"{curve}_sq"] = x ** 2
        for v in (mediator, treatment):
            data[f"{v}_x_{curve}"] = data[v] * x
            data[f"{v}_x_{curve}_sq"] = data[v] * x ** 2
        curve_terms = [curve, f"{curve}_sq"]
        b_terms = [mediator, f"{mediator}_x_{curve}", f"{mediator}_x_{curve}_sq"]
        d_terms = [treatment, f"{treatment}_x_{curve}", f"{treatment}_x_{curve}_sq"]
    a_fit = _feols(data, mediator, [treatment, *controls], fixed_effects, cluster)
    b_fit = _feols(data, outcome, [*d_terms, *b_terms, *curve_terms, *controls], fixed_effects, cluster)
    c_fit = _feols(data, outcome, [*d_terms, *curve_terms, *controls], fixed_effects, cluster)
    a = float(a_fit.coef()[treatment])
    bvec = b_fit.coef()[b_terms].to_numpy(float)

    def basis(xv: Any) -> np.ndarray:  # b(x) = basis(x) @ bvec
        xv = np.asarray(xv, dtype=float)
        return np.column_stack([np.ones_like(xv), xv, xv ** 2]) if curve else np.ones((xv.size, 1))

    xs = data[curve].to_numpy(float) if curve else np.zeros(len(data))
    at_points = [("mean_effect", None)] + ([(f"p{round(q * 100):d}", float(np.quantile(xs, q))) for q in curve_quantiles]
                                           if curve else [])
    weights_of = {name: (basis(xs).mean(axis=0) if xv is None else basis([xv])[0]) for name, xv in at_points}

    def along_curve(fit, terms: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """A path coefficient along the curve, sum_k coef_k x^k, at the points (delta method)."""
        names = fit.coef().index
        coef = fit.coef()[terms].to_numpy(float)
        V = pd.DataFrame(fit._vcov, index=names, columns=names).loc[terms, terms].to_numpy()
        df = float(fit._df_t)
        tcrit = float(stats.t.ppf(1 - alpha / 2, df))
        rows = []
        for name, xv in at_points:
            g = weights_of[name]
            est, se = float(g @ coef), float(np.sqrt(g @ V @ g))
            rows.append({"at": name, "x": xv, "estimate": est, "se": se, "ci_lower": est - tcrit * se,
                         "ci_upper": est + tcrit * se,
                         "p": float(2 * stats.t.sf(abs(est / se), df)) if se > 0 else None})
        return rows, {"names": terms, "vcov": V.tolist(), "df_t": df}

    b_at, b_vcov = along_curve(b_fit, b_terms)
    direct_at, direct_vcov = along_curve(b_fit, d_terms)
    total_at, _ = along_curve(c_fit, d_terms)
    cprime, total = direct_at[0]["estimate"], total_at[0]["estimate"]  # sample means along the curve

    y = data[outcome].to_numpy(float)
    m = data[mediator].to_numpy(float)
    t = data[treatment].to_numpy(float)
    C = data[list(controls)].to_numpy(float) if controls else np.zeros((len(data), 0))
    Dx = data[d_terms[1:]].to_numpy(float) if curve else np.zeros((len(data), 0))
    B = data[b_terms + curve_terms].to_numpy(float)
    groups, starts = np.unique(data[cluster].to_numpy(), return_index=True)
    bounds = np.append(starts, len(data))
    rows_of = [np.arange(bounds[i], bounds[i + 1]) for i in range(len(groups))]
    other_fe = [f for f in fixed_effects if f != cluster]
    rng = np.random.default_rng(seed)
    fixed_points = [name for name, xv in at_points if xv is not None]
    draws = np.empty((reps, 1 + len(fixed_points)))
    for r in range(reps):
        pick = rng.integers(0, len(groups), len(groups))
        idx = np.concatenate([rows_of[g] for g in pick])
        new_id = np.repeat(np.arange(len(pick)), [len(rows_of[g]) for g in pick])
        fe_cols = []
        for f in fixed_effects:
            fe_cols.append(new_id if f == cluster else pd.factorize(data[f].to_numpy()[idx])[0])
        fe = np.column_stack(fe_cols) if fe_cols else np.zeros((len(idx), 0))
        a_r = _fe_coef(m[idx], np.column_stack([t[idx], C[idx]]), fe)[0]
        b_r = _fe_coef(y[idx], np.column_stack([t[idx], Dx[idx], B[idx], C[idx]]), fe)[len(d_terms):len(d_terms) + len(b_terms)]
        draws[r, 0] = a_r * float(basis(xs[idx]).mean(axis=0) @ b_r)
        for j, name in enumerate(fixed_points, start=1):
            draws[r, j] = a_r * float(weights_of[name] @ b_r)

    def interval(k: int, estimate: float, label: str, xv: float | None) -> dict[str, Any]:
        d = draws[:, k]
        lo, hi = np.quantile(d, [alpha / 2, 1 - alpha / 2])
        # bias-corrected percentile interval (Efron 1981): quantiles shifted by z0 = Phi^-1(share of
        # draws below the estimate, ties counted half)
        share = (np.sum(d < estimate) + 0.5 * np.sum(d == estimate)) / len(d)
        z0 = float(stats.norm.ppf(np.clip(share, 0.5 / len(d), 1 - 0.5 / len(d))))
        zc = float(stats.norm.ppf(1 - alpha / 2))
        bc_lo, bc_hi = np.quantile(d, [stats.norm.cdf(2 * z0 - zc), stats.norm.cdf(2 * z0 + zc)])
        return {"at": label, "x": xv, "estimate": estimate, "ci_lower": float(lo), "ci_upper": float(hi),
                "ci_bc_lower": float(bc_lo), "ci_bc_upper": float(bc_hi),
                "level": 1 - alpha, "p_bootstrap": float(min(1.0, 2 * min(np.mean(d <= 0), np.mean(d >= 0)))),
                "bootstrap_se": float(np.std(d, ddof=1))}

    b_mean = float(weights_of["mean_effect"] @ bvec)
    indirect = interval(0, a * b_mean, "mean_effect", None)
    indirect.update({"reps": int(reps), "seed": int(seed), "method": "firm-cluster bootstrap, percentile interval"})
    indirect_at = [interval(j, a * float(weights_of[name] @ bvec), name, dict(at_points)[name])
                   for j, name in enumerate(fixed_points, start=1)]
    return {
        "link": "c", "description": "mediation Dig -> coupling D -> performance (product of coefficients)"
                                   + (f"; D's effect varies along the {curve} curve" if curve else ""),
        "treatment": treatment, "mediator": mediator, "outcome": outcome, "curve": curve,
        "controls": list(controls), "fixed_effects": list(fixed_effects), "cluster": cluster,
        "other_fixed_effects": other_fe, "n_obs": int(len(data)), "n_clusters": int(len(groups)),
        "a_path": regression_rows(a_fit, "a_path", [treatment], alpha)[0],
        "b_path": regression_rows(b_fit, "b_path", [mediator], alpha)[0],
        "b_path_terms": regression_rows(b_fit, "b_path", b_terms, alpha),
        "b_path_vcov": b_vcov,
        "b_path_at": b_at,
        "direct": regression_rows(b_fit, "direct", [treatment], alpha)[0],
        "direct_terms": regression_rows(b_fit, "direct", d_terms, alpha),
        "direct_vcov": direct_vcov,
        "direct_at": direct_at,
        "total": regression_rows(c_fit, "total", [treatment], alpha)[0],
        "total_at": total_at,
        "indirect": indirect,
        "indirect_at": indirect_at,
        "proportion_mediated": float(a * b_mean / total) if total != 0 else None,
        "check_total_equals_direct_plus_indirect": None if curve else float(total - (cprime + a * b_mean)),
        "assumptions": MEDIATION_ASSUMPTIONS if not curve else MEDIATION_ASSUMPTIONS_CURVE,
    }


# --------------------------------------------------------------------------- stages
def classify_stages(frame: pd.DataFrame, method: str = "share", *, share_thresholds: Sequence[float] = (0.1, 0.3),
                    years_thresholds: Sequence[int] = (3,), serv: str = "serv") -> pd.Series:
    """Servitization stage of every firm-year.

    ``share``: Serv below the first threshold -> ``stage1``; between consecutive thresholds ->
    ``stage2`` ...; at or above the last -> ``stage{k+1}`` (default: <10%, 10-30%, >=30%).
    ``years``: years since the firm's first observed year with a service line (Serv > 0):
    ``stage1`` = no service line yet; then ``stage2`` for 0 <= years < first threshold, ... (default:
    first 3 years with services -> stage2, later -> stage3).
    """
    if method == "share":
        edges = [-np.inf, *map(float, share_thresholds), np.inf]
        codes = pd.cut(frame[serv], edges, right=False, labels=False)
        return ("stage" + (codes + 1).astype("Int64").astype(str)).where(codes.notna())
    if method == "years":
        has = frame[serv] > 0
        first = frame["year"].where(has).groupby(frame["firm"]).transform("min")
        since = frame["year"] - first
        edges = [0, *map(float, years_thresholds), np.inf]
        codes = pd.cut(since, edges, right=False, labels=False)
        stage = ("stage" + (codes + 2).astype("Int64").astype(str)).where(codes.notna())
        return stage.where(~(first.isna() | (since < 0)), "stage1").where(frame[serv].notna())
    raise ValueError(f"stage method must be 'share' or 'years', got {method!r}")


def stage_heterogeneity(frame: pd.DataFrame, stages: pd.Series, *, dig: str = "dig", mediator: str = "ccd",
                        outcome: str = "roa", controls: Sequence[str] = (),
                        fixed_effects: Sequence[str] = ("firm", "year"), cluster: str | None = "firm",
                        curve: str | None = None, alpha: float = 0.05, se: str | None = None) -> dict[str, Any]:
    """Link (d): links (a) D on Dig, and D on performance (with Dig, and with ``curve`` and its square
    as controls when given: the within-stage D coefficient is then D's average effect in the stage net
    of the servitization curve), estimated within each stage."""
    f = frame.assign(_stage=stages.to_numpy())
    curve_terms = []
    if curve:
        f[f"{curve}_sq"] = f[curve] ** 2
        curve_terms = [curve, f"{curve}_sq"]
    rows = []
    for stage in sorted(f["_stage"].dropna().unique()):
        sub = f[f["_stage"] == stage]
        for model, y, xs, keep in ((f"{stage}:dig_{mediator}", mediator, [dig, *controls], dig),
                                   (f"{stage}:{mediator}_{outcome}", outcome, [mediator, dig, *curve_terms, *controls], mediator)):
            try:
                fit = _feols(sub, y, xs, fixed_effects, cluster, se)
                rs = regression_rows(fit, model, [keep], alpha)
            except Exception as exc:  # too few firm-years in a stage: say so, do not fail the run
                rs = [{"model": model, "outcome": y, "term": keep, "note": f"not estimable: {type(exc).__name__}"}]
            for r in rs:
                r["stage"] = str(stage)
                r["n_firm_years_in_stage"] = int(len(sub))
            rows += rs
    counts = {str(k): int(v) for k, v in f["_stage"].value_counts().sort_index().items()}
    return {"link": "d", "description": "links (a) and D -> performance within servitization stages",
            "outcome": outcome, "curve": curve, "stage_counts": counts, "rows": rows}


# --------------------------------------------------------------------------- resilience
def resilience_frame(panel: pd.DataFrame, *, outcome: str = "roa", shock_year: int = 2020, pre_years: int = 2,
                     post_years: int = 2, by: Sequence[str] = ("serv", "dig")) -> pd.DataFrame:
    """One row per firm observed before, in and after the shock year: ``pre`` (mean outcome over the
    ``pre_years`` before), ``at`` (the shock year), ``post`` (mean over the ``post_years`` after),
    ``drop`` = at - pre, ``recovery`` = post - at, ``net`` = post - pre, and the pre-shock means of ``by``."""
    p = panel[["firm", "year", outcome, *by]]
    pre = p[(p["year"] >= shock_year - pre_years) & (p["year"] < shock_year)].groupby("firm")[[outcome, *by]].mean()
    at = p[p["year"] == shock_year].set_index("firm")[outcome]
    post = p[(p["year"] > shock_year) & (p["year"] <= shock_year + post_years)].groupby("firm")[outcome].mean()
    out = pd.DataFrame({"pre": pre[outcome], "at": at, "post": post})
    for v in by:
        out[f"{v}_pre"] = pre[v]
    out = out.dropna().sort_index()
    out["drop"] = out["at"] - out["pre"]
    out["recovery"] = out["post"] - out["at"]
    out["net"] = out["post"] - out["pre"]
    return out.reset_index().rename(columns={"index": "firm"})


def resilience(panel: pd.DataFrame, *, outcome: str = "roa", shock_year: int = 2020, pre_years: int = 2,
               post_years: int = 2, by: Sequence[str] = ("serv", "dig"), alpha: float = 0.05) -> dict[str, Any]:
    """Link (e): cross-firm regressions (HC1) of the drop, the recovery and the net change on the
    pre-shock Serv and Dig, and mean drop/recovery by median splits of both."""
    rf = resilience_frame(panel, outcome=outcome, shock_year=shock_year, pre_years=pre_years,
                          post_years=post_years, by=by)
    regressors = [f"{v}_pre" for v in by]
    rows = []
    if len(rf) > len(regressors) + 5:
        for y in ("drop", "recovery", "net"):
            rows += regression_rows(_feols(rf, y, regressors, (), None), y, regressors, alpha)
    groups = []
    if len(rf):
        hi = {v: rf[f"{v}_pre"] > rf[f"{v}_pre"].median() for v in by}
        key = pd.Series([""] * len(rf), index=rf.index)
        for v in by:
            key = key + np.where(hi[v], f"high_{v};", f"low_{v};")
        for k, g in rf.groupby(key.str.rstrip(";"), sort=True):
            groups.append({"group": str(k), "n_firms": int(len(g)), "drop": float(g["drop"].mean()),
                           "recovery": float(g["recovery"].mean()), "net": float(g["net"].mean())})
    return {"link": "e", "description": f"performance around the shock year {shock_year}",
            "outcome": outcome, "shock_year": int(shock_year), "pre_years": int(pre_years),
            "post_years": int(post_years), "n_firms": int(len(rf)), "rows": rows, "groups": groups}
