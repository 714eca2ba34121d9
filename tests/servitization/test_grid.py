"""The ruled-grid reader (``method="grid"``) against pymupdf's table finder, which it replaces on the fast path.

Both build a table's cells from the page's vector rules (pdfplumber's "lines" construction); the grid reader
does it from :meth:`pymupdf.Page.get_cdrawings` in a few milliseconds. The finder is the independent
implementation here: on every page of the real reports that the breakdown reads, and on synthetic tables with
merged cells, cell shading inset from the rules and rules drawn as thin rectangles, the two give the same rows
(the non-empty cell texts of each row, in order). On a table without rules the grid gives nothing and ``auto``
falls back to word positions.
"""

from __future__ import annotations

import numpy as np
import pymupdf
import pytest

from analysis.servitization import report_table as rt
from tests.conftest import SHARED_DIR

DATA = SHARED_DIR / "data"


def _rows(rows) -> list[list[str]]:
    return [ne for ne in ([c for c in r if c] for r in rows) if ne]


def _grid_rows(page, continued=False) -> list[list[str]]:
    words = page.get_text("words")
    top = rt._section_top(words)
    return [r for _, rows, _ in rt._grid_tables(page, words, top, continued, page.get_cdrawings())
            for r in _rows(rows)]


def _finder_rows(page, continued=False) -> list[list[str]]:
    words = page.get_text("words")
    top = rt._section_top(words)
    clip, paths = rt._table_region(page, words, top, continued)
    if clip is None:
        return []
    found = page.find_tables(use_layout=False, clip=clip, paths=paths).tables
    return [r for t in found for r in _rows([[rt._cell_text(words, c) if c else "" for c in row.cells]
                                             for row in t.rows])]


def _same_table(g, f, where: str) -> None:
    """The same rows with amounts, in the same order, and the same cell texts overall. Where the finder's
    cells differ, the breakdown does not depend on it: the row of a header cell merged over two header rows
    (the finder groups it with either; headers are found by their text), and a cell the finder reads twice
    (its cells can overlap, the grid's cannot) in a row of percentages only."""
    def data(rows):
        return [r for r in rows if any(not np.isnan(rt.parse_amount(c)) for c in r)]

    assert data(g) == data(f), where
    assert {c for r in g for c in r} == {c for r in f for c in r}, where


def _pdfs():
    return sorted(p for f in ("report_corpus", "real_reports") if (DATA / f).is_dir()
                  for p in (DATA / f).glob("*.pdf"))


@pytest.mark.shared
def test_grid_rows_equal_table_finder_on_real_reports():
    """Every candidate page of every real PDF report, read as the start of a table (a section not yet open)
    and as a continuation (the first table band counts): the same rows from both readers."""
    pdfs = _pdfs()
    if not pdfs:
        pytest.skip(f"no real reports under {DATA} (they live in ../shared, not in the repository)")
    checked = 0
    for pdf in pdfs:
        with pymupdf.open(pdf) as doc:
            texts = [pg.get_text() for pg in doc]
            for pno in rt._pages_to_read(rt._candidate_pages(texts), len(texts)):
                page = doc[pno - 1]
                for continued in (False, True):
                    g, f = _grid_rows(page, continued), _finder_rows(page, continued)
                    _same_table(g, f, f"{pdf.name} p{pno} continued={continued}")
                    checked += bool(g)
    assert checked >= 20  # pages with table rows were compared, not only empty pages


def _table_pdf(path, *, merged_header=True, shading=True, thin_rules=True):
    """A report page with a breakdown table: a two-level header (金额 under a merged 2019年 cell; 同比增减 spanning
    both header rows), cell shading inset 1.2 pt from the rules, rules drawn as 0.7 pt filled rectangles."""
    doc = pymupdf.open()
    page = doc.new_page()
    ins = lambda x, y, t: page.insert_text((x, y), t, fontname="china-s", fontsize=9)  # noqa: E731
    ins(72, 60, "(1) 营业收入构成")
    ins(72, 78, "单位：元")
    xs = [72, 180, 280, 380, 480]
    ys = [90, 108, 126] + [126 + 18 * k for k in range(1, 7)]

    def hline(y, x0, x1):
        if thin_rules:
            page.draw_rect(pymupdf.Rect(x0, y - 0.35, x1, y + 0.35), color=None, fill=(0, 0, 0))
        else:
            page.draw_line((x0, y), (x1, y), width=0.7)

    def vline(x, y0, y1):
        if thin_rules:
            page.draw_rect(pymupdf.Rect(x - 0.35, y0, x + 0.35, y1), color=None, fill=(0, 0, 0))
        else:
            page.draw_line((x, y0), (x, y1), width=0.7)

    if shading:  # cell backgrounds inset from the rules (their sides are rules too, as in real reports)
        for j in range(len(xs) - 1):
            page.draw_rect(pymupdf.Rect(xs[j] + 1.2, ys[0] + 1.2, xs[j + 1] - 1.2, ys[2] - 1.2),
                           color=None, fill=(0.9, 0.9, 0.9))
    for k, y in enumerate(ys):
        if merged_header and k == 1:
            hline(y, xs[1], xs[3])  # 2019年 over its two columns: no rule below the label column / 同比增减
        else:
            hline(y, xs[0], xs[-1])
    for j, x in enumerate(xs):
        if merged_header and j == 2:
            vline(x, ys[1], ys[-1])  # 2019年 spans columns 1-2 in the first header row
        else:
            vline(x, ys[0], ys[-1])
    if merged_header:
        ins(xs[1] + 60, ys[0] + 12, "2019年")
        ins(xs[4] - 80, ys[1] + 4, "同比增减")
        ins(xs[1] + 5, ys[1] + 12, "金额")
        ins(xs[2] + 5, ys[1] + 12, "占营业收入比重")
    else:
        for j, t in enumerate(["", "金额", "占营业收入比重", "同比增减"]):
            ins(xs[j] + 5, ys[1] + 12, t)
    body = [("营业收入合计", "1,000,000.00", "100%", "5.00%"), ("分行业", "", "", ""),
            ("通用设备", "800,000.00", "80.00%", "4.00%"), ("技术服务", "200,000.00", "20.00%", "9.00%"),
            ("分产品", "", "", ""), ("压缩机", "1,000,000.00", "100.00%", "5.00%")]
    for k, row in enumerate(body):
        for j, t in enumerate(row):
            if t:
                ins(xs[j] + 5, ys[2 + k] + 13, t)
    doc.save(path)
    doc.close()


@pytest.mark.parametrize("merged_header", [True, False])
@pytest.mark.parametrize("shading", [True, False])
@pytest.mark.parametrize("thin_rules", [True, False])
def test_grid_rows_equal_table_finder_on_synthetic_tables(tmp_path, merged_header, shading, thin_rules):
    pdf = tmp_path / "000123_2019.pdf"
    _table_pdf(pdf, merged_header=merged_header, shading=shading, thin_rules=thin_rules)
    with pymupdf.open(pdf) as doc:
        g, f = _grid_rows(doc[0]), _finder_rows(doc[0])
    assert g == f
    assert ["通用设备", "800,000.00", "80.00%", "4.00%"] in g and ["分产品"] in g
    if merged_header:  # the merged cells are one cell each, in the row where they start
        assert g[0] == ["2019年", "同比增减"] and g[1] == ["金额", "占营业收入比重"]


def test_grid_without_rules_gives_nothing_and_auto_reads_word_positions(tmp_path):
    """A table drawn without any rule: the grid has no cells; ``auto`` goes on to the table finder (nothing
    either) and to word positions, and says which method read the table."""
    from tests.servitization.test_report_table import SYN_ROWS, _make_pdf

    pdf = tmp_path / "000123_2021_annual_report.pdf"
    _make_pdf(pdf, ruled=False)
    with pymupdf.open(pdf) as doc:
        assert _grid_rows(doc[0]) == []
    ex = rt.extract_breakdown(pdf, method="auto")
    assert ex.status["method"] == "text" and list(ex.segments["segment"]) == [r[0] for r in SYN_ROWS]
    assert rt.extract_breakdown(pdf, method="grid").status["result"] == "no_breakdown"


def test_auto_takes_the_first_method_that_reconciles(tmp_path, monkeypatch):
    """A grid breakdown that does not reconcile is not taken when a later method's does; when none reconciles
    the first breakdown found is returned, with a note for each method that found one."""
    from tests.servitization.test_report_table import _make_pdf

    pdf = tmp_path / "000123_2021_annual_report.pdf"
    _make_pdf(pdf, ruled=True)
    good = rt.extract_breakdown(pdf, method="grid")
    assert good.status["result"] in rt.RESULTS and len(good.segments)
    real_finish = rt._finish

    def finish(walker, notes, *a):  # the grid's breakdown comes out unreconciled, the others reconciled
        ex = real_finish(walker, notes, *a)
        ex.status["result"] = "unreconciled" if a[5] == "grid" else "reconciled"
        return ex

    monkeypatch.setattr(rt, "_finish", finish)
    ex = rt.extract_breakdown(pdf, method="auto")
    assert ex.status["method"] == "table" and ex.segments.equals(good.segments)
    assert any("grid: a breakdown that does not reconcile" in n for n in ex.notes)

    def unreconciled(walker, notes, *a):
        ex = real_finish(walker, notes, *a)
        ex.status["result"] = "unreconciled"
        return ex

    monkeypatch.setattr(rt, "_finish", unreconciled)
    ex = rt.extract_breakdown(pdf, method="auto")
    assert ex.status["method"] == "grid"
    assert [n.split(":")[0] for n in ex.notes if "does not reconcile" in n] == ["grid", "table", "text"]


def test_rotated_page_is_read_from_word_positions(tmp_path):
    """On a rotated page the grid reads nothing (its drawings are in the unrotated page's coordinates); ``auto``
    goes on and reads the table from word positions, with the same segments as on the upright page."""
    from tests.servitization.test_report_table import SYN_ROWS, _make_pdf

    upright = tmp_path / "000123_2021_annual_report.pdf"
    _make_pdf(upright, ruled=True)
    rotated = tmp_path / "000123_2021_rotated.pdf"
    with pymupdf.open(upright) as doc:
        doc[0].set_rotation(90)
        doc.save(rotated)
    assert rt.extract_breakdown(rotated, firm="000123", year=2021, method="grid").status["result"] == "no_breakdown"
    ex = rt.extract_breakdown(rotated, firm="000123", year=2021, method="auto")
    assert ex.status["method"] == "text" and list(ex.segments["segment"]) == [r[0] for r in SYN_ROWS]
    assert list(ex.segments["revenue"]) == list(rt.extract_breakdown(upright, method="grid").segments["revenue"])
