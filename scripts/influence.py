"""Rule influence: for every main model, each firm's (cluster's) influence on b2, the turning point and b5
(exact leave-one-cluster-out estimates), and the model refitted without the firms that move it most. One job
for all models: the estimates take a fraction of a second each, the start of a Python job several."""
import pandas as pd

from analysis.influence import influence_record
from analysis.models import ModelOptions, specs_from_config
from analysis.workflow import run_rule, write_json


def main(smk, log):
    models = smk.params.models
    options = ModelOptions.from_config(models)
    specs = {s.name: s for s in specs_from_config(models)}
    panel = pd.read_parquet(smk.input.panel)
    for name, table_path, record_path in zip(smk.params.names, smk.output.tables, smk.output.records):
        spec = specs[name]
        table, record = influence_record(panel, spec, options, int(smk.params.top))
        log(f"{spec.name}: {record['n_clusters']} clusters, each left out in turn; turning point "
            f"{record['turning_point']:.4f}, most moved by {', '.join(record['dropped'])}; without them "
            f"{record['without_top']['turning_point']:.4f} (U-test p {record['without_top']['p_sasabuchi']:.4f})")
        table.to_csv(table_path, index=False, lineterminator="\n")
        write_json(record_path, record)


run_rule(main, snakemake)  # noqa: F821
