"""The in-memory demo DGP used by the Monte Carlo bench: shape, sample rules, determinism, and
truth recovery on one draw; a smoke run of one Monte Carlo replication (the bench cannot rot)."""

import numpy as np
import pytest

from analysis.demo.dgp import DemoParams, TrueModel
from analysis.demo.simulate import simulate_panel
from analysis.estimation import ModelSpec, fit_model, tidy_result
from analysis.truth import joint_wald


def test_panel_follows_the_sample_rules_and_is_seeded():
    p = simulate_panel(np.random.default_rng(1), DemoParams(n_firms=120))
    assert list(p.columns) == ["firm", "year", "industry", "serv", "dig", "size", "lev", "growth", "roa"]
    assert p["industry"].str.fullmatch(r"C(1[3-9]|[23]\d|4[0-3])").all()
    assert p.notna().all().all() and not p.duplicated(["firm", "year"]).any()
    assert p["serv"].between(0, 0.9).all() and (p["serv"] == 0).mean() > 0.1  # pure-product firms
    q = simulate_panel(np.random.default_rng(1), DemoParams(n_firms=120))
    assert p.equals(q)
    assert not p.equals(simulate_panel(np.random.default_rng(2), DemoParams(n_firms=120)))


def test_one_draw_recovers_the_true_model():
    m = TrueModel()
    p = simulate_panel(np.random.default_rng(5), DemoParams(n_firms=400, model=m))
    spec = ModelSpec(name="moderation_roa", outcome="roa", moderator="dig", controls=("size", "lev", "growth"))
    res = tidy_result(fit_model(p, spec), spec, p)
    w = joint_wald(res, {"model": m.to_dict()})
    assert w["k"] == 8 and w["p"] > 0.01, w
    # and it rejects a wrong truth: the test has power
    wrong = {**m.to_dict(), "b2": 0.0}
    assert joint_wald(res, {"model": wrong})["p"] < 1e-6


def test_monte_carlo_replication_smoke():
    import warnings

    bench = pytest.importorskip("bench.bench_inference_montecarlo_demo")
    warnings.simplefilter("ignore")
    name, model = next(iter(bench.scenarios().items()))
    row = bench.one_rep((name, model, 123, 99))
    assert row["G"] > 300 and row["reject_utest_median_dig"] in (True, False)
    assert {"cover_serv_sq", "cover_serv_sq_x_dig", "cover_tp_fieller", "cover_serv_sq_wildboot"} <= set(row)
