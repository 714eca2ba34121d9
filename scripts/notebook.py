"""Rule notebook: execute notebooks/results.ipynb on the saved results and render it to HTML.

Execution metadata (timestamps, kernel versions) is stripped so that two runs give the same bytes.
"""
import os
from pathlib import Path

import analysis.api  # noqa: F401 - the notebook's API section uses it: part of this rule's code digest
from analysis.workflow import run_rule


def strip_volatile(nb) -> None:
    """Drop execution timestamps and environment details from an executed notebook."""
    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for out in cell.get("outputs", []):
            out.get("metadata", {}).pop("execution", None)


def main(smk, log):
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    nb = nbformat.read(smk.input.notebook, as_version=4)
    workdir = os.getcwd()
    os.environ["SERVPARADOX_WORKDIR"] = workdir
    os.environ["SERVPARADOX_FIGURES"] = ",".join(sorted(Path(f).name for f in smk.input.figures))
    os.environ.setdefault("MPLBACKEND", "Agg")
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": workdir}})
    client.execute()
    strip_volatile(nb)
    exporter = HTMLExporter(template_name="lab")
    html, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": "Results walk-through"}})
    Path(smk.output.html).parent.mkdir(parents=True, exist_ok=True)
    Path(smk.output.html).write_text(html, encoding="utf-8")
    log(f"executed {smk.input.notebook} -> {smk.output.html}")


run_rule(main, snakemake)  # noqa: F821
