"""Rule report_segments: revenue breakdowns from annual reports (PDF, HTML, TXT, JSON-lines) where the
vendor file has none, with one status row per report (see analysis.servitization.report_table)."""
import pandas as pd

from analysis.servitization.report_table import BATCH_STATUS_COLUMNS, read_breakdowns
from analysis.servitization.segments import empty_segments
from analysis.text.reports import read_short_names, report_dependencies, scan_reports
from analysis.workflow import run_rule, write_content_record


def main(smk, log):
    vendor = pd.read_parquet(smk.input.segments)
    have = set(zip(vendor["firm"], vendor["period_end"].dt.year.astype(int)))
    if smk.params.enabled:
        # reports named without a stock code are identified by the company table's short names
        names = read_short_names(smk.input.names)
        rows = scan_reports(smk.params.reports_dir, manifest=smk.params.manifest, short_names=names)
        log(f"{len(rows)} report file(s), {int((rows['status'] == 'pending').sum())} identified")
        segments, status = read_breakdowns(rows, have, method=smk.params.method, progress=log,
                                           cache_dir=smk.params.cache_dir)
    else:
        log("report fallback disabled (servitization.report_fallback: false)")
        segments, status = empty_segments(), pd.DataFrame(columns=list(BATCH_STATUS_COLUMNS))
    write_content_record(smk.output.inputs, report_dependencies(smk.params.reports_dir, smk.params.n_shards,
                                                                smk.params.manifest)["all"])
    segments.to_parquet(smk.output.segments, index=False)
    status.to_csv(smk.output.status, index=False)
    log(f"{len(segments)} segment rows read from {int((status['rows'] > 0).sum()) if len(status) else 0} report(s); "
        f"results: {status['result'].value_counts().to_dict() if len(status) else {}}")


run_rule(main, snakemake)  # noqa: F821
