"""Corpus of annual reports: identification, status, sharding, text cache and batch counting.

Workflow for one shard (what a Snakemake rule script does)::

    rows = scan_reports("data_raw/cninfo/reports", manifest=None)     # cheap: names only
    mine = select_shard(rows, shard=k, n_shards=n)                     # stable across runs
    counts, chars, status = process_reports(mine, load_dictionary(), cache_dir="cache/text")
    # later: pd.concat over shards, then measures.digital_indices(counts, chars, dictionary)

``scan_reports`` is deterministic and looks only at file names (and the manifest), so every shard
job can run it independently and agree on duplicates. ``process_reports`` handles one report at a
time (memory does not grow with the number of reports) and caches the normalized text of each
report under the sha256 of the file's bytes, so reruns and added years only extract new files.

File names understood (stock code = a 6-digit token, fiscal year = ``YYYY年`` or a lone 4-digit
token that is not part of a date), e.g. ``600201_2020_annual_report.pdf``,
``2021-04-23__金宇生物技术股份有限公司__600201__生物股份__2020年__年度报告.pdf`` (cninfo downloads),
``000651_格力电器_2020年年度报告.pdf``, ``SZ000651-2020.txt``. Files whose name does not identify
the firm-year can be listed in a manifest CSV with columns ``file, firm, year``. Summaries
(摘要), English versions and cancelled reports (已取消) are not full annual reports and get status
``unidentified`` with that reason. Several files for one firm-year: the revised one (更新后, 修订,
更正) is kept, else PDF before HTML before TXT, else the last name in sort order (cninfo names begin
with the publication date); the others get status ``duplicate``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd

from .counting import KeywordCounter
from .dictionary import KeywordDictionary
from .measures import normalize_firm
from .normalize import raw_word
from .pdf import EXTRACT_VERSION, Extraction, extract_file
from .sections import find_mdna
from .status import DUPLICATE, OK, PENDING, UNIDENTIFIED

__all__ = [
    "REPORT_SUFFIXES",
    "PageSelection",
    "TextCache",
    "identify_file",
    "identify_from_pages",
    "identify_report",
    "report_kind",
    "report_dependencies",
    "report_files",
    "file_sha256",
    "process_reports",
    "process_shard",
    "read_manifest",
    "scan_reports",
    "select_shard",
    "shard_of",
]

REPORT_SUFFIXES = (".pdf", ".txt", ".htm", ".html", ".jsonl")
SCAN_COLUMNS = ["file", "path", "firm", "year", "status", "reason", "identified_by"]
STATUS_COLUMNS = [
    "file", "firm", "year", "status", "reason", "sha256", "n_pages", "n_chars",
    "mdna_found", "mdna_chars", "cached", "seconds",
]

_FIRM_TOKEN = re.compile(r"(?<![0-9])(?:SH|SZ|BJ)?([0-9]{6})(?![0-9])", re.IGNORECASE)
_YEAR_NIAN = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})年")
_DATE = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}[-_.]?[01][0-9][-_.]?[0-3][0-9](?![0-9])")
_YEAR_TOKEN = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})(?![0-9])")
_NOT_FULL = (("摘要", "summary (摘要)"), ("英文", "English version"), ("english", "English version"),
             ("已取消", "cancelled (已取消)"))
_REVISED = re.compile(r"更新后|更新版|修订|更正后|更正版")
_FORMAT_RANK = {".pdf": 0, ".htm": 1, ".html": 1, ".jsonl": 2, ".txt": 3}


@dataclass(frozen=True)
class Identified:
    firm: str | None
    year: int | None
    reason: str = ""  # why not identified

    @property
    def ok(self) -> bool:
        return self.firm is not None and self.year is not None


def identify_report(name: str) -> Identified:
    """Stock code and fiscal year from a report's file name (not a path), with a reason if not."""
    stem = unicodedata.normalize("NFKC", Path(name).stem)
    low = stem.lower()
    for needle, why in _NOT_FULL:
        if needle in low:
            return Identified(None, None, f"not a full annual report: {why}")
    firms = {m.group(1) for m in _FIRM_TOKEN.finditer(_DATE.sub(" ", stem))}
    if len(firms) != 1:
        what = "no 6-digit stock code" if not firms else f"several stock codes {sorted(firms)}"
        return Identified(None, None, f"{what} in file name")
    years = {int(y) for y in _YEAR_NIAN.findall(stem)}
    if not years:
        rest = _DATE.sub(" ", stem)
        rest = _FIRM_TOKEN.sub(" ", rest)
        years = {int(y) for y in _YEAR_TOKEN.findall(rest)}
    if len(years) != 1:
        what = "no fiscal year" if not years else f"several years {sorted(years)}"
        return Identified(None, None, f"{what} in file name")
    return Identified(firms.pop(), years.pop())


#: Leading digits of A-share and B-share codes (SSE/SZSE main, former SME, ChiNext, STAR; B shares).
A_SHARE_PREFIXES = ("000", "001", "002", "003", "300", "301", "600", "601", "603", "605", "688", "689")
B_SHARE_PREFIXES = ("200", "900")
#: How many leading pages may hold the cover and the company-information section (证券代码 / 证券简称).
COVER_PAGES = 10
_COVER_CODE = re.compile(r"(?:证券|股票|公司|A股|B股|Ａ股)代码[:：]?((?:[0-9]{6}[、,，/;；]?(?:[A-Za-z]股)?){1,3})")
_COVER_SHORT = re.compile(r"(?:证券|股票|公司)简称[:：]?([\u4e00-\u9fffA-Za-z*]{2,8}?)(?=(?:证券|股票|公司)?代码|[AB]股|[、,，;；]|$|[0-9])")
_TITLE_YEAR = re.compile(r"((?:19|20)[0-9]{2})年?年度报告(?!摘要)")
_ANY_CODE = re.compile(r"(?<![0-9])([0-9]{6})(?![0-9])")


@dataclass(frozen=True)
class CoverIdentity:
    """What the first pages of a report say about itself: codes, short name, fiscal year, pages."""

    codes: tuple[str, ...]
    short_name: str | None
    year: int | None
    code_page: int | None
    year_page: int | None


def identify_from_pages(pages: list[str]) -> CoverIdentity:
    """Stock code(s), short name and fiscal year from the first pages of a report (raw page texts).

    Codes come from a 证券代码 / 股票代码 / 公司代码 label (several when A and B shares are listed:
    ``股票代码 000012、200012``; the short name is the one beside the code, or the first 证券简称 printed when
    no code is); the fiscal year from the report's title ``<year>年(年)度报告`` (the most
    frequent title year on those pages, so a running header counts as well as a scrambled cover).
    """
    codes: list[str] = []
    short = code_page = short_alone = None
    years: dict[int, int] = {}
    first_year_page: dict[int, int] = {}
    for pno, raw in enumerate(pages[:COVER_PAGES], 1):
        t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw))
        if not codes:
            for m in _COVER_CODE.finditer(t):
                codes.extend(c for c in _ANY_CODE.findall(m.group(1)) if c not in codes)
            if codes:
                code_page = pno
                ms = _COVER_SHORT.search(t)
                short = ms.group(1) if ms else None
            elif short_alone is None:  # a short name printed without a code (resolved by the company table)
                ms = _COVER_SHORT.search(t)
                short_alone = ms.group(1) if ms else None
        for y in _TITLE_YEAR.findall(t):
            years[int(y)] = years.get(int(y), 0) + 1
            first_year_page.setdefault(int(y), pno)
    year = max(years, key=lambda y: (years[y], -first_year_page[y])) if years else None
    return CoverIdentity(tuple(codes), short if codes else short_alone, year, code_page,
                         first_year_page.get(year) if year else None)


def first_pages(path: str | Path, n: int = COVER_PAGES) -> list[str]:
    """Raw text of the first ``n`` pages of a PDF, TXT, HTML or JSON-lines report ([] when unreadable):
    :func:`analysis.text.pdf.report_page_texts`."""
    from .pdf import report_page_texts

    return report_page_texts(path, first=n)


_ST_PREFIX = re.compile(r"^(?:S\*ST|\*ST|SST|ST|PT|S)(?=[\u4e00-\u9fff])", re.IGNORECASE)
#: A short name must have at least this many characters to be looked for in a file name.
MIN_SHORT_NAME = 2


def _short_key(name: str) -> str:
    """A short name as it is matched: NFKC, no whitespace, no ST/*ST/PT prefix (it comes and goes)."""
    return _ST_PREFIX.sub("", re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name))))


def short_name_table(company: pd.DataFrame, *statements: pd.DataFrame) -> pd.DataFrame:
    """(firm, short_name) pairs to identify reports by name: the company table's ``name`` (证券简称) and
    the ``short_name`` of statement tables (the short name at each statement date: a report of 2014 may
    carry the name of 2014), as matching keys (:func:`_short_key`), without duplicates; a name with a
    trailing A/B share letter (深康佳A) is also listed without it (深康佳)."""
    parts = [company[["firm", "name"]].rename(columns={"name": "short_name"})] if "name" in company else []
    parts += [s[["firm", "short_name"]] for s in statements if {"firm", "short_name"} <= set(s.columns)]
    if not parts:
        return pd.DataFrame(columns=["firm", "short_name"])
    t = pd.concat(parts, ignore_index=True).dropna()
    t["short_name"] = t["short_name"].map(_short_key)
    bare = t.assign(short_name=t["short_name"].str.replace(r"(?<=[\u4e00-\u9fff])[AB]$", "", regex=True))
    t = pd.concat([t, bare], ignore_index=True)
    t = t[t["short_name"].str.len() >= MIN_SHORT_NAME]
    t["firm"] = t["firm"].map(normalize_firm)
    return t.drop_duplicates().sort_values(["firm", "short_name"]).reset_index(drop=True)


def read_short_names(paths: Iterable[str | Path]) -> pd.DataFrame | None:
    """:func:`short_name_table` of the canonical tables at ``paths`` (the company table first, then statement
    tables; parquet), or None when no path is given (the rules pass them only when a report needs them)."""
    tables = [pd.read_parquet(p) for p in paths]
    return short_name_table(*tables) if tables else None


def identify_by_short_name(text: str, names: pd.DataFrame) -> tuple[str | None, str]:
    """The firm whose short name (a row of :func:`short_name_table`) occurs in ``text`` (a file name or the
    short name a cover prints), with how it was decided or why not.

    A match inside a longer match of another name is no match (华锦 in 华锦股份). One firm left: identified;
    none: ``(None, reason)``; several firms: ``(None, reason)`` naming them (ambiguous, never a guess).
    """
    key = _short_key(text)
    hits = [(m.start(), m.start() + len(n), n, f) for f, n in zip(names["firm"], names["short_name"])
            for m in re.finditer(re.escape(n), key)]
    hits = [h for h in hits if not any(o[0] <= h[0] and h[1] <= o[1] and (o[1] - o[0]) > (h[1] - h[0])
                                       for o in hits)]
    firms = sorted({h[3] for h in hits})
    if not firms:
        return None, "no short name of the company table in it"
    if len(firms) > 1:
        which = ", ".join(f"{f} ({'/'.join(sorted({h[2] for h in hits if h[3] == f}))})" for f in firms)
        return None, f"short names of several firms in it: {which}"
    return firms[0], f"short name {'/'.join(sorted({h[2] for h in hits}))} of {firms[0]} in the company table"


def identify_file(path: str | Path, pages: list[str] | None = None,
                  short_names: pd.DataFrame | None = None) -> tuple[Identified, str]:
    """Stock code and fiscal year of a report from its name and, when needed, its first pages.

    Returns (identification, how it was decided). The name is enough when it carries one A-share code
    and one fiscal year (``YYYY年`` or a lone year token). The first pages (cover, company information;
    :func:`identify_from_pages`) are read when the name has no code (贵州茅台2020年年度报告.pdf), a B-share
    code (200570: the cover's A-share code 000570 is used), or no fiscal year (688276_20230330_KXSC.pdf:
    a publication date is not a fiscal year; the report's title gives it). A code or year in the name that
    the report contradicts makes the report unidentified, with both values in the reason. When neither the
    name nor the first pages give a code, ``short_names`` (:func:`short_name_table`, from the company table)
    resolves it: the short name printed on the cover (证券简称), else the file name
    (:func:`identify_by_short_name`); the decision says which.
    """
    name = Path(path).name
    by_name = identify_report(name)
    if by_name.reason.startswith("not a full annual report"):
        return by_name, "file name"
    stem = unicodedata.normalize("NFKC", Path(name).stem)
    name_codes = {m.group(1) for m in _FIRM_TOKEN.finditer(_DATE.sub(" ", stem))}
    b_share = by_name.ok and by_name.firm.startswith(B_SHARE_PREFIXES)
    if by_name.ok and not b_share:
        return by_name, "file name"
    if pages is None:
        pages = first_pages(path)
    cover = identify_from_pages(pages)
    a_codes = [c for c in cover.codes if c.startswith(A_SHARE_PREFIXES)]
    how: list[str] = []
    # code
    if len(name_codes) == 1 and not b_share:
        firm = next(iter(name_codes))
        how.append("code from file name")
        if cover.codes and firm not in cover.codes:
            return Identified(None, None, f"file name says code {firm}, the report's p{cover.code_page} says "
                                          f"{'/'.join(cover.codes)}"), "conflict"
    elif b_share:
        if not a_codes:
            return Identified(None, None, f"B-share code {by_name.firm} in file name and no A-share code on "
                                          f"the first {COVER_PAGES} pages"), "file name + cover"
        firm = a_codes[0]
        how.append(f"B-share code {by_name.firm} in file name; A-share code {firm} from p{cover.code_page}")
    elif a_codes:
        firm = a_codes[0]
        how.append(f"code {firm} from p{cover.code_page} ({cover.short_name or 'no short name'})")
    else:
        why = "no 6-digit stock code in file name" if not name_codes else f"several codes {sorted(name_codes)} in file name"
        why += f" and none on the first {COVER_PAGES} pages"
        if short_names is None or name_codes:
            return Identified(None, None, why), "file name + cover"
        firm = None
        tried = []
        for where, text in ((f"the cover's 证券简称 {cover.short_name}", cover.short_name), ("the file name", stem)):
            if not text:
                continue
            firm, how_name = identify_by_short_name(text, short_names)
            if firm is not None:
                how.append(f"code {firm} from {where}: {how_name}")
                break
            tried.append(f"{where}: {how_name}")
        if firm is None:
            return Identified(None, None, f"{why}; by short name: {'; '.join(tried)}"), "file name + cover + short names"
    # fiscal year
    if by_name.ok or (by_name.year is not None):
        year = by_name.year
        how.append("fiscal year from file name")
    else:
        name_years = {int(y) for y in _YEAR_NIAN.findall(stem)}
        if len(name_years) == 1:
            year = name_years.pop()
            how.append("fiscal year from file name")
            if cover.year is not None and cover.year != year:
                return Identified(None, None, f"file name says {year}年, the report's title says "
                                              f"{cover.year}"), "conflict"
        elif cover.year is not None:
            year = cover.year
            how.append(f"fiscal year {year} from the report's title (p{cover.year_page})"
                       + ("; the date in the file name is the publication date" if _DATE.search(stem) else ""))
        else:
            return Identified(None, None, f"no fiscal year in file name nor a title <year>年度报告 on the first "
                                          f"{COVER_PAGES} pages"), "file name + cover"
    return Identified(firm, int(year)), "; ".join(how)


_CSRC_STATED = re.compile(r"上市公司行业分类指引.{0,60}?(?:属于|为|归属|所属|属).{0,30}?([A-S])([0-9]{2})(?![0-9])")
_CSRC_NAMED = re.compile(r"上市公司行业分类指引.{0,40}?行业为[“\"]?([\u4e00-\u9fff、]{2,20}?制造业)")
_BANK_SIGNS = ("资本充足率", "不良贷款率", "吸收存款")
KIND_PAGES = 40


def report_kind(pages: list[str]) -> tuple[str, str]:
    """What kind of firm a report describes, from its own text: (kind, evidence).

    kind is ``manufacturer`` (a CSRC code C13-C43 or a ...制造业 class stated), ``bank`` (the key figures carry bank ratios:
    资本充足率, 不良贷款率, 吸收存款), ``real_estate`` (a CSRC K70 code stated, or a self-description as a
    房地产 company with 结算/销售面积), ``other`` (another CSRC code stated, e.g. M73) or ``unknown`` (no
    sign either way: most manufacturers do not print their code). The sample's manufacturing filter uses
    the company table's industry code; this is the report-side check recorded in the status file.
    """
    # The words are looked for in the raw text (:func:`raw_word`); only the text after a mention of the CSRC
    # guideline is normalized, to read the code or class stated there.
    raw = "".join(pages[:KIND_PAGES])
    stated = [re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw[a.start():a.start() + 2000]))
              for a in raw_word("上市公司行业分类指引").finditer(raw)]
    m = next((m for t in stated for m in [_CSRC_STATED.match(t)] if m), None)
    if m:
        sec, num = m.group(1), int(m.group(2))
        code = f"{sec}{m.group(2)}"
        if sec == "C" and 13 <= num <= 43:
            return "manufacturer", f"CSRC code {code} stated"
        if sec == "J":
            return ("bank" if num == 66 else "other"), f"CSRC code {code} stated"
        if sec == "K":
            return "real_estate", f"CSRC code {code} stated"
        return "other", f"CSRC code {code} stated"
    m = next((m for t in stated for m in [_CSRC_NAMED.match(t)] if m), None)
    if m:
        return "manufacturer", f"CSRC industry {m.group(1)} stated"
    signs = [w for w in _BANK_SIGNS if raw_word(w).search(raw)]
    if len(signs) >= 2:
        return "bank", "bank ratios in the report: " + ", ".join(signs)
    n_re = len(raw_word("房地产").findall(raw))
    if n_re >= 15 and (raw_word("结算面积").search(raw) or raw_word("销售面积").search(raw)):
        return "real_estate", f"房地产 {n_re} times on the first {KIND_PAGES} pages, with 结算/销售面积"
    return "unknown", "no industry code stated and no bank or real-estate signs"


def read_manifest(path: str | Path) -> pd.DataFrame:
    """Manifest CSV with columns file, firm, year (file relative to the reports folder)."""
    m = pd.read_csv(path, dtype={"file": str, "firm": str}, encoding="utf-8-sig")
    missing = {"file", "firm", "year"} - set(m.columns)
    if missing:
        raise ValueError(f"manifest {path} lacks column(s): {', '.join(sorted(missing))}")
    m = m[["file", "firm", "year"]].copy()
    m["file"] = m["file"].map(lambda s: Path(s).as_posix())
    bad = []
    firms = []
    for f in m["firm"]:
        try:
            firms.append(normalize_firm(f))
        except ValueError:
            firms.append(None)
            bad.append(f)
    if bad:
        raise ValueError(f"manifest {path}: invalid stock code(s) {bad[:5]}")
    m["firm"] = firms
    m["year"] = pd.to_numeric(m["year"], errors="raise").astype("int64")
    if m["file"].duplicated().any():
        raise ValueError(f"manifest {path}: file listed twice: {m.loc[m['file'].duplicated(), 'file'].iloc[0]}")
    return m


def report_files(folder: str | Path) -> list[Path]:
    """The report files under ``folder`` (recursively; hidden files such as ``.snakemake_timestamp`` and
    other suffixes than :data:`REPORT_SUFFIXES` are not reports), sorted."""
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"reports folder not found: {root}")
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in REPORT_SUFFIXES and not p.name.startswith(".")
    )


def names_without_code(folder: str | Path) -> list[str]:
    """Report files under ``folder`` whose names carry no stock code (贵州茅台2020年年度报告.pdf): their
    identification may need the company table's short names (:func:`identify_file`). [] when the folder
    does not exist (yet)."""
    if not Path(folder).is_dir():
        return []
    return [p.name for p in report_files(folder)
            if identify_report(p.name).reason.endswith("no 6-digit stock code in file name")]


def report_dependencies(folder: str | Path, n_shards: int, manifest: str | Path | None = None
                        ) -> dict[int | str, list[tuple[str, Path | None]]]:
    """What each shard's result depends on, for its content record (:mod:`analysis.content`): key ``k`` for
    shard k, ``"all"`` for a job that reads every report (the revenue breakdowns). Items are (name, path)
    for a dependency on a file's content, (name, None) for one on its name only.

    Shard k depends on the content of its own files and of the manifest; on the names of the other files
    its files' firm-years have (duplicates are resolved by name: a new revision elsewhere can turn one of its
    files into a duplicate); and, as identification then reads first pages, on the content of every file
    whose name does not identify it, and on every name when it has such a file itself.
    """
    root = Path(folder)
    files = report_files(root)
    man = Path(manifest) if manifest else None
    rels = [f.relative_to(root).as_posix() for f in files]
    ident = [identify_report(f.name) for f in files]
    by_name = [i.ok and not i.firm.startswith(B_SHARE_PREFIXES) for i in ident]
    shard = [shard_of(r, n_shards) for r in rels]
    groups: dict[tuple, list[int]] = {}
    for i, (ok, idf) in enumerate(zip(by_name, ident)):
        if ok:
            groups.setdefault((idf.firm, idf.year), []).append(i)
    unnamed = [i for i, ok in enumerate(by_name) if not ok]
    extra = [(man.as_posix(), man)] if man is not None else []
    out: dict[int | str, list[tuple[str, Path | None]]] = {
        "all": [(r, f) for r, f in zip(rels, files)] + extra}
    for k in range(n_shards):
        mine = [i for i in range(len(files)) if shard[i] == k]
        deps = [(rels[i], files[i]) for i in mine] + [(rels[i], files[i]) for i in unnamed] + extra
        if any(not by_name[i] for i in mine):
            deps += [(r, None) for r in rels]
        else:
            for i in mine:
                deps += [(rels[j], None) for j in groups[(ident[i].firm, ident[i].year)] if j != i]
        named = {n for n, p in deps if p is not None}
        out[k] = [(n, p) for n, p in deps if p is not None or n not in named]
    return out


def scan_reports(
    folder: str | Path, manifest: str | Path | pd.DataFrame | None = None, read_reports: bool = True,
    short_names: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per report file under ``folder`` (recursively): file, path, firm, year, status, reason,
    identified_by.

    Names are enough for most files; with ``read_reports`` (default) a file whose name has no code, a
    B-share code or no fiscal year is identified from its first pages (:func:`identify_file`), and the
    decision is written to ``identified_by`` and ``reason``; ``short_names`` (:func:`short_name_table`)
    resolves a file that neither its name nor its first pages identify.

    ``status`` is ``pending`` (to be processed), ``unidentified`` or ``duplicate``. Rows are sorted
    by ``file`` (the path relative to ``folder``, POSIX form). Manifest entries take precedence over
    names; manifest entries whose file does not exist are ignored (reported by :func:`process_reports`
    only for files that exist).
    """
    root = Path(folder)
    files = report_files(root)
    man: dict[str, tuple[str, int]] = {}
    if manifest is not None:
        mdf = manifest if isinstance(manifest, pd.DataFrame) else read_manifest(manifest)
        man = {r.file: (normalize_firm(r.firm), int(r.year)) for r in mdf.itertuples(index=False)}
    rows = []
    for p in files:
        rel = p.relative_to(root).as_posix()
        if rel in man or p.name in man:
            firm, year = man.get(rel) or man[p.name]
            rows.append([rel, str(p), firm, year, PENDING, "from manifest", "manifest"])
            continue
        ident, how = identify_file(p, short_names=short_names) if read_reports else (identify_report(p.name),
                                                                                        "file name")
        if ident.ok:
            rows.append([rel, str(p), ident.firm, ident.year, PENDING, "" if how == "file name" else how, how])
        else:
            rows.append([rel, str(p), None, None, UNIDENTIFIED, ident.reason, how])
    df = pd.DataFrame(rows, columns=SCAN_COLUMNS)
    df["year"] = df["year"].astype("Int64")
    # Duplicates: keep one file per firm-year.
    pend = df[df["status"] == PENDING]
    for (_firm, _year), grp in pend.groupby(["firm", "year"], sort=True):
        if len(grp) < 2:
            continue
        order = sorted(
            grp.index,
            key=lambda i: (
                0 if _REVISED.search(df.at[i, "file"]) else 1,
                _FORMAT_RANK.get(Path(df.at[i, "file"]).suffix.lower(), 9),
                _neg_str(df.at[i, "file"]),
            ),
        )
        keep = df.at[order[0], "file"]
        for i in order[1:]:
            df.at[i, "status"] = DUPLICATE
            df.at[i, "reason"] = f"same firm-year as {keep}"
    return df.reset_index(drop=True)


def _neg_str(s: str) -> tuple[int, ...]:
    """Sort key that orders strings in descending order."""
    return tuple(-ord(c) for c in s) + (1,)


def shard_of(path: str | Path, n_shards: int) -> int:
    """Shard number in [0, n_shards) of a report, from the sha256 of its relative POSIX path.

    Stable across runs, machines and Python versions (unlike ``hash()``); adding files does not move
    the others to another shard.
    """
    if n_shards < 1:
        raise ValueError("n_shards must be >= 1")
    key = Path(path).as_posix().encode("utf-8")
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % n_shards


def select_shard(rows: pd.DataFrame, shard: int, n_shards: int) -> pd.DataFrame:
    """Rows of ``scan_reports`` that belong to shard ``shard`` of ``n_shards``."""
    if not 0 <= shard < n_shards:
        raise ValueError(f"shard must be in [0, {n_shards}), got {shard}")
    mask = rows["file"].map(lambda f: shard_of(f, n_shards) == shard)
    return rows[mask.astype(bool)].reset_index(drop=True)


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes (streamed)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class TextCache:
    """Normalized text per report, keyed by the sha256 of the file and the extractor version.

    Layout: ``<cache_dir>/<EXTRACT_VERSION>/<sha[:2]>/<sha>.json`` (n_pages, status, reason) and,
    for usable reports, ``<sha>.txt`` (UTF-8 normalized text). Writes are atomic (temporary file +
    rename), so concurrent shard jobs may share one cache directory.
    """

    def __init__(self, cache_dir: str | Path, version: str = EXTRACT_VERSION) -> None:
        self.root = Path(cache_dir) / version

    def _base(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def get(self, sha: str) -> Extraction | None:
        base = self._base(sha)
        meta_p = base.with_suffix(".json")
        try:
            meta = json.loads(meta_p.read_text(encoding="utf-8"))
            text = base.with_suffix(".txt").read_text(encoding="utf-8") if meta["has_text"] else ""
        except (OSError, ValueError, KeyError):
            return None
        return Extraction(text, int(meta["n_pages"]), meta["status"], meta.get("reason", ""))

    def put(self, sha: str, ext: Extraction) -> None:
        base = self._base(sha)
        base.parent.mkdir(parents=True, exist_ok=True)
        if ext.text:
            _atomic_write(base.with_suffix(".txt"), ext.text.encode("utf-8"))
        meta = {"n_pages": ext.n_pages, "status": ext.status, "reason": ext.reason,
                "has_text": bool(ext.text), "n_chars": len(ext.text)}
        _atomic_write(base.with_suffix(".json"), json.dumps(meta, ensure_ascii=False).encode("utf-8"))


    def put_pages(self, sha: str, n_pages: int, pages: Mapping[int, str], version: str) -> None:
        """Store the text of some pages of a report (1-based page -> text; :attr:`Extraction.raw_pages`) for a
        later stage.

        ``version`` names the rule that chose the pages (a later stage asks for its own version, so a
        selection made under another rule is never taken for complete).
        """
        self._put_versioned(sha, ".pages.json", version, {
            "n_pages": int(n_pages), "pages": {str(k): v for k, v in sorted(pages.items())}})

    def put_words(self, sha: str, words: Mapping[int, list], version: str) -> None:
        """Store the words of some PDF pages (1-based page -> :attr:`Extraction.page_words`) beside the pages."""
        self._put_versioned(sha, ".words.json", version, {"words": {str(k): v for k, v in sorted(words.items())}})

    def get_words(self, sha: str, version: str) -> dict[int, list[tuple]] | None:
        """The stored words by 1-based page (each word a tuple, as ``Page.get_text("words")`` gives it), or None
        when none were stored for this report under this ``version``."""
        d = self._get_versioned(sha, ".words.json", version)
        return None if d is None else {int(k): [tuple(w) for w in v] for k, v in d["words"].items()}

    def get_pages(self, sha: str, version: str) -> list[str] | None:
        """The stored pages as a list of ``n_pages`` raw page texts ("" for a page not stored), or None when
        nothing was stored for this report under this ``version``."""
        d = self._get_versioned(sha, ".pages.json", version)
        if d is None:
            return None
        out = [""] * int(d["n_pages"])
        for k, v in d["pages"].items():
            out[int(k) - 1] = v
        return out

    def _put_versioned(self, sha: str, suffix: str, version: str, data: dict) -> None:
        base = self._base(sha)
        base.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(base.with_suffix(suffix), json.dumps({"version": version, **data}, ensure_ascii=False)
                      .encode("utf-8"))

    def _get_versioned(self, sha: str, suffix: str, version: str) -> dict | None:
        """What was stored under ``version``, or None (nothing stored, unreadable, or another version)."""
        try:
            d = json.loads(self._base(sha).with_suffix(suffix).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return d if d.get("version") == version else None


class PageSelection(Protocol):
    """Which raw PDF pages a later stage needs (:meth:`TextCache.put_pages`): ``select`` returns 1-based page
    numbers from all raw page texts; ``words_for`` tests a page's text for the pages whose words it needs
    too (:meth:`TextCache.put_words`); ``version`` names the rule."""

    version: str

    def select(self, page_texts: list[str]) -> list[int]: ...

    def words_for(self, page_text: str) -> bool: ...


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _progress_fn(progress) -> Callable[[str], None] | None:
    if progress is True:
        return lambda msg: print(msg, file=sys.stderr, flush=True)
    if callable(progress):
        return progress
    return None


def process_reports(
    rows: pd.DataFrame | Iterable[Mapping],
    dictionary: KeywordDictionary,
    cache_dir: str | Path | None,
    sections: tuple[str, ...] = ("full", "mdna"),
    progress: bool | Callable[[str], None] = True,
    exclude_negated: bool = False,
    progress_every: float = 10.0,
    keep_pages: PageSelection | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Extract, cache and count a batch (e.g. one shard) of reports.

    Parameters
    ----------
    rows:
        Output of :func:`scan_reports` (or :func:`select_shard`): needs file, path, firm, year,
        status, reason. Rows whose status is not ``pending`` are passed through to the status table.
    dictionary:
        Keyword dictionary; one counter (automaton) is built for the whole batch.
    cache_dir:
        Text cache folder (None: no cache).
    sections:
        Any of ``"full"`` (whole report) and ``"mdna"`` (:func:`analysis.text.sections.find_mdna`).
    progress:
        True prints a progress line to stderr about every ``progress_every`` seconds and at the end;
        a callable receives the lines instead; False is silent.
    keep_pages:
        With a cache: the raw text of the PDF pages this selection names is stored beside the normalized
        text (:meth:`TextCache.put_pages`), with the words of the pages its ``words_for`` chooses and of the
        page after each (:meth:`TextCache.put_words`, read from the same text page as their text), so that a
        later stage (the revenue breakdown: :class:`analysis.servitization.report_table.BreakdownPages`)
        reads them instead of extracting the report a second time.

    Returns
    -------
    counts:
        firm, year, section, term, count (nonzero counts only).
    chars:
        firm, year, section, n_chars: one row per counted section (the denominator; a report where
        no term occurs has a row here and none in ``counts``). A report whose MD&A is not found has
        no mdna row (its status row says so).
    status:
        One row per input row: file, firm, year, status, reason, sha256, n_pages, n_chars,
        mdna_found, mdna_chars, cached, seconds.
    """
    bad = set(sections) - {"full", "mdna"}
    if bad:
        raise ValueError(f"unknown section(s): {sorted(bad)}")
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else list(rows)
    counter = KeywordCounter(dictionary, exclude_negated=exclude_negated)
    cache = TextCache(cache_dir) if cache_dir is not None else None
    say = _progress_fn(progress)
    count_rows: list[tuple] = []
    char_rows: list[tuple] = []
    status_rows: list[list] = []
    t0 = last = time.perf_counter()
    pages_done = 0
    mb_done = 0.0
    n = len(records)
    for k, r in enumerate(records, 1):
        t1 = time.perf_counter()
        firm = r.get("firm")
        year = r.get("year")
        firm = None if firm is None or pd.isna(firm) else normalize_firm(firm)
        year = None if year is None or pd.isna(year) else int(year)
        st = r.get("status", PENDING)
        row = [r.get("file"), firm, year, st, r.get("reason") or "", "", 0, 0, False, 0, False, 0.0]
        if st == PENDING:
            path = r.get("path") or r.get("file")
            sha = ""
            ext = None
            try:
                sha = file_sha256(path)
            except OSError as exc:
                ext = Extraction("", 0, "corrupt", f"cannot read file: {exc}")
            if ext is None and cache is not None:
                ext = cache.get(sha)
                row[10] = ext is not None
                if ext is not None and keep_pages is not None and ext.ok \
                        and cache.get_pages(sha, keep_pages.version) is None:
                    ext = None  # the pages a later stage needs are not kept yet (new code): read once more
                    row[10] = False
            if ext is None:
                ext = extract_file(path, words_for=keep_pages.words_for if keep_pages is not None else None)
                if cache is not None and sha:
                    cache.put(sha, ext)
                    if keep_pages is not None and ext.raw_pages:
                        raw = list(ext.raw_pages)
                        cache.put_pages(sha, len(raw), {p: raw[p - 1] for p in keep_pages.select(raw)},
                                        keep_pages.version)
                        if ext.page_words:
                            cache.put_words(sha, ext.page_words, keep_pages.version)
            row[3], row[5], row[6] = ext.status, sha, ext.n_pages
            reasons = [x for x in (row[4], ext.reason) if x]
            if ext.status == OK:
                text = ext.text
                row[7] = len(text)
                pages_done += ext.n_pages
                mb_done += len(text.encode("utf-8")) / 1e6
                if "full" in sections:
                    _add(count_rows, char_rows, firm, year, "full", counter.count(text), len(text))
                if "mdna" in sections:
                    span = find_mdna(text)
                    if span is None:
                        reasons.append("MD&A section not found")
                    else:
                        sub = text[span[0] : span[1]]
                        row[8], row[9] = True, len(sub)
                        _add(count_rows, char_rows, firm, year, "mdna", counter.count(sub), len(sub))
            row[4] = "; ".join(reasons)
        row[11] = round(time.perf_counter() - t1, 4)
        status_rows.append(row)
        now = time.perf_counter()
        if say and (now - last >= progress_every or k == n):
            el = max(now - t0, 1e-9)
            say(f"[text] {k}/{n} files, {pages_done} pages, {mb_done:.1f} MB text, "
                f"{el:.0f}s elapsed, {pages_done / el:.0f} pages/s")
            last = now

    counts = pd.DataFrame(count_rows, columns=["firm", "year", "section", "term", "count"])
    chars = pd.DataFrame(char_rows, columns=["firm", "year", "section", "n_chars"])
    status = pd.DataFrame(status_rows, columns=STATUS_COLUMNS)
    for df in (counts, chars):
        df["year"] = df["year"].astype("int64")
    for c in ("count",):
        counts[c] = counts[c].astype("int64")
    chars["n_chars"] = chars["n_chars"].astype("int64")
    status = status.astype({"year": "Int64", "n_pages": "int64", "n_chars": "int64",
                            "mdna_found": "bool", "mdna_chars": "int64", "cached": "bool",
                            "seconds": "float64"})
    counts = counts.sort_values(["firm", "year", "section", "term"], kind="mergesort")
    chars = chars.sort_values(["firm", "year", "section"], kind="mergesort")
    return counts.reset_index(drop=True), chars.reset_index(drop=True), status


def _add(count_rows, char_rows, firm, year, section, counts, n_chars):
    for term, c in counts.items():
        count_rows.append((firm, year, section, term, c))
    char_rows.append((firm, year, section, n_chars))


def process_shard(
    folder: str | Path,
    shard: int,
    n_shards: int,
    dictionary: KeywordDictionary,
    cache_dir: str | Path | None,
    manifest: str | Path | pd.DataFrame | None = None,
    short_names: pd.DataFrame | None = None,
    **kwargs,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Scan ``folder``, keep shard ``shard`` of ``n_shards`` and process it (one Snakemake job).

    The union over all shards of the returned tables is the result for the whole folder: every
    file is in exactly one shard and duplicates are resolved on the whole folder before sharding.
    ``kwargs`` go to :func:`process_reports`.
    """
    rows = select_shard(scan_reports(folder, manifest=manifest, short_names=short_names), shard, n_shards)
    return process_reports(rows, dictionary, cache_dir, **kwargs)
