"""Rule checks_tables: the tables of the referees' checks from their saved results."""
import json
from pathlib import Path

from analysis.presentation.checks_tables import TABLES
from analysis.workflow import run_rule


def main(smk, log):
    for name, path in zip(smk.params.checks, smk.input.results):
        res = json.loads(Path(path).read_text(encoding="utf-8"))
        TABLES[name](res, smk.params.language, smk.params.parentheses).write(Path(smk.params.outdir) / f"checks_{name}", smk.params.formats)
        log(f"table checks_{name}")


run_rule(main, snakemake)  # noqa: F821
