"""The evidence behind a firm-year's measures, as the audit site shows it (see :mod:`.audit`).

Nothing here measures anything again: Serv's segments come from the pipeline's segment-label file with the
page their source names (``report:<file>#p<page>``), and Dig's hits are the matches of the run's own counter
(:class:`analysis.text.counting.KeywordCounter`, the same dictionary and negation rule) in the run's own cached
normalized text (:class:`analysis.text.reports.TextCache`, keyed by the report's SHA-256), so their number is
the count the measure was built from.

- :func:`page_image`: the source page of a report-derived revenue table rendered to PNG with pymupdf, the
  table's area (the box around the segment names and amounts found on the page) outlined; rendered once and
  cached by report hash, page and marked texts.
- :func:`dig_hits`: each dictionary hit with a few characters either side, its page (located by the hit's
  context in the report's pages) and whether it lies in the MD&A section, plus the MD&A boundaries.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

#: Resolution of the rendered report pages (a page of A4 is about 660 x 935 pixels at 80 dpi).
PAGE_DPI = 80
#: Bump when the rendering or the table locator changes: cached page images keyed by it are then rendered again.
IMAGE_VERSION = "3"
#: Characters shown either side of a dictionary hit.
CONTEXT_CHARS = 12
_SOURCE = re.compile(r"^report:(?P<file>.+)#p(?P<page>\d+)$")


def report_source(source: str) -> tuple[str, int] | None:
    """(file name, 1-based page) of a segment source ``report:<file>#p<page>``; None for vendor rows."""
    m = _SOURCE.match(str(source or ""))
    return (m.group("file"), int(m.group("page"))) if m else None


def amount_strings(value: float, factor: float) -> list[str]:
    """How an amount in yuan may be printed in a table whose unit is ``factor`` yuan (1,234.56 or 1234.56)."""
    if not factor or value != value:
        return []
    v = value / factor
    return [f"{v:,.2f}", f"{v:.2f}"]


def table_area(page, names: list[str], amounts: list[str] = ()) -> tuple[float, float, float, float] | None:
    """Bounding box (x0, y0, x1, y1) on the pymupdf ``page`` of the segments' rows: where their amounts are printed
    (as the table prints them, so found nowhere else on the page), else where their names are; widened to the
    page's text width; None when neither is found."""
    def found(texts) -> list:
        per_text = [page.search_for(t) for t in dict.fromkeys(str(x).strip() for x in texts) if len(t) >= 2]
        per_text = [r for r in per_text if r]
        # a text printed more than once on the page (其他 in two sections, the same amount in the industry and
        # the product rows): the occurrence nearest to the texts printed once
        once = [r[0] for r in per_text if len(r) == 1]
        if not once:
            return [r for rs in per_text for r in rs]
        centre = sorted(r.y0 for r in once)[len(once) // 2]
        return [min(rs, key=lambda r: abs(r.y0 - centre)) for rs in per_text]

    rects = found(amounts) or found(names)
    if not rects:
        return None
    y0 = min(r.y0 for r in rects)
    y1 = max(r.y1 for r in rects)
    x0 = min(min(r.x0 for r in rects), page.rect.width * 0.08)
    x1 = max(max(r.x1 for r in rects), page.rect.width * 0.92)
    return (x0 - 4, y0 - 6, x1 + 4, y1 + 6)


@dataclass(frozen=True)
class PageImage:
    """A rendered report page: where its PNG is, the page, and the marked area (None: nothing found)."""

    png: Path
    page: int
    area: tuple[float, float, float, float] | None
    cached: bool


def page_image(pdf: str | Path, sha256: str, page: int, names: list[str], amounts: list[str],
               cache_dir: str | Path, dpi: int = PAGE_DPI) -> PageImage:
    """Page ``page`` (1-based) of ``pdf`` as PNG with the table area outlined, from the cache when it was rendered
    before (key: report hash, page, dpi and the marked texts)."""
    import pymupdf

    key = hashlib.sha256("\x1f".join([IMAGE_VERSION, sha256, str(page), str(dpi), *names, "|", *amounts]).encode()
                         ).hexdigest()[:20]
    cache = Path(cache_dir)
    png, meta = cache / f"{sha256[:16]}_p{page}_{key}.png", cache / f"{sha256[:16]}_p{page}_{key}.area"
    if png.is_file() and meta.is_file():
        text = meta.read_text(encoding="utf-8").strip()
        area = tuple(float(v) for v in text.split(",")) if text else None
        return PageImage(png, page, area, True)
    cache.mkdir(parents=True, exist_ok=True)
    with pymupdf.open(pdf) as doc:
        pg = doc[page - 1]
        area = table_area(pg, names, amounts)
        if area is not None:
            pg.draw_rect(pymupdf.Rect(*area), color=(0.85, 0.1, 0.1), width=2.5)
        pix = pg.get_pixmap(dpi=dpi)
        tmp = png.with_suffix(".tmp")
        pix.save(str(tmp), output="png")
        tmp.replace(png)
    meta.write_text(",".join(f"{v:.1f}" for v in area) if area else "", encoding="utf-8")
    return PageImage(png, page, area, False)


def copy_image(img: PageImage, dest_dir: Path) -> str:
    """Copy a cached page image into the site (same name); returns the file name."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / img.png.name
    if not target.exists():
        shutil.copyfile(img.png, target)
    return target.name


# ------------------------------------------------------------------------------------------------- Dig
@dataclass(frozen=True)
class Hit:
    term: str
    offset: int
    before: str
    after: str
    page: int | None
    in_mdna: bool
    negated: bool


def _page_starts(text: str, pages: list[str]) -> list[int] | None:
    """Offsets in the normalized ``text`` where each page starts: the pages as the text stage joined them
    (running headers and footers removed, :func:`analysis.text.pdf.strip_headers_footers`), each normalized;
    None when their lengths do not add up to the text's (the pages are then not shown)."""
    from itertools import accumulate

    from analysis.text.normalize import normalize_text
    from analysis.text.pdf import strip_headers_footers

    lengths = [len(normalize_text(p)) for p in strip_headers_footers(pages)]
    if abs(sum(lengths) - len(text)) > max(10, 0.002 * len(text)):
        return None
    return [0, *accumulate(lengths)][:-1]


def report_pages(path: str | Path) -> list[str]:
    """The raw text of each page of a report file (:func:`analysis.text.pdf.report_page_texts`)."""
    from analysis.text.pdf import report_page_texts

    return report_page_texts(path)


def dig_hits(text: str, counter, pages: list[str] | None = None, context: int = CONTEXT_CHARS
             ) -> tuple[list[Hit], tuple[int, int] | None, tuple[int | None, int | None]]:
    """Every match of ``counter`` in the normalized ``text`` with its context, page (when ``pages`` are given and
    line up with the text) and MD&A membership; the MD&A (start, end) offsets (None: not found) and the pages
    where it starts and ends."""
    import bisect

    from analysis.text.sections import find_mdna

    mdna = find_mdna(text)
    starts = _page_starts(text, pages) if pages and len(pages) > 1 else None

    def page_of(offset: int) -> int | None:
        return bisect.bisect_right(starts, offset) if starts else (1 if pages and len(pages) == 1 else None)

    hits = []
    for start, end, term, negated in counter.spans(text):
        hits.append(Hit(term, start, text[max(0, start - context):start], text[end:end + context], page_of(start),
                        bool(mdna and mdna[0] <= start < mdna[1]), bool(negated)))
    mdna_pages = (page_of(mdna[0]), page_of(max(mdna[0], mdna[1] - 1))) if mdna else (None, None)
    return hits, mdna, mdna_pages
