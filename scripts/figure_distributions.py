"""Rule figure_distributions: histograms of Serv and Dig in the estimation panel."""
import pandas as pd

from analysis.presentation.figures import plot_distributions
from analysis.workflow import run_rule


def main(smk, log):
    panel = pd.read_parquet(smk.input.panel)
    used = plot_distributions(panel, list(smk.output), variables=smk.params.variables,
                              language=smk.params.language, font=smk.params.font)
    log(f"wrote {', '.join(smk.output)} (labels: {used})")


run_rule(main, snakemake)  # noqa: F821
