"""Rule mechanism_tables: one table per mechanism link from the saved results."""
import json
from pathlib import Path

from analysis.presentation.mechanism_tables import mechanism_table, parse_result_name, summary_table
from analysis.workflow import run_rule


def main(smk, log):
    measures = json.loads(Path(smk.input.info).read_text(encoding="utf-8"))
    results = {}
    for name, path in zip(smk.params.names, smk.input.results):
        res = results[name] = json.loads(Path(path).read_text(encoding="utf-8"))
        table = mechanism_table(parse_result_name(name)[0], res, measures, smk.params.language)
        table.write(Path(smk.params.outdir) / f"mechanism_{name}", smk.params.formats)
        log(f"table mechanism_{name}")
    summary_table(results, smk.params.outcomes, smk.params.language).write(
        Path(smk.params.outdir) / "mechanism_summary", smk.params.formats)
    log("table mechanism_summary")


run_rule(main, snakemake)  # noqa: F821
