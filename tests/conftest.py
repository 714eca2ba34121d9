"""Shared test fixtures.

Tests that need the real annual reports read them from ``../shared/data/real_reports`` (beside the
repository root) or from ``$SERVPARADOX_SHARED/data/real_reports``; they skip with a clear reason
when that folder is absent, as it is in a user's clone.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("SERVPARADOX_SHARED", REPO_ROOT.parent / "shared"))
REAL_REPORTS_DIR = SHARED_DIR / "data" / "real_reports"
VENDOR_PANELS_DIR = SHARED_DIR / "data" / "vendor_panels"


@pytest.fixture(scope="session")
def real_reports_dir() -> Path:
    """Folder of real annual-report PDFs; skips the test when it is not there."""
    if not REAL_REPORTS_DIR.is_dir() or not any(REAL_REPORTS_DIR.glob("*.pdf")):
        pytest.skip(
            f"real annual reports not found at {REAL_REPORTS_DIR} "
            "(they live in the project's shared/ folder, not in the repository)"
        )
    return REAL_REPORTS_DIR


@pytest.fixture(scope="session")
def vendor_panels_dir() -> Path:
    """Folder of the real vendor panels (read in place, never copied); skips when it is not there."""
    if not (VENDOR_PANELS_DIR / "machinery_fin_charts.csv").is_file():
        pytest.skip(
            f"real vendor panels not found at {VENDOR_PANELS_DIR} "
            "(they live in the project's shared/ folder, not in the repository)"
        )
    return VENDOR_PANELS_DIR
