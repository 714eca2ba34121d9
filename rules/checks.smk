# The referees' standard checks (analysis/checks.py): VIF, mean differences by group, a placebo with
# permuted Serv, the difference of b2 between groups (Fisher permutation). Results in
# paper/results/checks/, tables (every format, the configured language) from them.
_CHECKS = config["checks"]
CHECKS = ["vif", "means", "placebo", "bdiff"]
CHECKS_OUTPUTS = (
    expand("paper/tables/checks_{check}.{ext}", check=CHECKS, ext=TABLE_FORMATS) if _CHECKS["enabled"] else []
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


rule checks_tables:
    """The tables of the checks from their saved results, in every format and the configured language."""
    input:
        results=expand("paper/results/checks/{check}.json", check=CHECKS),
    output:
        [
            (
                in_report(
                    f"paper/tables/checks_{c}.{ext}",
                    caption="../report/table_checks.rst",
                    category="Checks",
                    subcategory=c,
                )
                if ext == "html"
                else f"paper/tables/checks_{c}.{ext}"
            )
            for c in CHECKS
            for ext in TABLE_FORMATS
        ],
    log:
        "logs/checks_tables.log",
    conda:
        CONDA_ENV
    params:
        checks=CHECKS,
        language=config["output"]["language"],
        formats=TABLE_FORMATS,
        outdir=lambda w: TABLES_DIR,
    script:
        "../scripts/checks_tables.py"
