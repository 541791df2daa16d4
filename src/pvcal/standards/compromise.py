"""Compromise standard-setting methods that bring the observed score distribution in.

* :func:`hofstee` -- judges state the lowest and highest acceptable cut
  (``k_min``, ``k_max``) and fail rates (``f_min``, ``f_max``); the cut is where
  the line from ``(k_min, f_max)`` to ``(k_max, f_min)`` meets the observed
  fail-rate curve.
* :func:`beuk` -- judges state a cut ``k`` and a pass rate ``p``; the cut is
  where the line through the mean ``(k̄, p̄)`` with slope ``s_p / s_k`` (ratio of
  the judges' standard deviations) meets the observed pass-rate curve.

Two conventions are arguments, because published applications differ:

``fail_if``
    ``"<"``: a candidate fails when score < c (c is the lowest passing score);
    ``"<="``: a candidate fails when score <= c (c is the highest failing score).
    The returned ``pass_score`` is the lowest passing score in both cases
    (``c`` or ``c + step``).
``interpolation``
    ``"step"``: the empirical curve is evaluated on the grid of candidate cuts
    (``step`` apart) and the cut is the first grid point where it reaches the
    line; ``"linear"``: the curve is interpolated linearly between grid points
    and the exact crossing is returned (``"interpolated"`` is accepted as a synonym).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._validation import PvcalError, check_1d, check_choice, check_positive

__all__ = ["CompromiseResult", "fail_rate_curve", "hofstee", "beuk"]


@dataclass(frozen=True, eq=False)
class CompromiseResult:
    """Result of :func:`hofstee` or :func:`beuk`.

    Attributes
    ----------
    cut : float
        The cut in the ``fail_if`` convention (lowest passing score for ``"<"``,
        highest failing score for ``"<="``).
    pass_score : float
        Lowest passing score (``cut`` for ``"<"``, ``cut + step`` for ``"<="``).
    fail_rate : float
        Observed fail rate at the cut (curve value).
    intersects : bool
        False when the line does not meet the curve inside the allowed range;
        the cut is then the nearer end of that range.
    curve : DataFrame
        The grid: ``cut``, ``fail_rate`` and ``line`` (the judges' line, as a
        fail rate for Hofstee and a pass rate for Beuk).
    """

    cut: float
    pass_score: float
    fail_rate: float
    intersects: bool
    curve: pd.DataFrame
    method: str
    params: dict = field(default_factory=dict)

    @property
    def pass_rate(self) -> float:
        """Observed pass rate at the cut, ``1 - fail_rate``."""
        return 1.0 - self.fail_rate

    def plot(self, ax=None):
        """Plot the observed curve, the judges' line and the cut; returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
        y = self.curve["fail_rate"] if self.method == "hofstee" else 1 - self.curve["fail_rate"]
        ax.plot(
            self.curve["cut"],
            y,
            drawstyle="steps-post" if self.params.get("interpolation") == "step" else "default",
            label="observed",
        )
        ax.plot(self.curve["cut"], self.curve["line"], "--", label="judges' line")
        ax.axvline(self.cut, color="k", lw=0.8)
        ax.set_xlabel("cut score")
        ax.set_ylabel("fail rate" if self.method == "hofstee" else "pass rate")
        ax.set_title(f"{self.method.capitalize()} cut = {self.cut:.3g}")
        ax.legend()
        return ax


def fail_rate_curve(scores, grid, *, fail_if: str = "<") -> np.ndarray:
    """Observed fail rate at each candidate cut: ``mean(score < c)`` or ``mean(score <= c)``."""
    s = np.sort(np.asarray(scores, float))
    side = "left" if fail_if == "<" else "right"
    return np.searchsorted(s, np.asarray(grid, float), side=side) / s.size


def _crossing(grid: np.ndarray, g: np.ndarray, interpolation: str) -> tuple[float, bool, int]:
    """First crossing of an increasing difference ``g`` (curve minus line) through 0."""
    above = np.flatnonzero(g >= 0)
    if above.size == 0:
        return float(grid[-1]), False, len(grid) - 1
    i = int(above[0])
    if i == 0:
        return float(grid[0]), bool(g[0] == 0), 0
    if interpolation == "step":
        return float(grid[i]), True, i
    x0, x1, g0, g1 = grid[i - 1], grid[i], g[i - 1], g[i]
    return float(x0 + (x1 - x0) * (-g0) / (g1 - g0)), True, i


def _grid(lo: float, hi: float, step: float) -> np.ndarray:
    n = int(np.floor((hi - lo) / step + 1e-9))
    return lo + step * np.arange(n + 1)


def _units(units: str, max_score: float | None) -> tuple[float, float]:
    """Factors turning judges' values into (score units, proportions)."""
    units = check_choice("units", units, ["score", "percent"])
    if units == "score":
        return 1.0, 1.0
    if max_score is None:
        raise PvcalError("units='percent' needs max_score (the test's maximum summed score)")
    return check_positive("max_score", max_score) / 100.0, 0.01


def _mean(name: str, v) -> float:
    arr = np.atleast_1d(np.asarray(v, float))
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise PvcalError(f"{name} must be finite numbers (one per judge or their mean), got {v!r}")
    return float(arr.mean())


def _common(scores, interpolation, fail_if, step):
    s = check_1d("scores", scores, min_size=1)
    if isinstance(interpolation, str) and interpolation.lower() == "interpolated":
        interpolation = "linear"
    interpolation = check_choice("interpolation", interpolation, ["step", "linear"])
    fail_if = check_choice("fail_if", fail_if, ["<", "<="])
    step = check_positive("step", step)
    return s, interpolation, fail_if, step


def _curve_at(scores, x, fail_if, interpolation, grid, rates):
    if interpolation == "linear":
        return float(np.interp(x, grid, rates))
    return float(fail_rate_curve(scores, [x], fail_if=fail_if)[0])


def hofstee(
    scores,
    *,
    k_min: float,
    k_max: float,
    f_min: float,
    f_max: float,
    interpolation: str = "step",
    fail_if: str = "<",
    step: float = 1.0,
    units: str = "score",
    max_score: float | None = None,
) -> CompromiseResult:
    """Hofstee compromise cut.

    Parameters
    ----------
    scores : array_like
        Observed scores of all candidates (summed scores, or θ with a small ``step``).
    k_min, k_max : float or array_like
        Lowest and highest acceptable cut (one per judge, averaged, or the
        judges' means), ``k_min < k_max``.
    f_min, f_max : float or array_like
        Lowest and highest acceptable fail rates (per judge or means),
        proportions ``0 <= f_min < f_max <= 1``.
    interpolation : {"step", "linear"}
        See the module notes.
    fail_if : {"<", "<="}
        See the module notes.
    step : float, default 1.0
        Spacing of the grid of candidate cuts ``k_min, k_min + step, ..., <= k_max``.
    units : {"score", "percent"}
        ``"percent"``: the k's are percent correct of ``max_score`` and the f's
        percentages (as judges usually state them); converted before use.
    max_score : float, optional
        Maximum summed score (needed for ``units="percent"``).

    Returns
    -------
    CompromiseResult

    Notes
    -----
    The line is ``L(c) = f_max + (f_min - f_max)(c - k_min)/(k_max - k_min)``;
    the observed fail rate ``F(c)`` rises with ``c``, so ``F - L`` rises and
    meets zero at most once. If ``F(k_min) >= f_max`` the cut is ``k_min``; if
    ``F(k_max) < f_min`` it is ``k_max`` (``intersects`` is False in both cases
    unless the curve touches the line exactly at the end point).

    References
    ----------
    Hofstee, W. K. B. (1983). The case for compromise in educational selection and
    grading. In S. B. Anderson & J. S. Helmick (Eds.), *On Educational Testing*
    (pp. 109-127). Jossey-Bass.

    Examples
    --------
    >>> r = hofstee([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], k_min=3, k_max=7, f_min=0.1, f_max=0.5)
    >>> r.cut, r.fail_rate
    (5.0, 0.4)
    """
    s, interpolation, fail_if, step = _common(scores, interpolation, fail_if, step)
    ks, fs = _units(units, max_score)
    k_min, k_max = _mean("k_min", k_min) * ks, _mean("k_max", k_max) * ks
    if not k_min < k_max:
        raise PvcalError(f"Hofstee needs k_min < k_max, got k_min={k_min}, k_max={k_max}")
    f_min, f_max = _mean("f_min", f_min) * fs, _mean("f_max", f_max) * fs
    if not (0 <= f_min < f_max <= 1):
        raise PvcalError(
            f"Hofstee fail rates must satisfy 0 <= f_min < f_max <= 1, got {f_min}, {f_max}"
        )
    grid = _grid(k_min, k_max, step)
    rates = fail_rate_curve(s, grid, fail_if=fail_if)
    line = f_max + (f_min - f_max) * (grid - k_min) / (k_max - k_min)
    cut, hit, _ = _crossing(grid, rates - line, interpolation)
    return CompromiseResult(
        cut=cut,
        pass_score=cut if fail_if == "<" else cut + step,
        fail_rate=_curve_at(s, cut, fail_if, interpolation, grid, rates),
        intersects=hit,
        curve=pd.DataFrame({"cut": grid, "fail_rate": rates, "line": line}),
        method="hofstee",
        params={
            "k_min": k_min,
            "k_max": k_max,
            "f_min": f_min,
            "f_max": f_max,
            "interpolation": interpolation,
            "fail_if": fail_if,
            "step": step,
        },
    )


def beuk(
    scores,
    *,
    k,
    p,
    sd_k: float | None = None,
    sd_p: float | None = None,
    interpolation: str = "step",
    fail_if: str = "<",
    step: float = 1.0,
    lower: float | None = None,
    upper: float | None = None,
    units: str = "score",
    max_score: float | None = None,
) -> CompromiseResult:
    """Beuk compromise cut.

    Parameters
    ----------
    scores : array_like
        Observed scores of all candidates.
    k : float or array_like
        Judges' cut (one per judge, or their mean with ``sd_k``).
    p : float or array_like
        Judges' expected pass rates as proportions (one per judge, or their mean with ``sd_p``).
    sd_k, sd_p : float, optional
        Standard deviations across judges; computed (ddof = 1) when ``k`` and
        ``p`` are given per judge.
    interpolation, fail_if, step
        See the module notes.
    lower, upper : float, optional
        Range of candidate cuts; default the observed score range.
    units : {"score", "percent"}
        ``"percent"``: ``k`` (and ``sd_k``) in percent correct of ``max_score``,
        ``p`` (and ``sd_p``) in percent; converted before use.
    max_score : float, optional

    Returns
    -------
    CompromiseResult
        ``curve["line"]`` is the judges' line as a pass rate.

    Notes
    -----
    The line is ``P_L(c) = p̄ + (s_p / s_k)(c - k̄)``; the observed pass rate
    ``P(c) = 1 - F(c)`` falls with ``c``, so ``F(c) - (1 - P_L(c))`` rises and
    meets zero at most once; the crossing is found as for :func:`hofstee`.

    References
    ----------
    Beuk, C. H. (1984). A method for reaching a compromise between absolute and
    relative standards in examinations. *Journal of Educational Measurement*,
    21(2), 147-152.
    """
    s, interpolation, fail_if, step = _common(scores, interpolation, fail_if, step)
    ks, fs = _units(units, max_score)
    kk = np.atleast_1d(np.asarray(k, float)) * ks
    pp = np.atleast_1d(np.asarray(p, float)) * fs
    sd_k = None if sd_k is None else float(sd_k) * ks
    sd_p = None if sd_p is None else float(sd_p) * fs
    if np.any(~np.isfinite(pp)) or np.any((pp < 0) | (pp > 1)):
        raise PvcalError(f"Beuk pass rates p must be proportions in [0, 1], got {pp.tolist()}")
    if sd_k is None or sd_p is None:
        if kk.size < 2 or pp.size < 2:
            raise PvcalError("Beuk needs sd_k and sd_p, or per-judge k and p (>= 2 judges)")
        if kk.size != pp.size:
            raise PvcalError(f"Beuk: {kk.size} judges' cuts but {pp.size} pass rates")
        sd_k = float(np.std(kk, ddof=1)) if sd_k is None else sd_k
        sd_p = float(np.std(pp, ddof=1)) if sd_p is None else sd_p
    sd_k = check_positive("sd_k", sd_k)
    sd_p = check_positive("sd_p", sd_p, strict=False)
    k_bar, p_bar = float(kk.mean()), float(pp.mean())
    lo = float(np.floor(s.min())) if lower is None else float(lower)
    hi = float(np.ceil(s.max())) if upper is None else float(upper)
    if not lo < hi:
        raise PvcalError(f"Beuk needs lower < upper, got {lo}, {hi}")
    grid = _grid(lo, hi, step)
    rates = fail_rate_curve(s, grid, fail_if=fail_if)
    line = p_bar + (sd_p / sd_k) * (grid - k_bar)  # as a pass rate
    cut, hit, _ = _crossing(grid, rates - (1.0 - line), interpolation)
    return CompromiseResult(
        cut=cut,
        pass_score=cut if fail_if == "<" else cut + step,
        fail_rate=_curve_at(s, cut, fail_if, interpolation, grid, rates),
        intersects=hit,
        curve=pd.DataFrame({"cut": grid, "fail_rate": rates, "line": line}),
        method="beuk",
        params={
            "k": k_bar,
            "p": p_bar,
            "sd_k": sd_k,
            "sd_p": sd_p,
            "interpolation": interpolation,
            "fail_if": fail_if,
            "step": step,
            "lower": lo,
            "upper": hi,
        },
    )
