"""Vendor ingestion: encodings, CSMAR header rows, missing values, clear errors."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.demo.generate import write_xlsx
from analysis.ingest import (RawDataError, decode_bytes, load_vendor_mapping, read_raw_file,
                             read_table)

REPO = Path(__file__).resolve().parents[1]
CSMAR = REPO / "config" / "vendors" / "csmar.yaml"

HEADER = [["Stkcd", "ShortName", "Accper", "Typrep", "A001000000", "A002000000", "A003000000"],
          ["证券代码", "证券简称", "会计期间", "报表类型", "资产总计", "负债合计", "所有者权益合计"],
          ["没有单位", "没有单位", "没有单位", "没有单位", "元", "元", "元"]]


def write_csv(path: Path, rows, encoding="utf-8", sep=","):
    path.write_bytes("\n".join(sep.join(r) for r in rows).encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "utf-16"])
def test_reads_csmar_three_header_rows_in_every_encoding(tmp_path, encoding):
    rows = HEADER + [["000651", "格力电器", "2020-12-31", "A", "1000.5", "--", ""]]
    write_csv(tmp_path / "FS_Combas.csv", rows, encoding)
    mapping = load_vendor_mapping(CSMAR)
    bs = read_table(tmp_path, mapping, "balance_sheet")
    assert len(bs) == 1
    row = bs.iloc[0]
    assert row["firm"] == "000651" and row["short_name"] == "格力电器"
    assert row["total_assets"] == 1000.5
    assert np.isnan(row["total_liabilities"]) and np.isnan(row["total_equity"])  # "--" and blank
    assert row["period_end"] == pd.Timestamp("2020-12-31")
    assert row["_source_row"] == 4  # three header rows, then the first data line


def test_decode_prefers_bom_then_utf8_then_gbk():
    text = "证券代码,资产总计"
    assert decode_bytes(text.encode("gbk"), "f") == text
    assert decode_bytes(text.encode("utf-16"), "f") == text
    assert decode_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"), "f") == text


def test_several_files_per_table_are_concatenated_and_tab_separated_works(tmp_path):
    write_csv(tmp_path / "FS_Combas_2019.csv", HEADER + [["1", "A", "2019-12-31", "A", "5", "1", "4"]])
    write_csv(tmp_path / "FS_Combas_2020.txt", HEADER + [["2", "B", "2020-12-31", "A", "6", "2", "4"]],
              encoding="utf-16", sep="\t")
    bs = read_table(tmp_path, load_vendor_mapping(CSMAR), "balance_sheet")
    assert sorted(bs["firm"]) == ["000001", "000002"]  # codes that lost their zeros are padded
    assert set(Path(f).name for f in bs["_source_file"]) == {"FS_Combas_2019.csv", "FS_Combas_2020.txt"}


def test_xlsx_with_numeric_cells(tmp_path):
    write_xlsx(tmp_path / "FS_Combas.xlsx", HEADER + [["000651", "格力", "2021-12-31", "A", "12.25", "2", "10.25"]])
    bs = read_table(tmp_path, load_vendor_mapping(CSMAR), "balance_sheet")
    assert bs.loc[0, "total_assets"] == 12.25 and bs.loc[0, "firm"] == "000651"


def test_text_in_numeric_column_names_file_column_row_and_value(tmp_path):
    rows = HEADER + [["000651", "X", "2020-12-31", "A", "100", "1", "99"],
                     ["000652", "Y", "2020-12-31", "A", "abc", "1", "99"]]
    write_csv(tmp_path / "FS_Combas.csv", rows)
    with pytest.raises(RawDataError) as err:
        read_table(tmp_path, load_vendor_mapping(CSMAR), "balance_sheet")
    msg = str(err.value)
    assert "FS_Combas.csv" in msg and "'A001000000'" in msg and "row 5" in msg and "'abc'" in msg


def test_missing_required_column_is_named(tmp_path):
    rows = [[c for c in r if c != "A001000000" and c != "资产总计"] for r in HEADER]
    rows = [r[:6] for r in rows] + [["000651", "X", "2020-12-31", "A", "1", "2"]]
    write_csv(tmp_path / "FS_Combas.csv", rows)
    with pytest.raises(RawDataError, match="A001000000"):
        read_table(tmp_path, load_vendor_mapping(CSMAR), "balance_sheet")


def test_empty_and_truncated_files_give_clear_errors(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(RawDataError, match="empty"):
        read_raw_file(tmp_path / "empty.csv")
    good = tmp_path / "good.xlsx"
    write_xlsx(good, HEADER)
    bad = tmp_path / "FS_Combas.xlsx"
    bad.write_bytes(good.read_bytes()[:200])
    with pytest.raises(RawDataError, match="not a readable xlsx"):
        read_raw_file(bad, 3)


def test_bad_stock_code_is_an_error(tmp_path):
    write_csv(tmp_path / "FS_Combas.csv", HEADER + [["60A201", "X", "2020-12-31", "A", "1", "1", "0"]])
    with pytest.raises(RawDataError, match="stock code"):
        read_table(tmp_path, load_vendor_mapping(CSMAR), "balance_sheet")


def test_no_file_for_a_table_names_the_patterns(tmp_path):
    with pytest.raises(RawDataError, match="FS_Combas"):
        read_table(tmp_path, load_vendor_mapping(CSMAR), "balance_sheet")


def test_mapping_with_unknown_canonical_column_is_rejected(tmp_path):
    bad = tmp_path / "v.yaml"
    bad.write_text("tables:\n  balance_sheet:\n    files: [x*]\n    columns: {a: firm, b: assets}\n")
    with pytest.raises(RawDataError, match="unknown canonical"):
        load_vendor_mapping(bad)


# --------------------------------------------------------------------------- issue 3: malformed inputs

def _mapping(tmp_path, body: str):
    path = tmp_path / "vendor.yaml"
    path.write_text(body, encoding="utf-8")
    return load_vendor_mapping(path)


ZH_BS = """
vendor: zh
header_rows: 1
missing_values: ["", "--"]
tables:
  company: {files: ["co*.csv"], columns: {代码: firm, 行业: industry}}
  income_statement: {files: ["is*.csv"], columns: {代码: firm, 日期: period_end, 类型: statement_type, 净利润: net_profit}}
  segments: {files: ["seg*.csv"], columns: {代码: firm, 日期: period_end, 分类: breakdown, 项目: segment, 收入: revenue}}
  balance_sheet:
    files: ["bs*.csv", "bs*.xlsx"]
    columns: {代码: firm, 日期: period_end, 类型: statement_type, 资产总计: total_assets, 净利润: total_equity}
    missing: {total_assets: ["-1"]}
    scale: {total_assets: 10000}
"""


def test_numeric_missing_code_applies_per_column_as_a_number_before_scale(tmp_path):
    m = _mapping(tmp_path, ZH_BS)
    rows = [["代码", "日期", "类型", "资产总计", "净利润"],
            ["651", "2020/12/31", "A", "-1", "-1"],
            ["652", "20201231", "A", "-1.00", "-1.0"],
            ["653", "2020-12-31", "A", "2.5", "--"]]
    write_csv(tmp_path / "bs1.csv", rows)
    write_xlsx(tmp_path / "bs2.xlsx", [rows[0], ["654", "2020-12-31", "A", "-1", "-1"]], numeric_from_row=1,
               text_columns=())
    bs = read_table(tmp_path, m, "balance_sheet")
    assert bs["total_assets"].isna().tolist() == [True, True, False, True]  # -1, -1.00, xlsx -1
    assert bs.loc[2, "total_assets"] == 25000.0
    assert bs["total_equity"].tolist()[:2] == [-1.0, -1.0] and np.isnan(bs.loc[2, "total_equity"])
    assert bs.loc[3, "total_equity"] == -1.0  # -1 is a real value where no code is declared
    assert bs["firm"].tolist() == ["000651", "000652", "000653", "000654"]
    assert (bs["period_end"] == pd.Timestamp("2020-12-31")).all()


def test_numeric_code_in_vendor_wide_missing_values_is_rejected(tmp_path):
    with pytest.raises(RawDataError, match=r"numeric missing-value code.*'-1'.*per column"):
        _mapping(tmp_path, ZH_BS.replace('missing_values: ["", "--"]', 'missing_values: ["", "-1"]'))


def test_mapping_lacking_a_required_table_is_rejected(tmp_path):
    with pytest.raises(RawDataError, match="lacks the required table"):
        _mapping(tmp_path, ZH_BS.split("  segments:")[0])


def test_utf16_without_bom_is_read(tmp_path):
    rows = HEADER + [["000651", "格力电器", "2020-12-31", "A", "10", "1", "9"]]
    write_csv(tmp_path / "FS_Combas.txt", rows, encoding="utf-16-le", sep="\t")
    bs = read_table(tmp_path, load_vendor_mapping(CSMAR), "balance_sheet")
    assert bs.loc[0, "short_name"] == "格力电器" and bs.loc[0, "total_assets"] == 10


def test_wrong_encoding_gives_a_clear_error_naming_the_encoding(tmp_path):
    m = _mapping(tmp_path, ZH_BS)
    # a Big5 (traditional) export decodes as GB18030 into garbled labels: the error says so
    rows = [["代碼", "日期", "類型", "資產總計", "淨利潤"], ["000651", "2020-12-31", "A", "1", "1"]]
    write_csv(tmp_path / "bs.csv", rows, encoding="big5")
    with pytest.raises(RawDataError) as err:
        read_table(tmp_path, m, "balance_sheet")
    msg = str(err.value)
    assert "bs.csv" in msg and "required column" in msg and "encoding" in msg and "gb18030" in msg
    # bytes valid in none of the supported encodings (a Latin-1 byte in a UTF-8 file)
    (tmp_path / "bs.csv").write_bytes("代码,日期\n".encode("utf-8") + "Café".encode("latin-1") + b"\n")
    with pytest.raises(RawDataError, match=r"bs.csv, row 2: byte e9 after 'Caf' is not valid UTF-8, and the file "
                                           r"is not GBK/GB18030 or UTF-16 either"):
        read_table(tmp_path, m, "balance_sheet")


def test_header_only_file_reads_zero_rows_and_is_recorded(tmp_path):
    write_csv(tmp_path / "FS_Combas_2019.csv", HEADER)
    write_csv(tmp_path / "FS_Combas_2020.csv", HEADER + [["1", "A", "2020-12-31", "A", "5", "1", "4"],
                                                         ["651", "A", "2020-12-31", "A", "5", "1", "4"]])
    log: list = []
    bs = read_table(tmp_path, load_vendor_mapping(CSMAR), "balance_sheet", log)
    assert len(bs) == 2
    import hashlib
    assert [(Path(r["path"]).name, r["rows_read"], r["codes_padded"]) for r in log] == [
        ("FS_Combas_2019.csv", 0, 0), ("FS_Combas_2020.csv", 2, 2)]
    data = (tmp_path / "FS_Combas_2020.csv").read_bytes()
    assert log[1]["bytes"] == len(data) and log[1]["sha256"] == hashlib.sha256(data).hexdigest()


def test_lost_zeros_in_xlsx_numbers_are_padded_and_seven_digits_rejected(tmp_path):
    write_xlsx(tmp_path / "FS_Combas.xlsx", HEADER + [["651", "格力", "2021-12-31", "A", "12", "2", "10"]],
               text_columns=())
    bs = read_table(tmp_path, load_vendor_mapping(CSMAR), "balance_sheet")
    assert bs.loc[0, "firm"] == "000651"
    write_csv(tmp_path / "FS_Combas.csv", HEADER + [["1000651", "X", "2020-12-31", "A", "1", "1", "0"]])
    with pytest.raises(RawDataError, match=r"FS_Combas.csv.*'Stkcd'.*row 4.*'1000651'"):
        read_table(tmp_path, load_vendor_mapping(CSMAR), "balance_sheet")


def test_optional_tables_absent_are_empty_and_typed(tmp_path):
    from analysis.ingest import OPTIONAL_TABLES, empty_table
    m = load_vendor_mapping(CSMAR)
    for name in OPTIONAL_TABLES:
        t = read_table(tmp_path, m, name)
        assert t.empty and list(t.columns) == list(empty_table(name).columns)
    m2 = _mapping(tmp_path, ZH_BS)  # a mapping without the optional tables at all
    assert read_table(tmp_path, m2, "market_value").empty


def test_market_value_by_year_and_shareholders_by_date(tmp_path):
    m = load_vendor_mapping(CSMAR)
    write_csv(tmp_path / "TRD_Year.csv", [["Stkcd", "Trdynt", "Ysmvttl"], ["a", "b", "c"], ["", "", "千元"],
                                           ["651", "2020", "1500.5"], ["651", "2021", ""]])
    mv = read_table(tmp_path, m, "market_value")
    assert mv["market_value"].tolist()[0] == 1500500.0 and np.isnan(mv.loc[1, "market_value"])
    assert mv["period_end"].tolist() == [pd.Timestamp("2020-12-31"), pd.Timestamp("2021-12-31")]
    write_csv(tmp_path / "TRD_Year.csv", [["Stkcd", "Trdynt", "Ysmvttl"], ["a", "b", "c"], ["", "", ""],
                                           ["651", "20.5", "1"]])
    with pytest.raises(RawDataError, match=r"'Trdynt'.*row 4.*expected a year"):
        read_table(tmp_path, m, "market_value")
