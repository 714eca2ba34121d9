"""The schema is the one source of configuration truth.

- every setting has a description, and every leaf setting a default (``seed`` is required);
- config/README.md is the table generated from the schema, up to date;
- no code repeats a default: no ``<section>.get("<setting>", <literal>)`` on a config section in
  analysis/ or scripts/ (a static scan), and the dataclasses that mirror a config section (the demo
  generator's parameters) have the schema's defaults;
- settings that the schema accepts but that mean nothing (reversed ranges, one variable in two roles)
  are rejected before any job runs.
"""

from __future__ import annotations

import ast
import copy
import dataclasses

import pytest
import yaml

from analysis.config import REPO_ROOT, SCHEMA, ConfigError, section_defaults, settings, settings_markdown, validate_config

STUDY = yaml.safe_load((REPO_ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
#: Leaf settings without a default: required, or a map the user fills (choices, directions).
NO_DEFAULT = {"seed"}


def test_every_setting_has_a_description():
    missing = [s["key"] for s in settings() if not s["description"].strip()]
    assert missing == []


def test_every_leaf_setting_has_a_default():
    with open(SCHEMA, encoding="utf-8") as fh:
        root = yaml.safe_load(fh)

    def node(key):
        n = root
        for part in key.split("."):
            n = n["properties"][part]
        return n

    def parent(key):
        return node(key.rsplit(".", 1)[0]) if "." in key else root

    def covered(key):  # a default of an ancestor object that names this key
        parts = key.split(".")
        for i in range(1, len(parts)):
            anc = node(".".join(parts[:i]))
            d = anc.get("default")
            for p in parts[i:-1]:
                d = d.get(p) if isinstance(d, dict) else None
            if isinstance(d, dict) and parts[-1] in d:
                return True
        return False

    missing = [s["key"] for s in settings() if not s["has_default"] and s["key"] not in NO_DEFAULT
               and not node(s["key"]).get("properties")  # an object whose own settings have defaults
               and s["key"].rsplit(".", 1)[-1] not in parent(s["key"]).get("required", [])  # required when present
               and not (node(s["key"]).get("type") == "object" and "additionalProperties" in node(s["key"]))  # a map
               and not covered(s["key"])]
    assert missing == []


def test_config_readme_is_generated_from_the_schema():
    assert (REPO_ROOT / "config" / "README.md").read_text(encoding="utf-8") == settings_markdown(), \
        "config/README.md is out of date: run `.venv/bin/python -m analysis.config > config/README.md`"


def _setting_names() -> set[str]:
    return {s["key"].rsplit(".", 1)[-1] for s in settings() if "." in s["key"]}


def test_no_code_repeats_a_default():
    """``cfg.get("limits", [0.01, 0.99])`` in code is a second default that can disagree with the schema
    (four did). Code reads validated configs, where every default is filled in."""
    names = _setting_names()
    offenders = []
    for path in sorted((REPO_ROOT / "analysis").rglob("*.py")) + sorted((REPO_ROOT / "scripts").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                    and len(node.args) == 2 and isinstance(node.args[0], ast.Constant)
                    and node.args[0].value in names and not (isinstance(node.args[1], ast.Constant)
                                                             and node.args[1].value is None)):
                receiver = ast.unparse(node.func.value)
                if any(w in receiver for w in ("cfg", "config", "models", "sample", "reports", "winsor", "output",
                                               "mechanism", "servitization", "robust", "demo", "params")):
                    offenders.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert offenders == []


def test_code_that_mirrors_a_setting_has_the_schema_default():
    """Where a function or dataclass keeps a default for use outside the pipeline (the demo generator's
    parameters, the servitization measures' keyword arguments), it must be the schema's."""
    import inspect

    from analysis.demo.dgp import DemoParams, TrueModel
    from analysis.servitization.measures import servitization_measures

    schema = section_defaults("demo")
    code = {f.name: f.default for f in dataclasses.fields(DemoParams) if f.name in schema}
    assert len(code) >= 10 and {k: schema[k] for k in code} == code
    truth = schema["truth"]
    model = TrueModel()
    assert {k: getattr(model, k) for k in truth} == truth
    sig = inspect.signature(servitization_measures).parameters
    serv = section_defaults("servitization")
    for name in ("prefer", "tolerance", "mixed", "denominator"):
        assert list(sig[name].default) == serv[name] if name == "prefer" else sig[name].default == serv[name], name


@pytest.mark.parametrize("change,key", [
    ({"winsorize": {"limits": [0.99, 0.01]}}, "winsorize.limits"),
    ({"sample": {"years": [2023, 2010]}}, "sample.years"),
    ({"demo": {"first_year": 2020, "last_year": 2012}}, "demo.first_year/last_year"),
    ({"mechanism": {"a": 0.7, "b": 0.5}}, "mechanism.a"),
    ({"mechanism": {"stages": {"share_thresholds": [0.3, 0.1]}}}, "mechanism.stages.share_thresholds"),
    ({"models": {"controls": ["size", "serv"]}}, "models.controls"),
    ({"models": {"outcomes": ["roa", "roa"]}}, "models.outcomes"),
])
def test_meaningless_settings_are_rejected_naming_the_key(change, key):
    cfg = copy.deepcopy(STUDY)
    for section, values in change.items():
        cfg[section] = {**cfg.get(section, {}), **values}
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        validate_config(cfg)


def test_the_study_and_test_configs_are_valid():
    validate_config(copy.deepcopy(STUDY))
    test_cfg = yaml.safe_load((REPO_ROOT / "config" / "test_config.yaml").read_text(encoding="utf-8"))

    def merge(a, b):  # as Snakemake merges --configfile files
        for k, v in b.items():
            a[k] = merge(dict(a.get(k) or {}), v) if isinstance(v, dict) else v
        return a
    validate_config(merge(copy.deepcopy(STUDY), test_cfg))
