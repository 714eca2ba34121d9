"""SHA-256 checksums of a pipeline run's outputs, and the comparison of two runs.

    python tools/checksums.py RUN_A RUN_B [--dirs paper data_clean] [--report FILE]

exits 1 (listing the files) when the two runs differ. Used by tools/slurm_compare.sh to show that
the pipeline gives byte-identical outputs through SLURM and locally.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

DEFAULT_DIRS = ("paper", "data_clean")
EXCLUDE_PARTS = {"cache", ".snakemake"}


def digests(root: str | Path, dirs: tuple[str, ...] = DEFAULT_DIRS) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``root/<dir>`` (caches excluded)."""
    root = Path(root)
    out = {}
    for d in dirs:
        for p in sorted((root / d).rglob("*")):
            if p.is_file() and not EXCLUDE_PARTS & set(p.relative_to(root).parts):
                out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def compare(a: dict[str, str], b: dict[str, str]) -> dict[str, list[str]]:
    return {"only_a": sorted(set(a) - set(b)), "only_b": sorted(set(b) - set(a)),
            "different": sorted(k for k in set(a) & set(b) if a[k] != b[k]),
            "identical": sorted(k for k in set(a) & set(b) if a[k] == b[k])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_a")
    ap.add_argument("run_b")
    ap.add_argument("--dirs", nargs="+", default=list(DEFAULT_DIRS))
    ap.add_argument("--report", help="write the per-file table (Markdown) here")
    args = ap.parse_args(argv)
    a, b = digests(args.run_a, tuple(args.dirs)), digests(args.run_b, tuple(args.dirs))
    c = compare(a, b)
    ok = not (c["only_a"] or c["only_b"] or c["different"]) and len(a) > 0
    lines = [f"{len(c['identical'])} identical, {len(c['different'])} different, "
             f"{len(c['only_a'])} only in {args.run_a}, {len(c['only_b'])} only in {args.run_b}"]
    for k in ("different", "only_a", "only_b"):
        lines += [f"  {k}: {f}" for f in c[k]]
    print("\n".join(lines))
    if args.report:
        rows = ["| file | sha256 (first 16) | same |", "|:---|:---|:---:|"]
        for f in sorted(set(a) | set(b)):
            rows.append(f"| {f} | {(a.get(f) or b.get(f))[:16]} | {'yes' if a.get(f) == b.get(f) else 'NO'} |")
        Path(args.report).write_text("\n".join(rows) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
