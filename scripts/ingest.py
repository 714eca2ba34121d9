"""Rule ingest: vendor files -> canonical tables (parquet), via the vendor column mapping."""
from analysis.ingest import load_vendor_mapping, read_table
from analysis.workflow import run_rule


def main(smk, log):
    mapping = load_vendor_mapping(smk.input.mapping)
    for name in ("company", "balance_sheet", "income_statement", "segments"):
        frame = read_table(smk.params.raw_dir, mapping, name)
        files = sorted(set(frame["_source_file"]))
        log(f"{name}: {len(frame)} rows from {len(files)} file(s): {', '.join(files)}")
        frame.to_parquet(smk.output[name], index=False)


run_rule(main, snakemake)  # noqa: F821
