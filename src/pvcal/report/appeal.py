"""Appeal sheets (Art. 13): every step from a candidate's responses to the grade.

The sheet is built from the registry alone: the candidate's result row (item
scores, raw score, θ, SE, standard score, grade) and the benchmark-index
record it was graded with (cuts, standard-score conversion, method text).
It recomputes the standard score and the grade from those numbers and says
whether they match what was published.

The raw application identifier is given by the person asking (it is never
stored in the registry); it is pseudonymised with the same key to find the
row, and it appears on this sheet only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._validation import RegistryError
from ..registry import Registry, registry_path
from ..rules import CUT_GRADES as _CUTS
from . import html as _html
from .feedback import diagnosis_context
from .i18n import format_datetime, grade_label, normalise, translator
from .pseudonym import PseudonymKey, load_key, pseudonymise

__all__ = ["appeal_data", "render_appeal", "write_appeal_sheet"]



def appeal_data(
    registry: Registry,
    discipline: str,
    application_id: str,
    key: PseudonymKey | None = None,
    *,
    lang: str | None = None,
) -> dict[str, Any]:
    """Everything an appeal sheet shows, read from the registry and recomputed.

    Parameters
    ----------
    registry : Registry
    discipline : str
    application_id : str
        The raw application id.
    key : PseudonymKey, optional
        Default :func:`~pvcal.report.pseudonym.load_key`.
    lang : {"zh-CN", "en"}, optional
        Page language; default the ``locale`` recorded with the index (the
        rules' ``locale``), else zh-CN.

    Returns
    -------
    dict
        Template context of ``appeal.html.j2``.

    Raises
    ------
    RegistryError
        No result for the application, a result of another discipline, or a
        pseudonym key that differs from the one used at publication.
    """
    from ..index import BenchmarkIndex

    key = load_key() if key is None else key
    pseud = pseudonymise(application_id, "application", key)
    try:
        row = registry.result(pseud)
    except RegistryError:
        raise RegistryError(
            f"no published result for application {application_id!r} "
            "(or the pseudonym key differs from the one used to publish)"
        ) from None
    if row["discipline"] != discipline:
        raise RegistryError(
            f"application {application_id!r} has its result in discipline "
            f"{row['discipline']!r}, not {discipline!r}"
        )
    idx_row = registry.index(row["index_id"])
    record = idx_row["record"]
    fp = record.get("key_fingerprint")
    if fp is not None and fp != key.fingerprint:
        raise RegistryError("the pseudonym key differs from the one used to publish this index")
    index = BenchmarkIndex.from_record(record)
    lang = normalise(lang if lang is not None else record.get("locale"))
    _ = translator(lang).gettext
    conv = index.conversion
    detail = row["detail"]
    theta = float(row["theta"])
    unrounded = float(conv(theta, rounded=False))
    recomputed = float(conv(theta))
    exam_grade = str(index.grade(np.array([theta]))[0])
    head = _("standard score") + " = "
    pad = " " * (_display_width(head) - 2) + "= "
    lines = [
        head + "pass_score + scale × (θ − θ_anchor)",
        pad + f"{conv.pass_score:g} + {conv.scale:g} × ({theta:.4f} − ({conv.anchor_theta:.4f}))",
        pad + f"{unrounded:.4f}",
        _(
            "rounded half up to %(decimals)s decimals and kept within "
            "[%(lower)s, %(upper)s]: %(score)s"
        )
        % {
            "decimals": conv.decimals,
            "lower": f"{conv.lower:g}",
            "upper": f"{conv.upper:g}",
            "score": f"{recomputed:g}",
        },
    ]
    scores = pd.Series(detail.get("items", {}), dtype=object)
    domains = detail.get("domains")
    domains_table = None
    if domains:
        dt = pd.DataFrame.from_dict(domains, orient="index")[["raw", "max", "answered", "items"]]
        dt.columns = [_("raw score"), _("maximum"), _("answered"), _("items")]
        dt.index.name = _("domain")
        domains_table = _html.table(dt, float_format="{:g}")
    diag = detail.get("diagnosis")  # domain profile and training advice (Art. 4, 17)
    diagnosis = (
        diagnosis_context(diag["domains"], diag["cut"], diag["level"], diag.get("training"), _)
        if diag
        else None
    )
    unc = index.uncertainty
    cuts = index.table[["method", "theta", "theta_se", "standard_score"]].copy()
    cuts.columns = [_("method"), _("θ cut"), _("SE (θ)"), _("standard score of cut")]
    cuts.index = [grade_label(g, lang) for g in cuts.index]
    peer_html = None
    if detail.get("peer"):
        peer = pd.Series(detail["peer"], name=_("value")).to_frame()
        peer_html = _html.table(peer, float_format="{:.3f}")
    elif "peer" in detail:
        note = detail.get("note") or _("no peer-comparison result")
        peer_html = f"<p>{note}</p>"
    combine = detail.get("combine")
    combine_text = {
        "lower": _("the lower of the exam and peer grades"),
        "exam": _("the exam grade"),
        "peer": _("the peer-comparison grade"),
    }.get(combine, combine)
    return {
        "lang": lang,
        "discipline": discipline,
        "title": record.get("title", discipline),
        "period": row["period"],
        "application_id": application_id,
        "pseudonym": pseud,
        "form": row["form"],
        "grade": row["grade"],
        "published_at": _when(row["published_at"], lang),
        "run_id": row["run_id"],
        "index_id": int(row["index_id"]),
        "index_published_at": _when(idx_row["published_at"], lang),
        "n_items": row["n_items"],
        "n_answered": row["n_answered"],
        "raw_score": f"{row['raw_score']:g}",
        "max_score": f"{row['max_score']:g}",
        "items_tables": [
            _html.table(chunk.to_frame(_("score")).fillna("–"), float_format="{:g}")
            for chunk in (scores.iloc[i : i + 10] for i in range(0, len(scores), 10))
        ],
        "domains_table": domains_table,
        "diagnosis": diagnosis,
        "theta": theta,
        "se": float(row["se"]),
        "calculation": "\n".join(lines),
        "recomputed": f"{recomputed:g}",
        "stored": f"{row['standard_score']:g}",
        "standard_score_ok": bool(np.isclose(recomputed, row["standard_score"])),
        "figure": _figure(index, theta, float(row["se"]), lang),
        "pass_index": index.pass_index,
        "pass_ci": unc.get("pass_index_ci", [np.nan, np.nan]),
        "level": unc.get("level", 0.95),
        "cuts_table": _html.table(cuts),
        "exam_grade": exam_grade,
        "grade_rule": _("; ").join(
            _("%(grade)s if the standard score is at least %(cut)s")
            % {"grade": grade_label(g, lang), "cut": f"{index.cut_scores[g]:.2f}"}
            for g in _CUTS
        )
        + _("; otherwise %(fail)s") % {"fail": grade_label("Fail", lang)},
        "grade_ok": exam_grade == detail.get("exam_grade", row["grade"]),
        "peer": peer_html,
        "combine": combine,
        "combine_text": combine_text,
        "method_text": record.get("method_text", ""),
        "conventions": index.conventions,
    }


def _display_width(text: str) -> int:
    """Columns ``text`` takes in a monospace font (CJK characters take two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _when(value: Any, lang: str) -> str:
    """A registry time stamp in the page language (as stored if it is not ISO text)."""
    try:
        return format_datetime(value, lang)
    except ValueError:
        return str(value)


def _figure(index: Any, theta: float, se: float, lang: str | None = None) -> str:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from .plots import figure_to_data_uri, plot_standard_score_map
    from .style import use_style

    use_style()
    _ = translator(lang).gettext

    fig, ax = plt.subplots(figsize=(6.4, 3.4), layout="constrained")
    plot_standard_score_map(
        {g.lower(): index.cuts[g] for g in _CUTS},
        index.standard_score,
        cut_scores={g.lower(): index.cut_scores[g] for g in _CUTS},
        ax=ax,
        lang=lang,
    )
    ss = float(index.standard_score(np.array([theta]))[0])
    ax.errorbar(
        [theta],
        [ss],
        xerr=[[1.96 * se], [1.96 * se]],
        fmt="o",
        color="#2166ac",
        capsize=4,
        label=_("your θ ± 1.96 SE"),
    )
    ax.legend(loc="upper left", frameon=False)
    uri = figure_to_data_uri(fig)
    plt.close(fig)
    return uri


def render_appeal(context: dict[str, Any]) -> str:
    """The appeal sheet HTML for :func:`appeal_data` output."""
    return _html.render("appeal.html.j2", **context)


def write_appeal_sheet(
    discipline: str,
    application_id: str,
    *,
    reports_dir: str | Path = "reports",
    out: str | Path | None = None,
    key: PseudonymKey | None = None,
    lang: str | None = None,
) -> Path:
    """Write a candidate's appeal sheet (``pvcal appeal``).

    Parameters
    ----------
    discipline : str
    application_id : str
        Raw application id.
    reports_dir : str or Path, default "reports"
        Folder holding the registry.
    out : str or Path, optional
        Output file; default ``reports/appeals/<discipline>/appeal-<pseudonym>.html``
        (the file name carries the pseudonym, not the raw id).
    key : PseudonymKey, optional
    lang : {"zh-CN", "en"}, optional
        Page language (``pvcal appeal --lang``); default the index's locale.

    Returns
    -------
    Path

    Raises
    ------
    RegistryError
        No registry, or no result for the application (see :func:`appeal_data`).
    """
    path = registry_path(reports_dir)
    if not path.is_file():
        raise RegistryError(f"no registry at {path}; publish first")
    with Registry(path) as reg:
        context = appeal_data(reg, discipline, application_id, key, lang=lang)
    target = (
        Path(out)
        if out is not None
        else Path(reports_dir) / "appeals" / discipline / f"appeal-{context['pseudonym']}.html"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_appeal(context), encoding="utf-8")
    return target
