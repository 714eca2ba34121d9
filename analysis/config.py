"""Loading the study configuration, validated against ``config/schema.yaml``.

The Snakefile validates with :func:`snakemake.utils.validate`; :func:`load_config` does the same
for notebooks and tests, so both see the same defaults.
"""

from __future__ import annotations

import copy
import functools
import sys
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
SCHEMA = REPO_ROOT / "config" / "schema.yaml"


class ConfigError(ValueError):
    """A configuration that the schema accepts but that cannot mean anything (reversed ranges,
    contradictory settings); the message names the key, the value and what to write instead."""


def validate_config(config: dict[str, Any], schema: str | Path = SCHEMA) -> dict[str, Any]:
    """Validate ``config`` in place (filling schema defaults), check what the schema cannot express
    (:func:`check_semantics`) and return it."""
    if "jsonschema" not in sys.modules:
        # jsonschema imports the optional IRI checker rfc3987_syntax when it is installed (a Jupyter
        # dependency here), which compiles 39 grammars: about 3 CPU s in every Snakemake call and every
        # job that validates a config. The schema has no IRI formats, so the checker is not loaded.
        sys.modules.setdefault("rfc3987_syntax", None)
    from snakemake.utils import validate

    validate(config, str(schema), set_default=True)
    check_semantics(config)
    return config


def _ordered(value: Any, key: str, *, strict: bool = True, lo: float | None = None, hi: float | None = None) -> None:
    if value is None:
        return
    a, b = value
    if (a >= b) if strict else (a > b):
        raise ConfigError(f"config key '{key}' is {list(value)}: the first value must be "
                          f"{'below' if strict else 'at most'} the second (write [{b}, {a}]?)")
    if (lo is not None and a < lo) or (hi is not None and b > hi):
        raise ConfigError(f"config key '{key}' is {list(value)}: values must lie in [{lo}, {hi}]")


def check_semantics(config: dict[str, Any]) -> None:
    """Ordered pairs ordered, shares summing to one, no variable in two roles: rejected before any job
    runs, with the key named (the schema checks types and ranges of single values only)."""
    w = config.get("winsorize") or {}
    if w.get("limits") is not None:
        _ordered(w["limits"], "winsorize.limits", lo=0, hi=1)
    sample = config.get("sample") or {}
    if sample.get("years") is not None:
        _ordered(sample["years"], "sample.years", strict=False)
    ind = sample.get("industry") or {}
    if ind.get("min") is not None and ind.get("max") is not None:
        _ordered([ind["min"], ind["max"]], "sample.industry.min/max", strict=False)
    demo = config.get("demo") or {}
    if demo.get("first_year") is not None and demo.get("last_year") is not None:
        _ordered([demo["first_year"], demo["last_year"]], "demo.first_year/last_year", strict=False)
    mech = config.get("mechanism") or {}
    if mech.get("a") is not None and mech.get("b") is not None and abs(mech["a"] + mech["b"] - 1) > 1e-9:
        raise ConfigError(f"config keys 'mechanism.a' and 'mechanism.b' are {mech['a']} and {mech['b']}: "
                          "the weights of T = a U1 + b U2 must sum to 1")
    thresholds = (mech.get("stages") or {}).get("share_thresholds")
    if thresholds and list(thresholds) != sorted(set(thresholds)):
        raise ConfigError(f"config key 'mechanism.stages.share_thresholds' is {list(thresholds)}: "
                          "thresholds must increase strictly")
    models = config.get("models") or {}
    if models:
        roles = {"outcomes": list(models.get("outcomes") or []), "x": [models.get("x")],
                 "moderator": [models.get("moderator")], "controls": list(models.get("controls") or [])}
        seen: dict[str, str] = {}
        for role, names in roles.items():
            for n in names:
                if n is None:
                    continue
                if n in seen and not (role == seen[n] == "outcomes"):
                    raise ConfigError(f"config key 'models.{role}' names {n!r}, which is already "
                                      f"models.{seen[n]}: a variable can have one role in the model")
                if n in seen:
                    raise ConfigError(f"config key 'models.outcomes' lists {n!r} twice")
                seen[n] = role


def load_config(path: str | Path, schema: str | Path = SCHEMA) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        config = yaml.safe_load(fh) or {}
    return validate_config(config, schema)


def run_config(path: str | Path, default: str | Path = "config/config.yaml") -> dict[str, Any]:
    """The config a Snakemake run with ``--configfile path`` sees: the Snakefile's ``default`` (when
    present, relative to the working folder) updated section by section by ``path``, schema defaults
    filled in."""
    from snakemake.utils import update_config

    config: dict[str, Any] = {}
    for p in dict.fromkeys([Path(default), Path(path)]):
        if p.is_file():
            update_config(config, yaml.safe_load(p.read_text(encoding="utf-8")) or {})
    return validate_config(config)


def raw_dir(config: dict[str, Any]) -> Path:
    """Folder of the raw data of the configured source (relative to the working directory)."""
    return Path("data_raw") / config["source"]


def section_defaults(section: str, schema: str | Path = SCHEMA) -> dict[str, Any]:
    """The schema's defaults of one config section (what a validated config holds when the
    section is omitted): for callers that receive a partial section, so code never repeats a default."""
    return copy.deepcopy(_defaults(str(schema))[section])


@functools.lru_cache(maxsize=4)
def _defaults(schema: str) -> dict[str, Any]:
    return validate_config({"seed": 0, "source": "demo"}, schema)


# --------------------------------------------------------------------------- documentation
def settings(schema: str | Path = SCHEMA) -> list[dict[str, Any]]:
    """Every setting of the schema, depth first: key path, type, default, description."""
    with open(schema, encoding="utf-8") as fh:
        root = yaml.safe_load(fh)
    out: list[dict[str, Any]] = []

    def kind(node: dict[str, Any]) -> str:
        if "enum" in node:
            return " | ".join(str(v) for v in node["enum"])
        t = node.get("type", "object" if "properties" in node else "")
        return " or ".join(t) if isinstance(t, list) else str(t)

    def walk(node: dict[str, Any], path: str) -> None:
        for name, sub in (node.get("properties") or {}).items():
            key = f"{path}.{name}" if path else name
            out.append({"key": key, "type": kind(sub), "has_default": "default" in sub,
                        "default": sub.get("default"), "description": sub.get("description", "")})
            if sub.get("properties"):
                walk(sub, key)
    walk(root, "")
    return out


def settings_markdown(schema: str | Path = SCHEMA) -> str:
    """config/README.md: the table of every setting, generated from the schema (the one source)."""
    def cell(v: Any) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["# Settings of config/config.yaml", "",
             "Generated from `config/schema.yaml` (`python -m analysis.config > config/README.md`); the schema is",
             "the one place for every setting's default and meaning, and `tests/test_config.py` fails when this",
             "file is out of date, a setting lacks a description, or code repeats a default.", "",
             "| setting | type | default | meaning |", "|---|---|---|---|"]
    for s in settings(schema):
        default = ("`" + yaml.safe_dump(s["default"], default_flow_style=True, allow_unicode=True).strip()
                   .removesuffix("...").strip() + "`") if s["has_default"] else "(required)" if s["key"] in (
                       "seed", "source") else "-"
        lines.append(f"| `{s['key']}` | {cell(s['type'])} | {cell(default)} | {cell(s['description'])} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - writes the generated settings table
    import sys

    sys.stdout.write(settings_markdown())
