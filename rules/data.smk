# Raw data: the synthetic demo sample (when source is "demo") and vendor ingestion.
# Adding a year: drop its file(s) into data_raw/<source>/ and rerun. The ingest rule's input is the
# list of files matching the vendor mapping's patterns, so a new file changes that list and Snakemake
# reruns ingest and what depends on it (servitization, panel, estimates, tables), but not the text
# stage (count_report_shard, digitalization), which depends only on the report folder.
import os
from pathlib import Path

from analysis.ingest import TABLES as CANONICAL_TABLES, find_files, load_vendor_mapping, source_file
from analysis.content import content_trigger
from analysis.workflow import refresh_content_records

DEMO_FILES = [
    "TRD_Co.csv",
    "FS_Combas.csv",
    "FN_Fn045.txt",
    "STK_IndustryClass.csv",
    "TRD_Year.csv",
    "HLD_CR.zip",
    "PT_LCRDSpend.csv",
    "PT_PatentApply.csv",
]


if config["source"] == "demo":

    rule demo_data:
        """Synthetic CSMAR-style raw files, report texts and the true model (data_raw/demo)."""
        output:
            truth=f"{RAW}/truth.json",
            truth_firm_years=f"{RAW}/truth_firm_years.csv",
            truth_mechanism=f"{RAW}/truth_mechanism.json",
            truth_mechanism_firm_years=f"{RAW}/truth_mechanism_firm_years.csv",
            files=[f"{RAW}/{f}" for f in DEMO_FILES + demo_statement_files()],
            reports=directory(f"{RAW}/reports"),
        log:
            "logs/demo_data.log",
        conda:
            CONDA_ENV
        params:
            demo=config["demo"],
            seed=config["seed"],
            mechanism=coupling_settings(config["mechanism"]),
        script:
            "../scripts/demo_data.py"


# vendor files are inputs by their content too (analysis.content): an edit that keeps the file's time
# still reruns ingest
if workflow.is_main_process:
    refresh_content_records({"data_clean/raw/inputs.csv": _vendor_deps}, say=print)


rule ingest:
    """Vendor files -> canonical tables (one parquet per table, validated against the declared
    schemas of analysis/validation.py), via the vendor column mapping; plus the list of files read.
    Optional tables (industry_history, market_value, shareholders, rd, patents) are empty when absent."""
    input:
        files=raw_vendor_files,
        mapping=VENDOR_MAPPING,
        changed=content_trigger("data_clean/raw/inputs.csv"),
    output:
        **{t: f"data_clean/raw/{t}.parquet" for t in CANONICAL_TABLES},
        files="data_clean/raw/files.csv",
        checks="data_clean/raw/checks.csv",
        inputs="data_clean/raw/inputs.csv",
    log:
        "logs/ingest.log",
    conda:
        CONDA_ENV
    params:
        raw_dir=RAW,
    script:
        "../scripts/ingest.py"
