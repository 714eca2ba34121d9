"""Main-business revenue breakdown (主营业务分行业 / 分产品 / 分地区) read from an annual report, reconciled.

Used for firm-years without vendor segment rows. The output is the canonical segment frame
(firm, year, breakdown, segment, revenue, cost, source) with source ``report:<file name>#p<page>``,
where <page> is the 1-based physical page of the PDF (for TXT/JSON-lines the page of the text, for
HTML always 1), plus a status record (:data:`STATUS_FIELDS`) that says what was found and how sure it is.

Inputs: PDF (pymupdf), cninfo HTML (``<table>`` rows read as table rows), plain text (GBK/UTF-8; lines
split on whitespace, so a whitespace-aligned table becomes name + values) and JSON-lines page corpora
(one ``{"page": n, "inside": "..."}`` object per line, read as pages of text).

How a breakdown is found (one walk over rows, whatever the format):

1. Candidate pages are those whose text has 分行业 or 分产品 together with 营业收入 and 营业成本 (or
   营业收入构成); each candidate's previous page (a title, header or 单位 line there) and next page (tables
   break across pages) are read too. PDF ``method="table"`` rows come from ``page.find_tables()`` (cells
   re-read from the page's words, because the table extractor scrambles thousands separators),
   ``method="grid"`` rows from the page's ruled grid (the cells the vector rules bound, built here from
   :meth:`pymupdf.Page.get_cdrawings`: the table finder's "lines" construction at a fraction of its cost),
   ``method="text"`` rows from word positions; "auto" tries grid, table, then text and takes the first
   breakdown that reconciles (else the first found, with a note).
2. A row is compacted to its non-empty cells, so a marker (分行业 / 分产品 / 分地区 / 分业务) counts in any
   cell, and values are counted from the first value cell: the revenue column is found by the header's
   text (``营业收入`` [SSE] or the first ``金额`` [SZSE 营业收入构成]; the cost column by ``营业成本``), not
   by the header cell's position, which in SZSE layouts is one column off from the amounts.
3. A header or marker row opens a section; a title (…情况, …说明, (2)…), a marker header of another
   table (成本分析表: 分行业 without a 营业收入 column) or a header without a revenue column closes it.
   A table that starts (on the next page) with data rows or with the wrapped tail of the header
   (``减（%）``) continues the open section: tables split across pages.
4. The table's own total (营业收入合计 of SZSE, a 合计 row of SSE) is recorded for the check below.
   Only the first section of each breakdown type is kept (SZSE reports repeat segments in the table of
   lines above 10% of revenue, which is incomplete and must not be used).

Units and reconciliation (never an assumption left silent): the unit stated for the table (nearest
``单位：元/千元/万元/百万元/亿元`` above it on the page, else the last one on the pages before) is checked
against the report's own totals: the 营业收入 of the key-figures table (主要会计数据, with its own unit)
and the table's total row. A section's sum in yuan must be between :data:`RECONCILE_LOW` and
:data:`RECONCILE_HIGH` times 营业收入 (the breakdown covers main business, which can be below operating
revenue by the 其他业务收入). When the stated unit fails and another factor passes (a 10^4 or 10^8 slip,
or no unit printed), the passing unit is used and the status says "unit corrected by reconciliation";
when none passes the stated unit is kept and the status is ``unreconciled``.

Never raises on an unreadable or odd file: returns ``Extraction(segments=<empty>, reason=..., status=...)``.
Known gaps: scanned (image) reports (no text layer: reason says so); names wrapped onto a second
line in text mode when the wrap sits far from the number row; TXT tables whose columns are not
separated by whitespace.
"""

from __future__ import annotations

import bisect
import functools
import html as _html
import json
import re
import unicodedata
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from analysis.text.normalize import raw_word
from analysis.text.reports import KIND_PAGES

from .segments import BREAKDOWNS, SEGMENT_COLUMNS, empty_segments

HEADER_KINDS = {"分行业": "industry", "分产品": "product", "分地区": "region", "分业务": "product",
                "分销售模式": None, "销售模式": None, "分行业/产品": "industry"}
UNIT_FACTORS = {"元": 1.0, "千元": 1e3, "万元": 1e4, "百万元": 1e6, "亿元": 1e8}
#: A breakdown reconciles when its sum is within [LOW, HIGH] x 营业收入 (main business <= operating revenue).
RECONCILE_LOW = 0.5
RECONCILE_HIGH = 1.01
#: Fields of the per-report status record (see :func:`extract_breakdown`).
STATUS_FIELDS = ("result", "format", "kind", "kind_evidence", "method", "breakdown_found", "breakdowns", "pages_read", "table_pages",
                 "unit", "unit_stated", "unit_decided_by", "operating_revenue", "operating_revenue_page",
                 "table_total", "breakdown_checked", "breakdown_sum", "reconciliation_gap", "reconciled",
                 "gaps", "total_gap", "main_business_revenue", "main_business_page", "main_business_gap",
                 "pages_examined", "find_tables_calls")
#: ``result`` values: the breakdown was found and reconciles to 营业收入 / was found but 营业收入 was not
#: found / was found and does not reconcile under any unit / no breakdown table / the file is unreadable.
RESULTS = ("reconciled", "not_checked", "unreconciled", "no_breakdown", "unreadable")
_UNIT_RE = re.compile(r"单位\s*[:：]\s*(?:人民币)?\s*(百万元|千元|万元|亿元|元)")
_NUM_RE = re.compile(r"^[-−–]?\(?[-−–]?\d[\d,]*(\.\d+)?\)?$")
_VALUE_RE = re.compile(r"^[-−–]?\(?[-−–]?\d[\d,]*(\.\d+)?\)?%?$|^[-—–]{1,2}$")
_TOTAL_RE = re.compile(r"合计|总计|小计")
_HEADER_TAIL = re.compile(r"^[（()）%减增加少比上年同期度\-—]*$")


class Extraction(NamedTuple):
    """Result of an extraction: the canonical segment frame, a reason when it is empty, notes, status."""

    segments: pd.DataFrame
    reason: str | None
    notes: tuple[str, ...] = ()
    status: dict = {}


_WHITESPACE = re.compile(r"\s+")


def _clean(text: str | None) -> str:
    """NFKC text without whitespace (the form every cell and line is compared in)."""
    if text is None:
        return ""
    return _clean_str(str(text))


@functools.lru_cache(maxsize=1 << 16)
def _clean_str(text: str) -> str:
    # cells and lines repeat (headers, markers, amounts read by several checks): cached
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text))


def clear_caches() -> None:
    """Forget the texts cleaned so far (a benchmark measures each report as if it were the first)."""
    _clean_str.cache_clear()


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


def _is_value(cell: str) -> bool:
    return bool(_VALUE_RE.match(_clean(cell).replace("−", "-")))


def _header_kind(cell: str) -> tuple[bool, str | None]:
    """(is a breakdown marker, breakdown) for one cell text."""
    s = _clean(cell)
    s = re.sub(r"^主营业务", "", s)
    for key, kind in HEADER_KINDS.items():
        if s == key:
            return True, kind
    return False, None


def _is_title(text: str) -> bool:
    s = _clean(text)
    return bool(s) and (s.endswith("情况") or "说明" in s or s.startswith("主营业务分")
                        or bool(re.match(r"^[(（]?\d+[)）.]", s)))


def _is_rev_label(s: str) -> bool:
    return (s.startswith(("营业收入", "主营业务收入", "主营收入")) and "比上年" not in s and "增减" not in s
            and "占" not in s and "合计" not in s)


def _is_amount_label(s: str) -> bool:
    return s == "金额" or (s.endswith("金额") and len(s) <= 6 and "成本" not in s)


def _header_columns(cells: list[str]) -> dict | None:
    """Revenue / cost positions among the value cells of a header row, by the header's text.

    ``cells`` are the non-empty cells of the row. A leading marker (分行业) or row label is not a column.
    Returns {"rev": i, "cost": j or None, "kind": "sse" | "szse"} or None when the row has no revenue
    column.
    """
    cols = list(cells)
    # the first value column is the first revenue column (营业收入 / 金额): whatever precedes it is a marker,
    # a title or the wrapped tail of a header line above (同比增减) and not a column of the values
    first = next((j for j, c in enumerate(cols) if _is_rev_label(c) or _is_amount_label(c)), None)
    if first is None:
        return None
    cols = cols[first:]
    rev = next((j for j, c in enumerate(cols) if _is_rev_label(c)), None)
    if rev is not None:
        cost = next((j for j, c in enumerate(cols) if c.startswith(("营业成本", "主营业务成本"))
                     and "比上年" not in c and "增减" not in c), None)
        return {"rev": rev, "cost": cost, "kind": "sse"}
    rev = next((j for j, c in enumerate(cols) if _is_amount_label(c)), None)
    if rev is not None and any("营业收入" in c or "收入" in c for c in cols):
        return {"rev": rev, "cost": None, "kind": "szse"}
    return None


class _Walker:
    """Walks rows (lists of cell texts) of consecutive tables, collecting breakdown sections."""

    def __init__(self):
        self.sections: list[dict] = []
        self.cur: dict | None = None      # open section
        self.layout: dict | None = None   # current header columns
        self.pending = ""                 # name fragment waiting for its number row
        self.pending_y: float | None = None
        self.total: tuple[float, float, int] | None = None  # (raw total, unit, page) of the current table
        self.stream_unit: tuple[float, str] | None = None   # unit read from the row stream (TXT/HTML)
        self.lone_marker: str | None = None  # a marker row alone, waiting for its header row
        self.stopped: tuple[int, bool] | None = None  # (page, within it) where reading stopped: complete

    def start_table(self, first_row: list[str]) -> None:
        """A new table: it continues the open section only when it starts with data (or a header tail)."""
        ne = [c for c in (_clean(x) for x in first_row) if c]
        if self.cur is None or not ne:
            return
        data = len(ne) >= 2 and not _is_value(ne[0]) and any(not np.isnan(parse_amount(c)) for c in ne[1:])
        tail = all(_HEADER_TAIL.match(c) for c in ne)
        if not (data or tail):
            self.close()

    def close(self) -> None:
        self.cur = None
        self.pending = ""
        self.pending_y = None

    @property
    def complete(self) -> bool:
        """No section is open and every breakdown (industry, product, region) has one with rows: as only the
        first section of each breakdown is kept, nothing read later can change the result."""
        return self.cur is None and {s["breakdown"] for s in self.sections if s["rows"]} >= set(BREAKDOWNS)

    def pages(self, pages: list[int]):
        """The pages to read, in order, as (page, whether pages were skipped before it); the open section is
        closed across such a gap (a table does not continue over pages not read). Reading ends once the
        breakdown is :attr:`complete`; :attr:`stopped` then says before which page."""
        prev = None
        for pno in pages:
            if self.complete:
                self.stopped = (pno, False)
                return
            gap = prev is not None and pno != prev + 1
            if gap:
                self.close()
            prev = pno
            yield pno, gap

    def row(self, cells: list[str], page: int, unit: tuple[float, str] | None, y: float | None = None) -> None:
        """Consume one row. ``y`` (text mode only) enables joining names wrapped onto two lines.

        ``unit`` is (factor, where) of the 单位 statement in force for this row, or None when unknown.
        """
        ne = [c for c in (_clean(x) for x in cells) if c]
        if not ne:
            return
        text = "".join(ne)
        m = _UNIT_RE.search(text)
        if m and len(text) <= 40 and not any(not np.isnan(parse_amount(c)) for c in ne):
            self.stream_unit = (UNIT_FACTORS[m.group(1)], f"单位 line p{page}")
            return
        if unit is None:
            unit = self.stream_unit
        amounts = [c for c in ne if not np.isnan(parse_amount(c))]
        markers = [(c, k) for c in ne for ok, k in [_header_kind(c)] if ok]
        if not amounts:
            hdr = _header_columns(ne)
            if hdr is not None:
                self.layout = hdr
                if markers:
                    self._open(markers[0][1], unit, page)
                elif self.lone_marker is not None and hdr["kind"] == "sse":
                    self._open(self.lone_marker, unit, page)  # 分行业 on its own line, then its columns
                else:
                    self.close()
                    self.total = None
                self.lone_marker = None
                return
            self.lone_marker = markers[0][1] if markers and len(ne) == 1 else None
            if markers:
                if len(ne) > 1 and not (len(ne) == 2 and _is_title(ne[1])):
                    # a marker heading a table without a revenue column (成本分析表): not a breakdown
                    self.layout = None
                    self.close()
                elif self.layout is not None and self.layout["kind"] == "szse":
                    self._open(markers[0][1], unit, page)
                else:
                    self.close()
                return
            if _is_title(text):
                self.close()
                return
            if self.cur is not None and y is not None and not _HEADER_TAIL.match(text) \
                    and "%" not in text and re.search(r"[\u4e00-\u9fffA-Za-z]", text):
                # a name fragment: glue it to the row just above when close, else keep it as the prefix
                # of the next data row (numbers centred between two name lines).
                last = self.cur["rows"][-1] if self.cur["rows"] else None
                if last is not None and last.get("y") is not None and 0 < y - last["y"] < 14 \
                        and not self.pending:
                    last["segment"] += text
                else:
                    self.pending += text
                    self.pending_y = y
            return
        # a row with amounts: name = the cells before the first value
        k = next(i for i, c in enumerate(ne) if _is_value(c))
        name = "".join(ne[:k])
        values = ne[k:]
        if self.layout is None:
            return
        rev = parse_amount(values[self.layout["rev"]]) if self.layout["rev"] < len(values) else float("nan")
        if np.isnan(rev) or "%" in values[self.layout["rev"]]:
            return
        if self.pending:
            if y is None or (self.pending_y is not None and 0 < y - self.pending_y < 20):
                name = self.pending + name
            self.pending = ""
            self.pending_y = None
        if not name:
            return
        if _TOTAL_RE.search(name) and self.cur is None:
            self.total = (rev, unit, page)   # SZSE 营业收入合计 above the sections
            return
        if self.cur is None:
            return
        c = self.layout["cost"]
        cost = parse_amount(values[c]) if c is not None and c < len(values) else float("nan")
        if _TOTAL_RE.search(name) and self.cur["total"] is None:
            self.cur["total"] = (rev, unit, page)
        if self.cur["unit"] is None and unit is not None:
            self.cur["unit"] = unit
        self.cur["rows"].append({"segment": name, "revenue": rev, "cost": cost, "page": page, "y": y})

    def _open(self, kind: str | None, unit, page: int) -> None:
        self.pending = ""
        if kind is None:  # e.g. 分销售模式: a breakdown we do not use
            self.cur = None
            return
        if self.cur is not None and self.cur["breakdown"] == kind and not self.cur["rows"]:
            return  # a sub-header 主营业务分产品情况 followed by its header row 分产品 | 营业收入 | ...
        self.cur = {"breakdown": kind, "rows": [], "unit": unit, "page": page,
                    "total": self.total if self.layout and self.layout["kind"] == "szse" else None}
        self.sections.append(self.cur)
def _page_units(page, words=None) -> list[tuple[float, float]]:
    """(bottom y, factor) of every 单位：… statement on the page, read line by line from its words."""
    words = page.get_text("words") if words is None else words
    lines: dict[tuple[int, int], list] = {}
    for w in words:
        lines.setdefault((w[5], w[6]), []).append(w)
    out = []
    for ws in lines.values():
        text = "".join(w[4] for w in sorted(ws, key=lambda w: w[0]))
        if "单位" in text:
            m = _UNIT_RE.search(_clean(text))
            if m:
                out.append((max(w[3] for w in ws), UNIT_FACTORS[m.group(1)]))
    return out


def _last_text_unit(text: str) -> float | None:
    """The factor of the last 单位：… statement of a page's text (its lines in reading order), or None: the unit
    in force at the bottom of a page, for a table that starts on the next page. The page's text, already
    extracted, is read instead of the page's words."""
    if not _UNIT_PREFILTER.search(text):
        return None
    for line in reversed(text.split("\n")):
        if "单" in line:
            m = _UNIT_RE.search(_clean(line))
            if m:
                return UNIT_FACTORS[m.group(1)]
    return None


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
        if not cells[1]:
            if _is_title(text) or _header_kind(text)[0]:
                out_rows.append([text])
            else:
                out_rows.append([name])
                geoms[len(out_rows) - 1] = y
            continue
        out_rows.append(cells)
        geoms[len(out_rows) - 1] = y
    top = header_ys[0] if header_ys else (vrows[0][0] if vrows else 0.0)
    return ([(top, out_rows, geoms)] if out_rows else []), cols




# ----------------------------------------------------------------------------- row sources

#: A page can be a candidate only if its raw text has 分行业 or 分产品 (see :func:`analysis.text.normalize.raw_word`).
_MARKER_PREFILTER = re.compile(raw_word("分").pattern + r"\s*(?:" + raw_word("行业").pattern + "|"
                               + raw_word("产品").pattern + ")")
_RAW_REV_TABLE = raw_word("营业收入构成")
_RAW_REV = raw_word("营业收入")
_RAW_COST = raw_word("营业成本")
_RAW_MAIN_REV = raw_word("主营业务收入")
_RAW_KEY_TABLE = raw_word("主要会计数据")


def _candidate_pages(page_texts: list[str]) -> list[int]:
    """1-based pages whose text looks like a revenue breakdown (see the module docstring)."""
    return [pno for pno, raw in enumerate(page_texts, 1) if _is_candidate(raw)]


def _is_candidate(raw: str) -> bool:
    """分行业 or 分产品 together with 营业收入构成, or with 营业收入 and 营业成本 (in the page's clean text)."""
    return bool(raw and _MARKER_PREFILTER.search(raw) and (
        _RAW_REV_TABLE.search(raw) or (_RAW_REV.search(raw) and _RAW_COST.search(raw))))


def _pages_to_read(cands: list[int], n: int) -> list[int]:
    return sorted({p for c in cands for p in (c - 1, c, c + 1) if 1 <= p <= n})


def _cell_text(words, cell) -> str:
    """Text of a table cell from the page's words (centre inside the cell), top to bottom, left to right.

    Reading words once per page replaces a ``get_text(clip=cell)`` per cell (which re-parses the page) and
    avoids the table extractor's own cell text, which scrambles thousands separators in some reports.
    """
    x0, y0, x1, y1 = cell
    inside = [w for w in words if x0 <= (w[0] + w[2]) / 2 <= x1 and y0 <= (w[1] + w[3]) / 2 <= y1]
    inside.sort(key=lambda w: (round((w[1] + w[3]) / 2), w[0]))
    return _clean("".join(w[4] for w in inside))


_SECTION_HEADING = re.compile(r"营业收入构成|主营业务分行业[、及和]|主营业务构成")


def _is_section_heading(line: str) -> bool:
    """The title of a breakdown table (not its 说明 paragraph heading, not a cross-reference)."""
    t = _clean(line)
    return bool(_SECTION_HEADING.search(t)) and "说明" not in t and len(t) <= 40


def _section_top(words) -> float | None:
    """Top y of the breakdown's heading on a page (营业收入构成, 主营业务分行业、分产品…), or None.

    The table finder then looks only below it (about half the time of a whole page); a page without
    the heading (a table continued from the page before) is searched whole.
    """
    lines: dict[tuple[int, int], list] = {}
    for w in words:
        lines.setdefault((w[5], w[6]), []).append(w)
    tops = [min(w[1] for w in ws) for ws in lines.values()
            if _is_section_heading("".join(w[4] for w in sorted(ws, key=lambda w: w[0])))]
    return min(tops) - 2 if tops else None


#: Text of a table band that may hold (part of) a breakdown: a marker (分行业 / 分产品 / 分地区 / 分业务) or a
#: revenue column's header (营业收入, 主营业务收入, 金额); prefixes, as header cells wrap over lines.
_BAND_RELEVANT = re.compile(r"分(?:行|产|地|业务)|营业收|主营业务收|金额")
#: Vertical tolerance (pt) when vector graphics are merged into bands, and margin around the region searched.
BAND_GAP = 4.0
REGION_MARGIN = 3.0


def _bands(drawings, y_from: float) -> list[list]:
    """The groups of vector graphics (:meth:`pymupdf.Page.get_cdrawings`) below ``y_from``, one per table grid
    (a table's rules touch each other; groups closer than :data:`BAND_GAP` are one), top to bottom:
    [[y0, y1, [drawing, ...]], ...]."""
    out: list[list] = []
    for d in sorted((d for d in drawings if d["rect"][3] >= y_from), key=lambda d: d["rect"][1]):
        y0, y1 = d["rect"][1], d["rect"][3]
        if out and y0 <= out[-1][1] + BAND_GAP:
            out[-1][1] = max(out[-1][1], y1)
            out[-1][2].append(d)
        else:
            out.append([y0, y1, [d]])
    return out


def _breakdown_bands(bands: list[list], words, continued: bool) -> list[list]:
    """The bands that can hold the breakdown: from the first whose words read as part of one
    (:data:`_BAND_RELEVANT`; on a page where a section is still open from the page before, ``continued``, the
    first band: the table's continuation) to the last such band. Tables below it (产销量, 成本分析 …) are not
    read."""
    relevant = [i for i, (y0, y1, _) in enumerate(bands)
                if (continued and i == 0) or _BAND_RELEVANT.search(_clean("".join(
                    w[4] for w in words if y0 - REGION_MARGIN <= (w[1] + w[3]) / 2 <= y1 + REGION_MARGIN)))]
    return bands[relevant[0]:relevant[-1] + 1] if relevant else []


def _table_region(page, words, top: float | None, continued: bool):
    """(clip, paths) for the table finder: only the part of the page that can hold the breakdown, the bands of
    :func:`_breakdown_bands` below the section's heading (``top``; the whole page when there is none), with only
    the graphics inside it. Returns (None, None) when no band qualifies (nothing to search), and the
    heading-only clip without graphics on a rotated page (coordinates there are the finder's own).
    """
    y_from = top if top is not None else page.rect.y0
    if page.rotation:
        return (page.rect.x0, y_from, page.rect.x1, page.rect.y1), None
    chosen = _breakdown_bands(_bands(page.get_cdrawings(), y_from), words, continued)
    if not chosen:
        return None, None
    y0 = max(y_from, chosen[0][0] - REGION_MARGIN)
    y1 = min(page.rect.y1, chosen[-1][1] + REGION_MARGIN)
    sel = [p for p in page.get_drawings() if p["rect"].y1 >= y0 - REGION_MARGIN and p["rect"].y0 <= y1 + REGION_MARGIN]
    return (page.rect.x0, y0, page.rect.x1, y1), sel


#: Ruled-grid reader (``method="grid"``): rules closer than GRID_SNAP pt are one rule, pieces of one rule with
#: gaps up to GRID_JOIN pt are one piece, and a stroke shorter than GRID_MIN_EDGE pt is not a rule.
GRID_SNAP = 3.0
GRID_JOIN = 3.0
GRID_MIN_EDGE = 3.0


def _snap_join(edges: list[tuple[float, float, float]]) -> list[tuple[float, list[list[float]]]]:
    """Rules from strokes (position, start, end): strokes whose positions are within :data:`GRID_SNAP` of the
    previous one form one rule at their mean position; its pieces that overlap or lie within
    :data:`GRID_JOIN` of each other are joined. Returns [(position, [[start, end], ...])] sorted by position."""
    groups: list[list[tuple[float, float, float]]] = []
    for e in sorted(edges):
        if groups and e[0] - groups[-1][-1][0] <= GRID_SNAP:
            groups[-1].append(e)
        else:
            groups.append([e])
    out = []
    for g in groups:
        pieces: list[list[float]] = []
        for _, a, b in sorted(g, key=lambda e: e[1]):
            if pieces and a <= pieces[-1][1] + GRID_JOIN:
                pieces[-1][1] = max(pieces[-1][1], b)
            else:
                pieces.append([a, b])
        out.append((sum(e[0] for e in g) / len(g), pieces))
    return out


def _rules(drawings):
    """Horizontal and vertical rules of some vector graphics (one band's, :func:`_bands`).

    Every straight stroke counts: a line, each side of a rectangle or quad (filled or stroked: reports draw
    rules as thin filled rectangles and shade cells with filled boxes, whose sides are the cell's borders).
    Curves are not rules. Returns (horizontal, vertical) as :func:`_snap_join` rules.
    """
    hs: list[tuple[float, float, float]] = []
    vs: list[tuple[float, float, float]] = []
    for d in drawings:
        for it in d["items"]:
            kind = it[0]
            if kind == "l":
                segs = ((it[1][0], it[1][1], it[2][0], it[2][1]),)
            elif kind in ("re", "qu"):
                if kind == "re":
                    a, b, c, e = it[1]
                else:
                    xs, ys = [q[0] for q in it[1]], [q[1] for q in it[1]]
                    a, b, c, e = min(xs), min(ys), max(xs), max(ys)
                if e - b <= 1:  # a rule drawn as a thin rectangle: its long sides snap to one rule
                    segs = ((a, (b + e) / 2, c, (b + e) / 2),)
                elif c - a <= 1:
                    segs = (((a + c) / 2, b, (a + c) / 2, e),)
                else:
                    segs = ((a, b, c, b), (a, e, c, e), (a, b, a, e), (c, b, c, e))
            else:
                continue
            for ax, ay, bx, by in segs:
                if abs(ay - by) <= 1 and abs(bx - ax) >= GRID_MIN_EDGE:
                    hs.append(((ay + by) / 2, min(ax, bx), max(ax, bx)))
                elif abs(ax - bx) <= 1 and abs(by - ay) >= GRID_MIN_EDGE:
                    vs.append(((ax + bx) / 2, min(ay, by), max(ay, by)))
    return _snap_join(hs), _snap_join(vs)


def _covers(pieces, a: float, b: float) -> bool:
    """A rule's pieces run (within :data:`GRID_SNAP`) from a to b."""
    for p0, p1 in pieces:
        if p0 - GRID_SNAP <= a and p1 + GRID_SNAP >= b:
            return True
    return False


def _grid_cells(hs, vs) -> list[tuple[float, float, float, float]]:
    """The cells of a ruled table: the smallest rectangles whose four corners are crossings of a horizontal
    and a vertical rule and whose four sides are drawn (the construction of pdfplumber's and pymupdf's
    "lines" strategy). A merged cell is one cell; cell shading inset from the rules adds thin empty cells; a
    cell that would overlap one found before (shading rules inside a merged cell) is not a cell."""
    xs = [x for x, _ in vs]
    ys = [y for y, _ in hs]
    cross = {(i, j) for j, (y, hp) in enumerate(hs) for i, (x, vp) in enumerate(vs)
             if _covers(vp, y, y) and _covers(hp, x, x)}
    cells = []
    taken: set[tuple[int, int]] = set()  # (column, row) slots of the grid inside a cell already found
    for i, j in sorted(cross, key=lambda t: (t[1], t[0])):
        if (i, j) in taken:
            continue
        found = None
        for jb in range(j + 1, len(ys)):
            if (i, jb) not in cross:
                continue
            if not _covers(vs[i][1], ys[j], ys[jb]):
                break  # the left side is not drawn further down
            for ir in range(i + 1, len(xs)):
                if (ir, j) not in cross:
                    continue
                if not _covers(hs[j][1], xs[i], xs[ir]):
                    break  # the top side is not drawn further right
                if (ir, jb) in cross and _covers(vs[ir][1], ys[j], ys[jb]) and _covers(hs[jb][1], xs[i], xs[ir]):
                    found = (i, j, ir, jb)
                    break
            if found:
                break
        if found:
            i, j, ir, jb = found
            slots = {(a, b) for a in range(i, ir) for b in range(j, jb)}
            if slots & taken:
                continue  # it would overlap a cell found before (rules of cell shading inside a merged cell)
            taken |= slots
            cells.append((xs[i], ys[j], xs[ir], ys[jb]))
    return cells


def _grid_table(words, hs, vs) -> list[list[str]]:
    """Rows of cell texts of one ruled table (:func:`_grid_cells`): the cells that start at the same height
    are a row, read left to right; a cell's text is the words whose centre lies inside it."""
    rows: dict[float, list] = {}
    for c in _grid_cells(hs, vs):
        rows.setdefault(c[1], []).append(c)
    ws = sorted(words, key=lambda w: w[1] + w[3])
    centres = [(w[1] + w[3]) / 2 for w in ws]
    out = []
    for top, cs in sorted(rows.items()):
        # only the words at the height of this row's cells are looked at
        near = ws[bisect.bisect_left(centres, top):bisect.bisect_right(centres, max(c[3] for c in cs))]
        out.append([_cell_text(near, c) for c in sorted(cs)])
    return out


def _grid_tables(page, words, top: float | None, continued: bool, drawings):
    """Tables of a page read from its ruled grid (``method="grid"``), in the region :func:`_table_region`
    would search: (top y, rows, {}) for each band of vector graphics (:func:`_breakdown_bands`), top to bottom, each
    read when it is asked for (the reader may stop before the tables below)."""
    y_from = top if top is not None else page.rect.y0
    for _, _, band in _breakdown_bands(_bands(drawings, y_from), words, continued):
        hs, vs = _rules(band)
        rows = _grid_table(words, hs, vs)
        if rows:
            yield hs[0][0], rows, {}


_UNIT_PREFILTER = re.compile(r"单\s*位")
#: PDF methods in the order ``method="auto"`` tries them: the first whose breakdown reconciles is taken, else the
#: first that found one. The ruled grid reads almost every report (and costs a fraction of the table finder);
#: the table finder reads rules the grid cannot (a rotated page); word positions read tables without rules.
AUTO_METHODS = ("grid", "table", "text")


def _pdf_rows(doc, pages: list[int], method: str, walker: _Walker, notes: list[str],
              cands: set[int] | None = None, counts: dict | None = None, texts: list[str] | None = None,
              page_words: dict[int, list] | None = None) -> None:
    """Feed the walker with the rows of the given PDF pages (ruled grid, table finder or word positions).

    With ``cands`` (the candidate pages), a page that is not a candidate is read in full only when a
    section is still open at its top (a table continued from the page before); otherwise only its unit
    statements are read (a 单位 line above a table that starts on the next page), and not even these when
    its text (``texts``, the page texts already extracted) has no 单位. The table finder searches only the
    region of the page that can hold the breakdown (:func:`_table_region`). ``counts`` receives the number of
    pages read in full and of table-finder calls.
    """
    unit_carry: tuple[float, str] | None = None
    text_cols = None
    counts = counts if counts is not None else {}
    for pno, gap in walker.pages(pages):
        if gap:
            unit_carry = None
        if cands is not None and pno not in cands and walker.cur is None:
            if texts is not None:
                unit = _last_text_unit(texts[pno - 1])
            else:
                units = _page_units(doc[pno - 1])
                unit = max(units)[1] if units else None
            if unit is not None:
                unit_carry = (unit, f"单位 line p{pno} (page before the table)")
            continue
        page = doc[pno - 1]
        counts["pages"] = counts.get("pages", 0) + 1
        # the text stage's words of the page (the same call on the same page), else read here
        words = page_words[pno] if page_words and pno in page_words else page.get_text("words")
        if method == "grid":
            top = _section_top(words) if walker.cur is None else None
            tables = [] if page.rotation else _grid_tables(page, words, top, walker.cur is not None,
                                                           page.get_cdrawings())
        elif method == "table":
            tables = []
            top = _section_top(words) if walker.cur is None else None
            clip, paths = _table_region(page, words, top, walker.cur is not None)
            if clip is not None:
                counts["find_tables"] = counts.get("find_tables", 0) + 1
                found = page.find_tables(use_layout=False, clip=clip, paths=paths).tables
                for t in found:
                    rows = [[_cell_text(words, c) if c is not None else "" for c in r.cells] for r in t.rows]
                    tables.append((t.bbox[1], rows, {}))
        else:
            tables, text_cols = _text_tables(page, text_cols if walker.cur is not None else None)
        units = _page_units(page, words)
        for y_top, rows, geoms in tables:
            if not rows:
                continue
            above = [(y1, f) for y1, f in units if y1 <= y_top + 2]
            unit = (max(above)[1], f"单位 line p{pno}") if above else unit_carry
            walker.start_table(rows[0])
            if walker.complete:  # this table does not continue the last section, and all are complete
                walker.stopped = (pno, True)
                return
            for i, cells in enumerate(rows):
                walker.row(cells, pno, unit, geoms.get(i))
        if units:
            unit_carry = (max(units)[1], f"单位 line p{pno} (page before the table)")


_CELL_TAIL = re.compile(r"^(?:[减增](?:少|加)?-?[\d.]*(?:个百分点|百分点|个)?(?:[(（]%[)）])?"
                        r"|-?[\d.]*(?:个百分点|百分点|个|[(（]?%[)）]?)|不适用)$")
_HEADER_WORD = re.compile(r"^[营业收入成本毛利率比上年同期增减少加%()（）占重金额度例0-9]+$")


def _line_rows(page_texts: list[str], walker: _Walker, pages: list[int]) -> None:
    """Feed the walker with the lines of text pages (TXT, JSON-lines).

    Two layouts are read: a whitespace-aligned table (one table row per line: the words before the first
    value are the name, then the values) and text extracted cell by cell (one cell per line, as in page
    corpora made from PDFs). Consecutive text-only lines are one row until values follow (a header's
    cells, a name wrapped over lines), values-only lines continue the row above; a 单位 line, a breakdown
    marker and a title are rows of their own.
    """
    for pno, _ in walker.pages(pages):
        buf: list[str] | None = None
        buf_y = 0.0
        buf_values = False

        def flush():
            nonlocal buf, buf_values
            if buf is not None:
                walker.row(buf, pno, None, y=buf_y)
            buf, buf_values = None, False

        for i, ln in enumerate(page_texts[pno - 1].split("\n")):
            toks = unicodedata.normalize("NFKC", ln).split()
            if not toks:
                continue
            y = 15.0 * i
            k = next((j for j, t in enumerate(toks) if _is_value(t)), len(toks))
            if 0 < k < len(toks):  # name and values on one line
                flush()
                walker.row(["".join(toks[:k])] + toks[k:], pno, None, y=y)
                continue
            if k == 0:  # values only: they continue the row above
                if buf is None:
                    buf, buf_y = [""], y
                buf.extend(toks)
                buf_values = True
                continue
            text = "".join(toks)
            if _UNIT_RE.search(text) or _header_kind(text)[0] or _is_title(text):
                flush()
                walker.row([text], pno, None, y=y)
                continue
            if buf is not None and buf_values and _CELL_TAIL.match(text):
                continue  # the wrapped end of the row's last cell (减少3.96 / 个百分点)
            if buf is None and _HEADER_TAIL.match(text):
                continue  # the wrapped tail of a header on the page before (（%）)
            if buf is not None and not buf_values and any(_is_rev_label(c) or _is_amount_label(c) for c in buf) \
                    and not _HEADER_WORD.match(text):
                flush()  # a complete header row, and this line is the first data row's name
            if buf is not None and not buf_values:
                buf.extend(toks)
            else:
                flush()
                buf, buf_y = list(toks), y
        flush()


_TABLE_RE = re.compile(r"<table\b.*?</table\s*>", re.IGNORECASE | re.DOTALL)
_TR_RE = re.compile(r"<tr\b.*?(?:</tr\s*>|(?=<tr\b)|$)", re.IGNORECASE | re.DOTALL)
_TD_RE = re.compile(r"<t[dh]\b[^>]*>(.*?)(?=<t[dh]\b|</tr|$)", re.IGNORECASE | re.DOTALL)
_TAG_RE = re.compile(r"<[^>]+>")


def _html_text(s: str) -> str:
    return _html.unescape(_TAG_RE.sub(" ", s))


def html_blocks(doc: str) -> list[tuple[str, object]]:
    """HTML as a list of ("text", line) and ("table", rows of cell texts), in document order."""
    out: list[tuple[str, object]] = []
    pos = 0
    for m in _TABLE_RE.finditer(doc):
        before = re.sub(r"<br\s*/?>|</(?:p|h\d?|div|li)>", "\n", doc[pos:m.start()], flags=re.IGNORECASE)
        out.extend(("text", ln) for ln in _html_text(before).split("\n") if ln.strip())
        rows = [[_html_text(td) for td in _TD_RE.findall(tr)] for tr in _TR_RE.findall(m.group(0))]
        out.append(("table", [r for r in rows if any(c.strip() for c in r)]))
        pos = m.end()
    tail = re.sub(r"<br\s*/?>|</(?:p|h\d?|div|li)>", "\n", doc[pos:], flags=re.IGNORECASE)
    out.extend(("text", ln) for ln in _html_text(tail).split("\n") if ln.strip())
    return out


def _html_rows(blocks: dict[int, list], walker: _Walker, pieces: list[int]) -> None:
    """Feed the walker with the blocks of the given HTML pieces (:func:`html_blocks` by piece), in order; text
    lines are rows of one cell, table rows rows of cells, all on page 1."""
    for k, _ in walker.pages(pieces):
        for kind, item in blocks.get(k, ()):
            if kind == "text":
                walker.row([item], 1, None)
            elif item:
                walker.start_table(item[0])
                for cells in item:
                    walker.row(cells, 1, None)


# ----------------------------------------------------------------------------- key figures

_KEY_REV = re.compile(r"营业(?:总)?收入(?:[(（](?:人民币)?(百万元|千元|万元|亿元|元)[)）])?(?:注\d*)?"
                      r"[^\d\-]{0,12}?(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+\.\d+)(?![\d,])")
def _squeeze(text: str) -> str:
    """NFKC text with whitespace removed except between two numbers (which stay one space apart)."""
    t = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", lambda m: " " if m.start() > 0 and m.end() < len(t) and t[m.start() - 1] in "0123456789%"
                  and (t[m.end()].isdigit() or t[m.end()] in "-(") else "", t)


#: How many leading pages may hold the key-figures table (主要会计数据; its table may start on the next page).
KEY_FIGURES_PAGES = 30


#: The leading pages the breakdown reads besides the candidate pages: key figures (and the page after), kind.
FACT_PAGES = max(KEY_FIGURES_PAGES + 1, KIND_PAGES)


def key_figures(page_texts: list[str], max_pages: int = KEY_FIGURES_PAGES) -> dict | None:
    """营业收入 of the key-figures table (主要会计数据), in yuan, with its page and unit.

    The first page (among the first ``max_pages``) that has 主要会计数据 and a 营业收入 row followed by an
    amount; the unit is the one in the row label (营业收入（元）) or the last 单位 statement before the
    row on that page (else 元, which the status records as assumed). None when not found.
    """
    for pno, raw in enumerate(page_texts[:max_pages], 1):
        if not _RAW_KEY_TABLE.search(raw):
            continue
        t = _squeeze(raw)
        i = t.find("主要会计数据")
        if i < 0:
            continue
        m = _KEY_REV.search(t, i)
        if m is None and pno < len(page_texts):  # the table starts on the next page
            nxt = _squeeze(page_texts[pno])
            m = _KEY_REV.search(nxt)
            if m is not None and m.start() < 600:
                pno, t = pno + 1, nxt
            else:
                m = None
        if m is None:
            continue
        if m.group(1):
            unit, where = m.group(1), "row label"
        else:
            units = list(_UNIT_RE.finditer(t, 0, m.start()))
            unit, where = (units[-1].group(1), "单位 line") if units else ("元", "assumed (no 单位 line)")
        return {"value": parse_amount(m.group(2)) * UNIT_FACTORS[unit], "raw": m.group(2), "page": pno,
                "unit": unit, "unit_where": where}
    return None


# ----------------------------------------------------------------------------- reconciliation

def _unit_name(f: float | None) -> str:
    return next((k for k, v in UNIT_FACTORS.items() if v == f), "") if f is not None else ""


def _decide_unit(raw_sum: float, stated: tuple[float, str] | None, total: float | None):
    """(factor, how decided, gap) for a section whose raw values add to ``raw_sum``.

    ``total`` is the operating revenue in yuan (None when the key figures were not found).
    """
    f_st = stated[0] if stated else None
    where = stated[1] if stated else "no 单位 statement found"
    if total is None or not total or not np.isfinite(raw_sum):
        f = f_st if f_st is not None else 1.0
        how = f"stated ({where}), not reconciled: 营业收入 not found" if f_st is not None \
            else "assumed 元 (no 单位 statement, 营业收入 not found): NOT CHECKED"
        return f, how, float("nan")

    def ok(f):
        return RECONCILE_LOW <= raw_sum * f / total <= RECONCILE_HIGH

    if f_st is not None and ok(f_st):
        return f_st, f"stated ({where}), reconciled to 营业收入", raw_sum * f_st / total - 1
    passing = [f for f in UNIT_FACTORS.values() if ok(f)]
    if passing:
        f = min(passing, key=lambda x: abs(np.log(raw_sum * x / total)))
        if f_st is None:
            how = f"decided by reconciliation to 营业收入 ({_unit_name(f)}; no 单位 statement found)"
        else:
            how = (f"unit corrected by reconciliation: stated {_unit_name(f_st)} ({where}) is off by a factor "
                   f"{f / f_st:g}; {_unit_name(f)} used")
        return f, how, raw_sum * f / total - 1
    f = f_st if f_st is not None else 1.0
    return f, f"stated ({where}) but does not reconcile to 营业收入 under any unit", raw_sum * f / total - 1


def _is_total_name(name: str) -> bool:
    return bool(_TOTAL_RE.search(name)) or name in ("营业收入", "主营业务收入", "主营业务")


# ----------------------------------------------------------------------------- driver

def _infer_firm_year(path: Path) -> tuple[str | None, int | None]:
    m = re.match(r"^(\d{6})[_\-](\d{4})(?![0-9])", path.name)
    return (m.group(1), int(m.group(2))) if m else (None, None)


def report_format(path: Path) -> str:
    s = path.suffix.lower()
    return {".pdf": "pdf", ".txt": "txt", ".htm": "html", ".html": "html", ".jsonl": "jsonl"}.get(s, s.lstrip("."))


def _text_of(path: Path, fmt: str) -> list[str]:
    """The pages of a non-PDF report read from its file: a TXT or JSON-lines report's pages, an HTML report's
    pieces (:func:`analysis.text.pdf.html_pages`)."""
    from analysis.text.pdf import decode_bytes, html_pages, read_jsonl_pages, split_text_pages, text_pages
    if fmt == "jsonl":
        return text_pages(read_jsonl_pages(path))
    data = path.read_bytes()
    if fmt == "html":
        return html_pages(decode_bytes(data, html=True))
    return text_pages(split_text_pages(decode_bytes(data)))


def _piece_text(blocks) -> str:
    """The text of an HTML piece's blocks (:func:`html_blocks`): its lines, and a line per table row."""
    return "\n".join(str(x) if k == "text" else "\n".join(" ".join(r) for r in x) for k, x in blocks)


def extract_breakdown_pages(pdf: str | Path, pages, firm: str | None = None, year: int | None = None,
                            method: str = "auto") -> Extraction:
    """Extract breakdown rows from the given 1-based pages only (an iterable or range), in order.

    ``method``: "table" (pymupdf's table finder), "text" (word positions) or "auto" (table, falling back
    to text when the table finder yields no breakdown row); ignored for TXT/HTML/JSON-lines. Firm and year
    default to the file name pattern ``<6-digit code>_<year>...``.
    """
    return _extract_report(Path(pdf), firm, year, method, pages=list(pages))


def extract_breakdown(pdf: str | Path, firm: str | None = None, year: int | None = None,
                      method: str = "auto", page_texts: list[str] | None = None,
                      page_words: dict[int, list] | None = None) -> Extraction:
    """Find the breakdown table anywhere in the report, extract and reconcile it (module docstring).

    ``page_texts``: the text of every page when the text stage has already read it
    (:attr:`analysis.text.pdf.Extraction.raw_pages`: a PDF's raw pages, a TXT or JSON-lines report's pages,
    an HTML report's pieces);
    the report is then not read a second time (a PDF is opened only for the tables of candidate pages).
    ``page_words``: the words of some PDF pages (:attr:`analysis.text.pdf.Extraction.page_words`), used instead
    of reading them from the page again. The returned ``status`` dict has the fields :data:`STATUS_FIELDS`.
    """
    return _extract_report(Path(pdf), firm, year, method, pages=None, page_texts=page_texts,
                           page_words=page_words)


def _empty(reason: str, notes=(), status: dict | None = None, result: str = "unreadable") -> Extraction:
    st = {k: None for k in STATUS_FIELDS}
    st["breakdown_found"] = False
    st["result"] = result
    st.update(status or {})
    return Extraction(empty_segments(), reason, tuple(notes), st)


def _extract_report(path: Path, firm, year, method: str, pages: list[int] | None,
                    page_texts: list[str] | None = None, page_words: dict[int, list] | None = None) -> Extraction:
    if method not in ("auto", *AUTO_METHODS):
        raise ValueError(f"method must be one of {('auto', *AUTO_METHODS)}, not {method!r}")
    fmt = report_format(path)
    f0, y0 = _infer_firm_year(path)
    firm = firm if firm is not None else f0
    year = year if year is not None else y0
    if firm is None or year is None:
        return _empty(f"firm/year unknown for {path.name}: pass firm= and year=", status={"format": fmt})
    firm = str(firm).zfill(6)
    if fmt == "pdf":
        return _extract_pdf(path, firm, int(year), method, pages, page_texts, page_words)
    if fmt not in ("txt", "html", "jsonl"):
        return _empty(f"{path.name}: unsupported report format {fmt!r}", status={"format": fmt})
    try:
        # the text stage's pages (the same pages, already read), else the file
        texts = list(page_texts) if page_texts is not None else _text_of(path, fmt)
    except (OSError, ValueError) as exc:
        return _empty(f"{path.name}: {fmt} report cannot be read ({exc})", status={"format": fmt})
    n = len(texts)
    cands = _candidate_pages(texts)
    pages_read = [p for p in (pages or _pages_to_read(cands, n)) if 1 <= p <= n]
    walker = _Walker()
    if fmt == "html":
        # pieces (text before a table and the table): their blocks, and their text for the key figures / kind
        blocks = {p: html_blocks(texts[p - 1]) for p in sorted(set(range(1, min(n, FACT_PAGES) + 1)) | set(pages_read))
                  if texts[p - 1]}
        kf = _report_facts([_piece_text(blocks[p]) if p in blocks else "" for p in range(1, n + 1)])
        _html_rows(blocks, walker, pages_read)
    else:
        kf = _report_facts(texts)
        _line_rows(texts, walker, pages_read)
    # an HTML report has one page: its rows are on p1 (the pieces read are an internal division)
    return _finish(walker, [], path.name, firm, int(year), kf, fmt, "lines" if fmt != "html" else "html",
                   pages_read if fmt != "html" else [1], n if fmt != "html" else 1)


def _stop_note(page: int, mid_page: bool, html: bool) -> str:
    """Where reading stopped (:attr:`_Walker.stopped`), as a note."""
    where = (f"the HTML after its table {page - 1}" if html else
             f"p{page} from its next table on, and the pages after it," if mid_page else f"pages from p{page} on")
    return (f"{where} not read: the industry, product and region breakdowns were complete "
            "(only the first table of each is used)")


def _extract_pdf(path: Path, firm: str, year: int, method: str, pages: list[int] | None,
                 page_texts: list[str] | None = None, page_words: dict[int, list] | None = None) -> Extraction:
    try:
        import pymupdf
    except ImportError as exc:  # pragma: no cover
        return _empty(f"pymupdf not available: {exc}")
    texts = kf = None
    cand_set = None
    if page_texts is not None and pages is None:
        # the text stage's pages: the candidates are known before the PDF is opened, and a report without
        # any is done without opening it
        texts = list(page_texts)
        kf = _report_facts(texts)
        cands = _candidate_pages(texts)
        if not cands:
            return _no_candidates(path, kf)
        cand_set = set(cands)
    try:
        doc = pymupdf.open(path)
    except Exception as exc:  # noqa: BLE001 - any open failure is a reason, not a crash
        return _empty(f"cannot open {path.name}: {type(exc).__name__}: {exc}", status={"format": "pdf"})
    try:
        n = doc.page_count
        if texts is not None and len(texts) != n:  # not this file's pages after all: read them
            texts = kf = cand_set = page_words = None
        if texts is None:
            texts = [doc[i].get_text() for i in range(n)]
            kf = _report_facts(texts)
        if pages is None:
            if cand_set is None:
                cand_set = set(_candidate_pages(texts))
                if not cand_set:
                    return _no_candidates(path, kf)
            pages = _pages_to_read(sorted(cand_set), n)
        pages = [int(p) for p in pages if 1 <= int(p) <= n]
        if not pages:
            return _empty(f"no valid page in the range asked ({path.name} has {n} pages)", status={"format": "pdf"})
        methods = list(AUTO_METHODS) if method == "auto" else [method]
        notes: list[str] = []
        counts: dict = {}
        first = None
        for m in methods:
            walker = _Walker()
            try:
                _pdf_rows(doc, pages, m, walker, notes, cand_set, counts, texts, page_words)
            except Exception as exc:  # noqa: BLE001
                notes.append(f"{m}: failed with {type(exc).__name__}: {exc}")
                continue
            ex = _finish(walker, list(notes), path.name, firm, year, kf, "pdf", m, pages, n)
            ex.status["pages_examined"] = counts.get("pages", 0)
            ex.status["find_tables_calls"] = counts.get("find_tables", 0)
            if ex.status["result"] == "reconciled":
                return ex
            if len(ex.segments):
                if first is None:
                    first, first_k = ex, len(notes)
                if len(methods) > 1:
                    notes.append(f"{m}: a breakdown that does not reconcile ({ex.status['result']})"
                                 + (", next method tried" if m != methods[-1] else ""))
        if first is not None:  # none reconciles: the first method's breakdown, with what the others found
            return first._replace(notes=first.notes + tuple(notes[first_k:]))
        has_text = any(texts[p - 1].strip() for p in pages)
        why = ("no text layer on these pages (scanned report?)" if not has_text else
               "no 分行业/分产品 revenue table with a 营业收入 column found")
        return _empty(f"{path.name} pages {pages[0]}-{pages[-1]}: {why}", notes,
                      _kf_status({"format": "pdf", "pages_read": _pages_str(pages)}, kf),
                      result="no_breakdown" if has_text else "unreadable")
    except Exception as exc:  # noqa: BLE001
        return _empty(f"{path.name}: unreadable ({type(exc).__name__}: {exc})", status={"format": "pdf"})
    finally:
        doc.close()


def _no_candidates(path: Path, kf: dict) -> Extraction:
    return _empty(f"{path.name}: no page mentions 分行业/分产品 with 营业收入 and 营业成本",
                  status=_kf_status({"format": "pdf", "pages_read": ""}, kf), result="no_breakdown")


class BreakdownPages:
    """The pages the breakdown reads (a PDF's raw pages, a TXT or JSON-lines report's pages), kept by the text
    stage (:meth:`TextCache.put_pages`): the first
    :data:`FACT_PAGES` (key figures, kind of firm) and every candidate page with its neighbours. A
    breakdown given these pages (all others empty) finds what it finds on the whole report."""

    @property
    def version(self) -> str:
        """The digest of the breakdown's code (:func:`_code_version`): pages chosen by other code are not used."""
        return _code_version()

    @staticmethod
    def words_for(page_text: str) -> bool:
        """A candidate page: the text stage keeps its words (and the next page's), read from the same text
        page as its text, so that the breakdown does not parse the page a second time."""
        return _is_candidate(page_text)

    @staticmethod
    def select(page_texts: list[str]) -> list[int]:
        n = len(page_texts)
        first = range(1, min(n, FACT_PAGES) + 1)
        return sorted(set(first) | set(_pages_to_read(_candidate_pages(page_texts), n)))


def _pages_str(pages) -> str:
    return ",".join(str(p) for p in pages)


_MAIN_REV = re.compile(r"主营业务收入(?:为|达到|达|实现|合计)?(?:人民币)?(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?)"
                       r"(亿元|万元|元)")


def stated_main_revenue(texts: list[str], pages: list[int]) -> dict | None:
    """主营业务收入 stated in the MD&A prose next to the breakdown ("公司实现主营业务收入156,732万元"), in yuan.

    The first statement on the given pages (the breakdown's candidate pages and their neighbours); None
    when the report states none there. A second reference: the breakdown covers main business, which
    the key-figures 营业收入 exceeds by the other-business revenue.
    """
    for pno in pages:
        if not 1 <= pno <= len(texts) or not _RAW_MAIN_REV.search(texts[pno - 1]):
            continue
        t = _squeeze(texts[pno - 1])
        for m in _MAIN_REV.finditer(t):
            before = t[max(0, m.start() - 14):m.start()]
            # the company's own figure: "公司(实现)主营业务收入", not a subsidiary's, a segment's or last year's
            if "公司" in before and not re.search(r"子公司|分公司|酒店|事业部|板块|上年|去年|同期", before):
                return {"value": parse_amount(m.group(1)) * UNIT_FACTORS[m.group(2)], "raw": m.group(0),
                        "page": pno}
    return None


def _report_facts(texts: list[str]) -> dict:
    """Key figures (营业收入) and the kind of firm, read once from the report's page texts."""
    from analysis.text.reports import report_kind
    kf = key_figures(texts)
    kind, ev = report_kind(texts)
    return {"kf": kf, "kind": kind, "kind_evidence": ev, "texts": texts}


def _kf_status(st: dict, facts: dict) -> dict:
    kf = facts.get("kf")
    st["operating_revenue"] = kf["value"] if kf else None
    st["operating_revenue_page"] = kf["page"] if kf else None
    st["kind"] = facts.get("kind")
    st["kind_evidence"] = facts.get("kind_evidence")
    return st


def _finish(walker: _Walker, notes: list[str], fname: str, firm: str, year: int, kf: dict,
            fmt: str, method: str, pages_read: list[int], n_pages: int) -> Extraction:
    """Keep the first section per breakdown, decide units by reconciliation, build frame and status."""
    if walker.stopped is not None:
        notes.append(_stop_note(*walker.stopped, html=fmt == "html"))
    total = kf["kf"]["value"] if kf.get("kf") else None
    seen: set[str] = set()
    out = []
    st = _kf_status({"format": fmt, "method": method, "pages_read": _pages_str(pages_read)}, kf)
    decided: dict[str, tuple] = {}
    for sec in walker.sections:
        if not sec["rows"]:
            continue
        if sec["breakdown"] in seen:
            notes.append(f"later {sec['breakdown']} table on p{sec['rows'][0]['page']} ignored (first one kept)")
            continue
        seen.add(sec["breakdown"])
        raw_sum = sum(r["revenue"] for r in sec["rows"] if not _is_total_name(r["segment"]))
        f, how, gap = _decide_unit(raw_sum, sec["unit"], total)
        decided[sec["breakdown"]] = (f, how, gap, raw_sum, sec)
        for r in sec["rows"]:
            out.append({"firm": firm, "year": year, "breakdown": sec["breakdown"], "segment": r["segment"],
                        "revenue": r["revenue"] * f, "cost": r["cost"] * f,
                        "source": f"report:{fname}#p{r['page']}"})
    if not out:
        why = "no 分行业/分产品 revenue table with a 营业收入 column found"
        if kf.get("kf") is None and not walker.sections:
            why += f"; nor a 营业收入 in 主要会计数据: the {fmt} content does not parse as a report"
        return _empty(f"{fname}: {why}", notes, st, result="no_breakdown" if kf.get("kf") else "unreadable")
    dtypes = {"year": "int64", "revenue": "float64", "cost": "float64"}
    frame = pd.DataFrame({c: pd.Series([r[c] for r in out], dtype=dtypes.get(c, object)) for c in SEGMENT_COLUMNS})
    main = stated_main_revenue(kf.get("texts") or [], pages_read)
    usable = [b for b in ("product", "industry") if b in decided and np.isfinite(decided[b][2])]
    check = (min(usable, key=lambda b: abs(decided[b][2])) if usable
             else next(b for b in ("product", "industry", "region") if b in decided))
    f, how, gap, raw_sum, sec = decided[check]
    tot = sec["total"]
    total_gap = (raw_sum / tot[0] - 1) if tot and tot[0] else None
    st.update({
        "breakdown_found": True, "breakdowns": ",".join(b for b in ("industry", "product", "region") if b in decided),
        "table_pages": _pages_str(sorted({r["page"] for *_, s in decided.values() for r in s["rows"]})),
        "unit": _unit_name(f), "unit_stated": _unit_name(sec["unit"][0]) if sec["unit"] else "",
        "unit_decided_by": how, "table_total": tot[0] * f if tot else None, "breakdown_checked": check,
        "breakdown_sum": raw_sum * f, "reconciliation_gap": gap,
        "reconciled": bool(np.isfinite(gap) and RECONCILE_LOW - 1 <= gap <= RECONCILE_HIGH - 1),
        "total_gap": total_gap,
        "main_business_revenue": main["value"] if main else None,
        "main_business_page": main["page"] if main else None,
        "main_business_gap": (raw_sum * f / main["value"] - 1) if main and main["value"] else None,
        "gaps": "; ".join(f"{b}:{decided[b][2]:+.4f}" for b in ("industry", "product", "region")
                          if b in decided and np.isfinite(decided[b][2])),
    })
    st["result"] = ("reconciled" if st["reconciled"] else "not_checked" if not np.isfinite(gap) else "unreconciled")
    for b, (fb, howb, *_rest) in decided.items():
        if "corrected" in howb or "NOT CHECKED" in howb or "does not reconcile" in howb:
            notes.append(f"{b}: {howb}")
    return Extraction(frame, None, tuple(notes), st)


# ----------------------------------------------------------------------------- batch (rule report_segments)

#: Columns of data_clean/report_segments_status.csv: one row per report file, whatever happened to it.
#: ``pages_from``: where the page texts of a read report came from (``text stage``: the pages the text stage
#: kept, :class:`BreakdownPages`; ``report file``: read again), also for a result taken from the breakdown cache.
BATCH_STATUS_COLUMNS = ("file", "firm", "year", "scan_status", "identified_by", "rows", "reason", "notes") \
    + STATUS_FIELDS + ("pages_from",)


@functools.cache
def _code_version() -> str:
    """Digest of the code a breakdown depends on (this module, text extraction, identification)."""
    import hashlib

    here = Path(__file__).resolve()
    files = [here, here.parents[1] / "text" / "pdf.py", here.parents[1] / "text" / "reports.py"]
    h = hashlib.sha256()
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


class BreakdownCache:
    """Extraction results per report, keyed by the sha256 of the file's bytes, the firm-year and method,
    under a folder named by the digest of the extraction code (a code change never reuses old results).
    Writes are atomic, so parallel jobs may share the folder."""

    def __init__(self, cache_dir: str | Path) -> None:
        self.root = Path(cache_dir) / f"breakdown-{_code_version()}"

    def _path(self, sha: str, firm: str, year: int, method: str) -> Path:
        return self.root / sha[:2] / f"{sha}-{firm}-{year}-{method}.json"

    def get(self, sha: str, firm: str, year: int, method: str) -> Extraction | None:
        try:
            d = json.loads(self._path(sha, firm, year, method).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        seg = pd.DataFrame(d["segments"], columns=list(SEGMENT_COLUMNS)) if d["segments"] else empty_segments()
        if len(seg):
            seg = seg.astype({"year": "int64", "revenue": "float64", "cost": "float64", "firm": object,
                              "breakdown": object, "segment": object, "source": object})
        return Extraction(seg, d["reason"], tuple(d["notes"]), d["status"])

    def put(self, sha: str, firm: str, year: int, method: str, ex: Extraction) -> None:
        from analysis.text.reports import _atomic_write

        p = self._path(sha, firm, year, method)
        p.parent.mkdir(parents=True, exist_ok=True)
        d = {"segments": ex.segments.to_dict("records"), "reason": ex.reason, "notes": list(ex.notes),
             "status": ex.status}
        _atomic_write(p, json.dumps(d, ensure_ascii=False, default=_json_default).encode("utf-8"))


def _json_default(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    raise TypeError(f"not JSON serializable: {type(v).__name__}")


def breakdown_of_report(path: str | Path, firm: str, year: int, method: str = "auto", sha: str | None = None,
                        text_cache_dir: str | Path | None = None) -> tuple[Extraction, str]:
    """The breakdown of one report as the pipeline reads it: from the pages the text stage kept for it
    (:class:`BreakdownPages`, under the report's sha256 in the text cache ``text_cache_dir``) when there are
    such pages, else from the file. Returns (extraction, where the page texts came from: ``text stage`` or
    ``report file``)."""
    from analysis.text.reports import TextCache

    pages = words = None
    if text_cache_dir is not None and sha:
        cache, version = TextCache(text_cache_dir), BreakdownPages().version
        pages = cache.get_pages(sha, version)
        words = cache.get_words(sha, version) if pages is not None else None
    ex = extract_breakdown(path, firm=firm, year=year, method=method, page_texts=pages, page_words=words)
    return ex, "text stage" if pages is not None else "report file"


def read_breakdowns(rows: pd.DataFrame, have: set[tuple[str, int]] | None = None, method: str = "auto",
                    progress=None, cache_dir: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Breakdowns of the reports in ``rows`` (output of :func:`analysis.text.reports.scan_reports`).

    Reports whose status is not ``pending`` (unidentified, duplicate) and firm-years in ``have`` (vendor
    rows exist) are not read; each still gets a status row with the reason. With ``cache_dir`` (the text
    stage's cache folder) results are cached per report hash (:class:`BreakdownCache`) and a PDF is read
    from the pages the text stage kept for it (:func:`breakdown_of_report`; status column ``pages_from``).
    Returns (segments, status).
    """
    from analysis.text.reports import file_sha256

    found: list[pd.DataFrame] = []
    status: list[dict] = []
    have = have or set()
    cache = BreakdownCache(cache_dir) if cache_dir is not None else None
    todo = rows.to_dict("records")
    for i, r in enumerate(todo, 1):
        firm = r.get("firm")
        year = r.get("year")
        known = firm is not None and not pd.isna(firm) and year is not None and not pd.isna(year)
        base = {"file": r["file"], "firm": firm if known else None, "year": int(year) if known else None,
                "scan_status": r.get("status"), "identified_by": r.get("identified_by", ""), "rows": 0,
                "reason": r.get("reason") or "", "notes": ""}
        if r.get("status") != "pending" or not known:
            status.append({**base, "result": r.get("status") or "unidentified"})
            continue
        if (str(firm), int(year)) in have:
            status.append({**base, "result": "vendor", "reason": "vendor segment rows exist for this firm-year"})
            continue
        ex = None
        sha = None
        if cache is not None:
            try:
                sha = file_sha256(r["path"])
            except OSError:
                sha = None
            ex = cache.get(sha, str(firm), int(year), method) if sha else None
        if ex is None:
            ex, pages_from = breakdown_of_report(r["path"], str(firm), int(year), method, sha, cache_dir)
            ex.status["pages_from"] = pages_from  # kept with a cached result: where its pages came from
            if cache is not None and sha:
                cache.put(sha, str(firm), int(year), method, ex)
        if len(ex.segments):
            found.append(ex.segments)
        reason = "; ".join(x for x in (base["reason"], ex.reason or "") if x)
        status.append({**base, **ex.status, "rows": len(ex.segments), "reason": reason, "notes": "; ".join(ex.notes)})
        if progress is not None and i % 20 == 0:
            progress(f"{i}/{len(todo)} reports read")
    segments = pd.concat(found, ignore_index=True) if found else empty_segments()
    st = pd.DataFrame(status, columns=list(BATCH_STATUS_COLUMNS))
    st["year"] = st["year"].astype("Int64")
    return segments, st
