"""Definitions of the firm-year variables built from financial statements.

One place defines each variable, so the pipeline and the synthetic data generator agree on what,
say, leverage means. Conventions follow the methods reference (METHODS.md, section 1):

* ``roa``    = net profit / total assets
* ``roe``    = net profit / total equity (missing when equity <= 0)
* ``size``   = ln(total assets)
* ``lev``    = total liabilities / total assets
* ``growth`` = total operating revenue growth over the previous fiscal year (same firm, year - 1)
* ``age``    = ln(1 + years since listing)
* ``soe``    = 1 for state-owned firms
* ``tobin_q`` = (market value of equity + total liabilities) / total assets (book liabilities stand
  in for the market value of debt, as in CSMAR's Tobin's Q A); only where market value exists
* ``top1``   = the largest shareholder's stake (a share in [0, 1]) at the fiscal year end
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: variables built here, with a one-line definition (used in tables and the README)
DEFINITIONS: dict[str, str] = {
    "roa": "Net profit / total assets",
    "roe": "Net profit / total equity (missing if equity <= 0)",
    "size": "ln(total assets)",
    "lev": "Total liabilities / total assets",
    "growth": "Total operating revenue growth over the previous year",
    "age": "ln(1 + years since listing)",
    "soe": "1 if the firm is state-owned",
    "tobin_q": "(Market value of equity + total liabilities) / total assets",
    "top1": "Largest shareholder's stake at the fiscal year end (share)",
}


def _ratio(num: pd.Series, den: pd.Series, *, positive_den: bool = True) -> pd.Series:
    num = num.astype("float64")
    den = den.astype("float64")
    ok = den > 0 if positive_den else den != 0
    return (num / den).where(ok)


def financial_variables(fin: pd.DataFrame) -> pd.DataFrame:
    """Performance and control variables of a firm-year panel of annual consolidated statements.

    ``fin`` has one row per (firm, year) with ``total_assets``, ``total_liabilities``,
    ``total_equity``, ``total_revenue`` and ``net_profit``. Returns a frame with the same index
    and the columns roa, roe, size, lev, growth. ``growth`` uses the firm's statement of the
    previous calendar year and is missing when that year is absent (it is never taken from an
    earlier year across a gap).
    """
    required = ["firm", "year", "total_assets", "total_liabilities", "total_equity",
                "total_revenue", "net_profit"]
    missing = [c for c in required if c not in fin.columns]
    if missing:
        raise KeyError(f"financial_variables: missing columns {missing}")
    if fin.duplicated(["firm", "year"]).any():
        raise ValueError("financial_variables: expects one row per firm-year")
    assets = fin["total_assets"].astype("float64")
    out = pd.DataFrame(index=fin.index)
    out["roa"] = _ratio(fin["net_profit"], assets)
    out["roe"] = _ratio(fin["net_profit"], fin["total_equity"])
    out["size"] = np.log(assets.where(assets > 0))
    out["lev"] = _ratio(fin["total_liabilities"], assets)
    prev = fin[["firm", "year", "total_revenue"]].copy()
    prev["year"] = prev["year"] + 1
    prev = prev.rename(columns={"total_revenue": "_rev_prev"})
    merged = fin[["firm", "year", "total_revenue"]].merge(prev, on=["firm", "year"], how="left")
    merged.index = fin.index
    out["growth"] = _ratio(merged["total_revenue"] - merged["_rev_prev"], merged["_rev_prev"])
    return out


def firm_age(year: pd.Series, listed: pd.Series) -> pd.Series:
    """ln(1 + years since listing); missing when the listing date is unknown or after the year."""
    years = year.astype("float64") - pd.to_datetime(listed).dt.year.astype("float64")
    return np.log1p(years.where(years >= 0))


def tobin_q(market_value: pd.Series, total_liabilities: pd.Series, total_assets: pd.Series) -> pd.Series:
    """(market value of equity + total liabilities) / total assets; missing without market value,
    liabilities or positive assets."""
    return _ratio(market_value.astype("float64") + total_liabilities.astype("float64"), total_assets)
