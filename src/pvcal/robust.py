"""Robust location and scale: the consensus estimators of ISO 13528:2022 Annex C.

One implementation of each estimator, used wherever pvcal needs a robust mean
and standard deviation: the assigned value of a peer-comparison round
(:mod:`pvcal.peer`, which re-exports everything here) and the robust normative
cut of the standards module (:func:`pvcal.standards.normative_cut`). It sits at
the left end of the data flow with ``_validation`` and ``serialize`` and imports
nothing else from pvcal.

- :func:`algorithm_a` -- Algorithm A (C.3), Huber's M-estimator with iterated scale;
- :func:`q_hampel` -- Q method for s* (C.5.2) with the Hampel estimator for x* (C.5.3);
- :func:`median_niqr` and :func:`made` -- median with nIQR (C.2.3) or MADe (C.2.2);
- :func:`arithmetic_mean` -- the plain mean and standard deviation, for comparison.

Each returns a :class:`RobustResult` with ``x_star``, ``s_star`` and ``u_x_pt``.

References
----------
.. [1] ISO 13528:2022, *Statistical methods for use in proficiency testing by
   interlaboratory comparison*, 3rd ed. Geneva: ISO.
.. [2] ISO 5725-5:1998, *Accuracy (trueness and precision) of measurement methods
   and results -- Part 5*, clause 6.2 (origin of Algorithm A).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from pvcal._summary import Summary
from pvcal._validation import (
    ConvergenceWarning,
    DataError,
    PvcalError,
    check_choice,
    check_positive,
)
from pvcal.serialize import (
    check_record,
    dumps,
    float_or_nan,
    json_equal,
    loads_record,
    to_jsonable,
)

__all__ = [
    "ALG_A_FACTOR",
    "ALG_A_K",
    "CONSENSUS_METHODS",
    "MADE_FACTOR",
    "MIN_PARTICIPANTS",
    "NIQR_FACTOR",
    "U_FACTOR",
    "RobustResult",
    "algorithm_a",
    "arithmetic_mean",
    "hampel",
    "made",
    "median_niqr",
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

_HAMPEL_ABC = (1.5, 3.0, 4.5)  # ISO 13528:2022 C.5.3: psi knots a, b, c (in units of s*)


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
        """JSON-safe dictionary of every number, setting and iteration."""
        return to_jsonable(
            {
                "pvcal_type": "RobustResult",
                "method": self.method,
                "x_star": self.x_star,
                "s_star": self.s_star,
                "u_x_pt": self.u_x_pt,
                "p": self.p,
                "iterations": self.iterations,
                "converged": self.converged,
                "degenerate": self.degenerate,
                "settings": dict(self.settings),
                "history": [list(h) for h in self.history],
            }
        )

    def to_json(self) -> str:
        """Canonical JSON (:func:`pvcal.serialize.dumps`) of :meth:`to_dict`."""
        return dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RobustResult:
        """Rebuild a result from :meth:`to_dict` (NaN where the JSON has null).

        Raises
        ------
        SchemaError
            ``d`` is not a RobustResult record.
        """
        check_record(d, "RobustResult", ("method", "x_star", "s_star", "u_x_pt", "p"))
        num = float_or_nan
        return cls(
            method=d["method"],
            x_star=num(d["x_star"]),
            s_star=num(d["s_star"]),
            u_x_pt=num(d["u_x_pt"]),
            p=int(d["p"]),
            iterations=int(d.get("iterations", 0)),
            converged=bool(d.get("converged", True)),
            settings=dict(d.get("settings") or {}),
            history=tuple((int(i), num(x), num(s)) for i, x, s in d.get("history") or ()),
            degenerate=bool(d.get("degenerate", False)),
        )

    @classmethod
    def from_json(cls, text: str) -> RobustResult:
        """Rebuild a result from :meth:`to_json` text."""
        return cls.from_dict(loads_record(text, "RobustResult"))

    def __eq__(self, other: object) -> bool:
        return json_equal(self, other)

    __hash__ = None  # type: ignore[assignment]

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


#: Consensus estimators by the name the rules file and :func:`pvcal.peer.assess` use.
CONSENSUS_METHODS = {
    "algorithm_a": algorithm_a,
    "q_hampel": q_hampel,
    "median_niqr": median_niqr,
    "made": made,
    "mean": arithmetic_mean,
}
