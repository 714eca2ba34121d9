"""Declared schemas of the canonical tables: every violation names file, column, row and value."""


import pandas as pd
import pytest

from analysis.ingest import CANONICAL, RawDataError, empty_table, load_vendor_mapping, read_table
from analysis.validation import SCHEMAS, check_one_row_per_key, implausible_values, validate_table
from tests.test_ingest import CSMAR, HEADER, write_csv

MAPPING = load_vendor_mapping(CSMAR)


def _bs(tmp_path, rows):
    write_csv(tmp_path / "FS_Combas.csv", HEADER + rows)
    return read_table(tmp_path, MAPPING, "balance_sheet")


def _check(frame, name):
    return validate_table(frame, name, MAPPING.tables.get(name))


@pytest.mark.parametrize("name", list(CANONICAL))
def test_empty_tables_conform(name):
    _check(empty_table(name), name)


def test_valid_statements_pass(tmp_path):
    bs = _bs(tmp_path, [["000651", "格力", "2020-12-31", "A", "100", "40", "60"],
                        ["000651", "格力", "2020-12-31", "A", "100", "40", "60"],   # exact copy: allowed
                        ["000651", "格力", "2020-12-31", "B", "90", "40", "50"]])
    assert _check(bs, "balance_sheet") is bs


@pytest.mark.parametrize("assets, liabilities, reason", [
    ("0", "1", "total assets <= 0 (0)"),
    ("-5", "1", "total assets <= 0 (-5)"),
    ("10", "-1", "total liabilities < 0 (-1)"),
])
def test_implausible_amounts_pass_validation_and_are_named_for_the_ledger(tmp_path, assets, liabilities, reason):
    # genuine CSMAR exports carry such rows (*ST firms): they must not stop the run; the panel
    # drops the firm-year with this reason (tests/reliability/test_vendors.py checks the ledger)
    bs = _bs(tmp_path, [["000651", "X", "2020-12-31", "A", "100", "40", "60"],
                        ["000652", "Y", "2020-12-31", "A", assets, liabilities, "1"]])
    _check(bs, "balance_sheet")
    assert implausible_values(bs).tolist() == ["", reason]


def test_conflicting_duplicate_firm_year_names_both_rows_and_the_difference(tmp_path):
    bs = _bs(tmp_path, [["000651", "X", "2020-12-31", "A", "100", "40", "60"],
                        ["000651", "X", "2020-06-30", "A", "90", "40", "50"],
                        ["000651", "X", "2020-12-31", "A", "999", "40", "60"]])
    with pytest.raises(RawDataError) as err:
        _check(bs, "balance_sheet")
    msg = str(err.value)
    assert "firm 000651, year 2020" in msg and "row 4" in msg and "row 6" in msg
    assert "total_assets: 100.0 vs 999.0" in msg


def test_conflicting_parent_statement_is_not_a_firm_year_conflict(tmp_path):
    # only annual consolidated rows must be unique per firm-year
    bs = _bs(tmp_path, [["000651", "X", "2020-12-31", "A", "100", "40", "60"],
                        ["000651", "X", "2020-12-31", "B", "80", "40", "40"],
                        ["000651", "X", "2020-12-31", "B", "81", "40", "41"]])
    _check(bs, "balance_sheet")


def test_share_out_of_range_hints_at_percent(tmp_path):
    rows = [["Stkcd", "Reptdt", "Shrcr1"], ["证券代码", "统计截止日期", "第一大股东持股比例"], ["", "", "%"],
            ["000651", "2020-12-31", "35.5"]]
    write_csv(tmp_path / "HLD_CR.csv", rows)
    sh = read_table(tmp_path, MAPPING, "shareholders")
    assert sh.loc[0, "top1"] == pytest.approx(0.355) and sh.loc[0, "year"] == 2020
    _check(sh, "shareholders")
    sh.loc[0, "top1"] = 35.5  # as if the mapping forgot scale: {top1: 0.01}
    with pytest.raises(RawDataError, match=r"Shrcr1 \(top1\).*row 4.*35.5.*percent"):
        _check(sh, "shareholders")


def test_bad_industry_code_and_company_conflict(tmp_path):
    rows = [["Stkcd", "Stknme", "Estbdt", "Listdt", "Nnindcd", "EquityNature"], ["a"] * 6, ["b"] * 6,
            ["000651", "格力", "1989-12-13", "1996-11-18", "C38", "国企"],
            ["600031", "三一", "1994-11-22", "2003-07-03", "制造业", "民营"]]
    write_csv(tmp_path / "TRD_Co.csv", rows)
    co = read_table(tmp_path, MAPPING, "company")
    with pytest.raises(RawDataError, match=r"Nnindcd \(industry\).*row 5.*制造业.*CSRC"):
        _check(co, "company")
    co.loc[1, "industry"] = "C35"
    _check(co, "company")
    co2 = pd.concat([co, co.iloc[[0]].assign(industry="C39", _source_row=9)], ignore_index=True)
    with pytest.raises(RawDataError, match=r"firm 000651.*industry: C38 vs C39"):
        check_one_row_per_key(co2, "company")


def test_schema_is_strict_about_columns():
    frame = empty_table("market_value").assign(extra=pd.Series([], dtype="float64"))
    with pytest.raises(RawDataError, match="extra"):
        validate_table(frame, "market_value")


def test_every_canonical_table_has_a_schema():
    assert set(SCHEMAS) == set(CANONICAL)
    for name, schema in SCHEMAS.items():
        assert set(schema.columns) == set(CANONICAL[name]) | {"_source_file", "_source_row"}
