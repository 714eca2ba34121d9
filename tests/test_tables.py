"""Tables from saved results: numbers in the rendered table are the saved numbers."""

import re

import numpy as np
import pandas as pd
import pytest

from analysis.estimation import fit_model, tidy_result
from analysis.inference.utest import u_test
from analysis.tables import regression_table, sample_selection_table, stars, utest_rows
from tests.test_estimation import SPEC, panel  # noqa: F401  (fixture)


def test_stars():
    assert [stars(p) for p in (0.001, 0.02, 0.07, 0.2, float("nan"))] == ["***", "**", "*", "", ""]


def test_regression_table_holds_the_saved_numbers(panel):  # noqa: F811
    res = tidy_result(fit_model(panel, SPEC), SPEC, panel)
    ut = u_test(res.coef[0], res.coef[1], np.array(res.vcov)[:2, :2], *res.x_range, res.df_t)
    res.extras["utest"] = ut.to_dict()
    table = regression_table([res], "T", extra_rows=utest_rows([res]))
    md, tex = table.to_markdown(), table.to_latex()
    for coef, se in zip(res.coef, res.se):
        assert f"{coef:.4f}" in md and f"({se:.4f})" in md
    assert f"{ut.extreme_point:.3f}" in md and f"{res.n_obs:,}" in md
    assert tex.count(r"\toprule") == 1 and tex.count(r"\bottomrule") == 1
    # every LaTeX body row has as many cells as the header
    rows = [line for line in tex.splitlines() if line.endswith(r"\\")]
    assert all(line.count("&") == 1 for line in rows)
    assert not re.search(r"(?<!\\)[_%#]", tex.replace(r"\_", "").replace("$^", ""))


def test_sample_selection_table():
    ledger = pd.DataFrame({"step": [0, 1], "rule": ["raw", "drop_x"], "rows_dropped": [0, 5],
                           "rows_remaining": [100, 95], "firms_remaining": [10, 9]})
    t = sample_selection_table(ledger)
    assert "drop\\_x" in t.to_latex() and "| 1 | drop_x | 5 | 95 | 9 |" in t.to_markdown()
