# The two measures: servitization from revenue breakdowns, digitalization from report texts.


rule servitization:
    """Label every segment (service / product / not a segment) and build the service share."""
    input:
        segments="data_clean/raw/segments.parquet",
        income_statement="data_clean/raw/income_statement.parquet",
        overrides=config["servitization"]["overrides"],
    output:
        labels="data_clean/segment_labels.csv",
        measures="data_clean/servitization.parquet",
    params:
        prefer=config["servitization"]["prefer"],
    log:
        "logs/servitization.log",
    script:
        "../scripts/servitization.py"


rule count_report_shard:
    """Dictionary counts for one shard of the annual reports (shards run as parallel jobs)."""
    input:
        reports=f"{RAW}/reports",
    output:
        counts="data_clean/text/shard_{shard}/counts.parquet",
        chars="data_clean/text/shard_{shard}/chars.parquet",
        status="data_clean/text/shard_{shard}/status.csv",
    params:
        n_shards=config["reports"]["n_shards"],
        dictionary=config["reports"]["dictionary"],
        exclude_negated=config["reports"]["exclude_negated"],
        cache_dir="data_clean/text/cache",
    log:
        "logs/count_report_shard_{shard}.log",
    script:
        "../scripts/count_report_shard.py"


rule digitalization:
    """Merge the shards: term counts, report status, and the firm-year Dig indices."""
    input:
        counts=expand("data_clean/text/shard_{shard}/counts.parquet", shard=SHARDS),
        chars=expand("data_clean/text/shard_{shard}/chars.parquet", shard=SHARDS),
        status=expand("data_clean/text/shard_{shard}/status.csv", shard=SHARDS),
    output:
        counts="data_clean/digital_counts.parquet",
        status="data_clean/report_status.csv",
        measures="data_clean/digitalization.parquet",
    params:
        dictionary=config["reports"]["dictionary"],
        section=config["reports"]["section"],
    log:
        "logs/digitalization.log",
    script:
        "../scripts/digitalization.py"
