"""Rule checks: VIF, mean differences by group, placebo, b2 difference between groups (saved as JSON)."""
import warnings

import pandas as pd

from analysis import checks
from analysis.workflow import run_rule, write_json

warnings.filterwarnings("ignore", message=".*singleton fixed effect")


def main(smk, log):
    cfg, models, seed = smk.params.checks, smk.params.models, int(smk.params.seed)
    panel = pd.read_parquet(smk.input.panel)
    spec, options = checks.baseline_spec(models)
    outcome = spec.outcome
    group = cfg["group"]
    if group not in panel.columns:
        raise ValueError(f"config key 'checks.group': the panel has no column {group!r} "
                         f"(0/1 columns it has: {[c for c in panel.columns if set(panel[c].dropna().unique()) <= {0, 1}]})")
    x_sq = f"{models['x']}_sq"
    regressors = [models["x"], x_sq, *models["controls"]]
    out = dict(zip(["vif", "means", "placebo", "bdiff"], smk.output.results))
    write_json(out["vif"], {"rows": checks.vif(panel.assign(**{x_sq: panel[models["x"]] ** 2}), regressors)
                            .to_dict("records")})
    variables = [v for v in dict.fromkeys([outcome, models["x"], models["moderator"], *models["controls"]]) if v]
    write_json(out["means"], {"group": group,
                              "rows": checks.group_mean_differences(panel, variables, group).to_dict("records")})
    pl = checks.placebo(panel, spec, options, int(cfg["placebo_reps"]), seed)
    log(f"placebo: {pl['reps']} draws, share rejecting {pl['share_reject']:.3f}")
    write_json(out["placebo"], pl)
    bd = checks.group_difference(panel, spec, options, group, int(cfg["permutation_reps"]), seed)
    log(f"b2 difference by {group}: {bd['diff']:.4f}, permutation p {bd['p_permutation']:.3f}")
    write_json(out["bdiff"], bd)


run_rule(main, snakemake)  # noqa: F821
