"""The estimation panel for other software: Stata (.dta, version 118, variable labels), CSV, and a
codebook (name, labels en/zh, definition, source table and column, unit, N, mean, missing).

Definitions, sources and units live in ``analysis/data/codebook.yaml``; labels in
``analysis/data/labels.yaml``. A panel column missing from the codebook file is an error naming it
(so a new variable cannot reach users undocumented).

Stata notes: version 118 (Stata 14+) stores strings and labels as UTF-8, so Chinese labels work;
variable labels are cut to Stata's 80 characters; dates become Stata daily dates (``%td``); the
file's time stamp is fixed so two runs give identical bytes.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analysis.presentation.tables import label, rows_table

CODEBOOK_FILE = Path(__file__).resolve().parents[1] / "data" / "codebook.yaml"
STATA_VERSION = 118
STATA_LABEL_MAX = 80
#: the .dta header time stamp (fixed: no run-dependent bytes)
STATA_TIME = dt.datetime(2020, 1, 1)


class CodebookError(ValueError):
    """A panel column has no entry in analysis/data/codebook.yaml."""


@lru_cache(maxsize=None)
def _entries() -> dict[str, dict[str, str]]:
    return yaml.safe_load(CODEBOOK_FILE.read_text(encoding="utf-8"))


def codebook(panel: pd.DataFrame) -> pd.DataFrame:
    """One row per panel column: name, label_en, label_zh, definition, source, unit, n, mean, missing."""
    entries = _entries()
    missing = [c for c in panel.columns if c not in entries]
    if missing:
        raise CodebookError(f"{CODEBOOK_FILE}: no entry for the panel column(s) {missing}; add definition, "
                            "source and unit")
    rows = []
    for col in panel.columns:
        x = panel[col]
        e = entries[col]
        numeric = pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x)
        rows.append({"name": col, "label_en": label(col, "en"), "label_zh": label(col, "zh"),
                     "definition": e["definition"], "source": e["source"], "unit": e["unit"],
                     "n": int(x.notna().sum()), "mean": float(x.astype("float64").mean()) if numeric else None,
                     "missing": int(x.isna().sum())})
    return pd.DataFrame(rows)


def codebook_table(panel: pd.DataFrame, language: str = "en"):
    """The codebook as a :class:`~analysis.presentation.tables.Table` (Markdown, HTML for the report)."""
    cb = codebook(panel)
    header = [label(k, language) for k in ("cb_name", "cb_label_en", "cb_label_zh", "cb_definition", "cb_source",
                                           "cb_unit", "cb_n", "cb_mean", "cb_missing")]
    rows = [[r.name, r.label_en, r.label_zh, r.definition, r.source, r.unit, f"{r.n:,}",
             "" if r.mean is None or pd.isna(r.mean) else f"{r.mean:.4g}", f"{r.missing:,}"] for r in cb.itertuples()]
    return rows_table("codebook", label("title_codebook", language), header, rows, tidy=cb)


def stata_frame(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel with types Stata stores: nullable integers as float (missing kept), strings as str."""
    out = panel.copy()
    for col in out.columns:
        x = out[col]
        if pd.api.types.is_datetime64_any_dtype(x):
            out[col] = x.astype("datetime64[ns]")
        elif pd.api.types.is_extension_array_dtype(x) and pd.api.types.is_integer_dtype(x):
            out[col] = x.astype("float64")
        elif pd.api.types.is_bool_dtype(x):
            out[col] = x.astype("float64")
        elif not pd.api.types.is_numeric_dtype(x):
            out[col] = x.astype(object).where(x.notna(), "").astype(str)
    return out


def write_stata(panel: pd.DataFrame, path: str | Path, language: str = "en") -> Path:
    """``panel.dta`` (Stata 118) with variable labels in ``language`` (the definition in English)."""
    cb = codebook(panel).set_index("name")
    frame = stata_frame(panel)
    labels: dict[str, Any] = {}
    for col in frame.columns:
        text = cb.at[col, "definition"] if language == "en" else cb.at[col, "label_zh"]
        labels[col] = str(text)[:STATA_LABEL_MAX]
    dates = {c: "td" for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])}
    path = Path(path)
    frame.to_stata(path, write_index=False, version=STATA_VERSION, variable_labels=labels, convert_dates=dates,
                   time_stamp=STATA_TIME, data_label="servparadox estimation panel")
    return path


def write_csv(panel: pd.DataFrame, path: str | Path) -> Path:
    """``panel.csv`` (UTF-8 with a byte-order mark, so Excel and Stata's ``import delimited`` read Chinese)."""
    path = Path(path)
    panel.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n", date_format="%Y-%m-%d")
    return path
