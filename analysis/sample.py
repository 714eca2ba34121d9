"""Sample selection with a ledger: every dropped firm-year is kept with the rule that dropped it.

:class:`SampleLedger` applies named filters one after another to a frame and records, for each
step, how many rows it dropped and how many rows and firms remain, so that the ledger reconciles
exactly from the raw rows to the estimation sample. ``dropped()`` returns every dropped row with its
step, rule and detail; nothing leaves the sample without a line in the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

LEDGER_COLUMNS = ["step", "rule", "rows_dropped", "rows_remaining", "firms_remaining"]


class SampleLedger:
    """Sequential sample filters over a frame with a ``firm`` column (and usually ``year``)."""

    def __init__(self, frame: pd.DataFrame, description: str = "raw rows read"):
        self.frame = frame.reset_index(drop=True)
        self._entries: list[dict[str, Any]] = [self._entry(0, description, 0)]
        self._dropped: list[pd.DataFrame] = []

    def _entry(self, step: int, rule: str, dropped: int) -> dict[str, Any]:
        return {"step": step, "rule": rule, "rows_dropped": dropped,
                "rows_remaining": len(self.frame), "firms_remaining": int(self.frame["firm"].nunique())}

    def drop(self, mask: pd.Series | np.ndarray, rule: str, detail: pd.Series | str | None = None) -> int:
        """Drop the rows where ``mask`` is True, under ``rule``; returns the number dropped."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (len(self.frame),):
            raise ValueError(f"mask for rule {rule!r} has shape {mask.shape}, frame has {len(self.frame)} rows")
        gone = self.frame.loc[mask].copy()
        step = len(self._entries)
        gone.insert(0, "step", step)
        gone.insert(1, "rule", rule)
        if detail is None:
            gone.insert(2, "detail", "")
        elif isinstance(detail, str):
            gone.insert(2, "detail", detail)
        else:
            gone.insert(2, "detail", np.asarray(detail, dtype=object)[mask])
        self._dropped.append(gone)
        self.frame = self.frame.loc[~mask].reset_index(drop=True)
        self._entries.append(self._entry(step, rule, int(mask.sum())))
        return int(mask.sum())

    def keep(self, mask: pd.Series | np.ndarray, rule: str, detail: pd.Series | str | None = None) -> int:
        """Keep the rows where ``mask`` is True; the others are dropped under ``rule``."""
        return self.drop(~np.asarray(mask, dtype=bool), rule, detail)

    def not_applied(self, rule: str, reason: str) -> str:
        """Record that filter ``rule`` could not be applied (0 rows dropped); returns the ledger text."""
        text = f"{rule}: not applied: {reason}"
        self.drop(np.zeros(len(self.frame), dtype=bool), text)
        return text

    def replace_frame(self, frame: pd.DataFrame) -> None:
        """Swap in a frame with the same rows (e.g. with new columns merged on)."""
        if len(frame) != len(self.frame):
            raise ValueError("replace_frame must not change the number of rows; use drop()")
        self.frame = frame.reset_index(drop=True)

    def ledger(self) -> pd.DataFrame:
        led = pd.DataFrame(self._entries, columns=LEDGER_COLUMNS)
        check = led["rows_remaining"].iloc[0] - led["rows_dropped"].cumsum()
        if not (check == led["rows_remaining"]).all():  # pragma: no cover - guards the class itself
            raise AssertionError("sample ledger does not reconcile")
        return led

    def dropped(self) -> pd.DataFrame:
        if not self._dropped:
            return pd.DataFrame(columns=["step", "rule", "detail", *self.frame.columns])
        return pd.concat(self._dropped, ignore_index=True)


# --------------------------------------------------------------------------- rules

@dataclass(frozen=True)
class SampleRules:
    industry_section: str = "C"
    industry_min: int = 13
    industry_max: int = 43
    exclude_st: bool = True
    first_year: int | None = None
    last_year: int | None = None

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> "SampleRules":
        """From the ``sample`` section; omitted keys take the schema's defaults (never a second copy here)."""
        from analysis.config import section_defaults

        cfg = {**section_defaults("sample"), **cfg}
        ind = {**section_defaults("sample")["industry"], **cfg["industry"]}
        years = cfg["years"] or [None, None]
        return cls(industry_section=ind["section"], industry_min=int(ind["min"]), industry_max=int(ind["max"]),
                   exclude_st=bool(cfg["exclude_st"]), first_year=years[0], last_year=years[1])


def industry_class(code: pd.Series, rules: SampleRules) -> pd.Series:
    """'kept', 'financial', 'real_estate', 'non_manufacturing', 'missing' for CSRC 2012 codes."""
    code = code.astype("str").str.strip().str.upper()
    section = code.str[:1]
    number = pd.to_numeric(code.str[1:3], errors="coerce")
    in_range = (section == rules.industry_section) & number.between(rules.industry_min, rules.industry_max)
    out = pd.Series("non_manufacturing", index=code.index, dtype=object)
    out[section == "J"] = "financial"
    out[section == "K"] = "real_estate"
    out[in_range] = "kept"
    out[code.isna() | (code == "") | (code == "<NA>")] = "missing"
    return out


_ST_PREFIXES = ("ST", "*ST", "S*ST", "SST", "PT")


def is_special_treatment(short_name: pd.Series) -> pd.Series:
    """True where the security's short name marks special treatment (ST, *ST, S*ST, PT)."""
    s = short_name.astype("str").str.strip().str.upper().str.replace("＊", "*", regex=False)
    return s.str.startswith(_ST_PREFIXES).fillna(False).astype(bool)


def st_from_history(firm_years: pd.DataFrame, history: pd.DataFrame) -> pd.Series:
    """True where a special-treatment spell (``firm``, ``start``, ``end``; open when end is missing)
    overlaps the firm-year's calendar year."""
    out = pd.Series(False, index=firm_years.index)
    if history is None or history.empty or firm_years.empty:
        return out
    left = pd.DataFrame({"firm": firm_years["firm"].astype("str").to_numpy(),
                         "year": firm_years["year"].astype("int64").to_numpy(), "_pos": range(len(firm_years))})
    spells = history[["firm", "start", "end"]].copy()
    spells["firm"] = spells["firm"].astype("str")
    m = left.merge(spells, on="firm", how="inner")
    y0 = pd.to_datetime(m["year"].astype("str") + "-01-01")
    y1 = pd.to_datetime(m["year"].astype("str") + "-12-31")
    end = m["end"].astype("datetime64[us]").fillna(pd.Timestamp("2262-01-01"))
    hit = m.loc[(m["start"].astype("datetime64[us]") <= y1) & (end >= y0), "_pos"].unique()
    out.iloc[hit] = True
    return out


def industry_by_year(firm_years: pd.DataFrame, current: pd.Series,
                     history: pd.DataFrame | None = None) -> tuple[pd.Series, pd.Series]:
    """The industry code valid in each firm-year, and where it comes from.

    ``firm_years`` has ``firm`` and ``year``; ``current`` is the company table's (current) code for
    each of those rows. ``history`` (optional: ``firm``, ``start``, ``industry``) lists codes valid
    from a date on; a firm-year takes the code of the latest ``start`` on or before Dec 31 of its
    year. Years before a firm's first history row, and firms without history, keep the current code.
    Returns (code, source) with source "history" or "company".
    """
    code = pd.Series(current.to_numpy(), index=firm_years.index, dtype=object)
    source = pd.Series("company", index=firm_years.index, dtype=object)
    if history is None or history.empty or firm_years.empty:
        return code, source
    left = pd.DataFrame({"firm": firm_years["firm"].astype("str").to_numpy(),
                         "_date": pd.to_datetime(firm_years["year"].astype("int64").astype("str") + "-12-31")
                         .astype("datetime64[us]").to_numpy(),
                         "_pos": range(len(firm_years))})
    right = history[["firm", "start", "industry"]].dropna().copy()
    right["firm"] = right["firm"].astype("str")
    right["start"] = right["start"].astype("datetime64[us]")
    right = right.sort_values(["start", "firm"], kind="stable").drop_duplicates(["firm", "start"], keep="last")
    m = pd.merge_asof(left.sort_values("_date", kind="stable"), right, left_on="_date", right_on="start",
                      by="firm", direction="backward").sort_values("_pos")
    found = m["industry"].notna().to_numpy()
    code[found] = m["industry"].to_numpy()[found]
    source[found] = "history"
    return code, source
