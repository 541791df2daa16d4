"""Calibrate: the period's calibration and scores on the base scale (``calibrate.ipynb``).

The base period is calibrated and fixes the θ scale; a later period is
calibrated on its own and linked onto the base scale through the anchor items
(:mod:`~pvcal.workflow.link`).  :class:`CalibrationStep` holds the result and
hands it to the next steps as JSON (:mod:`~pvcal.workflow.handover`).
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

from ..pseudonym import scrub
from ..rules import Rules
from ..serialize import dumps, frame_from_json, frame_to_json, loads
from .handover import (
    CALIBRATION_FILE,
    DEFAULT_SEED,
    LINKING_FILE,
    WORK_DIR,
    StepError,
    StepRecord,
)
from .link import base_index_of, link_to_base
from .load import PeriodData, input_files, load_period

__all__ = ["CalibrationStep", "calibrate_period", "calibrate_step", "item_fit_by_form"]

# internal hand-over files under WORK_DIR
_OWN_CALIBRATION, _ITEMS, _SCORES, _ITEM_FIT = (
    "calibration.json",
    "items.json",
    "scores.json",
    "item_fit.json",
)


@dataclasses.dataclass(frozen=True, eq=False)
class CalibrationStep:
    """What ``calibrate.ipynb`` produces for one discipline and period.

    The period's data (rules, item bank, responses, register, panel, peer
    results) are reachable as attributes of the step (``step.rules``,
    ``step.wide``, ...; see :class:`~pvcal.workflow.load.PeriodData`).

    Attributes
    ----------
    data : PeriodData
        The period's validated data (eligible applications only).
    calibration : Calibration
        The period's own calibration (the base scale for the base period).
    items : DataFrame
        Item parameters on the base scale.
    linking : Linking or None
        The link onto the base scale (None for the base period).
    scores : DataFrame
        EAP ``theta`` and ``se`` on the base scale, indexed by application.
    item_fit : DataFrame or None
        S-X2 item fit of the period's calibration.
    base_index : dict or None
        The registry row of the base period's current index (later periods),
        without its calibration.
    seed : int
    warnings : tuple of (str, str)
        Data warnings (category, message), identifiers pseudonymised.
    inputs : dict
        SHA-256 of the discipline folder's input files when calibrated.
    """

    data: PeriodData
    calibration: Any
    items: Any
    linking: Any
    scores: Any
    item_fit: Any
    base_index: dict | None
    seed: int
    warnings: tuple = ()
    inputs: dict = dataclasses.field(default_factory=dict)

    # the period's data, as attributes of the step
    discipline = property(lambda self: self.data.discipline)
    period = property(lambda self: self.data.period)
    base_period = property(lambda self: self.data.base_period)
    rules = property(lambda self: self.data.rules)
    bank = property(lambda self: self.data.bank)
    wide = property(lambda self: self.data.wide)
    persons = property(lambda self: self.data.persons)
    candidates = property(lambda self: self.data.candidates)
    eligibility = property(lambda self: self.data.eligibility)
    panel = property(lambda self: self.data.panel)
    peer = property(lambda self: self.data.peer)

    @property
    def is_base(self) -> bool:
        """True for the base period (its calibration fixes the scale)."""
        return self.data.is_base

    @property
    def on_base(self) -> Any:
        """The period's calibration on the base scale (the published ``calibration.json``)."""
        return self.calibration if self.linking is None else self.linking.rescale(self.calibration)

    @property
    def record(self) -> StepRecord:
        """The step's :class:`~pvcal.workflow.handover.StepRecord`."""
        from .. import __version__

        return StepRecord(
            discipline=self.discipline,
            period=self.period,
            base_period=self.base_period,
            data_dir=str(Path(self.data.folder).resolve()),
            seed=int(self.seed),
            inputs=dict(self.inputs),
            base_index=self.base_index,
            warnings=tuple(self.warnings),
            pvcal_version=__version__,
        )

    def save(self, out_dir: str | Path) -> None:
        """Write the step's results as JSON for the next steps (and the published files).

        ``calibration.json`` (on the base scale) and ``linking.json`` are
        published; the rest goes to ``work/`` (see :mod:`~pvcal.workflow.handover`).
        """
        out = Path(out_dir)
        work = out / WORK_DIR
        work.mkdir(parents=True, exist_ok=True)
        if self.linking is not None:
            (out / LINKING_FILE).write_text(self.linking.to_json(), encoding="utf-8")
        (out / CALIBRATION_FILE).write_text(self.on_base.to_json(), encoding="utf-8")
        (work / _OWN_CALIBRATION).write_text(self.calibration.to_json(), encoding="utf-8")
        (work / _ITEMS).write_text(dumps(frame_to_json(self.items)), encoding="utf-8")
        (work / _SCORES).write_text(dumps(frame_to_json(self.scores)), encoding="utf-8")
        if self.item_fit is not None:
            (work / _ITEM_FIT).write_text(dumps(frame_to_json(self.item_fit)), encoding="utf-8")
        self.record.save(out)

    @classmethod
    def load(cls, out_dir: str | Path) -> CalibrationStep:
        """Read the step :meth:`save` wrote; the period's data are loaded again.

        Raises
        ------
        StepError
            If ``calibrate.ipynb`` has not run in ``out_dir``, or the discipline
            folder's input files changed since it ran.
        """
        from ..equating.linking import Linking
        from ..irt import Calibration

        out = Path(out_dir)
        work = out / WORK_DIR
        record = StepRecord.load(out)
        now = input_files(record.data_dir)
        if now != record.inputs:
            changed = sorted(set(now.items()) ^ set(record.inputs.items()))
            raise StepError(
                f"{record.data_dir}: input files changed since calibrate.ipynb ran "
                f"({', '.join(sorted({name for name, _ in changed}))}); run it again"
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # raised and recorded by the calibrate step
            data = load_period(record.data_dir, record.period)
        link_file = out / LINKING_FILE
        fit_file = work / _ITEM_FIT
        return cls(
            data=data,
            calibration=Calibration.from_json((work / _OWN_CALIBRATION).read_text("utf-8")),
            items=_frame(work / _ITEMS),
            linking=Linking.from_json(link_file.read_text("utf-8"))
            if link_file.is_file()
            else None,
            scores=_frame(work / _SCORES),
            item_fit=_frame(fit_file) if fit_file.is_file() else None,
            base_index=record.base_index,
            seed=record.seed,
            warnings=record.warnings,
            inputs=record.inputs,
        )


def _frame(path: Path) -> Any:
    return frame_from_json(loads(path.read_text(encoding="utf-8")))


def _model_spec(rules: Rules, bank: Any, columns: Any) -> Any:
    if rules.model != "mixed":
        return rules.model
    return {item: str(bank.loc[item, "model"]) for item in columns}


def calibrate_period(data: PeriodData) -> Any:
    """Calibrate the period's eligible responses with the rules' item model.

    ``model: mixed`` takes each item's model from the item bank.

    Returns
    -------
    Calibration
        On the period's own scale (:func:`pvcal.calibrate`).
    """
    from ..irt import calibrate

    return calibrate(data.wide, model=_model_spec(data.rules, data.bank, data.wide.columns))


def calibrate_step(
    data_dir: str | Path,
    period: str,
    *,
    registry: str | Path | None = None,
    out_dir: str | Path = ".",
    seed: int = DEFAULT_SEED,
    item_fit: bool = True,
) -> CalibrationStep:
    """Load and validate a discipline, calibrate a period and put it on the base scale.

    The base period is calibrated and fixes the θ scale.  A later period is
    calibrated on its own and linked onto the base scale through the anchor
    items with the rules' linking method (anchors screened for drift by the
    rules' statistic); its base calibration is the one published in the
    registry with the base period's current index.  Ineligible applications
    (Art. 6) are not calibrated or scored.

    Parameters
    ----------
    data_dir : str or Path
        The discipline folder.
    period : str
    registry : str or Path, optional
        The registry file (needed for periods after the base period).
    out_dir : str or Path, default "."
        Writes ``calibration.json`` (the calibration on the base scale), for
        a linked period ``linking.json``, and the hand-over files in ``work/``
        (:meth:`CalibrationStep.save`).
    seed : int
    item_fit : bool, default True
        Compute S-X2 item fit.

    Returns
    -------
    CalibrationStep

    Raises
    ------
    DataError, SchemaError
        Bad input (from :func:`pvcal.data.load_discipline`).
    PvcalError
        Unknown period; a later period without a published base calibration.
    """
    from ..irt import Calibration

    inputs = input_files(data_dir)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_period(data_dir, period)
        cal = calibrate_period(data)
        base_index, linking = None, None
        if data.is_base:
            items, scores = cal.items, cal.score(data.wide)
        else:
            base_index = base_index_of(data, registry)
            linking = link_to_base(data, cal, Calibration.from_json(base_index["calibration"]))
            items, scores = linking.transform(cal, persons=cal.score(data.wide))
            base_index = {k: v for k, v in base_index.items() if k != "calibration"}
        fit = item_fit_by_form(cal, data.wide, data.persons) if item_fit else None
    step = CalibrationStep(
        data=data,
        calibration=cal,
        items=items,
        linking=linking,
        scores=scores,
        item_fit=fit,
        base_index=base_index,
        seed=int(seed),
        warnings=_scrubbed(caught, data) if caught else (),
        inputs=inputs,
    )
    step.save(out_dir)
    return step


def _scrubbed(caught: list, data: PeriodData) -> tuple[tuple[str, str], ...]:
    """Warnings as (category, message) with raw identifiers replaced by pseudonyms."""
    from ..pseudonym import load_key, pseudonymise

    key = load_key()
    c = data.candidates
    mapping = {str(a): pseudonymise(a, "application", key) for a in c.index}
    mapping.update({str(v): pseudonymise(v, "candidate", key) for v in c["candidate_id"]})
    seen = dict.fromkeys((w.category.__name__, scrub(str(w.message), mapping)) for w in caught)
    return tuple(seen)


def item_fit_by_form(cal: Any, wide: Any, persons: Any) -> Any:
    """S-X2 per form on the persons who answered every item of their form.

    Forms with fewer than 50 complete responders are left out.

    Returns
    -------
    DataFrame or None
        :func:`pvcal.irt.fit.s_x2` rows with ``form`` and ``n_complete``;
        None when no form has enough complete responders.
    """
    import pandas as pd

    from ..irt.fit import s_x2

    nodes, weights = cal.quadrature
    frames = []
    for form, idx in persons.groupby("form", sort=True).groups.items():
        block = wide.loc[idx]
        block = block.loc[:, block.notna().any()]
        block = block.loc[block.notna().all(axis=1)]
        if len(block) < 50:
            continue
        fit = s_x2(cal.parameters.loc[block.columns], block, nodes=nodes, weights=weights)
        frames.append(fit.assign(form=str(form), n_complete=len(block)))
    return pd.concat(frames) if frames else None
