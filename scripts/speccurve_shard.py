"""Rule speccurve_shard: estimate one contiguous block of the specification curve."""
import warnings

import pandas as pd

from analysis.robustness import Choices, Spec
from analysis.speccurve import run_specifications, write_results
from analysis.workflow import run_rule

warnings.filterwarnings("ignore", message=".*singleton fixed effect")


def main(smk, log):
    mine = [Spec(**d) for d in smk.params.specs]
    log(f"shard {smk.wildcards.shard}: {len(mine)} specifications")
    panel = pd.read_parquet(smk.input.panel)
    bounds = pd.read_csv(smk.input.bounds)
    results = run_specifications(panel, mine, Choices.from_config(smk.params.config), bounds, progress=log)
    log(f"status: {results['status'].value_counts().to_dict()}")
    write_results(results, smk.output.results)


run_rule(main, snakemake)  # noqa: F821
