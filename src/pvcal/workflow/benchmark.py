"""Estimate the index: the period's benchmark index from its cut plan (``threshold_setting``)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from .calibrate import CalibrationStep
from .handover import INDEX_FILE, WORK_DIR
from .standards import CutPlan, plan_cuts

__all__ = ["SettingStep", "estimate_index", "standard_setting_step"]


def _linking_record(step: CalibrationStep) -> dict[str, Any] | None:
    lk = step.linking
    if lk is None:
        return None
    return {
        "A": float(lk.A),
        "B": float(lk.B),
        "method": lk.method,
        "base": step.base_period,
        "base_index_id": int(step.base_index["index_id"]),
        "anchors": [str(a) for a in lk.anchors],
        "excluded": [str(a) for a in lk.excluded],
    }


def estimate_index(
    step: CalibrationStep, plan: CutPlan | None = None, *, n_boot: int = 1000
) -> Any:
    """The period's :class:`~pvcal.index.BenchmarkIndex` from a cut plan.

    Cuts carried over from the base period keep the base period's
    uncertainty; the pass rate and its uncertainty are always this period's.
    """
    from ..index import BenchmarkIndex

    plan = plan_cuts(step) if plan is None else plan
    rules = step.rules.model_copy(update={"grades": plan.grades})  # the plan's cuts
    region = step.candidates["region"].reindex(step.scores.index).astype(str).to_numpy()
    index = BenchmarkIndex.estimate(
        rules,
        theta=step.scores,
        groups=region,
        discipline=step.discipline,
        period=step.period,
        linking=_linking_record(step),
        n_boot=n_boot,
        seed=step.seed,
        **plan.inputs,
    )
    methods = json.loads(json.dumps(index.methods))
    unc = json.loads(json.dumps(index.uncertainty))
    if plan.source == "base period":
        base = step.base_index["record"]
        for key in ("cuts_se", "cuts_ci", "pass_index_se", "pass_index_ci"):
            unc[key] = base["uncertainty"][key]
        unc["cuts_from"] = f"base period {step.base_period} (index {step.base_index['index_id']})"
        for g in methods:
            carried = base["methods"].get(g) or {}
            methods[g]["carried_from"] = carried
            methods[g]["method"] = f"{carried.get('method', '?')} ({step.base_period})"
    if plan.source == "tuned":
        for g in methods:
            methods[g]["method"] = "tuned"
    unc["notes"] = list(plan.notes)
    return dataclasses.replace(index, methods=methods, uncertainty=unc)


@dataclasses.dataclass(frozen=True, eq=False)
class SettingStep:
    """What ``threshold_setting.ipynb`` produces: the plan and the period's index."""

    calibration: CalibrationStep
    plan: CutPlan
    index: Any

    def tuner(self) -> Any:
        """A :class:`pvcal.report.tuner.CutTuner` seeded with this period's cuts."""
        from ..report.tuner import CutTuner

        return CutTuner.from_step(self)


def standard_setting_step(out_dir: str | Path = ".", *, n_boot: int = 1000) -> SettingStep:
    """Set the period's cuts and estimate its benchmark index (``work/index.json``).

    Parameters
    ----------
    out_dir : str or Path
        Where ``calibrate.ipynb`` ran.
    n_boot : int, default 1000
        Bootstrap replicates for the uncertainty of the cuts and pass rate.

    Returns
    -------
    SettingStep
    """
    step = CalibrationStep.load(out_dir)
    plan = plan_cuts(step)
    index = estimate_index(step, plan, n_boot=n_boot)
    path = Path(out_dir) / WORK_DIR / INDEX_FILE
    path.write_text(index.to_json(), encoding="utf-8")
    return SettingStep(step, plan, index)
