"""The data-generating process of the demo sample (firms, firm-years, measures, outcomes).

Everything random is drawn from one ``numpy.random.Generator`` seeded from the config, in a fixed
order, so the same seed gives the same data on any machine.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from analysis.variables import financial_variables

PRODUCT_SEGMENTS = ("工程机械", "起重机械", "压缩机", "电机", "阀门", "汽车零部件", "生物疫苗",
                    "冷冻设备", "电子元器件", "化工产品", "钢材", "光伏组件")
SERVICE_SEGMENTS = ("技术服务", "维修服务", "运维服务", "融资租赁", "设备租赁", "工程承包", "设计咨询",
                    "安装服务", "检测服务", "物流运输", "软件及信息服务", "培训服务")
REGION_SEGMENTS = ("华东地区", "华北地区", "华南地区", "境外")
NON_MANUFACTURING = ("J66", "J67", "K70", "I65", "F51", "E48")  # banks, securities, real estate ...
MANUFACTURING = r"C(1[3-9]|[23]\d|4[0-3])"  # CSRC 2012 C13-C43: the default sample rule


@dataclass(frozen=True)
class TrueModel:
    """ROA = firm + year + b1 S + b2 S^2 + b3 D + b4 S D + b5 S^2 D + controls + noise."""

    b1: float = 0.20
    b2: float = -0.25
    b3: float = 0.002
    b4: float = -0.03
    b5: float = 0.04
    controls: dict[str, float] = field(default_factory=lambda: {"size": 0.005, "lev": -0.05,
                                                                  "growth": 0.01})
    noise_sd: float = 0.03
    firm_sd: float = 0.03
    year_sd: float = 0.01

    def turning_point(self, dig: float | np.ndarray) -> float | np.ndarray:
        return -(self.b1 + self.b4 * dig) / (2.0 * (self.b2 + self.b5 * dig))

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class DemoParams:
    n_firms: int = 400
    first_year: int = 2010
    last_year: int = 2023
    share_non_manufacturing: float = 0.12
    share_pure_product: float = 0.25   # firms that never report a service line
    share_st_firms: float = 0.06
    share_delisted: float = 0.10
    share_missing_report: float = 0.02
    share_missing_segments: float = 0.02
    share_missing_value: float = 0.01  # "--" in total liabilities
    share_duplicate_rows: float = 0.01
    # extra tables (drawn from a separate random stream, so they leave the true model untouched)
    share_industry_switch: float = 0.06  # firms whose CSRC code changes once during the sample
    share_missing_market_value: float = 0.02
    model: TrueModel = field(default_factory=TrueModel)


@dataclass(frozen=True)
class MechanismTruth:
    """Known truth of the mechanism extension of the demo (:mod:`analysis.demo.mechanism`).

    Product innovation (own random streams, so the main model's data are unchanged):

    - ln(R&D expense / operating revenue) = ln_rd_mean + firm + year + g_dig * Dig + noise; R&D rows
      withheld for a share ``share_missing_rd`` of firm-years;
    - invention patent applications ~ Poisson(exp(patent_mean + firm + patent_dig * Dig)), grants ~
      Binomial(applications, grant_rate); patent rows withheld for ``share_missing_patents``.

    Service innovation: a servitizing firm's first service line is reported from its first year, each
    further line of the main generator from an entry year that comes earlier for firms with a higher
    baseline digitalization (``entry_dig_years`` years per standard deviation); ``extra_service_lines``
    more lines take over a part of the first line's revenue, each opened in a year with a hazard that
    rises with that year's Dig (``entry_hazard`` at the mean Dig, logit slope ``entry_hazard_dig``), so
    new service lines appear during the sample, more often in digital firm-years (the service share
    itself is unchanged).

    Performance through coupling: Tobin's Q (market value of equity + liabilities over total assets)
    = tq_mean + firm + year + q_serv S + q_serv_sq S^2 + q_ccd D + q_serv_ccd S D + q_serv_sq_ccd S^2 D
    + noise, with S the true (= measured) service share and D the coupling coordination degree the
    generator computes with the package's own entropy/coupling functions over the firm-years it
    expects in the estimation panel (the end-to-end test checks that the pipeline's D equals it).
    Dig has no direct effect on Tobin's Q: it works only through D.

    Resilience: an industry-wide shock in ``shock_year`` lowers every firm's Tobin's Q by
    ``shock_mean`` less ``shock_dig`` per unit of the firm's pre-shock Dig above the average (mean Dig
    over the two years before, in the expected panel); a share ``shock_persistence`` of the firm's
    shock is left the year after. The per firm-year shock term is written to
    ``truth_mechanism_firm_years.csv`` (``tq_shock``).
    """

    g_dig: float = 0.15
    ln_rd_mean: float = -4.2
    firm_sd: float = 0.4
    year_sd: float = 0.05
    noise_sd: float = 0.2
    share_missing_rd: float = 0.03
    patent_mean: float = 1.0
    patent_dig: float = 0.35
    patent_firm_sd: float = 0.7
    grant_rate: float = 0.45
    share_missing_patents: float = 0.04
    entry_dig_years: float = 2.0
    extra_service_lines: int = 4
    extra_line_initial: float = 0.25
    entry_hazard: float = 0.06
    entry_hazard_dig: float = 0.8
    tq_mean: float = 1.9
    tq_firm_sd: float = 0.3
    tq_year_sd: float = 0.1
    tq_noise_sd: float = 0.04
    q_serv: float = 1.2
    q_serv_sq: float = -1.5
    q_ccd: float = 0.3
    q_serv_ccd: float = -1.5
    q_serv_sq_ccd: float = 2.0
    shock_year: int = 2020
    shock_mean: float = 0.15
    shock_dig: float = 0.03
    shock_persistence: float = 0.5

    def tq_coefficients(self) -> dict[str, float]:
        """True coefficients of the Tobin's Q model under the estimation's term names (x = serv, z = ccd)."""
        return {"serv": self.q_serv, "serv_sq": self.q_serv_sq, "ccd": self.q_ccd,
                "serv_x_ccd": self.q_serv_ccd, "serv_sq_x_ccd": self.q_serv_sq_ccd}

    def ccd_effect(self, serv: float | np.ndarray) -> float | np.ndarray:
        """True marginal effect of D on Tobin's Q at service share ``serv``: q_ccd + q_serv_ccd S + q_serv_sq_ccd S^2."""
        return self.q_ccd + self.q_serv_ccd * serv + self.q_serv_sq_ccd * np.asarray(serv) ** 2

    def turning_point(self, ccd: float | np.ndarray) -> float | np.ndarray:
        """True turning point in S of Tobin's Q at coupling D."""
        return -(self.q_serv + self.q_serv_ccd * ccd) / (2.0 * (self.q_serv_sq + self.q_serv_sq_ccd * ccd))

    def to_dict(self) -> dict:
        return asdict(self)


def _codes(rng: np.random.Generator, n: int) -> list[str]:
    prefixes = np.array(["000", "002", "300", "600", "601", "603", "688"])
    codes: set[str] = set()
    out = []
    while len(out) < n:
        c = f"{rng.choice(prefixes)}{rng.integers(0, 1000):03d}"
        if c not in codes:
            codes.add(c)
            out.append(c)
    return out


def draw_firms(rng: np.random.Generator, p: DemoParams) -> pd.DataFrame:
    n = p.n_firms
    firm = _codes(rng, n)
    manuf = rng.random(n) >= p.share_non_manufacturing
    industry = np.where(manuf, [f"C{c}" for c in rng.integers(13, 44, n)],
                        rng.choice(np.array(NON_MANUFACTURING), n))
    founded = rng.integers(1980, 2006, n)
    listed = np.maximum(founded + 1 + rng.integers(0, 8, n), rng.integers(1995, 2019, n))
    delisted = np.where(rng.random(n) < p.share_delisted,
                        np.maximum(rng.integers(2014, 2023, n), np.maximum(listed, p.first_year) + 2), 9999)
    soe = rng.random(n) < 0.35
    serv_base = rng.normal(-1.2, 1.0, n)
    pure_product = rng.random(n) < p.share_pure_product
    dig_base = 0.8 + 0.3 * serv_base + rng.normal(0.0, 0.9, n)
    size_base = rng.normal(21.5, 1.1, n)
    lev_base = rng.normal(0.42, 0.12, n)
    firm_effect = rng.normal(0.0, p.model.firm_sd, n)
    st_start = np.where(rng.random(n) < p.share_st_firms, rng.integers(p.first_year, p.last_year, n), 9999)
    st_length = rng.integers(1, 4, n)
    return pd.DataFrame({
        "firm": firm, "industry": industry, "founded_year": founded, "listed_year": listed,
        "delisted_year": delisted, "soe": soe.astype(int), "serv_base": serv_base,
        "pure_product": pure_product, "dig_base": dig_base, "size_base": size_base,
        "lev_base": lev_base, "firm_effect": firm_effect, "st_start": st_start,
        "st_end": st_start + st_length - 1,
    })


def draw_firm_years(rng: np.random.Generator, firms: pd.DataFrame, p: DemoParams) -> pd.DataFrame:
    """Active firm-years with the latent drivers (true Serv share, digital term count, size...)."""
    years = np.arange(p.first_year, p.last_year + 1)
    rows = []
    for f in firms.itertuples(index=False):
        first = max(p.first_year, int(f.listed_year))
        last = min(p.last_year, int(f.delisted_year))
        for y in range(first, last + 1):
            rows.append((f.firm, y))
    fy = pd.DataFrame(rows, columns=["firm", "year"]).merge(firms, on="firm", how="left")
    n = len(fy)
    t = (fy["year"] - p.first_year).to_numpy()
    latent = fy["serv_base"].to_numpy() + 0.05 * t + rng.normal(0, 0.35, n)
    fy["serv_target"] = np.where(fy["pure_product"], 0.0, 0.9 / (1.0 + np.exp(-latent)))
    lam = np.minimum(np.exp(fy["dig_base"].to_numpy() + 0.12 * t + rng.normal(0, 0.3, n)), 250.0)
    fy["dig_count"] = rng.poisson(lam)
    fy["size_latent"] = fy["size_base"].to_numpy() + 0.04 * t + rng.normal(0, 0.15, n)
    fy["lev_latent"] = np.clip(fy["lev_base"].to_numpy() + rng.normal(0, 0.05, n), 0.05, 0.92)
    fy["year_index"] = np.searchsorted(years, fy["year"].to_numpy())
    return fy


def compute_outcomes(rng: np.random.Generator, fy: pd.DataFrame, fin: pd.DataFrame,
                     p: DemoParams) -> pd.DataFrame:
    """ROA from the true model, given measured Serv/Dig and the statement-based controls.

    ``fin`` holds the annual consolidated statement numbers (as written) for each firm-year,
    without net profit; net profit is set here so that net_profit / total_assets is the true ROA.
    """
    m = p.model
    year_effects = rng.normal(0, m.year_sd, p.last_year - p.first_year + 1)
    fin = fin.copy()
    fin["net_profit"] = 0.0
    ctrl = financial_variables(fin)
    s = fy["serv"].to_numpy()
    d = fy["dig"].to_numpy()
    roa = (fy["firm_effect"].to_numpy() + year_effects[fy["year_index"].to_numpy()]
           + m.b1 * s + m.b2 * s**2 + m.b3 * d + m.b4 * s * d + m.b5 * s**2 * d
           + rng.normal(0, m.noise_sd, len(fy)))
    for name, coef in m.controls.items():
        roa = roa + coef * ctrl[name].fillna(0.0).to_numpy()
    out = fy[["firm", "year"]].copy()
    out["roa"] = roa
    out["net_profit"] = np.round(roa * fin["total_assets"].to_numpy(), 2)
    return out
