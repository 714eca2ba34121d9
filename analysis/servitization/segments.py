"""The canonical segment frame (one row per firm-year-breakdown-segment) and source combination.

Columns: firm (6-char zero-padded str), year (int), breakdown ("product" | "industry" | "region"),
segment (original name), revenue (float, yuan), cost (float, may be NaN), source (str: "vendor:csmar",
"report:<file>#p<page>", ...). Vendor files arrive already in this shape from the ingestion stage;
:mod:`analysis.servitization.report_table` builds it from annual-report PDFs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.codes import try_normalize_firm

SEGMENT_COLUMNS = ("firm", "year", "breakdown", "segment", "revenue", "cost", "source")
BREAKDOWNS = ("product", "industry", "region")


def empty_segments() -> pd.DataFrame:
    """An empty canonical segment frame with the right dtypes."""
    return pd.DataFrame({
        "firm": pd.Series([], dtype=object), "year": pd.Series([], dtype="int64"),
        "breakdown": pd.Series([], dtype=object), "segment": pd.Series([], dtype=object),
        "revenue": pd.Series([], dtype="float64"), "cost": pd.Series([], dtype="float64"),
        "source": pd.Series([], dtype=object),
    })


def coerce_segments(df: pd.DataFrame) -> pd.DataFrame:
    """Check and coerce a segment frame to the canonical dtypes (returns a copy).

    Raises ValueError naming the offending column and the first bad rows: missing columns, firm codes
    that are not up to 6 digits, non-integer years, unknown breakdown types, non-numeric revenue.
    ``cost`` may be absent (filled with NaN); ``source`` may not.
    """
    missing = [c for c in SEGMENT_COLUMNS if c not in df.columns and c != "cost"]
    if missing:
        raise ValueError(f"segment frame lacks columns {missing}; need {list(SEGMENT_COLUMNS)}")
    out = df.copy()
    if "cost" not in out.columns:
        out["cost"] = np.nan
    firm = out["firm"].astype(object).map(lambda v: None if v is None or v != v else try_normalize_firm(v))
    bad = firm.isna()
    if bad.any():
        raise ValueError(f"firm: not a stock code of up to 6 digits at rows {list(out.index[bad][:5])}")
    out["firm"] = firm.astype(object)
    year = pd.to_numeric(out["year"], errors="coerce")
    if year.isna().any() or (year != year.round()).any():
        raise ValueError(f"year: not an integer at rows {list(out.index[year.isna() | (year != year.round())][:5])}")
    out["year"] = year.astype("int64")
    bd = out["breakdown"].astype(object)
    bad = ~bd.isin(BREAKDOWNS)
    if bad.any():
        raise ValueError(f"breakdown: values {sorted(set(map(str, bd[bad])))[:5]} not in {BREAKDOWNS}")
    out["breakdown"] = bd
    for col in ("revenue", "cost"):
        vals = pd.to_numeric(out[col], errors="coerce")
        bad = vals.isna() & out[col].notna() & (out[col].astype(object).map(lambda v: str(v).strip()) != "")
        if bad.any():
            raise ValueError(f"{col}: not numeric at rows {list(out.index[bad][:5])}")
        out[col] = vals.astype("float64")
    out["segment"] = out["segment"].astype(object)
    out["source"] = out["source"].astype(object)
    return out


def fill_missing_from_reports(vendor: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """Vendor segment rows, plus annual-report rows for firm-years that have no vendor row at all.

    A firm-year present in the vendor file (in any breakdown) keeps only its vendor rows: the two sources
    are never mixed inside one firm-year, so every measure has a single, recorded source type.
    """
    v = coerce_segments(vendor) if len(vendor) else empty_segments()
    r = coerce_segments(reports) if len(reports) else empty_segments()
    have = set(zip(v["firm"], v["year"]))
    keep = [(f, y) not in have for f, y in zip(r["firm"], r["year"])]
    parts = [x for x in (v, r[keep]) if len(x)]
    if not parts:
        return empty_segments()
    out = pd.concat(parts, ignore_index=True)
    return out[list(SEGMENT_COLUMNS)]


SETASIDE_COLUMNS = ("firm", "year", "period_end", "breakdown", "segment", "revenue", "source", "reason")


def annual_vendor_segments(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The vendor segment rows a firm-year's Serv is measured from, and the rows set aside with the reason.

    ``raw`` is the ingested segments table (firm, period_end, breakdown, segment, revenue, cost,
    _source_file, _source_row). Kept: rows of annual reports (period ending Dec 31), each exact duplicate
    (same firm, date, breakdown, segment, revenue and cost) once. Set aside, one row each with its reason
    (columns :data:`SETASIDE_COLUMNS`): interim rows (June 30 and any other date that is not a fiscal year
    end: CSMAR exports the half-year report's segments beside the annual ones, and summing them would
    double a firm-year's revenue) and the later copies of an exact duplicate. Returns (segments in the
    canonical shape with ``year`` and ``source``, set-aside rows).
    """
    f = raw.copy()
    f["source"] = ("vendor:" + f["_source_file"].astype(str) + "#row" + f["_source_row"].astype(str))
    f["year"] = f["period_end"].dt.year.astype("int64")
    annual = ((f["period_end"].dt.month == 12) & (f["period_end"].dt.day == 31)).to_numpy()
    value_cols = [c for c in f.columns if not c.startswith("_") and c not in ("source", "year")]
    dup = f.duplicated(subset=value_cols, keep="first").to_numpy() & annual
    date = f["period_end"].dt.strftime("%Y-%m-%d")
    first = f.groupby(value_cols, dropna=False, sort=False)["source"].transform("first")
    reasons = pd.Series("", index=f.index, dtype=object)
    reasons[~annual] = "interim period (" + date[~annual] + "), not a fiscal-year end: not summed with the annual rows"
    reasons[dup] = "exact duplicate of " + first[dup] + ": counted once"
    out = f[~(~annual | dup)]
    aside = f[~annual | dup].assign(period_end=date[~annual | dup], reason=reasons[~annual | dup])
    return out[list(SEGMENT_COLUMNS)].reset_index(drop=True), aside[list(SETASIDE_COLUMNS)].reset_index(drop=True)
