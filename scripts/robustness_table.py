"""Rule robustness_table: the robustness table from the saved robustness results (no refitting)."""
import json
from pathlib import Path

from analysis.presentation.robustness import robustness_table
from analysis.presentation.tables import write_table
from analysis.workflow import run_rule


def main(smk, log):
    rows = [json.loads(Path(p).read_text(encoding="utf-8")) for p in [smk.input.baseline, *smk.input.results]]
    write_table(robustness_table(rows, float(smk.params.alpha), smk.params.language, smk.params.parentheses),
                smk.output.table[0].rsplit(".", 1)[0], smk.params.formats)
    log(f"robustness table: {len(rows)} rows ({smk.params.language})")


run_rule(main, snakemake)  # noqa: F821
