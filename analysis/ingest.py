"""Reading vendor files (CSMAR and others) into canonical tables.

A *vendor mapping* (``config/vendors/<vendor>.yaml``) says, for each canonical table, which files
hold it, how many header rows they carry (CSMAR exports: field code, Chinese label, unit), which
vendor column becomes which canonical column, the vendor's missing-value codes, unit multipliers
and value recodings. Supporting a new vendor is a new mapping file, not new code.

Readers accept ``.xlsx`` and ``.csv``/``.txt`` (comma or tab separated) in UTF-8 (with or without
BOM), UTF-16 and GBK/GB18030, and several files per table (e.g. one per period), which are
concatenated. Every row keeps ``_source_file`` and ``_source_row`` (1-based line in the file,
header rows included) so that any later error or drop can point back to the raw line.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

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
}
REQUIRED: dict[str, list[str]] = {
    "company": ["firm", "industry"],
    "balance_sheet": ["firm", "period_end", "statement_type", "total_assets"],
    "income_statement": ["firm", "period_end", "statement_type", "net_profit"],
    "segments": ["firm", "period_end", "breakdown", "segment", "revenue"],
}
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
        )
    missing = tuple(str(v) for v in spec.get("missing_values", ["", "--", "N/A", "NA"]))
    return VendorMapping(vendor=str(spec.get("vendor", path.stem)), missing_values=missing,
                         tables=tables, source=str(path))


# --------------------------------------------------------------------------- reading files

_ENCODINGS = ("utf-8", "gb18030")


def decode_bytes(data: bytes, file: str | Path) -> str:
    """Decode a text export: BOM first (UTF-8, UTF-16), then strict UTF-8, then GB18030 (GBK)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for enc in _ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise RawDataError(file, "cannot decode as UTF-8, UTF-16 or GBK/GB18030")


def _read_text_table(path: Path) -> list[list[str]]:
    text = decode_bytes(path.read_bytes(), path)
    if not text.strip():
        raise RawDataError(path, "the file is empty")
    first = text.splitlines()[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _read_xlsx_table(path: Path) -> list[list[str]]:
    import openpyxl
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        raise RawDataError(path, f"not a readable xlsx workbook ({type(exc).__name__}: {exc})") from None
    ws = wb.worksheets[0]
    rows = []
    for values in ws.iter_rows(values_only=True):
        rows.append(["" if v is None else _cell_text(v) for v in values])
    wb.close()
    if not rows:
        raise RawDataError(path, "the workbook's first sheet is empty")
    return rows


def _cell_text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return repr(v)  # keep "1.0" so numeric columns parse; codes are handled separately
    if hasattr(v, "isoformat"):
        return v.isoformat()[:10]
    return str(v)


def read_raw_file(path: str | Path, header_rows: int = 1) -> pd.DataFrame:
    """Read one vendor file into a frame of strings with ``_source_file``/``_source_row``.

    The first header row gives the column names; further header rows (CSMAR's Chinese label and
    unit rows) are skipped.
    """
    path = Path(path)
    if not path.exists():
        raise RawDataError(path, "file not found")
    if path.stat().st_size == 0:
        raise RawDataError(path, "the file is empty")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _read_xlsx_table(path)
    elif suffix in (".csv", ".txt", ".tsv"):
        rows = _read_text_table(path)
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
    frame["_source_file"] = str(path)
    frame["_source_row"] = lines
    return frame


# --------------------------------------------------------------------------- canonical tables

_CODE_RE = re.compile(r"^\d{1,6}$")


def _firm_codes(values: pd.Series, frame: pd.DataFrame, column: str) -> pd.Series:
    """Zero-padded 6-digit stock codes; '651' or 651.0 (lost zeros) become '000651'."""
    out = []
    for v, f, r in zip(values, frame["_source_file"], frame["_source_row"]):
        s = str(v).strip()
        if s.endswith(".0"):
            s = s[:-2]
        if not _CODE_RE.match(s):
            raise RawDataError(f, "a stock code must be 1-6 digits", column=column, row=r, value=v)
        out.append(s.zfill(6))
    return pd.Series(out, index=values.index, dtype="str")


def _numbers(values: pd.Series, frame: pd.DataFrame, column: str,
             missing: set[str]) -> pd.Series:
    text = values.astype("str").str.strip().str.replace(",", "", regex=False)
    is_missing = text.isin(missing) | values.isna()
    parsed = pd.to_numeric(text.where(~is_missing), errors="coerce")
    bad = parsed.isna() & ~is_missing
    if bad.any():
        i = bad.to_numpy().nonzero()[0][0]
        raise RawDataError(frame["_source_file"].iat[i], "expected a number",
                           column=column, row=int(frame["_source_row"].iat[i]),
                           value=values.iat[i])
    return parsed.astype("float64")


def _dates(values: pd.Series, frame: pd.DataFrame, column: str, missing: set[str]) -> pd.Series:
    text = values.astype("str").str.strip()
    is_missing = text.isin(missing) | values.isna()
    parsed = pd.to_datetime(text.where(~is_missing), errors="coerce", format="mixed")
    bad = parsed.isna() & ~is_missing
    if bad.any():
        i = bad.to_numpy().nonzero()[0][0]
        raise RawDataError(frame["_source_file"].iat[i], "expected a date (YYYY-MM-DD)",
                           column=column, row=int(frame["_source_row"].iat[i]),
                           value=values.iat[i])
    return parsed


def to_canonical(raw: pd.DataFrame, table: TableMapping, missing_values: tuple[str, ...]) -> pd.DataFrame:
    """Rename, type-check, scale and recode one vendor frame into the canonical table."""
    kinds = CANONICAL[table.name]
    file = raw["_source_file"].iat[0] if len(raw) else "<empty>"
    absent = [v for v, c in table.columns.items() if v not in raw.columns and c in REQUIRED[table.name]]
    if absent:
        raise RawDataError(file, f"required column(s) {absent} missing for table {table.name!r}; "
                                 f"the file has {[c for c in raw.columns if not c.startswith('_')]}")
    missing = set(missing_values)
    out = pd.DataFrame(index=raw.index)
    for vendor_col, canon in table.columns.items():
        if vendor_col not in raw.columns:
            continue
        values = raw[vendor_col]
        kind = kinds[canon]
        if kind == "firm":
            out[canon] = _firm_codes(values, raw, vendor_col)
        elif kind == "num":
            out[canon] = _numbers(values, raw, vendor_col, missing) * table.scale.get(canon, 1.0)
        elif kind == "date":
            out[canon] = _dates(values, raw, vendor_col, missing)
        else:
            s = values.astype("str").str.strip()
            s = s.where(~s.isin(missing))
            if canon in table.recode:
                s = s.map(lambda x, m=table.recode[canon]: m.get(x, x) if isinstance(x, str) else x)
            out[canon] = s.astype("str").where(s.notna())
    for canon, kind in kinds.items():
        if canon not in out.columns:
            out[canon] = np.nan if kind == "num" else pd.Series(pd.NA, index=raw.index, dtype="object")
    out = out[list(kinds)]
    out[SOURCE_COLUMNS] = raw[SOURCE_COLUMNS].to_numpy()
    out["_source_row"] = out["_source_row"].astype("int64")
    return out


def find_files(raw_dir: str | Path, table: TableMapping) -> list[Path]:
    raw_dir = Path(raw_dir)
    found: set[Path] = set()
    for pattern in table.files:
        found.update(p for p in raw_dir.glob(pattern) if p.is_file())
    return sorted(found)


def read_table(raw_dir: str | Path, mapping: VendorMapping, name: str) -> pd.DataFrame:
    """All files of one canonical table under ``raw_dir``, read, mapped and concatenated."""
    table = mapping.tables[name]
    files = find_files(raw_dir, table)
    if not files:
        raise RawDataError(raw_dir, f"no file for table {name!r} matches {list(table.files)} "
                                    f"(vendor mapping {mapping.source})")
    parts = [to_canonical(read_raw_file(f, table.header_rows), table, mapping.missing_values)
             for f in files]
    return pd.concat(parts, ignore_index=True)
