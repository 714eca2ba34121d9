# Mechanism (issue 9): product-service innovation coupling (coupling coordination degree) and the
# tests of its links. Measures live in data_clean/mechanism.parquet (the panel and its ledger are not
# changed); they are joined to the panel inside each link job.
from analysis.mechanism_tables import FORMATS as MECHANISM_TABLE_FORMATS, LINKS as MECHANISM_LINKS

_MECH = config["mechanism"]
MECHANISM_OUTPUTS = (
    [f"paper/results/mechanism/{link}.json" for link in MECHANISM_LINKS]
    + [f"paper/tables/mechanism_{link}.{ext}" for link in MECHANISM_LINKS for ext in MECHANISM_TABLE_FORMATS]
    if _MECH["enabled"] else []
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
    params:
        mechanism=_MECH,
    log:
        "logs/mechanism_measures.log",
    script:
        "../scripts/mechanism_measures.py"


rule mechanism_link:
    """One link: coupling (a), moderation (b), mediation (c), stages (d) or resilience (e)."""
    input:
        panel="data_clean/panel.parquet",
        measures="data_clean/mechanism.parquet",
    output:
        result="paper/results/mechanism/{link}.json",
    params:
        mechanism=_MECH,
        models=config["models"],
        seed=config["seed"],
    wildcard_constraints:
        link="|".join(MECHANISM_LINKS),
    log:
        "logs/mechanism_{link}.log",
    script:
        "../scripts/mechanism_link.py"


rule mechanism_tables:
    """One table per link (Markdown, LaTeX, CSV), from the saved results."""
    input:
        results=[f"paper/results/mechanism/{link}.json" for link in MECHANISM_LINKS],
        info="paper/results/mechanism/measures.json",
    output:
        [f"paper/tables/mechanism_{link}.{ext}" for link in MECHANISM_LINKS for ext in MECHANISM_TABLE_FORMATS],
    params:
        links=list(MECHANISM_LINKS),
        formats=list(MECHANISM_TABLE_FORMATS),
        outdir="paper/tables",
    log:
        "logs/mechanism_tables.log",
    script:
        "../scripts/mechanism_tables.py"
