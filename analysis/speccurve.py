"""Specification curve (Simonsohn, Simmons & Nelson 2020, Nature Human Behaviour 4, 1208-1214).

Every combination of the configured choices (``robustness.speccurve``: outcome x Serv measure x
Dig measure x controls x fixed effects x winsorizing x sample [x lag x estimator]) is one
specification, estimated by :func:`analysis.robustness.estimate_spec`. Per specification the curve
keeps b2 (the curvature of the quadratic model) with its confidence interval, the Lind-Mehlum
U-test p, the turning point with its Fieller interval, and b5 (Serv^2 x Dig) with its one-sided
flattening p.

- :func:`build_specifications` enumerates the specifications in a fixed order (mixed radix over
  :data:`analysis.robustness.DIMENSIONS`, Dig fastest), each with a stable content hash
  (:attr:`analysis.robustness.Spec.spec_id`);
- :func:`shards` groups them by their choices on ``shard_by`` dimensions (one Snakemake job each,
  named by its content, so adding a choice reruns only the new shards); the specs that share a
  quadratic model (they differ only in Dig) stay in one job, so it is fitted once;
- :func:`run_specifications` fits a list of specs into a frame of :func:`summary_record` rows;
- :func:`summarize` gives the headline shares and medians; the table and the classic two-panel figure
  are drawn by :mod:`analysis.presentation.robustness` from the saved rows.
"""

from __future__ import annotations

import itertools
import re
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from analysis.robustness import (DIMENSIONS, SUMMARY_COLUMNS, Choices, RobustnessConfigError, Spec,
                                 estimate_spec, summary_record)

#: Settings of ``models`` that no specification-curve row depends on (the curve keeps b2, the U-test,
#: the turning point and b5 with its flattening test; not the moderation table at the Dig quantiles,
#: nor bootstrap or cross-check results). They are left out of the shard jobs' parameters, so that
#: changing them does not rerun the curve.
CURVE_IRRELEVANT = ("moderator_quantiles", "bootstrap", "crosscheck", "outcomes", "x", "moderator")


def curve_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """The part of the config a shard's estimates depend on (the shard jobs' params): the choice
    definitions and the model options; not the curve's lists of choices (a shard gets its own
    specifications), nor settings no curve row depends on (:data:`CURVE_IRRELEVANT`)."""
    models = {k: v for k, v in config["models"].items() if k not in CURVE_IRRELEVANT}
    models["moderator_quantiles"] = []  # the curve computes no moderation table at Dig quantiles
    robustness = {k: v for k, v in config["robustness"].items() if k in ("choices", "high_tech_industries")}
    return {"robustness": robustness, "models": models, "winsorize": config["winsorize"]}


def build_specifications(config: Mapping[str, Any]) -> list[Spec]:
    """All combinations of ``robustness.speccurve`` choices, in enumeration order (Dig fastest).

    Raises :class:`RobustnessConfigError` naming the config key when a choice is not defined
    under ``robustness.choices``.
    """
    r = config.get("robustness") or {}
    sc = r.get("speccurve")
    if not sc:
        raise RobustnessConfigError("config key 'robustness.speccurve' is missing")
    choices = Choices.from_config(config)
    lists = []
    for dim in DIMENSIONS:
        default = {"lag": [0], "method": ["ols"]}.get(dim)
        values = sc.get(dim, default)
        if not values:
            raise RobustnessConfigError(f"config key 'robustness.speccurve.{dim}' is missing or empty")
        if len(set(map(str, values))) != len(values):
            raise RobustnessConfigError(f"config key 'robustness.speccurve.{dim}' repeats a choice: {values}")
        lists.append(list(values))
    for dim, values in zip(DIMENSIONS, lists):  # check every value once, naming its config key
        for v in values:
            choices.check(Spec(**{dim: v}), where=f"robustness.speccurve.{dim}")
    return [Spec(**dict(zip(DIMENSIONS, combo))) for combo in itertools.product(*lists)]


def shard_name(spec: Spec, by: Sequence[str]) -> str:
    """The shard of a specification: its choices on the ``shard_by`` dimensions (a file-name-safe key)."""
    return "__".join(re.sub(r"[^A-Za-z0-9_.-]", "-", str(getattr(spec, d))) for d in by) or "all"


def shards(specs: Sequence[Spec], by: Sequence[str]) -> dict[str, list[Spec]]:
    """Specifications grouped by their choices on the ``by`` dimensions (``robustness.speccurve.shard_by``),
    in enumeration order. A shard is named by its content, not by its position, so adding a choice on
    a shard dimension adds shards and leaves the others (and their results) as they are."""
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown:
        raise RobustnessConfigError(f"config key 'robustness.speccurve.shard_by': unknown dimension(s) {unknown}; "
                                    f"allowed: {list(DIMENSIONS)}")
    out: dict[str, list[Spec]] = {}
    for spec in specs:
        out.setdefault(shard_name(spec, by), []).append(spec)
    return out


def run_specifications(panel: pd.DataFrame, specs: Sequence[Spec], choices: Choices,
                       bounds: pd.DataFrame | None = None,
                       progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Fit ``specs`` and return one :func:`analysis.robustness.summary_record` row per spec."""
    cache: dict[str, Any] = {}
    rows = []
    for i, spec in enumerate(specs):
        choices.check(spec, where="robustness.speccurve")
        est = estimate_spec(panel, spec, choices, bounds, baseline_cache=cache, full=False)
        rows.append(summary_record(est, choices.alpha))
        if progress and (i + 1) % 50 == 0:
            progress(f"{i + 1}/{len(specs)} specifications")
    cols = ["spec_id", *DIMENSIONS, *SUMMARY_COLUMNS]
    return pd.DataFrame(rows).reindex(columns=cols)


def merge_shards(frames: Sequence[pd.DataFrame], specs: Sequence[Spec]) -> pd.DataFrame:
    """The shards' rows in the enumeration order of ``specs`` (``spec_index`` = position); fail on a
    specification that is missing, repeated or not among ``specs``."""
    out = pd.concat(list(frames), ignore_index=True)
    if out["spec_id"].duplicated().any():
        raise ValueError("a specification appears in more than one shard")
    index = {s.spec_id: i for i, s in enumerate(specs)}
    extra = sorted(set(out["spec_id"]) - set(index))
    if extra:
        raise ValueError(f"shard rows for specifications not in the configured curve: {extra[:3]}")
    missing = len(index) - len(out)
    if missing:
        raise ValueError(f"{missing} specification(s) missing from the shards: a shard is missing")
    out.insert(0, "spec_index", out["spec_id"].map(index).astype("int64"))
    return out.sort_values("spec_index").reset_index(drop=True)


def read_results(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"spec_id": str, "reason": str, "fieller_kind": str},
                       keep_default_na=True)


def write_results(frame: pd.DataFrame, path: str) -> None:
    """CSV with full float precision (byte-identical for identical results)."""
    frame.to_csv(path, index=False, float_format="%.10g", lineterminator="\n")


# --------------------------------------------------------------------------- summary
#: The dimensions of the quadratic model: b2, the U-test and the turning point depend on these only
#: (the Dig choice enters the moderated model, i.e. b5, alone).
QUADRATIC_DIMENSIONS = tuple(d for d in DIMENSIONS if d != "dig")


def distinct_quadratic(results: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct quadratic model (specifications that differ only in Dig share b2)."""
    return results.drop_duplicates(subset=list(QUADRATIC_DIMENSIONS), keep="first")


def summarize(results: pd.DataFrame, alpha: float = 0.05) -> dict[str, Any]:
    """Headline numbers of the curve, each over the distinct estimates of its estimand: b2, the U-test
    and the turning point over the distinct quadratic models; b5 over all specifications."""
    ok_all = results[results["status"] == "ok"]
    ok = distinct_quadratic(ok_all)
    n, n_all = len(ok), len(ok_all)

    def share(mask, denom) -> float:
        return float(mask.sum()) / denom if denom else float("nan")

    rej = ok["utest_reject"].astype("boolean").fillna(False).astype(bool)
    tp = ok.loc[rej, "turning_point"].astype(float)
    b5p = ok_all["p_b5_flattening"].astype(float)
    return {
        "n_specifications": int(len(results)), "n_estimated": n_all,
        "n_quadratic": int(len(distinct_quadratic(results))), "n_quadratic_estimated": n,
        "n_skipped": int((results["status"] == "skipped").sum()),
        "n_failed": int((results["status"] == "failed").sum()),
        "share_b2_negative": share(ok["b2"] < 0, n),
        "share_b2_negative_significant": share(ok["b2_ci_upper"] < 0, n),
        "share_inverted_u": share(rej, n),
        "median_b2": float(ok["b2"].median()) if n else float("nan"),
        "median_turning_point": float(tp.median()) if len(tp) else float("nan"),
        "turning_point_p10": float(tp.quantile(0.1)) if len(tp) else float("nan"),
        "turning_point_p90": float(tp.quantile(0.9)) if len(tp) else float("nan"),
        "share_b5_positive": share(ok_all["b5"] > 0, n_all),
        "share_flattening": share(b5p < alpha, n_all),
        "median_b5": float(ok_all["b5"].median()) if n_all else float("nan"),
    }
