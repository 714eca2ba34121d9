"""Reliability cases of vendor ingestion (issue 14's measured list): each bad input gets a clear
error, a recorded drop, or the right result; tested at the function level (fast).

The "panel" fixture mimics the real statement panel of the issue: one file with Chinese labels,
-1 as missing, amounts in 元, only current + non-current parts of assets and liabilities, a bare
年份 and no statement type; the mapping (v2) computes what the file lacks.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from analysis.config import section_defaults
from analysis.demo.generate import write_csmar_zip, write_xlsx
from analysis.estimation import PanelTooSmall, check_panel_size
from analysis.ingest import (TABLES, RawDataError, csrc2012_codes, load_vendor_mapping, read_raw_file,
                             read_table)
from analysis.panel import build_panel
from analysis.sample import industry_by_year
from analysis.validation import sanity_checks, validate_table

REPO = Path(__file__).resolve().parents[2]
CSMAR = load_vendor_mapping(REPO / "config" / "vendors" / "csmar.yaml")
outcome = pytest.mark.outcome

PANEL_HEADER = ["证券代码", "证券简称", "年份", "流动资产合计", "非流动资产合计", "流动负债合计",
                "非流动负债合计", "营业收入", "净利润", "行业代码", "所有制"]
MAPPING = """
vendor: panel_zh
missing_values: ["", "--"]
tables:
  company:
    files: ["panel*.csv"]
    columns: {证券代码: firm, 证券简称: name, 行业代码: industry, 所有制: ownership}
  balance_sheet:
    files: ["panel*.csv"]
    columns: {证券代码: firm, 证券简称: short_name}
    computed:
      period_end: {year_end: 年份}
      statement_type: {constant: A}
      total_assets: {sum: [流动资产合计, 非流动资产合计]}
      total_liabilities: {sum: [流动负债合计, 非流动负债合计]}
    units: {total_assets: 元, total_liabilities: 元}
    missing: {total_assets: ["-1"], total_liabilities: ["-1"]}
  income_statement:
    files: ["panel*.csv"]
    columns: {证券代码: firm, 证券简称: short_name, 营业收入: total_revenue, 净利润: net_profit}
    computed:
      period_end: {year_end: 年份}
      statement_type: {constant: A}
    units: {total_revenue: 元, net_profit: 元}
    missing: {total_revenue: ["-1"]}
"""


def _write(path: Path, rows, encoding="utf-8") -> Path:
    path.write_bytes("\n".join(",".join(map(str, r)) for r in rows).encode(encoding))
    return path


def _panel_rows(n_firms=3, years=(2019, 2020, 2021), **override):
    rows = [PANEL_HEADER]
    for i in range(n_firms):
        for y in years:
            row = [f"{600000 + i}", f"公司{i}", y, 4e9 + i * 1e8, 6e9, 2e9, 1e9, 5e9 + y, 3e8, "C35", "国企"]
            rows.append(row)
    return rows


def _mapping(tmp: Path, text: str = MAPPING, name: str = "panel_zh.yaml"):
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    return load_vendor_mapping(p)


def _tables(raw: Path, mapping):
    return {t: validate_table(read_table(raw, mapping, t), t, mapping.tables.get(t)) for t in TABLES}


def _measures(tables, with_dig=True):
    fy = tables["balance_sheet"].assign(year=lambda d: d["period_end"].dt.year)[["firm", "year"]].drop_duplicates()
    serv = fy.assign(serv=0.2)
    dig = fy.assign(dig=1.0) if with_dig else pd.DataFrame({"firm": [], "year": [], "dig": []})
    return serv, dig


def _cfg(**kw):
    # growth needs the previous year: left out so that every firm-year of the fixture can stay
    return {**section_defaults("sample"), "winsorize": {"enabled": False},
            "required": ["roa", "size", "lev", "serv", "dig"], **kw}


# --------------------------------------------------------------------------- mapping v2

@outcome("correct", case="computed sum of parts applies each part's -1 code first; date from 年份; constant A")
def test_computed_columns(tmp_path):
    rows = _panel_rows()
    rows[1][4] = "-1"  # a missing non-current part: the total is missing, not 4e9 - 1
    _write(tmp_path / "panel.csv", rows)
    t = _tables(tmp_path, _mapping(tmp_path))
    bs = t["balance_sheet"]
    assert np.isnan(bs.loc[0, "total_assets"])
    assert bs.loc[1, "total_assets"] == 4e9 + 6e9 and bs.loc[1, "total_liabilities"] == 3e9
    assert (bs["period_end"] == pd.to_datetime(bs["period_end"].dt.year.astype(str) + "-12-31")).all()
    assert set(bs["statement_type"]) == {"A"} and bs.loc[1, "period_end"] == pd.Timestamp("2020-12-31")
    res = build_panel(t, *_measures(t), _cfg(required=["roa", "size", "lev", "serv", "dig"]))
    led = res.ledger.set_index("rule")["rows_dropped"]
    assert led["annual statements only (period ending Dec 31)"] == 0
    assert led["missing roa"] == 1 and len(res.panel) == 8  # only the row with the -1 part (roa needs assets)


@outcome("error", case="a misspelt mapping key is named with the mapping file and its path")
def test_mapping_schema_error_names_file_and_key(tmp_path):
    with pytest.raises(RawDataError) as err:
        _mapping(tmp_path, MAPPING.replace("    units: {total_assets: 元", "    unit: {total_assets: 元", 1))
    msg = str(err.value)
    assert "panel_zh.yaml" in msg and "tables.balance_sheet" in msg and "'unit'" in msg


@outcome("error", case="a unit that does not exist is named with its key")
def test_mapping_unknown_unit(tmp_path):
    with pytest.raises(RawDataError, match=r"tables\.balance_sheet\.units\.total_assets"):
        _mapping(tmp_path, MAPPING.replace("units: {total_assets: 元", "units: {total_assets: 美元", 1))


@outcome("error", case="a recode to a value that is not canonical is refused when the mapping loads")
def test_recode_target_must_be_canonical(tmp_path):
    text = MAPPING + """  segments:
    files: ["seg*.csv"]
    columns: {证券代码: firm, 报告期: period_end, 分类类型: breakdown, 项目名称: segment, 收入: revenue}
    recode: {breakdown: {按产品: products}}
"""
    with pytest.raises(RawDataError, match=r"tables\.segments\.recode\.breakdown.*products"):
        _mapping(tmp_path, text)


@outcome("error", case="an unrecoded breakdown value (按产品) stops ingest naming file, column, row and value")
def test_unrecoded_breakdown(tmp_path):
    text = MAPPING + """  segments:
    files: ["seg*.csv"]
    columns: {证券代码: firm, 报告期: period_end, 分类类型: breakdown, 项目名称: segment, 收入: revenue}
    recode: {breakdown: {按行业: industry}}
"""
    _write(tmp_path / "seg.csv", [["证券代码", "报告期", "分类类型", "项目名称", "收入"],
                                  ["600000", "2020-12-31", "按行业", "机械", "1"],
                                  ["600000", "2020-12-31", "按产品", "服务", "1"]])
    with pytest.raises(RawDataError) as err:
        read_table(tmp_path, _mapping(tmp_path, text), "segments")
    msg = str(err.value)
    assert "seg.csv" in msg and "'分类类型'" in msg and "row 3" in msg and "'按产品'" in msg and "recode" in msg


@outcome("error", case="a bare year mapped as the report date")
def test_bare_year_as_date(tmp_path):
    text = MAPPING.replace("      period_end: {year_end: 年份}\n", "", 1).replace(
        "    columns: {证券代码: firm, 证券简称: short_name}\n",
        "    columns: {证券代码: firm, 证券简称: short_name, 年份: period_end}\n", 1)
    _write(tmp_path / "panel.csv", _panel_rows())
    with pytest.raises(RawDataError) as err:
        read_table(tmp_path, _mapping(tmp_path, text), "balance_sheet")
    msg = str(err.value)
    assert "'年份'" in msg and "row 2" in msg and "'2019'" in msg and "year_end" in msg


@outcome("error", case="dates that are all January 1 (a year read as a date upstream)")
def test_all_january_first(tmp_path):
    bs = pd.DataFrame({"firm": ["600000"] * 2, "period_end": pd.to_datetime(["2019-01-01", "2020-01-01"]),
                       "total_assets": [1e9, 1e9], "_source_file": "bs.csv", "_source_row": [2, 3]})
    with pytest.raises(RawDataError, match="January 1.*year_end"):
        sanity_checks({"balance_sheet": bs})


@outcome("error", case="scale 10000 copied onto amounts already in 元")
def test_wrong_unit_scale(tmp_path):
    _write(tmp_path / "panel.csv", _panel_rows())
    m = _mapping(tmp_path, MAPPING.replace("units: {total_assets: 元", "units: {total_assets: 万元", 1))
    t = {n: read_table(tmp_path, m, n) for n in ("balance_sheet", "income_statement")}
    with pytest.raises(RawDataError) as err:
        sanity_checks(t, m.tables)
    msg = str(err.value)
    assert "median total assets is 1.01e+14 yuan" in msg and "万元" in msg and "流动资产合计+非流动资产合计" in msg


@outcome("error", case="a CSMAR unit row saying 元 while the mapping declares 万元")
def test_unit_row_disagrees_with_mapping(tmp_path):
    text = (REPO / "config" / "vendors" / "csmar.yaml").read_text(encoding="utf-8").replace(
        "      A003000000: total_equity       # 所有者权益合计\n",
        "      A003000000: total_equity       # 所有者权益合计\n    units: {total_assets: 万元}\n", 1)
    m = _mapping(tmp_path, text, "csmar2.yaml")
    _write(tmp_path / "FS_Combas.csv", _combas_rows())
    with pytest.raises(RawDataError, match="unit row says '元'.*A001000000|A001000000.*unit row says '元'"):
        read_table(tmp_path, m, "balance_sheet")


# --------------------------------------------------------------------------- genuine CSMAR layouts

def _combas_rows(extra=()):
    return [["Stkcd", "ShortName", "Accper", "Typrep", "A001000000", "A002000000", "A003000000"],
            ["证券代码", "证券简称", "会计期间", "报表类型", "资产总计", "负债合计", "所有者权益合计"],
            ["没有单位", "没有单位", "没有单位", "没有单位", "元", "元", "元"],
            ["000001", "平安银行", "2020-12-31", "A", "4468514000000.00", "4104531000000.00", "363983000000.00"],
            ["000002", "万科A", "2020-12-31", "A", "1869177094005.71", "1514948976929.62", "354228117076.09"],
            ["000002", "万科A", "2020-01-01", "A", "1729929450401.14", "1455727153313.37", "274202297087.77"],
            *extra]


@outcome("identical", case="xlsx declaring <dimension ref='A1:A<n>'/> reads all columns")
def test_xlsx_declared_column_a_only(tmp_path):
    rows = _combas_rows()
    write_xlsx(tmp_path / "FS_Combas.xlsx", rows, csmar_dimension=True)
    with zipfile.ZipFile(tmp_path / "FS_Combas.xlsx") as z:  # the trap is really there
        assert f'<dimension ref="A1:A{len(rows)}"/>'.encode() in z.read("xl/worksheets/sheet1.xml")
    ws = openpyxl.load_workbook(tmp_path / "FS_Combas.xlsx", read_only=True).worksheets[0]
    assert ws.title == "sheet1" and max(len(r) for r in ws.iter_rows(values_only=True)) == 1
    from_xlsx = read_table(tmp_path, CSMAR, "balance_sheet")
    (tmp_path / "FS_Combas.xlsx").unlink()
    _write(tmp_path / "FS_Combas.csv", rows)
    from_csv = read_table(tmp_path, CSMAR, "balance_sheet")
    cols = [c for c in from_csv.columns if not c.startswith("_")]
    pd.testing.assert_frame_equal(from_xlsx[cols], from_csv[cols])
    assert len(from_csv) == 3 and from_csv["total_liabilities"].notna().all()


@outcome("identical", case="a CSMAR zip (xlsx + [DES] file + copyright PDF) is read directly")
def test_zip_download(tmp_path):
    fields = [("Stkcd", "证券代码", "没有单位"), ("ShortName", "证券简称", "没有单位"), ("Accper", "会计期间", "没有单位"),
              ("Typrep", "报表类型", "没有单位"), ("A001000000", "资产总计", "元"), ("A002000000", "负债合计", "元"),
              ("A003000000", "所有者权益合计", "元")]
    (tmp_path / "zip").mkdir()
    write_csmar_zip(tmp_path / "zip" / "FS_Combas.zip", "FS_Combas", _combas_rows(), fields)
    (tmp_path / "csv").mkdir()
    _write(tmp_path / "csv" / "FS_Combas.csv", _combas_rows())
    log = []
    a = read_table(tmp_path / "zip", CSMAR, "balance_sheet", log)
    b = read_table(tmp_path / "csv", CSMAR, "balance_sheet")
    cols = [c for c in b.columns if not c.startswith("_")]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert log[0]["path"].endswith("FS_Combas.zip/FS_Combas.xlsx") and log[0]["header_rows"] == 3
    assert log[0]["header"] == "field codes, labels, units"


@outcome("error", case="an unticked field (net profit B002000000) is named with the CSMAR table and code")
def test_missing_field_named_with_table_and_code(tmp_path):
    fields = [("Stkcd", "证券代码", "没有单位"), ("ShortName", "证券简称", "没有单位"), ("Accper", "会计期间", "没有单位"),
              ("Typrep", "报表类型", "没有单位"), ("B001100000", "营业总收入", "元")]
    rows = [[f[0] for f in fields], [f[1] for f in fields], [f[2] for f in fields],
            ["000002", "万科A", "2020-12-31", "A", "419111651792.13"]]
    write_csmar_zip(tmp_path / "FS_Comins.zip", "FS_Comins", rows, fields)
    with pytest.raises(RawDataError) as err:
        read_table(tmp_path, CSMAR, "income_statement")
    msg = str(err.value)
    assert "B002000000 (net_profit)" in msg and "FS_Comins" in msg and "tick" in msg


@outcome("identical", case="TRD_Co csv with ONE header row and codes 1, 2: header_rows 3 must not swallow firms")
def test_one_header_row_detected(tmp_path):
    _write(tmp_path / "TRD_Co.csv", [["Stkcd", "Stknme", "Estbdt", "Listdt", "Nnindcd", "OWNERSHIPTYPE"],
                                     ["1", "平安银行", "1987-12-22", "1991-04-03", "J66", "国企"],
                                     ["2", "万科A", "1984-05-30", "1991-01-29", "K70", "国企"],
                                     ["651", "格力电器", "1989-12-13", "1996-11-18", "C38", "国企"]])
    log = []
    co = read_table(tmp_path, CSMAR, "company", log)
    assert co["firm"].tolist() == ["000001", "000002", "000651"]
    assert log[0]["header_rows"] == 1 and log[0]["codes_padded"] == 3
    assert co["ownership"].tolist() == ["国企"] * 3  # OWNERSHIPTYPE, the csv's name of the field
    with_labels = [["Stkcd", "Stknme"], ["证券代码", "证券简称"], ["没有单位", "没有单位"], ["1", "平安银行"]]
    _write(tmp_path / "x.csv", with_labels)
    raw = read_raw_file(tmp_path / "x.csv", 1, firm_column="Stkcd")  # declared 1, found 3
    assert raw.attrs["file"]["header_rows"] == 3 and raw["Stkcd"].tolist() == ["1"]


@outcome("drop", case="*ST rows with negative total liabilities or zero total assets drop the firm-year")
def test_implausible_values_are_ledger_drops(tmp_path):
    rows = _panel_rows()
    rows[2][5], rows[2][6] = "-5e9", "1e9"     # 600000 2020: liabilities -4e9
    rows[4][3], rows[4][4] = "0", "0"          # 600001 2019: assets 0
    _write(tmp_path / "panel.csv", rows)
    t = _tables(tmp_path, _mapping(tmp_path))  # validation passes: the run goes on
    res = build_panel(t, *_measures(t), _cfg())
    d = res.dropped[res.dropped["rule"] == "implausible statement values (cannot be real)"]
    assert sorted(zip(d["firm"], d["year"])) == [("600000", 2020), ("600001", 2019)]
    assert set(d["detail"]) == {"total liabilities < 0 (-4e+09)", "total assets <= 0 (0)"}


# --------------------------------------------------------------------------- optional inputs

@outcome("correct", case="a header-only segments file is an empty table, not a dtype error")
def test_header_only_segments(tmp_path):
    _write(tmp_path / "FN_Fn045.csv", [["Stkcd", "EndDate", "Classification", "MainBusiness",
                                        "MainBusinessIncome", "MainBusinessCost"],
                                       ["证券代码", "截止日期", "分类类型", "项目名称", "主营业务收入", "主营业务成本"],
                                       ["没有单位", "没有单位", "没有单位", "没有单位", "元", "元"]])
    seg = read_table(tmp_path, CSMAR, "segments")
    assert len(seg) == 0
    validate_table(seg, "segments", CSMAR.tables["segments"])


@outcome("drop", case="zero reports: Dig missing for every firm-year, dropped with its reason (no merge crash)")
def test_zero_reports(tmp_path):
    _write(tmp_path / "panel.csv", _panel_rows())
    t = _tables(tmp_path, _mapping(tmp_path))
    serv, dig = _measures(t, with_dig=False)  # the digitalization step found no report: float year
    res = build_panel(t, serv, dig, _cfg())
    assert len(res.panel) == 0
    d = res.dropped[res.dropped["rule"] == "missing dig"]
    assert len(d) == 9 and set(d["detail"]) == {"no digitalization measure (no usable annual report)"}


@outcome("error", case="an empty panel is refused before estimation, naming the steps that removed most")
def test_empty_panel_refused(tmp_path):
    _write(tmp_path / "panel.csv", _panel_rows())
    t = _tables(tmp_path, _mapping(tmp_path))
    res = build_panel(t, *_measures(t, with_dig=False), _cfg())
    with pytest.raises(PanelTooSmall) as err:
        check_panel_size(res.panel, res.ledger, section_defaults("models")["min_observations"])
    msg = str(err.value)
    assert "0 firm-years (of 9 read)" in msg and "'missing dig' removed 9" in msg


@outcome("correct", case="an empty sample in industry_by_year gives 0 rows")
def test_industry_by_year_empty():
    fy = pd.DataFrame({"firm": pd.Series([], dtype=object), "year": pd.Series([], dtype="int64")})
    hist = pd.DataFrame({"firm": pd.Series(["600000"], dtype="str"), "start": pd.to_datetime(["2015-01-01"]),
                         "industry": ["C35"]})
    code, source = industry_by_year(fy, pd.Series([], dtype=object), hist)
    assert len(code) == 0 and len(source) == 0


# --------------------------------------------------------------------------- industry, ST, ownership

@outcome("drop", case="no CSRC code: most firm-years dropped as missing industry, with a warning")
def test_no_industry_code_warns(tmp_path):
    rows = _panel_rows()
    for r in rows[1:]:
        r[9] = ""
    _write(tmp_path / "panel.csv", rows)
    t = _tables(tmp_path, _mapping(tmp_path))
    with pytest.warns(UserWarning, match="no industry code.*crosswalk.*all_manufacturers"):
        res = build_panel(t, *_measures(t), _cfg())
    assert res.ledger.set_index("rule")["rows_dropped"]["industry code missing"] == 9


@outcome("correct", case="'all firms are manufacturers': industry filter not applied, in the ledger and warned")
def test_all_manufacturers(tmp_path):
    rows = _panel_rows()
    for r in rows[1:]:
        r[9] = ""
    _write(tmp_path / "panel.csv", rows)
    t = _tables(tmp_path, _mapping(tmp_path))
    with pytest.warns(UserWarning, match="not applied: the config states all firms are manufacturers"):
        res = build_panel(t, *_measures(t), _cfg(all_manufacturers=True))
    assert len(res.panel) == 9
    assert "industry filter (CSRC manufacturing): not applied: the config states all firms are " \
           "manufacturers (sample.all_manufacturers)" in res.ledger["rule"].tolist()


@outcome("error", case="a crosswalk whose target is not a CSRC 2012 code")
def test_crosswalk_target_checked(tmp_path):
    (tmp_path / "cw.csv").write_text("from,to\n电力设备,C38\n通用设备,C99\n", encoding="utf-8")
    text = MAPPING.replace("    columns: {证券代码: firm, 证券简称: name, 行业代码: industry, 所有制: ownership}\n",
                           "    columns: {证券代码: firm, 证券简称: name, 行业代码: industry, 所有制: ownership}\n"
                           "    crosswalk: {industry: cw.csv}\n", 1)
    with pytest.raises(RawDataError) as err:
        _mapping(tmp_path, text)
    msg = str(err.value)
    assert "cw.csv" in msg and "row 3" in msg and "'C99'" in msg


@outcome("correct", case="a crosswalk recodes vendor industry names to CSRC 2012 codes")
def test_crosswalk_applied(tmp_path):
    (tmp_path / "cw.csv").write_text("from,to\n专用设备,C35\n", encoding="utf-8")
    text = MAPPING.replace("    columns: {证券代码: firm, 证券简称: name, 行业代码: industry, 所有制: ownership}\n",
                           "    columns: {证券代码: firm, 证券简称: name, 行业代码: industry, 所有制: ownership}\n"
                           "    crosswalk: {industry: cw.csv}\n", 1)
    rows = _panel_rows()
    for r in rows[1:]:
        r[9] = "专用设备"
    _write(tmp_path / "panel.csv", rows)
    co = read_table(tmp_path, _mapping(tmp_path, text), "company")
    assert set(co["industry"]) == {"C35"}


@outcome("correct", case="the shipped CSRC 2012 list: 19 sections A-S, divisions 01-90 in order")
def test_csrc2012_list():
    codes = csrc2012_codes()
    sections = [c for c in codes if len(c) == 1]
    divisions = [c for c in codes if len(c) == 3]
    assert sections == list("ABCDEFGHIJKLMNOPQRS") and len(divisions) == 90
    assert [int(c[1:]) for c in divisions] == list(range(1, 91))
    assert codes["C13"] == "农副食品加工业" and codes["C43"] == "金属制品、机械和设备修理业" and codes["K70"] == "房地产业"
    assert all(c[0] in sections for c in divisions)


def _big_panel(tmp_path, n_firms):
    _write(tmp_path / "panel.csv", _panel_rows(n_firms=n_firms, years=range(2015, 2022)))
    return _tables(tmp_path, _mapping(tmp_path))


@outcome("drop", case="ST from names that carry no prefix: the filter is 'not applied' in the ledger and warned")
def test_st_names_without_prefix(tmp_path):
    t = _big_panel(tmp_path, 80)  # 560 firm-years and not one ST name: these are not statement-date names
    with pytest.warns(UserWarning, match="not applied: none of 560 short names carries an ST"):
        res = build_panel(t, *_measures(t), _cfg())
    assert any(r.startswith("special treatment (ST, *ST, PT) firm-year: not applied") for r in res.ledger["rule"])


@outcome("drop", case="ST from an ST-history table (firm, start, end)")
def test_st_history(tmp_path):
    t = _big_panel(tmp_path, 3)
    t["st_history"] = pd.DataFrame({"firm": pd.Series(["600001"], dtype="str"),
                                    "start": pd.to_datetime(["2017-05-04"]), "end": pd.to_datetime(["2018-06-30"]),
                                    "status": ["*ST"], "_source_file": "st.csv", "_source_row": [2]})
    res = build_panel(t, *_measures(t), _cfg(st_source="history"))
    d = res.dropped[res.dropped["rule"] == "special treatment (ST, *ST, PT) firm-year"]
    assert sorted(zip(d["firm"], d["year"])) == [("600001", 2017), ("600001", 2018)]


@outcome("drop", case="ST declared unavailable")
def test_st_unavailable(tmp_path):
    t = _big_panel(tmp_path, 2)
    with pytest.warns(UserWarning, match="declared unavailable"):
        res = build_panel(t, *_measures(t), _cfg(st_source="unavailable"))
    assert len(res.panel) == 14


@outcome("correct", case="unknown ownership is a missing SOE indicator, not 0")
def test_unknown_ownership_is_missing(tmp_path):
    rows = _panel_rows()
    for r in rows[1:4]:
        r[10] = ""
    for r in rows[4:7]:
        r[10] = "民营"
    _write(tmp_path / "panel.csv", rows)
    t = _tables(tmp_path, _mapping(tmp_path))
    p = build_panel(t, *_measures(t), _cfg()).panel.set_index("firm")["soe"]
    assert p.loc["600000"].isna().all() and len(p.loc["600000"]) == 3
    assert (p.loc["600001"] == 0).all() and (p.loc["600002"] == 1).all()


@outcome("error", case="an empty panel given to the model fit raises instead of aborting the process")
def test_fit_on_empty_panel():
    from analysis.estimation import fit_model
    from analysis.models import specs_from_config
    spec = specs_from_config(section_defaults("models"))[0]
    empty = pd.DataFrame({c: pd.Series([], dtype=float) for c in ("roa", "serv", "dig", "size", "lev", "growth")})
    with pytest.raises(PanelTooSmall, match="empty.*sample_ledger"):
        fit_model(empty.assign(firm=pd.Series([], dtype=str), year=pd.Series([], dtype="int64")), spec)


@outcome("correct", case="winsorizing bounds of a panel without data keep their header (robustness reads them back)")
def test_winsor_bounds_header_when_empty(tmp_path):
    from analysis.panel import winsorize
    _, bounds = winsorize(pd.DataFrame({"roa": pd.Series([], dtype=float)}), [], (0.01, 0.99))
    bounds.to_csv(tmp_path / "b.csv", index=False)
    assert list(pd.read_csv(tmp_path / "b.csv").columns) == ["variable", "group", "lower", "upper",
                                                            "n_clipped_low", "n_clipped_high"]


@outcome("identical", case="one table in several sheets of a workbook (sheets: all)")
def test_several_sheets(tmp_path):
    import openpyxl as ox
    rows = _panel_rows()
    wb = ox.Workbook()
    wb.active.title = "2019"
    sheets = {"2019": [rows[0]] + [r for r in rows[1:] if r[2] == 2019],
              "2020-2021": [rows[0]] + [r for r in rows[1:] if r[2] != 2019]}
    for name, part in sheets.items():
        ws = wb[name] if name in wb.sheetnames else wb.create_sheet(name)
        for r in part:
            ws.append([str(v) for v in r])
    wb.save(tmp_path / "panel.xlsx")
    text = MAPPING.replace('files: ["panel*.csv"]', 'files: ["panel*.xlsx"]\n    sheets: all')
    (tmp_path / "csv").mkdir()
    _write(tmp_path / "csv" / "panel.csv", rows)
    a = read_table(tmp_path, _mapping(tmp_path, text), "balance_sheet")
    b = read_table(tmp_path / "csv", _mapping(tmp_path), "balance_sheet")
    cols = [c for c in b.columns if not c.startswith("_")]
    key = ["firm", "period_end"]
    pd.testing.assert_frame_equal(a[cols].sort_values(key).reset_index(drop=True),
                                  b[cols].sort_values(key).reset_index(drop=True))
    assert {s.rsplit("#", 1)[1] for s in a["_source_file"]} == {"2019", "2020-2021"}


@outcome("error", case="a data row with a blank stock code right after the header is reported, not taken for a header row")
def test_blank_code_not_swallowed_as_header(tmp_path):
    rows = _panel_rows()
    rows[1][0] = ""
    _write(tmp_path / "panel.csv", rows)
    with pytest.raises(RawDataError) as err:
        read_table(tmp_path, _mapping(tmp_path), "balance_sheet")
    assert "'证券代码'" in str(err.value) and "row 2" in str(err.value)


@outcome("correct", case="a CSMAR download laid out as CSMAR writes it goes to a panel without edits")
def test_genuine_csmar_download_to_panel(tmp_path):
    # TRD_Co as a csv: one header row, codes without zeros, ownership in OWNERSHIPTYPE
    _write(tmp_path / "TRD_Co.csv", [["Stkcd", "Stknme", "Listdt", "Nnindcd", "OWNERSHIPTYPE"],
                                     ["2", "万科A", "1991-01-29", "K70", "国企"],
                                     ["651", "格力电器", "1996-11-18", "C38", "国企"],
                                     ["2031", "华东科技", "2001-01-01", "C39", ""]])
    # FS_Combas as a zip (xlsx declaring column A, [DES] file, PDF); a full export: quarterly rows,
    # a YYYY-01-01 opening row, parent statements (B), no ShortName
    bs_fields = [("Stkcd", "证券代码", "没有单位"), ("Accper", "会计期间", "没有单位"), ("Typrep", "报表类型", "没有单位"),
                 ("A001000000", "资产总计", "元"), ("A002000000", "负债合计", "元"), ("A003000000", "所有者权益合计", "元")]
    head = [[f[0] for f in bs_fields], [f[1] for f in bs_fields], [f[2] for f in bs_fields]]
    body = []
    for firm, base in (("000651", 2.0e11), ("002031", 5.0e9)):
        for y in (2019, 2020, 2021):
            body += [[firm, f"{y}-01-01", "A", str(base * 0.9), str(base * 0.5), str(base * 0.4)],
                     [firm, f"{y}-06-30", "A", str(base * 0.95), str(base * 0.5), str(base * 0.45)],
                     [firm, f"{y}-12-31", "A", str(base + y), str(base * 0.6), str(base * 0.4 + y)],
                     [firm, f"{y}-12-31", "B", str(base * 0.7), str(base * 0.3), str(base * 0.4)]]
    write_csmar_zip(tmp_path / "FS_Combas.zip", "FS_Combas", head + body, bs_fields)
    inc_fields = [("Stkcd", "证券代码", "没有单位"), ("Accper", "会计期间", "没有单位"), ("Typrep", "报表类型", "没有单位"),
                  ("B001100000", "营业总收入", "元"), ("B002000000", "净利润", "元")]
    inc = [[f[0] for f in inc_fields], [f[1] for f in inc_fields], [f[2] for f in inc_fields]]
    for firm, base in (("000651", 2.0e11), ("002031", 5.0e9)):
        for y in (2019, 2020, 2021):
            inc.append([firm, f"{y}-12-31", "A", str(base * 0.8 + y), str(base * 0.05)])
    write_xlsx(tmp_path / "FS_Comins.xlsx", inc, csmar_dimension=True)
    # ownership by year (EN_EquityNatureAll) and industry by year (STK_LISTEDCOINFOANL)
    _write(tmp_path / "EN_EquityNatureAll.csv", [["Symbol", "EndDate", "EquityNature"],
                                                 ["2031", "2020-12-31", "\"民营,外资\""],
                                                 ["2031", "2021-12-31", "\"国企,外资\""]])
    _write(tmp_path / "STK_LISTEDCOINFOANL.csv", [["Symbol", "ShortName", "EndDate", "IndustryCode"],
                                                  ["651", "格力电器", "2019-12-31", "C38"],
                                                  ["2031", "华东科技", "2021-12-31", "I65"]])
    t = _tables(tmp_path, CSMAR)
    serv, dig = _measures(t)
    with pytest.warns(UserWarning, match="not applied: no short name"):
        res = build_panel(t, serv, dig, _cfg())
    led = res.ledger.set_index("rule")["rows_dropped"]
    assert led["annual statements only (period ending Dec 31)"] == 12   # 6 opening + 6 half-year rows
    assert led["consolidated statements only (Typrep A)"] == 6
    assert led["outside manufacturing C13-C43"] == 1                     # 002031 in 2021: I65 by year
    p = res.panel.set_index(["firm", "year"])
    assert sorted(p.index) == [("000651", 2019), ("000651", 2020), ("000651", 2021),
                               ("002031", 2019), ("002031", 2020)]
    assert p.loc[("000651", 2020), "total_assets"] == 2.0e11 + 2020
    assert p.loc[("000651", 2020), "roa"] == pytest.approx(1.0e10 / (2.0e11 + 2020), rel=1e-12)
    assert p.loc[("000651", 2019), "soe"] == 1            # TRD_Co's OWNERSHIPTYPE
    assert np.isnan(p.loc[("002031", 2019), "soe"])       # no ownership that year: missing, not 0
    assert p.loc[("002031", 2020), "soe"] == 0            # 民营,外资 (EN_EquityNatureAll)


# --------------------------------------------------------------------------- provinces (regions)

TRD_CO_PROVINCE = ["Stkcd", "Stknme", "Estbdt", "Listdt", "Nnindcd", "OWNERSHIPTYPE", "PROVINCE"]


@outcome("error", case="a province that is none of the 31 (香港, a typo) in TRD_Co stops ingest naming file, "
                       "column, row and value")
def test_unknown_province_is_named(tmp_path):
    _write(tmp_path / "TRD_Co.csv", [TRD_CO_PROVINCE,
                                     ["651", "格力电器", "1989-12-13", "1996-11-18", "C38", "国企", "广东省"],
                                     ["2", "万科A", "1984-05-30", "1991-01-29", "K70", "国企", "广冬"]])
    co = read_table(tmp_path, CSMAR, "company")
    with pytest.raises(RawDataError) as err:
        validate_table(co, "company", CSMAR.tables["company"])
    msg = str(err.value)
    assert "TRD_Co.csv" in msg and "PROVINCE" in msg and "row 3" in msg and "'广冬'" in msg and "31 provinces" in msg


@outcome("correct", case="provinces in full, short, English and full-width forms give the region of the NBS list")
def test_province_forms_give_one_region(tmp_path):
    rows = _panel_rows(n_firms=5, years=(2019, 2020))
    header = rows[0] + ["省份"]
    forms = ["广东省", " 广东 ", "ＧＵＡＮＧＤＯＮＧ", "内蒙古", "黑龙江省"]
    body = [r + [forms[int(r[0]) - 600000]] for r in rows[1:]]
    _write(tmp_path / "panel.csv", [header, *body])
    text = MAPPING.replace("所有制: ownership}", "所有制: ownership, 省份: province}")
    t = _tables(tmp_path, _mapping(tmp_path, text))
    panel = build_panel(t, *_measures(t), _cfg()).panel
    got = panel.groupby("firm")[["province", "region"]].first()
    assert got.to_dict("list") == {"province": ["广东省", "广东省", "广东省", "内蒙古自治区", "黑龙江省"],
                                   "region": ["east", "east", "east", "west", "central"]}


@outcome("drop", case="a firm without a province keeps its sample place and is a recorded drop of the region "
                      "heterogeneity (counted, named, in the table note)")
def test_blank_province_is_a_recorded_drop_of_the_region_split(tmp_path):
    from analysis import checks
    from analysis.config import section_defaults
    from analysis.presentation.checks_tables import heterogeneity_table

    years = (2016, 2017, 2018, 2019, 2020)
    rows = _panel_rows(n_firms=14, years=years)
    rng = np.random.default_rng(0)
    for r in rows[1:]:
        r[8] = f"{3e8 * (1 + 0.3 * rng.normal()):.0f}"  # net profit varies: ROA has within-firm variation
    body = [r + ["" if r[0] == "600003" else "江苏省"] for r in rows[1:]]
    _write(tmp_path / "panel.csv", [rows[0] + ["省份"], *body])
    text = MAPPING.replace("所有制: ownership}", "所有制: ownership, 省份: province}")
    t = _tables(tmp_path, _mapping(tmp_path, text))
    serv, dig = _measures(t)
    serv["serv"] = rng.uniform(0, 0.8, len(serv))
    panel = build_panel(t, serv, dig, _cfg()).panel
    assert len(panel) == 14 * len(years) and panel.loc[panel["firm"] == "600003", "region"].isna().all()
    models = section_defaults("models") | {"outcomes": ["roa"], "controls": ["size"]}
    spec, options = checks.baseline_spec(models)
    res = checks.heterogeneity(panel, spec, options, "region", checks.HETEROGENEITY["region"][1], reps=10, seed=1, min_obs=30)
    assert (res["n_missing"], res["n_firms_missing"], res["firms_missing"]) == (len(years), 1, ["600003"])
    east = res["groups"][0]
    assert east["status"] == "ok" and east["n_obs"] == 13 * len(years)
    assert [g["status"] for g in res["groups"][1:]] == ["skipped", "skipped"]  # no central or western firm
    note = heterogeneity_table({"split": "region", **res}).notes[0]
    assert f"left out: {len(years)} (1 firms)" in note and "Central: not estimated (0 firm-years" in note
