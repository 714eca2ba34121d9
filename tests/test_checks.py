"""The referees' checks against independent computations: VIF (statsmodels), Welch's t (scipy), the
group b2 (statsmodels dummy-variable OLS); the placebo and the permutation test seeded and valid."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from analysis import checks
from analysis.models import ModelOptions
from analysis.presentation.checks_tables import TABLES
from tests.test_estimation import panel  # noqa: F401  (fixture)
from tests.test_zh_outputs import latin_words

OPTIONS = ModelOptions(se="iid", cluster=None, drop_singletons=True, alpha=0.05, moderator_quantiles=(0.1, 0.5, 0.9))
SPEC = OPTIONS.spec("baseline_roa", "roa", "serv", controls=("size",), fixed_effects=("firm", "year"))


@pytest.fixture(scope="module")
def grouped(panel):  # noqa: F811
    firms = sorted(panel["firm"].unique())
    soe = {f: int(i % 3 == 0) for i, f in enumerate(firms)}
    noise = np.random.default_rng(0).normal(0, 0.3, len(panel))
    return panel.assign(soe=panel["firm"].map(soe), dig2=panel["dig"] + 0.5 * panel["size"] + noise)


def test_vif_equals_statsmodels(grouped):
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    variables = ["serv", "serv_sq", "size", "dig", "dig2"]
    d = grouped.assign(serv_sq=grouped.serv**2)
    got = checks.vif(d, variables).set_index("variable")["vif"]
    X = np.column_stack([np.ones(len(d)), d[variables].to_numpy()])
    for j, v in enumerate(variables):
        assert got[v] == pytest.approx(variance_inflation_factor(X, j + 1), rel=1e-9), v


def test_welch_t_equals_scipy(grouped):
    res = checks.group_mean_differences(grouped, ["roa", "serv", "size"], "soe").set_index("variable")
    for v in ("roa", "serv", "size"):
        ref = stats.ttest_ind(grouped.loc[grouped.soe == 1, v], grouped.loc[grouped.soe == 0, v], equal_var=False)
        assert res.at[v, "t"] == pytest.approx(ref.statistic, rel=1e-10)
        assert res.at[v, "p"] == pytest.approx(ref.pvalue, rel=1e-8)
    with pytest.raises(ValueError, match="two values"):
        checks.group_mean_differences(grouped.assign(g=grouped["year"]), ["roa"], "g")


def test_placebo_is_seeded_and_rarely_finds_a_u(grouped):
    a = checks.placebo(grouped, SPEC, OPTIONS, reps=30, seed=5)
    b = checks.placebo(grouped, SPEC, OPTIONS, reps=30, seed=5)
    c = checks.placebo(grouped, SPEC, OPTIONS, reps=30, seed=6)
    assert a == b and a["draws"]["b2"] != c["draws"]["b2"]
    assert a["real"]["reject"]  # the synthetic panel has an inverted U in Serv
    assert a["share_reject"] <= 0.2 and a["share_b2_below_real"] <= 0.1  # permuted Serv carries no curve


def test_group_b2_equals_statsmodels_and_the_permutation_p_is_valid(grouped):
    res = checks.group_difference(grouped, SPEC, OPTIONS, "soe", reps=19, seed=3)
    for v in (0, 1):
        d = grouped[grouped.soe == v].assign(serv_sq=lambda f: f.serv**2)
        ols = smf.ols("roa ~ serv + serv_sq + size + C(firm) + C(year)", data=d).fit()
        assert res[f"group_{v}"]["b2"] == pytest.approx(ols.params["serv_sq"], rel=1e-6)
        assert res[f"group_{v}"]["se"] == pytest.approx(ols.bse["serv_sq"], rel=1e-6)
    assert res["diff"] == pytest.approx(res["group_1"]["b2"] - res["group_0"]["b2"])
    assert 1 / 20 <= res["p_permutation"] <= 1  # (1 + #{|perm| >= |diff|}) / (reps + 1)
    assert res == checks.group_difference(grouped, SPEC, OPTIONS, "soe", reps=19, seed=3)


def test_check_tables_in_both_languages(grouped, tmp_path):
    d = grouped.assign(serv_sq=grouped.serv**2)
    results = {"vif": {"rows": checks.vif(d, ["serv", "serv_sq", "size"]).to_dict("records")},
               "means": {"group": "soe", "rows": checks.group_mean_differences(d, ["roa", "serv"], "soe")
                         .to_dict("records")},
               "placebo": checks.placebo(grouped, SPEC, OPTIONS, reps=10, seed=1),
               "bdiff": checks.group_difference(grouped, SPEC, OPTIONS, "soe", reps=10, seed=1)}
    for name, make in TABLES.items():
        en = make(results[name], "en")
        zh = make(results[name], "zh")
        assert latin_words(zh.to_markdown()) == [], (name, latin_words(zh.to_markdown()))
        paths = zh.write(tmp_path / name, ("md", "tex", "html", "docx", "csv"))
        assert all(p.stat().st_size > 100 for p in paths)
        assert en.title != zh.title
