"""Rule mechanism_link: one saved mechanism result - coupling (a), or moderation (b), mediation (c),
stages (d), resilience (e) for one performance outcome (the wildcard ``name``, e.g. ``mediation_roa``)."""
import pandas as pd

from analysis import mechanism as mech
from analysis.mechanism import parse_result_name
from analysis.models import ModelOptions
from analysis.workflow import run_rule, write_json


def main(smk, log):
    cfg, models = smk.params.mechanism, smk.params.models
    panel = pd.read_parquet(smk.input.panel)
    m = pd.read_parquet(smk.input.measures).drop(columns=["revenue"])
    frame = panel.merge(m, on=["firm", "year"], how="left", validate="1:1")
    options = ModelOptions.from_config(models)
    controls = list(models["controls"])
    common = dict(controls=controls, fixed_effects=list(models["fixed_effects"]), cluster=options.cluster,
                  se=options.se, alpha=options.alpha)
    link, y = parse_result_name(smk.wildcards.name)
    curve = models["x"] if cfg["curve"] else None
    if y is not None and y not in frame:
        raise ValueError(f"mechanism.outcomes: {y!r} is not a column of the panel (data_clean/panel.parquet)")
    if link == "coupling":
        res = mech.link_dig_coupling(frame, dig=models["moderator"] or "dig", **common)
    elif link == "moderation":
        res = mech.link_coupling_moderation(frame, options, outcome=y, x=models["x"], controls=controls,
                                            fixed_effects=list(models["fixed_effects"]))
    elif link == "mediation":
        res = mech.mediation(frame, outcome=y, controls=controls, fixed_effects=list(models["fixed_effects"]),
                             cluster="firm", curve=curve, curve_quantiles=tuple(models["moderator_quantiles"]),
                             reps=int(cfg["mediation"]["reps"]), seed=int(smk.params.seed),
                             alpha=float(models["alpha"]))
        log(f"{y}: average indirect effect {res['indirect']['estimate']:.5f} "
            f"[{res['indirect']['ci_lower']:.5f}, {res['indirect']['ci_upper']:.5f}]")
    elif link == "stages":
        res = mech.stage_heterogeneity(frame, frame["stage"], outcome=y, curve=curve, **common)
    else:
        sh = cfg["shock"]
        res = mech.resilience(frame, outcome=y, shock_year=int(sh["year"]), pre_years=int(sh["pre_years"]),
                              post_years=int(sh["post_years"]), alpha=float(models["alpha"]))
    write_json(smk.output.result, res)


run_rule(main, snakemake)  # noqa: F821
