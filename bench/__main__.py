"""Run every benchmark: each ``bench/bench_*.py`` module's ``main()``, in name order.

Usage::

    python -m bench                      # all benchmarks
    python -m bench estimation_speed     # one (name with or without the ``bench_`` prefix)
    python -m bench text -- --help       # arguments after ``--`` go to the selected benchmark(s)

Each ``main`` is called with the arguments after ``--`` (an empty list by default, so a benchmark
never sees this command's own arguments). A benchmark that fails is reported and the others still
run; the exit status is non-zero if any failed.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover() -> list[str]:
    return sorted(p.stem for p in HERE.glob("bench_*.py"))


def _call(main, args: list[str]):
    params = inspect.signature(main).parameters
    if params:
        return main(args)
    saved = sys.argv
    sys.argv = [saved[0], *args]  # benchmarks that read sys.argv themselves
    try:
        return main()
    finally:
        sys.argv = saved


def run(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    passthrough: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, passthrough = argv[:i], argv[i + 1:]
    available = discover()
    if argv in (["-h"], ["--help"], ["--list"]):
        print(__doc__)
        print("available:", ", ".join(n.removeprefix("bench_") for n in available))
        return 0
    selected = []
    for name in argv:
        mod = name if name.startswith("bench_") else f"bench_{name}"
        mod = mod.removesuffix(".py")
        if mod not in available:
            print(f"unknown benchmark {name!r}; available: {', '.join(n.removeprefix('bench_') for n in available)}",
                  file=sys.stderr)
            return 2
        selected.append(mod)
    failed = []
    for mod in selected or available:
        print(f"=== bench: {mod} ===", flush=True)
        t0 = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{mod}")
            rc = _call(module.main, passthrough)
            if rc not in (None, 0):
                failed.append(mod)
        except SystemExit as e:
            if e.code not in (None, 0):
                failed.append(mod)
        except Exception:
            traceback.print_exc()
            failed.append(mod)
        print(f"=== bench: {mod} finished in {time.perf_counter() - t0:.1f} s ===", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(run())
