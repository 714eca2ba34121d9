"""A real vendor panel through the whole pipeline, from the raw file to the tables, with no user code.

The raw file is the real Wind-derived machinery panel (../shared/data/vendor_panels/, linked, never
copied), mapped by config/vendors/wind_panel_machinery.yaml. The panel has no segment data and no
annual reports, so the user adds a segments file in the vendor's layout (here written by the test
from the made-up Serv of tests/data/vendor_panels/machinery_serv_dig.csv: a product line and a
service line per firm-year) and, without reports, runs the quadratic model only (models.moderator:
null, Dig not required). Checked: Serv in the panel equals the fixture's, the statements' numbers
equal the file's (line 2: 000008.SZ 2017), and the baseline coefficients equal a dummy-variable OLS
of the same panel (statsmodels).
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import statsmodels.formula.api as smf

from tests.conftest import run_snakemake

pytestmark = [pytest.mark.slow, pytest.mark.shared]

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "data" / "vendor_panels" / "machinery_serv_dig.csv"
CONFIG = """\
seed: 1
source: wind
vendor: wind_panel_machinery
reports: {n_shards: 1}
sample: {years: [2011, 2017], st_source: unavailable, required: [roa, size, lev, growth, serv]}
winsorize: {enabled: false}
models: {outcomes: [roa], moderator: null, controls: [size, lev, growth], min_observations: 30}
mechanism: {enabled: false}
output: {notebook: false, figure_formats: [png], table_formats: [md, csv]}
"""


@pytest.fixture(scope="module")
def run(vendor_panels_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("wind")
    shutil.copytree(REPO / "config", work / "config")
    (work / "config" / "config.yaml").write_text(CONFIG, encoding="utf-8")
    (work / "config" / "test_config.yaml").write_text("{}\n", encoding="utf-8")
    raw = work / "data_raw" / "wind"
    raw.mkdir(parents=True)
    (raw / "reports").mkdir()  # no annual reports: Dig stays missing (not required here)
    os.symlink(vendor_panels_dir / "machinery_fin_charts.csv", raw / "machinery_fin_charts.csv")
    fx = pd.read_csv(FIXTURE, comment="#", dtype={"firm": str})
    rows = []
    for r in fx.itertuples():
        total = 1_000_000_000.0
        for name, share in (("工程机械", 1 - r.serv), ("维修及技术服务", r.serv)):
            rows.append({"股票": f"{r.firm}.SZ" if r.firm.startswith("0") else f"{r.firm}.SH", "年份": r.year,
                         "分类": "分产品", "项目名称": name, "营业收入": round(total * share, 2),
                         "营业成本": round(0.7 * total * share, 2)})
    pd.DataFrame(rows).to_csv(raw / "machinery_segments.csv", index=False, encoding="utf-8")
    targets = ["paper/tables/baseline.md", "paper/tables/sample_selection.md", "paper/tables/descriptives.md"]
    proc = run_snakemake(work, *targets)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return work, fx


def test_the_real_panel_reaches_the_tables(run):
    work, fx = run
    panel = pd.read_parquet(work / "data_clean/panel.parquet").set_index(["firm", "year"])
    assert len(panel) == len(fx) == 70
    serv = fx.set_index(["firm", "year"])["serv"]
    pd.testing.assert_series_equal(panel["serv"].sort_index(), serv.sort_index(), check_names=False, atol=1e-9)
    # machinery_fin_charts.csv line 2: 2017, 000008.SZ: 净利润 889609890.1, 总资产 10678315230.0
    assert panel.loc[("000008", 2017), "roa"] == pytest.approx(889609890.1 / 10678315230.0, rel=1e-12)
    assert panel.loc[("000008", 2017), "size"] == pytest.approx(math.log(10678315230.0), rel=1e-12)
    # 省份 北京 (the short form) -> 北京市, East; every firm of the file has a province of the 31
    assert panel.loc[("000008", 2017), ["province", "region"]].tolist() == ["北京市", "east"]
    assert panel["region"].notna().all() and set(panel["region"]) <= {"east", "central", "west"}
    baseline = (work / "paper/tables/baseline.md").read_text(encoding="utf-8")
    assert "70" in baseline and "clustered by firm" in baseline
    ledger = pd.read_csv(work / "data_clean/sample_ledger.csv")
    assert ledger["rule"].str.contains("not applied: ST status declared unavailable").any()


def test_the_baseline_equals_dummy_variable_ols(run):
    import json

    work, _ = run
    res = json.loads((work / "paper/results/baseline_roa.json").read_text(encoding="utf-8"))
    p = pd.read_parquet(work / "data_clean/panel.parquet")
    p = p.assign(serv_sq=p["serv"] ** 2)
    ols = smf.ols("roa ~ serv + serv_sq + size + lev + growth + C(firm) + C(year)", data=p).fit()
    for name, b in zip(res["names"], res["coef"]):
        assert b == pytest.approx(ols.params[name], rel=1e-7, abs=1e-10), name
