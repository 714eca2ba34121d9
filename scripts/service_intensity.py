"""Rule service_intensity: merge the shards' service-term counts into the firm-year text measure."""
import pandas as pd

from analysis.text.dictionary import service_dictionary_from_config
from analysis.text.measures import service_intensity
from analysis.workflow import run_rule


def main(smk, log):
    dictionary = service_dictionary_from_config(smk.params.reports)
    counts = pd.concat([pd.read_parquet(p) for p in smk.input.counts], ignore_index=True)
    chars = pd.concat([pd.read_parquet(p) for p in smk.input.chars], ignore_index=True)
    out = service_intensity(counts, chars, dictionary)
    log(f"{len(out)} firm-years with an MD&A; mean service terms per 10,000 characters "
        f"{out['svc_text_per10k'].mean():.2f} ({dictionary.name} {dictionary.version})")
    out.sort_values(["firm", "year"]).to_parquet(smk.output.measures, index=False)


run_rule(main, snakemake)  # noqa: F821
