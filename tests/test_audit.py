"""The audit site (analysis/presentation/audit.py, rule audit).

- a small site with a report-derived firm-year (synthetic PDF): the source page is rendered with the table
  outlined, shown with its page number and linked to the report at that page, rendered once (cached by report
  hash); dictionary hits with their page and section; every link resolves; labels follow the language;
- the shared demo run: the site is part of the default pipeline; every raw row of the ledger is in the list
  with its fate, each model's sample is its N, the hits shown are the counts Dig was built from, the tables
  link to the audit, no link is broken, and the site is under 50 MB;
- the real report corpus (../shared): for every PDF whose breakdown the pipeline reads, the firm-year's page
  image is the page of the hand-read fixture (tests/fixtures/real_reports).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.presentation.audit import AuditOptions, write_site
from tests.audit_site import broken_links, index_data, small_inputs

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "real_reports"


def test_small_site_shows_the_source_page_with_the_table_outlined(tmp_path):
    inp = small_inputs(tmp_path)
    made = write_site(tmp_path / "site", inp, summary=tmp_path / "generated" / "audit.html")
    assert made["images_rendered"] == 1 and made["images_cached"] == 0
    summary = (tmp_path / "generated" / "audit.html").read_text(encoding="utf-8")
    assert 'href="../site/index.html"' in summary and 'href="../site/model/baseline_roa.html"' in summary
    assert broken_links(tmp_path / "site", (tmp_path / "generated" / "audit.html",)) == []
    page = (tmp_path / "site" / "firm" / "600001.html").read_text(encoding="utf-8")
    fig = re.search(r'<figure data-page="(\d+)" data-area="[\d,]+"><a class="report" href="([^"]+)"><img class="page" '
                    r'src="([^"]+)"', page)
    assert fig and fig.group(1) == "3"
    href = fig.group(2)
    assert href.endswith("#page=3")
    assert (tmp_path / "site" / "firm" / href.split("#")[0]).resolve() == (tmp_path / "reports" /
                                                                          "600001_2020_annual_report.pdf").resolve()
    png = tmp_path / "site" / "firm" / fig.group(3)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "outlined in red" in page  # the table's rows were found on the page
    # the dictionary hits: both on page 2, inside the MD&A, with their context
    hits = re.findall(r"<tr><td>([^<]+)</td><td>(\d+|—)</td><td>([^<]+)</td><td>…([^<]*)<mark>", page)
    assert [(t, p, s) for t, p, s, _ in hits] == [("云计算", "2", "MD&amp;A"), ("人工智能", "2", "MD&amp;A")]
    assert broken_links(tmp_path / "site") == []
    rows = index_data(tmp_path / "site")["rows"]
    assert [(r[0], r[4]) for r in rows] == [("600001", "kept"), ("600002", "kept"), ("600003", "missing serv")]
    # rendered once: a second site takes the page from the cache (keyed by the report's hash)
    again = write_site(tmp_path / "site2", small_inputs(tmp_path))
    assert again["images_rendered"] == 0 and again["images_cached"] == 1


def test_a_changed_report_is_rendered_again(tmp_path):
    write_site(tmp_path / "site", small_inputs(tmp_path))
    inp = small_inputs(tmp_path)  # same content: cached
    pdf = tmp_path / "reports" / "600001_2020_annual_report.pdf"
    pdf.write_bytes(pdf.read_bytes() + b"\n% edited\n")
    assert write_site(tmp_path / "site2", inp)["images_rendered"] == 1


def test_broken_links_are_found(tmp_path):
    write_site(tmp_path / "site", small_inputs(tmp_path))
    page = tmp_path / "site" / "firm" / "600002.html"
    page.write_text(page.read_text(encoding="utf-8") + '<a href="../firm/999999.html">x</a><a href="#y1999">y</a>',
                    encoding="utf-8")
    bad = broken_links(tmp_path / "site")
    assert len(bad) == 2 and "999999" in bad[0] and "no anchor" in bad[1]


def test_chinese_labels(tmp_path):
    write_site(tmp_path / "site", small_inputs(tmp_path), AuditOptions(language="zh"))
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    firm = (tmp_path / "site" / "firm" / "600001.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in index and "样本与模型" in index and "保留" in index
    for english in ("Sample and models", "The sample", "Short name", "rows match"):
        assert english not in index
    assert "服务化" in firm and "数字化" in firm and "第 3 页" in firm
    for english in ("Vendor values", "Servitization", "Dictionary hits", "In the models"):
        assert english not in firm


# ------------------------------------------------------------------------------------ the demo run
@pytest.mark.slow
def test_the_demo_run_writes_the_audit_site(demo_run):
    check_demo_site(demo_run)


def check_demo_site(run: Path) -> None:
    """The audit of a finished run of config/test_config.yaml (also callable on any run folder)."""
    import json

    site = run / "paper" / "audit"
    assert (site / "index.html").is_file()
    size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    assert size < 50e6, f"audit site {size / 1e6:.1f} MB"
    data = index_data(site)
    ledger = pd.read_csv(run / "data_clean" / "sample_ledger.csv")
    panel = pd.read_parquet(run / "data_clean" / "panel.parquet")
    dropped = pd.read_parquet(run / "data_clean" / "dropped.parquet")
    assert len(data["rows"]) == int(ledger["rows_remaining"].iloc[0])  # every raw row read
    assert sum(r[4] == data["kept"] for r in data["rows"]) == len(panel)
    fates = pd.Series([r[4] for r in data["rows"] if r[4] != data["kept"]]).value_counts()
    assert fates.to_dict() == dropped["rule"].value_counts().to_dict()
    for m in data["models"]:
        res = json.loads((run / "paper" / "results" / f"{m}.json").read_text(encoding="utf-8"))
        k = data["models"].index(m)
        assert sum(k in r[6] for r in data["rows"]) == res["n_obs"], m
        page = (site / "model" / f"{m}.html").read_text(encoding="utf-8")
        assert f'href="../index.html#model={m}"' in page
        infl = pd.read_csv(site / "model" / f"{m}_influence.csv", dtype={"cluster": str})
        assert len(infl) == res["n_clusters"] and infl["n_obs"].sum() == res["n_obs"]
    # the hits shown are the counts the measure was built from
    counts = pd.read_parquet(run / "data_clean" / "digital_counts.parquet")
    full = counts[counts["section"] == "full"].groupby(["firm", "year"])["count"].sum()
    checked = 0
    for firm in sorted(panel["firm"].unique())[:15]:
        text = (site / "firm" / f"{firm}.html").read_text(encoding="utf-8")
        for y, n in re.findall(r'<section class="fy" id="y(\d+)">.*?Dictionary hits in the full text: (\d+) ', text, re.S):
            assert int(n) == int(full.get((firm, int(y)), 0)), (firm, y)
            checked += 1
    assert checked > 20
    # the tables link to the audit: each column's N and the model's influential firms
    md = (run / "paper" / "tables" / "baseline.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((\.\./audit/[^)]+)\)", md)
    assert "../audit/index.html#model=baseline_roa" in links and "../audit/model/baseline_roa.html" in links
    for link in links:
        assert (run / "paper" / "tables" / link.split("#")[0]).is_file()
    # ... and back: a firm-year's page links its row in each model's data to that model's table
    page = (site / "firm" / f"{sorted(panel['firm'].unique())[0]}.html").read_text(encoding="utf-8")
    assert 'href="../../tables/baseline.md"' in page and 'href="../../tables/moderation.md"' in page
    summary = run / "paper" / "generated" / "audit.html"
    for m in data["models"]:
        assert f'href="../audit/model/{m}.html"' in summary.read_text(encoding="utf-8")
    assert broken_links(site, (summary,)) == []


# ------------------------------------------------------------------------------- the real corpus
def _fixture_pages() -> dict[tuple[str, int], tuple[str, str, set[int], dict[int, list[str]]]]:
    """(firm, year) -> (folder, PDF file, pages of its product breakdown, else industry, and the amounts printed
    on each of those pages), all by hand-reading."""
    out = {}
    for p in sorted(FIXTURES.glob("*.yaml")):
        fx = yaml.safe_load(p.read_text(encoding="utf-8"))
        bd = fx.get("breakdown") or {}
        if fx.get("format") != "pdf" or not bd.get("found"):
            continue
        sections = bd.get("sections") or {}
        for kind in ("product", "industry"):
            if sections.get(kind):
                amounts: dict[int, list[str]] = {}
                for r in sections[kind]:
                    amounts.setdefault(int(r["page"]), []).append(str(r["revenue"]))
                out[(fx["identity"]["code"], int(fx["identity"]["fiscal_year"]))] = (
                    fx["folder"], fx["file"], set(amounts), amounts)
                break
    return out


@pytest.mark.shared
def test_real_reports_show_the_hand_read_page(tmp_path):
    """Breakdowns read from the real reports by the pipeline's own reader; the site's page image of each
    report-derived firm-year must be a page the fixture lists for that breakdown, with the table found on it."""
    import pymupdf

    from analysis.presentation.audit import AuditInputs
    from analysis.servitization.classifier import label_segments, load_rules
    from analysis.servitization.measures import servitization_measures
    from analysis.servitization.report_table import read_breakdowns
    from analysis.text.reports import scan_reports
    from tests.conftest import SHARED_DIR

    expected = _fixture_pages()
    reports = tmp_path / "reports"
    reports.mkdir()
    for (folder, file, _, _) in expected.values():
        src = SHARED_DIR / "data" / folder / file
        if not src.is_file():
            pytest.skip(f"real report {src} not found (the reports live in ../shared, not in the repository)")
        (reports / file).symlink_to(src)
    segments, status = read_breakdowns(scan_reports(reports), set())
    labeled = label_segments(segments, load_rules())
    serv = servitization_measures(labeled)
    read = sorted(set(zip(segments["firm"], segments["year"])))
    assert len(read) >= 8, read  # most PDFs have a breakdown the reader finds
    panel = pd.DataFrame({"firm": [f for f, _ in read], "year": [y for _, y in read]})
    inp = AuditInputs(panel=panel, servitization=serv, labels=labeled, segment_status=status, reports_dir=reports,
                      image_cache=tmp_path / "cache")
    made = write_site(tmp_path / "site", inp)
    assert made["images_rendered"] >= len(read)
    for firm, year in read:
        page = (tmp_path / "site" / "firm" / f"{firm}.html").read_text(encoding="utf-8")
        section = page.split(f'id="y{year}"', 1)[1]
        figures = re.findall(r'<figure data-page="(\d+)" data-area="([\d,]*)">', section)
        shown = {int(p) for p, _ in figures}
        _, file, pages, amounts = expected[(firm, year)]
        assert shown and shown <= pages, (firm, year, shown, pages)
        assert "outlined in red" in section, (firm, year)
        # the outlined area holds every amount of the breakdown that the fixture read on that page
        with pymupdf.open(reports / file) as doc:
            for p, area in figures:
                box = pymupdf.Rect(*(float(v) for v in area.split(",")))
                for amount in amounts[int(p)]:
                    hits = doc[int(p) - 1].search_for(amount)
                    assert hits and any(box.contains(h) for h in hits), (firm, year, p, amount)
        for src in re.findall(r'<img class="page" src="([^"]+)"', section):
            assert (tmp_path / "site" / "firm" / src).stat().st_size > 10_000
    assert broken_links(tmp_path / "site") == []
    shutil.rmtree(tmp_path / "site")


@pytest.mark.shared
def test_dictionary_hits_of_a_real_report_are_on_the_pages_they_name(real_reports_dir):
    """Each Dig hit of the real reports (600201: 195 pages, 603339: 156) is shown with a page on which the term is
    printed and with the context around it; their number is the count of the text stage."""
    import pymupdf

    from analysis.presentation.audit_sources import dig_hits, report_pages
    from analysis.text.counting import KeywordCounter
    from analysis.text.dictionary import load_dictionary
    from analysis.text.normalize import normalize_text
    from analysis.text.pdf import extract_pdf

    counter = KeywordCounter(load_dictionary())
    n = 0
    for pdf in sorted(real_reports_dir.glob("*.pdf")):
        text = extract_pdf(pdf).text
        hits, mdna, (first, last) = dig_hits(text, counter, report_pages(pdf))
        assert len(hits) == sum(counter.count(text).values())
        assert mdna is not None
        with pymupdf.open(pdf) as doc:
            pages = [normalize_text(p.get_text()) for p in doc]
        assert text[mdna[0]:mdna[0] + 10] in pages[first - 1] and 1 < first < last < len(pages)
        for h in hits:
            assert h.page is not None
            here = pages[h.page - 1] + (pages[h.page][:20] if h.page < len(pages) else "")
            assert h.term in here, (pdf.name, h.term, h.page)
            assert (h.before + h.term + h.after) in text
            assert h.in_mdna == (mdna[0] <= h.offset < mdna[1])
        n += len(hits)
    assert n >= 5
