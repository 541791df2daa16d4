"""Calibrate and link: the period's calibration on the base scale (``calibrate.ipynb``).

The base period is calibrated and fixes the θ scale; a later period is
calibrated on its own and linked onto the base scale through the anchor items.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

from .._validation import PvcalError
from ..registry import Registry
from ..report.pseudonym import scrub
from .handover import CALIBRATION_FILE, DEFAULT_SEED, WORK_DIR, StepError

__all__ = ["CalibrationStep", "calibrate_step"]


@dataclasses.dataclass(frozen=True, eq=False)
class CalibrationStep:
    """What ``calibrate.ipynb`` produces for one discipline and period.

    Attributes
    ----------
    discipline, period, base_period : str
    rules : pvcal.data.Rules
    bank : DataFrame
        The discipline's item bank.
    wide : DataFrame
        Responses of the eligible applications of the period (raw ids; internal).
    persons : DataFrame
        Person metadata of ``wide`` (candidate_id, form, ...).
    candidates : DataFrame
        The period's candidate register rows (study hours, region, employer).
    eligibility : DataFrame
        The period's eligibility (Art. 6), every application.
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
    panel : dict
        Panel judgement frames.
    peer : DataFrame or None
        Peer-comparison results of the period.
    base_index : dict or None
        The registry row of the base period's current index (later periods).
    seed : int
    """

    discipline: str
    period: str
    base_period: str
    rules: Any
    bank: Any
    wide: Any
    persons: Any
    candidates: Any
    eligibility: Any
    calibration: Any
    items: Any
    linking: Any
    scores: Any
    item_fit: Any
    panel: dict
    peer: Any
    base_index: dict | None
    seed: int
    warnings: tuple = ()

    @property
    def is_base(self) -> bool:
        """True for the base period (its calibration fixes the scale)."""
        return self.period == self.base_period

    def save(self, out_dir: str | Path) -> None:
        """Keep the step for the next notebooks (``work/calibrate.pkl``)."""
        import pickle

        path = Path(out_dir) / WORK_DIR / "calibrate.pkl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(self))

    @classmethod
    def load(cls, out_dir: str | Path) -> CalibrationStep:
        """Read the step saved by :meth:`save`.

        Raises
        ------
        StepError
            If ``calibrate.ipynb`` has not run in ``out_dir``.
        """
        import pickle

        path = Path(out_dir) / WORK_DIR / "calibrate.pkl"
        if not path.is_file():
            raise StepError(f"{path} not found: run calibrate.ipynb first (same out_dir)")
        return pickle.loads(path.read_bytes())


def _model_spec(rules: Any, bank: Any, columns: Any) -> Any:
    if rules.model != "mixed":
        return rules.model
    return {item: str(bank.loc[item, "model"]) for item in columns}


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
        Writes ``calibration.json`` (the calibration on the base scale) and, for
        a linked period, ``linking.json`` there.
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
    out = Path(out_dir)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        step = _calibrate(data_dir, period, registry, int(seed), item_fit)
    if caught:
        step = dataclasses.replace(step, warnings=_scrubbed(caught, step))
    out.mkdir(parents=True, exist_ok=True)
    on_base = step.calibration
    if step.linking is not None:
        on_base = step.linking.rescale(step.calibration)
        (out / "linking.json").write_text(step.linking.to_json(), encoding="utf-8")
    (out / CALIBRATION_FILE).write_text(on_base.to_json(), encoding="utf-8")
    step.save(out)
    return step


def _scrubbed(caught: list, step: CalibrationStep) -> tuple[tuple[str, str], ...]:
    """Warnings as (category, message) with raw identifiers replaced by pseudonyms."""
    from ..report.pseudonym import load_key, pseudonymise

    key = load_key()
    c = step.candidates
    mapping = {str(a): pseudonymise(a, "application", key) for a in c.index}
    mapping.update({str(v): pseudonymise(v, "candidate", key) for v in c["candidate_id"]})
    seen = dict.fromkeys((w.category.__name__, scrub(str(w.message), mapping)) for w in caught)
    return tuple(seen)


def _calibrate(
    data_dir: str | Path, period: str, registry: str | Path | None, seed: int, item_fit: bool
) -> CalibrationStep:
    from .. import data as _data
    from ..equating.linking import link
    from ..irt import Calibration, calibrate

    d = _data.load_discipline(data_dir)
    rules = d.rules
    if period not in rules.periods:
        raise PvcalError(
            f"{d.folder / 'rules.yml'}: period {period!r} is not one of {rules.periods}"
        )
    resp = d.responses.subset(period=period)
    elig_all = d.eligibility()
    cands = d.candidates[d.candidates["period"].astype(str) == period]
    elig = elig_all.loc[elig_all.index.isin(cands.index)]
    ok = elig["eligible"].reindex(resp.wide.index).fillna(False).astype(bool).to_numpy()
    wide = resp.wide.loc[ok]
    wide = wide.loc[:, wide.notna().any()]
    if len(wide) < 2:
        raise PvcalError(f"{d.name} {period}: fewer than 2 eligible applications with responses")
    persons = resp.persons.loc[wide.index]
    cal = calibrate(wide, model=_model_spec(rules, d.items, wide.columns))
    base_index, linking = None, None
    if period == rules.base_period:
        items, scores = cal.items, cal.score(wide)
    else:
        if registry is None:
            raise PvcalError(f"{d.name} {period}: the registry is needed to find the base scale")
        with Registry(registry) as reg:
            base_index = reg.current_index(d.name, rules.base_period)
        if base_index is None or not base_index.get("calibration"):
            raise PvcalError(
                f"{d.name}: no published base calibration for {rules.base_period}; "
                f"publish the base period before {period}"
            )
        base_cal = Calibration.from_json(base_index["calibration"])
        anchors = rules.anchors or {}
        drift = anchors.get("drift") or {}
        statistic = str(drift.get("statistic", "robust_z")).replace("_", "-")
        linking = link(
            base_cal,
            cal,
            method=anchors.get("linking", "stocking-lord"),
            screen=statistic if drift else None,
            screen_threshold=drift.get("threshold"),
        )
        items, scores = linking.transform(cal, persons=cal.score(wide))
    fit = _item_fit_by_form(cal, wide, persons) if item_fit else None
    peer = d.peer
    if peer is not None:
        peer = peer[peer["period"].astype(str) == period]
    return CalibrationStep(
        discipline=d.name,
        period=period,
        base_period=rules.base_period,
        rules=rules,
        bank=d.items,
        wide=wide,
        persons=persons,
        candidates=cands,
        eligibility=elig,
        calibration=cal,
        items=items,
        linking=linking,
        scores=scores,
        item_fit=fit,
        panel=dict(d.panel),
        peer=peer,
        base_index=base_index,
        seed=int(seed),
    )


def _item_fit_by_form(cal: Any, wide: Any, persons: Any) -> Any:
    """S-X2 per form on the persons who answered every item of their form."""
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
