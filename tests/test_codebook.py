"""panel.dta / panel.csv / codebook: what Stata reads back equals the panel, Chinese labels survive,
the files are byte-reproducible, an undocumented column is a clear error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.presentation.codebook import CodebookError, codebook, codebook_table, write_csv, write_stata


@pytest.fixture
def small_panel():
    return pd.DataFrame({
        "firm": ["000001", "000001", "600519"], "year": [2019, 2020, 2020],
        "name": ["平安银行", "平安银行", "贵州茅台"],
        "period_end": pd.to_datetime(["2019-12-31", "2020-12-31", "2020-12-31"]),
        "roa": [0.01, np.nan, 0.2], "serv": [0.1, 0.2, 0.3],
        "serv_dummy": pd.array([1, None, 0], dtype="Int64"),
    })


def test_stata_file_reads_back_with_chinese_labels(small_panel, tmp_path):
    path = write_stata(small_panel, tmp_path / "p.dta", "zh")
    with pd.io.stata.StataReader(path) as reader:
        labels = reader.variable_labels()
        back = reader.read()
    assert path.read_bytes()[:len(b"<stata_dta><header><release>118")] == b"<stata_dta><header><release>118"
    assert labels["serv"] == "服务化" and labels["roa"] == "总资产收益率"
    assert back["name"].tolist() == ["平安银行", "平安银行", "贵州茅台"]
    assert back["firm"].tolist() == ["000001", "000001", "600519"]  # codes keep their zeros
    np.testing.assert_array_equal(back["roa"].to_numpy(), small_panel["roa"].to_numpy())  # missing stays missing
    assert back["serv_dummy"].isna().tolist() == [False, True, False]
    assert (back["period_end"] == small_panel["period_end"]).all()
    en = write_stata(small_panel, tmp_path / "en.dta", "en")
    with pd.io.stata.StataReader(en) as reader:
        assert reader.variable_labels()["roa"] == "Net profit / total assets"
    again = write_stata(small_panel, tmp_path / "again.dta", "zh")
    assert again.read_bytes() == path.read_bytes()  # no time stamp of the run


def test_csv_reads_back(small_panel, tmp_path):
    back = pd.read_csv(write_csv(small_panel, tmp_path / "p.csv"), dtype={"firm": str}, encoding="utf-8-sig")
    assert back["firm"].tolist() == ["000001", "000001", "600519"] and back["name"].iloc[2] == "贵州茅台"
    np.testing.assert_allclose(back["serv"], small_panel["serv"])


def test_codebook_counts_and_documents_every_column(small_panel):
    cb = codebook(small_panel).set_index("name")
    assert cb.at["roa", "n"] == 2 and cb.at["roa", "missing"] == 1
    assert cb.at["roa", "mean"] == pytest.approx(0.105)
    assert cb.at["roa", "source"].startswith("income_statement.net_profit")
    assert cb.at["serv", "label_zh"] == "服务化" and cb.at["serv", "unit"] == "share"
    md = codebook_table(small_panel, "zh").to_markdown()
    assert "估计样本变量说明" in md and "| serv |" in md
    with pytest.raises(CodebookError, match=r"no entry for the panel column\(s\) \['mystery'\]"):
        codebook(small_panel.assign(mystery=1.0))


@pytest.mark.slow
def test_the_pipeline_exports_the_panel(demo_run):
    panel = pd.read_parquet(demo_run / "data_clean" / "panel.parquet")
    dta = pd.read_stata(demo_run / "data_clean" / "panel.dta")
    assert list(dta.columns) == list(panel.columns) and len(dta) == len(panel)
    np.testing.assert_allclose(dta["serv"].to_numpy(), panel["serv"].to_numpy())
    md = (demo_run / "data_clean" / "codebook.md").read_text(encoding="utf-8")
    assert all(f"| {c} |" in md for c in panel.columns)
