"""Rule report_segments: revenue breakdowns from report PDFs where the vendor file has none."""
import pandas as pd

from analysis.servitization.report_table import extract_breakdown
from analysis.servitization.segments import empty_segments
from analysis.text.reports import scan_reports
from analysis.workflow import run_rule

STATUS_COLUMNS = ["file", "firm", "year", "rows", "reason", "notes"]


def main(smk, log):
    vendor = pd.read_parquet(smk.input.segments)
    have = set(zip(vendor["firm"], vendor["period_end"].dt.year.astype(int)))
    found, status = [], []
    if smk.params.enabled:
        rows = scan_reports(smk.input.reports, manifest=smk.params.manifest)
        lacking = pd.Series([(f, int(y)) not in have for f, y in zip(rows["firm"], rows["year"])],
                            index=rows.index, dtype=bool)
        rows = rows[(rows["status"] == "pending") & lacking]
        log(f"{len(rows)} report(s) for firm-years without vendor segment rows")
        for i, r in enumerate(rows.itertuples(index=False), 1):
            if not str(r.file).lower().endswith(".pdf"):
                status.append((r.file, r.firm, int(r.year), 0, "not a PDF: no table layout to read", ""))
                continue
            ex = extract_breakdown(r.path, firm=r.firm, year=int(r.year), method=smk.params.method)
            found.append(ex.segments)
            status.append((r.file, r.firm, int(r.year), len(ex.segments), ex.reason or "", "; ".join(ex.notes)))
            if i % 20 == 0:
                log(f"{i}/{len(rows)} reports read")
    else:
        log("report fallback disabled (servitization.report_fallback: false)")
    segments = pd.concat([s for s in found if len(s)], ignore_index=True) if any(len(s) for s in found) \
        else empty_segments()
    segments.to_parquet(smk.output.segments, index=False)
    pd.DataFrame(status, columns=STATUS_COLUMNS).to_csv(smk.output.status, index=False)
    log(f"{len(segments)} segment rows read from {sum(1 for s in found if len(s))} report(s)")


run_rule(main, snakemake)  # noqa: F821
