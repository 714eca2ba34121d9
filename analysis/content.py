"""Inputs by their content: what a job read, recorded by sha256, so that no edit can go unnoticed.

Snakemake decides what to rerun from modification times, and a directory input from its
``.snakemake_timestamp``: a report edited in place, or a file copied back with its old time, keeps
a stale result ("Nothing to be done"). Each rule that reads raw inputs (vendor files, annual reports)
therefore writes, as one of its outputs, a *content record*: one line per file it depends on, with the
file's sha256 (or ``-`` when only its name matters, e.g. another report of the same firm-year). When the
workflow is loaded, the record that the files now present would give is compared with the one on disk;
a record that differs is removed, so Snakemake reruns exactly the job that wrote it (and what depends
on it), whatever the times say. Records contain no times, so two runs write identical records.

Hashing 50,000 reports at every invocation would be slow: :class:`HashCache` keeps each file's sha256
with its (size, mtime, ctime, inode) and re-hashes only files whose stat changed. The ctime cannot be
set back by a user (any write or copy changes it), so an in-place edit is always re-hashed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

__all__ = ["HashCache", "content_record", "refresh_record", "write_record", "NAME_ONLY"]

#: sha256 column of a dependency on a file's name only.
NAME_ONLY = "-"
RECORD_HEADER = "file,sha256"


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class HashCache:
    """sha256 of files, cached by (path, size, mtime_ns, ctime_ns, inode) in a JSON file (None: no cache).

    ``save`` writes the cache atomically when something changed; concurrent writers lose at most
    entries, which are re-hashed next time (never a wrong hash: an entry is used only when the stat matches).
    """

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path is not None else None
        self.entries: dict[str, list] = {}
        self.hashed = 0  # files hashed (not taken from the cache) since loading
        self._dirty = False
        if self.path is not None:
            try:
                self.entries = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.entries = {}

    def sha256(self, path: str | Path) -> str:
        p = Path(path)
        st = p.stat()
        stamp = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        key = str(p)
        hit = self.entries.get(key)
        if hit is not None and hit[:4] == stamp:
            return hit[4]
        sha = _sha256(p)
        self.hashed += 1
        self.entries[key] = stamp + [sha]
        self._dirty = True
        return sha

    def save(self) -> None:
        if self.path is None or not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self.entries, fh, sort_keys=True)
        os.replace(tmp, self.path)
        self._dirty = False


def content_record(deps: Iterable[tuple[str, Path | None]], hashes: HashCache) -> str:
    """The record of a job's dependencies: ``file,sha256`` lines sorted by file (``-`` for a name-only
    dependency, given as ``(name, None)``)."""
    rows = sorted({(name, NAME_ONLY if path is None else hashes.sha256(path)) for name, path in deps})
    return "\n".join([RECORD_HEADER, *(f"{n},{s}" for n, s in rows)]) + "\n"


def refresh_record(record: str | Path, current: str) -> bool:
    """Remove ``record`` when it exists and differs from ``current`` (the inputs changed since the job that
    wrote it ran), so that Snakemake reruns that job; returns True when it did."""
    p = Path(record)
    try:
        old = p.read_text(encoding="utf-8")
    except OSError:
        return False
    if old == current:
        return False
    p.unlink()
    return True


def write_record(record: str | Path, current: str) -> None:
    Path(record).write_text(current, encoding="utf-8")
