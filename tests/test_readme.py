"""Every command of the README's how-to section, run as printed on a copy of the test run: change the
clustering, add a control, switch to Chinese, export to Stata, rerun one model, fit one regression,
and the Python API example (executed from the README text itself)."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from snakemake.utils import update_config

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
HOWTO = README.split("## How-to: the changes users make most", 1)[1].split("\n## ", 1)[0]
SERVPARADOX = [sys.executable, "-m", "analysis.cli"]  # what .venv/bin/servparadox runs

COMMANDS = {
    "clustering": "servparadox run",
    "chinese": "servparadox tables --language zh",
    "export": "servparadox export",
    "rerun_one": "servparadox run --forcerun estimate paper/results/baseline_roa.json",
    "fit": "servparadox fit roa --moderator dig --cluster firm+year --save my_table",
    "status": "servparadox status",
}
EDITS = {"clustering": "`cluster: firm+year`", "control": "`controls: [size, lev, growth, age]`"}


def _python_example() -> str:
    return re.search(r"```python\n(.*?)```", HOWTO, re.S).group(1)


def test_the_readme_shows_the_commands_and_edits_the_test_runs():
    for name, cmd in COMMANDS.items():
        assert f"\n{cmd}\n" in HOWTO or f"`{cmd}`" in HOWTO, f"{name}: README does not show {cmd!r}"
    for name, edit in EDITS.items():
        assert edit in HOWTO, f"{name}: README does not show {edit}"
    assert "from analysis import api" in _python_example()
    assert "snakemake --forcerun tables" not in README  # fails as printed: snakemake is in .venv, needs --cores


def _csmar_rows() -> dict[str, tuple[set[str], set[str]]]:
    """The README's CSMAR download list: canonical table -> (file-name codes, fields)."""
    section = HOWTO.split("### Download the CSMAR tables", 1)[1]
    lines = [ln for ln in section.splitlines() if ln.startswith("| `")]
    rows = {}
    for ln in lines:
        cells = [c.strip() for c in ln.strip("|").split(" | ")]
        code = re.compile(r"`([^`]+)`")
        tables = code.findall(cells[3])
        assert len(tables) == 1, ln
        assert tables[0] not in rows, f"README lists {tables[0]} twice"
        rows[tables[0]] = (set(code.findall(cells[0])), set(code.findall(cells[2])))
    return rows


def test_the_csmar_download_list_is_the_mapping():
    """Every table of config/vendors/csmar.yaml is in the README's list with its file-name codes (the
    prefixes of the mapping's file patterns) and exactly the vendor fields the mapping reads."""
    from analysis.ingest import load_vendor_mapping

    mapping = load_vendor_mapping(REPO / "config" / "vendors" / "csmar.yaml")
    rows = _csmar_rows()
    assert set(rows) == set(mapping.tables), set(rows) ^ set(mapping.tables)
    for name, table in mapping.tables.items():
        codes, fields = rows[name]
        prefixes = {re.split(r"[*?\[]", f, maxsplit=1)[0] for f in table.files}
        assert codes == prefixes, (name, codes, prefixes)
        wanted = set(table.columns) | {p for c in table.computed.values() for p in c.parts()}
        assert fields == wanted, (name, fields ^ wanted)
    assert "PROVINCE" in rows["company"][1]


def _run(run: Path, cmd: str) -> subprocess.CompletedProcess:
    args = SERVPARADOX + cmd.split()[1:]
    if cmd.split()[1] in ("run", "status", "tables", "export"):
        args += ["--cores", "2"]
    proc = subprocess.run(args, cwd=run, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


#: What the test adds to the README's two edits (two-way clustering, the control Age) before
#: `servparadox run`, and the language of the README's last step: together the configuration-matrix
#: case ``twoway_mdna_zh_nomech_age`` of tests/test_config_matrix.py, whose checks run on this run.
HOWTO_EXTRAS = {
    "reports": {"section": "mdna"},
    "mechanism": {"enabled": False},
    "output": {"notebook": False},
    # a 32-specification curve: every dimension the curve's code distinguishes still varies
    "robustness": {"speccurve": {"outcome": ["roa"], "serv": ["serv"]}},
    "checks": {"placebo_reps": 10, "permutation_reps": 10},
}
HOWTO_EDITS = {"models": {"cluster": "firm+year", "controls": ["size", "lev", "growth", "age"]}}


@pytest.fixture(scope="session")
def howto_run(demo_run, request) -> dict:
    """A copy of the test run taken through the README's how-to commands, as printed (built once per
    session, shared by the test processes). Each step's own checks are made as it runs (later steps
    change the run); the commands' outputs are returned, with the folder as ``run``."""
    from tests.conftest import build_once, copy_run, deep_update

    def build(folder: Path) -> None:
        run = copy_run(demo_run, folder)
        # the README's commands use config/config.yaml: make it the test configuration (same merged
        # settings; keys in the order Snakemake's merge gives them, so that no rule sees changed params)
        test = yaml.safe_load((run / "config" / "test_config.yaml").read_text(encoding="utf-8"))
        cfg = copy.deepcopy(test)
        update_config(cfg, yaml.safe_load((run / "config" / "config.yaml").read_text(encoding="utf-8")))
        update_config(cfg, test)
        (run / "config" / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True),
                                                    encoding="utf-8")
        (run / "config" / "test_config.yaml").write_text("{}\n", encoding="utf-8")
        out = {}

        status = _run(run, COMMANDS["status"])
        assert "estimate" not in status.stdout  # nothing to estimate: the copy is up to date

        _run(run, COMMANDS["export"])
        dta = pd.read_stata(run / "data_clean" / "panel.dta")
        assert len(dta) == len(pd.read_parquet(run / "data_clean" / "panel.parquet"))

        before = (run / "paper" / "results" / "baseline_roa.json").read_bytes()
        other = (run / "paper" / "results" / "moderation_roa.json").stat().st_mtime_ns
        rerun = _run(run, COMMANDS["rerun_one"])
        assert re.search(r"^estimate\s+1$", rerun.stdout + rerun.stderr, re.M)  # job stats: one estimate
        assert (run / "paper" / "results" / "moderation_roa.json").stat().st_mtime_ns == other  # the other kept
        assert (run / "paper" / "results" / "baseline_roa.json").read_bytes() == before  # same numbers again

        out["fit"] = _run(run, COMMANDS["fit"]).stdout
        example = subprocess.run([sys.executable, "-c", _python_example()], cwd=run, capture_output=True,
                                 text=True, timeout=600)
        assert example.returncode == 0, example.stderr[-3000:]
        out["example"] = example.stdout

        # change the clustering and add a control (the README's edits), then `servparadox run`
        deep_update(cfg, HOWTO_EXTRAS)
        deep_update(cfg, HOWTO_EDITS)
        (run / "config" / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True),
                                                    encoding="utf-8")
        _run(run, COMMANDS["clustering"])
        out["baseline_en"] = (run / "paper" / "tables" / "baseline.md").read_text(encoding="utf-8")
        zh = _run(run, COMMANDS["chinese"])
        out["zh"] = zh.stdout + zh.stderr
        (folder.parent / "howto_run.json").write_text(json.dumps(out), encoding="utf-8")

    run = build_once(request.config, "howto_run", build)
    return {"run": run, **json.loads((run.parent / "howto_run.json").read_text(encoding="utf-8"))}


@pytest.mark.slow
def test_every_howto_command_runs_as_printed(howto_run):
    run = howto_run["run"]
    assert "Serv²" in howto_run["fit"] and (run / "my_table.docx").is_file()
    assert "turning point" in howto_run["example"] and (run / "my_tables" / "roa.docx").is_file()
    assert "clustered two-way by firm & year" in howto_run["baseline_en"] and "| Age |" in howto_run["baseline_en"]
    assert "rule estimate:" not in howto_run["zh"]
    assert "服务化与企业绩效" in (run / "paper" / "tables" / "baseline.md").read_text(encoding="utf-8")
