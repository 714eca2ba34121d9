# Robustness: named robustness models (one job) and the specification curve (sharded jobs).
# Everything reads the estimation panel and the winsorizing bounds the panel rule wrote.
from analysis.robustness import robustness_models
from analysis.speccurve import build_specifications

ROBUST_MODELS = [s.name for s in robustness_models(config)]
SPECCURVE_SHARDS = list(range(config["robustness"]["speccurve"]["n_shards"]))
SPECCURVE_N = len(build_specifications(config))

# Final outputs of this file, added to `rule all` in the Snakefile.
ROBUSTNESS_OUTPUTS = (
    expand("paper/results/robustness/{name}.json", name=ROBUST_MODELS)
    + expand("paper/tables/{table}.{ext}", table=["robustness", "speccurve"], ext=["md", "tex"])
    + expand("paper/figures/speccurve.{ext}", ext=FIG_FORMATS)
)


rule robustness_models:
    """Fit every model of robustness.models (quadratic and moderated); one JSON each, and the table."""
    input:
        panel="data_clean/panel.parquet",
        bounds="data_clean/winsorize_bounds.csv",
    output:
        results=expand("paper/results/robustness/{name}.json", name=ROBUST_MODELS),
        table=expand("paper/tables/robustness.{ext}", ext=["md", "tex"]),
    params:
        config=lambda wc: {k: config[k] for k in ("robustness", "models", "winsorize")},
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
        config=lambda wc: {k: config[k] for k in ("robustness", "models", "winsorize")},
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
        results="paper/results/speccurve.csv",
        summary="paper/results/speccurve_summary.json",
        table=expand("paper/tables/speccurve.{ext}", ext=["md", "tex"]),
        figure=expand("paper/figures/speccurve.{ext}", ext=FIG_FORMATS),
    params:
        n_specifications=SPECCURVE_N,
        sort_by=config["robustness"]["speccurve"]["sort_by"],
        alpha=config["models"]["alpha"],
    resources:
        mem_mb=2000,
        runtime=15,
    log:
        "logs/speccurve.log",
    script:
        "../scripts/speccurve.py"
