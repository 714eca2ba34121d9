"""The audit site in a real browser: headless Chromium (Debian package ``chromium``; ``make test`` installs it
through ``make browser`` when run as root) opens the pages from the file system, with no server.

Checked: the index loads without a console error or an uncaught exception; the firm search, the year, fate and
model filters and the ``#model=...`` address give the rows they should; a report-derived firm-year's page shows
its source page image (loaded, with its page number); no image fails to load. Links are checked statically
over every page (tests/audit_site.py) in tests/test_audit.py. Skips with the reason where no Chromium is found.
"""

from __future__ import annotations

import json

import pytest

from analysis.presentation.audit import write_site
from tests.audit_site import broken_links, index_data, small_inputs
from tests.browser import Browser, find_chromium


@pytest.fixture(scope="module")
def browser():
    binary = find_chromium()
    if binary is None:
        pytest.skip("no Chromium found (install the Debian package chromium, e.g. `make browser` as root, or set "
                    "SERVPARADOX_CHROMIUM): the audit site's browser tests need a real browser")
    try:
        b = Browser(binary)
    except (RuntimeError, OSError) as exc:  # e.g. a sandbox that cannot start in this container
        pytest.skip(f"Chromium at {binary} did not start ({exc}): the audit site's browser tests need a browser")
    with b:
        yield b


def _set(b: Browser, element: str, value: str) -> int:
    """Type into the search box or choose a filter value; the number of matching rows."""
    b.eval(f"(() => {{ const e = document.getElementById({json.dumps(element)}); e.value = {json.dumps(value)};"
           "e.dispatchEvent(new Event('input')); })()")
    return int(b.eval("document.getElementById('count').textContent"))


def _rows(b: Browser) -> list[list[str]]:
    return b.eval("[...document.querySelectorAll('#rows tr')].map(tr => [...tr.cells].map(td => td.textContent))")


def _open(b: Browser, url: str) -> None:
    b.open("about:blank")  # a new document even when only the address's #fragment differs
    b.open(url)


def test_small_site_in_chromium(browser, tmp_path):
    site = tmp_path / "site"
    write_site(site, small_inputs(tmp_path))
    assert broken_links(site) == []
    _open(browser, (site / "index.html").as_uri())
    assert browser.eval("document.getElementById('count').textContent") == "3"
    assert _set(browser, "q", "600003") == 1 and _rows(browser)[0][4] == "missing serv"
    assert _set(browser, "q", "") == 3
    assert _set(browser, "rule", "kept") == 2
    assert {r[0] for r in _rows(browser)} == {"600001", "600002"}
    assert browser.eval("location.hash") == "#rule=kept"  # the filter is in the address, so it can be linked
    _open(browser, (site / "index.html").as_uri() + "#model=baseline_roa&firm=600001")
    assert browser.eval("document.getElementById('count').textContent") == "1"
    assert browser.eval("document.getElementById('model').value") == "baseline_roa"
    # the firm-year of the list opens its page; the source page image is there and loaded
    href = browser.eval("document.querySelector('#rows a').href")
    assert href.endswith("firm/600001.html#y2020")
    _open(browser, href)
    img = browser.eval("(() => { const i = document.querySelector('figure img.page'); return [i.complete, "
                       "i.naturalWidth, i.closest('figure').dataset.page, i.closest('a').href]; })()")
    assert img[0] and img[1] > 300 and img[2] == "3" and img[3].endswith("600001_2020_annual_report.pdf#page=3")
    assert browser.eval("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    _open(browser, (site / "model" / "baseline_roa.html").as_uri())
    assert browser.eval("document.querySelectorAll('table.influence tbody tr').length") == 2
    assert browser.errors() == []


@pytest.mark.slow
def test_demo_site_in_chromium(browser, demo_run):
    site = demo_run / "paper" / "audit"
    data = index_data(site)
    n = len(data["rows"])
    browser.events.clear()
    _open(browser, (site / "index.html").as_uri())
    assert int(browser.eval("document.getElementById('count').textContent")) == n
    kept = sum(r[4] == data["kept"] for r in data["rows"])
    assert _set(browser, "rule", data["kept"]) == kept
    year = _set(browser, "year", "2015")
    assert year == sum(r[4] == data["kept"] and r[2] == 2015 for r in data["rows"]) > 0
    assert {r[2] for r in _rows(browser)} == {"2015"}
    firm = data["rows"][0][0]
    assert _set(browser, "q", firm) == sum(r[0] == firm and r[2] == 2015 and r[4] == data["kept"]
                                           for r in data["rows"])
    for m in data["models"]:
        _open(browser, (site / "index.html").as_uri() + f"#model={m}")
        k = data["models"].index(m)
        assert int(browser.eval("document.getElementById('count').textContent")) == sum(k in r[6] for r in data["rows"])
        _open(browser, (site / "model" / f"{m}.html").as_uri())
        assert browser.eval("document.querySelectorAll('table.influence tbody tr').length") > 0
        assert browser.eval("document.querySelectorAll('svg.curve polyline').length") == 2
    _open(browser, (site / "firm" / f"{firm}.html").as_uri())
    assert browser.eval("document.querySelectorAll('section.fy').length") > 0
    # from the baseline table: its N -> the model's sample -> a firm-year; its influential firms in one click
    _open(browser, (demo_run / "paper" / "tables" / "baseline.html").as_uri())
    links = browser.eval("[...document.querySelectorAll('p.links a')].map(a => a.href)")
    sample = next(h for h in links if h.endswith("audit/index.html#model=baseline_roa"))
    influence = next(h for h in links if h.endswith("audit/model/baseline_roa.html"))
    _open(browser, sample)
    n_obs = json.loads((demo_run / "paper" / "results" / "baseline_roa.json").read_text(encoding="utf-8"))["n_obs"]
    assert int(browser.eval("document.getElementById('count').textContent")) == n_obs
    first = browser.eval("document.querySelector('#rows a').href")
    _open(browser, first)
    anchor = first.split("#")[1]
    assert browser.eval(f"document.getElementById({json.dumps(anchor)}).querySelectorAll('table.segments').length") == 1
    _open(browser, influence)
    assert browser.eval("document.querySelectorAll('table.influence tbody tr').length") > 0
    assert browser.errors() == []
