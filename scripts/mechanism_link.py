"""Rule mechanism_link: one link of the mechanism (coupling, moderation, mediation, stages, resilience)."""
import pandas as pd

from analysis import mechanism as mech
from analysis.workflow import run_rule, write_json


def main(smk, log):
    cfg, models = smk.params.mechanism, smk.params.models
    panel = pd.read_parquet(smk.input.panel)
    m = pd.read_parquet(smk.input.measures).drop(columns=["revenue"])
    frame = panel.merge(m, on=["firm", "year"], how="left", validate="1:1")
    controls = list(models["controls"])
    common = dict(controls=controls, fixed_effects=list(models["fixed_effects"]), cluster=models["cluster"],
                  alpha=float(models["alpha"]))
    link, y = smk.wildcards.link, cfg["outcome"]
    if link == "coupling":
        res = mech.link_dig_coupling(frame, dig=models["moderator"] or "dig", **common)
    elif link == "moderation":
        res = mech.link_coupling_moderation(frame, outcome=y, x=models["x"],
                                            quantiles=tuple(models["moderator_quantiles"]), **common)
    elif link == "mediation":
        res = mech.mediation(frame, outcome=y, controls=controls, fixed_effects=list(models["fixed_effects"]),
                             cluster="firm", reps=int(cfg["mediation"]["reps"]), seed=int(smk.params.seed),
                             alpha=float(models["alpha"]))
        log(f"indirect effect {res['indirect']['estimate']:.5f} "
            f"[{res['indirect']['ci_lower']:.5f}, {res['indirect']['ci_upper']:.5f}]")
    elif link == "stages":
        res = mech.stage_heterogeneity(frame, frame["stage"], outcome=y, **common)
    elif link == "resilience":
        sh = cfg["shock"]
        res = mech.resilience(frame, outcome=y, shock_year=int(sh["year"]), pre_years=int(sh["pre_years"]),
                              post_years=int(sh["post_years"]), alpha=float(models["alpha"]))
    else:
        raise ValueError(f"unknown mechanism link {link!r}")
    write_json(smk.output.result, res)


run_rule(main, snakemake)  # noqa: F821
