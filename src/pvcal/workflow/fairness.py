"""Fairness step of a publication: DIF of every item for each grouping (Art. 19).

Runs after :func:`~pvcal.workflow.calibrate_step` in the same ``out_dir``:
:func:`pvcal.dif.screen` on the period's eligible responses, form by form, for
the rules' ``dif.groupings`` (candidate register columns), and writes the
published ``dif.json`` (item ids, group labels and statistics only: no person
appears).  Items classed C go to review; nothing is removed automatically.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd

from ..dif import DifScreen, screen
from .calibrate import CalibrationStep

__all__ = ["DIF_FILE", "FairnessStep", "dif_step"]

#: The published DIF file of a unit.
DIF_FILE = "dif.json"


@dataclasses.dataclass(frozen=True, eq=False)
class FairnessStep:
    """The DIF screen with the (internal) data its plots need.

    Attributes
    ----------
    screen : DifScreen
        Published as ``dif.json``.
    wide : DataFrame
        Eligible responses (raw ids; internal, never published).
    persons : DataFrame
        ``form`` and the grouping columns of ``wide``'s persons (internal).
    """

    screen: DifScreen
    wide: pd.DataFrame
    persons: pd.DataFrame

    def plot(self, row: Any = None, ax=None):
        """Conditional proportions correct of a flagged row (:meth:`DifScreen.plot`)."""
        return self.screen.plot(self.wide, self.persons, row=row, ax=ax)


def dif_step(out_dir: str | Path = ".") -> FairnessStep:
    """Screen the period's items for DIF and write ``dif.json`` into ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        The unit's folder, where :func:`~pvcal.workflow.calibrate_step` ran.

    Returns
    -------
    FairnessStep

    Raises
    ------
    StepError
        If the calibration step has not run in ``out_dir``.

    Notes
    -----
    Settings from the rules' ``dif`` section: ``groupings`` (default gender,
    region, employer), ``min_group`` (100) and ``alpha`` (0.05); the MH
    statistics are continuity corrected and purified (:func:`pvcal.dif.screen`).
    """
    step = CalibrationStep.load(out_dir)
    cfg = step.rules.dif
    cols = [g for g in cfg.groupings if g in step.candidates.columns]
    persons = step.persons[["form"]].join(step.candidates[cols])
    result = screen(
        step.wide,
        persons,
        cfg.groupings,
        min_group=cfg.min_group,
        alpha=cfg.alpha,
        discipline=step.discipline,
        period=step.period,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / DIF_FILE).write_text(result.to_json(), encoding="utf-8")
    return FairnessStep(result, step.wide, persons)
