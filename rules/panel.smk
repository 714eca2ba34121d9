# Sample selection and the estimation panel, with the ledger of every dropped firm-year.


rule panel:
    """Apply the sample rules, merge measures and controls, winsorize; write the ledger."""
    input:
        company="data_clean/raw/company.parquet",
        balance_sheet="data_clean/raw/balance_sheet.parquet",
        income_statement="data_clean/raw/income_statement.parquet",
        industry_history="data_clean/raw/industry_history.parquet",
        st_history="data_clean/raw/st_history.parquet",
        ownership_history="data_clean/raw/ownership_history.parquet",
        market_value="data_clean/raw/market_value.parquet",
        shareholders="data_clean/raw/shareholders.parquet",
        servitization="data_clean/servitization.parquet",
        digitalization="data_clean/digitalization.parquet",
        service_intensity="data_clean/service_intensity.parquet",
    output:
        panel="data_clean/panel.parquet",
        ledger="data_clean/sample_ledger.csv",
        dropped="data_clean/dropped.parquet",
        winsor="data_clean/winsorize_bounds.csv",
    log:
        "logs/panel.log",
    conda:
        CONDA_ENV
    params:
        sample=config["sample"],
        winsorize=config["winsorize"],
    script:
        "../scripts/panel.py"


rule export_panel:
    """The estimation panel for Stata (panel.dta, version 118, variable labels) and as CSV, and its
    codebook (Markdown beside the data; HTML in the Snakemake report)."""
    input:
        panel="data_clean/panel.parquet",
    output:
        dta="data_clean/panel.dta",
        csv="data_clean/panel.csv",
        codebook="data_clean/codebook.md",
        codebook_html=report("data_clean/codebook.html", caption="../report/codebook.rst", category="Data"),
    log:
        "logs/export_panel.log",
    conda:
        CONDA_ENV
    params:
        language=config["output"]["language"],
    script:
        "../scripts/export_panel.py"
