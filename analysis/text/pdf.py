"""Annual reports (PDF, TXT, HTML) to normalized text, with a status instead of an exception.

PDF text comes from PyMuPDF (``pymupdf``, https://pymupdf.readthedocs.io; ``Page.get_text("text")``),
page by page. Before normalization the running headers and footers that annual reports repeat on
every page (``2020 年年度报告``, ``12 / 195``, ``第 12 页 共 195 页``, company name) are removed,
because they inflate the character count and can split a term that runs over a page break.
A line is a header/footer when it sits among the first or last few non-empty lines of a page and
either looks like a page number or, with its digits masked, recurs in that position on a large
share of the pages (the usual repeated-line heuristic for running heads). Latin words hyphenated at
a line end are rejoined; then :func:`analysis.text.normalize.normalize_text` removes all whitespace,
which also rejoins Chinese terms broken by line ends.

Status values (see :mod:`analysis.text.status`): ``ok``; ``no_text_layer`` (scanned images, would
need OCR); ``encrypted`` (needs a user password); ``corrupt`` (not parseable); ``empty`` (no bytes,
no pages or no text and no images). Extraction functions never raise on a bad file.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .normalize import NORMALIZE_VERSION, normalize_text
from .status import CORRUPT, EMPTY, ENCRYPTED, NO_TEXT_LAYER, OK

__all__ = [
    "EXTRACT_VERSION",
    "Extraction",
    "extract_file",
    "extract_html",
    "drop_running_heads",
    "extract_jsonl",
    "read_jsonl_pages",
    "extract_pdf",
    "extract_txt",
    "split_text_pages",
    "decode_bytes",
    "strip_headers_footers",
]

#: Part of the cache key: bump when extraction or normalization changes.
EXTRACT_VERSION = f"pdf2-norm{NORMALIZE_VERSION}"  # 2: TXT pages from the running header

#: Below this many non-whitespace characters per page on average a PDF has no usable text layer.
MIN_CHARS_PER_PAGE = 20
#: How many non-empty lines at the top and at the bottom of a page are header/footer candidates.
ZONE_LINES = 3
#: A masked line recurring in the zone on at least this share of pages is a running head/foot.
REPEAT_SHARE = 0.3
REPEAT_MIN_PAGES = 3

_PAGE_NUMBER = re.compile(
    r"^(?:"
    r"[-—–－]?\d{1,4}[-—–－]?"  # 12, -12-, — 12 —
    r"|\d{1,4}/\d{1,4}"  # 12 / 195
    r"|第\d{1,4}页(?:[,，/]?共\d{1,4}页)?"  # 第 12 页 共 195 页
    r"|共\d{1,4}页第\d{1,4}页"
    r"|(?:page)?\d{1,4}(?:of\d{1,4})?"  # Page 12 of 195
    r"|[ivxlc]{1,6}"  # roman page numbers of front matter
    r")$",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+")
_WS = re.compile(r"\s+")
_REPEATED_WARNING = re.compile(r"^\.\.\. repeated \d+ times\.\.\.$")
_HYPHEN_BREAK = re.compile(r"(?<=[A-Za-z])-\n(?=[a-z])")


@dataclass(frozen=True)
class Extraction:
    """Normalized text of one report and how the extraction went."""

    text: str
    n_pages: int
    status: str
    reason: str = ""
    #: Raw text of each PDF page (before header removal), so that a later stage (the revenue breakdown)
    #: can reuse it instead of extracting the pages again; empty for other formats and cached texts.
    raw_pages: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == OK


def _key(line: str) -> str:
    return _DIGITS.sub("#", _WS.sub("", line))


def _is_page_number(line: str) -> bool:
    return bool(_PAGE_NUMBER.match(_WS.sub("", line)))


def strip_headers_footers(pages: list[str]) -> list[str]:
    """Remove running headers, footers and page numbers from the text of each page.

    ``pages`` holds one raw text per page (lines separated by ``\\n``); the result keeps the
    remaining lines of each page. Only lines at the top or bottom of a page (within the first or
    last :data:`ZONE_LINES` non-empty lines, contiguous from the edge) are removed.
    """
    split = [[ln for ln in p.split("\n") if ln.strip()] for p in pages]
    n = len(split)
    top: Counter[str] = Counter()
    bottom: Counter[str] = Counter()
    for lines in split:
        top.update({_key(ln) for ln in lines[:ZONE_LINES]})
        bottom.update({_key(ln) for ln in lines[-ZONE_LINES:]})
    threshold = max(REPEAT_MIN_PAGES, REPEAT_SHARE * n)
    rep_top = {k for k, c in top.items() if c >= threshold}
    rep_bottom = {k for k, c in bottom.items() if c >= threshold}

    out = []
    for lines in split:
        i = 0
        while i < min(ZONE_LINES, len(lines)) and (
            _key(lines[i]) in rep_top or _is_page_number(lines[i])
        ):
            i += 1
        j = len(lines)
        while j > max(i, len(lines) - ZONE_LINES) and (
            _key(lines[j - 1]) in rep_bottom or _is_page_number(lines[j - 1])
        ):
            j -= 1
        out.append("\n".join(lines[i:j]))
    return out


def _finish(pages: list[str], n_pages: int, status: str = OK, reason: str = "") -> Extraction:
    raw = "\n".join(pages)
    raw = _HYPHEN_BREAK.sub("", raw)
    text = normalize_text(raw)
    if status == OK and not text:
        return Extraction("", n_pages, EMPTY, "no text after cleaning")
    return Extraction(text, n_pages, status, reason)


def extract_pdf(source: str | Path | bytes, strip: bool = True) -> Extraction:
    """PDF (path or bytes) to normalized text; never raises on a bad file.

    ``strip=False`` keeps headers/footers (for comparisons). Pages whose text cannot be read are
    skipped and reported in ``reason``; a file none of whose pages can be read is ``corrupt``.
    """
    import pymupdf

    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    pymupdf.TOOLS.reset_mupdf_warnings()
    if isinstance(source, (bytes, bytearray)):
        if not source:
            return Extraction("", 0, EMPTY, "file has 0 bytes")
        opener = {"stream": bytes(source), "filetype": "pdf"}
    else:
        p = Path(source)
        try:
            if p.stat().st_size == 0:
                return Extraction("", 0, EMPTY, "file has 0 bytes")
        except OSError as exc:
            return Extraction("", 0, CORRUPT, f"cannot read file: {exc}")
        opener = {"filename": str(p), "filetype": "pdf"}
    try:
        doc = pymupdf.open(**opener)
    except Exception as exc:  # pymupdf raises FileDataError, RuntimeError, ... on damaged files
        return Extraction("", 0, CORRUPT, f"cannot open PDF: {type(exc).__name__}: {exc}")
    try:
        if doc.needs_pass and not doc.authenticate(""):
            return Extraction("", 0, ENCRYPTED, "PDF is encrypted with a user password")
        n = doc.page_count
        if n == 0:
            return Extraction("", 0, EMPTY, "PDF has no pages")
        pages: list[str] = []
        bad: list[int] = []
        for i in range(n):
            try:
                pages.append(doc[i].get_text("text"))
            except Exception:
                bad.append(i + 1)
                pages.append("")
        if len(bad) == n:
            return Extraction("", n, CORRUPT, "no page could be read")
        n_chars = sum(len(p) - p.count(" ") - p.count("\n") for p in pages)
        if n_chars < MIN_CHARS_PER_PAGE * n:
            try:
                with_images = sum(1 for i in range(n) if doc[i].get_images(full=False))
            except Exception:
                with_images = 0
            if with_images:
                return Extraction(
                    "", n, NO_TEXT_LAYER,
                    f"{n_chars} characters of text on {n} pages, images on {with_images} pages: "
                    "scanned report without a text layer (needs OCR)",
                )
            if n_chars == 0:
                return Extraction("", n, EMPTY, f"no text and no images on {n} pages")
        notes = []
        # Partly scanned reports: pages without text but with images are counted as missing text.
        blank = [i for i, p in enumerate(pages) if len(p.strip()) < MIN_CHARS_PER_PAGE]
        if len(blank) > max(2, n // 10):
            try:
                scanned = sum(1 for i in blank if doc[i].get_images(full=False))
            except Exception:
                scanned = 0
            if scanned:
                notes.append(f"{scanned} of {n} pages are images without text (partly scanned)")
        if bad:
            notes.append(f"unreadable pages skipped: {bad[:10]}")
        # "... repeated N times..." is mupdf flushing a count of an earlier file's warnings: not this file's
        warn = [w for w in pymupdf.TOOLS.mupdf_warnings().splitlines()
                if w.strip() and not _REPEATED_WARNING.match(w.strip())]
        if warn:
            notes.append("mupdf: " + warn[0][:120])
        raw = tuple(pages)
        if strip:
            pages = strip_headers_footers(pages)
        ext = _finish(pages, n, OK, "; ".join(notes))
        return Extraction(ext.text, ext.n_pages, ext.status, ext.reason, raw)
    except Exception as exc:
        return Extraction("", 0, CORRUPT, f"error while reading PDF: {type(exc).__name__}: {exc}")
    finally:
        doc.close()


def _decode(data: bytes) -> tuple[str, str]:
    """Decode text bytes: BOMs, then UTF-8, then GB18030 (superset of GBK/GB2312)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace"), "utf-8 (with replacement characters)"


def _read(path: str | Path) -> tuple[bytes | None, Extraction | None]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return None, Extraction("", 0, CORRUPT, f"cannot read file: {exc}")
    if not data.strip():
        return None, Extraction("", 0, EMPTY, "file is empty")
    return data, None


#: A running-header line of a plain-text report recurs at least this often, and is followed by a
#: page-number line at least this share of the time.
TXT_HEADER_MIN = 5
TXT_HEADER_NUMBERED = 0.8
_LONE_NUMBER = re.compile(r"^\s*\d{1,4}\s*$")


def split_text_pages(text: str) -> list[str]:
    """Pages of a plain-text report: form feeds if any; else the report's running header.

    Text exported from a PDF without form feeds keeps each page's running header (a line naming the
    report, e.g. ``中国南玻集团股份有限公司 2018 年年度报告``) followed by a line holding the page number.
    A line (digits masked) that contains 报告, recurs at least :data:`TXT_HEADER_MIN` times and is followed
    by a lone number at least :data:`TXT_HEADER_NUMBERED` of the time is such a header: a page starts at
    each occurrence, and the header and its page-number line are dropped. Text without one is one page.
    """
    if "\f" in text:
        return text.split("\f")
    lines = text.split("\n")
    keys = [_key(ln) for ln in lines]
    seen: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        if k and "报告" in k and len(k) <= 40:
            seen.setdefault(k, []).append(i)
    heads = set()
    for k, idx in seen.items():
        if len(idx) >= TXT_HEADER_MIN:
            numbered = sum(1 for i in idx if i + 1 < len(lines) and _LONE_NUMBER.match(lines[i + 1]))
            if numbered >= TXT_HEADER_NUMBERED * len(idx):
                heads.add(k)
    if not heads:
        return [text]
    pages: list[list[str]] = [[]]
    i = 0
    while i < len(lines):
        if keys[i] in heads:
            pages.append([])
            i += 2 if i + 1 < len(lines) and _LONE_NUMBER.match(lines[i + 1]) else 1
            continue
        pages[-1].append(lines[i])
        i += 1
    return ["\n".join(p) for p in pages]


def extract_txt(path: str | Path) -> Extraction:
    """Plain-text report to normalized text; pages from form feeds or the running header
    (:func:`split_text_pages`), whose header and footer lines are removed."""
    data, err = _read(path)
    if err:
        return err
    text, enc = _decode(data)
    pages = split_text_pages(text)
    if len(pages) > 1:
        pages = strip_headers_footers(pages)
    reason = "" if enc in ("utf-8", "utf-8-sig") else f"decoded as {enc}"
    return _finish(pages, len(pages), OK, reason)


_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)


def decode_bytes(data: bytes, html: bool = False) -> str:
    """Text of a TXT or HTML report's bytes: the HTML's declared charset if any, else BOMs, UTF-8, GB18030."""
    if html:
        m = _CHARSET.search(data[:4096])
        if m:
            try:
                return data.decode(m.group(1).decode("ascii").lower().replace("gb2312", "gb18030"))
            except (LookupError, UnicodeDecodeError):
                pass
    return _decode(data)[0]


def extract_html(path: str | Path) -> Extraction:
    """HTML report to normalized text (tags, scripts and styles dropped, entities decoded)."""
    data, err = _read(path)
    if err:
        return err
    text = _SCRIPT.sub(" ", decode_bytes(data, html=True))
    text = _TAG.sub("\n", text)
    text = html.unescape(text)
    return _finish([drop_running_heads(text)], 1, OK)


_RUNNING_HEAD = re.compile(r"(?:19|20)\d{2}年?年度报告(?:全文)?$")


def drop_running_heads(text: str) -> str:
    """Text without its running-head lines (``<company>2019年年度报告全文``) when they recur, as in HTML
    converted from a PDF, which keeps some page heads but no page breaks or page numbers: a line of at
    most 40 characters ending in ``<year>年度报告[全文]`` that occurs at least :data:`TXT_HEADER_MIN` times."""
    lines = text.split("\n")
    keys = [_WS.sub("", ln) for ln in lines]
    counts = Counter(k for k in keys if k and len(k) <= 40 and _RUNNING_HEAD.search(k))
    heads = {k for k, c in counts.items() if c >= TXT_HEADER_MIN}
    if not heads:
        return text
    return "\n".join(ln for ln, k in zip(lines, keys) if k not in heads)


def read_jsonl_pages(path: str | Path) -> list[str]:
    """Pages of a JSON-lines page corpus: one {"page": n, "inside": "..."} object per line, in page order.

    Raises ValueError naming the file and line when a line is not such an object.
    """
    pages: list[tuple[int, str]] = []
    with open(path, encoding="utf-8-sig") as fh:
        for i, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                pages.append((int(obj["page"]), str(obj["inside"])))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{Path(path).name} line {i}: not a {{\"page\": n, \"inside\": \"...\"}} "
                                 f"object ({type(exc).__name__}: {exc})") from None
    pages.sort(key=lambda x: x[0])
    return [p for _, p in pages]


def extract_jsonl(path: str | Path) -> Extraction:
    """JSON-lines page corpus (one {"page": n, "inside": "..."} per line) to normalized text: each object
    is a page, so running headers/footers are stripped per page as for a PDF. A file that is not such a
    corpus is ``corrupt`` with the line named."""
    data, err = _read(path)
    if err:
        return err
    try:
        pages = read_jsonl_pages(path)
    except (ValueError, OSError) as exc:
        return Extraction("", 0, CORRUPT, str(exc))
    if not pages:
        return Extraction("", 0, EMPTY, "no page objects")
    return _finish(strip_headers_footers(pages), len(pages), OK)


def extract_file(path: str | Path) -> Extraction:
    """Dispatch on the file suffix: .pdf, .txt, .htm/.html, .jsonl; anything else is ``corrupt``."""
    suffix = Path(path).suffix.lower()
    if suffix == ".jsonl":
        return extract_jsonl(path)
    if suffix == ".pdf":
        return extract_pdf(path)
    if suffix == ".txt":
        return extract_txt(path)
    if suffix in (".htm", ".html"):
        return extract_html(path)
    return Extraction("", 0, CORRUPT, f"unsupported file type {suffix!r}")
