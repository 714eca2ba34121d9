# Presentation: tables and figures from the saved results (no re-estimation).


rule tables:
    """Sample selection, descriptives, baseline and moderation tables (Markdown and LaTeX)."""
    input:
        results=expand("paper/results/{model}.json", model=MODELS),
        ledger="data_clean/sample_ledger.csv",
        panel="data_clean/panel.parquet",
    output:
        expand("paper/tables/{table}.{ext}", table=TABLES, ext=["md", "tex"]),
    params:
        language=config["output"]["language"],
        outdir="paper/tables",
    log:
        "logs/tables.log",
    script:
        "../scripts/tables.py"


rule figure_curve:
    """Fitted inverted U with 95% bands at low, median and high Dig."""
    input:
        result="paper/results/moderation_{outcome}.json",
        panel="data_clean/panel.parquet",
    output:
        expand("paper/figures/curve_{{outcome}}.{ext}", ext=FIG_FORMATS),
    params:
        language=config["output"]["language"],
    log:
        "logs/figure_curve_{outcome}.log",
    script:
        "../scripts/figure_curve.py"
