"""Code versions of rules (analysis.workflow.code_files / code_digest, the `code` param the Snakefile
gives every script rule): a rule reruns when its script or a package module it runs changes, and
only then."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.workflow import code_digest, code_files

REPO = Path(__file__).resolve().parents[1]


def _package(root: Path) -> Path:
    pkg = root / "analysis"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "a.py").write_text("import numpy\nfrom analysis.sub import b\n", encoding="utf-8")
    (pkg / "sub" / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "sub" / "b.py").write_text("def f():\n    from .c import g\n    return g()\n", encoding="utf-8")
    (pkg / "sub" / "c.py").write_text("def g():\n    return 1\n", encoding="utf-8")
    (pkg / "d.py").write_text("x = 1\n", encoding="utf-8")
    script = root / "scripts" / "step.py"
    script.parent.mkdir()
    script.write_text("from analysis.a import numpy\n", encoding="utf-8")
    return script


def test_code_files_follow_imports_transitively(tmp_path):
    script = _package(tmp_path)
    files = {p.relative_to(tmp_path).as_posix() for p in code_files(script, tmp_path)}
    assert files == {"scripts/step.py", "analysis/__init__.py", "analysis/a.py", "analysis/sub/__init__.py",
                     "analysis/sub/b.py", "analysis/sub/c.py"}  # relative and in-function imports; not d.py


def test_code_digest_changes_with_the_code_it_runs_only(tmp_path):
    script = _package(tmp_path)
    before = code_digest(script, tmp_path)
    (tmp_path / "analysis" / "d.py").write_text("x = 2\n", encoding="utf-8")
    assert code_digest(script, tmp_path) == before
    (tmp_path / "analysis" / "sub" / "c.py").write_text("def g():\n    return 2\n", encoding="utf-8")
    assert code_digest(script, tmp_path) != before


def _jobs(work: Path, env: dict, target: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1", target,
                           "--configfile", "config/test_config.yaml"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return {line.split()[1].rstrip(":") for line in proc.stdout.splitlines() if line.startswith(("rule ", "localrule "))}


@pytest.mark.slow
def test_editing_a_module_reruns_exactly_the_rules_that_run_it(tmp_path):
    work = tmp_path / "repo"
    for name in ("analysis", "scripts", "rules", "config", "paper", "report", "notebooks"):
        shutil.copytree(REPO / name, work / name, ignore=shutil.ignore_patterns("__pycache__", "results", "tables",
                                                                               "figures", "generated"))
    for name in ("Snakefile", "environment.yml", "requirements.lock"):  # the rules' software environment
        shutil.copy(REPO / name, work / name)
    env = {**os.environ, "PYTHONPATH": str(work)}  # the scripts import the copied package
    # a small demo (what is tested is which rules rerun, not the numbers)
    (work / "config" / "test_config.yaml").write_text(
        "seed: 7\nsource: demo\ndemo: {n_firms: 40, first_year: 2015, last_year: 2020}\nreports: {n_shards: 1}\n"
        "models: {outcomes: [roa]}\nmechanism: {enabled: false}\noutput: {notebook: false}\n", encoding="utf-8")
    target = "paper/tables/moderation.md"
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", target, "--configfile",
                           "config/test_config.yaml"], cwd=work, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert _jobs(work, env, target) == set()
    with open(work / "analysis" / "presentation" / "tables.py", "a", encoding="utf-8") as f:
        f.write("\n# an edit\n")
    assert _jobs(work, env, target) == {"tables"}  # the estimates are not refitted
    with open(work / "analysis" / "estimation.py", "a", encoding="utf-8") as f:
        f.write("\n# an edit\n")
    jobs = _jobs(work, env, target)
    assert {"estimate", "tables"} <= jobs and not {"demo_data", "ingest", "panel"} & jobs
