# Robustness: named robustness models (one job) and the specification curve (sharded jobs).
# Everything reads the estimation panel and the winsorizing bounds the panel rule wrote.
from analysis.robustness import robustness_models
from analysis.speccurve import build_specifications, curve_settings

# Both parts are optional: a config without `robustness.choices` (or without `models` /
# `speccurve`) simply builds less. Choices are checked here, so a typo fails before any job runs.
_ROBUST = config.get("robustness") or {}
ROBUST_MODELS = [s.name for s in robustness_models(config)] if _ROBUST.get("models") else []
SPECCURVE = bool(_ROBUST.get("speccurve"))
SPECCURVE_SHARDS = list(range(_ROBUST["speccurve"]["n_shards"])) if SPECCURVE else []
SPECCURVE_N = len(build_specifications(config)) if SPECCURVE else 0

# Final outputs of this file, added to `rule all` in the Snakefile.
ROBUSTNESS_OUTPUTS = []
if ROBUST_MODELS:
    ROBUSTNESS_OUTPUTS += expand("paper/results/robustness/{name}.json", name=ROBUST_MODELS)
    ROBUSTNESS_OUTPUTS += expand("paper/tables/robustness.{ext}", ext=TABLE_FORMATS)
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
        table=expand("paper/tables/robustness.{ext}", ext=TABLE_FORMATS),
    params:
        config={k: config[k] for k in ("robustness", "models", "winsorize", "output")},
        formats=TABLE_FORMATS,
    resources:
        mem_mb=2000,
        runtime=30,
    log:
        "logs/robustness_models.log",
    script:
        "../scripts/robustness_models.py"


rule speccurve_shard:
    """Estimate one contiguous block of the specification curve's specifications."""
    input:
        panel="data_clean/panel.parquet",
        bounds="data_clean/winsorize_bounds.csv",
    output:
        results="data_clean/speccurve/shard_{shard}.csv",
    params:
        config=curve_settings(config),
    wildcard_constraints:
        shard=r"\d+",
    resources:
        mem_mb=2000,
        runtime=60,
    log:
        "logs/speccurve_shard_{shard}.log",
    script:
        "../scripts/speccurve_shard.py"


rule speccurve:
    """Merge the shards; the table and the two-panel figure of the specification curve."""
    input:
        shards=expand("data_clean/speccurve/shard_{shard}.csv", shard=SPECCURVE_SHARDS),
    output:
        results="paper/results/speccurve/specifications.csv",
        summary="paper/results/speccurve/summary.json",
        table=expand("paper/tables/speccurve.{ext}", ext=TABLE_FORMATS),
        figure=expand("paper/figures/speccurve.{ext}", ext=FIG_FORMATS),
    params:
        n_specifications=SPECCURVE_N,
        sort_by=_ROBUST.get("speccurve", {}).get("sort_by", "b2"),
        alpha=config["models"]["alpha"],
        formats=TABLE_FORMATS,
    resources:
        mem_mb=2000,
        runtime=15,
    log:
        "logs/speccurve.log",
    script:
        "../scripts/speccurve.py"
