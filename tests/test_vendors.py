"""A second vendor layout (Chinese column labels, one header row, amounts in 万元, -1 as missing)
gives the same clean panel as the CSMAR layout of the same data.

The demo's CSMAR files are read as raw vendor rows, a few net profits are set to exactly -10,000
yuan (= -1 万元, a real value the -1 missing code must not erase), and the rows are written twice:
back in the CSMAR layout and in the ``generic_zh`` layout. Both are ingested with their own mapping
and run through ``build_panel``; panels, ledgers and dropped firm-years must agree.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.demo import DemoParams, generate_demo
from analysis.demo.generate import _csmar_rows, _write_text, write_xlsx
from analysis.ingest import TABLES, find_files, load_vendor_mapping, read_raw_file, read_table
from analysis.panel import build_panel
from analysis.validation import validate_table

REPO = Path(__file__).resolve().parents[1]
CSMAR = load_vendor_mapping(REPO / "config" / "vendors" / "csmar.yaml")
ZH = load_vendor_mapping(REPO / "config" / "vendors" / "generic_zh.yaml")
CFG = {"industry": {"section": "C", "min": 13, "max": 43}, "exclude_st": True,
       "required": ["roa", "size", "lev", "growth", "serv", "dig"],
       "winsorize": {"enabled": True, "limits": [0.01, 0.99], "by": "year",
                     "variables": ["roa", "roe", "size", "lev", "growth", "tobin_q"]}}
# zh file name and writer per table (several formats and encodings, one table in two files)
ZH_FILES = {"company": ("公司信息.xlsx",), "balance_sheet": ("资产负债表.csv",),
            "income_statement": ("利润表_上.csv", "利润表_下.xlsx"), "segments": ("主营业务构成.txt",),
            "industry_history": ("行业变更.csv",), "market_value": ("市值.csv",),
            "shareholders": ("股权结构.xlsx",)}
# CSMAR unit -> 万元 divisor, per canonical amount column
TO_WAN = {"total_assets": 10000, "total_liabilities": 10000, "total_equity": 10000,
          "total_revenue": 10000, "operating_revenue": 10000, "net_profit": 10000,
          "revenue": 10000, "cost": 10000, "market_value": 10}  # TRD_Year is in thousand yuan


def _zh_value(canon: str, text: str, missing_codes: tuple[str, ...]) -> str:
    text = text.strip()
    if text in ("", "--"):
        return "-1" if "-1" in missing_codes else ""
    if canon in TO_WAN:
        return format(Decimal(text) / TO_WAN[canon], "f")
    if canon == "statement_type":
        return {"A": "合并报表", "B": "母公司报表"}[text]
    if canon in ("period_end", "founded", "listed"):
        return text.replace("-", "/")
    if canon == "start":
        return text.replace("-", "")  # 20120101
    return text


def _write_zh(frame: pd.DataFrame, table: str, out: Path) -> None:
    csmar_cols = {v: c for v, c in CSMAR.tables[table].columns.items() if v in frame.columns}  # vendor -> canonical
    zh_of = {c: v for v, c in ZH.tables[table].columns.items()}  # canonical -> zh label
    zh = pd.DataFrame({zh_of[c]: [_zh_value(c, x, ZH.tables[table].missing.get(c, ()))
                                  for x in frame[v].astype(str)]
                       for v, c in csmar_cols.items()})
    rows = [list(zh.columns)] + zh.values.tolist()
    names = ZH_FILES[table]
    parts = [rows] if len(names) == 1 else [rows[: len(rows) // 2], [rows[0]] + rows[len(rows) // 2:]]
    for name, part in zip(names, parts):
        if name.endswith(".xlsx"):
            write_xlsx(out / name, part, numeric_from_row=1, text_columns=())  # codes lose their zeros
        elif name.endswith(".txt"):
            _write_text(out / name, part, "gbk", sep="\t")
        else:
            _write_text(out / name, part, "utf-8-sig")


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    root = tmp_path_factory.mktemp("vendors")
    src, a, b = root / "src", root / "csmar", root / "zh"
    generate_demo(src, DemoParams(n_firms=40), seed=5, progress=lambda m: None)
    a.mkdir()
    b.mkdir()
    for table in ZH_FILES:  # the tables both layouts carry (the mechanism tables rd/patents are csmar-only)
        t = CSMAR.tables[table]  # the demo writes CSMAR's layouts: one-header csv, zip, column-A xlsx
        frames = [read_raw_file(f, t.header_rows, t.firm_columns()) for f in find_files(src, t)]
        frame = pd.concat(frames, ignore_index=True)
        if table == "income_statement":  # real net profits of exactly -1 万元
            annual_a = frame.index[(frame["Typrep"] == "A") & frame["Accper"].str.endswith("12-31")]
            frame.loc[annual_a[[3, 10, 20]], "B002000000"] = "-10000.00"
        rows = _csmar_rows(table, frame)  # the three CSMAR header rows, then the data
        _write_text(a / f"{CSMAR.tables[table].files[0].replace('*.xlsx', '')}.csv", rows, "utf-8")
        _write_zh(frame, table, b)
    truth = pd.read_csv(src / "truth_firm_years.csv", dtype={"firm": str})
    return a, b, truth


def _panel(raw_dir: Path, mapping, truth: pd.DataFrame):
    tables = {}
    for name in TABLES:
        tables[name] = read_table(raw_dir, mapping, name)
        validate_table(tables[name], name, mapping.tables.get(name))
    return tables, build_panel(tables, truth[["firm", "year", "serv"]], truth[["firm", "year", "dig"]], CFG)


def test_chinese_label_layout_gives_the_same_clean_panel(layouts):
    a, b, truth = layouts
    assert any(p.suffix == ".xlsx" for p in b.iterdir()) and (b / "利润表_上.csv").exists()
    ta, ra = _panel(a, CSMAR, truth)
    tb, rb = _panel(b, ZH, truth)
    pd.testing.assert_frame_equal(ra.ledger, rb.ledger)
    assert len(ra.panel) > 200
    pa_, pb_ = (r.panel.drop(columns=["_source_file", "_source_row"]) for r in (ra, rb))
    assert list(pa_.columns) == list(pb_.columns)
    pd.testing.assert_frame_equal(pa_, pb_, check_exact=False, rtol=1e-12, atol=0)
    key = ["firm", "year", "rule"]
    da = ra.dropped[key].astype(str).sort_values(key).reset_index(drop=True)
    db = rb.dropped[key].astype(str).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(da, db)
    # the real -1 万元 net profits survived as numbers (not turned into missing values)
    for t in (ta, tb):
        assert (t["income_statement"]["net_profit"] == -10000.0).sum() == 3
    # and the codes that lost their zeros in the zh xlsx files were padded back
    assert ta["company"]["firm"].tolist() == tb["company"]["firm"].tolist()
    assert tb["company"]["firm"].str.fullmatch(r"\d{6}").all()


def test_minus_one_is_missing_only_where_the_mapping_says(layouts):
    _, b, _ = layouts
    bs = read_table(b, ZH, "balance_sheet")
    raw = pd.read_csv(b / "资产负债表.csv", dtype=str, encoding="utf-8-sig")
    coded = raw["负债合计"] == "-1"
    assert coded.any()  # the "--" of the CSMAR file became -1
    assert bs.loc[coded.to_numpy(), "total_liabilities"].isna().all()
    inc = read_table(b, ZH, "income_statement")
    assert not inc["net_profit"].isin([-1.0]).any() and (inc["net_profit"] == -10000.0).any()
    assert np.isfinite(inc["net_profit"]).sum() > 0.9 * len(inc)
