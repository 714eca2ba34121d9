"""Benchmark of the revenue-breakdown stage against the text stage, per real report (issue 13).

Run:  PYTHONPATH=. python bench/bench_breakdown.py [--out bench/results/breakdown_benchmark.md]

Not a test: it measures and writes a Markdown table. For every report of ``../shared/data/report_corpus``
and ``../shared/data/real_reports`` (CPU seconds of this process, ``time.process_time``):

* text stage: :func:`analysis.text.pdf.extract_file` (all pages to normalized text);
* breakdown alone: :func:`analysis.servitization.report_table.extract_breakdown` reading the file itself;
* breakdown on the text stage's pages: the same with ``page_texts`` = the raw pages the text stage has
  already extracted (what a combined pass costs on top of the text stage);
* pages examined in full and table-finder calls, and the result (reconciled / no_breakdown / ...).

The target is at most 20% of the text stage on top of it, per report.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from analysis.servitization.report_table import extract_breakdown  # noqa: E402
from analysis.text.pdf import extract_file  # noqa: E402
from analysis.text.reports import identify_file  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
FOLDERS = ("report_corpus", "real_reports")


def _cpu(fn, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t)
    return best, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "breakdown_benchmark.md"))
    ap.add_argument("--repeat", type=int, default=2, help="best of N runs per measure")
    args = ap.parse_args(argv)
    files = [p for f in FOLDERS if (SHARED / f).is_dir() for p in sorted((SHARED / f).iterdir()) if p.is_file()]
    if not files:
        print(f"no reports under {SHARED}: nothing to measure", file=sys.stderr)
        return 0
    rows = []
    for p in files:
        ident, _ = identify_file(p)
        firm, year = (ident.firm, ident.year) if ident.ok else ("999999", 2000)
        t_text, ext = _cpu(lambda: extract_file(p), args.repeat)
        t_alone, ex = _cpu(lambda: extract_breakdown(p, firm=firm, year=year), args.repeat)
        pages = list(ext.raw_pages) or None
        t_shared, ex2 = _cpu(lambda: extract_breakdown(p, firm=firm, year=year, page_texts=pages), args.repeat)
        assert ex2.segments.equals(ex.segments), p.name  # sharing the pages changes nothing
        st = ex.status
        rows.append((p.name, p.suffix.lower(), ext.n_pages, t_text, t_alone, t_shared,
                     st.get("pages_examined"), st.get("find_tables_calls"), st.get("result")))
        print(f"{p.name[:40]:40s} text {t_text:.2f}s  breakdown {t_alone:.2f}s  on shared pages {t_shared:.2f}s",
              file=sys.stderr)
    lines = [
        "# Revenue-breakdown stage vs text stage (per report, CPU seconds, best of "
        f"{args.repeat})", "",
        f"Generated {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC by `bench/bench_breakdown.py` on "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()} (machine shared with "
        "other jobs: figures are indicative).", "",
        "| report | format | pages | text stage s | breakdown alone s | breakdown on text-stage pages s | "
        "overhead vs text | pages examined | find_tables calls | result |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, fmt, n, tt, ta, ts, pe, ft, res in rows:
        over = f"{ts / tt:.0%}" if tt > 0 else "n/a"
        lines.append(f"| {name} | {fmt} | {n} | {tt:.2f} | {ta:.2f} | {ts:.2f} | {over} | {pe if pe is not None else ''} "
                     f"| {ft if ft is not None else ''} | {res} |")
    tot_t = sum(r[3] for r in rows)
    tot_a = sum(r[4] for r in rows)
    tot_s = sum(r[5] for r in rows)
    lines += ["", f"Total: text stage {tot_t:.1f} s, breakdown alone {tot_a:.1f} s ({tot_a / tot_t:.0%} of the text "
              f"stage), breakdown on the text stage's pages {tot_s:.1f} s ({tot_s / tot_t:.0%}).", ""]
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
