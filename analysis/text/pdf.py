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
no pages or no text and no images); ``undecodable`` (a TXT/HTML report that no tried encoding turns into
plausible Chinese text: :func:`decode_report`). Extraction functions never raise on a bad file.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .normalize import NORMALIZE_VERSION, normalize_text
from .status import CORRUPT, EMPTY, ENCRYPTED, NO_TEXT_LAYER, OK, UNDECODABLE

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
    "text_pages",
    "decode_bytes",
    "decode_report",
    "implausible",
    "UndecodableReport",
    "strip_headers_footers",
]

#: Part of the cache key: bump when extraction or normalization changes.
EXTRACT_VERSION = f"pdf3-norm{NORMALIZE_VERSION}"  # 2: TXT pages from the running header; 3: undecodable

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
    #: The text of each page before normalization, so that a later stage (the revenue breakdown) can reuse it
    #: instead of reading the report again: a PDF's raw pages (before header removal), the pages of a TXT or
    #: JSON-lines report as their structure is read (:func:`text_pages`), an HTML report's markup cut after
    #: each table (:func:`html_pages`); empty for cached texts.
    raw_pages: tuple[str, ...] = field(default=(), compare=False, repr=False)
    #: The words of some PDF pages (1-based page -> ``Page.get_text("words")``), read from the same text page
    #: as their text when the caller asked for them (``words_for``), so that a later stage need not parse the
    #: page again.
    page_words: Mapping[int, list] = field(default_factory=dict, compare=False, repr=False)

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


def extract_pdf(source: str | Path | bytes, strip: bool = True,
                words_for: Callable[[str], bool] | None = None) -> Extraction:
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
        words: dict[int, list] = {}
        chosen = False  # words_for chose the page before: its table may go on here
        for i in range(n):
            try:
                page = doc[i]
                if words_for is None:
                    pages.append(page.get_text("text"))
                    continue
                tp = page.get_textpage(flags=pymupdf.TEXTFLAGS_TEXT)  # as get_text("text") and ("words") make it
                pages.append(page.get_text("text", textpage=tp))
                now = words_for(pages[-1])
                if now or chosen:
                    words[i + 1] = page.get_text("words", textpage=tp)
                chosen = now
            except Exception:
                bad.append(i + 1)
                pages.append("")
                chosen = False
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
        return Extraction(ext.text, ext.n_pages, ext.status, ext.reason, raw, words)
    except Exception as exc:
        return Extraction("", 0, CORRUPT, f"error while reading PDF: {type(exc).__name__}: {exc}")
    finally:
        doc.close()


#: Encodings tried, in order, for a TXT/HTML report without a BOM (GB18030 is a superset of GBK/GB2312).
TRIED_ENCODINGS = ("utf-8", "gb18030")
#: A decoded report is plausible Chinese text only if: at most this share of its characters are control
#: characters (NUL, ...: UTF-16 read as a byte encoding) ...
MAX_CONTROL_SHARE = 0.001
#: ... at least this share of its non-space characters are CJK ideographs (checked from
#: :data:`STATS_MIN_CHARS` non-space characters on; real reports have 50-60%, tables included) ...
MIN_CJK_SHARE = 0.1
STATS_MIN_CHARS = 200
#: ... and, from :data:`COMMON_MIN_CJK` ideographs on, at least this share of them are among
#: :data:`COMMON_CJK`, characters every Chinese annual report uses all the time (about 29% in real reports;
#: text in another encoding read as GB18030 - Big5, say - is valid but random ideographs, about 0.05%).
MIN_COMMON_SHARE = 0.1
COMMON_MIN_CJK = 1000
COMMON_CJK = frozenset("的公司年报告有限业务资产本期金额元及其他产品收入营经股东会计中国人民币行管理项目")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")


@dataclass(frozen=True)
class Decoded:
    """Text of a TXT/HTML report's bytes and how it was decoded; ``problem`` is empty when the text is
    plausible, else says why the report is undecodable (with the encodings tried)."""

    text: str
    encoding: str
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def implausible(text: str) -> str:
    """Why ``text`` cannot be a correctly decoded Chinese annual report ('' when it can): control or
    replacement characters, too few CJK ideographs, or ideographs that are not those of Chinese prose."""
    if not text:
        return ""
    bad = len(_CONTROL.findall(text))
    if bad > MAX_CONTROL_SHARE * len(text):
        return (f"{bad} of {len(text)} characters are control or replacement characters "
                "(UTF-16 without a byte-order mark, or a binary file?)")
    ns = _WS.sub("", text)
    cjk = _CJK.findall(ns)
    if len(ns) >= STATS_MIN_CHARS and len(cjk) < MIN_CJK_SHARE * len(ns):
        return (f"implausibly few CJK characters for a Chinese annual report: {len(cjk)} of {len(ns)} "
                f"(below {MIN_CJK_SHARE:.0%})")
    if len(cjk) >= COMMON_MIN_CJK:
        common = sum(1 for c in cjk if c in COMMON_CJK)
        if common < MIN_COMMON_SHARE * len(cjk):
            return (f"the CJK characters are not those of Chinese prose: {common / len(cjk):.2%} are common "
                    f"report characters (的, 公, 司, 年, ...), real reports have about 29% (another encoding, "
                    "e.g. Big5, read as GB18030?)")
    return ""


def decode_report(data: bytes, declared: str | None = None) -> Decoded:
    """Decode a TXT/HTML report's bytes: the declared charset (HTML meta) if it decodes, else a BOM (UTF-8,
    UTF-16), else the first of :data:`TRIED_ENCODINGS` that decodes strictly. The result is checked with
    :func:`implausible`; a report no encoding decodes, or whose text is implausible, has a ``problem``
    naming every encoding tried and what went wrong (never text with replacement characters taken as ok)."""
    tried: list[str] = []
    candidates: list[tuple[str, bytes]] = []
    if declared:
        candidates.append((declared.lower().replace("gb2312", "gb18030"), data))
    if data.startswith(b"\xef\xbb\xbf"):
        candidates.append(("utf-8-sig", data))
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates.append(("utf-16", data))
    else:
        candidates.extend((enc, data) for enc in TRIED_ENCODINGS)
    for enc, raw in candidates:
        try:
            text = raw.decode(enc)
        except LookupError:
            tried.append(f"{enc} (unknown encoding)")
            continue
        except UnicodeDecodeError as exc:
            tried.append(f"{enc} (invalid bytes at offset {exc.start})")
            continue
        why = implausible(text)
        if not why:
            return Decoded(text, enc)
        tried.append(f"{enc} (decodes, but {why})")
    return Decoded("", "", "undecodable: tried " + "; ".join(tried))


def _decode(data: bytes) -> tuple[str, str]:
    """Text and encoding of plain-text bytes whatever they hold (for first-page identification, where a
    wrong guess only fails to identify): :func:`decode_report`, else UTF-8 with replacement characters."""
    d = decode_report(data)
    if d.ok:
        return d.text, d.encoding
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


def text_pages(pages: list[str]) -> list[str]:
    """The pages of a TXT or JSON-lines report as every stage reads them: running headers and footers removed
    when there are several pages (one page has nothing that recurs)."""
    return strip_headers_footers(pages) if len(pages) > 1 else pages


def extract_txt(path: str | Path) -> Extraction:
    """Plain-text report to normalized text; pages from form feeds or the running header
    (:func:`split_text_pages`), whose header and footer lines are removed."""
    data, err = _read(path)
    if err:
        return err
    dec = decode_report(data)
    if not dec.ok:
        return Extraction("", 0, UNDECODABLE, dec.problem)
    pages = text_pages(split_text_pages(dec.text))
    reason = "" if dec.encoding in ("utf-8", "utf-8-sig") else f"decoded as {dec.encoding}"
    ext = _finish(pages, len(pages), OK, reason)
    return Extraction(ext.text, ext.n_pages, ext.status, ext.reason, tuple(pages) if ext.ok else ())


_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)


def html_charset(data: bytes) -> str | None:
    """The charset an HTML report declares in a <meta> tag (None without one)."""
    m = _CHARSET.search(data[:4096])
    return m.group(1).decode("ascii") if m else None


def decode_bytes(data: bytes, html: bool = False) -> str:
    """Text of a TXT or HTML report's bytes (:func:`decode_report`; the HTML's declared charset first).

    Raises :class:`UndecodableReport` (a ValueError) with the encodings tried when no decoding is plausible."""
    dec = decode_report(data, html_charset(data) if html else None)
    if not dec.ok:
        raise UndecodableReport(dec.problem)
    return dec.text


class UndecodableReport(ValueError):
    """A TXT/HTML report whose bytes no tried encoding turns into plausible Chinese text."""


def extract_html(path: str | Path) -> Extraction:
    """HTML report to normalized text (tags, scripts and styles dropped, entities decoded)."""
    data, err = _read(path)
    if err:
        return err
    dec = decode_report(data, html_charset(data))
    if not dec.ok:
        return Extraction("", 0, UNDECODABLE, dec.problem)
    text = _SCRIPT.sub(" ", dec.text)
    text = _TAG.sub("\n", text)
    text = html.unescape(text)
    why = implausible(text)
    if why:
        return Extraction("", 0, UNDECODABLE, f"undecodable: {dec.encoding}: {why}")
    ext = _finish([drop_running_heads(text)], 1, OK)
    return Extraction(ext.text, ext.n_pages, ext.status, ext.reason, tuple(html_pages(dec.text)) if ext.ok else ())


_TABLE_END = re.compile(r"</table\s*>", re.IGNORECASE)


def html_pages(doc: str) -> list[str]:
    """An HTML report's markup cut after each ``</table>``: the text before a table and the table are one piece,
    the text after the last table the last piece. An HTML report has no pages; these pieces are its "pages" for
    the revenue breakdown (candidate pieces and their neighbours are read, as a PDF's candidate pages are), and
    the text stage keeps the ones it needs, so that the breakdown does not decode and parse the file again."""
    out, pos = [], 0
    for m in _TABLE_END.finditer(doc):
        out.append(doc[pos:m.end()])
        pos = m.end()
    if pos < len(doc) or not out:
        out.append(doc[pos:])
    return out


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
    ext = _finish(strip_headers_footers(pages), len(pages), OK)
    return Extraction(ext.text, ext.n_pages, ext.status, ext.reason, tuple(text_pages(pages)) if ext.ok else ())


def extract_file(path: str | Path, words_for: Callable[[str], bool] | None = None) -> Extraction:
    """Dispatch on the file suffix: .pdf, .txt, .htm/.html, .jsonl; anything else is ``corrupt``.

    ``words_for`` (PDF): a test of a page's text; the words of a page that passes, and of the page after it,
    are kept in :attr:`Extraction.page_words`."""
    suffix = Path(path).suffix.lower()
    if suffix == ".jsonl":
        return extract_jsonl(path)
    if suffix == ".pdf":
        return extract_pdf(path, words_for=words_for)
    if suffix == ".txt":
        return extract_txt(path)
    if suffix in (".htm", ".html"):
        return extract_html(path)
    return Extraction("", 0, CORRUPT, f"unsupported file type {suffix!r}")


#: How much of a TXT or HTML report :func:`report_page_texts` decodes when only its first pages are asked for.
HEAD_BYTES = 400_000


def report_page_texts(path: str | Path, first: int | None = None) -> list[str]:
    """The raw text of a report's pages, before any normalization: a PDF's pages (``Page.get_text()``), a TXT
    report's pages (split as the text stage splits them, :func:`split_text_pages`), a JSON-lines corpus's
    pages, an HTML report as one page (its tags turned into line breaks). [] when the file cannot be read.

    ``first``: only the first pages; a TXT or HTML report then has only its first :data:`HEAD_BYTES` decoded,
    cut after a line end (a cut inside a two-byte GBK character would make the whole head undecodable)."""
    p = Path(path)
    suffix = p.suffix.lower()
    try:
        if suffix == ".pdf":
            import pymupdf

            with pymupdf.open(p) as doc:
                return [doc[i].get_text() for i in range(doc.page_count if first is None else min(first, doc.page_count))]
        if suffix == ".jsonl":
            return read_jsonl_pages(p)[:first]
        if suffix not in (".txt", ".htm", ".html"):
            return []
        data = p.read_bytes()
        if first is not None and len(data) > HEAD_BYTES and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            cut = data.rfind(b"\n", 0, HEAD_BYTES)
            data = data[:cut + 1] if cut > 0 else data[:HEAD_BYTES]
        html = suffix in (".htm", ".html")
        text = decode_bytes(data, html=html)
        if html:
            return [_TAG.sub("\n", text)]
        return split_text_pages(text)[:first]
    except Exception:  # noqa: BLE001 - an unreadable file gives no pages (identified by name, or hits without pages)
        return []
