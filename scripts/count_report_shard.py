"""Rule count_report_shard: extract, normalize and count one shard of the annual reports."""
from pathlib import Path

from analysis.text.dictionary import load_dictionary
from analysis.text.reports import process_reports, scan_reports, select_shard
from analysis.workflow import run_rule


def main(smk, log):
    shard, n_shards = int(smk.wildcards.shard), int(smk.params.n_shards)
    dictionary = load_dictionary(None if smk.params.dictionary == "default" else smk.params.dictionary)
    folder = Path(smk.input.reports)
    rows = scan_reports(folder)
    mine = select_shard(rows, shard, n_shards)
    log(f"shard {shard}/{n_shards}: {len(mine)} of {len(rows)} report files")
    counts, chars, status = process_reports(mine, dictionary, cache_dir=smk.params.cache_dir,
                                            sections=("full", "mdna"),
                                            exclude_negated=bool(smk.params.exclude_negated),
                                            progress=log)
    counts.to_parquet(smk.output.counts, index=False)
    chars.to_parquet(smk.output.chars, index=False)
    # timing and cache hits are logged, not written: outputs depend on the inputs only
    log(f"cache hits {int(status['cached'].sum())}, extraction {status['seconds'].sum():.1f}s")
    status.drop(columns=["cached", "seconds"]).to_csv(smk.output.status, index=False)


run_rule(main, snakemake)  # noqa: F821
