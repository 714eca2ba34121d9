"""Rule tables: build every table from the saved results, the ledger and the panel."""
import json
from pathlib import Path

import pandas as pd

from analysis.estimation import ModelResult
from analysis.tables import (descriptives_table, moderation_rows, regression_table,
                             sample_selection_table, utest_rows, write_table)
from analysis.workflow import run_rule


def main(smk, log):
    lang = smk.params.language
    out = Path(smk.params.outdir)
    results = [ModelResult.from_dict(json.loads(Path(p).read_text(encoding="utf-8")))
               for p in smk.input.results]
    base = [r for r in results if not r.spec["moderator"]]
    mod = [r for r in results if r.spec["moderator"]]
    write_table(sample_selection_table(pd.read_csv(smk.input.ledger), lang), out / "sample_selection")
    panel = pd.read_parquet(smk.input.panel)
    variables = list(dict.fromkeys([r.spec["outcome"] for r in results] + ["serv", "dig"]
                                   + list(results[0].spec["controls"])))
    write_table(descriptives_table(panel, variables, lang), out / "descriptives")
    title = "Servitization and performance: the inverted U" if lang == "en" else "服务化与企业绩效：倒U型关系"
    write_table(regression_table(base, title, lang, utest_rows(base, lang)), out / "baseline")
    title = "Digitalization flattens the inverted U" if lang == "en" else "数字化对倒U型关系的调节"
    write_table(regression_table(mod, title, lang, moderation_rows(mod, lang)), out / "moderation")
    log(f"tables written to {out}")


run_rule(main, snakemake)  # noqa: F821
