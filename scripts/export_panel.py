"""Rule export_panel: panel.dta (Stata 118), panel.csv and the codebook, from the estimation panel."""
from pathlib import Path

import pandas as pd

from analysis.presentation.codebook import codebook_table, write_csv, write_stata
from analysis.workflow import run_rule


def main(smk, log):
    panel = pd.read_parquet(smk.input.panel)
    write_stata(panel, smk.output.dta, smk.params.language)
    write_csv(panel, smk.output.csv)
    table = codebook_table(panel, smk.params.language)
    Path(smk.output.codebook).write_text(table.to_markdown(), encoding="utf-8")
    Path(smk.output.codebook_html).write_text(table.to_html(), encoding="utf-8")
    log(f"panel.dta, panel.csv and the codebook: {len(panel)} firm-years, {panel.shape[1]} variables")


run_rule(main, snakemake)  # noqa: F821
