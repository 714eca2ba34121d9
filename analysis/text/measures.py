"""Digitalization indices from keyword counts.

Following Wu, Hu, Lin & Ren (2021, 管理世界 37(7):130-144) the headline index is
``ln(1 + total count)`` of the dictionary's terms in the annual report; the per-category counts
and the count per 10,000 characters (length-adjusted, since reports differ widely in length) are
the usual alternatives. Here, per (firm, year, section):

* ``dig_total``      sum of term counts;
* ``dig_<category>`` sum of term counts within each dictionary category (all categories present);
* ``n_chars``        characters of normalized text counted (the denominator);
* ``dig_ln``         ln(1 + dig_total);
* ``dig_per10k``     10000 * dig_total / n_chars (missing when n_chars is 0).

``firm`` is always a zero-padded 6-character stock code string and ``year`` an int.
"""

from __future__ import annotations



import numpy as np
import pandas as pd

from analysis.codes import normalize_firm

from .dictionary import KeywordDictionary

__all__ = ["COUNT_COLUMNS", "CHAR_COLUMNS", "digital_indices", "normalize_firm", "service_intensity"]

COUNT_COLUMNS = ("firm", "year", "section", "term", "count")
CHAR_COLUMNS = ("firm", "year", "section", "n_chars")
_KEY = ["firm", "year", "section"]


def _norm_keys(df: pd.DataFrame, what: str) -> pd.DataFrame:
    out = df.copy()
    out["firm"] = [normalize_firm(v) for v in out["firm"]]
    try:
        out["year"] = out["year"].astype("int64")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}: year must be integer-valued: {exc}") from exc
    out["section"] = out["section"].astype(str)
    return out


def digital_indices(
    counts: pd.DataFrame, n_chars: pd.DataFrame, dictionary: KeywordDictionary, prefix: str = "dig"
) -> pd.DataFrame:
    """Per (firm, year, section) digitalization indices (or, with another ``prefix``, the same indices
    of another dictionary: :func:`service_intensity`).

    Parameters
    ----------
    counts:
        Long table with columns firm, year, section, term, count (nonzero counts; terms absent
        from a document count zero). May be empty.
    n_chars:
        One row per counted document section: firm, year, section, n_chars. Defines the rows of
        the result, so a report in which no term occurs still gets a row with zeros.
    dictionary:
        The dictionary the counts come from; unknown terms are an error.

    Returns
    -------
    DataFrame with firm, year, section, n_chars, dig_total, dig_<category>..., dig_ln,
    dig_per10k, sorted by firm, year, section.
    """
    for name, df, cols in (("counts", counts, COUNT_COLUMNS), ("n_chars", n_chars, CHAR_COLUMNS)):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ValueError(f"{name} lacks column(s): {', '.join(missing)}")
    chars = _norm_keys(n_chars[list(CHAR_COLUMNS)], "n_chars")
    dup = chars.duplicated(_KEY)
    if dup.any():
        first = chars.loc[dup, _KEY].iloc[0].tolist()
        raise ValueError(f"n_chars has duplicate (firm, year, section) rows, e.g. {first}")
    if (chars["n_chars"] < 0).any():
        raise ValueError("n_chars must be >= 0")
    cat_cols = [f"{prefix}_{c}" for c in dictionary.categories]

    cnt = counts[list(COUNT_COLUMNS)]
    if len(cnt):
        cnt = _norm_keys(cnt, "counts")
        unknown = sorted(set(cnt["term"]) - set(dictionary.terms))
        if unknown:
            raise ValueError(
                f"counts hold term(s) not in dictionary {dictionary.name!r}: {unknown[:5]}"
            )
        if (cnt["count"] < 0).any():
            raise ValueError("counts must be >= 0")
        cnt = cnt.assign(category=cnt["term"].map(dict(dictionary.category_of)))
        wide = cnt.pivot_table(
            index=_KEY, columns="category", values="count", aggfunc="sum", fill_value=0
        )
        wide = wide.reindex(columns=list(dictionary.categories), fill_value=0)
        wide.columns = cat_cols
        wide = wide.reset_index()
        orphans = wide.merge(chars[_KEY], on=_KEY, how="left", indicator=True)
        orphans = orphans[orphans["_merge"] == "left_only"]
        if len(orphans):
            raise ValueError(
                "counts hold (firm, year, section) rows without an n_chars row, e.g. "
                f"{orphans[_KEY].iloc[0].tolist()}"
            )
        out = chars.merge(wide, on=_KEY, how="left")
    else:
        out = chars.copy()
        for c in cat_cols:
            out[c] = 0
    out[cat_cols] = out[cat_cols].fillna(0).astype("int64")
    out["n_chars"] = out["n_chars"].astype("int64")
    out[f"{prefix}_total"] = out[cat_cols].sum(axis=1).astype("int64")
    out[f"{prefix}_ln"] = np.log1p(out[f"{prefix}_total"].astype("float64"))
    denom = out["n_chars"].astype("float64").where(out["n_chars"] > 0)
    out[f"{prefix}_per10k"] = 10000.0 * out[f"{prefix}_total"] / denom
    cols = [*_KEY, "n_chars", f"{prefix}_total", *cat_cols, f"{prefix}_ln", f"{prefix}_per10k"]
    return out[cols].sort_values(_KEY, kind="mergesort").reset_index(drop=True)


def firm_year_dig(indices: pd.DataFrame, main_section: str) -> pd.DataFrame:
    """One row per firm-year: ``dig`` (ln(1 + count)), ``dig_count``, ``dig_per10k`` and the category
    counts of the ``main_section`` (config ``reports.section``), and ``dig_<section>`` and
    ``dig_<section>_per10k`` for every section counted, the main one included, so that a robustness
    choice such as ``dig_mdna`` exists whichever section is the main measure."""
    main = indices[indices["section"] == main_section]
    wide = main.drop(columns="section").rename(columns={"dig_ln": "dig", "dig_total": "dig_count"})
    for section in sorted(set(indices["section"])):
        alt = indices.loc[indices["section"] == section, ["firm", "year", "dig_ln", "dig_per10k"]]
        wide = wide.merge(alt.rename(columns={"dig_ln": f"dig_{section}", "dig_per10k": f"dig_{section}_per10k"}),
                          on=["firm", "year"], how="left")
    return wide.sort_values(["firm", "year"]).reset_index(drop=True)


def service_intensity(counts: pd.DataFrame, n_chars: pd.DataFrame, dictionary: KeywordDictionary,
                      section: str = "mdna") -> pd.DataFrame:
    """Text-based service intensity per firm-year: service terms per 10,000 characters of one section.

    A robustness measure of servitization (not the revenue-based Serv): the terms of a service-term
    dictionary (packaged: ``analysis/data/dictionaries/service_terms.yaml``, versioned) counted with the
    same exact counter as Dig, in the MD&A by default. Columns: firm, year, n_chars, svc_text_total,
    svc_text_<category>..., svc_text_ln, svc_text_per10k (the measure). A report whose MD&A was not found
    has no row (its report status says so).
    """
    idx = digital_indices(counts, n_chars, dictionary, prefix="svc_text")
    return idx[idx["section"] == section].drop(columns="section").reset_index(drop=True)
