"""Rule ingest: vendor files -> validated canonical tables (parquet), via the vendor column mapping.

Also writes the list of raw files read (table, path, bytes, sha256, encoding, rows read, header rows
found, codes zero-padded, notes: rows excluded and columns declared unavailable) for the provenance
manifest, and the warnings of the sanity checks after mapping (analysis.validation.sanity_checks).
"""
from pathlib import Path

import pandas as pd

from analysis.ingest import TABLES, load_vendor_mapping, read_table
from analysis.validation import sanity_checks, validate_table
from analysis.workflow import run_rule, write_content_record


def main(smk, log):
    mapping = load_vendor_mapping(smk.input.mapping)
    files_log = []
    tables = {}
    for name in TABLES:
        n_before = len(files_log)
        frame = read_table(smk.params.raw_dir, mapping, name, files_log)
        validate_table(frame, name, mapping.tables.get(name))
        read = files_log[n_before:]
        if not read:
            log(f"{name}: no file (optional table; variables built from it stay missing)")
        else:
            padded = sum(r["codes_padded"] for r in read)
            log(f"{name}: {len(frame)} rows from {len(read)} file(s): "
                + ", ".join(f"{r['path']} ({r['encoding']}, {r['header_rows']} header row(s): {r['header']}; "
                            f"{r['rows_read']} rows)" for r in read)
                + (f"; {padded} stock code(s) zero-padded to 6 digits" if padded else ""))
            for note in sorted({r["notes"] for r in read if r["notes"]}):
                log(f"{name}: {note}")
        tables[name] = frame
    warnings = sanity_checks(tables, mapping.tables)
    for w in warnings:
        log(f"WARNING: {w}")
    for name, frame in tables.items():
        frame.to_parquet(smk.output[name], index=False)
    files = pd.DataFrame(files_log, columns=["table", "path", "bytes", "sha256", "encoding", "rows_read",
                                             "header_rows", "header", "codes_padded", "notes"])
    files.to_csv(smk.output.files, index=False)
    # what this run read, by content: a later edit of any of these files reruns ingest (analysis.content)
    write_content_record(smk.output.inputs, [(f, Path(f)) for f in [*smk.input.files, smk.input.mapping]])
    pd.DataFrame({"check": "sanity after mapping", "warning": warnings},
                 columns=["check", "warning"]).to_csv(smk.output.checks, index=False)


run_rule(main, snakemake)  # noqa: F821
