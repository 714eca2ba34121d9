"""The workflow files are formatted (snakefmt, line length 120 from pyproject.toml) and lint-clean
(``snakemake --lint``: functions in rules/common.smk, a software environment for every rule, no
hard-coded path prefixes as params, environment variables asserted)."""

from __future__ import annotations

import subprocess
import sys

from analysis.config import REPO_ROOT


def test_snakefmt_is_clean():
    proc = subprocess.run([sys.executable, "-m", "snakefmt", "--check", "Snakefile", "rules/"], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_snakemake_lint_is_clean():
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--lint", "--configfile", "config/config.yaml"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Congratulations, your workflow is in a good condition!" in out, out[-4000:]
