# The study's DAG: raw data -> audited panel -> estimates -> tables, figures, paper.
# Each rule is thin glue: a script in scripts/ that reads snakemake.input/params, calls pure
# functions of the `analysis` package and writes snakemake.output; one log per rule in logs/.
import os

from snakemake.utils import min_version

min_version("9.0")

# Two runs must give byte-identical outputs. pyfixest's fixed-effect bookkeeping iterates over
# Python sets, whose order follows string hashing, and the order changes the last digits of the
# iterative demeaning; a fixed hash seed for every job (scripts inherit this environment) removes it.
os.environ["PYTHONHASHSEED"] = "0"


envvars:
    "PYTHONHASHSEED",


configfile: "config/config.yaml"


from analysis.config import validate_config
from analysis.models import specs_from_config

validate_config(config)

RAW = f"data_raw/{config['source']}"
VENDOR_MAPPING = f"config/vendors/{config['vendor']}.yaml"
MODELS = [s.name for s in specs_from_config(config["models"])]
OUTCOMES = config["models"]["outcomes"]
SHARDS = list(range(config["reports"]["n_shards"]))
FIG_FORMATS = config["output"]["figure_formats"]
TABLES = ["sample_selection", "descriptives", "correlations"]  # + one per result set (rules/paper.smk)


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/measures.smk"
include: "rules/provenance.smk"
include: "rules/panel.smk"
include: "rules/models.smk"
include: "rules/paper.smk"
include: "rules/robustness.smk"
include: "rules/mechanism.smk"
include: "rules/checks.smk"
include: "rules/audit.smk"


rule all:
    default_target: True
    input:
        expand("paper/tables/{table}.{ext}", table=TABLES, ext=TABLE_FORMATS),
        expand("paper/figures/{figure}.{ext}", figure=FIGURES, ext=FIG_FORMATS),
        "paper/generated/macros.tex",
        "paper/generated/paper.md",
        "data_clean/manifest.json",
        "data_clean/service_intensity.parquet",
        "data_clean/panel.dta",
        "data_clean/panel.csv",
        "data_clean/codebook.md",
        MECHANISM_OUTPUTS,
        ["paper/generated/notebook.html"] if config["output"]["notebook"] else [],
        ROBUSTNESS_OUTPUTS,
        CHECKS_OUTPUTS,
        AUDIT_OUTPUTS,


# Code versions: every rule that runs a script carries a digest of that script and of the package
# modules it imports (analysis.workflow.code_digest) as the param `code`, so Snakemake reruns a rule
# when its code changes - and only the rules whose code changed (editing analysis/tables.py rebuilds
# the tables, not the estimates).
from pathlib import Path as _Path

from analysis.workflow import code_digest as _code_digest

for _rule in workflow.rules:
    if getattr(_rule, "script", None):
        _rule.set_params(code=_code_digest(_Path(_rule.snakefile).parent / _rule.script, workflow.basedir))
