"""Rule figure_curve: the fitted inverted U at low, median and high Dig, with 95% bands."""
import json
from pathlib import Path

from analysis.estimation import ModelResult
from analysis.presentation.figures import plot_moderated_curve
from analysis.workflow import run_rule


def main(smk, log):
    result = ModelResult.from_dict(json.loads(Path(smk.input.result).read_text(encoding="utf-8")))
    used = plot_moderated_curve(result, list(smk.output), language=smk.params.language, font=smk.params.font)
    log(f"wrote {', '.join(smk.output)} (labels: {used})")


run_rule(main, snakemake)  # noqa: F821
