"""Reliability battery: bad annual-report inputs of the report_segments stage (identification, formats,
units). Each ends in a recorded status with its reason, or the right number; never a crash."""

from __future__ import annotations

import json

import pandas as pd
import pymupdf
import pytest

from analysis.servitization.report_table import extract_breakdown, read_breakdowns
from analysis.text.reports import identify_file, scan_reports

ROWS = [("压缩机", "60,000.00", "40,000.00"), ("技术服务", "15,000.00", "5,000.00")]


def _report_pdf(path, cover: list[str], unit="元", amounts=ROWS, key_revenue="75,000.00"):
    """Cover page, a key-figures page (营业收入 in 元) and a ruled 主营业务分产品 table in ``unit``."""
    doc = pymupdf.open()
    ins = lambda p, x, y, t: p.insert_text((x, y), t, fontname="china-s", fontsize=9)  # noqa: E731
    page = doc.new_page()
    for i, line in enumerate(cover):
        ins(page, 72, 80 + 20 * i, line)
    page = doc.new_page()
    ins(page, 72, 80, "七、主要会计数据和财务指标")
    ins(page, 72, 100, "单位：元  币种：人民币")
    ins(page, 72, 120, f"营业收入  {key_revenue}  70,000.00  7.14")
    page = doc.new_page()
    ins(page, 72, 80, "(1). 主营业务分行业、分产品、分地区情况")
    ins(page, 72, 100, f"单位：{unit}  币种：人民币")
    xs = [72, 170, 260, 350]
    y = 130
    for r in [("分产品", "营业收入", "营业成本")] + list(amounts):
        for j, cell in enumerate(r):
            ins(page, xs[j] + 3, y, cell)
            page.draw_rect(pymupdf.Rect(xs[j], y - 12, xs[j + 1], y + 6), color=(0, 0, 0), width=0.5)
        y += 18
    ins(page, 72, y + 20, "主营业务分行业、分产品、分地区情况的说明")
    doc.save(path)
    doc.close()


COVER = ["某某机械股份有限公司", "2021年年度报告", "公司代码：600123  公司简称：某某机械"]


@pytest.mark.outcome("drop", case="summary (摘要) report: unidentified with its reason, no crash in the batch")
def test_summary_report_is_dropped_with_reason(tmp_path):
    _report_pdf(tmp_path / "600123_2021年年度报告摘要.pdf", COVER)
    rows = scan_reports(tmp_path)
    seg, st = read_breakdowns(rows)
    assert seg.empty
    assert st.loc[0, "result"] == "unidentified" and "摘要" in st.loc[0, "reason"]


@pytest.mark.outcome("drop", case="no code in the name nor on the first pages: unidentified, reason says so")
def test_name_without_code_and_no_cover_code(tmp_path):
    _report_pdf(tmp_path / "某某机械2021年年度报告.pdf", ["某某机械股份有限公司", "2021年年度报告"])
    rows = scan_reports(tmp_path)
    assert rows.loc[0, "status"] == "unidentified"
    assert "no 6-digit stock code in file name and none on the first" in rows.loc[0, "reason"]
    seg, st = read_breakdowns(rows)  # used to crash: int() argument must be ... not 'NAType'
    assert seg.empty and st.loc[0, "result"] == "unidentified" and st.loc[0, "reason"]


@pytest.mark.outcome("correct", case="name without a code: code from the cover page (公司代码), decision recorded")
def test_name_without_code_identified_from_cover(tmp_path):
    p = tmp_path / "某某机械：2021年年度报告.pdf"
    _report_pdf(p, COVER)
    ident, how = identify_file(p)
    assert (ident.firm, ident.year) == ("600123", 2021) and "from p1" in how
    seg, st = read_breakdowns(scan_reports(tmp_path))
    assert st.loc[0, "firm"] == "600123" and "from p1" in st.loc[0, "identified_by"]
    assert list(seg["revenue"]) == [60_000.0, 15_000.0]


# the company table as the ingest writes it (证券简称 in ``name``) and a statement's short name of the year
COMPANY = pd.DataFrame({"firm": ["600123", "600124", "000059"], "name": ["某某机械", "某某机械股份", "华锦股份"]})
STATEMENT = pd.DataFrame({"firm": ["600123"], "short_name": ["*ST某机"]})


@pytest.mark.outcome("correct", case="no code in the name nor on the cover: resolved by the company table's short "
                                     "name in the file name, decision recorded in the status table")
def test_name_without_code_resolved_by_short_name(tmp_path):
    from analysis.text.reports import short_name_table

    _report_pdf(tmp_path / "某某机械2021年年度报告.pdf", ["某某机械股份有限公司", "2021年年度报告"])
    names = short_name_table(COMPANY, STATEMENT)
    rows = scan_reports(tmp_path, short_names=names)
    assert (rows.loc[0, "firm"], rows.loc[0, "year"], rows.loc[0, "status"]) == ("600123", 2021, "pending")
    assert "code 600123 from the file name: short name 某某机械 of 600123 in the company table" in rows.loc[0, "reason"]
    seg, st = read_breakdowns(rows)
    assert st.loc[0, "firm"] == "600123" and "short name 某某机械" in st.loc[0, "identified_by"]
    assert list(seg["revenue"]) == [60_000.0, 15_000.0]


@pytest.mark.outcome("correct", case="no code anywhere, the cover prints only its 证券简称: resolved through the "
                                     "company table (a statement-year short name such as *ST某机 counts too)")
def test_cover_short_name_without_code(tmp_path):
    from analysis.text.reports import short_name_table

    p = tmp_path / "2021年年度报告.pdf"
    _report_pdf(p, ["某某机械股份有限公司", "2021年年度报告", "公司简称：某机，上市交易所：上海证券交易所"])
    ident, how = identify_file(p, short_names=short_name_table(COMPANY, STATEMENT))
    assert (ident.firm, ident.year) == ("600123", 2021)
    assert how.startswith("code 600123 from the cover's 证券简称 某机: short name 某机 of 600123")


@pytest.mark.outcome("drop", case="name carries the short names of two firms: unidentified, both named, no guess")
def test_short_name_ambiguous(tmp_path):
    from analysis.text.reports import short_name_table

    _report_pdf(tmp_path / "华锦股份与某某机械2021年年度报告.pdf", ["2021年年度报告"])
    rows = scan_reports(tmp_path, short_names=short_name_table(COMPANY))
    assert rows.loc[0, "status"] == "unidentified"
    reason = rows.loc[0, "reason"]
    assert "short names of several firms in it: 000059 (华锦股份), 600123 (某某机械)" in reason
    assert "no 6-digit stock code in file name and none on the first" in reason
    # a name inside a longer one (某某机械 in 某某机械股份) is the longer one's: no ambiguity
    _report_pdf(tmp_path / "某某机械股份2021年年度报告.pdf", ["2021年年度报告"])
    ident, how = identify_file(tmp_path / "某某机械股份2021年年度报告.pdf", short_names=short_name_table(COMPANY))
    assert ident.firm == "600124" and "某某机械股份 of 600124" in how


@pytest.mark.outcome("drop", case="no code, no short name of the company table: unidentified, the reason says what "
                                     "was tried")
def test_short_name_not_in_company_table(tmp_path):
    from analysis.text.reports import short_name_table

    _report_pdf(tmp_path / "无名公司2021年年度报告.pdf", ["2021年年度报告"])
    rows = scan_reports(tmp_path, short_names=short_name_table(COMPANY))
    assert rows.loc[0, "status"] == "unidentified"
    assert rows.loc[0, "reason"].endswith("by short name: the file name: no short name of the company table in it")


@pytest.mark.outcome("correct", case="code that lost its leading zeros in the name (570_...): A-share code from the cover")
def test_code_without_leading_zeros(tmp_path):
    p = tmp_path / "570_2021年年度报告.pdf"
    _report_pdf(p, ["常柴股份有限公司", "2021年年度报告", "股票简称 苏常柴A 股票代码 000570"])
    ident, how = identify_file(p)
    assert (ident.firm, ident.year) == ("000570", 2021), how


@pytest.mark.outcome("correct", case="B-share code in the name (200570): the A-share code on the cover is used")
def test_b_share_code(tmp_path):
    p = tmp_path / "200570_2021年年度报告.pdf"
    _report_pdf(p, ["常柴股份有限公司", "2021年年度报告", "股票简称 苏常柴A、苏常柴B 股票代码 000570、200570"])
    ident, how = identify_file(p)
    assert (ident.firm, ident.year) == ("000570", 2021) and "B-share code 200570" in how


@pytest.mark.outcome("correct", case="publication date instead of fiscal year in the name: year from the title")
def test_publication_date_name(tmp_path):
    p = tmp_path / "600123_20220330_ABCD.pdf"
    _report_pdf(p, COVER)
    ident, how = identify_file(p)
    assert (ident.firm, ident.year) == ("600123", 2021) and "publication date" in how


@pytest.mark.outcome("drop", case="name and cover disagree on the code: unidentified with both codes named")
def test_code_conflict(tmp_path):
    p = tmp_path / "600999_某某_20220330.pdf"
    _report_pdf(p, COVER)
    ident, how = identify_file(p)
    assert not ident.ok and "600999" in ident.reason and "600123" in ident.reason


@pytest.mark.outcome("correct", case="table stated in 元 but printed in 万元 (10^4 slip): corrected by reconciliation, flagged")
def test_unit_slip_detected(tmp_path):
    p = tmp_path / "600123_2021_annual_report.pdf"
    _report_pdf(p, COVER, unit="元", amounts=[("压缩机", "6.00", "4.00"), ("技术服务", "1.50", "0.50")])
    ex = extract_breakdown(p)
    assert list(ex.segments["revenue"]) == [60_000.0, 15_000.0]
    assert ex.status["unit"] == "万元" and "corrected by reconciliation" in ex.status["unit_decided_by"]
    assert any("corrected" in n for n in ex.notes)


@pytest.mark.outcome("drop", case="amounts that reconcile under no unit: status unreconciled, never ok")
def test_unreconcilable(tmp_path):
    p = tmp_path / "600123_2021_annual_report.pdf"
    _report_pdf(p, COVER, key_revenue="7,777,777,777.00")
    ex = extract_breakdown(p)
    assert ex.status["result"] == "unreconciled" and "does not reconcile" in ex.status["unit_decided_by"]


@pytest.mark.outcome("drop", case="HTML / JSON-lines file whose content does not parse: status says so, not ok")
@pytest.mark.parametrize("name,content", [
    ("600123_2021.html", "<html><body><p>页面加载失败</p></body></html>"),
    ("600123_2021.jsonl", '{"page": 1, "inside": "年度报告"}\nnot json\n'),
    ("600123_2021.jsonl", ""),
])
def test_unparsable_content(tmp_path, name, content):
    p = tmp_path / name
    p.write_text(content, encoding="utf-8")
    ex = extract_breakdown(p)
    assert ex.segments.empty and ex.status["result"] == "unreadable" and ex.reason
    assert p.name in ex.reason


@pytest.mark.outcome("identical", case="JSON-lines page corpus gives the same breakdown as the plain text of its pages")
def test_jsonl_pages_identical_to_txt(tmp_path):
    pages = ["某某机械股份有限公司 2021年年度报告\n七、主要会计数据和财务指标\n营业收入（元） 75,000.00 70,000.00 7.14%",
             "（1）营业收入构成\n单位：元\n金额 占营业收入比重 金额 占营业收入比重\n营业收入合计 75,000.00 100% 70,000.00 100%\n"
             "分产品\n压缩机 60,000.00 80% 50,000.00 71%\n技术服务 15,000.00 20% 20,000.00 29%"]
    (tmp_path / "600123_2021.jsonl").write_text(
        "\n".join(json.dumps({"page": i, "inside": t}, ensure_ascii=False) for i, t in enumerate(pages, 1)),
        encoding="utf-8")
    (tmp_path / "600123_2021.txt").write_text("\f".join(pages), encoding="gb18030")
    a = extract_breakdown(tmp_path / "600123_2021.jsonl")
    b = extract_breakdown(tmp_path / "600123_2021.txt")
    assert list(a.segments["revenue"]) == list(b.segments["revenue"]) == [60_000.0, 15_000.0]
    assert a.status["result"] == b.status["result"] == "reconciled"


@pytest.mark.outcome("identical", case="breakdown read from the per-report cache equals the fresh extraction")
def test_breakdown_cache_identical(tmp_path):
    rep = tmp_path / "reports"
    rep.mkdir()
    _report_pdf(rep / "600123_2021_annual_report.pdf", COVER)
    rows = scan_reports(rep)
    fresh_seg, fresh_st = read_breakdowns(rows)
    a_seg, a_st = read_breakdowns(rows, cache_dir=tmp_path / "cache")
    assert any((tmp_path / "cache").rglob("*.json"))
    b_seg, b_st = read_breakdowns(rows, cache_dir=tmp_path / "cache")  # from the cache
    pd.testing.assert_frame_equal(fresh_seg, b_seg)
    pd.testing.assert_frame_equal(fresh_st, b_st)
    pd.testing.assert_frame_equal(a_st, b_st)


@pytest.mark.outcome("correct", case="GBK TXT report over 400 kB, no code in its name: identified from its cover "
                                      "(the decoded head is cut after a line end, not inside a two-byte character)")
def test_large_gbk_txt_identified_from_its_cover(tmp_path):
    from analysis.text.pdf import HEAD_BYTES

    cover = "某某机械股份有限公司\n2021年年度报告\n证券代码：600123  证券简称：某某机械\n\f"
    body = "公司主营业务为压缩机的研发、生产和销售，报告期内经营情况良好。\n".encode("gb18030")
    cut_inside = 0
    for shift in (0, 1):  # one of the two puts the byte HEAD_BYTES inside a two-byte character
        data = ("x" * shift + cover).encode("gb18030") + body * (HEAD_BYTES // len(body) + 50)
        try:
            data[:HEAD_BYTES].decode("gb18030")
        except UnicodeDecodeError:
            cut_inside += 1
        path = tmp_path / f"{shift}" / "某某机械2021年年度报告.txt"
        path.parent.mkdir()
        path.write_bytes(data)
        ident, how = identify_file(path)
        assert (ident.firm, ident.year) == ("600123", 2021), (shift, ident.reason, how)
    assert cut_inside == 1
