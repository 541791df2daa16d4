"""Drift across periods: item parameters, pass rates and score distributions.

Three screens for the platform monitor (Art. 20), each comparing consecutive
periods of one discipline and each with an alert threshold:

- :func:`item_drift`: every item calibrated in two consecutive periods (anchors
  and any other common item), both on the base scale: the change in location
  and slope, a robust z of the location change among the common items, and an
  alert when ``|z|`` or the change itself passes its threshold;
- :func:`pass_rate_drift`: the change of the pass rate with the two-proportion
  z test; an alert when the change is at least ``threshold`` and significant;
- :func:`score_drift`: the standardized mean difference and the two-sample
  Kolmogorov-Smirnov distance of the score distributions; an alert when either
  passes its threshold (effect sizes, not p-values: with thousands of
  candidates every difference is significant).

Each returns a DataFrame with one row per comparison and a boolean ``alert``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ._validation import DataError, check_positive

__all__ = ["item_location", "item_drift", "pass_rate_drift", "score_drift"]

#: 1 / Phi^-1(3/4): makes the MAD a consistent estimate of a normal SD.
MAD_SCALE = 1.482602218505602


def item_location(items: pd.DataFrame) -> pd.Series:
    """Item location: ``b`` for a dichotomous item, the mean threshold otherwise.

    Parameters
    ----------
    items : DataFrame
        Indexed by item with ``b`` and/or threshold columns ``b1, b2, ...``
        (``Calibration.items`` in the IRT parameterisation).

    Returns
    -------
    Series
    """
    thr = [c for c in items.columns if str(c).startswith("b") and str(c)[1:].isdigit()]
    b = items["b"] if "b" in items.columns else pd.Series(np.nan, index=items.index)
    if thr:
        b = b.fillna(items[thr].mean(axis=1, skipna=True))
    if b.isna().all():
        raise DataError(
            f"items: no location column ('b' or 'b1', 'b2', ...); got {list(items.columns)}"
        )
    return b.astype(float)


def item_drift(
    items_by_period: Mapping[str, pd.DataFrame],
    *,
    threshold_z: float = 2.7,
    threshold_b: float = 0.5,
    min_common: int = 3,
) -> pd.DataFrame:
    """Parameter drift of every item common to two consecutive periods.

    Parameters
    ----------
    items_by_period : mapping period -> DataFrame
        Item parameters of each period on the base scale (after linking),
        indexed by item id, with ``a`` and ``b`` (or thresholds ``b1..``); in
        period order.
    threshold_z : float, default 2.7
        Alert when the robust z of the location change exceeds this in absolute
        value (the rules' ``anchors.drift.threshold`` convention).
    threshold_b : float, default 0.5
        Alert when the location moved by more than this (logits, base scale).
    min_common : int, default 3
        Fewer common items: no z (NaN), only the absolute threshold.

    Returns
    -------
    DataFrame
        One row per item and pair of periods: ``item, period_from, period_to,
        a_from, a_to, b_from, b_to, diff`` (b_to - b_from), ``z``, ``alert``.

    Notes
    -----
    ``z = (diff - median(diff)) / (1.4826 MAD(diff))`` over the items common to
    the pair (Huynh & Meyer 2010 use the same robust z for anchor screening);
    the median removes what linking left between the scales.  A zero MAD gives
    z = 0 for items at the median and ±inf otherwise.

    References
    ----------
    Huynh, H., & Meyer, P. (2010). Use of robust z in detecting unstable items in
    item response theory models. Practical Assessment, Research & Evaluation, 15(2).

    Examples
    --------
    >>> a = pd.DataFrame({"a": [1, 1, 1, 1.0], "b": [0, 1, -1, 0.5]}, index=list("wxyz"))
    >>> b = a.assign(b=[0.05, 1.0, -1.05, 1.5])
    >>> item_drift({"P1": a, "P2": b})["alert"].tolist()
    [False, False, False, True]
    """
    check_positive("threshold_z", threshold_z)
    check_positive("threshold_b", threshold_b)
    periods = list(items_by_period)
    rows = []
    for p0, p1 in zip(periods[:-1], periods[1:], strict=True):
        i0, i1 = items_by_period[p0], items_by_period[p1]
        common = [i for i in i0.index if i in set(i1.index)]
        if not common:
            continue
        b0 = item_location(i0).loc[common]
        b1 = item_location(i1).loc[common]
        a0 = i0["a"].reindex(common) if "a" in i0 else pd.Series(np.nan, index=common)
        a1 = i1["a"].reindex(common) if "a" in i1 else pd.Series(np.nan, index=common)
        diff = (b1 - b0).to_numpy(dtype=float)
        z = np.full(diff.size, np.nan)
        if diff.size >= min_common:
            med = np.median(diff)
            mad = MAD_SCALE * np.median(np.abs(diff - med))
            with np.errstate(divide="ignore", invalid="ignore"):
                z = np.where(diff == med, 0.0, (diff - med) / mad)
        alert = (np.abs(diff) > threshold_b) | (np.abs(np.nan_to_num(z)) > threshold_z)
        rows.append(
            pd.DataFrame(
                {
                    "item": common,
                    "period_from": p0,
                    "period_to": p1,
                    "a_from": a0.to_numpy(dtype=float),
                    "a_to": a1.to_numpy(dtype=float),
                    "b_from": b0.to_numpy(),
                    "b_to": b1.to_numpy(),
                    "diff": diff,
                    "z": z,
                    "alert": alert,
                }
            )
        )
    cols = ["item", "period_from", "period_to", "a_from", "a_to", "b_from", "b_to", "diff"]
    if not rows:
        return pd.DataFrame(columns=[*cols, "z", "alert"])
    return pd.concat(rows, ignore_index=True)


def pass_rate_drift(
    rates: pd.DataFrame, *, threshold: float = 0.10, alpha: float = 0.01
) -> pd.DataFrame:
    """Change of the pass rate between consecutive periods of each discipline.

    Parameters
    ----------
    rates : DataFrame
        Columns ``discipline, period, n, pass_rate``, periods in order within
        each discipline.
    threshold : float, default 0.10
        Alert when ``|change|`` is at least this (a proportion).
    alpha : float, default 0.01
        ... and the two-proportion z test is significant at this level.

    Returns
    -------
    DataFrame
        ``discipline, period_from, period_to, rate_from, rate_to, change, z,
        p_value, alert``.

    Notes
    -----
    ``z = (p2 - p1) / sqrt(p (1 - p) (1/n1 + 1/n2))`` with the pooled rate p;
    two-sided normal p-value.

    Examples
    --------
    >>> r = pd.DataFrame({"discipline": "d", "period": ["P1", "P2"], "n": [2000, 2000],
    ...                   "pass_rate": [0.70, 0.55]})
    >>> pass_rate_drift(r)[["change", "alert"]].round(2).values.tolist()
    [[-0.15, True]]
    """
    for c in ("discipline", "period", "n", "pass_rate"):
        if c not in rates.columns:
            raise DataError(f"rates: missing column {c!r}; have {list(rates.columns)}")
    rows = []
    for disc, sub in rates.groupby("discipline", sort=False):
        sub = sub.reset_index(drop=True)
        for k in range(1, len(sub)):
            n1, n2 = float(sub.at[k - 1, "n"]), float(sub.at[k, "n"])
            p1, p2 = float(sub.at[k - 1, "pass_rate"]), float(sub.at[k, "pass_rate"])
            pool = (p1 * n1 + p2 * n2) / (n1 + n2)
            se = np.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n2))
            z = (p2 - p1) / se if se > 0 else 0.0
            p = float(2 * stats.norm.sf(abs(z)))
            rows.append(
                {
                    "discipline": disc,
                    "period_from": sub.at[k - 1, "period"],
                    "period_to": sub.at[k, "period"],
                    "rate_from": p1,
                    "rate_to": p2,
                    "change": p2 - p1,
                    "z": float(z),
                    "p_value": p,
                    "alert": bool(abs(p2 - p1) >= threshold - 1e-12 and p < alpha),
                }
            )
    cols = ["discipline", "period_from", "period_to", "rate_from", "rate_to", "change"]
    return pd.DataFrame(rows, columns=[*cols, "z", "p_value", "alert"])


def score_drift(
    scores_by_period: Mapping[str, Sequence[float] | np.ndarray | pd.Series],
    *,
    threshold_smd: float = 0.5,
    threshold_ks: float = 0.2,
) -> pd.DataFrame:
    """Shift of the score distribution between consecutive periods.

    Parameters
    ----------
    scores_by_period : mapping period -> scores
        Scores on one scale (standard scores, or θ on the base scale), periods in
        order; NaN ignored.
    threshold_smd : float, default 0.5
        Alert when ``|SMD|`` is at least this.
    threshold_ks : float, default 0.2
        Alert when the Kolmogorov-Smirnov distance is at least this.

    Returns
    -------
    DataFrame
        ``period_from, period_to, n_from, n_to, mean_from, mean_to, smd, ks,
        ks_p_value, alert``.

    Notes
    -----
    ``SMD = (mean2 - mean1) / sqrt((s1^2 + s2^2) / 2)`` (sample variances, n - 1);
    ``ks`` = ``scipy.stats.ks_2samp`` statistic (two-sided, exact or asymptotic
    by scipy's default).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> d = score_drift({"P1": rng.normal(0, 1, 500), "P2": rng.normal(1, 1, 500)})
    >>> bool(d["alert"].iloc[0])
    True
    """
    check_positive("threshold_smd", threshold_smd)
    check_positive("threshold_ks", threshold_ks)
    periods = list(scores_by_period)
    rows = []
    for p0, p1 in zip(periods[:-1], periods[1:], strict=True):
        x = np.asarray(scores_by_period[p0], dtype=float)
        y = np.asarray(scores_by_period[p1], dtype=float)
        x, y = x[np.isfinite(x)], y[np.isfinite(y)]
        if x.size < 2 or y.size < 2:
            raise DataError(f"scores of {p0!r} and {p1!r}: need at least 2 finite scores each")
        sd = np.sqrt((x.var(ddof=1) + y.var(ddof=1)) / 2)
        smd = (y.mean() - x.mean()) / sd if sd > 0 else 0.0
        ks = stats.ks_2samp(x, y)
        rows.append(
            {
                "period_from": p0,
                "period_to": p1,
                "n_from": int(x.size),
                "n_to": int(y.size),
                "mean_from": float(x.mean()),
                "mean_to": float(y.mean()),
                "smd": float(smd),
                "ks": float(ks.statistic),
                "ks_p_value": float(ks.pvalue),
                "alert": bool(abs(smd) >= threshold_smd or ks.statistic >= threshold_ks),
            }
        )
    cols = ["period_from", "period_to", "n_from", "n_to", "mean_from", "mean_to", "smd", "ks"]
    return pd.DataFrame(rows, columns=[*cols, "ks_p_value", "alert"])
