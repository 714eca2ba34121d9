"""Robustness models: one specification = one named choice on each of a few dimensions.

A :class:`Spec` names a choice for every dimension of the analysis (outcome, Serv measure, Dig
measure, controls, fixed effects, winsorizing, sample, lag, estimator). The definitions behind the
names live in the ``robustness.choices`` section of the config (:class:`Choices`), so a referee's
"and with ROE? with Dig per 10,000 characters? without 2020?" is one line of YAML.

Everything here is a pure function of the estimation panel (``data_clean/panel.parquet``) and the
winsorizing bounds the panel rule wrote (``data_clean/winsorize_bounds.csv``):

- :func:`prepare_panel` builds the analysis frame of a spec (winsorizing choice, lags, alternative
  measures, sample filter) and the two :class:`~analysis.estimation.ModelSpec` it needs;
- :func:`estimate_spec` fits the quadratic (baseline) model and the moderated model, by OLS with
  absorbed fixed effects (pyfixest, :func:`analysis.estimation.fit_model`) or by 2SLS
  (:func:`fit_iv`, linearmodels), and runs the Lind-Mehlum U-test and the flattening test;
- :func:`summary_record` flattens that into one row (b2, U-test p, turning point with Fieller
  interval, b5 and its one-sided p), the unit of the specification curve
  (:mod:`analysis.speccurve`).

Conventions
-----------
- **b2, U-test, turning point** come from the quadratic model without the moderator
  (``y ~ Serv + Serv^2 + controls | FE``): the paradox itself. **b5** (Serv^2 x Dig) and its
  one-sided flattening p (H1: b5 > 0 for an inverted U) come from the moderated model. The Dig
  choice therefore changes only the moderation columns.
- **U-test**: Lind & Mehlum (2010) on the Serv range of the spec's own estimation sample, with the
  model's t degrees of freedom (G - 1 under clustering by firm).
- **Lags**: ``lag: 1`` replaces Serv, Dig and the controls by their values in year t - 1 of the
  same firm (exactly year - 1: a gap in the panel gives a missing lag, the firm-year drops). A Serv
  choice can carry its own extra lag (``serv_lag1``: only Serv lagged). Lags are taken on the full
  panel, before the sample filter, so that e.g. 2021 keeps its 2020 lag when 2020 is excluded.
- **Winsorizing**: ``panel.parquet`` holds the variables *as built* (clipped at the configured
  ``winsorize.limits``); the raw values are not kept. Choices are therefore (a) ``as built``;
  (b) tighter limits (``limits: [0.05, 0.95]``), which, applied to the as-built values, give the
  same bounds as on the raw values because clipping below the 1st percentile does not move the 5th
  percentile; (c) ``trim: true``, which drops the firm-years whose value sits at a winsorizing bound
  of ``winsorize_bounds.csv`` (the clipped ones), i.e. trimming instead of winsorizing at the same
  limits. Looser limits than as built cannot be reconstructed and raise an error.
- **Instrumental variables** (``method: iv``) is an *option*, not a claim of identification: the
  instruments are industry-year leave-one-out means (the mean of the other firms of the same
  CSRC industry in the same year) of Serv and Dig, with the square of the Serv instrument and
  their interactions for the nonlinear terms (see :func:`add_loo_instruments`).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Mapping

import numpy as np
import pandas as pd

from analysis.estimation import ModelSpec
from analysis.models import ModelOptions, estimate_inverted_u

KEY = ["firm", "year"]

#: The dimensions of a specification, in the order of the specification-curve enumeration
#: (the last varies fastest).
DIMENSIONS = ("outcome", "serv", "controls", "fixed_effects", "winsorize", "sample", "lag", "method", "dig")

#: Derived columns prepare_panel can build when a fixed-effect or cluster list names them.
INTERACTED = {"industry_year": ("industry", "year")}


#: The choice name that means "as in the main table" (``models.controls``, ``models.fixed_effects``), so
#: that the robustness baseline and the specification curve always contain the main specification.
MAIN = "main"


class RobustnessConfigError(ValueError):
    """A robustness choice or model in the config is invalid (the message names the config key)."""


# --------------------------------------------------------------------------- specs and choices
@dataclass(frozen=True)
class Spec:
    """A named choice on every dimension (see :data:`DIMENSIONS`). ``name`` labels robustness models."""

    outcome: str = "roa"
    serv: str = "serv"
    dig: str = "dig"
    controls: str = "main"
    fixed_effects: str = "main"
    winsorize: str = "as_built"
    sample: str = "all"
    lag: int = 0
    method: str = "ols"
    name: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.lag, (int, np.integer)) and not isinstance(self.lag, bool):
            object.__setattr__(self, "lag", int(self.lag))  # numpy ints from frames hash the same

    def choices(self) -> dict[str, Any]:
        return {d: getattr(self, d) for d in DIMENSIONS}

    @property
    def key(self) -> str:
        """Canonical text of the choices, ``dimension=value`` joined by ``|`` in DIMENSIONS order."""
        return "|".join(f"{d}={getattr(self, d)}" for d in DIMENSIONS)

    @property
    def spec_id(self) -> str:
        """Stable id: the first 12 hex digits of the SHA-256 of :attr:`key` (independent of the
        enumeration order, so results stay comparable when the configured choice lists change)."""
        return hashlib.sha256(self.key.encode("utf-8")).hexdigest()[:12]

    def baseline_key(self) -> str:
        """Key of the quadratic model: every dimension except Dig (which enters only the moderation)."""
        return "|".join(f"{d}={getattr(self, d)}" for d in DIMENSIONS if d != "dig")


@dataclass(frozen=True)
class Choices:
    """What each choice name means (the ``robustness.choices`` config section, see config.yaml)."""

    serv: Mapping[str, Mapping[str, Any]]
    dig: Mapping[str, Mapping[str, Any]]
    controls: Mapping[str, tuple[str, ...]]
    fixed_effects: Mapping[str, tuple[str, ...]]
    winsorize: Mapping[str, Mapping[str, Any]]
    sample: Mapping[str, Mapping[str, Any]]
    options: ModelOptions
    high_tech_industries: tuple[str, ...] = ()
    as_built_limits: tuple[float, float] | None = None
    winsorized_variables: tuple[str, ...] = ()

    @property
    def alpha(self) -> float:
        return self.options.alpha

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Choices":
        """From the whole validated config (``robustness``, ``models`` and ``winsorize`` sections)."""
        r = config.get("robustness") or {}
        if "choices" not in r:
            raise RobustnessConfigError("config key 'robustness.choices' is missing")
        c = r["choices"]
        for dim in ("serv", "dig", "controls", "fixed_effects", "winsorize", "sample"):
            if not c.get(dim):
                raise RobustnessConfigError(f"config key 'robustness.choices.{dim}' is missing or empty")
        w = config["winsorize"]
        built = tuple(w["limits"]) if w["enabled"] else None
        models = config["models"]
        for dim, key in (("controls", "controls"), ("fixed_effects", "fixed_effects")):
            if MAIN in c[dim]:
                raise RobustnessConfigError(f"config key 'robustness.choices.{dim}.{MAIN}': the name {MAIN!r} is "
                                            f"reserved for models.{key} (the main table's choice); use another name")
        return cls(
            options=ModelOptions.from_config(models),
            serv={k: dict(v or {}) for k, v in c["serv"].items()},
            dig={k: dict(v or {}) for k, v in c["dig"].items()},
            controls={MAIN: tuple(models["controls"]), **{k: tuple(v or ()) for k, v in c["controls"].items()}},
            fixed_effects={MAIN: tuple(models["fixed_effects"]),
                           **{k: tuple(v or ()) for k, v in c["fixed_effects"].items()}},
            winsorize={k: dict(v or {}) for k, v in c["winsorize"].items()},
            sample={k: dict(v or {}) for k, v in c["sample"].items()},
            high_tech_industries=tuple(r["high_tech_industries"]),
            as_built_limits=built,
            winsorized_variables=tuple(w["variables"]),
        )

    def check(self, spec: Spec, where: str = "robustness") -> None:
        """Every choice of ``spec`` is defined; raise :class:`RobustnessConfigError` naming the key."""
        for dim in ("serv", "dig", "controls", "fixed_effects", "winsorize", "sample"):
            table = getattr(self, dim)
            value = getattr(spec, dim)
            if value not in table:
                raise RobustnessConfigError(
                    f"{where}: {dim} choice {value!r} is not defined under 'robustness.choices.{dim}' "
                    f"(defined: {sorted(table)})")
        if spec.method not in ("ols", "iv"):
            raise RobustnessConfigError(f"{where}: method must be 'ols' or 'iv', got {spec.method!r}")
        if not isinstance(spec.lag, int) or spec.lag < 0:
            raise RobustnessConfigError(f"{where}: lag must be an integer >= 0, got {spec.lag!r}")


def spec_from_mapping(base: Mapping[str, Any], overrides: Mapping[str, Any] | None = None,
                      name: str = "") -> Spec:
    """A :class:`Spec` from the ``robustness.base`` mapping updated with ``overrides``."""
    allowed = {f.name for f in fields(Spec)} - {"name"}
    merged = {**dict(base or {}), **dict(overrides or {})}
    unknown = sorted(set(merged) - allowed)
    if unknown:
        where = f"robustness.models.{name}" if name else "robustness.base"
        raise RobustnessConfigError(f"config key '{where}': unknown dimension(s) {unknown}; "
                                    f"allowed: {sorted(allowed)}")
    if "lag" in merged:
        merged["lag"] = int(merged["lag"])
    return Spec(name=name, **merged)


def robustness_models(config: Mapping[str, Any]) -> list[Spec]:
    """The named robustness models of ``robustness.models`` (each: overrides of ``robustness.base``)."""
    r = config.get("robustness") or {}
    choices = Choices.from_config(config)
    base = r["base"]
    out = []
    for name, overrides in (r.get("models") or {}).items():
        if name == "baseline":
            raise RobustnessConfigError("config key 'robustness.models.baseline': the name 'baseline' is reserved "
                                        "for the baseline row (robustness.base); use another name")
        spec = spec_from_mapping(base, overrides, name=name)
        choices.check(spec, where=f"robustness.models.{name}")
        out.append(spec)
    return out


# --------------------------------------------------------------------------- panel preparation
def high_tech_flag(industry: pd.Series, codes: tuple[str, ...]) -> pd.Series:
    """1 when the CSRC-2012 code (e.g. "C39", or a finer "C3911") starts with one of ``codes``."""
    ind = industry.astype("string").fillna("")
    flag = pd.Series(False, index=industry.index)
    for c in codes:
        flag |= ind.str.startswith(c)
    return flag.astype("int64")


def _lagged(panel: pd.DataFrame, columns: list[str], lag: int) -> pd.DataFrame:
    """Values of ``columns`` in year - ``lag`` of the same firm, aligned to ``panel``'s rows."""
    prev = panel[KEY + columns].copy()
    prev["year"] = prev["year"] + lag
    merged = panel[KEY].merge(prev, on=KEY, how="left", validate="m:1")
    merged.index = panel.index
    return merged[columns]


def _winsor_choice(panel: pd.DataFrame, opt: Mapping[str, Any], choices: Choices,
                   bounds: pd.DataFrame | None, variables: list[str], name: str) -> pd.DataFrame:
    """Apply one ``robustness.choices.winsorize`` option to the as-built panel."""
    from analysis.panel import winsorize

    unknown = sorted(set(opt) - {"limits", "by", "trim"})
    if unknown:
        raise RobustnessConfigError(f"config key 'robustness.choices.winsorize.{name}': unknown option(s) {unknown}")
    if not opt:
        return panel
    cols = [v for v in variables if v in choices.winsorized_variables and v in panel.columns]
    if opt.get("trim"):
        if bounds is None or choices.as_built_limits is None or bounds.empty:
            raise RobustnessConfigError(f"config key 'robustness.choices.winsorize.{name}': trimming drops the "
                                        "firm-years the panel's winsorizing clipped, so it needs 'winsorize.enabled: "
                                        "true' and its bounds (data_clean/winsorize_bounds.csv)")
        keep = pd.Series(True, index=panel.index)
        for col in cols:
            b = bounds[bounds["variable"] == col]
            if b.empty:
                continue
            if (b["group"] == "pooled").all():
                lo = pd.Series(float(b["lower"].iloc[0]), index=panel.index)
                hi = pd.Series(float(b["upper"].iloc[0]), index=panel.index)
            else:
                by_year = b.assign(year=b["group"].astype(int)).set_index("year")
                lo = panel["year"].map(by_year["lower"]).astype(float)
                hi = panel["year"].map(by_year["upper"]).astype(float)
            x = panel[col].astype(float)
            tol = 1e-12 * np.maximum(1.0, np.abs(x))
            keep &= ~((x <= lo + tol) | (x >= hi - tol))
        return panel.loc[keep]
    limits = tuple(opt.get("limits") or ())
    if len(limits) != 2 or not 0 <= limits[0] < limits[1] <= 1:
        raise RobustnessConfigError(f"config key 'robustness.choices.winsorize.{name}.limits' must be "
                                    f"[lower, upper] quantiles, got {opt.get('limits')!r}")
    built = choices.as_built_limits
    if built is not None and (limits[0] < built[0] - 1e-12 or limits[1] > built[1] + 1e-12):
        raise RobustnessConfigError(
            f"config key 'robustness.choices.winsorize.{name}.limits' {list(limits)} is looser than the "
            f"panel's winsorizing {list(built)}: the panel keeps only the winsorized values")
    by = "year" if opt.get("by", "pooled") == "year" else None
    out, _ = winsorize(panel, cols, limits, by=by)
    return out


def _sample_filter(frame: pd.DataFrame, opt: Mapping[str, Any], choices: Choices, name: str) -> pd.Series:
    unknown = sorted(set(opt) - {"exclude_years", "years", "soe", "high_tech", "industries"})
    if unknown:
        raise RobustnessConfigError(f"config key 'robustness.choices.sample.{name}': unknown option(s) {unknown}")
    keep = pd.Series(True, index=frame.index)
    if opt.get("exclude_years"):
        keep &= ~frame["year"].isin([int(y) for y in opt["exclude_years"]])
    if opt.get("years"):
        lo, hi = opt["years"]
        keep &= frame["year"].between(int(lo), int(hi))
    if opt.get("soe") is not None:
        keep &= frame["soe"] == int(opt["soe"])
    if opt.get("high_tech") is not None:
        if not choices.high_tech_industries:
            raise RobustnessConfigError(f"robustness.choices.sample.{name} uses high_tech but "
                                        "'robustness.high_tech_industries' is empty")
        flag = high_tech_flag(frame["industry"], choices.high_tech_industries)
        keep &= flag == int(bool(opt["high_tech"]))
    if opt.get("industries"):
        keep &= frame["industry"].astype("string").str.startswith(tuple(opt["industries"])).fillna(False)
    return keep


@dataclass
class Prepared:
    """The analysis frame of a spec and the two models fitted on it."""

    frame: pd.DataFrame
    baseline: ModelSpec
    moderated: ModelSpec
    missing: list[str] = field(default_factory=list)  # needed columns absent from the panel


def prepare_panel(panel: pd.DataFrame, spec: Spec, choices: Choices,
                  bounds: pd.DataFrame | None = None) -> Prepared:
    """The frame a spec is estimated on, with its baseline and moderated :class:`ModelSpec`.

    Order: winsorizing choice (on the full panel) -> alternative measures and lags (on the full
    panel) -> sample filter. Columns needed but absent from the panel (e.g. ``tobin_q`` before the
    vendor data provide it) are listed in ``missing`` and the frame is empty.
    """
    choices.check(spec)
    serv_opt = choices.serv[spec.serv]
    dig_opt = choices.dig[spec.dig]
    controls = list(choices.controls[spec.controls])
    fes = list(choices.fixed_effects[spec.fixed_effects])
    serv_col = serv_opt.get("column", spec.serv)
    dig_col = dig_opt.get("column", spec.dig)
    serv_lag = spec.lag + int(serv_opt.get("lag", 0))
    transform = dig_opt.get("transform", "none")
    if transform not in ("none", "log1p"):
        raise RobustnessConfigError(f"config key 'robustness.choices.dig.{spec.dig}.transform' must be "
                                    f"'none' or 'log1p', got {transform!r}")

    needed = [spec.outcome, serv_col, dig_col, *controls, "firm", "year"]
    clusters = choices.options.cluster_columns
    for fe in fes + clusters:
        needed += list(INTERACTED.get(fe, (fe,)))
    sample_opt = choices.sample[spec.sample]
    if sample_opt.get("soe") is not None:
        needed.append("soe")
    if sample_opt.get("high_tech") is not None or sample_opt.get("industries"):
        needed.append("industry")
    missing = [c for c in dict.fromkeys(needed) if c not in panel.columns]

    x = serv_col if serv_lag == 0 else f"{serv_col}_l{serv_lag}"
    zname = dig_col if transform == "none" else f"ln1p_{dig_col}"
    z = zname if spec.lag == 0 else f"{zname}_l{spec.lag}"
    ctrl = [c if spec.lag == 0 else f"{c}_l{spec.lag}" for c in controls]
    # model names: the spec's label, else its id (the quadratic model's id ignores the Dig choice)
    base_id = spec.name or hashlib.sha256(spec.baseline_key().encode("utf-8")).hexdigest()[:12]
    common = dict(controls=ctrl, fixed_effects=fes)
    base_ms = choices.options.spec(f"{base_id}_baseline", spec.outcome, x, **common)
    mod_ms = choices.options.spec(f"{spec.name or spec.spec_id}_moderated", spec.outcome, x, moderator=z, **common)
    if missing:
        return Prepared(panel.iloc[0:0], base_ms, mod_ms, missing)

    frame = _winsor_choice(panel, choices.winsorize[spec.winsorize], choices, bounds,
                           [spec.outcome, serv_col, *controls], spec.winsorize)
    frame = frame.sort_values(KEY).reset_index(drop=True)
    cols = {}
    cols[zname] = np.log1p(frame[dig_col].astype(float)) if transform == "log1p" else frame[dig_col].astype(float)
    frame = frame.assign(**cols)
    if serv_lag:
        frame[x] = _lagged(frame, [serv_col], serv_lag)[serv_col]
    if spec.lag:
        lagged = _lagged(frame, [zname, *controls], spec.lag)
        frame[z] = lagged[zname]
        for c, lc in zip(controls, ctrl):
            frame[lc] = lagged[c]
    for fe in fes + clusters:
        if fe in INTERACTED and fe not in frame.columns:
            a, b = INTERACTED[fe]
            frame[fe] = frame[a].astype(str) + "_" + frame[b].astype(str)
    frame = frame.loc[_sample_filter(frame, sample_opt, choices, spec.sample)]
    # complete cases of the quadratic model; rows without the Dig measure drop from the moderated
    # model only (so the quadratic model does not depend on the Dig choice)
    used = [spec.outcome, x, *ctrl, *fes, *clusters]
    frame = frame.dropna(subset=list(dict.fromkeys(used))).reset_index(drop=True)
    return Prepared(frame, base_ms, mod_ms, [])


# --------------------------------------------------------------------------- estimation
def estimate_spec(panel: pd.DataFrame, spec: Spec, choices: Choices, bounds: pd.DataFrame | None = None,
                  baseline_cache: dict[str, Any] | None = None, full: bool = True) -> dict[str, Any]:
    """Fit a spec: ``{"spec", "status", "baseline", "moderated"}`` (results as dicts, JSON-ready).

    ``status`` is ``"ok"``, ``"skipped"`` (a needed column is not in the panel, or the Serv measure does not
    vary in the estimation sample; ``reason`` says which)
    or ``"failed"`` (the estimator raised; ``reason`` has the message). ``baseline_cache`` (a dict)
    reuses the quadratic fit across specs that differ only in the Dig choice. ``full=False`` (the
    specification curve) skips the moderated model's U-test and moderation table (turning points and
    slopes at Dig quantiles), keeping its coefficients and the flattening test.
    """
    out: dict[str, Any] = {"spec": {"spec_id": spec.spec_id, "name": spec.name, **spec.choices()},
                           "status": "ok", "reason": "", "baseline": None, "moderated": None}
    prep = prepare_panel(panel, spec, choices, bounds)
    if prep.missing:
        out.update(status="skipped", reason=f"column(s) {prep.missing} not in the panel")
        return out
    serv_values = prep.frame[prep.baseline.x].dropna().unique()
    if len(serv_values) == 1:
        # e.g. the text-based service intensity where no report uses a service term: no curve to fit
        out.update(status="skipped", reason=f"the Serv measure {prep.baseline.x} has no variation in the estimation "
                                            f"sample (every value {serv_values[0]:g})")
        return out
    options = choices.options
    # pyfixest aborts the whole process (a Rust panic, not an exception) on degenerate input such
    # as an empty frame: refuse small samples here, as a recorded failure of this specification
    n_rows = len(prep.frame)
    n_clusters = min((prep.frame[c].nunique() for c in options.cluster_columns), default=n_rows) if n_rows else 0
    k = len(prep.moderated.regressors)
    if n_rows < 2 * (k + 1) or n_clusters < 2:
        out.update(status="failed", reason=f"too few observations after the sample choices "
                                           f"({n_rows} firm-years, {n_clusters} clusters)")
        return out
    try:
        bkey = spec.baseline_key()
        if baseline_cache is not None and bkey in baseline_cache:
            out["baseline"] = baseline_cache[bkey]
        else:
            base = estimate_inverted_u(prep.frame, prep.baseline, options, method=spec.method)
            out["baseline"] = base.to_dict()
            if baseline_cache is not None:
                baseline_cache[bkey] = out["baseline"]
        mod = estimate_inverted_u(prep.frame.dropna(subset=[prep.moderated.moderator]).reset_index(drop=True),
                                  prep.moderated, options, method=spec.method, details=full)
        out["moderated"] = mod.to_dict()
    except RobustnessConfigError:
        raise
    except Exception as exc:  # one failing specification (e.g. collinear in a subsample) must not stop the curve
        out.update(status="failed", reason=f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
    return out


#: Columns of :func:`summary_record` after the spec's choices.
SUMMARY_COLUMNS = ["status", "reason", "n_obs", "n_clusters", "df_t", "x_min", "x_max", "b1", "b2", "se_b2",
                   "b2_ci_lower", "b2_ci_upper", "utest_t", "utest_p", "utest_reject", "trivial_failure",
                   "turning_point", "tp_in_range", "tp_se", "fieller_kind", "fieller_lower", "fieller_upper",
                   "n_obs_moderated", "b5", "se_b5", "p_b5_flattening"]


def summary_record(est: Mapping[str, Any], alpha: float = 0.05) -> dict[str, Any]:
    """One flat row of :func:`estimate_spec`'s output: the spec curve's unit of analysis."""
    from scipy import stats

    rec: dict[str, Any] = {**est["spec"], **{c: None for c in SUMMARY_COLUMNS}}
    rec["status"], rec["reason"] = est["status"], est["reason"]
    b = est.get("baseline")
    if b:
        i = b["names"].index(b["spec"]["x"]), b["names"].index(b["spec"]["x"] + "_sq")
        ut = b["extras"]["utest"]
        crit = float(stats.t(b["df_t"]).ppf(1 - alpha / 2))
        b2, se2 = b["coef"][i[1]], b["se"][i[1]]
        rec.update(n_obs=b["n_obs"], n_clusters=b["n_clusters"], df_t=b["df_t"], x_min=b["x_range"][0],
                   x_max=b["x_range"][1], b1=b["coef"][i[0]], b2=b2, se_b2=se2, b2_ci_lower=b2 - crit * se2,
                   b2_ci_upper=b2 + crit * se2, utest_t=ut["t_sasabuchi"], utest_p=ut["p_sasabuchi"],
                   utest_reject=ut["reject"], trivial_failure=ut["trivial_failure"],
                   turning_point=ut["extreme_point"], tp_in_range=ut["extreme_in_interval"],
                   tp_se=ut["extreme_se"], fieller_kind=ut["fieller_kind"], fieller_lower=ut["fieller_lower"],
                   fieller_upper=ut["fieller_upper"])
    m = est.get("moderated")
    if m:
        fl = m["extras"]["flattening"]
        rec.update(n_obs_moderated=m["n_obs"], b5=fl["estimate"], se_b5=fl["se"], p_b5_flattening=fl["p_one_sided"])
    return rec


def spec_to_dict(spec: Spec) -> dict[str, Any]:
    return asdict(spec)


def with_choice(spec: Spec, **changes: Any) -> Spec:
    return replace(spec, **changes)


def describe_change(spec: Spec, base: Spec) -> str:
    """Short label of what ``spec`` changes relative to ``base`` (e.g. "sample = soe")."""
    diffs = [f"{d} = {getattr(spec, d)}" for d in DIMENSIONS if getattr(spec, d) != getattr(base, d)]
    return (spec.name + ": " + ", ".join(diffs)) if diffs else (spec.name or "baseline")
