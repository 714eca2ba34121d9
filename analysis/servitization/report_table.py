"""Main-business revenue breakdown (主营业务分行业 / 分产品 / 分地区) read from an annual-report PDF.

Used for firm-years without vendor segment rows. The output is the canonical segment frame
(firm, year, breakdown, segment, revenue, cost, source) with source ``report:<file name>#p<page>``,
where <page> is the 1-based physical page of the PDF (not the printed page number).

How it works:

1. Candidate pages are those whose text has 分行业 or 分产品 together with 营业收入 and 营业成本 (or, for
   the SZSE "营业收入构成" layout, 营业收入构成); each candidate's next page is also read, because tables
   break across pages.
2. ``method="table"`` (default): ``page.find_tables()``; cells are re-read with ``page.get_text(clip=cell)``
   because the table extractor scrambles thousands separators in some reports. Rows are walked in order:
   * a header row whose first cell is 分行业 / 分产品 / 分地区 (also 分业务 -> product, 分销售模式 -> skipped)
     and which has a column "营业收入" starts a section; revenue is that column, cost the "营业成本" column.
     A table without such a column (the 成本分析表, cost by component) never starts a section.
   * SZSE layout: a header row with "金额" (first one = current year) and marker rows "分行业" / "分产品" /
     "分地区" whose other cells are empty.
   * a section title (…情况, …说明) or another header ends the section; a section may continue on the next
     page when that page's first table starts with data rows of the same width.
3. ``method="text"``: the same walk on rows rebuilt from word positions (``page.get_text("words")``),
   columns assigned by the x-position of the header words; used automatically when the table finder yields
   nothing (tables drawn without rules), or on request.
4. Units: the nearest "单位：元/千元/万元/百万元/亿元" above the table on the same page, else the last one
   seen on earlier pages, else 元 (noted in ``notes``). Revenue is returned in yuan.
5. Only the first section of each breakdown type is kept (SZSE reports repeat segments in the table of
   lines above 10% of revenue, which is incomplete and must not be used).

Never raises on an unreadable or odd PDF: returns ``Extraction(segments=<empty frame>, reason=...)``.
Known gaps: scanned (image) reports (no text layer: reason says so); a 分产品 table split across pages
where the continuation repeats no header and has a different column count; names wrapped onto a second
line in text mode when the wrap sits far from the number row.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from .segments import SEGMENT_COLUMNS, empty_segments

HEADER_KINDS = {"分行业": "industry", "分产品": "product", "分地区": "region", "分业务": "product",
                "分销售模式": None, "分行业/产品": "industry"}
UNIT_FACTORS = {"元": 1.0, "千元": 1e3, "万元": 1e4, "百万元": 1e6, "亿元": 1e8}
_UNIT_RE = re.compile(r"单位\s*[:：]\s*(?:人民币)?\s*(百万元|千元|万元|亿元|元)")
_NUM_RE = re.compile(r"^[-−–]?\(?[-−–]?\d[\d,]*(\.\d+)?\)?$")


class Extraction(NamedTuple):
    """Result of an extraction: the canonical segment frame, a reason when it is empty, and notes."""

    segments: pd.DataFrame
    reason: str | None
    notes: tuple[str, ...] = ()


def _clean(text: str | None) -> str:
    if text is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


def parse_amount(text: str | None) -> float:
    """'1,517,535,227.34' -> 1517535227.34; '(1,234.5)' and '-1,234.5' -> negative; else NaN."""
    s = _clean(text).replace("−", "-").replace("–", "-")
    if not s or not _NUM_RE.match(s):
        return float("nan")
    neg = s.startswith("-") or (s.startswith("(") and s.endswith(")")) or s.startswith("(-")
    digits = s.strip("-()").replace(",", "")
    try:
        v = float(digits)
    except ValueError:
        return float("nan")
    return -v if neg else v


def _header_kind(first_cell: str) -> tuple[bool, str | None]:
    """(is a breakdown header/marker, breakdown) for a first-column text."""
    s = _clean(first_cell)
    s = re.sub(r"^主营业务", "", s)
    for key, kind in HEADER_KINDS.items():
        if s == key:
            return True, kind
    return False, None


def _is_title(first_cell: str) -> bool:
    s = _clean(first_cell)
    return bool(s) and (s.endswith("情况") or "说明" in s or s.startswith("主营业务分")
                        or bool(re.match(r"^[(（]?\d+[)）.]", s)))


def _revenue_cols(cells: list[str]) -> tuple[int | None, int | None, str]:
    """Column of current revenue and cost in a header row, and the layout name."""
    rev = cost = None
    for j, c in enumerate(cells[1:], start=1):
        s = _clean(c)
        if rev is None and s.startswith("营业收入") and "比上年" not in s and "增减" not in s:
            rev = j
        elif cost is None and s.startswith("营业成本") and "比上年" not in s and "增减" not in s:
            cost = j
    if rev is not None:
        return rev, cost, "sse"
    for j, c in enumerate(cells[1:], start=1):
        if _clean(c) == "金额":
            return j, None, "szse"
    return None, None, ""


class _Walker:
    """Walks rows (lists of cell texts) of consecutive tables, collecting breakdown sections."""

    def __init__(self):
        self.sections: list[dict] = []
        self.cur: dict | None = None      # open section
        self.layout: dict | None = None   # current header columns
        self.pending = ""                 # text mode: name fragment waiting for its number row
        self.pending_y: float | None = None

    def start_table(self, ncols: int, first_row: list[str]) -> None:
        # keep the open section only if this table continues it (same width, starts with data)
        if self.cur is not None:
            is_hdr, _ = _header_kind(first_row[0] if first_row else "")
            if ncols != self.cur["ncols"] or is_hdr or _is_title(first_row[0] if first_row else ""):
                self.cur = None
        if self.cur is None:
            self.layout = None if not (self.layout and self.layout.get("ncols") == ncols
                                       and self.layout["kind"] == "szse") else self.layout

    def row(self, cells: list[str], page: int, unit: float, y: float | None = None) -> None:
        """Consume one row. ``y`` (text mode only) enables joining names wrapped onto two lines."""
        if not cells:
            return
        first = cells[0] or ""
        is_hdr, kind = _header_kind(first)
        rev, cost, lay = _revenue_cols(cells)
        if rev is not None and lay == "sse" and is_hdr:
            self.layout = {"rev": rev, "cost": cost, "kind": "sse", "ncols": len(cells)}
            self._open(kind, len(cells))
            return
        if rev is not None and lay == "szse":
            self.layout = {"rev": rev, "cost": None, "kind": "szse", "ncols": len(cells)}
            self.cur = None
            return
        if is_hdr and self.layout is not None and self.layout["kind"] == "szse" \
                and all(not _clean(c) for c in cells[1:]):
            self._open(kind, len(cells))
            return
        if is_hdr or _is_title(first):
            self.cur = None
            self.pending = ""
            return
        if self.cur is None or self.layout is None:
            return
        name = _clean(first)
        r = self.layout["rev"]
        revenue = parse_amount(cells[r]) if r < len(cells) else float("nan")
        if np.isnan(revenue):
            if y is not None and name:
                # text mode: a name fragment. Glue it to the row just above when close, else keep it as
                # the prefix of the next data row (numbers centred between two name lines).
                last = self.cur["rows"][-1] if self.cur["rows"] else None
                if last is not None and last.get("y") is not None and 0 < y - last["y"] < 14 \
                        and not self.pending:
                    last["segment"] += name
                else:
                    self.pending += name
                    self.pending_y = y
            return
        if self.pending:
            if y is not None and self.pending_y is not None and 0 < y - self.pending_y < 20:
                name = self.pending + name
            self.pending = ""
            self.pending_y = None
        if not name:
            return
        c = self.layout["cost"]
        cost = parse_amount(cells[c]) if c is not None and c < len(cells) else float("nan")
        self.cur["rows"].append({"segment": name, "revenue": revenue * unit,
                                 "cost": cost * unit, "page": page, "y": y})

    def _open(self, kind: str | None, ncols: int) -> None:
        if kind is None:  # e.g. 分销售模式: a breakdown we do not use
            self.cur = None
            return
        self.cur = {"breakdown": kind, "rows": [], "ncols": ncols}
        self.sections.append(self.cur)


def _page_units(page) -> list[tuple[float, float]]:
    """(bottom y, factor) of every 单位：… statement on the page, read line by line."""
    out = []
    for r in page.search_for("单位"):
        line = page.get_text("text", clip=pymupdf_rect(r.x0 - 1, r.y0 - 1, page.rect.x1, r.y1 + 1))
        m = _UNIT_RE.search(_clean(line))
        if m:
            out.append((r.y1, UNIT_FACTORS[m.group(1)]))
    return out


def pymupdf_rect(x0, y0, x1, y1):
    import pymupdf
    return pymupdf.Rect(x0, y0, x1, y1)


def _rows_from_words(page) -> list[tuple[float, list]]:
    """Group words into visual rows: [(y_top, [(x0, x1, text), ...])], top to bottom."""
    words = sorted(page.get_text("words"), key=lambda w: ((w[1] + w[3]) / 2, w[0]))
    rows: list[list] = []
    for w in words:
        yc = (w[1] + w[3]) / 2
        if rows and abs(yc - rows[-1][0]) <= max(2.5, 0.35 * (w[3] - w[1])):
            rows[-1][2].append((w[0], w[2], w[4]))
            rows[-1][1] = min(rows[-1][1], w[1])
        else:
            rows.append([yc, w[1], [(w[0], w[2], w[4])]])
    return [(r[1], sorted(r[2])) for r in rows]


def _is_running_header(text: str) -> bool:
    """Page header/footer lines: "2020 年年度报告", "14 / 195"."""
    t = _clean(text)
    return bool(re.fullmatch(r"\d+/\d+", t)) or (len(t) <= 14 and bool(re.fullmatch(r"\d{4}年(年度|半年度)报告.*", t)))


def _is_number_word(t: str) -> bool:
    return not np.isnan(parse_amount(t))


def _text_tables(page, carry=None) -> tuple[list[tuple[float, list[list[str]], dict]], object]:
    """Rebuild breakdown rows from word positions (used when find_tables gives nothing).

    A header row is a visual row whose leftmost word is 分行业/分产品/分地区 and that has a word starting
    with 营业收入. Header cells often wrap over several lines, so the column spans are built from all
    words within 25 pt above/below that row (words whose x-ranges overlap form one column). In later rows
    each numeric word goes to the column whose span is nearest its centre; the name is the text left of
    the revenue column. Rows are emitted as [name, revenue, cost]; other rows as [their text] when they
    read as a title, else [name part, "", ""] so that wrapped names can be glued by the walker.
    ``carry`` is the column layout of a section still open at the end of the previous page (a table
    broken across pages); the layout at the end of this page is returned with the rows.
    """
    h = page.rect.height
    vrows = [(y, ws) for y, ws in _rows_from_words(page)
             if 0.04 * h < y < 0.96 * h and not _is_running_header("".join(t for *_, t in ws))]
    out_rows: list[list[str]] = []
    geoms: dict[int, float] = {}
    header_ys: list[float] = []
    cols = carry  # (rev_span, cost_span, all_spans)
    for k, (y, ws) in enumerate(vrows):
        first = ws[0][2]
        is_hdr, _ = _header_kind(first)
        if is_hdr and any(_clean(t).startswith("营业收入") for _, _, t in ws[1:]):
            band = [w for yy, wws in vrows if abs(yy - y) <= 25 for w in wws if w[0] > ws[0][1]]
            spans: list[list] = []
            for a, b, t in sorted(band):
                if spans and a <= spans[-1][1]:
                    spans[-1][1] = max(spans[-1][1], b)
                    spans[-1][2] += t
                else:
                    spans.append([a, b, t])
            rev = next((sp for sp in spans if _clean(sp[2]).startswith("营业收入")), None)
            cost = next((sp for sp in spans if _clean(sp[2]).startswith("营业成本")), None)
            if rev is None:
                cols = None
                out_rows.append([" ".join(t for *_, t in ws)])
                continue
            cols = (rev, cost, spans)
            header_ys.append(y)
            out_rows.append([_clean(first), "营业收入", "营业成本"])
            continue
        text = "".join(t for *_, t in ws)
        if cols is None:
            out_rows.append([text])
            continue
        rev, cost, spans = cols
        name = "".join(t for a, b, t in ws if b <= rev[0] + 1 and not _is_number_word(t))
        cells = [name, "", ""]
        for a, b, t in ws:
            if b <= rev[0] + 1 or not _is_number_word(t):
                continue
            c = (a + b) / 2
            best = min(spans, key=lambda sp: 0 if sp[0] <= c <= sp[1] else min(abs(c - sp[0]), abs(c - sp[1])))
            if best is rev and not cells[1]:
                cells[1] = t
            elif best is cost and not cells[2]:
                cells[2] = t
        if not cells[1] and (_is_title(text) or _header_kind(text)[0]):
            out_rows.append([text])
            continue
        out_rows.append(cells)
        geoms[len(out_rows) - 1] = y
    top = header_ys[0] if header_ys else (vrows[0][0] if vrows else 0.0)
    return ([(top, out_rows, geoms)] if out_rows else []), cols


def _candidate_pages(doc, pages: list[int]) -> list[int]:
    cands = []
    for pno in pages:
        t = _clean(doc[pno - 1].get_text())
        if ("分行业" in t or "分产品" in t) and ("营业收入构成" in t or ("营业收入" in t and "营业成本" in t)):
            cands.append(pno)
    return cands


def _infer_firm_year(path: Path) -> tuple[str | None, int | None]:
    m = re.match(r"^(\d{6})[_\-](\d{4})", path.name)
    return (m.group(1), int(m.group(2))) if m else (None, None)


def extract_breakdown_pages(pdf: str | Path, pages, firm: str | None = None, year: int | None = None,
                            method: str = "auto") -> Extraction:
    """Extract breakdown rows from the given 1-based pages only (an iterable or range), in order.

    ``method``: "table" (pymupdf's table finder), "text" (word positions) or "auto" (table, falling back
    to text when the table finder yields no breakdown row). Firm and year default to the file name
    pattern ``<6-digit code>_<year>...pdf``.
    """
    path = Path(pdf)
    if method not in ("auto", "table", "text"):
        raise ValueError(f"method must be 'auto', 'table' or 'text', not {method!r}")
    f0, y0 = _infer_firm_year(path)
    firm = firm if firm is not None else f0
    year = year if year is not None else y0
    if firm is None or year is None:
        return Extraction(empty_segments(), f"firm/year unknown for {path.name}: pass firm= and year=")
    firm = str(firm).zfill(6)
    try:
        import pymupdf
    except ImportError as exc:  # pragma: no cover
        return Extraction(empty_segments(), f"pymupdf not available: {exc}")
    try:
        doc = pymupdf.open(path)
    except Exception as exc:  # noqa: BLE001 - any open failure is a reason, not a crash
        return Extraction(empty_segments(), f"cannot open {path.name}: {type(exc).__name__}: {exc}")
    try:
        n = doc.page_count
        pages = [int(p) for p in pages if 1 <= int(p) <= n]
        if not pages:
            return Extraction(empty_segments(), f"no valid page in the range asked ({path.name} has {n} pages)")
        methods = ["table", "text"] if method == "auto" else [method]
        notes: list[str] = []
        for m in methods:
            try:
                frame, mnotes = _extract(doc, pages, m, path.name, firm, int(year))
            except Exception as exc:  # noqa: BLE001
                notes.append(f"{m}: failed with {type(exc).__name__}: {exc}")
                continue
            notes.extend(f"{m}: {x}" for x in mnotes)
            if len(frame):
                return Extraction(frame, None, tuple(notes))
        has_text = any(doc[p - 1].get_text().strip() for p in pages)
        why = ("no text layer on these pages (scanned report?)" if not has_text else
               "no 分行业/分产品 revenue table with a 营业收入 column found")
        return Extraction(empty_segments(), f"{path.name} pages {pages[0]}-{pages[-1]}: {why}", tuple(notes))
    except Exception as exc:  # noqa: BLE001
        return Extraction(empty_segments(), f"{path.name}: unreadable ({type(exc).__name__}: {exc})")
    finally:
        doc.close()


def extract_breakdown(pdf: str | Path, firm: str | None = None, year: int | None = None,
                      method: str = "auto") -> Extraction:
    """Find the breakdown table anywhere in the report and extract it (see module docstring)."""
    path = Path(pdf)
    try:
        import pymupdf
        with pymupdf.open(path) as doc:
            cands = _candidate_pages(doc, list(range(1, doc.page_count + 1)))
            n = doc.page_count
    except Exception as exc:  # noqa: BLE001
        return Extraction(empty_segments(), f"cannot open {path.name}: {type(exc).__name__}: {exc}")
    if not cands:
        return Extraction(empty_segments(), f"{path.name}: no page mentions 分行业/分产品 with 营业收入 and 营业成本")
    pages = sorted({p for c in cands for p in (c, c + 1) if p <= n})
    return extract_breakdown_pages(path, pages, firm=firm, year=year, method=method)


def _extract(doc, pages: list[int], method: str, fname: str, firm: str, year: int):
    walker = _Walker()
    notes: list[str] = []
    unit_carry: float | None = None
    prev_page = None
    text_cols = None
    for pno in pages:
        page = doc[pno - 1]
        if prev_page is not None and pno != prev_page + 1:
            walker.cur = None  # no continuation across a gap in the page list
        prev_page = pno
        if method == "table":
            tables = []
            for t in page.find_tables().tables:
                rows = []
                for r in t.rows:
                    rows.append([_clean(page.get_text("text", clip=c)) if c is not None else ""
                                 for c in r.cells])
                tables.append((t.bbox[1], rows, {}))
        else:
            tables, text_cols = _text_tables(page, text_cols if walker.cur is not None else None)
        units = _page_units(page)
        for y_top, rows, geoms in tables:
            if not rows:
                continue
            above = [(y1, f) for y1, f in units if y1 <= y_top + 2]
            if above:
                unit = max(above)[1]
            elif unit_carry is not None:
                unit = unit_carry
            else:
                unit = 1.0
                if walker.cur is None:
                    notes.append(f"p{pno}: no 单位 statement found above the table; assumed 元")
            walker.start_table(len(rows[0]), rows[0])
            for i, cells in enumerate(rows):
                walker.row(cells, pno, unit, geoms.get(i))
            if walker.cur is not None:
                walker.cur["unit"] = unit
        if units:
            unit_carry = max(units)[1]
    seen: set[str] = set()
    out = []
    for sec in walker.sections:
        if not sec["rows"]:
            continue
        if sec["breakdown"] in seen:
            notes.append(f"later {sec['breakdown']} table on p{sec['rows'][0]['page']} ignored (first one kept)")
            continue
        seen.add(sec["breakdown"])
        for r in sec["rows"]:
            out.append({"firm": firm, "year": year, "breakdown": sec["breakdown"], "segment": r["segment"],
                        "revenue": r["revenue"], "cost": r["cost"], "source": f"report:{fname}#p{r['page']}"})
    if not out:
        return empty_segments(), notes
    frame = pd.DataFrame(out, columns=list(SEGMENT_COLUMNS))
    frame["year"] = frame["year"].astype("int64")
    frame["revenue"] = frame["revenue"].astype("float64")
    frame["cost"] = frame["cost"].astype("float64")
    for c in ("firm", "breakdown", "segment", "source"):
        frame[c] = frame[c].astype(object)
    return frame, notes
