"""Rule speccurve_table: the table and the figure of the specification curve from its merged results."""
from analysis.presentation.robustness import plot_speccurve, summary_table
from analysis.presentation.tables import write_table
from analysis.speccurve import read_results
from analysis.workflow import run_rule


def main(smk, log):
    results = read_results(smk.input.results)
    alpha = float(smk.params.alpha)
    write_table(summary_table(results, alpha, smk.params.language), smk.output.table[0].rsplit(".", 1)[0],
                smk.params.formats)
    lang = plot_speccurve(results, list(smk.output.figure), sort_by=smk.params.sort_by, alpha=alpha,
                          language=smk.params.language, font=smk.params.font)
    log(f"table and figure (labels: {lang})")


run_rule(main, snakemake)  # noqa: F821
