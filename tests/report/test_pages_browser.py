"""A page in zh-CN and in English, screenshotted in headless Chromium on a desktop and a phone.

The appeal-sheet template is rendered from a context with long Chinese labels
(a long discipline title, long domain names, the regulation's terms) and a
real pvcal figure. Checks: ``<html lang>``; the page fits a 390 px phone
screen without horizontal scrolling (long labels wrap instead of breaking the
layout); the print stylesheet applies; the screenshots are not blank. The
Chinese glyphs come from Noto Sans CJK SC (fonts-noto-cjk).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from _system import find_chromium, find_cjk_font, require_system  # noqa: E402

from pvcal.report import html as _html  # noqa: E402
from pvcal.report.i18n import grade_label, translator  # noqa: E402
from pvcal.report.plots import figure_to_data_uri, plot_standard_score_map  # noqa: E402

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1200, "height": 900}


@pytest.fixture(scope="module")
def chromium() -> str:
    require_system("fonts-noto-cjk (Noto Sans CJK SC)", find_cjk_font)
    return require_system("chromium", find_chromium)


def _context(lang: str) -> dict:
    _ = translator(lang).gettext
    domains = pd.DataFrame(
        {
            _("raw score"): [9, 7, 12],
            _("maximum"): [12, 10, 14],
            _("answered"): [12, 10, 14],
            _("items"): [12, 10, 14],
        },
        index=pd.Index(
            [
                "质量管理体系审核原则与审核方案的策划、实施、监视和改进（GB/T 19011）",
                "认证机构要求与审核组能力评价",
                "不符合项的识别、分级与纠正措施验证",
            ],
            name=_("domain"),
        ),
    )
    cuts = pd.DataFrame(
        {
            _("method"): ["angoff", "fixed", "fixed"],
            _("θ cut"): [-0.77, 0.73, 2.23],
            _("SE (θ)"): [0.08, np.nan, np.nan],
            _("standard score of cut"): [60.0, 75.0, 90.0],
        },
        index=[grade_label(g, lang) for g in ("Pass", "Good", "Excellent")],
    )
    fig, ax = plt.subplots(figsize=(6.4, 3.4), layout="constrained")
    plot_standard_score_map(
        {"pass": -0.77, "good": 0.73, "excellent": 2.23},
        lambda t: np.clip(60 + 10 * (np.asarray(t) + 0.77), 0, 100),
        ax=ax,
        lang=lang,
    )
    figure = figure_to_data_uri(fig)
    plt.close(fig)
    items = pd.Series({f"Q{i:02d}": i % 3 for i in range(1, 41)}, dtype=object)
    return dict(
        lang=lang,
        title="质量管理体系审核员（第一类：认证审核、内部审核与供应商第二方审核综合能力）",
        period="2025H2",
        application_id="QMS25H2-0042",
        pseudonym="a3f9c1d2e4b5",
        form="B",
        grade="Good",
        published_at="2026年12月1日 09:30:00 UTC" if lang == "zh-CN" else "Dec 1, 2026",
        run_id="20261201T093000Z-7f3a",
        index_id=12,
        index_published_at="2026-12-01",
        n_answered=38,
        n_items=40,
        raw_score="31",
        max_score="40",
        domains_table=_html.table(domains, float_format="{:g}"),
        items_tables=[
            _html.table(items.iloc[i : i + 10].to_frame(_("score")), float_format="{:g}")
            for i in range(0, 40, 10)
        ],
        theta=0.912,
        se=0.281,
        calculation="\n".join(
            [
                _("standard score") + " = pass_score + scale × (θ − θ_anchor)",
                "       = 60 + 10 × (0.9120 − (−0.7740))",
                "       = 76.8600",
            ]
        ),
        recomputed="76.9",
        stored="76.9",
        standard_score_ok=True,
        figure=figure,
        pass_index=60.0,
        level=0.95,
        pass_ci=[58.41, 61.62],
        cuts_table=_html.table(cuts),
        grade_rule="; ".join(["…"]),
        exam_grade="Good",
        grade_ok=True,
        peer=None,
        combine=None,
        combine_text=None,
        method_text="Rasch · Stocking–Lord · Angoff (Hofstee check)",
        conventions={"rounding": "half_up"},
    )


def _shoot(chromium: str, page_file: Path, out: Path) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            facts = {}
            for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                page = browser.new_page(viewport=viewport)
                page.goto(page_file.as_uri())
                page.screenshot(path=str(out / f"{name}.png"), full_page=True)
                facts[name] = page.evaluate(
                    "() => ({lang: document.documentElement.lang,"
                    " scroll: document.documentElement.scrollWidth, inner: window.innerWidth,"
                    " title: document.title, text: document.body.innerText})"
                )
                page.emulate_media(media="print")
                facts[name]["print_th_bg"] = page.evaluate(
                    "() => getComputedStyle(document.querySelector('.pvcal-table th'))"
                    ".backgroundColor"
                )
                page.close()
            return facts
        finally:
            browser.close()


def _not_blank(png: Path) -> None:
    import matplotlib.image as mpimg

    pixels = mpimg.imread(png)
    assert pixels.shape[0] > 300 and pixels.shape[1] > 300
    assert float(pixels[..., :3].std()) > 0.05


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh-CN", ("结果申诉说明", "标准分", "合格线指数", "良好", "测算方式")),
        ("en", ("Appeal sheet", "Standard score", "Pass-line index", "Good", "How results")),
    ],
)
def test_page_in_both_languages_fits_a_phone_and_prints(chromium, tmp_path, lang, words):
    """Headless Chromium: the appeal page in zh-CN and en shows its localised words on desktop
    and phone, fits the phone width with long Chinese labels, and uses the print stylesheet."""
    page_file = tmp_path / f"appeal-{lang}.html"
    page_file.write_text(_html.render("appeal.html.j2", **_context(lang)), encoding="utf-8")
    facts = _shoot(chromium, page_file, tmp_path)
    for name in ("desktop", "phone"):
        assert facts[name]["lang"] == lang
        for word in words:
            assert word in facts[name]["text"], (name, word)
        _not_blank(tmp_path / f"{name}.png")
    # long Chinese labels wrap: nothing pushes the page wider than the phone screen
    assert facts["phone"]["scroll"] <= facts["phone"]["inner"], facts["phone"]
    # the print stylesheet is active under print media (no grey table headers)
    assert facts["desktop"]["print_th_bg"] in ("rgba(0, 0, 0, 0)", "transparent")
