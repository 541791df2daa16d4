"""Reports: HTML pieces, appeal sheets, pseudonyms, plots and the threshold tuner.

Modules
-------
pseudonym
    Keyed HMAC-SHA256 pseudonyms of candidate and application identifiers (Art. 15).
plots
    Shared plot helpers (grade distributions, pass-rate trends, group comparisons,
    the standard-score map) and :func:`~pvcal.report.plots.wilson_interval`.
html
    Jinja templates and small HTML helpers (tables, embedded figures).
appeal
    The per-candidate appeal sheet (Art. 13), built from the registry alone.
tuner
    The interactive cut-score tuner of ``threshold_setting.ipynb``.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["pseudonym", "plots", "html", "appeal", "tuner"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f"pvcal.report.{name}")
    raise AttributeError(f"module 'pvcal.report' has no attribute {name!r}")
