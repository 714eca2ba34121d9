"""Rule figure_marginal: the marginal effect of Serv along Serv (quadratic model) with its band."""
import json
from pathlib import Path

from analysis.estimation import ModelResult
from analysis.presentation.figures import plot_marginal_effect
from analysis.workflow import run_rule


def main(smk, log):
    result = ModelResult.from_dict(json.loads(Path(smk.input.result).read_text(encoding="utf-8")))
    used = plot_marginal_effect(result, list(smk.output), language=smk.params.language, font=smk.params.font)
    log(f"wrote {', '.join(smk.output)} (labels: {used})")


run_rule(main, snakemake)  # noqa: F821
