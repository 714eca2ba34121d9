"""Tables and the figure of the robustness models and the specification curve (presentation).

Reads the records that :mod:`analysis.robustness` and :mod:`analysis.speccurve` save; never fits.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.robustness import DIMENSIONS, summary_record
from analysis.speccurve import QUADRATIC_DIMENSIONS, distinct_quadratic, summarize

def dimension_label(dim: str, language: str = "en") -> str:
    """Label of a dimension of the specifications (labels.yaml ``dim_<dimension>``)."""
    from analysis.presentation.tables import label

    return label(f"dim_{dim}", language)


def choice_label(dim: str, value: Any, language: str = "en") -> str:
    """Label of a named choice (labels.yaml ``choice_<name>``, else a variable label, else the name)."""
    from analysis.presentation.tables import _labels, label

    key = f"choice_{value}"
    if key in _labels():
        return label(key, language)
    return label(str(value), language)


def spec_label(spec: Mapping[str, Any], base: Mapping[str, Any] | None, language: str = "en") -> str:
    """Row label of a robustness model: what it changes relative to the baseline, from the label file
    ("Sample: state-owned"); the baseline row lists nothing."""
    from analysis.presentation.tables import label

    if base is None:
        return label("rob_baseline", language)
    sep = "：" if language == "zh" else ": "
    diffs = [f"{dimension_label(d, language)}{sep}{choice_label(d, spec.get(d), language)}"
             for d in DIMENSIONS if d in spec and spec.get(d) != base.get(d)]
    return ("；" if language == "zh" else "; ").join(diffs) or label("rob_baseline", language)


def robustness_table(estimates: list[Mapping[str, Any]], alpha: float, language: str = "en", parentheses: str = "se"):
    """One row per robustness model: N, b2 (SE or t), U-test p, turning point [Fieller], b5 (SE or t),
    p(b5 > 0), and for 2SLS rows the smallest Sanderson-Windmeijer first-stage F with a weak-instrument
    flag; ``parentheses`` (config ``output.parentheses``) chooses standard errors or t values.
    The first estimate is the baseline; row labels say what each model changes (label file)."""
    from scipy import stats

    from analysis.presentation.tables import in_parentheses, label, paren_key, rows_table, se_note, stars, text

    def num(x: Any, d: int = 4) -> str:
        return "" if x is None or not np.isfinite(x) else f"{x:.{d}f}"

    rows, notes_se = [], []
    base = estimates[0]["spec"] if estimates else None
    for i, est in enumerate(estimates):
        spec = est["spec"]
        changed = spec_label(spec, None if i == 0 else base, language)
        if est["status"] != "ok":
            rows.append([changed, "", text(f"rob_status_{est['status']}", language, reason=est["reason"]),
                         "", "", "", "", ""])
            continue
        notes_se.append(se_note(est["baseline"], language, parentheses))
        r = summary_record(est, alpha)
        t_b2 = r["b2"] / r["se_b2"] if r["se_b2"] else float("nan")
        p_b2 = float(2 * stats.t(r["df_t"]).sf(abs(t_b2)))
        tp = num(r["turning_point"], 3)
        if r["fieller_kind"] == "bounded":
            tp += f" [{num(r['fieller_lower'], 3)}, {num(r['fieller_upper'], 3)}]"
        elif r["fieller_kind"]:
            tp += f" ({label('fieller_' + r['fieller_kind'], language)})"
        fs = ""
        ex = est["baseline"]["extras"]
        if ex.get("method") == "iv":
            fs = num(ex["first_stage_min_f"], 2) + (" " + label("rob_weak", language) if ex["weak_instruments"] else "")
        rows.append([changed, f"{r['n_obs']:,}", f"{num(r['b2'])}{stars(p_b2)} {in_parentheses(r['b2'], r['se_b2'], parentheses)}",
                     num(r["utest_p"]), tp, f"{num(r['b5'])} {in_parentheses(r['b5'], r['se_b5'], parentheses)}",
                     num(r["p_b5_flattening"]), fs])
    notes = [" ".join([label("note_robustness_head", language), *dict.fromkeys(notes_se),
                       text("note_robustness_tail", language, level=f"{100 * (1 - alpha):.0f}")])]
    header = [label(k, language) for k in ("rob_specification", "rob_n", paren_key("rob_b2", parentheses), "rob_utest_p",
                                            "rob_turning_point", paren_key("rob_b5", parentheses), "rob_p_b5",
                                            "rob_first_stage")]
    return rows_table("robustness", label("title_robustness", language), header,
                      rows, notes, tidy=pd.DataFrame([summary_record(e, alpha) | {"model": e["spec"]["name"]}
                                                      for e in estimates if e["status"] == "ok"]))


def summary_table(results: pd.DataFrame, alpha: float = 0.05, language: str = "en"):
    """Table: the headline shares for all specifications, then by each choice of each dimension."""
    from analysis.presentation.tables import label, rows_table, text

    def fmt_share(x: float) -> str:
        return "" if not np.isfinite(x) else f"{100 * x:.1f}%"

    def fmt(x: float, d: int = 3) -> str:
        return "" if not np.isfinite(x) else f"{x:.{d}f}"

    def row(name: str, frame: pd.DataFrame) -> list[str]:
        s = summarize(frame, alpha)
        return [name, f"{s['n_quadratic_estimated']} / {s['n_estimated']}", fmt_share(s["share_b2_negative_significant"]),
                fmt_share(s["share_inverted_u"]), fmt(s["median_turning_point"]),
                fmt_share(s["share_flattening"]), fmt(s["median_b5"], 4)]

    sep = "：" if language == "zh" else ": "
    rows = [row(label("sc_all", language), results)]
    for dim in DIMENSIONS:
        values = list(dict.fromkeys(results[dim].astype(str)))
        if len(values) < 2:
            continue
        for v in values:
            rows.append([f"{dimension_label(dim, language)}{sep}{choice_label(dim, v, language)}"]
                        + row("", results[results[dim].astype(str) == v])[1:])
    s = summarize(results, alpha)
    notes = [text("note_speccurve", language, level=f"{100 * (1 - alpha):.0f}", alpha=alpha,
                  **{k: s[k] for k in ("n_specifications", "n_estimated", "n_skipped", "n_failed", "n_quadratic")})]
    header = [label(k, language) for k in ("sc_specifications", "sc_models", "sc_b2_neg", "sc_inverted_u",
                                            "sc_median_tp", "sc_flattening", "sc_median_b5")]
    return rows_table("speccurve", label("title_speccurve", language), header, rows, notes)


# --------------------------------------------------------------------------- figure
def plot_speccurve(results: pd.DataFrame, out_paths: Sequence[str], sort_by: str = "b2",
                   alpha: float = 0.05, language: str = "en", font: str | None = None) -> str:
    """Two panels: estimates sorted, with intervals (top); which choice each spec uses (bottom).

    ``sort_by="b2"``: b2 with its (1 - alpha) CI, coloured by whether the U-test rejects.
    ``sort_by="turning_point"``: the turning point with its Fieller interval (bounded ones).
    Files carry no timestamps (byte-identical across runs). Returns the language of the labels
    (English when no CJK font is found, see :func:`analysis.presentation.figures.figure_style`).
    """
    from analysis.presentation.figures import figure_style

    with figure_style(language, font) as lang:
        _plot_speccurve(results, out_paths, sort_by, alpha, lang)
    return lang


def _plot_speccurve(results: pd.DataFrame, out_paths: Sequence[str], sort_by: str, alpha: float,
                    lang: str) -> None:
    import matplotlib.pyplot as plt

    from analysis.presentation.figures import FIG_DPI
    from analysis.presentation.tables import label, text

    ok = distinct_quadratic(results[results["status"] == "ok"].sort_values("spec_index")).reset_index(drop=True)
    dims = [d for d in QUADRATIC_DIMENSIONS if ok[d].astype(str).nunique() > 1]
    levels = [(d, v) for d in dims for v in dict.fromkeys(ok[d].astype(str))]  # config order
    if sort_by == "b2":
        est, lo, hi = ok["b2"], ok["b2_ci_lower"], ok["b2_ci_upper"]
        ylabel = label("fig_sc_b2", lang)
    elif sort_by == "turning_point":
        est = ok["turning_point"]
        bounded = ok["fieller_kind"] == "bounded"
        lo, hi = ok["fieller_lower"].where(bounded), ok["fieller_upper"].where(bounded)
        ylabel = label("fig_sc_tp", lang)
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
    ax1.scatter(rank[sig], est[sig], s=4, color="#08519c", label=text("fig_sc_inverted_u", lang, alpha=f"{alpha:.2g}"))
    ax1.scatter(rank[~sig], est[~sig], s=4, color="#969696", label=label("fig_sc_not_rejected", lang))
    if sort_by == "b2":
        ax1.axhline(0, color="black", linewidth=0.6)
    ax1.set_ylabel(ylabel)
    ax1.legend(loc="upper left", fontsize=7, frameon=False)
    ax1.set_title(text("fig_sc_title", lang, n=len(ok)), fontsize=10)
    ylab = []
    for j, (d, v) in enumerate(levels):
        y = len(levels) - 1 - j
        on = ok[d].astype(str).to_numpy() == v
        ax2.scatter(rank[on], np.full(on.sum(), y), s=2, marker="|", color="#252525",
                    linewidths=0.6)
        ylab.append((y, f"{dimension_label(d, lang)}: {choice_label(d, v, lang)}"))
    ax2.set_yticks([y for y, _ in ylab], [t for _, t in ylab], fontsize=6)
    ax2.set_ylim(-0.7, len(levels) - 0.3)
    ax2.set_xlabel(label("fig_sc_x", lang))
    fig.tight_layout()
    for p in out_paths:
        meta = {"Software": None} if str(p).endswith(".png") else {"CreationDate": None} if str(p).endswith(".pdf") else {}
        if str(p).endswith(".svg"):
            meta = {"Date": None}
        fig.savefig(p, metadata=meta, dpi=FIG_DPI)
    plt.close(fig)
