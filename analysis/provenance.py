"""Provenance of a run: ``data_clean/manifest.json``.

The manifest lists every raw input (path, bytes, SHA-256 and, for vendor tables, the rows read),
the resolved configuration (after schema defaults), the versions of the pinned direct dependencies
(``pyproject.toml``) as installed, the Python version and the git commit of the code. It holds no
timestamps and no absolute paths, so two runs on the same inputs and code give the same bytes.
"""

from __future__ import annotations

import hashlib
import platform
import re
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.config import REPO_ROOT

MANIFEST_VERSION = 1


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def file_entry(path: str | Path, **extra: Any) -> dict[str, Any]:
    p = Path(path)
    return {"path": p.as_posix(), "bytes": p.stat().st_size, "sha256": sha256_file(p), **extra}


def folder_entries(folder: str | Path, kind: str) -> list[dict[str, Any]]:
    """One entry per file under ``folder`` (sorted by path); rows_read is not defined for them."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return [file_entry(p, table=kind, rows_read=None)
            for p in sorted(folder.rglob("*"), key=lambda q: q.as_posix()) if p.is_file()]


def pinned_packages(pyproject: str | Path = REPO_ROOT / "pyproject.toml") -> dict[str, dict[str, str | None]]:
    """Direct dependencies: the pin in pyproject.toml and the version installed (None if absent)."""
    try:
        spec = tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    deps = list(spec.get("project", {}).get("dependencies", []))
    for extra in spec.get("project", {}).get("optional-dependencies", {}).get("test", []):
        deps.append(extra)
    out: dict[str, dict[str, str | None]] = {}
    for dep in deps:
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(?:==\s*([^;\s]+))?", dep)
        if not m:
            continue
        name, pin = m.group(1), m.group(2)
        try:
            installed: str | None = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        out[name] = {"pinned": pin, "installed": installed}
    return dict(sorted(out.items()))


def git_state(repo: str | Path = REPO_ROOT) -> dict[str, Any]:
    """Commit of the code (``git rev-parse HEAD``) and whether tracked files differ from it;
    both None when git or the repository is unavailable."""
    def run(*args: str) -> str | None:
        try:
            proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                                  timeout=30)
        except (OSError, subprocess.SubprocessError):
            return None
        return proc.stdout.strip() if proc.returncode == 0 else None

    commit = run("rev-parse", "HEAD")
    status = run("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def build_manifest(files: pd.DataFrame, config: dict[str, Any], *,
                   other_inputs: list[dict[str, Any]] = (), repo: str | Path = REPO_ROOT,
                   warnings: list[str] = ()) -> dict[str, Any]:
    """The manifest as a dictionary. ``files`` is the ingest rule's list of vendor files read
    (with the header rows found and the notes: rows excluded, columns unavailable, where given);
    ``warnings`` are the sanity checks' warnings after mapping (data_clean/raw/checks.csv)."""
    raw = []
    for rec in files.sort_values(["table", "path"], kind="stable").to_dict(orient="records"):
        entry = {"table": rec["table"], "path": rec["path"], "bytes": int(rec["bytes"]),
                 "sha256": rec["sha256"], "encoding": rec["encoding"],
                 "rows_read": int(rec["rows_read"]), "codes_padded": int(rec["codes_padded"])}
        if "header_rows" in rec:
            entry["header_rows"] = int(rec["header_rows"])
        if isinstance(rec.get("notes"), str) and rec["notes"]:
            entry["notes"] = rec["notes"]
        raw.append(entry)
    return {
        "manifest_version": MANIFEST_VERSION,
        "raw_inputs": raw,
        "warnings": list(warnings),
        "other_inputs": list(other_inputs),
        "totals": {"vendor_files": len(raw), "vendor_rows_read": sum(r["rows_read"] for r in raw),
                   "other_files": len(other_inputs)},
        "config": config,
        "packages": pinned_packages(Path(repo) / "pyproject.toml"),
        "python": platform.python_version(),
        "git": git_state(repo),
    }
