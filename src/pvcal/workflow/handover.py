"""How the workflow steps hand their results to each other, and the published file names.

Each step reads what the one before left in ``out_dir`` and writes its own
results there, as the results' own JSON (never pickles):

=============================  ==========================================================
``calibration.json``           :class:`~pvcal.Calibration` on the base scale (published)
``linking.json``               :class:`~pvcal.Linking` onto the base scale (published;
                               later periods only)
``work/step.json``             :class:`StepRecord`: what was calibrated, from which data
``work/calibration.json``      the period's own :class:`~pvcal.Calibration`
``work/items.json``            item parameters on the base scale (a frame)
``work/scores.json``           EAP θ and SE on the base scale, by application (raw ids)
``work/item_fit.json``         S-X² item fit (a frame; absent when not computed)
``work/index.json``            the period's :class:`~pvcal.BenchmarkIndex`
``index.json``, ``results.*``  the published records (pseudonymised)
=============================  ==========================================================

``work/`` is internal (it may hold raw identifiers) and never published.  The
responses, register and panel data are not copied: a later step loads them
again from the discipline folder (:func:`~pvcal.workflow.load.load_period`)
after checking, by the files' SHA-256 kept in the :class:`StepRecord`, that
they did not change in between.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from .._validation import PvcalError
from ..serialize import check_record, dumps, loads_record

__all__ = [
    "WORK_DIR",
    "INDEX_FILE",
    "RESULTS_FILE",
    "CALIBRATION_FILE",
    "LINKING_FILE",
    "STEP_FILE",
    "DEFAULT_SEED",
    "StepError",
    "StepRecord",
]

#: The steps' internal hand-over folder under ``out_dir`` (never published).
WORK_DIR = "work"
#: Files a discipline unit's steps leave in their output folder.
INDEX_FILE, RESULTS_FILE, CALIBRATION_FILE = "index.json", "results.json", "calibration.json"
LINKING_FILE = "linking.json"
#: The calibrate step's record, under ``WORK_DIR``.
STEP_FILE = "step.json"
#: Seed of every random step unless the run gives one.
DEFAULT_SEED = 20250601


class StepError(PvcalError):
    """A workflow step cannot run (e.g. the step before it has not run in ``out_dir``)."""


@dataclasses.dataclass(frozen=True)
class StepRecord:
    """What the calibrate step calibrated, and from which data (``work/step.json``).

    Attributes
    ----------
    discipline, period, base_period : str
    data_dir : str
        The discipline folder (absolute).
    seed : int
        Seed of every random step of the unit.
    inputs : dict
        File name -> SHA-256 of the folder's input files when calibrated
        (:func:`~pvcal.workflow.load.input_files`).
    base_index : dict or None
        The registry row of the base period's current index, without its
        calibration (later periods only).
    warnings : tuple of (str, str)
        Data warnings raised while calibrating (category, message), raw
        identifiers replaced by pseudonyms.
    pvcal_version : str
        The pvcal that wrote the record.
    """

    discipline: str
    period: str
    base_period: str
    data_dir: str
    seed: int
    inputs: dict[str, str]
    base_index: dict[str, Any] | None = None
    warnings: tuple[tuple[str, str], ...] = ()
    pvcal_version: str = ""

    KIND = "StepRecord"

    def to_json(self) -> str:
        """Canonical JSON (:func:`pvcal.serialize.dumps`); :meth:`from_json` reads it back."""
        return dumps({"pvcal_type": self.KIND, "version": 1, **dataclasses.asdict(self)})

    @classmethod
    def from_json(cls, text: str) -> StepRecord:
        """Rebuild a record from :meth:`to_json` text.

        Raises
        ------
        SchemaError
            Not a StepRecord JSON record.
        """
        d = loads_record(text, cls.KIND)
        names = [f.name for f in dataclasses.fields(cls)]
        check_record(d, cls.KIND, tuple(names[:6]))
        return cls(
            discipline=str(d["discipline"]),
            period=str(d["period"]),
            base_period=str(d["base_period"]),
            data_dir=str(d["data_dir"]),
            seed=int(d["seed"]),
            inputs={str(k): str(v) for k, v in d["inputs"].items()},
            base_index=d.get("base_index"),
            warnings=tuple((str(c), str(m)) for c, m in d.get("warnings") or ()),
            pvcal_version=str(d.get("pvcal_version", "")),
        )

    def save(self, out_dir: str | Path) -> Path:
        """Write ``<out_dir>/work/step.json``; returns its path."""
        path = Path(out_dir) / WORK_DIR / STEP_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def load(cls, out_dir: str | Path) -> StepRecord:
        """Read ``<out_dir>/work/step.json``.

        Raises
        ------
        StepError
            If the calibrate step has not run in ``out_dir``.
        """
        path = Path(out_dir) / WORK_DIR / STEP_FILE
        if not path.is_file():
            raise StepError(f"{path} not found: run calibrate.ipynb first (same out_dir)")
        return cls.from_json(path.read_text(encoding="utf-8"))
