"""Glue for Snakemake rule scripts: logging to the rule's log file and clear errors.

Every rule script does::

    from analysis.workflow import run_rule
    def main(smk): ...
    run_rule(main, snakemake)

``run_rule`` writes everything the step prints, with timestamps, to the rule's log (``log[0]``) and
to the console; a :class:`~analysis.ingest.RawDataError` (or other input error raised by the
package) ends the rule with a one-paragraph message naming file, column, row and value instead of
a wall of traceback. Unexpected errors keep their traceback (in the log).
"""

from __future__ import annotations

import functools

import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable

def _user_errors() -> tuple[type[BaseException], ...]:
    from analysis.ingest import RawDataError

    errors: list[type[BaseException]] = [RawDataError]
    for mod, name in [("analysis.text.dictionary", "DictionaryError"),
                      ("analysis.servitization.classifier", "RulesError"),
                      ("analysis.servitization.classifier", "OverridesError"),
                      ("analysis.estimation", "PanelTooSmall")]:
        try:
            module = __import__(mod, fromlist=[name])
            errors.append(getattr(module, name))
        except (ImportError, AttributeError):
            pass
    return tuple(errors)


class _Tee:
    def __init__(self, *streams):
        self.streams = streams

    def write(self, s: str) -> int:
        for st in self.streams:
            st.write(s)
            st.flush()
        return len(s)

    def flush(self) -> None:
        for st in self.streams:
            st.flush()


class StepLog:
    """``log("message")`` prints a timestamped line (elapsed seconds since the step started)."""

    def __init__(self, name: str):
        self.name = name
        self.t0 = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.t0:7.1f}s] {self.name}: {message}", flush=True)


def run_rule(main: Callable[[Any, StepLog], None], smk: Any) -> None:
    """Run ``main(snakemake, log)`` with output teed to the rule's log file."""
    log_path = Path(smk.log[0]) if len(smk.log) else None
    fh = None
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(log_path, "w", encoding="utf-8")
        sys.stdout = _Tee(sys.__stdout__, fh)
        sys.stderr = _Tee(sys.__stderr__, fh)
    log = StepLog(smk.rule)
    try:
        main(smk, log)
        log("done")
    except _user_errors() as exc:
        print(f"\nERROR in rule {smk.rule}: {exc}\n", file=sys.stderr, flush=True)
        sys.exit(1)
    except Exception:
        traceback.print_exc()
        raise
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        if fh is not None:
            fh.close()


def write_json(path: str | Path, data: Any) -> None:
    """JSON with sorted keys and a trailing newline (byte-identical across runs)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                          encoding="utf-8")


def json_records(frame) -> list[dict[str, Any]]:
    """Rows of a frame as JSON-safe records (NaN and infinities become None)."""
    import math

    out = []
    for rec in frame.to_dict(orient="records"):
        out.append({k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in rec.items()})
    return out


# ------------------------------------------------------------------------------ code versions
PACKAGE = "analysis"


def _module_files(module: str, root: Path) -> list[Path]:
    """Files executed when ``module`` (dotted, under ``root``) is imported: every package ``__init__``
    on its path and the module itself (a ``.py`` file or a package's ``__init__.py``)."""
    parts = module.split(".")
    files = []
    for k in range(1, len(parts) + 1):
        base = root.joinpath(*parts[:k])
        for candidate in (base / "__init__.py", base.with_suffix(".py")):
            if candidate.is_file():
                files.append(candidate)
                break
    return files


@functools.lru_cache(maxsize=None)
def _direct_imports(path: Path, root: Path, stamp: tuple[int, int]) -> tuple[Path, ...]:
    """The package files one file's import statements run (not followed further). Cached by the
    file's (size, mtime): the Snakefile computes a digest for every rule, and the rules share most
    modules, so each file is parsed once per Snakemake call instead of once per rule."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    try:  # the package a relative import starts from (a module's or an __init__'s own package)
        here = list(path.relative_to(root).parts[:-1])
    except ValueError:
        here = []
    found: list[Path] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from . (level 1) is the module's own package, each further dot one up
                pkg = here[: len(here) - node.level + 1]
                base = ".".join(pkg + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        for name in names:
            if name == PACKAGE or name.startswith(PACKAGE + "."):
                found.extend(_module_files(name, root))
    return tuple(found)


def code_files(script: str | Path, root: str | Path) -> list[Path]:
    """The package modules a rule script runs: its ``analysis`` imports, followed transitively
    (a static scan of import statements, relative ones included), plus the script itself; sorted.

    ``root`` is the folder that holds the ``analysis`` package. Imports inside functions count too
    (they run when the function does); data files the modules read are not included.
    """
    root = Path(root)
    seen: set[Path] = set()
    todo = [Path(script)]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        st = path.stat()
        todo.extend(_direct_imports(path, root, (st.st_size, st.st_mtime_ns)))
    return sorted(seen)


def code_digest(script: str | Path, root: str | Path) -> str:
    """SHA-256 over the contents of :func:`code_files` (paths relative to ``root`` included): changes
    when the script or any package module it runs changes, and only then. A rule that carries it as
    a param is rerun by Snakemake when its code changes."""
    import hashlib

    root = Path(root)
    h = hashlib.sha256()
    for path in code_files(script, root):
        try:
            name = path.relative_to(root).as_posix()
        except ValueError:
            name = path.name
        h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


# --------------------------------------------------------------------------- content records
#: Where the workflow caches file hashes by stat (under a "cache" folder: not an output, may be deleted).
HASH_CACHE = "data_clean/cache/content_hashes.json"


def refresh_content_records(records: dict[str, Callable[[], list]], cache: str | Path | None = HASH_CACHE,
                            say: Callable[[str], None] | None = None) -> list[str]:
    """At workflow load: for each content record (:mod:`analysis.content`; ``records`` maps its path to a
    function giving the job's current dependencies), compare it with the record the files now present give;
    when they differ, the record's trigger (an input of the job) gets the new digest, so Snakemake reruns the
    job. Records not on disk cost nothing (their job runs anyway); missing triggers are created empty.
    Returns the stale records."""
    from analysis.content import HashCache, content_record, content_trigger, refresh_record

    hashes = HashCache(cache)
    stale = []
    for record, deps in records.items():
        if not Path(record).is_file():
            refresh_record(record, "")  # creates the trigger only
            continue
        if refresh_record(record, content_record(deps(), hashes)):
            stale.append(record)
            if say:
                say(f"inputs changed since {record} was written ({content_trigger(record)} updated): its job reruns")
    hashes.save()
    return stale


def write_content_record(record: str | Path, deps: list, cache: str | Path | None = HASH_CACHE) -> None:
    """Write the content record of the dependencies a job has just read (the cache is read, not written:
    parallel jobs share it)."""
    from analysis.content import HashCache, content_record, write_record

    write_record(record, content_record(deps, HashCache(cache)))
