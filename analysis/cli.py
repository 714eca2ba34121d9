"""The ``servparadox`` command (installed with the package; ``.venv/bin/servparadox``).

Run it in the project folder (the one with ``Snakefile`` and ``config/``)::

    servparadox run                      # the whole pipeline: data -> panel -> models -> tables -> paper
    servparadox run --config config/my.yaml --cores 4
    servparadox run --forcerun tables    # redo one step (here: the tables) and what depends on it
    servparadox status                   # what is up to date and what would run
    servparadox fit roa --moderator dig --cluster firm+year     # one regression, printed as a table
    servparadox tables --language zh     # tables, figures and paper again from the saved results
    servparadox export                   # data_clean/panel.dta (Stata 14+), panel.csv, codebook.md

Every subcommand has ``--help``. ``run`` calls Snakemake with the Python running this command (the
project's .venv), so nothing needs to be on the PATH.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Sequence

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = "config/config.yaml"
#: the rules that turn saved results into tables, figures and the paper (never estimate)
PRESENTATION_RULES = ("tables", "robustness_table", "speccurve_table", "mechanism_tables", "checks_tables", "figure_curve",
                      "figure_slope", "figure_marginal", "figure_robustness",
                      "figure_distributions", "paper_numbers", "paper_markdown", "export_panel")
EXPORTS = ("data_clean/panel.dta", "data_clean/panel.csv", "data_clean/codebook.md")
#: presentation rules that exist only while a config section is enabled: forcing one that the config
#: switched off would rerun its stale upstream jobs (Snakemake forces every job of a forced rule
#: whose output is on disk, whether the run needs it or not)
CONDITIONAL_RULES = {"mechanism_tables": "mechanism", "checks_tables": "checks"}


def snakemake_command(config: str, cores: str | int, *args: str, workdir: str | Path = ".") -> list[str]:
    """The Snakemake call of ``servparadox run`` (the project's Snakefile, this Python)."""
    snakefile = Path(workdir) / "Snakefile"
    if not snakefile.is_file():
        snakefile = REPO_ROOT / "Snakefile"
    return [sys.executable, "-m", "snakemake", "--snakefile", str(snakefile), "--directory", str(workdir),
            "--configfile", config, "--cores", str(cores), *args]


def _check_config(path: str) -> None:
    if not Path(path).is_file():
        raise SystemExit(f"servparadox: config file {path!r} not found (run in the project folder, or pass "
                         f"--config path/to/config.yaml)")


def _snakemake(ns: argparse.Namespace, *args: str) -> int:
    _check_config(ns.config)
    extra = list(args)
    if ns.language:
        extra += ["--config", f"output={{language: {ns.language}}}"]
    cmd = snakemake_command(ns.config, ns.cores, *extra)
    print("servparadox: " + " ".join(cmd[2:]), flush=True)
    return subprocess.call(cmd)


def cmd_run(ns: argparse.Namespace) -> int:
    args: list[str] = list(ns.targets)  # first: Snakemake's --forcerun takes every word after it
    if ns.dry_run:
        args.append("--dry-run")
    if ns.forcerun:
        args += ["--forcerun", *ns.forcerun]
    return _snakemake(ns, *args)


def cmd_status(ns: argparse.Namespace) -> int:
    return _snakemake(ns, "--dry-run", "--quiet", "rules")


def presentation_rules(config: dict) -> list[str]:
    """The presentation rules this configuration runs."""
    return [r for r in PRESENTATION_RULES if r not in CONDITIONAL_RULES or config[CONDITIONAL_RULES[r]]["enabled"]]


def cmd_tables(ns: argparse.Namespace) -> int:
    _check_config(ns.config)
    from analysis.config import run_config

    return _snakemake(ns, "--forcerun", *presentation_rules(run_config(ns.config, DEFAULT_CONFIG)))


def cmd_export(ns: argparse.Namespace) -> int:
    return _snakemake(ns, *EXPORTS)


def cmd_fit(ns: argparse.Namespace) -> int:
    from analysis import api
    from analysis.estimation import PanelTooSmall
    from analysis.models import ModelConfigError

    _check_config(ns.config)
    try:
        panel = api.load_panel(ns.panel)
        res = api.fit(panel, ns.outcome, moderator=ns.moderator, controls=ns.controls, fixed_effects=ns.fe,
                      se=ns.se, cluster=ns.cluster, config=ns.config)
    except (FileNotFoundError, KeyError, ModelConfigError, PanelTooSmall) as exc:
        print(f"servparadox fit: {exc.args[0] if isinstance(exc, KeyError) else exc}", file=sys.stderr)
        return 2
    t = api.table([res], name="fit", title=f"{ns.outcome} on {res.spec['x']}", language=ns.language or "en",
                  parentheses=ns.parentheses)
    print(t.to_markdown())
    if ns.save:
        t.write(Path(ns.save), ("md", "tex", "html", "docx", "csv"))
        print(f"written: {ns.save}.md/.tex/.html/.docx/.csv")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="servparadox", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Run `servparadox <command> --help` for the options of a command.")
    sub = p.add_subparsers(dest="command", required=True, metavar="command")

    def common(sp: argparse.ArgumentParser, cores: bool = True) -> None:
        sp.add_argument("--config", default=DEFAULT_CONFIG,
                        help=f"configuration file (default {DEFAULT_CONFIG}; e.g. a copy with your changes)")
        if cores:
            sp.add_argument("--cores", default="all", help="CPU cores Snakemake may use (default: all)")
        sp.add_argument("--language", choices=("en", "zh"), default=None,
                        help="labels of tables, figures and paper (default: output.language of the config)")

    sp = sub.add_parser("run", help="run the pipeline (everything out of date, or the given targets)",
                        description="Run the whole pipeline, like `make reproduce`. Only what is out of date "
                        "runs; finished steps are kept.")
    common(sp)
    sp.add_argument("--dry-run", "-n", action="store_true", help="only show what would run")
    sp.add_argument("--forcerun", action="append", metavar="RULE",
                    help="redo this step and everything after it (e.g. estimate, tables, robustness_models); "
                    "repeat for several: --forcerun estimate --forcerun tables")
    sp.add_argument("targets", nargs="*", help="files to build (default: everything), e.g. paper/tables/baseline.docx")
    sp.set_defaults(func=cmd_run)

    sp = sub.add_parser("status", help="what is up to date and what would run",
                        description="List the steps that would run (nothing when everything is up to date).")
    common(sp)
    sp.set_defaults(func=cmd_status)

    sp = sub.add_parser("tables", help="tables, figures and paper again from the saved results (no estimation)",
                        description="Rebuild every table, figure, the codebook and the paper from the saved "
                        "results (paper/results/*.json), e.g. after switching --language zh. Nothing is "
                        "re-estimated.")
    common(sp)
    sp.set_defaults(func=cmd_tables)

    sp = sub.add_parser("export", help="the panel for Stata and Excel: data_clean/panel.dta, panel.csv, codebook.md",
                        description="Write data_clean/panel.dta (Stata 14 or later: `use data_clean/panel.dta`), "
                        "data_clean/panel.csv and data_clean/codebook.md (builds the panel first if needed).")
    common(sp)
    sp.set_defaults(func=cmd_export)

    sp = sub.add_parser("fit", help="one regression on the panel, printed as a journal table",
                        description="Fit OUTCOME on Serv and Serv squared (and the moderated model with "
                        "--moderator) with the study's model step, U-test included. Like Stata's\n"
                        "  reghdfe roa c.serv##c.serv size lev growth, absorb(firm year) vce(cluster firm)\n"
                        "followed by utest. Options left out come from the config.",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    common(sp, cores=False)
    sp.add_argument("outcome", help="dependent variable, e.g. roa, roe, tobin_q")
    sp.add_argument("--moderator", help="moderator of the curve, e.g. dig")
    sp.add_argument("--controls", nargs="*", help="control variables (default: models.controls of the config)")
    sp.add_argument("--fe", nargs="*", help="fixed effects (default: models.fixed_effects, e.g. firm year)")
    sp.add_argument("--se", choices=("auto", "cluster", "hc1", "iid"), help="standard errors (default: models.se)")
    sp.add_argument("--cluster", help="cluster variable(s): firm, or firm+year for two-way (default: models.cluster)")
    sp.add_argument("--parentheses", choices=("se", "t"), default="se", help="standard errors or t values in parentheses")
    sp.add_argument("--panel", default="data_clean/panel.parquet", help="the estimation panel (default: %(default)s)")
    sp.add_argument("--save", metavar="STEM", help="also write the table as STEM.md/.tex/.html/.docx/.csv")
    sp.set_defaults(func=cmd_fit)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    ns = parser().parse_args(argv)
    return int(ns.func(ns) or 0)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
