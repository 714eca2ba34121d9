"""Rule estimate: fit one model and save its tidy result (coefficients, vcov, U-test, moderation)."""
import pandas as pd

from analysis.estimation import fit_model, specs_from_config, tidy_result
from analysis.inference.utest import u_test
from analysis.workflow import run_rule, write_json


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
        from analysis.inference.moderation import moderation_summary

        result.extras["moderation"] = moderation_summary(
            params, cov, spec, result.moderator_values, result.x_range, result.moderator_range,
            result.df_t, alpha)
    write_json(smk.output.result, result.to_dict())


run_rule(main, snakemake)  # noqa: F821
