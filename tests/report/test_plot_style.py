"""One plotting style with a CJK font: Chinese labels draw without a missing glyph.

matplotlib warns "Glyph N (...) missing from font(s) ..." when it draws a
character none of the configured fonts has (it then draws an empty box); these
tests turn that warning into an error. The negative control shows the check
fires: the same labels with DejaVu Sans alone do warn.
"""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from _system import require_system  # noqa: E402

from pvcal.report import plots  # noqa: E402
from pvcal.report.style import cjk_family, rc, style, use_style  # noqa: E402

GLYPH = r"Glyph .* missing from font"


@pytest.fixture(scope="module")
def cjk() -> str:
    return require_system("fonts-noto-cjk (Noto Sans CJK SC)", cjk_family)


def _draw(fig) -> None:
    """Render with Agg, turning a missing-glyph warning into an error."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=GLYPH)
        fig.canvas.draw()
    plt.close(fig)


def _results() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "grade": rng.choice(["Excellent", "Good", "Pass", "Fail"], 200),
            "period": rng.choice(["2025H1", "2025H2"], 200),
            "region": rng.choice(["华东地区（上海、江苏、浙江）", "西南地区"], 200),
        }
    )


def test_the_style_puts_the_cjk_font_first(cjk):
    """The one plot style puts Noto Sans CJK SC (fonts-noto-cjk) before DejaVu Sans,
    idempotently."""
    assert cjk == "Noto Sans CJK SC"
    with style():
        assert matplotlib.rcParams["font.sans-serif"][:2] == ["Noto Sans CJK SC", "DejaVu Sans"]
        assert use_style() == "Noto Sans CJK SC"  # idempotent


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_plot_helper_draws_chinese_labels_without_missing_glyphs(cjk, lang):
    """Every plot helper draws Chinese titles and labels in both page languages without
    matplotlib's missing-glyph warning."""
    res = _results()
    with style():
        ax = plots.plot_grade_distribution(res, by="period", lang=lang)
        ax.set_title("按考核周期的结果等级分布（优秀、良好、合格、不合格）")
        _draw(ax.figure)
        ax = plots.plot_rates(plots.rate_table(res, "region"), title="各地区合格率", lang=lang)
        _draw(ax.figure)
        trend = plots.rate_table(res, ["region", "period"]).reset_index()
        _draw(plots.plot_rate_trend(trend, line="region", lang=lang).figure)
        ax = plots.plot_standard_score_map(
            {"pass": -0.5, "good": 0.4, "excellent": 1.2},
            lambda t: np.clip(60 + 10 * (np.asarray(t) + 0.5), 0, 100),
            lang=lang,
        )
        _draw(ax.figure)


def test_labels_are_translated(cjk):
    """zh-CN plots carry the catalogue's labels (标准分, θ（基准量尺）, the grade names of
    Art. 12 in the legend)."""
    with style():
        ax = plots.plot_standard_score_map(
            {"pass": -0.5}, lambda t: 60 + 10 * (np.asarray(t) + 0.5), lang="zh-CN"
        )
        assert ax.get_ylabel() == "标准分" and ax.get_xlabel() == "θ（基准量尺）"
        assert ax.texts[0].get_text().startswith("合格: θ=-0.50")
        plt.close(ax.figure)
        ax = plots.plot_grade_distribution(_results(), lang="zh-CN")
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend == ["不合格", "合格", "良好", "优秀"]
        plt.close(ax.figure)


def test_negative_control_without_the_cjk_font_the_check_fires():
    """Negative control: without the CJK font the missing-glyph check does fire, so the tests
    above can fail."""
    with matplotlib.rc_context(rc(None) | {"font.sans-serif": ["DejaVu Sans"]}):
        fig, ax = plt.subplots()
        ax.set_title("标准分")
        with pytest.raises(UserWarning, match=GLYPH):
            _draw(fig)
    plt.close("all")
