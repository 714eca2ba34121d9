"""Tables of the referees' checks (paper/tables/checks_*), from their saved results (no estimation)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.estimation import ModelResult
from analysis.presentation.tables import (_int, _num, in_parentheses, label, paren_key, regression_table,
                                          regression_tidy, rows_table, stars, text, utest_rows)


def vif_table(res: dict[str, Any], language: str = "en", parentheses: str = "se"):
    d = pd.DataFrame(res["rows"])
    rows = [[label(r.variable, language), _num(r.vif, 2), _num(1 / r.vif, 3)] for r in d.itertuples()]
    rows.append([label("ck_mean_vif", language), _num(d["vif"].mean(), 2), ""])
    return rows_table("checks_vif", label("title_checks_vif", language),
                      [label("variable", language), label("ck_vif", language), label("ck_inv_vif", language)],
                      rows, [label("note_checks_vif", language)], tidy=d)


def means_table(res: dict[str, Any], language: str = "en", parentheses: str = "se"):
    d = pd.DataFrame(res["rows"])
    g = label(res["group"], language)
    rows = [[label(r.variable, language), f"{_num(r.mean_1, 4)} ({_int(r.n_1)})", f"{_num(r.mean_0, 4)} ({_int(r.n_0)})",
             f"{_num(r.diff, 4)}{stars(r.p)}", _num(r.t, 2)] for r in d.itertuples()]
    header = [label("variable", language), text("ck_group_1", language, group=g), text("ck_group_0", language, group=g),
              label("ck_diff", language), label("ck_t", language)]
    return rows_table("checks_means", text("title_checks_means", language, group=g), header, rows,
                      [label("note_checks_means", language)], tidy=d)


def placebo_table(res: dict[str, Any], language: str = "en", parentheses: str = "se"):
    real = res["real"]
    rows = [[label(paren_key("ck_real_b2", parentheses), language),
             f"{_num(real['b2'])} {in_parentheses(real['b2'], real['se'], parentheses)}"],
            [label("ck_real_p", language), _num(real["utest_p"])],
            [label("ck_placebo_reps", language), _int(res["reps"])],
            [label("ck_placebo_mean", language), f"{_num(res['b2_mean'])} ({_num(res['b2_sd'])})"],
            [label("ck_placebo_range", language), f"[{_num(res['b2_p05'])}, {_num(res['b2_p95'])}]"],
            [text("ck_placebo_reject", language, alpha=res["alpha"]), _num(res["share_reject"], 3)],
            [label("ck_placebo_below", language), _num(res["share_b2_below_real"], 3)]]
    tidy = pd.DataFrame(res["draws"])
    return rows_table("checks_placebo", label("title_checks_placebo", language),
                      [label("ck_quantity", language), label("ck_value", language)], rows,
                      [text("note_checks_placebo", language, reps=res["reps"], seed=res["seed"], alpha=res["alpha"])],
                      tidy=tidy)


def bdiff_table(res: dict[str, Any], language: str = "en", parentheses: str = "se"):
    g = label(res["group"], language)
    rows = []
    for v in (1, 0):
        r = res[f"group_{v}"]
        rows.append([text(paren_key("ck_b2_group", parentheses), language, group=g, v=v),
                     f"{_num(r['b2'])} {in_parentheses(r['b2'], r['se'], parentheses)}"])
    for v in (1, 0):
        rows.append([text("ck_firms_group", language, group=g, v=v), _int(res[f"n_firms_{v}"])])
    rows += [[label("ck_b2_diff", language), f"{_num(res['diff'])}{stars(res['p_permutation'])}"],
             [text("ck_perm_p", language, reps=res["reps"]), _num(res["p_permutation"])]]
    tidy = pd.DataFrame([{"group": v, **res[f"group_{v}"]} for v in (1, 0)])
    return rows_table("checks_bdiff", label("title_checks_bdiff", language),
                      [label("ck_quantity", language), label("ck_value", language)], rows,
                      [text("note_checks_bdiff", language, reps=res["reps"], seed=res["seed"])], tidy=tidy)


def heterogeneity_table(res: dict[str, Any], language: str = "en", parentheses: str = "se"):
    """The baseline model by group (one column each, headed by the group), the U-test rows, and for
    every pair of groups the b2 difference with its permutation p in brackets (in the later column)."""
    split = res["split"]
    name, title = f"checks_heterogeneity_{split}", label(f"title_checks_heterogeneity_{split}", language)
    if res["status"] != "ok":
        return rows_table(name, title, [label("ck_quantity", language), label("ck_value", language)],
                          [[label("het_not_estimated", language), label(f"het_skipped_{split}", language)]],
                          [res["reason"]] if language == "en" else [])
    ok = [g for g in res["groups"] if g["status"] == "ok"]
    if not ok:  # no group could be estimated: each group with its firm-years
        return rows_table(name, title, [label("ck_quantity", language), label("ck_value", language)],
                          [[label(g["group"], language), text("note_het_group_skipped", language, group="", n=_int(g["n_obs"]),
                                                              reason=g["reason"] if language == "en" else "")]
                           for g in res["groups"]])
    results = [ModelResult.from_dict(g["result"]) for g in ok]
    column = {g["group"]: i for i, g in enumerate(ok)}
    rows = utest_rows(results, language)
    for p in res["pairs"]:
        cells = [""] * len(ok)
        cells[column[p["b"]]] = (f"{_num(p['diff'])}{stars(p['p_permutation'])} [{_num(p['p_permutation'], 3)}]"
                                 if p["status"] == "ok" else label("het_not_estimated", language))
        rows.append((text("het_diff", language, a=label(p["a"], language), b=label(p["b"], language)), cells))
    table = regression_table(results, title, language, rows, name=name, parentheses=parentheses,
                             heads=[label(g["group"], language) for g in ok])
    skipped = [g for g in res["groups"] if g["status"] != "ok"]
    extra = [text("note_heterogeneity", language, reps=res["reps"], seed=res["seed"], n=_int(res["n_missing"]),
                  firms=_int(res["n_firms_missing"]), by=label(split, language))]
    extra += [text("note_het_group_skipped", language, group=label(g["group"], language), n=_int(g["n_obs"]),
                   reason=g["reason"] if language == "en" else "") for g in skipped]
    table.notes = [" ".join([*table.notes, *extra])]
    pairs = pd.DataFrame([{"model": f"{p['a']}-{p['b']}", "outcome": results[0].spec["outcome"],
                           "quantity": "b2_difference", "term": p["a"], "estimate": p["diff"],
                           "p": p["p_permutation"]} for p in res["pairs"] if p["status"] == "ok"])
    table.tidy = pd.concat([regression_tidy(results), pairs], ignore_index=True)
    return table


TABLES = {"vif": vif_table, "means": means_table, "placebo": placebo_table, "bdiff": bdiff_table,
          "heterogeneity_region": heterogeneity_table, "heterogeneity_ownership": heterogeneity_table}
