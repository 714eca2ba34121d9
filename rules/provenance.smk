# Provenance: what went in (raw files and their hashes), with which configuration and code.


rule manifest:
    """data_clean/manifest.json: every raw input (path, bytes, sha256, rows read), the resolved
    config, package versions and the git commit. No timestamps: two runs give the same bytes."""
    input:
        files="data_clean/raw/files.csv",
        checks="data_clean/raw/checks.csv",
        mapping=VENDOR_MAPPING,
        reports=REPORTS_INPUT,
        # the reports' content record (rules/measures.smk): rewritten whenever a report changes
        report_record=REPORT_RECORDS["all"],
    output:
        manifest="data_clean/manifest.json",
    log:
        "logs/manifest.log",
    conda:
        CONDA_ENV
    params:
        reports_dir=lambda w: REPORTS_DIR,
        config=_plain(config),
    script:
        "../scripts/manifest.py"
