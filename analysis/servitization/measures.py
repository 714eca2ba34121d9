"""Firm-year servitization measures from labelled segment rows.

Definitions (one row per firm-year present in the labelled frame):

* ``breakdown_used``: the first breakdown in ``prefer`` (default product, then industry) that has at
  least one service or product row for that firm-year. Region breakdowns are never used: a regional split
  says nothing about what is sold.
* ``serv_share`` = service revenue / (service + product + mixed revenue) within that breakdown. Not-a-segment
  rows (合计, 其他业务, 抵消 ...) are excluded from both. Values outside [0, 1] (possible with negative revenue)
  are kept and flagged, not clipped. NaN when the denominator is 0 or no breakdown is usable.
* Mixed lines (label ``mixed``: 设备及服务, 产品及安装, ...) are in the denominator; ``mixed`` chooses their
  weight in the numerator: ``exclude`` (0; the firm-year is flagged ``flag_mixed``), ``half`` (0.5) or
  ``full`` (1). ``mixed_revenue`` records their revenue whatever the choice.
* ``denominator``: ``main_business`` (the breakdown's own sum, as above) or ``operating_revenue`` (the
  ``total_revenue`` given for the firm-year, i.e. 营业收入 including 其他业务收入; NaN share when absent).
* ``serv_breadth``: number of distinct ``service_type`` among service rows with revenue > 0.
* ``serv_dummy``: 1 if serv_share > 0, 0 if serv_share <= 0, <NA> if serv_share is NaN (nullable Int64).
* ``source``: the distinct sources of the rows used, sorted and joined by "; ".

Checks (flags, never silent corrections):

* ``flag_share_out_of_range``: serv_share < 0 or > 1, or the denominator is <= 0.
* ``flag_sum_mismatch``: |segment revenue - reference| / |reference| > tolerance. The reference is
  ``total_revenue`` (firm, year, revenue) when given for that firm-year, else the table's own total row
  (a row decided by an ``is_total`` rule in the breakdown used; the largest in absolute value when there
  are several, e.g. 小计 and 合计), else there is no check (``sum_check_against`` = "none"). Eliminations
  (内部抵消) are not added back: the share is computed on gross segment revenue, and a gap caused by
  eliminations is meant to show up.
* A table whose segments do not add up to its own total row (合计; gap above ``tolerance``) is not
  trusted: ``serv_share`` (and ``serv_dummy``) is missing and ``serv_missing_reason`` says why (the panel's
  ledger gives it as the reason the firm-year left the sample), unless the firm-year is in
  ``accept_mismatch`` (config ``servitization.accept_sum_mismatch``: checked by hand), which keeps the share.
  A gap to the operating revenue given is only flagged (营业收入 includes 其他业务收入).
* ``flag_negative_revenue``: a service/product row in the breakdown used has revenue < 0.
* ``flag_missing_revenue``: a service/product row in the breakdown used has no revenue (ignored in sums).
* ``flag_no_usable_breakdown``: no preferred breakdown has a service/product row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .segments import BREAKDOWNS

MEASURE_COLUMNS = (
    "firm", "year", "serv_share", "serv_breadth", "serv_dummy", "breakdown_used", "source",
    "n_segments", "n_service_segments", "n_mixed_segments", "service_revenue", "mixed_revenue", "mixed_treatment",
    "denominator", "segment_revenue", "reference_revenue",
    "sum_check_against", "sum_gap_rel",
    "flag_share_out_of_range", "flag_sum_mismatch", "flag_negative_revenue", "flag_missing_revenue",
    "flag_no_usable_breakdown", "flag_mixed", "serv_missing_reason",
)
MIXED_WEIGHTS = {"exclude": 0.0, "half": 0.5, "full": 1.0}
DENOMINATORS = ("main_business", "operating_revenue")


def _join_sources(values: pd.Series) -> str:
    return "; ".join(sorted({str(v) for v in values if isinstance(v, str) and v}))


def servitization_measures(labeled: pd.DataFrame, prefer=("product", "industry"), tolerance: float = 0.01,
                           total_revenue: pd.DataFrame | None = None, mixed: str = "exclude",
                           denominator: str = "main_business", accept_mismatch=()) -> pd.DataFrame:
    """One row per firm-year: serv_share, serv_breadth, serv_dummy, provenance and check flags.

    ``labeled`` is the output of :func:`analysis.servitization.classifier.label_segments` (needs firm,
    year, breakdown, segment, revenue, source, label, service_type; ``is_total`` is optional).
    ``prefer`` is the ordered list of breakdowns to try ("product" and/or "industry"; "region" is refused).
    ``total_revenue`` optionally gives (firm, year, revenue) to check that segments add up.
    ``accept_mismatch``: (firm, year) pairs whose failed sum check is overridden (the share is kept).
    Output is sorted by firm, year; columns are ``MEASURE_COLUMNS``.
    """
    if isinstance(prefer, str):
        prefer = (prefer,)
    prefer = tuple(prefer)
    if not prefer:
        raise ValueError("prefer must name at least one breakdown")
    for b in prefer:
        if b == "region":
            raise ValueError("prefer: region breakdowns cannot measure servitization (they say where, not what)")
        if b not in BREAKDOWNS:
            raise ValueError(f"prefer: unknown breakdown {b!r}; use 'product' and/or 'industry'")
    if len(set(prefer)) != len(prefer):
        raise ValueError(f"prefer has duplicates: {prefer}")
    if mixed not in MIXED_WEIGHTS:
        raise ValueError(f"mixed must be one of {list(MIXED_WEIGHTS)}, not {mixed!r}")
    if denominator not in DENOMINATORS:
        raise ValueError(f"denominator must be one of {list(DENOMINATORS)}, not {denominator!r}")
    if denominator == "operating_revenue" and total_revenue is None:
        raise ValueError("denominator 'operating_revenue' needs total_revenue (firm, year, revenue)")
    if not (tolerance >= 0):
        raise ValueError("tolerance must be >= 0")
    need = ["firm", "year", "breakdown", "revenue", "label", "service_type"]
    lacking = [c for c in need if c not in labeled.columns]
    if lacking:
        raise KeyError(f"servitization_measures: labelled frame lacks {lacking}")

    df = labeled.copy()
    df["firm"] = df["firm"].astype(str).str.zfill(6)
    df["year"] = df["year"].astype("int64")
    df["revenue"] = pd.to_numeric(df["revenue"], errors="coerce").astype("float64")
    if "source" not in df.columns:
        df["source"] = None
    if "is_total" not in df.columns:
        df["is_total"] = False
    df["is_total"] = df["is_total"].fillna(False).astype(bool)
    rank_of = {b: i for i, b in enumerate(prefer)}
    df["_rank"] = df["breakdown"].map(rank_of)

    keys = ["firm", "year"]
    base = df[keys].drop_duplicates().sort_values(keys).reset_index(drop=True)

    usable = df[df["label"].isin(["service", "product", "mixed"]) & df["_rank"].notna()]
    best = usable.groupby(keys, sort=False)["_rank"].min().rename("_best").reset_index()
    used = usable.merge(best, on=keys)
    used = used[used["_rank"] == used["_best"]].copy()
    used["_svc"] = used["label"] == "service"
    used["_svc_rev"] = np.where(used["_svc"], used["revenue"], 0.0)
    used["_svc_rev"] = used["_svc_rev"].where(used["revenue"].notna(), 0.0)
    used["_mix"] = used["label"] == "mixed"
    used["_mix_rev"] = np.where(used["_mix"] & used["revenue"].notna(), used["revenue"], 0.0)
    used["_stype_pos"] = used["service_type"].where(used["_svc"] & (used["revenue"] > 0))
    used["_neg"] = used["revenue"] < 0
    used["_nan"] = used["revenue"].isna()
    g = used.groupby(keys, sort=False)
    agg = pd.DataFrame({
        "_best": g["_best"].first(),
        "service_revenue": g["_svc_rev"].sum(),
        "segment_revenue": g["revenue"].sum(min_count=1),
        "n_segments": g["revenue"].size(),
        "n_service_segments": g["_svc"].sum(),
        "n_mixed_segments": g["_mix"].sum(),
        "mixed_revenue": g["_mix_rev"].sum(),
        "serv_breadth": g["_stype_pos"].nunique(),
        "flag_negative_revenue": g["_neg"].any(),
        "flag_missing_revenue": g["_nan"].any(),
        "source": g["source"].agg(_join_sources),
    }).reset_index()

    # table totals in the breakdown used
    tot = df[df["is_total"] & df["_rank"].notna() & df["revenue"].notna()].merge(best, on=keys)
    tot = tot[tot["_rank"] == tot["_best"]]
    if len(tot):
        tot = tot.assign(_abs=tot["revenue"].abs()).sort_values(keys + ["_abs"])
        table_total = tot.groupby(keys, sort=False)["revenue"].last().rename("_table_total").reset_index()
    else:
        table_total = pd.DataFrame({"firm": pd.Series([], dtype=object), "year": pd.Series([], dtype="int64"),
                                    "_table_total": pd.Series([], dtype="float64")})

    out = base.merge(agg, on=keys, how="left").merge(table_total, on=keys, how="left")
    if total_revenue is not None:
        tr = total_revenue.copy()
        lacking = [c for c in ("firm", "year", "revenue") if c not in tr.columns]
        if lacking:
            raise KeyError(f"total_revenue lacks {lacking}")
        tr["firm"] = tr["firm"].astype(str).str.zfill(6)
        tr["year"] = tr["year"].astype("int64")
        tr = tr[["firm", "year", "revenue"]].rename(columns={"revenue": "_given_total"})
        if tr.duplicated(keys).any():
            raise ValueError("total_revenue has duplicate firm-years")
        out = out.merge(tr, on=keys, how="left")
    else:
        out["_given_total"] = np.nan

    has = out["_best"].notna()
    out["breakdown_used"] = pd.Series([prefer[int(r)] if r == r else None for r in out["_best"]], dtype=object)
    den = out["segment_revenue"].astype("float64")
    num = out["service_revenue"] + MIXED_WEIGHTS[mixed] * out["mixed_revenue"].fillna(0.0)
    share_den = den if denominator == "main_business" else out["_given_total"].astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(has & share_den.notna() & (share_den != 0), num / share_den, np.nan)
    out["serv_share"] = share.astype("float64")
    out["serv_dummy"] = pd.array([pd.NA if s != s else int(s > 0) for s in out["serv_share"]], dtype="Int64")
    out["serv_breadth"] = out["serv_breadth"].fillna(0).astype("int64")
    out["mixed_treatment"] = mixed
    out["denominator"] = denominator
    out["mixed_revenue"] = out["mixed_revenue"].fillna(0.0).astype("float64")
    out["flag_mixed"] = (out["n_mixed_segments"].fillna(0) > 0) & (mixed == "exclude")
    for c in ("n_segments", "n_service_segments", "n_mixed_segments"):
        out[c] = out[c].fillna(0).astype("int64")
    for c in ("flag_negative_revenue", "flag_missing_revenue"):
        out[c] = out[c].fillna(False).astype(bool)
    out["source"] = out["source"].astype(object).where(has, None)

    ref = out["_given_total"].where(out["_given_total"].notna(), out["_table_total"])
    out["reference_revenue"] = ref.astype("float64")
    against = np.where(out["_given_total"].notna(), "total_revenue",
                       np.where(out["_table_total"].notna(), "table_total", "none"))
    out["sum_check_against"] = pd.Series(against, dtype=object)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.where(ref.notna() & has & (ref != 0), (den - ref) / ref.abs(), np.nan)
    gap = np.where(ref.notna() & has & (ref == 0) & (den != 0), np.inf, gap)
    out["sum_gap_rel"] = gap.astype("float64")
    out["flag_sum_mismatch"] = (np.abs(out["sum_gap_rel"]) > tolerance).fillna(False).astype(bool)
    oor = (out["serv_share"] < 0) | (out["serv_share"] > 1) | (has & (share_den <= 0))
    out["flag_share_out_of_range"] = oor.fillna(False).astype(bool)
    out["flag_no_usable_breakdown"] = ~has
    accepted = {(str(f).zfill(6), int(y)) for f, y in accept_mismatch}
    ok = pd.Series([(f, y) in accepted for f, y in zip(out["firm"], out["year"])], index=out.index, dtype=bool)
    tt = out["_table_total"].astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        table_gap = np.where(tt.notna() & has & (tt != 0), (den - tt) / tt.abs(),
                             np.where(tt.notna() & has & (den != tt), np.inf, 0.0))
    reject = pd.Series(np.abs(table_gap) > tolerance, index=out.index) & ~ok
    out["serv_missing_reason"] = pd.Series(
        np.where(reject, "segment table fails its sum check: segments sum to " + den.map("{:,.0f}".format)
                 + ", its total row says " + tt.map("{:,.0f}".format)
                 + " (gap " + pd.Series(100 * table_gap, index=out.index).map("{:+.1f}%".format)
                 + f", tolerance {tolerance:.1%}); correct the segment rows or list the firm-year in "
                 "servitization.accept_sum_mismatch", None),
        index=out.index, dtype=object)
    out.loc[reject, "serv_share"] = np.nan
    out.loc[reject, "serv_dummy"] = pd.NA
    return out[list(MEASURE_COLUMNS)].sort_values(keys).reset_index(drop=True)


# The robustness choices of Serv: column of the measures -> panel variable (config robustness.serv).
ALTERNATIVE_SERV = {"serv_share_mixed_half": "serv_mixed_half", "serv_share_mixed_full": "serv_mixed_full",
                    "serv_share_operating_revenue": "serv_oprev"}


def operating_revenue(income_annual: pd.DataFrame, report_status: pd.DataFrame) -> pd.DataFrame:
    """(firm, year, revenue): the consolidated annual income statement's 营业收入 (``income_annual``:
    firm, year, operating_revenue), else the 营业收入 of the report's key-figures table (the report
    status table's ``operating_revenue``); one row per firm-year, the income statement first."""
    inc = income_annual[["firm", "year", "operating_revenue"]].rename(columns={"operating_revenue": "revenue"})
    inc = inc[inc["revenue"].notna()]
    rep = pd.DataFrame(columns=["firm", "year", "revenue"])
    if len(report_status) and "operating_revenue" in report_status.columns:
        rep = report_status.loc[report_status["operating_revenue"].notna(), ["firm", "year", "operating_revenue"]]
        rep = rep.rename(columns={"operating_revenue": "revenue"}).dropna(subset=["firm", "year"])
        rep = rep.assign(firm=rep["firm"].astype(str).str.zfill(6), year=rep["year"].astype("int64"))
    have = set(zip(inc["firm"], inc["year"]))
    rep = rep[[(f, y) not in have for f, y in zip(rep["firm"], rep["year"])]]
    out = pd.concat([inc.assign(year=inc["year"].astype("int64")), rep], ignore_index=True)
    return out.drop_duplicates(["firm", "year"], keep="first")


def measures_with_alternatives(labeled: pd.DataFrame, oprev: pd.DataFrame, *, mixed: str, denominator: str,
                               **common) -> pd.DataFrame:
    """The configured measures plus, for the robustness set, the share under each mixed-line treatment
    (``serv_share_mixed_<treatment>``) and each denominator (``serv_share_<denominator>``); ``oprev``
    is :func:`operating_revenue`; ``common``: prefer, tolerance, accept_mismatch."""
    total = oprev if denominator == "operating_revenue" else None
    measures = servitization_measures(labeled, total_revenue=total, mixed=mixed, denominator=denominator, **common)
    keys = ["firm", "year"]
    alternatives = [(f"serv_share_mixed_{m}", dict(total_revenue=total, mixed=m, denominator=denominator))
                    for m in MIXED_WEIGHTS]
    alternatives += [(f"serv_share_{d}", dict(total_revenue=oprev, mixed=mixed, denominator=d)) for d in DENOMINATORS]
    for name, kw in alternatives:
        alt = servitization_measures(labeled, **kw, **common)
        measures = measures.merge(alt[keys + ["serv_share"]].rename(columns={"serv_share": name}), on=keys, how="left")
    return measures
