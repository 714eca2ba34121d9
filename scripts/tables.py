"""Rule tables: every table from the saved results, the ledger and the panel (no estimation).

One file per table and format: paper/tables/{table}.{md,tex,html,docx,csv}.
"""
import json
from pathlib import Path

import pandas as pd

from analysis.estimation import ModelResult
from analysis.presentation.tables import (audit_links, correlation_table, descriptives_table, label,
                                          model_variables, result_set_table, result_sets, sample_selection_table)
from analysis.workflow import run_rule


def main(smk, log):
    lang, formats = smk.params.language, list(smk.params.formats)
    out = Path(smk.params.outdir)
    results = {r.spec["name"]: r for r in (ModelResult.from_dict(json.loads(Path(p).read_text(encoding="utf-8")))
                                           for p in smk.input.results)}
    outcomes = list(dict.fromkeys(r.spec["outcome"] for r in results.values()))
    panel = pd.read_parquet(smk.input.panel)
    variables = model_variables(results.values(), panel)
    tables = [sample_selection_table(pd.read_csv(smk.input.ledger), lang),
              descriptives_table(panel, variables, lang),
              correlation_table(panel, variables, lang)]
    if smk.params.audit:
        tables[0].links.append([(label("audit_link_index", lang), "../audit/index.html")])
    for name, models in result_sets(list(results), outcomes).items():
        table = result_set_table(name, [results[m] for m in models], lang, smk.params.parentheses)
        if smk.params.audit:  # each column's N and influential firms, linked to the audit site (paper/audit)
            table = audit_links(table, [results[m] for m in models], lang)
        tables.append(table)
    expected = set(smk.params.tables)
    made = {t.name for t in tables}
    if made != expected:
        raise ValueError(f"tables made {sorted(made)} differ from the tables the workflow expects {sorted(expected)}")
    for t in tables:
        t.write(out / t.name, formats)
        log(f"{t.name}: {', '.join(formats)}")


run_rule(main, snakemake)  # noqa: F821
