"""Rule figure_robustness: coefficient plot of b2 across the robustness models (saved results only)."""
import json
from pathlib import Path

from analysis.presentation.figures import plot_robustness_coefficients
from analysis.workflow import run_rule


def main(smk, log):
    rows = [json.loads(Path(p).read_text(encoding="utf-8")) for p in [smk.input.baseline, *smk.input.results]]
    used = plot_robustness_coefficients(rows, list(smk.output), float(smk.params.alpha), smk.params.language,
                                        smk.params.font)
    log(f"wrote {', '.join(smk.output)} (labels: {used})")


run_rule(main, snakemake)  # noqa: F821
