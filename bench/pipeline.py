"""What the benchmarks that run the pipeline share: a working folder with the repository's config, and a
timed Snakemake call on it."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def working_folder(workdir: Path | None, prefix: str) -> Path:
    """``workdir`` (or a new temporary folder) with a fresh copy of the repository's config/."""
    work = workdir or Path(tempfile.mkdtemp(prefix=prefix))
    shutil.rmtree(work / "config", ignore_errors=True)
    shutil.copytree(REPO / "config", work / "config")
    return work


def snakemake(workdir: Path, cores: int, *args: str) -> float:
    """Run the workflow in ``workdir`` (its config/config.yaml) with ``args``; wall seconds. Exits on failure."""
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(workdir / "config" / "config.yaml"), "--quiet", "--cores", str(cores), *args]
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode:
        sys.exit(f"snakemake failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - t0


def arguments(doc: str, name: str, prefix: str) -> tuple[argparse.Namespace, Path]:
    """The options of such a benchmark (--cores, --workdir, --out bench/results/<name>.md) and its working folder."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / f"{name}.md")
    args = ap.parse_args()
    return args, working_folder(args.workdir, prefix)
