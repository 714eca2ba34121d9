"""Fixed-effects estimation of the inverted U and its moderation, and tidy results.

Models are fitted with pyfixest (fixest formula syntax). The quadratic and interaction terms are
explicit columns (``serv_sq``, ``serv_x_dig``, ``serv_sq_x_dig``) so that coefficient names in the
results, the tables and the U-test are plain and stable.

Singleton fixed-effect groups (a firm observed once) are dropped by default, as ``reghdfe`` and
pyfixest do; Stata ``xtreg, fe`` keeps them, which changes G and the degrees of freedom but not
the coefficients (config ``models.drop_singletons: false`` to match ``xtreg``).

Standard errors (``ModelSpec.se``): iid, HC1 or CRV1 clustered by one or two variables, with the
conventions listed in :mod:`analysis.models` (the model step and the one parser of model options);
t-based inference uses pyfixest's ``_df_t`` (G - 1 under clustering, N - K otherwise).

Options (config ``models``):

- ``fixed_effects`` may name ``industry_year``, an industry-by-year effect built here from the
  panel's ``industry`` and ``year`` columns (see :data:`DERIVED_FIXED_EFFECTS`).
- ``cluster: "firm+year"`` gives two-way clustered CRV1 standard errors (Cameron, Gelbach & Miller
  2011, "Robust inference with multiway clustering", JBES 29(2)): V = V_firm + V_year - V_firm-year,
  scaled by pyfixest's default ``ssc(G_df="min")``, i.e. (N-1)/(N-K) * G/(G-1) with G the smaller
  number of clusters; t-based inference uses df = min(G) - 1 (with 14 years: 13 df, so the U-test
  and intervals become much more conservative).
- ``bootstrap``: wild cluster bootstrap p-values and intervals for chosen coefficients, see
  :mod:`analysis.inference.bootstrap` (one-way clustering only).
- ``crosscheck``: refit with linearmodels PanelOLS, see :mod:`analysis.inference.crosscheck`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ModelSpec:
    """One regression: outcome on x, x^2 (and moderator interactions), controls, FE, clusters."""

    name: str
    outcome: str
    x: str = "serv"
    moderator: str | None = None
    controls: tuple[str, ...] = ()
    fixed_effects: tuple[str, ...] = ("firm", "year")
    cluster: str | None = "firm"
    drop_singletons: bool = True
    label: str = ""
    se: str | None = None  # cluster | hc1 | iid; None: cluster when ``cluster`` is set, else hc1

    def __post_init__(self) -> None:
        se = self.se or ("cluster" if self.cluster else "hc1")
        if se not in ("cluster", "hc1", "iid"):
            raise ValueError(f"model {self.name!r}: se must be cluster, hc1 or iid, got {se!r}")
        if se == "cluster" and not self.cluster:
            raise ValueError(f"model {self.name!r}: se 'cluster' needs a cluster variable")
        object.__setattr__(self, "se", se)
        if se != "cluster":
            object.__setattr__(self, "cluster", None)
        cluster_variables(self.cluster)  # raises on a malformed cluster specification

    @property
    def vcov(self) -> Any:
        """The pyfixest ``vcov`` argument of this spec."""
        return vcov_of(self.se, self.cluster)

    @property
    def x_sq(self) -> str:
        return f"{self.x}_sq"

    def interaction(self, term: str) -> str:
        return f"{term}_x_{self.moderator}"

    @property
    def regressors(self) -> list[str]:
        terms = [self.x, self.x_sq]
        if self.moderator:
            terms += [self.moderator, self.interaction(self.x), self.interaction(self.x_sq)]
        return terms + list(self.controls)

    @property
    def formula(self) -> str:
        rhs = " + ".join(self.regressors)
        fe = " + ".join(self.fixed_effects)
        return f"{self.outcome} ~ {rhs}" + (f" | {fe}" if fe else "")

    def to_dict(self) -> dict[str, Any]:
        d = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        d["formula"] = self.formula
        return d


#: Fixed effects that are built from panel columns when a spec names them: name -> source columns.
DERIVED_FIXED_EFFECTS: dict[str, tuple[str, ...]] = {"industry_year": ("industry", "year")}


def cluster_variables(cluster: str | None) -> list[str]:
    """Column names of a cluster specification: ``"firm"`` -> ["firm"], ``"firm+year"`` ->
    ["firm", "year"], None -> []."""
    if not cluster:
        return []
    parts = [c.strip() for c in cluster.split("+")]
    if len(parts) > 2 or not all(parts):
        raise ValueError(f"models.cluster: expected one variable or two joined by '+', got {cluster!r}")
    return parts


def vcov_of(se: str | None, cluster: str | None) -> Any:
    """pyfixest's ``vcov`` argument for standard errors ``se`` (cluster | hc1 | iid; None = cluster when
    ``cluster`` is set, else hc1), see :mod:`analysis.models` for the conventions."""
    se = se or ("cluster" if cluster else "hc1")
    if se == "cluster":
        if not cluster:
            raise ValueError("clustered standard errors need a cluster variable")
        return {"CRV1": "+".join(cluster_variables(cluster))}
    return {"hc1": "hetero", "iid": "iid"}[se]


#: Convergence tolerance of the iterative fixed-effect demeaning (pyfixest's default is 1e-6);
#: at 1e-10 the coefficients agree with a dummy-variable regression to about 1e-12.
FIXEF_TOL = 1e-10


def add_model_terms(panel: pd.DataFrame, spec: ModelSpec) -> pd.DataFrame:
    """The panel with the squared and interaction columns the spec needs."""
    out = panel.copy()
    for fe in spec.fixed_effects:
        if fe in DERIVED_FIXED_EFFECTS and fe not in out.columns:
            first, *rest = DERIVED_FIXED_EFFECTS[fe]
            label = out[first].astype(str)
            for col in rest:  # vectorised (a row-wise join costs ~2 s on 40,000 rows)
                label = label + "_" + out[col].astype(str)
            out[fe] = label
    out[spec.x_sq] = out[spec.x] ** 2
    if spec.moderator:
        z = out[spec.moderator]
        out[spec.interaction(spec.x)] = out[spec.x] * z
        out[spec.interaction(spec.x_sq)] = out[spec.x_sq] * z
    return out


def check_columns(panel: pd.DataFrame, spec: ModelSpec) -> None:
    """Fail with a clear message before pyfixest sees a missing column (it would abort the process)."""
    needed = [spec.outcome, spec.x, *(spec.controls)]
    for fe in spec.fixed_effects:
        needed += list(DERIVED_FIXED_EFFECTS[fe]) if fe in DERIVED_FIXED_EFFECTS and fe not in panel.columns else [fe]
    if spec.moderator:
        needed.append(spec.moderator)
    needed += cluster_variables(spec.cluster)
    missing = [c for c in dict.fromkeys(needed) if c not in panel.columns]
    if missing:
        raise KeyError(f"model {spec.name!r}: column(s) {missing} not in the panel "
                       f"(available: {sorted(panel.columns)})")


def fit_model(panel: pd.DataFrame, spec: ModelSpec):
    """Fit ``spec`` on ``panel`` with pyfixest; returns the pyfixest model object."""
    import pyfixest as pf
    from pyfixest.demeaners import MapDemeaner

    if len(panel) == 0:  # pyfixest would abort the process (a Rust panic), not raise
        raise PanelTooSmall("the estimation panel is empty: see data_clean/sample_ledger.csv for the "
                            "steps that removed the firm-years")
    check_columns(panel, spec)
    data = add_model_terms(panel, spec)
    return pf.feols(spec.formula, data=data, vcov=spec.vcov,
                    fixef_rm="singleton" if spec.drop_singletons else "none", demeaner=MapDemeaner(fixef_tol=FIXEF_TOL))


def estimation_sample(panel: pd.DataFrame, fit) -> pd.DataFrame:
    """Rows of ``panel`` the fit used: complete cases, less singleton fixed-effect groups when
    ``drop_singletons`` (pyfixest keeps the panel's index in ``fit._data``)."""
    return panel.loc[fit._data.index]


@dataclass
class ModelResult:
    """Tidy, JSON-serialisable result of one model (what the table stage reads)."""

    spec: dict[str, Any]
    names: list[str]
    coef: list[float]
    se: list[float]
    vcov: list[list[float]]
    n_obs: int
    n_clusters: int | None
    df_t: float
    r2_within: float | None
    x_range: tuple[float, float]
    moderator_values: dict[str, float] = field(default_factory=dict)
    moderator_range: tuple[float, float] | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    #: distinct firms in the estimation sample; R² and adjusted R² (adjusted for slopes and absorbed
    #: FE levels, as Stata's ``reghdfe``); complete cases dropped as singleton FE groups
    n_firms: int | None = None
    r2: float | None = None
    r2_adj: float | None = None
    n_singletons: int | None = None

    def params(self) -> pd.Series:
        return pd.Series(self.coef, index=self.names)

    def cov(self) -> pd.DataFrame:
        return pd.DataFrame(self.vcov, index=self.names, columns=self.names)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ModelResult":
        d = dict(d)
        d["x_range"] = tuple(d["x_range"])
        if d.get("moderator_range") is not None:
            d["moderator_range"] = tuple(d["moderator_range"])
        return cls(**d)


def tidy_result(fit, spec: ModelSpec, panel: pd.DataFrame,
                moderator_quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)) -> ModelResult:
    """Coefficients, covariance and the sample facts the U-test and tables need."""
    names = list(fit._coefnames)
    sample = estimation_sample(panel, fit)
    if len(sample) != int(fit._N):  # pragma: no cover - would mean pyfixest changed its bookkeeping
        raise AssertionError(f"model {spec.name}: fit reports N={fit._N}, its data has {len(sample)} rows")
    x = sample[spec.x]
    mod_values: dict[str, float] = {}
    mod_range = None
    if spec.moderator:
        z = sample[spec.moderator]
        mod_values = {f"p{int(round(q * 100))}": float(z.quantile(q)) for q in moderator_quantiles}
        mod_range = (float(z.min()), float(z.max()))
    g = getattr(fit, "_G", None)
    extras: dict[str, Any] = {}
    clusters = cluster_variables(spec.cluster)
    if len(clusters) > 1:  # two-way: report each dimension (n_clusters is the smaller, df = min(G) - 1)
        extras["n_clusters_by"] = {c: int(sample[c].nunique()) for c in clusters}
    used = [c for c in dict.fromkeys([spec.outcome, spec.x, spec.moderator, *spec.controls, *spec.fixed_effects,
                                      *clusters]) if c and c in panel.columns]
    complete = int(panel[used].notna().all(axis=1).sum())

    def _stat(v: Any) -> float | None:
        return float(v) if v is not None and np.isfinite(v) else None

    return ModelResult(
        n_firms=int(sample["firm"].nunique()) if "firm" in sample.columns else None,
        r2=_stat(getattr(fit, "_r2", None)), r2_adj=_stat(getattr(fit, "_adj_r2", None)),
        n_singletons=complete - int(fit._N) if spec.drop_singletons else 0,
        spec=spec.to_dict(), names=names,
        coef=[float(v) for v in fit.coef().loc[names]],
        se=[float(v) for v in fit.se().loc[names]],
        vcov=np.asarray(fit._vcov, dtype=float).tolist(),
        n_obs=int(fit._N), n_clusters=int(min(g)) if spec.cluster and g else None,
        df_t=float(fit._df_t), r2_within=float(fit._r2_within) if fit._r2_within is not None else None,
        x_range=(float(x.min()), float(x.max())), moderator_values=mod_values,
        moderator_range=mod_range, extras=extras,
    )


def bootstrap_results(fit, spec: ModelSpec, panel: pd.DataFrame, params: list[str], *, reps: int,
                      seed: int, alpha: float = 0.05, ci: bool = True) -> dict[str, dict[str, Any]]:
    """Wild cluster restricted bootstrap (Rademacher, ``reps`` draws, ``seed``) of H0: b = 0 for
    each of ``params`` that the model has, on the fit's estimation sample; JSON-ready dicts keyed
    by coefficient name (p-value, test-inversion interval at level 1 - alpha). See
    :mod:`analysis.inference.bootstrap`; its p-values equal pyfixest's ``Feols.wildboottest``."""
    from analysis.inference.bootstrap import wild_bootstrap_from_data

    clusters = cluster_variables(spec.cluster)
    if len(clusters) != 1:
        raise ValueError(f"model {spec.name!r}: models.bootstrap needs one-way clustering "
                         f"(models.cluster is {spec.cluster!r})")
    wanted = [p for p in params if p in spec.regressors]
    if not wanted:
        return {}
    sample = add_model_terms(estimation_sample(panel, fit), spec)
    res = wild_bootstrap_from_data(sample, spec.outcome, spec.regressors, list(spec.fixed_effects),
                                   clusters[0], wanted, reps=reps, seed=seed, alpha=alpha, ci=ci)
    return {p: r.to_dict() for p, r in res.items()}


class PanelTooSmall(ValueError):
    """The estimation panel has fewer firm-years than ``models.min_observations``."""


def check_panel_size(panel: pd.DataFrame, ledger: pd.DataFrame, minimum: int) -> None:
    """Refuse a panel below ``minimum`` firm-years (an empty panel would reach the fixed-effects
    solver and abort the process), naming the ledger steps that removed the most firm-years."""
    if len(panel) >= minimum:
        return
    steps = ledger[ledger["rows_dropped"] > 0].sort_values("rows_dropped", ascending=False, kind="stable").head(3)
    named = "; ".join(f"step {int(r.step)} '{r.rule}' removed {int(r.rows_dropped)}" for r in steps.itertuples())
    start = int(ledger["rows_remaining"].iloc[0]) if len(ledger) else 0
    raise PanelTooSmall(f"the estimation panel has {len(panel)} firm-years (of {start} read), fewer than "
                        f"models.min_observations = {minimum}; the ledger steps that removed the most: "
                        f"{named or 'none'} (see data_clean/sample_ledger.csv)")
