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
    # regions by firm (East, Central, West; 4 firms without a province)
    region = {f: ["east", "east", "central", "west", "east"][i % 5] for i, f in enumerate(firms)}
    region.update({f: None for f in firms[:4]})
    return panel.assign(soe=panel["firm"].map(soe), dig2=panel["dig"] + 0.5 * panel["size"] + noise,
                        region=panel["firm"].map(region))


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
    for split in ("region", "ownership"):
        column, groups = checks.HETEROGENEITY[split]
        results[f"heterogeneity_{split}"] = {"split": split, **checks.heterogeneity(grouped, SPEC, OPTIONS, column,
                                                                                    groups, reps=10, seed=1, min_obs=30)}
    for name, make in TABLES.items():
        en = make(results[name], "en")
        zh = make(results[name], "zh")
        assert latin_words(zh.to_markdown()) == [], (name, latin_words(zh.to_markdown()))
        paths = zh.write(tmp_path / name, ("md", "tex", "html", "docx", "csv"))
        assert all(p.stat().st_size > 100 for p in paths)
        assert en.title != zh.title


# ----------------------------------------------------------------------------- heterogeneity
def _sm_b2(d):
    ols = smf.ols("roa ~ serv + serv_sq + size + C(firm) + C(year)", data=d.assign(serv_sq=d.serv**2)).fit()
    return ols.params["serv_sq"], ols.bse["serv_sq"], ols.params["serv"]


def test_heterogeneity_by_region_equals_statsmodels_and_a_permutation_by_hand(grouped):
    groups = checks.HETEROGENEITY["region"][1]
    res = checks.heterogeneity(grouped, SPEC, OPTIONS, "region", groups, reps=9, seed=4, min_obs=30)
    assert [g["group"] for g in res["groups"]] == ["east", "central", "west"]
    assert all(g["status"] == "ok" for g in res["groups"])
    assert res["n_missing"] == int(grouped["region"].isna().sum()) > 0 and res["n_firms_missing"] == 4
    b2 = {}
    for g in res["groups"]:
        d = grouped[grouped["region"] == g["group"]]
        sm_b2, sm_se, sm_b1 = _sm_b2(d)
        r = g["result"]
        assert r["coef"][r["names"].index("serv_sq")] == pytest.approx(sm_b2, rel=1e-6)
        assert r["se"][r["names"].index("serv_sq")] == pytest.approx(sm_se, rel=1e-6)
        assert r["coef"][r["names"].index("serv")] == pytest.approx(sm_b1, rel=1e-6)
        assert g["n_firms"] == d["firm"].nunique() and r["extras"]["utest"]["p_sasabuchi"] >= 0
        b2[g["group"]] = sm_b2
    assert [(p["a"], p["b"]) for p in res["pairs"]] == [("east", "central"), ("east", "west"), ("central", "west")]
    for p in res["pairs"]:
        assert p["diff"] == pytest.approx(b2[p["a"]] - b2[p["b"]], rel=1e-6)
        # the permutation test by hand: the pair's firms (sorted) relabelled with the same seeded draws
        pair = grouped[grouped["region"].isin([p["a"], p["b"]])]
        firms = np.array(sorted(pair["firm"].unique()))
        labels = (pair.groupby("firm")["region"].first().reindex(firms) == p["a"]).to_numpy().astype(int)
        rng = np.random.default_rng(4)
        hits = 0
        for _ in range(9):
            lab = dict(zip(firms, rng.permutation(labels)))
            is_a = pair["firm"].map(lab) == 1
            hits += abs(_sm_b2(pair[is_a])[0] - _sm_b2(pair[~is_a])[0]) >= abs(p["diff"])
        assert p["status"] == "ok" and p["p_permutation"] == pytest.approx((1 + hits) / 10)
    assert res == checks.heterogeneity(grouped, SPEC, OPTIONS, "region", groups, reps=9, seed=4, min_obs=30)


def test_heterogeneity_by_ownership_uses_the_first_year_and_skips_a_tiny_group(grouped):
    # a firm that changes ownership stays in the group of its first year
    first = grouped.groupby("firm")["year"].transform("min")
    switcher = grouped["firm"] == sorted(grouped["firm"].unique())[5]
    data = grouped.assign(soe=np.where(switcher & (grouped["year"] > first), 1 - grouped["soe"], grouped["soe"]))
    res = checks.heterogeneity(data, SPEC, OPTIONS, "soe", checks.HETEROGENEITY["ownership"][1], reps=5, seed=1, min_obs=30)
    state = data[data["firm"].map(data.groupby("firm")["soe"].first()) == 1]
    assert res["groups"][0]["group"] == "state" and res["groups"][0]["n_obs"] == len(state)
    assert res["groups"][0]["result"]["coef"][1] == pytest.approx(_sm_b2(state)[0], rel=1e-6)
    # a region with two firms (fewer firm-years than min_obs) is skipped with the reason, no pair with it
    firms = sorted(grouped["firm"].unique())
    tiny = grouped.assign(region=np.where(grouped["firm"].isin(firms[4:6]), "west",
                                          np.where(grouped["region"] == "west", "central", grouped["region"])))
    res = checks.heterogeneity(tiny, SPEC, OPTIONS, "region", checks.HETEROGENEITY["region"][1], reps=5, seed=1, min_obs=30)
    west = res["groups"][2]
    assert west["status"] == "skipped" and "fewer than models.min_observations = 30" in west["reason"]
    assert west["n_firms"] == 2
    assert [(p["a"], p["b"]) for p in res["pairs"]] == [("east", "central")]
    with pytest.raises(ValueError, match="outside the groups"):
        checks.heterogeneity(grouped.assign(region="north"), SPEC, OPTIONS, "region",
                             checks.HETEROGENEITY["region"][1], reps=5, seed=1, min_obs=30)


def test_heterogeneity_table_prints_t_values_when_asked(grouped):
    from analysis.presentation.checks_tables import heterogeneity_table

    res = {"split": "region", **checks.heterogeneity(grouped, SPEC, OPTIONS, "region",
                                                     checks.HETEROGENEITY["region"][1], reps=5, seed=1, min_obs=30)}
    east = res["groups"][0]["result"]
    b2, se = east["coef"][1], east["se"][1]
    md_se, md_t = heterogeneity_table(res, "en", "se").to_markdown(), heterogeneity_table(res, "en", "t").to_markdown()
    assert f"({se:.4f})" in md_se and f"({b2 / se:.2f})" in md_t and f"({se:.4f})" not in md_t
    assert "t statistics in parentheses" in md_t and "East" in md_t and "[permutation p]" in md_t
    none = {"split": "region", **checks.heterogeneity(grouped, SPEC, OPTIONS, "region", checks.HETEROGENEITY["region"][1],
                                                      reps=5, seed=1, min_obs=10**6)}
    assert none["pairs"] == [] and "fewer than models.min_observations" in heterogeneity_table(none).to_markdown()
    zh = heterogeneity_table({"split": "region", "by": "region", "status": "skipped", "reason": "no province"}, "zh")
    assert latin_words(zh.to_markdown()) == [] and "未估计" in zh.to_markdown()


@pytest.mark.slow
def test_the_shared_run_splits_by_region_as_the_raw_provinces_say(demo_run):
    """The shared demo run: each firm's region is the one its raw TRD_Co PROVINCE has in the hand-typed
    lists of tests/test_regions.py; the region table's groups are those firm-years, and each group's
    coefficients equal a dummy-variable OLS (statsmodels) of the same rows."""
    import json

    import pandas as pd

    from tests.test_regions import CENTRAL, EAST, WEST

    built = pd.read_parquet(demo_run / "data_clean" / "panel.parquet")
    raw = pd.read_csv(demo_run / "data_raw" / "demo" / "TRD_Co.csv", dtype=str, keep_default_na=False)
    short = raw["PROVINCE"].str.replace(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区)$", "", regex=True)
    by_hand = {**{p: "east" for p in EAST}, **{p: "central" for p in CENTRAL}, **{p: "west" for p in WEST}}
    expected = dict(zip(raw["Stkcd"].str.zfill(6), short.map(by_hand)))
    got = built.groupby("firm")["region"].first()
    assert got.fillna("none").to_dict() == {f: expected[f] if isinstance(expected[f], str) else "none" for f in got.index}
    assert got.isna().any() and set(got.dropna()) == {"east", "central", "west"}
    res = json.loads((demo_run / "paper/results/checks/heterogeneity_region.json").read_text(encoding="utf-8"))
    assert res["n_missing"] == built["region"].isna().sum()
    for g in res["groups"]:
        d = built[built["region"] == g["group"]]
        assert g["status"] == "ok" and g["n_obs"] == len(d)
        ols = smf.ols("roa ~ serv + serv_sq + size + lev + growth + C(firm) + C(year)",
                      data=d.assign(serv_sq=d["serv"] ** 2)).fit()
        r = g["result"]
        for name in ("serv", "serv_sq", "size"):
            assert r["coef"][r["names"].index(name)] == pytest.approx(ols.params[name], rel=1e-7, abs=1e-10)
    assert [(p["a"], p["b"]) for p in res["pairs"]] == [("east", "central"), ("east", "west"), ("central", "west")]
    assert (demo_run / "paper/tables/checks_heterogeneity_region.docx").is_file()
