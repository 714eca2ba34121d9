"""Every number the paper quotes, computed from saved results: LaTeX macros and a Markdown paper.

:func:`paper_numbers` turns the saved results (``paper/results/*.json``), the sample ledger and
the panel into an ordered mapping ``macro name -> formatted value``. :func:`macros_tex` writes it
as ``\\newcommand`` lines for ``paper/main.tex`` (``\\input{generated/macros}``) and
:func:`render_markdown` fills the same values into the Markdown template
``paper/paper_template.md`` (``{{Name}}`` for a number, ``{{table:NAME}}`` for a table,
``{{figure:NAME}}`` for a figure). Neither the LaTeX main file nor the template holds a typed
number: tests check that, and that every macro they use exists.

Macro names are letters only (TeX control words): ``baseline_roa`` -> ``BaselineRoa``; the first
configured outcome also gets the prefix ``Main`` (``\\BaselineMainTurningPoint``), so the text does
not change when the outcome does. Moderator quantiles are named ``Low``, ``Median``, ``High``
(first, middle, last of ``moderator_values``).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from analysis.estimation import ModelResult
from analysis.presentation.tables import label, text

_DIGITS = ["Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine"]


def csname(*parts: str) -> str:
    """A TeX control-word name (letters only) from name parts: ('baseline_roa', 'b', 'serv_sq')
    -> 'BaselineRoaBServSq'."""
    out = []
    for part in parts:
        for tok in re.split(r"[^A-Za-z0-9]+", str(part)):
            tok = "".join(_DIGITS[int(c)] if c.isdigit() else c for c in tok)
            if tok:
                out.append(tok[0].upper() + tok[1:])
    return "".join(out)


def fmt(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "--"
    return f"{x:.{digits}f}"


def fmt_int(x: Any) -> str:
    return f"{int(x):,}"


def fmt_p(p: Any) -> str:
    """A p-value as a relation for the text: '= 0.012' or '< 0.001'."""
    if p is None or not math.isfinite(float(p)):
        return "= --"
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def _quantile_names(keys: Sequence[str]) -> dict[str, str]:
    if len(keys) == 3:
        return dict(zip(keys, ("Low", "Median", "High")))
    return {k: csname(k) for k in keys}


def model_numbers(r: ModelResult, prefix: str) -> dict[str, str]:
    """Numbers of one saved model under ``prefix``."""
    out: dict[str, str] = {}
    for n, b, s in zip(r.names, r.coef, r.se):
        out[csname(prefix, "b", n)] = fmt(b, 4)
        out[csname(prefix, "se", n)] = fmt(s, 4)
    out[csname(prefix, "NObs")] = fmt_int(r.n_obs)
    if r.n_clusters:
        out[csname(prefix, "NClusters")] = fmt_int(r.n_clusters)
    if r.r2_within is not None:
        out[csname(prefix, "RTwoWithin")] = fmt(r.r2_within, 3)
    u = r.extras.get("utest")
    if u:
        out[csname(prefix, "TurningPoint")] = fmt(u["extreme_point"], 3)
        out[csname(prefix, "FiellerLower")] = fmt(u["fieller_lower"], 3)
        out[csname(prefix, "FiellerUpper")] = fmt(u["fieller_upper"], 3)
        out[csname(prefix, "SlopeLow")] = fmt(u["slope_l"], 3)
        out[csname(prefix, "SlopeHigh")] = fmt(u["slope_h"], 3)
        out[csname(prefix, "XLow")] = fmt(u["xl"], 3)
        out[csname(prefix, "XHigh")] = fmt(u["xh"], 3)
        out[csname(prefix, "SasabuchiP")] = fmt_p(u["p_sasabuchi"])
    mod = r.extras.get("moderation")
    if mod:
        t = pd.DataFrame(mod)
        for key, qn in _quantile_names(list(r.moderator_values)).items():
            out[csname(prefix, "Z", qn)] = fmt(r.moderator_values[key], 2)
            f = t[(t["quantity"] == "turning_point_fieller") & (t["note"] == key)]
            if len(f):
                out[csname(prefix, "TurningPoint", qn)] = fmt(f.iloc[0]["estimate"], 3)
                out[csname(prefix, "FiellerLower", qn)] = fmt(f.iloc[0]["ci_lower"], 3)
                out[csname(prefix, "FiellerUpper", qn)] = fmt(f.iloc[0]["ci_upper"], 3)
        fl = t[t["quantity"] == "flattening_b5"]
        if len(fl):
            out[csname(prefix, "FlatteningP")] = fmt_p(fl.iloc[0]["p"])
    return out


def verdict_numbers(r: ModelResult, prefix: str, language: str = "en") -> dict[str, str]:
    """Sentences whose wording depends on the results (standard errors fitted, U-test verdict, flattening,
    two-lines test), so the text never claims what the numbers do not show."""
    from analysis.presentation.tables import se_of, se_text

    out: dict[str, str] = {}
    se = se_of(r)
    kw = {"nobs": fmt_int(r.n_obs)}
    if se["type"] == "cluster":
        key = "paper_se_cluster2" if len(se["cluster"]) > 1 else "paper_se_cluster"
        n = se.get("n_clusters") or {}
        kw.update(cluster=se_text(r, language).lower() if language == "en" else se_text(r, language),
                  n=" / ".join(fmt_int(v) for v in n.values()) if n else fmt_int(r.n_clusters or 0),
                  df=f"{r.df_t:g}")
        out[csname(prefix, "SEText")] = text(key, language, **kw)
    else:
        out[csname(prefix, "SEText")] = text(f"paper_se_{se['type']}", language, **kw)
    u = r.extras.get("utest")
    if u and not r.spec.get("moderator"):
        tp, p = fmt(u["extreme_point"], 3), fmt_p(u["p_sasabuchi"])
        inverted = u["slope_l"] > 0 > u["slope_h"]
        if u["reject"] and inverted:
            key = "paper_u_reject"
        elif u["slope_l"] <= 0 <= u["slope_h"]:  # falls, then rises: a U, not an inverted U
            key = "paper_u_not_inverted"
        elif u["extreme_in_interval"]:
            key = "paper_u_inside_not_reject"
        else:
            key = "paper_u_outside"
        out[csname(prefix, "UVerdict")] = text(key, language, tp=tp, p=p)
        level = round(100 * (1 - u["alpha"]))
        out[csname(prefix, "UAbstract")] = text("paper_abstract_u_yes" if key == "paper_u_reject" else "paper_abstract_u_no",
                                                language, outcome=label(r.spec["outcome"], language), tp=tp, p=p,
                                                level=level, lo=fmt(u["fieller_lower"], 3), hi=fmt(u["fieller_upper"], 3))
    fl = r.extras.get("flattening")
    if fl:
        alpha = (u or {}).get("alpha", 0.05)
        yes = fl["p_one_sided"] < alpha
        out[csname(prefix, "FlatteningText")] = text("paper_flat_yes" if yes else "paper_flat_no",
                                                     language, p=fmt_p(fl["p_one_sided"]))
        out[csname(prefix, "FlatteningAbstract")] = text("paper_abstract_flat_yes" if yes else "paper_abstract_flat_no",
                                                         language, p=fmt_p(fl["p_one_sided"]))
    tl = r.extras.get("two_lines")
    if tl:
        out[csname(prefix, "TwoLinesText")] = text("paper_two_lines_yes" if tl["supported"] else "paper_two_lines_no",
                                                   language, xc=fmt(tl["breakpoint"], 3), b1=fmt(tl["b1"], 3),
                                                   b2=fmt(tl["b2"], 3), p1=fmt_p(tl["p1"]), p2=fmt_p(tl["p2"]))
    return out


def paper_numbers(results: Sequence[ModelResult], ledger: pd.DataFrame, panel: pd.DataFrame,
                  language: str = "en") -> dict[str, str]:
    """All numbers the text may quote, by macro name (insertion order is stable)."""
    out: dict[str, str] = {}
    out["NRawRows"] = fmt_int(ledger["rows_remaining"].iloc[0])
    out["NRawFirms"] = fmt_int(ledger["firms_remaining"].iloc[0])
    out["NFirmYears"] = fmt_int(len(panel))
    out["NFirms"] = fmt_int(panel["firm"].nunique())
    out["FirstYear"] = str(int(panel["year"].min()))
    out["LastYear"] = str(int(panel["year"].max()))
    out["NDropped"] = fmt_int(ledger["rows_dropped"].sum())
    out["NSteps"] = fmt_int((ledger["step"] > 0).sum())
    alpha = next((r.extras["utest"]["alpha"] for r in results if "utest" in r.extras), 0.05)
    out["CILevel"] = f"{round(100 * (1 - alpha))}"
    outcomes = list(dict.fromkeys(r.spec["outcome"] for r in results))
    if outcomes:
        out["MainOutcome"] = label(outcomes[0], language)
        out["MainOutcomeKey"] = csname(outcomes[0]).lower()  # file names: figures/curve_<key>
    out["NOutcomes"] = str(len(outcomes))
    for r in results:
        out.update(model_numbers(r, r.spec["name"]))
        out.update(verdict_numbers(r, r.spec["name"], language))
        if outcomes and r.spec["outcome"] == outcomes[0]:
            kind = r.spec["name"].replace(f"_{outcomes[0]}", "_main")
            out.update(model_numbers(r, kind))
            out.update(verdict_numbers(r, kind, language))
    return out


def mechanism_numbers(results: Mapping[str, dict[str, Any]], outcome: str, language: str = "en") -> dict[str, str]:
    """Numbers of the mechanism section (prefix ``Mech``) for the mechanism's first outcome, from the
    saved link results (``coupling``, ``moderation_<outcome>``, ``mediation_<outcome>``). Their
    presence (``MechOutcome``) switches the mechanism section of the paper on."""
    out = {"MechOutcome": label(outcome, language)}
    ccd = next(r for r in results["coupling"]["rows"] if r["outcome"] == "ccd")
    out["MechCouplingB"] = fmt(ccd["coef"], 4)
    out["MechCouplingP"] = fmt_p(ccd["p_one_sided_positive"])
    rows = {m["quantity"]: m for m in results[f"moderation_{outcome}"]["result"]["extras"]["moderation"]
            if m["quantity"] in ("flattening_b5", "shape_flip_z")}
    if "flattening_b5" in rows:
        fb = rows["flattening_b5"]
        out["MechFlatteningB"] = fmt(fb["estimate"])
        out["MechFlatteningP"] = fmt_p(fb["p"])
        alpha = results[f"moderation_{outcome}"]["result"]["extras"]["utest"]["alpha"]
        out["MechFlatteningText"] = text("paper_mech_flat_yes" if fb["p"] < alpha else "paper_mech_flat_no", language,
                                         b=fmt(fb["estimate"]), p=fmt_p(fb["p"]))
    if "shape_flip_z" in rows:
        out["MechShapeFlip"] = fmt(rows["shape_flip_z"]["estimate"])
    med = results[f"mediation_{outcome}"]
    ind = med["indirect"]
    out["MechIndirect"] = fmt(ind["estimate"], 4)
    out["MechIndirectLower"] = fmt(ind["ci_lower"], 4)
    out["MechIndirectUpper"] = fmt(ind["ci_upper"], 4)
    out["MechIndirectReps"] = fmt_int(ind["reps"])
    direct = next((r for r in med.get("direct_at", []) if r["at"] == "mean_effect"), None)  # along the curve
    out["MechDirect"] = fmt(direct["estimate"] if direct else med["direct"]["coef"], 4)
    out["MechDirectP"] = fmt_p(direct["p"] if direct else med["direct"]["p"])
    return out


_TEX_ESC = {"%": r"\%", "&": r"\&", "#": r"\#", "_": r"\_", "$": r"\$"}


def macros_tex(numbers: Mapping[str, str]) -> str:
    """``\\newcommand`` lines (thousands separators as ``{,}``; ``<`` in math)."""
    lines = ["% Generated by the pipeline (rule paper_numbers) from the saved results. Do not edit."]
    for name, value in numbers.items():
        v = "".join(_TEX_ESC.get(c, c) for c in value)
        v = re.sub(r"(?<=\d),(?=\d)", "{,}", v)
        v = v.replace("< ", r"$<$ ").replace("= ", r"$=$ ")
        lines.append(rf"\newcommand{{\{name}}}{{{v}}}")
    return "\n".join(lines) + "\n"


_PLACEHOLDER = re.compile(r"\{\{\s*(?:(table|figure):)?([A-Za-z0-9_]+)\s*\}\}")


def placeholders(template: str) -> list[tuple[str, str]]:
    return [(m.group(1) or "number", m.group(2)) for m in _PLACEHOLDER.finditer(template)]


_BLOCK = re.compile(r"<!--\s*if\s+([A-Za-z0-9_]+)\s*-->\n?(.*?)<!--\s*endif\s*-->\n?", re.S)


def conditional_blocks(template: str, numbers: Mapping[str, str]) -> str:
    """Keep a block ``<!-- if Name -->...<!-- endif -->`` only when the pipeline produced the number
    ``Name`` (e.g. the mechanism section, present when ``mechanism.enabled``); blocks do not nest."""
    return _BLOCK.sub(lambda m: m.group(2) if m.group(1) in numbers else "", template)


def render_markdown(template: str, numbers: Mapping[str, str], tables_dir: str | Path,
                    figures_rel: str = "../figures", figure_ext: str = "png") -> str:
    """Fill ``{{Name}}``, ``{{table:NAME}}`` and ``{{figure:NAME}}`` (after dropping the conditional
    blocks whose number is absent, :func:`conditional_blocks`); unknown names are an error."""
    tables_dir = Path(tables_dir)
    template = conditional_blocks(template, numbers)

    def sub(m: re.Match) -> str:
        kind, name = m.group(1), m.group(2)
        if kind == "table":
            p = tables_dir / f"{name}.md"
            if not p.is_file():
                raise KeyError(f"template asks for table {name!r}: {p} does not exist")
            return p.read_text(encoding="utf-8").strip()
        if kind == "figure":
            if name.endswith("_main"):  # the figure of the first outcome
                name = name[: -len("main")] + numbers["MainOutcomeKey"]
            return f"![{name}]({figures_rel}/{name}.{figure_ext})"
        if name not in numbers:
            raise KeyError(f"template asks for number {name!r}, which the pipeline does not produce")
        return numbers[name]

    return _PLACEHOLDER.sub(sub, template)


def markdown_to_html(markdown: str, title: str, language: str = "en") -> str:
    """Standalone HTML (no timestamps) from the Markdown paper (mistune, an nbconvert dependency)."""
    import mistune

    body = mistune.create_markdown(plugins=["table"], escape=False)(markdown)
    style = ("body{font-family:Georgia,serif;max-width:46em;margin:2em auto;line-height:1.5}"
             "table{border-collapse:collapse;margin:1em 0}th,td{padding:.2em .6em}"
             "thead th{border-top:2px solid #000;border-bottom:1px solid #000}"
             "tbody tr:last-child td{border-bottom:2px solid #000}img{max-width:100%}")
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if language == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n'
            f"<style>{style}</style>\n</head>\n<body>\n{body}</body>\n</html>\n")


def write_json(path: str | Path, numbers: Mapping[str, str]) -> None:
    Path(path).write_text(json.dumps(dict(numbers), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
