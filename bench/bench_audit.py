"""Benchmark of the audit site (issue 18, target: generated within 30 s on 2 cores on the demo, under 50 MB).

Run:  PYTHONPATH=. python bench/bench_audit.py [--cores 2] [--workdir DIR] [--out bench/results/audit_benchmark.md]

Not a test. In a fresh working folder it runs the pipeline with the repository's config (demo sample, 400
firms) up to the audit's inputs (``--omit-from influence``; not timed), then times what the audit adds, as
Snakemake runs it: the ``influence`` job (for every main model: every firm left out in turn, and the model
refitted without the top firms) and the ``audit`` rule that writes the site (firm pages in ``--cores``
processes); then the ``audit`` rule alone again (``--forcerun audit``). Reported: wall and CPU time, the site's
size and file count. With the real reports of ../shared present, it also times a site built from the
breakdowns the pipeline reads from them (their extraction not timed): first with the page images rendered,
then from the image cache.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.pipeline import arguments, snakemake

REPO = Path(__file__).resolve().parents[1]


def _timed(fn):
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = fn()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)


def _size(site: Path) -> tuple[float, int]:
    files = [p for p in site.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6, len(files)


def real_corpus(tmp: Path) -> dict | None:
    """Site from the breakdowns read from the real reports (../shared): seconds to write it, rendering and cached."""
    sys.path.insert(0, str(REPO))
    from analysis.presentation.audit import AuditInputs, write_site
    from analysis.servitization.classifier import label_segments, load_rules
    from analysis.servitization.measures import servitization_measures
    from analysis.servitization.report_table import read_breakdowns
    from analysis.text.reports import scan_reports

    shared = Path(os.environ.get("SERVPARADOX_SHARED", REPO.parent / "shared")) / "data"
    pdfs = sorted((shared / "real_reports").glob("*.pdf")) + sorted((shared / "report_corpus").glob("*.pdf"))
    if not pdfs:
        return None
    reports = tmp / "reports"
    reports.mkdir(parents=True)
    for p in pdfs:
        (reports / p.name).symlink_to(p)
    segments, status = read_breakdowns(scan_reports(reports), set())
    labeled = label_segments(segments, load_rules())
    import pandas as pd

    keys = sorted(set(zip(segments["firm"], segments["year"])))
    panel = pd.DataFrame({"firm": [f for f, _ in keys], "year": [y for _, y in keys]})
    out = {"reports": len(pdfs), "firm_years_from_reports": len(keys)}
    for run in ("rendered", "cached"):
        inp = AuditInputs(panel=panel, servitization=servitization_measures(labeled), labels=labeled,
                          segment_status=status, reports_dir=reports, image_cache=tmp / "cache")
        t0 = time.perf_counter()
        made = write_site(tmp / f"site_{run}", inp)
        out[f"seconds_{run}"] = round(time.perf_counter() - t0, 2)
        out[f"images_{run}"] = made["images_rendered"] if run == "rendered" else made["images_cached"]
    out["site_mb"] = round(_size(tmp / "site_cached")[0], 2)
    return out


def main() -> None:
    args, work = arguments(__doc__, "audit_benchmark", "audit-bench-")
    print(f"working folder {work}; running the pipeline up to the audit's inputs (not timed)", flush=True)
    snakemake(work, args.cores, "paper/audit", "--omit-from", "influence")
    shutil.rmtree(work / "paper" / "audit", ignore_errors=True)
    load0 = os.getloadavg()
    wall, cpu = _timed(lambda: snakemake(work, args.cores, "paper/audit"))
    wall_site, cpu_site = _timed(lambda: snakemake(work, args.cores, "paper/audit", "--forcerun", "audit"))
    load1 = os.getloadavg()
    mb, n_files = _size(work / "paper" / "audit")
    n_firms = len(list((work / "paper" / "audit" / "firm").glob("*.html")))
    models = sorted(p.stem for p in (work / "paper" / "audit" / "model").glob("*.html"))
    real = real_corpus(Path(tempfile.mkdtemp(prefix="audit-bench-real-")))
    res = {"cores": args.cores, "models": models, "firm_pages": n_firms, "wall_seconds": round(wall, 1),
           "cpu_seconds": round(cpu, 1), "site_rule_wall_seconds": round(wall_site, 1),
           "site_rule_cpu_seconds": round(cpu_site, 1), "site_mb": round(mb, 1), "site_files": n_files,
           "target_met": bool(wall <= 30 and mb < 50), "load_average_before": [round(x, 2) for x in load0],
           "load_average_after": [round(x, 2) for x in load1], "real_corpus": real,
           "machine": f"{platform.machine()}, {os.cpu_count()} CPUs", "python": platform.python_version()}
    print(json.dumps(res, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(res, indent=2) + "\n")
    lines = [
        "# Audit site benchmark",
        "",
        "Generated by `bench/bench_audit.py` (demo sample of `config/config.yaml`: 400 firms, 2010-2023).",
        f"Timed: the `influence` job ({len(models)} models, every firm left out in turn) and the `audit` rule, run",
        f"by Snakemake with `--cores {args.cores}`; the pipeline up to their inputs is run beforehand and not timed.",
        "",
        "| quantity | value |", "|:---|---:|",
        f"| influence + site, wall time | {wall:.1f} s |",
        f"| influence + site, CPU time of the jobs | {cpu:.1f} s |",
        f"| site alone (`--forcerun audit`), wall / CPU | {wall_site:.1f} s / {cpu_site:.1f} s |",
        f"| site size | {mb:.1f} MB in {n_files} files ({n_firms} firm pages) |",
        f"| target (<= 30 s on 2 cores, < 50 MB) | {'met' if res['target_met'] else 'NOT met'} |",
        f"| load average before / after (1, 5, 15 min) | {res['load_average_before']} / {res['load_average_after']} |",
    ]
    if real:
        lines += [
            f"| real reports: site of {real['firm_years_from_reports']} report-derived firm-years "
            f"({real['reports']} PDFs), page images rendered | {real['seconds_rendered']:.2f} s "
            f"({real['images_rendered']} images) |",
            f"| real reports: the same from the image cache | {real['seconds_cached']:.2f} s "
            f"({real['images_cached']} images, {real['site_mb']:.2f} MB) |",
        ]
    lines += ["", "The demo's reports are texts without revenue tables (its segments come from the vendor file), so",
              "its site has no page images; the real reports show their cost. Page images are rendered once and",
              "cached by report hash (`data_clean/audit_cache/`). A load average above the number of cores means",
              "other work shared the CPUs during the run.", ""]
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
