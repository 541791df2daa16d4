"""Integrity step of a publication: answer-copying and person-fit screening (Art. 14).

Runs after :func:`~pvcal.workflow.calibrate_step` in the same ``out_dir``:
:func:`pvcal.integrity.screen` on the period's eligible responses, every
ordered pair within a sitting (``site``, ``session`` of the candidate
register), with the rules' ``integrity`` settings (``alpha``, ``control``,
``min_shared_items``). It writes, pseudonymised (no raw identifier leaves the
step),

- ``integrity.json``: the screening (:class:`pvcal.integrity.Screening`) with
  every person shown by application pseudonym, keeping the flagged pairs and
  each person's strongest pair (:meth:`~pvcal.integrity.Screening.compact`);
- ``cases.json``: one record per person marked for review (application and
  candidate pseudonyms, kind, evidence), which the publishing run turns into
  integrity cases in the registry (:mod:`pvcal.publish.certify`).

Nothing is decided here: a case is evidence for a reviewer.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ..cases import case_evidence, case_kind
from ..integrity import Screening, screen
from ..serialize import dumps
from .calibrate import CalibrationStep

__all__ = ["INTEGRITY_FILE", "CASES_FILE", "IntegrityStep", "integrity_step"]

#: The published screening of a unit (pseudonymised).
INTEGRITY_FILE = "integrity.json"
#: The cases a unit opens when it is published (pseudonymised).
CASES_FILE = "cases.json"
_N_SIM = 50


@dataclasses.dataclass(frozen=True, eq=False)
class IntegrityStep:
    """The pseudonymised screening and the case records it produced.

    Attributes
    ----------
    screening : Screening or None
        Persons by application pseudonym; None when the candidate register has
        no sittings (``site``/``session``).
    cases : list of dict
        ``application``, ``candidate`` (pseudonyms), ``kind``, ``evidence``.
    """

    screening: Screening | None
    cases: list

    def summary(self) -> Any:
        """The screening's summary (or a note that there was nothing to screen)."""
        if self.screening is None:
            return "No sittings (site, session) in the candidate register: nothing screened."
        return self.screening.summary()


def integrity_step(out_dir: str | Path = ".", *, n_sim: int = _N_SIM) -> IntegrityStep:
    """Screen the period for copying and misfit; write ``integrity.json`` and ``cases.json``.

    Parameters
    ----------
    out_dir : str or Path
        The unit's folder, where :func:`~pvcal.workflow.calibrate_step` ran.
    n_sim : int, default 50
        Simulated response vectors per person for the person-fit critical
        values (at the rules' α = 0.001 the tail comes from the simulated mean
        and SD, which 50 draws estimate well; see :func:`pvcal.integrity.person_fit`).

    Returns
    -------
    IntegrityStep

    Raises
    ------
    StepError
        If the calibration step has not run in ``out_dir``.

    Notes
    -----
    θ for ω is each person's EAP under the period's own calibration; person
    fit re-estimates θ by WLE. The seed is the step's seed.
    """
    from ..pseudonym import load_key, pseudonymise

    step = CalibrationStep.load(out_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cands = step.candidates
    if not {"site", "session"} <= set(cands.columns):
        (out / CASES_FILE).write_text("[]", encoding="utf-8")
        return IntegrityStep(None, [])
    wide = step.wide
    who = cands.reindex(wide.index)[["site", "session"]]
    for col in ("period", "form"):
        if col in step.persons.columns:
            who[col] = step.persons[col].reindex(wide.index)
    cfg = step.rules.integrity
    result = screen(
        step.calibration,
        wide,
        who,
        alpha=cfg.alpha,
        control=cfg.control,
        min_shared_items=cfg.min_shared_items,
        n_sim=n_sim,
        seed=step.seed,
    )
    key = load_key()
    cache: dict[Any, str] = {}

    def pseudo(app: Any) -> str:
        if app not in cache:
            cache[app] = pseudonymise(str(app), "application", key)
        return cache[app]

    cand_ids = step.persons["candidate_id"] if "candidate_id" in step.persons else None
    cases = []
    for person, row in result.review.iterrows():
        raw_cand = cand_ids.get(person) if cand_ids is not None else None
        cases.append(
            {
                "application": pseudo(person),
                "candidate": None
                if raw_cand is None
                else pseudonymise(str(raw_cand), "candidate", key),
                "kind": case_kind(row),
                "evidence": case_evidence(result, person, pseudonym=pseudo, responses=wide),
            }
        )
    published = result.compact().relabel(pseudo)
    (out / INTEGRITY_FILE).write_text(published.to_json(), encoding="utf-8")
    (out / CASES_FILE).write_text(dumps(cases), encoding="utf-8")
    return IntegrityStep(published, cases)
