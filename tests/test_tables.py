"""Tables from saved results: the numbers in every format are the saved numbers, and the files parse.

Results are fitted once on a small synthetic panel, saved to JSON and read back (as the pipeline's
``tables`` rule does); everything else works from the saved dicts.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile

import pandas as pd
import pytest

from analysis.estimation import ModelResult, ModelSpec
from analysis.presentation.tables import (FORMATS, LABELS_FILE, _labels, correlation_table, descriptives_table, docx_text,
                             extras_rows, label, result_set_table, result_sets, rule_label,
                             sample_selection_table, stars, tex_escape)
from tests.test_estimation import panel  # noqa: F401  (fixture)

BASE = ModelSpec(name="baseline_roa", outcome="roa", controls=("size",))
MOD = ModelSpec(name="moderation_roa", outcome="roa", moderator="dig", controls=("size",))


def save_and_load(panel, spec: ModelSpec) -> ModelResult:  # noqa: F811
    """Through the model step, as scripts/estimate.py does, round-tripped through JSON."""
    from analysis.models import ModelOptions, estimate_inverted_u

    options = ModelOptions(se=spec.se, cluster=spec.cluster, drop_singletons=spec.drop_singletons, alpha=0.05,
                           moderator_quantiles=(0.1, 0.5, 0.9))
    res = estimate_inverted_u(panel, spec, options, two_lines=True)
    return ModelResult.from_dict(json.loads(json.dumps(res.to_dict())))


@pytest.fixture(scope="module")
def results(panel):  # noqa: F811
    return {"baseline_roa": save_and_load(panel, BASE), "moderation_roa": save_and_load(panel, MOD)}


def test_stars():
    assert [stars(p) for p in (0.001, 0.02, 0.07, 0.2, float("nan"), None)] == ["***", "**", "*", "", "", ""]


def test_every_label_has_english_and_chinese():
    labels = _labels()
    for key, entry in labels.items():
        if isinstance(entry, list):  # pattern tables (ledger rules, mediation assumptions): [English, Chinese]
            assert all(len(pair) == 2 and re.search(r"[\u4e00-\u9fff]", pair[1]) for pair in entry), key
            continue
        assert set(entry) == {"en", "zh"}, key
        words = re.sub(r"\{\w+\}", "", entry["zh"])  # English words left untranslated?
        assert re.search(r"[\u4e00-\u9fff]", words) or entry["zh"] == entry["en"] \
            or not re.search(r"[A-Za-z]{3,}", words), f"{key}: zh label has no Chinese"
    assert label("industry^year", "zh") == "行业 × 年份" and label("unknown_var") == "unknown_var"
    assert LABELS_FILE.exists()


def test_baseline_table_holds_the_saved_numbers_in_every_format(results, tmp_path):
    res = results["baseline_roa"]
    t = result_set_table("baseline", [res])
    paths = t.write(tmp_path / "baseline")
    assert [p.suffix[1:] for p in paths] == list(FORMATS)
    md, tex, html = (tmp_path / "baseline.md").read_text(), (tmp_path / "baseline.tex").read_text(), \
        (tmp_path / "baseline.html").read_text()
    docx = docx_text((tmp_path / "baseline.docx").read_bytes())
    ut = res.extras["utest"]
    for coef, se in zip(res.coef, res.se):
        for out in (md, tex, html, docx):
            assert f"{coef:.4f}" in out and f"({se:.4f})" in out
    for out in (md, tex, html, docx):
        assert f"{ut['extreme_point']:.3f}" in out and f"{res.n_obs:,}" in out
        assert f"[{ut['fieller_lower']:.3f}, {ut['fieller_upper']:.3f}]" in out
    assert "Sasabuchi" in md and "Firm" in md


def test_docx_holds_the_numbers_of_the_csv(results, tmp_path):
    t = result_set_table("moderation", [results["moderation_roa"]])
    t.write(tmp_path / "moderation", ["docx", "csv"])
    csv = pd.read_csv(tmp_path / "moderation.csv")
    text = docx_text(tmp_path / "moderation.docx")  # opens with python-docx
    coefs = csv[csv["quantity"] == "coef"]
    assert len(coefs) == len(results["moderation_roa"].names)
    for row in coefs.itertuples():
        assert f"{row.estimate:.4f}" in text and f"({row.se:.4f})" in text
    tps = csv[csv["quantity"] == "moderation_turning_point_fieller"]
    assert len(tps) == 3
    for row in tps.itertuples():
        assert f"{row.estimate:.3f}" in text
    n = csv.loc[csv["quantity"] == "n_obs", "estimate"].iloc[0]
    assert f"{int(n):,}" in text
    flat = csv.loc[csv["quantity"] == "moderation_flattening_b5", "p"].iloc[0]
    assert f"{flat:.4f}" in text


def test_docx_is_a_three_line_table_and_byte_reproducible(results):
    t = result_set_table("baseline", [results["baseline_roa"]])
    a, b = t.to_docx_bytes(), t.to_docx_bytes()
    assert a == b
    z = zipfile.ZipFile(io.BytesIO(a))
    assert {i.date_time for i in z.infolist()} == {(2020, 1, 1, 0, 0, 0)}
    assert b"2020-01-01T00:00:00" in z.read("docProps/core.xml")
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document(io.BytesIO(a))
    rows = doc.tables[0].rows
    ruled = {}  # row index -> edges with a visible rule
    for i, row in enumerate(rows):
        for tc in row._tr.iter(qn("w:tc")):
            borders = tc.findall(f"{qn('w:tcPr')}/{qn('w:tcBorders')}")
            assert len(borders) <= 1, "one tcBorders per cell (schema)"
            for edge in (borders[0] if borders else []):
                if edge.get(qn("w:val")) not in (None, "nil", "none"):
                    ruled.setdefault(i, set()).add(edge.tag.split("}")[1])
    header_rows = t.frame.columns.nlevels
    last = len(rows) - 1 - (1 if t.notes else 0)  # the notes row sits under the bottom rule
    assert ruled == {0: {"top"}, header_rows - 1: {"bottom"}, last: {"bottom"}}
    assert t.notes[0] in rows[-1].cells[0].text


def test_chinese_tables(results, tmp_path):
    t = result_set_table("moderation", [results["moderation_roa"]], language="zh")
    md = t.to_markdown()
    assert "数字化对倒U型关系的调节作用" in md and "服务化²" in md and "观测值" in md and "企业" in md
    data = t.to_docx_bytes()
    assert b'w:eastAsia="SimSun"' in zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    assert docx_text(data).startswith("表 ")
    assert "\\caption{数字化对倒U型关系的调节作用}" in t.to_latex()


def test_html_is_deterministic_and_holds_the_numbers(results):
    t = result_set_table("baseline", [results["baseline_roa"]])
    a, b = t.to_html(), t.to_html()
    assert a == b and 'id="tbl-baseline"' in a
    assert f"{results['baseline_roa'].coef[0]:.4f}" in a


def test_latex_structure(results):
    tex = result_set_table("moderation", [results["moderation_roa"]]).to_latex()
    assert tex.count(r"\toprule") == 1 and tex.count(r"\bottomrule") == 1 and tex.count(r"\midrule") >= 2
    assert r"\label{tab:moderation}" in tex and "threeparttable" in tex
    body = [line for line in tex.splitlines() if line.endswith(r"\\") and "&" in line and "multicolumn" not in line]
    assert body and all(line.count(" & ") == 1 for line in body)  # one model column
    assert "$^{***}$" in tex  # stars as superscripts
    assert not re.search(r"(?<!\\)[_%#]", tex.replace(r"\_", "").replace(r"\%", "").replace(r"\#", ""))


@pytest.mark.skipif(not (shutil.which("pdflatex") or shutil.which("xelatex")),
                    reason="no TeX engine (pdflatex/xelatex) on this machine; LaTeX compilation not checked")
def test_latex_compiles(results, panel, tmp_path):  # noqa: F811
    engine = shutil.which("pdflatex") or shutil.which("xelatex")
    tables = [result_set_table("baseline", [results["baseline_roa"]]),
              result_set_table("moderation", [results["moderation_roa"]]),
              descriptives_table(panel, ["roa", "serv", "dig"])]
    body = "\n".join(t.to_latex() for t in tables)
    doc = ("\\documentclass{article}\n\\usepackage{booktabs,tabularx,threeparttable,makecell,array}\n"
           "\\begin{document}\n" + body + "\\end{document}\n")
    (tmp_path / "t.tex").write_text(doc, encoding="utf-8")
    proc = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "t.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_extras_rows_appear_only_when_saved(results):
    res = results["baseline_roa"]
    assert extras_rows([res]) == []
    boot = ModelResult.from_dict({**res.to_dict(), "extras": {**res.extras,
                                                              "wild_bootstrap": {"p": {"serv": 0.0123, "serv_sq": 0.5}}}})
    rows = dict(extras_rows([res, boot]))
    assert rows["Wild cluster bootstrap p (Serv)"] == ["", "0.0123"]
    md = result_set_table("baseline", [res, boot]).to_markdown()
    assert "Wild cluster bootstrap p (Serv²)" in md and "0.5000" in md


def test_result_sets_one_table_per_set():
    names = ["baseline_roa", "moderation_roa", "baseline_roe", "moderation_roe", "baseline_roa_twoway"]
    assert result_sets(names, ["roa", "roe"]) == {
        "baseline": ["baseline_roa", "baseline_roe"], "moderation": ["moderation_roa", "moderation_roe"],
        "baseline_twoway": ["baseline_roa_twoway"]}


def test_two_way_clustering_and_interacted_fixed_effects_are_labelled(panel):  # noqa: F811
    two = save_and_load(panel, ModelSpec(name="baseline_roa", outcome="roa", controls=("size",), cluster="firm+year"))
    d = two.to_dict()
    d["spec"] = {**d["spec"], "fixed_effects": ["firm", "industry^year"]}  # the label of an interacted FE
    md = result_set_table("baseline_twoway", [ModelResult.from_dict(d)]).to_markdown()
    assert "Firm & Year" in md and "Industry × Year" in md and "Further results: baseline_twoway" in md
    years = panel["year"].nunique()
    assert "clustered two-way by firm & year" in md and f"min(G)-1 = {years - 1} degrees" in md


def test_every_standard_error_choice_is_stated_in_the_note(panel):  # noqa: F811
    for spec, phrase in ((ModelSpec(name="b", outcome="roa", controls=("size",), se="iid"), "Conventional (homoskedastic)"),
                         (ModelSpec(name="b", outcome="roa", controls=("size",), cluster=None), "(HC1)"),
                         (ModelSpec(name="b", outcome="roa", controls=("size",)), "clustered by firm")):
        md = result_set_table("baseline", [save_and_load(panel, spec)]).to_markdown()
        assert phrase in md, (spec.se, md[-400:])


def test_sample_selection_table():
    ledger = pd.DataFrame({"step": [0, 1, 2], "rule": ["raw", "drop_x", "special treatment (ST, *ST, PT) firm-year"],
                           "rows_dropped": [0, 5, 2], "rows_remaining": [100, 95, 93],
                           "firms_remaining": [10, 9, 9]})
    t = sample_selection_table(ledger)
    tex = t.to_latex()
    assert "drop\\_x" in tex and "*ST" in tex and "$^{*}$ST" not in tex
    assert "| (1) | drop_x | 5 | 95 | 9 |" in t.to_markdown()
    zh = sample_selection_table(ledger, "zh").to_markdown()
    assert "ST、*ST、PT 企业-年度" in zh and "样本筛选" in zh


def test_ledger_rules_in_chinese():
    assert rule_label("missing roa", "zh") == "总资产收益率缺失"
    assert rule_label("before 2010", "zh") == "2010年以前"
    assert rule_label("something new", "zh") == "something new"


def test_descriptives_and_correlations(panel, tmp_path):  # noqa: F811
    d = descriptives_table(panel, ["roa", "serv", "dig"])
    assert f"{panel['serv'].mean():.3f}" in d.to_markdown() and f"{len(panel):,}" in d.to_markdown()
    c = correlation_table(panel, ["roa", "serv", "dig"])
    r = panel[["serv", "dig"]].corr().iloc[0, 1]
    assert f"{r:.3f}" in c.to_markdown()
    c.write(tmp_path / "correlations", ["csv"])
    tidy = pd.read_csv(tmp_path / "correlations.csv")
    assert len(tidy) == 6 and tidy["r"].between(-1, 1).all()
    # Spearman above the diagonal: scipy's rank correlation, and pandas' rank-then-Pearson agrees
    rho = panel[["serv", "dig"]].corr(method="spearman").iloc[0, 1]
    assert rho != pytest.approx(r)
    row_serv = re.search(r"^\| \(2\) Serv \| (.*) \|$", c.to_markdown(), re.M).group(1).split(" | ")
    assert row_serv[2].startswith(f"{rho:.3f}") and row_serv[0].startswith(f"{panel[['roa', 'serv']].corr().iloc[0, 1]:.3f}")


def test_tex_escape():
    assert tex_escape("a_b & 50% #1") == r"a\_b \& 50\% \#1"
    assert tex_escape("0.12***") == "0.12$^{***}$" and tex_escape("*ST") == "*ST"
    assert tex_escape("Serv²") == "Serv$^2$"


def test_journal_rows_fe_yes_no_r2_and_t_values(panel, results):  # noqa: F811
    """FE rows read "Firm FE | Yes" (or No), firms and R²s carry three decimals in every column, and
    ``parentheses="t"`` prints t values (coefficient / standard error, statsmodels' t of the same
    dummy-variable OLS) with a note that says so."""
    import statsmodels.formula.api as smf

    two = save_and_load(panel, ModelSpec(name="baseline_roa_firmonly", outcome="roa", controls=("size",),
                                         fixed_effects=("firm",)))
    md = result_set_table("baseline", [results["baseline_roa"], two]).to_markdown()
    assert "| Firm FE | Yes | Yes |" in md and "| Year FE | Yes | No |" in md
    assert f"| Firms | {panel['firm'].nunique()} | {panel['firm'].nunique()} |" in md
    for row in ("R²", "Adjusted R²", "Within R²"):
        cells = re.search(rf"^\| {row} \| (.*) \|$", md, re.M).group(1).split(" | ")
        assert all(re.fullmatch(r"-?\d\.\d{3}", c) for c in cells), (row, cells)
    zh = result_set_table("baseline", [results["baseline_roa"], two], language="zh").to_markdown()
    assert "| 企业固定效应 | 是 | 是 |" in zh and "| 年份固定效应 | 是 | 否 |" in zh
    iid = save_and_load(panel, ModelSpec(name="baseline_roa", outcome="roa", controls=("size",), se="iid"))
    t_md = result_set_table("baseline", [iid], parentheses="t").to_markdown()
    d = panel.assign(serv_sq=panel.serv**2)
    ols = smf.ols("roa ~ serv + serv_sq + size + C(firm) + C(year)", data=d).fit()  # conventional SE
    for name in ("serv", "serv_sq", "size"):
        assert f"({ols.tvalues[name]:.2f})" in t_md, name
    assert "t statistics in parentheses" in t_md
    with pytest.raises(ValueError, match="output.parentheses"):
        result_set_table("baseline", [iid], parentheses="z")


def test_singleton_drops_are_noted(results):
    import copy

    r = copy.deepcopy(results["baseline_roa"])
    assert "singleton" not in result_set_table("baseline", [r]).to_markdown()
    r.n_singletons = 2
    assert "singleton firm-years (a fixed-effect group with one observation; dropped: 2)" in \
        result_set_table("baseline", [r]).to_markdown()


def test_word_caption_is_numbered_and_columns_fit(results):
    from docx import Document

    data = result_set_table("baseline", [results["baseline_roa"], results["baseline_roa"]]).to_docx_bytes()
    doc = Document(io.BytesIO(data))
    assert doc.paragraphs[0].text.startswith("Table 4: Servitization")
    zh = Document(io.BytesIO(result_set_table("moderation", [results["moderation_roa"]], "zh").to_docx_bytes()))
    assert zh.paragraphs[0].text.startswith("表 5：")
    from docx.oxml.ns import qn

    widths = [int(c.get(qn("w:w"))) for c in doc.tables[0]._tbl.find(qn("w:tblGrid")).findall(qn("w:gridCol"))]
    assert sum(widths) == 8640 and widths[0] > widths[1]  # the label column is the wide one
    for tr in doc.tables[0]._tbl.tr_lst:  # every cell as wide as the grid columns it spans
        cells = tr.findall(qn("w:tc"))
        assert sum(int(tc.find(f"{qn('w:tcPr')}/{qn('w:tcW')}").get(qn("w:w"))) for tc in cells) == 8640
