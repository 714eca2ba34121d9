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
