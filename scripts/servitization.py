"""Rule servitization: label segments and compute the service share per firm-year."""
import pandas as pd

from analysis.panel import annual_consolidated
from analysis.servitization.classifier import label_segments, load_overrides, load_rules
from analysis.servitization.measures import measures_with_alternatives, operating_revenue
from analysis.servitization.segments import annual_vendor_segments, fill_missing_from_reports
from analysis.workflow import run_rule


def main(smk, log):
    vendor, aside = annual_vendor_segments(pd.read_parquet(smk.input.segments))
    aside.to_csv(smk.output.setaside, index=False)
    for reason, n in aside["reason"].str.extract(r"^(interim period|exact duplicate)")[0].value_counts().items():
        log(f"vendor segment rows set aside: {n} {reason} (listed in {smk.output.setaside})")
    segments = fill_missing_from_reports(vendor, pd.read_parquet(smk.input.report_segments))
    n_report = int(segments["source"].str.startswith("report:").sum())
    log(f"{len(segments)} segment rows ({n_report} from report tables)")
    rules = load_rules(None if smk.params.rules == "default" else smk.params.rules)
    overrides = load_overrides(smk.input.overrides, rules)
    labeled = label_segments(segments, rules, overrides)
    log(f"labels: {labeled['label'].value_counts().to_dict()}; {len(overrides)} override(s)")
    labeled.to_csv(smk.output.labels, index=False)
    income = annual_consolidated(pd.read_parquet(smk.input.income_statement), "income_statement")
    oprev = operating_revenue(income, pd.read_csv(smk.input.report_status, dtype={"firm": str}))
    if smk.params.denominator == "operating_revenue":
        log(f"denominator: operating revenue of {len(oprev)} firm-years")
    accept = [(fy.split(":")[0], int(fy.split(":")[1])) for fy in smk.params.accept_sum_mismatch]
    measures = measures_with_alternatives(labeled, oprev, mixed=smk.params.mixed, denominator=smk.params.denominator,
                                          prefer=tuple(smk.params.prefer), tolerance=float(smk.params.tolerance),
                                          accept_mismatch=accept)
    flags = [c for c in measures.columns if c.startswith("flag_")]
    log(f"{len(measures)} firm-years; flagged: " + ", ".join(f"{c}={int(measures[c].sum())}" for c in flags))
    n_missing = int(measures["serv_missing_reason"].notna().sum())
    if n_missing:
        log(f"{n_missing} firm-years without Serv: segment table fails its sum check (serv_missing_reason)")
    measures.to_parquet(smk.output.measures, index=False)


run_rule(main, snakemake)  # noqa: F821
