"""Diagnose: domain profiles, training advice and feedback pages (``publish_index``).

Art. 4 and 17: every published result goes back to the candidate with a
diagnosis and targeted training.  :func:`diagnosis_step` profiles the period's
eligible applications on the base scale against the pass cut of the index
(rules ``diagnosis``: level, min_items, method, modules), keeps per application
the record stored with its result (``detail["diagnosis"]``), and writes the
cohort's tables; :func:`write_feedback` writes one page per new result into
``<out_dir>/feedback/<pseudonym>.html`` (``reports/<discipline>/<period>/feedback``
once published).  Everything written is keyed by pseudonyms, never raw ids.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from .._validation import DataError, DataWarning
from ..diagnosis import Diagnosis, diagnose, subscore_value, training_demand
from .calibrate import CalibrationStep

__all__ = [
    "DIAGNOSIS_FILE",
    "DiagnosisStep",
    "diagnosis_step",
    "load_diagnosis",
    "write_feedback",
]

#: The published cohort diagnosis (pseudonymised :class:`~pvcal.diagnosis.Diagnosis`).
DIAGNOSIS_FILE = "diagnosis.json"


@dataclasses.dataclass(frozen=True, eq=False)
class DiagnosisStep:
    """The period's diagnosis, keyed by application pseudonyms.

    Attributes
    ----------
    diagnosis : Diagnosis or None
        Domain profiles (``person`` = application pseudonym); None when the
        item bank has no domains.
    recommendations : DataFrame or None
        Weak domains -> training modules (:func:`pvcal.diagnosis.recommend`).
    subscores : DataFrame or None
        Haberman's subscore value by form (None when a form has too few items
        a domain).
    records : dict
        Pseudonym -> the diagnosis record stored with the result.
    """

    diagnosis: Any
    recommendations: Any
    subscores: Any
    records: dict

    def demand(self, candidates: pd.DataFrame | None = None, by: Any = None) -> pd.DataFrame:
        """Training demand (candidates per module), optionally by register columns."""
        if self.recommendations is None:
            return pd.DataFrame(columns=["module_code", "module", "candidates", "hours"])
        return training_demand(self.recommendations, candidates, by)


def _modules(step: CalibrationStep) -> Any:
    rules_modules = step.rules.diagnosis.modules
    if rules_modules:
        return rules_modules
    if "training_module" in step.bank.columns:
        return step.bank
    return None


def diagnosis_step(
    step: CalibrationStep, cut: float, pseudonyms: pd.Series, out_dir: str | Path | None = None
) -> DiagnosisStep:
    """Profile every eligible application of the period against the θ pass cut.

    Parameters
    ----------
    step : CalibrationStep
        The period's calibration; its calibration on the base scale
        (``step.on_base``) gives the item parameters and the prior.
    cut : float
        The index's θ pass cut on the base scale.
    pseudonyms : Series
        Application id -> pseudonym for the applications of ``step.wide``.
    out_dir : str or Path, optional
        Writes :data:`DIAGNOSIS_FILE` there.

    Returns
    -------
    DiagnosisStep

    Raises
    ------
    DataError
        An application without a pseudonym.
    """
    bank = step.bank
    if "domain" not in bank.columns or bank["domain"].isna().all():
        return DiagnosisStep(None, None, None, {})
    wide = step.wide
    missing = wide.index.difference(pseudonyms.index)
    if len(missing):
        raise DataError(f"{len(missing)} application(s) have no pseudonym for the diagnosis")
    settings = step.rules.diagnosis
    domains = bank["domain"].reindex(wide.columns)
    diag = diagnose(
        step.on_base,
        wide,
        domains,
        cut,
        level=settings.level,
        min_items=settings.min_items,
        method=settings.method,
    )
    to_p = pseudonyms.reindex(wide.index)
    diag = dataclasses.replace(
        diag, profile=diag.profile.assign(person=diag.profile["person"].map(to_p))
    )
    modules = _modules(step)
    rec = diag.recommend(modules) if modules is not None else None
    subscores = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            subscores = subscore_value(wide, domains, by=step.persons["form"].reindex(wide.index))
    except DataError:
        subscores = None  # a form with fewer than two items in some domain
    if out_dir is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        diag.to_json(Path(out_dir) / DIAGNOSIS_FILE)
    return DiagnosisStep(diag, rec, subscores, diag.records(rec))


def write_feedback(
    out_dir: str | Path,
    step: CalibrationStep,
    diagnosis: DiagnosisStep,
    results: pd.DataFrame,
    *,
    title: str,
    lang: str | None = None,
) -> list[Path]:
    """One feedback page per result: ``<out_dir>/feedback/<pseudonym>.html``.

    Parameters
    ----------
    out_dir : str or Path
        The period's report folder (``reports/<discipline>/<period>`` once
        published).
    step : CalibrationStep
    diagnosis : DiagnosisStep
    results : DataFrame
        The results to publish (``application`` pseudonym, ``form``,
        ``standard_score``, ``grade``, ``raw_score``, ``max_score``).
    title : str
    lang : str, optional
        Page language (rules ``locale``).

    Returns
    -------
    list of Path
    """
    from ..report.feedback import write_feedback_pages

    if diagnosis.diagnosis is None or len(results) == 0:
        return []
    items = step.on_base.parameters
    forms = step.bank["forms"].astype(str).str.split(";") if "forms" in step.bank else None
    form_items = {}
    for form in results["form"].astype(str).unique():
        ids = [
            i for i in items.index if forms is None or i not in forms.index or form in forms.loc[i]
        ]
        form_items[form] = items.loc[ids]
    frame = results.set_index("application", drop=False).rename(
        columns={"application": "pseudonym"}
    )
    return write_feedback_pages(
        out_dir,
        period=step.period,
        title=title,
        results=frame,
        diagnosis=diagnosis.diagnosis,
        form_items=form_items,
        recommendations=diagnosis.recommendations,
        lang=lang,
    )


def load_diagnosis(out_dir: str | Path) -> Diagnosis | None:
    """The published cohort diagnosis of a period folder, if any."""
    path = Path(out_dir) / DIAGNOSIS_FILE
    return Diagnosis.from_json(path) if path.is_file() else None
