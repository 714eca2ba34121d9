"""The ``servparadox`` command and the Python API: installed with the package, --help for every
command, `fit` prints the numbers of an independent dummy-variable OLS, errors are one clear line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
import statsmodels.formula.api as smf

from analysis import api, cli
from tests.test_estimation import panel  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[1]


def test_the_command_is_installed_with_the_package():
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'servparadox = "analysis.cli:main"' in text
    exe = Path(sys.executable).parent / "servparadox"
    if not exe.exists():
        pytest.skip(f"{exe} not installed (run `make setup`)")
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "run" in out.stdout and "export" in out.stdout


@pytest.mark.parametrize("command", ["run", "status", "tables", "export", "fit"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([command, "--help"])
    assert exc.value.code == 0
    assert "--config" in capsys.readouterr().out


def test_run_parses_the_readme_command(monkeypatch):
    ns = cli.parser().parse_args(["run", "--forcerun", "estimate", "paper/results/baseline_roa.json"])
    assert ns.forcerun == ["estimate"] and ns.targets == ["paper/results/baseline_roa.json"]
    ns = cli.parser().parse_args(["run", "--forcerun", "estimate", "--forcerun", "tables"])
    assert ns.forcerun == ["estimate", "tables"] and ns.targets == []
    calls = []
    monkeypatch.setattr(cli.subprocess, "call", lambda cmd: calls.append(cmd) or 0)
    monkeypatch.setattr(cli, "_check_config", lambda path: None)
    assert cli.main(["run", "--cores", "2", "--forcerun", "estimate", "paper/results/baseline_roa.json"]) == 0
    cmd = calls[0]  # the target before --forcerun, which takes every word after it
    assert cmd.index("paper/results/baseline_roa.json") < cmd.index("--forcerun") and cmd[-1] == "estimate"


def test_run_calls_snakemake_of_this_python_with_cores_and_config():
    cmd = cli.snakemake_command("config/my.yaml", 4, "--forcerun", "tables")
    assert cmd[:3] == [sys.executable, "-m", "snakemake"]
    assert cmd[cmd.index("--configfile") + 1] == "config/my.yaml" and cmd[cmd.index("--cores") + 1] == "4"
    assert cmd[-2:] == ["--forcerun", "tables"]


@pytest.fixture
def project(panel, tmp_path, monkeypatch):  # noqa: F811
    (tmp_path / "data_clean").mkdir()
    (tmp_path / "config").mkdir()
    panel.to_parquet(tmp_path / "data_clean" / "panel.parquet")
    (tmp_path / "config" / "config.yaml").write_text("seed: 1\nsource: demo\nmodels: {controls: [size]}\n",
                                                    encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_fit_prints_the_coefficients_of_a_dummy_variable_ols(project, panel, capsys):  # noqa: F811
    assert cli.main(["fit", "roa", "--se", "iid"]) == 0
    out = capsys.readouterr().out
    d = panel.assign(serv_sq=panel.serv**2)
    ols = smf.ols("roa ~ serv + serv_sq + size + C(firm) + C(year)", data=d).fit()
    for name in ("serv", "serv_sq", "size"):
        assert f"{ols.params[name]:.4f}" in out and f"({ols.bse[name]:.4f})" in out, name
    assert "U-test p (Sasabuchi)" in out


def test_fit_errors_are_one_clear_line(project, capsys):
    assert cli.main(["fit", "roq"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("servparadox fit: the panel has no column(s) ['roq']") and "Traceback" not in err
    assert cli.main(["fit", "roa", "--panel", "nowhere.parquet"]) == 2
    assert "nowhere.parquet: no estimation panel here" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="config file 'missing.yaml' not found"):
        cli.main(["fit", "roa", "--config", "missing.yaml"])


def test_api_fit_u_test_and_moderation(panel):  # noqa: F811
    res = api.fit(panel, "roa", controls=["size"], se="iid")
    d = panel.assign(serv_sq=panel.serv**2)
    ols = smf.ols("roa ~ serv + serv_sq + size + C(firm) + C(year)", data=d).fit()
    assert res.params()["serv_sq"] == pytest.approx(ols.params["serv_sq"], rel=1e-8)
    # the turning point -b1 / (2 b2), computed independently from statsmodels' coefficients
    assert api.u_test(res)["extreme_point"] == pytest.approx(-ols.params["serv"] / (2 * ols.params["serv_sq"]), rel=1e-8)
    mod = api.fit(panel, "roa", moderator="dig", controls=["size"])
    m = api.moderation(mod)
    assert {"curvature", "flattening_b5"} <= set(m["quantity"])
    with pytest.raises(ValueError, match="has no moderator"):
        api.moderation(res)
    md = api.table([res, mod], language="zh", parentheses="t").to_markdown()
    assert "服务化" in md and "括号内为 t 值" in md


def test_tables_forces_only_the_rules_the_config_runs(tmp_path, monkeypatch):
    """With the mechanism switched off, `servparadox tables` must not force mechanism_tables: Snakemake
    would rerun every stale mechanism job whose tables are still on disk from an earlier run."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text((cli.REPO_ROOT / "config" / "config.yaml").read_text(
        encoding="utf-8"), encoding="utf-8")
    (tmp_path / "config" / "off.yaml").write_text("mechanism: {enabled: false}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    calls = []
    monkeypatch.setattr(cli.subprocess, "call", lambda cmd: calls.append(cmd) or 0)
    assert cli.main(["tables", "--config", "config/off.yaml", "--language", "zh"]) == 0
    forced = calls[0][calls[0].index("--forcerun") + 1:calls[0].index("--config")]
    assert "mechanism_tables" not in forced and {"tables", "checks_tables", "paper_markdown"} <= set(forced)
    assert cli.main(["tables"]) == 0  # the study config: mechanism on
    assert "mechanism_tables" in calls[1]


def test_api_reads_a_partial_config_as_a_run_does(tmp_path, monkeypatch):
    """A YAML with a few model settings changes only those: the rest comes from config/config.yaml, as for
    `servparadox run --config` (the file is layered on the project's config), not from the schema defaults."""
    from analysis.api import models_config
    from analysis.config import run_config

    (tmp_path / "config").mkdir()
    study = yaml.safe_load((cli.REPO_ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    study["models"]["controls"] = ["size", "lev"]  # not the schema's default controls
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(study, allow_unicode=True), encoding="utf-8")
    (tmp_path / "config" / "mine.yaml").write_text("models: {cluster: firm+year}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    models = models_config("config/mine.yaml")
    assert models["controls"] == ["size", "lev"] and models["cluster"] == "firm+year"
    assert models == run_config("config/mine.yaml")["models"]
    assert models_config("config/mine.yaml", cluster="firm")["cluster"] == "firm"  # overrides on top
