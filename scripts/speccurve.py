"""Rule speccurve: merge the shards, write the results, the summary, the table and the figure."""
from analysis.presentation.robustness import plot_speccurve, summary_table
from analysis.speccurve import build_specifications, merge_shards, read_results, summarize, write_results
from analysis.presentation.tables import write_table
from analysis.workflow import run_rule, write_json


def main(smk, log):
    results = merge_shards([read_results(p) for p in smk.input.shards], build_specifications(smk.params.config))
    if len(results) != smk.params.n_specifications:
        raise ValueError(f"merged {len(results)} specifications, expected {smk.params.n_specifications}")
    write_results(results, smk.output.results)
    alpha = float(smk.params.alpha)
    summary = summarize(results, alpha)
    write_json(smk.output.summary, summary)
    log(", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in summary.items()))
    write_table(summary_table(results, alpha, smk.params.language), smk.output.table[0].rsplit(".", 1)[0],
                smk.params.formats)
    lang = plot_speccurve(results, list(smk.output.figure), sort_by=smk.params.sort_by, alpha=alpha,
                          language=smk.params.language, font=smk.params.font)
    log(f"figure (labels: {lang})")


run_rule(main, snakemake)  # noqa: F821
