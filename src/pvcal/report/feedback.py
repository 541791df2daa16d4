"""Candidate feedback pages (Art. 4, 17): result, domain profile and training advice.

One page per published result, ``reports/<discipline>/<period>/feedback/<pseudonym>.html``:
the standard score and grade; the raw score with the raw-score pass mark of the
candidate's own form (the θ pass cut through that form's test characteristic
curve on the equated scale); the domain profile with its intervals against the
cut; the weak domains and their training modules.  The page carries no
candidate id or name: the platform delivers it to the candidate.

Page text lives in ``templates/feedback.html.j2`` wrapped in ``_()`` (newstyle
gettext, as :mod:`jinja2.ext.i18n`), translated into ``lang`` by
:mod:`pvcal.report.i18n`, or by a ``gettext`` callable given explicitly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._validation import DataError, PvcalError
from ..equating.irt import tcc
from . import html as _html
from .i18n import translator

__all__ = [
    "form_pass_mark",
    "diagnosis_context",
    "profile_svg",
    "feedback_context",
    "render_feedback",
    "write_feedback_page",
    "write_feedback_pages",
]

_PROFILE = ("domain", "n_items", "theta", "se", "lower", "upper", "weak")


def form_pass_mark(items: pd.DataFrame, theta_cut: float) -> float:
    """Raw-score pass mark of one form: its test characteristic curve at the θ cut.

    # R: mirt::expected.test(mod, Theta = matrix(theta_cut))

    Parameters
    ----------
    items : DataFrame
        Item parameters of the form's items on the equated (base) scale.
    theta_cut : float
        Pass cut on the same scale.

    Returns
    -------
    float
        ``τ(θ_cut) = Σ_j E[X_j | θ_cut]``.

    Raises
    ------
    ModelError
        Malformed item parameters.
    PvcalError
        A non-finite cut.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1.0, 1.0], "b": [0.0, 0.0]}, index=["Q1", "Q2"])
    >>> form_pass_mark(items, 0.0)
    1.0
    """
    cut = float(theta_cut)
    if not np.isfinite(cut):
        raise PvcalError(f"theta_cut must be finite, got {theta_cut!r}")
    return float(tcc(items, [cut])[0])


def _newstyle(gettext: Callable[[str], str]) -> Callable[..., str]:
    """``_(text, **vars)`` as jinja2.ext.i18n's newstyle gettext: translate, then ``% vars``."""

    def _(text: str, **variables: Any) -> str:
        return gettext(text) % variables

    return _


_WEAK, _OK, _CUT = "#c51b7d", "#4d4d4d", "#1b7837"


def _profile_rows(profile: Any) -> list[dict]:
    """Profile rows as plain dicts (from a frame or from a stored diagnosis record)."""
    if isinstance(profile, pd.DataFrame):
        missing = [c for c in _PROFILE if c not in profile.columns]
        if missing:
            raise DataError(f"profile: missing column(s) {missing}; expected domain_profile rows")
        if "person" in profile.columns and profile["person"].nunique() > 1:
            raise DataError("profile holds more than one person; pass one candidate's rows")
        profile = profile[list(_PROFILE)].to_dict("records")
    if not isinstance(profile, list):
        raise DataError(
            f"profile must be a DataFrame or a list of rows, got {type(profile).__name__}"
        )
    rows = []
    for r in profile:
        missing = [c for c in _PROFILE if c not in r]
        if missing:
            raise DataError(f"profile row lacks {missing}; expected domain_profile rows")
        rows.append(
            {
                "domain": str(r["domain"]),
                "n_items": int(r["n_items"]),
                "theta": float(r["theta"]),
                "se": float(r["se"]),
                "lower": float(r["lower"]),
                "upper": float(r["upper"]),
                "weak": bool(r["weak"]),
            }
        )
    return rows


def _training_rows(recommendations: Any) -> list[dict]:
    """Training advice as plain dicts, first module first."""
    if recommendations is None:
        return []
    if isinstance(recommendations, pd.DataFrame):
        recommendations = recommendations.to_dict("records")
    rows = sorted(recommendations, key=lambda r: r.get("rank", 0))
    out = []
    for r in rows:
        module, hours = r.get("module"), r.get("hours")
        out.append(
            {
                "domain": str(r["domain"]),
                "module": None if module is None or pd.isna(module) else str(module),
                "hours": None if hours is None or pd.isna(hours) else float(hours),
            }
        )
    return out


def profile_svg(profile: Any, cut: float, gettext: Callable[[str], str] | None = None) -> str:
    """The domain profile as a small inline SVG: θ with its interval per domain, the cut.

    The same picture as :meth:`pvcal.diagnosis.Diagnosis.plot`, drawn without
    matplotlib so that thousands of pages render in seconds; text is escaped.

    Parameters
    ----------
    profile : DataFrame or list of dict
        One candidate's profile rows (``domain``, ``theta``, ``lower``,
        ``upper``, ``weak``).
    cut : float
        The θ pass cut.
    gettext : callable, optional
        Translation of the labels (default: none).

    Returns
    -------
    str
        ``<svg ...>...</svg>``.
    """
    from html import escape

    _ = _newstyle(gettext or str)
    # plain _() calls (not inside f-strings) so that Babel extracts the messages
    title = escape(_("Domain profile with intervals against the pass level"))
    cut_label = escape(_("pass level"))
    x_label = escape(_("ability (θ)"))
    rows = _profile_rows(profile)
    lo = min(min(r["lower"] for r in rows), cut) - 0.25
    hi = max(max(r["upper"] for r in rows), cut) + 0.25
    lo, hi = np.floor(lo * 2) / 2, np.ceil(hi * 2) / 2
    left, width, row, top = 130, 420, 30, 28
    height = top + row * len(rows) + 40

    def x(v: float) -> float:
        return round(left + (float(v) - lo) / (hi - lo) * width, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {left + width + 20} {height}" '
        f'width="{left + width + 20}" height="{height}" role="img" '
        f'aria-label="{title}" '
        'font-family="system-ui, \'Noto Sans CJK SC\', sans-serif" font-size="13">'
    ]
    base = top + row * len(rows)
    parts.append(f'<line x1="{left}" y1="{base}" x2="{left + width}" y2="{base}" stroke="#999"/>')
    step = 0.5 if hi - lo <= 4 else 1.0
    for t in np.arange(lo, hi + 1e-9, step):
        parts.append(
            f'<line x1="{x(t)}" y1="{base}" x2="{x(t)}" y2="{base + 4}" stroke="#999"/>'
            f'<text x="{x(t)}" y="{base + 17}" text-anchor="middle" fill="#444">{t:g}</text>'
        )
    parts.append(
        f'<text x="{left + width / 2}" y="{base + 34}" text-anchor="middle" fill="#444">'
        f"{x_label}</text>"
    )
    for i, r in enumerate(rows):
        y = top + row * i + row / 2
        color = _WEAK if r["weak"] else _OK
        parts.append(
            f'<text x="{left - 8}" y="{y + 4}" text-anchor="end">{escape(str(r["domain"]))}</text>'
            f'<line x1="{x(r["lower"])}" y1="{y}" x2="{x(r["upper"])}" y2="{y}" stroke="{color}" '
            f'stroke-width="3"/><circle cx="{x(r["theta"])}" cy="{y}" r="4.5" fill="{color}"/>'
        )
    parts.append(
        f'<line x1="{x(cut)}" y1="{top - 10}" x2="{x(cut)}" y2="{base}" stroke="{_CUT}" '
        f'stroke-dasharray="5,4" stroke-width="1.5"/>'
        f'<text x="{x(cut)}" y="{top - 14}" text-anchor="middle" fill="{_CUT}">'
        f"{cut_label}</text></svg>"
    )
    return "".join(parts)


def diagnosis_context(
    profile: Any,
    cut: float,
    level: float,
    recommendations: Any = None,
    gettext: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """The diagnosis part of a page (``templates/_diagnosis.html.j2``).

    Shared by the feedback page and the appeal sheet.

    Parameters
    ----------
    profile : DataFrame or list of dict
        One candidate's rows of :func:`pvcal.diagnosis.domain_profile` (or the
        ``domains`` of a stored diagnosis record).
    cut, level : float
        θ pass cut and interval level of the profile.
    recommendations : DataFrame or list of dict, optional
        The candidate's training advice (:func:`pvcal.diagnosis.recommend`, or
        the ``training`` of a stored record).
    gettext : callable, optional
        Translation of the plot's labels (default: none).

    Returns
    -------
    dict
        ``cut``, ``level_pct``, ``domains``, ``weak``, ``training`` and
        ``figure`` (an inline SVG from :func:`profile_svg`, or None without
        domains).

    Raises
    ------
    DataError
        ``profile`` without the columns of a domain profile, or of more than
        one person.
    """
    rows = _profile_rows(profile)
    figure = profile_svg(rows, cut, gettext) if rows else None
    training = _training_rows(recommendations)
    return {
        "cut": float(cut),
        "level_pct": round(100 * float(level)),
        "domains": rows,
        "weak": [r for r in rows if r["weak"]],
        "training": training,
        "figure": figure,
    }


def feedback_context(
    *,
    title: str,
    period: str,
    standard_score: float,
    grade: str,
    raw_score: float,
    max_score: float,
    pass_mark: float,
    profile: Any,
    cut: float,
    level: float,
    recommendations: Any = None,
    lang: str | None = None,
    gettext: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """Everything one feedback page shows (the template context).

    Parameters
    ----------
    title, period : str
        Discipline title and period.
    standard_score, grade : float, str
        The published result.
    raw_score, max_score : float
        The candidate's raw score and the form's maximum.
    pass_mark : float
        :func:`form_pass_mark` of the candidate's form.
    profile : DataFrame or list of dict
        The candidate's rows of :func:`pvcal.diagnosis.domain_profile` (or the
        ``domains`` of a stored diagnosis record).
    cut, level : float
        θ pass cut and interval level the profile was made with.
    recommendations : DataFrame or list of dict, optional
        The candidate's rows of :func:`pvcal.diagnosis.recommend` (or the
        ``training`` of a stored record).
    lang : str, optional
        Page language for :mod:`pvcal.report.i18n` (its default when None).
    gettext : callable, optional
        A translation of the page text that overrides ``lang``'s catalogue
        (also used for the plot's labels).

    Returns
    -------
    dict

    Raises
    ------
    DataError
        ``profile`` without the columns of a domain profile, or of more than
        one person.
    """
    if gettext is None:
        gettext = translator(lang).gettext
    _ = _newstyle(gettext)
    diag = diagnosis_context(profile, cut, level, recommendations, gettext)
    context = {
        "lang": lang,
        "title": title,
        "period": period,
        "standard_score": standard_score,
        "grade": grade,
        "raw_score": raw_score,
        "max_score": max_score,
        "pass_mark": pass_mark,
        **diag,
    }
    context["_"] = _  # the same translation for the page text and the plot's labels
    return context


def render_feedback(context: Mapping[str, Any]) -> str:
    """The feedback page's HTML (``templates/feedback.html.j2``)."""
    return _html.render("feedback.html.j2", **dict(context))


def write_feedback_page(
    reports: str | Path,
    discipline: str,
    period: str,
    pseudonym: str,
    context: Mapping[str, Any],
) -> Path:
    """Render and write ``<reports>/<discipline>/<period>/feedback/<pseudonym>.html``.

    Parameters
    ----------
    reports : str or Path
        The reports folder.
    discipline, period, pseudonym : str
        Path parts; the pseudonym is the registry's, never the application id.
    context : mapping
        :func:`feedback_context`.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    PvcalError
        A path part that is empty or holds a path separator.
    """
    for name, part in (("discipline", discipline), ("period", period)):
        _check_part(name, part)
    return _write(Path(reports) / str(discipline) / str(period), pseudonym, context)


def _check_part(name: str, part: Any) -> str:
    part = str(part)
    if not part or "/" in part or "\\" in part or part in (".", ".."):
        raise PvcalError(f"{name}={part!r} cannot be a file or folder name")
    return part


def _write(period_dir: Path, pseudonym: Any, context: Mapping[str, Any]) -> Path:
    out = period_dir / "feedback" / f"{_check_part('pseudonym', pseudonym)}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_feedback(context), encoding="utf-8")
    return out


def write_feedback_pages(
    period_dir: str | Path,
    *,
    period: str,
    title: str,
    results: pd.DataFrame,
    diagnosis: Any,
    form_items: Mapping[str, pd.DataFrame],
    recommendations: pd.DataFrame | None = None,
    lang: str | None = None,
    gettext: Callable[[str], str] | None = None,
) -> list[Path]:
    """One feedback page per published result of a period.

    Parameters
    ----------
    period_dir : str or Path
        The period's report folder, ``reports/<discipline>/<period>``; pages
        go to its ``feedback/`` folder.
    period, title : str
    results : DataFrame
        Indexed by the persons of the diagnosis (application ids), columns
        ``pseudonym``, ``form``, ``standard_score``, ``grade``, ``raw_score``,
        ``max_score``.
    diagnosis : Diagnosis
        :func:`pvcal.diagnosis.diagnose` of the same persons on the equated
        scale (its ``cut`` and ``level`` are used).
    form_items : mapping
        Form -> item parameters of that form on the equated scale.
    recommendations : DataFrame, optional
        :meth:`Diagnosis.recommend` output.
    lang, gettext : optional
        As :func:`feedback_context`.

    Returns
    -------
    list of Path
        The pages written.

    Raises
    ------
    DataError
        Missing result columns, or a result whose form has no parameters.
    """
    need = ("pseudonym", "form", "standard_score", "grade", "raw_score", "max_score")
    missing = [c for c in need if c not in results.columns]
    if missing:
        raise DataError(f"results: missing column(s) {missing}; expected {list(need)}")
    unknown = sorted(set(results["form"].astype(str)) - set(map(str, form_items)))
    if unknown:
        raise DataError(f"results: form(s) {unknown} have no item parameters in form_items")
    cut = float(diagnosis.settings["cut"])
    level = float(diagnosis.settings["level"])
    marks = {str(f): form_pass_mark(items, cut) for f, items in form_items.items()}
    records = diagnosis.records(recommendations)
    written = []
    for person, r in results.iterrows():
        ctx = feedback_context(
            title=title,
            period=period,
            standard_score=r["standard_score"],
            grade=r["grade"],
            raw_score=float(r["raw_score"]),
            max_score=float(r["max_score"]),
            pass_mark=marks[str(r["form"])],
            profile=records.get(person, {}).get("domains", []),
            cut=cut,
            level=level,
            recommendations=records.get(person, {}).get("training"),
            lang=lang,
            gettext=gettext,
        )
        written.append(_write(Path(period_dir), r["pseudonym"], ctx))
    return written
