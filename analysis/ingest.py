"""Reading vendor files (CSMAR and others) into canonical tables.

A *vendor mapping* (``config/vendors/<vendor>.yaml``, checked against
``config/vendors/mapping.schema.yaml``; see ``config/vendors/README.md``) says, for each canonical
table, which files hold it, which vendor column becomes which canonical column, which canonical
columns are computed (sum or difference of vendor columns, a date from a year, a constant, or
unavailable with a reason), the units, the vendor's missing-value codes, value recodings (checked
against the canonical values) and crosswalks (to CSRC 2012). Supporting a new vendor is a new
mapping file, not new code. The reader detects each file's header rows (CSMAR: field code, Chinese
label, unit), reads workbooks past a wrongly declared dimension and zip entries in place.

Readers accept ``.xlsx`` and ``.csv``/``.txt`` (comma or tab separated) in UTF-8 (with or without
BOM), UTF-16 and GBK/GB18030, and several files per table (e.g. one per period), which are
concatenated. Every row keeps ``_source_file`` and ``_source_row`` (1-based line in the file,
header rows included) so that any later error or drop can point back to the raw line.

Missing values. ``missing_values`` at the top of a mapping lists the vendor's *text* codes of a
missing cell ("", "--", "N/A" ...); they apply to every column. A *numeric* sentinel such as -1 or 0
must never be vendor-wide, because it is also a legitimate value of some columns (a net profit of
-1.00 yuan is real): it is declared per canonical column under the table's ``missing`` key, e.g.
``missing: {total_assets: ["-1"], revenue: ["-1"]}``, and is compared as a number (so "-1", "-1.0"
and the xlsx number -1 all match) before any ``scale`` is applied. :func:`load_vendor_mapping`
rejects a numeric code in the vendor-wide list.

Optional tables (``industry_history``, ``market_value``, ``shareholders``, ``rd``, ``patents``) may
be absent from a mapping or from the raw folder; they are then empty canonical tables and the
variables built from them (per-year industry, Tobin's Q, Top1, the mechanism's product-innovation
indicators) fall back or stay missing.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from analysis.codes import try_normalize_firm

#: Canonical tables: column -> kind ("firm", "str", "date", "num"). Required columns are listed in
#: REQUIRED; the others are optional and created empty when a vendor lacks them.
CANONICAL: dict[str, dict[str, str]] = {
    "company": {"firm": "firm", "name": "str", "founded": "date", "listed": "date",
                "industry": "str", "ownership": "str", "province": "str"},
    "balance_sheet": {"firm": "firm", "short_name": "str", "period_end": "date",
                      "statement_type": "str", "total_assets": "num",
                      "total_liabilities": "num", "total_equity": "num"},
    "income_statement": {"firm": "firm", "short_name": "str", "period_end": "date",
                         "statement_type": "str", "total_revenue": "num",
                         "operating_revenue": "num", "net_profit": "num"},
    "segments": {"firm": "firm", "period_end": "date", "breakdown": "str", "segment": "str",
                 "revenue": "num", "cost": "num"},
    # optional tables
    "industry_history": {"firm": "firm", "start": "date", "industry": "str"},
    # special-treatment spells (ST, *ST, PT): from ``start`` to ``end`` (open when end is missing)
    "st_history": {"firm": "firm", "start": "date", "end": "date", "status": "str"},
    "market_value": {"firm": "firm", "period_end": "date", "year": "year", "market_value": "num"},
    "shareholders": {"firm": "firm", "period_end": "date", "year": "year", "top1": "num"},
    # optional mechanism tables (analysis/mechanism.py): R&D expense and invention patents
    "rd": {"firm": "firm", "period_end": "date", "year": "year", "rd_expense": "num"},
    "patents": {"firm": "firm", "period_end": "date", "year": "year", "invention_applications": "num",
                "invention_grants": "num"},
    # optional: ownership by year (CSMAR EN_EquityNatureAll), preferred to the company table's
    "ownership_history": {"firm": "firm", "period_end": "date", "year": "year", "ownership": "str"},
    # optional: the vendor's own ratios (fractions after ``units``), used only to check units
    "ratios": {"firm": "firm", "period_end": "date", "year": "year", "roa": "num", "roe": "num", "lev": "num"},
}
REQUIRED: dict[str, list[str]] = {
    "company": ["firm", "industry"],
    "balance_sheet": ["firm", "period_end", "statement_type", "total_assets"],
    "income_statement": ["firm", "period_end", "statement_type", "net_profit"],
    "segments": ["firm", "period_end", "breakdown", "segment", "revenue"],
    "industry_history": ["firm", "start", "industry"],
    "st_history": ["firm", "start"],
    "market_value": ["firm", "market_value"],
    "shareholders": ["firm", "top1"],
    "rd": ["firm", "rd_expense"],
    "patents": ["firm"],
    "ratios": ["firm"],
    "ownership_history": ["firm", "ownership"],
}
#: tables a vendor mapping (and the raw folder) may lack
OPTIONAL_TABLES = ("segments", "industry_history", "st_history", "market_value", "shareholders", "rd",
                   "patents", "ratios", "ownership_history")
#: tables dated by a fiscal year: they need ``period_end`` or ``year`` (either one is enough)
YEARLY_TABLES = ("market_value", "shareholders", "rd", "patents", "ratios", "ownership_history")
TABLES = tuple(CANONICAL)
SOURCE_COLUMNS = ["_source_file", "_source_row"]


class RawDataError(ValueError):
    """A problem in a raw input file; the message names the file, column, row and value."""

    def __init__(self, file: str | Path, message: str, *, column: str | None = None,
                 row: int | None = None, value: Any = None):
        where = [f"file {file}"]
        if column is not None:
            where.append(f"column {column!r}")
        if row is not None:
            where.append(f"row {row}")
        if value is not None:
            where.append(f"value {value!r}")
        super().__init__(f"{', '.join(where)}: {message}")
        self.file, self.column, self.row, self.value = str(file), column, row, value


#: allowed values of coded canonical columns (a recode must end in one of them)
CANONICAL_VALUES: dict[str, tuple[str, ...]] = {
    "statement_type": ("A", "B"),  # A consolidated, B parent company
    "breakdown": ("industry", "product", "region", "other"),
}
#: unit of a vendor column -> multiplier to the canonical unit (yuan for amounts, fraction for ratios)
UNITS: dict[str, float] = {
    "元": 1.0, "yuan": 1.0, "千元": 1e3, "thousand_yuan": 1e3, "万元": 1e4, "ten_thousand_yuan": 1e4,
    "百万元": 1e6, "million_yuan": 1e6, "亿元": 1e8, "hundred_million_yuan": 1e8,
    "percent": 0.01, "fraction": 1.0, "count": 1.0,
}
MAPPING_SCHEMA = Path(__file__).resolve().parents[1] / "config" / "vendors" / "mapping.schema.yaml"
CSRC2012 = Path(__file__).resolve().parent / "data" / "csrc2012.csv"


@dataclass(frozen=True)
class Computed:
    """A canonical column computed from vendor columns: ``rule`` is one of sum, difference,
    year_end, year_start, constant, unavailable; ``arg`` its vendor column(s), value or reason."""

    rule: str
    arg: Any

    def parts(self) -> tuple[str, ...]:
        if self.rule in ("sum", "difference"):
            return tuple(self.arg)
        if self.rule in ("year_end", "year_start"):
            return (self.arg,)
        return ()


@dataclass(frozen=True)
class Exclusion:
    column: str
    pattern: str
    reason: str


@dataclass(frozen=True)
class TableMapping:
    """How one canonical table is found in a vendor's files."""

    name: str
    files: tuple[str, ...]
    columns: dict[str, str]  # vendor column -> canonical column
    header_rows: int = 1  # upper bound; read_raw_file detects the header rows actually present
    scale: dict[str, float] = field(default_factory=dict)  # canonical column -> multiplier
    recode: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical col -> map
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict)  # canonical col -> extra codes
    computed: dict[str, Computed] = field(default_factory=dict)  # canonical col -> rule
    units: dict[str, str] = field(default_factory=dict)  # canonical col -> declared unit
    exclude: tuple[Exclusion, ...] = ()
    sheets: tuple[str, ...] | str = ()  # xlsx: () the first sheet, "all", or sheet names
    source: str = ""  # the mapping file

    def vendor_column(self, canonical: str) -> str:
        """The vendor's name of a canonical column (for messages); the canonical name if unmapped."""
        for v, c in self.columns.items():
            if c == canonical:
                return v
        if canonical in self.computed and self.computed[canonical].parts():
            return "+".join(self.computed[canonical].parts())
        return canonical

    def mapped(self) -> set[str]:
        """Canonical columns the mapping provides (directly or computed)."""
        return set(self.columns.values()) | set(self.computed)

    def firm_columns(self) -> tuple[str, ...]:
        """The vendor column(s) holding the stock code (alternatives)."""
        return tuple(v for v, c in self.columns.items() if c == "firm")


@dataclass(frozen=True)
class VendorMapping:
    vendor: str
    missing_values: tuple[str, ...]
    tables: dict[str, TableMapping]
    source: str = ""


def _schema_errors(spec: Any) -> list[tuple[str, str]]:
    import jsonschema
    schema = yaml.safe_load(MAPPING_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    out = []
    for err in sorted(validator.iter_errors(spec), key=lambda e: list(map(str, e.absolute_path))):
        best = jsonschema.exceptions.best_match([err])
        key = ".".join(str(p) for p in best.absolute_path) or "<top level>"
        out.append((key, best.message))
    return out


def csrc2012_codes() -> dict[str, str]:
    """The CSRC 2012 industry classification shipped with the package: code -> name (sections
    A-S and their two-digit divisions, e.g. C39)."""
    table = pd.read_csv(CSRC2012, dtype=str, keep_default_na=False)
    return dict(zip(table["code"], table["name"]))


def read_crosswalk(path: Path, mapping_file: Path, key: str) -> dict[str, str]:
    """A crosswalk CSV (``from``, ``to``) whose targets must be CSRC 2012 codes."""
    if not path.is_file():
        raise RawDataError(mapping_file, f"key {key!r}: crosswalk file {path} not found")
    try:
        cw = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
    except Exception as exc:  # noqa: BLE001 - any parse failure becomes a clear error
        raise RawDataError(path, f"cannot read the crosswalk ({type(exc).__name__}: {exc})") from None
    if list(cw.columns[:2]) != ["from", "to"]:
        raise RawDataError(path, f"a crosswalk needs the columns 'from' and 'to'; found {list(cw.columns)}")
    known = csrc2012_codes()
    for i, (a, b) in enumerate(zip(cw["from"], cw["to"])):
        if b.strip().upper() not in known:
            raise RawDataError(path, "not a CSRC 2012 code (see analysis/data/csrc2012.csv)",
                               column="to", row=i + 2, value=b)
    dup = cw["from"][cw["from"].duplicated()]
    if len(dup):
        raise RawDataError(path, "a value is mapped twice", column="from", value=dup.iloc[0])
    return {a.strip(): b.strip().upper() for a, b in zip(cw["from"], cw["to"])}


def load_vendor_mapping(path: str | Path) -> VendorMapping:
    """Load a vendor mapping file (YAML) and check it against ``config/vendors/mapping.schema.yaml``
    and the canonical tables; every error names the mapping file and the key."""
    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RawDataError(path, f"cannot read vendor mapping: {exc}") from None
    errors = _schema_errors(spec)
    if errors:
        key, msg = errors[0]
        more = f" ({len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise RawDataError(path, f"key {key!r}: {msg}{more}; see config/vendors/README.md")
    default_header = int(spec.get("header_rows", 1))
    tables: dict[str, TableMapping] = {}
    for name, t in spec["tables"].items():
        def bad(key: str, msg: str) -> RawDataError:
            return RawDataError(path, f"key 'tables.{name}.{key}': {msg}")
        if name not in CANONICAL:
            raise RawDataError(path, f"key 'tables.{name}': unknown table {name!r}; known: {sorted(CANONICAL)}")
        cols = {str(k): str(v) for k, v in (t.get("columns") or {}).items()}
        for v, c in cols.items():
            if c not in CANONICAL[name]:
                raise bad(f"columns.{v}", f"unknown canonical column {c!r}; known: {list(CANONICAL[name])}")
        computed = {}
        for c, rule in (t.get("computed") or {}).items():
            if c not in CANONICAL[name]:
                raise bad(f"computed.{c}", f"unknown canonical column {c!r}; known: {list(CANONICAL[name])}")
            if c == "firm":
                raise bad(f"computed.{c}", "the stock code must come from a vendor column (under 'columns')")
            (kind, arg), = rule.items()
            want = {"sum": "num", "difference": "num", "year_end": "date", "year_start": "date"}.get(kind)
            if want and CANONICAL[name][c] != want:
                raise bad(f"computed.{c}.{kind}", f"{kind} gives a {want} column; {c!r} is a {CANONICAL[name][c]} column")
            if kind == "constant" and c in CANONICAL_VALUES and str(arg) not in CANONICAL_VALUES[c]:
                raise bad(f"computed.{c}.constant", f"{arg!r} is not one of {list(CANONICAL_VALUES[c])}")
            if kind == "unavailable" and c in REQUIRED[name] and c in ("firm", "period_end", "statement_type"):
                raise bad(f"computed.{c}", f"{c!r} identifies the rows and cannot be unavailable")
            computed[c] = Computed(kind, tuple(arg) if isinstance(arg, list) else arg)
        both = sorted(set(cols.values()) & set(computed))
        if both:
            raise bad("computed", f"{both} are mapped under 'columns' and computed")
        mapped = set(cols.values()) | set(computed)
        lacking = sorted(set(REQUIRED[name]) - mapped)
        if lacking:
            raise bad("columns", f"does not map required columns {lacking} (map them under 'columns', "
                                 "compute them under 'computed', or declare them unavailable there)")
        if name in YEARLY_TABLES and not {"period_end", "year"} & mapped:
            raise bad("columns", "must map 'period_end' or 'year'")
        # several vendor columns may map to one canonical column: alternatives (exports name some
        # fields differently, e.g. CSMAR's EquityNature / OWNERSHIPTYPE); a file must hold one of them
        col_missing = {str(k): tuple(str(c) for c in (v if isinstance(v, list) else [v]))
                       for k, v in (t.get("missing") or {}).items()}
        for key in ("missing", "units", "scale", "recode", "crosswalk"):
            unknown = sorted(set(map(str, (t.get(key) or {}))) - set(CANONICAL[name]))
            if unknown:
                raise bad(f"{key}.{unknown[0]}", f"unknown canonical column; known: {list(CANONICAL[name])}")
        units = {str(k): str(v) for k, v in (t.get("units") or {}).items()}
        scale = {str(k): float(v) for k, v in (t.get("scale") or {}).items()}
        for c in units:
            if c in scale:
                raise bad(f"units.{c}", "declare either a unit or a scale for a column, not both")
            if CANONICAL[name][c] != "num":
                raise bad(f"units.{c}", f"{c!r} is not a numeric column")
            scale[c] = UNITS[units[c]]
        recode = {str(k): {str(a): str(b) for a, b in v.items()} for k, v in (t.get("recode") or {}).items()}
        for c, m in recode.items():
            if c in CANONICAL_VALUES:
                wrong = sorted(set(m.values()) - set(CANONICAL_VALUES[c]))
                if wrong:
                    raise bad(f"recode.{c}", f"recodes to {wrong}, not canonical values {list(CANONICAL_VALUES[c])}")
        for c, file in (t.get("crosswalk") or {}).items():
            if c in recode:
                raise bad(f"crosswalk.{c}", "declare either a recode or a crosswalk for a column, not both")
            recode[c] = read_crosswalk((path.parent / file).resolve(), path, f"tables.{name}.crosswalk.{c}")
        files = t.get("files")
        files = (files,) if isinstance(files, str) else tuple(files or ())
        exclude = tuple(Exclusion(str(e["column"]), str(e["pattern"]), str(e["reason"]))
                        for e in (t.get("exclude") or []))
        tables[name] = TableMapping(
            name=name, files=files, columns=cols,
            header_rows=int(t.get("header_rows", default_header)), scale=scale, recode=recode,
            missing=col_missing, computed=computed, units=units, exclude=exclude,
            sheets=t["sheets"] if t.get("sheets") == "all" else tuple(t.get("sheets") or ()), source=str(path))
    lacking = sorted(set(CANONICAL) - set(OPTIONAL_TABLES) - set(tables))
    if lacking:
        raise RawDataError(path, f"key 'tables': the mapping lacks the required table(s) {lacking}")
    missing = tuple(str(v) for v in spec.get("missing_values", ["", "--", "N/A", "NA"]))
    numeric = [v for v in missing if _is_number(v)]
    if numeric:
        raise RawDataError(path, f"key 'missing_values': numeric missing-value code(s) {numeric} in the "
                                 "vendor-wide list would also erase real values (a net profit of -1); "
                                 "declare them per column under the table's 'missing' key")
    return VendorMapping(vendor=str(spec.get("vendor", path.stem)), missing_values=missing,
                         tables=tables, source=str(path))


def _is_number(text: str) -> bool:
    """A finite number ("nan", "inf" are text codes, not numbers)."""
    try:
        return math.isfinite(float(str(text).replace(",", "")))
    except ValueError:
        return False


# --------------------------------------------------------------------------- reading files

_ENCODINGS = ("utf-8", "gb18030")


def detect_encoding(data: bytes) -> str:
    """The encoding :func:`decode_bytes` uses for ``data`` (BOM, NUL pattern, UTF-8, GB18030)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" in data[:4000]:  # UTF-16 without BOM: every ASCII character has a NUL byte
        head = data[:4000]
        return "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
    for enc in _ENCODINGS:
        try:
            data.decode(enc)
        except UnicodeDecodeError:
            continue
        return enc
    return ""


def decode_bytes(data: bytes, file: str | Path) -> str:
    """Decode a text export: BOM first (UTF-8, UTF-16), UTF-16 without BOM (NUL bytes), then strict
    UTF-8, then GB18030 (a superset of GBK)."""
    enc = detect_encoding(data)
    if not enc:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            start = data.rfind(b"\n", 0, exc.start) + 1
            before = data[start:exc.start].decode("utf-8", errors="replace")[-30:]
            raise RawDataError(file, f"byte {data[exc.start:exc.start + 1].hex(' ')} after "
                                     f"{before!r} is not valid UTF-8, and the file is not GBK/GB18030 or UTF-16 "
                                     "either; fix that line or save the file again as UTF-8", row=line) from None
        raise RawDataError(file, "cannot decode as UTF-8, UTF-16 or GBK/GB18030")
    try:
        return data.decode(enc)
    except UnicodeDecodeError as exc:
        raise RawDataError(file, f"cannot decode as {enc}: {exc}") from None


def _read_text_table(path: Path, data: bytes) -> tuple[list[list[str]], str]:
    encoding = detect_encoding(data)
    text = decode_bytes(data, path)
    if not text.strip():
        raise RawDataError(path, "the file is empty")
    first = text.splitlines()[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)], encoding


def xlsx_sheets(path: str | Path) -> list[str]:
    """The sheet names of a workbook (for a table mapped to several sheets)."""
    import openpyxl
    path = Path(path)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(_read_bytes(path)), read_only=True)
        names = list(wb.sheetnames)
        wb.close()
    except RawDataError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise RawDataError(path, f"not a readable xlsx workbook ({type(exc).__name__}: {exc})") from None
    return names


def _read_xlsx_table(path: Path, data: bytes, sheet: str | None = None) -> list[list[str]]:
    import openpyxl
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        if sheet is not None and sheet not in wb.sheetnames:
            raise RawDataError(path, f"no sheet {sheet!r}; the workbook has {wb.sheetnames}")
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        # CSMAR's workbooks declare their range as column A only (<dimension ref="A1:A<n>"/>);
        # a read-only sheet trusts that declaration unless its dimensions are reset.
        ws.reset_dimensions()
        rows = []
        for values in ws.iter_rows(values_only=True):
            rows.append(["" if v is None else _cell_text(v) for v in values])
        wb.close()
    except RawDataError:
        raise
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException, truncated XML ...
        raise RawDataError(path, f"not a readable xlsx workbook ({type(exc).__name__}: {exc}); "
                                 "is the file truncated or not really an Excel file?") from None
    if not rows:
        raise RawDataError(path, "the workbook's first sheet is empty")
    width = max(len(r) for r in rows)  # rows end at their last cell: pad to the widest
    while width and not any(r[width - 1].strip() for r in rows if len(r) >= width):
        width -= 1
    return [(r + [""] * width)[:width] for r in rows]


def _cell_text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return repr(v)  # keep "1.0" so numeric columns parse; codes are handled separately
    if hasattr(v, "isoformat"):
        return v.isoformat()[:10]
    return str(v)


def file_record(path: str | Path, data: bytes) -> dict[str, Any]:
    """Provenance of one raw file: path as given, size in bytes and SHA-256 of its content."""
    return {"path": Path(path).as_posix(), "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}


def zip_member(path: str | Path) -> tuple[Path, str] | None:
    """(archive, entry) when ``path`` names an entry inside a zip ("dl.zip/FS_Combas.xlsx")."""
    path = Path(path)
    for parent in path.parents:
        if parent.suffix.lower() == ".zip" and parent.is_file():
            return parent, path.relative_to(parent).as_posix()
    return None


def source_file(path: str | Path) -> Path:
    """The file on disk that holds ``path`` (the zip for an entry inside a zip)."""
    member = zip_member(path)
    return member[0] if member else Path(path)


def _read_bytes(path: Path) -> bytes:
    member = zip_member(path)
    if member is None:
        if not path.is_file():
            raise RawDataError(path, "file not found")
        return path.read_bytes()
    archive, entry = member
    try:
        with zipfile.ZipFile(archive) as z:
            return z.read(entry)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise RawDataError(path, f"cannot read the zip entry ({type(exc).__name__}: {exc})") from None


def read_des(path: str | Path) -> dict[str, str]:
    """CSMAR's field description (``<TABLE>[DES][xlsx].txt`` beside a data file in its zip): field
    code -> the rest of its line (``[label] - description``). Empty when there is none."""
    member = zip_member(path)
    if member is None:
        return {}
    archive, entry = member
    with zipfile.ZipFile(archive) as z:
        des = [n for n in z.namelist() if "[DES]" in n]
        if not des:
            return {}
        text = decode_bytes(z.read(des[0]), f"{archive}/{des[0]}")
    out = {}
    for line in text.splitlines():
        m = re.match(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*(\[.*)$", line)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def csmar_table(path: str | Path) -> str:
    """The CSMAR table a file belongs to, from its name (FS_Comins_2019.csv -> FS_Comins)."""
    name = Path(path).stem
    m = re.match(r"^([A-Za-z]+_[A-Za-z0-9]+)", name)
    return m.group(1) if m else name


#: cells of a unit row in CSMAR exports
UNIT_WORDS = frozenset({"没有单位", "元", "千元", "万元", "百万元", "亿元", "%", "股", "万股", "年", "人", "个", "件"})


def _header_rows(rows: list[list[str]], firm_index: int, bound: int) -> tuple[int, list[str]]:
    """How many header rows the file has: the field-code row, then every row (up to ``bound``)
    whose firm cell is not a stock code (CSMAR's label row and unit row). Returns the count and
    what each row is ("field codes", "labels", "units")."""
    kinds = ["field codes"]
    for r in rows[1:bound]:
        cell = r[firm_index].strip() if firm_index < len(r) else ""
        # a label ("证券代码") or unit ("没有单位") row; a numeric firm cell, or a blank one in a row
        # of values, is a data row (a bad code there is reported, never swallowed as a header)
        filled = [c.strip() for c in r if c.strip()]
        if not cell:
            if any(c not in UNIT_WORDS for c in filled):
                break
        elif any(ch.isdigit() for ch in cell) or try_normalize_firm(cell) is not None:
            break
        kinds.append("units" if filled and sum(c in UNIT_WORDS for c in filled) >= len(filled) / 2
                     else "labels")
    return len(kinds), kinds


def read_raw_file(path: str | Path, header_rows: int = 1,
                  firm_column: str | tuple[str, ...] | None = None, sheet: str | None = None) -> pd.DataFrame:
    """Read one vendor file into a frame of strings with ``_source_file``/``_source_row``.

    The first header row gives the column names. With ``firm_column`` the number of header rows is
    *detected* (up to ``max(header_rows, 3)``): after the field-code row, rows whose firm cell is not
    a stock code are CSMAR's label and unit rows; a file with one header row (TRD_Co as a csv) keeps
    its first firms. Without it, ``header_rows`` rows are skipped. ``path`` may name an entry
    inside a zip ("download.zip/FS_Combas.xlsx"). ``frame.attrs["file"]`` holds the file's
    provenance (path, bytes, sha256, encoding, rows read, header rows found and what they are) and
    ``frame.attrs["units"]`` the unit row (column -> unit) when there is one.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) == 0:
        raise RawDataError(path, "the file is empty (0 bytes)")
    suffix = path.suffix.lower()
    encoding = "xlsx"
    if suffix in (".xlsx", ".xlsm"):
        rows = _read_xlsx_table(path, data, sheet)
    elif suffix in (".csv", ".txt", ".tsv"):
        rows, encoding = _read_text_table(path, data)
    else:
        raise RawDataError(path, f"unsupported file type {suffix!r} (use .xlsx, .csv, .txt or a .zip of them)")
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        if h and h in seen:
            raise RawDataError(path, f"the header names column {h!r} twice (columns {seen[h] + 1} and {i + 1}); "
                                     "rename or delete one of them", row=1, column=h)
        seen[h] = i
    kinds = ["field codes"] + ["skipped"] * (header_rows - 1)
    names = (firm_column,) if isinstance(firm_column, str) else tuple(firm_column or ())
    firm_col = next((c for c in names if c in header), None)
    if firm_col is not None:
        header_rows, kinds = _header_rows(rows, header.index(firm_col), max(header_rows, 3))
    if len(rows) < header_rows:
        raise RawDataError(path, f"expected {header_rows} header rows, found {len(rows)} rows")
    width = len(header)
    units = {}
    if "units" in kinds:
        unit_row = rows[kinds.index("units")]
        units = {h: (unit_row[i].strip() if i < len(unit_row) else "") for i, h in enumerate(header)}
    body = rows[header_rows:]
    records = []
    lines = []
    for i, r in enumerate(body):
        if not any(c.strip() for c in r):
            continue  # blank line
        if len(r) > width and any(c.strip() for c in r[width:]):
            raise RawDataError(path, f"row has {len(r)} fields, header has {width}",
                               row=i + header_rows + 1)
        records.append((list(r) + [""] * width)[:width])
        lines.append(i + header_rows + 1)
    frame = pd.DataFrame(records, columns=header, dtype=object)
    frame["_source_file"] = path.as_posix() + (f"#{sheet}" if sheet is not None else "")
    frame["_source_row"] = pd.Series(lines, dtype="int64")
    frame.attrs["file"] = {**file_record(path, data), "encoding": encoding, "rows_read": len(records),
                           "header_rows": header_rows, "header": ", ".join(kinds), "sheet": sheet or ""}
    frame.attrs["units"] = units
    return frame


# --------------------------------------------------------------------------- canonical tables

def _firm_codes(values: pd.Series, frame: pd.DataFrame, column: str) -> tuple[pd.Series, int]:
    """Zero-padded 6-digit stock codes; '651' or 651.0 (lost zeros) become '000651'.

    Returns the codes and how many were padded (reported in the ingest log and the manifest).
    """
    out = []
    padded = 0
    for v, f, r in zip(values, frame["_source_file"], frame["_source_row"]):
        code = try_normalize_firm(str(v))
        if code is None:
            raise RawDataError(f, "a stock code must be 1-6 digits (zero-padded 6-digit codes, "
                                  "e.g. '000651')", column=column, row=int(r), value=v)
        digits = str(v).strip().removesuffix(".0")
        padded += digits.isdigit() and len(digits) < 6
        out.append(code)
    return pd.Series(out, index=values.index, dtype="str"), padded


def _first_bad(bad: pd.Series, values: pd.Series, frame: pd.DataFrame, column: str, message: str):
    i = bad.to_numpy().nonzero()[0][0]
    raise RawDataError(frame["_source_file"].iat[i], message, column=column,
                       row=int(frame["_source_row"].iat[i]), value=values.iat[i])


def _numbers(values: pd.Series, frame: pd.DataFrame, column: str, missing: set[str],
             sentinels: tuple[float, ...] = ()) -> pd.Series:
    """Numbers from text; text codes in ``missing`` and numeric ``sentinels`` become NaN."""
    text = values.astype("str").str.strip().str.replace(",", "", regex=False)
    is_missing = text.isin(missing) | values.isna()
    parsed = pd.to_numeric(text.where(~is_missing), errors="coerce")
    bad = parsed.isna() & ~is_missing
    if bad.any():
        _first_bad(bad, values, frame, column, "expected a number")
    parsed = parsed.astype("float64")
    if sentinels:
        parsed = parsed.where(~parsed.isin(sentinels))
    return parsed


def _dates(values: pd.Series, frame: pd.DataFrame, column: str, missing: set[str]) -> pd.Series:
    text = values.astype("str").str.strip()
    is_missing = text.isin(missing) | values.isna()
    bare_year = text.str.fullmatch(r"\d{4}(\.0+)?") & ~is_missing
    if bare_year.any():  # pandas would read "2017" as 2017-01-01: never an annual statement date
        _first_bad(bare_year, values, frame, column,
                   "a bare year is not a date; compute the date from the year in the vendor mapping, "
                   f"e.g. computed: {{period_end: {{year_end: {column}}}}} (YYYY-12-31)")
    # 20201231 (a common vendor format) -> 2020-12-31
    text = text.str.replace(r"^(\d{4})(\d{2})(\d{2})$", r"\1-\2-\3", regex=True)
    parsed = pd.to_datetime(text.where(~is_missing), errors="coerce", format="mixed")
    bad = parsed.isna() & ~is_missing
    if bad.any():
        _first_bad(bad, values, frame, column, "expected a date (YYYY-MM-DD)")
    return parsed.astype("datetime64[us]")


def _years(values: pd.Series, frame: pd.DataFrame, column: str, missing: set[str]) -> pd.Series:
    nums = _numbers(values, frame, column, missing)
    bad = nums.notna() & ~(nums.between(1900, 2100) & (nums % 1 == 0))
    if bad.any():
        _first_bad(bad, values, frame, column, "expected a year (e.g. 2020)")
    return nums.astype("Int64")


def empty_table(name: str) -> pd.DataFrame:
    """An empty canonical table (for optional tables a vendor does not deliver)."""
    cols: dict[str, pd.Series] = {}
    for canon, kind in CANONICAL[name].items():
        dtype = {"num": "float64", "date": "datetime64[us]", "year": "Int64"}.get(kind, "str")
        cols[canon] = pd.Series([], dtype=dtype)
    cols["_source_file"] = pd.Series([], dtype="str")
    cols["_source_row"] = pd.Series([], dtype="int64")
    return pd.DataFrame(cols)


def _exclude_rows(raw: pd.DataFrame, table: TableMapping) -> tuple[pd.DataFrame, list[str]]:
    """Remove the rows the mapping's ``exclude`` rules name; returns the rest and what was removed."""
    notes = []
    for rule in table.exclude:
        if rule.column not in raw.columns:
            file = raw["_source_file"].iat[0] if len(raw) else "<empty>"
            raise RawDataError(file, f"the mapping's exclude rule names column {rule.column!r} "
                                     f"(mapping {table.source}, table {table.name!r}), which the file lacks")
        hit = raw[rule.column].astype("str").str.contains(rule.pattern, regex=True, na=False)
        if hit.any():
            notes.append(f"{int(hit.sum())} row(s) excluded: {rule.reason} ({rule.column} matches {rule.pattern})")
            raw = raw.loc[~hit]
    return raw, notes


def _check_unit_row(raw: pd.DataFrame, table: TableMapping, file: str) -> None:
    """A file's own unit row (CSMAR's third header row) must agree with the mapping's unit."""
    units = raw.attrs.get("units") or {}
    for vendor_col, canon in table.columns.items():
        declared = units.get(vendor_col, "")
        if declared in UNITS and canon in CANONICAL[table.name] and CANONICAL[table.name][canon] == "num":
            want = table.scale.get(canon, 1.0)
            if UNITS[declared] != want:
                raise RawDataError(file, f"the file's unit row says {declared!r} (x{UNITS[declared]:g} to yuan) "
                                         f"but the mapping {table.source} multiplies {canon!r} by {want:g}; "
                                         f"set units: {{{canon}: {declared}}}", column=vendor_col)


def _convert(values: pd.Series, raw: pd.DataFrame, vendor_col: str, canon: str, kind: str,
             table: TableMapping, missing: set[str]) -> pd.Series:
    """One vendor column as canonical column ``canon`` (before scale and recode)."""
    extra = table.missing.get(canon, ())
    text_codes = missing | {c for c in extra if not _is_number(c)}
    sentinels = tuple(float(c.replace(",", "")) for c in extra if _is_number(c))
    if kind == "num":
        return _numbers(values, raw, vendor_col, text_codes, sentinels)
    if kind == "date":
        return _dates(values, raw, vendor_col, text_codes)
    if kind == "year":
        return _years(values, raw, vendor_col, text_codes)
    s = values.astype("str").str.strip()
    return s.where(~s.isin(text_codes) & values.notna())


def _computed(raw: pd.DataFrame, canon: str, kind: str, rule: Computed, table: TableMapping,
              missing: set[str], file: str) -> pd.Series:
    absent = [c for c in rule.parts() if c not in raw.columns]
    if absent:
        raise RawDataError(file, f"column(s) {absent} needed to compute {canon!r} (mapping {table.source}, "
                                 f"key 'tables.{table.name}.computed.{canon}') are not in the file; it has "
                                 f"{[c for c in raw.columns if not c.startswith('_')]}")
    if rule.rule in ("sum", "difference"):
        # each part's missing codes first: a -1 inside a part must not be added as a number
        parts = [_convert(raw[c], raw, c, canon, "num", table, missing) for c in rule.parts()]
        if rule.rule == "sum":  # a missing part makes the sum missing (NaN propagates)
            total = parts[0]
            for p in parts[1:]:
                total = total + p
            return total
        return parts[0] - parts[1]
    if rule.rule in ("year_end", "year_start"):
        col = rule.arg
        years = _years(raw[col], raw, col, missing | set(table.missing.get(canon, ())))
        day = "-12-31" if rule.rule == "year_end" else "-01-01"
        return pd.to_datetime(years.astype("str") + day, errors="coerce").astype("datetime64[us]")
    if rule.rule == "constant":
        value = rule.arg
        if kind == "num":
            return pd.Series(float(value), index=raw.index)
        if kind == "date":
            return pd.Series(pd.Timestamp(str(value)), index=raw.index).astype("datetime64[us]")
        if kind == "year":
            return pd.Series(int(value), index=raw.index)
        return pd.Series(str(value), index=raw.index, dtype=object)
    # unavailable: the column stays missing
    return pd.Series(np.nan if kind == "num" else pd.NA, index=raw.index)


def to_canonical(raw: pd.DataFrame, table: TableMapping, missing_values: tuple[str, ...]) -> pd.DataFrame:
    """Rename, compute, type-check, scale and recode one vendor frame into the canonical table.

    ``frame.attrs["codes_padded"]`` counts stock codes that had lost their leading zeros,
    ``frame.attrs["notes"]`` lists rows excluded by the mapping and columns declared unavailable.
    """
    kinds = CANONICAL[table.name]
    file = raw["_source_file"].iat[0] if len(raw) else raw.attrs.get("file", {}).get("path", "<empty>")
    for canon in set(table.columns.values()):
        alts = [v for v, c in table.columns.items() if c == canon]
        found = [v for v in alts if v in raw.columns]
        if len(found) > 1:
            raise RawDataError(file, f"the file has several columns the mapping {table.source} maps to "
                                     f"{canon!r}: {found}; keep one (or map only one)")
    absent = [v for v, c in table.columns.items() if v not in raw.columns and c in REQUIRED[table.name]
              and not any(a in raw.columns for a, c2 in table.columns.items() if c2 == c)]
    if absent:
        hint = ""
        enc = raw.attrs.get("file", {}).get("encoding")
        if enc and enc != "xlsx":
            hint = (f" (the file was decoded as {enc}; if these names look garbled the encoding is "
                    f"wrong: save it as UTF-8, UTF-16 or GBK)")
        des = raw.attrs.get("des") or {}
        fields = ", ".join(f"{v} ({table.columns[v]}{'; ' + des[v] if v in des else ''})" for v in absent)
        if des:
            hint += (f"; the download's field description lists {len(des)} fields"
                     + ("" if any(v in des for v in absent) else ", not these"))
        raise RawDataError(file, f"required column(s) {fields} missing for table {table.name!r}: tick the "
                                 f"field(s) in {csmar_table(file)} when downloading, or edit the mapping "
                                 f"{table.source}; "
                                 f"the file has {[c for c in raw.columns if not c.startswith('_')]}{hint}")
    _check_unit_row(raw, table, file)
    raw, notes = _exclude_rows(raw, table)
    missing = set(missing_values)
    out = pd.DataFrame(index=raw.index)
    padded = 0
    sources = [(v, c) for v, c in table.columns.items() if v in raw.columns] + \
              [(None, c) for c in table.computed]
    for vendor_col, canon in sources:
        kind = kinds[canon]
        if vendor_col is None:
            rule = table.computed[canon]
            values = _computed(raw, canon, kind, rule, table, missing, file)
            if rule.rule == "unavailable":
                notes.append(f"{canon} unavailable: {rule.arg}")
            label = table.vendor_column(canon)
        else:
            label = vendor_col
            if kind == "firm":
                out[canon], padded = _firm_codes(raw[vendor_col], raw, vendor_col)
                continue
            values = _convert(raw[vendor_col], raw, vendor_col, canon, kind, table, missing)
        if kind == "num":
            values = values.astype("float64") * table.scale.get(canon, 1.0)
        elif kind == "str":
            if canon in table.recode:
                values = values.map(lambda x, m=table.recode[canon]: m.get(x, x) if isinstance(x, str) else x)
            if canon in CANONICAL_VALUES:
                bad = values.notna() & ~values.isin(CANONICAL_VALUES[canon])
                if bad.any():
                    _first_bad(bad, raw[vendor_col] if vendor_col else values, raw, label,
                               f"not a canonical {canon} value {list(CANONICAL_VALUES[canon])}: "
                               f"recode it in the mapping {table.source} (key 'tables.{table.name}.recode.{canon}')")
            values = values.astype("str").where(values.notna())
        out[canon] = values
    empty = empty_table(table.name)
    for canon in kinds:
        if canon not in out.columns:
            out[canon] = pd.Series(pd.NA if kinds[canon] in ("str", "year") else np.nan,
                                   index=raw.index).astype(empty[canon].dtype)
    if "year" in kinds:  # fiscal-year tables: year from a Dec-31 period end, or Dec 31 of the year
        out["period_end"] = out["period_end"].astype("datetime64[us]")
        out["year"] = out["year"].astype("Int64")
        annual = (out["period_end"].dt.month == 12) & (out["period_end"].dt.day == 31)
        from_date = out["period_end"].dt.year.where(annual).astype("Int64")
        out["year"] = out["year"].fillna(from_date)
        dec31 = pd.to_datetime(out["year"].astype("str") + "-12-31", errors="coerce")
        out["period_end"] = out["period_end"].fillna(dec31).astype("datetime64[us]")
    for canon, kind in kinds.items():
        if kind == "num":
            out[canon] = out[canon].astype("float64")
        elif kind == "date":
            out[canon] = out[canon].astype("datetime64[us]")
        elif kind in ("str", "firm"):
            out[canon] = out[canon].astype("str").where(out[canon].notna()) if len(out) else out[canon].astype("str")
    out = out[list(kinds)]
    out["_source_file"] = raw["_source_file"].astype("str").to_numpy()
    out["_source_file"] = out["_source_file"].astype("str")  # also when the file has no data rows
    out["_source_row"] = raw["_source_row"].astype("int64").to_numpy()
    out = out.reset_index(drop=True)
    out.attrs["codes_padded"] = padded
    out.attrs["notes"] = notes
    return out


def find_files(raw_dir: str | Path, table: TableMapping) -> list[Path]:
    """Files of ``table`` under ``raw_dir``: matches of its patterns, and entries of zips there whose
    names match them (as ``<zip>/<entry>``)."""
    raw_dir = Path(raw_dir)
    found: set[Path] = set()
    for pattern in table.files:
        found.update(p for p in raw_dir.glob(pattern) if p.is_file())
    for archive in sorted(raw_dir.glob("*.zip")):
        try:
            with zipfile.ZipFile(archive) as z:
                names = [n for n in z.namelist() if not n.endswith("/")]
        except (zipfile.BadZipFile, OSError) as exc:
            raise RawDataError(archive, f"not a readable zip ({type(exc).__name__}: {exc})") from None
        for n in names:
            base = n.rsplit("/", 1)[-1]
            if "[DES]" in base:
                continue  # CSMAR's field-description file
            if any(fnmatch.fnmatch(base, pattern) for pattern in table.files):
                found.add(archive / n)
    return sorted(found)


def read_table(raw_dir: str | Path, mapping: VendorMapping, name: str,
               files_log: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    """All files of one canonical table under ``raw_dir``, read, mapped and concatenated.

    An optional table that the mapping lacks, or whose files are absent, is an empty table. When
    ``files_log`` is given, one provenance record per file read is appended to it (table, path,
    bytes, sha256, encoding, rows_read, header_rows found and what they are, codes_padded, notes:
    rows excluded by the mapping and columns declared unavailable).
    """
    if name not in mapping.tables:
        if name in OPTIONAL_TABLES:
            return empty_table(name)
        raise RawDataError(mapping.source, f"the vendor mapping has no table {name!r}")
    table = mapping.tables[name]
    files = find_files(raw_dir, table)
    if not files:
        if name in OPTIONAL_TABLES:
            return empty_table(name)
        raise RawDataError(raw_dir, f"no file for table {name!r} matches {list(table.files)} "
                                    f"(vendor mapping {mapping.source})")
    parts = []
    jobs = []
    for f in files:
        if table.sheets and f.suffix.lower() in (".xlsx", ".xlsm"):
            names = xlsx_sheets(f) if table.sheets == "all" else list(table.sheets)
            jobs += [(f, name) for name in names]
        else:
            jobs.append((f, None))
    for f, sheet in jobs:
        raw = read_raw_file(f, table.header_rows, firm_column=table.firm_columns(), sheet=sheet)
        raw.attrs["des"] = read_des(f)
        part = to_canonical(raw, table, mapping.missing_values)
        if files_log is not None:
            files_log.append({"table": name, **raw.attrs["file"],
                              "codes_padded": int(part.attrs["codes_padded"]),
                              "notes": "; ".join(part.attrs["notes"])})
        parts.append(part)
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
    out.attrs = {}
    return out
