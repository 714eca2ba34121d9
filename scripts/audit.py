"""Rule audit: the static audit site paper/audit/ (index, one page per firm and per model) from the
pipeline's provenance files, the saved results and the influence records (no estimation, no measurement)."""
import json
import time
from pathlib import Path

import pandas as pd

from analysis.presentation.audit import AuditInputs, AuditOptions, write_site
from analysis.text.counting import KeywordCounter
from analysis.text.dictionary import dictionary_from_config
from analysis.workflow import run_rule


def _csv(path):
    return pd.read_csv(path, dtype={"firm": str}) if Path(path).stat().st_size else pd.DataFrame()


def main(smk, log):
    t0 = time.perf_counter()
    cfg = smk.params.reports
    influence = {}
    for table, record in zip(smk.input.influence_tables, smk.input.influence_records):
        rec = json.loads(Path(record).read_text(encoding="utf-8"))
        influence[rec["model"]] = (pd.read_csv(table, dtype={"cluster": str}), rec)
    results = {}
    for p in smk.input.results:
        r = json.loads(Path(p).read_text(encoding="utf-8"))
        results[r["spec"]["name"]] = r
    inp = AuditInputs(
        panel=pd.read_parquet(smk.input.panel), dropped=pd.read_parquet(smk.input.dropped),
        servitization=pd.read_parquet(smk.input.servitization), labels=_csv(smk.input.labels),
        segment_status=_csv(smk.input.segment_status), text_status=_csv(smk.input.text_status),
        results=results, influence=influence, reports_dir=smk.params.reports_dir,
        text_cache=smk.params.text_cache, image_cache=smk.params.image_cache,
        counter=KeywordCounter(dictionary_from_config(cfg), exclude_negated=bool(cfg["exclude_negated"])),
        dig_section=cfg["section"], tables_dir=smk.params.tables_dir)
    opts = AuditOptions(language=smk.params.language, max_hits=int(smk.params.audit["max_hits"]),
                        influence_rows=int(smk.params.audit["influence_rows"]), dpi=int(smk.params.audit["page_dpi"]))
    made = write_site(smk.output.site, inp, opts, workers=smk.threads, summary=smk.output.summary)
    size = sum(p.stat().st_size for p in Path(smk.output.site).rglob("*") if p.is_file())
    log(f"audit site: {made['raw_rows']} raw rows, {made['firms']} firm pages, {made['models']} model pages; "
        f"page images rendered {made['images_rendered']}, from the cache {made['images_cached']}; "
        f"{size / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s")


run_rule(main, snakemake)  # noqa: F821
