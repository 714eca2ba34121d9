"""Rule heterogeneity: the baseline inverted U by region and by ownership, with the permutation test
of every pair's b2 difference (saved as JSON; tables: rule checks_tables)."""
import warnings

import pandas as pd

from analysis import checks
from analysis.workflow import run_rule, write_json

warnings.filterwarnings("ignore", message=".*singleton fixed effect")

#: why a split cannot be estimated when its panel column is empty
SKIPPED = {"region": "no firm has a province: map the company table's province (CSMAR TRD_Co PROVINCE) in the "
                     "vendor mapping to estimate the model by region",
           "ownership": "no firm has an ownership type: soe is missing (map the company table's ownership)"}


def main(smk, log):
    cfg = smk.params.heterogeneity
    panel = pd.read_parquet(smk.input.panel)
    spec, options = checks.baseline_spec(smk.params.models)
    for split, path in zip(cfg["by"], smk.output.results):
        column, groups = checks.HETEROGENEITY[split]
        if column not in panel.columns or panel[column].isna().all():
            write_json(path, {"split": split, "by": column, "status": "skipped", "reason": SKIPPED[split]})
            log(f"{split}: skipped ({SKIPPED[split]})")
            continue
        res = checks.heterogeneity(panel, spec, options, column, groups, int(cfg["permutation_reps"]),
                                   int(smk.params.seed), min_obs=int(smk.params.models["min_observations"]))
        write_json(path, {"split": split, **res})
        log(f"{split}: groups {[(g['group'], g['status'], g['n_obs']) for g in res['groups']]}, "
            f"{res['n_missing']} firm-years without a group; pairs "
            + ", ".join(f"{p['a']}-{p['b']} {p['diff']:.4f} (p {p['p_permutation']:.3f})" if p["status"] == "ok"
                        else f"{p['a']}-{p['b']} failed: {p['reason']}" for p in res["pairs"]))


run_rule(main, snakemake)  # noqa: F821
