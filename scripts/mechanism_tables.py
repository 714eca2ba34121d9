"""Rule mechanism_tables: one table per mechanism link from the saved results."""
import json
from pathlib import Path

from analysis.mechanism_tables import mechanism_table, parse_result_name
from analysis.workflow import run_rule


def main(smk, log):
    measures = json.loads(Path(smk.input.info).read_text(encoding="utf-8"))
    for name, path in zip(smk.params.names, smk.input.results):
        res = json.loads(Path(path).read_text(encoding="utf-8"))
        table = mechanism_table(parse_result_name(name)[0], res, measures)
        table.write(Path(smk.params.outdir) / f"mechanism_{name}", smk.params.formats)
        log(f"table mechanism_{name}")


run_rule(main, snakemake)  # noqa: F821
