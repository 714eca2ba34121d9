"""SLURM execution: profiles, the local-cluster script, checksum comparison, and (opt-in) a full run.

The full run - the pipeline once locally and once through ``--executor slurm`` in two clean
folders, outputs compared by checksum - needs a running SLURM (``tools/slurm_local.sh start``), the
``snakemake-executor-plugin-slurm`` package and a few minutes; it runs only when
``SERVPARADOX_SLURM_TEST=1`` and is skipped otherwise (CI has no SLURM). Its last result on the
development machine is recorded in bench/results/slurm_check.md.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
PROFILES = [REPO / "profiles" / "slurm" / "config.yaml", REPO / "profiles" / "slurm-local" / "config.yaml"]


def rule_names() -> set[str]:
    names = set()
    for f in [REPO / "Snakefile", *sorted((REPO / "rules").glob("*.smk"))]:
        names |= set(re.findall(r"^\s*rule\s+(\w+)\s*:", f.read_text(encoding="utf-8"), flags=re.M))
    return names - {"all"}


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.parent.name)
def test_profile_has_resources_for_every_rule(path):
    prof = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert prof["executor"] == "slurm"
    assert {"mem_mb", "runtime"} <= set(prof["default-resources"])
    missing = rule_names() - set(prof["set-resources"])
    assert not missing, f"{path.relative_to(REPO)}: no set-resources for rule(s) {sorted(missing)}"
    unknown = set(prof["set-resources"]) - rule_names()
    assert not unknown, f"{path.relative_to(REPO)}: set-resources for unknown rule(s) {sorted(unknown)}"
    for rule, res in prof["set-resources"].items():
        assert res["mem_mb"] > 0 and res["runtime"] > 0, rule


def test_local_profile_works_without_accounting():
    prof = yaml.safe_load(PROFILES[1].read_text(encoding="utf-8"))
    assert prof["slurm-status-command"] == "squeue" and prof["slurm-no-account"] is True
    assert prof["default-resources"]["slurm_partition"] == "local"


def test_profile_options_are_known_to_the_plugin():
    """Every key of the profiles is a Snakemake option (with the plugin installed, its options too)."""
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        pytest.skip("snakemake-executor-plugin-slurm is not installed in this environment")
    help_text = subprocess.run([sys.executable, "-m", "snakemake", "--help"], capture_output=True, text=True).stdout
    for path in PROFILES:
        for key in yaml.safe_load(path.read_text(encoding="utf-8")):
            assert f"--{key}" in help_text, f"{path.parent.name}: unknown option {key}"


def test_generated_slurm_conf(tmp_path):
    if shutil.which("bash") is None:
        pytest.skip("bash not available")
    env = {**os.environ, "SLURM_CONF_DIR": str(tmp_path)}
    proc = subprocess.run(["bash", str(REPO / "tools" / "slurm_local.sh"), "conf"], capture_output=True, text=True,
                          env=env)
    assert proc.returncode == 0, proc.stderr
    conf = (tmp_path / "slurm.conf").read_text()
    node = re.search(r"^NodeName=(\S+) CPUs=(\d+) RealMemory=(\d+)", conf, flags=re.M)
    assert node and int(node.group(2)) == os.cpu_count() and int(node.group(3)) > 0
    assert "AccountingStorageType=accounting_storage/none" in conf
    assert re.search(r"^PartitionName=local Nodes=" + re.escape(node.group(1)), conf, flags=re.M)


def test_checksum_comparison(tmp_path):
    sys.path.insert(0, str(REPO / "tools"))
    import checksums

    for run in ("a", "b"):
        for rel in ("paper/results/x.json", "data_clean/panel.parquet", "data_clean/text/cache/c.txt"):
            p = tmp_path / run / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(f"{rel} {'cache-' + run if 'cache' in rel else ''}")
    assert checksums.main([str(tmp_path / "a"), str(tmp_path / "b")]) == 0  # the cache is ignored
    (tmp_path / "b" / "paper/results/x.json").write_text("changed")
    assert checksums.main([str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    d = checksums.compare(checksums.digests(tmp_path / "a"), checksums.digests(tmp_path / "b"))
    assert d["different"] == ["paper/results/x.json"]


def _slurm_ready() -> str | None:
    if os.environ.get("SERVPARADOX_SLURM_TEST") != "1":
        return "set SERVPARADOX_SLURM_TEST=1 to run the pipeline through SLURM (takes minutes)"
    if shutil.which("sbatch") is None:
        return "sbatch not found: no SLURM here (tools/slurm_local.sh start sets one up)"
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return "snakemake-executor-plugin-slurm is not installed in this environment"
    state = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True).stdout
    if not re.search(r"idle|mixed|allocated", state):
        return f"no SLURM node is up (sinfo: {state.strip()!r})"
    return None


@pytest.mark.slow
def test_slurm_run_is_identical_to_local_run(tmp_path):
    reason = _slurm_ready()
    if reason:
        pytest.skip(reason)
    report = tmp_path / "slurm_check.md"
    env = {**os.environ, "PYTHON": sys.executable, "CONFIG": "config/test_config.yaml", "BASE": str(tmp_path),
           "REPORT": str(report)}
    proc = subprocess.run(["bash", str(REPO / "tools" / "slurm_compare.sh")], capture_output=True, text=True,
                          env=env, timeout=3600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "IDENTICAL" in report.read_text()
    log = (tmp_path / "slurm" / "snakemake.out").read_text()
    assert log.count("submitted with SLURM jobid") >= 10  # it really went through SLURM
