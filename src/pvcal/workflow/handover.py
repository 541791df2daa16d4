"""How the workflow steps hand their results to each other, and the published file names.

Each step reads what the one before left in ``<out_dir>/work/`` (internal, may
hold raw identifiers, never published) and writes published files
(pseudonymised) into ``out_dir``.
"""

from __future__ import annotations

from .._validation import PvcalError

__all__ = [
    "WORK_DIR",
    "INDEX_FILE",
    "RESULTS_FILE",
    "CALIBRATION_FILE",
    "DEFAULT_SEED",
    "StepError",
]

#: The steps' internal hand-over folder under ``out_dir`` (never published).
WORK_DIR = "work"
#: Files a discipline unit's steps leave in their output folder.
INDEX_FILE, RESULTS_FILE, CALIBRATION_FILE = "index.json", "results.json", "calibration.json"
#: Seed of every random step unless the run gives one.
DEFAULT_SEED = 20250601


class StepError(PvcalError):
    """A workflow step cannot run (e.g. the step before it has not run in ``out_dir``)."""
