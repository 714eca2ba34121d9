"""Rule estimate: fit one model and save its tidy result (coefficients, vcov, U-test, moderation)."""
import pandas as pd

from analysis.estimation import fit_model, specs_from_config, tidy_result
from analysis.inference.moderation import moderation_table
from analysis.inference.utest import u_test
from analysis.workflow import json_records, run_rule, write_json


def main(smk, log):
    models = smk.params.models
    spec = {s.name: s for s in specs_from_config(models)}[smk.wildcards.model]
    panel = pd.read_parquet(smk.input.panel)
    log(f"fitting {spec.formula} (cluster: {spec.cluster}) on {len(panel)} firm-years")
    fit = fit_model(panel, spec)
    result = tidy_result(fit, spec, panel, tuple(models["moderator_quantiles"]))
    params, cov = result.params(), result.cov()
    xl, xh = result.x_range
    alpha = float(models["alpha"])
    ut = u_test(params[spec.x], params[spec.x_sq], cov.loc[[spec.x, spec.x_sq], [spec.x, spec.x_sq]].to_numpy(),
                xl, xh, result.df_t, alpha=alpha)
    result.extras["utest"] = ut.to_dict()
    log(f"N={result.n_obs}, clusters={result.n_clusters}; b({spec.x})={params[spec.x]:.4f}, "
        f"b({spec.x_sq})={params[spec.x_sq]:.4f}; turning point {ut.extreme_point:.3f}, "
        f"Sasabuchi p={ut.p_sasabuchi:.4f}")
    if spec.moderator:
        names = {"x": spec.x, "x2": spec.x_sq, "z": spec.moderator,
                 "xz": spec.interaction(spec.x), "x2z": spec.interaction(spec.x_sq)}
        zl, zh = result.moderator_range
        table = moderation_table(params, cov, names, result.moderator_values, zl=zl, zh=zh,
                                 xl=xl, xh=xh, df=result.df_t, alpha=alpha)
        result.extras["moderation"] = json_records(table)
        flat = table.set_index("quantity").loc["flattening_b5"]
        log(f"flattening: b5={flat['estimate']:.4f}, one-sided p={flat['p']:.4f}")
    write_json(smk.output.result, result.to_dict())


run_rule(main, snakemake)  # noqa: F821
