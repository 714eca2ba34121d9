"""Rule speccurve: merge the shards; write the results and the summary numbers."""
from analysis.speccurve import build_specifications, merge_shards, read_results, summarize, write_results
from analysis.workflow import run_rule, write_json


def main(smk, log):
    results = merge_shards([read_results(p) for p in smk.input.shards], build_specifications(smk.params.config))
    if len(results) != smk.params.n_specifications:
        raise ValueError(f"merged {len(results)} specifications, expected {smk.params.n_specifications}")
    write_results(results, smk.output.results)
    summary = summarize(results, float(smk.params.alpha))
    write_json(smk.output.summary, summary)
    log(", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in summary.items()))


run_rule(main, snakemake)  # noqa: F821
