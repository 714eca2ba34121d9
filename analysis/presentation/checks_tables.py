"""Tables of the referees' checks (paper/tables/checks_*), from their saved results (no estimation)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.presentation.tables import _int, _num, label, rows_table, stars, text


def vif_table(res: dict[str, Any], language: str = "en"):
    d = pd.DataFrame(res["rows"])
    rows = [[label(r.variable, language), _num(r.vif, 2), _num(1 / r.vif, 3)] for r in d.itertuples()]
    rows.append([label("ck_mean_vif", language), _num(d["vif"].mean(), 2), ""])
    return rows_table("checks_vif", label("title_checks_vif", language),
                      [label("variable", language), label("ck_vif", language), label("ck_inv_vif", language)],
                      rows, [label("note_checks_vif", language)], tidy=d)


def means_table(res: dict[str, Any], language: str = "en"):
    d = pd.DataFrame(res["rows"])
    g = label(res["group"], language)
    rows = [[label(r.variable, language), f"{_num(r.mean_1, 4)} ({_int(r.n_1)})", f"{_num(r.mean_0, 4)} ({_int(r.n_0)})",
             f"{_num(r.diff, 4)}{stars(r.p)}", _num(r.t, 2)] for r in d.itertuples()]
    header = [label("variable", language), text("ck_group_1", language, group=g), text("ck_group_0", language, group=g),
              label("ck_diff", language), label("ck_t", language)]
    return rows_table("checks_means", text("title_checks_means", language, group=g), header, rows,
                      [label("note_checks_means", language)], tidy=d)


def placebo_table(res: dict[str, Any], language: str = "en"):
    real = res["real"]
    rows = [[label("ck_real_b2", language), f"{_num(real['b2'])} ({_num(real['se'])})"],
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


def bdiff_table(res: dict[str, Any], language: str = "en"):
    g = label(res["group"], language)
    rows = []
    for v in (1, 0):
        r = res[f"group_{v}"]
        rows.append([text("ck_b2_group", language, group=g, v=v), f"{_num(r['b2'])} ({_num(r['se'])})"])
    for v in (1, 0):
        rows.append([text("ck_firms_group", language, group=g, v=v), _int(res[f"n_firms_{v}"])])
    rows += [[label("ck_b2_diff", language), f"{_num(res['diff'])}{stars(res['p_permutation'])}"],
             [text("ck_perm_p", language, reps=res["reps"]), _num(res["p_permutation"])]]
    tidy = pd.DataFrame([{"group": v, **res[f"group_{v}"]} for v in (1, 0)])
    return rows_table("checks_bdiff", label("title_checks_bdiff", language),
                      [label("ck_quantity", language), label("ck_value", language)], rows,
                      [text("note_checks_bdiff", language, reps=res["reps"], seed=res["seed"])], tidy=tidy)


TABLES = {"vif": vif_table, "means": means_table, "placebo": placebo_table, "bdiff": bdiff_table}
