"""Figures from saved results: the fitted inverted U at low, median and high Dig, the slope of
Serv across Dig, and the distributions of Serv and Dig.

Files are byte-reproducible: no timestamps in PNG, PDF or SVG metadata, fixed SVG ids.

Chinese labels (``language="zh"``) need a font with CJK glyphs. :func:`cjk_font` looks, in order,
for a font file given in the config (``output.cjk_font``), for a CJK font matplotlib already knows
(Noto Sans CJK / Source Han Sans / WenQuanYi / SimHei / Microsoft YaHei / PingFang, e.g. from the
Debian package fonts-noto-cjk), and for the Noto Sans CJK SC file shipped inside the PyPI package
``mplfonts`` (SIL Open Font License; found without importing the package). Latin text stays in
DejaVu Sans and CJK glyphs fall back to that font (matplotlib's per-glyph font fallback). With no
CJK font available, a Chinese figure falls back to English labels with a warning rather than
drawing empty boxes.
"""

from __future__ import annotations

import importlib.util
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import pandas as pd

from analysis.estimation import ModelResult
from analysis.presentation.tables import label, text

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
                "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC",
                "Heiti SC", "Noto Serif CJK SC", "Source Han Serif SC")
MPLFONTS_FILES = ("NotoSansCJKsc-Regular.otf", "SourceHanSerifSC-Regular.otf")
COLORS = ["#1b9e77", "#7570b3", "#d95f02"]
#: resolution of the PNG figures (journals ask for 300 dpi)
FIG_DPI = 300


# ------------------------------------------------------------------------------------------ fonts
def cjk_font(explicit: str | Path | None = None) -> Path | None:
    """Path of a font file with Chinese glyphs, or None when there is none."""
    from matplotlib import font_manager

    if explicit:
        p = Path(explicit)
        if not p.is_file():
            raise FileNotFoundError(f"output.cjk_font: no font file at {p}")
        return p
    by_name = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for fam in CJK_FAMILIES:
        if fam in by_name:
            return Path(by_name[fam])
    spec = importlib.util.find_spec("mplfonts")
    if spec and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            for name in MPLFONTS_FILES:
                p = Path(loc) / "fonts" / name
                if p.is_file():
                    return p
    return None


@contextmanager
def figure_style(language: str = "en", font: str | Path | None = None) -> Iterator[str]:
    """Matplotlib settings for reproducible figures; yields the language actually used
    (``"en"`` when Chinese was asked for but no CJK font exists)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager, rc_context

    rc = {"svg.hashsalt": "servparadox", "pdf.fonttype": 42, "font.family": ["DejaVu Sans"],
          "axes.unicode_minus": False}
    used = language
    if language == "zh":
        path = cjk_font(font)
        if path is None:
            warnings.warn("output.language is zh but no CJK font was found (install the PyPI package "
                          "mplfonts, or fonts-noto-cjk, or set output.cjk_font); figures use English labels.",
                          stacklevel=2)
            used = "en"
        else:
            font_manager.fontManager.addfont(str(path))
            name = font_manager.FontProperties(fname=str(path)).get_name()
            rc["font.family"] = ["DejaVu Sans", name]
            if path.suffix.lower() == ".otf":
                rc["pdf.fonttype"] = 3  # CFF outlines cannot be embedded as Type 42
    with rc_context(rc):
        yield used


def missing_glyphs(fig) -> list[str]:
    """Characters the figure's text could not draw (matplotlib warns 'Glyph ... missing')."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    return [str(w.message) for w in caught if "missing from" in str(w.message)]


def save(fig, out_paths: Sequence[str | Path]) -> None:
    """Save without timestamps (PNG Software, PDF CreationDate, SVG Date removed)."""
    for p in out_paths:
        p = Path(p)
        p.parent.mkdir(parents=True, exist_ok=True)
        meta = {".pdf": {"CreationDate": None, "ModDate": None}, ".png": {"Software": None},
                ".svg": {"Date": None}}.get(p.suffix, {})
        fig.savefig(p, metadata=meta, dpi=FIG_DPI)


# ------------------------------------------------------------------------------------- numbers
def _coef_block(result: ModelResult) -> tuple[np.ndarray, np.ndarray]:
    spec = result.spec
    xs, zname = spec["x"], spec["moderator"]
    names = [xs, f"{xs}_sq", f"{xs}_x_{zname}", f"{xs}_sq_x_{zname}"]
    return result.params().loc[names].to_numpy(), result.cov().loc[names, names].to_numpy()


def _crit(result: ModelResult, level: float) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.5 + level / 2, result.df_t) if result.df_t else stats.norm.ppf(0.5 + level / 2))


def curve_with_band(result: ModelResult, z: float, x: np.ndarray, level: float = 0.95) -> pd.DataFrame:
    """Partial effect of x relative to x = 0 at moderator value z, with a pointwise band.

    h(x) = (b1 + b4 z) x + (b2 + b5 z) x^2, a linear combination of the coefficients, so its
    standard error is exact given the covariance: sqrt(L V L') with L = (x, x^2, x z, x^2 z).
    """
    b, V = _coef_block(result)
    L = np.column_stack([x, x**2, x * z, x**2 * z])
    fit = L @ b
    se = np.sqrt(np.einsum("ij,jk,ik->i", L, V, L))
    crit = _crit(result, level)
    return pd.DataFrame({"x": x, "fit": fit, "lower": fit - crit * se, "upper": fit + crit * se})


def slope_with_band(result: ModelResult, x: float, z: np.ndarray, level: float = 0.95) -> pd.DataFrame:
    """Slope of the outcome in x at (x, z): b1 + b4 z + 2 (b2 + b5 z) x, with a pointwise band."""
    b, V = _coef_block(result)
    z = np.asarray(z, float)
    L = np.column_stack([np.ones_like(z), 2 * x * np.ones_like(z), z, 2 * x * z])
    fit = L @ b
    se = np.sqrt(np.einsum("ij,jk,ik->i", L, V, L))
    crit = _crit(result, level)
    return pd.DataFrame({"z": z, "slope": fit, "lower": fit - crit * se, "upper": fit + crit * se})


def _level(result: ModelResult) -> float:
    return 1 - float(result.extras.get("utest", {}).get("alpha", 0.05))


def axis_label(var: str, language: str) -> str:
    """An axis label that defines the variable ("Service share of revenue (Serv)"), from the label
    file's ``axis_<var>``; the variable's label when there is none."""
    from analysis.presentation.tables import _labels

    return label(f"axis_{var}", language) if f"axis_{var}" in _labels() else label(var, language)


def _quantile_name(key: str, language: str) -> str:
    return text("quantile", language, q=key[1:]) if key[:1] == "p" and key[1:].isdigit() else key


# --------------------------------------------------------------------------------------- figures
def _finish_band_figure(fig, ax, lang: str, level: float, out_paths: Sequence[str | Path]) -> None:
    """Legend titled with the band's level, no top/right frame, saved in every format and closed
    (the curve and slope figures)."""
    import matplotlib.pyplot as plt

    ax.legend(frameon=False, title=text("fig_band", lang, level=round(100 * level)))
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    save(fig, out_paths)
    plt.close(fig)



def plot_moderated_curve(result: ModelResult, out_paths: Sequence[str | Path], language: str = "en",
                         font: str | Path | None = None) -> str:
    """Fitted inverted U with bands at low, median and high moderator values. Returns the language used."""
    import matplotlib.pyplot as plt

    with figure_style(language, font) as lang:
        xl, xh = result.x_range
        x = np.linspace(xl, xh, 201)
        level = _level(result)
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        zl = label(result.spec["moderator"], lang)
        for (q, z), color in zip(result.moderator_values.items(), COLORS):
            c = curve_with_band(result, z, x, level)
            ax.plot(c["x"], c["fit"], color=color, lw=2,
                    label=text("fig_at_moderator", lang, z=zl, q=_quantile_name(q, lang), v=f"{z:.2f}"))
            ax.fill_between(c["x"], c["lower"], c["upper"], color=color, alpha=0.15, lw=0)
        ax.axhline(0, color="grey", lw=0.6, label=label("fig_zero", lang))
        xlab, ylab = label(result.spec["x"], lang), label(result.spec["outcome"], lang)
        ax.set_xlabel(axis_label(result.spec["x"], lang))
        ax.set_ylabel(text("fig_relative_to", lang, y=ylab, x=xlab))
        _finish_band_figure(fig, ax, lang, level, out_paths)
    return lang


def plot_slopes(result: ModelResult, out_paths: Sequence[str | Path], language: str = "en",
                font: str | Path | None = None) -> str:
    """Slope of Serv at its sample minimum and maximum across the observed range of Dig.

    An inverted U needs a positive slope at the low end and a negative one at the high end; the
    figure shows over which values of Dig each holds (bands: pointwise t intervals). Dotted lines
    mark the moderator quantiles used in the tables.
    """
    import matplotlib.pyplot as plt

    with figure_style(language, font) as lang:
        level = _level(result)
        zlo, zhi = result.moderator_range
        z = np.linspace(zlo, zhi, 201)
        xs = label(result.spec["x"], lang)
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        for at, color in zip(result.x_range, (COLORS[0], COLORS[2])):
            s = slope_with_band(result, at, z, level)
            ax.plot(s["z"], s["slope"], color=color, lw=2, label=text("fig_slope_at", lang, x=xs, at=f"{at:.2f}"))
            ax.fill_between(s["z"], s["lower"], s["upper"], color=color, alpha=0.15, lw=0)
        qs = "/".join(_quantile_name(q, "en")[1:] if lang == "zh" else q for q in result.moderator_values)
        for i, v in enumerate(result.moderator_values.values()):
            ax.axvline(v, color="grey", lw=0.6, ls=":", label=text("fig_quantile_lines", lang, z=label(
                result.spec["moderator"], lang), qs=qs) if i == 0 else None)
        ax.axhline(0, color="grey", lw=0.6, label=label("fig_zero", lang))
        ax.set_xlabel(axis_label(result.spec["moderator"], lang))
        ax.set_ylabel(text("fig_slope_y", lang, x=xs, y=label(result.spec["outcome"], lang)))
        _finish_band_figure(fig, ax, lang, level, out_paths)
    return lang


def plot_distributions(panel: pd.DataFrame, out_paths: Sequence[str | Path], variables: Sequence[str] = ("serv", "dig"),
                       language: str = "en", font: str | Path | None = None, bins: int = 40) -> str:
    """Histograms of the estimation panel's Serv and Dig (one panel each; seaborn), the median marked."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    with figure_style(language, font) as lang:
        fig, axes = plt.subplots(1, len(variables), figsize=(4.2 * len(variables), 3.4), squeeze=False)
        for ax, v, color in zip(axes[0], variables, COLORS):
            x = panel[v].dropna().to_numpy()
            sns.histplot(x=x, bins=bins, color=color, alpha=0.8, linewidth=0, ax=ax)
            med = float(np.median(x))
            ax.axvline(med, color="black", lw=0.8, ls="--", label=text("fig_median", lang, v=f"{med:.3f}"))
            ax.legend(frameon=False, fontsize=7)
            ax.set_xlabel(axis_label(v, lang), fontsize=8)
            ax.set_ylabel("")
            ax.spines[["top", "right"]].set_visible(False)
        axes[0][0].set_ylabel(label("fig_density", lang))
        fig.tight_layout()
        save(fig, out_paths)
        plt.close(fig)
    return lang


def marginal_with_band(result: ModelResult, x: np.ndarray, level: float = 0.95) -> pd.DataFrame:
    """Marginal effect of x in the quadratic model, b1 + 2 b2 x, with a pointwise t band
    (standard error sqrt(L V L'), L = (1, 2x))."""
    xs, x2 = result.spec["x"], f"{result.spec['x']}_sq"
    b = result.params().loc[[xs, x2]].to_numpy()
    V = result.cov().loc[[xs, x2], [xs, x2]].to_numpy()
    x = np.asarray(x, float)
    L = np.column_stack([np.ones_like(x), 2 * x])
    fit = L @ b
    se = np.sqrt(np.einsum("ij,jk,ik->i", L, V, L))
    crit = _crit(result, level)
    return pd.DataFrame({"x": x, "effect": fit, "se": se, "lower": fit - crit * se, "upper": fit + crit * se})


def plot_marginal_effect(result: ModelResult, out_paths: Sequence[str | Path], language: str = "en",
                         font: str | Path | None = None) -> str:
    """The slope of Serv along the observed range of Serv (quadratic model), with its band; the zero
    line and the turning point marked and labelled. An inverted U: positive, then negative."""
    import matplotlib.pyplot as plt

    with figure_style(language, font) as lang:
        level = _level(result)
        xl, xh = result.x_range
        m = marginal_with_band(result, np.linspace(xl, xh, 201), level)
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        ax.plot(m["x"], m["effect"], color=COLORS[1], lw=2, label=label("fig_marginal_line", lang))
        ax.fill_between(m["x"], m["lower"], m["upper"], color=COLORS[1], alpha=0.15, lw=0)
        ax.axhline(0, color="grey", lw=0.6, label=label("fig_zero", lang))
        tp = result.extras.get("utest", {}).get("extreme_point")
        if tp is not None and xl <= tp <= xh:
            ax.axvline(tp, color="black", lw=0.8, ls="--", label=text("fig_turning_point", lang, v=f"{tp:.3f}"))
        ax.set_xlabel(axis_label(result.spec["x"], lang))
        ax.set_ylabel(text("fig_marginal_y", lang, x=label(result.spec["x"], lang), y=label(result.spec["outcome"], lang)))
        _finish_band_figure(fig, ax, lang, level, out_paths)
    return lang


def robustness_coefficients(estimates: Sequence[dict], alpha: float = 0.05, language: str = "en") -> pd.DataFrame:
    """b2 (Serv²) of every estimated robustness model with its t interval (df of the model): the
    numbers of :func:`plot_robustness_coefficients`, one row per model in table order."""
    from scipy import stats

    from analysis.presentation.robustness import spec_label

    rows = []
    base = estimates[0]["spec"] if estimates else None
    for i, est in enumerate(estimates):
        if est["status"] != "ok":
            continue
        b = est["baseline"]
        j = b["names"].index(b["spec"]["x"] + "_sq")
        coef, se = b["coef"][j], b["se"][j]
        crit = float(stats.t.ppf(1 - alpha / 2, b["df_t"]))
        rows.append({"model": est["spec"]["name"], "label": spec_label(est["spec"], None if i == 0 else base, language),
                     "b2": coef, "se": se, "df_t": b["df_t"], "lower": coef - crit * se, "upper": coef + crit * se})
    return pd.DataFrame(rows)


def plot_robustness_coefficients(estimates: Sequence[dict], out_paths: Sequence[str | Path], alpha: float = 0.05,
                                 language: str = "en", font: str | Path | None = None) -> str:
    """Coefficient plot: b2 with its interval in every robustness model (baseline first, its estimate
    as a labelled reference line; zero labelled)."""
    import matplotlib.pyplot as plt

    with figure_style(language, font) as lang:
        d = robustness_coefficients(estimates, alpha, lang)
        y = np.arange(len(d))[::-1]
        fig, ax = plt.subplots(figsize=(7.0, 0.28 * len(d) + 1.4))
        ax.errorbar(d["b2"], y, xerr=[d["b2"] - d["lower"], d["upper"] - d["b2"]], fmt="o", ms=3,
                    color=COLORS[1], ecolor="#9e9ac8", elinewidth=1.2, capsize=0)
        ax.axvline(0, color="grey", lw=0.6, label=label("fig_zero", lang))
        if len(d):
            ax.axvline(d["b2"].iloc[0], color=COLORS[0], lw=0.8, ls="--",
                       label=f"{label('rob_baseline', lang)} = {d['b2'].iloc[0]:.3f}")
        ax.set_yticks(y, d["label"], fontsize=7)
        ax.set_xlabel(text("fig_coef_x", lang, level=round(100 * (1 - alpha))))
        ax.set_title(label("fig_coef_title", lang), fontsize=10)
        ax.legend(frameon=False, fontsize=7, loc="lower right")
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        save(fig, out_paths)
        plt.close(fig)
    return lang
