"""Rule demo_data: generate the synthetic demo sample."""
from pathlib import Path

from analysis.demo.generate import generate_demo, params_from_config
from analysis.workflow import run_rule


def main(smk, log):
    params = params_from_config(smk.params.demo)
    generate_demo(Path(smk.output.truth).parent, params, seed=int(smk.params.seed), progress=log,
                  coupling_config=smk.params.mechanism)


run_rule(main, snakemake)  # noqa: F821
