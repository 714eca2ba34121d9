"""From canonical raw tables and the two measures to the estimation panel, with its ledger.

The spine is the balance sheet: every raw balance-sheet row either ends in the panel or is in
``dropped`` with the rule that removed it (see :class:`analysis.sample.SampleLedger`).
"""

from __future__ import annotations

import warnings as _warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.config import section_defaults
from analysis.ingest import RawDataError
from analysis.regions import province_name, region_of
from analysis.sample import (SampleLedger, SampleRules, industry_by_year, industry_class,
                             is_special_treatment, st_from_history)
from analysis.validation import check_one_row_per_key, implausible_values
from analysis.variables import financial_variables, firm_age, tobin_q

KEY = ["firm", "year"]
#: a sample of listed firms this large always has ST firm-years (a few percent of them); when no
#: short name carries the prefix, the names are not the names at the statement dates
ST_PREFIX_MIN_ROWS = 500
BOUNDS_COLUMNS = ["variable", "group", "lower", "upper", "n_clipped_low", "n_clipped_high"]


@dataclass
class PanelResult:
    panel: pd.DataFrame
    ledger: pd.DataFrame
    dropped: pd.DataFrame
    winsor_bounds: pd.DataFrame
    warnings: list[str] = field(default_factory=list)  # filters not applied, likely data problems


def _with_year(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["year"] = out["period_end"].dt.year.astype("Int64")
    return out


def _annual(frame: pd.DataFrame) -> pd.Series:
    return (frame["period_end"].dt.month == 12) & (frame["period_end"].dt.day == 31)


def _exact_duplicates(frame: pd.DataFrame) -> pd.Series:
    cols = [c for c in frame.columns if not c.startswith("_")]
    return frame.duplicated(subset=cols, keep="first")


def _raise_on_conflicts(frame: pd.DataFrame, table: str) -> None:
    conflict = frame.duplicated(KEY, keep=False)
    if conflict.any():
        rows = frame.loc[conflict].sort_values(KEY).head(4)
        where = "; ".join(f"{f} row {r}" for f, r in zip(rows["_source_file"], rows["_source_row"]))
        first = rows.iloc[0]
        raise RawDataError(first["_source_file"],
                           f"{int(conflict.sum())} {table} rows share a firm-year with different values "
                           f"(firm {first['firm']}, year {first['year']}: {where}); fix or remove them",
                           row=int(first["_source_row"]))


def annual_consolidated(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Annual (Dec 31) consolidated (type A) rows, exact duplicates removed, one per firm-year."""
    f = _with_year(frame)
    f = f[_annual(f) & (f["statement_type"] == "A")]
    f = f[~_exact_duplicates(f)]
    _raise_on_conflicts(f, table)
    return f


def _merge_yearly(frame: pd.DataFrame, table: pd.DataFrame | None, name: str, column: str) -> pd.DataFrame:
    """Left-merge ``column`` of an optional fiscal-year table (one row per firm-year) on firm-year."""
    if table is None or table.empty:
        return frame.assign(**{column: np.nan})
    check_one_row_per_key(table, name)
    t = table[table["year"].notna()]
    t = t[~_exact_duplicates(t)][["firm", "year", column]].astype({"year": "Int64"})
    return frame.merge(t, on=KEY, how="left", validate="m:1")


def _measure(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """A measure table (firm, year, values) with the panel's key types, also when it is empty
    (no reports, no segment rows: every firm-year then lacks the measure and the ledger says so)."""
    missing = [c for c in KEY if c not in frame.columns]
    if missing:
        raise ValueError(f"the {name} measures lack the column(s) {missing}")
    out = frame.copy()
    out["firm"] = out["firm"].astype("str")
    out["year"] = pd.to_numeric(out["year"], errors="raise").astype("Int64")
    dup = out.duplicated(KEY, keep=False)
    if dup.any():
        first = out.loc[dup].iloc[0]
        raise ValueError(f"the {name} measures have {int(dup.sum())} rows sharing a firm-year "
                         f"(e.g. firm {first['firm']}, year {first['year']}); one row per firm-year is expected")
    return out


def orphan_firm_years(balance_sheet: pd.DataFrame, others: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Firm-years that some of ``others`` (name -> frame with firm and year) have and ``balance_sheet``
    (with ``year``) lacks altogether: firm, year and ``_found_in`` (the names of the tables that have it).

    The balance sheet is the panel's spine; without this a firm-year whose balance-sheet row is missing
    would vanish with no trace but the row count read."""
    have = set(zip(balance_sheet["firm"].astype(str), balance_sheet["year"].astype("Int64")))
    where: dict[tuple[str, int], list[str]] = {}
    for name, frame in others.items():
        if frame is None or frame.empty or not {"firm", "year"} <= set(frame.columns):
            continue
        years = pd.to_numeric(frame["year"], errors="coerce")
        for fy in sorted(set(zip(frame["firm"].astype(str), years.dropna().astype("int64")))):
            if fy not in have:
                where.setdefault(fy, []).append(name)
    keys = sorted(where)
    return pd.DataFrame({"firm": pd.Series([k[0] for k in keys], dtype=object),
                         "year": pd.Series([k[1] for k in keys], dtype="Int64"),
                         "_found_in": pd.Series([", ".join(where[k]) for k in keys], dtype=object)})


def winsorize(frame: pd.DataFrame, columns: list[str], limits: tuple[float, float],
              by: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clip ``columns`` at the (lower, upper) quantiles, pooled or within groups of ``by``.

    Quantiles use linear interpolation (numpy's default); Stata's ``winsor2`` uses its own
    percentile definition and may differ in the last digits at small samples. Returns the new frame
    and a table of the bounds used (column, group, lower, upper, n_clipped_low, n_clipped_high).
    """
    out = frame.copy()
    lo_q, hi_q = limits
    records = []
    groups = [(None, out.index)] if by is None else list(out.groupby(by).groups.items())
    for col in columns:
        for g, idx in groups:
            x = out.loc[idx, col].astype("float64")
            lo, hi = np.nanquantile(x, lo_q), np.nanquantile(x, hi_q)
            records.append({"variable": col, "group": "pooled" if g is None else str(g),
                            "lower": lo, "upper": hi, "n_clipped_low": int((x < lo).sum()),
                            "n_clipped_high": int((x > hi).sum())})
            out.loc[idx, col] = x.clip(lo, hi)
    return out, pd.DataFrame(records, columns=BOUNDS_COLUMNS)  # header even without rows (read back by robustness)


#: The text-based service intensity in the panel (a robustness measure of servitization): the column of
#: data_clean/service_intensity.parquet (:func:`analysis.text.measures.service_intensity`) and its panel name.
SERVICE_INTENSITY_COLUMN = "svc_text_per10k"
SERVICE_INTENSITY_PANEL = "serv_text"


def build_panel(tables: dict[str, pd.DataFrame], servitization: pd.DataFrame,
                digitalization: pd.DataFrame, cfg: dict[str, Any],
                service_intensity: pd.DataFrame | None = None) -> PanelResult:
    """Apply the sample rules of the config and merge the measures; returns panel and ledger.

    ``service_intensity`` (optional): the text-based service intensity per firm-year; its
    :data:`SERVICE_INTENSITY_COLUMN` becomes the panel column :data:`SERVICE_INTENSITY_PANEL` (missing where
    no MD&A was found). It selects no firm-year unless it is listed under ``required``.

    ``cfg`` is the ``sample`` section of the config merged with ``winsorize`` and the list of
    ``required`` variables (firm-years missing any of them are dropped, one rule per variable).
    Settings the section omits take the schema's defaults. A filter that cannot be applied (no
    industry codes for a sample stated to be manufacturers, no ST information) is a ledger step
    "<filter>: not applied: <reason>" and a warning (``PanelResult.warnings``, also issued with
    :func:`warnings.warn`).
    """
    cfg = {**section_defaults("sample"), **cfg}
    notes: list[str] = []

    def warn(text: str) -> None:
        notes.append(text)
        _warnings.warn(text, stacklevel=3)

    rules = SampleRules.from_config(cfg)
    bs = _with_year(tables["balance_sheet"])
    inc = annual_consolidated(tables["income_statement"], "income-statement")
    orphans = orphan_firm_years(bs, {"income statement": inc, "segments (Serv)": servitization,
                                     "annual report (Dig)": digitalization})
    if len(orphans):
        # firm-years that other tables have and the balance sheet lacks enter the ledger and leave it at once
        led = SampleLedger(pd.concat([bs, orphans.drop(columns="_found_in")], ignore_index=True),
                           "balance-sheet rows read, and firm-years found only in other tables")
        found = pd.concat([pd.Series("", index=bs.index, dtype=object), orphans["_found_in"]], ignore_index=True)
        led.drop((found != "").to_numpy(), "balance sheet missing",
                 detail="no balance-sheet row; the firm-year is in: " + found)
    else:
        led = SampleLedger(bs, "balance-sheet rows read")
    led.keep(_annual(led.frame), "annual statements only (period ending Dec 31)",
             detail=led.frame["period_end"].dt.strftime("%Y-%m-%d"))
    led.keep(led.frame["statement_type"] == "A", "consolidated statements only (Typrep A)",
             detail="statement type " + led.frame["statement_type"].astype(str))
    led.drop(_exact_duplicates(led.frame), "exact duplicate row")
    _raise_on_conflicts(led.frame, "balance-sheet")
    bad = implausible_values(led.frame)
    led.drop((bad != "").to_numpy(), "implausible statement values (cannot be real)", detail=bad)

    inc_cols = ["total_revenue", "operating_revenue", "net_profit"]
    merged = led.frame.merge(inc[KEY + inc_cols], on=KEY, how="left", indicator=True)
    has_inc = (merged.pop("_merge") == "both").to_numpy()
    led.replace_frame(merged)
    led.keep(has_inc, "no income statement for the firm-year")

    # variables need the full statement history (growth uses the previous year)
    fin_vars = financial_variables(led.frame)
    led.replace_frame(pd.concat([led.frame, fin_vars], axis=1))

    company = tables["company"]
    check_one_row_per_key(company, "company")
    company = company.drop_duplicates("firm", keep="first")  # exact copies only (checked above)
    merged = led.frame.merge(company[["firm", "name", "industry", "ownership", "listed", "province"]],
                             on="firm", how="left", indicator=True)
    has_co = (merged.pop("_merge") == "both").to_numpy()
    led.replace_frame(merged)
    led.keep(has_co, "no company record")

    # the industry code valid in each year when the data give a history, else the company's code
    history = tables.get("industry_history")
    if history is not None and not history.empty:
        check_one_row_per_key(history, "industry_history")
    frame = led.frame.copy()
    frame["industry_current"] = frame["industry"]
    frame["industry"], frame["industry_source"] = industry_by_year(frame, frame["industry_current"], history)
    led.replace_frame(frame)

    ind = industry_class(led.frame["industry"], rules)
    detail = "industry " + led.frame["industry"].astype(str)
    filters = [] if cfg["all_manufacturers"] else [("missing", "industry code missing"),
                      ("financial", "financial industry (CSRC J)"),
                      ("real_estate", "real estate (CSRC K)"),
                      ("non_manufacturing",
                       f"outside manufacturing {rules.industry_section}{rules.industry_min}-"
                       f"{rules.industry_section}{rules.industry_max}")]
    if cfg["all_manufacturers"]:
        warn(led.not_applied("industry filter (CSRC manufacturing)",
                             "the config states all firms are manufacturers (sample.all_manufacturers)"))
    n_before = len(led.frame)
    for cls, rule in filters:
        n = led.drop((ind == cls).to_numpy(), rule, detail=detail)
        if cls == "missing" and n and n >= 0.5 * n_before:
            warn(f"{n} of {n_before} firm-years have no industry code: map a CSRC 2012 code, add a "
                 "crosswalk to the vendor mapping, or state sample.all_manufacturers for a sample of manufacturers")
        ind = industry_class(led.frame["industry"], rules)
        detail = "industry " + led.frame["industry"].astype(str)
    if rules.exclude_st:
        st_rule = "special treatment (ST, *ST, PT) firm-year"
        source = cfg["st_source"]
        names = led.frame["short_name"]
        if source == "unavailable":
            warn(led.not_applied(st_rule, "ST status declared unavailable (sample.st_source: unavailable)"))
        elif source == "history":
            history = tables.get("st_history")
            if history is None or history.empty:
                warn(led.not_applied(st_rule, "sample.st_source is history but the st_history table is empty"))
            else:
                check_one_row_per_key(history, "st_history")
                led.drop(st_from_history(led.frame, history).to_numpy(), st_rule, detail="ST spell in st_history")
        elif names.isna().all() and len(names):
            warn(led.not_applied(st_rule, "no short name at the statement dates (map short_name, give an "
                                          "st_history table, or set sample.st_source: unavailable)"))
        elif len(names) >= ST_PREFIX_MIN_ROWS and not is_special_treatment(names).any():
            warn(led.not_applied(st_rule, f"none of {len(names)} short names carries an ST/*ST/PT prefix (are "
                                          "they current names? give an st_history table or set "
                                          "sample.st_source: unavailable)"))
        else:
            led.drop(is_special_treatment(names).to_numpy(), st_rule, detail=names)
    if rules.first_year is not None:
        led.drop((led.frame["year"] < rules.first_year).to_numpy(), f"before {rules.first_year}")
    if rules.last_year is not None:
        led.drop((led.frame["year"] > rules.last_year).to_numpy(), f"after {rules.last_year}")

    soe_values = set(cfg["soe_values"])
    frame = led.frame.copy()
    # ownership of the year where the data give it (CSMAR EN_EquityNatureAll), else the company's
    yearly = tables.get("ownership_history")
    if yearly is not None and not yearly.empty:
        frame = _merge_yearly(frame, yearly.rename(columns={"ownership": "ownership_year"}),
                              "ownership_history", "ownership_year")
        frame["ownership"] = frame.pop("ownership_year").fillna(frame["ownership"])
    # unknown ownership is missing, not "not state-owned"; "国企,外资" (several natures) is state-owned
    # when one of its parts is in soe_values
    parts = frame["ownership"].astype("str").str.replace("，", ",", regex=False).str.split(",")
    soe = parts.map(lambda p: any(x.strip() in soe_values for x in p) if isinstance(p, list) else False)
    frame["soe"] = soe.astype("float64").where(frame["ownership"].notna())
    if len(frame) and frame["ownership"].isna().all():
        warn("ownership is missing for every firm: soe is missing (map an ownership column)")
    # the province in its full name and its region (East/Central/West, analysis/regions.py); a firm
    # without a province has no region (the heterogeneity check counts it as a recorded drop)
    frame["province"] = [province_name(v) for v in frame["province"]]
    frame["region"] = region_of(frame["province"])
    frame["age"] = firm_age(frame["year"], frame["listed"])
    frame = _merge_yearly(frame, tables.get("market_value"), "market_value", "market_value")
    frame["tobin_q"] = tobin_q(frame["market_value"], frame["total_liabilities"], frame["total_assets"])
    frame = _merge_yearly(frame, tables.get("shareholders"), "shareholders", "top1")
    frame = frame.merge(_measure(servitization, "servitization"), on=KEY, how="left")
    frame = frame.merge(_measure(digitalization, "digitalization"), on=KEY, how="left")
    if service_intensity is not None:
        svc = _measure(service_intensity, "service-intensity")
        if SERVICE_INTENSITY_COLUMN not in svc.columns:
            raise ValueError(f"the service-intensity measures lack the column {SERVICE_INTENSITY_COLUMN!r}; "
                             f"columns: {list(svc.columns)}")
        svc = svc[KEY + [SERVICE_INTENSITY_COLUMN]].rename(columns={SERVICE_INTENSITY_COLUMN: SERVICE_INTENSITY_PANEL})
        frame = frame.merge(svc, on=KEY, how="left")
    led.replace_frame(frame)

    causes = {"roa": "net profit or total assets missing", "lev": "total liabilities missing",
              "growth": "no statement for the previous year", "size": "total assets missing or <= 0",
              "serv": "no servitization measure (no usable segment data)",
              "dig": "no digitalization measure (no usable annual report)",
              SERVICE_INTENSITY_PANEL: "no text-based service intensity (no report, or its MD&A not found)",
              "tobin_q": "no market value of equity (or liabilities) for the firm-year",
              "top1": "no largest-shareholder stake at the fiscal year end",
              "age": "listing date unknown or after the year"}
    for var in cfg["required"]:
        if var not in led.frame.columns:
            raise KeyError(f"required variable {var!r} is not built; available: {list(led.frame.columns)}")
        # a measure table may say why a value is missing (serv_missing_reason: a failed sum check)
        detail = pd.Series(causes.get(var, f"{var} missing"), index=led.frame.index, dtype=object)
        if f"{var}_missing_reason" in led.frame.columns:
            detail = led.frame[f"{var}_missing_reason"].astype(object).where(
                led.frame[f"{var}_missing_reason"].notna(), detail)
        led.drop(led.frame[var].isna().to_numpy(), f"missing {var}", detail=detail)

    panel = led.frame.drop(columns=[c for c in led.frame.columns if c.endswith("_missing_reason")])
    bounds = pd.DataFrame(columns=BOUNDS_COLUMNS)
    w = {**section_defaults("winsorize"), **(cfg.get("winsorize") or {})}
    if w["enabled"] and w["variables"] and len(panel):
        by = "year" if w["by"] == "year" else None
        # variables the data do not provide (e.g. tobin_q without market values) are left as they are
        cols = [c for c in w["variables"] if c in panel.columns and panel[c].notna().any()]
        panel, bounds = winsorize(panel, cols, tuple(w["limits"]), by=by)
    panel = panel.sort_values(KEY).reset_index(drop=True)
    panel["year"] = panel["year"].astype("int64")
    return PanelResult(panel=panel, ledger=led.ledger(), dropped=led.dropped(), winsor_bounds=bounds,
                       warnings=notes)
