"""Small synthetic PDFs for the tests, built with pymupdf (no real report text)."""

from __future__ import annotations

import pymupdf


def make_pdf(pages: list[list[str]], header: str | None = "2020年年度报告", footer: bool = True,
             **save_kwargs) -> bytes:
    """One page per item of ``pages`` (a list of body lines); running header and 'k / n' footer."""
    doc = pymupdf.open()
    n = len(pages)
    for k, lines in enumerate(pages, 1):
        pg = doc.new_page(width=595, height=842)
        if header:
            pg.insert_text((72, 40), header, fontname="china-s", fontsize=9)
        if lines:
            pg.insert_text((72, 80), lines, fontname="china-s", fontsize=11)
        if footer:
            pg.insert_text((280, 820), f"{k} / {n}", fontname="helv", fontsize=9)
    data = doc.tobytes(**save_kwargs)
    doc.close()
    return data


def make_scanned_pdf(n_pages: int = 3) -> bytes:
    """Pages that hold only an image (no text layer), like a scanned report."""
    doc = pymupdf.open()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 40, 40), 0)
    pix.clear_with(180)
    for _ in range(n_pages):
        pg = doc.new_page(width=595, height=842)
        pg.insert_image(pymupdf.Rect(50, 50, 545, 792), pixmap=pix)
    data = doc.tobytes()
    doc.close()
    return data


def make_encrypted_pdf() -> bytes:
    return make_pdf(
        [["加密的年度报告内容"]] * 2,
        encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="user", owner_pw="owner",
    )
