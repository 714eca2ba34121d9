"""The audit site: a static HTML site a reviewer clicks through, from each coefficient to the firm-years
behind it and from each firm-year to its source page (``paper/audit/``, rule ``audit``).

Opened from the file system: no server, no network, no external script or style; the sample list is
filtered in the browser from JSON embedded in ``index.html``. Built from the pipeline's own provenance,
never re-measuring or re-estimating: the ledger's dropped rows, the panel, the segment-label file, the
report status tables, the dictionary counts, the saved results and the influence records
(:mod:`analysis.influence`). Pages:

- ``index.html``: every raw firm-year (balance-sheet row) with its fate (kept, or the ledger rule that
  dropped it), searchable by firm and filterable by year, industry, rule and model (``#model=<name>`` in the
  address opens the list filtered to that model's estimation sample); links to the model pages.
- ``firm/<code>.html``: each raw row of the firm with its fate and, per kept firm-year (anchor ``#y<year>``),
  the vendor values and the variables computed from them with their formula; Serv with its segments, labels,
  deciding rule or override, the reconciliation gap and unit decision and, for a table read from a report,
  the source page rendered with the table outlined (:mod:`.audit_sources`), linked to the report file at
  that page; Dig with every dictionary hit in context, its page and section, and the MD&A boundaries; the
  firm-year's row in each model's data with the firm's influence.
- ``model/<name>.html``: the estimation sample (N, linked to the filtered list), the firms that move b2, the
  turning point and b5 most (leave-one-firm-out), the model refitted without the top ones and both curves.

Labels follow ``output.language`` (``audit_*`` keys of ``analysis/data/labels.yaml``).
"""

from __future__ import annotations

import html
import json
import math
import os
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.presentation.tables import label, rule_label, text

#: raw vendor values shown for a firm-year (panel columns), then the computed variables with their formula
RAW_VALUES = ("total_assets", "total_liabilities", "total_equity", "total_revenue", "operating_revenue",
              "net_profit", "market_value", "listed")
COMPUTED = ("roa", "roe", "size", "lev", "growth", "age", "tobin_q", "top1")

_CSS = """body{font-family:system-ui,sans-serif;margin:1.2em auto;max-width:1100px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border-bottom:1px solid #ddd;padding:2px 8px;text-align:left;
font-size:14px;vertical-align:top}th{background:#f3f3f3}.num{text-align:right;font-variant-numeric:tabular-nums}
.used{background:#eef6ee}.service{color:#063}.muted{color:#777}mark{background:#ffe08a}
nav a{margin-right:1em}section.fy{border-top:2px solid #888;margin-top:2em}img.page{border:1px solid #999;
max-width:100%}.controls label{margin-right:1em}code{font-size:13px}"""


@dataclass
class AuditInputs:
    """What the site is built from (frames as the pipeline writes them; any may be empty)."""

    panel: pd.DataFrame
    dropped: pd.DataFrame = field(default_factory=pd.DataFrame)
    servitization: pd.DataFrame = field(default_factory=pd.DataFrame)
    labels: pd.DataFrame = field(default_factory=pd.DataFrame)
    segment_status: pd.DataFrame = field(default_factory=pd.DataFrame)
    text_status: pd.DataFrame = field(default_factory=pd.DataFrame)
    counts: pd.DataFrame = field(default_factory=pd.DataFrame)
    results: dict[str, dict] = field(default_factory=dict)      # model name -> saved result (JSON)
    influence: dict[str, tuple[pd.DataFrame, dict]] = field(default_factory=dict)  # model -> (table, record)
    reports_dir: str | Path | None = None
    text_cache: str | Path | None = None
    image_cache: str | Path | None = None
    counter: Any = None          # analysis.text.counting.KeywordCounter of the run (None: no hits shown)
    tables_dir: str | Path | None = None  # paper/tables: a model's table is linked where it exists
    dig_section: str = "full"


@dataclass(frozen=True)
class AuditOptions:
    language: str = "en"
    max_hits: int = 20
    influence_rows: int = 25
    dpi: int = 80


def _e(s: Any) -> str:
    return html.escape("" if s is None or (isinstance(s, float) and math.isnan(s)) else str(s))


def _L(key: str, lang: str, **kw) -> str:
    return text(f"audit_{key}", lang, **kw) if kw else _label(key, lang)


@lru_cache(maxsize=None)
def _label(key: str, lang: str) -> str:
    return label(f"audit_{key}", lang)


def _num(v: Any, digits: int = 4) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return _e(v)
    if not math.isfinite(f):
        return "—"
    if abs(f) >= 1e5:
        return f"{f:,.2f}"
    return f"{f:.{digits}f}"


def _fk(firm: Any) -> str:
    return str(firm).zfill(6) if str(firm).isdigit() else str(firm)


def _norm(df: pd.DataFrame) -> pd.DataFrame:
    """firm as a 6-digit string and year as int where the frame has them."""
    if df is None or not len(df):
        return pd.DataFrame() if df is None else df
    df = df.copy()
    if "firm" in df:
        df = df[df["firm"].notna()]
        df["firm"] = df["firm"].map(_fk)
    if "year" in df:
        df = df[df["year"].notna()]
        df["year"] = df["year"].astype(int)
    return df


def _page(title: str, body: str, lang: str, depth: int = 0) -> str:
    up = "../" * depth
    nav = f'<nav><a href="{up}index.html">{_e(_L("nav_sample", lang))}</a></nav>'
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>{nav}<h1>{_e(title)}</h1>\n{body}\n"
            "</body></html>\n")


def _table(header: list[str], rows: list[list[str]], attrs: str = "") -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table{attrs}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# ------------------------------------------------------------------------------------------- the sample
def sample_rows(inp: AuditInputs, lang: str) -> tuple[list[list], dict[str, list[str]]]:
    """Every raw row: [firm, name, year, industry, fate, detail, model indices]; and the models' names."""
    models = sorted(inp.influence)
    in_model: dict[tuple[str, int], list[int]] = defaultdict(list)
    for i, m in enumerate(models):
        for fy in inp.influence[m][1].get("sample", []):
            f, y = fy.split(":")
            in_model[(f, int(y))].append(i)
    rows = []
    kept = _L("kept", lang)
    panel = _norm(inp.panel)
    for r in panel.itertuples(index=False):
        rows.append([r.firm, getattr(r, "short_name", "") or "", int(r.year), getattr(r, "industry", "") or "", kept,
                     "", in_model.get((r.firm, int(r.year)), [])])
    dropped = inp.dropped
    if len(dropped):
        d = dropped.copy()
        d["firm"] = d["firm"].map(_fk)
        if "year" not in d or d["year"].isna().any():
            pe = pd.to_datetime(d.get("period_end"), errors="coerce")
            d["year"] = d.get("year", pd.Series(np.nan, index=d.index)).fillna(pe.dt.year)
        for r in d.itertuples(index=False):
            year = int(r.year) if pd.notna(r.year) else None
            ind = getattr(r, "industry", None)
            rows.append([r.firm, getattr(r, "short_name", "") or "", year, "" if pd.isna(ind) else str(ind),
                         rule_label(str(r.rule), lang), "" if pd.isna(r.detail) else str(r.detail), []])
    rows.sort(key=lambda x: (x[0], x[2] if x[2] is not None else 0, x[4] != kept))
    for r in rows:
        for k in (1, 3, 5):
            r[k] = "" if r[k] is None or (isinstance(r[k], float) and math.isnan(r[k])) else str(r[k])
    return rows, {"models": models, "kept": kept}


_INDEX_JS = r"""
const D = JSON.parse(document.getElementById('sample-data').textContent);
const $ = id => document.getElementById(id);
function fill(sel, values){ for (const v of values){ const o=document.createElement('option'); o.value=v; o.textContent=v; sel.appendChild(o);} }
fill($('year'), [...new Set(D.rows.map(r => r[2]).filter(v => v !== null))].sort());
fill($('industry'), [...new Set(D.rows.map(r => r[3]).filter(v => v))].sort());
fill($('rule'), [...new Set(D.rows.map(r => r[4]))].sort());
fill($('model'), D.models);
function readHash(){
  const p = new URLSearchParams(location.hash.slice(1));
  $('q').value = p.get('firm') || ''; $('year').value = p.get('year') || '';
  $('industry').value = p.get('industry') || ''; $('rule').value = p.get('rule') || '';
  $('model').value = p.get('model') || '';
}
function writeHash(){
  const p = new URLSearchParams();
  for (const [k, id] of [['firm','q'],['year','year'],['industry','industry'],['rule','rule'],['model','model']])
    if ($(id).value) p.set(k, $(id).value);
  history.replaceState(null, '', '#' + p.toString());
}
function render(){
  const q = $('q').value.trim().toLowerCase(), y = $('year').value, ind = $('industry').value;
  const rule = $('rule').value, m = $('model').value, mi = D.models.indexOf(m);
  const hit = D.rows.filter(r => (!q || r[0].includes(q) || r[1].toLowerCase().includes(q))
      && (!y || String(r[2]) === y) && (!ind || r[3] === ind) && (!rule || r[4] === rule)
      && (!m || r[6].includes(mi)));
  $('count').textContent = hit.length;
  const tb = $('rows'); tb.textContent = '';
  for (const r of hit.slice(0, D.limit)){
    const tr = document.createElement('tr');
    const a = document.createElement('a');
    a.href = 'firm/' + r[0] + '.html' + (r[4] === D.kept ? '#y' + r[2] : '#raw');
    a.textContent = r[0];
    const cells = [a, r[1], r[2] === null ? '' : r[2], r[3], r[4], r[5], r[6].map(i => D.models[i]).join(' ')];
    for (const c of cells){ const td = document.createElement('td');
      if (c instanceof Node) td.appendChild(c); else td.textContent = c; tr.appendChild(td); }
    tr.className = r[4] === D.kept ? 'kept' : 'dropped';
    tb.appendChild(tr);
  }
  $('more').style.display = hit.length > D.limit ? '' : 'none';
}
readHash(); render();
for (const id of ['q','year','industry','rule','model']) $(id).addEventListener('input', () => { writeHash(); render(); });
window.addEventListener('hashchange', () => { readHash(); render(); });
"""


def index_page(inp: AuditInputs, opts: AuditOptions, rows: list[list], meta: dict, limit: int = 1000) -> str:
    lang = opts.language
    models = meta["models"]
    data = {"rows": rows, "models": models, "kept": meta["kept"], "limit": limit}
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    n_kept = sum(r[4] == meta["kept"] for r in rows)
    mrows = []
    for m in models:
        rec = inp.influence[m][1]
        mrows.append([f'<a href="model/{_e(m)}.html">{_e(m)}</a>',
                      f'<a href="index.html#model={_e(m)}">{rec.get("n_obs", "")}</a>', str(rec.get("n_clusters", ""))])
    sel = lambda i, key: f'<label>{_e(_L(key, lang))} <select id="{i}"><option value="">{_e(_L("all", lang))}</option></select></label>'  # noqa: E731
    body = (f"<p>{_e(_L('intro', lang, n=len(rows), kept=n_kept))}</p>"
            f"<h2>{_e(_L('models', lang))}</h2>"
            + _table([_e(_L("model", lang)), _e(_L("n_obs", lang)), _e(_L("n_clusters", lang))], mrows)
            + f"<h2>{_e(_L('sample', lang))}</h2><div class=\"controls\">"
            f'<label>{_e(_L("search", lang))} <input id="q" type="search"></label>'
            + sel("year", "year") + sel("industry", "industry") + sel("rule", "fate") + sel("model", "model")
            + f'</div><p><span id="count"></span> {_e(_L("matching", lang))}'
            f'<span id="more" style="display:none"> ({_e(_L("first_shown", lang, n=limit))})</span></p>'
            + _table([_e(_L(k, lang)) for k in ("firm", "name", "year", "industry", "fate", "detail", "models")], [],
                     ' id="sample"').replace("<tbody></tbody>", '<tbody id="rows"></tbody>')
            + f'<script type="application/json" id="sample-data">{payload}</script><script>{_INDEX_JS}</script>')
    return _page(_L("title", lang), body, lang)


# ---------------------------------------------------------------------------------------- firm pages
def _raw_and_computed(row: dict, recomputed: dict | None, lang: str) -> str:
    from analysis.variables import DEFINITIONS

    rows = []
    src = f'{_e(row.get("_source_file", ""))}, {_e(_L("row", lang))} {_e(row.get("_source_row", ""))}'
    for c in RAW_VALUES:
        if c in row and pd.notna(row[c]):
            rows.append([_e(label(c, lang)), f'<td class="num">{_num(row[c], 2)}</td>', "", src if c.startswith("total_")
                         and c in ("total_assets", "total_liabilities", "total_equity") else ""])
    for c in COMPUTED:
        if c in row:
            raw = recomputed.get(c) if recomputed else None
            rows.append([_e(label(c, lang)), f'<td class="num">{_num(row[c])}</td>',
                         f'<td class="num">{_num(raw) if raw is not None else "—"}</td>',
                         f"<code>{_e(DEFINITIONS.get(c, ''))}</code>"])
    return _table([_e(_L(k, lang)) for k in ("variable", "value_panel", "value_raw", "formula_source")], rows)


class _Evidence:
    """Per-report evidence, computed once: the page images and the Dig hits."""

    def __init__(self, inp: AuditInputs, opts: AuditOptions, site: Path):
        self.inp, self.opts, self.site = inp, opts, site
        seg = _norm(inp.segment_status)
        self.seg_status = {(r["firm"], r["year"]): r for r in seg.to_dict("records")} if len(seg) else {}
        ts = _norm(inp.text_status)
        self.text_status = {(r["firm"], r["year"]): r for r in ts.to_dict("records")} if len(ts) else {}
        self._rel: dict[tuple[Path, Path], str] = {}
        self._sha: dict[Path, str] = {}
        self.images_made = 0
        self.images_cached = 0

    def report_path(self, file: str) -> Path | None:
        if self.inp.reports_dir is None:
            return None
        p = Path(self.inp.reports_dir) / file
        return p if p.exists() else None

    def sha256(self, path: Path) -> str:
        """The report's SHA-256 (the key of its cached page images), computed once per file."""
        from analysis.text.reports import file_sha256

        if path not in self._sha:
            self._sha[path] = file_sha256(path)
        return self._sha[path]

    def link(self, p: Path, from_dir: Path, page: int | None = None) -> str:
        key = (p.parent, from_dir)
        if key not in self._rel:  # one relative path per folder pair (resolving every file is slow)
            self._rel[key] = os.path.relpath(p.parent.resolve(), from_dir.resolve()).replace(os.sep, "/")
        return f"{self._rel[key]}/{p.name}" + (f"#page={page}" if page else "")

    def images(self, firm: str, year: int, segs: list[dict]) -> str:
        from analysis.presentation.audit_sources import copy_image, page_image, report_source
        from analysis.servitization.report_table import UNIT_FACTORS

        lang = self.opts.language
        st = self.seg_status.get((firm, year), {})
        by_page: dict[tuple[str, int], list] = defaultdict(list)
        for r in segs:
            src = report_source(r["source"])
            if src:
                by_page[src].append(r)
        out = []
        factor = UNIT_FACTORS.get(str(st.get("unit", "")), 1.0)
        for (file, page), rs in sorted(by_page.items()):
            path = self.report_path(file)
            cap = _e(_L("page_caption", lang, file=file, page=page))
            if path is None:
                out.append(f"<p>{cap} — {_e(_L('report_missing', lang))}</p>")
                continue
            href = _e(self.link(path, self.site / "firm", page))
            if path.suffix.lower() != ".pdf":
                out.append(f'<p>{cap}: <a class="report" href="{href}">{_e(file)}</a></p>')
                continue
            from analysis.presentation.audit_sources import amount_strings

            names = [str(r["segment"]) for r in rs]
            amounts = [s for r in rs for s in amount_strings(float(r["revenue"]), factor)]
            img = page_image(path, self.sha256(path), page, names, amounts,
                             self.inp.image_cache or self.site.parent / ".audit_cache", self.opts.dpi)
            self.images_cached += img.cached
            self.images_made += not img.cached
            name = copy_image(img, self.site / "img")
            marked = _L("area_marked", lang) if img.area else _L("area_not_found", lang)
            area = ",".join(f"{v:.0f}" for v in img.area) if img.area else ""
            out.append(f'<figure data-page="{page}" data-area="{area}"><a class="report" href="{href}"><img class="page" '
                       f'src="../img/{_e(name)}" alt="{cap}"></a><figcaption>{cap}; {_e(marked)}</figcaption></figure>')
        return "".join(out)

    def hits(self, firm: str, year: int) -> tuple[str, int]:
        from analysis.presentation.audit_sources import dig_hits, report_pages
        from analysis.text.reports import TextCache

        lang = self.opts.language
        st = self.text_status.get((firm, year))
        if st is None or self.inp.counter is None:
            return f"<p>{_e(_L('no_report', lang))}</p>", 0
        sha = str(st.get("sha256") or "")
        ext = TextCache(self.inp.text_cache).get(sha) if self.inp.text_cache and sha else None
        path = self.report_path(str(st.get("file")))
        if ext is None and path is not None:
            from analysis.text.pdf import extract_file

            ext = extract_file(path)
        if ext is None or not ext.text:
            return f"<p>{_e(_L('no_text', lang))}</p>", 0
        pages = report_pages(path) if path is not None and int(st.get("n_pages") or 1) > 1 else [ext.text]
        hits, mdna, mdna_pages = dig_hits(ext.text, self.inp.counter, pages)
        n = len(ext.text)
        parts = [f"<p>{_e(_L('report_file', lang))}: "
                 + (f'<a class="report" href="{_e(self.link(path, self.site / "firm"))}">{_e(st.get("file"))}</a>'
                    if path is not None else _e(st.get("file")))
                 + f"; {_e(_L('chars', lang, n=n))}; "
                 + (_e(_L("mdna_at", lang, start=mdna[0], end=mdna[1], head=ext.text[mdna[0]:mdna[0] + 14],
                           pages="–".join(str(p) for p in mdna_pages if p is not None) or "—"))
                    if mdna else _e(_L("mdna_not_found", lang))) + "</p>"]
        rows = []
        for h in hits[: self.opts.max_hits]:
            rows.append([_e(h.term), str(h.page or "—"), _e(_L("mdna" if h.in_mdna else "outside_mdna", lang)),
                         f"…{_e(h.before)}<mark>{_e(h.term)}</mark>{_e(h.after)}…"
                         + (f" ({_e(_L('negated', lang))})" if h.negated else "")])
        parts.append(f"<p>{_e(_L('hits_shown', lang, shown=min(len(hits), self.opts.max_hits), n=len(hits)))}</p>")
        if rows:
            parts.append(_table([_e(_L(k, lang)) for k in ("term", "page", "section", "context")], rows,
                                ' class="hits"'))
        return "".join(parts), len(hits)


def _serv_block(ev: _Evidence, firm: str, year: int, serv: dict | None, segs: list[dict], lang: str) -> str:
    parts = []
    if serv:
        facts = [("serv_share", serv.get("serv_share")), ("breakdown_used", serv.get("breakdown_used")),
                 ("denominator", serv.get("denominator")), ("mixed_treatment", serv.get("mixed_treatment")),
                 ("service_revenue", serv.get("service_revenue")), ("segment_revenue", serv.get("segment_revenue")),
                 ("sum_check", f'{serv.get("sum_check_against")}: {_num(serv.get("sum_gap_rel"))}'),
                 ("missing_reason", serv.get("serv_missing_reason"))]
        flags = [k for k, v in serv.items() if k.startswith("flag_") and bool(v)]
        facts.append(("flags", ", ".join(flags) or "—"))
        parts.append(_table([_e(_L("item", lang)), _e(_L("value", lang))],
                            [[_e(_L(k, lang)), _num(v) if isinstance(v, float) else _e(v)] for k, v in facts]))
        parts.append(f"<p><code>Serv = {_e(_L('serv_formula', lang))}</code></p>")
    st = ev.seg_status.get((firm, year))
    if st and st.get("result") not in (None, "vendor") and str(st.get("result")) != "nan":
        keys = ["file", "result", "unit_stated", "unit", "unit_decided_by", "operating_revenue", "operating_revenue_page",
                "reconciliation_gap", "gaps", "table_total", "total_gap", "pages_read", "table_pages", "notes"]
        parts.append(f"<h4>{_e(_L('report_table', lang))}</h4>" + _table(
            [_e(_L("item", lang)), _e(_L("value", lang))],
            [[_e(k), _num(st.get(k)) if isinstance(st.get(k), float) else _e(st.get(k))] for k in keys
             if k in st and str(st.get(k)) not in ("nan", "None", "")]))
    if segs:
        used = serv.get("breakdown_used") if serv else None
        rows = []
        for r in segs:
            cls = ' class="used"' if r["breakdown"] == used else ""
            rows.append([f"<td{cls}>{_e(r['breakdown'])}</td>", _e(r["segment"]),
                         f'<td class="num">{_num(r["revenue"], 2)}</td>',
                         f'<td class="{_e(r["label"])}">{_e(r["label"])}</td>', _e(r.get("decided_by", "")),
                         _e(r.get("matched", "")), f"<code>{_e(r['source'])}</code>"])
        parts.append(_table([_e(_L(k, lang)) for k in ("breakdown", "segment", "revenue", "label", "decided_by",
                                                         "matched", "source")], rows, ' class="segments"'))
        used_rows = [r for r in segs if r["breakdown"] == used] if used else segs
        parts.append(ev.images(firm, year, used_rows or segs))
    return "".join(parts) or f"<p>{_e(_L('no_segments', lang))}</p>"


def table_of(inp: AuditInputs, m: str, from_dir: Path) -> str | None:
    """Relative link from ``from_dir`` to the table (Markdown) whose column is model ``m``, where it exists."""
    if inp.tables_dir is None:
        return None
    from analysis.presentation.tables import result_sets

    outcomes = list(dict.fromkeys(r.get("spec", {}).get("outcome") for r in inp.results.values()))
    for name, models in result_sets(sorted(inp.results), outcomes).items():
        path = Path(inp.tables_dir) / f"{name}.md"
        if m in models and path.is_file():
            return os.path.relpath(path.resolve(), from_dir.resolve()).replace(os.sep, "/")
    return None


def _model_rows(inp: AuditInputs, lookup: dict, firm: str, year: int, row: dict, lang: str) -> str:
    rows = []
    for m in sorted(inp.influence):
        samples, by_cluster = lookup[m]
        res = inp.results.get(m, {})
        spec = res.get("spec", {})
        inside = f"{firm}:{year}" in samples
        cols = [spec.get("outcome"), *res.get("names", [])]
        vals = []
        for c in cols:
            if c in row:
                vals.append(f"{_e(label(c, lang))}={_num(row[c])}")
            elif c and c.endswith("_sq") and c[:-3] in row:
                vals.append(f"{_e(label(c, lang))}={_num(float(row[c[:-3]]) ** 2)}")
        t = by_cluster.get(firm)
        infl = (f"Δb2={_num(t['infl_b2'])}, ΔTP={_num(t['infl_turning_point'])}"
                + (f", Δb5={_num(t['infl_b5'])}" if spec.get("moderator") else "")
                + f" (#{int(t['rank_turning_point'])})") if t else "—"
        table_link = lookup["_tables"].get(m)
        rows.append([f'<a href="../model/{_e(m)}.html#firm-{_e(firm)}">{_e(m)}</a>'
                     + (f' (<a href="{_e(table_link)}">{_e(_L("table", lang))}</a>)' if table_link else ""),
                     _e(_L("yes" if inside else "no", lang)), "; ".join(vals) if inside else "—", infl])
    return _table([_e(_L(k, lang)) for k in ("model", "in_sample", "row_data", "firm_influence")], rows,
                  ' class="models"')


def firm_page(inp: AuditInputs, opts: AuditOptions, ev: _Evidence, lookup: dict, firm: str, raw_rows: list[list],
              panel_rows: list[dict], recomputed: dict, serv: dict, segs: dict, kept: str) -> str:
    lang = opts.language
    name = next((r[1] for r in raw_rows if r[1]), "")
    body = [f'<h2 id="raw">{_e(_L("raw_rows", lang))}</h2>',
            _table([_e(_L(k, lang)) for k in ("year", "fate", "detail")],
                   [[(f'<a href="#y{r[2]}">{r[2]}</a>' if r[4] == kept else _e(r[2])), _e(r[4]), _e(r[5])]
                    for r in raw_rows])]
    for row in sorted(panel_rows, key=lambda r: r["year"]):
        y = int(row["year"])
        rc = recomputed.get((firm, y))
        body.append(f'<section class="fy" id="y{y}"><h2>{_e(firm)} {_e(name)} · {y}</h2>'
                    f'<p><a href="../index.html#firm={_e(firm)}&amp;year={y}">{_e(_L("in_list", lang))}</a></p>')
        body.append(f"<h3>{_e(_L('variables', lang))}</h3>" + _raw_and_computed(row, rc, lang))
        body.append(f"<h3>{_e(_L('serv', lang))}</h3>"
                    + _serv_block(ev, firm, y, serv.get((firm, y)), segs.get((firm, y), []), lang))
        hits_html, _ = ev.hits(firm, y)
        dig_formula = _L("dig_formula", lang, section=inp.dig_section)
        body.append(f"<h3>{_e(_L('dig', lang))}</h3><p>Dig = {_num(row.get('dig'))}; <code>{_e(dig_formula)}</code></p>"
                    + hits_html)
        body.append(f"<h3>{_e(_L('in_models', lang))}</h3>" + _model_rows(inp, lookup, firm, y, row, lang) + "</section>")
    return _page(f"{firm} {name}", "\n".join(body), lang, depth=1)


# --------------------------------------------------------------------------------------- model pages
def _curve_svg(curves: list[tuple[str, str, float, float, float, float]], lang: str) -> str:
    """Inline SVG of y = b1 x + b2 x^2 (relative to x = 0) for each (name, colour, b1, b2, x_lo, x_hi)."""
    w, h, pad = 520, 260, 36
    xs = [np.linspace(lo, hi, 60) for *_, lo, hi in curves]
    ys = [b1 * x + b2 * x * x for (_, _, b1, b2, _, _), x in zip(curves, xs)]
    x0, x1 = min(x.min() for x in xs), max(x.max() for x in xs)
    y0, y1 = min(y.min() for y in ys), max(y.max() for y in ys)
    if x1 <= x0 or not np.isfinite([y0, y1]).all():
        return ""
    y1 = y1 if y1 > y0 else y0 + 1

    def px(x, y):
        return pad + (x - x0) / (x1 - x0) * (w - 2 * pad), h - pad - (y - y0) / (y1 - y0) * (h - 2 * pad)

    parts = [f'<svg class="curve" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img">',
             f'<rect x="0" y="0" width="{w}" height="{h}" fill="#fff" stroke="#ccc"/>']
    for k, ((name, colour, *_), x, y) in enumerate(zip(curves, xs, ys)):
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in (px(u, v) for u, v in zip(x, y)))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{pts}"/>'
                     f'<text x="{w - pad - 200}" y="{pad + 16 * k}" fill="{colour}" font-size="12">{_e(name)}</text>')
    parts.append(f'<text x="{pad}" y="{h - 8}" font-size="12">Serv {x0:.2f}–{x1:.2f}</text></svg>')
    return "".join(parts)


def model_page(inp: AuditInputs, opts: AuditOptions, m: str, site: Path) -> str:
    lang = opts.language
    table, rec = inp.influence[m]
    res = inp.results.get(m, {})
    spec = res.get("spec", {})
    moderated = bool(spec.get("moderator"))
    params = dict(zip(res.get("names", []), res.get("coef", [])))
    wo = rec.get("without_top", {})
    body = [f"<p><code>{_e(spec.get('formula', ''))}</code></p>",
            f'<p><a href="../index.html#model={_e(m)}">{_e(_L("sample_of_model", lang, n=rec.get("n_obs")))}</a>; '
            f'{_e(_L("clusters_of_model", lang, n=rec.get("n_clusters"), by=rec.get("cluster_variable")))}; '
            f'<a href="{_e(m)}_influence.csv">{_e(_L("influence_csv", lang))}</a>'
            + (f'; <a href="{_e(t)}">{_e(_L("table", lang))}</a>' if (t := table_of(inp, m, site / "model")) else "")
            + "</p>"]
    comp = [[_e(_L("n_obs", lang)), str(rec.get("n_obs")), str(wo.get("n_obs"))],
            ["b2", _num(rec.get("b2")), _num(wo.get("b2"))],
            [_e(_L("turning_point", lang)), _num(rec.get("turning_point")), _num(wo.get("turning_point"))],
            [_e(_L("p_sasabuchi", lang)), _num(res.get("extras", {}).get("utest", {}).get("p_sasabuchi")),
             _num(wo.get("p_sasabuchi"))]]
    if moderated:
        comp.append(["b5", _num(rec.get("b5")), _num(wo.get("b5"))])
    dropped = ", ".join(f'<a href="../firm/{_e(f)}.html">{_e(f)}</a>' for f in rec.get("dropped", []))
    body.append(f"<h2>{_e(_L('without_top', lang, k=rec.get('top')))}</h2><p>{_e(_L('dropped_firms', lang))}: {dropped}</p>"
                + _table(["", _e(_L("all_firms", lang)), _e(_L("without", lang, k=rec.get("top")))], comp))
    x = spec.get("x", "serv")
    z = rec.get("moderator_median") if moderated else None

    def coefs(p: dict) -> tuple[float, float]:
        b1, b2 = p.get(x, p.get("b1")), p.get(f"{x}_sq", p.get("b2"))
        if moderated and z is not None:
            b1 = b1 + p.get(f"{x}_x_{spec['moderator']}", p.get("b4", 0.0)) * z
            b2 = b2 + p.get(f"{x}_sq_x_{spec['moderator']}", p.get("b5", 0.0)) * z
        return float(b1), float(b2)

    if params and wo.get("b1") is not None:
        lo, hi = res.get("x_range", [0, 1])
        wlo, whi = wo.get("x_range", [lo, hi])
        svg = _curve_svg([(_L("all_firms", lang), "#1f4e99", *coefs(params), lo, hi),
                          (_L("without", lang, k=rec.get("top")), "#c0392b", *coefs(wo), wlo, whi)], lang)
        body.append(f"<p>{_e(_L('curve_note', lang))}</p>{svg}")
    rows = []
    for r in table.head(opts.influence_rows).itertuples(index=False):
        f = _fk(r.cluster)
        rows.append([f'<td id="firm-{_e(f)}"><a href="../firm/{_e(f)}.html">{_e(f)}</a></td>', str(r.n_obs),
                     f'<td class="num">{_num(r.infl_turning_point)}</td>', f'<td class="num">{_num(r.infl_b2)}</td>']
                    + ([f'<td class="num">{_num(r.infl_b5)}</td>'] if moderated else []))
    head = [_e(_L(k, lang)) for k in ("firm", "n_obs", "infl_tp", "infl_b2")] + ([_e(_L("infl_b5", lang))] if moderated else [])
    body.append(f"<h2>{_e(_L('most_influential', lang, n=min(opts.influence_rows, len(table))))}</h2>"
                f"<p>{_e(_L('influence_note', lang))}</p>" + _table(head, rows, ' class="influence"'))
    rest = table.iloc[opts.influence_rows:]
    if len(rest):  # every firm gets an anchor, so a firm page links to its own line
        body.append("<details><summary>" + _e(_L("other_firms", lang, n=len(rest))) + "</summary>" + _table(
            head, [[f'<td id="firm-{_e(_fk(r.cluster))}">{_e(_fk(r.cluster))}</td>', str(r.n_obs),
                    f'<td class="num">{_num(r.infl_turning_point)}</td>', f'<td class="num">{_num(r.infl_b2)}</td>']
                   + ([f'<td class="num">{_num(r.infl_b5)}</td>'] if moderated else [])
                   for r in rest.itertuples(index=False)]) + "</details>")
    return _page(_L("model_title", lang, m=m), "\n".join(body), lang, depth=1)


# ------------------------------------------------------------------------------------------ the site
def _recomputed(panel: pd.DataFrame, dropped: pd.DataFrame) -> pd.DataFrame:
    """roa, roe, size, lev, growth from the raw statement values before winsorizing (analysis.variables), for
    the kept firm-years; the previous year's revenue may come from a row that was dropped later."""
    from analysis.variables import financial_variables

    need = ["firm", "year", "total_assets", "total_liabilities", "total_equity", "total_revenue", "net_profit"]
    if not set(need) <= set(panel.columns):
        return pd.DataFrame()
    frames = [panel[need].assign(_kept=True)]
    if len(dropped) and set(need) <= set(dropped.columns):
        d = dropped.copy()
        if "statement_type" in d:
            d = d[d["statement_type"].astype(str) == "A"]
        if "period_end" in d:
            pe = pd.to_datetime(d["period_end"], errors="coerce")
            d = d[(pe.dt.month == 12) & (pe.dt.day == 31)]
        frames.append(_norm(d)[need].assign(_kept=False))
    fin = pd.concat(frames, ignore_index=True).drop_duplicates(["firm", "year"], keep="first")
    for c in need[2:]:
        fin[c] = pd.to_numeric(fin[c], errors="coerce")
    out = pd.concat([fin[["firm", "year", "_kept"]], financial_variables(fin)], axis=1)
    return out[out["_kept"]].drop(columns="_kept")


def summary_page(inp: AuditInputs, opts: AuditOptions, rows: list[list], meta: dict, site: str, top: int = 10) -> str:
    """A one-page summary for the Snakemake report (which cannot hold the site itself): how to open the site
    (``site``: its folder relative to this page), the sample counts, and per model its N and the firms that
    move its turning point most."""
    lang = opts.language
    n_kept = sum(r[4] == meta["kept"] for r in rows)
    body = [f'<p>{_e(_L("summary_open", lang, path="paper/audit/index.html"))} '
            f'<a href="{_e(site)}/index.html">{_e(_L("nav_sample", lang))}</a></p>',
            f"<p>{_e(_L('intro', lang, n=len(rows), kept=n_kept))}</p>"]
    for m in meta["models"]:
        table, rec = inp.influence[m]
        moderated = bool(inp.results.get(m, {}).get("spec", {}).get("moderator"))
        head = [_e(_L(k, lang)) for k in ("firm", "n_obs", "infl_tp", "infl_b2")] + (
            [_e(_L("infl_b5", lang))] if moderated else [])
        trs = [[_e(_fk(r.cluster)), str(r.n_obs), f'<td class="num">{_num(r.infl_turning_point)}</td>',
                f'<td class="num">{_num(r.infl_b2)}</td>'] + ([f'<td class="num">{_num(r.infl_b5)}</td>'] if moderated
                                                              else [])
               for r in table.head(top).itertuples(index=False)]
        wo = rec.get("without_top", {})
        body.append(f'<h2><a href="{_e(site)}/model/{_e(m)}.html">{_e(m)}</a></h2><p>'
                    + _e(_L("summary_model", lang, n=rec.get("n_obs"), tp=_num(rec.get("turning_point")),
                            k=rec.get("top"), tp_without=_num(wo.get("turning_point")),
                            p_without=_num(wo.get("p_sasabuchi")))) + "</p>" + _table(head, trs))
    return _page(_L("title", lang), "\n".join(body), lang).replace(
        '<nav><a href="index.html">', f'<nav><a href="{_e(site)}/index.html">')


#: what the firm-page workers read (set before they are forked; see :func:`write_site`)
_JOB: dict[str, Any] = {}


def _firm_pages(firms: list[str]) -> tuple[int, int]:
    """Write the pages of ``firms`` (in a worker or in the main process); (images rendered, from the cache)."""
    j = _JOB
    ev = _Evidence(j["inp"], j["opts"], j["out"])
    for firm in firms:
        (j["out"] / "firm" / f"{firm}.html").write_text(
            firm_page(j["inp"], j["opts"], ev, j["lookup"], firm, j["raw"][firm], j["panel"].get(firm, []),
                      j["recomputed"], j["serv"], j["segs"], j["kept"]), encoding="utf-8")
    return ev.images_made, ev.images_cached


def write_site(out_dir: str | Path, inp: AuditInputs, opts: AuditOptions = AuditOptions(), workers: int = 1,
               summary: str | Path | None = None) -> dict[str, Any]:
    """Write the audit site to ``out_dir`` (and with ``summary`` its one-page summary there, linking to the
    site); returns counts (pages, images) for the log. With ``workers`` > 1 the firm pages are written by that
    many forked processes (the pages do not depend on the order)."""
    out = Path(out_dir)
    (out / "firm").mkdir(parents=True, exist_ok=True)
    (out / "model").mkdir(parents=True, exist_ok=True)
    inp.panel = _norm(inp.panel).reset_index(drop=True)
    rows, meta = sample_rows(inp, opts.language)
    (out / "index.html").write_text(index_page(inp, opts, rows, meta), encoding="utf-8")
    serv = {(r["firm"], r["year"]): r for r in _norm(inp.servitization).to_dict("records")} if len(inp.servitization) else {}
    segs: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for r in _norm(inp.labels).to_dict("records"):
        segs[(r["firm"], r["year"])].append(r)
    recomputed = {(r["firm"], int(r["year"])): r for r in _recomputed(inp.panel, inp.dropped).to_dict("records")}
    lookup = {m: (set(rec.get("sample", [])), {_fk(r["cluster"]): r for r in t.to_dict("records")})
              for m, (t, rec) in inp.influence.items()}
    lookup["_tables"] = {m: table_of(inp, m, out / "firm") for m in inp.influence}
    by_firm_raw: dict[str, list] = defaultdict(list)
    for r in rows:
        by_firm_raw[r[0]].append(r)
    panel_by_firm: dict[str, list[dict]] = defaultdict(list)
    for r in inp.panel.to_dict("records"):
        panel_by_firm[r["firm"]].append(r)
    _JOB.update(inp=inp, opts=opts, out=out, lookup=lookup, raw=by_firm_raw, panel=panel_by_firm,
                recomputed=recomputed, serv=serv, segs=segs, kept=meta["kept"])
    firms = sorted(by_firm_raw)
    try:
        if workers > 1 and len(firms) > 50:
            import multiprocessing

            with multiprocessing.get_context("fork").Pool(workers) as pool:
                counts = pool.map(_firm_pages, [firms[k::workers] for k in range(workers)])
        else:
            counts = [_firm_pages(firms)]
    finally:
        _JOB.clear()
    for m in meta["models"]:
        (out / "model" / f"{m}.html").write_text(model_page(inp, opts, m, out), encoding="utf-8")
        inp.influence[m][0].to_csv(out / "model" / f"{m}_influence.csv", index=False, lineterminator="\n")
    if summary is not None:
        summary = Path(summary)
        summary.parent.mkdir(parents=True, exist_ok=True)
        site = os.path.relpath(out.resolve(), summary.parent.resolve()).replace(os.sep, "/")
        summary.write_text(summary_page(inp, opts, rows, meta, site), encoding="utf-8")
    return {"raw_rows": len(rows), "firms": len(by_firm_raw), "models": len(meta["models"]),
            "images_rendered": sum(c[0] for c in counts), "images_cached": sum(c[1] for c in counts)}
