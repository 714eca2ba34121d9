# Mechanism (issue 9): product-service innovation coupling (coupling coordination degree) and the
# tests of its links. Measures live in data_clean/mechanism.parquet (the panel and its ledger are not
# changed); they are joined to the panel inside each link job.
from analysis.mechanism import result_names

_MECH = config["mechanism"]
MECHANISM_TABLE_FORMATS = TABLE_FORMATS  # as every other table: md (the paper) + output.table_formats
# coupling (link a) once; links b-e once per performance outcome (mechanism.outcomes)
MECHANISM_RESULTS = result_names(_MECH["outcomes"])
MECHANISM_OUTPUTS = (
    [f"paper/results/mechanism/{name}.json" for name in MECHANISM_RESULTS]
    + [
        f"paper/tables/mechanism_{name}.{ext}"
        for name in MECHANISM_RESULTS + ["summary"]
        for ext in MECHANISM_TABLE_FORMATS
    ]
    if _MECH["enabled"]
    else []
)


rule mechanism_measures:
    """Innovation indicators, entropy-weighted U1/U2, C, T, D and the servitization stage per firm-year."""
    input:
        panel="data_clean/panel.parquet",
        rd="data_clean/raw/rd.parquet",
        patents="data_clean/raw/patents.parquet",
        servitization="data_clean/servitization.parquet",
        labels="data_clean/segment_labels.csv",
    output:
        measures="data_clean/mechanism.parquet",
        info="paper/results/mechanism/measures.json",
    log:
        "logs/mechanism_measures.log",
    conda:
        CONDA_ENV
    params:
        mechanism=_MECH,
    script:
        "../scripts/mechanism_measures.py"


rule mechanism_link:
    """One link: coupling (a), or moderation (b), mediation (c), stages (d), resilience (e) for one outcome."""
    input:
        panel="data_clean/panel.parquet",
        measures="data_clean/mechanism.parquet",
    output:
        result="paper/results/mechanism/{name}.json",
    log:
        "logs/mechanism_{name}.log",
    wildcard_constraints:
        name="|".join(MECHANISM_RESULTS),
    conda:
        CONDA_ENV
    params:
        mechanism=_MECH,
        models=config["models"],
        seed=config["seed"],
    script:
        "../scripts/mechanism_link.py"


rule mechanism_tables:
    """One table per saved link result and the summary table of the paper, in every table format."""
    input:
        results=[f"paper/results/mechanism/{name}.json" for name in MECHANISM_RESULTS],
        info="paper/results/mechanism/measures.json",
    output:
        [
            (
                in_report(
                    f"paper/tables/mechanism_{name}.{ext}",
                    caption="../report/table_mechanism.rst",
                    category="Mechanism",
                    subcategory=name,
                )
                if ext == "html"
                else f"paper/tables/mechanism_{name}.{ext}"
            )
            for name in MECHANISM_RESULTS + ["summary"]
            for ext in MECHANISM_TABLE_FORMATS
        ],
    log:
        "logs/mechanism_tables.log",
    conda:
        CONDA_ENV
    params:
        names=list(MECHANISM_RESULTS),
        outcomes=list(_MECH["outcomes"]),
        language=config["output"]["language"],
        formats=list(MECHANISM_TABLE_FORMATS),
        outdir=lambda w: TABLES_DIR,
    script:
        "../scripts/mechanism_tables.py"
