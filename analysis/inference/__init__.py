"""Inference for (inverted) U-shaped relationships.

- :mod:`analysis.inference.utest`: Lind & Mehlum (2010) U-test, delta-method and Fieller (1954)
  intervals for the extreme point, pyfixest convenience wrapper.
- :mod:`analysis.inference.moderation`: Haans, Pieters & He (2016) moderated turning points.
- :mod:`analysis.inference.two_lines`: Simonsohn (2018) two-lines test.
- :mod:`analysis.inference.bootstrap`: wild cluster restricted bootstrap (p-values equal to
  pyfixest's ``wildboottest``; test-inversion intervals as Roodman et al. 2019).
- :mod:`analysis.inference.crosscheck`: refit with linearmodels PanelOLS under the matching
  small-sample convention (imported on demand: it depends on :mod:`analysis.estimation`).
"""

from analysis.inference.bootstrap import WildBootstrap, WildBootstrapResult, wild_bootstrap_from_data
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
    "WildBootstrap",
    "WildBootstrapResult",
    "wild_bootstrap_from_data",
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
