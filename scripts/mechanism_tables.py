"""Rule mechanism_tables: one table per mechanism link from the saved results."""
import json
from pathlib import Path

from analysis.mechanism_tables import mechanism_table
from analysis.workflow import run_rule


def main(smk, log):
    measures = json.loads(Path(smk.input.info).read_text(encoding="utf-8"))
    for link, path in zip(smk.params.links, smk.input.results):
        res = json.loads(Path(path).read_text(encoding="utf-8"))
        table = mechanism_table(link, res, measures)
        table.write(Path(smk.params.outdir) / f"mechanism_{link}", smk.params.formats)
        log(f"table mechanism_{link}")


run_rule(main, snakemake)  # noqa: F821
