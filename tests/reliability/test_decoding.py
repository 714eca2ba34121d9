"""Reliability battery: report texts in the wrong encoding or garbled (issue 17). A report no tried encoding
turns into plausible Chinese text gets status ``undecodable`` with the encodings tried: never ``ok``, never
a Dig of 0 in the panel (the firm-year has no Dig and leaves the sample as "missing dig")."""

from __future__ import annotations

import pytest

from analysis.servitization.report_table import extract_breakdown
from analysis.text.dictionary import load_dictionary
from analysis.text.measures import digital_indices, firm_year_dig
from analysis.text.pdf import extract_file
from analysis.text.reports import process_reports, scan_reports

outcome = pytest.mark.outcome

SIMPLIFIED = ("第四节 经营情况讨论与分析\n报告期内，公司主营业务未发生重大变化，经营状况总体平稳。"
              "公司积极推进人工智能和大数据相关工作，营业收入为人民币壹拾亿元，资产负债结构合理。\n") * 40
TRADITIONAL = ("第四節 經營情況討論與分析\n報告期內，公司主營業務未發生重大變化，經營狀況總體平穩。"
               "公司積極推進人工智能和大數據相關工作，營業收入為人民幣壹拾億元，資產負債結構合理。\n") * 40


def _count(folder):
    rows = scan_reports(folder, read_reports=False)
    counts, chars, status = process_reports(rows, load_dictionary(), cache_dir=None, progress=False)
    dig = firm_year_dig(digital_indices(counts, chars, load_dictionary()), "full")
    return status, dig


@outcome("drop", case="report TXT saved as UTF-16LE without BOM: undecodable (encodings tried), no Dig row")
def test_utf16le_without_bom(tmp_path):
    (tmp_path / "600123_2021.txt").write_bytes(SIMPLIFIED.encode("utf-16-le"))
    (tmp_path / "600124_2021.txt").write_bytes(SIMPLIFIED.encode("utf-8"))
    status, dig = _count(tmp_path)
    st = status.set_index("firm")
    assert st.loc["600123", "status"] == "undecodable" and st.loc["600124", "status"] == "ok"
    assert "utf-8" in st.loc["600123", "reason"] and "gb18030" in st.loc["600123", "reason"]
    assert "600123" not in set(dig["firm"]) and "600124" in set(dig["firm"])  # missing, not 0


@outcome("drop", case="report TXT in Big5 (traditional characters): undecodable, GB18030 mojibake recognised")
def test_big5(tmp_path):
    p = tmp_path / "600123_2021.txt"
    p.write_bytes(TRADITIONAL.encode("big5"))
    ext = extract_file(p)
    assert ext.status == "undecodable" and not ext.text
    assert "gb18030 (decodes, but the CJK characters are not those of Chinese prose" in ext.reason


@outcome("drop", case="report TXT full of replacement characters (U+FFFD): undecodable, not ok")
def test_replacement_characters(tmp_path):
    p = tmp_path / "600123_2021.txt"
    p.write_text(SIMPLIFIED.replace("公司", "\ufffd\ufffd"), encoding="utf-8")
    ext = extract_file(p)
    assert ext.status == "undecodable" and "replacement characters" in ext.reason


@outcome("drop", case="report text with implausibly few CJK characters (Latin-1 garbage): undecodable")
def test_too_few_cjk(tmp_path):
    p = tmp_path / "600123_2021.txt"
    p.write_bytes(("Annual report " * 50 + "公司").encode("utf-8"))
    ext = extract_file(p)
    assert ext.status == "undecodable" and "implausibly few CJK characters" in ext.reason


@outcome("drop", case="HTML report whose body is Big5 though it declares gbk: undecodable, not ok")
def test_html_wrong_declared_charset(tmp_path):
    p = tmp_path / "600123_2021.html"
    p.write_bytes(b'<html><head><meta charset="gbk"></head><body><p>'
                  + TRADITIONAL.encode("big5") + b"</p></body></html>")
    ext = extract_file(p)
    assert ext.status == "undecodable" and "gbk" in ext.reason


@outcome("identical", case="report TXT in GB18030 and in UTF-16 with BOM: the same text as UTF-8")
def test_gb18030_and_utf16_bom_identical(tmp_path):
    texts = {}
    for enc in ("utf-8", "gb18030", "utf-16"):
        p = tmp_path / f"600123_2021_{enc}.txt"
        p.write_bytes(SIMPLIFIED.encode(enc))
        ext = extract_file(p)
        assert ext.status == "ok", ext.reason
        texts[enc] = ext.text
    assert texts["gb18030"] == texts["utf-8"] == texts["utf-16"] and len(texts["utf-8"]) > 1000


@outcome("drop", case="revenue table from a UTF-16LE report without BOM: unreadable with the encodings tried")
def test_breakdown_of_undecodable_report(tmp_path):
    p = tmp_path / "600123_2021.txt"
    p.write_bytes(SIMPLIFIED.encode("utf-16-le"))
    ex = extract_breakdown(p)
    assert ex.segments.empty and ex.status["result"] == "unreadable"
    assert "undecodable: tried utf-8" in ex.reason


# --------------------------------------------------------------------------- empty, truncated, garbled files
@outcome("drop", case="truncated PDF (download cut off): status corrupt with the reason, no Dig row")
def test_truncated_pdf(tmp_path):
    import pymupdf
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "年度报告", fontname="china-s")
    data = doc.tobytes()
    (tmp_path / "600123_2021.pdf").write_bytes(data[: len(data) // 3])
    status, dig = _count(tmp_path)
    assert status.loc[0, "status"] in ("corrupt", "empty") and status.loc[0, "reason"]
    assert dig.empty


@outcome("drop", case="binary junk saved as a report TXT: undecodable, not ok")
def test_binary_junk_txt(tmp_path):
    import numpy as np
    p = tmp_path / "600123_2021.txt"
    p.write_bytes(np.random.default_rng(0).integers(0, 256, 20_000, dtype=np.uint8).tobytes())
    ext = extract_file(p)
    assert ext.status == "undecodable" and "tried" in ext.reason


@outcome("drop", case="zero-byte and whitespace-only report TXT: status empty")
def test_empty_txt(tmp_path):
    (tmp_path / "600123_2021.txt").write_bytes(b"")
    (tmp_path / "600124_2021.txt").write_text(" \n\u3000\n", encoding="utf-8")
    status, dig = _count(tmp_path)
    assert list(status["status"]) == ["empty", "empty"] and dig.empty


@outcome("drop", case="two files for one firm-year (PDF and TXT): one kept, the other status duplicate naming it")
def test_duplicate_report(tmp_path):
    (tmp_path / "600123_2021.txt").write_bytes(SIMPLIFIED.encode("utf-8"))
    (tmp_path / "600123_2021_年度报告.txt").write_bytes(SIMPLIFIED.encode("utf-8"))
    status, dig = _count(tmp_path)
    assert sorted(status["status"]) == ["duplicate", "ok"]
    dup = status[status["status"] == "duplicate"].iloc[0]
    assert "same firm-year as" in dup["reason"] and len(dig) == 1
