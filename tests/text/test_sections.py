"""MD&A boundaries on synthetic normalized texts (expected offsets from the construction)."""

from __future__ import annotations

import pytest

from analysis.text.sections import chapter_headings, chinese_number, find_mdna


def _doc(mdna_title: str, unit: str = "节", mdna_no: str = "四", next_no: str = "五"):
    toc = (
        f"目录第一{unit}释义........4第二{unit}公司简介和主要财务指标.......5"
        f"第{mdna_no}{unit}{mdna_title}.......11第{next_no}{unit}重要事项.......30"
    )
    front = f"重要提示请参见本报告“第{mdna_no}{unit}{mdna_title}”之“(四)可能面对的风险”。"
    ch1 = f"第一{unit}释义一、释义本报告中..."
    ch2 = f"第二{unit}公司简介和主要财务指标一、公司信息详见第{mdna_no}{unit}{mdna_title}二、..."
    mdna = f"第{mdna_no}{unit}{mdna_title}一、{mdna_title}报告期内公司推进人工智能。详见本报告第{next_no}{unit}(五)。"
    rest = f"第{next_no}{unit}重要事项一、利润分配……第十{unit}财务报告一、审计报告"
    text = front + toc + ch1 + ch2 + mdna + rest
    return text, text.index(mdna), text.index(mdna) + len(mdna)


@pytest.mark.parametrize(
    "title, unit, no, nxt",
    [
        ("经营情况讨论与分析", "节", "四", "五"),  # SSE/SZSE 2016-2020
        ("管理层讨论与分析", "节", "三", "四"),  # 2021 onwards
        ("经营情况讨论与分析", "章", "四", "五"),
        ("董事会报告", "节", "四", "五"),  # before 2016: MD&A inside the board report
    ],
)
def test_mdna_variants(title, unit, no, nxt):
    text, start, end = _doc(title, unit, no, nxt)
    assert find_mdna(text) == (start, end)


def test_no_mdna():
    assert find_mdna("第一节释义一、释义第二节公司简介一、公司信息") is None
    assert find_mdna("") is None


def test_mdna_last_chapter_runs_to_end():
    text = "第一节释义一、内容第二节管理层讨论与分析一、概述公司业务"
    assert find_mdna(text) == (text.index("第二节管理"), len(text))


def test_preferred_title_over_board_report():
    text = "第三节董事会报告一、概述第四节管理层讨论与分析一、概述第五节重要事项一、"
    assert find_mdna(text) == (text.index("第四节"), text.index("第五节"))


def test_toc_without_dot_leaders():
    text = ("目录第一节释义4第四节经营情况讨论与分析11第五节重要事项30"
            "第一节释义一、...第四节经营情况讨论与分析一、经营情况讨论与分析正文第五节重要事项一、正文")
    start = text.index("第四节经营情况讨论与分析一、")
    assert find_mdna(text) == (start, text.index("第五节重要事项一、"))


def test_chapter_headings_filters_references():
    text = "见第五节重要事项“第二节公司简介”第一节释义一、第二节公司简介二、详见第五节(五)"
    assert [(h.number, h.start) for h in chapter_headings(text)] == [
        (1, text.index("第一节")), (2, text.index("第二节公司简介二"))]


@pytest.mark.parametrize("s, n", [("一", 1), ("九", 9), ("十", 10), ("十一", 11), ("十二", 12),
                                   ("二十", 20), ("二十一", 21), ("12", 12)])
def test_chinese_number(s, n):
    assert chinese_number(s) == n


def test_prose_ellipsis_after_heading_is_not_a_toc_leader():
    # NFKC turns the Chinese ellipsis …… into "......": a real heading followed by one stays a heading
    text = ("目录第四节经营情况讨论与分析.......11第五节重要事项.......30"
            "第四节经营情况讨论与分析一、正文第五节重要事项一、利润分配......详见公告第六节股份变动一、")
    assert find_mdna(text) == (text.index("第四节经营情况讨论与分析一、"), text.index("第五节重要事项一、"))
    assert [h.number for h in chapter_headings(text)] == [4, 5, 6]


def test_heading_after_table_cell_ending_like_a_reference_word():
    text = ("第三节公司业务概要一、内容审计意见第四节经营情况讨论与分析一、正文年度报告"
            "第五节重要事项一、正文见本报告第六节股份变动情况")
    assert find_mdna(text) == (text.index("第四节"), text.index("第五节"))
    assert [h.number for h in chapter_headings(text)] == [3, 4, 5]
