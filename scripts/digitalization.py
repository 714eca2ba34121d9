"""Rule digitalization: merge shard outputs and build the firm-year Dig indices."""
import pandas as pd

from analysis.text.dictionary import dictionary_from_config
from analysis.text.measures import digital_indices, firm_year_dig
from analysis.workflow import run_rule


def main(smk, log):
    dictionary = dictionary_from_config(smk.params.reports)
    counts = pd.concat([pd.read_parquet(p) for p in smk.input.counts], ignore_index=True)
    chars = pd.concat([pd.read_parquet(p) for p in smk.input.chars], ignore_index=True)
    status = pd.concat([pd.read_csv(p, dtype={"firm": "str"}) for p in smk.input.status], ignore_index=True)
    counts = counts.sort_values(["firm", "year", "section", "term"]).reset_index(drop=True)
    status = status.sort_values(["file"]).reset_index(drop=True)
    log(f"{len(status)} report files: {status['status'].value_counts().to_dict()}")
    counts.to_parquet(smk.output.counts, index=False)
    status.to_csv(smk.output.status, index=False)
    main_section = smk.params.reports["section"]
    wide = firm_year_dig(digital_indices(counts, chars, dictionary), main_section)
    log(f"{len(wide)} firm-years with Dig ({main_section} text); mean Dig {wide['dig'].mean():.3f}")
    wide.to_parquet(smk.output.measures, index=False)


run_rule(main, snakemake)  # noqa: F821
