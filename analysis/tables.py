"""Regression and sample tables built from saved tidy results (no re-estimation).

A table is a small data structure (:class:`Table`: header, body rows, footer rows, notes) rendered
to Markdown or LaTeX (booktabs). Labels come from ``analysis/data/labels.yaml`` in English or
Chinese.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import pandas as pd
import yaml

from analysis.estimation import ModelResult

LABELS_FILE = Path(__file__).parent / "data" / "labels.yaml"


@lru_cache(maxsize=None)
def _labels() -> dict[str, dict[str, str]]:
    return yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))


def label(key: str, language: str = "en") -> str:
    """Label of a variable or row key; the key itself when the label file has none."""
    entry = _labels().get(key)
    return entry.get(language, entry.get("en", key)) if entry else key


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]
    footer: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_markdown(self) -> str:
        def line(cells: Sequence[str]) -> str:
            return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

        out = [f"**{self.title}**", "", line(self.header),
               "|" + "|".join([":---"] + ["---:"] * (len(self.header) - 1)) + "|"]
        out += [line(r) for r in self.rows + self.footer]
        out += [""] + [f"*{n}*" for n in self.notes]
        return "\n".join(out) + "\n"

    def to_latex(self) -> str:
        def esc(s: str) -> str:
            s = s.replace("\\", r"\textbackslash{}")
            for ch in "&%$#_{}":
                s = s.replace(ch, "\\" + ch)
            s = s.replace("²", r"$^2$").replace("×", r"$\times$").replace("***", r"$^{***}$")
            s = s.replace("**", r"$^{**}$").replace("*", r"$^{*}$")
            return s.replace("$$", "")

        def line(cells: Sequence[str]) -> str:
            return " & ".join(esc(c) for c in cells) + r" \\"

        cols = "l" + "c" * (len(self.header) - 1)
        out = [r"\begin{table}[htbp]", r"\centering", rf"\caption{{{esc(self.title)}}}",
               rf"\begin{{tabular}}{{{cols}}}", r"\toprule", line(self.header), r"\midrule"]
        out += [line(r) for r in self.rows]
        if self.footer:
            out.append(r"\midrule")
            out += [line(r) for r in self.footer]
        out += [r"\bottomrule", r"\end{tabular}"]
        if self.notes:
            out += [r"\par\smallskip", r"\begin{minipage}{0.9\linewidth}\footnotesize"]
            out += [esc(n) + r"\par" for n in self.notes]
            out.append(r"\end{minipage}")
        out.append(r"\end{table}")
        return "\n".join(out) + "\n"


def stars(p: float) -> str:
    if p is None or not math.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def _num(x: Any, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return ""
    return f"{x:.{digits}f}"


def _p_two_sided(coef: float, se: float, df: float) -> float:
    from scipy import stats

    return float(2 * stats.t.sf(abs(coef / se), df)) if se > 0 else float("nan")


def regression_table(results: Sequence[ModelResult], title: str, language: str = "en",
                     extra_rows: Sequence[tuple[str, Sequence[str]]] = ()) -> Table:
    """Coefficients with stars and SE in parentheses, then N, clusters, within R2, FE, clustering."""
    order: list[str] = []
    for r in results:
        for n in r.names:
            if n not in order:
                order.append(n)
    header = [""] + [f"({i + 1}) {label(r.spec['outcome'], language)}" for i, r in enumerate(results)]
    rows: list[list[str]] = []
    for name in order:
        coef_row, se_row = [label(name, language)], [""]
        for r in results:
            if name in r.names:
                i = r.names.index(name)
                p = _p_two_sided(r.coef[i], r.se[i], r.df_t)
                coef_row.append(f"{_num(r.coef[i])}{stars(p)}")
                se_row.append(f"({_num(r.se[i])})")
            else:
                coef_row.append("")
                se_row.append("")
        rows += [coef_row, se_row]
    footer = [[label(key, language)] + list(cells) for key, cells in extra_rows]
    footer += [
        [label("n_obs", language)] + [f"{r.n_obs:,}" for r in results],
        [label("n_clusters", language)] + [f"{r.n_clusters:,}" if r.n_clusters else "" for r in results],
        [label("r2_within", language)] + [_num(r.r2_within, 3) for r in results],
        [label("fixed_effects", language)] + [", ".join(label(f, language) for f in r.spec["fixed_effects"])
                                              for r in results],
        [label("cluster", language)] + [label(r.spec["cluster"], language) if r.spec["cluster"] else "HC1"
                                        for r in results],
    ]
    notes = ["Standard errors clustered by firm in parentheses (CRV1, G-1 degrees of freedom). "
             "* p<0.1, ** p<0.05, *** p<0.01."]
    return Table(title=title, header=header, rows=rows, footer=footer, notes=notes)


def _interval(lo: Any, hi: Any, kind: str) -> str:
    if kind == "whole_line":
        return "(-inf, inf)"
    if kind == "two_rays":
        return f"(-inf, {_num(lo, 3)}] U [{_num(hi, 3)}, inf)"
    return f"[{_num(lo, 3)}, {_num(hi, 3)}]"


def utest_rows(results: Sequence[ModelResult], language: str = "en") -> list[tuple[str, list[str]]]:
    """Turning point with Fieller interval, slopes at the bounds, Sasabuchi p (baseline U-test)."""
    u = [r.extras["utest"] for r in results]
    return [
        ("turning_point", [_num(x["extreme_point"], 3) for x in u]),
        ("fieller_ci", [_interval(x["fieller_lower"], x["fieller_upper"], x["fieller_kind"]) for x in u]),
        ("slope_low", [f"{_num(x['slope_l'], 3)} ({_num(x['t_l'], 2)})" for x in u]),
        ("slope_high", [f"{_num(x['slope_h'], 3)} ({_num(x['t_h'], 2)})" for x in u]),
        ("sasabuchi_p", [_num(x["p_sasabuchi"], 4) for x in u]),
    ]


def moderation_rows(results: Sequence[ModelResult], language: str = "en") -> list[tuple[str, list[str]]]:
    """Turning points (with Fieller sets) at the moderator quantiles and the flattening test."""
    tables = [pd.DataFrame(r.extras["moderation"]) for r in results]
    keys = list(results[0].moderator_values)
    rows: list[tuple[str, list[str]]] = []
    for q in keys:
        tp, ci = [], []
        for t in tables:
            f = t[(t["quantity"] == "turning_point_fieller") & (t["note"] == q)].iloc[0]
            tp.append(_num(f["estimate"], 3))
            ci.append(_interval(f["ci_lower"], f["ci_upper"], f["ci_kind"]))
        name = label("turning_point_at", language).format(q=q)
        rows += [(name, tp), ("fieller_ci", ci)]
    flat = [t[t["quantity"] == "flattening_b5"].iloc[0]["p"] for t in tables]
    rows.append(("flattening_p", [_num(p, 4) for p in flat]))
    return rows


def sample_selection_table(ledger: pd.DataFrame, language: str = "en") -> Table:
    title = "Sample selection" if language == "en" else "样本筛选"
    header = ["Step", "Rule", "Dropped", "Remaining", "Firms"] if language == "en" else \
        ["步骤", "规则", "剔除", "剩余", "企业数"]
    rows = [[str(r.step), str(r.rule), f"{r.rows_dropped:,}" if r.step else "",
             f"{r.rows_remaining:,}", f"{r.firms_remaining:,}"] for r in ledger.itertuples()]
    notes = ["Each step drops the rows listed in data_clean/dropped.parquet with the rule named here; "
             "counts reconcile from the raw balance-sheet rows to the estimation sample."]
    return Table(title=title, header=header, rows=rows, notes=notes)


def descriptives_table(panel: pd.DataFrame, variables: Sequence[str], language: str = "en") -> Table:
    title = "Descriptive statistics" if language == "en" else "描述性统计"
    header = ["Variable", "N", "Mean", "SD", "Min", "P50", "Max"] if language == "en" else \
        ["变量", "观测值", "均值", "标准差", "最小值", "中位数", "最大值"]
    rows = []
    for v in variables:
        x = panel[v].dropna()
        rows.append([label(v, language), f"{len(x):,}", _num(x.mean(), 3), _num(x.std(), 3),
                     _num(x.min(), 3), _num(x.median(), 3), _num(x.max(), 3)])
    return Table(title=title, header=header, rows=rows)


def write_table(table: Table, stem: str | Path) -> None:
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".md").write_text(table.to_markdown(), encoding="utf-8")
    stem.with_suffix(".tex").write_text(table.to_latex(), encoding="utf-8")
