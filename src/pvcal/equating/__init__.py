"""Linking and equating: every form and period on one scale.

* :mod:`pvcal.equating.linking` - IRT scale linking (mean/mean, mean/sigma,
  Haebara, Stocking-Lord), anchor screening and chains across periods.
* :mod:`pvcal.equating.observed` - observed-score equating (random groups,
  single group, NEAT) with presmoothing and standard errors.
* :mod:`pvcal.equating.irt` - IRT true-score and observed-score equating.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "link": "linking",
    "Linking": "linking",
    "AnchorScreen": "linking",
    "screen_anchors": "linking",
    "chain": "linking",
    "transform_items": "linking",
    "transform_theta": "linking",
    "equate": "observed",
    "Equating": "observed",
    "true_score": "irt",
    "observed_score": "irt",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"pvcal.equating.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'pvcal.equating' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
