"""Inference for (inverted) U-shaped relationships.

- :mod:`analysis.inference.utest`: Lind & Mehlum (2010) U-test, delta-method and Fieller (1954)
  intervals for the extreme point, pyfixest convenience wrapper.
- :mod:`analysis.inference.moderation`: Haans, Pieters & He (2016) moderated turning points.
- :mod:`analysis.inference.two_lines`: Simonsohn (2018) two-lines test.
"""

from analysis.inference.moderation import (
    ModerationNames,
    curvature_at,
    flattening_test,
    moderation_from_fit,
    moderation_table,
    shape_flip,
    slope_at,
    turning_point_at,
    turning_point_shift,
)
from analysis.inference.two_lines import (
    TwoLinesResult,
    interrupted_regression,
    robin_hood_breakpoint,
    two_lines,
)
from analysis.inference.utest import (
    FiellerInterval,
    TurningPointDelta,
    UTestResult,
    critical_value,
    fieller_interval,
    fit_df_resid,
    turning_point_delta,
    u_test,
    u_test_from_fit,
)

__all__ = [
    "ModerationNames",
    "TwoLinesResult",
    "curvature_at",
    "flattening_test",
    "interrupted_regression",
    "moderation_from_fit",
    "moderation_table",
    "robin_hood_breakpoint",
    "shape_flip",
    "slope_at",
    "turning_point_at",
    "turning_point_shift",
    "two_lines",
    "FiellerInterval",
    "TurningPointDelta",
    "UTestResult",
    "critical_value",
    "fieller_interval",
    "fit_df_resid",
    "turning_point_delta",
    "u_test",
    "u_test_from_fit",
]
