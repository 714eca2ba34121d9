"""Rule panel: sample selection with a ledger, controls, measures, winsorizing."""
import pandas as pd

from analysis.panel import build_panel
from analysis.servitization.measures import ALTERNATIVE_SERV
from analysis.workflow import run_rule

TABLES = ("company", "balance_sheet", "income_statement", "industry_history", "st_history",
          "market_value", "shareholders", "ownership_history")


def main(smk, log):
    tables = {name: pd.read_parquet(smk.input[name]) for name in TABLES}
    serv = pd.read_parquet(smk.input.servitization)
    serv = serv.loc[~serv["flag_no_usable_breakdown"], ["firm", "year", "serv_share", "serv_breadth", "serv_dummy",
                                                        "serv_missing_reason", *ALTERNATIVE_SERV]]
    serv = serv.rename(columns={"serv_share": "serv", **ALTERNATIVE_SERV})
    dig = pd.read_parquet(smk.input.digitalization)
    cfg = dict(smk.params.sample)
    cfg["winsorize"] = dict(smk.params.winsorize)
    result = build_panel(tables, serv, dig, cfg, service_intensity=pd.read_parquet(smk.input.service_intensity))
    for row in result.ledger.itertuples():
        log(f"step {row.step:2d} {row.rule:<60s} -{row.rows_dropped:>6d} -> {row.rows_remaining:>6d} "
            f"firm-years, {row.firms_remaining} firms")
    for w in result.warnings:
        log(f"WARNING: {w}")
    for var in ("tobin_q", "top1", "age", "soe", "serv_text"):
        if var in result.panel:
            log(f"{var}: available for {int(result.panel[var].notna().sum())} of {len(result.panel)} firm-years")
    result.panel.to_parquet(smk.output.panel, index=False)
    result.ledger.to_csv(smk.output.ledger, index=False)
    dropped = result.dropped
    for col in dropped.columns:  # mixed-type object columns -> strings for parquet
        if dropped[col].dtype == object:
            dropped[col] = dropped[col].astype("str").where(dropped[col].notna())
    dropped.to_parquet(smk.output.dropped, index=False)
    result.winsor_bounds.to_csv(smk.output.winsor, index=False)


run_rule(main, snakemake)  # noqa: F821
