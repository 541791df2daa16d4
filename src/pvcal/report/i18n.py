"""Localisation of the published pages: Simplified Chinese by default, English available.

Messages are written in English in the code and templates and translated
through gettext catalogues (``pvcal/report/locale/<lang>/LC_MESSAGES/pvcal.po``,
compiled to ``pvcal.mo`` and shipped as package data); numbers and dates are
formatted by Babel for the page's locale. The regulation's own words are the
glossary of the Chinese catalogue: 标准分 (standard score), 基准指数 /
合格线指数 (benchmark / pass-line index), 优秀、良好、合格、不合格 (the grades),
结果申诉 (appeal), 原始成绩 (raw score), 测算方式 (method), 同行比对 (peer
comparison).

Use
---
``translator(lang).gettext`` in Python (conventionally bound to ``_``),
``environment(lang)`` for Jinja2 templates (``{% trans %}`` and ``_()`` through
the ``jinja2.ext.i18n`` extension), ``N_`` to mark a string for extraction whose
translation happens later, and the ``format_*`` helpers for numbers and dates.

Catalogues are kept up to date with Babel::

    make i18n      # pybabel extract -> update -> compile (see the Makefile)

Notes
-----
``lang`` is ``"zh-CN"`` or ``"en"`` (:data:`LOCALES`, also the values of the
rules key ``locale``); ``None`` means :data:`DEFAULT_LOCALE`. English is the
source language and needs no catalogue.

Examples
--------
>>> translator("zh-CN").gettext("Pass")
'合格'
>>> translator("en").gettext("Pass")
'Pass'
>>> format_decimal(1234.5, "zh-CN", digits=2)
'1,234.50'
"""

from __future__ import annotations

import datetime as _dt
import gettext as _gettext
from functools import cache
from importlib import resources
from typing import Any

from .._validation import PvcalError
from ..rules import DEFAULT_LOCALE, LOCALES

__all__ = [
    "LOCALES",
    "DEFAULT_LOCALE",
    "DOMAIN",
    "normalise",
    "babel_locale",
    "locale_dir",
    "translator",
    "gettext",
    "N_",
    "grade_label",
    "environment",
    "localise_page",
    "translate_summary",
    "SUMMARY_LABELS",
    "format_decimal",
    "format_percent",
    "format_datetime",
    "format_date",
]

# LOCALES (BCP 47 tags, as in ``<html lang>``) and DEFAULT_LOCALE: the rules key
# ``locale``, defined in pvcal.rules.
#: gettext domain of pvcal's catalogues.
DOMAIN = "pvcal"

_ALIASES = {
    "zh-cn": "zh-CN",
    "zh_cn": "zh-CN",
    "zh": "zh-CN",
    "zh-hans": "zh-CN",
    "zh_hans_cn": "zh-CN",
    "zh-hans-cn": "zh-CN",
    "en": "en",
    "en-us": "en",
    "en_us": "en",
    "en-gb": "en",
    "en_gb": "en",
}
_GETTEXT_NAME = {"zh-CN": "zh_CN", "en": "en"}


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (translated where shown)."""
    return message


def normalise(lang: str | None) -> str:
    """The page language tag for ``lang`` ("zh-CN" or "en"); None gives the default.

    Raises
    ------
    PvcalError
        For a language pvcal has no pages in.
    """
    if lang is None:
        return DEFAULT_LOCALE
    tag = _ALIASES.get(str(lang).strip().lower())
    if tag is None:
        raise PvcalError(f"unknown page language {lang!r}: expected one of {', '.join(LOCALES)}")
    return tag


def babel_locale(lang: str | None) -> Any:
    """The :class:`babel.Locale` of a page language."""
    from babel import Locale

    return Locale.parse(_GETTEXT_NAME[normalise(lang)])


def locale_dir() -> Any:
    """Folder of the shipped catalogues (``pvcal/report/locale``)."""
    return resources.files("pvcal.report") / "locale"


@cache
def _translations(tag: str) -> _gettext.NullTranslations:
    if tag == "en":  # the source language
        return _gettext.NullTranslations()
    mo = locale_dir() / _GETTEXT_NAME[tag] / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with resources.as_file(mo) as path:
        if not path.is_file():
            raise PvcalError(f"no message catalogue for {tag} at {path}; run `make i18n`")
        with open(path, "rb") as fh:
            return _gettext.GNUTranslations(fh)


def translator(lang: str | None = None) -> _gettext.NullTranslations:
    """gettext translations for ``lang`` (``.gettext``, ``.ngettext``, ``.pgettext``)."""
    return _translations(normalise(lang))


def gettext(message: str, lang: str | None = None) -> str:
    """``message`` translated into ``lang`` (unchanged when the catalogue lacks it)."""
    return translator(lang).gettext(message)


#: Display names of the grades (Art. 12); the data keep the English ids.
_GRADE_NAMES = {
    "Excellent": N_("Excellent"),
    "Good": N_("Good"),
    "Pass": N_("Pass"),
    "Fail": N_("Fail"),
}


def grade_label(grade: str, lang: str | None = None) -> str:
    """The regulation's name of a grade in ``lang`` (优秀/良好/合格/不合格 in Chinese)."""
    key = str(grade).strip().capitalize()
    return gettext(_GRADE_NAMES.get(key, str(grade)), lang)


@cache
def _environment(tag: str) -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pvcal.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(_translations(tag), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(lang=tag, grade_label=lambda g: grade_label(g, tag))
    env.filters.update(
        decimal=lambda v, digits=2: format_decimal(v, tag, digits=digits),
        percent=lambda v, digits=1: format_percent(v, tag, digits=digits),
        datetime=lambda v: format_datetime(v, tag),
    )
    return env


def environment(lang: str | None = None) -> Any:
    """The Jinja2 environment of the package templates, translated into ``lang``.

    Templates get ``_()``/``{% trans %}``, the globals ``lang`` (for
    ``<html lang>``) and ``grade_label``, and the filters ``decimal``,
    ``percent`` and ``datetime`` (Babel, for ``lang``).
    """
    return _environment(normalise(lang))


#: Labels of the result summaries shown on the published pages (facts, table captions,
#: columns), translated by :func:`translate_summary`; the result objects keep English.
SUMMARY_LABELS = (
    N_("discipline"),
    N_("period"),
    N_("N"),
    N_("pass-line index"),
    N_("index se"),
    N_("pass rate"),
    N_("pass rate se"),
    N_("bootstrap"),
    N_("seed"),
    N_("Benchmark index"),
    N_("Cuts (θ, base scale)"),
    N_("Grade distribution"),
    N_("Classification (Rudner)"),
    N_("share"),
    N_("method"),
    N_("theta"),
    N_("theta_se"),
    N_("standard_score"),
    N_("csem"),
    N_("accuracy"),
    N_("consistency"),
    N_("all cuts"),
    N_("grade"),
    N_("Model"),
    N_("Persons"),
    N_("Items"),
    N_("Parameters"),
    N_("Log-likelihood"),
    N_("Converged"),
    N_("EM cycles"),
    N_("Latent var"),
    N_("Quadrature"),
    N_("SE method"),
)


def translate_summary(summary: Any, lang: str | None = None) -> Any:
    """A result's :class:`~pvcal._summary.Summary` with its labels in ``lang``.

    Fact names, table captions, column and row labels (and the part of the
    title before ": ") are translated where the catalogue has them; values and
    notes are unchanged. The result objects themselves keep English labels.
    """
    import dataclasses

    import pandas as pd

    _ = translator(lang).gettext

    def label(x: Any) -> Any:
        return _(x) if isinstance(x, str) and x else x

    def table(t: Any) -> Any:
        if not isinstance(t, pd.DataFrame):
            return t
        out = t.copy()
        out.columns = [label(c) for c in out.columns]
        out.index = [label(i) for i in out.index]
        if t.index.name:
            out.index.name = label(t.index.name)
        return out

    head, sep, rest = str(summary.title).partition(": ")
    return dataclasses.replace(
        summary,
        title=label(head) + sep + rest,
        facts={label(k): v for k, v in summary.facts.items()},
        tables=tuple((label(c), table(t)) for c, t in summary.tables),
    )


def localise_page(page: str, lang: str | None = None) -> str:
    """An HTML page (nbconvert's, say) in ``lang``: ``<html lang>``, a phone viewport, print CSS.

    Sets the ``lang`` attribute of ``<html>`` (adding it if absent), adds
    ``<meta name="viewport" content="width=device-width, initial-scale=1">``
    when the page has no viewport, and appends pvcal's phone and print rules
    (``templates/notebook.css``) to the head. Applying it twice changes nothing.

    Examples
    --------
    >>> localise_page("<html><head></head><body>x</body></html>", "en")[:16]
    '<html lang="en">'
    """
    import re

    tag = normalise(lang)

    def with_lang(match: re.Match) -> str:
        opening = re.sub(r'\slang="[^"]*"', "", match.group(0))
        return opening[:5] + f' lang="{tag}"' + opening[5:]

    page = re.sub(r"<html\b[^>]*>", with_lang, page, count=1, flags=re.I)
    head_extra = ""
    if not re.search(r"<meta[^>]+name=[\"']viewport[\"']", page, flags=re.I):
        head_extra += '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    if 'id="pvcal-page-css"' not in page:
        css = (resources.files("pvcal.report") / "templates" / "notebook.css").read_text("utf-8")
        head_extra += f'<style id="pvcal-page-css">\n{css}</style>\n'
    if head_extra:
        if re.search(r"</head>", page, flags=re.I):
            page = re.sub(r"</head>", lambda m: head_extra + m.group(0), page, count=1, flags=re.I)
        else:
            page = head_extra + page
    return page


def format_decimal(value: Any, lang: str | None = None, *, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals and grouping, for ``lang`` ("–" for NaN/None)."""
    from babel.numbers import format_decimal as _fmt

    if value is None or value != value:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return _fmt(value, format=pattern, locale=babel_locale(lang))


def format_percent(value: Any, lang: str | None = None, *, digits: int = 1) -> str:
    """A proportion (0.873) as a percentage ("87.3%") for ``lang``."""
    from babel.numbers import format_percent as _fmt

    if value is None or value != value:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
    return _fmt(value, format=pattern, locale=babel_locale(lang))


def _as_datetime(value: Any) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day)
    text = str(value).strip().replace("Z", "+00:00")
    try:
        return _dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise PvcalError(f"not an ISO date/time: {value!r}") from exc


def format_datetime(value: Any, lang: str | None = None) -> str:
    """A date-time (datetime or ISO text) in the medium format of ``lang``, in UTC when aware."""
    from babel.dates import format_datetime as _fmt

    when = _as_datetime(value)
    if when.tzinfo is not None:
        when = when.astimezone(_dt.UTC).replace(tzinfo=None)
        return _fmt(when, "medium", locale=babel_locale(lang)) + " UTC"
    return _fmt(when, "medium", locale=babel_locale(lang))


def format_date(value: Any, lang: str | None = None) -> str:
    """A date (date, datetime or ISO text) in the long format of ``lang``."""
    from babel.dates import format_date as _fmt

    return _fmt(_as_datetime(value).date(), "long", locale=babel_locale(lang))
