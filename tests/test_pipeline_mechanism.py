"""End to end: the mechanism stage on the small demo sample (config/test_config.yaml, seed 7).

One pipeline run up to the mechanism tables (about 40 s). What is checked, against the demo's
mechanism truth (analysis/demo/dgp.py MechanismTruth, data_raw/demo/truth_mechanism.json):

- measurement: the panel is exactly the set of firm-years the generator expects (its sample flags);
  the mechanism measures cover exactly the panel (nothing dropped); every innovation indicator, U1,
  U2 and D equal the generator's values (which it computed to build Tobin's Q); D also equals C, T
  and D recomputed here with numpy and the hand formula;
- link (a): the effect of Dig on ln R&D intensity (a DGP parameter) is inside its 95% interval; the
  implied sign of Dig's effect on D is found; a Poisson FE regression of the ingested patent counts
  recovers their Dig elasticity;
- link (b) on Tobin's Q: a joint Wald test of the five coefficients of the moderated curve against the
  regression's estimand (pseudo-true, see below: the model leaves out the 2020 shock), which lies
  within one standard error of the structural coefficients; the
  true turning points at the moderator quantiles inside their Fieller sets (near the flip of the
  curve the true turning point is far out: a delta interval cannot cover it, a Fieller set can) and
  the true shape-flip value of D;
- link (c): joint Wald tests of the b path and of the direct path along the Serv curve against their
  pseudo-true values, which lie within one standard error of the structural ones - for Tobin's Q
  b(S) = q_ccd + q_serv_ccd S + q_serv_sq_ccd S^2 and no direct effect; for ROA (which does not
  depend on D) b(S) = 0 and the direct path is the main model's b3 + b4 S + b5 S^2;
- link (d) on Tobin's Q and ROA: the within-stage D coefficient is a linear summary of a
  heterogeneous effect, so its true value is the *pseudo-true* one: the same regression fitted to the
  noise-free systematic part of the outcome (E[Y | X] of the DGP); the three stage estimates must
  cover it at a Bonferroni-adjusted 95% level;
- link (e): the demo's Tobin's Q has a 2020 shock that is smaller for more digital firms; the
  resilience regressions must cover their pseudo-true values (noise-free part, as for link d), and
  the drop's Dig coefficient is found;
- every result (links b-e for ROA and Tobin's Q) has a table.
(The two-run byte identity of these outputs is checked by tests/test_pipeline.py.) Each check holds
with probability about 0.95 in a new sample (the detection of the shock's Dig gradient is a power
check). When this was written all of them held for seeds 7 (the test's), 9, 10 and 11; at seed 8 one
of the six stage checks missed narrowly (ROA in stage 2, 66 firms: |z| = 2.52 against the Bonferroni
2.45) and the shock's Dig gradient was not detected (estimate 0.008, SE 0.008, pseudo-true 0.023).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.demo.dgp import MechanismTruth
from analysis.estimation import ModelResult
from analysis.inference.utest import FiellerInterval
from analysis.mechanism import stage_heterogeneity
from analysis.presentation.mechanism_tables import result_names

REPO = Path(__file__).resolve().parents[1]
OUTCOMES = ["roa", "tobin_q"]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(demo_run):
    """The shared run of config/test_config.yaml (tests/conftest.py), which includes the mechanism stage."""
    for name in result_names(OUTCOMES) + ["summary"]:
        assert (demo_run / f"paper/tables/mechanism_{name}.md").is_file(), name
    return demo_run


def _load(run: Path, name: str) -> dict:
    return json.loads((run / f"paper/results/mechanism/{name}.json").read_text(encoding="utf-8"))


def _truth(run: Path) -> dict:
    return json.loads((run / "data_raw/demo/truth_mechanism.json").read_text(encoding="utf-8"))


def _model(run: Path) -> MechanismTruth:
    return MechanismTruth(**_truth(run)["model"])


def _frame(run: Path) -> pd.DataFrame:
    panel = pd.read_parquet(run / "data_clean/panel.parquet")
    mech = pd.read_parquet(run / "data_clean/mechanism.parquet").drop(columns=["revenue"])
    return panel.merge(mech, on=["firm", "year"], how="left", validate="1:1")


def _systematic(run: Path, frame: pd.DataFrame) -> dict[str, pd.Series]:
    """The noise-free part of each outcome (without firm and year effects) for the rows of ``frame``:
    Tobin's Q from the mechanism truth, with the shock term; ROA from the main model."""
    m = _model(run)
    main = json.loads((run / "data_raw/demo/truth.json").read_text(encoding="utf-8"))["model"]
    t = pd.read_csv(run / "data_raw/demo/truth_mechanism_firm_years.csv", dtype={"firm": str})
    shock = frame[["firm", "year"]].merge(t[["firm", "year", "tq_shock"]], on=["firm", "year"], how="left")["tq_shock"]
    s, d, dig = frame["serv"], frame["ccd"], frame["dig"]
    ctrl = sum(main["controls"][c] * frame[c] for c in ("size", "lev", "growth"))
    return {
        # firm-years without D got the mean D of the panel in the generator's Tobin's Q
        "tobin_q": m.q_serv * s + m.q_serv_sq * s**2 + m.ccd_effect(s) * d.fillna(d.mean()) + shock.to_numpy(),
        "roa": (main["b1"] * s + main["b2"] * s**2 + main["b3"] * dig + main["b4"] * s * dig
                + main["b5"] * s**2 * dig + ctrl),
    }


def test_panel_is_the_expected_sample(run):
    panel = pd.read_parquet(run / "data_clean/panel.parquet")
    truth = pd.read_csv(run / "data_raw/demo/truth_firm_years.csv", dtype={"firm": str})
    expected = set(map(tuple, truth.loc[truth["in_panel"], ["firm", "year"]].to_numpy()))
    assert set(zip(panel["firm"], panel["year"])) == expected


def test_measures_cover_the_panel_and_equal_the_generators(run):
    panel = pd.read_parquet(run / "data_clean/panel.parquet")
    mech = pd.read_parquet(run / "data_clean/mechanism.parquet")
    assert list(zip(mech["firm"], mech["year"])) == list(zip(panel["firm"], panel["year"]))
    truth = pd.read_csv(run / "data_raw/demo/truth_mechanism_firm_years.csv", dtype={"firm": str})
    m = mech.merge(truth, on=["firm", "year"], suffixes=("", "_true"), validate="1:1")
    assert len(m) == len(mech)
    assert (m["rd_intensity"].notna() == m["has_rd"]).all() and (~m["has_rd"]).sum() > 0  # withheld, kept
    assert (m["invention_grants"].notna() == m["has_patents"]).all() and (~m["has_patents"]).sum() > 0
    for col in ("rd_intensity", "invention_applications", "invention_grants", "service_growth",
                "new_service_lines", "u1", "u2", "ccd"):
        assert (m[col].isna() == m[f"{col}_true"].isna()).all(), col
        np.testing.assert_allclose(m[col], m[f"{col}_true"], rtol=1e-10, atol=1e-12, err_msg=col)
    assert (m["new_service_lines"] > 0).mean() > 0.05  # service lines do enter during the sample
    info = _load(run, "measures")
    assert set(info["u1_indicators"]) == {"rd_intensity", "invention_applications", "invention_grants"}
    assert set(info["u2_indicators"]) == {"service_growth", "new_service_lines"}


def test_coupling_degree_recomputed_independently(run):
    mech = pd.read_parquet(run / "data_clean/mechanism.parquet")
    info = _load(run, "measures")

    def index(cols):
        sub = mech[cols].dropna()
        X = sub.to_numpy(float)
        rng_ = X.max(axis=0) - X.min(axis=0)
        Z = np.where(rng_ > 0, (X - X.min(axis=0)) / np.where(rng_ > 0, rng_, 1), 0.0)
        P = (Z + 1e-4) / (Z + 1e-4).sum(axis=0)
        E = np.where(rng_ > 0, -(P * np.log(P)).sum(axis=0) / np.log(len(X)), 1.0)
        w = (1 - E) / (1 - E).sum()
        return pd.Series(Z @ w, index=sub.index).reindex(mech.index)

    u1, u2 = index(info["u1_indicators"]), index(info["u2_indicators"])
    np.testing.assert_allclose(mech["u1"], u1, atol=1e-12)
    np.testing.assert_allclose(mech["u2"], u2, atol=1e-12)
    c = np.where(u1 + u2 > 0, 2 * np.sqrt(u1 * u2) / (u1 + u2), 0.0)
    d = np.sqrt(c * (0.5 * u1 + 0.5 * u2))
    np.testing.assert_allclose(mech["ccd"], d, atol=1e-12)
    assert mech["ccd"].notna().sum() == info["n_with_ccd"] > 1000


def test_link_a_known_truth(run):
    known = _truth(run)["known"]
    rows = {r["outcome"]: r for r in _load(run, "coupling")["rows"]}
    g = known["link_a_ln_rd_intensity_on_dig"]
    assert rows["ln_rd_intensity"]["ci_lower"] < g < rows["ln_rd_intensity"]["ci_upper"]
    assert np.sign(rows["ccd"]["coef"]) == known["link_a_ccd_on_dig_sign"]
    assert rows["ccd"]["p_one_sided_positive"] < 0.01


def _wald_p(coef: list[float], vcov: dict, true: list[float]) -> float:
    from scipy import stats

    d = np.asarray(coef) - np.asarray(true)
    V = np.asarray(vcov["vcov"])
    return float(stats.f.sf(float(d @ np.linalg.solve(V, d) / len(d)), len(d), vcov["df_t"]))


def test_patent_counts_recover_the_dig_elasticity(run):
    """Invention applications ~ Poisson(exp(firm + patent_dig * Dig)): a Poisson FE regression on the
    ingested patent table recovers patent_dig (pyfixest fepois, firm-clustered)."""
    import pyfixest as pf

    m = _model(run)
    pat = pd.read_parquet(run / "data_clean/raw/patents.parquet")
    pat["year"] = pat["year"].astype("int64")
    frame = pd.read_parquet(run / "data_clean/panel.parquet")[["firm", "year", "dig"]].merge(
        pat[["firm", "year", "invention_applications"]], on=["firm", "year"], how="inner", validate="1:1")
    assert len(frame) > 1000
    fit = pf.fepois("invention_applications ~ dig | firm + year", frame, vcov={"CRV1": "firm"})
    lo, hi = fit.confint().loc["dig"]
    assert lo < m.patent_dig < hi, (lo, hi)


def _pseudo_true(run: Path, outcome: str, terms: list[str]) -> pd.Series:
    """The coefficients of ``terms`` when the FE regression (firm and year effects; controls size, lev,
    growth) is fitted to the noise-free part of ``outcome`` on its estimation sample: the regression's
    estimand under the DGP, whatever the regression leaves out."""
    import pyfixest as pf

    frame = _frame(run)
    s, d, dig = frame["serv"], frame["ccd"], frame["dig"]
    frame = frame.assign(y=_systematic(run, frame)[outcome], serv_sq=s**2, serv_x_ccd=s * d, serv_sq_x_ccd=s**2 * d,
                         ccd_x_serv=s * d, ccd_x_serv_sq=s**2 * d, dig_x_serv=s * dig, dig_x_serv_sq=s**2 * dig)
    frame = frame.dropna(subset=[outcome, "ccd", "dig", "serv", "size", "lev", "growth"])
    fit = pf.feols("y ~ " + " + ".join(list(dict.fromkeys(terms + ["size", "lev", "growth"]))) + " | firm + year", frame)
    return fit.coef()


def test_link_b_recovers_the_moderated_curve_of_tobins_q(run):
    """Joint Wald test against the regression's estimand (pseudo-true: it leaves out the 2020 shock,
    a firm-specific term of one and a half years); that estimand is within one SE of the structural q's."""
    m = _model(run)
    result = ModelResult.from_dict(_load(run, "moderation_tobin_q")["result"])
    true = m.tq_coefficients()
    names = list(true)
    pseudo = _pseudo_true(run, "tobin_q", names)[names].to_numpy()
    cov = result.cov().loc[names, names].to_numpy()
    p = _wald_p(result.params().loc[names].to_list(), {"vcov": cov, "df_t": result.df_t}, pseudo)
    assert p > 0.05, p
    structural = np.array([true[n] for n in names])
    assert np.all(np.abs(pseudo - structural) < np.sqrt(cov.diagonal())), (pseudo, structural)
    rows = result.extras["moderation"]
    tps = [r for r in rows if r["quantity"] == "turning_point_fieller"]
    assert len(tps) == 3
    for r in tps:  # Fieller sets: near the flip (curvature ~ 0) the true turning point is far out
        fieller = FiellerInterval(r["ci_kind"], r["ci_lower"], r["ci_upper"], 0.95)
        assert fieller.contains(m.turning_point(r["z"])), r
    (flip,) = [r for r in rows if r["quantity"] == "shape_flip_z"]
    true_flip = -m.q_serv_sq / m.q_serv_sq_ccd
    assert flip["ci_lower"] < true_flip < flip["ci_upper"]
    (b5,) = [r for r in rows if r["quantity"] == "flattening_b5"]
    assert b5["p"] < 0.001  # D flattens the curve (true b5 = 2.0)


def test_link_c_recovers_the_b_path_and_the_direct_path(run):
    """Tobin's Q: b(S) = q_ccd + q_serv_ccd S + q_serv_sq_ccd S^2, no direct effect of Dig. ROA: D has no
    effect (b path 0) and the direct path is the main model's b3 + b4 S + b5 S^2 (truth.json)."""
    m = _model(run)
    main = json.loads((run / "data_raw/demo/truth.json").read_text(encoding="utf-8"))["model"]
    truth = {"tobin_q": {"b": [m.q_ccd, m.q_serv_ccd, m.q_serv_sq_ccd], "direct": [0.0, 0.0, 0.0]},
             "roa": {"b": [0.0, 0.0, 0.0], "direct": [main["b3"], main["b4"], main["b5"]]}}
    design = ["dig", "dig_x_serv", "dig_x_serv_sq", "ccd", "ccd_x_serv", "ccd_x_serv_sq", "serv", "serv_sq"]
    for outcome, true in truth.items():
        med = _load(run, f"mediation_{outcome}")
        assert med["curve"] == "serv" and med["n_obs"] > 1000
        pseudo = _pseudo_true(run, outcome, design)
        for path, terms, vcov in (("b", "b_path_terms", "b_path_vcov"), ("direct", "direct_terms", "direct_vcov")):
            names = [r["term"] for r in med[terms]]
            p = _wald_p([r["coef"] for r in med[terms]], med[vcov], pseudo[names].to_numpy())
            assert p > 0.05, (outcome, path, p)
            se = np.sqrt(np.diag(med[vcov]["vcov"]))  # the pseudo-true path is close to the structural one
            assert np.all(np.abs(pseudo[names].to_numpy() - np.array(true[path])) < se), (outcome, path)
    # b(S) at the quantiles and its sample mean are those coefficients evaluated there
    med = _load(run, "mediation_tobin_q")
    b = np.array([r["coef"] for r in med["b_path_terms"]])
    V = np.array(med["b_path_vcov"]["vcov"])
    frame = _frame(run).dropna(subset=["tobin_q", "dig", "ccd", "serv", "size", "lev", "growth"])
    assert len(frame) == med["n_obs"]
    s = frame["serv"].to_numpy()
    for r in med["b_path_at"]:
        g = np.array([1.0, s.mean(), (s**2).mean()]) if r["x"] is None else np.array([1.0, r["x"], r["x"] ** 2])
        assert r["estimate"] == pytest.approx(float(g @ b), rel=1e-9)
        assert r["se"] == pytest.approx(float(np.sqrt(g @ V @ g)), rel=1e-9)
    ind = med["indirect"]
    # config/test_config.yaml: mechanism.mediation.reps 199
    assert ind["ci_lower"] <= ind["estimate"] <= ind["ci_upper"] and ind["reps"] == 199
    assert len(med["indirect_at"]) == 3 and len(med["assumptions"]) >= 3


def test_link_d_covers_the_pseudo_true_stage_effects(run):
    """Systematic parts: Tobin's Q from the mechanism truth; ROA from the main model (its controls are
    regressors of the stage model too, so by Frisch-Waugh-Lovell they can be left out of it)."""
    from scipy import stats

    frame = _frame(run)
    systematic = _systematic(run, frame)
    common = dict(controls=["size", "lev", "growth"], curve="serv")
    for outcome, y_sys in systematic.items():
        sample = frame.assign(y_systematic=y_sys).dropna(subset=[outcome])
        pseudo = stage_heterogeneity(sample, sample["stage"], outcome="y_systematic", **common)
        est = _load(run, f"stages_{outcome}")
        assert set(est["stage_counts"]) == {"stage1", "stage2", "stage3"}
        true_by_model = {r["model"].replace("y_systematic", outcome): r["coef"] for r in pseudo["rows"]}
        rows = [r for r in est["rows"] if r["model"].endswith(f"ccd_{outcome}")]
        assert len(rows) == 3
        for r in rows:  # Bonferroni over the three stages: a 5% family-wise error rate per outcome
            crit = stats.t.ppf(1 - 0.05 / (2 * len(rows)), r["n_clusters"] - 1)
            z = abs(r["coef"] - true_by_model[r["model"]]) / r["se"]
            assert z < crit, (outcome, r, true_by_model[r["model"]])


def test_link_e_covers_the_pseudo_true_resilience_coefficients(run):
    """The demo's Tobin's Q drops in 2020 by 0.15 less 0.03 per unit of pre-shock Dig (half of it left in
    2021). The resilience regressions (drop, recovery, net change on pre-shock Serv and Dig) mix that
    shock with the changes of the curve, so their estimand is the same regression fitted to the
    noise-free part of the outcome (firm and year effects cancel or go to the intercept). The estimates
    must cover it (Bonferroni over the six coefficients); for Tobin's Q the pseudo-true drop
    coefficient of Dig is close to the structural 0.03 and the estimate finds it. ROA has no shock."""
    from scipy import stats

    from analysis.mechanism import resilience

    frame = _frame(run)
    systematic = _systematic(run, frame)
    for outcome, y_sys in systematic.items():
        est = _load(run, f"resilience_{outcome}")
        sample = frame.assign(y_systematic=y_sys.where(frame[outcome].notna()))
        pseudo = resilience(sample, outcome="y_systematic", shock_year=est["shock_year"], pre_years=est["pre_years"],
                            post_years=est["post_years"])
        true = {(r["model"], r["term"]): r["coef"] for r in pseudo["rows"]}
        if outcome == "tobin_q":
            true_q = true
        rows = [r for r in est["rows"] if r["model"] in ("drop", "recovery", "net")]
        assert len(rows) == 6
        for r in rows:
            crit = stats.t.ppf(1 - 0.05 / (2 * len(rows)), r["n_obs"] - 3)
            assert abs(r["coef"] - true[(r["model"], r["term"])]) / r["se"] < crit, (outcome, r, true)
    m = _model(run)
    est = {(r["model"], r["term"]): r for r in _load(run, "resilience_tobin_q")["rows"]}
    assert abs(true_q[("drop", "dig_pre")] - m.shock_dig) < 0.01, true_q
    assert est[("drop", "dig_pre")]["coef"] > 0 and est[("drop", "dig_pre")]["p"] < 0.01


def test_every_result_has_a_table(run):
    for outcome in OUTCOMES:
        mod = _load(run, f"moderation_{outcome}")["result"]
        assert {"serv_x_ccd", "serv_sq_x_ccd"} <= set(mod["names"])
        assert _load(run, f"resilience_{outcome}")["n_firms"] > 50
    for name in result_names(OUTCOMES):
        for ext in ("md", "tex", "csv"):
            assert (run / f"paper/tables/mechanism_{name}.{ext}").stat().st_size > 200
    md = (run / "paper/tables/mechanism_mediation_tobin_q.md").read_text(encoding="utf-8")
    assert "tobin_q" in md and "serv = " in md
    summary = pd.read_csv(run / "paper/tables/mechanism_summary.csv")
    assert len(summary) >= 10
    ind = _load(run, "mediation_tobin_q")["indirect"]
    assert f"{ind['estimate']:.4f}" in (run / "paper/tables/mechanism_summary.md").read_text(encoding="utf-8")
