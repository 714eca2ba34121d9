"""PDF / TXT / HTML extraction: header/footer removal, rejoining, statuses."""

from __future__ import annotations

from analysis.text.pdf import extract_file, extract_pdf, extract_txt, strip_headers_footers

from .pdf_factory import make_encrypted_pdf, make_pdf, make_scanned_pdf

BODY = [
    ["公司推进人工", "智能与大数据Ｂ２", "Ｂ平台建设。"],
    ["第二页正文:云计", "算与物联网。"],
    ["正文开头。", "2020年年度报告", "是本页正文中的一句话。"],  # header text inside the body: kept
    ["区块链、Fin-", "tech与移动互联网。"],
    ["最后一页。"],
]
# Expected normalized text, written by hand: headers "2020年年度报告" (top) and "k / 5" (bottom)
# removed, lines joined, full-width B2B half-width, "Fin-\ntech" rejoined.
EXPECTED = (
    "公司推进人工智能与大数据B2B平台建设。"
    "第二页正文:云计算与物联网。"
    "正文开头。2020年年度报告是本页正文中的一句话。"
    "区块链、Fintech与移动互联网。"
    "最后一页。"
)


def test_pdf_headers_footers_removed_and_lines_rejoined():
    ext = extract_pdf(make_pdf(BODY))
    assert ext.status == "ok" and ext.reason == ""
    assert ext.n_pages == 5
    assert ext.text == EXPECTED


def test_strip_false_keeps_running_heads():
    ext = extract_pdf(make_pdf(BODY), strip=False)
    assert ext.text.count("2020年年度报告") == 6 and "1/5" in ext.text


def test_pdf_from_path(tmp_path):
    p = tmp_path / "r.pdf"
    p.write_bytes(make_pdf(BODY))
    assert extract_file(p).text == EXPECTED


def test_strip_headers_footers_unit():
    pages = [
        f"ACME 2021 Annual Report\n\n正文{c}内容\n表格{c}行\n- {k} -\n"
        for k, c in enumerate("甲乙丙丁戊己庚", 1)
    ]
    pages[3] = "ACME 2021 Annual Report\n正文\n第 4 页 共 7 页"
    out = strip_headers_footers(pages)
    assert out[0] == "正文甲内容\n表格甲行"
    assert out[3] == "正文"
    # a one-page document: no repetition statistics, page numbers still go
    assert strip_headers_footers(["标题\n内容\n12"]) == ["标题\n内容"]


def test_bad_pdfs_get_status_not_exception(tmp_path):
    assert extract_pdf(b"").status == "empty"
    (tmp_path / "zero.pdf").write_bytes(b"")
    assert extract_file(tmp_path / "zero.pdf").status == "empty"
    ext = extract_pdf(b"%PDF-1.7\nthis is not a pdf at all \x00\x01\x02")
    assert ext.status == "corrupt" and ext.reason
    assert extract_pdf(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8).status == "corrupt"
    ext = extract_pdf(make_encrypted_pdf())
    assert ext.status == "encrypted" and "password" in ext.reason
    ext = extract_pdf(make_scanned_pdf(3))
    assert ext.status == "no_text_layer" and "OCR" in ext.reason and ext.n_pages == 3
    ext = extract_pdf(make_pdf([[], []], header=None, footer=False))
    assert ext.status == "empty"
    assert extract_file(tmp_path / "missing.pdf").status == "corrupt"
    (tmp_path / "x.docx").write_bytes(b"PK")
    assert extract_file(tmp_path / "x.docx").status == "corrupt"


def test_txt_encodings_and_html(tmp_path):
    text = "第四节 经营情况讨论与分析\n公司推进人工\n智能。"
    for enc in ("utf-8", "utf-8-sig", "gb18030", "utf-16"):
        p = tmp_path / f"a_{enc}.txt"
        p.write_bytes(text.encode(enc))
        ext = extract_txt(p)
        assert ext.status == "ok", enc
        assert ext.text == "第四节经营情况讨论与分析公司推进人工智能。", enc
    (tmp_path / "blank.txt").write_text("  \n\u3000\n", encoding="utf-8")
    assert extract_txt(tmp_path / "blank.txt").status == "empty"
    h = tmp_path / "r.html"
    h.write_bytes(
        '<html><head><meta charset="gbk"><style>p{color:red}</style><script>var 大数据=1;</script>'
        "</head><body><p>发展人工<b>智能</b>&amp;云计算</p></body></html>".encode("gbk")
    )
    assert extract_file(h).text == "发展人工智能&云计算"


def test_owner_password_only_pdf_is_readable():
    import pymupdf

    from .pdf_factory import make_pdf as mk

    data = mk(BODY, encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", user_pw="",
              permissions=0)
    ext = extract_pdf(data)
    assert ext.status == "ok" and ext.text == EXPECTED


def test_partly_scanned_report_is_flagged_in_reason():
    import pymupdf

    words = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"
    long_pages = [[words[3 * k + j] * 30 for j in range(3)] for k in range(5)]
    doc = pymupdf.open(stream=make_pdf(long_pages))
    scanned = pymupdf.open(stream=make_scanned_pdf(4))
    doc.insert_pdf(scanned)
    ext = extract_pdf(doc.tobytes())
    assert ext.status == "ok" and "4 of 9 pages are images" in ext.reason
