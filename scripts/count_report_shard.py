"""Rule count_report_shard: extract, normalize and count one shard of the annual reports."""
from analysis.servitization.report_table import BreakdownPages
from analysis.text.dictionary import dictionary_from_config, service_dictionary_from_config
from analysis.text.reports import process_shard, read_short_names, report_dependencies
from analysis.workflow import run_rule, write_content_record


def main(smk, log):
    shard, n_shards = int(smk.wildcards.shard), int(smk.params.n_shards)
    cfg = smk.params.reports
    dictionary = dictionary_from_config(cfg)
    log(f"shard {shard}/{n_shards} of {smk.params.reports_dir}; dictionary {dictionary.name} "
        f"({len(dictionary.terms)} terms)")
    # reports named without a stock code are identified by the company table's short names
    names = read_short_names(smk.input.names)
    counts, chars, status = process_shard(smk.params.reports_dir, shard, n_shards, dictionary,
                                          smk.params.cache_dir, manifest=cfg["manifest"], short_names=names,
                                          sections=("full", "mdna"),
                                          exclude_negated=bool(cfg["exclude_negated"]), progress=log,
                                          # the pages the revenue breakdown reads, kept so that it does not
                                          # extract the report again (rule report_segments)
                                          keep_pages=BreakdownPages() if smk.params.keep_breakdown_pages else None)
    counts.to_parquet(smk.output.counts, index=False)
    chars.to_parquet(smk.output.chars, index=False)
    # text-based service intensity (robustness measure): the service-term dictionary in the MD&A; the
    # texts come from the cache the pass above filled
    services = service_dictionary_from_config(cfg)
    s_counts, s_chars, _ = process_shard(smk.params.reports_dir, shard, n_shards, services, smk.params.cache_dir,
                                         manifest=cfg["manifest"], short_names=names, sections=("mdna",),
                                         exclude_negated=bool(cfg["exclude_negated"]), progress=False)
    s_counts.to_parquet(smk.output.service_counts, index=False)
    s_chars.to_parquet(smk.output.service_chars, index=False)
    log(f"service terms ({services.name} {services.version}): {int(s_counts['count'].sum())} in "
        f"{len(s_chars)} MD&A sections")
    # timing and cache hits are logged, not written: outputs depend on the inputs only
    log(f"{len(status)} files; cache hits {int(status['cached'].sum())}, "
        f"extraction {status['seconds'].sum():.1f}s")
    status.drop(columns=["cached", "seconds"]).to_csv(smk.output.status, index=False)
    write_content_record(smk.output.inputs,
                         report_dependencies(smk.params.reports_dir, n_shards, cfg["manifest"])[shard])


run_rule(main, snakemake)  # noqa: F821
