# Provenance: what went in (raw files and their hashes), with which configuration and code.


def _plain(obj):
    """The resolved config as plain dicts/lists (Snakemake's Config objects are dict subclasses)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


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
    params:
        reports_dir=REPORTS_DIR,
        config=_plain(config),
    log:
        "logs/manifest.log",
    script:
        "../scripts/manifest.py"
