# The two measures: servitization from revenue breakdowns, digitalization from report texts.
import os

from analysis.text.dictionary import SERVICE_DICTIONARY_PATH, dictionary_files
from analysis.text.reports import report_dependencies
from analysis.content import content_trigger
from analysis.workflow import refresh_content_records

REPORTS_DIR = f"{RAW}/reports"
REPORT_MANIFEST = [config["reports"]["manifest"]] if config["reports"]["manifest"] else []
SERVICE_DICTIONARY_FILE = (
    str(SERVICE_DICTIONARY_PATH)
    if config["reports"]["service_dictionary"] == "default"
    else config["reports"]["service_dictionary"]
)
SERVICE_RULES = [] if config["servitization"]["rules"] == "default" else [config["servitization"]["rules"]]
# Reports are inputs by their content (analysis.content): each shard job, and report_segments, records the
# sha256 of the reports it depends on; a record the files now present contradict updates the job's trigger
# input (<record>.changed) here, so exactly those jobs rerun (an edit in place, an added or removed report), whatever the file times say.
# The folder itself is an input only when a rule makes it (the demo), for the order of jobs; its time
# (.snakemake_timestamp) decides nothing.
REPORTS_INPUT = [REPORTS_DIR] if config["source"] == "demo" else []
REPORT_RECORDS = {
    **{k: f"data_clean/text/shard_{k}/inputs.csv" for k in SHARDS},
    "all": "data_clean/report_segments_inputs.csv",
}


if workflow.is_main_process:
    _deps = {}
    refresh_content_records(
        {rec: (lambda key=key: _deps.setdefault("d", _report_deps())[key]) for key, rec in REPORT_RECORDS.items()},
        say=print,
    )


rule report_segments:
    """Revenue breakdown tables read from reports (PDF, HTML, TXT, JSON-lines) for firm-years without vendor
    segment rows; one status row per report (found, unit and how decided, reconciliation gap, pages read)."""
    input:
        segments="data_clean/raw/segments.parquet",
        reports=REPORTS_INPUT,
        manifest=REPORT_MANIFEST,
        changed=content_trigger(REPORT_RECORDS["all"]),
        # after the text stage: a PDF's breakdown reads the pages it kept in the text cache
        text_status=expand("data_clean/text/shard_{shard}/status.csv", shard=SHARDS),
        names=report_name_tables,
    output:
        segments="data_clean/report_segments.parquet",
        status="data_clean/report_segments_status.csv",
        inputs=REPORT_RECORDS["all"],
    log:
        "logs/report_segments.log",
    conda:
        CONDA_ENV
    params:
        reports_dir=lambda w: REPORTS_DIR,
        n_shards=config["reports"]["n_shards"],
        enabled=config["servitization"]["report_fallback"],
        method=config["servitization"]["report_method"],
        manifest=config["reports"]["manifest"],
        cache_dir="data_clean/text/cache",
    script:
        "../scripts/report_segments.py"


rule servitization:
    """Label every segment (service / product / not a segment) and build the service share."""
    input:
        segments="data_clean/raw/segments.parquet",
        report_segments="data_clean/report_segments.parquet",
        report_status="data_clean/report_segments_status.csv",
        income_statement="data_clean/raw/income_statement.parquet",
        overrides=config["servitization"]["overrides"],
        rules=SERVICE_RULES,
    output:
        labels="data_clean/segment_labels.csv",
        measures="data_clean/servitization.parquet",
        setaside="data_clean/segment_rows_set_aside.csv",
    log:
        "logs/servitization.log",
    conda:
        CONDA_ENV
    params:
        prefer=config["servitization"]["prefer"],
        tolerance=config["servitization"]["tolerance"],
        accept_sum_mismatch=config["servitization"]["accept_sum_mismatch"],
        rules=config["servitization"]["rules"],
        mixed=config["servitization"]["mixed"],
        denominator=config["servitization"]["denominator"],
    script:
        "../scripts/servitization.py"


rule count_report_shard:
    """Dictionary counts for one shard of the annual reports (shards run as parallel jobs)."""
    input:
        reports=REPORTS_INPUT,
        dictionaries=dictionary_files(config["reports"]),
        service_dictionary=SERVICE_DICTIONARY_FILE,
        manifest=REPORT_MANIFEST,
        changed=content_trigger("data_clean/text/shard_{shard}/inputs.csv"),
        names=report_name_tables,
    output:
        counts="data_clean/text/shard_{shard}/counts.parquet",
        chars="data_clean/text/shard_{shard}/chars.parquet",
        status="data_clean/text/shard_{shard}/status.csv",
        service_counts="data_clean/text/shard_{shard}/service_counts.parquet",
        service_chars="data_clean/text/shard_{shard}/service_chars.parquet",
        inputs="data_clean/text/shard_{shard}/inputs.csv",
    log:
        "logs/count_report_shard_{shard}.log",
    conda:
        CONDA_ENV
    params:
        reports_dir=lambda w: REPORTS_DIR,
        n_shards=config["reports"]["n_shards"],
        reports=config["reports"],
        cache_dir="data_clean/text/cache",
        keep_breakdown_pages=config["servitization"]["report_fallback"],
    script:
        "../scripts/count_report_shard.py"


rule digitalization:
    """Merge the shards: term counts, report status, and the firm-year Dig indices."""
    input:
        counts=expand("data_clean/text/shard_{shard}/counts.parquet", shard=SHARDS),
        chars=expand("data_clean/text/shard_{shard}/chars.parquet", shard=SHARDS),
        status=expand("data_clean/text/shard_{shard}/status.csv", shard=SHARDS),
        dictionaries=dictionary_files(config["reports"]),
    output:
        counts="data_clean/digital_counts.parquet",
        status="data_clean/report_status.csv",
        measures="data_clean/digitalization.parquet",
    log:
        "logs/digitalization.log",
    conda:
        CONDA_ENV
    params:
        reports=config["reports"],
    script:
        "../scripts/digitalization.py"


rule service_intensity:
    """Text-based service intensity (robustness measure): service terms per 10,000 characters of MD&A."""
    input:
        counts=expand("data_clean/text/shard_{shard}/service_counts.parquet", shard=SHARDS),
        chars=expand("data_clean/text/shard_{shard}/service_chars.parquet", shard=SHARDS),
        dictionary=SERVICE_DICTIONARY_FILE,
    output:
        measures="data_clean/service_intensity.parquet",
    log:
        "logs/service_intensity.log",
    conda:
        CONDA_ENV
    params:
        reports=config["reports"],
    script:
        "../scripts/service_intensity.py"
