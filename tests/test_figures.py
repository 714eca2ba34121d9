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


def test_marginal_effect_band_equals_statsmodels_t_test(panel, tmp_path):  # noqa: F811
    """b1 + 2 b2 x and its standard error equal statsmodels' t_test of the same linear combination
    in the dummy-variable OLS (conventional standard errors, so the covariances agree exactly)."""
    import statsmodels.formula.api as smf

    from analysis.estimation import ModelSpec
    from tests.test_tables import save_and_load

    r = save_and_load(panel, ModelSpec(name="baseline_roa", outcome="roa", controls=("size",), se="iid"))
    d = panel.assign(serv_sq=panel.serv**2)
    ols = smf.ols("roa ~ serv + serv_sq + size + C(firm) + C(year)", data=d).fit()
    xs = np.array([0.1, 0.45, 0.8])
    m = F.marginal_with_band(r, xs)
    for x, row in zip(xs, m.itertuples()):
        t = ols.t_test(f"serv + {2 * x} * serv_sq = 0")
        assert row.effect == pytest.approx(float(t.effect[0]), rel=1e-8)
        assert row.se == pytest.approx(float(t.sd[0, 0]), rel=1e-6)
    assert F.plot_marginal_effect(r, [tmp_path / "m.png"]) == "en"
    from PIL import Image

    assert Image.open(tmp_path / "m.png").info["dpi"][0] == pytest.approx(300, abs=0.5)  # journals' 300 dpi


def test_robustness_coefficient_intervals_from_scipy(tmp_path):
    from scipy import stats

    def est(name, b2, se, df, status="ok", **spec):
        return {"spec": {"name": name, "outcome": "roa", "sample": "all", **spec}, "status": status, "reason": "",
                "baseline": {"names": ["serv", "serv_sq"], "coef": [0.2, b2], "se": [0.1, se], "df_t": df,
                             "spec": {"x": "serv"}}}

    rows = [est("baseline", -0.16, 0.05, 128), est("soe", -0.27, 0.07, 60, sample="soe"),
            est("x", 0, 0, 1, status="skipped")]
    d = F.robustness_coefficients(rows, alpha=0.05)
    assert list(d["label"]) == ["Baseline", "Sample: state-owned"]  # skipped models are not plotted
    assert d["upper"].iloc[1] == pytest.approx(-0.27 + stats.t.ppf(0.975, 60) * 0.07, rel=1e-12)
    assert F.plot_robustness_coefficients(rows, [tmp_path / "r.png"]) == "en"


def test_axes_define_the_variables():
    assert F.axis_label("serv", "en") == "Service share of revenue (Serv)"
    assert F.axis_label("serv", "zh") == "服务收入占比（Serv）" and F.axis_label("roa", "en") == "ROA"
