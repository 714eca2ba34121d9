"""Coupling coordination degree (耦合协调度) of product and service innovation.

Two subsystems - product innovation (U1) and service innovation (U2) - are each an index of
several indicators, weighted by the entropy-weight method (熵值法); their coupling coordination
degree is

    C = 2 sqrt(U1 U2) / (U1 + U2)         (coupling degree, in [0, 1])
    T = a U1 + b U2                        (comprehensive development index, a + b = 1)
    D = sqrt(C T)                          (coupling coordination degree, in [0, 1])

Edge cases: C = 0 when U1 = 0 or U2 = 0 (one subsystem absent: no coupling), including
U1 = U2 = 0 (where the ratio is 0/0 and C is *defined* as 0); then D = 0. With a = b = 0.5,
D = (U1 U2)^(1/4).

Entropy weights (:func:`entropy_weights`), for n observations and indicators j:

1. min-max normalization: positive indicators x'_ij = (x_ij - min_j) / (max_j - min_j), negative
   ones x'_ij = (max_j - x_ij) / (max_j - min_j); x' lies in [0, 1];
2. proportions p_ij = (x'_ij + s) / sum_i (x'_ij + s) with a small shift s (default 1e-4) so that
   ln p is defined where x'_ij = 0 (the shift is used *only* in the entropy, not in the index);
3. entropy e_j = -k sum_i p_ij ln p_ij with k = 1 / ln n;
4. weights w_j = (1 - e_j) / sum_j (1 - e_j).

A constant indicator (max = min) carries no information: x' = 0, e_j = 1 and w_j = 0. The subsystem
index is U_i = sum_j w_j x'_ij (unshifted x', so U lies in [0, 1]). Observations with any missing
indicator of a subsystem are left out of its normalization and weights and get a missing U.

Scope (``scope``): ``pooled`` normalizes and weights over all firm-years together (indices are
comparable across years, the usual choice for panel regressions); ``year`` does both within each
year (each year's index is relative to that year's best and worst firm).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["coupling_coordination", "coupling_measures", "entropy_weights", "minmax_normalize", "subsystem_index"]

DEFAULT_SHIFT = 1e-4


def minmax_normalize(values: pd.Series | np.ndarray, direction: str = "positive") -> np.ndarray:
    """Min-max normalization to [0, 1] (``negative``: larger raw values give smaller x'); a
    constant column gives zeros."""
    x = np.asarray(values, dtype=float)
    lo, hi = np.nanmin(x), np.nanmax(x)
    if not np.isfinite(hi - lo) or hi == lo:
        return np.zeros_like(x)
    if direction == "positive":
        return (x - lo) / (hi - lo)
    if direction == "negative":
        return (hi - x) / (hi - lo)
    raise ValueError(f"direction must be 'positive' or 'negative', got {direction!r}")


def entropy_weights(frame: pd.DataFrame, columns: Sequence[str],
                    directions: Mapping[str, str] | Sequence[str] | None = None,
                    shift: float = DEFAULT_SHIFT) -> dict[str, Any]:
    """Entropy weights of ``columns`` over the complete rows of ``frame`` (see the module doc).

    ``directions``: per column ``positive`` (default) or ``negative``. Returns ``weights`` (column ->
    w_j), ``entropy`` (column -> e_j), ``normalized`` (frame of x' on the complete rows, index of
    ``frame``) and ``n`` (rows used).
    """
    columns = list(columns)
    if directions is None:
        dirs = {c: "positive" for c in columns}
    elif isinstance(directions, Mapping):
        dirs = {c: directions.get(c, "positive") for c in columns}
    else:
        dirs = dict(zip(columns, directions))
    data = frame[columns].apply(pd.to_numeric, errors="coerce").astype(float)
    data = data[np.isfinite(data).all(axis=1)]
    n = len(data)
    if n < 2:
        raise ValueError(f"entropy weights need at least 2 complete rows of {columns}, got {n}")
    norm = pd.DataFrame({c: minmax_normalize(data[c].to_numpy(), dirs[c]) for c in columns}, index=data.index)
    k = 1.0 / np.log(n)
    entropy = {}
    for c in columns:
        x = norm[c].to_numpy()
        if np.all(x == 0):  # constant indicator: no information
            entropy[c] = 1.0
            continue
        p = (x + shift) / np.sum(x + shift)
        entropy[c] = float(-k * np.sum(p * np.log(p)))
    div = {c: 1.0 - entropy[c] for c in columns}
    total = sum(div.values())
    if total <= 0:
        raise ValueError(f"every indicator of {columns} is constant: entropy weights are undefined")
    weights = {c: div[c] / total for c in columns}
    return {"weights": weights, "entropy": entropy, "normalized": norm, "n": n,
            "directions": dirs, "shift": shift}


def subsystem_index(frame: pd.DataFrame, columns: Sequence[str],
                    directions: Mapping[str, str] | None = None, *, scope: str = "pooled",
                    year: str = "year", shift: float = DEFAULT_SHIFT) -> tuple[pd.Series, dict[str, Any]]:
    """Entropy-weighted index U = sum_j w_j x'_j for every row of ``frame`` (NaN where an indicator
    is missing); also returns the weights (per scope group: ``"pooled"`` or each year)."""
    if scope not in ("pooled", "year"):
        raise ValueError(f"scope must be 'pooled' or 'year', got {scope!r}")
    out = pd.Series(np.nan, index=frame.index, dtype=float)
    info: dict[str, Any] = {}
    groups = [("pooled", frame)] if scope == "pooled" else [(str(y), g) for y, g in frame.groupby(year, sort=True)]
    for key, g in groups:
        ew = entropy_weights(g, columns, directions, shift)
        w = np.array([ew["weights"][c] for c in columns])
        out.loc[ew["normalized"].index] = ew["normalized"][list(columns)].to_numpy() @ w
        info[key] = {"weights": ew["weights"], "entropy": ew["entropy"], "n": ew["n"]}
    return out, info


def coupling_coordination(u1: Any, u2: Any, a: float = 0.5, b: float = 0.5) -> dict[str, np.ndarray]:
    """C, T and D of subsystem indices ``u1`` and ``u2`` (arrays or scalars, >= 0); NaN in, NaN out.

    C = 2 sqrt(U1 U2) / (U1 + U2), set to 0 when U1 + U2 = 0; T = a U1 + b U2; D = sqrt(C T).
    """
    if a < 0 or b < 0 or not np.isclose(a + b, 1.0):
        raise ValueError(f"coupling weights must be >= 0 and add up to 1, got a={a}, b={b}")
    u1 = np.asarray(u1, dtype=float)
    u2 = np.asarray(u2, dtype=float)
    if np.any(u1 < 0) or np.any(u2 < 0):
        raise ValueError("subsystem indices must be >= 0")
    s = u1 + u2
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(s > 0, 2.0 * np.sqrt(u1 * u2) / np.where(s > 0, s, 1.0), 0.0)
    c = np.where(np.isnan(s), np.nan, c)
    t = a * u1 + b * u2
    d = np.sqrt(c * t)
    return {"C": c, "T": t, "D": d}


# ------------------------------------------------------------- measures of the mechanism stage
PRODUCT_INDICATORS = ("rd_intensity", "invention_applications", "invention_grants")
SERVICE_INDICATORS = ("service_growth", "new_service_lines")


def _cfg(cfg: Mapping[str, Any] | None) -> dict[str, Any]:
    base = {"a": 0.5, "b": 0.5, "scope": "pooled", "shift": DEFAULT_SHIFT,
            "product_indicators": list(PRODUCT_INDICATORS), "service_indicators": list(SERVICE_INDICATORS),
            "directions": {}}
    base.update(dict(cfg or {}))
    return base


#: the mechanism settings the coupling measures read (the keys :func:`_cfg` fills in, in its order):
#: the demo's coupling truth depends on these and on nothing else of the mechanism section
COUPLING_SETTINGS = tuple(_cfg(None))


def coupling_settings(mechanism_cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The coupling settings of a (validated) ``mechanism`` section, in a fixed key order, so that a
    rule's params do not change with the order or the other keys of the section."""
    return {k: mechanism_cfg[k] for k in COUPLING_SETTINGS}


def coupling_measures(indicators: pd.DataFrame, cfg: Mapping[str, Any] | None = None) -> tuple[pd.DataFrame, dict]:
    """U1, U2 (entropy-weighted), C, T and ``ccd`` (= D) for every row of ``indicators``; plus a
    dict of the indicators used, their weights and the settings."""
    c = _cfg(cfg)
    out = indicators.copy()
    info: dict[str, Any] = {"a": c["a"], "b": c["b"], "scope": c["scope"], "shift": c["shift"]}
    for name, cols in (("u1", c["product_indicators"]), ("u2", c["service_indicators"])):
        used = [k for k in cols if k in out and out[k].notna().any()]
        info[f"{name}_dropped_indicators"] = [k for k in cols if k not in used]
        if not used:
            raise ValueError(f"no data for any indicator of {name} ({cols})")
        u, w = subsystem_index(out, used, c.get("directions") or {}, scope=c["scope"], shift=c["shift"])
        out[name] = u
        info[f"{name}_indicators"] = used
        info[f"{name}_weights"] = w
    ccd = coupling_coordination(out["u1"].to_numpy(), out["u2"].to_numpy(), c["a"], c["b"])
    out["coupling_c"], out["coupling_t"], out["ccd"] = ccd["C"], ccd["T"], ccd["D"]
    info["n_with_ccd"] = int(out["ccd"].notna().sum())
    return out, info
