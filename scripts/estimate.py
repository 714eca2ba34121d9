"""Rule estimate: fit one model and save its tidy result (coefficients, vcov, U-test, moderation)."""
import math

import pandas as pd

from analysis.estimation import (bootstrap_results, check_panel_size, fit_model, specs_from_config,
                                 tidy_result)
from analysis.inference.moderation import moderation_table
from analysis.inference.utest import u_test
from analysis.workflow import json_records, run_rule, write_json


def _power_of_ten_above(x: float) -> float:
    return float(10.0 ** math.ceil(math.log10(max(x, 1e-300))))


def main(smk, log):
    models = smk.params.models
    spec = {s.name: s for s in specs_from_config(models)}[smk.wildcards.model]
    panel = pd.read_parquet(smk.input.panel)
    check_panel_size(panel, pd.read_csv(smk.input.ledger), int(models["min_observations"]))
    log(f"fitting {spec.formula} (cluster: {spec.cluster}) on {len(panel)} firm-years")
    if spec.cluster and "+" in spec.cluster:
        log("two-way clustering: t-based inference uses df = min(G) - 1")
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
    boot = models.get("bootstrap") or {}
    if boot.get("enabled"):
        res = bootstrap_results(fit, spec, panel, list(boot["params"]), reps=int(boot["reps"]),
                                seed=int(smk.params.seed), alpha=alpha, ci=bool(boot.get("ci", True)))
        result.extras["wild_bootstrap"] = res
        for name, r in res.items():
            log(f"wild cluster bootstrap ({r['reps']} draws, seed {r['seed']}): {name} p={r['p_value']:.4f}, "
                f"{100 * r['level']:.0f}% CI [{r['ci_lower']}, {r['ci_upper']}]")
    if models.get("crosscheck"):
        from analysis.inference.crosscheck import crosscheck

        cc = crosscheck(panel, spec, fit)
        # rounding noise (~1e-14) is not byte-stable: record power-of-ten bounds and the verdict
        result.extras["crosscheck_linearmodels"] = {
            "coef_max_abs_diff_below": _power_of_ten_above(cc.max_abs_diff_coef),
            "se_max_abs_diff_below": _power_of_ten_above(cc.max_abs_diff_se),
            "coef_equal_1e-8": cc.max_abs_diff_coef < 1e-8, "se_equal_1e-6": cc.max_abs_diff_se < 1e-6,
            "note": cc.note}
        log(f"linearmodels cross-check: max |diff| coef {cc.max_abs_diff_coef:.1e}, se {cc.max_abs_diff_se:.1e}")
    write_json(smk.output.result, result.to_dict())


run_rule(main, snakemake)  # noqa: F821
