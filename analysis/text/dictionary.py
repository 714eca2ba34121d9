"""Keyword dictionaries for the digitalization measure, loaded from versioned YAML files.

The packaged dictionary (``analysis/data/dictionaries/wu_fei_2021.yaml``) is the digital-technology
word list of Wu Fei, Hu Huizhi, Lin Huiyan and Ren Xiaoyi (2021), 企业数字化转型与资本市场表现——
来自股票流动性的经验证据, 管理世界 (Management World) 37(7):130-144: five categories (artificial
intelligence, big data, cloud computing, blockchain, digital-technology application), 76 terms.

File format (YAML)::

    name: wu_fei_2021            # identifier, [a-z0-9_]+
    version: "1.0"
    source: "citation of the word list"
    categories:
      ai:                        # category key, [a-z][a-z0-9_]* (becomes column dig_<key>)
        label_zh: 人工智能技术
        label_en: Artificial intelligence
        terms: [人工智能, 机器学习, ...]

Validation on load (errors name the file and the offending term or category): the four top-level
keys are present and no others; category keys are identifiers; each category has both labels and a
non-empty list of string terms; every term is already in normalized form (:func:`normalize_text`:
half-width, no whitespace) because counting runs on normalized text; terms are unique across the
dictionary, compared case-insensitively because Latin terms are matched case-insensitively.

Users may add word lists as extra files in the same format and merge them with :func:`combine`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import yaml

from .normalize import normalize_text

__all__ = [
    "DEFAULT_DICTIONARY_PATH",
    "SERVICE_DICTIONARY_PATH",
    "service_dictionary_from_config",
    "dictionary_files",
    "dictionary_from_config",
    "dictionary_from_mapping",
    "load_dictionaries",
    "DictionaryError",
    "KeywordDictionary",
    "combine",
    "load_dictionary",
]

DEFAULT_DICTIONARY_PATH = (
    Path(__file__).resolve().parents[1] / "data" / "dictionaries" / "wu_fei_2021.yaml"
)

#: Service-term dictionary of the text-based service intensity (a robustness measure; issue 13).
SERVICE_DICTIONARY_PATH = DEFAULT_DICTIONARY_PATH.parent / "service_terms.yaml"

_TOP_KEYS = ("name", "version", "source", "categories")
_CATEGORY_KEYS = ("label_zh", "label_en", "terms")
_CATEGORY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_.+-]+$")


class DictionaryError(ValueError):
    """A dictionary file (or a combination of dictionaries) is invalid."""


@dataclass(frozen=True)
class KeywordDictionary:
    """A validated keyword dictionary.

    ``terms`` keeps the file order; ``category_of`` maps each term to its category key;
    ``categories`` lists the category keys in file order; ``labels_zh`` / ``labels_en`` map category
    keys to their labels.
    """

    name: str
    version: str
    source: str
    terms: tuple[str, ...]
    category_of: Mapping[str, str]
    categories: tuple[str, ...]
    labels_zh: Mapping[str, str] = field(default_factory=dict)
    labels_en: Mapping[str, str] = field(default_factory=dict)

    def terms_of(self, category: str) -> tuple[str, ...]:
        """Terms of one category, in file order."""
        if category not in self.categories:
            raise KeyError(f"unknown category {category!r}; known: {', '.join(self.categories)}")
        return tuple(t for t in self.terms if self.category_of[t] == category)

    @property
    def fingerprint(self) -> str:
        """sha256 (first 16 hex digits) of the dictionary's content, for provenance records."""
        payload = json.dumps(
            [self.name, self.version, [(t, self.category_of[t]) for t in self.terms]],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def to_frame(self):
        """One row per term: term, category, label_zh, label_en, dictionary, version."""
        import pandas as pd

        return pd.DataFrame(
            {
                "term": list(self.terms),
                "category": [self.category_of[t] for t in self.terms],
                "label_zh": [self.labels_zh.get(self.category_of[t], "") for t in self.terms],
                "label_en": [self.labels_en.get(self.category_of[t], "") for t in self.terms],
                "dictionary": self.name,
                "version": self.version,
            }
        )

    def __len__(self) -> int:
        return len(self.terms)

    def __hash__(self) -> int:  # the mapping fields are not hashable; the content fingerprint is
        return hash(self.fingerprint)


def _fail(where: str, msg: str) -> DictionaryError:
    return DictionaryError(f"{where}: {msg}")


def _build(data: object, where: str) -> KeywordDictionary:
    """Validate parsed YAML ``data`` and build the dictionary; ``where`` names the source file."""
    if not isinstance(data, dict):
        raise _fail(where, "top level must be a mapping with keys " + ", ".join(_TOP_KEYS))
    missing = [k for k in _TOP_KEYS if k not in data]
    if missing:
        raise _fail(where, f"missing top-level key(s): {', '.join(missing)}")
    extra = sorted(str(k) for k in data if k not in _TOP_KEYS)
    if extra:
        raise _fail(where, f"unknown top-level key(s): {', '.join(extra)}")
    name, version, source = (data["name"], data["version"], data["source"])
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise _fail(where, f"name must be an identifier string, got {name!r}")
    if not isinstance(version, (str, int, float)) or isinstance(version, bool):
        raise _fail(where, f"version must be a string, got {version!r}")
    if not isinstance(source, str) or not source.strip():
        raise _fail(where, "source must be a non-empty string (cite the word list)")
    cats = data["categories"]
    if not isinstance(cats, dict) or not cats:
        raise _fail(where, "categories must be a non-empty mapping of category key -> spec")

    terms: list[str] = []
    category_of: dict[str, str] = {}
    seen_folded: dict[str, str] = {}
    labels_zh: dict[str, str] = {}
    labels_en: dict[str, str] = {}
    for key, spec in cats.items():
        if not isinstance(key, str) or not _CATEGORY_RE.match(key):
            raise _fail(where, f"category key {key!r} must match [a-z][a-z0-9_]*")
        if not isinstance(spec, dict):
            raise _fail(where, f"category {key!r} must be a mapping with {', '.join(_CATEGORY_KEYS)}")
        bad = sorted(str(k) for k in spec if k not in _CATEGORY_KEYS)
        if bad:
            raise _fail(where, f"category {key!r}: unknown key(s) {', '.join(bad)}")
        for lab in ("label_zh", "label_en"):
            if not isinstance(spec.get(lab), str) or not spec[lab].strip():
                raise _fail(where, f"category {key!r}: {lab} missing or empty")
        tlist = spec.get("terms")
        if not isinstance(tlist, list) or not tlist:
            raise _fail(where, f"category {key!r}: terms must be a non-empty list")
        labels_zh[key] = spec["label_zh"]
        labels_en[key] = spec["label_en"]
        for term in tlist:
            if not isinstance(term, str):
                raise _fail(where, f"category {key!r}: term {term!r} is not a string")
            if not term:
                raise _fail(where, f"category {key!r}: empty term")
            norm = normalize_text(term)
            if norm != term:
                raise _fail(
                    where,
                    f"category {key!r}: term {term!r} is not in normalized form "
                    f"(half-width, no whitespace); write it as {norm!r}",
                )
            folded = term.lower()
            if folded in seen_folded:
                other = seen_folded[folded]
                raise _fail(
                    where,
                    f"duplicate term {term!r} in category {key!r} "
                    f"(already listed as {other!r} in category {category_of[other]!r})",
                )
            seen_folded[folded] = term
            category_of[term] = key
            terms.append(term)
    return KeywordDictionary(
        name=name,
        version=str(version),
        source=source,
        terms=tuple(terms),
        category_of=MappingProxyType(category_of),
        categories=tuple(cats.keys()),
        labels_zh=MappingProxyType(labels_zh),
        labels_en=MappingProxyType(labels_en),
    )


def load_dictionary(path: str | Path | None = None) -> KeywordDictionary:
    """Load and validate a dictionary YAML file (``None``: the packaged Wu Fei et al. 2021 list).

    Raises :class:`DictionaryError` (a ``ValueError``) naming the file and the offending term or
    category, and ``FileNotFoundError`` when the file does not exist.
    """
    p = Path(path) if path is not None else DEFAULT_DICTIONARY_PATH
    if not p.is_file():
        raise FileNotFoundError(f"dictionary file not found: {p}")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise _fail(str(p), f"not valid YAML: {exc}") from exc
    return _build(data, str(p))


def dictionary_from_mapping(data: Mapping, where: str = "<mapping>") -> KeywordDictionary:
    """Build and validate a dictionary from an in-memory mapping with the file's structure."""
    return _build(dict(data), where)


def combine(*dicts: KeywordDictionary, name: str | None = None) -> KeywordDictionary:
    """Merge dictionaries (e.g. the packaged list plus a user's extra file) into one.

    Categories keep their first-seen order. A category key present in several dictionaries is
    merged only if its labels agree; a term present in two dictionaries (case-insensitively) is an
    error, so no mention can be counted twice. ``name`` defaults to the names joined by ``+``; the
    version is the versions joined by ``+``.
    """
    if not dicts:
        raise DictionaryError("combine() needs at least one dictionary")
    terms: list[str] = []
    category_of: dict[str, str] = {}
    origin: dict[str, str] = {}
    labels_zh: dict[str, str] = {}
    labels_en: dict[str, str] = {}
    cats: list[str] = []
    for d in dicts:
        for c in d.categories:
            if c in labels_zh:
                if (labels_zh[c], labels_en[c]) != (d.labels_zh.get(c), d.labels_en.get(c)):
                    raise DictionaryError(
                        f"combine: category {c!r} of dictionary {d.name!r} has labels "
                        f"({d.labels_zh.get(c)!r}, {d.labels_en.get(c)!r}) that differ from "
                        f"({labels_zh[c]!r}, {labels_en[c]!r})"
                    )
            else:
                cats.append(c)
                labels_zh[c] = d.labels_zh.get(c, c)
                labels_en[c] = d.labels_en.get(c, c)
        for t in d.terms:
            f = t.lower()
            if f in origin:
                raise DictionaryError(
                    f"combine: term {t!r} of dictionary {d.name!r} is already in dictionary "
                    f"{origin[f]!r}"
                )
            origin[f] = d.name
            category_of[t] = d.category_of[t]
            terms.append(t)
    return KeywordDictionary(
        name=name or "+".join(d.name for d in dicts),
        version="+".join(d.version for d in dicts),
        source="; ".join(d.source for d in dicts),
        terms=tuple(terms),
        category_of=MappingProxyType(category_of),
        categories=tuple(cats),
        labels_zh=MappingProxyType(labels_zh),
        labels_en=MappingProxyType(labels_en),
    )


def load_dictionaries(
    extra: str | Path | list[str | Path] | tuple[str | Path, ...] = (),
    base: str | Path | None = None,
    include_base: bool = True,
) -> KeywordDictionary:
    """The base dictionary (default: packaged Wu Fei et al. 2021) combined with extra files.

    Convenience for configuration files: ``load_dictionaries(config["extra_dictionaries"])``.
    """
    paths = [extra] if isinstance(extra, (str, Path)) else list(extra)
    dicts = ([load_dictionary(base)] if include_base else []) + [load_dictionary(p) for p in paths]
    if not dicts:
        raise DictionaryError("load_dictionaries: no dictionary given")
    return dicts[0] if len(dicts) == 1 else combine(*dicts)


def dictionary_from_config(reports_cfg: Mapping) -> KeywordDictionary:
    """The dictionary a run uses: ``reports.dictionary`` ("default" = Wu Fei et al. 2021, or a path)
    combined with the files listed in ``reports.extra_dictionaries``."""
    cfg = _reports_settings(reports_cfg)
    base = cfg["dictionary"]
    return load_dictionaries(cfg["extra_dictionaries"] or [], base=None if base == "default" else base)


def dictionary_files(reports_cfg: Mapping) -> list[str]:
    """Files the dictionary of a run is read from (inputs of the rules that count terms)."""
    cfg = _reports_settings(reports_cfg)
    base = cfg["dictionary"]
    files = [str(DEFAULT_DICTIONARY_PATH) if base == "default" else str(base)]
    return files + [str(p) for p in cfg["extra_dictionaries"] or []]


def _reports_settings(reports_cfg: Mapping) -> dict:
    """The ``reports`` section with the schema's defaults for omitted keys (never a second default here)."""
    from analysis.config import section_defaults

    return {**section_defaults("reports"), **reports_cfg}



def service_dictionary_from_config(reports_cfg: Mapping) -> KeywordDictionary:
    """The service-term dictionary of a run: ``reports.service_dictionary`` ("default" = packaged list)."""
    path = reports_cfg["service_dictionary"]
    return load_dictionary(SERVICE_DICTIONARY_PATH if path == "default" else path)
