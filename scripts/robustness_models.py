"""Rule robustness_models: fit every robustness model; one JSON each (the table: rule robustness_table)."""
import warnings

import pandas as pd

from analysis.robustness import (Choices, describe_change, estimate_spec, robustness_models,
                                 spec_from_mapping)
from analysis.workflow import run_rule, write_json

warnings.filterwarnings("ignore", message=".*singleton fixed effect")


def main(smk, log):
    cfg = smk.params.config
    choices = Choices.from_config(cfg)
    panel = pd.read_parquet(smk.input.panel)
    bounds = pd.read_csv(smk.input.bounds)
    base = spec_from_mapping(cfg["robustness"]["base"], name="baseline")
    rows = [estimate_spec(panel, base, choices, bounds)]
    rows[0]["spec"]["label"] = "baseline (" + ", ".join(f"{k} = {v}" for k, v in base.choices().items()) + ")"
    write_json(smk.output.baseline, rows[0])
    specs = robustness_models(cfg)
    for spec, path in zip(specs, smk.output.results):
        est = estimate_spec(panel, spec, choices, bounds)
        est["spec"]["label"] = describe_change(spec, base)
        log(f"{spec.name}: {est['status']} {est['reason']}")
        write_json(path, est)
        rows.append(est)


run_rule(main, snakemake)  # noqa: F821
