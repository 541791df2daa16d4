"""Peer comparison: robust consensus and performance statistics (ISO 13528:2022).

For disciplines verified by peer comparison (Art. 9 of the verification
rules), every participant reports a result on the same task (a *sample*); the
assigned value ``x_pt`` is the robust consensus of the peers, and each result is
judged by a performance statistic (z, z', zeta or En) that is mapped onto the
four grades Excellent / Good / Pass / Fail.

Consensus estimators (ISO 13528:2022, Annex C), all returning a
:class:`RobustResult` with ``x_star``, ``s_star`` and ``u_x_pt`` (implemented
once in :mod:`pvcal.robust`, which the standards module also uses, and
re-exported here):

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

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from pvcal import rules as _rules
from pvcal._summary import Summary
from pvcal._validation import (
    DataError,
    PvcalError,
    SchemaError,
    check_choice,
    check_columns,
    check_positive,
)
from pvcal.robust import (
    ALG_A_FACTOR,
    ALG_A_K,
    CONSENSUS_METHODS,
    MADE_FACTOR,
    MIN_PARTICIPANTS,
    NIQR_FACTOR,
    U_FACTOR,
    RobustResult,
    algorithm_a,
    arithmetic_mean,
    hampel,
    made,
    median_niqr,
    q_hampel,
    q_method,
)
from pvcal.serialize import (
    check_record,
    dumps,
    frame_from_json,
    json_equal,
    loads_record,
    to_jsonable,
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

#: The four grades of Art. 12, best first (:data:`pvcal.rules.GRADES`).
GRADES = _rules.GRADES
#: Performance statistics that :func:`grade` can map (columns of :func:`performance`).
STATISTICS = _rules.PEER_STATISTICS


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


def _check_grading(config: Any) -> dict[str, Any]:
    """Validate a grading config (the rules' ``peer.grading``) and fill defaults.

    One definition: :class:`pvcal.rules.PeerGrading`; a typed one is taken as it is.
    """
    if isinstance(config, _rules.PeerGrading):
        return config.config()
    if not isinstance(config, Mapping):
        raise SchemaError(f"grading config must be a mapping, got {type(config).__name__}")
    return _rules.section(_rules.PeerGrading, dict(config), "peer.grading").config()


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
        """JSON-safe record of the round (frames in :mod:`pvcal.serialize` split form)."""
        return to_jsonable(
            {
                "pvcal_type": "PeerRound",
                "version": 2,
                "method": self.method,
                "value_col": self.value_col,
                "participant_col": self.participant_col,
                "sample_col": self.sample_col,
                "grading": dict(self.grading),
                "assigned": self.assigned,
                "scores": self.scores,
                "estimates": [[k, v.to_dict()] for k, v in self.estimates.items()],
            }
        )

    def to_json(self) -> str:
        """Canonical JSON (:func:`pvcal.serialize.dumps`) of :meth:`to_dict`."""
        return dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PeerRound:
        """Rebuild a round from :meth:`to_dict`.

        Raises
        ------
        SchemaError
            Not a PeerRound record (or one written before version 2, whose
            frames were lists of records without their dtypes).
        """
        keys = ("method", "grading", "assigned", "scores", "estimates", "value_col")
        check_record(d, "PeerRound", keys)
        if d.get("version", 1) < 2:
            raise SchemaError("PeerRound JSON of version 1 cannot be read back; re-run assess")
        grading = dict(d["grading"])
        if isinstance(grading.get("cuts"), Mapping):
            grading["cuts"] = dict(grading["cuts"])
        return cls(
            assigned=frame_from_json(d["assigned"]),
            scores=frame_from_json(d["scores"]),
            estimates=MappingProxyType({k: RobustResult.from_dict(v) for k, v in d["estimates"]}),
            grading=MappingProxyType(grading),
            method=d["method"],
            value_col=d["value_col"],
            participant_col=d["participant_col"],
            sample_col=d["sample_col"],
        )

    @classmethod
    def from_json(cls, text: str) -> PeerRound:
        """Rebuild a round from :meth:`to_json` text."""
        return cls.from_dict(loads_record(text, "PeerRound"))

    def __eq__(self, other: object) -> bool:
        return json_equal(self, other)

    __hash__ = None  # type: ignore[assignment]


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
    method = check_choice("method", method, list(CONSENSUS_METHODS))
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
    estimator = CONSENSUS_METHODS[method]
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
