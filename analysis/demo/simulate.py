"""The demo data-generating process as an in-memory firm-year panel (for Monte Carlo studies).

:func:`simulate_panel` runs the demo's own DGP (:func:`analysis.demo.dgp.draw_firms`,
:func:`analysis.demo.dgp.draw_firm_years`, :func:`analysis.demo.dgp.compute_outcomes` with the
controls from :func:`analysis.variables.financial_variables`) and returns the estimation panel
directly, without writing raw files and re-measuring them:

- Serv is the DGP's target service share (the written segment amounts add rounding to the cent and
  nothing else, see :func:`analysis.demo.generate.generate_demo`), Dig = ln(1 + term count);
- statements: total assets exp(size_latent), liabilities lev_latent * assets, revenue
  exp(size_latent - 0.2 + N(0, 0.1)) * (1 + U(0, 0.03)) (as the generator draws them), so size,
  lev and growth are what the pipeline would compute;
- ROA from the true model (:class:`analysis.demo.dgp.TrueModel`), firm and year effects included;
- the sample rules of the pipeline that matter for estimation: CSRC manufacturing (C13-C43),
  ST firm-years excluded, growth missing in a firm's first year (dropped).

The draws are not the same as the file-based generator's (that one interleaves the draws of
report texts and segment rows), but the distribution of the panel is the DGP's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.demo import dgp
from analysis.demo.dgp import DemoParams
from analysis.variables import financial_variables

__all__ = ["simulate_panel"]


def simulate_panel(rng: np.random.Generator, params: DemoParams | None = None) -> pd.DataFrame:
    """One estimation panel (firm, year, industry, serv, dig, size, lev, growth, roa) from the DGP."""
    p = params or DemoParams()
    firms = dgp.draw_firms(rng, p)
    fy = dgp.draw_firm_years(rng, firms, p)
    n = len(fy)
    fy["serv"] = fy["serv_target"].to_numpy()
    fy["dig"] = np.log1p(fy["dig_count"].astype(float))
    assets = np.exp(fy["size_latent"].to_numpy())
    revenue = np.exp(fy["size_latent"].to_numpy() - 0.2 + rng.normal(0, 0.1, n)) * (1 + rng.uniform(0, 0.03, n))
    liab = fy["lev_latent"].to_numpy() * assets
    fin = pd.DataFrame({"firm": fy["firm"], "year": fy["year"], "total_assets": assets,
                        "total_liabilities": liab, "total_equity": assets - liab, "total_revenue": revenue})
    out = dgp.compute_outcomes(rng, fy, fin, p)
    fin["net_profit"] = out["roa"].to_numpy() * assets
    ctrl = financial_variables(fin)
    panel = pd.DataFrame({"firm": fy["firm"], "year": fy["year"], "industry": fy["industry"],
                          "serv": fy["serv"], "dig": fy["dig"], "size": ctrl["size"], "lev": ctrl["lev"],
                          "growth": ctrl["growth"], "roa": out["roa"].to_numpy()})
    manuf = panel["industry"].str.fullmatch(dgp.MANUFACTURING)
    st = (fy["year"] >= fy["st_start"]) & (fy["year"] <= fy["st_end"])
    keep = manuf & ~st.to_numpy() & panel[["serv", "dig", "size", "lev", "growth", "roa"]].notna().all(axis=1)
    return panel[keep].reset_index(drop=True)
