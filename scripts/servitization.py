"""Rule servitization: label segments and compute the service share per firm-year."""
import pandas as pd

from analysis.servitization.classifier import label_segments, load_overrides, load_rules
from analysis.servitization.measures import DENOMINATORS, MIXED_WEIGHTS, servitization_measures
from analysis.panel import annual_consolidated
from analysis.servitization.segments import annual_vendor_segments, fill_missing_from_reports
from analysis.workflow import run_rule


def operating_revenue(income: pd.DataFrame, report_status: pd.DataFrame) -> pd.DataFrame:
    """firm, year, revenue: the consolidated income statement's 营业收入, else the report's key figures."""
    inc = annual_consolidated(income, "income_statement")
    inc = inc[["firm", "year", "operating_revenue"]].rename(columns={"operating_revenue": "revenue"})
    inc = inc[inc["revenue"].notna()]
    rep = pd.DataFrame(columns=["firm", "year", "revenue"])
    if len(report_status) and "operating_revenue" in report_status.columns:
        rep = report_status.loc[report_status["operating_revenue"].notna(), ["firm", "year", "operating_revenue"]]
        rep = rep.rename(columns={"operating_revenue": "revenue"}).dropna(subset=["firm", "year"])
        rep = rep.assign(firm=rep["firm"].astype(str).str.zfill(6), year=rep["year"].astype("int64"))
    have = set(zip(inc["firm"], inc["year"]))
    rep = rep[[(f, y) not in have for f, y in zip(rep["firm"], rep["year"])]]
    out = pd.concat([inc.assign(year=inc["year"].astype("int64")), rep], ignore_index=True)
    return out.drop_duplicates(["firm", "year"], keep="first")


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
    oprev = operating_revenue(pd.read_parquet(smk.input.income_statement),
                              pd.read_csv(smk.input.report_status, dtype={"firm": str}))
    total = oprev if smk.params.denominator == "operating_revenue" else None
    if total is not None:
        log(f"denominator: operating revenue of {len(total)} firm-years")
    accept = [(fy.split(":")[0], int(fy.split(":")[1])) for fy in smk.params.accept_sum_mismatch]
    common = {"prefer": tuple(smk.params.prefer), "tolerance": float(smk.params.tolerance), "accept_mismatch": accept}
    measures = servitization_measures(labeled, total_revenue=total, mixed=smk.params.mixed,
                                      denominator=smk.params.denominator, **common)
    # the other choices, for the robustness set: each mixed-line treatment, and each denominator
    keys = ["firm", "year"]
    for mixed in MIXED_WEIGHTS:
        alt = servitization_measures(labeled, total_revenue=total, mixed=mixed,
                                     denominator=smk.params.denominator, **common)
        measures = measures.merge(alt[keys + ["serv_share"]].rename(columns={"serv_share": f"serv_share_mixed_{mixed}"}),
                                  on=keys, how="left")
    for den in DENOMINATORS:
        alt = servitization_measures(labeled, total_revenue=oprev, mixed=smk.params.mixed, denominator=den, **common)
        measures = measures.merge(alt[keys + ["serv_share"]].rename(columns={"serv_share": f"serv_share_{den}"}),
                                  on=keys, how="left")
    flags = [c for c in measures.columns if c.startswith("flag_")]
    log(f"{len(measures)} firm-years; flagged: " + ", ".join(f"{c}={int(measures[c].sum())}" for c in flags))
    n_missing = int(measures["serv_missing_reason"].notna().sum())
    if n_missing:
        log(f"{n_missing} firm-years without Serv: segment table fails its sum check (serv_missing_reason)")
    measures.to_parquet(smk.output.measures, index=False)


run_rule(main, snakemake)  # noqa: F821
