"""Provenance manifest, and "adding a year's file reruns only the affected stages"."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.provenance import build_manifest, folder_entries, git_state, pinned_packages

REPO = Path(__file__).resolve().parents[1]


def test_manifest_lists_inputs_config_versions_and_is_deterministic(tmp_path):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "b.txt").write_bytes(b"bbb")
    (tmp_path / "reports" / "a.txt").write_bytes(b"a")
    files = pd.DataFrame([{"table": "company", "path": "data_raw/x/TRD_Co.xlsx", "bytes": 10, "sha256": "0" * 64,
                           "encoding": "xlsx", "rows_read": 3, "codes_padded": 1}])
    other = folder_entries(tmp_path / "reports", "annual_report")
    assert [Path(o["path"]).name for o in other] == ["a.txt", "b.txt"]
    assert other[0]["sha256"] == hashlib.sha256(b"a").hexdigest() and other[1]["bytes"] == 3
    cfg = {"seed": 1, "sample": {"exclude_st": True}}
    m1 = build_manifest(files, cfg, other_inputs=other)
    m2 = build_manifest(files, cfg, other_inputs=other)
    assert json.dumps(m1, sort_keys=True) == json.dumps(m2, sort_keys=True)
    assert m1["raw_inputs"][0]["rows_read"] == 3 and m1["totals"]["vendor_rows_read"] == 3
    assert m1["config"] == cfg
    assert m1["packages"]["pandas"] == {"pinned": "3.1.1", "installed": pd.__version__}
    assert m1["packages"]["pandera"]["pinned"] == "0.35.0"
    text = json.dumps(m1)
    assert not re.search(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d", text)  # no timestamps


def test_git_state_without_a_repository_is_null(tmp_path):
    assert git_state(tmp_path) == {"commit": None, "dirty": None}
    state = git_state(REPO)
    if state["commit"] is not None:
        assert re.fullmatch(r"[0-9a-f]{40}", state["commit"]) and isinstance(state["dirty"], bool)


def test_pinned_packages_reads_pyproject():
    pins = pinned_packages(REPO / "pyproject.toml")
    assert pins["snakemake"]["pinned"] == "9.27.1" and "hypothesis" in pins


# --------------------------------------------------------------------------- incremental reruns

def _snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory",
           str(workdir), "--configfile", str(workdir / "config" / "mydata.yaml"), "--cores", "2", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def _jobs(out: str) -> dict[str, int]:
    """Rule -> job count from Snakemake's "Job stats" table."""
    stats = out.split("Job stats:", 1)[1] if "Job stats:" in out else ""
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", stats, re.M)
            if m.group(1) != "total"}


@pytest.mark.slow
def test_adding_a_year_file_reruns_ingest_and_downstream_but_not_the_text_stage(tmp_path):
    from analysis.demo import DemoParams, generate_demo

    shutil.copytree(REPO / "config", tmp_path / "config")
    (tmp_path / "config" / "mydata.yaml").write_text(
        "seed: 3\nsource: mydata\nvendor: csmar\nreports: {n_shards: 1}\nmodels: {outcomes: [roa]}\n",
        encoding="utf-8")
    raw = tmp_path / "data_raw" / "mydata"
    generate_demo(raw, DemoParams(n_firms=30, first_year=2015, last_year=2020), seed=3, progress=lambda m: None)
    targets = ["data_clean/panel.parquet", "data_clean/manifest.json"]
    proc = _snakemake(tmp_path, *targets)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ledger_before = pd.read_csv(tmp_path / "data_clean" / "sample_ledger.csv")
    dry = _snakemake(tmp_path, "--dry-run", *targets)
    assert "Nothing to be done" in dry.stdout + dry.stderr

    # a new year's income statement arrives (CSMAR layout: three header rows)
    lines = (raw / "FS_Comins_2015-2017.csv").read_bytes().decode("utf-8-sig").splitlines()
    firm = lines[3].split(",")[0]
    row = f"{firm},X,2021-12-31,A,100.00,100.00,1.00"
    (raw / "FS_Comins_2021.csv").write_text("\n".join(lines[:3] + [row]) + "\n", encoding="utf-8")
    dry = _snakemake(tmp_path, "--dry-run", *targets)
    assert dry.returncode == 0, dry.stderr[-3000:]
    jobs = _jobs(dry.stdout + dry.stderr)
    assert {"ingest", "servitization", "panel", "manifest"} <= set(jobs), jobs
    assert not {"count_report_shard", "digitalization"} & set(jobs), jobs

    proc = _snakemake(tmp_path, *targets)
    assert proc.returncode == 0, proc.stderr[-3000:]
    manifest = json.loads((tmp_path / "data_clean" / "manifest.json").read_text(encoding="utf-8"))
    new = [r for r in manifest["raw_inputs"] if r["path"].endswith("FS_Comins_2021.csv")]
    assert new and new[0]["rows_read"] == 1 and new[0]["table"] == "income_statement"
    assert manifest["config"]["source"] == "mydata" and manifest["config"]["winsorize"]["by"] == "pooled"
    ledger = pd.read_csv(tmp_path / "data_clean" / "sample_ledger.csv")
    # balance-sheet rows unchanged; the new firm-year has no balance-sheet row: a ledger line, not a vanishing row
    def missing_bs(led):
        return int(led.set_index("rule")["rows_dropped"].get("balance sheet missing", 0))
    assert ledger["rows_remaining"].iloc[0] - missing_bs(ledger) == \
        ledger_before["rows_remaining"].iloc[0] - missing_bs(ledger_before)
    assert missing_bs(ledger) == missing_bs(ledger_before) + 1

    # a config change outside the data stages reruns the manifest but not the panel
    cfg = tmp_path / "config" / "mydata.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "output: {language: zh}\n", encoding="utf-8")
    jobs = _jobs(_snakemake(tmp_path, "--dry-run", *targets).stdout)
    assert set(jobs) == {"manifest"}, jobs

    # a malformed new file stops the run at ingest with a one-paragraph message, no traceback
    (raw / "FS_Comins_2021.csv").write_text("\n".join(lines[:3] + [row.replace("1.00", "abc")]) + "\n",
                                            encoding="utf-8")
    proc = _snakemake(tmp_path, *targets)
    assert proc.returncode != 0
    log = (tmp_path / "logs" / "ingest.log").read_text(encoding="utf-8")
    assert "ERROR in rule ingest: file data_raw/mydata/FS_Comins_2021.csv, column 'B002000000', row 4, " \
           "value 'abc': expected a number" in log
    assert "Traceback" not in log
