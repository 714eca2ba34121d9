# The audit site (paper/audit/): influence of each firm on every main model (exact leave-one-firm-out
# refits, analysis/influence.py), then one static site from the provenance files, the saved results and
# the influence records (analysis/presentation/audit.py); opened from the file system; its summary in the report.
_AUDIT = config["audit"]
AUDIT_OUTPUTS = ["paper/audit", "paper/generated/audit.html"] if _AUDIT["enabled"] else []


rule influence:
    """Each firm's influence on b2, the turning point and b5 of every main model; each model without its top firms."""
    input:
        panel="data_clean/panel.parquet",
    output:
        tables=expand("paper/results/influence/{model}.csv", model=MODELS),
        records=expand("paper/results/influence/{model}.json", model=MODELS),
    log:
        "logs/influence.log",
    conda:
        CONDA_ENV
    params:
        models=config["models"],
        names=MODELS,
        top=_AUDIT["top_firms"],
    script:
        "../scripts/influence.py"


rule audit:
    """The static audit site: sample with fates, firm-year evidence (source pages, dictionary hits), models."""
    input:
        panel="data_clean/panel.parquet",
        dropped="data_clean/dropped.parquet",
        servitization="data_clean/servitization.parquet",
        labels="data_clean/segment_labels.csv",
        segment_status="data_clean/report_segments_status.csv",
        text_status="data_clean/report_status.csv",
        results=expand("paper/results/{model}.json", model=MODELS),
        influence_tables=expand("paper/results/influence/{model}.csv", model=MODELS),
        influence_records=expand("paper/results/influence/{model}.json", model=MODELS),
        dictionaries=dictionary_files(config["reports"]),
        reports=REPORTS_INPUT,
        # the tables the firm-year pages link to (each model's column)
        tables=expand("paper/tables/{table}.md", table=TABLES),
    output:
        site=directory("paper/audit"),
        # the report cannot hold a folder of pages (unless stored as zip): a summary linking to the site
        summary=in_report("paper/generated/audit.html", caption="../report/audit.rst", category="Audit"),
    log:
        "logs/audit.log",
    conda:
        CONDA_ENV
    threads: 2
    params:
        audit=_AUDIT,
        language=LANGUAGE,
        reports=config["reports"],
        reports_dir=lambda w: REPORTS_DIR,
        text_cache="data_clean/text/cache",
        image_cache="data_clean/audit_cache",
        tables_dir=lambda w: TABLES_DIR,
    script:
        "../scripts/audit.py"
