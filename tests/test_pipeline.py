"""End to end: the Snakemake pipeline on a small demo sample recovers the known truth.

The pipeline runs twice (two working folders, same config) on ``config/test_config.yaml``
(150 firms, seed 7). Checked: Serv and Dig measured from the raw files equal the true values; the
sample ledger reconciles and its drops match the mess the generator put in; the estimates recover
the true model (joint Wald test at 5%, which a correct estimator passes with probability 0.95; and,
for this fixed seed, every true coefficient and every true turning point inside its own 95%
interval); the two runs produce byte-identical outputs; tables rebuild without re-estimating.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.estimation import ModelResult
from analysis.truth import joint_wald, truth_recovery
from tests.conftest import run_snakemake

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return run_snakemake(workdir, *args)


@pytest.fixture(scope="module")
def runs(demo_runs):
    return demo_runs


@pytest.fixture(scope="module")
def run(demo_run):
    return demo_run


def load(run: Path):
    truth = json.loads((run / "data_raw/demo/truth.json").read_text(encoding="utf-8"))
    result = ModelResult.from_dict(json.loads((run / "paper/results/moderation_roa.json").read_text()))
    return truth, result


def test_outputs_exist(run):
    for stem in ("sample_selection", "descriptives", "baseline", "moderation"):
        for ext in ("md", "tex"):
            assert (run / f"paper/tables/{stem}.{ext}").stat().st_size > 100
    for ext in ("png", "pdf"):
        assert (run / f"paper/figures/curve_roa.{ext}").stat().st_size > 1000
    assert all((run / f"logs/{r}.log").exists() for r in ("demo_data", "ingest", "panel", "tables"))


def test_measures_equal_the_truth_exactly(run):
    truth_fy = pd.read_csv(run / "data_raw/demo/truth_firm_years.csv", dtype={"firm": str})
    panel = pd.read_parquet(run / "data_clean/panel.parquet")
    m = panel.merge(truth_fy, on=["firm", "year"], suffixes=("", "_true"), validate="1:1")
    assert len(m) == len(panel) > 1000
    np.testing.assert_allclose(m["serv"], m["serv_true"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(m["dig"], m["dig_true"], rtol=0, atol=1e-12)
    assert (m["dig_count"] == m["dig_count_true"]).all()


def test_ledger_reconciles_and_matches_the_generated_mess(run):
    ledger = pd.read_csv(run / "data_clean/sample_ledger.csv")
    dropped = pd.read_parquet(run / "data_clean/dropped.parquet")
    panel = pd.read_parquet(run / "data_clean/panel.parquet")
    assert ledger["rows_remaining"].iloc[-1] == len(panel)
    assert ledger["rows_remaining"].iloc[0] - ledger["rows_dropped"].sum() == len(panel)
    assert len(dropped) == ledger["rows_dropped"].sum()
    assert dropped.groupby("rule").size().to_dict() == ledger.set_index("rule")["rows_dropped"][lambda s: s > 0].to_dict()
    truth_fy = pd.read_csv(run / "data_raw/demo/truth_firm_years.csv", dtype={"firm": str})
    by_rule = ledger.set_index("rule")["rows_dropped"]
    manuf = truth_fy["industry"].str.match(r"^C(1[3-9]|[23]\d|4[0-3])$")
    assert by_rule["financial industry (CSRC J)"] == truth_fy["industry"].str.startswith("J").sum()
    assert by_rule["real estate (CSRC K)"] == truth_fy["industry"].str.startswith("K").sum()
    assert by_rule["special treatment (ST, *ST, PT) firm-year"] == (manuf & truth_fy["is_st"]).sum()
    assert by_rule["missing lev"] == (manuf & ~truth_fy["is_st"] & truth_fy["liabilities_missing"]).sum()
    status = pd.read_csv(run / "data_clean/report_status.csv")
    assert len(status) == truth_fy["has_report"].sum() and (status["status"] == "ok").all()


def test_truth_is_recovered(run):
    truth, result = load(run)
    wald = joint_wald(result, truth)
    assert wald["p"] > 0.05, wald
    rec = truth_recovery(result, truth)
    assert len(rec) == 8 + 3  # five model terms, three controls, three turning points
    assert rec["covered"].all(), rec.loc[~rec["covered"]].to_string()
    ut = result.extras["utest"]
    assert ut["reject"] and ut["extreme_in_interval"]  # the inverted U is detected
    assert 0 < truth["turning_point_at_dig0"] < 1


def test_two_runs_are_byte_identical(runs):
    def digests(root: Path) -> dict[str, str]:
        files = [p for d in ("paper", "data_clean", "data_raw/demo") for p in (root / d).rglob("*")
                 if p.is_file() and "cache" not in p.parts]
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}

    a, b = digests(runs[0]), digests(runs[1])
    assert a.keys() == b.keys() and len(a) > 20
    assert [k for k in a if a[k] != b[k]] == []


def test_the_two_runs_ran_their_jobs_in_different_orders(runs):
    def order(root: Path) -> list[str]:
        out = (root / "snakemake_stdout.txt").read_text(encoding="utf-8")
        return re.findall(r"^(?:local)?rule (\w+):", out, re.M)

    a, b = order(runs[0]), order(runs[1])
    assert sorted(a) == sorted(b) and len(a) > 20
    assert a != b  # otherwise byte-identity would say nothing about job order


def test_nothing_to_redo_and_tables_rebuild_without_estimation(demo_copy):
    run = demo_copy
    dry = snakemake(run, "--dry-run")
    assert dry.returncode == 0 and "Nothing to be done" in dry.stdout + dry.stderr
    table = run / "paper/tables/baseline.md"
    before = table.read_bytes()
    result_mtime = (run / "paper/results/baseline_roa.json").stat().st_mtime_ns
    proc = snakemake(run, "paper/tables/baseline.md", "--forcerun", "tables")  # the table alone, not what follows
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "rule estimate" not in proc.stdout + proc.stderr
    assert (run / "paper/results/baseline_roa.json").stat().st_mtime_ns == result_mtime
    assert table.read_bytes() == before
