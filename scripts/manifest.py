"""Rule manifest: data_clean/manifest.json (raw inputs with sizes and hashes, resolved config,
package versions, git commit)."""
import pandas as pd

from analysis.provenance import build_manifest, file_entry, folder_entries
from analysis.workflow import run_rule, write_json


def main(smk, log):
    files = pd.read_csv(smk.input.files, dtype={"path": str, "sha256": str})
    other = [file_entry(smk.input.mapping, table="vendor_mapping", rows_read=None)]
    other += folder_entries(smk.params.reports_dir, "annual_report")
    warnings = pd.read_csv(smk.input.checks)["warning"].astype(str).tolist()
    manifest = build_manifest(files, smk.params.config, other_inputs=other, warnings=warnings)
    write_json(smk.output.manifest, manifest)
    log(f"{len(manifest['raw_inputs'])} vendor files ({manifest['totals']['vendor_rows_read']} rows), "
        f"{len(other)} other inputs; git commit {manifest['git']['commit']}")


run_rule(main, snakemake)  # noqa: F821
