"""Every real report of ../shared/data (report_corpus/, real_reports/) against its hand-read fixture.

The fixtures (tests/fixtures/real_reports/<code>_<year>.yaml) were written by reading the rendered pages
by eye: identity, kind of firm, 营业收入 of the key-figures table, the breakdown sections with their
amounts as printed, the unit and the pages. Nothing expected here comes from the extractor. For each
report the test checks: identification (code, fiscal year) from the file name or the first pages; the
kind of firm (banks and real estate recognised as non-manufacturers); the segments (names and amounts
converted with the printed unit), the unit, the pages; the key-figure 营业收入; and the reconciliation gap,
which must equal the gap computed from the fixture's own numbers (and be within 1% where the table covers
the whole of operating revenue). Each PDF is also read as a JSON-lines page corpus made from its own
pages ({"page": n, "inside": text}), and the cninfo HTML version where one was read: same expectations.
Each PDF, TXT and HTML report is read once more as the pipeline reads it (variants ``wired``, ``html-wired``):
the text stage (``process_reports`` with ``keep_pages``) keeps the pages the breakdown needs in its cache (an
HTML report's pieces; a PDF's candidate pages with their words), and the breakdown reads them from there
(``breakdown_of_report``), not from the file: same expectations.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.servitization.report_table import UNIT_FACTORS, BreakdownPages, breakdown_of_report, extract_breakdown
from analysis.text.dictionary import load_dictionary
from analysis.text.reports import TextCache, first_pages, identify_file, process_reports, report_kind
from tests.conftest import SHARED_DIR

pytestmark = pytest.mark.shared

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "real_reports"
DATA = SHARED_DIR / "data"
NON_MANUFACTURERS = ("bank", "real_estate", "other")
_TOTAL = re.compile(r"合计|总计|小计")


def _fixtures() -> list[tuple[str, dict, str]]:
    """(fixture id, fixture, format variant): the main file, plus an HTML version where one was read."""
    out = []
    for p in sorted(FIXTURES.glob("*.yaml")):
        fx = yaml.safe_load(p.read_text(encoding="utf-8"))
        out.append((p.stem, fx, "main"))
        if fx.get("html_version", {}).get("same_table_as_table_rows"):
            out.append((p.stem + "-html", fx, "html"))
            out.append((p.stem + "-html-wired", fx, "html-wired"))  # from the pieces the text stage kept
        if fx["format"] == "pdf":  # the same pages as a JSON-lines page corpus
            out.append((p.stem + "-jsonl", fx, "jsonl"))
        if fx["format"] in ("pdf", "txt"):  # from the pages the text stage kept
            out.append((p.stem + "-wired", fx, "wired"))
    return out


CASES = _fixtures()


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(s)))


def _amount(s: str) -> float:
    s = _norm(s)
    neg = s.startswith("-") or s.startswith("(")
    v = float(s.strip("-()").replace(",", ""))
    return -v if neg else v


def _path(fx: dict, variant: str) -> Path:
    folder = DATA / fx["folder"]
    if not folder.is_dir():
        pytest.skip(f"shared data not found at {folder} (the real reports live in ../shared, not in the repository)")
    name = fx["html_version"]["file"] if variant in ("html", "html-wired") else fx["file"]
    p = folder / name
    if not p.is_file():
        pytest.skip(f"{p} is absent from the shared data")
    if variant == "jsonl":
        return _as_jsonl(p)
    return p


def _as_jsonl(pdf: Path) -> Path:
    """The PDF's pages as a JSON-lines page corpus ({"page": n, "inside": text} per line), made once."""
    import json
    import tempfile

    import pymupdf

    out = Path(tempfile.gettempdir()) / "servparadox_jsonl_corpus" / (pdf.stem + ".jsonl")
    if not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        with pymupdf.open(pdf) as doc:
            lines = [json.dumps({"page": i, "inside": pg.get_text()}, ensure_ascii=False)
                     for i, pg in enumerate(doc, 1)]
        tmp = out.with_suffix(".tmp")
        tmp.write_text("\n".join(lines), encoding="utf-8")
        tmp.replace(out)
    return out


_CACHE: dict[tuple[Path, str], object] = {}


def _extract(path: Path, firm: str, year: int, variant: str = "main"):
    if (path, variant) not in _CACHE:
        if variant in ("wired", "html-wired"):
            _CACHE[(path, variant)] = _extract_wired(path, firm, year)
        else:
            _CACHE[(path, variant)] = extract_breakdown(path, firm=firm, year=year)
    return _CACHE[(path, variant)]


def _extract_wired(path: Path, firm: str, year: int):
    """The breakdown as the pipeline reads it: from the pages the text stage kept in its cache."""
    import tempfile

    with tempfile.TemporaryDirectory() as cache:
        row = {"file": path.name, "path": str(path), "firm": firm, "year": year, "status": "pending", "reason": ""}
        _, _, status = process_reports([row], load_dictionary(), cache, progress=False, keep_pages=BreakdownPages())
        assert status.loc[0, "status"] == "ok", status.loc[0, "reason"]
        sha = status.loc[0, "sha256"]
        ex, source = breakdown_of_report(path, firm, year, sha=sha, text_cache_dir=cache)
        words = TextCache(cache).get_words(sha, BreakdownPages().version)
    assert source == "text stage"  # the report file was not read for its text a second time
    if path.suffix.lower() == ".pdf" and ex.status.get("table_pages"):
        # the table's pages were not parsed a second time for their words either
        assert words and {int(q) for q in str(ex.status["table_pages"]).split(",")} <= set(words), words and sorted(words)
    return ex


@pytest.mark.parametrize("fid,fx,variant", CASES, ids=[c[0] for c in CASES])
def test_identification(fid, fx, variant):
    path = _path(fx, variant)
    ident, how = identify_file(path)
    assert ident.ok, ident.reason
    assert (ident.firm, ident.year) == (fx["identity"]["code"], fx["identity"]["fiscal_year"]), how
    if fx["identity"].get("b_code") and fx["identity"]["b_code"] in path.name:
        assert "B-share" in how  # the decision is recorded


@pytest.mark.parametrize("fid,fx,variant", [c for c in CASES if c[2] == "main"], ids=[c[0] for c in CASES if c[2] == "main"])
def test_kind_of_firm(fid, fx, variant):
    path = _path(fx, variant)
    kind, evidence = report_kind(first_pages(path, 40))
    if fx["kind"] in NON_MANUFACTURERS:
        assert kind == fx["kind"], evidence
    else:
        assert kind in ("manufacturer", "unknown"), evidence  # never taken for a non-manufacturer


@pytest.mark.parametrize("fid,fx,variant", CASES, ids=[c[0] for c in CASES])
def test_breakdown_against_fixture(fid, fx, variant):
    path = _path(fx, variant)
    ex = _extract(path, fx["identity"]["code"], fx["identity"]["fiscal_year"], variant)
    st = ex.status
    kf = fx["key_figures"]
    or_yuan = _amount(kf["operating_revenue"]) * UNIT_FACTORS[kf["unit"]]
    assert st["operating_revenue"] == pytest.approx(or_yuan, rel=1e-12)
    if variant in ("main", "jsonl", "wired") and "page" in kf:
        assert st["operating_revenue_page"] == kf["page"]
    bd = fx["breakdown"]
    if not bd["found"]:
        assert ex.segments.empty and st["result"] == "no_breakdown", (st, ex.reason)
        return
    assert st["result"] == "reconciled", (st, ex.notes)
    factor = UNIT_FACTORS[bd["unit"]]
    assert st["unit"] == bd["unit"]
    seg = ex.segments
    for kind in ("industry", "product", "region"):
        rows = bd["sections"].get(kind)
        if not rows:
            continue
        got = seg[(seg["breakdown"] == kind) & ~seg["segment"].map(lambda s: bool(_TOTAL.search(s)))]
        assert [_norm(s) for s in got["segment"]] == [_norm(r["segment"]) for r in rows], kind
        assert list(got["revenue"]) == pytest.approx([_amount(r["revenue"]) * factor for r in rows], rel=1e-12)
        with_cost = [r for r in rows if r.get("cost") is not None]
        if len(with_cost) == len(rows):
            assert list(got["cost"]) == pytest.approx([_amount(r["cost"]) * factor for r in rows], rel=1e-12)
        if variant in ("main", "jsonl", "wired") and all("page" in r for r in rows):
            pages = [int(s.rsplit("#p", 1)[1]) for s in got["source"]]
            assert pages == [r["page"] for r in rows], kind
    # reconciliation: the gap reported is the one the fixture's own numbers give
    checked = st["breakdown_checked"]
    fx_sum = sum(_amount(r["revenue"]) for r in bd["sections"][checked]) * factor
    assert st["reconciliation_gap"] == pytest.approx(fx_sum / or_yuan - 1, abs=1e-9)
    best = min(abs(sum(_amount(r["revenue"]) for r in bd["sections"][k]) * factor / or_yuan - 1)
               for k in ("industry", "product") if bd["sections"].get(k))
    assert abs(st["reconciliation_gap"]) == pytest.approx(best, abs=1e-9)  # the closer of the two is checked
    if best <= 0.01:
        assert abs(st["reconciliation_gap"]) <= 0.01
    if bd.get("total"):
        assert st["table_total"] == pytest.approx(_amount(bd["total"]["revenue"]) * factor, rel=1e-12)


@pytest.mark.parametrize("denominator", ["main_business", "operating_revenue"])
@pytest.mark.parametrize("fid,fx,variant", [c for c in CASES if c[1]["breakdown"]["found"]],
                         ids=[c[0] for c in CASES if c[1]["breakdown"]["found"]])
def test_share_against_fixture(fid, fx, variant, denominator):
    """Serv from the extracted rows equals Serv computed here from the fixture's amounts (labels by the
    classifier on the fixture's names; the arithmetic and the amounts are independent of the extractor)."""
    import pandas as pd

    from analysis.servitization.classifier import label_segments, load_rules
    from analysis.servitization.measures import servitization_measures

    path = _path(fx, variant)
    code, year = fx["identity"]["code"], fx["identity"]["fiscal_year"]
    ex = _extract(path, code, year, variant)
    bd = fx["breakdown"]
    factor = UNIT_FACTORS[bd["unit"]]
    used = "product" if bd["sections"].get("product") else "industry"
    rules = load_rules()
    weight = {"service": 1.0, "mixed": 0.0, "product": 0.0}
    rows = [(rules.classify(r["segment"]).label, _amount(r["revenue"]) * factor) for r in bd["sections"][used]]
    num = sum(weight[lab] * v for lab, v in rows if lab in weight)
    or_yuan = _amount(fx["key_figures"]["operating_revenue"]) * UNIT_FACTORS[fx["key_figures"]["unit"]]
    den = sum(v for lab, v in rows if lab in weight) if denominator == "main_business" else or_yuan
    total = pd.DataFrame({"firm": [code], "year": [year], "revenue": [ex.status["operating_revenue"]]})
    m = servitization_measures(label_segments(ex.segments, rules), total_revenue=total,
                               denominator=denominator).iloc[0]
    assert m.breakdown_used == used
    assert m.serv_share == pytest.approx(num / den, rel=1e-9)


# 主营业务收入 stated in the MD&A prose beside the table, as the fixture helpers read it on the page
# (quoted in the fixtures' notes): the breakdown covers main business, below 营业收入 by other business.
STATED_MAIN = {
    "600201_2020": (156_732 * 1e4, 14),        # "主营业务收入 156,732 万元", p14
    "603339_2019": (1_135_639_368.05, 11),     # "主营业务收入 1,135,639,368.05 元", p11
    "688276_2022": (107_139.95 * 1e4, 21),     # "公司实现主营业务收入107,139.95 万元", p21
}


@pytest.mark.parametrize("variant", ["main", "wired"])
@pytest.mark.parametrize("fid", sorted(STATED_MAIN))
def test_breakdown_reconciles_to_stated_main_business_revenue(fid, variant):
    fx = yaml.safe_load((FIXTURES / f"{fid}.yaml").read_text(encoding="utf-8"))
    path = _path(fx, variant)
    ex = _extract(path, fx["identity"]["code"], fx["identity"]["fiscal_year"], variant)
    value, page = STATED_MAIN[fid]
    assert ex.status["main_business_revenue"] == pytest.approx(value, rel=1e-12)
    assert ex.status["main_business_page"] == page
    assert abs(ex.status["main_business_gap"]) <= 0.01  # within 1% of the report's own main-business total


def test_real_report_identified_by_short_name_when_the_cover_gives_no_code():
    """贵州茅台2020年年度报告.pdf: the file name has no code and, with its code line taken away (p1 prints
    公司代码：600519 above 公司简称：贵州茅台), neither does the cover; the company table's short name 贵州茅台
    in the file name gives 600519, and the title (p1, 2020 年年度报告) the fiscal year."""
    from analysis.text.reports import short_name_table

    fx = yaml.safe_load((FIXTURES / "600519_2020.yaml").read_text(encoding="utf-8"))
    path = _path(fx, "main")
    pages = [re.sub(r"(?:公司|证券|股票)代码[:：]?\s*\d{6}", "", t) for t in first_pages(path)]
    company = pd.DataFrame({"firm": ["600519", "000858", "600809"], "name": ["贵州茅台", "五粮液", "山西汾酒"]})
    ident, how = identify_file(path, pages=pages)
    assert not ident.ok and "no 6-digit stock code in file name and none on the first" in ident.reason
    ident, how = identify_file(path, pages=pages, short_names=short_name_table(company))
    assert (ident.firm, ident.year) == ("600519", 2020)
    assert how.startswith("code 600519 from the file name: short name 贵州茅台 of 600519 in the company table")
