"""The province -> region map against the classification typed here by hand from its sources (see
docs/methods.md): East 11, Central 8, West 12 (the NBS four-region list of 2011 with its Northeast
folded in: 辽宁 East, 吉林 and 黑龙江 Central)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.regions import REGIONS, province_name, province_table, region_of

EAST = "北京 天津 河北 辽宁 上海 江苏 浙江 福建 山东 广东 海南".split()
CENTRAL = "山西 吉林 黑龙江 安徽 江西 河南 湖北 湖南".split()
WEST = "内蒙古 广西 重庆 四川 贵州 云南 西藏 陕西 甘肃 青海 宁夏 新疆".split()
# NBS 2011 (东西中部和东北地区划分方法): East 10, Central 6, West 12, Northeast 3
NBS_2011 = {"east": "北京 天津 河北 上海 江苏 浙江 福建 山东 广东 海南".split(),
            "central": "山西 安徽 江西 河南 湖北 湖南".split(),
            "west": WEST, "northeast": "辽宁 吉林 黑龙江".split()}
FULL = {"北京": "北京市", "天津": "天津市", "上海": "上海市", "重庆": "重庆市", "内蒙古": "内蒙古自治区",
        "广西": "广西壮族自治区", "西藏": "西藏自治区", "宁夏": "宁夏回族自治区", "新疆": "新疆维吾尔自治区"}


def test_the_three_belts_by_hand():
    assert (len(EAST), len(CENTRAL), len(WEST)) == (11, 8, 12)
    assert len(set(EAST + CENTRAL + WEST)) == 31
    # the three belts are the NBS four regions with the Northeast split between East and Central
    assert set(EAST) == set(NBS_2011["east"]) | {"辽宁"}
    assert set(CENTRAL) == set(NBS_2011["central"]) | {"吉林", "黑龙江"}
    assert set(WEST) == set(NBS_2011["west"])
    short = pd.Series(EAST + CENTRAL + WEST)
    expected = ["east"] * 11 + ["central"] * 8 + ["west"] * 12
    assert region_of(short).tolist() == expected
    full = short.map(lambda s: FULL.get(s, s + "省"))
    assert region_of(full).tolist() == expected
    assert [province_name(s) for s in short] == full.tolist()
    assert province_table()["region"].value_counts().to_dict() == {"east": 11, "west": 12, "central": 8}
    assert set(province_table()["region"]) == set(REGIONS)


def test_forms_missing_and_unknown_values():
    s = pd.Series(["  广东省", "Inner Mongolia", "ｓｈａｎｇｈａｉ", None, "", float("nan")])
    assert region_of(s).tolist() == ["east", "west", "east", None, None, None]
    for bad in ("香港", "广东省广州市", "Canton", "台湾"):
        with pytest.raises(ValueError, match=f"'{bad}' is not one of the 31 provinces"):
            region_of(pd.Series(["北京", bad]))
