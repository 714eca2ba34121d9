"""Reliability battery: periods and duplicates in segment tables, tables that do not add up, firm-years that
one statement table lacks, and config values the schema accepts but that mean nothing (issue 17).
Function level: CSMAR-shaped files through ingest, then the package functions the rules call."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.config import REPO_ROOT, ConfigError, validate_config
from analysis.ingest import read_table
from analysis.panel import build_panel
from analysis.servitization.classifier import label_segments, load_overrides, load_rules
from analysis.servitization.measures import servitization_measures
from analysis.servitization.segments import annual_vendor_segments
from tests.reliability.test_vendors import CSMAR, _cfg, _mapping, _measures, _panel_rows, _tables, _write

outcome = pytest.mark.outcome
SEG_HEADER = [["Stkcd", "EndDate", "Classification", "MainBusiness", "MainBusinessIncome", "MainBusinessCost"],
              ["证券代码", "截止日期", "分类类型", "项目名称", "主营业务收入", "主营业务成本"],
              ["没有单位", "没有单位", "没有单位", "没有单位", "元", "元"]]
ANNUAL = [["600123", "2021-12-31", "按产品", "压缩机", "6000", "4000"],
          ["600123", "2021-12-31", "按产品", "技术服务", "2000", "1000"],
          ["600123", "2021-12-31", "按产品", "合计", "8000", "5000"]]


def _serv(tmp_path: Path, rows, **kw) -> tuple[pd.DataFrame, pd.DataFrame]:
    _write(tmp_path / "FN_Fn045.csv", SEG_HEADER + rows)
    segments, aside = annual_vendor_segments(read_table(tmp_path, CSMAR, "segments"))
    rules = load_rules()
    labeled = label_segments(segments, rules, load_overrides(REPO_ROOT / "config" / "service_overrides.csv", rules))
    return servitization_measures(labeled, **kw).set_index(["firm", "year"]), aside


@outcome("identical", case="June-30 (interim) segment rows: set aside with their date, never summed with the annual rows")
def test_interim_segment_rows(tmp_path):
    (tmp_path / "a").mkdir()
    clean, _ = _serv(tmp_path / "a", ANNUAL)
    interim = [[r[0], "2021-06-30", *r[2:4], str(int(r[4]) // 2), str(int(r[5]) // 2)] for r in ANNUAL]
    (tmp_path / "b").mkdir()
    messy, aside = _serv(tmp_path / "b", ANNUAL + interim)
    assert messy.loc[("600123", 2021), "serv_share"] == clean.loc[("600123", 2021), "serv_share"] == 0.25
    assert len(aside) == 3 and aside["reason"].str.startswith("interim period (2021-06-30)").all()
    assert aside["source"].str.contains(r"FN_Fn045.csv#row\d+").all()  # file and row of each


@outcome("identical", case="an exact duplicate segment row is counted once, the copy recorded with the row it repeats")
def test_duplicate_segment_row(tmp_path):
    m, aside = _serv(tmp_path, ANNUAL + [ANNUAL[1]])
    assert m.loc[("600123", 2021), "serv_share"] == 0.25 and m.loc[("600123", 2021), "service_revenue"] == 2000
    assert len(aside) == 1 and aside.loc[0, "source"].endswith("FN_Fn045.csv#row7")
    assert aside.loc[0, "reason"].startswith("exact duplicate of vendor:") and "FN_Fn045.csv#row5: counted once" in aside.loc[0, "reason"]


@outcome("drop", case="segments that do not sum to their 合计 row: Serv missing, the ledger gives the gap and what to do")
def test_sum_check_fails(tmp_path):
    rows = [r[:] for r in ANNUAL]
    rows[2][4] = "9000"  # 合计 9000, lines 8000: 11% gap
    m, _ = _serv(tmp_path, rows, tolerance=0.01)
    r = m.loc[("600123", 2021)]
    assert math.isnan(r["serv_share"]) and "fails its sum check" in r["serv_missing_reason"]
    assert "9,000" in r["serv_missing_reason"] and "accept_sum_mismatch" in r["serv_missing_reason"]
    # the reason reaches the sample ledger
    panel_rows = _panel_rows(n_firms=1, years=(2021,))
    panel_rows[1][0] = "600123"
    (tmp_path / "p").mkdir()
    _write(tmp_path / "p" / "panel.csv", panel_rows)
    t = _tables(tmp_path / "p", _mapping(tmp_path / "p"))
    serv = m.reset_index()[["firm", "year", "serv_share", "serv_missing_reason"]].rename(columns={"serv_share": "serv"})
    res = build_panel(t, serv, _measures(t)[1], _cfg())
    d = res.dropped[res.dropped["rule"] == "missing serv"]
    assert len(res.panel) == 0 and "fails its sum check" in d["detail"].iloc[0]
    assert "serv_missing_reason" not in res.panel.columns


@outcome("correct", case="a failed sum check overridden for a firm-year checked by hand keeps its Serv (flagged)")
def test_sum_check_override(tmp_path):
    rows = [r[:] for r in ANNUAL]
    rows[2][4] = "9000"
    m, _ = _serv(tmp_path, rows, tolerance=0.01, accept_mismatch=[("600123", 2021)])
    r = m.loc[("600123", 2021)]
    assert r["serv_share"] == 0.25 and r["flag_sum_mismatch"] and r["serv_missing_reason"] is None


@outcome("correct", case="the sum-check tolerance is a setting: a 0.5% gap passes at 1%, fails at 0.1%")
def test_sum_check_tolerance(tmp_path):
    rows = [r[:] for r in ANNUAL]
    rows[2][4] = "8040"
    loose, _ = _serv(tmp_path, rows, tolerance=0.01)
    strict, _ = _serv(tmp_path, rows, tolerance=0.001)
    assert loose.loc[("600123", 2021), "serv_share"] == 0.25
    assert math.isnan(strict.loc[("600123", 2021), "serv_share"])


@outcome("drop", case="balance-sheet row missing while income statement, segments and report are present: ledger line")
def test_balance_sheet_missing(tmp_path):
    _write(tmp_path / "panel.csv", _panel_rows())
    t = _tables(tmp_path, _mapping(tmp_path))
    serv, dig = _measures(t)
    bs = t["balance_sheet"]
    t["balance_sheet"] = bs[~((bs["firm"] == "600001") & (bs["period_end"].dt.year == 2020))]
    res = build_panel(t, serv[serv["firm"] != "600001"].pipe(
        lambda s: pd.concat([s, pd.DataFrame({"firm": ["600001"] * 3, "year": [2019, 2020, 2021], "serv": 0.2})])),
        dig, _cfg())
    led = res.ledger.set_index("rule")
    assert led.loc["balance sheet missing", "rows_dropped"] == 1
    assert led["rows_remaining"].iloc[0] == 9  # 8 balance-sheet rows read + the orphan firm-year
    d = res.dropped[res.dropped["rule"] == "balance sheet missing"].iloc[0]
    assert (d["firm"], d["year"]) == ("600001", 2020)
    assert d["detail"] == "no balance-sheet row; the firm-year is in: income statement, segments (Serv), annual report (Dig)"
    assert len(res.panel) == 8


@outcome("drop", case="income-statement row missing while the balance sheet has it: ledger line")
def test_income_statement_missing(tmp_path):
    _write(tmp_path / "panel.csv", _panel_rows())
    t = _tables(tmp_path, _mapping(tmp_path))
    inc = t["income_statement"]
    t["income_statement"] = inc[~((inc["firm"] == "600002") & (inc["period_end"].dt.year == 2021))]
    res = build_panel(t, *_measures(t), _cfg())
    d = res.dropped[res.dropped["rule"] == "no income statement for the firm-year"]
    assert list(zip(d["firm"], d["year"])) == [("600002", 2021)] and len(res.panel) == 8


@outcome("drop", case="a report present for a firm-year no statement table has: recorded, not vanished")
def test_report_without_statements(tmp_path):
    _write(tmp_path / "panel.csv", _panel_rows())
    t = _tables(tmp_path, _mapping(tmp_path))
    serv, dig = _measures(t)
    dig = pd.concat([dig, pd.DataFrame({"firm": ["600009"], "year": [2021], "dig": [1.0]})], ignore_index=True)
    res = build_panel(t, serv, dig, _cfg())
    d = res.dropped[res.dropped["rule"] == "balance sheet missing"]
    assert list(zip(d["firm"], d["year"])) == [("600009", 2021)] and d["detail"].iloc[0].endswith("annual report (Dig)")


# --------------------------------------------------------------------------- config values (analysis/config.py)
STUDY = yaml.safe_load((REPO_ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))


def _config(**changes):
    cfg = copy.deepcopy(STUDY)
    for key, value in changes.items():
        node = cfg
        *path, last = key.split("__")
        for k in path:
            node = node.setdefault(k, {})
        node[last] = value
    return cfg


@outcome("error", case="config: reversed ordered pairs and contradictions are refused before any job, key named")
@pytest.mark.parametrize("change,named", [
    ({"winsorize__limits": [0.99, 0.01]}, "winsorize.limits"),
    ({"sample__years": [2023, 2010]}, "sample.years"),
    ({"sample__industry__min": 43, "sample__industry__max": 13}, "sample.industry.min/max"),
    ({"models__controls": ["size", "lev", "dig"]}, "models.controls"),
    ({"models__outcomes": ["roa", "roa"]}, "models.outcomes"),
])
def test_config_semantics(change, named):
    with pytest.raises(ConfigError) as err:
        validate_config(_config(**change))
    assert named in str(err.value)


@outcome("correct", case="config: the study's own config passes the semantic checks unchanged")
def test_config_study_passes():
    cfg = validate_config(_config())
    assert cfg["winsorize"]["limits"][0] < cfg["winsorize"]["limits"][1]


# --------------------------------------------------------------------------- unclear messages made clear
@outcome("error", case="a bad byte in a UTF-8 vendor file: the error names the line and the bytes before it")
def test_bad_byte_names_line(tmp_path):
    from analysis.ingest import RawDataError
    rows = SEG_HEADER + ANNUAL
    data = "\n".join(",".join(r) for r in rows).encode("utf-8")
    cut = data.index("技术服务".encode("utf-8"))
    (tmp_path / "FN_Fn045.csv").write_bytes(data[:cut] + b"\xff" + data[cut:])
    with pytest.raises(RawDataError) as err:
        read_table(tmp_path, CSMAR, "segments")
    msg = str(err.value)
    assert "FN_Fn045.csv, row 5: byte ff after '600123,2021-12-31,按产品,'" in msg and "save the file again" in msg


@outcome("error", case="a header naming one column twice: the error names the column and both positions")
def test_duplicated_header_name(tmp_path):
    from analysis.ingest import RawDataError
    header = [r[:] for r in SEG_HEADER]
    header[0][3] = "Stkcd"
    _write(tmp_path / "FN_Fn045.csv", header + ANNUAL)
    with pytest.raises(RawDataError) as err:
        read_table(tmp_path, CSMAR, "segments")
    assert "column 'Stkcd'" in str(err.value) and "columns 1 and 4" in str(err.value)
