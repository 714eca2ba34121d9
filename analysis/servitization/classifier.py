"""Auditable service / product / not-a-segment classifier for revenue-breakdown segment names.

The decision for every segment name is taken by an editable dictionary (``analysis/data/service_rules.yaml``
by default) and can be overruled, line by line, by an override CSV. Each labelled row records what
decided it (``decided_by``: a rule id, ``override:<line>`` or ``default:product``) and the pattern that
fired (``matched``), so the full ``segment_labels.csv`` can be read and corrected by a reviewer.

Choices (see the header of the YAML file for the dictionary's own logic):

* Highest priority wins; priorities are unique, so the outcome never depends on rule order.
* A name no rule matches is a product line (``default:product``): in a main-business breakdown, a line
  that is not recognisably a service is a product, and it must stay in the share's denominator.
* Overrides are matched on the normalized name (NFKC, no whitespace) and win over every rule; an override
  for a specific year beats an all-years override (blank year) for the same firm and segment.
* Classification is a pure function of the name (plus overrides); the same name always gets the same
  label, and results are cached per distinct name.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analysis.codes import try_normalize_firm

LABELS = ("service", "product", "mixed", "not_segment")
DEFAULT_LABEL = "product"
DEFAULT_DECIDED_BY = "default:product"
OVERRIDE_COLUMNS = ("firm", "year", "segment", "label", "note")
_RULE_KEYS = {
    "id", "label", "service_type", "priority", "description", "field",
    "contains", "exact", "regex", "unless_contains", "is_total",
}
_NOTE_MARK = re.compile(r"(\((注|注释|note)?\s*\d*\)|注\d+|\*+)$", re.IGNORECASE)
_INCOME_SUFFIX = re.compile(r"(销售收入|收入)$")


class RulesError(ValueError):
    """The rules file is invalid; the message names the file and the rule."""


class OverridesError(ValueError):
    """The override file is invalid; the message names the file and the line."""


def normalize_name(name: Any) -> str:
    """NFKC (full-width -> half-width), remove all whitespace and trailing note markers like "(注1)"."""
    if name is None or (isinstance(name, float) and name != name):
        return ""
    s = unicodedata.normalize("NFKC", str(name))
    s = re.sub(r"\s+", "", s)
    prev = None
    while prev != s:
        prev = s
        stripped = _NOTE_MARK.sub("", s)
        s = stripped if stripped else s
    return s


def stem_name(name: str) -> str:
    """``name`` without one trailing 销售收入 / 收入 (kept when nothing would be left)."""
    stripped = _INCOME_SUFFIX.sub("", name)
    return stripped if stripped else name


@dataclass(frozen=True)
class Rule:
    """One dictionary rule. ``matches`` returns the pattern that fired, or None."""

    id: str
    label: str
    priority: int
    service_type: str | None = None
    description: str = ""
    field: str = "stem"
    contains: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
    regex: tuple[re.Pattern, ...] = ()
    unless_contains: tuple[str, ...] = ()
    is_total: bool = False

    def matches(self, name: str, stem: str) -> str | None:
        text = stem if self.field == "stem" else name
        low = text.lower()
        if any(u.lower() in low for u in self.unless_contains):
            return None
        for e in self.exact:
            if low == e.lower():
                return f"exact:{e}"
        for c in self.contains:
            if c.lower() in low:
                return f"contains:{c}"
        for r in self.regex:
            m = r.search(text)
            if m:
                return f"regex:{m.group(0)}"
        return None


@dataclass(frozen=True)
class Decision:
    label: str
    service_type: str | None
    decided_by: str
    matched: str | None
    is_total: bool = False


@dataclass
class ServiceRules:
    """Validated rule set, rules sorted by descending priority."""

    name: str
    version: str
    path: str
    service_types: tuple[str, ...]
    rules: tuple[Rule, ...]
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def classify(self, segment: Any) -> Decision:
        """Label one segment name by the highest-priority matching rule (default: product)."""
        name = normalize_name(segment)
        if name in self._cache:
            return self._cache[name]
        stem = stem_name(name)
        decision = Decision(DEFAULT_LABEL, None, DEFAULT_DECIDED_BY, None)
        if name:
            for rule in self.rules:  # sorted by priority, highest first
                hit = rule.matches(name, stem)
                if hit is not None:
                    decision = Decision(rule.label, rule.service_type, rule.id, hit, rule.is_total)
                    break
        else:
            decision = Decision("not_segment", None, "default:empty_name", None)
        self._cache[name] = decision
        return decision

    @property
    def total_rule_ids(self) -> frozenset[str]:
        return frozenset(r.id for r in self.rules if r.is_total)


def _as_str_list(value: Any, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise RulesError(f"{where}: '{key}' must be a list of strings")
    out = tuple(str(v) for v in value)
    if any(not v for v in out):
        raise RulesError(f"{where}: '{key}' contains an empty pattern")
    return out


def _default_rules_path() -> Path:
    return Path(str(resources.files("analysis") / "data" / "service_rules.yaml"))


def load_rules(path: str | Path | None = None) -> ServiceRules:
    """Load and validate a rules YAML (None = the packaged ``analysis/data/service_rules.yaml``).

    Validation errors raise :class:`RulesError` naming the file and the rule (id or position): unknown
    keys, missing id/label/priority, bad label, service_type missing for a service rule or not in
    ``service_types``, duplicate ids or priorities, rules with no pattern, regexes that do not compile.
    """
    p = Path(path) if path is not None else _default_rules_path()
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RulesError(f"{p}: rules file not found") from None
    except yaml.YAMLError as exc:
        raise RulesError(f"{p}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list) or not data["rules"]:
        raise RulesError(f"{p}: expected a mapping with a non-empty 'rules' list")
    stypes = _as_str_list(data.get("service_types"), f"{p}", "service_types")
    if not stypes:
        raise RulesError(f"{p}: 'service_types' must list the service-type vocabulary")
    if len(set(stypes)) != len(stypes):
        raise RulesError(f"{p}: 'service_types' has duplicates")
    rules: list[Rule] = []
    seen_ids: dict[str, int] = {}
    seen_prio: dict[int, str] = {}
    for i, raw in enumerate(data["rules"], start=1):
        where = f"{p}: rule #{i}"
        if not isinstance(raw, dict):
            raise RulesError(f"{where}: must be a mapping")
        rid = raw.get("id")
        if not isinstance(rid, str) or not rid.strip():
            raise RulesError(f"{where}: missing 'id'")
        where = f"{p}: rule '{rid}' (#{i})"
        unknown = set(raw) - _RULE_KEYS
        if unknown:
            raise RulesError(f"{where}: unknown keys {sorted(unknown)}")
        if rid in seen_ids:
            raise RulesError(f"{where}: duplicate id (also rule #{seen_ids[rid]})")
        seen_ids[rid] = i
        label = raw.get("label")
        if label not in LABELS:
            raise RulesError(f"{where}: label {label!r} not one of {LABELS}")
        prio = raw.get("priority")
        if not isinstance(prio, int) or isinstance(prio, bool):
            raise RulesError(f"{where}: 'priority' must be an integer")
        if prio in seen_prio:
            raise RulesError(f"{where}: priority {prio} already used by rule '{seen_prio[prio]}'")
        seen_prio[prio] = rid
        stype = raw.get("service_type")
        if label == "service":
            if stype not in stypes:
                raise RulesError(f"{where}: service rule needs service_type in {list(stypes)}, got {stype!r}")
        elif stype is not None:
            raise RulesError(f"{where}: service_type given for a {label} rule")
        fld = raw.get("field", "stem")
        if fld not in ("stem", "name"):
            raise RulesError(f"{where}: field must be 'stem' or 'name', got {fld!r}")
        contains = _as_str_list(raw.get("contains"), where, "contains")
        exact = _as_str_list(raw.get("exact"), where, "exact")
        regex_src = _as_str_list(raw.get("regex"), where, "regex")
        unless = _as_str_list(raw.get("unless_contains"), where, "unless_contains")
        if not (contains or exact or regex_src):
            raise RulesError(f"{where}: no pattern (give contains, exact or regex)")
        compiled = []
        for rx in regex_src:
            try:
                compiled.append(re.compile(rx, re.IGNORECASE))
            except re.error as exc:
                raise RulesError(f"{where}: regex {rx!r} does not compile: {exc}") from None
        is_total = raw.get("is_total", False)
        if not isinstance(is_total, bool):
            raise RulesError(f"{where}: is_total must be true or false")
        if is_total and label != "not_segment":
            raise RulesError(f"{where}: is_total only makes sense for a not_segment rule")
        rules.append(Rule(
            id=rid, label=label, priority=prio, service_type=stype,
            description=str(raw.get("description", "")), field=fld,
            contains=tuple(normalize_name(c) for c in contains),
            exact=tuple(normalize_name(e) for e in exact),
            regex=tuple(compiled), unless_contains=tuple(normalize_name(u) for u in unless),
            is_total=is_total,
        ))
    rules.sort(key=lambda r: -r.priority)
    return ServiceRules(
        name=str(data.get("name", p.stem)), version=str(data.get("version", "")), path=str(p),
        service_types=stypes, rules=tuple(rules),
    )


def load_overrides(path: str | Path, rules: ServiceRules | None = None) -> pd.DataFrame:
    """Read an override CSV: firm, year (blank = all years), segment, label, note [, service_type].

    Returns a DataFrame with columns firm (6-char str), year (Int64, <NA> = all years), segment (as
    written), segment_norm, label, service_type, note, line (the CSV line number, header = line 1).
    ``service_type`` is optional; for a service override without it the type is "other_service".
    Errors raise :class:`OverridesError` with the file and line number. Two overrides for the same
    (firm, year, segment) are an error even when they agree, so the file stays unambiguous.
    """
    p = Path(path)
    stypes = rules.service_types if rules is not None else load_rules().service_types
    try:
        with p.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in ("firm", "year", "segment", "label") if c not in header]
            if missing:
                raise OverridesError(f"{p}: missing columns {missing} (need {list(OVERRIDE_COLUMNS)})")
            rows = [({(k or "").strip(): (v or "").strip() if isinstance(v, str) else v
                      for k, v in r.items()}, reader.line_num) for r in reader]
    except FileNotFoundError:
        raise OverridesError(f"{p}: override file not found") from None
    out = []
    keys: dict[tuple, int] = {}
    for r, line in rows:
        where = f"{p}: line {line}"
        if None in r:
            raise OverridesError(f"{where}: more fields than header columns")
        firm = try_normalize_firm(r.get("firm"))
        if firm is None:
            raise OverridesError(f"{where}: firm {r.get('firm')!r} is not a stock code of up to 6 digits")
        ys = r.get("year") or ""
        if ys == "":
            year = pd.NA
        else:
            try:
                year = int(float(ys))
                if float(ys) != year:
                    raise ValueError
            except ValueError:
                raise OverridesError(f"{where}: year {ys!r} is not an integer (leave blank for all years)") from None
        seg = r.get("segment") or ""
        seg_norm = normalize_name(seg)
        if not seg_norm:
            raise OverridesError(f"{where}: empty segment")
        label = r.get("label") or ""
        if label not in LABELS:
            raise OverridesError(f"{where}: label {label!r} not one of {LABELS}")
        st = r.get("service_type") or None
        if label == "service":
            st = st or "other_service"
            if st not in stypes:
                raise OverridesError(f"{where}: service_type {st!r} not one of {list(stypes)}")
        elif st is not None:
            raise OverridesError(f"{where}: service_type given for label {label!r}")
        key = (firm, None if year is pd.NA else year, seg_norm)
        if key in keys:
            raise OverridesError(f"{where}: duplicate override for {key} (first at line {keys[key]})")
        keys[key] = line
        out.append({"firm": firm, "year": year, "segment": seg, "segment_norm": seg_norm,
                    "label": label, "service_type": st, "note": r.get("note") or "", "line": line})
    df = pd.DataFrame(out, columns=["firm", "year", "segment", "segment_norm", "label",
                                    "service_type", "note", "line"])
    df["year"] = df["year"].astype("Int64")
    df["line"] = df["line"].astype("int64")
    return df


def label_segments(segments: pd.DataFrame, rules: ServiceRules | None = None,
                   overrides: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add label, service_type, decided_by, matched, is_total to a canonical segment frame.

    ``segments`` needs at least firm, year, segment. ``overrides`` is the frame from
    :func:`load_overrides` (or any frame with firm, year, segment, label and optionally service_type and
    line). A year-specific override beats an all-years one; any override beats every rule.
    The input is not modified; row order and index are kept.
    """
    for col in ("firm", "year", "segment"):
        if col not in segments.columns:
            raise KeyError(f"label_segments: segment frame lacks column {col!r}")
    rules = rules if rules is not None else load_rules()
    out = segments.copy()
    decisions = [rules.classify(s) for s in out["segment"].tolist()]
    label = [d.label for d in decisions]
    stype: list[Any] = [d.service_type for d in decisions]
    decided = [d.decided_by for d in decisions]
    matched: list[Any] = [d.matched for d in decisions]
    is_total = [d.is_total for d in decisions]

    if overrides is not None and len(overrides):
        ov = overrides.copy()
        if "segment_norm" not in ov.columns:
            ov["segment_norm"] = ov["segment"].map(normalize_name)
        if "line" not in ov.columns:
            ov["line"] = range(2, len(ov) + 2)
        if "service_type" not in ov.columns:
            ov["service_type"] = None
        lookup: dict[tuple, tuple] = {}
        for r in ov.itertuples(index=False):
            yr = None if pd.isna(r.year) else int(r.year)
            st = r.service_type if isinstance(r.service_type, str) and r.service_type else None
            if r.label == "service" and st is None:
                st = "other_service"
            lookup[(try_normalize_firm(r.firm), yr, r.segment_norm)] = (r.label, st, int(r.line))
        firms = [try_normalize_firm(f) for f in out["firm"].tolist()]
        years = out["year"].tolist()
        for i, seg in enumerate(out["segment"].tolist()):
            norm = normalize_name(seg)
            yr = None if pd.isna(years[i]) else int(years[i])
            hit = lookup.get((firms[i], yr, norm)) or lookup.get((firms[i], None, norm))
            if hit is not None:
                label[i], stype[i], decided[i] = hit[0], hit[1] if hit[0] == "service" else None, f"override:{hit[2]}"
                matched[i] = None
                is_total[i] = False

    out["label"] = pd.Series(label, index=out.index, dtype=object)
    out["service_type"] = pd.Series(stype, index=out.index, dtype=object)
    out["decided_by"] = pd.Series(decided, index=out.index, dtype=object)
    out["matched"] = pd.Series(matched, index=out.index, dtype=object)
    out["is_total"] = pd.Series(is_total, index=out.index, dtype=bool)
    return out


def rules_table(rules: ServiceRules | None = None) -> pd.DataFrame:
    """The rule set as a table (id, priority, label, service_type, description) for documentation."""
    rules = rules if rules is not None else load_rules()
    return pd.DataFrame([
        {"id": r.id, "priority": r.priority, "label": r.label, "service_type": r.service_type,
         "is_total": r.is_total, "description": r.description}
        for r in rules.rules
    ])
