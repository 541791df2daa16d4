"""The domain steps of a publication, as plain functions over typed results.

One discipline and period goes through

1. load (:mod:`~pvcal.workflow.load`): the discipline folders, their periods,
   and one period's validated data (:class:`PeriodData`);
2. calibrate (:mod:`~pvcal.workflow.calibrate`) and link
   (:mod:`~pvcal.workflow.link`): the period's calibration, linked onto the
   base scale;
3. set standards (:mod:`~pvcal.workflow.standards`): how each cut is set;
4. estimate the index (:mod:`~pvcal.workflow.benchmark`): the benchmark index
   with its uncertainty;
5. score and grade (:mod:`~pvcal.workflow.grading`): peer comparison and the
   combined grade;
6. records (:mod:`~pvcal.workflow.records`): the published index record,
   results and the plain-language method text.

The notebooks call :func:`calibrate_step`, :func:`standard_setting_step` and
:func:`publish_step` in turn; each reads what the one before left in
``out_dir`` as the results' own JSON, never pickles
(:mod:`~pvcal.workflow.handover`).  Nothing here knows about papermill, staging
or the registry transaction (:mod:`pvcal.publish`).
"""

from __future__ import annotations

from .benchmark import SettingStep, estimate_index, standard_setting_step
from .calibrate import CalibrationStep, calibrate_period, calibrate_step, item_fit_by_form
from .grading import GRADE_ORDER, peer_part
from .handover import (
    CALIBRATION_FILE,
    DEFAULT_SEED,
    INDEX_FILE,
    LINKING_FILE,
    RESULTS_FILE,
    WORK_DIR,
    StepError,
    StepRecord,
)
from .link import base_index_of, link_to_base
from .load import PeriodData, discipline_periods, discover_disciplines, input_files, load_period
from .records import PublishStep, method_text, publish_step
from .standards import CutPlan, plan_cuts

__all__ = [
    "CALIBRATION_FILE",
    "DEFAULT_SEED",
    "GRADE_ORDER",
    "INDEX_FILE",
    "LINKING_FILE",
    "RESULTS_FILE",
    "WORK_DIR",
    "CalibrationStep",
    "CutPlan",
    "PeriodData",
    "PublishStep",
    "SettingStep",
    "StepError",
    "StepRecord",
    "base_index_of",
    "calibrate_period",
    "calibrate_step",
    "discipline_periods",
    "discover_disciplines",
    "estimate_index",
    "input_files",
    "item_fit_by_form",
    "link_to_base",
    "load_period",
    "method_text",
    "peer_part",
    "plan_cuts",
    "publish_step",
    "standard_setting_step",
]
