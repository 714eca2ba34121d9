"""Tables and the figure of the robustness models and the specification curve (presentation).

Reads the records that :mod:`analysis.robustness` and :mod:`analysis.speccurve` save; never fits.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.robustness import DIMENSIONS, summary_record
from analysis.speccurve import QUADRATIC_DIMENSIONS, distinct_quadratic, summarize

#: Labels of the dimensions in the figure and table.
DIMENSION_LABELS = {"outcome": "Outcome", "serv": "Serv measure", "dig": "Dig measure", "controls": "Controls",
                    "fixed_effects": "Fixed effects", "winsorize": "Winsorizing", "sample": "Sample",
                    "lag": "Lag", "method": "Estimator"}


def robustness_table(estimates: list[Mapping[str, Any]], alpha: float, language: str = "en"):
    """One row per robustness model: N, b2 (SE), U-test p, turning point [Fieller], b5 (SE), p(b5 > 0),
    and for 2SLS rows the smallest Sanderson-Windmeijer first-stage F with a weak-instrument flag."""
    from scipy import stats

    from analysis.presentation.tables import rows_table, se_note, stars

    def num(x: Any, d: int = 4) -> str:
        return "" if x is None or not np.isfinite(x) else f"{x:.{d}f}"

    rows, notes_se = [], []
    for est in estimates:
        spec = est["spec"]
        changed = spec.get("label") or spec["name"]
        if est["status"] != "ok":
            rows.append([changed, "", f"{est['status']}: {est['reason']}", "", "", "", "", ""])
            continue
        notes_se.append(se_note(est["baseline"], language))
        r = summary_record(est, alpha)
        t_b2 = r["b2"] / r["se_b2"] if r["se_b2"] else float("nan")
        p_b2 = float(2 * stats.t(r["df_t"]).sf(abs(t_b2)))
        tp = num(r["turning_point"], 3)
        if r["fieller_kind"] == "bounded":
            tp += f" [{num(r['fieller_lower'], 3)}, {num(r['fieller_upper'], 3)}]"
        elif r["fieller_kind"]:
            tp += f" ({r['fieller_kind'].replace('_', ' ')})"
        fs = ""
        ex = est["baseline"]["extras"]
        if ex.get("method") == "iv":
            fs = num(ex["first_stage_min_f"], 2) + (" (weak)" if ex["weak_instruments"] else "")
        rows.append([changed, f"{r['n_obs']:,}", f"{num(r['b2'])}{stars(p_b2)} ({num(r['se_b2'])})",
                     num(r["utest_p"]), tp, f"{num(r['b5'])} ({num(r['se_b5'])})", num(r["p_b5_flattening"]), fs])
    notes = ["Each row changes one choice of the baseline specification (first row). b2: Serv^2 in "
             "Perf = b1 Serv + b2 Serv^2 + controls + FE; * p<0.1, ** p<0.05, *** p<0.01. "
             + " ".join(dict.fromkeys(notes_se)) + " "
             "U-test: Lind-Mehlum p for an inverted U on the Serv range of the estimation sample. Turning point "
             f"with its {100 * (1 - alpha):.0f}% Fieller interval. b5: Serv^2 x Dig in the moderated model, "
             "p one-sided for flattening (b5 > 0). IV: 2SLS with industry-year leave-one-out means of Serv "
             "(and its square) and Dig as instruments - an option, not a claim of identification; first-stage F: "
             "the smallest Sanderson-Windmeijer conditional F of the quadratic model's endogenous terms, (weak) "
             "below 10. Skipped rows need a column the panel does not have."]
    return rows_table("robustness", "Robustness of the inverted U and of its flattening by digitalization",
                      ["Specification", "N", "b2 (SE)", "U-test p", "Turning point", "b5 (SE)", "p (b5 > 0)",
                       "First-stage F"],
                      rows, notes, tidy=pd.DataFrame([summary_record(e, alpha) | {"model": e["spec"]["name"]}
                                                      for e in estimates if e["status"] == "ok"]))



def summary_table(results: pd.DataFrame, alpha: float = 0.05):
    """Table: the headline shares for all specifications, then by each choice of each dimension."""
    from analysis.presentation.tables import rows_table

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
