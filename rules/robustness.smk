# Robustness: named robustness models (one job) and the specification curve (sharded jobs).
# Everything reads the estimation panel and the winsorizing bounds the panel rule wrote.
from analysis.robustness import robustness_models
from analysis.speccurve import build_specifications, curve_settings, shards

# Both parts are optional: a config without `robustness.choices` (or without `models` /
# `speccurve`) simply builds less. Choices are checked here, so a typo fails before any job runs.
_ROBUST = config.get("robustness") or {}
ROBUST_MODELS = [s.name for s in robustness_models(config)] if _ROBUST.get("models") else []
SPECCURVE = bool(_ROBUST.get("speccurve"))
SPECCURVE_SPECS = build_specifications(config) if SPECCURVE else []
# shards named by their content (e.g. roa__soe): adding a choice adds shards, the others keep their results
SPECCURVE_GROUPS = shards(SPECCURVE_SPECS, _ROBUST["speccurve"]["shard_by"]) if SPECCURVE else {}
SPECCURVE_SHARDS = list(SPECCURVE_GROUPS)
SPECCURVE_N = len(SPECCURVE_SPECS)

# Final outputs of this file, added to `rule all` in the Snakefile.
ROBUSTNESS_OUTPUTS = []
if ROBUST_MODELS:
    ROBUSTNESS_OUTPUTS += expand("paper/results/robustness/{name}.json", name=ROBUST_MODELS)
    ROBUSTNESS_OUTPUTS += expand("paper/tables/robustness.{ext}", ext=TABLE_FORMATS)
    ROBUSTNESS_OUTPUTS += expand("paper/figures/robustness_coefficients.{ext}", ext=FIG_FORMATS)
if SPECCURVE:
    ROBUSTNESS_OUTPUTS += expand("paper/tables/speccurve.{ext}", ext=TABLE_FORMATS)
    ROBUSTNESS_OUTPUTS += expand("paper/figures/speccurve.{ext}", ext=FIG_FORMATS)


rule robustness_models:
    """Fit every model of robustness.models (quadratic and moderated); one JSON each, and the table."""
    input:
        panel="data_clean/panel.parquet",
        bounds="data_clean/winsorize_bounds.csv",
    output:
        results=expand("paper/results/robustness/{name}.json", name=ROBUST_MODELS),
        baseline="paper/results/robustness/baseline.json",
    log:
        "logs/robustness_models.log",
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        # the curve's lists are not a setting of these models: changing them must not refit them;
        # nor is the output language (the table is its own rule)
        config={
            **{k: config[k] for k in ("models", "winsorize")},
            "robustness": {k: v for k, v in _ROBUST.items() if k != "speccurve"},
        },
        formats=TABLE_FORMATS,
    script:
        "../scripts/robustness_models.py"


rule robustness_table:
    """The robustness table from the saved results (baseline first), in every table format and the
    configured language; never refits."""
    input:
        baseline="paper/results/robustness/baseline.json",
        results=expand("paper/results/robustness/{name}.json", name=ROBUST_MODELS),
    output:
        table=[
            (
                in_report(
                    f"paper/tables/robustness.{ext}", caption="../report/table_robustness.rst", category="Robustness"
                )
                if ext == "html"
                else f"paper/tables/robustness.{ext}"
            )
            for ext in TABLE_FORMATS
        ],
    log:
        "logs/robustness_table.log",
    conda:
        CONDA_ENV
    params:
        alpha=config["models"]["alpha"],
        language=config["output"]["language"],
        parentheses=config["output"]["parentheses"],
        formats=TABLE_FORMATS,
    script:
        "../scripts/robustness_table.py"


rule figure_robustness:
    """Coefficient plot: b2 (Serv squared) with its interval in every robustness model."""
    input:
        baseline="paper/results/robustness/baseline.json",
        results=expand("paper/results/robustness/{name}.json", name=ROBUST_MODELS),
    output:
        [
            (
                in_report(
                    f"paper/figures/robustness_coefficients.{ext}",
                    caption="../report/figure_robustness.rst",
                    category="Robustness",
                )
                if ext == "png"
                else f"paper/figures/robustness_coefficients.{ext}"
            )
            for ext in FIG_FORMATS
        ],
    log:
        "logs/figure_robustness.log",
    conda:
        CONDA_ENV
    params:
        alpha=config["models"]["alpha"],
        language=config["output"]["language"],
        font=config["output"]["cjk_font"],
    script:
        "../scripts/figure_robustness.py"


rule speccurve_shard:
    """Estimate the specifications of one shard (its choices on robustness.speccurve.shard_by)."""
    input:
        panel="data_clean/panel.parquet",
        bounds="data_clean/winsorize_bounds.csv",
    output:
        results="data_clean/speccurve/shard_{shard}.csv",
    log:
        "logs/speccurve_shard_{shard}.log",
    wildcard_constraints:
        shard="|".join(SPECCURVE_SHARDS) or "none",
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        config=curve_settings(config),
        specs=lambda wc: [s.choices() for s in SPECCURVE_GROUPS[wc.shard]],
    script:
        "../scripts/speccurve_shard.py"


rule speccurve:
    """Merge the shards: the specifications' results and the summary numbers of the curve."""
    input:
        shards=expand("data_clean/speccurve/shard_{shard}.csv", shard=SPECCURVE_SHARDS),
    output:
        results="paper/results/speccurve/specifications.csv",
        summary="paper/results/speccurve/summary.json",
    log:
        "logs/speccurve.log",
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        config={**curve_settings(config), "robustness": _ROBUST},
        n_specifications=SPECCURVE_N,
        alpha=config["models"]["alpha"],
    script:
        "../scripts/speccurve.py"


rule speccurve_table:
    """The table and the two-panel figure of the specification curve, from the merged results (the
    output language changes only this step)."""
    input:
        results="paper/results/speccurve/specifications.csv",
    output:
        table=[
            (
                in_report(
                    f"paper/tables/speccurve.{ext}", caption="../report/table_speccurve.rst", category="Robustness"
                )
                if ext == "html"
                else f"paper/tables/speccurve.{ext}"
            )
            for ext in TABLE_FORMATS
        ],
        figure=[
            (
                in_report(
                    f"paper/figures/speccurve.{ext}", caption="../report/figure_speccurve.rst", category="Robustness"
                )
                if ext == "png"
                else f"paper/figures/speccurve.{ext}"
            )
            for ext in FIG_FORMATS
        ],
    log:
        "logs/speccurve_table.log",
    conda:
        CONDA_ENV
    params:
        sort_by=_ROBUST["speccurve"]["sort_by"] if SPECCURVE else None,
        alpha=config["models"]["alpha"],
        formats=TABLE_FORMATS,
        language=config["output"]["language"],
        font=config["output"]["cjk_font"],
    script:
        "../scripts/speccurve_table.py"
