"""File identification, scanning, duplicates, shards, cache and batch processing."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.text.dictionary import load_dictionary
from analysis.text.reports import (
    identify_report,
    process_reports,
    scan_reports,
    select_shard,
    shard_of,
)

from .pdf_factory import make_encrypted_pdf, make_pdf, make_scanned_pdf

WU = load_dictionary()


@pytest.mark.parametrize(
    "name, firm, year",
    [
        ("600201_2020_annual_report.pdf", "600201", 2020),
        ("000651_2021_annual_report.txt", "000651", 2021),
        ("2021-04-23__金宇生物技术股份有限公司__600201__生物股份__2020年__年度报告.pdf", "600201", 2020),
        ("000651_格力电器_2020年年度报告.pdf", "000651", 2020),
        ("格力电器：2020年年度报告（更新后）_000651.PDF", "000651", 2020),
        ("SZ000651-2019.html", "000651", 2019),
        ("600201.SH_2018_20190425.pdf", "600201", 2018),  # trailing publication date ignored
        ("２０２０年年度报告_６００２０１.pdf", "600201", 2020),  # full-width digits
    ],
)
def test_identify(name, firm, year):
    ident = identify_report(name)
    assert (ident.firm, ident.year) == (firm, year), ident.reason


@pytest.mark.parametrize(
    "name, why",
    [
        ("annual_report.pdf", "no 6-digit stock code"),
        ("600201_report.pdf", "no fiscal year"),
        ("600201_2019_2020.pdf", "several years"),
        ("600201_000651_2020.pdf", "several stock codes"),
        ("600201_2020年年度报告摘要.pdf", "摘要"),
        ("600201_2020年年度报告(英文版).pdf", "English"),
        ("600201_2020年年度报告(已取消).pdf", "cancelled"),
    ],
)
def test_identify_fails_with_reason(name, why):
    ident = identify_report(name)
    assert not ident.ok and why in ident.reason


def test_shards_stable_and_partition():
    files = [f"{600000 + i:06d}_{2010 + i % 12}_annual_report.pdf" for i in range(200)]
    n = 7
    shards = [shard_of(f, n) for f in files]
    assert all(0 <= s < n for s in shards)
    assert len(set(shards)) == n  # 200 files spread over all 7 shards
    # regression values: must never change, or caches/outputs of existing runs get reshuffled
    assert [shard_of(f, 10) for f in files[:5]] == REGRESSION_SHARDS
    rows = pd.DataFrame({"file": files})
    parts = [select_shard(rows, k, n) for k in range(n)]
    assert sorted(sum((p["file"].tolist() for p in parts), [])) == sorted(files)
    with pytest.raises(ValueError):
        shard_of("x", 0)


REGRESSION_SHARDS = [3, 6, 6, 9, 8]  # shard_of(files[i], 10), recorded when the scheme was fixed


DEMO = (
    "{firm}公司{year}年年度报告\n第一节 重要提示、目录和释义\n"
    "目录\n第一节 重要提示、目录和释义........1\n第四节 经营情况讨论与分析........9\n"
    "第五节 重要事项........20\n"
    "第二节 公司简介\n公司从事智能制造,推进工业互\n联网与移动互联网建设。\n"
    "第四节 经营情况讨论与分析\n一、概述\n报告期内公司应用大数据、云计算和Ｂ２Ｂ电商平台,"
    "尚无区块链业务。\n"
    "第五节 重要事项\n无\n"
)


def _demo_text(firm, year):
    return DEMO.format(firm=firm, year=year)


def _norm_len(s):  # independent of the package: demo texts have no full-width except Ｂ２Ｂ
    return len("".join(s.split()))


def test_process_reports_end_to_end(tmp_path):
    rep = tmp_path / "reports"
    rep.mkdir()
    (rep / "600201_2020_annual_report.txt").write_text(_demo_text("600201", 2020), encoding="utf-8")
    (rep / "000651_2021_annual_report.txt").write_text("第一节 释义\n无数字化内容。", encoding="utf-8")
    (rep / "sub").mkdir()
    (rep / "sub" / "600201_2020_annual_report.pdf").write_bytes(make_pdf([["人工智能第一页"], ["第二页"], ["第三页"]]))
    (rep / "000001_2019_annual_report.pdf").write_bytes(b"%PDF-1.4 garbage")
    (rep / "000002_2019_annual_report.pdf").write_bytes(make_encrypted_pdf())
    (rep / "000003_2019_annual_report.pdf").write_bytes(make_scanned_pdf(2))
    (rep / "000004_2019_annual_report.pdf").write_bytes(b"")
    (rep / "readme_notes.txt").write_text("notes", encoding="utf-8")
    (rep / "scan0001.pdf").write_bytes(make_pdf([["大数据甲"], ["大数据乙"]]))
    (rep / "ignore.docx").write_bytes(b"PK")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("file,firm,year\nscan0001.pdf,2,2020\n", encoding="utf-8")

    rows = scan_reports(rep, manifest=manifest)
    assert rows["file"].tolist() == sorted(rows["file"].tolist())
    assert len(rows) == 9  # .docx ignored
    st = dict(zip(rows["file"], rows["status"]))
    assert st["readme_notes.txt"] == "unidentified"
    # PDF preferred over TXT for the same firm-year
    assert st["sub/600201_2020_annual_report.pdf"] == "pending"
    assert st["600201_2020_annual_report.txt"] == "duplicate"
    assert rows.set_index("file").at["scan0001.pdf", "firm"] == "000002"

    # make the TXT the kept one: process the demo text
    rows.loc[rows["file"] == "600201_2020_annual_report.txt", "status"] = "pending"
    rows.loc[rows["file"] == "sub/600201_2020_annual_report.pdf", "status"] = "duplicate"
    msgs = []
    counts, chars, status = process_reports(rows, WU, tmp_path / "cache", progress=msgs.append)
    assert msgs and msgs[-1].startswith("[text] 9/9 files")
    s = status.set_index("file")
    assert s.at["000001_2019_annual_report.pdf", "status"] == "corrupt"
    assert s.at["000002_2019_annual_report.pdf", "status"] == "encrypted"
    assert s.at["000003_2019_annual_report.pdf", "status"] == "no_text_layer"
    assert s.at["000004_2019_annual_report.pdf", "status"] == "empty"
    assert s.at["readme_notes.txt", "status"] == "unidentified"
    assert s.at["600201_2020_annual_report.txt", "status"] == "ok"
    assert s.at["000651_2021_annual_report.txt", "status"] == "ok"
    assert "MD&A section not found" in s.at["000651_2021_annual_report.txt", "reason"]
    assert s.at["scan0001.pdf", "status"] == "ok" and s.at["scan0001.pdf", "n_pages"] == 2
    assert set(status["status"]) <= {"ok", "no_text_layer", "encrypted", "corrupt", "empty",
                                     "unidentified", "duplicate"}

    got = {(r.firm, r.year, r.section, r.term): r.count for r in counts.itertuples()}
    # hand-counted from DEMO: full text has 工业互联网 (broken by a line end), 移动互联网, 大数据,
    # 云计算, B2B (full-width), 区块链 (negated, still counted without exclude_negated);
    # 智能制造 is not a Wu Fei term. MD&A: 大数据, 云计算, B2B, 区块链.
    assert {k[3]: v for k, v in got.items() if k[:3] == ("600201", 2020, "full")} == {
        "工业互联网": 1, "移动互联网": 1, "大数据": 1, "云计算": 1, "B2B": 1, "区块链": 1}
    assert {k[3]: v for k, v in got.items() if k[:3] == ("600201", 2020, "mdna")} == {
        "大数据": 1, "云计算": 1, "B2B": 1, "区块链": 1}
    assert {k[3]: v for k, v in got.items() if k[:3] == ("000002", 2020, "full")} == {"大数据": 2}
    ch = {(r.firm, r.year, r.section): r.n_chars for r in chars.itertuples()}
    demo = _demo_text("600201", 2020)
    mdna_raw = demo[demo.index("第四节 经营情况讨论与分析\n一、"): demo.index("第五节 重要事项\n无")]
    assert ch[("600201", 2020, "full")] == _norm_len(demo)
    assert ch[("600201", 2020, "mdna")] == _norm_len(mdna_raw)
    assert ("000651", 2021, "full") in ch and ("000651", 2021, "mdna") not in ch
    assert chars["firm"].map(len).eq(6).all()

    # negation option
    c2, _, _ = process_reports(rows, WU, tmp_path / "cache", progress=False, exclude_negated=True)
    assert "区块链" not in set(c2.loc[c2["firm"] == "600201", "term"])

    # rerun: everything usable comes from the cache; adding a year extracts only the new file
    (rep / "600201_2021_annual_report.txt").write_text(_demo_text("600201", 2021), encoding="utf-8")
    rows2 = scan_reports(rep, manifest=manifest)
    _, _, status2 = process_reports(rows2, WU, tmp_path / "cache", progress=False)
    s2 = status2.set_index("file")
    assert not s2.at["600201_2021_annual_report.txt", "cached"]
    assert s2.at["000651_2021_annual_report.txt", "cached"]
    assert s2.at["000001_2019_annual_report.pdf", "cached"]  # failures are cached too
    # the PDF was a duplicate in the first run (not processed); now it is the kept file
    assert s2.at["sub/600201_2020_annual_report.pdf", "status"] == "ok"
    assert not s2.at["sub/600201_2020_annual_report.pdf", "cached"]
    assert s2.at["600201_2020_annual_report.txt", "status"] == "duplicate"


def test_process_reports_without_cache_and_empty_batch(tmp_path):
    counts, chars, status = process_reports([], WU, None, progress=False)
    assert counts.empty and chars.empty and status.empty
    assert list(counts.columns) == ["firm", "year", "section", "term", "count"]
    assert str(status["n_pages"].dtype) == "int64" and str(status["cached"].dtype) == "bool"
    with pytest.raises(FileNotFoundError):
        scan_reports(tmp_path / "no_such_folder")
    with pytest.raises(ValueError):
        process_reports([], WU, None, sections=("full", "notes"))


def test_process_shard_union_equals_whole(tmp_path):
    rep = tmp_path / "reports"
    rep.mkdir()
    for i in range(12):
        firm = f"{600000 + i:06d}"
        (rep / f"{firm}_2020_annual_report.txt").write_text(_demo_text(firm, 2020), encoding="utf-8")
    whole_c, whole_ch, whole_st = process_reports(scan_reports(rep), WU, None, progress=False)
    from analysis.text.reports import process_shard

    parts = [process_shard(rep, k, 4, WU, tmp_path / "cache", progress=False) for k in range(4)]
    for i, whole in enumerate((whole_c, whole_ch)):
        union = pd.concat([p[i] for p in parts]).sort_values(list(whole.columns[:3]) + (
            ["term"] if i == 0 else [])).reset_index(drop=True)
        pd.testing.assert_frame_equal(union, whole)
    assert sorted(pd.concat([p[2] for p in parts])["file"]) == sorted(whole_st["file"])
    assert whole_ch["firm"].nunique() == 12


def test_duplicate_preference(tmp_path):
    names = [
        "2021-04-23__金宇生物__600201__生物股份__2020年__年度报告.pdf",
        "2021-05-10__金宇生物__600201__生物股份__2020年__年度报告（更新后）.pdf",
        "2021-04-23__金宇生物__600201__生物股份__2020年__年度报告摘要.pdf",
        "2020-04-20__四方科技__603339__四方科技__2019年__年度报告.pdf",
        "2020-06-01__四方科技__603339__四方科技__2019年__年度报告.pdf",
    ]
    for n in names:
        (tmp_path / n).write_bytes(b"%PDF")
    st = scan_reports(tmp_path).set_index("file")
    assert st.at[names[1], "status"] == "pending"  # revised version kept
    assert st.at[names[0], "status"] == "duplicate" and names[1] in st.at[names[0], "reason"]
    assert st.at[names[2], "status"] == "unidentified"  # summary
    assert st.at[names[4], "status"] == "pending"  # later publication kept
    assert st.at[names[3], "status"] == "duplicate"


def test_names_without_code_decide_whether_the_company_table_is_needed(tmp_path):
    """The rules give the text stage the company table (short names) only when some report's name has no
    stock code, so that a new vendor file does not rerun the text stage of a folder named by code."""
    from analysis.text.reports import names_without_code

    assert names_without_code(tmp_path / "absent") == []
    (tmp_path / "600201_2020_annual_report.pdf").write_bytes(b"")
    (tmp_path / "600201_2020年年度报告摘要.pdf").write_bytes(b"")  # a summary: unidentified whatever its name
    assert names_without_code(tmp_path) == []
    (tmp_path / "贵州茅台2020年年度报告.pdf").write_bytes(b"")
    assert names_without_code(tmp_path) == ["贵州茅台2020年年度报告.pdf"]


def test_txt_and_jsonl_extractions_keep_their_pages_for_the_breakdown(tmp_path):
    """A TXT (pages from form feeds) or JSON-lines report keeps its pages as every stage reads them (running
    head removed: it recurs on every page), so the breakdown need not decode and split the file again."""
    import json

    from analysis.text.pdf import extract_file

    body = ["公司主营业务为压缩机。", "营业收入增长。", "营业成本下降。", "毛利率上升。", "研发投入增加。",
            "现金流良好。", "产能利用率高。"]
    pages = ["某某公司2020年年度报告\n" + "\n".join(body[k:] + body[:k]) + f"\n{k + 1}" for k in range(5)]
    txt = tmp_path / "600201_2020.txt"
    txt.write_text("\f".join(pages), encoding="utf-8")
    ext = extract_file(txt)
    assert ext.ok and len(ext.raw_pages) == 5
    assert ext.raw_pages[2] == "\n".join(body[2:] + body[:2])  # header line and page number gone
    jl = tmp_path / "600201_2020.jsonl"
    jl.write_text("\n".join(json.dumps({"page": k, "inside": t}, ensure_ascii=False) for k, t in enumerate(pages, 1)),
                  encoding="utf-8")
    assert extract_file(jl).raw_pages == ext.raw_pages
    html = tmp_path / "600201_2020.html"
    html.write_text("<html><body><p>" + "</p><p>".join(pages) + "</p></body></html>", encoding="utf-8")
    assert extract_file(html).ok and extract_file(html).raw_pages == (html.read_text(encoding="utf-8"),)  # no table: one piece
