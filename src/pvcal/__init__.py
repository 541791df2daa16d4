"""pvcal: a psychometric research and calibration workbench.

IRT calibration (MML-EM), scoring and fit; linking and equating; standard
setting and the per-discipline benchmark index; peer comparison (ISO 13528);
a registry of published results; reports and appeal sheets.

Examples
--------
>>> import pvcal
>>> cal = pvcal.calibrate(responses, model="2PL")      # doctest: +SKIP
>>> cal.summary()                                      # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Public names resolved lazily so that ``import pvcal`` stays fast and a
# notebook only pays for what it uses.  name -> module that defines it.
_LAZY = {
    # errors
    "PvcalError": "pvcal._validation",
    "DataError": "pvcal._validation",
    "SchemaError": "pvcal._validation",
    "RulesError": "pvcal._validation",
    "ModelError": "pvcal._validation",
    "RegistryError": "pvcal._validation",
    "ConvergenceWarning": "pvcal._validation",
    # calibration
    "calibrate": "pvcal.irt",
    "Calibration": "pvcal.irt",
    # linking and equating
    "link": "pvcal.equating.linking",
    "Linking": "pvcal.equating.linking",
    "equate": "pvcal.equating.observed",
    "Equating": "pvcal.equating.observed",
    # benchmark index
    "BenchmarkIndex": "pvcal.index",
}
_SUBMODULES = {
    "data",
    "rules",
    "irt",
    "equating",
    "standards",
    "index",
    "peer",
    "robust",
    "diagnosis",
    "dif",
    "drift",
    "serialize",
    "registry",
    "integrity",
    "cases",
    "certificates",
    "report",
    "workflow",
    "publish",
    "cli",
}

__all__ = sorted(_LAZY) + sorted(_SUBMODULES) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"pvcal.{name}")
    raise AttributeError(f"module 'pvcal' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
