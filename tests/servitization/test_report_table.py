"""Report-table extraction: real annual reports (expected values read independently from the page text
with a plain regex), synthetic PDFs built here (ruled and unruled tables, units), and odd files."""

from __future__ import annotations

import functools
import math
import re

import numpy as np
import pandas as pd
import pymupdf
import pytest

from analysis.servitization.classifier import label_segments, load_rules
from analysis.servitization.measures import servitization_measures
from analysis.servitization.report_table import extract_breakdown, extract_breakdown_pages, parse_amount

RULES = load_rules()

# What a reader sees in each report's 主营业务分产品情况 table, labelled by hand.
REAL = {
    "600201_2020_annual_report.pdf": {"pages": (14, 15), "labels": {"生物制药": "product", "其他收入": "product"},
                                      "main_revenue_re": r"主营业务收入\s*([\d,]+)\s*万元", "unit": 1e4},
    "603339_2019_annual_report.pdf": {"pages": (11, 12), "labels": {"冷冻设备": "product", "罐式集装箱": "product"},
                                      "main_revenue_re": r"主营业务收入\s*([\d,]+\.\d+)\s*元", "unit": 1.0},
}


@functools.lru_cache(maxsize=None)
def _extract_cached(pdf, method="auto"):
    """Extraction is read-only and deterministic; share it between tests to keep the suite fast."""
    return extract_breakdown(pdf, method=method)


def _page_text(pdf, pages):
    with pymupdf.open(pdf) as doc:
        return "\n".join(doc[p - 1].get_text() for p in pages)


def _expected_product_rows(text):
    """Independent reading: rows between 主营业务分产品情况 and 主营业务分地区情况 are a Chinese name line
    followed by a line starting with the revenue amount (with thousands separators)."""
    block = text[text.index("主营业务分产品情况"):text.index("主营业务分地区情况")]
    return [(name, float(num.replace(",", "")))
            for name, num in re.findall(r"(?m)^([\u4e00-\u9fff]+)\s*\n\s*(\d{1,3}(?:,\d{3})+\.\d{2})\s", block)]


@pytest.mark.shared
@pytest.mark.parametrize("fname", sorted(REAL))
@pytest.mark.parametrize("method", ["grid", "table", "text"])
def test_real_report_product_rows_and_share(real_reports_dir, fname, method):
    spec = REAL[fname]
    pdf = real_reports_dir / fname
    text = _page_text(pdf, spec["pages"])
    expected = _expected_product_rows(text)
    assert [n for n, _ in expected] == list(spec["labels"])  # the test's own reading is sane

    ex = _extract_cached(pdf, method=method)
    assert ex.reason is None, ex.reason
    seg = ex.segments.copy()
    firm, year = fname[:6], int(fname[7:11])
    assert set(seg["firm"]) == {firm} and set(seg["year"]) == {year}
    prod = seg[seg["breakdown"] == "product"]
    assert list(prod["segment"]) == [n for n, _ in expected]
    assert list(prod["revenue"]) == pytest.approx([r for _, r in expected], rel=1e-12)
    assert all(re.fullmatch(rf"report:{fname}#p\d+", s) for s in seg["source"])
    assert set(seg["breakdown"]) == {"product", "industry", "region"}

    # share with hand-coded labels vs the package's labels
    svc = sum(r for n, r in expected if spec["labels"][n] == "service")
    tot = sum(r for n, r in expected)
    stated = float(re.search(spec["main_revenue_re"], text).group(1).replace(",", "")) * spec["unit"]
    total = pd.DataFrame({"firm": [firm], "year": [year], "revenue": [stated]})
    m = servitization_measures(label_segments(seg, RULES), total_revenue=total).iloc[0]
    assert m.breakdown_used == "product"
    assert m.serv_share == pytest.approx(svc / tot)
    assert m.n_segments == len(expected)
    assert not m.flag_sum_mismatch  # product rows add up to the 主营业务收入 stated in the text
    assert m.source.startswith(f"report:{fname}#p")


@pytest.mark.shared
def test_real_report_override_makes_nontrivial_share(real_reports_dir, tmp_path):
    """Relabel 其他收入 (600201) as a service by override: share = its revenue / the product total."""
    fname = "600201_2020_annual_report.pdf"
    pdf = real_reports_dir / fname
    expected = dict(_expected_product_rows(_page_text(pdf, (14, 15))))
    ov = tmp_path / "overrides.csv"
    ov.write_text("firm,year,segment,label,note\n600201,2020,其他收入,service,test\n", encoding="utf-8")
    from analysis.servitization.classifier import load_overrides
    lab = label_segments(_extract_cached(pdf, "table").segments, RULES, load_overrides(ov))
    m = servitization_measures(lab).iloc[0]
    assert m.serv_share == pytest.approx(expected["其他收入"] / sum(expected.values()))
    assert m.serv_dummy == 1 and m.serv_breadth == 1
    assert (lab.loc[lab["segment"] == "其他收入", "decided_by"] == "override:2").all()


@pytest.mark.shared
def test_real_report_page_range(real_reports_dir):
    pdf = real_reports_dir / "603339_2019_annual_report.pdf"
    ex = extract_breakdown_pages(pdf, range(1, 5), method="text")
    assert ex.segments.empty and "no 分行业/分产品" in ex.reason
    ex = extract_breakdown_pages(pdf, [12])  # 分产品 header and rows on p12, 分行业 on p11 not read
    assert set(ex.segments["breakdown"]) == {"product", "region"}
    assert set(ex.segments["source"]) == {"report:603339_2019_annual_report.pdf#p12"}


# ------------------------------------------------------------------ synthetic PDFs

SYN_ROWS = [("压缩机", "60,000.00", "40,000.00"), ("技术服务", "15,000.00", "5,000.00"),
            ("设备安装工程", "5,000.00", "3,000.00"), ("合计", "80,000.00", "48,000.00")]


def _make_pdf(path, ruled: bool, unit="万元", split=False):
    """A one- or two-page report with a 主营业务分产品情况 table (optionally with grid lines)."""
    doc = pymupdf.open()
    page = doc.new_page()
    ins = lambda p, x, y, t: p.insert_text((x, y), t, fontname="china-s", fontsize=9)  # noqa: E731
    ins(page, 72, 80, "(1). 主营业务分行业、分产品、分地区情况")
    ins(page, 72, 100, f"单位：{unit}  币种：人民币")
    ins(page, 72, 125, "主营业务分产品情况")
    xs = [72, 170, 260, 350, 420]
    header = ["分产品", "营业收入", "营业成本", "毛利率（%）"]
    rows = [header] + [list(r) + ["33.33"] for r in SYN_ROWS]
    y = 150
    for i, r in enumerate(rows):
        if split and i == 3:
            page = doc.new_page()
            y = 90
        for j, cell in enumerate(r):
            ins(page, xs[j] + 3, y, cell)
        if ruled:
            for j in range(len(xs) - 1):
                page.draw_rect(pymupdf.Rect(xs[j], y - 12, xs[j + 1], y + 6), color=(0, 0, 0), width=0.5)
        y += 18
    ins(page, 72, y + 20, "主营业务分行业、分产品、分地区情况的说明")
    doc.save(path)
    doc.close()


@pytest.mark.parametrize("ruled,method", [(True, "table"), (True, "grid"), (False, "text"), (False, "auto"),
                                          (True, "text"), (True, "auto")])
@pytest.mark.parametrize("split", [False, True])
def test_synthetic_tables_units_and_labels(tmp_path, ruled, method, split):
    pdf = tmp_path / "000123_2021_annual_report.pdf"
    _make_pdf(pdf, ruled=ruled, split=split)
    ex = extract_breakdown(pdf, method=method)
    assert ex.reason is None, (ex.reason, ex.notes)
    seg = ex.segments
    assert list(seg["segment"]) == [r[0] for r in SYN_ROWS]
    assert list(seg["revenue"]) == [parse_amount(r[1]) * 1e4 for r in SYN_ROWS]  # 万元 -> 元
    assert list(seg["cost"]) == [parse_amount(r[2]) * 1e4 for r in SYN_ROWS]
    assert set(seg["firm"]) == {"000123"} and set(seg["year"]) == {2021}
    m = servitization_measures(label_segments(seg, RULES)).iloc[0]
    assert m.serv_share == pytest.approx(20_000 / 80_000)
    assert m.serv_breadth == 2 and m.sum_check_against == "table_total" and not m.flag_sum_mismatch
    if split:
        assert seg["source"].str.endswith("#p2").sum() == 2


def test_unit_yuan_default_and_firm_year_args(tmp_path):
    pdf = tmp_path / "report.pdf"
    _make_pdf(pdf, ruled=True, unit="元")
    ex = extract_breakdown(pdf)
    assert ex.segments.empty and "firm/year unknown" in ex.reason
    ex = extract_breakdown(pdf, firm="123", year=2021)
    assert ex.segments["revenue"].iloc[0] == 60_000.0 and ex.segments["firm"].iloc[0] == "000123"


@pytest.mark.parametrize("content", [b"", b"not a pdf at all", b"%PDF-1.7\n%broken"])
def test_weird_files_never_raise(tmp_path, content):
    pdf = tmp_path / "600000_2020_x.pdf"
    pdf.write_bytes(content)
    ex = extract_breakdown(pdf)
    assert ex.segments.empty and ex.reason
    ex = extract_breakdown_pages(pdf, range(1, 3))
    assert ex.segments.empty and ex.reason


def test_missing_file_and_blank_pages(tmp_path):
    ex = extract_breakdown(tmp_path / "600000_2020_missing.pdf")
    assert ex.segments.empty and "cannot open" in ex.reason
    pdf = tmp_path / "600000_2020_blank.pdf"
    doc = pymupdf.open()
    doc.new_page()
    doc.save(pdf)
    ex = extract_breakdown_pages(pdf, [1, 5])
    assert ex.segments.empty and "scanned" in ex.reason
    assert list(ex.segments.columns) == ["firm", "year", "breakdown", "segment", "revenue", "cost", "source"]


@pytest.mark.parametrize("text,value", [
    ("1,517,535,227.34", 1517535227.34), ("-19,572,506.45", -19572506.45), ("(1,234.50)", -1234.5),
    ("１２３.５", 123.5), ("—", np.nan), ("", np.nan), ("61.40%", np.nan), ("减少2.07", np.nan),
])
def test_parse_amount(text, value):
    got = parse_amount(text)
    assert (math.isnan(got) and math.isnan(value)) or got == value


def test_synthetic_szse_composition_layout_first_table_wins(tmp_path):
    """SZSE layout: 营业收入构成 (金额 columns, 分行业/分产品 marker rows), then the table of lines above
    10% of revenue, which is incomplete and must be ignored (first table per breakdown wins)."""
    pdf = tmp_path / "000456_2021_annual_report.pdf"
    doc = pymupdf.open()
    page = doc.new_page()
    ins = lambda x, y, t: page.insert_text((x, y), t, fontname="china-s", fontsize=9)  # noqa: E731
    ins(72, 80, "单位：元")
    ins(72, 100, "营业收入构成")
    xs = [72, 170, 260, 350, 440, 520]
    comp = [["", "2021年", "", "2020年", "", "同比增减"],
            ["", "金额", "占营业收入比重", "金额", "占营业收入比重", ""],
            ["营业收入合计", "1,000.00", "100%", "900.00", "100%", "11.11%"],
            ["分产品", "", "", "", "", ""],
            ["压缩机", "700.00", "70%", "700.00", "77%", "0%"],
            ["维修服务", "200.00", "20%", "150.00", "17%", "33%"],
            ["其他", "100.00", "10%", "50.00", "6%", "100%"],
            ["分地区", "", "", "", "", ""],
            ["境内", "1,000.00", "100%", "900.00", "100%", "11.11%"]]
    tenpct = [["分产品", "营业收入", "营业成本", "毛利率", "营业收入比上年同期增减", "营业成本比上年同期增减"],
              ["压缩机", "700.00", "500.00", "28%", "0%", "0%"],
              ["维修服务", "200.00", "100.00", "50%", "33%", "20%"]]
    y = 125
    for block in (comp, tenpct):
        for r in block:
            for j, cell in enumerate(r):
                ins(xs[j] + 2, y, cell)
                page.draw_rect(pymupdf.Rect(xs[j], y - 12, xs[j] + 90 if j == 5 else xs[j + 1], y + 6),
                               color=(0, 0, 0), width=0.5)
            y += 18
        ins(72, y + 8, "占公司营业收入或营业利润10%以上的行业、产品或地区情况")
        y += 40
    doc.save(pdf)
    doc.close()
    ex = extract_breakdown(pdf, method="table")
    assert ex.reason is None, ex
    prod = ex.segments[ex.segments["breakdown"] == "product"]
    assert list(zip(prod["segment"], prod["revenue"])) == [("压缩机", 700.0), ("维修服务", 200.0), ("其他", 100.0)]
    assert any("ignored" in n for n in ex.notes)
    m = servitization_measures(label_segments(ex.segments, RULES)).iloc[0]
    assert m.serv_share == pytest.approx(0.2)


# ------------------------------------------------------------------ the pipeline's path: pages kept by the text stage

def test_candidate_prefilter_reads_what_nfkc_would():
    """A page is a candidate whatever whitespace splits the marker or whichever compatibility form a PDF
    used for its characters (⾏ U+2F8F, the Kangxi radical, is 行 after NFKC); 分公司 is no marker."""
    from analysis.servitization.report_table import _candidate_pages

    pages = ["主营业务分⾏业情况 营业收入 营业成本", "分 行\n业  营业收\n入 营业成本", "分公司 营业收入 营业成本",
             "", "分产品 营业收入构成", "分产品 营业收入 (no cost column)"]
    assert _candidate_pages(pages) == [1, 2, 5]


def _report_with_filler(path, n_filler: int, split: bool):
    """The synthetic table report of :func:`_make_pdf` behind ``n_filler`` pages of plain text."""
    _make_pdf(path, ruled=True, split=split)
    doc = pymupdf.open(path)
    for k in range(n_filler):
        pg = doc.new_page(pno=k)
        pg.insert_text((72, 80), f"第{k + 1}页 公司简介和主要财务指标", fontname="china-s", fontsize=9)
    tmp = path.with_suffix(".tmp.pdf")
    doc.save(tmp)
    doc.close()
    tmp.replace(path)


@pytest.mark.parametrize("split", [False, True])
def test_breakdown_reads_the_pages_the_text_stage_kept(tmp_path, split):
    from analysis.servitization.report_table import BreakdownPages, breakdown_of_report
    from analysis.text.dictionary import load_dictionary
    from analysis.text.reports import TextCache, process_reports

    pdf = tmp_path / "000123_2021_annual_report.pdf"
    _report_with_filler(pdf, 45, split)  # the table on p46 (and p47 when split); 46 or 47 pages
    n = 47 if split else 46
    row = {"file": pdf.name, "path": str(pdf), "firm": "000123", "year": 2021, "status": "pending", "reason": ""}
    cache = tmp_path / "cache"
    _, _, st = process_reports([row], load_dictionary(), cache, progress=False, keep_pages=BreakdownPages())
    sha = st.loc[0, "sha256"]
    kept = TextCache(cache).get_pages(sha, BreakdownPages().version)
    assert len(kept) == n
    # the first 40 pages, and the table's page with its neighbours (the page before; the next when split)
    assert [i for i, t in enumerate(kept, 1) if t] == list(range(1, 41)) + ([45, 46, 47] if split else [45, 46])
    ex, source = breakdown_of_report(pdf, "000123", 2021, sha=sha, text_cache_dir=cache)
    assert source == "text stage"
    assert list(ex.segments["segment"]) == [r[0] for r in SYN_ROWS]
    assert list(ex.segments["revenue"]) == [parse_amount(r[1]) * 1e4 for r in SYN_ROWS]
    assert ex.segments["source"].str.endswith("#p46").sum() == (2 if split else 4)  # split after 2 rows
    alone = extract_breakdown(pdf, "000123", 2021)
    assert alone.segments.equals(ex.segments)
    assert pd.Series(alone.status, dtype=object).equals(pd.Series(ex.status, dtype=object))  # NaN == NaN here


def test_pages_kept_by_other_code_are_not_used(tmp_path):
    """Pages chosen under another version of the breakdown's code are not taken for complete: the breakdown
    reads the file, and the text stage, on its next pass, extracts the report once more to keep them."""
    from analysis.servitization.report_table import BreakdownPages, breakdown_of_report
    from analysis.text.dictionary import load_dictionary
    from analysis.text.reports import TextCache, file_sha256, process_reports

    pdf = tmp_path / "000123_2021_annual_report.pdf"
    _make_pdf(pdf, ruled=True)
    sha = file_sha256(pdf)
    cache = TextCache(tmp_path / "cache")
    cache.put_pages(sha, 1, {1: "stale"}, "another-version")
    assert cache.get_pages(sha, "another-version") == ["stale"]
    assert cache.get_pages(sha, BreakdownPages().version) is None
    ex, source = breakdown_of_report(pdf, "000123", 2021, sha=sha, text_cache_dir=tmp_path / "cache")
    assert source == "report file" and list(ex.segments["segment"]) == [r[0] for r in SYN_ROWS]
    row = {"file": pdf.name, "path": str(pdf), "firm": "000123", "year": 2021, "status": "pending", "reason": ""}
    _, _, st = process_reports([row], load_dictionary(), tmp_path / "cache", progress=False)  # fills the text cache
    assert not st.loc[0, "cached"]
    _, _, st = process_reports([row], load_dictionary(), tmp_path / "cache", progress=False,
                               keep_pages=BreakdownPages())
    assert not st.loc[0, "cached"]  # text cached, pages not kept yet: read once more
    assert cache.get_pages(sha, BreakdownPages().version) is not None
    _, _, st = process_reports([row], load_dictionary(), tmp_path / "cache", progress=False,
                               keep_pages=BreakdownPages())
    assert st.loc[0, "cached"]
    assert breakdown_of_report(pdf, "000123", 2021, sha=sha, text_cache_dir=tmp_path / "cache")[1] == "text stage"
