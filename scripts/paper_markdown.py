"""Rule paper_markdown: the Markdown and HTML paper, numbers and tables filled in by the pipeline."""
import json
import os
from pathlib import Path

from analysis.presentation.paper import markdown_to_html, render_markdown
from analysis.workflow import run_rule


def main(smk, log):
    numbers = json.loads(Path(smk.input.numbers).read_text(encoding="utf-8"))
    template = Path(smk.input.template).read_text(encoding="utf-8")
    out_md = Path(smk.output.md)
    tables_dir = Path(smk.input.tables[0]).parent
    figures_rel = os.path.relpath(smk.params.figures_dir, out_md.parent)
    md = render_markdown(template, numbers, tables_dir, figures_rel=figures_rel)
    out_md.write_text(md, encoding="utf-8")
    title = md.splitlines()[0].lstrip("# ").strip()
    Path(smk.output.html).write_text(markdown_to_html(md, title, smk.params.language), encoding="utf-8")
    log(f"wrote {out_md} and {smk.output.html}")


run_rule(main, snakemake)  # noqa: F821
