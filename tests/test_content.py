"""Inputs by their content (analysis.content, analysis.text.reports.report_dependencies): hashes cached by
stat and re-hashed only when the stat changes; a record the files contradict is removed; each shard's
record names what it depends on and nothing more."""

from __future__ import annotations

import hashlib
import os

from analysis.content import HashCache, content_record, refresh_record, write_record
from analysis.text.reports import report_dependencies, shard_of


def test_hash_cache_rehashes_only_changed_files(tmp_path):
    files = [tmp_path / f"{i}.txt" for i in range(5)]
    for i, f in enumerate(files):
        f.write_text(f"report {i}", encoding="utf-8")
    cache = HashCache(tmp_path / "cache.json")
    first = [cache.sha256(f) for f in files]
    cache.save()
    again = HashCache(tmp_path / "cache.json")
    assert [again.sha256(f) for f in files] == first and again.hashed == 0
    st = files[2].stat()
    files[2].write_text("report X", encoding="utf-8")  # same size, old time put back: ctime still moves
    os.utime(files[2], ns=(st.st_atime_ns, st.st_mtime_ns))
    third = HashCache(tmp_path / "cache.json")
    assert [third.sha256(f) for f in files] != first and third.hashed == 1


def test_stale_record_updates_the_trigger_and_equal_one_does_not(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("x", encoding="utf-8")
    rec = tmp_path / "inputs.csv"
    trig = tmp_path / "inputs.csv.changed"
    write_record(rec, content_record([("a.txt", f), ("b.txt", None)], HashCache(None)))
    assert rec.read_text(encoding="utf-8").splitlines()[2] == "b.txt,-"
    assert not refresh_record(rec, content_record([("a.txt", f), ("b.txt", None)], HashCache(None)))
    assert trig.read_text(encoding="utf-8") == ""  # created empty, left alone while the record holds
    f.write_text("y", encoding="utf-8")
    current = content_record([("a.txt", f), ("b.txt", None)], HashCache(None))
    assert refresh_record(rec, current)
    assert trig.read_text(encoding="utf-8").strip() == hashlib.sha256(current.encode("utf-8")).hexdigest()
    assert rec.exists()  # the job rewrites it when it reruns


def test_shard_dependencies(tmp_path):
    names = ["600001_2020.txt", "600002_2020.txt", "600003_2020.txt", "600001_2020_更新后.txt", "某公司年报.txt"]
    for n in names:
        (tmp_path / n).write_text(n, encoding="utf-8")
    (tmp_path / ".snakemake_timestamp").write_text("", encoding="utf-8")
    deps = report_dependencies(tmp_path, 3)
    assert sorted(n for n, _ in deps["all"]) == sorted(names)
    unnamed = "某公司年报.txt"
    for k in range(3):
        own = {n for n in names if shard_of(n, 3) == k}
        content = {n for n, p in deps[k] if p is not None}
        assert content == own | {unnamed}  # the unnamed report is identified from its pages: content matters
        name_only = {n for n, p in deps[k] if p is None}
        if unnamed in own:
            assert name_only == set(names) - content
        else:  # the other file of the same firm-year, by name (duplicates are resolved by name)
            same_fy = {"600001_2020.txt", "600001_2020_更新后.txt"}
            assert name_only == (same_fy - own if own & same_fy else set())
