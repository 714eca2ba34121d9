"""The mechanism extension of the demo: innovation indicators, their coupling and Tobin's Q.

The truth is :class:`analysis.demo.dgp.MechanismTruth`. Every draw here comes from a random stream of
its own (children of the config seed), so the files and the truth of the main model (ROA) are the
same as without the extension.

How the truth of the coupling links becomes *known*: the coupling coordination degree D is a
data-dependent transform (min-max normalization and entropy weights over the estimation sample),
so the generator computes it exactly as the pipeline will - with the package's own
:func:`analysis.coupling.coupling_measures`, from the indicator values it writes, over the firm-years
it expects in the estimation panel (:func:`expected_panel`) - and lets Tobin's Q depend on that D
with known coefficients. The end-to-end test (tests/test_pipeline_mechanism.py) checks both halves:
that the pipeline's panel is the expected one and its D equals the generator's D (to rounding), and
that the links recover the coefficients. Firm-years outside the expected panel, or without D
(withheld R&D or patent rows, no segment data the year before), get the sample mean of D in
their Tobin's Q; they are not in the links' estimation samples.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis.coupling import coupling_measures
from analysis.demo.dgp import MANUFACTURING, SERVICE_SEGMENTS, DemoParams, MechanismTruth

#: random streams (children of the config seed) of the extension
RD_STREAM, SERVICE_STREAM, PATENT_STREAM, TQ_STREAM = 9, 11, 12, 13


def service_line_entry(rng: np.random.Generator, firms: pd.DataFrame, fy: pd.DataFrame,
                       lines: Mapping[str, tuple[list[str], list[str]]], params: DemoParams,
                       m: MechanismTruth) -> tuple[dict[str, list[int]], dict[str, list[tuple[str, int, float]]]]:
    """When service lines enter the segment data.

    Returns (1) the entry year of each of a firm's service lines drawn by the main generator: the
    first is reported from the start, each further one from an entry year uniform over the sample
    (4 years either side), ``m.entry_dig_years`` earlier per standard deviation of the firm's
    baseline digitalization (before it, its revenue is reported under the first line);
    (2) ``m.extra_service_lines`` further lines per servitizing firm (other service segments), each
    with the share of the first line's revenue it takes over once it has entered, and its entry
    year: reported from the firm's first year with probability ``m.extra_line_initial``, otherwise
    from the first year in which a uniform draw falls below the hazard
    logistic(logit(entry_hazard) + entry_hazard_dig * (Dig - mean Dig)), so that more digital
    firm-years open new service lines (Dig = ln(1 + term count) of the year). ``fy`` carries the
    firm-years (firm, year, dig_count) in order.
    """
    z = (firms["dig_base"] - firms["dig_base"].mean()) / firms["dig_base"].std(ddof=0)
    lo, hi = params.first_year - 4, params.last_year + 5
    dig = np.log1p(fy["dig_count"].to_numpy(float))
    logit0 = np.log(m.entry_hazard / (1 - m.entry_hazard))
    hazard = 1.0 / (1.0 + np.exp(-(logit0 + m.entry_hazard_dig * (dig - dig.mean()))))
    years_of = {f: (g["year"].to_numpy(), hazard[g.index.to_numpy()]) for f, g in fy.groupby("firm", sort=False)}
    never = 10 ** 6
    entry, extra = {}, {}
    for f, zf in zip(firms["firm"], z):
        servs = lines[f][1]
        shift = int(round(m.entry_dig_years * zf))
        entry[f] = [-never] + [int(rng.integers(lo, hi)) - shift for _ in servs[1:]]
        others = [s for s in SERVICE_SEGMENTS if s not in servs]
        k = min(m.extra_service_lines, len(others))
        names = [str(x) for x in rng.choice(others, k, replace=False)]
        years, h = years_of.get(f, (np.zeros(0, int), np.zeros(0)))
        extra[f] = []
        for name in names:
            frac = float(rng.uniform(0.05, 0.2))
            if rng.random() < m.extra_line_initial:
                year_in = -never
            else:
                hit = np.flatnonzero(rng.random(len(years)) < h)
                year_in = int(years[hit[0]]) if len(hit) else never
            extra[f].append((name, year_in, frac))
    return entry, extra


def expected_panel(fy: pd.DataFrame) -> np.ndarray:
    """The firm-years the pipeline should keep under the default sample rules: manufacturing (the
    CSRC code valid in the year), not ST, segment data and report present, total liabilities and net
    profit present, and not the firm's first year (revenue growth needs the year before)."""
    manuf = fy["industry"].astype(str).str.fullmatch(MANUFACTURING).to_numpy()
    first = fy.groupby("firm")["year"].transform("min").to_numpy()
    return (manuf & ~fy["is_st"].to_numpy(bool) & fy["has_segments"].to_numpy(bool) & fy["has_report"].to_numpy(bool)
            & ~fy["liabilities_missing"].to_numpy(bool) & ~fy["net_profit_missing"].to_numpy(bool)
            & (fy["year"].to_numpy() > first))


def patents(rng: np.random.Generator, firms: pd.DataFrame, fy: pd.DataFrame,
            m: MechanismTruth) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Invention patent applications and grants (CSMAR-style rows: Symbol, Year, InventionApply,
    InventionGrant) and the per firm-year truth (counts, and whether the row was written)."""
    n = len(fy)
    firm_effect = dict(zip(firms["firm"], rng.normal(0.0, m.patent_firm_sd, len(firms))))
    lam = np.exp(m.patent_mean + fy["firm"].map(firm_effect).to_numpy() + m.patent_dig * fy["dig"].to_numpy())
    apply = rng.poisson(lam)
    grant = rng.binomial(apply, m.grant_rate)
    withheld = rng.random(n) < m.share_missing_patents
    rows = pd.DataFrame({"Symbol": fy["firm"].to_numpy(), "Year": fy["year"].astype(str).to_numpy(),
                         "InventionApply": apply.astype(str), "InventionGrant": grant.astype(str)})[~withheld]
    truth = pd.DataFrame({"firm": fy["firm"].to_numpy(), "year": fy["year"].to_numpy(), "has_patents": ~withheld,
                          "invention_applications_count": apply, "invention_grants_count": grant})
    return rows, truth


def indicators(fy: pd.DataFrame, rd: pd.DataFrame, pat: pd.DataFrame, revenue: np.ndarray) -> pd.DataFrame:
    """The innovation indicators of every firm-year of ``fy`` as the pipeline defines them
    (:func:`analysis.mechanism.innovation_indicators`), from the values the generator wrote.

    ``fy`` carries ``service_revenue`` and ``segment_revenue`` (sums of the written segment rows),
    ``service_lines`` (the service segments written) and ``has_segments``; ``rd`` the R&D truth
    (``has_rd``, ``rd_expense``); ``pat`` the patent truth; ``revenue`` the operating revenue written.
    """
    out = fy[["firm", "year"]].copy().reset_index(drop=True)
    has_rd = rd["has_rd"].to_numpy(bool)
    out["rd_intensity"] = np.where(has_rd, rd["rd_expense"].to_numpy(float) / revenue, np.nan)
    has_pat = pat["has_patents"].to_numpy(bool)
    for col in ("invention_applications", "invention_grants"):
        out[col] = np.where(has_pat, np.log1p(pat[f"{col}_count"].to_numpy(float)), np.nan)
    seg = fy["has_segments"].to_numpy(bool)
    key = pd.MultiIndex.from_arrays([fy["firm"], fy["year"]])
    prev = pd.MultiIndex.from_arrays([fy["firm"], fy["year"] - 1])
    pos = key.get_indexer(prev)
    has_prev = (pos >= 0) & seg & np.where(pos >= 0, seg[np.maximum(pos, 0)], False)
    sr, sg = fy["service_revenue"].to_numpy(float), fy["segment_revenue"].to_numpy(float)
    p = np.maximum(pos, 0)
    out["service_growth"] = np.where(has_prev, (sr - sr[p]) / np.where(has_prev, sg[p], 1.0), np.nan)
    lines = fy["service_lines"].to_list()
    out["new_service_lines"] = [float(len(set(lines[k]) - set(lines[p[k]]))) if has_prev[k] else np.nan
                                for k in range(len(fy))]
    return out


def coupling_truth(ind: pd.DataFrame, in_panel: np.ndarray, cfg: Mapping[str, Any] | None) -> tuple[pd.DataFrame, dict]:
    """U1, U2, C, T and D over the expected panel rows (NaN elsewhere), computed with the package's
    :func:`analysis.coupling.coupling_measures` and the mechanism config."""
    sub = ind[in_panel].reset_index(drop=True)
    measures, info = coupling_measures(sub, cfg)
    out = pd.DataFrame(np.nan, index=ind.index, columns=["u1", "u2", "ccd"])
    out.loc[np.flatnonzero(in_panel), ["u1", "u2", "ccd"]] = measures[["u1", "u2", "ccd"]].to_numpy()
    return out, info


def shock_term(fy: pd.DataFrame, in_panel: np.ndarray, m: MechanismTruth, pre_years: int = 2) -> np.ndarray:
    """The shock's part of every firm-year's Tobin's Q: s_i in ``m.shock_year``, persistence * s_i the
    year after, 0 otherwise; s_i = -shock_mean + shock_dig * (dig_pre_i - mean dig_pre), with dig_pre
    the firm's mean Dig over the ``pre_years`` before the shock in the expected panel (the average for
    firms without such years)."""
    years = fy["year"].to_numpy()
    pre = in_panel & (years >= m.shock_year - pre_years) & (years < m.shock_year)
    dig_pre = fy[pre].groupby("firm")["dig"].mean()
    centred = (fy["firm"].map(dig_pre) - dig_pre.mean()).fillna(0.0).to_numpy()
    s = -m.shock_mean + m.shock_dig * centred
    return np.where(years == m.shock_year, s, np.where(years == m.shock_year + 1, m.shock_persistence * s, 0.0))


def tobin_q(rng: np.random.Generator, firms: pd.DataFrame, fy: pd.DataFrame, ccd: np.ndarray,
            shock: np.ndarray, m: MechanismTruth) -> np.ndarray:
    """Tobin's Q of every firm-year from the true model (missing D -> the mean D of the panel), with the
    shock term ``shock`` (:func:`shock_term`)."""
    d = np.where(np.isfinite(ccd), ccd, np.nanmean(ccd))
    s = fy["serv"].to_numpy(float)
    firm_effect = dict(zip(firms["firm"], rng.normal(0.0, m.tq_firm_sd, len(firms))))
    year_effect = rng.normal(0.0, m.tq_year_sd, int(fy["year_index"].max()) + 1)
    return (m.tq_mean + fy["firm"].map(firm_effect).to_numpy() + year_effect[fy["year_index"].to_numpy()]
            + m.q_serv * s + m.q_serv_sq * s ** 2 + m.ccd_effect(s) * d + shock
            + rng.normal(0.0, m.tq_noise_sd, len(fy)))
