"""Specification curve (analysis/speccurve.py): enumeration, sharding, merging, summary, figure."""

from __future__ import annotations

import copy
import hashlib
import math

import numpy as np
import pandas as pd
import pytest

from analysis.robustness import DIMENSIONS, Choices, RobustnessConfigError, Spec, estimate_spec, summary_record
from analysis.presentation.robustness import plot_speccurve, summary_table
from analysis.speccurve import (build_specifications, curve_settings, merge_shards, read_results,
                                run_specifications, shards, summarize, write_results)
from tests.test_robustness import make_panel, test_config

SMALL = {"outcome": ["roa", "roe"], "serv": ["serv"], "dig": ["dig", "dig_mdna"], "controls": ["main"],
         "fixed_effects": ["main"], "winsorize": ["as_built", "trim1"], "sample": ["all", "soe"],
         "shard_by": ["outcome", "sample"], "sort_by": "b2"}


@pytest.fixture(scope="module")
def small_cfg():
    return test_config(speccurve=dict(SMALL))


@pytest.fixture(scope="module")
def panel():
    return make_panel(n_firms=80, seed=5)


@pytest.fixture(scope="module")
def results(small_cfg, panel):
    wins, _, bounds = panel
    specs = build_specifications(small_cfg)
    return merge_shards([run_specifications(wins, specs, Choices.from_config(small_cfg), bounds)], specs)


def test_enumeration_order_and_ids(small_cfg):
    specs = build_specifications(small_cfg)
    assert len(specs) == 2 * 2 * 2 * 2
    assert [s.dig for s in specs[:4]] == ["dig", "dig_mdna", "dig", "dig_mdna"]  # Dig varies fastest
    assert specs[0] == Spec(outcome="roa", dig="dig", winsorize="as_built", sample="all")
    assert specs[-1] == Spec(outcome="roe", dig="dig_mdna", winsorize="trim1", sample="soe")
    assert len({s.spec_id for s in specs}) == len(specs)
    assert [s.spec_id for s in build_specifications(small_cfg)] == [s.spec_id for s in specs]


def test_default_config_meets_the_500_specification_target():
    specs = build_specifications(test_config())
    assert len(specs) >= 500
    cfg = test_config()
    n = math.prod(len(cfg["robustness"]["speccurve"][d]) for d in DIMENSIONS)
    assert len(specs) == n


def test_undefined_choice_names_the_key(small_cfg):
    bad = copy.deepcopy(small_cfg)
    bad["robustness"]["speccurve"]["sample"] = ["all", "big_firms"]
    with pytest.raises(RobustnessConfigError, match=r"robustness\.speccurve\.sample.*big_firms"):
        build_specifications(bad)
    bad["robustness"]["speccurve"]["sample"] = ["all", "all"]
    with pytest.raises(RobustnessConfigError, match="repeats"):
        build_specifications(bad)


def test_shards_are_named_by_their_content_and_partition_the_specifications(small_cfg):
    specs = build_specifications(small_cfg)
    parts = shards(specs, ["outcome", "sample"])
    assert list(parts) == ["roa__all", "roa__soe", "roe__all", "roe__soe"]
    assert sorted((s.spec_id for p in parts.values() for s in p)) == sorted(s.spec_id for s in specs)
    assert all(len(p) == 4 for p in parts.values())
    # a new sample choice adds shards; the existing shards keep exactly their specifications
    more = copy.deepcopy(small_cfg)
    more["robustness"]["speccurve"]["sample"] = ["all", "soe", "no2020"]
    parts2 = shards(build_specifications(more), ["outcome", "sample"])
    assert {k: [s.spec_id for s in v] for k, v in parts.items()} == \
        {k: [s.spec_id for s in v] for k, v in parts2.items() if k in parts}
    assert set(parts2) - set(parts) == {"roa__no2020", "roe__no2020"}
    with pytest.raises(RobustnessConfigError, match="shard_by"):
        shards(specs, ["outcome", "colour"])


def test_sharded_run_equals_one_run(small_cfg, panel, results):
    wins, _, bounds = panel
    specs = build_specifications(small_cfg)
    choices = Choices.from_config(curve_settings(small_cfg))
    parts = list(shards(specs, ["sample", "winsorize"]).values())
    frames = [run_specifications(wins, parts[j], choices, bounds) for j in (2, 0, 3, 1)]
    merged = merge_shards(frames, specs)
    pd.testing.assert_frame_equal(merged, results)
    with pytest.raises(ValueError, match="missing"):
        merge_shards(frames[:2], specs)
    with pytest.raises(ValueError, match="more than one"):
        merge_shards(frames + frames[:1], specs)
    with pytest.raises(ValueError, match="not in the configured curve"):
        merge_shards(frames, specs[:-1])


def test_rows_match_single_estimates(small_cfg, panel, results):
    wins, _, bounds = panel
    choices = Choices.from_config(small_cfg)
    for i in (0, 5, 11, 15):
        row = results.iloc[i]
        spec = Spec(**{d: row[d] for d in DIMENSIONS})
        rec = summary_record(estimate_spec(wins, spec, choices, bounds))
        assert row["spec_id"] == spec.spec_id
        for col in ("b2", "se_b2", "utest_p", "turning_point", "b5", "p_b5_flattening", "n_obs"):
            assert row[col] == pytest.approx(rec[col], rel=1e-12), col
    assert (results["status"] == "ok").all()
    # the quadratic model does not depend on Dig; the moderation does
    pairs = results.groupby([d for d in DIMENSIONS if d != "dig"])
    assert (pairs["b2"].nunique() == 1).all() and (pairs["b5"].nunique() == 2).all()


def test_csv_round_trip_is_exact_enough_and_deterministic(results, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    write_results(results, a)
    write_results(read_results(a), b)
    assert a.read_bytes() == b.read_bytes()
    back = read_results(a)
    np.testing.assert_allclose(back["b2"], results["b2"], rtol=1e-9)
    assert back["spec_id"].tolist() == results["spec_id"].tolist()


def test_summary_counts():
    """Five quadratic models (the sixth row repeats the first with another Dig measure: same b2, its
    own b5). b2, the U-test and the turning point count distinct quadratic models; b5 counts all."""
    rows = pd.DataFrame({
        "status": ["ok", "ok", "ok", "ok", "skipped", "ok"],
        "b2": [-0.2, -0.1, 0.05, -0.3, np.nan, -0.2], "b2_ci_upper": [-0.05, 0.01, 0.2, -0.1, np.nan, -0.05],
        "utest_reject": [True, False, False, True, None, True],
        "turning_point": [0.4, 0.9, -1.0, 0.5, np.nan, 0.4],
        "b5": [0.03, 0.01, -0.02, 0.05, np.nan, 0.02], "p_b5_flattening": [0.01, 0.3, 0.8, 0.04, np.nan, 0.5]})
    for dim in DIMENSIONS:
        rows[dim] = "x"
    rows["sample"] = ["a", "b", "c", "d", "e", "a"]
    rows["dig"] = ["dig", "dig", "dig", "dig", "dig", "dig_mdna"]
    s = summarize(rows)
    assert (s["n_specifications"], s["n_estimated"], s["n_skipped"]) == (6, 5, 1)
    assert (s["n_quadratic"], s["n_quadratic_estimated"]) == (5, 4)
    assert s["share_b2_negative"] == 0.75 and s["share_b2_negative_significant"] == 0.5
    assert s["share_inverted_u"] == 0.5 and s["median_turning_point"] == pytest.approx(0.45)
    assert s["share_flattening"] == 0.4 and s["share_b5_positive"] == 0.8


def test_summary_table(results):
    md = summary_table(results).to_markdown()
    # 2 outcomes x 2 Dig x 2 winsorizing x 2 samples = 16 specifications, 8 distinct quadratic models
    assert "All specifications | 8 / 16 |" in md
    assert "Sample: state-owned | 4 / 8 |" in md and "Winsorizing: trimmed at 1% / 99% | 4 / 8 |" in md
    assert "Serv measure" not in md  # single-choice dimensions are not broken down


def _sha(p) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_figure_is_byte_identical(results, tmp_path):
    outs = []
    for run in ("a", "b"):
        paths = [tmp_path / f"{run}.png", tmp_path / f"{run}.pdf"]
        plot_speccurve(results, [str(p) for p in paths])
        outs.append([_sha(p) for p in paths])
        assert all(p.stat().st_size > 5000 for p in paths)
    assert outs[0] == outs[1]
    plot_speccurve(results, [str(tmp_path / "tp.png")], sort_by="turning_point")
    with pytest.raises(ValueError, match="sort_by"):
        plot_speccurve(results, [str(tmp_path / "x.png")], sort_by="b3")
