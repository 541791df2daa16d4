"""Plot helpers shared by the notebooks and the appeal sheet.

Every function takes tidy frames, draws on ``ax`` (a new figure if None) and
returns the Axes; matplotlib is imported inside the functions. Labels are in
``lang`` (zh-CN by default, :mod:`pvcal.report.i18n`) and every figure uses the
one style of :mod:`pvcal.report.style` (a CJK font for Chinese labels).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import PvcalError, check_probability
from ..rules import GRADES
from .i18n import grade_label, translator
from .style import use_style

__all__ = [
    "GRADES",
    "GRADE_COLORS",
    "wilson_interval",
    "rate_table",
    "plot_grade_distribution",
    "plot_rates",
    "plot_rate_trend",
    "exam_final_rates",
    "plot_standard_score_map",
    "figure_to_data_uri",
]

GRADE_COLORS = {"Excellent": "#1b7837", "Good": "#7fbf7b", "Pass": "#d9f0d3", "Fail": "#c51b7d"}


def _axes(ax: Any, figsize: tuple[float, float] = (6.4, 3.6)) -> Any:
    use_style()
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def wilson_interval(k: Any, n: Any, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion ``k / n``.

    Parameters
    ----------
    k, n : array_like
        Successes and trials (``0 <= k <= n``, ``n > 0``).
    level : float, default 0.95

    Returns
    -------
    (ndarray, ndarray)
        Lower and upper limits.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. *JASA*, 22(158), 209-212.

    Examples
    --------
    >>> lo, hi = wilson_interval(81, 263)      # Newcombe (1998), example: 0.2553-0.3662
    >>> float(lo.round(4)), float(hi.round(4))
    (0.2553, 0.3662)
    """
    check_probability("level", level)
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    if np.any(n <= 0) or np.any(k < 0) or np.any(k > n):
        raise PvcalError("wilson_interval needs 0 <= k <= n and n > 0")
    z = stats.norm.ppf(0.5 + level / 2)
    p = k / n
    den = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / den
    return centre - half, centre + half


def rate_table(frame: pd.DataFrame, by: str | list[str], *, level: float = 0.95) -> pd.DataFrame:
    """Pass rate (grade other than Fail) with a Wilson interval per group.

    Parameters
    ----------
    frame : DataFrame
        One row per result with a ``grade`` column and the ``by`` columns.
    by : str or list of str
    level : float, default 0.95

    Returns
    -------
    DataFrame
        Indexed by ``by``: ``n``, ``passed``, ``rate``, ``lo``, ``hi``.
    """
    if "grade" not in frame.columns:
        raise PvcalError("rate_table needs a 'grade' column")
    g = frame.assign(passed=frame["grade"].ne("Fail")).groupby(by, sort=True)["passed"]
    out = pd.DataFrame({"n": g.size(), "passed": g.sum()})
    lo, hi = wilson_interval(out["passed"], out["n"], level)
    return out.assign(rate=out["passed"] / out["n"], lo=lo, hi=hi)


def plot_grade_distribution(
    grades: pd.Series | pd.DataFrame,
    *,
    by: str | None = None,
    ax: Any = None,
    lang: str | None = None,
) -> Any:
    """Stacked bars of grade shares (percent), one bar per group.

    Parameters
    ----------
    grades : Series or DataFrame
        A Series of grades, or a frame with a ``grade`` column and ``by``.
    by : str, optional
        Group column (e.g. ``"period"``); one bar if None.
    ax : Axes, optional
    lang : {"zh-CN", "en"}, optional
        Language of the labels (default zh-CN).
    """
    _ = translator(lang).gettext
    frame = grades.to_frame("grade") if isinstance(grades, pd.Series) else grades
    key = frame[by].astype(str) if by else pd.Series("all", index=frame.index)
    share = pd.crosstab(key, frame["grade"], normalize="index").reindex(
        columns=list(GRADES)[::-1], fill_value=0.0
    )
    ax = _axes(ax)
    bottom = np.zeros(len(share))
    for grade in share.columns:
        vals = share[grade].to_numpy() * 100
        ax.bar(
            share.index,
            vals,
            bottom=bottom,
            color=GRADE_COLORS[grade],
            label=grade_label(grade, lang),
            edgecolor="white",
        )
        for x, b, v in zip(range(len(vals)), bottom, vals):
            if v >= 4:
                ax.text(x, b + v / 2, f"{v:.0f}%", ha="center", va="center", fontsize=8)
        bottom += vals
    ax.set_ylabel(_("percent of candidates"))
    ax.set_ylim(0, 100)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return ax


def plot_rates(
    table: pd.DataFrame, *, ax: Any = None, title: str | None = None, lang: str | None = None
) -> Any:
    """Horizontal pass rates with Wilson intervals (from :func:`rate_table`)."""
    _ = translator(lang).gettext
    ax = _axes(ax, (6.4, 0.35 * len(table) + 1.2))
    labels = [" / ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in table.index]
    y = np.arange(len(table))
    rate = table["rate"].to_numpy() * 100
    err = np.vstack([rate - table["lo"].to_numpy() * 100, table["hi"].to_numpy() * 100 - rate])
    ax.errorbar(rate, y, xerr=err, fmt="o", color="#2166ac", capsize=3)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel(_("pass rate, % (95% Wilson interval)"))
    if title:
        ax.set_title(title)
    return ax


def plot_rate_trend(
    table: pd.DataFrame,
    *,
    line: str,
    x: str = "period",
    ax: Any = None,
    lang: str | None = None,
) -> Any:
    """Pass-rate trend: one line per ``line`` group over ``x`` with interval bands.

    ``table`` is :func:`rate_table` by ``[line, x]`` with the index reset (or
    :func:`exam_final_rates`).  Each series draws its band and its error bars
    (the Wilson interval of every point) in the series' own colour; series are
    dodged sideways a little so that bars at the same period do not overlap.
    """
    _ = translator(lang).gettext
    ax = _axes(ax)
    periods = sorted(table[x].astype(str).unique())
    pos = {p: i for i, p in enumerate(periods)}
    groups = list(table.groupby(line, sort=True))
    width = 0.12 if len(groups) > 1 else 0.0
    for k, (name, g) in enumerate(groups):
        xs = g[x].astype(str).map(pos).to_numpy(dtype=float)
        order = np.argsort(xs)
        xs = xs[order] + width * (k - (len(groups) - 1) / 2)
        rate, lo, hi = (g[c].to_numpy()[order] * 100 for c in ("rate", "lo", "hi"))
        (ln,) = ax.plot(xs, rate, marker="o", label=str(name))
        color = ln.get_color()
        ax.fill_between(xs, lo, hi, alpha=0.15, color=color, lw=0)
        ax.errorbar(xs, rate, yerr=[rate - lo, hi - rate], fmt="none", capsize=4, ecolor=color)
    ax.set_xticks(range(len(periods)), periods)
    ax.set_xlim(-0.5, len(periods) - 0.5)
    ax.set_ylabel(_("pass rate, % (95% Wilson band)"))
    ax.legend(frameon=False)
    return ax


def exam_final_rates(
    results: pd.DataFrame, *, level: float = 0.95, lang: str | None = None
) -> pd.DataFrame:
    """Two pass rates of each discipline with a peer-comparison part: exam only and final.

    The final grade is the lower (or the rules' ``combine``) of the exam grade and
    the peer-comparison grade; the exam-only rate counts the exam grade alone
    (``detail["exam_grade"]``).  Disciplines without a peer part are left out.

    Parameters
    ----------
    results : DataFrame
        Published results (:meth:`pvcal.registry.Registry.results`): ``discipline,
        period, grade, detail`` (a dict or its JSON text).
    level : float, default 0.95
    lang : {"zh-CN", "en"}, optional
        Language of the series labels.

    Returns
    -------
    DataFrame
        ``discipline, period, series, n, passed, rate, lo, hi`` (Wilson
        interval); ``series`` is "<discipline> · exam only" or "<discipline> ·
        final, after peer comparison", ready for :func:`plot_rate_trend`
        (``line="series"``).

    Raises
    ------
    PvcalError
        A missing column.
    """
    import json

    _ = translator(lang).gettext
    for c in ("discipline", "period", "grade", "detail"):
        if c not in results.columns:
            raise PvcalError(f"results: missing column {c!r}; have {list(results.columns)}")
    detail = results["detail"].map(lambda d: json.loads(d) if isinstance(d, str) else (d or {}))
    has_peer = detail.map(lambda d: "peer" in d or "combine" in d)
    peer_disc = set(results.loc[has_peer, "discipline"])
    sub = results[results["discipline"].isin(peer_disc)]
    cols = ["discipline", "period", "series", "n", "passed", "rate", "lo", "hi"]
    if not len(sub):
        return pd.DataFrame(columns=cols)
    exam = sub.assign(grade=detail[sub.index].map(lambda d: d.get("exam_grade", "Fail")))
    parts = []
    for frame, label in ((exam, _("exam only")), (sub, _("final, after peer comparison"))):
        t = rate_table(frame, ["discipline", "period"], level=level).reset_index()
        t["series"] = t["discipline"].astype(str) + " · " + label
        parts.append(t)
    return pd.concat(parts, ignore_index=True)[cols]


def plot_standard_score_map(
    theta_cuts: Mapping[str, float],
    standard_score: Any,
    *,
    cut_scores: Mapping[str, float] | None = None,
    theta: np.ndarray | None = None,
    ax: Any = None,
    lang: str | None = None,
) -> Any:
    """The θ → standard-score map with the grade cuts marked.

    Parameters
    ----------
    theta_cuts : mapping
        ``{"pass": θ, "good": θ, "excellent": θ}`` on the base scale.
    standard_score : callable
        Maps an array of θ to standard scores (e.g. ``BenchmarkIndex.standard_score``).
    cut_scores : mapping, optional
        Unrounded standard score of each cut for the labels (default: the map's
        reported, rounded value).
    theta : ndarray, optional
        Grid (default −4..4).
    ax : Axes, optional
    lang : {"zh-CN", "en"}, optional
        Language of the labels (default zh-CN).
    """
    _ = translator(lang).gettext
    ss_label = _("SS")  # short for standard score, in the cut labels
    ax = _axes(ax)
    grid = np.linspace(-4, 4, 161) if theta is None else np.asarray(theta, float)
    ax.plot(grid, standard_score(grid), color="black", lw=1.5)
    colors = {
        "pass": GRADE_COLORS["Pass"],
        "good": GRADE_COLORS["Good"],
        "excellent": GRADE_COLORS["Excellent"],
    }
    for name, t in theta_cuts.items():
        if cut_scores is not None:
            ss = float(cut_scores[name])
        else:
            ss = float(np.asarray(standard_score(np.array([t])))[0])
        ax.axvline(t, color=colors.get(name, "grey"), lw=2)
        ax.annotate(
            f"{grade_label(name, lang)}: θ={t:.2f}, {ss_label}={ss:g}",
            (t, ss),
            textcoords="offset points",
            xytext=(4, -12),
            fontsize=8,
        )
    ax.set_xlabel(_("θ (base scale)"))
    ax.set_ylabel(_("standard score"))
    return ax


def figure_to_data_uri(fig: Any, *, fmt: str = "png", dpi: int = 110) -> str:
    """Encode a matplotlib figure as a ``data:`` URI (for self-contained HTML)."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight")
    mime = "image/svg+xml" if fmt == "svg" else f"image/{fmt}"
    return f"data:{mime};base64,{base64.b64encode(buf.getvalue()).decode()}"
