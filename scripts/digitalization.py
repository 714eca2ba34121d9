"""Rule digitalization: merge shard outputs and build the firm-year Dig indices."""
import pandas as pd

from analysis.text.dictionary import dictionary_from_config
from analysis.text.measures import digital_indices
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
    idx = digital_indices(counts, chars, dictionary)
    main_section = smk.params.reports["section"]
    wide = idx[idx["section"] == main_section].drop(columns="section").rename(
        columns={"dig_ln": "dig", "dig_total": "dig_count"})
    for section in sorted(set(idx["section"]) - {main_section}):
        alt = idx.loc[idx["section"] == section, ["firm", "year", "dig_ln", "dig_per10k"]]
        wide = wide.merge(alt.rename(columns={"dig_ln": f"dig_{section}", "dig_per10k": f"dig_{section}_per10k"}),
                          on=["firm", "year"], how="left")
    log(f"{len(wide)} firm-years with Dig ({main_section} text); mean Dig {wide['dig'].mean():.3f}")
    wide.sort_values(["firm", "year"]).to_parquet(smk.output.measures, index=False)


run_rule(main, snakemake)  # noqa: F821
