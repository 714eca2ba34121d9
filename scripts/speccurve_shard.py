"""Rule speccurve_shard: estimate one contiguous block of the specification curve."""
import warnings

import pandas as pd

from analysis.robustness import Choices
from analysis.speccurve import build_specifications, run_specifications, shard, spec_index, write_results
from analysis.workflow import run_rule

warnings.filterwarnings("ignore", message=".*singleton fixed effect")


def main(smk, log):
    cfg = smk.params.config
    specs = build_specifications(cfg)
    k, n = int(smk.wildcards.shard), int(cfg["robustness"]["speccurve"]["n_shards"])
    mine = shard(specs, n, k)
    log(f"shard {k}/{n}: {len(mine)} of {len(specs)} specifications")
    panel = pd.read_parquet(smk.input.panel)
    bounds = pd.read_csv(smk.input.bounds)
    results = run_specifications(panel, mine, Choices.from_config(cfg), bounds, spec_index(specs), progress=log)
    log(f"status: {results['status'].value_counts().to_dict()}")
    write_results(results, smk.output.results)


run_rule(main, snakemake)  # noqa: F821
