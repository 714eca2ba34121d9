"""Shared test fixtures.

Tests that need the real annual reports read them from ``../shared/data/real_reports`` (beside the
repository root) or from ``$SERVPARADOX_SHARED/data/real_reports``; they skip with a clear reason
when that folder is absent, as it is in a user's clone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


# --------------------------------------------------------------------------- shared pipeline runs
# Running the whole pipeline is the slow part of the suite. The end-to-end tests share two runs of
# config/test_config.yaml (one per session), started together on one core each with different job
# schedulers, so that their byte-identity also shows that no output depends on job order. A test
# that changes a run (a config switch, a rerun) works on a copy (fixture ``demo_copy``).
PIPELINE_TIMEOUT = 1200


def snakemake_cmd(workdir: Path, *args: str, configfile: str = "config/test_config.yaml",
                  cores: int = 2) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--snakefile", str(REPO_ROOT / "Snakefile"), "--directory",
            str(workdir), "--configfile", str(workdir / configfile), "--cores", str(cores), *args]


def run_snakemake(workdir: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(snakemake_cmd(workdir, *args, **kw), capture_output=True, text=True,
                          timeout=PIPELINE_TIMEOUT)


@pytest.fixture(scope="session")
def demo_runs(tmp_path_factory) -> list[Path]:
    """Two complete runs of the test configuration (same config, different job orders)."""
    works, procs = [], []
    for i, extra in enumerate(([], ["--scheduler", "greedy"])):
        work = tmp_path_factory.mktemp(f"demo_run{i + 1}")
        shutil.copytree(REPO_ROOT / "config", work / "config")
        procs.append(subprocess.Popen(snakemake_cmd(work, *extra, cores=1), stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True))
        works.append(work)
    for work, proc in zip(works, procs):
        out, _ = proc.communicate(timeout=PIPELINE_TIMEOUT)
        (work / "snakemake_stdout.txt").write_text(out, encoding="utf-8")
        assert proc.returncode == 0, out[-4000:]
    return works


@pytest.fixture(scope="session")
def demo_run(demo_runs) -> Path:
    """A finished run of config/test_config.yaml; read it, do not change it (see ``demo_copy``)."""
    return demo_runs[0]


def copy_run(src: Path, dst: Path) -> Path:
    """A copy of a finished run (modification times and Snakemake's records kept: nothing to redo)."""
    shutil.copytree(src, dst, symlinks=True)
    return dst


@pytest.fixture
def demo_copy(demo_run, tmp_path) -> Path:
    """A private copy of the finished test run, for tests that rerun or reconfigure it."""
    return copy_run(demo_run, tmp_path / "run")


@pytest.fixture(scope="session")
def vendor_panels_dir() -> Path:
    """Folder of the real vendor panels (read in place, never copied); skips when it is not there."""
    if not (VENDOR_PANELS_DIR / "machinery_fin_charts.csv").is_file():
        pytest.skip(
            f"real vendor panels not found at {VENDOR_PANELS_DIR} "
            "(they live in the project's shared/ folder, not in the repository)"
        )
    return VENDOR_PANELS_DIR
