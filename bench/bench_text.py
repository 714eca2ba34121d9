"""Benchmark of the text pipeline (issue 4): extraction speed, counting speed and exactness, memory.

Run:  PYTHONPATH=. python bench/bench_text.py [--reports DIR] [--out bench/results/text_benchmark.md]

Not a test: it measures and writes the figures to a Markdown file. Side by side, in one run, on the
same corpus (the annual reports found in DIR, default ../shared/data/real_reports):

* PDF -> text: raw ``pymupdf`` ``Page.get_text()`` vs :func:`analysis.text.pdf.extract_pdf`
  (header/footer removal + normalization), pages per second on one core;
* counting on the normalized text, throughput in MB/s of UTF-8 normalized text and total count:
  (a) jieba segmentation (dictionary terms added with ``jieba.add_word``, as in most published
  code) then counting tokens that are terms; (b) naive per-term ``str.count`` on the lower-cased
  text; (c) :class:`analysis.text.counting.KeywordCounter`; each against a reference count from a
  plain-Python leftmost-longest scan written in this file;
* memory: resident set size while processing the corpus many times over (no cache);
* an estimate for the whole A-share market (50,000 reports of ~200 pages) from the measured rates.

Two dictionaries are used: Wu Fei et al. (2021) (few hits in manufacturing reports) and a dense
list of frequent, nested words (many hits) that shows the double counting of (b) and the splitting
of (a). The report texts themselves are never written anywhere.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from analysis.text.counting import KeywordCounter  # noqa: E402
from analysis.text.dictionary import dictionary_from_mapping, load_dictionary  # noqa: E402
from analysis.text.pdf import extract_pdf  # noqa: E402
from analysis.text.reports import process_reports, scan_reports  # noqa: E402

DENSE_TERMS = ["公司", "有限公司", "股份有限公司", "研发", "研发投入", "投入", "疫苗", "口蹄疫",
               "口蹄疫疫苗", "智能", "智能制造", "数字化", "信息化", "数据", "大数据", "互联网",
               "报告期", "报告期内", "期内", "冷链", "冷链物流", "物流", "产品", "产品质量", "质量",
               "生产", "生产线", "销售", "销售收入", "收入", "营业收入", "营业"]

MARKET_REPORTS = 50_000
REF_RAW_PPS = 700  # raw pymupdf get_text pages/s on one unloaded core (figure given in issue 4)
MARKET_PAGES_PER_REPORT = 200


def reference_count(text: str, terms) -> dict[str, int]:
    """Leftmost-longest non-overlapping scan, ASCII case-insensitive (independent of the package)."""
    def fold(s):
        return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)

    ftext = fold(text)
    by_first: dict[str, list[tuple[str, str]]] = {}
    for t in sorted(terms, key=len, reverse=True):
        by_first.setdefault(fold(t)[0], []).append((t, fold(t)))
    counts: dict[str, int] = {}
    i, n = 0, len(ftext)
    while i < n:
        for t, ft in by_first.get(ftext[i], ()):
            if ftext.startswith(ft, i):
                counts[t] = counts.get(t, 0) + 1
                i += len(t)
                break
        else:
            i += 1
    return counts


def rss_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best_time(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=Path, default=REPO.parent / "shared" / "data" / "real_reports")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "text_benchmark.md")
    ap.add_argument("--reps", type=int, default=5, help="repetitions (best of) for PDF timings")
    ap.add_argument("--memory-rounds", type=int, default=10,
                    help="passes over the corpus for the memory check")
    args = ap.parse_args(argv)

    pdfs = sorted(args.reports.glob("*.pdf"))
    if not pdfs:
        print(f"no PDF reports in {args.reports}", file=sys.stderr)
        return 1
    import ahocorasick
    import jieba
    import pymupdf

    jieba.setLogLevel(60)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731

    # ---- 1. PDF -> text --------------------------------------------------------------------------
    log(f"[bench] {len(pdfs)} reports: PDF to text ...")
    pages_total = 0
    raw_t = ours_t = 0.0
    texts: list[str] = []
    per_report = []
    for p in pdfs:
        with pymupdf.open(p) as d:  # warm-up (font loading) outside the timings
            n_pages = d.page_count
            [pg.get_text() for pg in d]

        def raw():
            with pymupdf.open(p) as d:
                return [pg.get_text() for pg in d]

        tr = best_time(raw, args.reps)
        to = best_time(lambda: extract_pdf(p), args.reps)
        ext = extract_pdf(p)
        assert ext.status == "ok", (p.name, ext.status, ext.reason)
        texts.append(ext.text)
        pages_total += n_pages
        raw_t += tr
        ours_t += to
        per_report.append((p.name, n_pages, n_pages / tr, n_pages / to, len(ext.text)))
    raw_pps = pages_total / raw_t
    ours_pps = pages_total / ours_t
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    n_chars = sum(len(t) for t in texts)

    # ---- 2. counting -----------------------------------------------------------------------------
    wu = load_dictionary()
    dense = dictionary_from_mapping({"name": "dense_nested", "version": "1", "source": "bench",
                                     "categories": {"x": {"label_zh": "x", "label_en": "x",
                                                          "terms": DENSE_TERMS}}})
    jieba.initialize()
    results = {}
    for dic in (wu, dense):
        log(f"[bench] counting with {dic.name} ...")
        terms = list(dic.terms)
        lower_terms = {t.lower(): t for t in terms}
        for t in terms:  # published code adds the dictionary to jieba's vocabulary
            jieba.add_word(t, freq=10_000)
        ref = [reference_count(t, terms) for t in texts]
        ref_total = sum(sum(c.values()) for c in ref)

        def m_jieba():
            out = []
            for t in texts:
                c: dict[str, int] = {}
                for tok in jieba.lcut(t, HMM=False):
                    key = lower_terms.get(tok.lower())
                    if key is not None:
                        c[key] = c.get(key, 0) + 1
                out.append(c)
            return out

        def m_naive():
            out = []
            for t in texts:
                low = t.lower()
                out.append({w: k for w in terms if (k := low.count(w.lower()))})
            return out

        counter = KeywordCounter(dic)

        def m_ours():
            return [counter.count(t) for t in texts]

        automaton = counter._automaton

        def m_plain_scan():  # lower bound: the bare automaton pass, no resolution
            for t in texts:
                for _ in automaton.iter(t):
                    pass

        row = {}
        for name, fn, reps in (("a_jieba", m_jieba, 1), ("b_naive", m_naive, 5),
                               ("c_package", m_ours, 10), ("plain_ac_scan", m_plain_scan, 10)):
            secs = best_time(fn, reps)
            res = fn()
            total = sum(sum(c.values()) for c in res) if res is not None else None
            exact = res == ref if res is not None else None
            row[name] = {"secs": secs, "mbps": mb / secs, "total": total, "exact": exact}
        for t in terms:
            jieba.del_word(t)
        results[dic.name] = (ref_total, row)

    # ---- 3. whole pipeline and memory ------------------------------------------------------------
    log("[bench] whole pipeline and memory ...")
    rows = scan_reports(args.reports)
    rows = rows[rows["status"] == "pending"]
    batch = rows.to_dict("records")
    gc.collect()
    rss0 = rss_mb()
    rss_series = []
    t0 = time.perf_counter()
    n_done = pages_done = 0
    for _ in range(args.memory_rounds):
        _c, _ch, st = process_reports(batch, wu, cache_dir=None, progress=False)
        n_done += len(st)
        pages_done += int(st["n_pages"].sum())
        rss_series.append(rss_mb())
    pipe_secs = time.perf_counter() - t0
    pipe_pps = pages_done / pipe_secs
    # cached rerun
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        process_reports(batch, wu, cache_dir=tmp, progress=False)
        t1 = time.perf_counter()
        process_reports(batch, wu, cache_dir=tmp, progress=False)
        cached_secs = time.perf_counter() - t1
        cache_bytes = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file())

    # ---- 4. write ---------------------------------------------------------------------------------
    market_pages = MARKET_REPORTS * MARKET_PAGES_PER_REPORT
    core_hours = market_pages / pipe_pps / 3600
    cache_per_page = cache_bytes / pages_total
    lines = []
    w = lines.append
    w("# Text pipeline benchmark (issue 4)")
    w("")
    w(f"Generated by `bench/bench_text.py` on {_dt.datetime.now(_dt.UTC):%Y-%m-%d %H:%M} UTC. "
      f"Python {platform.python_version()}, pymupdf {pymupdf.__version__}, "
      f"pyahocorasick {getattr(ahocorasick, '__version__', '2.3.1')}, jieba {jieba.__version__}; "
      f"{os.cpu_count()} logical CPUs (shared with other jobs: absolute rates are noisy; all "
      "figures are single-core and measured side by side in this one run).")
    w("")
    w(f"Corpus: {len(pdfs)} real annual reports, {pages_total} pages, {n_chars:,} characters "
      f"= {mb:.2f} MB of normalized UTF-8 text (texts are not stored).")
    w("")
    w("## PDF to normalized text (one core, best of %d)" % args.reps)
    w("")
    w("| report | pages | raw get_text pages/s | extract_pdf pages/s | ratio | normalized chars |")
    w("|---|---:|---:|---:|---:|---:|")
    for name, n_p, r_pps, o_pps, nc in per_report:
        w(f"| {name} | {n_p} | {r_pps:.0f} | {o_pps:.0f} | {r_pps / o_pps:.2f}x | {nc:,} |")
    w(f"| **all** | {pages_total} | **{raw_pps:.0f}** | **{ours_pps:.0f}** | "
      f"**{raw_pps / ours_pps:.2f}x** | {n_chars:,} |")
    w("")
    w(f"The ratio raw/ours is what this run can establish; the absolute rate depends on the load of "
      f"the shared machine. At the issue's reference rate for raw `get_text` on an unloaded core "
      f"(~{REF_RAW_PPS} pages/s) the measured ratio implies **~{REF_RAW_PPS * ours_pps / raw_pps:.0f} "
      f"pages/s** for `extract_pdf`.")
    w("")
    w("## Counting on normalized text (one core)")
    w("")
    w("Reference: plain-Python leftmost-longest, non-overlapping, case-insensitive scan. "
      "`exact` = per-report, per-term counts identical to the reference.")
    for dname, (ref_total, row) in results.items():
        w("")
        w(f"### Dictionary `{dname}` (reference total count: {ref_total})")
        w("")
        w("| method | MB/s | seconds | total count | exact | speed-up of (c) |")
        w("|---|---:|---:|---:|---|---:|")
        oc = row["c_package"]["secs"]
        for name, lab in (("a_jieba", "(a) jieba segmentation + counting"),
                          ("b_naive", "(b) naive per-term str.count"),
                          ("c_package", "(c) KeywordCounter (this package)"),
                          ("plain_ac_scan", "bare pyahocorasick scan (no resolution, no lower-casing)")):
            r = row[name]
            tot = "-" if r["total"] is None else str(r["total"])
            ex = "-" if r["exact"] is None else ("yes" if r["exact"] else "**no**")
            w(f"| {lab} | {r['mbps']:.1f} | {r['secs']:.4f} | {tot} | {ex} | "
              f"{r['secs'] / oc:.1f}x |")
    w("")
    w("## Whole pipeline, memory, cache")
    w("")
    w(f"`process_reports` (sha256, extraction, MD&A, counting full + MD&A; no cache), "
      f"{args.memory_rounds} passes over the corpus = {n_done} reports, {pages_done} pages: "
      f"**{pipe_pps:.0f} pages/s** on one core.")
    w("")
    w(f"Resident memory (MB) before: {rss0:.0f}; after each pass: "
      + ", ".join(f"{x:.0f}" for x in rss_series)
      + f". Growth from pass 1 to pass {len(rss_series)}: {rss_series[-1] - rss_series[0]:+.1f} MB "
      "(one report in memory at a time; outputs are small count tables).")
    w("")
    w(f"Rerun with a warm text cache: {cached_secs:.3f} s for {len(batch)} reports "
      f"({len(batch) / cached_secs:.0f} reports/s). Cache size {cache_per_page / 1024:.2f} KB per page.")
    w("")
    w("## Whole-market estimate")
    w("")
    w(f"{MARKET_REPORTS:,} reports x {MARKET_PAGES_PER_REPORT} pages = {market_pages:,} pages. "
      f"At the measured {pipe_pps:.0f} pages/s per core: **{core_hours:.1f} core-hours**, i.e. "
      f"{core_hours / 8:.1f} h on an 8-core laptop, {core_hours / 4:.1f} h on 4 cores, "
      f"{core_hours / 100 * 60:.0f} min on 100 cluster cores (Snakemake shards). "
      f"Text cache: ~{cache_per_page * market_pages / 1e9:.0f} GB. "
      f"Reruns and added years only extract new files (cache keyed by file sha256).")
    w("")
    w("## Targets")
    w("")
    wr = results[wu.name][1]
    dr = results[dense.name][1]
    checks = [
        ("(c) >= 60x faster than (a) jieba",
         f"{wr['a_jieba']['secs'] / wr['c_package']['secs']:.0f}x (Wu Fei), "
         f"{dr['a_jieba']['secs'] / dr['c_package']['secs']:.0f}x (dense)",
         min(wr['a_jieba']['secs'] / wr['c_package']['secs'],
             dr['a_jieba']['secs'] / dr['c_package']['secs']) >= 60),
        ("(c) >= 1.5x faster than (b) naive",
         f"{wr['b_naive']['secs'] / wr['c_package']['secs']:.1f}x (Wu Fei), "
         f"{dr['b_naive']['secs'] / dr['c_package']['secs']:.1f}x (dense)",
         min(wr['b_naive']['secs'] / wr['c_package']['secs'],
             dr['b_naive']['secs'] / dr['c_package']['secs']) >= 1.5),
        ("(c) counts exactly equal to the reference",
         f"{wr['c_package']['exact']} / {dr['c_package']['exact']}",
         bool(wr["c_package"]["exact"] and dr["c_package"]["exact"])),
        ("PDF to normalized text >= 500 pages/s per core",
         f"{ours_pps:.0f} pages/s measured (raw get_text {raw_pps:.0f} in the same run); "
         f"~{REF_RAW_PPS * ours_pps / raw_pps:.0f} implied at raw {REF_RAW_PPS}",
         "yes" if ours_pps >= 500 else
         ("implied only (machine loaded)" if REF_RAW_PPS * ours_pps / raw_pps >= 500 else False)),
        ("PDF to normalized text within 1.4x of raw pymupdf", f"{raw_pps / ours_pps:.2f}x",
         raw_pps / ours_pps <= 1.4),
        ("memory does not grow with the number of reports",
         f"{rss_series[-1] - rss_series[0]:+.1f} MB over {n_done} reports",
         rss_series[-1] - rss_series[0] < 20),
    ]
    w("| target | measured | met |")
    w("|---|---|---|")
    for lab, val, ok in checks:
        shown = ok if isinstance(ok, str) else ("yes" if ok else "**no**")
        w(f"| {lab} | {val} | {shown} |")
    w("")
    w("Notes: (a) and (b) are not exact: jieba's segmentation can cut through a term or merge it "
      "with neighbours (undercount), naive `str.count` counts nested terms twice (overcount). "
      "The raw-pymupdf rate depends on the machine's load; the ratio is measured in the same run "
      f"(best of {args.reps}).")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
