# The referees' standard checks (analysis/checks.py): VIF, mean differences by group, a placebo with
# permuted Serv, the difference of b2 between groups (Fisher permutation). Results in
# paper/results/checks/, tables (every format, the configured language) from them. Heterogeneity by
# region and by ownership (rule heterogeneity): the baseline model by group, pairs compared by permutation.
_CHECKS = config["checks"]
CHECKS = ["vif", "means", "placebo", "bdiff"]
HETEROGENEITY = [f"heterogeneity_{by}" for by in _CHECKS["heterogeneity"]["by"]]
CHECKS_OUTPUTS = (
    expand("paper/tables/checks_{check}.{ext}", check=CHECKS + HETEROGENEITY, ext=TABLE_FORMATS)
    if _CHECKS["enabled"]
    else []
)


rule checks:
    """Estimate the checks on the estimation panel; one JSON each (randomness seeded from `seed`)."""
    input:
        panel="data_clean/panel.parquet",
    output:
        results=expand("paper/results/checks/{check}.json", check=CHECKS),
    log:
        "logs/checks.log",
    conda:
        CONDA_ENV
    resources:
        runtime=30,
    params:
        checks=_CHECKS,
        models=config["models"],
        seed=config["seed"],
    script:
        "../scripts/checks.py"


rule heterogeneity:
    """The baseline model by region (East/Central/West) and by ownership, with the permutation test of
    every pair's b2 difference; one JSON per split (randomness seeded from `seed`)."""
    input:
        panel="data_clean/panel.parquet",
    output:
        results=expand("paper/results/checks/{het}.json", het=HETEROGENEITY),
    log:
        "logs/heterogeneity.log",
    conda:
        CONDA_ENV
    resources:
        runtime=30,
    params:
        heterogeneity=_CHECKS["heterogeneity"],
        models=config["models"],
        seed=config["seed"],
    script:
        "../scripts/heterogeneity.py"


rule checks_tables:
    """The tables of the checks from their saved results, in every format and the configured language."""
    input:
        results=expand("paper/results/checks/{check}.json", check=CHECKS + HETEROGENEITY),
    output:
        [
            (
                in_report(
                    f"paper/tables/checks_{c}.{ext}",
                    caption=(
                        "../report/table_heterogeneity.rst"
                        if c.startswith("heterogeneity")
                        else "../report/table_checks.rst"
                    ),
                    category="Checks",
                    subcategory=c,
                )
                if ext == "html"
                else f"paper/tables/checks_{c}.{ext}"
            )
            for c in CHECKS + HETEROGENEITY
            for ext in TABLE_FORMATS
        ],
    log:
        "logs/checks_tables.log",
    conda:
        CONDA_ENV
    params:
        checks=CHECKS + HETEROGENEITY,
        language=config["output"]["language"],
        parentheses=config["output"]["parentheses"],
        formats=TABLE_FORMATS,
        outdir=lambda w: TABLES_DIR,
    script:
        "../scripts/checks_tables.py"
