"""Chinese output is complete: with ``output.language: zh`` every table (main, robustness,
specification curve, every mechanism table and its summary), every figure and the paper text carry
no Latin-letter word outside a short whitelist of symbols, statistic and author names.

The slow test switches a copy of the shared test run to Chinese (tables, figures and the paper are
rebuilt from the saved results; nothing is re-estimated) and scans every Markdown and Word table and
the Markdown paper; the figures are drawn in-process from the same saved results and their text
objects scanned. The unit tests check the scanner itself (it must catch an English word).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest


REPO = Path(__file__).resolve().parents[1]

#: Latin words allowed in Chinese output: variable symbols, statistics, estimators, units and the
#: names of tests' authors (as Chinese journals print them). Words are runs of letters (digits split
#: them: CRV1 -> CRV, b5 -> b, 2SLS -> SLS).
WHITELIST = {
    # variable and coefficient symbols
    "Serv", "Dig", "ROA", "ROE", "Q", "D", "U", "Perf", "x", "z", "a", "b", "c", "ln",
    # statistics and estimators
    "N", "K", "G", "F", "R", "t", "p", "H", "min", "CRV", "HC", "OLS", "IV", "SLS", "delta", "inf", "n",
    # tests and their authors
    "Fieller", "Sasabuchi", "Lind", "Mehlum", "Simonsohn", "Simmons", "Nelson", "Haans", "Pieters", "He",
    "Cameron", "Gelbach", "Miller", "Sanderson", "Windmeijer", "Pearson", "Spearman", "Sobel", "Baron", "Kenny",
    "VIF", "Welch", "Fisher",
    # stock-exchange status codes and the CSRC industry letters of the sample rules
    "ST", "PT", "J",
    # the mechanism links (a) to (e)
    "d", "e",
}
_WORD = re.compile(r"[A-Za-z]+")


def latin_words(text: str) -> list[str]:
    """Latin-letter words of a text outside the whitelist (file names, code spans, image links and
    URLs removed first: they are not labels)."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)          # images
    text = re.sub(r"\]\([^)]*\)", "] ", text)                  # link targets (the link's text is kept)
    text = re.sub(r"`[^`]*`", " ", text)                        # code spans
    text = re.sub(r"\S+\.(?:parquet|csv|json|tex|md|yaml|png)\b", " ", text)
    return sorted({w for w in _WORD.findall(text) if w not in WHITELIST})


def test_scanner_catches_english_and_passes_chinese():
    assert latin_words("服务化 (Serv) 的系数，p 值 (Sasabuchi)，CRV1") == []
    assert latin_words("总资产收益率 rises with the service share") == ["rises", "service", "share", "the", "with"]
    assert latin_words("见 `paper_markdown` 与 data_clean/dropped.parquet ![curve_roa](../figures/curve_roa.png)") == []
    assert latin_words("[审计（1）](../audit/index.html#model=baseline_roa)") == []
    assert latin_words("[Audit (1)](../audit/index.html)") == ["Audit"]


def _tables_text(run: Path) -> dict[str, str]:
    from analysis.presentation.tables import docx_text

    out = {}
    for p in sorted((run / "paper" / "tables").glob("*.md")):
        out[p.name] = p.read_text(encoding="utf-8")
    for p in sorted((run / "paper" / "tables").glob("*.docx")):
        out[p.name] = docx_text(p)
    return out


def _figure_texts(run: Path, tmp_path: Path) -> dict[str, list[str]]:
    """The text of every figure, drawn from the saved results as the figure rules draw them."""
    import matplotlib.figure
    import matplotlib.text

    from analysis.estimation import ModelResult
    from analysis.presentation import figures as F
    from analysis.presentation.robustness import plot_speccurve
    from analysis.speccurve import read_results

    texts: dict[str, list[str]] = {}
    current = {"name": ""}
    original = matplotlib.figure.Figure.savefig

    def savefig(fig, *args, **kw):
        texts.setdefault(current["name"], []).extend(
            t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text() and t.get_visible())
        return original(fig, *args, **kw)

    matplotlib.figure.Figure.savefig = savefig
    try:
        for path in sorted((run / "paper" / "results").glob("moderation_*.json")):
            r = ModelResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
            current["name"] = f"curve_{path.stem}"
            assert F.plot_moderated_curve(r, [tmp_path / "c.png"], language="zh") == "zh"
            current["name"] = f"slope_{path.stem}"
            assert F.plot_slopes(r, [tmp_path / "s.png"], language="zh") == "zh"
        for path in sorted((run / "paper" / "results").glob("baseline_*.json")):
            r = ModelResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
            current["name"] = f"marginal_{path.stem}"
            assert F.plot_marginal_effect(r, [tmp_path / "m.png"], language="zh") == "zh"
        rob = run / "paper" / "results" / "robustness"
        rows = [json.loads((rob / "baseline.json").read_text(encoding="utf-8"))] + [
            json.loads(p.read_text(encoding="utf-8")) for p in sorted(rob.glob("*.json")) if p.stem != "baseline"]
        current["name"] = "robustness_coefficients"
        assert F.plot_robustness_coefficients(rows, [tmp_path / "r.png"], language="zh") == "zh"
        panel = pd.read_parquet(run / "data_clean" / "panel.parquet")
        current["name"] = "distributions"
        assert F.plot_distributions(panel, [tmp_path / "d.png"], ["serv", "dig"], language="zh") == "zh"
        current["name"] = "speccurve"
        curve = read_results(run / "paper" / "results" / "speccurve" / "specifications.csv")
        assert plot_speccurve(curve, [str(tmp_path / "sc.png")], language="zh") == "zh"
    finally:
        matplotlib.figure.Figure.savefig = original
    return texts


@pytest.mark.slow
def test_every_output_is_chinese(zh_run, tmp_path):
    run, out, estimated = zh_run
    # presentation only: no model was refitted
    for rule in ("estimate", "robustness_models", "speccurve_shard", "mechanism_link"):
        assert f"rule {rule}:" not in out, rule
    assert {p: p.stat().st_mtime_ns for p in (run / "paper" / "results").rglob("*.json")} == estimated

    found = {}
    tables = _tables_text(run)
    names = {n.rsplit(".", 1)[0] for n in tables}
    for must in ("baseline", "moderation", "robustness", "speccurve", "mechanism_summary", "mechanism_coupling",
                 "mechanism_mediation_roa", "mechanism_stages_roa", "mechanism_resilience_roa", "descriptives"):
        assert must in names, f"table {must} not built"
    for name, text in tables.items():
        assert re.search(r"[\u4e00-\u9fff]", text), f"{name}: no Chinese at all"
        if latin_words(text):
            found[name] = latin_words(text)
    paper = (run / "paper" / "generated" / "paper.md").read_text(encoding="utf-8")
    if latin_words(paper):
        found["paper.md"] = latin_words(paper)
    assert '<html lang="zh-CN">' in (run / "paper" / "generated" / "paper.html").read_text(encoding="utf-8")
    # the audit site's labels: headings and column heads of the index, a firm page and a model page
    audit = run / "paper" / "audit"
    for page in [audit / "index.html", sorted((audit / "firm").glob("*.html"))[0], sorted((audit / "model").glob("*.html"))[0]]:
        html = page.read_text(encoding="utf-8")
        assert '<html lang="zh-CN">' in html, page
        heads = re.findall(r"<(?:h[1-4]|th|label|figcaption)[^>]*>(.*?)</(?:h[1-4]|th|label|figcaption)>", html, re.S)
        heads = [re.sub(r"<[^>]+>", " ", h) for h in heads]
        words = latin_words("\n".join(re.sub(r"\S+\.(?:pdf|txt|html?|jsonl)\b|\b\d{6}\b|\w+_\w+", " ", h)
                                     for h in heads))  # report files, stock codes, model names
        if words:
            found[f"audit {page.relative_to(audit)}"] = words
    for name, texts in _figure_texts(run, tmp_path).items():
        words = latin_words("\n".join(texts))
        if words:
            found[f"figure {name}"] = words
    assert not found, "Latin-letter labels in the Chinese output:\n" + "\n".join(f"{k}: {v}" for k, v in found.items())
