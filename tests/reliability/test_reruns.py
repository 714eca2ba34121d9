"""Reliability battery, reruns: inputs are inputs by their content (analysis.content), so an annual report
or a vendor file edited in place (even with its old modification time), added or removed reruns exactly
the jobs that depend on it; the ``.snakemake_timestamp`` of the demo's report folder hides nothing.

Works on copies of the shared finished test run (fixture ``demo_copy``): dry runs say which jobs would run,
and one real rerun of the text stage shows the count of the edited report changes.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.text.reports import shard_of
from tests.conftest import run_snakemake

pytestmark = pytest.mark.slow
outcome = pytest.mark.outcome
N_SHARDS = 2  # config/test_config.yaml


def _dry(run: Path) -> tuple[dict[str, int], list[str]]:
    proc = run_snakemake(run, "--dry-run")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    stats = out.split("Job stats:", 1)[1] if "Job stats:" in out else ""
    jobs = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", stats, re.M) if m.group(1) != "total"}
    text_shards = [m.group(1) for block in re.split(r"\n\s*\n", out) if re.search(r"rule count_report_shard:", block)
                   for m in re.finditer(r"shard=(\d+)", block)]
    return jobs, text_shards


def _reports(run: Path) -> Path:
    return run / "data_raw/demo/reports"


def _a_report(run: Path) -> Path:
    return sorted(p for p in _reports(run).iterdir() if p.suffix == ".txt")[0]


@outcome("correct", case="a report edited in place, its time kept: only its shard, digitalization and downstream rerun")
def test_report_edited_in_place(demo_copy):
    run = demo_copy
    assert (_reports(run) / ".snakemake_timestamp").exists()  # the marker that used to hide every change
    report = _a_report(run)
    shard = shard_of(report.relative_to(_reports(run)).as_posix(), N_SHARDS)
    firm, year = report.stem.split("_")[:2]
    before = pd.read_parquet(run / "data_clean/digital_counts.parquet")
    st = report.stat()
    report.write_text(report.read_text(encoding="utf-8") + "\n公司推进人工智能相关工作。" * 5, encoding="utf-8")
    os.utime(report, ns=(st.st_atime_ns, st.st_mtime_ns))  # same name, same time: only the content differs
    jobs, shards = _dry(run)
    assert jobs["count_report_shard"] == 1 and shards == [str(shard)]
    assert jobs["digitalization"] == 1 and jobs["report_segments"] == 1 and jobs["panel"] == 1
    assert "ingest" not in jobs and "demo_data" not in jobs
    proc = run_snakemake(run, "data_clean/digital_counts.parquet")
    assert proc.returncode == 0, proc.stderr[-3000:]
    after = pd.read_parquet(run / "data_clean/digital_counts.parquet")

    def count(df):
        m = (df["firm"] == firm) & (df["year"] == int(year)) & (df["section"] == "full") & (df["term"] == "人工智能")
        return int(df.loc[m, "count"].sum())
    assert count(after) == count(before) + 5
    others = lambda df: df[~((df["firm"] == firm) & (df["year"] == int(year)))].reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(others(after), others(before))


@outcome("correct", case="a report added beside .snakemake_timestamp, or one removed: its shard reruns, not the other")
def test_report_added_or_removed(demo_copy):
    run = demo_copy
    src = _a_report(run)
    new = _reports(run) / "999001_2019.txt"
    shutil.copy2(src, new)  # beside the folder's .snakemake_timestamp, which keeps the folder's time
    jobs, shards = _dry(run)
    s_new = shard_of(new.name, N_SHARDS)
    assert jobs["count_report_shard"] == 1 and shards == [str(s_new)]
    # the dry run updated that shard's trigger (its inputs changed): it reruns from now on, as does the
    # shard of a report removed from the other shard
    victim = next(p for p in sorted(_reports(run).glob("*.txt")) if shard_of(p.name, N_SHARDS) != s_new)
    victim.unlink()
    jobs, shards = _dry(run)
    assert jobs["count_report_shard"] == 2 and sorted(shards) == sorted({str(s_new), str(1 - s_new)})


@outcome("correct", case="a vendor file edited in place with its old time reruns ingest (not the text stage)")
def test_vendor_file_edited_in_place(demo_copy):
    run = demo_copy
    f = run / "data_raw/demo/TRD_Co.csv"
    st = f.stat()
    f.write_bytes(f.read_bytes() + b"\n")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    jobs, _ = _dry(run)
    assert jobs["ingest"] == 1 and "count_report_shard" not in jobs and "demo_data" not in jobs
