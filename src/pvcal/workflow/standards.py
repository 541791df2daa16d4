"""Set standards: how each of the period's three cuts is set (a :class:`CutPlan`)."""

from __future__ import annotations

import dataclasses
from typing import Any

from .. import rules as _rules
from ..rules import CUT_GRADES, CUTS
from .calibrate import CalibrationStep

__all__ = ["CutPlan", "plan_cuts"]


@dataclasses.dataclass(frozen=True)
class CutPlan:
    """How the three cuts of a period are set (input to ``BenchmarkIndex.estimate``).

    Attributes
    ----------
    grades : pvcal.rules.Grades
        The typed ``grades`` of the period: the rules' own, or fixed θ cuts
        (tuned, or carried over from the base period).
    inputs : dict
        Keyword inputs for ``estimate`` (``items``, ``panel``, ``bookmark``, ``judgments``).
    source : str
        ``"standard setting"``, ``"base period"`` or ``"tuned"``.
    notes : tuple of str
        Plain-language notes for the method text.
    """

    grades: _rules.Grades
    inputs: dict
    source: str
    notes: tuple = ()


def plan_cuts(step: CalibrationStep) -> CutPlan:
    """Decide how each cut of the period is set.

    - ``tuned_cuts`` in the rules (written by the threshold tuner): those θ
      cuts, fixed;
    - a period after the base period: the base period's published θ cuts
      (the base scale carries them; their uncertainty is the base period's);
    - the base period: each grade's standard-setting method from the rules,
      with the panel data it needs (Angoff ratings with the rated items,
      bookmark placements with the booklet's items, examiners' global ratings
      as judgments, missing for candidates nobody rated).

    ``tuned_cuts`` is validated with the rules at load (:mod:`pvcal.rules`).
    """
    rules = step.rules
    tuned = rules.tuned_cuts
    if tuned is not None:
        note = (
            f"Cuts set with the threshold tuner by {tuned.set_by} on {tuned.set_at}: {tuned.reason}"
        )
        t = tuned.theta
        grades = _fixed({"pass": t.pass_, "good": t.good, "excellent": t.excellent})
        return CutPlan(grades, {}, "tuned", (note,))
    if not step.is_base:
        rec = step.base_index["record"]
        grades = _fixed({c: float(rec["cuts"][g]) for c, g in zip(CUTS, CUT_GRADES, strict=True)})
        note = (
            f"Cuts carried over on the base scale from the {step.base_period} index "
            f"(index {step.base_index['index_id']}); this period is linked to it."
        )
        return CutPlan(grades, {}, "base period", (note,))
    methods = rules.grades.methods()
    panel, items = step.panel, step.items
    inputs: dict[str, Any] = {"items": items}
    if "angoff" in methods:
        inputs["panel"] = panel["angoff"]
        rated = set(panel["angoff"]["item_id"].astype(str))
        inputs["items"] = items.loc[[i for i in items.index if i in rated]]
    if "bookmark" in methods:
        inputs["bookmark"] = panel["bookmark"]
        if "angoff" not in methods and "bookmark_booklet" in panel:
            inputs["items"] = items.loc[panel["bookmark_booklet"]["item_id"].astype(str)]
    if methods & {"borderline_regression", "borderline_group", "contrasting_groups"}:
        ratings = panel["global_ratings"].groupby("application_id")["rating"].mean()
        inputs["judgments"] = ratings.reindex(step.scores.index).to_numpy(dtype=float)
    return CutPlan(rules.grades, inputs, "standard setting")


def _fixed(theta: dict[str, float]) -> _rules.Grades:
    """Typed ``grades`` fixing each cut (``pass``, ``good``, ``excellent``) at a θ."""
    block = {cut: {"method": "fixed", "theta": float(t)} for cut, t in theta.items()}
    return _rules.section(_rules.Grades, block, "grades")
