# Raw data: the synthetic demo sample (when source is "demo") and vendor ingestion.
from analysis.ingest import find_files, load_vendor_mapping

DEMO_FILES = ["TRD_Co.xlsx", "FS_Combas.csv", "FN_Fn045.txt"]


def demo_statement_files():
    first, last = config["demo"]["first_year"], config["demo"]["last_year"]
    split = (first + last) // 2
    return [f"FS_Comins_{first}-{split}.csv", f"FS_Comins_{split + 1}-{last}.xlsx"]


if config["source"] == "demo":

    rule demo_data:
        """Synthetic CSMAR-style raw files, report texts and the true model (data_raw/demo)."""
        output:
            truth=f"{RAW}/truth.json",
            truth_firm_years=f"{RAW}/truth_firm_years.csv",
            files=[f"{RAW}/{f}" for f in DEMO_FILES + demo_statement_files()],
            reports=directory(f"{RAW}/reports"),
        params:
            demo=config["demo"],
            seed=config["seed"],
        log:
            "logs/demo_data.log",
        script:
            "../scripts/demo_data.py"


def raw_vendor_files(wildcards):
    if config["source"] == "demo":
        return [f"{RAW}/{f}" for f in DEMO_FILES + demo_statement_files()]
    mapping = load_vendor_mapping(VENDOR_MAPPING)
    return sorted({str(p) for t in mapping.tables.values() for p in find_files(RAW, t)})


rule ingest:
    """Vendor files -> canonical tables (one parquet per table), via the vendor column mapping."""
    input:
        files=raw_vendor_files,
        mapping=VENDOR_MAPPING,
    output:
        company="data_clean/raw/company.parquet",
        balance_sheet="data_clean/raw/balance_sheet.parquet",
        income_statement="data_clean/raw/income_statement.parquet",
        segments="data_clean/raw/segments.parquet",
    params:
        raw_dir=RAW,
    log:
        "logs/ingest.log",
    script:
        "../scripts/ingest.py"
