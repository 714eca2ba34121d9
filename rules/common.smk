# Shared by the Snakefile and the files of rules/ - input functions and helpers. Functions live here
# and the steps in the other files, as snakemake --lint wants. Included first; the functions read the
# constants that the Snakefile and the other files define (RAW, DEMO_FILES, TABLES, ...) when called.
import os
from pathlib import Path

from analysis.coupling import coupling_settings
from analysis.ingest import find_files, load_vendor_mapping, source_file
from analysis.text.reports import names_without_code, report_dependencies

TABLES_DIR = "paper/tables"
FIGURES_DIR = "paper/figures"
# report() under another name: a line that starts with `report(` is read by Snakemake as its keyword
in_report = report
# every rule runs in the project's pinned environment (requirements.lock; for conda users environment.yml)
CONDA_ENV = "../environment.yml"


# (rules/data.smk)
def demo_statement_files():
    first, last = config["demo"]["first_year"], config["demo"]["last_year"]
    split = (first + last) // 2
    return [f"FS_Comins_{first}-{split}.csv", f"FS_Comins_{split + 1}-{last}.xlsx"]


# (rules/data.smk)
def raw_vendor_files(wildcards):
    if config["source"] == "demo":
        return [f"{RAW}/{f}" for f in DEMO_FILES + demo_statement_files()]
    mapping = load_vendor_mapping(VENDOR_MAPPING)
    # an entry inside a zip is read from the zip: the zip is the rule's input
    return sorted({source_file(p).as_posix() for t in mapping.tables.values() for p in find_files(RAW, t)})


# (rules/data.smk)
def _vendor_deps():
    files = (raw_vendor_files(None) if os.path.isdir(RAW) else []) + [VENDOR_MAPPING]
    return [(f, Path(f)) for f in files if os.path.isfile(f)]


# (rules/measures.smk)
def _report_deps():
    if not os.path.isdir(REPORTS_DIR):  # removed: the record differs, the job reruns and says so
        return {key: [] for key in REPORT_RECORDS}
    return report_dependencies(REPORTS_DIR, config["reports"]["n_shards"], config["reports"]["manifest"])


# (rules/measures.smk)
def report_name_tables(wildcards):
    """The company table and a statement table (short names) when some report's file name has no stock code
    (analysis.text.reports.identify_file resolves it by short name); nothing otherwise, so that a new vendor
    file does not rerun the text stage."""
    if not names_without_code(REPORTS_DIR):
        return []
    return ["data_clean/raw/company.parquet", "data_clean/raw/balance_sheet.parquet"]


# (rules/provenance.smk)
def _plain(obj):
    """The resolved config as plain dicts/lists (Snakemake's Config objects are dict subclasses)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


# (rules/paper.smk)
def _caption(kind, name):
    """Caption file of a table or figure (report/), generic when a result set has none of its own."""
    stem = name.split("_")[0] if kind == "figure" and name.split("_")[0] in ("curve", "slope", "marginal") else name
    path = PAPER_SRC / "report" / f"{kind}_{stem}.rst"
    return str(path if path.exists() else PAPER_SRC / "report" / f"{kind}_result_set.rst")


# (rules/paper.smk)
def _table_outputs():
    outs = []
    for t in TABLES:
        for ext in TABLE_FORMATS:
            path = f"paper/tables/{t}.{ext}"
            outs.append(
                in_report(path, caption=_caption("table", t), category="Tables", subcategory=t)
                if ext == "html"
                else path
            )
    return outs
