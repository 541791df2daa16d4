"""What the pass line means: the θ cut on the base scale and every form's raw pass mark.

The standard score is anchored at the period's own pass cut
(``60 + 10 · (θ − θ_pass)`` by default), so the pass line reads 60 in every
period by construction and 60 alone says nothing about how demanding it is.
:func:`pass_line` adds to the published index record what it stands for: the
pass cut on the base θ scale with its uncertainty and, for every form of the
period, the raw score at the cut (the θ cut through the form's test
characteristic curve, item parameters on the base scale) with its uncertainty,
and one plain sentence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._validation import DataError, PvcalError

__all__ = ["pass_line", "form_item_ids", "pass_line_from_step"]

#: Step of the central difference for the slope of the test characteristic curve.
TCC_STEP = 1e-4


def form_item_ids(bank: pd.DataFrame, items: Sequence, forms: Sequence) -> dict[str, list]:
    """Items of each form among the calibrated ``items``, by the bank's ``forms`` column.

    The convention of the feedback pages (:mod:`pvcal.workflow.diagnosis`): an
    item belongs to a form when the bank's ``forms`` entry (``A;B;C``) names it;
    an item without an entry belongs to every form.

    Parameters
    ----------
    bank : DataFrame
        The item bank (``items.csv``), indexed by item id.
    items : sequence
        Ids of the items calibrated in the period.
    forms : sequence
        The period's forms.

    Returns
    -------
    dict
        Form -> item ids (in ``items`` order).
    """
    listed = bank["forms"].dropna().astype(str).str.split(";") if "forms" in bank.columns else None
    out = {}
    for form in sorted({str(f) for f in forms}):
        out[form] = [
            i
            for i in items
            if listed is None or i not in listed.index or form in [s.strip() for s in listed[i]]
        ]
    return out


def pass_line(
    items: pd.DataFrame,
    forms: Mapping[str, Sequence],
    *,
    theta_cut: float,
    theta_se: float | None,
    theta_ci: Sequence[float] | None,
    pass_score: float,
    scale: float,
    base_period: str,
    level: float = 0.95,
    cuts_from: str = "",
    max_scores: Mapping[str, float] | None = None,
    anchor_theta: float | None = None,
    D: float = 1.0,
    lang: str | None = "en",
) -> dict[str, Any]:
    """The ``pass_line`` entry of a published index record.

    # R: mirt::expected.test(mod, Theta = matrix(theta_cut)) for each form

    Parameters
    ----------
    items : DataFrame
        Item parameters on the base scale (``Calibration.items``), indexed by id.
    forms : mapping
        Form -> its item ids (:func:`form_item_ids`).
    theta_cut : float
        The pass cut on the base scale.
    theta_se : float or None
        Its standard error (the index's bootstrap SD).
    theta_ci : pair of float or None
        Its interval (the index's percentile bootstrap interval).
    pass_score, scale : float
        The pass line on the standard-score scale and the score points per θ unit.
    base_period : str
    level : float, default 0.95
        Level of ``theta_ci``.
    cuts_from : str, optional
        Where the cut comes from when carried over (e.g. "base period 2025H1 (index 4)").
    max_scores : mapping, optional
        Item id -> maximum score (default: from the item parameters).
    anchor_theta : float, optional
        The θ the standard-score map is anchored at when fixed by the rules
        (``scale.standard_score.anchor_theta``); None: anchored at the pass cut.
    D : float, default 1.0
    lang : {"en", "zh-CN"}, default "en"
        Language of ``meaning`` (:mod:`pvcal.report.i18n`; the published record
        uses the rules' ``locale``).

    Returns
    -------
    dict
        ``standard_score``, ``meaning`` (one plain sentence), ``theta``
        (``value, se, ci, level, base_period, source``) and ``forms``: form ->
        ``raw_pass_mark, se, ci, max_score, n_items``; ``uncertainty`` says how
        the SEs and intervals were obtained.

    Raises
    ------
    DataError
        A form with no item in ``items``.
    PvcalError
        A non-finite cut.

    Notes
    -----
    ``raw_pass_mark = τ_f(θ_cut) = Σ_{j ∈ f} E[X_j | θ_cut]`` (unrounded; a
    candidate's grade follows θ, not the raw score, so a raw score near the mark
    may fall either side).  ``se = τ_f'(θ_cut) · SE(θ_cut)`` (delta method; the
    slope by a central difference with h = 1e-4); ``ci = (τ_f(lo), τ_f(hi))``,
    the cut's percentile interval mapped through the increasing curve, which is
    exactly the percentile interval of τ_f(θ*) over the bootstrap replicates.
    The item parameters are treated as known: their own estimation error is
    not in these SEs.

    Examples
    --------
    >>> items = pd.DataFrame({"a": [1.0, 1.0], "b": [0.0, 0.0]}, index=["Q1", "Q2"])
    >>> rec = pass_line(items, {"A": ["Q1", "Q2"]}, theta_cut=0.0, theta_se=0.1,
    ...                 theta_ci=(-0.2, 0.2), pass_score=60, scale=10, base_period="P1")
    >>> rec["forms"]["A"]["raw_pass_mark"], round(rec["forms"]["A"]["se"], 4)
    (1.0, 0.05)
    """
    from ..equating.irt import tcc

    cut = float(theta_cut)
    if not np.isfinite(cut):
        raise PvcalError(f"theta_cut must be finite, got {theta_cut!r}")
    se = None if theta_se is None or not np.isfinite(theta_se) else float(theta_se)
    ci = None if theta_ci is None else [float(theta_ci[0]), float(theta_ci[1])]
    out_forms: dict[str, dict[str, Any]] = {}
    for form, ids in forms.items():
        ids = [i for i in ids if i in items.index]
        if not ids:
            raise DataError(f"form {form!r}: none of its items has parameters on the base scale")
        par = items.loc[ids]
        at = np.array([cut, cut - TCC_STEP, cut + TCC_STEP])
        tau, lo_h, hi_h = tcc(par, at, D)
        slope = (hi_h - lo_h) / (2 * TCC_STEP)
        if max_scores is not None:
            top = float(sum(float(max_scores[i]) for i in ids))
        else:
            top = float(tcc(par, [40.0], D)[0].round())
        out_forms[str(form)] = {
            "raw_pass_mark": float(tau),
            "se": None if se is None else float(slope * se),
            "ci": None if ci is None else [float(v) for v in tcc(par, ci, D)],
            "max_score": top,
            "n_items": len(ids),
        }
    from ..report.i18n import translator

    _ = translator(lang).gettext
    marks = _("; ").join(
        _("form %(form)s: %(mark)s of %(max)s points")
        % {"form": f, "mark": f"{v['raw_pass_mark']:.1f}", "max": f"{v['max_score']:g}"}
        + (_(" (SE %(se)s)") % {"se": f"{v['se']:.2f}"} if v["se"] is not None else "")
        for f, v in out_forms.items()
    )
    where = _(" (set in %(source)s)") % {"source": cuts_from} if cuts_from else ""
    unc = _(", SE %(se)s") % {"se": f"{se:.3f}"} if se is not None else ""
    if ci is not None:
        unc += _(", %(level)s interval %(lo)s to %(hi)s") % {
            "level": f"{level:.0%}",
            "lo": f"{ci[0]:.3f}",
            "hi": f"{ci[1]:.3f}",
        }
    if anchor_theta is None:
        construction = _(
            "A standard score of %(pass)s is the pass line: the standard score is "
            "%(pass)s + %(scale)s × (θ − θ_pass), anchored at the pass cut, so it reads "
            "%(pass)s in every period by construction and does not by itself say how "
            "demanding the pass line is."
        ) % {"pass": f"{pass_score:g}", "scale": f"{scale:g}"}
    else:
        construction = _(
            "The pass line is at a standard score of %(pass)s: the standard score is "
            "anchored at the fixed θ = %(anchor)s, so the pass line moves with the pass cut."
        ) % {"pass": f"{pass_score:.2f}", "anchor": f"{anchor_theta:.3f}"}
    meaning = construction + " " + _(
        "It stands for ability θ = %(cut)s%(unc)s on the base scale of %(base)s%(where)s; "
        "on this period's forms that is a raw score of about %(marks)s."
    ) % {"cut": f"{cut:.3f}", "unc": unc, "base": base_period, "where": where, "marks": marks}
    return {
        "standard_score": float(pass_score),
        "meaning": meaning,
        "theta": {
            "value": cut,
            "se": se,
            "ci": ci,
            "level": float(level),
            "base_period": str(base_period),
            "source": cuts_from or "this period's standard setting",
        },
        "forms": out_forms,
        "uncertainty": (
            "θ cut: the index's bootstrap (SD, percentile interval); raw pass marks: delta "
            "method τ'(θ_cut)·SE(θ_cut) and the θ interval mapped through each form's test "
            "characteristic curve; item parameters treated as known"
        ),
    }


def pass_line_from_step(step: Any, index: Any) -> dict[str, Any]:
    """:func:`pass_line` of a calibration step and its benchmark index.

    The cut, its bootstrap SE and interval come from the index
    (``uncertainty["cuts_se"]["Pass"]``, ``["cuts_ci"]["Pass"]``: the base
    period's when the cut is carried over); the item parameters are the step's
    on the base scale; the forms are those of the period's eligible
    applications, their items by the bank (:func:`form_item_ids`).
    """
    unc = index.uncertainty or {}
    items = step.items
    bank = step.bank
    forms = form_item_ids(bank, list(items.index), step.persons["form"].dropna().unique())
    max_scores = None
    if "max_score" in bank.columns:
        ms = pd.to_numeric(bank["max_score"], errors="coerce").reindex(items.index)
        if ms.notna().all():
            max_scores = ms.to_dict()
    return pass_line(
        items,
        forms,
        theta_cut=float(index.cuts["Pass"]),
        theta_se=(unc.get("cuts_se") or {}).get("Pass"),
        theta_ci=(unc.get("cuts_ci") or {}).get("Pass"),
        pass_score=float(index.pass_index),
        scale=float(index.conversion.scale),
        base_period=str(step.base_period),
        level=float(unc.get("level", 0.95)),
        cuts_from=str(unc.get("cuts_from", "")),
        max_scores=max_scores,
        anchor_theta=(
            None if index.conversion.anchor == "pass_cut" else float(index.conversion.anchor_theta)
        ),
        lang=getattr(getattr(step, "rules", None), "locale", "en"),
    )
