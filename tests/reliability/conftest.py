"""The reliability battery: what every kind of bad input gets.

Each case is a test marked ``@pytest.mark.outcome(kind, case="...")`` where kind is one of

- ``error``: a clear error that names the file, column, row and value and what to do;
- ``drop``: a recorded drop (ledger line or report status) with its reason;
- ``identical``: the result equals that of the clean input (the mess is handled);
- ``correct``: the result is the right number (checked against a value read by eye or computed
  independently).

No case may end in a wrong number, a bare traceback or a silent loss: a case that did would fail.
At the end of the run the battery prints a count by outcome class (see ``pytest_terminal_summary``); with
the environment variable ``RELIABILITY_REPORT`` set to a path (``make battery`` sets
bench/results/reliability_battery.md) it also writes the count and every case to that Markdown file.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

KINDS = ("error", "drop", "identical", "correct")
_RESULTS: dict[str, tuple[str, str, str]] = {}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "reliability" not in str(item.fspath):
            continue
        mark = item.get_closest_marker("outcome")
        if mark is None or not mark.args or mark.args[0] not in KINDS:
            raise pytest.UsageError(
                f"{item.nodeid}: every reliability case needs @pytest.mark.outcome(kind, case=...) "
                f"with kind one of {KINDS}"
            )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    mark = item.get_closest_marker("outcome")
    if mark is None or "reliability" not in str(item.fspath):
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        status = "passed" if report.passed else ("skipped" if report.skipped else "failed")
        _RESULTS[item.nodeid] = (mark.args[0], mark.kwargs.get("case", item.name), status)


def battery_summary() -> str:
    by_kind = Counter((kind, status) for kind, _, status in _RESULTS.values())
    failed = sum(n for (_, s), n in by_kind.items() if s == "failed")
    lines = [f"reliability battery: {len(_RESULTS)} cases"]
    for kind in KINDS:
        n = {s: by_kind.get((kind, s), 0) for s in ("passed", "failed", "skipped")}
        lines.append(f"  {kind:<10} {n['passed']:>3} passed, {n['failed']} failed, {n['skipped']} skipped")
    lines.append(f"  failing cases (a wrong number, a crash or a silent loss): {failed}")
    return "\n".join(lines)


def battery_markdown() -> str:
    """The count by outcome class and every case with its class and result, as Markdown."""
    by_kind = Counter((kind, status) for kind, _, status in _RESULTS.values())
    failed = sum(n for (_, s), n in by_kind.items() if s == "failed")
    lines = ["# Reliability battery (tests/reliability)", "",
             "Written by `make battery` (the battery's conftest hook). Each case is one bad input or rerun; its",
             "outcome class is what the package must do with it: a clear error, a recorded drop, a result identical",
             "to the clean input's, or the correct number. A case that ended otherwise (a wrong number, a crash, a",
             "silent loss) fails.", "",
             "| outcome | passed | failed | skipped |", "|---|---:|---:|---:|"]
    for kind in KINDS:
        lines.append(f"| {kind} | " + " | ".join(str(by_kind.get((kind, s), 0)) for s in ("passed", "failed", "skipped"))
                     + " |")
    lines += ["", f"{len(_RESULTS)} cases; wrong results, crashes and silent losses (failing cases): {failed}.", "",
              "| file | outcome | case | result |", "|---|---|---|---|"]
    for nodeid, (kind, case, status) in sorted(_RESULTS.items()):
        lines.append(f"| {nodeid.split('::')[0].rsplit('/', 1)[-1]} | {kind} | {case.replace('|', '/')} | {status} |")
    return "\n".join(lines) + "\n"


def pytest_terminal_summary(terminalreporter):
    if _RESULTS:
        terminalreporter.write_sep("-", "reliability battery")
        terminalreporter.write_line(battery_summary())
        target = os.environ.get("RELIABILITY_REPORT")
        if target:
            Path(target).write_text(battery_markdown(), encoding="utf-8")
            terminalreporter.write_line(f"written to {target}")
