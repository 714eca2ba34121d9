# Estimation: one job per model, each saving a tidy JSON result that the table and figure rules read,
# so tables and figures rebuild without re-estimating.


rule estimate:
    """Fit one model; save coefficients, covariance, U-test and moderation statistics."""
    input:
        panel="data_clean/panel.parquet",
        ledger="data_clean/sample_ledger.csv",
    output:
        result="paper/results/{model}.json",
    log:
        "logs/estimate_{model}.log",
    wildcard_constraints:
        model="|".join(MODELS),
    conda:
        CONDA_ENV
    params:
        models=config["models"],
        seed=config["seed"],  # wild bootstrap draws
    script:
        "../scripts/estimate.py"
