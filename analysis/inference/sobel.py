"""Sobel's (1982) test of an indirect effect a*b and the Baron-Kenny (1986) causal steps.

z = a b / sqrt(b^2 se_a^2 + a^2 se_b^2) (the first-order delta-method standard error, no covariance
between a and b, as they come from different equations), p two-sided from the normal distribution.
Reported next to the bootstrap interval of the mechanism's mediation link, which does not assume
normality of a*b.
"""

from __future__ import annotations

import math
from typing import Any

from scipy import stats


def sobel(a: float, se_a: float, b: float, se_b: float) -> dict[str, float]:
    se = math.sqrt(b * b * se_a * se_a + a * a * se_b * se_b)
    z = a * b / se if se > 0 else float("nan")
    return {"indirect": a * b, "se": se, "z": z, "p": float(2 * stats.norm.sf(abs(z)))}


def baron_kenny(total_p: float, a_p: float, b_p: float, direct_p: float, alpha: float = 0.05) -> str:
    """The Baron-Kenny verdict: ``no_total`` (step 1 fails: c not significant), ``no_a`` (step 2),
    ``no_b`` (step 3), ``full`` (c' not significant) or ``partial`` mediation."""
    steps: list[tuple[str, Any]] = [("no_total", total_p), ("no_a", a_p), ("no_b", b_p)]
    for verdict, p in steps:
        if not p < alpha:
            return verdict
    return "partial" if direct_p < alpha else "full"
