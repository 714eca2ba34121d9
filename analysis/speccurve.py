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
- :func:`shard` splits them into contiguous blocks (one Snakemake job each); contiguous blocks keep
  the specs that share a quadratic model (they differ only in Dig) in one job so it is fitted once;
- :func:`run_specifications` fits a list of specs into a frame of :func:`summary_record` rows;
- :func:`summarize` and :func:`summary_table` give the shares and medians of the table;
- :func:`plot_speccurve` draws the classic two-panel figure.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.robustness import (DIMENSIONS, SUMMARY_COLUMNS, Choices, RobustnessConfigError, Spec,
                                 estimate_spec, summary_record)

#: Labels of the dimensions in the figure and table.
DIMENSION_LABELS = {"outcome": "Outcome", "serv": "Serv measure", "dig": "Dig measure", "controls": "Controls",
                    "fixed_effects": "Fixed effects", "winsorize": "Winsorizing", "sample": "Sample",
                    "lag": "Lag", "method": "Estimator"}


#: Settings of ``models`` that no specification-curve row depends on (the curve keeps b2, the U-test,
#: the turning point and b5 with its flattening test; not the moderation table at the Dig quantiles,
#: nor bootstrap or cross-check results). They are left out of the shard jobs' parameters, so that
#: changing them does not rerun the curve.
CURVE_IRRELEVANT = ("moderator_quantiles", "bootstrap", "crosscheck", "outcomes", "x", "moderator")


def curve_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """The part of the config the specification curve's estimates depend on (the shard jobs' params)."""
    models = {k: v for k, v in config["models"].items() if k not in CURVE_IRRELEVANT}
    models["moderator_quantiles"] = []  # the curve computes no moderation table at Dig quantiles
    return {"robustness": config["robustness"], "models": models, "winsorize": config["winsorize"]}


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


def shard(specs: Sequence[Spec], n_shards: int, k: int) -> list[Spec]:
    """The ``k``-th of ``n_shards`` contiguous blocks of ``specs`` (sizes differ by at most one)."""
    if not 0 <= k < n_shards:
        raise ValueError(f"shard {k} outside 0..{n_shards - 1}")
    n = len(specs)
    lo, hi = (k * n) // n_shards, ((k + 1) * n) // n_shards
    return list(specs[lo:hi])


def spec_index(specs: Sequence[Spec]) -> dict[str, int]:
    return {s.spec_id: i for i, s in enumerate(specs)}


def run_specifications(panel: pd.DataFrame, specs: Sequence[Spec], choices: Choices,
                       bounds: pd.DataFrame | None = None, index: Mapping[str, int] | None = None,
                       progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Fit ``specs`` and return one :func:`analysis.robustness.summary_record` row per spec."""
    cache: dict[str, Any] = {}
    rows = []
    for i, spec in enumerate(specs):
        est = estimate_spec(panel, spec, choices, bounds, baseline_cache=cache, full=False)
        rec = summary_record(est, choices.alpha)
        rec["spec_index"] = index[spec.spec_id] if index is not None else i
        rows.append(rec)
        if progress and (i + 1) % 50 == 0:
            progress(f"{i + 1}/{len(specs)} specifications")
    cols = ["spec_index", "spec_id", *DIMENSIONS, *SUMMARY_COLUMNS]
    frame = pd.DataFrame(rows)
    return frame.reindex(columns=cols)


def merge_shards(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate shard results in specification order; fail on duplicated or missing specs."""
    out = pd.concat(list(frames), ignore_index=True).sort_values("spec_index").reset_index(drop=True)
    if out["spec_id"].duplicated().any():
        raise ValueError("a specification appears in more than one shard")
    if not (out["spec_index"].to_numpy() == np.arange(len(out))).all():
        raise ValueError("specification indices are not 0..n-1: a shard is missing")
    return out


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


def summary_table(results: pd.DataFrame, alpha: float = 0.05):
    """Table: the headline shares for all specifications, then by each choice of each dimension."""
    from analysis.tables import rows_table

    def fmt_share(x: float) -> str:
        return "" if not np.isfinite(x) else f"{100 * x:.1f}%"

    def fmt(x: float, d: int = 3) -> str:
        return "" if not np.isfinite(x) else f"{x:.{d}f}"

    def row(label: str, frame: pd.DataFrame) -> list[str]:
        s = summarize(frame, alpha)
        return [label, f"{s['n_quadratic_estimated']} / {s['n_estimated']}", fmt_share(s["share_b2_negative_significant"]),
                fmt_share(s["share_inverted_u"]), fmt(s["median_turning_point"]),
                fmt_share(s["share_flattening"]), fmt(s["median_b5"], 4)]

    rows = [row("All specifications", results)]
    for dim in DIMENSIONS:
        values = list(dict.fromkeys(results[dim].astype(str)))
        if len(values) < 2:
            continue
        for v in values:
            rows.append([f"{DIMENSION_LABELS[dim]}: {v}"] + row("", results[results[dim].astype(str) == v])[1:])
    s = summarize(results, alpha)
    notes = [f"{s['n_specifications']} specifications ({s['n_estimated']} estimated, {s['n_skipped']} skipped "
             f"for missing data, {s['n_failed']} failed); they contain {s['n_quadratic']} distinct quadratic models "
             "(the Dig choice changes only the moderated model). N: distinct quadratic models / all specifications; "
             "b2, the U-test and the turning point are counted over the distinct quadratic models, b5 over all "
             f"specifications. b2 < 0: the upper end of its {100 * (1 - alpha):.0f}% "
             "interval is negative. Inverted U: Lind-Mehlum test rejects at "
             f"{alpha} on the Serv range of the estimation sample (df = clusters - 1); the turning point "
             "median is over those specifications. Flattening: one-sided p of b5 > 0 (Serv^2 x Dig) below "
             f"{alpha}. Method: Simonsohn, Simmons & Nelson (2020)."]
    return rows_table("speccurve", "Specification curve: the inverted U and its flattening across specifications",
                      ["Specifications", "Models (quadratic / all)", "b2 < 0 (sig.)", "Inverted U (U-test)", "Median turning point",
                       "Flattening (b5 > 0, sig.)", "Median b5"], rows, notes)


# --------------------------------------------------------------------------- figure
def plot_speccurve(results: pd.DataFrame, out_paths: Sequence[str], sort_by: str = "b2",
                   alpha: float = 0.05) -> None:
    """Two panels: estimates sorted, with intervals (top); which choice each spec uses (bottom).

    ``sort_by="b2"``: b2 with its (1 - alpha) CI, coloured by whether the U-test rejects.
    ``sort_by="turning_point"``: the turning point with its Fieller interval (bounded ones).
    Files carry no timestamps (byte-identical across runs).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = distinct_quadratic(results[results["status"] == "ok"].sort_values("spec_index")).reset_index(drop=True)
    dims = [d for d in QUADRATIC_DIMENSIONS if ok[d].astype(str).nunique() > 1]
    levels = [(d, v) for d in dims for v in dict.fromkeys(ok[d].astype(str))]  # config order
    if sort_by == "b2":
        est, lo, hi = ok["b2"], ok["b2_ci_lower"], ok["b2_ci_upper"]
        ylabel = "b2 (Serv²)"
    elif sort_by == "turning_point":
        est = ok["turning_point"]
        bounded = ok["fieller_kind"] == "bounded"
        lo, hi = ok["fieller_lower"].where(bounded), ok["fieller_upper"].where(bounded)
        ylabel = "Turning point (Serv)"
    else:
        raise ValueError(f"config key 'robustness.speccurve.sort_by' must be b2 or turning_point, got {sort_by!r}")
    order = np.lexsort((ok["spec_index"].to_numpy(), est.to_numpy(dtype=float)))
    ok = ok.iloc[order].reset_index(drop=True)
    est, lo, hi = (s.iloc[order].reset_index(drop=True).astype(float) for s in (est, lo, hi))
    rank = np.arange(len(ok))
    sig = ok["utest_reject"].astype("boolean").fillna(False).to_numpy(dtype=bool)

    height_bottom = 0.18 * max(len(levels), 1) + 0.4
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 3.2 + height_bottom), sharex=True,
                                   gridspec_kw={"height_ratios": [3.2, height_bottom]})
    ax1.vlines(rank, lo, hi, color=np.where(sig, "#9ecae1", "#d9d9d9"), linewidth=0.6)
    ax1.scatter(rank[sig], est[sig], s=4, color="#08519c", label="inverted U (Lind-Mehlum p < %.2g)" % alpha)
    ax1.scatter(rank[~sig], est[~sig], s=4, color="#969696", label="U-test does not reject")
    if sort_by == "b2":
        ax1.axhline(0, color="black", linewidth=0.6)
    ax1.set_ylabel(ylabel)
    ax1.legend(loc="upper left", fontsize=7, frameon=False)
    ax1.set_title(f"Specification curve ({len(ok)} distinct quadratic models; the Dig choice enters only b5)",
                  fontsize=10)
    ylab = []
    for j, (d, v) in enumerate(levels):
        y = len(levels) - 1 - j
        on = ok[d].astype(str).to_numpy() == v
        ax2.scatter(rank[on], np.full(on.sum(), y), s=2, marker="|", color="#252525",
                    linewidths=0.6)
        ylab.append((y, f"{DIMENSION_LABELS[d]}: {v}"))
    ax2.set_yticks([y for y, _ in ylab], [t for _, t in ylab], fontsize=6)
    ax2.set_ylim(-0.7, len(levels) - 0.3)
    ax2.set_xlabel("Specification (sorted by the estimate)")
    fig.tight_layout()
    for p in out_paths:
        meta = {"Software": None} if str(p).endswith(".png") else {"CreationDate": None} if str(p).endswith(".pdf") else {}
        if str(p).endswith(".svg"):
            meta = {"Date": None}
        fig.savefig(p, metadata=meta, dpi=150)
    plt.close(fig)
