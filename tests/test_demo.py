"""The demo generator: deterministic, messy in the documented ways, truth consistent with the files."""

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from analysis.demo import DemoParams, generate_demo
from analysis.demo.reports import FILLER, TEMPLATES, check_building_blocks, reference_count, report_text
from analysis.ingest import load_vendor_mapping, read_table
from analysis.text.dictionary import load_dictionary
from tests.test_ingest import CSMAR


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    truth = generate_demo(out, DemoParams(n_firms=40), seed=11, progress=lambda m: None)
    return out, truth


def _digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_data(demo, tmp_path):
    out, _ = demo
    generate_demo(tmp_path / "a", DemoParams(n_firms=40), seed=11, progress=lambda m: None)
    assert _digest(out) == _digest(tmp_path / "a")  # xlsx included: no timestamps
    generate_demo(tmp_path / "b", DemoParams(n_firms=40), seed=12, progress=lambda m: None)
    assert _digest(out)["FS_Combas.csv"] != _digest(tmp_path / "b")["FS_Combas.csv"]


def test_truth_file_and_firm_years(demo):
    out, truth = demo
    assert json.loads((out / "truth.json").read_text(encoding="utf-8")) == truth
    m = truth["model"]
    assert m["b2"] < 0 < m["b5"] and 0 < truth["turning_point_at_dig0"] < 1
    fy = pd.read_csv(out / "truth_firm_years.csv", dtype={"firm": str})
    assert len(fy) == truth["n_firm_years"] and fy["firm"].str.fullmatch(r"\d{6}").all()
    assert fy["serv"].between(0, 0.9).all()
    np.testing.assert_allclose(fy["dig"], np.log1p(fy["dig_count"]))


def test_files_carry_the_mess_of_real_exports(demo):
    out, _ = demo
    assert (out / "FS_Combas.csv").read_bytes()[:5] == "Stkcd".encode()  # GBK, no BOM
    with pytest.raises(UnicodeDecodeError):
        (out / "FS_Combas.csv").read_bytes().decode("utf-8")
    assert (out / "FN_Fn045.txt").read_bytes()[:2] == b"\xff\xfe"  # UTF-16
    mapping = load_vendor_mapping(CSMAR)
    bs = read_table(out, mapping, "balance_sheet")
    assert (bs["statement_type"] == "B").any() and (bs["period_end"].dt.month == 6).any()
    assert bs["total_liabilities"].isna().any() and bs.duplicated(["firm", "period_end", "statement_type"]).any()
    assert bs["short_name"].str.contains("ST").any()
    inc = read_table(out, mapping, "income_statement")
    assert inc["_source_file"].nunique() == 2  # csv and xlsx halves
    company = read_table(out, mapping, "company")
    assert (~company["industry"].str.match(r"^C")).any()


def test_reports_hold_exactly_the_intended_mentions():
    terms = list(load_dictionary().terms)
    check_building_blocks(terms)
    rng = np.random.default_rng(0)
    for n in (0, 1, 7, 60):
        mentions = list(rng.choice(terms, n))
        text, in_mdna = report_text(rng, name="示例", year=2020, mentions=mentions)
        assert reference_count(text, terms) == n
        assert 0 <= in_mdna <= n


def test_building_block_check_catches_a_bad_filler(monkeypatch):
    import analysis.demo.reports as rep

    monkeypatch.setattr(rep, "FILLER", FILLER + ("公司推进大数据建设。",))
    with pytest.raises(AssertionError, match="大数据"):
        rep.check_building_blocks(list(load_dictionary().terms))
    monkeypatch.setattr(rep, "FILLER", FILLER)
    monkeypatch.setattr(rep, "TEMPLATES", TEMPLATES + ("移动{}服务。",))
    with pytest.raises(AssertionError, match="creates"):
        rep.check_building_blocks(["互联网医疗", "移动互联"])


def test_extra_tables_industry_history_market_value_shareholders(demo):
    out, _ = demo
    mapping = load_vendor_mapping(CSMAR)
    hist = read_table(out, mapping, "industry_history")
    company = read_table(out, mapping, "company")
    switched = hist["firm"].value_counts()
    assert (switched == 2).any() and set(hist["firm"]) == set(company["firm"])
    latest = hist.sort_values("start").groupby("firm")["industry"].last()
    assert (company.set_index("firm")["industry"] == latest.reindex(company["firm"]).to_numpy()).all()
    fy = pd.read_csv(out / "truth_firm_years.csv", dtype={"firm": str})
    assert fy["industry"].ne(fy["firm"].map(company.set_index("firm")["industry"])).any()  # per-year codes
    mv = read_table(out, mapping, "market_value")
    assert (mv["market_value"] > 0).all() and mv["year"].notna().all()
    sh = read_table(out, mapping, "shareholders")
    assert sh["top1"].between(0, 1).all() and sh["year"].isna().any()  # half-year rows have no fiscal year
    assert fy["top1"].between(0, 1).all() and fy["tobin_q"].isna().any() and (fy["tobin_q"] > 0).any()


def test_provinces_come_from_a_stream_of_their_own(demo, tmp_path, monkeypatch):
    """The PROVINCE column of TRD_Co: full and short names and blanks, all of the 31 provinces, and
    drawn from a random stream of its own: drawing other provinces changes no other byte of the demo."""
    from analysis.demo import generate
    from analysis.regions import province_table

    out, _ = demo
    company = read_table(out, load_vendor_mapping(CSMAR), "company")
    names = set(province_table()["province"]) | set(province_table()["short"])
    given = company["province"].dropna()
    assert given.isin(names).all() and given.isin(province_table()["province"]).any()
    assert given.isin(province_table()["short"]).any()
    monkeypatch.setattr(generate, "draw_provinces", lambda rng, n: ["西藏"] * n)
    generate_demo(tmp_path / "other", DemoParams(n_firms=40), seed=11, progress=lambda m: None)
    a, b = _digest(out), _digest(tmp_path / "other")
    assert {k for k in a if a[k] != b[k]} == {"TRD_Co.csv"}
    before = pd.read_csv(out / "TRD_Co.csv", dtype=str, keep_default_na=False)
    after = pd.read_csv(tmp_path / "other" / "TRD_Co.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(before.drop(columns="PROVINCE"), after.drop(columns="PROVINCE"))
    assert set(after["PROVINCE"]) == {"西藏"} and before["PROVINCE"].nunique() > 5
