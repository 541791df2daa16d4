"""Link: a later period onto the base scale through the anchor items.

The base scale is the calibration published with the base period's current
index in the registry; the rules' ``anchors`` give the linking method and the
drift screen of the anchors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._validation import PvcalError
from ..registry import Registry
from .load import PeriodData

__all__ = ["base_index_of", "link_to_base"]


def base_index_of(data: PeriodData, registry: str | Path | None) -> dict[str, Any]:
    """The registry row of the base period's current index (with its calibration).

    Raises
    ------
    PvcalError
        No registry given; the base period has no published calibration.
    """
    if registry is None:
        raise PvcalError(
            f"{data.discipline} {data.period}: the registry is needed to find the base scale"
        )
    with Registry(registry) as reg:
        base_index = reg.current_index(data.discipline, data.base_period)
    if base_index is None or not base_index.get("calibration"):
        raise PvcalError(
            f"{data.discipline}: no published base calibration for {data.base_period}; "
            f"publish the base period before {data.period}"
        )
    return base_index


def link_to_base(data: PeriodData, calibration: Any, base_calibration: Any) -> Any:
    """Link the period's calibration onto the base calibration's scale.

    The method is ``anchors.linking`` of the rules (Stocking-Lord by default);
    with ``anchors.drift`` the anchors are screened first by its statistic and
    threshold and drifting anchors left out.

    Parameters
    ----------
    data : PeriodData
    calibration : Calibration
        The period's own calibration.
    base_calibration : Calibration
        The base period's published calibration.

    Returns
    -------
    Linking
        θ_base = A·θ + B (:func:`pvcal.equating.link`).
    """
    from ..equating.linking import link

    anchors = data.rules.anchors  # pvcal.rules.Anchors
    drift = anchors.drift  # None: no screening
    return link(
        base_calibration,
        calibration,
        method=anchors.linking,
        screen=None if drift is None else drift.statistic.replace("_", "-"),
        screen_threshold=None if drift is None else drift.threshold,
    )
