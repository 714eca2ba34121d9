"""Rule influence: each firm's (cluster's) influence on b2, the turning point and b5 of one model
(exact leave-one-cluster-out refits), and the model refitted without the firms that move it most."""
import pandas as pd

from analysis.influence import influence_record
from analysis.models import ModelOptions, specs_from_config
from analysis.workflow import run_rule, write_json


def main(smk, log):
    models = smk.params.models
    options = ModelOptions.from_config(models)
    spec = {s.name: s for s in specs_from_config(models)}[smk.wildcards.model]
    panel = pd.read_parquet(smk.input.panel)
    table, record = influence_record(panel, spec, options, int(smk.params.top))
    log(f"{spec.name}: {record['n_clusters']} clusters refitted without themselves; turning point "
        f"{record['turning_point']:.4f}, most moved by {', '.join(record['dropped'])}; without them "
        f"{record['without_top']['turning_point']:.4f} (U-test p {record['without_top']['p_sasabuchi']:.4f})")
    table.to_csv(smk.output.table, index=False, lineterminator="\n")
    write_json(smk.output.record, record)


run_rule(main, snakemake)  # noqa: F821
