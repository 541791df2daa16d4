"""Drift across periods: item parameters, pass rates and score distributions.

Three screens for the platform monitor (Art. 20), each comparing consecutive
periods of one discipline and each with an alert threshold:

- :func:`item_drift`: every item calibrated in two consecutive periods (anchors
  and any other common item), both on the base scale: the change in location
  and slope, the change over its standard error (``z_se``) and the robust z of
  the change among the common items (the anchor screen of
  :func:`pvcal.equating.screen_anchors`); an alert when either passes its
  threshold and the change is of practical size;
- :func:`pass_rate_drift`: the change of the pass rate with the two-proportion
  z test and Newcombe's interval of the difference; an alert when the change is
  at least ``threshold`` and significant;
- :func:`score_drift`: the standardized mean difference and the two-sample
  Kolmogorov-Smirnov distance of the score distributions; an alert when either
  passes its threshold (effect sizes, not p-values: with thousands of
  candidates every difference is significant).

Each returns a DataFrame with one row per comparison and a boolean ``alert``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._validation import (
    DataError,
    check_columns,
    check_numeric_columns,
    check_periods,
    check_positive,
    check_probability,
    where,
)

__all__ = ["item_drift", "pass_rate_drift", "score_drift"]


_RATE_COLUMNS = ("discipline", "period", "n", "pass_rate")


def _item_parameters(items: Any, period: Any) -> pd.DataFrame:
    """A period's item-parameter frame with numeric ``a``, ``b``, ``b1..`` and ``se_b``."""
    from .equating.linking import item_frame
    from .irt.models import threshold_columns

    name = f"items of period {period!r}"
    frame = item_frame(items, name)
    cols = [c for c in ("a", "b", *threshold_columns(frame), "se_b") if c in frame.columns]
    num = check_numeric_columns(frame, cols, file=name, by="item")
    return frame.assign(**{c: num[c] for c in cols})


def _period_scores(period: Any, values: Any) -> np.ndarray:
    """One period's scores as a float array without NaN; a DataError naming the period else."""
    name = f"scores of period {period!r}"
    if values is None or isinstance(values, (str, bytes, Mapping, pd.DataFrame)):
        raise DataError(f"{name}: expected a 1-d sequence of numbers, got {type(values).__name__}")
    arr = np.asarray(values, dtype=object) if not isinstance(values, pd.Series) else values
    if np.ndim(arr) != 1:
        raise DataError(f"{name}: expected a 1-d sequence of numbers, got shape {np.shape(arr)}")
    named = isinstance(values, pd.Series) and values.name is not None
    col = values.name if named else "score"  # a list's made-up column is not named in messages
    s = pd.Series(arr).reset_index(drop=True)
    x = check_numeric_columns(
        pd.DataFrame({col: s}), [col], file=name, by="position", show_column=named
    )[col]
    inf = np.isinf(x.to_numpy())
    if inf.any():
        pos = int(np.flatnonzero(inf)[0])
        raise DataError(
            f"{name}, position {pos}: score {float(x.iloc[pos])!r}; expected a finite number"
        )
    x = x.to_numpy()
    x = x[np.isfinite(x)]
    if x.size < 2:
        raise DataError(f"{name}: need at least 2 finite scores (NaN ignored), got {x.size}")
    return x


def _location_se(items: pd.DataFrame) -> pd.Series:
    """SE of the item location: ``se_b`` of a dichotomous item; NaN otherwise."""
    if "se_b" in items.columns and "b" in items.columns:
        return items["se_b"].where(items["b"].notna()).astype(float)
    return pd.Series(np.nan, index=items.index)


def item_drift(
    items_by_period: Mapping[str, pd.DataFrame],
    *,
    threshold_z: float = 2.7,
    threshold_se_z: float = 3.29,
    min_shift: float = 0.3,
    min_common: int = 5,
) -> pd.DataFrame:
    """Parameter drift of every item common to two consecutive periods.

    # R: no single function; equateIRT::modIRT + the robust z of Huynh & Meyer by hand

    Parameters
    ----------
    items_by_period : mapping period -> DataFrame
        Item parameters of each period **on the base scale** (after linking),
        indexed by item id, with ``a`` and ``b`` (or thresholds ``b1..`` and a
        ``model`` column), optionally ``se_b``; in period order.  Every item
        present in both periods of a pair is compared, anchors or not.
    threshold_z : float, default 2.7
        Robust z beyond which the location change stands out among the common
        items (the anchor screen's operational cut, :func:`pvcal.equating.screen_anchors`).
    threshold_se_z : float, default 3.29
        ``|diff / se_diff|`` beyond which the change exceeds its estimation
        error (two-sided p < 0.001).
    min_shift : float, default 0.3
        Practical size: no alert for a change smaller than this (logits, base
        scale), however significant.
    min_common : int, default 5
        Fewer common items: no robust z (NaN).

    Returns
    -------
    DataFrame
        One row per item and pair of periods: ``item, period_from, period_to,
        a_from, a_to, b_from, b_to, diff`` (b_to - b_from), ``se_diff, z_se``,
        ``z`` (robust), ``alert``.

    Raises
    ------
    DataError
        Fewer than two periods or not a mapping; a period's frame without a
        slope ``a``, with duplicated item ids or a non-numeric parameter (the
        message names the period, item and column); a ``min_common`` that is
        not an integer of at least 2.
    ModelError
        A common item whose model changed between the periods.

    Notes
    -----
    The location is ``b`` (dichotomous items) or the mean threshold. Two
    statistics per item:

    * ``z_se = diff / sqrt(se_from^2 + se_to^2)`` (Lord's test for one
      parameter; the two calibrations taken as independent and the linking
      error ignored, so it is liberal for anchors; NaN without ``se_b``);
    * ``z``: the robust z of Huynh & Meyer (2010) computed by
      :func:`pvcal.equating.screen_anchors` (``rescale=False``: both periods are
      already on the base scale) over the items common to the pair,
      ``(d - median d) / (0.7413 IQR d)`` (1.4826 MAD when the IQR is 0),
      signed here as ``b_to - b_from``.

    ``alert = |diff| >= min_shift and (|z| > threshold_z or |z_se| > threshold_se_z)``.

    References
    ----------
    Huynh, H., & Meyer, P. (2010). Use of robust z in detecting unstable items in
    item response theory models. *Practical Assessment, Research & Evaluation*, 15(2).
    Lord, F. M. (1980). *Applications of item response theory to practical testing
    problems*, ch. 14. Erlbaum.

    Examples
    --------
    >>> a = pd.DataFrame({"a": 1.0, "b": [0, 1, -1, 0.5, -0.5, 1.5]}, index=list("uvwxyz"))
    >>> b = a.assign(b=a["b"] + [0.05, 0.0, -0.05, 0.02, -0.02, 0.6])
    >>> item_drift({"P1": a, "P2": b})["alert"].tolist()
    [False, False, False, False, False, True]
    """
    from .equating.linking import screen_anchors

    check_positive("threshold_z", threshold_z, error=DataError)
    check_positive("threshold_se_z", threshold_se_z, error=DataError)
    check_positive("min_shift", min_shift, strict=False, error=DataError)
    if isinstance(min_common, bool) or not isinstance(min_common, (int, np.integer)):
        raise DataError(f"min_common must be an integer >= 2, got {min_common!r}")
    if min_common < 2:
        raise DataError(f"min_common must be an integer >= 2, got {min_common!r}")
    periods = check_periods("items_by_period", items_by_period, what="item-parameter frames")
    frames = {p: _item_parameters(items_by_period[p], p) for p in periods}
    rows = []
    for p0, p1 in zip(periods[:-1], periods[1:], strict=True):
        i0, i1 = frames[p0], frames[p1]
        in1 = set(i1.index)
        common = [i for i in i0.index if i in in1]
        if not common:
            continue
        tab = screen_anchors(
            i0, i1, anchors=common, method="robust-z", threshold=threshold_z, rescale=False
        ).table
        diff = (tab["b_new"] - tab["b_base"]).to_numpy(float)
        if not np.isfinite(diff).all():
            missing = [i for i, d in zip(common, diff, strict=True) if not np.isfinite(d)]
            raise DataError(
                f"periods {p0!r} -> {p1!r}: item(s) {missing[:5]} have no finite location (b); "
                "expected calibrated item parameters"
            )
        z = -tab["statistic"].to_numpy(float) if len(common) >= min_common else np.nan * diff
        se = np.sqrt(
            _location_se(i0).loc[common].to_numpy() ** 2
            + _location_se(i1).loc[common].to_numpy() ** 2
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            z_se = np.where(se > 0, diff / se, np.nan)
        big = (np.abs(np.nan_to_num(z)) > threshold_z) | (
            np.abs(np.nan_to_num(z_se)) > threshold_se_z
        )
        rows.append(
            pd.DataFrame(
                {
                    "item": common,
                    "period_from": p0,
                    "period_to": p1,
                    "a_from": tab["a_base"].to_numpy(float),
                    "a_to": tab["a_new"].to_numpy(float),
                    "b_from": tab["b_base"].to_numpy(float),
                    "b_to": tab["b_new"].to_numpy(float),
                    "diff": diff,
                    "se_diff": se,
                    "z_se": z_se,
                    "z": z,
                    "alert": (np.abs(diff) >= min_shift) & big,
                }
            )
        )
    cols = ["item", "period_from", "period_to", "a_from", "a_to", "b_from", "b_to", "diff"]
    if not rows:
        return pd.DataFrame(columns=[*cols, "se_diff", "z_se", "z", "alert"])
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
        ``discipline, period_from, period_to, n_from, n_to, rate_from, rate_to,
        change, lo, hi`` (95 % interval of the change), ``z, p_value, alert``.

    Raises
    ------
    DataError
        Not a DataFrame; a missing column; a missing discipline or period; a
        non-numeric or missing ``n`` or ``pass_rate``; a rate outside [0, 1]; a
        count that is not a finite whole number of at least 1; a discipline and
        period twice; a ``threshold`` outside (0, 1] or an ``alpha`` outside
        (0, 1).  The message names the row, column and value.

    Notes
    -----
    ``z = (p2 - p1) / sqrt(p (1 - p) (1/n1 + 1/n2))`` with the pooled rate p;
    two-sided normal p-value. ``lo, hi``: Newcombe's (1998) hybrid score
    interval (his method 10, from the two Wilson intervals) with
    ``k = round(rate * n)`` passes, as
    ``statsmodels.stats.proportion.confint_proportions_2indep(method="newcomb")``.
    A discipline with one period, or an empty ``rates`` (with the columns),
    gives no row.
    # R: prop.test(c(k1, k2), c(n1, n2), correct = FALSE) gives the same z^2

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between
    independent proportions: comparison of eleven methods. *Statistics in
    Medicine*, 17, 873-890.

    Examples
    --------
    >>> r = pd.DataFrame({"discipline": "d", "period": ["P1", "P2"], "n": [2000, 2000],
    ...                   "pass_rate": [0.70, 0.55]})
    >>> pass_rate_drift(r)[["change", "alert"]].round(2).values.tolist()
    [[-0.15, True]]
    """
    from statsmodels.stats.proportion import confint_proportions_2indep

    threshold = check_positive("threshold", threshold, error=DataError)
    if threshold > 1:
        raise DataError(f"threshold must lie in (0, 1] (a proportion), got {threshold!r}")
    alpha = check_probability("alpha", alpha, error=DataError)
    check_columns(rates, _RATE_COLUMNS, file="rates")
    for c in ("discipline", "period"):
        gone = rates[c].isna().to_numpy()
        if gone.any():
            row = rates.index[np.flatnonzero(gone)[0]]
            raise DataError(f"{where('rates', row=row, column=c)}missing; expected a {c}")
    num = check_numeric_columns(rates, ["n", "pass_rate"], file="rates", allow_missing=False)
    # rows by position, named by their label: a label may repeat (pd.concat of rate frames)
    n, rate = num["n"].to_numpy(), num["pass_rate"].to_numpy()
    discs, pers = rates["discipline"].to_numpy(), rates["period"].to_numpy()
    n_ok = np.isfinite(n) & (n >= 1) & (n == np.round(n))  # inf == round(inf)
    bad = np.flatnonzero(~((rate >= 0) & (rate <= 1)) | ~n_ok)
    if bad.size:
        i = int(bad[0])
        label = rates.index[[i]].tolist()[0]  # a Python value for the message
        raise DataError(
            f"rates: row {label!r} ({discs[i]} {pers[i]}): need 0 <= pass_rate "
            f"<= 1 and a finite whole n >= 1, got pass_rate={float(rate[i])!r}, n={float(n[i])!r}"
        )
    dup = np.flatnonzero(rates.duplicated(["discipline", "period"], keep=False).to_numpy())
    if dup.size:
        i = int(dup[0])
        at = f"rows {rates.index[dup[:5]].tolist()}"
        if not rates.index.is_unique:
            at += f" (positions {dup[:5].tolist()})"
        raise DataError(
            f"rates: {at}: discipline {discs[i]!r} period "
            f"{pers[i]!r} appears more than once; expected one row per period"
        )
    rates = rates.assign(n=n, pass_rate=rate)
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
            lo, hi = confint_proportions_2indep(
                round(p2 * n2), n2, round(p1 * n1), n1, method="newcomb", compare="diff"
            )
            rows.append(
                {
                    "discipline": disc,
                    "period_from": sub.at[k - 1, "period"],
                    "period_to": sub.at[k, "period"],
                    "n_from": int(n1),
                    "n_to": int(n2),
                    "rate_from": p1,
                    "rate_to": p2,
                    "change": p2 - p1,
                    "lo": float(lo),
                    "hi": float(hi),
                    "z": float(z),
                    "p_value": p,
                    "alert": bool(abs(p2 - p1) >= threshold - 1e-12 and p < alpha),
                }
            )
    cols = ["discipline", "period_from", "period_to", "n_from", "n_to", "rate_from", "rate_to"]
    return pd.DataFrame(rows, columns=[*cols, "change", "lo", "hi", "z", "p_value", "alert"])


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

    Raises
    ------
    DataError
        Not a mapping of at least two periods, a missing period key; a
        period's scores that are not a 1-d sequence of numbers (the message
        names the period, position and value), a complex score, an infinite
        score, or fewer than 2 scores; a threshold that is not a positive number.

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
    check_positive("threshold_smd", threshold_smd, error=DataError)
    check_positive("threshold_ks", threshold_ks, error=DataError)
    periods = check_periods("scores_by_period", scores_by_period, what="scores")
    scores = {p: _period_scores(p, scores_by_period[p]) for p in periods}
    rows = []
    for p0, p1 in zip(periods[:-1], periods[1:], strict=True):
        x, y = scores[p0], scores[p1]
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
