"""Rule estimate: fit one model and save its tidy result (coefficients, vcov, U-test, moderation,
two-lines test), through the one model step :mod:`analysis.models`."""
import pandas as pd

from analysis.estimation import bootstrap_results, check_panel_size
from analysis.models import ModelOptions, estimate_inverted_u, specs_from_config
from analysis.workflow import run_rule, write_json


def main(smk, log):
    models = smk.params.models
    options = ModelOptions.from_config(models)
    spec = {s.name: s for s in specs_from_config(models)}[smk.wildcards.model]
    panel = pd.read_parquet(smk.input.panel)
    check_panel_size(panel, pd.read_csv(smk.input.ledger), int(models["min_observations"]))
    log(f"fitting {spec.formula} (standard errors: {spec.se}"
        + (f" by {spec.cluster}" if spec.cluster else "") + f") on {len(panel)} firm-years")
    result, pf_fit = estimate_inverted_u(panel, spec, options, two_lines=True, return_fit=True)
    ut = result.extras["utest"]
    params = result.params()
    log(f"N={result.n_obs}, clusters={result.n_clusters}, t df={result.df_t:g}; b({spec.x})={params[spec.x]:.4f}, "
        f"b({spec.x_sq})={params[spec.x_sq]:.4f}; turning point {ut['extreme_point']:.3f}, "
        f"Sasabuchi p={ut['p_sasabuchi']:.4f}")
    if spec.moderator:
        flat = result.extras["flattening"]
        log(f"flattening: b5={flat['estimate']:.4f}, one-sided p={flat['p_one_sided']:.4f}")
    else:
        tl = result.extras["two_lines"]
        log(f"two-lines test: slopes {tl['b1']:.4f} (p={tl['p1']:.4f}) and {tl['b2']:.4f} (p={tl['p2']:.4f}) "
            f"at Serv = {tl['breakpoint']:.4f}; inverted U supported: {tl['supported']}")
    boot = models["bootstrap"]
    if boot["enabled"]:
        res = bootstrap_results(pf_fit, spec, panel, list(boot["params"]), reps=int(boot["reps"]),
                                seed=int(smk.params.seed), alpha=options.alpha, ci=bool(boot["ci"]))
        result.extras["wild_bootstrap"] = res
        for name, r in res.items():
            log(f"wild cluster bootstrap ({r['reps']} draws, seed {r['seed']}): {name} p={r['p_value']:.4f}, "
                f"{100 * r['level']:.0f}% CI [{r['ci_lower']}, {r['ci_upper']}]")
    if models["crosscheck"]:
        from analysis.inference.crosscheck import crosscheck

        cc = crosscheck(panel, spec, pf_fit)
        result.extras["crosscheck_linearmodels"] = cc.record()
        log(f"linearmodels cross-check: max |diff| coef {cc.max_abs_diff_coef:.1e}, se {cc.max_abs_diff_se:.1e}")
    write_json(smk.output.result, result.to_dict())


run_rule(main, snakemake)  # noqa: F821
