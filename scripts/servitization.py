"""Rule servitization: label segments and compute the service share per firm-year."""
import pandas as pd

from analysis.servitization.classifier import label_segments, load_overrides, load_rules
from analysis.servitization.measures import servitization_measures
from analysis.servitization.segments import fill_missing_from_reports
from analysis.workflow import run_rule


def main(smk, log):
    raw = pd.read_parquet(smk.input.segments)
    vendor = raw.assign(year=raw["period_end"].dt.year.astype("int64"),
                        source="vendor:" + raw["_source_file"].astype(str) + "#row"
                               + raw["_source_row"].astype(str))
    segments = fill_missing_from_reports(vendor, pd.read_parquet(smk.input.report_segments))
    n_report = int(segments["source"].str.startswith("report:").sum())
    log(f"{len(segments)} segment rows ({n_report} from report tables)")
    rules = load_rules(None if smk.params.rules == "default" else smk.params.rules)
    overrides = load_overrides(smk.input.overrides, rules)
    labeled = label_segments(segments, rules, overrides)
    log(f"labels: {labeled['label'].value_counts().to_dict()}; {len(overrides)} override(s)")
    labeled.to_csv(smk.output.labels, index=False)
    measures = servitization_measures(labeled, prefer=tuple(smk.params.prefer),
                                      tolerance=float(smk.params.tolerance))
    flags = [c for c in measures.columns if c.startswith("flag_")]
    log(f"{len(measures)} firm-years; flagged: " + ", ".join(f"{c}={int(measures[c].sum())}" for c in flags))
    measures.to_parquet(smk.output.measures, index=False)


run_rule(main, snakemake)  # noqa: F821
