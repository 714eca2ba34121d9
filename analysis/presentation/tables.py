"""Journal tables built from saved tidy results (no re-estimation), in five formats.

Every table is a :class:`Table`: a title, a frame of display strings (rows: a two-level index
``(block, row label)`` whose blocks are separated by rules; columns: one or two header levels),
notes, and ``tidy``, the numbers behind the cells at full precision (written as CSV). One
``Table`` renders to Markdown (here), LaTeX (booktabs, notes under the table), HTML and Word
.docx (a three-line table) through **maketables**, so what a journal sees comes from a
maintained table library and the cells are identical across formats.

Decision: maketables and not hand-written LaTeX; ETable over saved results. ``ETable`` (like
pyfixest's ``etable``) normally takes fitted model objects, which would mean re-estimating to
rebuild a table. maketables 0.2 also accepts any object that implements its plug-in format
(``__maketables_coef_table__`` with columns b, se, t, p; ``__maketables_stat__``,
``__maketables_depvar__``, ``__maketables_fixef_string__``; see ``maketables/__init__.py`` and
PLUGIN_EXTRACTOR_FORMAT.md in its repository). :class:`SavedModel` implements it over a
:class:`~analysis.estimation.ModelResult` read from ``paper/results/{model}.json``, so ETable
assembles coefficients, stars, standard errors, fixed-effect rows and statistics from the saved
numbers; p-values for the stars are t-based with the saved ``df_t`` (G - 1 under clustering), as
pyfixest computed them. Non-regression tables (sample selection, descriptives, correlations) are
frames rendered by ``maketables.MTable``. maketables does not escape LaTeX specials, so cells are
escaped here before rendering; great-tables gives each HTML table a random id, which is replaced
by one derived from the table name; python-docx stamps the time in the core properties and in the
zip entries, which :func:`deterministic_docx` fixes. Labels (English or Chinese) come from
``analysis/data/labels.yaml``.

Further result sets: :func:`result_sets` groups saved models by name with the outcome removed
(``baseline_roa`` and ``baseline_roe`` form ``baseline``; ``baseline_roa_twoway`` would form
``baseline_twoway``), one table per set. Rows for extra statistics appear when a result's
``extras`` holds them (:func:`extras_rows`): a key whose value is a dict with ``p`` (a number, or
a mapping term -> p) or a list of records with ``term`` and ``p``, e.g. a wild cluster bootstrap.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
import yaml

from analysis.estimation import ModelResult

LABELS_FILE = Path(__file__).resolve().parents[1] / "data" / "labels.yaml"
LANGUAGES = ("en", "zh")
FORMATS = ("md", "tex", "html", "docx", "csv")
COEF_DIGITS = 4
#: decimals of R², adjusted R² and within R² (every column the same) and of t values in parentheses
R2_DIGITS = 3
T_DIGITS = 2
#: what the parentheses under a coefficient hold (config ``output.parentheses``)
PARENTHESES = ("se", "t")
#: docx core-properties and zip-entry time (fixed, so two runs give the same bytes)
FIXED_TIME = (2020, 1, 1, 0, 0, 0)


# ----------------------------------------------------------------------------------------- labels
@lru_cache(maxsize=None)
def _labels() -> dict[str, dict[str, str]]:
    return yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))


def label(key: str, language: str = "en") -> str:
    """Label of a variable or row key; the key itself when the label file has none.

    Interactions written ``a^b`` (fixed effects such as ``industry^year``) or ``a_x_b`` are
    labelled part by part.
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    entry = _labels().get(key)
    if entry:
        return entry.get(language, entry.get("en", key))
    for sep, join in (("^", " × "), ("_x_", " × ")):
        if sep in key:
            return join.join(label(k, language) for k in key.split(sep))
    return key


def rule_label(rule: str, language: str = "en") -> str:
    """Label of a sample-selection rule (the ledger's English text; Chinese by pattern)."""
    if language == "en":
        return rule
    for pattern, template in _labels().get("ledger_rules", []):
        m = re.match(pattern, rule)
        if m:
            return template.format(*(label(g, language) for g in m.groups()))
    return rule


def text(key: str, language: str = "en", **kw: Any) -> str:
    """A label with ``{placeholders}`` filled in."""
    return label(key, language).format(**kw)


# ----------------------------------------------------------------------------------------- format
def stars(p: float | None) -> str:
    if p is None or not math.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def _num(x: Any, digits: int = COEF_DIGITS) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return ""
    return f"{x:.{digits}f}"


def in_parentheses(coef: Any, se: Any, parentheses: str = "se") -> str:
    """What the parentheses under (or beside) a coefficient hold, by ``output.parentheses``: its
    standard error (``se``, :data:`COEF_DIGITS` decimals) or its t value (``t``, :data:`T_DIGITS`)."""
    if parentheses not in PARENTHESES:
        raise ValueError(f"config key 'output.parentheses' must be one of {PARENTHESES}, got {parentheses!r}")
    if parentheses == "se":
        return f"({_num(se)})"
    t = coef / se if coef is not None and se is not None and math.isfinite(se) and se > 0 else None
    return f"({_num(t, T_DIGITS)})"


def paren_key(key: str, parentheses: str = "se") -> str:
    """The label key of a header or row that names what the parentheses hold: ``key`` for standard
    errors, ``key_t`` for t values."""
    return f"{key}_t" if parentheses == "t" else key


def _int(x: Any) -> str:
    return "" if x is None else f"{int(x):,}"


def _r2(x: Any) -> str:
    return _num(x, R2_DIGITS)


def _p_two_sided(coef: float, se: float, df: float | None) -> float:
    from scipy import stats

    if not se > 0:
        return float("nan")
    t = abs(coef / se)
    return float(2 * (stats.t.sf(t, df) if df else stats.norm.sf(t)))


def _interval(lo: Any, hi: Any, kind: str, digits: int = 3) -> str:
    if kind == "whole_line":
        return "(-inf, inf)"
    if kind == "two_rays":
        return f"(-inf, {_num(lo, digits)}] U [{_num(hi, digits)}, inf)"
    return f"[{_num(lo, digits)}, {_num(hi, digits)}]"


def _finite(x: Any) -> float:
    return float(x) if x is not None and math.isfinite(float(x)) else float("nan")


# ------------------------------------------------------------------------------------------ Table
_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def tex_escape(s: str) -> str:
    """Escape LaTeX specials; stars become superscripts and ``²`` a math superscript."""
    s = "".join(_TEX_SPECIAL.get(c, c) for c in str(s))
    s = re.sub(r"(?<=\d)(\*{1,3})", lambda m: "$^{" + m.group(1) + "}$", s)
    return s.replace("²", "$^2$").replace("$$", "")


@dataclass
class Table:
    """A table of display strings plus the tidy numbers behind them."""

    name: str
    title: str
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    tidy: pd.DataFrame | None = None
    #: lines of links under the Markdown and HTML table (e.g. to the audit site): [(text, relative href), ...]
    links: list[list[tuple[str, str]]] = field(default_factory=list)

    # Markdown: readable without TeX; a cell's second line (the standard error) gets its own row.
    def to_markdown(self) -> str:
        def line(cells: Sequence[str]) -> str:
            return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

        cols = self.frame.columns
        if isinstance(cols, pd.MultiIndex):
            heads = [" ".join(str(p) for p in c if str(p).strip()) for c in cols]
        else:
            heads = [str(c) for c in cols]
        out = [f"**{self.title}**", "", line([""] + heads),
               "|" + "|".join([":---"] + ["---:"] * len(heads)) + "|"]
        for (_, row_label), values in zip(self.frame.index, self.frame.itertuples(index=False)):
            parts = [str(v).split("\n") if isinstance(v, str) else [""] for v in values]
            depth = max(len(p) for p in parts)
            for k in range(depth):
                out.append(line([row_label if k == 0 else ""] + [p[k].strip() if k < len(p) else "" for p in parts]))
        out += [""] + ["*" + n.replace("*", "\\*") + "*" for n in self.notes]
        for line_links in self.links:
            out += ["", " · ".join(f"[{t}]({h})" for t, h in line_links)]
        return "\n".join(out) + "\n"

    def _mtable(self, fmt: str):
        from maketables import MTable

        esc = tex_escape if fmt == "tex" else (lambda s: s)
        df = self.frame.map(lambda v: "\n".join(esc(p) for p in str(v).split("\n")))
        df.index = pd.MultiIndex.from_tuples([(b, esc(r)) for b, r in self.frame.index])
        cols = self.frame.columns
        if isinstance(cols, pd.MultiIndex):
            df.columns = pd.MultiIndex.from_tuples([tuple(esc(p) for p in c) for c in cols])
        else:
            df.columns = [esc(c) for c in cols]
        sep = " " if fmt != "tex" else r"\par "
        return MTable(df, notes=sep.join(esc(n) for n in self.notes), caption=esc(self.title),
                      tab_label=f"tab:{self.name}", rgroup_display=False)

    def to_latex(self) -> str:
        """booktabs table (tabularx, threeparttable, makecell) with the notes under it."""
        return self._mtable("tex").make(type="tex").rstrip() + "\n"

    def to_html(self) -> str:
        html = self._mtable("html").make(type="gt").as_raw_html()
        m = re.search(r'<div id="([a-z]+)"', html)
        if m:  # great-tables draws a random id per call
            html = html.replace(m.group(1), f"tbl-{self.name.replace('_', '-')}")
        import html as _html

        for line_links in self.links:
            html = html.rstrip() + "\n<p class=\"links\">" + " · ".join(
                f'<a href="{_html.escape(h)}">{_html.escape(t)}</a>' for t, h in line_links) + "</p>"
        return html.rstrip() + "\n"

    def to_docx_bytes(self) -> bytes:
        """Word table with three rules only (top, under the header, bottom), as Chinese journals ask."""
        style = {"border_group_rule_sz": 0, "table_style_name": "Normal Table"}
        chinese = any(re.search(r"[\u4e00-\u9fff]", s) for s in [self.title, *self.notes])
        document = self._mtable("docx").make(type="docx", docx_style=style)
        _three_line_borders(document)
        _number_caption(document, table_number(self.name), chinese)
        _fit_column_widths(document)
        if chinese:
            _chinese_runs(document)
        return deterministic_docx(document)

    def write(self, stem: str | Path, formats: Sequence[str] = FORMATS) -> list[Path]:
        stem = Path(stem)
        stem.parent.mkdir(parents=True, exist_ok=True)
        paths = []
        for fmt in formats:
            p = stem.with_suffix(f".{fmt}")
            if fmt == "md":
                p.write_text(self.to_markdown(), encoding="utf-8")
            elif fmt == "tex":
                p.write_text(self.to_latex(), encoding="utf-8")
            elif fmt == "html":
                p.write_text(self.to_html(), encoding="utf-8")
            elif fmt == "docx":
                p.write_bytes(self.to_docx_bytes())
            elif fmt == "csv":
                tidy = self.tidy if self.tidy is not None else self.frame.reset_index()
                p.write_text(tidy.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
            else:
                raise ValueError(f"unknown table format {fmt!r} (one of {FORMATS})")
            paths.append(p)
        return paths


def write_table(table: Table, stem: str | Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    return table.write(stem, formats)


def _three_line_borders(document) -> None:
    """One ``w:tcBorders`` per cell (maketables may write two, which the schema forbids), and
    zero-width rules and the partial rules under column spanners removed, so only the three rules
    of a three-line table remain (top, under the header, bottom)."""
    from docx.oxml.ns import qn

    for table in document.tables:
        for tr in table._tbl.tr_lst[1:]:
            for edge in tr.iter(qn("w:top")):
                if edge.getparent().tag == qn("w:tcBorders"):
                    edge.attrib.clear()
                    edge.set(qn("w:val"), "nil")
    for tcPr in document.element.body.iter(qn("w:tcPr")):
        blocks = tcPr.findall(qn("w:tcBorders"))
        if not blocks:
            continue
        merged: dict[str, Any] = {}
        for b in blocks:
            for edge in list(b):
                merged[edge.tag] = edge
        for b in blocks[1:]:
            tcPr.remove(b)
        first = blocks[0]
        for edge in list(first):
            first.remove(edge)
        for tag in (qn(f"w:{e}") for e in ("top", "left", "bottom", "right")):
            if tag in merged:
                edge = merged[tag]
                if edge.get(qn("w:sz")) == "0":
                    edge.attrib.clear()
                    edge.set(qn("w:val"), "nil")
                first.append(edge)


#: Numbers of the Word captions, in the order the paper shows the tables; a table not listed here
#: (a further result set) is numbered after them, in alphabetical order of its name.
TABLE_ORDER = ("sample_selection", "descriptives", "correlations", "baseline", "moderation", "robustness",
               "speccurve", "mechanism_summary")


def table_number(name: str, others: Sequence[str] = ()) -> int:
    """The caption number of a table (1-based): its place in :data:`TABLE_ORDER`, else after those."""
    if name in TABLE_ORDER:
        return TABLE_ORDER.index(name) + 1
    rest = sorted(set(others) | {name})
    return len(TABLE_ORDER) + 1 + rest.index(name)


def _number_caption(document, number: int, chinese: bool) -> None:
    """maketables writes the caption number as an empty SEQ field ("Table : ..." until Word updates
    fields); give the field its result, so the caption reads "Table 4: ..." (表 4：...) as printed."""
    from docx.oxml.ns import qn

    if not document.paragraphs:
        return
    caption = document.paragraphs[0]
    for r in caption.runs:
        chars = r._r.findall(qn("w:fldChar"))
        if [c.get(qn("w:fldCharType")) for c in chars] == ["begin", "end"]:
            end = chars[1]
            sep = end.makeelement(qn("w:fldChar"), {qn("w:fldCharType"): "separate"})
            t = end.makeelement(qn("w:t"), {})
            t.text = str(number)
            end.addprevious(sep)
            end.addprevious(t)
        elif chinese and r.text.startswith(": "):
            r.text = "：" + r.text[2:]


#: text width of the page maketables writes (US letter, 1.25 in margins), in twips
TEXT_WIDTH = 8640


def _display_width(text: str) -> int:
    """Width of a cell's longest line in character units (a Chinese character counts two)."""
    lines = text.split("\n") or [""]
    return max(sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in line) for line in lines)


def _fit_column_widths(document) -> None:
    """Column widths in proportion to their longest cell (the label column wraps at most to half the
    text width), summing to the text width, instead of equal columns."""
    from docx.oxml.ns import qn

    for table in document.tables:
        tbl = table._tbl
        grid = tbl.find(qn("w:tblGrid"))
        cols = grid.findall(qn("w:gridCol")) if grid is not None else []
        if not cols:
            continue
        need = [4] * len(cols)
        for tr in tbl.tr_lst:
            j = 0
            for tc in tr.findall(qn("w:tc")):
                span_el = tc.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
                span = int(span_el.get(qn("w:val"))) if span_el is not None else 1
                if span == 1 and j < len(need):
                    txt = "\n".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.iter(qn("w:p")))
                    need[j] = max(need[j], _display_width(txt))
                j += span
        need[0] = min(need[0], max(sum(need[1:]), 20))  # a long label wraps rather than squeezing the numbers
        total = sum(need)
        widths = [max(int(TEXT_WIDTH * n / total), 500) for n in need]
        widths[0] += TEXT_WIDTH - sum(widths)
        for col, w in zip(cols, widths):
            col.set(qn("w:w"), str(w))
        for tr in tbl.tr_lst:
            j = 0
            for tc in tr.findall(qn("w:tc")):
                tcPr = tc.get_or_add_tcPr()
                span_el = tcPr.find(qn("w:gridSpan"))
                span = int(span_el.get(qn("w:val"))) if span_el is not None else 1
                tcW = tcPr.find(qn("w:tcW"))
                if tcW is None:
                    tcW = tcPr.makeelement(qn("w:tcW"), {})
                    tcPr.insert(0, tcW)
                tcW.set(qn("w:type"), "dxa")
                tcW.set(qn("w:w"), str(sum(widths[j:j + span])))
                j += span


def _chinese_runs(document) -> None:
    """Chinese tables: caption prefix 表, and an East Asian font (SimSun) for every run."""
    from docx.oxml.ns import qn

    for i, p in enumerate(document.paragraphs):
        if i == 0 and p.runs and p.runs[0].text == "Table ":
            p.runs[0].text = "表 "
    for r in document.element.body.iter(qn("w:r")):
        rPr = r.get_or_add_rPr()
        rFonts = rPr.find(qn("w:rFonts"))
        if rFonts is None:
            rFonts = rPr.makeelement(qn("w:rFonts"), {})
            rPr.insert(0, rFonts)
        rFonts.set(qn("w:eastAsia"), "SimSun")


def deterministic_docx(document) -> bytes:
    """Bytes of a python-docx document with fixed core properties and zip entry dates."""
    import datetime as dt

    cp = document.core_properties
    when = dt.datetime(*FIXED_TIME)
    cp.created = cp.modified = when
    cp.last_printed = when
    cp.author = cp.last_modified_by = "servparadox"
    cp.revision = 1
    cp.comments = ""
    buf = io.BytesIO()
    document.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: (i.filename != "[Content_Types].xml", i.filename)):
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


def docx_text(data: bytes | str | Path) -> str:
    """All text of a .docx (paragraphs and table cells), read back with python-docx."""
    from docx import Document

    doc = Document(io.BytesIO(data) if isinstance(data, bytes) else str(data))
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


# --------------------------------------------------------------------------- saved model adapter
class SavedModel:
    """A saved :class:`ModelResult` in maketables' plug-in format (no fitted object needed)."""

    def __init__(self, result: ModelResult):
        self.result = result

    @property
    def __maketables_coef_table__(self) -> pd.DataFrame:
        r = self.result
        b, se = np.asarray(r.coef, float), np.asarray(r.se, float)
        p = [_p_two_sided(c, s, r.df_t) for c, s in zip(b, se)]
        return pd.DataFrame({"b": b, "se": se, "t": b / se, "p": p},
                            index=pd.Index(r.names, name="Coefficient"))

    @property
    def __maketables_depvar__(self) -> str:
        return self.result.spec["outcome"]

    @property
    def __maketables_fixef_string__(self) -> str | None:
        fe = self.result.spec.get("fixed_effects") or []
        return "+".join(fe) if fe else None

    def __maketables_stat__(self, key: str) -> Any:
        r = self.result
        return {"N": r.n_obs, "n_clusters": r.n_clusters, "r2_within": r.r2_within}.get(key)


def se_of(result: ModelResult | dict[str, Any]) -> dict[str, Any]:
    """The standard errors a saved result has: ``extras["se"]`` (written by the model step), else
    read from its spec (results saved before the record existed)."""
    r = result if isinstance(result, dict) else result.to_dict()
    rec = (r.get("extras") or {}).get("se")
    if rec:
        return rec
    spec = r["spec"]
    c = spec.get("cluster")
    if isinstance(c, (list, tuple)):
        parts = [str(p) for p in c]
    else:
        parts = [p for p in re.split(r"[+ ]+", str(c)) if p] if c else []
    return {"type": spec.get("se") or ("cluster" if parts else "hc1"), "cluster": parts, "df_t": r.get("df_t")}


def se_text(result: ModelResult | dict[str, Any], language: str) -> str:
    """Short name of the standard errors for the table row (e.g. "Firm", "Firm & Year", "HC1")."""
    rec = se_of(result)
    if rec["type"] == "cluster":
        return " & ".join(label(p, language) for p in rec["cluster"])
    return label(f"se_{rec['type']}", language)


def se_note(result: ModelResult | dict[str, Any], language: str, parentheses: str = "se") -> str:
    """The note sentence on the standard errors, written from what was fitted; with ``parentheses="t"``
    it says that the parentheses hold t values computed with those standard errors."""
    rec = se_of(result)
    suffix = "_t" if parentheses == "t" else ""
    if rec["type"] == "cluster":
        key = "note_se_cluster2" if len(rec["cluster"]) > 1 else "note_se_cluster"
        df = rec.get("df_t")
        names = se_text(result, language)
        return text(key + suffix, language, cluster=names.lower() if language == "en" else names,
                    df=f"{df:g}" if df is not None else "")
    return text(f"note_se_{rec['type']}{suffix}", language)


# ------------------------------------------------------------------------------ extra table rows
def utest_rows(results: Sequence[ModelResult], language: str = "en") -> list[tuple[str, list[str]]]:
    """Turning point with Fieller interval, slopes at the bounds (t), Sasabuchi p (baseline U-test)."""
    u = [r.extras["utest"] for r in results]
    level = int(round(100 * (1 - u[0].get("alpha", 0.05))))
    return [
        (text("turning_point", language), [_num(x["extreme_point"], 3) for x in u]),
        (text("fieller_ci", language, level=level),
         [_interval(x["fieller_lower"], x["fieller_upper"], x["fieller_kind"]) for x in u]),
        (text("slope_low", language), [f"{_num(x['slope_l'], 3)} ({_num(x['t_l'], 2)})" for x in u]),
        (text("slope_high", language), [f"{_num(x['slope_h'], 3)} ({_num(x['t_h'], 2)})" for x in u]),
        (text("sasabuchi_p", language), [_num(x["p_sasabuchi"], 4) for x in u]),
    ]


def two_lines_rows(results: Sequence[ModelResult], language: str = "en") -> list[tuple[str, list[str]]]:
    """Simonsohn's two-lines test: the break point, both slopes with their p-values, the verdict."""
    t = [r.extras["two_lines"] for r in results]
    return [
        (text("two_lines_break", language), [_num(x["breakpoint"], 3) for x in t]),
        (text("two_lines_low", language), [f"{_num(x['b1'], 3)} ({_num(x['p1'], 4)})" for x in t]),
        (text("two_lines_high", language), [f"{_num(x['b2'], 3)} ({_num(x['p2'], 4)})" for x in t]),
        (text("two_lines_supported", language), [text("answer_yes" if x["supported"] else "answer_no", language) for x in t]),
    ]


def _quantile_name(key: str, language: str) -> str:
    return text("quantile", language, q=key[1:]) if re.fullmatch(r"p\d+", key) else key


def moderation_rows(results: Sequence[ModelResult], language: str = "en") -> list[tuple[str, list[str]]]:
    """Turning points (Fieller sets) and U-test p at the moderator quantiles; flattening test."""
    tables = [pd.DataFrame(r.extras["moderation"]) for r in results]
    keys = list(results[0].moderator_values)
    z = label(results[0].spec["moderator"], language)
    alpha = results[0].extras.get("utest", {}).get("alpha", 0.05)
    level = int(round(100 * (1 - alpha)))
    rows: list[tuple[str, list[str]]] = []
    for q in keys:
        tp, ci, up = [], [], []
        for t in tables:
            f = t[(t["quantity"] == "turning_point_fieller") & (t["note"] == q)].iloc[0]
            tp.append(_num(f["estimate"], 3))
            ci.append(_interval(f["ci_lower"], f["ci_upper"], f["ci_kind"]))
            u = t[(t["quantity"] == "utest") & t["note"].astype(str).str.startswith(q)]
            up.append(_num(u.iloc[0]["p"], 4) if len(u) else "")
        qn = _quantile_name(q, language)
        rows += [(text("turning_point_at", language, z=z, q=qn), tp),
                 (text("fieller_ci_at", language, level=level, q=qn), ci),
                 (text("sasabuchi_p_at", language, q=qn), up)]
    flat = [t[t["quantity"] == "flattening_b5"].iloc[0]["p"] for t in tables]
    rows.append((text("flattening_p", language), [_num(p, 4) for p in flat]))
    return rows


def extras_rows(results: Sequence[ModelResult], language: str = "en",
                skip: Sequence[str] = ("utest", "moderation", "flattening", "se", "two_lines")) -> list[tuple[str, list[str]]]:
    """Rows for further statistics saved in ``extras`` (e.g. wild bootstrap p-values), if any.

    Recognised shapes of ``extras[key]``: ``{"p": 0.01}``, ``{"p": {"serv": .., "serv_sq": ..}}``
    or a list of records with ``term`` and ``p``. Anything else is ignored.
    """
    found: dict[tuple[str, str], dict[int, float]] = {}
    for i, r in enumerate(results):
        for key, val in sorted(r.extras.items()):
            if key in skip:
                continue
            pairs: list[tuple[str, Any]] = []
            if isinstance(val, dict) and "p" in val:
                p = val["p"]
                pairs = list(p.items()) if isinstance(p, dict) else [("", p)]
            elif isinstance(val, list) and val and all(isinstance(v, dict) and "p" in v and "term" in v for v in val):
                pairs = [(v["term"], v["p"]) for v in val]
            for term, p in pairs:
                if isinstance(p, (int, float)) and p is not None:
                    found.setdefault((key, str(term)), {})[i] = float(p)
    rows = []
    for (key, term), ps in found.items():
        name = text("extra_p", language, what=label(key, language)) + (f" ({label(term, language)})" if term else "")
        rows.append((name, [_num(ps.get(i), 4) for i in range(len(results))]))
    return rows


# ---------------------------------------------------------------------------- regression tables
def result_sets(model_names: Sequence[str], outcomes: Sequence[str]) -> dict[str, list[str]]:
    """Group model names into result sets: the name without its outcome token."""
    sets: dict[str, list[str]] = {}
    for name in model_names:
        tokens = name.split("_")
        key = "_".join(t for t in tokens if t not in outcomes) or name
        sets.setdefault(key, []).append(name)
    return sets


def regression_table(results: Sequence[ModelResult], title: str, language: str = "en",
                     extra_rows: Sequence[tuple[str, Sequence[str]]] = (), name: str = "regression",
                     parentheses: str = "se", heads: Sequence[str] | None = None) -> Table:
    """Coefficients with stars and, in parentheses, standard errors (``parentheses="se"``) or t values
    (``"t"``); then the rows journals print: one "Firm FE | Yes/No" row per fixed effect, N, firms,
    clusters, R², adjusted R² and within R² (all with :data:`R2_DIGITS` decimals), the standard
    errors; then ``extra_rows`` (U-test, moderation, extras) - assembled by maketables' ETable.
    ``heads`` (one per column, e.g. the groups of a heterogeneity table) go between the outcome and
    the column number."""
    from maketables import ETable

    if parentheses not in PARENTHESES:
        raise ValueError(f"config key 'output.parentheses' must be one of {PARENTHESES}, got {parentheses!r}")
    order: list[str] = []
    for r in results:
        order += [n for n in r.names if n not in order]
    keys = order + [r.spec["outcome"] for r in results]
    labels = {k: label(k, language) for k in keys}
    fixed = list(dict.fromkeys(f for r in results for f in r.spec["fixed_effects"]))
    yes, no = label("answer_yes", language), label("answer_no", language)
    custom: dict[str, list[str]] = {}
    for fe in fixed:
        custom[text("fe_row", language, fe=label(fe, language))] = [yes if fe in r.spec["fixed_effects"] else no
                                                                   for r in results]
    custom[label("n_obs", language)] = [_int(r.n_obs) for r in results]
    for key, values, fmt in (("n_firms", [r.n_firms for r in results], _int),
                             ("n_clusters", [r.n_clusters for r in results], _int),
                             ("r2", [r.r2 for r in results], _r2),
                             ("r2_adj", [r.r2_adj for r in results], _r2),
                             ("r2_within", [r.r2_within for r in results], _r2)):
        if any(v is not None for v in values):
            custom[label(key, language)] = [fmt(v) for v in values]
    custom[label("cluster", language)] = [se_text(r, language) for r in results]
    for row_label, cells in extra_rows:
        custom[row_label] = list(cells)
    second = f"(se:.{COEF_DIGITS}f)" if parentheses == "se" else f"(t:.{T_DIGITS}f)"
    et = ETable([SavedModel(r) for r in results], coef_fmt=f"b:.{COEF_DIGITS}f*\n{second}",
                model_stats=[], show_fe=False, stats_order="sc",
                custom_model_stats=custom, labels=labels, order=[labels[n] for n in order], exact_match=True)
    frame = et.df.copy()
    frame = frame.map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
    frame.index = pd.MultiIndex.from_tuples([(str(b), str(r)) for b, r in frame.index])
    if heads is not None:
        frame.columns = pd.MultiIndex.from_tuples([(c[0], h, *c[1:]) for c, h in zip(frame.columns, heads)])
    notes = list(dict.fromkeys(se_note(r, language, parentheses) for r in results)) + [text("note_stars", language)]
    dropped = [r.n_singletons or 0 for r in results]
    if any(dropped):
        counts = list(dict.fromkeys(_int(d) for d in dropped))
        notes.append(text("note_singletons", language, n=" / ".join(_int(d) for d in dropped) if len(counts) > 1
                          else counts[0]))
    notes = [" ".join(notes)]
    return Table(name=name, title=title, frame=frame, notes=notes, tidy=regression_tidy(results))


def regression_tidy(results: Sequence[ModelResult]) -> pd.DataFrame:
    """The numbers behind a regression table: one row per (model, quantity, term)."""
    rows: list[dict[str, Any]] = []
    for r in results:
        base = {"model": r.spec["name"], "outcome": r.spec["outcome"]}
        for n, b, s in zip(r.names, r.coef, r.se):
            rows.append({**base, "quantity": "coef", "term": n, "estimate": b, "se": s, "t": b / s,
                         "p": _p_two_sided(b, s, r.df_t)})
        for q, v in (("n_obs", r.n_obs), ("n_clusters", r.n_clusters), ("r2_within", r.r2_within), ("df_t", r.df_t)):
            rows.append({**base, "quantity": q, "estimate": v})
        u = r.extras.get("utest")
        if u:
            rows.append({**base, "quantity": "turning_point", "term": r.spec["x"], "estimate": u["extreme_point"],
                         "se": u["extreme_se"], "ci_lower": _finite(u["fieller_lower"]),
                         "ci_upper": _finite(u["fieller_upper"]), "ci_kind": f"fieller_{u['fieller_kind']}"})
            rows.append({**base, "quantity": "slope_low", "term": r.spec["x"], "at": u["xl"], "estimate": u["slope_l"],
                         "se": u["se_l"], "t": u["t_l"], "p": u["p_l"]})
            rows.append({**base, "quantity": "slope_high", "term": r.spec["x"], "at": u["xh"], "estimate": u["slope_h"],
                         "se": u["se_h"], "t": u["t_h"], "p": u["p_h"]})
            rows.append({**base, "quantity": "utest_sasabuchi", "term": r.spec["x"], "t": u["t_sasabuchi"],
                         "p": u["p_sasabuchi"]})
        for rec in r.extras.get("moderation") or []:
            rows.append({**base, "quantity": f"moderation_{rec['quantity']}", "term": rec.get("note") or "",
                         "at": rec.get("z"), "estimate": rec.get("estimate"), "se": rec.get("se"), "t": rec.get("t"),
                         "p": rec.get("p"), "ci_lower": rec.get("ci_lower"), "ci_upper": rec.get("ci_upper"),
                         "ci_kind": rec.get("ci_kind")})
    cols = ["model", "outcome", "quantity", "term", "at", "estimate", "se", "t", "p", "ci_lower", "ci_upper", "ci_kind"]
    return pd.DataFrame(rows).reindex(columns=cols)


def result_set_table(name: str, results: Sequence[ModelResult], language: str = "en",
                     parentheses: str = "se") -> Table:
    """The table of one result set: U-test rows for quadratic models, moderation rows when moderated."""
    rows: list[tuple[str, list[str]]] = []
    if all("utest" in r.extras for r in results) and not any(r.spec.get("moderator") for r in results):
        rows += utest_rows(results, language)
    if all(r.extras.get("two_lines") for r in results):
        rows += two_lines_rows(results, language)
    if all(r.extras.get("moderation") for r in results):
        rows += moderation_rows(results, language)
    rows += extras_rows(results, language)
    title_key = f"title_{name}"
    title = label(title_key, language) if title_key in _labels() else text("title_result_set", language, name=name)
    return regression_table(results, title, language, rows, name=name, parentheses=parentheses)


def audit_links(table: Table, results: Sequence[ModelResult], language: str = "en", site: str = "../audit") -> Table:
    """Under a regression table, one line per column: its N linked to the audit site's sample list filtered to
    that model, and the model's page of the firms that move its turning point most (``site`` relative to the
    table)."""
    for k, r in enumerate(results, 1):
        m = r.spec["name"]
        table.links.append([(text("audit_link_sample", language, k=k, n=_int(r.n_obs)), f"{site}/index.html#model={m}"),
                            (label("audit_link_influence", language), f"{site}/model/{m}.html")])
    return table


# ------------------------------------------------------------------------------- sample tables
def _frame(rows: list[list[str]], header: list[str], block: str = "body") -> pd.DataFrame:
    df = pd.DataFrame([r[1:] for r in rows], columns=header[1:])
    df.index = pd.MultiIndex.from_tuples([(block, r[0]) for r in rows])
    return df


def rows_table(name: str, title: str, header: list[str], rows: list[list[str]], notes: Sequence[str] = (),
               tidy: pd.DataFrame | None = None) -> Table:
    """A table from display rows whose first cell is the row label (header[0] heads that column)."""
    return Table(name=name, title=title, frame=_frame(rows, header), notes=list(notes), tidy=tidy)


def sample_selection_table(ledger: pd.DataFrame, language: str = "en") -> Table:
    header = [label(k, language) for k in ("sel_step", "sel_rule", "sel_dropped", "sel_remaining", "sel_firms")]
    rows = [[f"({r.step})", rule_label(str(r.rule), language), _int(r.rows_dropped) if r.step else "",
             _int(r.rows_remaining), _int(r.firms_remaining)] for r in ledger.itertuples()]
    # the first column is the row label (step) and the rule its first data column
    frame = _frame(rows, header)
    return Table(name="sample_selection", title=label("title_sample_selection", language), frame=frame,
                 notes=[label("note_sample_selection", language)], tidy=ledger.reset_index(drop=True))


def model_variables(results: Sequence[ModelResult], panel: pd.DataFrame) -> list[str]:
    """Every variable of the models (outcomes, x, moderators, controls), in that order; the ones the
    panel has (a derived fixed effect is not a variable)."""
    order: list[str] = []
    for key in ("outcome", "x", "moderator"):
        order += [r.spec[key] for r in results if r.spec.get(key)]
    for r in results:
        order += list(r.spec["controls"])
    return [v for v in dict.fromkeys(order) if v in panel.columns]


def descriptives_table(panel: pd.DataFrame, variables: Sequence[str], language: str = "en") -> Table:
    stats = ["N", "mean", "sd", "min", "p50", "max"]
    header = [label("variable", language)] + [label(f"stat_{s}", language) for s in stats]
    rows, tidy = [], []
    for v in variables:
        x = panel[v].dropna()
        vals = {"N": len(x), "mean": x.mean(), "sd": x.std(), "min": x.min(), "p50": x.median(), "max": x.max()}
        tidy.append({"variable": v, **{k: float(vals[k]) if k != "N" else int(vals[k]) for k in stats}})
        rows.append([label(v, language), _int(vals["N"])] + [_num(vals[k], 3) for k in stats[1:]])
    return Table(name="descriptives", title=label("title_descriptives", language), frame=_frame(rows, header),
                 notes=[label("note_descriptives", language)], tidy=pd.DataFrame(tidy))


def correlation_table(panel: pd.DataFrame, variables: Sequence[str], language: str = "en") -> Table:
    """Pearson correlations in the lower triangle and Spearman rank correlations in the upper
    triangle, with stars for pairwise two-sided p-values (pairwise complete cases)."""
    from scipy import stats as st

    names = [f"({i + 1})" for i in range(len(variables))]
    header = [label("variable", language)] + names
    rows, tidy = [], []
    for i, a in enumerate(variables):
        cells = [f"{names[i]} {label(a, language)}"]
        for j, b in enumerate(variables):
            if i == j:
                cells.append("1")
                continue
            d = panel[[a, b]].dropna()
            method = "pearson" if j < i else "spearman"
            r, p = st.pearsonr(d[a], d[b]) if method == "pearson" else st.spearmanr(d[a], d[b])
            tidy.append({"var1": a, "var2": b, "method": method, "r": float(r), "p": float(p), "n": len(d)})
            cells.append(f"{r:.3f}{stars(p)}")
        rows.append(cells)
    return Table(name="correlations", title=label("title_correlations", language), frame=_frame(rows, header),
                 notes=[label("note_correlations", language)], tidy=pd.DataFrame(tidy))
