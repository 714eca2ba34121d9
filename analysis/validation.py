"""Declared schemas of the canonical tables (pandera) and the one-row-per-firm-year rule.

The ingest rule validates every canonical table before writing it. A violation stops the run with
a :class:`~analysis.ingest.RawDataError` naming the raw file, the vendor column, the row (line in the
file) and the value, plus how many other cells fail the same way; no traceback.

What is checked (see ``SCHEMAS``):

* types: the 6-digit zero-padded firm code (a string), dates, floats for amounts;
* plausible ranges: market value > 0, the largest shareholder's stake within [0, 1], CSRC 2012
  industry codes from the shipped list (analysis/data/csrc2012.csv), provinces from the 31 of
  analysis/data/regions.csv (full, short or English names), years 1900-2100. Statement
  values that cannot be real (total assets <= 0, liabilities < 0: :data:`IMPLAUSIBLE`) do not stop
  the run: the panel drops the firm-year with a ledger reason;
* sanity after mapping (:func:`sanity_checks`): magnitudes against the declared unit, dates all
  January 1, percent vs fraction; a unit error stops the run, odd rows are warnings;
* one row per key after the documented de-duplication rule (:data:`DEDUP_RULE`): rows that are
  exact copies of each other (all canonical columns equal) are duplicates and are later dropped with
  a ledger line; rows sharing a key with *different* values are a conflict that stops the run,
  naming every file and row involved and the columns that differ. The key is the firm for
  ``company``, (firm, fiscal year) over annual (Dec 31) consolidated rows for the statements,
  (firm, fiscal year) for the market-value, shareholder, R&D and patent tables, and (firm, start) for the
  industry history. Segment rows are not unique by design (a firm reports several segments).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from analysis.ingest import CANONICAL, RawDataError, TableMapping, csrc2012_codes
from analysis.regions import known_province

DEDUP_RULE = ("exact duplicate rows (all canonical columns equal) are kept once; rows sharing a key "
              "with different values stop the run")

_FIRM = pa.Column("str", pa.Check.str_matches(r"^\d{6}$", error="a 6-digit zero-padded stock code"),
                  nullable=False)
_INDUSTRY = pa.Check(lambda s: s.str.strip().str.upper().isin(list(csrc2012_codes())), element_wise=False,
                     error="a CSRC 2012 industry code (a section letter or letter + two digits, e.g. C39; "
                           "see analysis/data/csrc2012.csv; other codes need a crosswalk in the vendor mapping)")
_PROVINCE = pa.Check(lambda s: s.map(known_province), element_wise=False,
                     error="one of the 31 provinces (full, short or English name, e.g. 广东省, 广东, Guangdong; "
                           "analysis/data/regions.csv); recode other values in the vendor mapping")
_DATE = "datetime64[us]"


def _num(*checks: pa.Check, nullable: bool = True) -> pa.Column:
    return pa.Column("float64", list(checks), nullable=nullable)


def _date(nullable: bool = True) -> pa.Column:
    return pa.Column(_DATE, pa.Check.between(pd.Timestamp("1800-01-01"), pd.Timestamp("2100-12-31"),
                                             error="a date between 1800 and 2100"),
                     nullable=nullable)


def _text(*checks: pa.Check, nullable: bool = True) -> pa.Column:
    return pa.Column("str", list(checks), nullable=nullable)


_SOURCE = {"_source_file": pa.Column("str", nullable=False),
           "_source_row": pa.Column("int64", pa.Check.ge(1), nullable=False)}

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "company": pa.DataFrameSchema({
        "firm": _FIRM, "name": _text(), "founded": _date(), "listed": _date(),
        "industry": _text(_INDUSTRY), "ownership": _text(), "province": _text(_PROVINCE), **_SOURCE},
        strict=True),
    "balance_sheet": pa.DataFrameSchema({
        "firm": _FIRM, "short_name": _text(), "period_end": _date(nullable=False),
        "statement_type": _text(nullable=False),
        "total_assets": _num(), "total_liabilities": _num(),  # implausible values: IMPLAUSIBLE below
        "total_equity": _num(), **_SOURCE}, strict=True),
    "income_statement": pa.DataFrameSchema({
        "firm": _FIRM, "short_name": _text(), "period_end": _date(nullable=False),
        "statement_type": _text(nullable=False), "total_revenue": _num(),
        "operating_revenue": _num(), "net_profit": _num(), **_SOURCE}, strict=True),
    "segments": pa.DataFrameSchema({
        "firm": _FIRM, "period_end": _date(nullable=False), "breakdown": _text(), "segment": _text(),
        "revenue": _num(), "cost": _num(), **_SOURCE}, strict=True),
    "industry_history": pa.DataFrameSchema({
        "firm": _FIRM, "start": _date(nullable=False), "industry": _text(_INDUSTRY, nullable=False),
        **_SOURCE}, strict=True),
    "st_history": pa.DataFrameSchema({
        "firm": _FIRM, "start": _date(nullable=False), "end": _date(), "status": _text(), **_SOURCE}, strict=True),
    "market_value": pa.DataFrameSchema({
        "firm": _FIRM, "period_end": _date(), "year": pa.Column("Int64", pa.Check.between(1900, 2100), nullable=True),
        "market_value": _num(pa.Check.gt(0, error="market value of equity > 0")), **_SOURCE}, strict=True),
    "shareholders": pa.DataFrameSchema({
        "firm": _FIRM, "period_end": _date(), "year": pa.Column("Int64", pa.Check.between(1900, 2100), nullable=True),
        "top1": _num(pa.Check.between(0, 1, error="a share within [0, 1] (is the stake in percent? "
                                                  "set scale: {top1: 0.01} in the vendor mapping)")),
        **_SOURCE}, strict=True),
    "rd": pa.DataFrameSchema({
        "firm": _FIRM, "period_end": _date(), "year": pa.Column("Int64", pa.Check.between(1900, 2100), nullable=True),
        "rd_expense": _num(pa.Check.ge(0, error="R&D expense >= 0")), **_SOURCE}, strict=True),
    "patents": pa.DataFrameSchema({
        "firm": _FIRM, "period_end": _date(), "year": pa.Column("Int64", pa.Check.between(1900, 2100), nullable=True),
        "invention_applications": _num(pa.Check.ge(0, error="a patent count >= 0")),
        "invention_grants": _num(pa.Check.ge(0, error="a patent count >= 0")), **_SOURCE}, strict=True),
    "ownership_history": pa.DataFrameSchema({
        "firm": _FIRM, "period_end": _date(), "year": pa.Column("Int64", pa.Check.between(1900, 2100), nullable=True),
        "ownership": _text(), **_SOURCE}, strict=True),
    "ratios": pa.DataFrameSchema({
        "firm": _FIRM, "period_end": _date(), "year": pa.Column("Int64", pa.Check.between(1900, 2100), nullable=True),
        "roa": _num(), "roe": _num(), "lev": _num(), **_SOURCE}, strict=True),
}
assert set(SCHEMAS) == set(CANONICAL)

#: statement values that cannot be real (e.g. *ST firms' rows in genuine CSMAR exports): the
#: firm-year is dropped with this reason in the sample ledger (analysis/panel.py), the run goes on
IMPLAUSIBLE: dict[str, tuple[str, Any]] = {
    "total_assets": ("total assets <= 0", lambda x: x <= 0),
    "total_liabilities": ("total liabilities < 0", lambda x: x < 0),
}


def implausible_values(frame: pd.DataFrame) -> pd.Series:
    """Per row, the implausible values it carries ("" when none), e.g. "total liabilities < 0 (-3.2e+06)"."""
    out = pd.Series("", index=frame.index, dtype=object)
    for col, (label, test) in IMPLAUSIBLE.items():
        if col not in frame:
            continue
        hit = test(frame[col]).fillna(False).astype(bool)
        text = label + " (" + frame[col].map(lambda v: f"{v:g}").astype(object) + ")"
        out = out.where(~hit, out.where(out == "", out + "; ").where(hit, "") + text)
    return out


def _annual_consolidated(frame: pd.DataFrame) -> pd.Series:
    pe = frame["period_end"]
    return (pe.dt.month == 12) & (pe.dt.day == 31) & (frame["statement_type"] == "A")


#: key of "one row per ..." and the rows it applies to, per table (segments: none)
DEDUP_KEYS: dict[str, tuple[list[str], Any]] = {
    "company": (["firm"], None),
    "balance_sheet": (["firm", "year"], _annual_consolidated),
    "income_statement": (["firm", "year"], _annual_consolidated),
    "industry_history": (["firm", "start"], None),
    "st_history": (["firm", "start"], None),
    "market_value": (["firm", "year"], lambda f: f["year"].notna()),
    "shareholders": (["firm", "year"], lambda f: f["year"].notna()),
    "rd": (["firm", "year"], lambda f: f["year"].notna()),
    "patents": (["firm", "year"], lambda f: f["year"].notna()),
    "ratios": (["firm", "year"], lambda f: f["year"].notna()),
    "ownership_history": (["firm", "year"], lambda f: f["year"].notna()),
}


def _where(frame: pd.DataFrame, index: Any) -> tuple[str, int | None]:
    if index is None or pd.isna(index) or index not in frame.index:
        return (str(frame["_source_file"].iat[0]) if len(frame) else "<empty table>"), None
    return str(frame.at[index, "_source_file"]), int(frame.at[index, "_source_row"])


def validate_table(frame: pd.DataFrame, name: str, table: TableMapping | None = None) -> pd.DataFrame:
    """Check ``frame`` against the declared schema of canonical table ``name``; returns it.

    Raises :class:`RawDataError` for the first failing cell (file, vendor column, row, value) and
    says how many cells fail in all.
    """
    try:
        SCHEMAS[name].validate(frame, lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases
        # value failures (with a row) first: they point at a raw line
        cases = cases.assign(_has_row=cases["index"].notna()).sort_values(
            ["_has_row", "index"], ascending=[False, True], kind="stable", na_position="last")
        first = cases.iloc[0]
        file, row = _where(frame, first["index"])
        column = first["column"] if isinstance(first["column"], str) else None
        vendor = table.vendor_column(column) if (table is not None and column) else column
        label = vendor if vendor == column or column is None else f"{vendor} ({column})"
        others = f"; {len(cases) - 1} more failing cell(s) in table {name!r}" if len(cases) > 1 else ""
        value = first["failure_case"] if row is not None else None
        if hasattr(value, "item"):  # numpy scalar -> plain Python value in the message
            value = value.item()
        elif isinstance(value, pd.Timestamp):
            value = str(value.date())
        case = "" if row is not None else f" ({first['failure_case']})"
        raise RawDataError(file, f"table {name!r} fails the check {first['check']}{case}{others}",
                           column=label, row=row, value=value) from None
    check_one_row_per_key(frame, name)
    return frame


def conflicts(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Rows sharing ``key`` with another row that is not an exact copy (after dropping copies)."""
    cols = [c for c in frame.columns if not c.startswith("_")]
    unique = frame[~frame.duplicated(subset=cols, keep="first")]
    return unique[unique.duplicated(key, keep=False)].sort_values(key + ["_source_file", "_source_row"])


def check_one_row_per_key(frame: pd.DataFrame, name: str) -> None:
    """Apply :data:`DEDUP_RULE`: raise when rows share the table's key with different values."""
    if name not in DEDUP_KEYS or frame.empty:
        return
    key, subset = DEDUP_KEYS[name]
    f = frame
    if "_source_file" not in f.columns:  # frames built in memory (tests, notebooks)
        f = f.assign(_source_file="<in memory>", _source_row=np.arange(1, len(f) + 1))
    if "year" in key and "year" not in f.columns:
        f = f.assign(year=f["period_end"].dt.year)
    if subset is not None:
        f = f[subset(f)]
    bad = conflicts(f, key)
    if bad.empty:
        return
    first_key = tuple(bad.iloc[0][key])
    group = bad[(bad[key] == pd.Series(first_key, index=key)).all(axis=1)]
    cols = [c for c in frame.columns if not c.startswith("_") and c not in key]
    differ = [c for c in cols if group[c].astype("str").nunique(dropna=False) > 1]
    values = "; ".join(f"{c}: " + " vs ".join(map(str, group[c].tolist())) for c in differ[:3])
    where = "; ".join(f"{f} row {r}" for f, r in zip(group["_source_file"], group["_source_row"]))
    label = ", ".join(f"{k} {v}" for k, v in zip(key, first_key))
    n_keys = len(bad.drop_duplicates(key))
    raise RawDataError(group["_source_file"].iat[0],
                       f"{len(group)} {name} rows share {label} with different values ({values}) at "
                       f"{where}; {n_keys} such key(s) in all. Rule: {DEDUP_RULE}; fix or remove them",
                       row=int(group["_source_row"].iat[0]))


# --------------------------------------------------------------------------- sanity after mapping

#: total assets of a listed firm in yuan: about 10^7 (a shell) to 10^13 (the largest groups)
ASSETS_RANGE = (1e7, 1e13)


def _first_row(frame: pd.DataFrame, mask: pd.Series) -> tuple[str, int | None]:
    idx = mask[mask].index
    return _where(frame, idx[0] if len(idx) else None)


def sanity_checks(tables: dict[str, pd.DataFrame],
                  mappings: dict[str, TableMapping | None] | None = None) -> list[str]:
    """Checks of magnitudes and units after mapping. A problem that makes every number wrong (a unit
    off by 10^4, years read as dates, ratios in percent declared as fractions) raises
    :class:`RawDataError` naming the file, column and the value seen; a problem of some rows is
    returned as a warning (the ingest log and ``data_clean/raw/checks.csv`` record it)."""
    mappings = mappings or {}
    warnings: list[str] = []

    def col(name: str, canon: str) -> str:
        t = mappings.get(name)
        return t.vendor_column(canon) if t is not None else canon

    for name in ("balance_sheet", "income_statement"):
        f = tables.get(name)
        if f is None or f.empty:
            continue
        pe = f["period_end"].dropna()
        if len(pe) and ((pe.dt.month == 1) & (pe.dt.day == 1)).all():
            file, row = _where(f, pe.index[0])
            raise RawDataError(file, f"every {name} period end is January 1: a year was read as a date; "
                                     "compute the date with computed: {period_end: {year_end: <year column>}}",
                               column=col(name, "period_end"), row=row, value=str(pe.iloc[0].date()))
    bs = tables.get("balance_sheet")
    if bs is not None and not bs.empty and bs["total_assets"].notna().any():
        ta = bs["total_assets"]
        med = float(ta.median())
        lo, hi = ASSETS_RANGE
        if not lo <= med <= hi:
            file, row = _where(bs, (ta - med).abs().idxmin())
            t = mappings.get("balance_sheet")
            unit = (t.units.get("total_assets") or f"x{t.scale.get('total_assets', 1.0):g}") if t else "?"
            raise RawDataError(file, f"the median total assets is {med:.3g} yuan after the mapping's unit ({unit}); "
                                     f"a listed firm has {lo:.0e} to {hi:.0e} yuan: is the unit wrong (元 vs 万元 "
                                     "vs 亿元)? Declare it under units: {total_assets: ...}",
                               column=col("balance_sheet", "total_assets"))
        out = ta.notna() & ~ta.between(lo, hi)
        if out.any():
            file, row = _first_row(bs, out)
            warnings.append(f"{int(out.sum())} of {int(ta.notna().sum())} balance-sheet rows have total assets "
                            f"outside {lo:.0e}-{hi:.0e} yuan (first: {file} row {row}, {ta[out].iloc[0]:.4g})")
    shares = [("shareholders", "top1"), ("ratios", "lev")]
    for name, c in shares:
        f = tables.get(name)
        if f is None or f.empty or not f[c].notna().any():
            continue
        x = f[c].dropna()
        if x.median() > 1.5:
            file, row = _where(f, x.index[0])
            raise RawDataError(file, f"{c} has median {x.median():.3g}: a share in percent declared as a "
                                     f"fraction; set units: {{{c}: percent}}", column=col(name, c), row=row,
                               value=float(x.iloc[0]))
        off = ~x.between(0, 1)
        if off.any() and name == "ratios":
            file, row = _where(f, off[off].index[0])
            warnings.append(f"{int(off.sum())} of {len(x)} rows of {name}.{c} lie outside [0, 1] "
                            f"(first: {file} row {row}, {x[off].iloc[0]:.4g})")
    ratios = tables.get("ratios")
    if ratios is not None and not ratios.empty and bs is not None and not bs.empty:
        # the vendor's leverage against liabilities / assets: a unit slip on either side shows
        b = bs.assign(year=bs["period_end"].dt.year)[["firm", "year", "total_assets", "total_liabilities"]]
        b = b.drop_duplicates(["firm", "year"])
        m = ratios[["firm", "year", "lev"]].astype({"year": "float64"}).merge(
            b.astype({"year": "float64"}), on=["firm", "year"])
        lev = m["total_liabilities"] / m["total_assets"]
        ok = m["lev"].notna() & lev.notna() & (lev > 0)
        if ok.sum() >= 5:
            factor = float((m.loc[ok, "lev"] / lev[ok]).median())
            if not 0.9 <= factor <= 1.1:
                raise RawDataError(str(ratios["_source_file"].iat[0]),
                                   f"the vendor's leverage is {factor:.4g} times total liabilities / total assets "
                                   "(median over firm-years): the units of the ratios or of the amounts are wrong",
                                   column=col("ratios", "lev"))
    return warnings
