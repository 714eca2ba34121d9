"""The paper quotes no hand-typed number: macros and the Markdown paper come from saved results.

Unit tests check the macro names and values against the saved results, the LaTeX main file and the
Markdown template for typed digits and unknown macros. One slow test runs the pipeline on the
small test config, builds the Snakemake report (a caption for every table and figure), and
switches the output language to Chinese, which rebuilds tables, figures and numbers without
re-estimating.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.presentation.paper import (conditional_blocks, csname, macros_tex, markdown_to_html, mechanism_numbers,
                            paper_numbers, placeholders, render_markdown)
from tests.test_estimation import panel  # noqa: F401  (fixture)
from tests.test_tables import results  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[1]
MAIN_TEX = REPO / "paper" / "main.tex"
TEMPLATE = REPO / "paper" / "paper_template.md"
LEDGER = pd.DataFrame({"step": [0, 1, 2], "rule": ["raw", "missing roa", "missing dig"],
                       "rows_dropped": [0, 10, 5], "rows_remaining": [1000, 990, 985],
                       "firms_remaining": [90, 90, 88]})


@pytest.fixture(scope="module")
def numbers(results, panel):  # noqa: F811
    return paper_numbers(list(results.values()), LEDGER, panel)


def _body(tex: str) -> str:
    body = tex.split(r"\begin{document}", 1)[1].split(r"\end{document}", 1)[0]
    return "\n".join(line.split("%")[0] if not line.lstrip().startswith("%") else "" for line in
                     body.replace(r"\%", " percent").splitlines())


def test_csname():
    assert csname("baseline_roa", "b", "serv_sq_x_dig") == "BaselineRoaBServSqXDig"
    assert csname("top1") == "TopOne" and re.fullmatch(r"[A-Za-z]+", csname("p90", "x-2"))


def test_numbers_are_the_saved_numbers(numbers, results, panel):  # noqa: F811
    base, mod = results["baseline_roa"], results["moderation_roa"]
    u = base.extras["utest"]
    assert numbers["BaselineMainTurningPoint"] == numbers["BaselineRoaTurningPoint"] == f"{u['extreme_point']:.3f}"
    assert numbers["BaselineMainFiellerLower"] == f"{u['fieller_lower']:.3f}"
    assert numbers["BaselineMainBServ"] == f"{base.coef[0]:.4f}"
    assert numbers["NFirmYears"] == f"{len(panel):,}" and numbers["NFirms"] == f"{panel['firm'].nunique():,}"
    assert numbers["NRawRows"] == "1,000" and numbers["NDropped"] == "15" and numbers["NSteps"] == "2"
    t = pd.DataFrame(mod.extras["moderation"])
    tp = t[(t["quantity"] == "turning_point_fieller") & (t["note"] == "p90")].iloc[0]
    assert numbers["ModerationMainTurningPointHigh"] == f"{tp['estimate']:.3f}"
    assert numbers["ModerationMainZMedian"] == f"{mod.moderator_values['p50']:.2f}"
    assert numbers["CILevel"] == "95" and numbers["MainOutcomeKey"] == "roa"
    p = t[t["quantity"] == "flattening_b5"].iloc[0]["p"]
    assert numbers["ModerationMainFlatteningP"] == ("< 0.001" if p < 0.001 else f"= {p:.3f}")


def test_macros_file(numbers):
    tex = macros_tex(numbers)
    names = re.findall(r"\\newcommand\{\\([A-Za-z]+)\}", tex)
    assert names == list(numbers) and len(set(names)) == len(names)
    assert r"\newcommand{\NRawRows}{1{,}000}" in tex
    assert "$<$ 0.001" in tex or "$=$ " in tex


def _mechanism_results(outcome="tobin_q"):
    """Minimal saved mechanism results (the fields mechanism_numbers reads)."""
    return {
        "coupling": {"rows": [{"outcome": "ccd", "coef": 0.0123, "p_one_sided_positive": 0.0004}]},
        f"moderation_{outcome}": {"result": {"extras": {"utest": {"alpha": 0.05}, "moderation": [
            {"quantity": "flattening_b5", "estimate": 2.5, "p": 0.0001},
            {"quantity": "shape_flip_z", "estimate": 0.61, "p": None}]}}},
        f"mediation_{outcome}": {"indirect": {"estimate": 0.0031, "ci_lower": 0.0012, "ci_upper": 0.0055, "reps": 499},
                                 "direct": {"coef": -0.0004, "p": 0.81}},
    }


def test_mechanism_numbers():
    n = mechanism_numbers(_mechanism_results(), "tobin_q")
    assert n["MechCouplingB"] == "0.0123" and n["MechCouplingP"] == "< 0.001"
    assert n["MechFlatteningB"] == "2.500" and n["MechShapeFlip"] == "0.610"
    assert (n["MechIndirect"], n["MechIndirectLower"], n["MechIndirectUpper"]) == ("0.0031", "0.0012", "0.0055")
    assert n["MechIndirectReps"] == "499" and n["MechDirectP"] == "= 0.810"
    assert n["MechOutcome"] == "Tobin's Q" or n["MechOutcome"]  # labelled


def test_conditional_blocks():
    t = "a\n<!-- if Shown -->\nB {{Shown}}\n<!-- endif -->\nc\n<!-- if Absent -->\nD {{Absent}}\n<!-- endif -->\ne"
    assert conditional_blocks(t, {"Shown": "1"}) == "a\nB {{Shown}}\nc\ne"
    assert conditional_blocks(t, {}) == "a\nc\ne"


def _strip_mechanism_block(body: str) -> tuple[str, str]:
    m = re.search(r"\\ifdefined\\MechOutcome(.*?)\\fi", body, re.S)
    assert m, "main.tex has no mechanism section"
    return body[: m.start()] + body[m.end():], m.group(1)


def test_main_tex_has_no_typed_number_and_only_known_macros(numbers):
    tex = MAIN_TEX.read_text(encoding="utf-8")
    body = re.sub(r"\[[^\]]*\]", "", _body(tex))  # optional arguments such as [width=.8\linewidth]
    body = re.sub(r"%.*", "", body)  # comments
    assert not re.search(r"\d", body), re.findall(r".{20}\d.{20}", body)
    body, mech = _strip_mechanism_block(body)
    used = set(re.findall(r"\\([A-Z][A-Za-z]*)", body))
    assert used and used <= set(numbers), sorted(used - set(numbers))
    inputs = re.findall(r"\\input\{tables/([a-z_]+)\}", body)
    assert inputs == ["sample_selection", "descriptives", "correlations", "baseline", "moderation"]
    assert r"\input{generated/macros}" in tex
    mech_numbers = {**numbers, **mechanism_numbers(_mechanism_results(), "tobin_q")}
    used_mech = set(re.findall(r"\\([A-Z][A-Za-z]*)", mech))
    assert used_mech and used_mech <= set(mech_numbers), sorted(used_mech - set(mech_numbers))
    assert re.findall(r"\\input\{tables/([a-z_]+)\}", mech) == ["mechanism_summary"]


def test_markdown_template_has_no_typed_number(numbers, tmp_path):
    template = TEMPLATE.read_text(encoding="utf-8")
    assert not re.search(r"\d", re.sub(r"\{\{[^}]*\}\}", "", template))
    mech_numbers = {**numbers, **mechanism_numbers(_mechanism_results(), "tobin_q")}
    wanted = {name for kind, name in placeholders(template) if kind == "number"}
    assert wanted <= set(mech_numbers), sorted(wanted - set(mech_numbers))
    without = {name for kind, name in placeholders(conditional_blocks(template, numbers)) if kind == "number"}
    assert without <= set(numbers) and "MechIndirect" in wanted - without  # the section is conditional

    for kind, name in placeholders(template):
        if kind == "table":
            (tmp_path / f"{name}.md").write_text(f"TABLE {name}\n", encoding="utf-8")
    md = render_markdown(template, numbers, tmp_path)
    assert "{{" not in md and numbers["BaselineMainTurningPoint"] in md and "TABLE baseline" in md
    assert "](../figures/curve_roa.png)" in md
    html = markdown_to_html(md, "t")
    assert html == markdown_to_html(md, "t")
    assert numbers["NFirmYears"] in html
    assert "TABLE mechanism_summary" not in md  # no mechanism numbers: no mechanism section
    with_mech = render_markdown(template, mech_numbers, tmp_path)
    assert "TABLE mechanism_summary" in with_mech and "0.0031" in with_mech and "{{" not in with_mech


def test_unknown_placeholder_is_an_error(numbers, tmp_path):
    with pytest.raises(KeyError, match="NoSuchNumber"):
        render_markdown("{{NoSuchNumber}}", numbers, tmp_path)
    with pytest.raises(KeyError, match="missing_table"):
        render_markdown("{{table:missing_table}}", numbers, tmp_path)


def test_presentation_scripts_never_estimate():
    for name in ["tables", "figure_curve", "figure_slope", "figure_distributions", "paper_numbers",
                 "paper_markdown", "notebook", "audit"]:
        src = (REPO / "scripts" / f"{name}.py").read_text(encoding="utf-8")
        assert "fit_model" not in src and "feols" not in src, name
    nb = json.loads((REPO / "notebooks" / "results.ipynb").read_text(encoding="utf-8"))
    code = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "fit_model" not in code and "feols" not in code
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"), "commit the notebook unexecuted"


# ----------------------------------------------------------------------------------- end to end
def _snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(workdir / "config" / "test_config.yaml"), "--cores", "2", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_pipeline_paper_and_report(demo_copy):
    tmp_path = demo_copy
    gen = tmp_path / "paper" / "generated"
    numbers = json.loads((gen / "macros.json").read_text(encoding="utf-8"))
    md = (gen / "paper.md").read_text(encoding="utf-8")
    assert numbers["BaselineMainTurningPoint"] in md and "{{" not in md
    result = json.loads((tmp_path / "paper/results/baseline_roa.json").read_text())
    assert numbers["BaselineMainTurningPoint"] == f"{result['extras']['utest']['extreme_point']:.3f}"
    nb_html = (gen / "notebook.html").read_text(encoding="utf-8")
    assert numbers["BaselineMainTurningPoint"] in nb_html and "Traceback" not in nb_html
    # the Python API section (README's example) ran, refitting the saved baseline exactly
    assert "api.fit reproduces the saved baseline_roa" in nb_html and "flattening_b5" in nb_html
    for table in ("sample_selection", "descriptives", "correlations", "baseline", "moderation"):
        for ext in ("md", "tex", "html", "docx", "csv"):
            assert (tmp_path / f"paper/tables/{table}.{ext}").stat().st_size > 200

    # the report: one entry with its caption per table and figure
    rep = _snakemake(tmp_path, "--report", str(tmp_path / "report.html"))
    assert rep.returncode == 0, rep.stderr[-3000:]
    report = (tmp_path / "report.html").read_text(encoding="utf-8", errors="replace")
    for cap in sorted((REPO / "report").glob("*.rst")):
        if cap.stem == "table_result_set":
            continue  # only used by further result sets, none in the test config
        bold = re.search(r"\*\*(.+?)\*\*", cap.read_text(encoding="utf-8")).group(1)
        assert f'"caption": "<p><strong>{bold}</strong>' in report, f"caption {cap.name} missing from the report"


@pytest.mark.slow
def test_chinese_switch_rebuilds_from_the_saved_results(zh_run):
    """Chinese: tables, figures and numbers rebuild from the saved results, estimation untouched."""
    run, out, estimated = zh_run
    assert "rule estimate" not in out
    assert {p: p.stat().st_mtime_ns for p in (run / "paper" / "results").rglob("*.json")} == estimated
    assert "服务化与企业绩效" in (run / "paper/tables/baseline.md").read_text(encoding="utf-8")
    log = (run / "logs/figure_curve_roa.log").read_text(encoding="utf-8")
    assert "(labels: zh)" in log or "(labels: en)" in log  # en only when no CJK font is installed
