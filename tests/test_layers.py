"""The package's layers: estimation never imports presentation; one model step.

A static scan of the import statements (module level and inside functions) of every module of
``analysis/`` outside ``analysis/presentation/``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from analysis.config import REPO_ROOT

ANALYSIS = REPO_ROOT / "analysis"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                pkg = ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts[: -node.level])
                out.add(f"{pkg}.{node.module}" if node.module else pkg)
            elif node.module:
                out.add(node.module)
                out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


#: the user-facing entry points (the Python API and the command) sit above both layers: they may
#: import estimation and presentation, and nothing in the package imports them
ENTRY_POINTS = {"api.py", "cli.py"}


def test_estimation_never_imports_presentation():
    offenders = {}
    for path in sorted(ANALYSIS.rglob("*.py")):
        if "presentation" in path.relative_to(ANALYSIS).parts or path.relative_to(ANALYSIS).as_posix() in ENTRY_POINTS:
            continue
        bad = sorted(m for m in _imports(path) if m.startswith("analysis.presentation"))
        if bad:
            offenders[str(path.relative_to(REPO_ROOT))] = bad
    assert offenders == {}


def test_nothing_in_the_package_imports_the_entry_points():
    entry = {f"analysis.{name[:-3]}" for name in ENTRY_POINTS}
    offenders = {str(p.relative_to(REPO_ROOT)): sorted(_imports(p) & entry) for p in sorted(ANALYSIS.rglob("*.py"))
                 if p.relative_to(ANALYSIS).as_posix() not in ENTRY_POINTS and _imports(p) & entry}
    assert offenders == {}


def test_the_scan_sees_imports_inside_functions(tmp_path):
    p = tmp_path / "probe.py"
    p.write_text("def f():\n    from analysis.presentation.tables import label\n    import analysis.presentation\n",
                 encoding="utf-8")
    assert {"analysis.presentation.tables", "analysis.presentation"} <= _imports(p)


def test_only_the_model_step_fits_the_inverted_u():
    """fit_model/tidy_result (the fitting primitives) and u_test/moderation_table (the statistics) are
    called, outside their own modules and the inference package, only by analysis/models.py (and the
    bootstrap/cross-check helpers that refit a given spec)."""
    allowed = {"analysis/models.py", "analysis/estimation.py", "analysis/inference/crosscheck.py"}
    offenders = {}
    for path in sorted((REPO_ROOT / "analysis").rglob("*.py")) + sorted((REPO_ROOT / "scripts").glob("*.py")):
        rel = str(path.relative_to(REPO_ROOT))
        if rel in allowed or rel.startswith("analysis/inference/"):
            continue
        names = {m.rsplit(".", 1)[-1] for m in _imports(path)}
        used = sorted(names & {"fit_model", "tidy_result", "u_test", "moderation_table"})
        if used:
            offenders[rel] = used
    assert offenders == {}


def test_the_readme_module_table_matches_the_code():
    """Every module and subpackage of analysis/ is in the README's module table, and every path the
    table names exists."""
    import re

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("| Module | Concept |", 1)[1].split("\n\n", 1)[0]
    named = set(re.findall(r"`(analysis/[^`]+)`", table))
    assert named, "no module table in the README"
    for path in named:
        assert (REPO_ROOT / path.rstrip("/")).exists(), f"README names {path}, which does not exist"
    present = {f"analysis/{p.name}" for p in ANALYSIS.glob("*.py") if p.name != "__init__.py"}
    present |= {f"analysis/{p.name}/" for p in ANALYSIS.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    missing = sorted(p for p in present if p not in named)
    assert missing == [], f"modules missing from the README's module table: {missing}"
