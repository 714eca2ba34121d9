"""The measure stages of the pipeline on the two real annual reports (PDF).

A small user source: CSMAR-style statements for 600201 (fiscal 2020) and 603339 (fiscal 2019), a
segment file without rows for them, and their real annual reports under ``reports/``. The pipeline
must identify the reports by file name, count the dictionary in them (full text and MD&A), and, as
no vendor segment rows exist, read Serv from the revenue table of each report. Both reports list
product lines only (an independent reading of the page text is in
tests/servitization/test_report_table.py), so Serv is 0 and comes from the report.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.shared]

HEAD = {
    "TRD_Co.csv": [["Stkcd", "Stknme", "Estbdt", "Listdt", "Nnindcd", "EquityNature"],
                   ["证券代码", "证券简称", "成立日期", "上市日期", "行业代码", "股权性质"], ["", "", "", "", "", ""],
                   ["600201", "生物股份", "1993-03-13", "1999-01-15", "C27", "民营"],
                   ["603339", "四方科技", "2002-01-01", "2016-05-19", "C34", "民营"]],
    "FS_Combas.csv": [["Stkcd", "ShortName", "Accper", "Typrep", "A001000000", "A002000000", "A003000000"],
                      ["证券代码", "证券简称", "会计期间", "报表类型", "资产总计", "负债合计", "所有者权益合计"],
                      ["", "", "", "", "元", "元", "元"],
                      # made-up statements of listed-firm size (the ingest checks magnitudes against the unit)
                      ["600201", "生物股份", "2020-12-31", "A", "4000000000", "1200000000", "2800000000"],
                      ["603339", "四方科技", "2019-12-31", "A", "2000000000", "800000000", "1200000000"]],
    "FS_Comins.csv": [["Stkcd", "ShortName", "Accper", "Typrep", "B001100000", "B001101000", "B002000000"],
                      ["证券代码", "证券简称", "会计期间", "报表类型", "营业总收入", "营业收入", "净利润"],
                      ["", "", "", "", "元", "元", "元"],
                      ["600201", "生物股份", "2020-12-31", "A", "1600000000", "1600000000", "160000000"],
                      ["603339", "四方科技", "2019-12-31", "A", "1200000000", "1200000000", "120000000"]],
    "FN_Fn045.csv": [["Stkcd", "EndDate", "Classification", "MainBusiness", "MainBusinessIncome", "MainBusinessCost"],
                     ["证券代码", "截止日期", "分类类型", "项目名称", "主营业务收入", "主营业务成本"], ["", "", "", "", "元", "元"],
                     ["000001", "2020-12-31", "按产品", "钢材", "100", "80"]],
}


def test_measures_from_real_reports(real_reports_dir, tmp_path):
    src = tmp_path / "data_raw" / "mine"
    (src / "reports").mkdir(parents=True)
    for name, rows in HEAD.items():
        (src / name).write_text("\n".join(",".join(r) for r in rows), encoding="utf-8")
    for pdf in sorted(real_reports_dir.glob("*.pdf")):
        os.symlink(pdf, src / "reports" / pdf.name)
    shutil.copytree(REPO / "config", tmp_path / "config")
    cfg = (tmp_path / "config" / "config.yaml").read_text(encoding="utf-8").replace("source: demo", "source: mine")
    (tmp_path / "config" / "config.yaml").write_text(cfg, encoding="utf-8")
    targets = ["data_clean/servitization.parquet", "data_clean/digitalization.parquet"]
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
                           "--directory", str(tmp_path), "--cores", "2", *targets],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    status = pd.read_csv(tmp_path / "data_clean/report_status.csv", dtype={"firm": str})
    assert sorted(zip(status["firm"], status["year"])) == [("600201", 2020), ("603339", 2019)]
    assert (status["status"] == "ok").all() and status["mdna_found"].all()
    assert (status["n_pages"] == [195, 156]).all()

    dig = pd.read_parquet(tmp_path / "data_clean/digitalization.parquet")
    assert len(dig) == 2 and (dig["dig_count"] >= 0).all()
    assert (dig["dig_mdna"] <= dig["dig"]).all()  # MD&A is part of the full text

    serv = pd.read_parquet(tmp_path / "data_clean/servitization.parquet")
    got = serv.set_index(["firm", "year"])
    assert set(got.index) == {("600201", 2020), ("603339", 2019), ("000001", 2020)}
    for key in [("600201", 2020), ("603339", 2019)]:
        row = got.loc[key]
        assert row["source"].startswith(f"report:{key[0]}_{key[1]}_annual_report.pdf#p")
        assert row["breakdown_used"] == "product" and row["serv_share"] == 0.0
        assert not row["flag_sum_mismatch"]
    # the breakdown read the pages the text stage kept, not the PDFs a second time
    seg_status = pd.read_csv(tmp_path / "data_clean/report_segments_status.csv", dtype={"firm": str})
    assert sorted(seg_status["pages_from"]) == ["text stage", "text stage"], seg_status.to_dict("records")
    labels = pd.read_csv(tmp_path / "data_clean/segment_labels.csv", dtype={"firm": str})
    assert (labels.loc[labels["firm"] == "603339", "decided_by"].str.len() > 0).all()
