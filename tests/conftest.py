"""Shared test fixtures.

Tests that need the real annual reports read them from ``../shared/data/real_reports`` (beside the
repository root) or from ``$SERVPARADOX_SHARED/data/real_reports``; they skip with a clear reason
when that folder is absent, as it is in a user's clone.
"""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
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
#
# The two runs start in the background as soon as the tests are collected (when any selected test
# needs them), so the unit tests run while they build; the modules that need them are moved to the
# end of the session. Under pytest-xdist (``make test`` runs ``pytest -n auto``) the runs are started
# once, in the folder the workers share, and every worker waits for the same two runs.
PIPELINE_TIMEOUT = 1200
DEMO_RUNS = (("demo_run1", ()), ("demo_run2", ("--scheduler", "greedy")))
_BACKGROUND: list[subprocess.Popen] = []


def snakemake_cmd(workdir: Path, *args: str, configfile: str = "config/test_config.yaml",
                  cores: int = 2) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--snakefile", str(REPO_ROOT / "Snakefile"), "--directory",
            str(workdir), "--configfile", str(workdir / configfile), "--cores", str(cores), *args]


def run_snakemake(workdir: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(snakemake_cmd(workdir, *args, **kw), capture_output=True, text=True,
                          timeout=PIPELINE_TIMEOUT)


def _shared_root(config: pytest.Config) -> Path:
    """The session's temporary folder, shared by all xdist workers (each has its own below it)."""
    base = config._tmp_path_factory.getbasetemp()
    return base.parent if hasattr(config, "workerinput") else base


def _needs_demo_runs(item: pytest.Item) -> bool:
    return "demo_runs" in getattr(item, "fixturenames", ())


def start_demo_runs(config: pytest.Config) -> list[Path]:
    """Start the two shared runs in the background (once per session, whichever process comes first)."""
    root = _shared_root(config)
    works = [root / name for name, _ in DEMO_RUNS]
    with open(root / "demo_runs.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for work, (_, extra) in zip(works, DEMO_RUNS):
            if work.exists():
                continue
            shutil.copytree(REPO_ROOT / "config", work / "config")
            cmd = shlex.join(snakemake_cmd(work, *extra, cores=1))
            out, code = shlex.quote(str(work / "snakemake_stdout.txt")), shlex.quote(str(work / "exit_code"))
            _BACKGROUND.append(subprocess.Popen(["bash", "-c", f"{cmd} > {out} 2>&1; echo $? > {code}.tmp; "
                                                 f"mv {code}.tmp {code}"], start_new_session=True))
    return works


def build_once(config: pytest.Config, name: str, build) -> Path:
    """A folder built once per session and shared by the xdist workers (a session fixture is otherwise
    built once per worker): ``build(folder)`` runs in the first process that asks; the others wait for
    it and reuse the folder (and fail with its error if it failed)."""
    root = _shared_root(config)
    folder, done, failed = root / name, root / f"{name}.done", root / f"{name}.failed"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if failed.exists():
            pytest.fail(f"building the shared {name} failed in another test process:\n{failed.read_text()}")
        if not done.exists():
            try:
                build(folder)
            except BaseException as exc:
                failed.write_text(f"{type(exc).__name__}: {exc}"[-6000:], encoding="utf-8")
                raise
            done.touch()
    return folder


def pytest_collection_modifyitems(session, config, items):
    """Modules with a test that needs the shared runs go last (stable: order kept otherwise; under
    ``--dist loadscope`` a module is one unit of work, so its module-scoped fixtures are built once)."""
    late = {item.nodeid.split("::")[0] for item in items if _needs_demo_runs(item)}
    items.sort(key=lambda item: item.nodeid.split("::")[0] in late)


def pytest_collection_finish(session):
    if any(_needs_demo_runs(item) for item in session.items):
        start_demo_runs(session.config)


def pytest_sessionfinish(session, exitstatus):
    if exitstatus == pytest.ExitCode.INTERRUPTED:  # do not leave the runs behind
        for proc in _BACKGROUND:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)


@pytest.fixture(scope="session")
def demo_runs(request) -> list[Path]:
    """Two complete runs of the test configuration (same config, different job orders)."""
    works = start_demo_runs(request.config)  # already started at collection: this finds them
    deadline = time.monotonic() + PIPELINE_TIMEOUT
    for work in works:
        while not (work / "exit_code").exists():
            if time.monotonic() > deadline:
                pytest.fail(f"the shared pipeline run {work} did not finish in {PIPELINE_TIMEOUT} s")
            time.sleep(0.5)
        out = (work / "snakemake_stdout.txt").read_text(encoding="utf-8", errors="replace")
        assert (work / "exit_code").read_text().strip() == "0", out[-4000:]
    return works


@pytest.fixture(scope="session")
def demo_run(demo_runs) -> Path:
    """A finished run of config/test_config.yaml; read it, do not change it (see ``demo_copy``)."""
    return demo_runs[0]


def deep_update(base: dict, new: dict) -> dict:
    """``base`` with ``new`` merged in, section by section (as Snakemake merges config files); the
    sections it touches are copies, so ``new`` is never aliased."""
    for k, v in new.items():
        base[k] = deep_update(dict(base.get(k) or {}), v) if isinstance(v, dict) else v
    return base


def copy_run(src: Path, dst: Path) -> Path:
    """A copy of a finished run (modification times and Snakemake's records kept: nothing to redo)."""
    shutil.copytree(src, dst, symlinks=True)
    return dst


@pytest.fixture(scope="session")
def zh_run(demo_run, request):
    """A copy of the shared run switched to Chinese output (``output.language: zh``) and rebuilt:
    ``(folder, Snakemake's output, mtimes of the saved results before the switch)``. Read it only."""
    def build(folder: Path) -> None:
        run = copy_run(demo_run, folder)
        estimated = {str(p): p.stat().st_mtime_ns for p in (run / "paper" / "results").rglob("*.json")}
        (folder.parent / "zh_run.mtimes.json").write_text(json.dumps(estimated), encoding="utf-8")
        cfg = run / "config" / "test_config.yaml"
        assert "output:" not in cfg.read_text(encoding="utf-8")
        cfg.write_text(cfg.read_text(encoding="utf-8") + "output:\n  language: zh\n", encoding="utf-8")
        proc = run_snakemake(run)
        (folder.parent / "zh_run.out.txt").write_text(proc.stdout + proc.stderr, encoding="utf-8")
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    run = build_once(request.config, "zh_run", build)
    estimated = json.loads((run.parent / "zh_run.mtimes.json").read_text(encoding="utf-8"))
    return run, (run.parent / "zh_run.out.txt").read_text(encoding="utf-8"), {Path(p): t for p, t in estimated.items()}


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
