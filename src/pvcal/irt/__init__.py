"""Item response theory: models, MML-EM calibration, scoring and fit.

# R: mirt::mirt(), coef(), fscores(), itemfit(), personfit()
"""

from .calibrate import calibrate
from .results import Calibration

__all__ = ["calibrate", "Calibration"]
