"""Localisation: catalogues complete and compiled, the regulation's glossary, Babel formats.

The Chinese terms are those of the regulation's glossary (Art. 11-13: 标准分,
合格线指数 / 基准指数, 优秀、良好、合格、不合格, 结果申诉, 原始成绩, 测算方式;
Art. 9: 同行比对). Number and date formats are CLDR's, through Babel
(https://babel.pocoo.org/en/latest/numbers.html, .../dates.html).
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from pvcal._validation import PvcalError
from pvcal.report import i18n
from pvcal.report.html import render

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "src" / "pvcal" / "report" / "locale"
PO = LOCALE / "zh_CN" / "LC_MESSAGES" / "pvcal.po"
MO = LOCALE / "zh_CN" / "LC_MESSAGES" / "pvcal.mo"


def _po():
    with open(PO, "rb") as fh:
        return read_po(fh, locale="zh_CN")


def test_mo_is_compiled_from_the_current_po():
    """The shipped .mo holds exactly the .po's translations (else: `make i18n`)."""
    buf = io.BytesIO()
    write_mo(buf, _po())
    fresh = gettext.GNUTranslations(io.BytesIO(buf.getvalue()))._catalog
    with open(MO, "rb") as fh:
        shipped = gettext.GNUTranslations(fh)._catalog
    assert {k: v for k, v in shipped.items() if k} == {k: v for k, v in fresh.items() if k}


def test_every_message_in_the_code_is_translated(tmp_path):
    """Extract as `make i18n` does; every msgid has a non-fuzzy Chinese translation."""
    pot = tmp_path / "pvcal.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "--quiet",
            "extract",
            "-F",
            str(LOCALE / "babel.cfg"),
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(pot),
            str(ROOT / "src" / "pvcal"),
        ]
    )
    with open(pot, "rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    catalogue = _po()
    have = {m.id: m for m in catalogue if m.id}
    assert len(wanted) > 50
    missing = sorted(str(m) for m in wanted - set(have))
    assert not missing, f"not in pvcal.po (run `make i18n` and translate): {missing}"
    untranslated = sorted(str(m) for m in wanted if not have[m].string or have[m].fuzzy)
    assert not untranslated, f"untranslated or fuzzy: {untranslated}"


def test_placeholders_survive_translation():
    """Babel's catalogue checks: python-format placeholders match msgid and msgstr."""
    problems = [(m.id, errs) for m, errs in _po().check() if errs]
    assert not problems


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("Excellent", "优秀"),
        ("Good", "良好"),
        ("Pass", "合格"),
        ("Fail", "不合格"),
        ("standard score", "标准分"),
        ("Standard score", "标准分"),
        ("raw score", "原始成绩"),
        ("How results were reached", "测算方式"),
        ("5. Peer comparison", "五、同行比对"),
        ("Targeted training", "靶向训练"),
    ],
)
def test_glossary_terms(english, chinese):
    """Each English term translates to the regulation's zh-CN glossary term (regulation.zh.txt,
    Art. 9 and 11-13) and stays itself in English."""
    assert i18n.gettext(english, "zh-CN") == chinese
    assert i18n.gettext(english, "en") == english


def test_glossary_phrases_inside_longer_messages():
    """The glossary terms (合格线指数, 基准指数, 结果申诉) are used inside longer zh-CN
    messages too, not only alone."""
    _ = i18n.translator("zh-CN").gettext
    assert "合格线指数" in _("Pass-line index: %(index)s (%(level)s interval %(lo)s – %(hi)s).")
    assert "基准指数" in _("4. Benchmark index and grade cuts")
    assert "结果申诉" in _("Appeal sheet (Art. 13)")


def test_grade_labels_and_language_tags():
    """The four grades of Art. 12 carry the regulation's zh-CN labels (优秀, 良好, 合格,
    不合格); language tags are normalised (default zh-CN) and unknown ones refused."""
    assert [i18n.grade_label(g) for g in ("Excellent", "Good", "Pass", "Fail")] == [
        "优秀",
        "良好",
        "合格",
        "不合格",
    ]
    assert i18n.grade_label("pass", "en") == "Pass"
    assert i18n.normalise(None) == "zh-CN"
    assert i18n.normalise("zh_CN") == i18n.normalise("zh-cn") == "zh-CN"
    assert i18n.normalise("en-US") == "en"
    with pytest.raises(PvcalError, match="unknown page language 'fr'"):
        i18n.normalise("fr")


def test_babel_formats_numbers_and_dates_per_locale():
    """Dates, decimals and percentages follow CLDR's zh-CN and en patterns through Babel (values
    written out by hand); NaN shows as a dash."""
    when = dt.datetime(2026, 12, 4, 14, 5, tzinfo=dt.UTC)
    assert i18n.format_datetime(when, "zh-CN") == "2026年12月4日 14:05:00 UTC"
    assert i18n.format_datetime(when, "en") == "Dec 4, 2026, 2:05:00\u202fPM UTC"
    assert i18n.format_date("2026-12-04", "zh-CN") == "2026年12月4日"
    assert i18n.format_decimal(12345.678, "zh-CN", digits=2) == "12,345.68"
    assert i18n.format_percent(0.8734, "en", digits=1) == "87.3%"
    assert i18n.format_decimal(float("nan")) == "–"


def test_templates_render_in_both_languages():
    """The environment translates `_()` with variables and sets <html lang>."""
    env_zh = i18n.environment("zh-CN")
    tpl = "<html lang='{{ lang }}'>{{ _('Grade: %(grade)s', grade=grade_label('Good')) }}</html>"
    assert env_zh.from_string(tpl).render() == "<html lang='zh-CN'>结果等级：良好</html>"
    env_en = i18n.environment("en")
    assert env_en.from_string(tpl).render() == "<html lang='en'>Grade: Good</html>"
    # variables are escaped, translations are not double-escaped
    out = env_en.from_string("{{ _('Grade: %(grade)s', grade=g) }}").render(g="<b>")
    assert out == "Grade: &lt;b&gt;"


APPEAL = dict(
    title="QMS auditor",
    period="2025H2",
    application_id="APP-1",
    pseudonym="p-1",
    form="A",
    grade="Good",
    published_at="2026-12-01",
    run_id="r1",
    index_id=3,
    index_published_at="2026-11-30",
    n_answered=39,
    n_items=40,
    raw_score="31",
    max_score="40",
    domains_table=None,
    items_tables=[],
    theta=0.5,
    se=0.3,
    calculation="…",
    recomputed="78",
    stored="78",
    standard_score_ok=True,
    figure="data:image/png;base64,",
    pass_index=60.0,
    level=0.95,
    pass_ci=[58.0, 62.0],
    cuts_table="",
    grade_rule="…",
    exam_grade="Good",
    grade_ok=True,
    peer=None,
    combine=None,
    method_text="",
    conventions={},
)


def test_appeal_template_in_both_languages():
    """<html lang>, a phone viewport, print CSS, and the regulation's words in Chinese."""
    zh = render("appeal.html.j2", lang="zh-CN", **APPEAL)
    assert '<html lang="zh-CN">' in zh
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in zh
    assert "@media print" in zh and "@media (max-width: 40rem)" in zh
    for term in ("结果申诉说明", "结果等级：良好", "标准分", "合格线指数：60.00", "测算方式"):
        assert term in zh
    assert "Appeal sheet" not in zh and "Grade:" not in zh
    en = render("appeal.html.j2", lang="en", **APPEAL)
    assert '<html lang="en">' in en
    assert "Grade: Good" in en and "Pass-line index: 60.00 (95% interval 58.00 – 62.00)" in en
    assert "结果" not in en


def test_localise_page_sets_lang_viewport_and_print_css_once():
    """nbconvert pages get <html lang>, a phone viewport and the print rules, idempotently."""
    page = '<!DOCTYPE html>\n<html class="x" lang="en">\n<head><title>t</title></head></html>'
    zh = i18n.localise_page(page, "zh-CN")
    assert '<html lang="zh-CN" class="x">' in zh
    assert zh.count('name="viewport"') == 1 and zh.count("@media print") == 1
    assert zh.index('id="pvcal-page-css"') < zh.index("</head>")
    assert i18n.localise_page(zh, "zh-CN") == zh
    assert '<html lang="en" class="x">' in i18n.localise_page(zh, "en")
    kept = '<html><head><meta name="viewport" content="width=500"></head></html>'
    assert i18n.localise_page(kept, "en").count("viewport") == 1


def test_translate_summary_translates_labels_not_values():
    import pandas as pd

    from pvcal._summary import Summary

    table = pd.DataFrame({"method": ["angoff"], "theta": [-0.77]}, index=["Pass"])
    s = Summary(
        "Benchmark index: lab 2025H2",
        {"pass-line index": 60.0, "unknown label": 1},
        (("Cuts (θ, base scale)", table),),
        ("a note",),
    )
    zh = i18n.translate_summary(s, "zh-CN")
    assert zh.title == "基准指数: lab 2025H2"
    assert zh.facts == {"合格线指数": 60.0, "unknown label": 1}
    caption, t = zh.tables[0]
    assert caption == "分界（θ，基准量尺）"
    assert list(t.columns) == ["测算方式", "θ"] and list(t.index) == ["合格"]
    assert t.iloc[0, 1] == -0.77 and zh.notes == ("a note",)
    assert s.facts == {"pass-line index": 60.0, "unknown label": 1}  # the original is unchanged
    assert i18n.translate_summary(s, "en").facts == s.facts
