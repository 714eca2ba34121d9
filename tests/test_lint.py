"""Lint in CI (issue: layers a newcomer can see): ruff on the package, scripts, tests and benchmarks.

The Snakemake files are checked by snakefmt and ``snakemake --lint`` in tests/test_workflow_lint.py.
"""

from __future__ import annotations

import subprocess
import sys

from analysis.config import REPO_ROOT


def test_ruff_is_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise", "analysis", "scripts",
                           "tests", "bench"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
