"""Reading vendor files (CSMAR and others) into canonical tables.

A *vendor mapping* (``config/vendors/<vendor>.yaml``) says, for each canonical table, which files
hold it, how many header rows they carry (CSMAR exports: field code, Chinese label, unit), which
vendor column becomes which canonical column, the vendor's missing-value codes, unit multipliers
and value recodings. Supporting a new vendor is a new mapping file, not new code.

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
import hashlib
import io
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
                "industry": "str", "ownership": "str"},
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
    "market_value": {"firm": "firm", "period_end": "date", "year": "year", "market_value": "num"},
    "shareholders": {"firm": "firm", "period_end": "date", "year": "year", "top1": "num"},
    # optional mechanism tables (analysis/mechanism.py): R&D expense and invention patents
    "rd": {"firm": "firm", "period_end": "date", "year": "year", "rd_expense": "num"},
    "patents": {"firm": "firm", "period_end": "date", "year": "year", "invention_applications": "num",
                "invention_grants": "num"},
}
REQUIRED: dict[str, list[str]] = {
    "company": ["firm", "industry"],
    "balance_sheet": ["firm", "period_end", "statement_type", "total_assets"],
    "income_statement": ["firm", "period_end", "statement_type", "net_profit"],
    "segments": ["firm", "period_end", "breakdown", "segment", "revenue"],
    "industry_history": ["firm", "start", "industry"],
    "market_value": ["firm", "market_value"],
    "shareholders": ["firm", "top1"],
    "rd": ["firm", "rd_expense"],
    "patents": ["firm"],
}
#: tables a vendor mapping (and the raw folder) may lack
OPTIONAL_TABLES = ("industry_history", "market_value", "shareholders", "rd", "patents")
#: tables dated by a fiscal year: they need ``period_end`` or ``year`` (either one is enough)
YEARLY_TABLES = ("market_value", "shareholders", "rd", "patents")
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


@dataclass(frozen=True)
class TableMapping:
    """How one canonical table is found in a vendor's files."""

    name: str
    files: tuple[str, ...]
    columns: dict[str, str]  # vendor column -> canonical column
    header_rows: int = 1
    scale: dict[str, float] = field(default_factory=dict)  # canonical column -> multiplier
    recode: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical col -> map
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict)  # canonical col -> extra codes

    def vendor_column(self, canonical: str) -> str:
        """The vendor's name of a canonical column (for messages); the canonical name if unmapped."""
        for v, c in self.columns.items():
            if c == canonical:
                return v
        return canonical


@dataclass(frozen=True)
class VendorMapping:
    vendor: str
    missing_values: tuple[str, ...]
    tables: dict[str, TableMapping]
    source: str = ""


def load_vendor_mapping(path: str | Path) -> VendorMapping:
    """Load and check a vendor mapping file (YAML)."""
    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RawDataError(path, f"cannot read vendor mapping: {exc}") from None
    if not isinstance(spec, dict) or "tables" not in spec:
        raise RawDataError(path, "a vendor mapping needs a 'tables' section")
    default_header = int(spec.get("header_rows", 1))
    tables: dict[str, TableMapping] = {}
    for name, t in spec["tables"].items():
        if name not in CANONICAL:
            raise RawDataError(path, f"unknown table {name!r}; known: {sorted(CANONICAL)}")
        cols = {str(k): str(v) for k, v in (t.get("columns") or {}).items()}
        unknown = sorted(set(cols.values()) - set(CANONICAL[name]))
        if unknown:
            raise RawDataError(path, f"table {name!r} maps to unknown canonical columns {unknown}")
        lacking = sorted(set(REQUIRED[name]) - set(cols.values()))
        if lacking:
            raise RawDataError(path, f"table {name!r} does not map required columns {lacking}")
        if name in YEARLY_TABLES and not {"period_end", "year"} & set(cols.values()):
            raise RawDataError(path, f"table {name!r} must map 'period_end' or 'year'")
        dup = sorted({c for c in cols.values() if list(cols.values()).count(c) > 1})
        if dup:
            raise RawDataError(path, f"table {name!r} maps several vendor columns to {dup}")
        col_missing = {str(k): tuple(str(c) for c in (v if isinstance(v, list) else [v]))
                       for k, v in (t.get("missing") or {}).items()}
        unknown = sorted(set(col_missing) - set(CANONICAL[name]))
        if unknown:
            raise RawDataError(path, f"table {name!r}: missing codes for unknown columns {unknown}")
        files = t.get("files")
        files = (files,) if isinstance(files, str) else tuple(files or ())
        if not files:
            raise RawDataError(path, f"table {name!r} lists no file patterns")
        tables[name] = TableMapping(
            name=name, files=files, columns=cols,
            header_rows=int(t.get("header_rows", default_header)),
            scale={str(k): float(v) for k, v in (t.get("scale") or {}).items()},
            recode={str(k): {str(a): str(b) for a, b in v.items()}
                    for k, v in (t.get("recode") or {}).items()},
            missing=col_missing,
        )
    lacking = sorted(set(CANONICAL) - set(OPTIONAL_TABLES) - set(tables))
    if lacking:
        raise RawDataError(path, f"the mapping lacks the required table(s) {lacking}")
    missing = tuple(str(v) for v in spec.get("missing_values", ["", "--", "N/A", "NA"]))
    numeric = [v for v in missing if _is_number(v)]
    if numeric:
        raise RawDataError(path, f"numeric missing-value code(s) {numeric} in the vendor-wide "
                                 "'missing_values' would also erase real values (a net profit of -1); "
                                 "declare them per column under the table's 'missing' key")
    return VendorMapping(vendor=str(spec.get("vendor", path.stem)), missing_values=missing,
                         tables=tables, source=str(path))


def _is_number(text: str) -> bool:
    try:
        float(str(text).replace(",", ""))
    except ValueError:
        return False
    return True


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


def _read_xlsx_table(path: Path, data: bytes) -> list[list[str]]:
    import openpyxl
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        rows = []
        for values in ws.iter_rows(values_only=True):
            rows.append(["" if v is None else _cell_text(v) for v in values])
        wb.close()
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException, truncated XML ...
        raise RawDataError(path, f"not a readable xlsx workbook ({type(exc).__name__}: {exc}); "
                                 "is the file truncated or not really an Excel file?") from None
    if not rows:
        raise RawDataError(path, "the workbook's first sheet is empty")
    return rows


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


def read_raw_file(path: str | Path, header_rows: int = 1) -> pd.DataFrame:
    """Read one vendor file into a frame of strings with ``_source_file``/``_source_row``.

    The first header row gives the column names; further header rows (CSMAR's Chinese label and
    unit rows) are skipped. ``frame.attrs["file"]`` holds the file's provenance (path, bytes,
    sha256 of the bytes read, encoding, rows read).
    """
    path = Path(path)
    if not path.exists():
        raise RawDataError(path, "file not found")
    data = path.read_bytes()
    if len(data) == 0:
        raise RawDataError(path, "the file is empty (0 bytes)")
    suffix = path.suffix.lower()
    encoding = "xlsx"
    if suffix in (".xlsx", ".xlsm"):
        rows = _read_xlsx_table(path, data)
    elif suffix in (".csv", ".txt", ".tsv"):
        rows, encoding = _read_text_table(path, data)
    else:
        raise RawDataError(path, f"unsupported file type {suffix!r} (use .xlsx, .csv or .txt)")
    if len(rows) < header_rows:
        raise RawDataError(path, f"expected {header_rows} header rows, found {len(rows)} rows")
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    width = len(header)
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
    frame["_source_file"] = path.as_posix()
    frame["_source_row"] = pd.Series(lines, dtype="int64")
    frame.attrs["file"] = {**file_record(path, data), "encoding": encoding, "rows_read": len(records)}
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


def to_canonical(raw: pd.DataFrame, table: TableMapping, missing_values: tuple[str, ...]) -> pd.DataFrame:
    """Rename, type-check, scale and recode one vendor frame into the canonical table.

    ``frame.attrs["codes_padded"]`` counts stock codes that had lost their leading zeros.
    """
    kinds = CANONICAL[table.name]
    file = raw["_source_file"].iat[0] if len(raw) else raw.attrs.get("file", {}).get("path", "<empty>")
    absent = [v for v, c in table.columns.items() if v not in raw.columns and c in REQUIRED[table.name]]
    if absent:
        hint = ""
        enc = raw.attrs.get("file", {}).get("encoding")
        if enc and enc != "xlsx":
            hint = (f" (the file was decoded as {enc}; if these names look garbled the encoding is "
                    f"wrong: save it as UTF-8, UTF-16 or GBK)")
        raise RawDataError(file, f"required column(s) {absent} missing for table {table.name!r}; "
                                 f"the file has {[c for c in raw.columns if not c.startswith('_')]}{hint}")
    missing = set(missing_values)
    out = pd.DataFrame(index=raw.index)
    padded = 0
    for vendor_col, canon in table.columns.items():
        if vendor_col not in raw.columns:
            continue
        values = raw[vendor_col]
        kind = kinds[canon]
        extra = table.missing.get(canon, ())
        text_codes = missing | {c for c in extra if not _is_number(c)}
        sentinels = tuple(float(c.replace(",", "")) for c in extra if _is_number(c))
        if kind == "firm":
            out[canon], padded = _firm_codes(values, raw, vendor_col)
        elif kind == "num":
            out[canon] = _numbers(values, raw, vendor_col, text_codes, sentinels) * table.scale.get(canon, 1.0)
        elif kind == "date":
            out[canon] = _dates(values, raw, vendor_col, text_codes)
        elif kind == "year":
            out[canon] = _years(values, raw, vendor_col, text_codes)
        else:
            s = values.astype("str").str.strip()
            s = s.where(~s.isin(text_codes))
            if canon in table.recode:
                s = s.map(lambda x, m=table.recode[canon]: m.get(x, x) if isinstance(x, str) else x)
            out[canon] = s.astype("str").where(s.notna())
    empty = empty_table(table.name)
    for canon in kinds:
        if canon not in out.columns:
            out[canon] = pd.Series(pd.NA if kinds[canon] in ("str", "year") else np.nan,
                                   index=raw.index).astype(empty[canon].dtype)
    if "year" in kinds:  # fiscal-year tables: year from a Dec-31 period end, or Dec 31 of the year
        annual = (out["period_end"].dt.month == 12) & (out["period_end"].dt.day == 31)
        from_date = out["period_end"].dt.year.where(annual).astype("Int64")
        out["year"] = out["year"].fillna(from_date)
        dec31 = pd.to_datetime(out["year"].astype("str") + "-12-31", errors="coerce")
        out["period_end"] = out["period_end"].fillna(dec31).astype("datetime64[us]")
    out = out[list(kinds)]
    out["_source_file"] = raw["_source_file"].astype("str").to_numpy()
    out["_source_row"] = raw["_source_row"].astype("int64").to_numpy()
    out.attrs["codes_padded"] = padded
    return out


def find_files(raw_dir: str | Path, table: TableMapping) -> list[Path]:
    raw_dir = Path(raw_dir)
    found: set[Path] = set()
    for pattern in table.files:
        found.update(p for p in raw_dir.glob(pattern) if p.is_file())
    return sorted(found)


def read_table(raw_dir: str | Path, mapping: VendorMapping, name: str,
               files_log: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    """All files of one canonical table under ``raw_dir``, read, mapped and concatenated.

    An optional table that the mapping lacks, or whose files are absent, is an empty table. When
    ``files_log`` is given, one provenance record per file read is appended to it (table, path,
    bytes, sha256, encoding, rows_read, codes_padded).
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
    for f in files:
        raw = read_raw_file(f, table.header_rows)
        part = to_canonical(raw, table, mapping.missing_values)
        if files_log is not None:
            files_log.append({"table": name, **raw.attrs["file"],
                              "codes_padded": int(part.attrs["codes_padded"])})
        parts.append(part)
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
    out.attrs = {}
    return out
