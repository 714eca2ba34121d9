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
