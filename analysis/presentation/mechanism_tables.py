"""Tables of the mechanism links (paper/tables/mechanism_*, in the formats of ``output.table_formats``)
from their saved JSON results.

Each table is an :class:`analysis.presentation.tables.Table` (display strings + the tidy numbers behind them);
nothing is re-estimated here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.mechanism import LINKS, OUTCOME_LINKS, parse_result_name, result_names  # noqa: F401 (re-exported)
from analysis.presentation.tables import Table, _labels, label, se_note, stars, text


def _f(x: Any, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return ""
    return f"{x:.{digits}f}"


def _frame(rows: list[tuple[str, str, list[str]]], header: list[str]) -> pd.DataFrame:
    index = pd.MultiIndex.from_tuples([(b, r) for b, r, _ in rows])
    return pd.DataFrame([v for _, _, v in rows], index=index, columns=header)


_REG_HEADER = ("mech_coef", "mech_se", "mech_p", "mech_ci", "mech_n", "mech_firms")


def _header(keys, language: str) -> list[str]:
    return [label(k, language) for k in keys]


def _name(key: str, language: str) -> str:
    """A variable or term in a row label: the raw name in English (as the tables always printed it),
    its label in Chinese."""
    return key if language == "en" else label(key, language)


def _on(y: str, x: str, language: str) -> str:
    return text("mech_on", language, y=_name(y, language), x=_name(x, language))


def _assumption(a: str, language: str) -> str:
    if language != "en":
        for prefix, zh in _labels().get("mediation_assumptions", []):
            if a.startswith(prefix):
                return text("note_mech_assumption", language, a=zh)
    return text("note_mech_assumption", language, a=a)


def _group(g: str, language: str) -> str:
    if language == "en":
        return g
    parts = []
    for part in g.split(";"):
        level, _, v = part.partition("_")
        parts.append(text(f"group_{level}", language, v=label(v, language)) if level in ("high", "low") else part)
    return "、".join(parts)


def _reg_cells(r: dict[str, Any], p_key: str = "p") -> list[str]:
    if "coef" not in r:
        return [r.get("note", ""), "", "", "", "", ""]
    return [_f(r["coef"]) + stars(r[p_key]), _f(r["se"]), _f(r[p_key], 3),
            f"[{_f(r['ci_lower'])}, {_f(r['ci_upper'])}]", str(r["n_obs"]), str(r.get("n_clusters") or "")]


def coupling_table(res: dict[str, Any], measures: dict[str, Any] | None = None, language: str = "en") -> Table:
    rows = [("body", _on(r["outcome"], r["term"], language), _reg_cells(r, "p_one_sided_positive")) for r in res["rows"]]
    sep = ", " if language == "en" else "、"
    notes = [text("note_mech_coupling", language, controls=sep.join(_name(c, language) for c in res["controls"]))
             + " " + se_note({"spec": {"se": res.get("se"), "cluster": res["cluster"]}}, language)]
    if measures:
        for u in ("u1", "u2"):
            w = measures.get(f"{u}_weights", {}).get("pooled")
            if w:
                notes.append(text("note_mech_weights", language, u=u.upper(),
                                  weights=", ".join(f"{_name(k, language)} {v:.3f}" for k, v in w["weights"].items())))
    tidy = pd.DataFrame(res["rows"])
    return Table("mechanism_coupling", label("title_mechanism_coupling", language),
                 _frame(rows, _header(_REG_HEADER, language)), notes, tidy)


def moderation_table_mech(res: dict[str, Any], language: str = "en") -> Table:
    r = res["result"]
    names, coef, se = r["names"], r["coef"], r["se"]
    from analysis.presentation.tables import _p_two_sided

    rows = []
    for n, b, s in zip(names, coef, se):
        p = _p_two_sided(b, s, r["df_t"])
        rows.append((label("block_coefficients", language), _name(n, language), [_f(b) + stars(p), _f(s), _f(p, 3)]))
    mod = {(m["quantity"], m.get("note") or ""): m for m in r["extras"]["moderation"]}
    for (q, note), m in mod.items():
        if q in ("curvature", "turning_point", "flattening_b5", "shape_flip_z", "turning_point_shift"):
            if language == "en":
                row = f"{q} {note}".strip()
            else:
                where = next((label(f"mq_{w}", language) for w in ("inside", "outside") if w in note),
                             note.replace("one-sided", label("one_sided", language)))
                row = label(f"mq_{q}", language) + (f"（{_quantile_note(where, language)}）" if where else "")
            rows.append((label("block_moderation_by_d", language), row, [_f(m["estimate"]), _f(m["se"]), _f(m["p"], 3)]))
    ut = r["extras"]["utest"]
    rows.append((label("block_fit", language), label("mech_n_clusters", language),
                 [str(r["n_obs"]), str(r["n_clusters"] or ""), ""]))
    rows.append((label("block_fit", language), label("mech_utest_p", language), [_f(ut.get("p_sasabuchi"), 3), "", ""]))
    notes = [label("note_mech_moderation", language) + " " + se_note(r, language)]
    tidy = pd.DataFrame({"term": names, "coef": coef, "se": se})
    return Table("mechanism_moderation", label("title_mechanism_moderation", language),
                 _frame(rows, _header(("mech_estimate", "mech_se", "mech_p"), language)), notes, tidy)


def _quantile_note(note: str, language: str) -> str:
    """A moderation note in a Chinese row label: a quantile key (p10) by its label, else as it is."""
    import re

    return text("quantile", language, q=note[1:]) if re.fullmatch(r"p\d+", note) else note


def _point_label(r: dict[str, Any], curve: str | None, language: str = "en") -> str:
    if r["at"] == "mean_effect":
        return label("mech_sample_mean", language)
    return text("mech_at_point", language, curve=_name(curve, language), x=_f(r["x"], 3),
                at=r["at"] if language == "en" else _quantile_note(r["at"], language))


def mediation_table(res: dict[str, Any], language: str = "en") -> Table:
    curve = res.get("curve")
    rows = []
    at0 = text("mech_at0", language, curve=_name(curve, language)) if curve else ""
    paths = label("block_paths", language)
    for key, lab in (("a_path", "mech_a_path"), ("b_path", "mech_b_path"), ("direct", "mech_direct"),
                     ("total", "mech_total")):
        rows.append((paths, text(lab, language, at0=at0), _reg_cells(res[key])))
    if curve:
        for r in res["b_path_terms"][1:]:
            rows.append((paths, text("mech_b_term", language, term=_name(r["term"], language)), _reg_cells(r)))
        for r in res["direct_terms"][1:]:
            rows.append((paths, text("mech_c_term", language, term=_name(r["term"], language)), _reg_cells(r)))
        for key, block in (("b_path_at", "block_b_at"), ("direct_at", "block_direct_at")):
            for r in res.get(key, []):
                rows.append((label(block, language), _point_label(r, curve, language),
                             [_f(r["estimate"]) + stars(r["p"]), _f(r["se"]), _f(r["p"], 3),
                              f"[{_f(r['ci_lower'])}, {_f(r['ci_upper'])}]", "", ""]))
    ind = res["indirect"]
    indirect = label("block_indirect", language)
    for r in [ind, *res.get("indirect_at", [])]:
        lab = label("mech_ab", language) if not curve else (
            label("mech_ab_mean", language) if r["at"] == "mean_effect"
            else text("mech_ab_at", language, point=_point_label(r, curve, language)))
        rows.append((indirect, lab, [_f(r["estimate"], 5) + stars(r["p_bootstrap"]), _f(r["bootstrap_se"], 5),
                                     _f(r["p_bootstrap"], 3), f"[{_f(r['ci_lower'], 5)}, {_f(r['ci_upper'], 5)}]",
                                     str(res["n_obs"]), str(res["n_clusters"])]))
    rows.append((indirect, label("mech_share_mediated", language), [_f(res["proportion_mediated"], 3), "", "", "", "", ""]))
    bk, b_note = baron_kenny_rows(res, language)
    rows += bk
    method = ind["method"] if language == "en" else label("cluster_bootstrap", language)
    notes = [text("note_mech_mediation", language, outcome=_name(res["outcome"], language), method=method,
                  reps=ind["reps"], seed=ind["seed"])]
    if curve:
        notes.append(text("note_mech_mediation_curve", language, curve=_name(curve, language)))
    notes.append(text("note_mech_sobel", language, b=b_note))
    notes += [_assumption(a, language) for a in res["assumptions"]]
    tidy = pd.DataFrame([{**res[k], "path": k} for k in ("a_path", "b_path", "direct", "total")]
                        + [{"path": f"b_at_{r['at']}", "x": r["x"], "coef": r["estimate"], "se": r["se"], "p": r["p"],
                            "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"]} for r in res.get("b_path_at", [])]
                        + [{"path": f"indirect_{r['at']}", "x": r["x"], "coef": r["estimate"], "se": r["bootstrap_se"],
                            "p": r["p_bootstrap"], "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"]}
                           for r in [ind, *res.get("indirect_at", [])]])
    return Table("mechanism_mediation", label("title_mechanism_mediation", language),
                 _frame(rows, _header(_REG_HEADER, language)), notes, tidy)


def baron_kenny_rows(res: dict[str, Any], language: str = "en") -> tuple[list[tuple[str, str, list[str]]], str]:
    """Rows of the Sobel test and the Baron-Kenny verdict from the saved paths (a, b, c, c'); with the
    curve, b and c' are their sample-mean effects along Serv. Returns the rows and the note on b."""
    from analysis.inference.sobel import baron_kenny, sobel

    bm = next((r for r in res.get("b_path_at", []) if r["at"] == "mean_effect"), None)
    dm = next((r for r in res.get("direct_at", []) if r["at"] == "mean_effect"), None)
    b, se_b, p_b = (bm["estimate"], bm["se"], bm["p"]) if bm else (res["b_path"]["coef"], res["b_path"]["se"],
                                                                   res["b_path"]["p"])
    p_direct = dm["p"] if dm else res["direct"]["p"]
    a = res["a_path"]
    s = sobel(a["coef"], a["se"], b, se_b)
    verdict = baron_kenny(res["total"]["p"], a["p"], p_b, p_direct)
    block = label("block_baron_kenny", language)
    rows = [(block, label("bk_sobel", language), [_f(s["indirect"], 5) + stars(s["p"]), _f(s["se"], 5), _f(s["p"], 3),
                                                  "", "", ""]),
            (block, label("bk_sobel_z", language), [f"{_f(s['z'], 3)} ({_f(s['p'], 3)})", "", "", "", "", ""]),
            (block, label("bk_verdict", language), [label(f"bk_{verdict}", language), "", "", "", "", ""])]
    return rows, label("bk_b_mean" if bm else "bk_b_linear", language)


def stages_table(res: dict[str, Any], language: str = "en") -> Table:
    if language == "en":
        rows = [(r["stage"], f"{r['stage']}: " + r["model"].split(":", 1)[1] + f" ({r['term']})", _reg_cells(r))
                for r in res["rows"]]
    else:
        rows = [(label(r["stage"], language), text("stage_model", language, stage=label(r["stage"], language),
                                                   model=_on(r["outcome"], r["term"], language), term=_name(r["term"], language)),
                 _reg_cells(r)) for r in res["rows"]]
    counts = ", ".join(f"{_name(k, language)}: {v}" for k, v in res["stage_counts"].items())
    controls = (text("mech_stage_controls_curve", language, curve=_name(res["curve"], language)) if res.get("curve")
                else label("mech_stage_controls", language))
    notes = [text("note_mech_stages", language, controls=controls, counts=counts)]
    return Table("mechanism_stages", label("title_mechanism_stages", language),
                 _frame(rows, _header(_REG_HEADER, language)), notes, pd.DataFrame(res["rows"]))


def resilience_table(res: dict[str, Any], language: str = "en") -> Table:
    rows = [(label("block_regressions", language), _on(r["model"], r["term"], language), _reg_cells(r))
            for r in res["rows"]]
    for g in res["groups"]:
        rows.append((label("block_mean_by_group", language), text("mech_group_n", language, group=_group(g["group"], language),
                                                                n=g["n_firms"]),
                     [_f(g["drop"]), "", "", text("mech_recovery", language, v=_f(g["recovery"])),
                      text("mech_net", language, v=_f(g["net"])), ""]))
    notes = [text("note_mech_resilience", language, outcome=_name(res["outcome"], language), shock=res["shock_year"],
                  pre=res["pre_years"], post=res["post_years"], n=res["n_firms"])]
    return Table("mechanism_resilience", label("title_mechanism_resilience", language),
                 _frame(rows, _header(_REG_HEADER, language)), notes, pd.DataFrame(res["rows"] + res["groups"]))


def mechanism_table(link: str, res: dict[str, Any], measures: dict[str, Any] | None = None,
                    language: str = "en") -> Table:
    """The table of one saved result; links b-e are named and titled with their outcome."""
    if link == "coupling":
        return coupling_table(res, measures, language)
    table = {"moderation": moderation_table_mech, "mediation": mediation_table, "stages": stages_table,
             "resilience": resilience_table}[link](res, language)
    outcome = res.get("outcome") or res.get("result", {}).get("outcome")
    if outcome:
        table.name = f"{table.name}_{outcome}"
        table.title = text("title_with_outcome", language, title=table.title, outcome=_name(outcome, language))
    return table


def summary_table(results: dict[str, dict[str, Any]], outcomes: list[str] | tuple[str, ...],
                  language: str = "en") -> Table:
    """The mechanism at a glance: the key estimate of every link (rows) for every outcome (columns),
    from the saved results of :func:`result_names` (for the paper)."""

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

    L = lambda key, **kw: text(key, language, **kw)  # noqa: E731
    put(L("block_a_coupling"), L("ms_d_on_dig"), [est(coupling.get("ccd"), "p_one_sided_positive")] * len(outcomes))
    put(L("block_a_coupling"), L("ms_rd_on_dig"),
        [est(coupling.get("ln_rd_intensity"), "p_one_sided_positive")] * len(outcomes))
    flat, flip, bmean, direct, indirect = [], [], [], [], []
    for y in outcomes:
        mod, med = results[f"moderation_{y}"], results[f"mediation_{y}"]
        b5, sf = moderation(mod, "flattening_b5"), moderation(mod, "shape_flip_z")
        flat.append(_f(b5["estimate"], 3) + stars(b5["p"]) if b5 else "")
        where = L("mq_inside") if "inside" in ((sf or {}).get("note") or "") else L("mq_outside")
        flip.append(f"{_f(sf['estimate'], 3)} ({where})" if sf else "")
        bm = next((r for r in med.get("b_path_at", []) if r["at"] == "mean_effect"), None)
        bmean.append(_f(bm["estimate"], 3) + stars(bm["p"]) if bm else est(med["b_path"]))
        dm = next((r for r in med.get("direct_at", []) if r["at"] == "mean_effect"), None)
        direct.append(_f(dm["estimate"], 3) + stars(dm["p"]) if dm else est(med["direct"]))
        ind = med["indirect"]
        indirect.append(f"{_f(ind['estimate'], 4)}{stars(ind['p_bootstrap'])} [{_f(ind['ci_lower'], 4)}, {_f(ind['ci_upper'], 4)}]")
    put(L("block_b_moderates"), L("ms_flattening"), flat)
    put(L("block_b_moderates"), L("ms_flip"), flip)
    put(L("block_c_mediation"), L("ms_b_mean"), bmean)
    put(L("block_c_mediation"), L("ms_direct_mean"), direct)
    put(L("block_c_mediation"), L("ms_indirect"), indirect)
    stages = sorted({r["stage"] for y in outcomes for r in results[f"stages_{y}"]["rows"]})
    for s in stages:
        put(L("block_d_stages"), L("ms_stage", stage=_name(s, language)),
            [est(next((r for r in results[f"stages_{y}"]["rows"] if r["stage"] == s and r["term"] == "ccd"
                       and r["model"].endswith(f"_{y}")), None)) for y in outcomes])
    for term in ("serv_pre", "dig_pre"):
        put(L("block_e_resilience"), L("ms_drop_on", term=_name(term, language)),
            [est(next((r for r in results[f"resilience_{y}"]["rows"] if r["model"] == "drop" and r["term"] == term),
                      None)) for y in outcomes])
    frame = pd.DataFrame(list(cells.values()), index=pd.MultiIndex.from_tuples(list(cells)),
                         columns=[label(y, language) for y in outcomes])
    notes = [L("note_mech_summary")]
    tidy = pd.DataFrame([{"block": b, "row": r, **dict(zip(outcomes, v))} for (b, r), v in cells.items()])
    return Table("mechanism_summary", L("title_mechanism_summary"), frame, notes, tidy)
