"""Inputs by their content: what a job read, recorded by sha256, so that no edit can go unnoticed.

Snakemake decides what to rerun from modification times, and a directory input from its
``.snakemake_timestamp``: a report edited in place, or a file copied back with its old time, keeps
a stale result ("Nothing to be done"). Each rule that reads raw inputs (vendor files, annual reports)
therefore writes, as one of its outputs, a *content record*: one line per file it depends on, with the
file's sha256 (or ``-`` when only its name matters, e.g. another report of the same firm-year). When the
workflow is loaded, the record that the files now present would give is compared with the one on disk;
a record that differs makes the job's *trigger* (``<record>.changed``, an input of the job) hold the new
record's digest, so Snakemake reruns exactly that job (the trigger is newer and its content differs from
what the job last read) and what depends on it, whatever the times of the inputs say. The trigger is a
signal, not the judge: it is rewritten from the comparison of contents at every load, so a copied or
stale trigger hides nothing. Records contain no times, so two runs write identical records.

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

__all__ = ["HashCache", "content_record", "content_trigger", "refresh_record", "write_record", "NAME_ONLY"]

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


def content_trigger(record: str | Path) -> str:
    """The trigger file of a content record: an input of the job that writes the record."""
    return f"{record}.changed"


def refresh_record(record: str | Path, current: str) -> bool:
    """Compare ``record`` (if it exists) with ``current``, the record the files now present give; when they
    differ, write the digest of ``current`` to the record's trigger so that Snakemake reruns the job. The
    trigger is created empty when missing (a new run: the job runs anyway). Returns True when stale."""
    p, trig = Path(record), Path(content_trigger(record))
    trig.parent.mkdir(parents=True, exist_ok=True)
    if not trig.exists():
        trig.write_text("", encoding="utf-8")
    try:
        old = p.read_text(encoding="utf-8")
    except OSError:
        return False
    if old == current:
        return False
    digest = hashlib.sha256(current.encode("utf-8")).hexdigest() + "\n"
    if trig.read_text(encoding="utf-8") != digest:
        trig.write_text(digest, encoding="utf-8")
    return True


def write_record(record: str | Path, current: str) -> None:
    Path(record).write_text(current, encoding="utf-8")
