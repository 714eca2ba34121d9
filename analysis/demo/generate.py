"""Write the demo sample: CSMAR-style raw files with the mess of real exports, reports, truth."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import asdict, replace
from pathlib import Path
from collections.abc import Mapping
from typing import Any, Callable

import numpy as np
import pandas as pd

from analysis.demo import dgp
from analysis.demo import mechanism as demo_mechanism
from analysis.demo.dgp import DemoParams, MechanismTruth, TrueModel
from analysis.demo.mechanism import PATENT_STREAM, RD_STREAM, SERVICE_STREAM, TQ_STREAM
from analysis.demo.reports import check_building_blocks, reference_count, report_text
from analysis.text.dictionary import load_dictionary

# CSMAR header rows: field code, Chinese label, unit
HEADERS = {
    "company": [("Stkcd", "证券代码", "没有单位"), ("Stknme", "证券简称", "没有单位"),
                ("Estbdt", "公司成立日期", "没有单位"), ("Listdt", "上市日期", "没有单位"),
                ("Nnindcd", "行业代码C", "没有单位"), ("OWNERSHIPTYPE", "股权性质", "没有单位"),
                ("PROVINCE", "所属省份", "没有单位")],
    "balance_sheet": [("Stkcd", "证券代码", "没有单位"), ("ShortName", "证券简称", "没有单位"),
                      ("Accper", "会计期间", "没有单位"), ("Typrep", "报表类型", "没有单位"),
                      ("A001000000", "资产总计", "元"), ("A002000000", "负债合计", "元"),
                      ("A003000000", "所有者权益合计", "元")],
    "income_statement": [("Stkcd", "证券代码", "没有单位"), ("ShortName", "证券简称", "没有单位"),
                         ("Accper", "会计期间", "没有单位"), ("Typrep", "报表类型", "没有单位"),
                         ("B001100000", "营业总收入", "元"), ("B001101000", "营业收入", "元"),
                         ("B002000000", "净利润", "元")],
    "segments": [("Stkcd", "证券代码", "没有单位"), ("EndDate", "截止日期", "没有单位"),
                 ("Classification", "分类类型", "没有单位"), ("MainBusiness", "项目名称", "没有单位"),
                 ("MainBusinessIncome", "主营业务收入", "元"), ("MainBusinessCost", "主营业务成本", "元")],
    "industry_history": [("Symbol", "证券代码", "没有单位"), ("ImplementDate", "实施日期", "没有单位"),
                         ("IndustryCode", "行业代码", "没有单位")],
    "market_value": [("Stkcd", "证券代码", "没有单位"), ("Trdynt", "交易年份", "没有单位"),
                     ("Ysmvttl", "年个股总市值", "千元")],
    "shareholders": [("Stkcd", "证券代码", "没有单位"), ("Reptdt", "统计截止日期", "没有单位"),
                     ("Shrcr1", "第一大股东持股比例", "%")],
    "rd": [("Symbol", "证券代码", "没有单位"), ("EndDate", "截止日期", "没有单位"),
           ("RDSpendSum", "研发投入金额", "元")],
    "patents": [("Symbol", "证券代码", "没有单位"), ("Year", "年份", "没有单位"),
                ("InventionApply", "发明专利申请数", "件"), ("InventionGrant", "发明专利获得数", "件")],
}
#: the files of the mechanism extension (R&D expense, invention patents)
RD_FILE = "PT_LCRDSpend.csv"
PATENT_FILE = "PT_PatentApply.csv"

#: random stream of the companies' provinces (the mechanism's streams are 9, 11-13, the extra tables' 3)
PROVINCE_STREAM = 14
#: provinces of the demo firms, drawn by region (East, Central, West) with these shares, as full names
#: (广东省), short names (广东) or blank (no province: a firm without a region) with these shares
PROVINCE_REGION_SHARES = {"east": 0.68, "central": 0.18, "west": 0.14}
PROVINCE_FORM_SHARES = {"full": 0.7, "short": 0.27, "blank": 0.03}

_NAME_A = "华中东南西北恒瑞宏远金宇四方天工瑞达鼎盛新科海通凯利永安"
_NAME_B = ("科技", "股份", "机械", "电气", "制造", "精工", "重工", "生物", "材料", "智造")


def params_from_config(demo_cfg: dict[str, Any]) -> DemoParams:
    """DemoParams from the ``demo`` section of the config (unknown keys are rejected)."""
    cfg = dict(demo_cfg)
    model_cfg = cfg.pop("truth", {}) or {}
    model = TrueModel(**model_cfg) if model_cfg else TrueModel()
    return DemoParams(**cfg, model=model)


def _csmar_rows(table: str, frame: pd.DataFrame) -> list[list[str]]:
    cols = HEADERS[table]
    rows = [[c[0] for c in cols], [c[1] for c in cols], [c[2] for c in cols]]
    rows += frame[[c[0] for c in cols]].astype(str).values.tolist()
    return rows


def _write_text(path: Path, rows: list[list[str]], encoding: str, sep: str = ",") -> None:
    buf = io.StringIO()
    for r in rows:
        buf.write(sep.join(f'"{v}"' if sep in v else v for v in r) + "\r\n")
    path.write_bytes(buf.getvalue().encode(encoding))


def write_xlsx(path: Path, rows: list[list[str]], numeric_from_row: int = 3,
               text_columns: tuple[int, ...] = (0,), csmar_dimension: bool = False) -> None:
    """Write an xlsx with a fixed timestamp in its metadata and zip entries (byte-reproducible).

    ``csmar_dimension``: lay the sheet out as genuine CSMAR workbooks are: the sheet is named
    ``sheet1`` and declares its data range as column A only (``<dimension ref="A1:A<n>"/>``), which
    a reader that trusts the declaration sees as a one-column table.
    """
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    if csmar_dimension:
        ws.title = "sheet1"
    for i, r in enumerate(rows):
        out = []
        for j, v in enumerate(r):
            if i >= numeric_from_row and j not in text_columns and re.fullmatch(r"-?\d+(\.\d+)?", v):
                out.append(float(v))
            else:
                out.append(v)
        ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    fixed = (2024, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in sorted(zin.infolist(), key=lambda i: i.filename):
            data = zin.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-01-01T00:00:00Z", data)
            if csmar_dimension and item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="A1:A{len(rows)}"/>'.encode(), data)
            zout.writestr(zipfile.ZipInfo(item.filename, date_time=fixed), data)


def _csv_one_header(frame: pd.DataFrame, columns: list[str]) -> list[list[str]]:
    """Rows of a CSMAR table as its csv download writes them: ONE header row (field codes) and stock
    codes without their leading zeros (000001 -> 1)."""
    body = frame[columns].astype(str).values.tolist()
    for r in body:
        r[0] = str(int(r[0]))
    return [columns] + body


def des_text(table: str, fields: list[tuple[str, str, str]]) -> bytes:
    """CSMAR's field-description file ``<TABLE>[DES][xlsx].txt`` (UTF-8, CRLF): one line per field,
    ``code [label] - unit``."""
    return "".join(f"{c} [{label}] - {unit}\r\n" for c, label, unit in fields).encode("utf-8")


def write_csmar_zip(path: Path, table: str, xlsx_rows: list[list[str]], fields: list[tuple[str, str, str]]) -> None:
    """A CSMAR download as it arrives: a zip holding the xlsx (declared range column A only), the
    field description ``<TABLE>[DES][xlsx].txt`` and a copyright PDF; UTF-8 entry names, fixed
    timestamps (byte-reproducible)."""
    buf = io.BytesIO()
    tmp = path.with_suffix(".tmp.xlsx")
    write_xlsx(tmp, xlsx_rows, csmar_dimension=True)
    fixed = (2024, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo(f"{table}.xlsx", date_time=fixed), tmp.read_bytes())
        z.writestr(zipfile.ZipInfo(f"{table}[DES][xlsx].txt", date_time=fixed), des_text(table, fields))
        z.writestr(zipfile.ZipInfo("Copyright_Declaration 版权声明.pdf", date_time=fixed), b"%PDF-1.4\n%%EOF\n")
    tmp.unlink()
    path.write_bytes(buf.getvalue())


def _money(x: np.ndarray) -> np.ndarray:
    return np.round(x, 2)


def _fmt(x: float) -> str:
    return f"{x:.2f}"


def generate_demo(out_dir: str | Path, params: DemoParams, seed: int,
                  progress: Callable[[str], None] = print,
                  mechanism: MechanismTruth | None = None,
                  coupling_config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Generate the demo raw data under ``out_dir``; returns the truth dictionary written.

    Also writes the mechanism extension (:mod:`analysis.demo.mechanism`: R&D expense and patent
    files, service lines entering over time, Tobin's Q driven by the coupling degree D computed with
    ``coupling_config`` - the ``mechanism`` section of the config -, ``truth_mechanism.json`` and
    ``truth_mechanism_firm_years.csv``) from random streams of its own, so the ROA model's data are
    the same as without it."""
    out_dir = Path(out_dir)
    csmar_dir = out_dir  # vendor files live directly under data_raw/<source>/
    reports_dir = out_dir / "reports"
    csmar_dir.mkdir(parents=True, exist_ok=True)
    reports_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    dictionary = load_dictionary()
    terms = list(dictionary.terms)
    check_building_blocks(terms)

    firms = dgp.draw_firms(rng, params)
    fy = dgp.draw_firm_years(rng, firms, params)
    progress(f"demo: {len(firms)} firms, {len(fy)} firm-years")
    names = {f: _NAME_A[int(rng.integers(0, len(_NAME_A)))] + _NAME_A[int(rng.integers(0, len(_NAME_A)))]
             + _NAME_B[int(rng.integers(0, len(_NAME_B)))] for f in firms["firm"]}

    # ---- revenue by segment -> Serv (measured exactly as the pipeline measures it)
    n_prod = rng.integers(1, 4, len(firms))
    n_serv = rng.integers(1, 4, len(firms))
    lines = {f: (list(rng.choice(dgp.PRODUCT_SEGMENTS, k1, replace=False)),
                 list(rng.choice(dgp.SERVICE_SEGMENTS, k2, replace=False)))
             for f, k1, k2 in zip(firms["firm"], n_prod, n_serv)}
    mech = mechanism or MechanismTruth()
    service_rng = np.random.default_rng([seed, SERVICE_STREAM])
    entry, extra_lines = demo_mechanism.service_line_entry(service_rng, firms, fy, lines, params, mech)
    seg_rows = []
    serv, main_rev = [], []
    written_service, written_total, written_lines = [], [], []
    no_segments = rng.random(len(fy)) < params.share_missing_segments
    for k, r in enumerate(fy.itertuples(index=False)):
        revenue = float(np.exp(r.size_latent - 0.2 + rng.normal(0, 0.1)))
        prods, servs = lines[r.firm]
        s_target = r.serv_target
        sv = _money(s_target * revenue * rng.dirichlet(np.ones(len(servs)))) if s_target > 0 else np.zeros(0)
        pv = _money((1 - s_target) * revenue * rng.dirichlet(np.ones(len(prods))))
        total_main = float(sv.sum() + pv.sum())
        serv.append(float(sv.sum()) / total_main)
        main_rev.append(total_main)
        # service lines not yet entered: their revenue is reported under the first line
        active = np.array([e <= r.year for e in entry[r.firm]][:len(sv)], dtype=bool)
        sv_written = np.where(active, sv, 0.0)
        extras: list[tuple[str, float]] = []
        if len(sv):
            sv_written[0] += sv[~active].sum()
            for name, year_in, frac in extra_lines[r.firm]:
                if year_in <= r.year:
                    extras.append((name, float(_money(sv[0] * frac))))
            sv_written[0] -= sum(v for _, v in extras)
        if no_segments[k]:
            written_service.append(np.nan)
            written_total.append(np.nan)
            written_lines.append(())
            continue
        date = f"{r.year}-12-31"
        for seg, v in zip(prods, pv):
            seg_rows.append((r.firm, date, "按产品", seg, _fmt(v), _fmt(v * rng.uniform(0.55, 0.85))))
        for seg, v, on in zip(servs, sv_written, active):
            cost = rng.uniform(0.55, 0.85)  # drawn for every line, so the stream does not depend on entry
            if on:
                seg_rows.append((r.firm, date, "按产品", seg, _fmt(v), _fmt(v * cost)))
        for seg, v in extras:  # cost drawn from the extension's own stream
            seg_rows.append((r.firm, date, "按产品", seg, _fmt(v), _fmt(v * service_rng.uniform(0.55, 0.85))))
        written_service.append(sum(float(_fmt(v)) for v in sv_written[active]) + sum(float(_fmt(v)) for _, v in extras))
        written_total.append(written_service[-1] + sum(float(_fmt(v)) for v in pv))
        written_lines.append(tuple(s for s, on in zip(servs, active) if on) + tuple(n for n, _ in extras))
        seg_rows.append((r.firm, date, "按产品", "合计", _fmt(total_main), ""))
        if rng.random() < 0.2:
            seg_rows.append((r.firm, date, "按产品", "其他业务", _fmt(total_main * 0.01), ""))
        share = rng.uniform(0.3, 0.8)
        for seg, v in zip(rng.choice(dgp.REGION_SEGMENTS, 2, replace=False), (share, 1 - share)):
            seg_rows.append((r.firm, date, "按地区", str(seg), _fmt(total_main * v), ""))
    fy["serv"] = serv  # true share; firm-years without segment rows cannot measure it
    fy["has_segments"] = ~no_segments
    fy["service_revenue"], fy["segment_revenue"] = written_service, written_total
    fy["service_lines"] = written_lines

    # ---- report texts -> Dig = ln(1 + count)
    weights = np.array([3.0 if t in ("大数据", "人工智能", "物联网", "云计算", "工业互联网", "电子商务")
                        else 1.0 for t in terms])
    weights /= weights.sum()
    missing_report = rng.random(len(fy)) < params.share_missing_report
    mdna_counts = np.zeros(len(fy), dtype=int)
    for k, r in enumerate(fy.itertuples(index=False)):
        counts = rng.multinomial(int(r.dig_count), weights)
        mentions = [t for t, c in zip(terms, counts) for _ in range(int(c))]
        mentions = [mentions[i] for i in rng.permutation(len(mentions))]
        text, in_mdna = report_text(rng, name=names[r.firm], year=int(r.year), mentions=mentions)
        mdna_counts[k] = in_mdna
        if k % 500 == 0:
            found = reference_count(text, terms)
            if found != int(r.dig_count):
                raise AssertionError(f"demo report {r.firm}_{r.year}: wrote {r.dig_count} mentions, "
                                     f"an independent count finds {found}")
            progress(f"demo: reports {k}/{len(fy)}")
        if not missing_report[k]:
            (reports_dir / f"{r.firm}_{r.year}_annual_report.txt").write_text(text, encoding="utf-8")
    fy["dig"] = np.log1p(fy["dig_count"].astype(float))  # true index; missing reports hide it
    fy["dig_count_mdna"] = mdna_counts
    fy["has_report"] = ~missing_report

    # ---- statements (annual consolidated numbers as written)
    assets = _money(np.exp(fy["size_latent"].to_numpy()))
    liab = _money(fy["lev_latent"].to_numpy() * assets)
    other_rev = _money(np.array(main_rev) * rng.uniform(0.0, 0.03, len(fy)))
    fin = pd.DataFrame({"firm": fy["firm"], "year": fy["year"], "total_assets": assets,
                        "total_liabilities": liab, "total_equity": _money(assets - liab),
                        "total_revenue": _money(np.array(main_rev) + other_rev)})
    outcomes = dgp.compute_outcomes(rng, fy, fin, params)
    fin["net_profit"] = outcomes["net_profit"].to_numpy()
    fy["roa"] = outcomes["roa"].to_numpy()

    st = (fy["year"] >= fy["st_start"]) & (fy["year"] <= fy["st_end"])
    st_prefix = np.where(rng.random(len(fy)) < 0.5, "ST", "*ST")
    short = [f"{p}{names[f]}" if s else names[f] for f, s, p in zip(fy["firm"], st, st_prefix)]
    fin["short_name"] = short
    fy["is_st"] = st.to_numpy()

    def statement_rows(kind: str) -> pd.DataFrame:
        rows = []
        for k, r in enumerate(fin.itertuples(index=False)):
            base = {"Stkcd": r.firm, "ShortName": r.short_name, "Accper": f"{r.year}-12-31", "Typrep": "A"}
            if kind == "balance_sheet":
                vals = {"A001000000": _fmt(r.total_assets), "A002000000": _fmt(r.total_liabilities),
                        "A003000000": _fmt(r.total_equity)}
            else:
                vals = {"B001100000": _fmt(r.total_revenue), "B001101000": _fmt(r.total_revenue),
                        "B002000000": _fmt(r.net_profit)}
            rows.append({**base, **vals})
            if rng.random() < 0.6:  # parent-company statement
                rows.append({**base, "Typrep": "B", **{c: _fmt(float(v) * rng.uniform(0.4, 0.9)) for c, v in vals.items()}})
            if rng.random() < 0.4:  # semiannual report
                rows.append({**base, "Accper": f"{r.year}-06-30", **{c: _fmt(float(v) * rng.uniform(0.4, 0.6)) for c, v in vals.items()}})
        frame = pd.DataFrame(rows)
        annual_a = (frame["Typrep"] == "A") & frame["Accper"].str.endswith("12-31")
        mess = rng.random(len(frame))
        if kind == "balance_sheet":
            frame.loc[annual_a & (mess < params.share_missing_value), "A002000000"] = "--"
        else:
            frame.loc[annual_a & (mess < params.share_missing_value / 2), "B002000000"] = ""
        dup = frame[rng.random(len(frame)) < params.share_duplicate_rows]
        return pd.concat([frame, dup]).sort_values(["Stkcd", "Accper", "Typrep"], kind="stable")

    bs = statement_rows("balance_sheet")
    inc = statement_rows("income_statement")
    fy["liabilities_missing"] = fy.set_index(["firm", "year"]).index.isin(
        bs[(bs["A002000000"] == "--")].assign(year=lambda d: d["Accper"].str[:4].astype(int))
        .set_index(["Stkcd", "year"]).index)
    fy["net_profit_missing"] = fy.set_index(["firm", "year"]).index.isin(
        inc[(inc["B002000000"] == "")].assign(year=lambda d: d["Accper"].str[:4].astype(int))
        .set_index(["Stkcd", "year"]).index)

    company = pd.DataFrame({
        "Stkcd": firms["firm"], "Stknme": [names[f] for f in firms["firm"]],
        "Estbdt": [f"{y}-{m:02d}-15" for y, m in zip(firms["founded_year"], rng.integers(1, 13, len(firms)))],
        "Listdt": [f"{y}-{m:02d}-20" for y, m in zip(firms["listed_year"], rng.integers(1, 13, len(firms)))],
        "Nnindcd": firms["industry"], "OWNERSHIPTYPE": np.where(firms["soe"] == 1, "国企", "民营"),
    })

    company["PROVINCE"] = draw_provinces(np.random.default_rng([seed, PROVINCE_STREAM]), len(firms))

    # ---- extra tables: industry history, market value, largest shareholder. They use their own
    # random stream (drawn after everything above), so the statements, measures and true model
    # are the same as without them.
    extra = np.random.default_rng([seed, 3])
    history, current, industry_fy = _industry_history(extra, firms, fy, params)
    company["Nnindcd"] = company["Stkcd"].map(current)  # the company file carries today's code
    fy["industry"] = industry_fy  # the code valid in each year (what the sample filter must use)
    fy["in_panel"] = demo_mechanism.expected_panel(fy)

    # ---- mechanism extension: R&D, patents, coupling D over the expected panel, Tobin's Q from D
    rd_rows, rd_fy = _rd_expense(np.random.default_rng([seed, RD_STREAM]), firms, fy, fin, mech)
    patent_rows, patent_fy = demo_mechanism.patents(np.random.default_rng([seed, PATENT_STREAM]), firms, fy, mech)
    ind = demo_mechanism.indicators(fy, rd_fy, patent_fy, fin["total_revenue"].to_numpy(float))
    coupling, coupling_info = demo_mechanism.coupling_truth(ind, fy["in_panel"].to_numpy(bool), coupling_config)
    tq_shock = demo_mechanism.shock_term(fy, fy["in_panel"].to_numpy(bool), mech)
    tq_target = demo_mechanism.tobin_q(np.random.default_rng([seed, TQ_STREAM]), firms, fy,
                                       coupling["ccd"].to_numpy(float), tq_shock, mech)
    mv_rows, sh_rows, fy["tobin_q"], fy["top1"] = _market_and_owners(extra, firms, fin, params, tq_target)

    progress("demo: writing CSMAR-style files")
    # as CSMAR distributes them: TRD_Co as a csv with one header row and codes without leading
    # zeros (ownership in OWNERSHIPTYPE); workbooks declaring column A only; one table as a zip
    _write_text(csmar_dir / "TRD_Co.csv", _csv_one_header(company, list(company.columns)), "utf-8")
    _write_text(csmar_dir / "FS_Combas.csv", _csmar_rows("balance_sheet", bs), "gbk")
    years = inc["Accper"].str[:4].astype(int)
    split = (params.first_year + params.last_year) // 2
    _write_text(csmar_dir / f"FS_Comins_{params.first_year}-{split}.csv",
                _csmar_rows("income_statement", inc[years <= split]), "utf-8-sig")
    write_xlsx(csmar_dir / f"FS_Comins_{split + 1}-{params.last_year}.xlsx",
               _csmar_rows("income_statement", inc[years > split]), csmar_dimension=True)
    seg = pd.DataFrame(seg_rows, columns=[c[0] for c in HEADERS["segments"]])
    _write_text(csmar_dir / "FN_Fn045.txt", _csmar_rows("segments", seg), "utf-16", sep="\t")
    _write_text(csmar_dir / "STK_IndustryClass.csv", _csmar_rows("industry_history", history), "utf-8")
    _write_text(csmar_dir / "TRD_Year.csv", _csmar_rows("market_value", mv_rows), "gbk")
    write_csmar_zip(csmar_dir / "HLD_CR.zip", "HLD_CR", _csmar_rows("shareholders", sh_rows), HEADERS["shareholders"])

    _write_text(csmar_dir / RD_FILE, _csmar_rows("rd", rd_rows), "utf-8")
    _write_text(csmar_dir / PATENT_FILE, _csmar_rows("patents", patent_rows), "utf-8")
    mech_fy = pd.concat([rd_fy, patent_fy.drop(columns=["firm", "year"]),
                         ind.drop(columns=["firm", "year"]), coupling,
                         pd.DataFrame({"in_panel": fy["in_panel"].to_numpy(), "serv": fy["serv"].to_numpy(),
                                       "dig": fy["dig"].to_numpy(), "tobin_q": fy["tobin_q"].to_numpy(),
                                       "tq_shock": tq_shock})], axis=1)
    mech_fy.to_csv(out_dir / "truth_mechanism_firm_years.csv", index=False, float_format="%.17g")
    (out_dir / "truth_mechanism.json").write_text(
        json.dumps(_mechanism_truth(mech, coupling_info, rd_rows, patent_rows, coupling), indent=2,
                   ensure_ascii=False) + "\n", encoding="utf-8")

    truth_fy = fy[["firm", "year", "industry", "soe", "is_st", "has_segments", "has_report",
                   "liabilities_missing", "net_profit_missing", "in_panel", "serv", "dig", "dig_count",
                   "dig_count_mdna", "roa", "tobin_q", "top1"]]
    truth_fy.to_csv(out_dir / "truth_firm_years.csv", index=False, float_format="%.17g")
    truth = {
        "description": "True model of the demo sample: ROA = firm effect + year effect + b1*serv + "
                       "b2*serv^2 + b3*dig + b4*serv*dig + b5*serv^2*dig + controls + noise",
        "seed": seed,
        "params": {k: v for k, v in asdict(replace(params)).items() if k != "model"},
        "model": params.model.to_dict(),
        "turning_point_at_dig0": float(params.model.turning_point(0.0)),
        "dictionary": {"name": dictionary.name, "version": dictionary.version},
        "n_firms": int(len(firms)),
        "n_firm_years": int(len(fy)),
    }
    (out_dir / "truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
    progress(f"demo: wrote {out_dir}")
    return truth


def draw_provinces(rng: np.random.Generator, n: int) -> list[str]:
    """The PROVINCE column of the demo's TRD_Co: a region by :data:`PROVINCE_REGION_SHARES`, a
    province of it uniformly, written in full, short or left blank by :data:`PROVINCE_FORM_SHARES`.
    Drawn from a stream of its own (:data:`PROVINCE_STREAM`), so every other demo file is unchanged."""
    from analysis.regions import province_table

    table = province_table()
    regions = list(PROVINCE_REGION_SHARES)
    region = rng.choice(len(regions), n, p=list(PROVINCE_REGION_SHARES.values()))
    form = rng.choice(list(PROVINCE_FORM_SHARES), n, p=list(PROVINCE_FORM_SHARES.values()))
    out = []
    for r, f in zip(region, form):
        rows = table[table["region"] == regions[r]]
        row = rows.iloc[int(rng.integers(0, len(rows)))]
        out.append("" if f == "blank" else row["province"] if f == "full" else row["short"])
    return out


def _industry_history(rng: np.random.Generator, firms: pd.DataFrame, fy: pd.DataFrame,
                      params: DemoParams) -> tuple[pd.DataFrame, dict[str, str], np.ndarray]:
    """Industry spells: every firm's code from its listing on; some firms switch once (from July 1
    of a switch year, so the new code is the one valid at that year's end). Returns the history
    rows (CSMAR layout), each firm's current code and the code valid in each firm-year of ``fy``."""
    n = len(firms)
    switch = rng.random(n) < params.share_industry_switch
    switch_year = rng.integers(params.first_year + 1, params.last_year + 1, n)
    to_manuf = rng.random(n) < 0.5
    new_code = np.where(to_manuf, [f"C{c}" for c in rng.integers(13, 44, n)],
                        rng.choice(np.array(dgp.NON_MANUFACTURING), n))
    rows, current, switch_at = [], {}, {}
    for f, old, listed, sw, sy, new in zip(firms["firm"], firms["industry"], firms["listed_year"],
                                          switch, switch_year, new_code):
        sy = max(int(sy), int(listed) + 1)  # a switch after the listing
        rows.append({"Symbol": f, "ImplementDate": f"{int(listed)}-01-01", "IndustryCode": old})
        current[f] = old
        if sw and new != old:
            rows.append({"Symbol": f, "ImplementDate": f"{int(sy)}-07-01", "IndustryCode": new})
            current[f] = new
            switch_at[f] = (int(sy), new)
    by_firm = dict(zip(firms["firm"], firms["industry"]))
    industry_fy = np.array([switch_at[f][1] if f in switch_at and y >= switch_at[f][0] else by_firm[f]
                            for f, y in zip(fy["firm"], fy["year"])], dtype=object)
    return pd.DataFrame(rows), current, industry_fy


def _market_and_owners(rng: np.random.Generator, firms: pd.DataFrame, fin: pd.DataFrame,
                       params: DemoParams, tobin_q: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    """Year-end market value of equity (TRD_Year, thousand yuan) that gives each firm-year of ``fin``
    the target ``tobin_q``, and the largest shareholder's stake (HLD_CR, percent; half-year rows
    too). Returns both tables and the Tobin's Q (as written, to the rounding of the market value)
    and Top1 of each firm-year (NaN where the market value is withheld)."""
    n = len(fin)
    equity = tobin_q * fin["total_assets"].to_numpy() - fin["total_liabilities"].to_numpy()
    if np.any(equity <= 0):
        k = int(np.argmax(equity <= 0))
        raise ValueError(f"demo: Tobin's Q {tobin_q[k]:.3f} of {fin['firm'].iloc[k]} {fin['year'].iloc[k]} is below "
                         "its leverage (market value of equity <= 0): lower tq_noise_sd/tq_firm_sd or raise tq_mean")
    mv_thousand = np.round(equity / 1000.0, 2)
    withheld = rng.random(n) < params.share_missing_market_value
    mv_rows = pd.DataFrame({"Stkcd": fin["firm"].to_numpy(), "Trdynt": fin["year"].astype(str).to_numpy(),
                            "Ysmvttl": [_fmt(v) for v in mv_thousand]})[~withheld]
    tq = np.where(withheld, np.nan, (mv_thousand * 1000.0 + fin["total_liabilities"].to_numpy())
                  / fin["total_assets"].to_numpy())
    base = dict(zip(firms["firm"], rng.uniform(12.0, 65.0, len(firms))))
    pct = np.round(np.clip([base[f] for f in fin["firm"]] + rng.normal(0, 2.0, n), 1.0, 99.0), 2)
    half = np.round(np.clip(pct + rng.normal(0, 1.0, n), 1.0, 99.0), 2)
    sh = pd.concat([
        pd.DataFrame({"Stkcd": fin["firm"].to_numpy(), "Reptdt": [f"{y}-06-30" for y in fin["year"]],
                      "Shrcr1": [_fmt(v) for v in half]}),
        pd.DataFrame({"Stkcd": fin["firm"].to_numpy(), "Reptdt": [f"{y}-12-31" for y in fin["year"]],
                      "Shrcr1": [_fmt(v) for v in pct]}),
    ]).sort_values(["Stkcd", "Reptdt"], kind="stable")
    return mv_rows, sh, tq, pct / 100.0


def _rd_expense(rng: np.random.Generator, firms: pd.DataFrame, fy: pd.DataFrame, fin: pd.DataFrame,
                m: MechanismTruth) -> tuple[pd.DataFrame, pd.DataFrame]:
    """R&D expense rows (CSMAR PT_LCRDSpend layout, yuan) from the mechanism truth, and the per
    firm-year truth (whether the row was written, the expense, the true R&D intensity)."""
    n = len(fy)
    firm_effect = dict(zip(firms["firm"], rng.normal(0.0, m.firm_sd, len(firms))))
    year_effect = rng.normal(0.0, m.year_sd, int(fy["year_index"].max()) + 1)
    ln_int = (m.ln_rd_mean + fy["firm"].map(firm_effect).to_numpy() + year_effect[fy["year_index"].to_numpy()]
              + m.g_dig * fy["dig"].to_numpy() + rng.normal(0.0, m.noise_sd, n))
    revenue = fin["total_revenue"].to_numpy()  # written as both total and operating revenue
    expense = _money(np.exp(ln_int) * revenue)
    withheld = rng.random(n) < m.share_missing_rd
    rows = pd.DataFrame({"Symbol": fy["firm"].to_numpy(), "EndDate": [f"{y}-12-31" for y in fy["year"]],
                         "RDSpendSum": [_fmt(v) for v in expense]})[~withheld]
    truth_fy = pd.DataFrame({"firm": fy["firm"].to_numpy(), "year": fy["year"].to_numpy(),
                             "has_rd": ~withheld, "rd_expense": expense,
                             "ln_rd_intensity_latent": ln_int})
    return rows, truth_fy


def _mechanism_truth(m: MechanismTruth, coupling_info: dict[str, Any], rd_rows: pd.DataFrame,
                     patent_rows: pd.DataFrame, coupling: pd.DataFrame) -> dict[str, Any]:
    """truth_mechanism.json: the model, the known true values of each link and what is not known."""
    d = coupling["ccd"].dropna()
    return {
        "description": "Mechanism truth of the demo (analysis/demo/dgp.py MechanismTruth, "
                       "analysis/demo/mechanism.py). Product innovation: ln(rd_expense / operating_revenue) = "
                       "ln_rd_mean + firm + year + g_dig * dig + noise; invention applications ~ Poisson(exp("
                       "patent_mean + firm + patent_dig * dig)), grants ~ Binomial(applications, grant_rate). "
                       "Service innovation: further service lines enter over time (earlier for more digital "
                       "firms). Tobin's Q = tq_mean + firm + year + q_serv S + q_serv_sq S^2 + q_ccd D + "
                       "q_serv_ccd S D + q_serv_sq_ccd S^2 D + noise, with D the coupling coordination degree "
                       "computed by the generator over the expected panel with the package's own functions "
                       "(columns ccd/u1/u2 of truth_mechanism_firm_years.csv); Dig has no direct effect on Q.",
        "model": m.to_dict(),
        "coupling_config": {k: v for k, v in coupling_info.items() if not k.endswith("_weights")},
        "coupling_weights": {k: v for k, v in coupling_info.items() if k.endswith("_weights")},
        "known": {
            "link_a_ln_rd_intensity_on_dig": m.g_dig,
            "link_a_ccd_on_dig_sign": 1,
            "link_b_outcome": "tobin_q",
            "link_b_coefficients": m.tq_coefficients(),
            "link_c_outcome": "tobin_q",
            "link_c_direct_effect": 0.0,
            "link_c_b_path": "q_ccd + q_serv_ccd * serv + q_serv_sq_ccd * serv^2 (the effect of D at serv)",
            "link_e_shock": {"year": m.shock_year, "mean_drop": m.shock_mean,
                             "less_drop_per_unit_pre_shock_dig": m.shock_dig,
                             "share_left_the_year_after": m.shock_persistence},
            "link_d_ccd_effect": "within a stage: the mean of q_ccd + q_serv_ccd * serv + q_serv_sq_ccd * serv^2 "
                                 "over the stage's estimation sample (approximate: a linear model in D fitted "
                                 "to a heterogeneous effect)",
        },
        "not_known": {
            "link_a_ccd_on_dig": "D is a nonlinear, sample-normalized transform of the indicators: only the sign "
                                 "of Dig's effect on D is implied",
            "link_c_a_path": "the a path (D on Dig) is a linear projection of that transform, not a parameter",
            "link_e": "the resilience regressions (drop, recovery, net change on pre-shock Serv and Dig) "
                      "mix the shock (tq_shock) with the curve's changes: their true values are pseudo-true "
                      "(the same regression on the noise-free part of Tobin's Q), computed in the test",
            "roa": "ROA follows the main true model (truth.json) and does not depend on D",
        },
        "ccd_distribution": {"n": int(len(d)), "mean": float(d.mean()), "sd": float(d.std()),
                             "p10": float(d.quantile(0.1)), "p50": float(d.quantile(0.5)),
                             "p90": float(d.quantile(0.9))},
        "n_rd_rows": int(len(rd_rows)),
        "n_patent_rows": int(len(patent_rows)),
    }
