"""Rule paper_numbers: every number the text quotes, as LaTeX macros and JSON (from saved results)."""
import json
from pathlib import Path

import pandas as pd

from analysis.estimation import ModelResult
from analysis.presentation.paper import macros_tex, mechanism_numbers, paper_numbers, write_json
from analysis.workflow import run_rule


def main(smk, log):
    results = [ModelResult.from_dict(json.loads(Path(p).read_text(encoding="utf-8"))) for p in smk.input.results]
    numbers = paper_numbers(results, pd.read_csv(smk.input.ledger), pd.read_parquet(smk.input.panel),
                            smk.params.language)
    if smk.input.mechanism:  # mechanism.enabled: the numbers of its section, for its first outcome
        mech = {Path(p).stem: json.loads(Path(p).read_text(encoding="utf-8")) for p in smk.input.mechanism}
        numbers.update(mechanism_numbers(mech, smk.params.mechanism_outcome, smk.params.language))
    Path(smk.output.tex).parent.mkdir(parents=True, exist_ok=True)
    Path(smk.output.tex).write_text(macros_tex(numbers), encoding="utf-8")
    write_json(smk.output.json, numbers)
    log(f"{len(numbers)} numbers -> {smk.output.tex}, {smk.output.json}")


run_rule(main, snakemake)  # noqa: F821
