"""Figures from saved results: the fitted inverted U at low, median and high Dig.

Files are byte-reproducible: no timestamps in PNG or PDF metadata.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from analysis.estimation import ModelResult
from analysis.tables import label


def curve_with_band(result: ModelResult, z: float, x: np.ndarray, level: float = 0.95) -> pd.DataFrame:
    """Partial effect of x relative to x = 0 at moderator value z, with a pointwise band.

    h(x) = (b1 + b4 z) x + (b2 + b5 z) x^2, a linear combination of the coefficients, so its
    standard error is exact given the covariance: sqrt(L V L') with L = (x, x^2, x z, x^2 z).
    """
    from scipy import stats

    spec = result.spec
    xs, zname = spec["x"], spec["moderator"]
    names = [xs, f"{xs}_sq", f"{xs}_x_{zname}", f"{xs}_sq_x_{zname}"]
    b = result.params().loc[names].to_numpy()
    V = result.cov().loc[names, names].to_numpy()
    L = np.column_stack([x, x**2, x * z, x**2 * z])
    fit = L @ b
    se = np.sqrt(np.einsum("ij,jk,ik->i", L, V, L))
    crit = stats.t.ppf(0.5 + level / 2, result.df_t)
    return pd.DataFrame({"x": x, "fit": fit, "lower": fit - crit * se, "upper": fit + crit * se})


def plot_moderated_curve(result: ModelResult, out_paths: Sequence[str | Path], language: str = "en") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xl, xh = result.x_range
    x = np.linspace(xl, xh, 201)
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=150)
    colors = ["#1b9e77", "#7570b3", "#d95f02"]
    for (q, z), color in zip(result.moderator_values.items(), colors):
        c = curve_with_band(result, z, x)
        ax.plot(c["x"], c["fit"], color=color, lw=2, label=f"{label('dig', language)} {q} = {z:.2f}")
        ax.fill_between(c["x"], c["lower"], c["upper"], color=color, alpha=0.15, lw=0)
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_xlabel(label(result.spec["x"], language))
    ax.set_ylabel(f"{label(result.spec['outcome'], language)} (relative to {label(result.spec['x'], language)} = 0)")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    for p in out_paths:
        p = Path(p)
        p.parent.mkdir(parents=True, exist_ok=True)
        meta = {"CreationDate": None} if p.suffix == ".pdf" else {"Software": None} if p.suffix == ".png" else {}
        fig.savefig(p, metadata=meta)
    plt.close(fig)
