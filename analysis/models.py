"""The one model step: every number of the paper comes through here.

"Fit the quadratic (and the moderated) model, run the U-test, compute the moderation statistics"
is one function, :func:`estimate_inverted_u`, used by the main estimates (``scripts/estimate.py``),
every robustness model and every specification of the curve (:mod:`analysis.robustness`) and the
mechanism's moderation link (:mod:`analysis.mechanism`). Model settings are read from the config
by one parser, :meth:`ModelOptions.from_config`, so a setting means the same everywhere.

Standard errors (config ``models.se``, ``models.cluster``), each with its small-sample convention:

==========  ======================================================================  ===============
``se``      variance and small-sample factor                                         t-test df
==========  ======================================================================  ===============
``iid``     s^2 (X'X)^-1, s^2 = RSS / (N - K), K counting slopes and absorbed FE    N - K
            levels (Stata ``regress`` with FE dummies, ``reghdfe`` unadjusted)
``hc1``     White sandwich x N / (N - K), K as above (Stata ``vce(robust)``)         N - K
``cluster`` CRV1: G/(G-1) x (N-1)/(N-K), K without FE nested in the clusters         G - 1
            (Stata ``vce(cluster firm)``); two-way (``cluster: firm+year``): Cameron-
            Gelbach-Miller V_1 + V_2 - V_12, G the smaller number of clusters       min(G) - 1
==========  ======================================================================  ===============

``se: auto`` (the default) clusters when ``models.cluster`` names a variable and uses HC1 when it
is null. The result records what was fitted (``extras["se"]``), and every table note and paper
sentence is written from that record, never from the config.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

import pandas as pd

from analysis.estimation import ModelResult, ModelSpec, cluster_variables, fit_model, tidy_result

SE_TYPES = ("cluster", "hc1", "iid")


class ModelConfigError(ValueError):
    """A model setting is invalid or contradicts another (the message names the config key)."""


@dataclass(frozen=True)
class ModelOptions:
    """How every model is fitted and tested (parsed once from config ``models``)."""

    se: str
    cluster: str | None          # "firm", "firm+year"; None unless se == "cluster"
    drop_singletons: bool
    alpha: float
    moderator_quantiles: tuple[float, ...]

    @classmethod
    def from_config(cls, models_cfg: Mapping[str, Any]) -> "ModelOptions":
        """From the validated ``models`` section (schema defaults already filled in)."""
        se = models_cfg["se"]
        cluster = models_cfg["cluster"]
        try:
            parts = cluster_variables(cluster)
        except ValueError as exc:
            raise ModelConfigError(str(exc)) from None
        if se == "auto":
            se = "cluster" if parts else "hc1"
        if se not in SE_TYPES:
            raise ModelConfigError(f"config key 'models.se' must be auto, {', '.join(SE_TYPES)}; got {se!r}")
        if se == "cluster" and not parts:
            raise ModelConfigError("config key 'models.se' is 'cluster' but 'models.cluster' is null: name the "
                                   "cluster variable (e.g. firm, or firm+year for two-way clustering)")
        return cls(se=se, cluster="+".join(parts) if se == "cluster" else None,
                   drop_singletons=bool(models_cfg["drop_singletons"]), alpha=float(models_cfg["alpha"]),
                   moderator_quantiles=tuple(float(q) for q in models_cfg["moderator_quantiles"]))

    @property
    def cluster_columns(self) -> list[str]:
        return cluster_variables(self.cluster)

    def spec(self, name: str, outcome: str, x: str, *, moderator: str | None = None,
             controls: Sequence[str] = (), fixed_effects: Sequence[str] = (), label: str = "") -> ModelSpec:
        """A :class:`ModelSpec` carrying these options' standard errors and singleton rule."""
        return ModelSpec(name=name, outcome=outcome, x=x, moderator=moderator, controls=tuple(controls),
                         fixed_effects=tuple(fixed_effects), se=self.se, cluster=self.cluster,
                         drop_singletons=self.drop_singletons, label=label)

    def two_lines_vcov(self) -> Any:
        """The same standard errors for the two-lines regressions (pyfixest names, FE absorbed)."""
        return {"CRV1": self.cluster} if self.se == "cluster" else {"iid": "iid", "hc1": "hetero"}[self.se]


def se_record(spec: ModelSpec, result: ModelResult) -> dict[str, Any]:
    """What standard errors a result has: the facts the table notes and the paper are written from."""
    rec: dict[str, Any] = {"type": spec.se, "cluster": cluster_variables(spec.cluster), "df_t": result.df_t}
    if spec.se == "cluster":
        by = result.extras.get("n_clusters_by") or {spec.cluster: result.n_clusters}
        rec["n_clusters"] = {k: int(v) for k, v in by.items()} if by else {}
    return rec


def moderation_names(spec: ModelSpec) -> dict[str, str]:
    return {"x": spec.x, "x2": spec.x_sq, "z": spec.moderator, "xz": spec.interaction(spec.x),
            "x2z": spec.interaction(spec.x_sq)}


def fit(frame: pd.DataFrame, spec: ModelSpec, options: ModelOptions, method: str = "ols"):
    """Fit one model: ``(ModelResult, pyfixest fit or None)``; OLS with absorbed FE or 2SLS."""
    if method == "iv":
        from analysis.iv import fit_iv

        return fit_iv(frame, spec, options.moderator_quantiles), None
    if method != "ols":
        raise ModelConfigError(f"estimator must be 'ols' or 'iv', got {method!r}")
    f = fit_model(frame, spec)
    result = tidy_result(f, spec, frame, options.moderator_quantiles)
    result.extras["method"] = "ols"
    return result, f


def add_statistics(result: ModelResult, spec: ModelSpec, options: ModelOptions, *, details: bool = True) -> ModelResult:
    """U-test (Lind-Mehlum, with Fieller and delta intervals of the turning point) and, for a moderated
    model, the flattening test and (``details``) the Haans-Pieters-He moderation table."""
    from analysis.inference.moderation import flattening_test, moderation_table
    from analysis.inference.utest import u_test
    from analysis.workflow import json_records

    params, cov = result.params(), result.cov()
    xl, xh = result.x_range
    pair = [spec.x, spec.x_sq]
    result.extras["se"] = se_record(spec, result)
    result.extras["utest"] = u_test(params[spec.x], params[spec.x_sq], cov.loc[pair, pair].to_numpy(), xl, xh,
                                    result.df_t, alpha=options.alpha).to_dict()
    if spec.moderator:
        names = moderation_names(spec)
        result.extras["flattening"] = flattening_test(params, cov, names, result.df_t)
        if details:
            zl, zh = result.moderator_range
            table = moderation_table(params, cov, names, result.moderator_values, zl=zl, zh=zh, xl=xl, xh=xh,
                                     df=result.df_t, alpha=options.alpha)
            result.extras["moderation"] = json_records(table)
    return result


def estimate_inverted_u(frame: pd.DataFrame, spec: ModelSpec, options: ModelOptions, *, method: str = "ols",
                        details: bool = True, two_lines: bool = False, return_fit: bool = False):
    """The model step: fit ``spec`` on ``frame`` and add the U-test and moderation statistics; with
    ``two_lines`` (the main tables), Simonsohn's two-lines test of a quadratic (unmoderated) OLS model.

    Returns the :class:`ModelResult`; with ``return_fit``, ``(result, pyfixest fit)`` for the steps
    that need the fitted model itself (the wild cluster bootstrap, the linearmodels cross-check)."""
    result, f = fit(frame, spec, options, method)
    result = add_statistics(result, spec, options, details=details)
    if two_lines and not spec.moderator and f is not None:
        from analysis.estimation import estimation_sample

        result.extras["two_lines"] = two_lines_test(frame, spec, options, estimation_sample(frame, f).index)
    return (result, f) if return_fit else result


def two_lines_test(frame: pd.DataFrame, spec: ModelSpec, options: ModelOptions, sample_index=None) -> dict[str, Any]:
    """Simonsohn (2018) two-lines test of the spec's outcome on x with the same controls, fixed
    effects and standard errors, on the same estimation sample (``sample_index``: its rows)."""
    from analysis.estimation import add_model_terms
    from analysis.inference.two_lines import two_lines

    data = frame if sample_index is None else frame.loc[sample_index]
    data = add_model_terms(data, replace(spec, moderator=None))
    res = two_lines(data, spec.outcome, spec.x, list(spec.controls), list(spec.fixed_effects),
                    vcov=options.two_lines_vcov(), alpha=options.alpha)
    return res.to_dict()


def specs_from_config(models_cfg: Mapping[str, Any]) -> list[ModelSpec]:
    """The main models: baseline (x, x^2) and moderated, for every configured outcome."""
    options = ModelOptions.from_config(models_cfg)
    specs = []
    common = dict(x=models_cfg["x"], controls=models_cfg["controls"], fixed_effects=models_cfg["fixed_effects"])
    z = models_cfg["moderator"]
    for outcome in models_cfg["outcomes"]:
        specs.append(options.spec(f"baseline_{outcome}", outcome, label=f"Baseline: {outcome}", **common))
        if z:
            specs.append(options.spec(f"moderation_{outcome}", outcome, moderator=z,
                                      label=f"Moderation by {z}: {outcome}", **common))
    boot = models_cfg["bootstrap"]
    if boot["enabled"]:
        if len(options.cluster_columns) != 1:
            raise ModelConfigError(f"config key 'models.bootstrap.enabled' needs one-way clustering (models.se: "
                                   f"cluster with one models.cluster variable); standard errors are {options.se!r}"
                                   + (f" by {options.cluster!r}" if options.cluster else ""))
        known = {r for s in specs for r in s.regressors}
        unknown = [p for p in boot["params"] if p not in known]
        if unknown:
            raise ModelConfigError(f"config key 'models.bootstrap.params': {unknown} are not coefficients of any "
                                   f"model (coefficients: {sorted(known)})")
    return specs
