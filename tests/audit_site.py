"""Helpers of the audit-site tests: a small site with a report-derived firm-year (a synthetic PDF whose
third page holds the revenue table), and a static check of every link and image of a site."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pandas as pd

from tests.text.pdf_factory import make_pdf

_REF = re.compile(r'(?:href|src)="([^"]+)"')
_ID = re.compile(r'id="([^"]+)"')


def broken_links(site: Path, extra: tuple[Path, ...] = ()) -> list[str]:
    """Every relative link or image source of the site's pages (and of ``extra`` pages) whose file (or, for an
    HTML page, whose ``#anchor``) does not exist. ``index.html#model=...`` carries filter parameters, not an
    anchor."""
    ids: dict[Path, set[str]] = {}
    bad = []
    pages = sorted(site.rglob("*.html")) + list(extra)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for ref in _REF.findall(text):
            ref = ref.replace("&amp;", "&")
            if re.match(r"^[a-z]+:", ref):
                bad.append(f"{page.name}: absolute link {ref}")  # the site is offline
                continue
            path, _, frag = ref.partition("#")
            target = (page.parent / unquote(path)).resolve() if path else page.resolve()
            if not target.exists():
                bad.append(f"{page.name}: {ref} (no file)")
                continue
            if frag and target.suffix == ".html" and "=" not in frag:
                if target not in ids:
                    ids[target] = set(_ID.findall(target.read_text(encoding="utf-8")))
                if frag not in ids[target]:
                    bad.append(f"{page.name}: {ref} (no anchor)")
    return bad


def index_data(site: Path) -> dict:
    text = (site / "index.html").read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="sample-data">(.*?)</script>', text, re.S)
    return json.loads(m.group(1).replace("<\\/", "</"))


TABLE_PAGE = ["（1）主营业务分行业、分产品、分地区情况", "单位：元 币种：人民币", "分产品 营业收入 营业成本",
              "数控机床 1,200,000,000.00 900,000,000.00", "技术服务 300,000,000.00 100,000,000.00"]


def small_inputs(tmp: Path):
    """AuditInputs of three raw firm-years: 600001/2020 with segments read from page 3 of its (synthetic) report
    and a report text with two dictionary hits on page 2, 600002/2020 with vendor segments, 600003/2020 dropped."""
    from analysis.presentation.audit import AuditInputs
    from analysis.text.counting import KeywordCounter
    from analysis.text.dictionary import load_dictionary

    reports = tmp / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    pdf = reports / "600001_2020_annual_report.pdf"
    if not pdf.exists():  # made once per folder (pymupdf stamps each file it writes)
        pdf.write_bytes(make_pdf([["金宇科技股份有限公司", "2020年年度报告"],
                                  ["第四节 经营情况讨论与分析", "公司推进云计算平台建设，并应用人工智能技术改进质检。"],
                                  TABLE_PAGE]))
    from analysis.text.reports import file_sha256

    panel = pd.DataFrame({"firm": ["600001", "600002"], "year": [2020, 2020], "short_name": ["金宇科技", "乙公司"],
                          "industry": ["C34", "C35"], "roa": [0.05, 0.04], "serv": [0.2, 0.1], "dig": [1.1, 0.0],
                          "size": [22.1, 21.5], "total_assets": [4e9, 3e9], "net_profit": [2e8, 1.2e8],
                          "total_liabilities": [1e9, 1e9], "total_equity": [3e9, 2e9], "total_revenue": [1.5e9, 1e9]})
    dropped = pd.DataFrame({"step": [18], "rule": ["missing serv"], "detail": ["no servitization measure"],
                            "firm": ["600003"], "year": [2020], "short_name": ["丙公司"], "industry": ["C36"]})
    src = f"report:{pdf.name}#p3"
    labels = pd.DataFrame({"firm": ["600001", "600001", "600002"], "year": [2020, 2020, 2020],
                           "breakdown": ["product", "product", "product"], "segment": ["数控机床", "技术服务", "设备"],
                           "revenue": [1.2e9, 3e8, 1e9], "cost": [9e8, 1e8, 8e8],
                           "source": [src, src, "vendor:FN_Fn045.txt#row3"], "label": ["product", "service", "product"],
                           "decided_by": ["product_head_noun", "svc_technical", "default:product"],
                           "matched": ["regex:机床", "contains:技术服务", ""]})
    serv = pd.DataFrame({"firm": ["600001", "600002"], "year": [2020, 2020], "serv_share": [0.2, 0.0],
                         "breakdown_used": ["product", "product"], "source": [src, "vendor"]})
    seg_status = pd.DataFrame({"file": [pdf.name], "firm": ["600001"], "year": [2020], "result": ["reconciled"],
                               "unit": ["元"], "unit_stated": ["元"], "unit_decided_by": ["stated unit reconciles"],
                               "reconciliation_gap": [-0.01], "pages_read": ["2-3"], "table_pages": ["3"]})
    text_status = pd.DataFrame({"file": [pdf.name], "firm": ["600001"], "year": [2020], "status": ["ok"],
                                "sha256": [file_sha256(pdf)], "n_pages": [3]})
    table = pd.DataFrame({"cluster": ["600001", "600002"], "n_obs": [1, 1], "b2": [-0.2, -0.3],
                          "turning_point": [0.4, 0.5], "b5": [float("nan")] * 2, "infl_b2": [0.05, -0.05],
                          "infl_turning_point": [0.05, -0.04], "infl_b5": [float("nan")] * 2,
                          "rank_turning_point": [1, 2]})
    record = {"model": "baseline_roa", "cluster_variable": "firm", "n_clusters": 2, "n_obs": 2, "b2": -0.25,
              "turning_point": 0.45, "b5": None, "moderator_median": None, "top": 1, "dropped": ["600001"],
              "sample": ["600001:2020", "600002:2020"],
              "without_top": {"n_obs": 1, "b1": 0.2, "b2": -0.3, "turning_point": 0.33, "p_sasabuchi": 0.2,
                              "x_range": [0.0, 0.6], "b5": None}}
    result = {"spec": {"name": "baseline_roa", "outcome": "roa", "x": "serv", "moderator": None,
                       "formula": "roa ~ serv + serv_sq | firm + year"},
              "names": ["serv", "serv_sq"], "coef": [0.225, -0.25], "x_range": [0.0, 0.6],
              "extras": {"utest": {"p_sasabuchi": 0.04}}}
    return AuditInputs(panel=panel, dropped=dropped, servitization=serv, labels=labels, segment_status=seg_status,
                       text_status=text_status, results={"baseline_roa": result},
                       influence={"baseline_roa": (table, record)}, reports_dir=reports, text_cache=None,
                       image_cache=tmp / "cache", counter=KeywordCounter(load_dictionary()))
