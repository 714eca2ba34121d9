# Presentation: tables, figures, the numbers of the text, the Markdown/HTML paper and the executed
# notebook - all from the saved results (paper/results/*.json), never re-estimating.
# Outputs wrapped in report() appear in `snakemake --report report.html` with the caption in report/.
from pathlib import Path as _Path

from analysis.mechanism import result_names as _mechanism_result_names
from analysis.presentation.tables import result_sets

LANGUAGE = config["output"]["language"]
TABLE_FORMATS = list(dict.fromkeys(["md"] + config["output"]["table_formats"]))  # md feeds the paper
CJK_FONT = config["output"].get("cjk_font")
# One table per result set of saved models (baseline, moderation, and any further set).
RESULT_SETS = result_sets(MODELS, OUTCOMES)
TABLES = TABLES + [s for s in RESULT_SETS if s not in TABLES]
FIGURES = ["distributions"] + [f"{kind}_{o}" for kind in ("curve", "slope", "marginal") for o in OUTCOMES]
PAPER_SRC = _Path(workflow.basedir)  # the repository: templates and notebooks are read from here
# the mechanism section of the paper (when mechanism.enabled): its first outcome's results and summary table
_MECH_OUTCOME = config["mechanism"]["outcomes"][0]
PAPER_MECHANISM_RESULTS = (
    [f"paper/results/mechanism/{n}.json" for n in _mechanism_result_names([_MECH_OUTCOME])]
    if config["mechanism"]["enabled"]
    else []
)
PAPER_MECHANISM_TABLES = ["paper/tables/mechanism_summary.md"] if config["mechanism"]["enabled"] else []


rule tables:
    """Every table (sample selection, descriptives, correlations, one per result set) in every format."""
    input:
        results=expand("paper/results/{model}.json", model=MODELS),
        ledger="data_clean/sample_ledger.csv",
        panel="data_clean/panel.parquet",
    output:
        _table_outputs(),
    log:
        "logs/tables.log",
    conda:
        CONDA_ENV
    params:
        language=LANGUAGE,
        parentheses=config["output"]["parentheses"],
        formats=TABLE_FORMATS,
        tables=TABLES,
        outdir=lambda w: TABLES_DIR,
        audit=config["audit"]["enabled"],
    script:
        "../scripts/tables.py"


rule figure_curve:
    """Fitted inverted U with 95% bands at low, median and high Dig."""
    input:
        result="paper/results/moderation_{outcome}.json",
    output:
        [
            (
                in_report(
                    f"paper/figures/curve_{{outcome}}.{ext}", caption="../report/figure_curve.rst", category="Figures"
                )
                if ext == "png"
                else f"paper/figures/curve_{{outcome}}.{ext}"
            )
            for ext in FIG_FORMATS
        ],
    log:
        "logs/figure_curve_{outcome}.log",
    conda:
        CONDA_ENV
    params:
        language=LANGUAGE,
        font=CJK_FONT,
    script:
        "../scripts/figure_curve.py"


rule figure_slope:
    """Slope of Serv at its sample minimum and maximum across Dig, with 95% bands."""
    input:
        result="paper/results/moderation_{outcome}.json",
    output:
        [
            (
                in_report(
                    f"paper/figures/slope_{{outcome}}.{ext}", caption="../report/figure_slope.rst", category="Figures"
                )
                if ext == "png"
                else f"paper/figures/slope_{{outcome}}.{ext}"
            )
            for ext in FIG_FORMATS
        ],
    log:
        "logs/figure_slope_{outcome}.log",
    conda:
        CONDA_ENV
    params:
        language=LANGUAGE,
        font=CJK_FONT,
    script:
        "../scripts/figure_slope.py"


rule figure_marginal:
    """Marginal effect of Serv (b1 + 2 b2 Serv) along Serv in the quadratic model, with its band."""
    input:
        result="paper/results/baseline_{outcome}.json",
    output:
        [
            (
                in_report(
                    f"paper/figures/marginal_{{outcome}}.{ext}",
                    caption="../report/figure_marginal.rst",
                    category="Figures",
                )
                if ext == "png"
                else f"paper/figures/marginal_{{outcome}}.{ext}"
            )
            for ext in FIG_FORMATS
        ],
    log:
        "logs/figure_marginal_{outcome}.log",
    conda:
        CONDA_ENV
    params:
        language=LANGUAGE,
        font=CJK_FONT,
    script:
        "../scripts/figure_marginal.py"


rule figure_distributions:
    """Distributions of Serv and Dig in the estimation panel."""
    input:
        panel="data_clean/panel.parquet",
    output:
        [
            (
                in_report(
                    f"paper/figures/distributions.{ext}",
                    caption="../report/figure_distributions.rst",
                    category="Figures",
                )
                if ext == "png"
                else f"paper/figures/distributions.{ext}"
            )
            for ext in FIG_FORMATS
        ],
    log:
        "logs/figure_distributions.log",
    conda:
        CONDA_ENV
    params:
        language=LANGUAGE,
        font=CJK_FONT,
        variables=[config["models"]["x"]]
        + ([config["models"]["moderator"]] if config["models"].get("moderator") else []),
    script:
        "../scripts/figure_distributions.py"


rule paper_numbers:
    """Every number the text quotes: LaTeX macros for paper/main.tex and JSON for the Markdown paper."""
    input:
        results=expand("paper/results/{model}.json", model=MODELS),
        ledger="data_clean/sample_ledger.csv",
        panel="data_clean/panel.parquet",
        mechanism=PAPER_MECHANISM_RESULTS,
    output:
        tex="paper/generated/macros.tex",
        json="paper/generated/macros.json",
    log:
        "logs/paper_numbers.log",
    conda:
        CONDA_ENV
    params:
        language=LANGUAGE,
        mechanism_outcome=_MECH_OUTCOME,
    script:
        "../scripts/paper_numbers.py"


rule paper_markdown:
    """The paper readable without TeX: paper/paper_template.md with numbers and tables filled in."""
    input:
        # the Chinese paper has its own template with the same placeholders (tests check they match)
        template=str(PAPER_SRC / "paper" / ("paper_template_zh.md" if LANGUAGE == "zh" else "paper_template.md")),
        numbers="paper/generated/macros.json",
        tables=expand("paper/tables/{table}.md", table=TABLES),
        mechanism_tables=PAPER_MECHANISM_TABLES,
        figures=expand("paper/figures/{figure}.png", figure=FIGURES) if "png" in FIG_FORMATS else [],
    output:
        md="paper/generated/paper.md",
        html=report("paper/generated/paper.html", caption="../report/paper.rst", category="Paper"),
    log:
        "logs/paper_markdown.log",
    conda:
        CONDA_ENV
    params:
        figures_dir=lambda w: FIGURES_DIR,
        language=LANGUAGE,
    script:
        "../scripts/paper_markdown.py"


rule notebook:
    """Execute notebooks/results.ipynb on the saved results and render it to HTML."""
    input:
        notebook=str(PAPER_SRC / "notebooks" / "results.ipynb"),
        results=expand("paper/results/{model}.json", model=MODELS),
        tables=expand("paper/tables/{table}.md", table=TABLES),
        # every figure the notebook shows (an input function: SPECCURVE comes from robustness.smk)
        figures=lambda wc: (
            expand("paper/figures/{figure}.png", figure=FIGURES)
            + (["paper/figures/speccurve.png"] if SPECCURVE else [])
            if "png" in FIG_FORMATS
            else []
        ),
        numbers="paper/generated/macros.json",
        # the API section refits the baseline on the panel with the run's resolved config (manifest)
        panel="data_clean/panel.parquet",
        manifest="data_clean/manifest.json",
    output:
        html=report("paper/generated/notebook.html", caption="../report/notebook.rst", category="Paper"),
    log:
        "logs/notebook.log",
    conda:
        CONDA_ENV
    script:
        "../scripts/notebook.py"
