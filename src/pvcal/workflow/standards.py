"""Set standards: how each of the period's three cuts is set (a :class:`CutPlan`)."""

from __future__ import annotations

import dataclasses
from typing import Any

from .calibrate import CalibrationStep

__all__ = ["CutPlan", "plan_cuts"]

_CUT_KEYS = {"pass": "Pass", "good": "Good", "excellent": "Excellent"}


@dataclasses.dataclass(frozen=True)
class CutPlan:
    """How the three cuts of a period are set (input to ``BenchmarkIndex.estimate``).

    Attributes
    ----------
    grades : dict
        The ``grades:`` block for :func:`pvcal.standards.set_cuts`.
    inputs : dict
        Keyword inputs for ``estimate`` (``items``, ``panel``, ``bookmark``, ``judgments``).
    source : str
        ``"standard setting"``, ``"base period"`` or ``"tuned"``.
    notes : tuple of str
        Plain-language notes for the method text.
    """

    grades: dict
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

    Raises
    ------
    SchemaError
        Malformed ``tuned_cuts``.
    """
    from .._validation import SchemaError

    rules = step.rules
    tuned = rules.raw.get("tuned_cuts")
    if tuned:
        theta = tuned.get("theta") if isinstance(tuned, dict) else None
        if not isinstance(theta, dict) or set(theta) != set(_CUT_KEYS):
            raise SchemaError(
                f"{rules.file}: tuned_cuts.theta must give pass, good and excellent, got {theta!r}"
            )
        note = (
            f"Cuts set with the threshold tuner by {tuned.get('set_by', '?')} on "
            f"{tuned.get('set_at', '?')}: {tuned.get('reason', '')}"
        )
        grades = {_CUT_KEYS[k]: {"method": "fixed", "theta": float(v)} for k, v in theta.items()}
        return CutPlan(grades, {}, "tuned", (note,))
    if not step.is_base:
        rec = step.base_index["record"]
        grades = {
            g: {"method": "fixed", "theta": float(rec["cuts"][g])} for g in _CUT_KEYS.values()
        }
        note = (
            f"Cuts carried over on the base scale from the {step.base_period} index "
            f"(index {step.base_index['index_id']}); this period is linked to it."
        )
        return CutPlan(grades, {}, "base period", (note,))
    methods = {spec["method"] for spec in rules.grades.values()}
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
    return CutPlan(dict(rules.grades), inputs, "standard setting")
