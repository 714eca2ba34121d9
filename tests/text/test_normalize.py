"""normalize_text: full-width -> half-width, all whitespace removed, idempotent."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.text.normalize import normalize_text


def test_examples():
    assert normalize_text("人工\n智能") == "人工智能"
    assert normalize_text("Ｂ２Ｂ　平台") == "B2B平台"  # full-width letters/digits, U+3000
    assert normalize_text("Fin\r\ntech \t金融\u00a0科技") == "Fintech金融科技"
    assert normalize_text("大\u200b数据\ufeff") == "大数据"  # zero-width space, BOM
    assert normalize_text("ＥＢ级存储") == "EB级存储"
    assert normalize_text("") == ""
    assert normalize_text(" \n\u3000 ") == ""


def test_fullwidth_ascii_block_maps_by_offset():
    # U+FF01..U+FF5E are the full-width forms of U+0021..U+007E (Unicode Halfwidth and
    # Fullwidth Forms block): expected value computed from the code-point offset, not NFKC.
    full = "".join(chr(c) for c in range(0xFF01, 0xFF5F))
    assert normalize_text(full) == "".join(chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F))


def test_chinese_punctuation_that_has_no_halfwidth_form_is_kept():
    assert normalize_text("“数字化”、。《》") == "“数字化”、。《》"


_WS = " \t\n\r\u3000\u00a0\u2028\x0b\x0c"
_alphabet = st.sampled_from(
    list("人工智能大数据云计算区块链移动互联网，。、（）")
    + list(string.ascii_letters + string.digits)
    + [chr(c) for c in range(0xFF10, 0xFF1A)]
    + [chr(c) for c in range(0xFF21, 0xFF3B)]
    + list(_WS)
)


@settings(max_examples=200, deadline=None)
@given(st.text(_alphabet, max_size=60))
def test_properties_on_generated_text(s):
    out = normalize_text(s)
    assert not any(ch.isspace() for ch in out)
    assert normalize_text(out) == out  # idempotent
    assert not any(0xFF01 <= ord(ch) <= 0xFF5E for ch in out)
    # Nothing but whitespace is dropped: same length as the input without whitespace.
    assert len(out) == len([ch for ch in s if ch not in _WS])


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_idempotent_on_arbitrary_unicode(s):
    out = normalize_text(s)
    assert normalize_text(out) == out
    assert not any(ch.isspace() for ch in out)


# ----------------------------------------------------------------------------- words found in raw text

def _spread(word: str, rnd) -> str:
    """``word`` as a PDF may give it: compatibility forms for some characters, whitespace between some."""
    from analysis.text.normalize import _nfkc_sources

    src = _nfkc_sources()
    out = []
    for ch in word:
        out.append(rnd.choice(src[ch]) if ch in src and rnd.random() < 0.5 else ch)
        if rnd.random() < 0.3:
            out.append(rnd.choice([" ", "\n", "\u3000", "\u00a0"]))
    return "".join(out)


def test_raw_word_finds_what_normalization_shows():
    """raw_word(w) finds w in raw text exactly where normalize_text shows it, with Kangxi radicals (⾏ U+2F8F
    for 行), CJK compatibility ideographs (行 U+FA08) and whitespace inside the word."""
    import random

    from analysis.text.normalize import raw_word

    rnd = random.Random(7)
    assert raw_word("行业").search("分⾏ 业") and raw_word("行业").search("分\uFA08\n业")
    assert not raw_word("行业").search("分行 产业")
    for word in ("分行业", "营业收入", "上市公司行业分类指引", "房地产", "资本充足率"):
        for _ in range(200):
            text = "前文" + _spread(word, rnd) + "后文" + _spread(word[::-1], rnd)
            assert bool(raw_word(word).search(text)) == (word in normalize_text(text)), text
            assert len(raw_word(word).findall(text)) == normalize_text(text).count(word), text


def test_report_kind_equals_the_normalized_text_rules():
    """report_kind reads raw pages; its verdict equals the rules applied to the NFKC text without whitespace
    (the definition), on pages where every word is spread with compatibility forms and whitespace."""
    import random

    from analysis.text.reports import report_kind

    rnd = random.Random(3)
    filler = "公司主要从事压缩机的研发、生产和销售。" * 30
    cases = {
        ("manufacturer", "CSRC code C34 stated"): "根据中国证监会《上市公司行业分类指引》，公司所属行业为C34通用设备制造业。",
        ("manufacturer", "CSRC industry 医药制造业 stated"): "按照《上市公司行业分类指引》，公司所处行业为“医药制造业”。",
        ("bank", "bank ratios in the report: 资本充足率, 吸收存款"): "资本充足率12.5%，吸收存款增长。",
        ("other", "CSRC code M73 stated"): "根据《上市公司行业分类指引》，公司属于M73研究和试验发展。",
    }
    for (kind, evidence), sentence in cases.items():
        for _ in range(20):
            pages = [filler, _spread(sentence, rnd) + filler, filler]
            assert report_kind(pages) == (kind, evidence), pages[1][:80]
    estate = [_spread("房地产", rnd) + "开发" for _ in range(16)] + [_spread("结算面积", rnd)]
    assert report_kind([filler, "".join(estate)])[0] == "real_estate"
    assert report_kind([filler, "".join(estate[:14] + estate[-1:])])[0] == "unknown"  # 房地产 only 14 times
