"""The Python API: your own regression on the panel, with the study's model step and tables.

Everything goes through the same functions as the pipeline: :func:`fit` builds the model settings
with :meth:`analysis.models.ModelOptions.from_config` (config ``models`` section, schema defaults
filled in, your keyword arguments on top) and estimates with :func:`analysis.models.estimate_inverted_u`;
:func:`table` renders results with :mod:`analysis.presentation.tables`. Example (run by
tests/test_api.py as it is printed in the README)::

    from analysis import api

    panel = api.load_panel("data_clean/panel.parquet")
    res = api.fit(panel, "roa")                                  # Serv, Serv², controls, firm & year FE
    print(api.u_test(res)["p_sasabuchi"], api.u_test(res)["extreme_point"])
    mod = api.fit(panel, "roa", moderator="dig", controls=["size", "lev"], cluster="firm+year")
    print(api.moderation(mod)[["quantity", "note", "estimate", "p"]])
    print(api.table([res, mod], language="zh", parentheses="t").to_markdown())

Stata users: ``fit(panel, "roa", controls=[...], fixed_effects=["firm", "year"], cluster="firm")`` is
``reghdfe roa c.serv##c.serv size lev growth, absorb(firm year) vce(cluster firm)`` followed by
``utest serv serv_sq``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from analysis.estimation import ModelResult
from analysis.models import ModelOptions, estimate_inverted_u

DEFAULT_CONFIG = "config/config.yaml"

__all__ = ["load_panel", "load_result", "models_config", "fit", "u_test", "moderation", "table"]


def load_panel(path: str | Path = "data_clean/panel.parquet") -> pd.DataFrame:
    """The estimation panel the pipeline wrote (run ``servparadox run`` first)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no estimation panel here; run `servparadox run` (or `make reproduce`) "
                                "in the project folder first")
    return pd.read_parquet(path)


def load_result(path: str | Path) -> ModelResult:
    """A saved result of the pipeline (``paper/results/<model>.json``)."""
    return ModelResult.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def models_config(config: str | Path | dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """The validated ``models`` section: from ``config`` (a YAML file or a dict; None: the project's
    ``config/config.yaml`` when the working directory has one, else the schema's defaults), with
    ``overrides`` (any key of the section, e.g. ``cluster="firm+year"``) on top. A YAML file is read as a run
    reads it (:func:`analysis.config.run_config`): on top of ``config/config.yaml`` when the working directory
    has one, so that a file with a few settings changes only those, as in ``servparadox run --config``."""
    from analysis.config import run_config, section_defaults

    if config is None and Path(DEFAULT_CONFIG).is_file():
        config = DEFAULT_CONFIG
    if config is None:
        models = section_defaults("models")
    elif isinstance(config, dict):
        section = config["models"] if "models" in config else config  # a whole config or its models section
        models = {**section_defaults("models"), **copy.deepcopy(section)}
    else:
        models = run_config(config, DEFAULT_CONFIG)["models"]
    models.update({k: (list(v) if isinstance(v, tuple) else v) for k, v in overrides.items() if v is not None})
    return models


def fit(panel: pd.DataFrame, outcome: str, *, x: str | None = None, moderator: str | None = None,
        controls: Sequence[str] | None = None, fixed_effects: Sequence[str] | None = None,
        se: str | None = None, cluster: str | None = None, config: str | Path | dict[str, Any] | None = None,
        name: str | None = None) -> ModelResult:
    """Fit ``outcome`` on x and x² (and, with ``moderator``, the moderated model) with the U-test and
    moderation statistics. Arguments left out come from ``config`` (default:
    the project's config/config.yaml: Serv, its controls, firm and year FE, standard errors clustered by firm)."""
    models = models_config(config, x=x, controls=controls, fixed_effects=fixed_effects, se=se)
    if cluster is not None:
        models["cluster"] = cluster
    options = ModelOptions.from_config(models)
    missing = [c for c in [outcome, models["x"], moderator, *models["controls"], *models["fixed_effects"]]
               if c and c not in panel.columns and c != "industry_year"]
    if missing:
        raise KeyError(f"the panel has no column(s) {missing}; its columns: {sorted(panel.columns)}")
    spec = options.spec(name or (f"moderation_{outcome}" if moderator else f"baseline_{outcome}"), outcome,
                        models["x"], moderator=moderator, controls=models["controls"],
                        fixed_effects=models["fixed_effects"])
    return estimate_inverted_u(panel, spec, options, two_lines=not moderator)


def u_test(result: ModelResult) -> dict[str, Any]:
    """The Lind-Mehlum U-test of a fitted model: turning point (``extreme_point``) with its Fieller
    and delta intervals, slopes at the ends of the data with t and p, and ``p_sasabuchi``."""
    return dict(result.extras["utest"])


def moderation(result: ModelResult) -> pd.DataFrame:
    """The moderation statistics of a moderated model (Haans, Pieters & He 2016): curvature, turning
    point (Fieller) and U-test at the moderator quantiles, the flattening test of b5."""
    if not result.spec.get("moderator"):
        raise ValueError(f"model {result.spec['name']!r} has no moderator: fit it with moderator='dig'")
    return pd.DataFrame(result.extras["moderation"])


def table(results: Sequence[ModelResult], *, name: str = "results", title: str | None = None,
          language: str = "en", parentheses: str = "se"):
    """A journal table of fitted or saved results (``.to_markdown()``, ``.write(stem, formats)`` for
    md/tex/html/docx/csv)."""
    from analysis.presentation.tables import result_set_table

    t = result_set_table(name, list(results), language, parentheses)
    if title:
        t.title = title
    return t
