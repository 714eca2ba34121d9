"""Figures from saved results: correct bands and slopes, byte-reproducible files, Chinese glyphs drawn."""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pytest

from analysis.presentation import figures as F
from tests.test_estimation import panel  # noqa: F401  (fixture)
from tests.test_tables import results  # noqa: F401  (fixture)


def _digest(paths):
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


def test_slope_is_the_derivative_of_the_curve(results):  # noqa: F811
    r = results["moderation_roa"]
    x, h = 0.3, 1e-6
    for z in r.moderator_values.values():
        c = F.curve_with_band(r, z, np.array([x - h, x + h]))
        numeric = (c["fit"].iloc[1] - c["fit"].iloc[0]) / (2 * h)
        s = F.slope_with_band(r, x, np.array([z]))
        assert s["slope"].iloc[0] == pytest.approx(numeric, rel=1e-6)
        assert (s["lower"] < s["slope"]).all() and (s["slope"] < s["upper"]).all()
    # at x = 0 the curve is 0 with zero width (relative to Serv = 0)
    c0 = F.curve_with_band(r, 1.0, np.array([0.0]))
    assert c0["fit"].iloc[0] == 0 and c0["upper"].iloc[0] == 0


def test_figures_are_byte_reproducible_without_timestamps(results, panel, tmp_path):  # noqa: F811
    r = results["moderation_roa"]
    runs = []
    for k in (1, 2):
        paths = [tmp_path / f"run{k}" / f"{stem}.{ext}" for stem in ("curve", "slope", "dist") for ext in ("png", "pdf", "svg")]
        F.plot_moderated_curve(r, paths[0:3])
        F.plot_slopes(r, paths[3:6])
        F.plot_distributions(panel, paths[6:9])
        runs.append(paths)
    assert _digest(runs[0]) == _digest(runs[1])
    for p in runs[0]:
        data = p.read_bytes()
        assert len(data) > 1000
        assert b"CreationDate" not in data and b"tIME" not in data and b"<dc:date>" not in data


def test_chinese_fallback_without_a_cjk_font_draws_no_empty_boxes(results, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setattr(F, "cjk_font", lambda explicit=None: None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        used = F.plot_moderated_curve(results["moderation_roa"], [tmp_path / "c.png"], language="zh")
    assert used == "en"
    messages = [str(w.message) for w in caught]
    assert any("no CJK font" in m for m in messages)
    assert not any("missing from" in m for m in messages)


def test_missing_glyph_detector_catches_empty_boxes():
    """The check below can fail: Chinese text in DejaVu Sans alone is reported missing."""
    import matplotlib.pyplot as plt

    with F.figure_style("en"):
        fig, ax = plt.subplots()
        ax.set_xlabel("服务化")
        assert F.missing_glyphs(fig)
        plt.close(fig)


@pytest.mark.skipif(F.cjk_font() is None,
                    reason="no CJK font: install the PyPI package mplfonts (ships Noto Sans CJK SC) or fonts-noto-cjk")
def test_chinese_labels_render_every_glyph(results, panel, tmp_path):  # noqa: F811
    import matplotlib.pyplot as plt

    r = results["moderation_roa"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert F.plot_moderated_curve(r, [tmp_path / "c.png", tmp_path / "c.pdf"], language="zh") == "zh"
        assert F.plot_slopes(r, [tmp_path / "s.png"], language="zh") == "zh"
        assert F.plot_distributions(panel, [tmp_path / "d.png"], language="zh") == "zh"
    assert not [str(w.message) for w in caught if "missing from" in str(w.message)]
    with F.figure_style("zh") as used:
        assert used == "zh"
        fig, ax = plt.subplots()
        ax.set_xlabel("服务化对总资产收益率的斜率 (Serv, 95%)")
        assert F.missing_glyphs(fig) == []
        plt.close(fig)
    # the PDF embeds the CJK font, not boxes
    assert b"CJK" in (tmp_path / "c.pdf").read_bytes() or b"SimHei" in (tmp_path / "c.pdf").read_bytes()
