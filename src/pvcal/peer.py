"""Peer comparison: robust consensus and performance statistics (ISO 13528:2022).

For disciplines verified by peer comparison (Art. 9 of the verification
rules), every participant reports a result on the same task (a *sample*); the
assigned value ``x_pt`` is the robust consensus of the peers, and each result is
judged by a performance statistic (z, z', zeta or En) that is mapped onto the
four grades Excellent / Good / Pass / Fail.

Consensus estimators (ISO 13528:2022, Annex C), all returning a
:class:`RobustResult` with ``x_star``, ``s_star`` and ``u_x_pt``:

- :func:`algorithm_a` -- Algorithm A (C.3), Huber's M-estimator with iterated scale;
- :func:`q_hampel` -- Q method for s* (C.5.2) with the Hampel estimator for x* (C.5.3);
- :func:`median_niqr` and :func:`made` -- median with nIQR (C.2.3) or MADe (C.2.2);
- :func:`arithmetic_mean` -- the plain mean and standard deviation, for comparison.

Performance (ISO 13528:2022, Clause 9): :func:`performance` gives z, z', zeta
and En for every participant; :func:`grade` maps one of them onto the grades.
:func:`assess` does a whole round (one consensus per sample, scores and grades
per participant) and returns a :class:`PeerRound`.

References
----------
.. [1] ISO 13528:2022, *Statistical methods for use in proficiency testing by
   interlaboratory comparison*, 3rd ed. Geneva: ISO.
.. [2] ISO 5725-5:1998, *Accuracy (trueness and precision) of measurement methods
   and results -- Part 5*, clause 6.2 (origin of Algorithm A).
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from pvcal._summary import Summary
from pvcal._validation import (
    ConvergenceWarning,
    DataError,
    PvcalError,
    SchemaError,
    check_choice,
    check_columns,
    check_positive,
)

__all__ = [
    "ALG_A_FACTOR",
    "ALG_A_K",
    "GRADES",
    "MADE_FACTOR",
    "MIN_PARTICIPANTS",
    "NIQR_FACTOR",
    "STATISTICS",
    "U_FACTOR",
    "PeerRound",
    "RobustResult",
    "Summary",
    "algorithm_a",
    "arithmetic_mean",
    "assess",
    "default_grading",
    "grade",
    "hampel",
    "made",
    "median_niqr",
    "performance",
    "q_hampel",
    "q_method",
]

#: MADe = 1.483 med|x_i - med(x)| (ISO 13528:2022 C.2.2); 1/Phi^-1(0.75) to 4 figures.
MADE_FACTOR = 1.483
#: nIQR = 0.7413 (Q3 - Q1) (ISO 13528:2022 C.2.3); 1/(2 Phi^-1(0.75)) to 4 figures.
NIQR_FACTOR = 0.7413
#: Winsorisation limit of Algorithm A, delta = 1.5 s* (ISO 13528:2022 C.3.1).
ALG_A_K = 1.5
#: Consistency factor of Algorithm A, s* = 1.134 sd(x_i*) (ISO 13528:2022 C.3.1).
ALG_A_FACTOR = 1.134
#: u(x_pt) = 1.25 s* / sqrt(p) for a robust consensus value (ISO 13528:2022 7.7).
U_FACTOR = 1.25
#: Fewest participants accepted by every consensus estimator here.
MIN_PARTICIPANTS = 3
#: The four grades of Art. 12, best first.
GRADES = ("Excellent", "Good", "Pass", "Fail")
#: Performance statistics that :func:`grade` can map (columns of :func:`performance`).
STATISTICS = ("z", "z_prime", "zeta", "En")

_HAMPEL_ABC = (1.5, 3.0, 4.5)  # ISO 13528:2022 C.5.3: psi knots a, b, c (in units of s*)


# --------------------------------------------------------------------------- summary


def _jsonable(obj: Any) -> Any:
    """Convert numpy scalars, NaN and nested containers into JSON-safe objects."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if obj is None or obj is pd.NA or (isinstance(obj, float) and math.isnan(obj)):
        return None
    return obj if isinstance(obj, str) else str(obj)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return _jsonable(df.reset_index().astype(object).to_dict(orient="records"))


# --------------------------------------------------------------------------- input


def _results(values: Any, *, name: str = "values", what: str = "the consensus") -> np.ndarray:
    """Participants' results as a finite 1-d float array with at least 3 values."""
    labels = values.index if isinstance(values, pd.Series) else None
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"{name} must be numbers (one result per participant)") from None
    if arr.ndim != 1:
        raise DataError(
            f"{name} must be one-dimensional (one result per participant), got shape {arr.shape}"
        )
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        where_ = (
            f"participant(s) {list(labels[bad[:5]])}"
            if labels is not None
            else f"position(s) {bad[:5].tolist()}"
        )
        raise DataError(
            f"{name} has missing or non-finite result(s) at {where_}; every participant "
            "in a consensus needs a finite result (drop non-reporting participants first)"
        )
    if arr.size < MIN_PARTICIPANTS:
        raise DataError(
            f"{name}: {what} needs at least {MIN_PARTICIPANTS} participants, got {arr.size}; "
            "with fewer, no robust location and scale can be estimated (ISO 13528:2022 "
            "Annex D discusses small numbers of participants)"
        )
    return arr


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class RobustResult:
    """A consensus (assigned) value and its scale, from one estimator.

    Attributes
    ----------
    method : str
        ``"Algorithm A"``, ``"Q/Hampel"``, ``"median/nIQR"``, ``"median/MADe"``
        or ``"mean"``.
    x_star : float
        Location: the assigned value x_pt when the consensus is used.
    s_star : float
        Scale: robust standard deviation (or the sample standard deviation
        for ``"mean"``).
    u_x_pt : float
        Standard uncertainty of x_star as the assigned value:
        1.25 s*/sqrt(p) for the robust methods, s/sqrt(p) for the mean.
    p : int
        Number of participants.
    iterations : int
        Iterations of Algorithm A (0 for the non-iterative methods).
    converged : bool
        Whether the stopping rule was met.
    settings : dict
        Constants and options used (reported with the result).
    history : tuple
        Algorithm A only: ``(iteration, x*, s*)`` from the starting values on.
    degenerate : bool
        True when no spread could be estimated (s* is 0).
    """

    method: str
    x_star: float
    s_star: float
    u_x_pt: float
    p: int
    iterations: int = 0
    converged: bool = True
    settings: Mapping[str, Any] = field(default_factory=dict)
    history: tuple[tuple[int, float, float], ...] = ()
    degenerate: bool = False

    @property
    def x_pt(self) -> float:
        """The assigned value (alias of ``x_star``)."""
        return self.x_star

    @cached_property
    def history_frame(self) -> pd.DataFrame:
        """The iterations as a DataFrame (as ISO 13528:2022 Table E.4 prints them)."""
        return pd.DataFrame(list(self.history), columns=["iteration", "x_star", "s_star"])

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary of every number and setting."""
        return _jsonable(
            {
                "method": self.method,
                "x_star": self.x_star,
                "s_star": self.s_star,
                "u_x_pt": self.u_x_pt,
                "p": self.p,
                "iterations": self.iterations,
                "converged": self.converged,
                "degenerate": self.degenerate,
                "settings": dict(self.settings),
            }
        )

    def to_json(self, **kwargs: Any) -> str:
        """``json.dumps(self.to_dict())``."""
        return json.dumps(self.to_dict(), **kwargs)

    def summary(self) -> Summary:
        """Table of x*, s*, u(x_pt), p and the settings."""
        table = pd.DataFrame(
            {
                "value": [
                    self.x_star,
                    self.s_star,
                    self.u_x_pt,
                    self.p,
                    self.iterations,
                    self.converged,
                ]
            },
            index=[
                "x* (assigned value)",
                "s*",
                "u(x_pt)",
                "participants p",
                "iterations",
                "converged",
            ],
        ).astype(object)
        settings = pd.DataFrame(
            {"value": [str(v) for v in self.settings.values()]}, index=list(self.settings)
        )
        notes = []
        if self.degenerate:
            notes.append("s* is zero: no spread could be estimated from these results.")
        if not self.converged:
            notes.append("the stopping rule was not met within max_iter iterations.")
        return Summary(
            f"Consensus value: {self.method} (ISO 13528:2022)",
            tables=(("", table), ("settings", settings)),
            notes=tuple(notes),
        )


def _result(
    method: str, x: float, s: float, p: int, *, u_factor: float = U_FACTOR, **kw: Any
) -> RobustResult:
    return RobustResult(
        method=method,
        x_star=float(x),
        s_star=float(s),
        u_x_pt=float(u_factor * s / math.sqrt(p)),
        p=int(p),
        **kw,
    )


# --------------------------------------------------------------------------- estimators


def _sig3(v: float) -> float:
    """Round to three significant figures."""
    if v == 0 or not math.isfinite(v):
        return v
    return round(v, 2 - int(math.floor(math.log10(abs(v)))))


def algorithm_a(
    values: Any,
    *,
    tol: float = 1e-10,
    stopping: str = "tolerance",
    max_iter: int = 1000,
) -> RobustResult:
    """Robust average and standard deviation by Algorithm A (ISO 13528:2022 C.3).

    Parameters
    ----------
    values : array-like or Series
        One finite result per participant (at least 3).
    tol : float, default 1e-10
        Relative stopping tolerance for ``stopping="tolerance"``: stop when the
        changes of x* and of s* in one iteration are both at most ``tol * s*``.
    stopping : {"tolerance", "iso"}
        ``"tolerance"`` (default) iterates to numerical convergence;
        ``"iso"`` applies the literal rule of C.3.1 (see Notes).
    max_iter : int, default 1000
        Most updates; a :class:`~pvcal.ConvergenceWarning` is issued when reached.

    Returns
    -------
    RobustResult
        ``x_star``, ``s_star``, ``u_x_pt = 1.25 s*/sqrt(p)``, ``iterations``,
        ``converged``, ``history`` (starting values are iteration 0), ``settings``.

    Raises
    ------
    DataError
        NaN/infinite results, not one-dimensional, or fewer than 3 participants.
    PvcalError
        Bad ``tol``, ``stopping`` or ``max_iter``.

    Notes
    -----
    Start with x* = median(x_i) and s* = 1.483 median|x_i - x*| (MADe, C.2.2).
    Each iteration winsorises at delta = 1.5 s*,
    x_i* = min(max(x_i, x* - delta), x* + delta), and updates

        x* = mean(x_i*),   s* = 1.134 sqrt(sum (x_i* - x*)^2 / (p - 1)).

    The factor 1.134 makes s* a consistent estimate of the standard deviation
    for normal data winsorised at +-1.5 sigma: 1/sqrt(E[psi(Z)^2]) with psi
    Huber's function at k = 1.5 and Z standard normal, E[psi(Z)^2] = 0.77847,
    gives 1.1334; the standard's 1.134 is 1/sqrt(0.778) (ISO 13528:2022 C.3.1,
    from ISO 5725-5:1998). pvcal uses 1.134 as printed.

    **Stopping rule.** ISO 13528:2022 C.3.1 says convergence may be assumed when
    there is no change from one iteration to the next in the third significant
    figure of x* and of s*. That rule stops before the iteration has converged
    and, since significant figures depend on the unit and origin of the data,
    it makes the result depend on them too. pvcal therefore iterates by default
    until both changes are at most ``tol * s*`` (``tol = 1e-10``), which is far
    inside the ISO rule, gives the fixed point of the algorithm, and keeps
    x*(a + b x) = a + b x*(x) and s*(a + b x) = b s*(x) for b > 0. For the E.3
    data this reproduces the printed x* = 0.2570 and s* = 0.0395.
    ``stopping="iso"`` stops at the first iteration (after the first update;
    the starting values are not an iteration) at which x* and s* rounded to
    three significant figures equal those of the previous iteration.

    If MADe is 0 (more than half the results identical) the iteration starts
    from the sample standard deviation instead; if all results are identical,
    or s* collapses towards 0 (below 1e-12 of its start), s* is reported as 0
    with ``degenerate=True``.

    # R: metRology::algA(x, k = 1.5)  (its own stopping rule and MAD start)

    References
    ----------
    ISO 13528:2022, Annex C.3 (Algorithm A) and 7.7 (u(x_pt) = 1.25 s*/sqrt(p));
    worked example Annex E.3, Table E.4.

    Examples
    --------
    >>> r = algorithm_a([0.227, 0.230, 0.243, 0.255, 0.264, 0.270, 0.274, 0.311])
    >>> round(r.x_star, 4), r.converged
    (0.2577, True)
    """
    stopping = check_choice("stopping", stopping, ["tolerance", "iso"])
    tol = check_positive("tol", tol)
    if not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise PvcalError(f"max_iter must be a positive integer, got {max_iter!r}")
    x = _results(values, what="Algorithm A")
    p = x.size
    settings = {
        "k": ALG_A_K,
        "factor": ALG_A_FACTOR,
        "made_factor": MADE_FACTOR,
        "u_factor": U_FACTOR,
        "stopping": stopping,
        "tol": tol,
        "max_iter": int(max_iter),
    }
    x_star = float(np.median(x))
    s_star = MADE_FACTOR * float(np.median(np.abs(x - x_star)))
    start = "MADe"
    if s_star == 0.0:
        s_star = float(np.std(x, ddof=1))
        start = "sample sd (MADe = 0)"
    settings["start_scale"] = start
    history = [(0, x_star, s_star)]
    if s_star == 0.0:  # every result identical
        return _result(
            "Algorithm A",
            x_star,
            0.0,
            p,
            settings=settings,
            history=tuple(history),
            degenerate=True,
        )
    s_0 = s_star
    converged = False
    it = 0
    for it in range(1, int(max_iter) + 1):
        delta = ALG_A_K * s_star
        w = np.clip(x, x_star - delta, x_star + delta)
        new_x = float(w.mean())
        new_s = ALG_A_FACTOR * float(np.sqrt(np.sum((w - new_x) ** 2) / (p - 1)))
        history.append((it, new_x, new_s))
        if stopping == "iso":
            done = it > 1 and _sig3(new_x) == _sig3(x_star) and _sig3(new_s) == _sig3(s_star)
        else:
            lim = tol * max(new_s, s_star)
            done = abs(new_x - x_star) <= lim and abs(new_s - s_star) <= lim
        x_star, s_star = new_x, new_s
        if s_star < 1e-12 * s_0:
            return _result(
                "Algorithm A",
                x_star,
                0.0,
                p,
                iterations=it,
                settings=settings,
                history=tuple(history),
                degenerate=True,
            )
        if done:
            converged = True
            break
    if not converged:
        warnings.warn(
            f"Algorithm A did not meet its stopping rule ({stopping}) in {max_iter} iterations; "
            f"last changes reported in history",
            ConvergenceWarning,
            stacklevel=2,
        )
    return _result(
        "Algorithm A",
        x_star,
        s_star,
        p,
        iterations=it,
        converged=converged,
        settings=settings,
        history=tuple(history),
    )


def _tie_merge(d: np.ndarray, scale: float) -> np.ndarray:
    """Merge sorted differences that are equal up to floating-point noise.

    Consecutive sorted differences closer than 64 eps * max|x| form one tie
    group and take the group's first value; differences that small count as 0.
    """
    tie = 64 * np.finfo(float).eps * scale
    d = np.where(d <= tie, 0.0, d)
    group = np.concatenate([[0], np.cumsum(np.diff(d) > tie)])
    first = np.concatenate([[0], np.flatnonzero(np.diff(group)) + 1])
    return d[first][group]


def q_method(values: Any) -> float:
    """Robust standard deviation by the Q method (ISO 13528:2022 C.5.2), one result per participant.

    Parameters
    ----------
    values : array-like
        One finite result per participant (at least 3).

    Returns
    -------
    float
        s* = G1^{-1}(0.25 + 0.75 H1(0)) / (sqrt(2) Phi^{-1}(0.625 + 0.375 H1(0))).

    Raises
    ------
    DataError
        NaN results or fewer than 3 participants.

    Notes
    -----
    H1 is the empirical distribution function of the p(p-1)/2 absolute
    differences |x_i - x_j|, i < j (C.5.2). With x_1 < ... < x_r its positive
    discontinuity points, G1(x_k) = (H1(x_k) + H1(x_{k-1}))/2 (k >= 2),
    G1(x_1) = H1(x_1)/2 and G1(0) = 0; G1 is interpolated linearly between
    these nodes and inverted. H1(0) is the share of exactly tied pairs.
    Differences equal up to floating-point noise (64 eps max|x|) count as ties.

    References
    ----------
    ISO 13528:2022, C.5.2 (Q method); worked example Annex E.3, Table E.5.
    """
    x = _results(values, what="the Q method")
    i, j = np.triu_indices(x.size, k=1)
    d = np.sort(np.abs(x[i] - x[j]))
    d = _tie_merge(d, float(np.max(np.abs(x))))
    pts, counts = np.unique(d, return_counts=True)
    h = np.cumsum(counts) / d.size  # H1 at each discontinuity point
    if pts[0] == 0.0:
        h0 = float(h[0])
        pts, h_pos, h_prev = pts[1:], h[1:], h[:-1]
    else:
        h0 = 0.0
        h_pos, h_prev = h, np.concatenate([[0.0], h[:-1]])
    if pts.size == 0:
        return 0.0  # every result identical
    g = 0.5 * (h_pos + h_prev)
    g[0] = 0.5 * h_pos[0] if h0 == 0.0 else g[0]
    gx = np.concatenate([[0.0], pts])
    gy = np.concatenate([[0.0], g])
    target = 0.25 + 0.75 * h0
    num = float(np.interp(target, gy, gx))
    return num / (math.sqrt(2.0) * float(norm.ppf(0.625 + 0.375 * h0)))


def _psi_sum(x: np.ndarray, t: float, s: float) -> float:
    """sum_i psi((x_i - t)/s) with Hampel's redescending psi, knots 1.5, 3, 4.5."""
    a, b, c = _HAMPEL_ABC
    q = (x - t) / s
    aq = np.abs(q)
    mag = np.where(
        aq <= a, aq, np.where(aq <= b, a, np.where(aq <= c, a * (c - aq) / (c - b), 0.0))
    )
    return float(np.sum(np.sign(q) * mag))


def hampel(values: Any, s_star: float) -> float:
    """Hampel M-estimate of location with fixed scale s* (ISO 13528:2022 C.5.3), finite-step.

    Parameters
    ----------
    values : array-like
        One finite result per participant (at least 3).
    s_star : float
        Scale (usually from :func:`q_method`); must be > 0.

    Returns
    -------
    float
        The solution x of sum_i psi((x_i - x)/s*) = 0 nearest to the median.

    Notes
    -----
    psi(q) = q for |q| <= 1.5; 1.5 sign(q) for 1.5 < |q| <= 3;
    (4.5 - |q|) sign(q) for 3 < |q| <= 4.5; 0 beyond. The sum is piecewise
    linear in x with nodes x_i +- {1.5, 3, 4.5} s*, so every root is found
    exactly by linear interpolation between adjacent nodes (the finite-step
    algorithm of C.5.3). Among several roots the one nearest the median is
    taken; if two are equally near, or there is no root, the median itself.
    Roots outside (min x - 4.5 s*, max x + 4.5 s*), where every psi is 0,
    are ignored.

    References
    ----------
    ISO 13528:2022, C.5.3 (Hampel estimator) and C.5.4 (Q/Hampel).
    """
    x = _results(values, what="the Hampel estimator")
    s = check_positive("s_star", s_star)
    med = float(np.median(x))
    a, b, c = _HAMPEL_ABC
    nodes = np.unique(np.concatenate([x + k * s for k in (-c, -b, -a, a, b, c)]))
    f = np.array([_psi_sum(x, t, s) for t in nodes])
    zero = 1e-12 * x.size
    roots: list[float] = []
    for m in range(nodes.size - 1):
        lo, hi, flo, fhi = nodes[m], nodes[m + 1], f[m], f[m + 1]
        inner_lo = m > 0  # the outermost nodes are trivial zeros
        inner_hi = m + 1 < nodes.size - 1
        if abs(flo) <= zero and abs(fhi) <= zero and inner_lo and inner_hi:
            roots.append(float(np.clip(med, lo, hi)))  # psi sum 0 on the whole segment
        elif abs(flo) <= zero and inner_lo:
            roots.append(float(lo))
        elif flo * fhi < 0:
            roots.append(float(lo - flo * (hi - lo) / (fhi - flo)))
    if not roots:
        return med
    r = np.unique(np.asarray(roots))
    dist = np.abs(r - med)
    best = np.flatnonzero(dist <= dist.min() + 1e-12 * s)
    return float(r[best[0]]) if best.size == 1 else med


def q_hampel(values: Any) -> RobustResult:
    """Consensus by Q/Hampel: s* by the Q method, x* by the Hampel estimator (ISO 13528:2022 C.5).

    Parameters
    ----------
    values : array-like or Series
        One finite result per participant (at least 3).

    Returns
    -------
    RobustResult
        ``x_star`` (Hampel), ``s_star`` (Q method), ``u_x_pt = 1.25 s*/sqrt(p)``.

    Raises
    ------
    DataError
        NaN results or fewer than 3 participants.

    References
    ----------
    ISO 13528:2022, C.5.2-C.5.4; worked example Annex E.3, Table E.5.

    Examples
    --------
    >>> r = q_hampel([0.227, 0.230, 0.243, 0.255, 0.264, 0.270, 0.274, 0.311])
    >>> r.method
    'Q/Hampel'
    """
    x = _results(values, what="Q/Hampel")
    s = q_method(x)
    settings = {"psi_knots": list(_HAMPEL_ABC), "u_factor": U_FACTOR, "hampel": "finite-step"}
    if s == 0.0:
        return _result(
            "Q/Hampel", float(np.median(x)), 0.0, x.size, settings=settings, degenerate=True
        )
    return _result("Q/Hampel", hampel(x, s), s, x.size, settings=settings)


def median_niqr(values: Any, *, quantile_method: str = "linear") -> RobustResult:
    """Median and normalised interquartile range (ISO 13528:2022 C.2.1, C.2.3).

    Parameters
    ----------
    values : array-like or Series
        One finite result per participant (at least 3).
    quantile_method : str, default "linear"
        Quartile definition passed to :func:`numpy.quantile`. ISO 13528 does not
        fix one; ``"linear"`` (R's type 7) reproduces Table E.5.

    Returns
    -------
    RobustResult
        x_star = median, s_star = nIQR = 0.7413 (Q3 - Q1), u_x_pt = 1.25 nIQR/sqrt(p).

    Raises
    ------
    DataError
        NaN results or fewer than 3 participants.

    # R: median(x); 0.7413 * IQR(x)   (IQR uses type 7)
    """
    x = _results(values, what="median/nIQR")
    try:
        q1, q3 = np.quantile(x, [0.25, 0.75], method=quantile_method)
    except ValueError as exc:
        raise PvcalError(
            f"quantile_method={quantile_method!r} is not a numpy method: {exc}"
        ) from None
    settings = {
        "niqr_factor": NIQR_FACTOR,
        "quantile_method": quantile_method,
        "u_factor": U_FACTOR,
    }
    s = NIQR_FACTOR * float(q3 - q1)
    return _result(
        "median/nIQR", float(np.median(x)), s, x.size, settings=settings, degenerate=s == 0.0
    )


def made(values: Any) -> RobustResult:
    """Median and scaled median absolute deviation MADe (ISO 13528:2022 C.2.1, C.2.2).

    Parameters
    ----------
    values : array-like or Series
        One finite result per participant (at least 3).

    Returns
    -------
    RobustResult
        x_star = median, s_star = MADe = 1.483 median|x_i - median|,
        u_x_pt = 1.25 MADe/sqrt(p).

    Raises
    ------
    DataError
        NaN results or fewer than 3 participants.

    # R: median(x); mad(x, constant = 1.483)
    """
    x = _results(values, what="median/MADe")
    med = float(np.median(x))
    s = MADE_FACTOR * float(np.median(np.abs(x - med)))
    return _result(
        "median/MADe",
        med,
        s,
        x.size,
        settings={"made_factor": MADE_FACTOR, "u_factor": U_FACTOR},
        degenerate=s == 0.0,
    )


def arithmetic_mean(values: Any) -> RobustResult:
    """Arithmetic mean, sample standard deviation and u = s/sqrt(p) (not robust).

    Given for comparison with the robust estimators, as in ISO 13528:2022
    Table E.5.

    Parameters
    ----------
    values : array-like or Series
        One finite result per participant (at least 3).

    Returns
    -------
    RobustResult
        ``method="mean"``, x_star = mean, s_star = sd (ddof 1), u_x_pt = s/sqrt(p).

    Raises
    ------
    DataError
        NaN results or fewer than 3 participants.
    """
    x = _results(values, what="the mean")
    s = float(np.std(x, ddof=1))
    return _result(
        "mean",
        float(np.mean(x)),
        s,
        x.size,
        u_factor=1.0,
        settings={"ddof": 1, "u_factor": 1.0},
        degenerate=s == 0.0,
    )


_METHODS = {
    "algorithm_a": algorithm_a,
    "q_hampel": q_hampel,
    "median_niqr": median_niqr,
    "made": made,
    "mean": arithmetic_mean,
}


# --------------------------------------------------------------------------- performance


def _broadcast(
    name: str,
    value: Any,
    n: int,
    index: pd.Index | None,
    *,
    allow_nan: bool,
    positive: bool = False,
    nonneg: bool = False,
) -> np.ndarray:
    """A scalar or per-participant array of length n, checked."""
    if isinstance(value, pd.Series) and index is not None and not value.index.equals(index):
        raise DataError(f"{name} is a Series whose index does not match the participants of x")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"{name} must be a number or one number per participant") from None
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    elif arr.ndim != 1 or arr.size != n:
        raise DataError(
            f"{name} has shape {arr.shape} but x has {n} participant(s); "
            "give a scalar or one value per participant"
        )
    bad = np.isinf(arr) | (np.isnan(arr) & (not allow_nan))
    if bad.any():
        raise DataError(
            f"{name} has non-finite value(s) at position(s) {np.flatnonzero(bad)[:5].tolist()}"
        )
    fin = np.isfinite(arr)
    if positive and np.any(arr[fin] <= 0):
        raise PvcalError(f"{name} must be > 0, got {arr[fin][arr[fin] <= 0][:5].tolist()}")
    if nonneg and np.any(arr[fin] < 0):
        raise PvcalError(f"{name} must be >= 0, got {arr[fin][arr[fin] < 0][:5].tolist()}")
    return arr


def _ratio(num: np.ndarray, den: np.ndarray, what: str, index: pd.Index) -> np.ndarray:
    zero = np.isfinite(den) & (den == 0)
    if zero.any():
        raise PvcalError(
            f"{what} is zero for participant(s) {list(index[zero][:5])}; the statistic is undefined"
        )
    return num / den


def performance(
    x: Any,
    x_pt: Any,
    sigma_pt: Any,
    u_x_pt: Any = None,
    u_x: Any = None,
    U_x: Any = None,
    U_x_pt: Any = None,
) -> pd.DataFrame:
    """Performance statistics z, z', zeta and En (ISO 13528:2022 Clause 9).

    Parameters
    ----------
    x : array-like or Series
        Participants' results (finite). A Series keeps its index.
    x_pt : float or array-like
        Assigned value (scalar or one per participant).
    sigma_pt : float or array-like
        Standard deviation for proficiency assessment, > 0.
    u_x_pt : float, optional
        Standard uncertainty of the assigned value (needed by z' and zeta).
    u_x : float or array-like, optional
        Participants' standard uncertainties (zeta); NaN where not reported.
    U_x : float or array-like, optional
        Participants' expanded uncertainties (En); NaN where not reported.
    U_x_pt : float, optional
        Expanded uncertainty of the assigned value (En).

    Returns
    -------
    DataFrame
        Indexed like ``x``; columns ``z``, ``z_prime``, ``zeta``, ``En``. A
        column is NaN where an input it needs is missing.

    Raises
    ------
    DataError
        Non-finite results or lengths that do not match ``x``.
    PvcalError
        sigma_pt <= 0, negative uncertainties, or a zero denominator.

    Notes
    -----
    z = (x - x_pt)/sigma_pt (9.4); z' = (x - x_pt)/sqrt(sigma_pt^2 + u(x_pt)^2) (9.5);
    zeta = (x - x_pt)/sqrt(u(x)^2 + u(x_pt)^2) (9.6);
    En = (x - x_pt)/sqrt(U(x)^2 + U(x_pt)^2) (9.7). ISO 9.4.2 reads |z| <= 2
    as satisfactory, 2 < |z| < 3 as questionable (warning) and |z| >= 3 as
    unsatisfactory (action); |En| >= 1 is an action signal (9.7.2). See
    :func:`grade` for pvcal's four-grade mapping.

    Examples
    --------
    >>> performance([0.25, 0.30], x_pt=0.257, sigma_pt=0.04, u_x_pt=0.0085).round(3)
           z  z_prime  zeta  En
    0 -0.175   -0.171   NaN NaN
    1  1.075    1.052   NaN NaN
    """
    index = x.index if isinstance(x, pd.Series) else None
    try:
        xv = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise DataError("x must be numbers (one result per participant)") from None
    if xv.ndim != 1 or xv.size == 0:
        raise DataError(f"x must be a non-empty one-dimensional array, got shape {xv.shape}")
    n = xv.size
    idx = index if index is not None else pd.RangeIndex(n)
    bad = np.flatnonzero(~np.isfinite(xv))
    if bad.size:
        raise DataError(
            f"x has missing or non-finite result(s) for participant(s) "
            f"{list(idx[bad[:5]])}; a missing result cannot be scored"
        )
    xpt = _broadcast("x_pt", x_pt, n, index, allow_nan=False)
    sig = _broadcast("sigma_pt", sigma_pt, n, index, allow_nan=False, positive=True)
    nan = np.full(n, np.nan)

    def opt(name: str, v: Any) -> np.ndarray:
        return nan if v is None else _broadcast(name, v, n, index, allow_nan=True, nonneg=True)

    uxpt, ux, Ux, Uxpt = (
        opt("u_x_pt", u_x_pt),
        opt("u_x", u_x),
        opt("U_x", U_x),
        opt("U_x_pt", U_x_pt),
    )
    d = xv - xpt
    return pd.DataFrame(
        {
            "z": d / sig,
            "z_prime": d / np.sqrt(sig**2 + uxpt**2),
            "zeta": _ratio(d, np.sqrt(ux**2 + uxpt**2), "sqrt(u_x^2 + u_x_pt^2)", idx),
            "En": _ratio(d, np.sqrt(Ux**2 + Uxpt**2), "sqrt(U_x^2 + U_x_pt^2)", idx),
        },
        index=idx,
    )


# --------------------------------------------------------------------------- grading


def default_grading() -> dict[str, Any]:
    """The default grading rule: two-sided z with cuts 1, 2, 3 (a fresh dict)."""
    return {
        "statistic": "z",
        "one_sided": False,
        "cuts": {"excellent": 1.0, "good": 2.0, "pass": 3.0},
        "boundary": "closed",
    }


def _check_grading(config: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a grading config (from the rules file) and fill defaults."""
    if not isinstance(config, Mapping):
        raise SchemaError(f"grading config must be a mapping, got {type(config).__name__}")
    known = {"statistic", "one_sided", "unfavourable", "cuts", "boundary"}
    extra = sorted(set(config) - known)
    if extra:
        raise SchemaError(
            f"grading config: unknown key(s) {extra}; expected some of {sorted(known)}"
        )
    out = default_grading()
    out.update({k: v for k, v in config.items() if k != "cuts"})
    out["statistic"] = check_choice(
        "grading config 'statistic'", out["statistic"], STATISTICS, error=SchemaError
    )
    out["boundary"] = check_choice(
        "grading config 'boundary'", out["boundary"], ["closed", "open"], error=SchemaError
    )
    side = out["one_sided"]
    if side is True:
        if "unfavourable" not in config:
            raise SchemaError(
                "grading config: one_sided=True needs 'unfavourable': 'low' or "
                "'high' (the direction that counts against a participant)"
            )
        side = config["unfavourable"]
    if side is not False and side is not None:
        side = check_choice("grading config 'one_sided'", side, ["low", "high"], error=SchemaError)
    else:
        side = False
    out["one_sided"] = side
    out.pop("unfavourable", None)
    cuts = config.get("cuts", out["cuts"])
    if not isinstance(cuts, Mapping) or set(cuts) != {"excellent", "good", "pass"}:
        raise SchemaError(
            f"grading config 'cuts' must map exactly 'excellent', 'good', 'pass' "
            f"to numbers, got {cuts!r}"
        )
    vals = []
    for k in ("excellent", "good", "pass"):
        try:
            v = float(cuts[k])
        except (TypeError, ValueError):
            raise SchemaError(
                f"grading config cut {k!r} must be a number, got {cuts[k]!r}"
            ) from None
        if not (math.isfinite(v) and v >= 0):
            raise SchemaError(f"grading config cut {k!r} must be finite and >= 0, got {cuts[k]!r}")
        vals.append(v)
    if not vals[0] < vals[1] < vals[2]:
        raise SchemaError(
            f"grading config cuts must increase excellent < good < pass, got {cuts!r}"
        )
    out["cuts"] = dict(zip(("excellent", "good", "pass"), vals, strict=True))
    return out


def grade(scores: Any, config: Mapping[str, Any] | None = None) -> pd.Series:
    """Map a performance statistic onto the grades Excellent / Good / Pass / Fail.

    Parameters
    ----------
    scores : DataFrame, Series or array-like
        The frame from :func:`performance` (the column ``config["statistic"]``
        is used) or the values of the statistic itself.
    config : mapping, optional
        The grading rule from the discipline's rules file, e.g.
        ``{"statistic": "z", "one_sided": False,
        "cuts": {"excellent": 1.0, "good": 2.0, "pass": 3.0}}`` (the default).
        ``one_sided`` is ``False``, ``"low"`` or ``"high"`` (the unfavourable
        direction), or ``True`` together with ``"unfavourable": "low"|"high"``.
        ``boundary`` is ``"closed"`` (default) or ``"open"``.

    Returns
    -------
    Series
        Ordered categorical (Fail < Pass < Good < Excellent), indexed like
        ``scores``; missing where the statistic is NaN.

    Raises
    ------
    SchemaError
        A malformed config (unknown key or statistic, cuts not increasing).
    DataError
        A DataFrame without the configured statistic's column.

    Notes
    -----
    With t the statistic, the *unfavourable deviation* is e = |t| two-sided,
    e = max(-t, 0) for ``one_sided="low"`` (only results below x_pt count) and
    e = max(t, 0) for ``"high"``; a favourable deviation of any size is
    Excellent. Then e <= excellent cut: Excellent; e <= good cut: Good;
    e <= pass cut: Pass; else Fail.

    **Boundary convention.** With ``boundary="closed"`` (default) a score
    exactly on a cut gets the better grade (|z| = 2 is Good, |z| = 3 is
    Pass), matching ISO 13528:2022 9.4.2 at 2 (|z| <= 2 satisfactory) but
    not at 3, where ISO reads |z| >= 3 as an action signal. With
    ``boundary="open"`` a score on a cut gets the worse grade (|z| = 3 is
    Fail, as ISO's action signal; |z| = 2 is Pass).

    Examples
    --------
    >>> grade([0.5, -2.0, 2.5, -3.5]).tolist()
    ['Excellent', 'Good', 'Pass', 'Fail']
    >>> grade([0.5, -2.0, 2.5, 3.5], {"statistic": "z", "one_sided": "low"}).tolist()
    ['Excellent', 'Good', 'Excellent', 'Excellent']
    """
    cfg = _check_grading(default_grading() if config is None else config)
    if isinstance(scores, pd.DataFrame):
        check_columns(scores, [cfg["statistic"]])
        t = scores[cfg["statistic"]]
    elif isinstance(scores, pd.Series):
        t = scores
    else:
        try:
            t = pd.Series(np.asarray(scores, dtype=float))
        except (TypeError, ValueError):
            raise DataError("scores must be numbers (one statistic per participant)") from None
    v = t.to_numpy(dtype=float, na_value=np.nan)
    if cfg["one_sided"] == "low":
        e = np.maximum(-v, 0.0)
    elif cfg["one_sided"] == "high":
        e = np.maximum(v, 0.0)
    else:
        e = np.abs(v)
    e = np.where(np.isnan(v), np.nan, e)
    c = cfg["cuts"]
    le = np.less_equal if cfg["boundary"] == "closed" else np.less
    with np.errstate(invalid="ignore"):
        labels = np.select(
            [np.isnan(e), le(e, c["excellent"]), le(e, c["good"]), le(e, c["pass"])],
            [None, "Excellent", "Good", "Pass"],
            default="Fail",
        )
    dtype = pd.CategoricalDtype(list(reversed(GRADES)), ordered=True)
    return pd.Series(pd.Categorical(labels, dtype=dtype), index=t.index, name="grade")


# --------------------------------------------------------------------------- round


@dataclass(frozen=True, eq=False)
class PeerRound:
    """A peer-comparison round: assigned value per sample, scores and grades per participant.

    Built by :func:`assess`; do not construct directly.

    Attributes
    ----------
    assigned : DataFrame
        Indexed by sample: ``method``, ``p``, ``x_pt``, ``s_star``, ``u_x_pt``,
        ``sigma_pt``, ``u_negligible`` (u(x_pt) < 0.3 sigma_pt, ISO 13528:2022 9.2.1).
    scores : DataFrame
        One row per (sample, participant): ``x``, ``z``, ``z_prime``, ``zeta``,
        ``En`` and ``grade``.
    estimates : dict
        Sample -> :class:`RobustResult`.
    grading : dict
        The validated grading rule.
    """

    assigned: pd.DataFrame
    scores: pd.DataFrame
    estimates: Mapping[Any, RobustResult]
    grading: Mapping[str, Any]
    method: str
    value_col: str
    participant_col: str
    sample_col: str | None

    @cached_property
    def grade_counts(self) -> pd.DataFrame:
        """Participants per grade (columns) and sample (rows)."""
        return (
            self.scores.groupby(["sample", "grade"], observed=False)
            .size()
            .unstack("grade")
            .reindex(columns=list(GRADES))
        )

    def summary(self) -> Summary:
        """Assigned values per sample and grade counts."""
        cfg = self.grading
        side = "two-sided" if not cfg["one_sided"] else f"one-sided ({cfg['one_sided']} counts)"
        notes = (
            f"consensus by {self.method} (ISO 13528:2022 Annex C); u(x_pt) = 1.25 s*/sqrt(p).",
            f"grades from {cfg['statistic']} ({side}, cuts {cfg['cuts']}, boundary "
            f"{cfg['boundary']}).",
        )
        low = self.assigned.index[~self.assigned["u_negligible"]]
        if len(low):
            notes += (
                f"u(x_pt) >= 0.3 sigma_pt for sample(s) {list(low)}: consider z' "
                "instead of z (ISO 13528:2022 9.2.1).",
            )
        return Summary(
            "Peer comparison round",
            tables=(("assigned values", self.assigned), ("grades", self.grade_counts)),
            notes=notes,
        )

    def plot(self, sample: Any = None, *, statistic: str | None = None, ax: Any = None) -> Any:
        """Ranked scores with +-2 (warning) and +-3 (action) bands.

        Parameters
        ----------
        sample : optional
            Which sample; with several samples and none given, one panel each.
        statistic : str, optional
            Column to plot (default: the grading statistic).
        ax : matplotlib Axes, optional
            Draw there (single sample only).

        Returns
        -------
        Axes (one sample) or Figure (several panels).
        """
        import matplotlib.pyplot as plt

        stat = check_choice("statistic", statistic or self.grading["statistic"], STATISTICS)
        samples = list(self.assigned.index)
        if sample is None and len(samples) > 1:
            if ax is not None:
                raise PvcalError("ax= needs a single sample; pass sample=")
            fig, axes = plt.subplots(len(samples), 1, figsize=(7, 3 * len(samples)), squeeze=False)
            for s, a in zip(samples, axes[:, 0], strict=True):
                self.plot(s, statistic=stat, ax=a)
            fig.tight_layout()
            return fig
        sample = samples[0] if sample is None else sample
        if sample not in self.assigned.index:
            raise PvcalError(f"sample {sample!r} is not in this round; samples are {samples}")
        rows = self.scores[self.scores["sample"] == sample].sort_values(stat)
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 3))
        vals = rows[stat].to_numpy(dtype=float)
        palette = {
            "Excellent": "tab:green",
            "Good": "tab:blue",
            "Pass": "tab:orange",
            "Fail": "tab:red",
        }
        colors = [palette.get(g, "lightgrey") for g in rows["grade"].astype(object)]
        pos = np.arange(len(rows))
        ax.bar(pos, np.nan_to_num(vals), color=colors)
        # ISO 13528:2022 9.4.2 warning (+-2) and action (+-3) limits, or the
        # configured good/pass cuts when plotting the grading statistic
        cuts = self.grading["cuts"]
        lines = (cuts["good"], cuts["pass"]) if stat == self.grading["statistic"] else (2, 3)
        for y, style in zip(lines, ("--", "-"), strict=True):
            for sgn in (1, -1):
                ax.axhline(sgn * y, color="grey", linestyle=style, linewidth=0.8)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xticks(pos)
        ax.set_xticklabels([str(p) for p in rows[self.participant_col]], rotation=90, fontsize=7)
        ax.set_ylabel(stat)
        ax.set_title(f"{stat} by participant, sample {sample!r} (ranked)")
        return ax

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe record of the round."""
        return {
            "method": self.method,
            "grading": _jsonable(dict(self.grading)),
            "assigned": _records(self.assigned),
            "scores": _records(self.scores),
            "estimates": {str(k): v.to_dict() for k, v in self.estimates.items()},
        }

    def to_json(self, **kwargs: Any) -> str:
        """``json.dumps(self.to_dict())``."""
        return json.dumps(self.to_dict(), **kwargs)


def assess(
    df: pd.DataFrame,
    value_col: str,
    *,
    participant_col: str = "participant",
    sample_col: str | None = None,
    method: str = "algorithm_a",
    sigma_pt: float | Mapping[Any, float] | None = None,
    u_col: str | None = None,
    U_col: str | None = None,
    k: float = 2.0,
    grading: Mapping[str, Any] | None = None,
) -> PeerRound:
    """Score a peer-comparison round: consensus per sample, statistics and grades per participant.

    Parameters
    ----------
    df : DataFrame
        Long data: one row per participant (and sample).
    value_col : str
        Column of results.
    participant_col : str, default "participant"
        Column of participant ids (pseudonymised ids in anything published).
    sample_col : str, optional
        Column of the task/sample; without it the whole frame is one sample.
    method : {"algorithm_a", "q_hampel", "median_niqr", "made", "mean"}
        Consensus estimator.
    sigma_pt : float or mapping, optional
        Standard deviation for proficiency assessment, one for all or per
        sample; default the consensus s* of the sample.
    u_col, U_col : str, optional
        Columns of participants' standard / expanded uncertainties (zeta / En).
    k : float, default 2
        Coverage factor for U(x_pt) = k u(x_pt) in En.
    grading : mapping, optional
        Grading rule for :func:`grade` (default two-sided z, cuts 1/2/3).

    Returns
    -------
    PeerRound

    Raises
    ------
    DataError
        Missing columns, non-finite results (naming the rows), a participant
        twice in a sample, fewer than 3 participants in a sample.
    PvcalError
        Bad method, sigma_pt <= 0 or a sample without sigma_pt.
    SchemaError
        A malformed grading rule.

    Examples
    --------
    >>> df = pd.DataFrame({"participant": list("ABCDEFG"),
    ...                    "result": [10.1, 9.8, 10.0, 10.3, 9.9, 12.5, 10.2]})
    >>> rnd = assess(df, "result")
    >>> rnd.scores["grade"].tolist()[-2:]
    ['Fail', 'Excellent']
    """
    method = check_choice("method", method, list(_METHODS))
    cols = [value_col, participant_col] + ([sample_col] if sample_col else [])
    cols += [c for c in (u_col, U_col) if c]
    check_columns(df, cols)
    cfg = _check_grading(default_grading() if grading is None else grading)
    k = check_positive("k", k)
    data = df[cols].copy()
    data["_pos"] = np.arange(len(data))
    try:
        vals = pd.to_numeric(data[value_col], errors="raise").astype(float)
    except (TypeError, ValueError):
        raise DataError(f"column {value_col!r} must be numeric results") from None
    bad = data.index[~np.isfinite(vals.to_numpy())]
    if len(bad):
        raise DataError(
            f"column {value_col!r} has missing or non-finite results at row(s) "
            f"{list(bad[:5])}; drop non-reporting participants before assessing"
        )
    data[value_col] = vals
    data["sample"] = data[sample_col] if sample_col else "all"
    for col in [participant_col] + ([sample_col] if sample_col else []):
        missing = data.index[data[col].isna()]
        if len(missing):
            raise DataError(
                f"column {col!r} is missing at row(s) {list(missing[:5])}; every result "
                "needs a participant id (and a sample when sample_col is given)"
            )
    dup = data.duplicated(["sample", participant_col], keep=False)
    if dup.any():
        first = data[dup].iloc[0]
        raise DataError(
            f"participant {first[participant_col]!r} has more than one result in "
            f"sample {first['sample']!r} (rows {list(data.index[dup][:5])}); "
            "a round takes one result per participant and sample"
        )
    estimator = _METHODS[method]
    assigned_rows, score_frames, estimates = [], [], {}
    for sample, grp in data.groupby("sample", sort=True):
        try:
            est = estimator(grp[value_col].to_numpy())
        except DataError as exc:
            raise DataError(f"sample {sample!r}: {exc}") from None
        estimates[sample] = est
        if sigma_pt is None:
            sig = est.s_star
        elif isinstance(sigma_pt, Mapping):
            if sample not in sigma_pt:
                raise PvcalError(f"sigma_pt has no value for sample {sample!r}")
            sig = sigma_pt[sample]
        else:
            sig = sigma_pt
        sig = check_positive(f"sigma_pt for sample {sample!r}", sig)
        perf = performance(
            grp[value_col].reset_index(drop=True),
            est.x_star,
            sig,
            u_x_pt=est.u_x_pt,
            u_x=grp[u_col].to_numpy(dtype=float) if u_col else None,
            U_x=grp[U_col].to_numpy(dtype=float) if U_col else None,
            U_x_pt=k * est.u_x_pt if U_col else None,
        )
        perf.insert(0, "x", grp[value_col].to_numpy())
        perf.insert(0, participant_col, grp[participant_col].to_numpy())
        perf.insert(0, "sample", sample)
        perf.index = grp.index
        perf["_pos"] = grp["_pos"].to_numpy()
        perf["grade"] = grade(perf, cfg)
        score_frames.append(perf)
        assigned_rows.append(
            {
                "sample": sample,
                "method": est.method,
                "p": est.p,
                "x_pt": est.x_star,
                "s_star": est.s_star,
                "u_x_pt": est.u_x_pt,
                "sigma_pt": sig,
                "u_negligible": est.u_x_pt < 0.3 * sig,
            }
        )
    scores = pd.concat(score_frames).sort_values("_pos").drop(columns="_pos")
    scores["grade"] = scores["grade"].astype(
        pd.CategoricalDtype(list(reversed(GRADES)), ordered=True)
    )
    assigned = pd.DataFrame(assigned_rows).set_index("sample")
    return PeerRound(
        assigned=assigned,
        scores=scores,
        estimates=MappingProxyType(estimates),
        grading=MappingProxyType(cfg),
        method=method,
        value_col=value_col,
        participant_col=participant_col,
        sample_col=sample_col,
    )
