"""Tables of the mechanism links (paper/tables/mechanism_*, in the formats of ``output.table_formats``)
from their saved JSON results.

Each table is an :class:`analysis.presentation.tables.Table` (display strings + the tidy numbers behind them);
nothing is re-estimated here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.presentation.tables import Table, se_note, stars

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


def _f(x: Any, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return ""
    return f"{x:.{digits}f}"


def _frame(rows: list[tuple[str, str, list[str]]], header: list[str]) -> pd.DataFrame:
    index = pd.MultiIndex.from_tuples([(b, r) for b, r, _ in rows])
    return pd.DataFrame([v for _, _, v in rows], index=index, columns=header)


_REG_HEADER = ["Coefficient", "SE", "p", "95% CI", "N", "Firms"]


def _reg_cells(r: dict[str, Any], p_key: str = "p") -> list[str]:
    if "coef" not in r:
        return [r.get("note", ""), "", "", "", "", ""]
    return [_f(r["coef"]) + stars(r[p_key]), _f(r["se"]), _f(r[p_key], 3),
            f"[{_f(r['ci_lower'])}, {_f(r['ci_upper'])}]", str(r["n_obs"]), str(r.get("n_clusters") or "")]


def coupling_table(res: dict[str, Any], measures: dict[str, Any] | None = None) -> Table:
    rows = [("body", f"{r['outcome']} on {r['term']}", _reg_cells(r, "p_one_sided_positive")) for r in res["rows"]]
    notes = ["Link (a): FE regressions (firm and year effects) of the coupling coordination degree D "
             "(ccd), the subsystem indices U1 (product innovation) and U2 (service innovation) and "
             "ln R&D intensity on Dig; controls " + ", ".join(res["controls"]) + "; p one-sided (H1: coefficient > 0). "
             + se_note({"spec": {"se": res.get("se"), "cluster": res["cluster"]}}, "en")]
    if measures:
        for u in ("u1", "u2"):
            w = measures.get(f"{u}_weights", {}).get("pooled")
            if w:
                notes.append(f"{u.upper()} entropy weights: " + ", ".join(f"{k} {v:.3f}" for k, v in w["weights"].items()))
    tidy = pd.DataFrame(res["rows"])
    return Table("mechanism_coupling", "Digitalization and product-service innovation coupling",
                 _frame(rows, _REG_HEADER), notes, tidy)


def moderation_table_mech(res: dict[str, Any]) -> Table:
    r = res["result"]
    names, coef, se = r["names"], r["coef"], r["se"]
    from analysis.presentation.tables import _p_two_sided

    rows = []
    for n, b, s in zip(names, coef, se):
        p = _p_two_sided(b, s, r["df_t"])
        rows.append(("coefficients", n, [_f(b) + stars(p), _f(s), _f(p, 3)]))
    mod = {(m["quantity"], m.get("note") or ""): m for m in r["extras"]["moderation"]}
    for (q, note), m in mod.items():
        if q in ("curvature", "turning_point", "flattening_b5", "shape_flip_z", "turning_point_shift"):
            label = f"{q} {note}".strip()
            rows.append(("moderation by D", label, [_f(m["estimate"]), _f(m["se"]), _f(m["p"], 3)]))
    ut = r["extras"]["utest"]
    rows.append(("fit", "N / clusters", [str(r["n_obs"]), str(r["n_clusters"] or ""), ""]))
    rows.append(("fit", "U-test (Sasabuchi) p", [_f(ut.get("p_sasabuchi"), 3), "", ""]))
    notes = ["Link (b): the inverted U of performance in Serv moderated by the coupling coordination degree D "
             "(Haans, Pieters & He 2016): flattening_b5 is b5 with its one-sided p (H1: b5 > 0); "
             "shape_flip_z is the D at which the curvature changes sign (note: inside or outside the observed range). "
             + se_note(r, "en")]
    tidy = pd.DataFrame({"term": names, "coef": coef, "se": se})
    return Table("mechanism_moderation", "Coupling coordination and the servitization curve",
                 _frame(rows, ["Estimate", "SE", "p"]), notes, tidy)


def _point_label(r: dict[str, Any], curve: str | None) -> str:
    return "sample mean" if r["at"] == "mean_effect" else f"{curve} = {_f(r['x'], 3)} ({r['at']})"


def mediation_table(res: dict[str, Any]) -> Table:
    curve = res.get("curve")
    rows = []
    at0 = f" (at {curve} = 0)" if curve else ""
    for key, label in (("a_path", "a: Dig -> D"), ("b_path", "b: D -> performance" + at0),
                       ("direct", "c': direct effect of Dig" + at0), ("total", "c: total effect of Dig" + at0)):
        rows.append(("paths", label, _reg_cells(res[key])))
    if curve:
        for r in res["b_path_terms"][1:]:
            rows.append(("paths", f"b: {r['term']}", _reg_cells(r)))
        for r in res["direct_terms"][1:]:
            rows.append(("paths", f"c': {r['term']}", _reg_cells(r)))
        for key, block in (("b_path_at", "b(x): effect of D"), ("direct_at", "c'(x): direct effect of Dig")):
            for r in res.get(key, []):
                rows.append((block, _point_label(r, curve),
                             [_f(r["estimate"]) + stars(r["p"]), _f(r["se"]), _f(r["p"], 3),
                              f"[{_f(r['ci_lower'])}, {_f(r['ci_upper'])}]", "", ""]))
    ind = res["indirect"]
    for r in [ind, *res.get("indirect_at", [])]:
        label = "a*b" if not curve else ("a*b, average over the sample" if r["at"] == "mean_effect"
                                         else f"a*b({_point_label(r, curve)})")
        rows.append(("indirect", label, [_f(r["estimate"], 5) + stars(r["p_bootstrap"]), _f(r["bootstrap_se"], 5),
                                         _f(r["p_bootstrap"], 3), f"[{_f(r['ci_lower'], 5)}, {_f(r['ci_upper'], 5)}]",
                                         str(res["n_obs"]), str(res["n_clusters"])]))
    rows.append(("indirect", "share mediated", [_f(res["proportion_mediated"], 3), "", "", "", "", ""]))
    notes = [f"Link (c): product-of-coefficients mediation of {res['outcome']} with firm and year effects; "
             f"indirect-effect intervals and p from a {ind['method']} ({ind['reps']} draws, seed {ind['seed']})."]
    if curve:
        notes.append(f"D's effect b({curve}) = b0 + b1 {curve} + b2 {curve}^2 and Dig's direct effect c'({curve}) vary "
                     f"along the servitization curve (outcome model with {curve}, {curve}^2 and their products with D "
                     "and with Dig); intervals of b(x) and c'(x) by the delta method; conditional indirect effects "
                     f"a*b(x) at the quantiles of {curve}.")
    notes += ["Assumption: " + a for a in res["assumptions"]]
    tidy = pd.DataFrame([{**res[k], "path": k} for k in ("a_path", "b_path", "direct", "total")]
                        + [{"path": f"b_at_{r['at']}", "x": r["x"], "coef": r["estimate"], "se": r["se"], "p": r["p"],
                            "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"]} for r in res.get("b_path_at", [])]
                        + [{"path": f"indirect_{r['at']}", "x": r["x"], "coef": r["estimate"], "se": r["bootstrap_se"],
                            "p": r["p_bootstrap"], "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"]}
                           for r in [ind, *res.get("indirect_at", [])]])
    return Table("mechanism_mediation", "Mediation: digitalization, coupling and performance",
                 _frame(rows, _REG_HEADER), notes, tidy)


def stages_table(res: dict[str, Any]) -> Table:
    rows = [(r["stage"], f"{r['stage']}: " + r["model"].split(":", 1)[1] + f" ({r['term']})", _reg_cells(r))
            for r in res["rows"]]
    counts = ", ".join(f"{k}: {v}" for k, v in res["stage_counts"].items())
    controls = f"with Dig, {res['curve']} and {res['curve']}^2" if res.get("curve") else "with Dig"
    notes = [f"Link (d): within each servitization stage, D on Dig and performance on D ({controls}); "
             f"firm-years per stage {counts}."]
    return Table("mechanism_stages", "Coupling links by servitization stage", _frame(rows, _REG_HEADER), notes,
                 pd.DataFrame(res["rows"]))


def resilience_table(res: dict[str, Any]) -> Table:
    rows = [("regressions", f"{r['model']} on {r['term']}", _reg_cells(r)) for r in res["rows"]]
    for g in res["groups"]:
        rows.append(("mean by group", f"{g['group']} (n={g['n_firms']})",
                     [_f(g["drop"]), "", "", f"recovery {_f(g['recovery'])}", f"net {_f(g['net'])}", ""]))
    notes = [f"Link (e): {res['outcome']} around the shock year {res['shock_year']}: drop = year {res['shock_year']} "
             f"minus the mean of the {res['pre_years']} years before; recovery = mean of the {res['post_years']} "
             f"years after minus the shock year; net = after minus before. Cross-firm OLS (HC1) on the pre-shock "
             f"means of Serv and Dig; groups split at the medians. {res['n_firms']} firms."]
    return Table("mechanism_resilience", "Resilience around the shock year", _frame(rows, _REG_HEADER), notes,
                 pd.DataFrame(res["rows"] + res["groups"]))


def mechanism_table(link: str, res: dict[str, Any], measures: dict[str, Any] | None = None) -> Table:
    """The table of one saved result; links b-e are named and titled with their outcome."""
    if link == "coupling":
        return coupling_table(res, measures)
    table = {"moderation": moderation_table_mech, "mediation": mediation_table, "stages": stages_table,
             "resilience": resilience_table}[link](res)
    outcome = res.get("outcome") or res.get("result", {}).get("outcome")
    if outcome:
        table.name = f"{table.name}_{outcome}"
        table.title = f"{table.title}: {outcome}"
    return table


def summary_table(results: dict[str, dict[str, Any]], outcomes: list[str] | tuple[str, ...],
                  language: str = "en") -> Table:
    """The mechanism at a glance: the key estimate of every link (rows) for every outcome (columns),
    from the saved results of :func:`result_names` (for the paper)."""
    from analysis.presentation.tables import label

    def est(r: dict[str, Any] | None, p_key: str = "p", digits: int = 3) -> str:
        if not r or "coef" not in r:
            return ""
        return _f(r["coef"], digits) + stars(r.get(p_key))

    def moderation(res: dict[str, Any], quantity: str) -> dict[str, Any] | None:
        return next((m for m in res["result"]["extras"]["moderation"] if m["quantity"] == quantity), None)

    coupling = {r["outcome"]: r for r in results["coupling"]["rows"]}
    cells: dict[tuple[str, str], list[str]] = {}

    def put(block: str, row: str, values: list[str]) -> None:
        cells[(block, row)] = values

    put("(a) coupling", "D on Dig", [est(coupling.get("ccd"), "p_one_sided_positive")] * len(outcomes))
    put("(a) coupling", "ln R&D intensity on Dig",
        [est(coupling.get("ln_rd_intensity"), "p_one_sided_positive")] * len(outcomes))
    flat, flip, bmean, direct, indirect = [], [], [], [], []
    for y in outcomes:
        mod, med = results[f"moderation_{y}"], results[f"mediation_{y}"]
        b5, sf = moderation(mod, "flattening_b5"), moderation(mod, "shape_flip_z")
        flat.append(_f(b5["estimate"], 3) + stars(b5["p"]) if b5 else "")
        flip.append(f"{_f(sf['estimate'], 3)} ({'inside' if 'inside' in (sf.get('note') or '') else 'outside'})" if sf else "")
        bm = next((r for r in med.get("b_path_at", []) if r["at"] == "mean_effect"), None)
        bmean.append(_f(bm["estimate"], 3) + stars(bm["p"]) if bm else est(med["b_path"]))
        dm = next((r for r in med.get("direct_at", []) if r["at"] == "mean_effect"), None)
        direct.append(_f(dm["estimate"], 3) + stars(dm["p"]) if dm else est(med["direct"]))
        ind = med["indirect"]
        indirect.append(f"{_f(ind['estimate'], 4)}{stars(ind['p_bootstrap'])} [{_f(ind['ci_lower'], 4)}, {_f(ind['ci_upper'], 4)}]")
    put("(b) D moderates the curve", "flattening (Serv^2 x D)", flat)
    put("(b) D moderates the curve", "D at which the curve flips", flip)
    put("(c) mediation", "effect of D (sample mean of b(Serv))", bmean)
    put("(c) mediation", "direct effect of Dig (sample mean)", direct)
    put("(c) mediation", "average indirect effect [CI]", indirect)
    stages = sorted({r["stage"] for y in outcomes for r in results[f"stages_{y}"]["rows"]})
    for s in stages:
        put("(d) stages", f"effect of D in {s}",
            [est(next((r for r in results[f"stages_{y}"]["rows"] if r["stage"] == s and r["term"] == "ccd"
                       and r["model"].endswith(f"_{y}")), None)) for y in outcomes])
    for term in ("serv_pre", "dig_pre"):
        put("(e) resilience", f"drop in the shock year on {term}",
            [est(next((r for r in results[f"resilience_{y}"]["rows"] if r["model"] == "drop" and r["term"] == term),
                      None)) for y in outcomes])
    frame = pd.DataFrame(list(cells.values()), index=pd.MultiIndex.from_tuples(list(cells)),
                         columns=[label(y, language) for y in outcomes])
    notes = ["Key estimates of the mechanism links (tables mechanism_<link>_<outcome> give the full results). "
             "(a) one-sided p (H1: > 0); (b) flattening with one-sided p (H1: > 0); (c) b(Serv) and the "
             "direct effect with delta-method/cluster p, the indirect effect with its firm-cluster bootstrap "
             "interval; (d) within-stage FE regressions; (e) cross-firm OLS (HC1). * p < 0.1, ** p < 0.05, "
             "*** p < 0.01."]
    tidy = pd.DataFrame([{"block": b, "row": r, **dict(zip(outcomes, v))} for (b, r), v in cells.items()])
    return Table("mechanism_summary", "The mechanism: product-service innovation coupling", frame, notes, tidy)
