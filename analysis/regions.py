"""Province -> East / Central / West: the three economic belts of China's 31 mainland provinces.

The classification (``analysis/data/regions.csv``, one row per province: full name, short name,
English name, region) is the three-belt division of the statistics of the National Bureau of
Statistics: East 11 (北京 天津 河北 辽宁 上海 江苏 浙江 福建 山东 广东 海南), Central 8 (山西 吉林
黑龙江 安徽 江西 河南 湖北 湖南), West 12 (内蒙古 广西 重庆 四川 贵州 云南 西藏 陕西 甘肃 青海 宁夏
新疆); sources in docs/methods.md. A province is accepted in its full form (广东省, 内蒙古自治区), its
short form (广东, 内蒙古) or its English name (Guangdong), with surrounding blanks and full-width
characters normalized. A missing province is missing (the firm has no region); a value that is no
province is an error (:func:`region_of` raises, the ingest schema names the file, row and value).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

import pandas as pd

REGIONS_FILE = Path(__file__).resolve().parent / "data" / "regions.csv"
#: the regions in the order tables print them
REGIONS = ("east", "central", "west")


@lru_cache(maxsize=None)
def province_table() -> pd.DataFrame:
    """The 31 provinces: ``province`` (full name), ``short``, ``english``, ``region``."""
    return pd.read_csv(REGIONS_FILE, dtype=str, keep_default_na=False)


def _key(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().casefold()


@lru_cache(maxsize=None)
def _lookup() -> dict[str, tuple[str, str]]:
    """Every accepted spelling (normalized) -> (full name, region)."""
    out: dict[str, tuple[str, str]] = {}
    for r in province_table().itertuples():
        for name in (r.province, r.short, r.english):
            out[_key(name)] = (r.province, r.region)
    return out


def known_province(value: object) -> bool:
    """True for a missing value or a name of one of the 31 provinces."""
    return _missing(value) or _key(str(value)) in _lookup()


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA or str(value).strip() == ""


def province_name(value: object) -> str | None:
    """The full name of a province (广东 -> 广东省); None when missing; ValueError when unknown."""
    if _missing(value):
        return None
    hit = _lookup().get(_key(str(value)))
    if hit is None:
        raise ValueError(f"{value!r} is not one of the 31 provinces of analysis/data/regions.csv "
                         "(full, short or English name, e.g. 广东省, 广东, Guangdong)")
    return hit[0]


def region_of(provinces: pd.Series) -> pd.Series:
    """Region (``east``, ``central``, ``west``) of each province; missing where the province is;
    ValueError naming the first value that is no province."""
    region = dict(zip(province_table()["province"], province_table()["region"]))
    names = [province_name(v) for v in provinces]
    return pd.Series([None if n is None else region[n] for n in names], index=provinces.index, dtype=object)
