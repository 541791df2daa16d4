"""Normative cuts: a percentile of the score distribution, or robust mean - k robust SD.

Used where the rules file sets a grade by the population rather than by a panel
(e.g. "Excellent: the top 10 %"), or as a fall-back the rules name explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import PvcalError, check_1d, check_choice
from ..robust import algorithm_a

__all__ = ["NormativeResult", "robust_location_scale", "normative_cut", "ROBUST_METHODS"]

ROBUST_METHODS = ("mad", "niqr", "algorithm_a", "classical")


@dataclass(frozen=True, eq=False)
class NormativeResult:
    """Result of :func:`normative_cut`.

    Attributes
    ----------
    cut : float
    center, spread : float
        Robust location and scale (NaN for a percentile cut).
    n : int
    method : str
        ``"percentile"`` or ``"robust"``.
    params : dict
    """

    cut: float
    center: float
    spread: float
    n: int
    method: str
    params: dict = field(default_factory=dict)


def robust_location_scale(values, robust: str = "mad", axis: int = -1):
    """Robust mean and standard deviation along ``axis`` (vectorised).

    Parameters
    ----------
    values : array_like
    robust : {"mad", "niqr", "algorithm_a", "classical"}
        ``"mad"``: median and ``1.4826·MAD``; ``"niqr"``: median and
        ``IQR / 1.349`` (the normalised IQR); ``"algorithm_a"``: ISO 13528:2022
        Algorithm A (Huber's winsorising iteration, ``1.5 s*`` and ``1.134``),
        computed by :func:`pvcal.robust.algorithm_a` for each slice along
        ``axis``; ``"classical"``: mean and SD (ddof = 1).

    Returns
    -------
    (center, spread) : ndarray or float

    Raises
    ------
    DataError
        ``"algorithm_a"`` with fewer than 3 values or non-finite values.

    Warns
    -----
    ConvergenceWarning
        ``"algorithm_a"`` did not meet its stopping rule for a slice (see
        :func:`pvcal.robust.algorithm_a`; never a silent iteration cap).

    References
    ----------
    ISO 13528:2022, *Statistical methods for use in proficiency testing by
    interlaboratory comparison*, C.3 (Algorithm A).
    """
    x = np.moveaxis(np.asarray(values, float), axis, -1)
    med = np.median(x, axis=-1)
    if robust == "classical":
        return np.mean(x, axis=-1), np.std(x, axis=-1, ddof=1)
    if robust == "niqr":
        q75, q25 = np.percentile(x, [75, 25], axis=-1)
        return med, (q75 - q25) / 1.349
    mad = 1.4826 * np.median(np.abs(x - med[..., None]), axis=-1)
    if robust == "mad":
        return med, mad
    # ISO 13528:2022 C.3 Algorithm A: the one implementation, slice by slice
    rows = x.reshape(-1, x.shape[-1])
    fits = [algorithm_a(row) for row in rows]
    xs = np.array([f.x_star for f in fits]).reshape(x.shape[:-1])
    ss = np.array([f.s_star for f in fits]).reshape(x.shape[:-1])
    return xs[()], ss[()]


def normative_cut(
    values,
    *,
    percentile: float | None = None,
    k: float | None = None,
    robust: str = "mad",
    quantile_method: str = "linear",
) -> NormativeResult:
    """A cut at a percentile, or at robust mean - k·robust SD, of the candidates' scores.

    Parameters
    ----------
    values : array_like
        Candidates' θ (or summed scores).
    percentile : float, optional
        In (0, 100): the cut leaves this percentage of candidates below it
        (``numpy.percentile`` with ``quantile_method``; R ``quantile(type = 7)``
        for ``"linear"``).
    k : float, optional
        Number of robust SDs below the robust mean (negative ``k`` puts the cut above).
    robust : {"mad", "niqr", "algorithm_a", "classical"}
        See :func:`robust_location_scale`.
    quantile_method : str, default "linear"
        Passed to ``numpy.percentile`` as ``method``.

    Returns
    -------
    NormativeResult

    Raises
    ------
    PvcalError
        Neither or both of ``percentile`` and ``k``; percentile outside (0, 100);
        fewer than two values.

    Examples
    --------
    >>> normative_cut([1, 2, 3, 4, 5], percentile=50).cut
    3.0
    >>> normative_cut([1, 2, 3, 4, 5], k=1, robust="classical").cut   # 3 - 1.5811
    1.4188611699158102
    """
    x = check_1d("values", values, min_size=2)
    if (percentile is None) == (k is None):
        raise PvcalError("give exactly one of percentile= or k= for a normative cut")
    if percentile is not None:
        pc = float(percentile)
        if not 0 < pc < 100:
            raise PvcalError(f"percentile must lie in (0, 100), got {percentile!r}")
        cut = float(np.percentile(x, pc, method=quantile_method))
        return NormativeResult(
            cut,
            float("nan"),
            float("nan"),
            x.size,
            "percentile",
            {"percentile": pc, "quantile_method": quantile_method},
        )
    robust = check_choice("robust", robust, ROBUST_METHODS)
    center, spread = robust_location_scale(x, robust)
    cut = float(center - float(k) * spread)
    return NormativeResult(
        cut, float(center), float(spread), x.size, "robust", {"k": float(k), "robust": robust}
    )
