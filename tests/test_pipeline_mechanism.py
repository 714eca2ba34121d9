"""End to end: the mechanism stage on the small demo sample (config/test_config.yaml, seed 7).

One pipeline run up to the mechanism tables (about 30 s). Checked: the mechanism measures cover
exactly the panel's firm-years (nothing dropped, the panel untouched); the R&D intensity the pipeline
measures equals the demo's true one, and is missing exactly where the demo withheld the R&D row;
the coupling degree D in the output equals C, T and D recomputed independently (numpy entropy
weights, hand formula); the known truth of the demo's mechanism extension is recovered: the effect
of Dig on ln R&D intensity (truth.json: link_a_ln_rd_intensity_on_dig) lies in its 95% interval,
and the implied sign of Dig's effect on D is found; every link has a result and a table.
(The two-run byte identity of these outputs is checked by tests/test_pipeline.py, whose default
target now includes them.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.mechanism_tables import LINKS

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = tmp_path_factory.mktemp("mech")
    shutil.copytree(REPO / "config", work / "config")
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(work),
           "--configfile", str(work / "config" / "test_config.yaml"), "--cores", "2",
           *[f"paper/tables/mechanism_{link}.md" for link in LINKS]]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return work


def _load(run: Path, name: str) -> dict:
    return json.loads((run / f"paper/results/mechanism/{name}.json").read_text(encoding="utf-8"))


def test_measures_cover_the_panel_and_equal_the_truth(run):
    panel = pd.read_parquet(run / "data_clean/panel.parquet")
    mech = pd.read_parquet(run / "data_clean/mechanism.parquet")
    assert len(mech) == len(panel)
    assert list(zip(mech["firm"], mech["year"])) == list(zip(panel["firm"], panel["year"]))
    truth = pd.read_csv(run / "data_raw/demo/truth_mechanism_firm_years.csv", dtype={"firm": str})
    m = mech.merge(truth, on=["firm", "year"], suffixes=("", "_true"), validate="1:1")
    assert len(m) == len(mech)
    assert (m["rd_intensity"].notna() == m["has_rd"]).all()
    assert (~m["has_rd"]).sum() > 0  # some withheld rows, kept as missing
    ok = m["has_rd"]
    np.testing.assert_allclose(m.loc[ok, "rd_intensity"], m.loc[ok, "rd_intensity_true"], rtol=1e-12)


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


def test_known_truth_of_link_a_is_recovered(run):
    truth = json.loads((run / "data_raw/demo/truth_mechanism.json").read_text(encoding="utf-8"))
    rows = {r["outcome"]: r for r in _load(run, "coupling")["rows"]}
    g = truth["link_a_ln_rd_intensity_on_dig"]
    assert rows["ln_rd_intensity"]["ci_lower"] < g < rows["ln_rd_intensity"]["ci_upper"]
    assert np.sign(rows["ccd"]["coef"]) == truth["link_a_ccd_on_dig_sign"]
    assert rows["ccd"]["p_one_sided_positive"] < 0.01


def test_every_link_has_a_result_and_a_table(run):
    med = _load(run, "mediation")
    ind = med["indirect"]
    assert ind["ci_lower"] <= ind["estimate"] <= ind["ci_upper"] and ind["reps"] == 499
    assert len(med["assumptions"]) >= 3
    mod = _load(run, "moderation")["result"]
    assert {"serv_x_ccd", "serv_sq_x_ccd"} <= set(mod["names"])
    assert any(r["quantity"] == "shape_flip_z" for r in mod["extras"]["moderation"])
    assert set(_load(run, "stages")["stage_counts"]) == {"stage1", "stage2", "stage3"}
    assert _load(run, "resilience")["n_firms"] > 50
    for link in LINKS:
        for ext in ("md", "tex", "csv"):
            assert (run / f"paper/tables/mechanism_{link}.{ext}").stat().st_size > 200
