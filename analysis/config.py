"""Loading the study configuration, validated against ``config/schema.yaml``.

The Snakefile validates with :func:`snakemake.utils.validate`; :func:`load_config` does the same
for notebooks and tests, so both see the same defaults.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
SCHEMA = REPO_ROOT / "config" / "schema.yaml"


def validate_config(config: dict[str, Any], schema: str | Path = SCHEMA) -> dict[str, Any]:
    """Validate ``config`` in place (filling schema defaults) and return it."""
    from snakemake.utils import validate

    validate(config, str(schema), set_default=True)
    return config


def load_config(path: str | Path, schema: str | Path = SCHEMA) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        config = yaml.safe_load(fh) or {}
    return validate_config(config, schema)


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
