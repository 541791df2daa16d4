"""Differential item functioning: Mantel-Haenszel and logistic regression.

Two observed-score methods that match candidates on their total score and ask
whether, at the same total, the focal group answers an item differently from
the reference group:

- :func:`mantel_haenszel`: the Mantel-Haenszel chi-square and common odds
  ratio with the ETS delta scale and the ETS A/B/C classes (Holland & Thayer
  1988; Zwick 2012) for 0/1 items; Mantel's (1963) test, the Liu-Agresti
  (1996) cumulative common odds ratio and the standardized mean difference
  with the ETS AA/BB/CC classes for polytomous items;
- :func:`generalized_mh`: the generalized Mantel-Haenszel test of several
  focal groups at once (Somes 1986);
- :func:`logistic`: nested logistic regressions (Swaminathan & Rogers 1990)
  with the likelihood-ratio test, Nagelkerke's R-squared difference and the
  Jodoin-Gierl (2001) effect-size classes.

Both follow the conventions of R's difR 5.1 (``difMH``/``mantelHaenszel`` and
``difLogistic``/``Logistik``) so that their numbers agree with it; each
convention is stated in the function's Notes.  Item purification, anchor
items and grouping variables with more than two levels are supported.

Nothing here removes an item: a C item goes to review (Art. 19).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._summary import Summary
from ._validation import DataError, PvcalError, check_choice
from .serialize import (
    check_record,
    dumps,
    frame_from_json,
    frame_to_json,
    json_equal,
    loads_record,
)

__all__ = [
    "mantel_haenszel",
    "logistic",
    "ets_class",
    "jodoin_gierl_class",
    "conditional_proportions",
    "screen",
    "DifScreen",
    "generalized_mh",
]

#: ETS delta scale: Delta = -2.35 ln(alpha) (Holland & Thayer 1988).
DELTA_SCALE = -2.35

# ----------------------------------------------------------------- inputs


def _as_frame(responses: Any) -> pd.DataFrame:
    """Persons x items float frame from a DataFrame or a ``pvcal.data.Responses``."""
    wide = getattr(responses, "wide", responses)
    if isinstance(wide, np.ndarray) and wide.ndim == 2:
        wide = pd.DataFrame(wide)
    if not isinstance(wide, pd.DataFrame):
        raise DataError(
            f"responses: expected a persons x items DataFrame (or Responses), "
            f"got {type(responses).__name__}"
        )
    if wide.shape[0] < 2 or wide.shape[1] < 1:
        raise DataError(f"responses: need at least 2 persons and 1 item, got shape {wide.shape}")
    values = wide.apply(pd.to_numeric, errors="coerce").astype(float)
    bad = values.isna() & wide.notna()
    if bad.to_numpy().any():
        r, c = np.argwhere(bad.to_numpy())[0]
        raise DataError(
            f"responses: person {wide.index[r]!r}, item {wide.columns[c]!r}: "
            f"score {wide.iat[r, c]!r} is not a number"
        )
    v = values.to_numpy()
    fin = np.isfinite(v)
    wrong = fin & ((v < 0) | (v != np.round(v)))
    if wrong.any():
        r, c = np.argwhere(wrong)[0]
        raise DataError(
            f"responses: person {wide.index[r]!r}, item {wide.columns[c]!r}: "
            f"score {v[r, c]!r}; expected an integer score >= 0 or missing"
        )
    return values


def _label(v: Any) -> str:
    """A group label as text; 1.0 and 1 give the same label (numeric codes)."""
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, np.integer):
        return str(int(v))
    return str(v)


def _as_group(group: Any, index: pd.Index) -> pd.Series:
    """Group labels aligned with the persons of ``responses`` (as text labels).

    A Series is aligned on its index; one with a default RangeIndex that does
    not match ``responses`` but has the same length is taken in order.
    """
    if (
        isinstance(group, pd.Series)
        and isinstance(group.index, pd.RangeIndex)
        and len(group) == len(index)
        and not index.isin(group.index).all()
    ):
        group = group.to_numpy()
    if isinstance(group, pd.Series):
        missing = index.difference(group.index)
        if len(missing):
            raise DataError(
                f"group: no group for {len(missing)} person(s), e.g. {list(missing[:3])}"
            )
        g = group.reindex(index)
    else:
        arr = np.asarray(group, dtype=object)
        if arr.ndim != 1 or arr.size != len(index):
            raise DataError(
                f"group: expected one label per person ({len(index)}), got shape {arr.shape}"
            )
        g = pd.Series(arr, index=index)
    if g.isna().any():
        who = g.index[g.isna()][:3].tolist()
        raise DataError(
            f"group: {int(g.isna().sum())} person(s) without a group label, e.g. {who}; "
            "drop them or give them a label"
        )
    return g.map(_label).astype(str)


def _focal_levels(g: pd.Series, focal: Any, reference: Any) -> tuple[list[str], str | None]:
    levels = sorted(g.unique())
    focals = [_label(f) for f in (focal if _is_seq(focal) else [focal])]
    for f in focals:
        if f not in levels:
            raise DataError(f"focal={f!r} is not a level of group; levels are {levels}")
    if reference is not None:
        reference = _label(reference)
        if reference not in levels:
            raise DataError(f"reference={reference!r} is not a level of group; levels {levels}")
        if reference in focals:
            raise PvcalError(f"reference={reference!r} is also a focal level")
    if len(levels) < 2:
        raise DataError(f"group has a single level {levels}; DIF needs two groups")
    return focals, reference


def _is_seq(x: Any) -> bool:
    return isinstance(x, Sequence | np.ndarray | pd.Index) and not isinstance(x, str)


def _anchor_positions(anchor: Any, columns: pd.Index) -> np.ndarray | None:
    if anchor is None:
        return None
    pos = []
    for a in anchor:
        if a not in columns:
            raise DataError(f"anchor item {a!r} is not a column of responses")
        pos.append(columns.get_loc(a))
    return np.array(sorted(set(pos)), dtype=int)


def _comparisons(
    values: pd.DataFrame, g: pd.Series, focals: list[str], reference: str | None
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(focal label, row mask of the comparison, member 0/1 of those rows) per focal level."""
    out = []
    for f in focals:
        if reference is None:
            keep = np.ones(len(g), dtype=bool)
        else:
            keep = (g == f).to_numpy() | (g == reference).to_numpy()
        member = (g.to_numpy()[keep] == f).astype(int)
        if member.sum() == 0 or member.sum() == member.size:
            raise DataError(f"focal={f!r}: the comparison needs persons in both groups")
        out.append((f, keep, member))
    return out


def _matching_scores(x: np.ndarray, item: int, anchor: np.ndarray | None) -> np.ndarray:
    """difR's matching score: row sums (NA removed) over the anchor items plus the item."""
    if anchor is None:
        cols = np.arange(x.shape[1])
    else:
        cols = anchor if item in set(anchor.tolist()) else np.append(anchor, item)
    return np.nansum(x[:, cols], axis=1)


# ----------------------------------------------------------- Mantel-Haenszel


def _mh_dichotomous(y: np.ndarray, member: np.ndarray, score: np.ndarray, correct: bool):
    """difR ``mantelHaenszel`` for one 0/1 item: (chi2, alpha, var log alpha, n strata).

    A response that is missing on the studied item counts, as in difR 5.1, in
    both cells of its group's row (R's ``length(ind[... & NA])`` counts the NA)
    and in both column margins; it counts once in the group and stratum sizes.
    """
    _, stratum = np.unique(score, return_inverse=True)
    k = stratum.max() + 1
    na = np.isnan(y)
    one = (y == 1) | na
    zero = (y == 0) | na
    ref, foc = member == 0, member == 1

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(stratum[mask], minlength=k).astype(float)

    a, b = count(ref & one), count(ref & zero)
    c, d = count(foc & one), count(foc & zero)
    nr, nf = count(ref), count(foc)
    m1, m0 = count(one), count(zero)
    t = count(np.ones_like(ref))
    use = t > 1
    a, b, c, d, nr, nf, m1, m0, t = (v[use] for v in (a, b, c, d, nr, nf, m1, m0, t))
    expected = nr * m1 / t
    var = (nr * nf / t) * (m1 / t) * (m0 / (t - 1))
    diff = abs(np.sum(a - expected))
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = ((diff - 0.5) ** 2 if correct else diff**2) / np.sum(var)
        r = np.sum(a * d / t)
        alpha = r / np.sum(b * c / t)
        var_log = np.sum((a * d + alpha * b * c) * (a + d + alpha * (b + c)) / t**2) / (2 * r**2)
    return float(chi2), float(alpha), float(var_log), int(use.sum())


def _mh_polytomous(y: np.ndarray, member: np.ndarray, score: np.ndarray):
    """Mantel (1963) chi-square, Liu-Agresti common odds ratio and SMD for one item.

    Persons missing the studied item are left out of its tables.
    """
    ok = ~np.isnan(y)
    y, member, score = y[ok], member[ok], score[ok]
    _, stratum = np.unique(score, return_inverse=True)
    k = stratum.max() + 1
    foc = member == 1

    def ssum(w: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        sel = np.ones_like(foc) if mask is None else mask
        return np.bincount(stratum[sel], weights=w[sel], minlength=k)

    ones = np.ones_like(y)
    n, nf = ssum(ones), ssum(ones, foc)
    nr = n - nf
    sy, sy2 = ssum(y), ssum(y**2)
    fsum = ssum(y, foc)
    use = n > 1
    n_, nf_, nr_, sy_, sy2_, f_ = n[use], nf[use], nr[use], sy[use], sy2[use], fsum[use]
    expected = nf_ * sy_ / n_
    var = nr_ * nf_ / (n_**2 * (n_ - 1)) * (n_ * sy2_ - sy_**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = float((np.sum(f_) - np.sum(expected)) ** 2 / np.sum(var))
    # Liu-Agresti: cumulative 2x2 tables Y > j vs Y <= j, j = lowest .. second-highest category
    cats = np.unique(y)
    num = den = 0.0
    for j in cats[:-1]:
        hi = y > j
        a = ssum(ones, ~foc & hi)[use]  # reference above j
        b = ssum(ones, ~foc & ~hi)[use]
        c = ssum(ones, foc & hi)[use]
        d = ssum(ones, foc & ~hi)[use]
        num += np.sum(a * d / n_)
        den += np.sum(b * c / n_)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = num / den
    # standardized mean difference (focal weights), over strata with both groups
    both = use & (nf > 0) & (nr > 0)
    mf = fsum[both] / nf[both]
    mr = (sy[both] - fsum[both]) / nr[both]
    w = nf[both] / nf[both].sum()
    smd = float(np.sum(w * mf) - np.sum(w * mr))
    sd = float(np.std(y, ddof=1)) if y.size > 1 else np.nan
    return chi2, float(alpha), smd, sd, int(use.sum())


def ets_class(delta: Any, se: Any, p_value: Any, *, alpha: float = 0.05) -> np.ndarray:
    """ETS A/B/C classes of MH D-DIF (the full rule with its significance tests).

    - A: Delta not significantly different from 0 (MH chi-square p >= ``alpha``)
      or ``|Delta| < 1``;
    - C: ``|Delta| >= 1.5`` and ``|Delta|`` significantly greater than 1:
      ``(|Delta| - 1) / SE > z(1 - alpha)`` (one-sided test of the interval
      null hypothesis |Delta| <= 1, Paek & Holland 2013);
    - B: every other item (significant, ``|Delta| >= 1``, not C).

    Parameters
    ----------
    delta, se, p_value : array-like
        MH D-DIF, its standard error and the MH chi-square p-value.
    alpha : float, default 0.05

    Returns
    -------
    ndarray of str
        ``"A"``, ``"B"``, ``"C"`` (empty string where delta is not finite).

    References
    ----------
    Zwick, R. (2012). A review of ETS differential item functioning assessment
    procedures. ETS Research Report RR-12-08.
    Paek, I., & Holland, P. W. (2013). A note on statistical hypothesis testing
    based on log transformation of the Mantel-Haenszel common odds ratio for
    differential item functioning classification. Psychometrika, 78, 648-652.

    Examples
    --------
    >>> ets_class([0.4, 1.2, 2.0, 1.6], [0.1, 0.1, 0.1, 0.5], [0.01, 0.001, 1e-6, 0.01]).tolist()
    ['A', 'B', 'C', 'B']
    """
    d = np.abs(np.asarray(delta, dtype=float))
    s = np.asarray(se, dtype=float)
    p = np.asarray(p_value, dtype=float)
    z = stats.norm.ppf(1 - alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        big = (d >= 1.5) & ((d - 1) / s > z)
    out = np.where(~(p < alpha) | (d < 1), "A", np.where(big, "C", "B"))
    return np.where(np.isfinite(d), out, "")


def _ets_poly_class(smd: np.ndarray, sd: np.ndarray, p: np.ndarray, alpha: float) -> np.ndarray:
    """ETS AA/BB/CC for polytomous items from |SMD| / SD and Mantel's p (Zwick 2012)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        es = np.abs(smd) / sd
    sig = p < alpha
    out = np.where(~sig | (es <= 0.17), "AA", np.where(es <= 0.25, "BB", "CC"))
    return np.where(np.isfinite(es), out, "")


def _mh_table(
    x: np.ndarray,
    member: np.ndarray,
    anchor: np.ndarray | None,
    items: pd.Index,
    poly: np.ndarray,
    correct: bool,
    alpha: float,
) -> pd.DataFrame:
    rows = []
    for j in range(x.shape[1]):
        score = _matching_scores(x, j, anchor)
        y = x[:, j]
        if poly[j]:
            chi2, a, smd, sd, ns = _mh_polytomous(y, member, score)
            rows.append((chi2, a, np.nan, smd, sd, ns, "polytomous"))
        else:
            chi2, a, var_log, ns = _mh_dichotomous(y, member, score, correct)
            rows.append((chi2, a, var_log, np.nan, np.nan, ns, "dichotomous"))
    t = pd.DataFrame(
        rows,
        index=pd.Index(items, name="item"),
        columns=["chi2", "alpha_mh", "var_log_alpha", "smd", "sd", "n_strata", "kind"],
    )
    t["p_value"] = stats.chi2.sf(t["chi2"].to_numpy(), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t["delta_mh"] = DELTA_SCALE * np.log(t["alpha_mh"].to_numpy())
    t["se_delta_mh"] = 2.35 * np.sqrt(t["var_log_alpha"].to_numpy())
    dich = (t["kind"] == "dichotomous").to_numpy()
    cls = np.where(
        dich,
        ets_class(t["delta_mh"], t["se_delta_mh"], t["p_value"], alpha=alpha),
        _ets_poly_class(t["smd"].to_numpy(), t["sd"].to_numpy(), t["p_value"].to_numpy(), alpha),
    )
    t["ets_class"] = cls
    t["flag"] = t["chi2"].to_numpy() > stats.chi2.ppf(1 - alpha, 1)
    return t


def _purify(
    table_fn, n_items: int, anchor: np.ndarray | None, purify: bool, n_iter: int
) -> tuple[pd.DataFrame, dict]:
    """difR's purification loop (``difMH``/``difLogistic``): iterate until the flagged set
    repeats or ``n_iter`` rounds."""
    first = table_fn(anchor)
    info: dict[str, Any] = {"purified": False, "n_iter": 0, "converged": True, "steps": []}
    if not purify or anchor is not None:
        return first, info
    info["purified"] = True
    flagged = np.flatnonzero(first["flag"].to_numpy())
    info["steps"].append(first.index[flagged].tolist())
    if flagged.size == 0:
        return first, info
    info["converged"] = False
    current = first
    while info["n_iter"] < n_iter:
        info["n_iter"] += 1
        keep = np.setdiff1d(np.arange(n_items), flagged)
        current = table_fn(keep)
        flagged2 = np.flatnonzero(current["flag"].to_numpy())
        info["steps"].append(current.index[flagged2].tolist())
        if np.array_equal(np.sort(flagged), np.sort(flagged2)):
            info["converged"] = True
            break
        flagged = flagged2
    if not info["converged"]:
        warnings.warn(
            f"DIF purification did not converge in {n_iter} rounds; results are those of "
            "the last round (as difR)",
            stacklevel=3,
        )
    return current, info


def _polytomous_items(values: pd.DataFrame, responses: Any) -> np.ndarray:
    ms = getattr(responses, "max_score", None)
    if ms is not None:
        return np.asarray(pd.Series(ms).reindex(values.columns), dtype=float) > 1
    return values.max(axis=0).to_numpy() > 1


def _run(values, g, focals, reference, table_fn_for, purify, anchor_pos, n_iter):
    frames, infos = [], {}
    for f, keep, member in _comparisons(values, g, focals, reference):
        x = values.to_numpy()[keep]

        def fn(anchor, x=x, member=member):
            return table_fn_for(x, member, anchor)

        t, info = _purify(fn, x.shape[1], anchor_pos, purify, n_iter)
        info.update({"n_focal": int(member.sum()), "n_reference": int((member == 0).sum())})
        infos[f] = info
        frames.append(t.assign(focal=f))
    return frames, infos


def mantel_haenszel(
    responses: Any,
    group: Any,
    focal: Any,
    correct: bool = True,
    purify: bool = False,
    *,
    reference: Any = None,
    anchor: Sequence | None = None,
    alpha: float = 0.05,
    n_iter: int = 10,
) -> pd.DataFrame:
    """Mantel-Haenszel DIF statistics of every item.

    # R: difR::difMH(Data, group, focal.name, correct = TRUE, purify = FALSE)

    Parameters
    ----------
    responses : DataFrame or pvcal.data.Responses
        Persons x items item scores (0/1, or 0..m for polytomous items); NaN =
        missing.
    group : Series or array-like
        Group label of each person (a Series is aligned on the index of
        ``responses``).  No missing labels.
    focal : label or list of labels
        The focal group.  Several labels: each is compared in turn with the
        reference (grouping variables with more than two levels).
    correct : bool, default True
        Continuity correction of the MH chi-square (0/1 items).
    purify : bool, default False
        Iterative purification of the matching score (difR's loop).
    reference : label, optional
        The reference group; default everybody who is not in the focal group
        of the comparison.
    anchor : list of item ids, optional
        Items assumed free of DIF: the matching score is their sum plus the
        studied item.  With anchors, no purification (as difR).
    alpha : float, default 0.05
        Significance level of the flag and of the ETS class tests.
    n_iter : int, default 10
        Maximum purification rounds (difR ``nrIter``).

    Returns
    -------
    DataFrame
        Indexed by item (one focal level) or by (focal, item): ``chi2``,
        ``p_value``, ``alpha_mh``, ``delta_mh``, ``se_delta_mh``, ``ets_class``,
        ``flag``, and ``kind`` (dichotomous/polytomous), ``smd`` and ``sd``
        (polytomous), ``n_strata``, ``var_log_alpha``.  ``attrs["purification"]``
        holds, per focal level, the rounds, whether they converged and the
        flagged items of each round.

    Raises
    ------
    DataError
        Non-numeric or negative scores, groups missing or not aligned, a focal
        or reference level that does not exist, a comparison with an empty group.

    Notes
    -----
    Conventions of difR 5.1 ``mantelHaenszel`` (R/mantelHaenszel.R):

    - Matching score: the row sum, missing responses dropped (counted as 0), over
      all items, the studied item included; with anchors or during purification,
      over the anchor (non-flagged) items plus the studied item.
    - Strata: every distinct matching score; strata with fewer than 2 persons
      (T_k < 2) are dropped; a stratum with only one group is kept (it adds 0).
    - Missing responses on the studied item (0/1 items): as difR, such a person
      counts in both the "1" and the "0" cell of the own group's row and in
      both column margins m1, m0, and once in n_R, n_F and T.
    - Chi-square: ``(|sum_k (A_k - n_Rk m1k / T_k)| - 0.5)^2 / sum_k Var_k``
      with ``Var_k = n_Rk n_Fk m1k m0k / (T_k^2 (T_k - 1))``; without the
      correction the 0.5 is not subtracted (and the square is never clipped).
      ``p_value = P(chi2_1 > chi2)``; ``flag`` = chi2 above the 1 - ``alpha``
      quantile (difR's ``DIFitems``).
    - ``alpha_mh = sum A D / T / sum B C / T`` with A, B = reference right, wrong and
      C, D = focal right, wrong: > 1 favours the reference group.
      ``delta_mh = -2.35 ln(alpha_mh)``: negative favours the reference group.
    - ``se_delta_mh = 2.35 sqrt(Var(ln alpha_mh))`` with difR's ``varLambda``,
      ``sum_k (A D + a B C)(A + D + a(B + C)) / T^2 / (2 (sum_k A D / T)^2)``,
      algebraically the Robins-Breslow-Greenland (1986) variance.
    - ``ets_class``: :func:`ets_class` (A: p >= alpha or ``|Delta| < 1``; C:
      ``|Delta| >= 1.5`` and ``(|Delta| - 1)/SE > z(1 - alpha)``; B otherwise).
    - Purification (difR ``difMH``): flag with all items; recompute with the
      non-flagged items as anchor; stop when the flagged set repeats, or after
      ``n_iter`` rounds (results of the last round, with a warning).

    Polytomous items (not in difR 5.1): Mantel's (1963) chi-square (1 df, no
    continuity correction) on the focal group's score sum, ``sum_k F_k`` against
    ``E = n_Fk S_k / T_k`` with ``Var = n_Rk n_Fk (T_k S2_k - S_k^2) /
    (T_k^2 (T_k - 1))`` (S, S2 = sum of scores and of squared scores in the
    stratum); persons missing the item are left out of its tables.
    ``alpha_mh`` is the Liu-Agresti (1996) cumulative common odds ratio
    ``sum_k sum_j A*_jk D*_jk / T_k / sum_k sum_j B*_jk C*_jk / T_k`` over the
    splits Y > j vs Y <= j (A*, B* = reference above, at or below j; C*, D* =
    focal), equal to ``alpha_mh`` for a 0/1 item; ``se_delta_mh`` is not given.
    ``smd`` is the standardized mean difference (focal-group weights, Dorans &
    Schmitt 1991) and ``sd`` the item's standard deviation (n - 1); the class
    is ETS's AA (p >= alpha or ``|smd|/sd <= .17``), BB (``<= .25``) or CC.

    References
    ----------
    Holland, P. W., & Thayer, D. T. (1988). Differential item performance and the
    Mantel-Haenszel procedure. In H. Wainer & H. I. Braun (Eds.), Test validity.
    Robins, J., Breslow, N., & Greenland, S. (1986). Estimators of the
    Mantel-Haenszel variance consistent in both sparse data and large-strata
    limiting models. Biometrics, 42, 311-323.
    Mantel, N. (1963). Chi-square tests with one degree of freedom. JASA 58, 690-700.
    Liu, I.-M., & Agresti, A. (1996). Mantel-Haenszel-type inference for
    cumulative odds ratios with a stratified ordinal response. Biometrics 52, 1223-1234.
    Zwick, R. (2012). ETS Research Report RR-12-08.
    Magis, D., Beland, S., Tuerlinckx, F., & De Boeck, P. (2010). A general framework
    and an R package for the detection of dichotomous DIF. Behav. Res. Methods 42, 847-862.

    Examples
    --------
    >>> res = mantel_haenszel(wide, gender, focal="F")   # doctest: +SKIP
    >>> res.query("ets_class == 'C'")                     # doctest: +SKIP
    """
    values = _as_frame(responses)
    g = _as_group(group, values.index)
    focals, reference = _focal_levels(g, focal, reference)
    alpha = float(alpha)
    if not 0 < alpha < 1:
        raise PvcalError(f"alpha must lie in (0, 1), got {alpha!r}")
    anchor_pos = _anchor_positions(anchor, values.columns)
    poly = _polytomous_items(values, responses)

    def table_for(x, member, anchor_):
        return _mh_table(x, member, anchor_, values.columns, poly, correct, alpha)

    frames, infos = _run(values, g, focals, reference, table_for, purify, anchor_pos, n_iter)
    cols = [
        "chi2",
        "p_value",
        "alpha_mh",
        "delta_mh",
        "se_delta_mh",
        "ets_class",
        "flag",
        "kind",
        "smd",
        "sd",
        "n_strata",
        "var_log_alpha",
    ]
    out = _combine(frames, cols, len(focals) > 1)
    if anchor_pos is not None:
        anchors = values.columns[anchor_pos]
        mask = out.index.get_level_values("item").isin(anchors)
        out.loc[mask, ["chi2", "p_value", "alpha_mh", "delta_mh", "se_delta_mh"]] = np.nan
        out.loc[mask, "flag"] = False
        out.loc[mask, "ets_class"] = ""
    out.attrs["purification"] = infos
    out.attrs["method"] = "Mantel-Haenszel" + (" (continuity corrected)" if correct else "")
    return out


def _combine(frames: list[pd.DataFrame], cols: list[str], multi: bool) -> pd.DataFrame:
    if not multi:
        return frames[0][cols].copy()
    out = pd.concat(frames)
    out = out.set_index("focal", append=True).reorder_levels(["focal", "item"])
    return out[cols]


def _gmh_item(y: np.ndarray, member: np.ndarray, score: np.ndarray, k: int) -> float:
    """difR ``genMantelHaenszel`` for one 0/1 item; member 0 = reference, 1..k focal."""
    _, stratum = np.unique(score, return_inverse=True)
    ns = stratum.max() + 1
    na = np.isnan(y)
    zero, one = (y == 0) | na, (y == 1) | na

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(stratum[mask], minlength=ns).astype(float)

    n = count(np.ones_like(zero))
    n1, n2 = count(zero), count(one)
    r = np.column_stack([count(member == g) for g in range(1, k + 1)])
    a = np.column_stack([count((member == g) & zero) for g in range(1, k + 1)])
    use = n > 1
    n, n1, n2, r, a = n[use], n1[use], n2[use], r[use], a[use]
    e = (n1 / n)[:, None] * r
    w = n1 * n2 / ((n - 1) * n**2)
    v = np.einsum("s,sij->ij", w, n[:, None, None] * _diag_stack(r) - r[:, :, None] * r[:, None, :])
    d = (a - e).sum(axis=0)
    try:
        return float(d @ np.linalg.solve(v, d))
    except np.linalg.LinAlgError:
        return float("nan")


def _diag_stack(r: np.ndarray) -> np.ndarray:
    out = np.zeros((r.shape[0], r.shape[1], r.shape[1]))
    idx = np.arange(r.shape[1])
    out[:, idx, idx] = r
    return out


def generalized_mh(
    responses: Any,
    group: Any,
    focal: Sequence,
    *,
    anchor: Sequence | None = None,
    alpha: float = 0.05,
    purify: bool = False,
    n_iter: int = 10,
) -> pd.DataFrame:
    """Generalized Mantel-Haenszel DIF test of several focal groups at once (0/1 items).

    # R: difR::difGMH(Data, group, focal.names, purify = FALSE)

    Parameters
    ----------
    responses : DataFrame or Responses
        Persons x items, 0/1 scores (NaN = missing).
    group : Series or array-like
    focal : list of labels
        The focal groups; everybody else is the reference group.
    anchor : list of item ids, optional
    alpha : float, default 0.05
    purify : bool, default False
    n_iter : int, default 10

    Returns
    -------
    DataFrame
        Indexed by item: ``chi2``, ``df`` (number of focal groups), ``p_value``,
        ``flag``.

    Notes
    -----
    difR 5.1 ``genMantelHaenszel`` (Somes 1986; Penfield 2001): in each stratum
    of the matching score with T > 1 persons, ``a_g`` = persons of focal group
    g answering 0, ``E(a_g) = n_0 r_g / T``, ``Cov = n_0 n_1 / ((T - 1) T^2) (T
    diag(r) - r r')`` (n_0, n_1 = persons answering 0, 1; r = focal group sizes);
    ``chi2 = (sum a - sum E)' (sum Cov)^-1 (sum a - sum E)`` with df = number of
    focal groups.  Strata, the matching score, the counting of missing
    responses (in both n_0 and n_1, as difR) and purification are those of
    :func:`mantel_haenszel`.  With one focal group the statistic is the MH
    chi-square without continuity correction.

    References
    ----------
    Somes, G. W. (1986). The generalized Mantel-Haenszel statistic. The American
    Statistician, 40, 106-108.
    Penfield, R. D. (2001). Assessing differential item functioning among multiple
    groups: a comparison of three Mantel-Haenszel procedures. Applied Measurement
    in Education, 14, 235-259.
    """
    values = _as_frame(responses)
    if _polytomous_items(values, responses).any():
        raise DataError("generalized_mh: 0/1 items only")
    g = _as_group(group, values.index)
    focals, _ = _focal_levels(g, list(focal), None)
    k = len(focals)
    member = np.zeros(len(g), dtype=int)
    for i, f in enumerate(focals, start=1):
        member[(g == f).to_numpy()] = i
    x = values.to_numpy()
    q = stats.chi2.ppf(1 - float(alpha), k)
    anchor_pos = _anchor_positions(anchor, values.columns)

    def table_for(anchor_):
        chi = [_gmh_item(x[:, j], member, _matching_scores(x, j, anchor_), k)
               for j in range(x.shape[1])]  # fmt: skip
        t = pd.DataFrame({"chi2": chi}, index=pd.Index(values.columns, name="item"))
        t["df"] = k
        t["p_value"] = stats.chi2.sf(t["chi2"].to_numpy(), k)
        t["flag"] = t["chi2"].to_numpy() > q
        return t

    out, info = _purify(table_for, x.shape[1], anchor_pos, purify, n_iter)
    if anchor_pos is not None:
        mask = out.index.isin(values.columns[anchor_pos])
        out.loc[mask, ["chi2", "p_value"]] = np.nan
        out.loc[mask, "flag"] = False
    out.attrs["purification"] = info
    out.attrs["focal"] = focals
    return out


# ------------------------------------------------------- logistic regression

_KINDS = {"both": ("both", 2), "uniform": ("udif", 1), "nonuniform": ("nudif", 1)}


def jodoin_gierl_class(delta_r2: Any) -> np.ndarray:
    """Jodoin & Gierl (2001) classes of Nagelkerke's R-squared difference.

    A: delta R2 <= 0.035; B: 0.035 < delta R2 <= 0.070; C: > 0.070, on the value
    rounded to 4 decimals (difR's ``print.Logistic``, ``symnum`` with right-closed
    intervals).

    Examples
    --------
    >>> jodoin_gierl_class([0.01, 0.035, 0.05, 0.2]).tolist()
    ['A', 'A', 'B', 'C']
    """
    r = np.round(np.asarray(delta_r2, dtype=float), 4)
    out = np.where(r <= 0.035, "A", np.where(r <= 0.07, "B", "C"))
    return np.where(np.isfinite(r), out, "")


def _nagelkerke(null_dev: float, dev: float, n: int) -> float:
    """difR's ``R2DIF``: Nagelkerke's R-squared with n = all persons of the data."""
    r2 = 1 - (np.exp(-null_dev / 2 + dev / 2)) ** (2 / n)
    r2max = 1 - (np.exp(-null_dev / 2)) ** (2 / n)
    return float(r2 / r2max)


def _glm(y: np.ndarray, design: np.ndarray):
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sm.GLM(y, design, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=200)


def _logistic_table(
    x: np.ndarray,
    member: np.ndarray,
    anchor: np.ndarray | None,
    items: pd.Index,
    kind: str,
    alpha: float,
) -> pd.DataFrame:
    _, df = _KINDS[kind]
    n_all = x.shape[0]
    rows = []
    for j in range(x.shape[1]):
        score = _matching_scores(x, j, anchor)
        y = x[:, j]
        ok = ~np.isnan(y)
        s, gr, yy = score[ok], member[ok].astype(float), y[ok]
        one = np.ones_like(s)
        full = np.column_stack([one, s, gr, s * gr])
        designs = {
            "both": (full, full[:, :2]),
            "uniform": (full[:, :3], full[:, :2]),
            "nonuniform": (full, full[:, :3]),
        }[kind]
        m0, m1 = _glm(yy, designs[0]), _glm(yy, designs[1])
        lr = float(m1.deviance - m0.deviance)
        r2_0 = _nagelkerke(m0.null_deviance, m0.deviance, n_all)
        r2_1 = _nagelkerke(m1.null_deviance, m1.deviance, n_all)
        coef = np.full(4, np.nan)
        se = np.full(4, np.nan)
        coef[: designs[0].shape[1]] = m0.params
        se[: designs[0].shape[1]] = m0.bse
        rows.append((lr, r2_0, r2_1, r2_0 - r2_1, *coef, *se, int(ok.sum())))
    names = ["intercept", "score", "group", "score_group"]
    t = pd.DataFrame(
        rows,
        index=pd.Index(items, name="item"),
        columns=["lr", "r2_m0", "r2_m1", "delta_r2", *names, *[f"se_{c}" for c in names], "n"],
    )
    t["df"] = df
    t["p_value"] = stats.chi2.sf(t["lr"].to_numpy(), df)
    t["flag"] = t["lr"].to_numpy() > stats.chi2.ppf(1 - alpha, df)
    t["jg_class"] = jodoin_gierl_class(t["delta_r2"])
    return t


def logistic(
    responses: Any,
    group: Any,
    focal: Any,
    kind: str = "both",
    *,
    reference: Any = None,
    purify: bool = False,
    anchor: Sequence | None = None,
    alpha: float = 0.05,
    n_iter: int = 10,
) -> pd.DataFrame:
    """Logistic-regression DIF of every 0/1 item (likelihood-ratio test).

    # R: difR::difLogistic(Data, group, focal.name, type = "both", criterion = "LRT")

    Parameters
    ----------
    responses : DataFrame or pvcal.data.Responses
        Persons x items, 0/1 scores (NaN = missing).
    group : Series or array-like
        Group label of each person.
    focal : label or list of labels
        The focal group; several labels are compared in turn with the reference.
    kind : {"both", "uniform", "nonuniform"}, default "both"
        ``both``: M0 = score * group against M1 = score (2 df); ``uniform``: M0 =
        score + group against M1 = score (1 df); ``nonuniform``: M0 = score * group
        against M1 = score + group (1 df) (difR ``type`` "both", "udif", "nudif").
    reference : label, optional
        Default everybody not in the focal group of the comparison.
    purify : bool, default False
    anchor : list of item ids, optional
    alpha : float, default 0.05
    n_iter : int, default 10

    Returns
    -------
    DataFrame
        Indexed by item (or (focal, item)): ``lr``, ``df``, ``p_value``,
        ``delta_r2`` (Nagelkerke, M0 minus M1), ``r2_m0``, ``r2_m1``, ``jg_class``,
        ``flag``, the coefficients of M0 ``intercept, score, group, score_group``
        (NaN where M0 lacks the term) with their standard errors ``se_*``, and
        ``n`` (persons with a response to the item).

    Raises
    ------
    DataError
        As :func:`mantel_haenszel`; a polytomous item.

    Notes
    -----
    Conventions of difR 5.1 ``Logistik`` (R/Logistik.R), LRT criterion:

    - Matching score: row sum over all items (or anchors plus the studied item),
      missing responses dropped; persons missing the studied item are left out of
      its regressions (R ``glm``'s ``na.omit``).
    - Group coded 1 for the focal group and 0 for the reference, so ``group`` is
      the focal group's shift in the log-odds and ``score_group`` its slope change.
    - ``lr = deviance(M1) - deviance(M0)``; ``p_value = P(chi2_df > lr)``; ``flag``
      = lr above the 1 - ``alpha`` quantile (difR's ``DIFitems``).
    - Nagelkerke's R-squared of each model: ``(1 - exp((D - D_null)/2)^(2/n)) /
      (1 - exp(-D_null/2)^(2/n))`` with D_null the intercept-only deviance on the
      persons used and ``n`` the number of rows of the whole data (missing
      responses included), computed in that order as difR does.
    - ``jg_class``: :func:`jodoin_gierl_class` of ``delta_r2``.
    - Fitted by IRLS (statsmodels GLM, binomial, logit link, tolerance 1e-12);
      R's ``glm`` stops at a relative deviance change of 1e-8, which moves the
      statistics by far less than 1e-6.
    - Purification as :func:`mantel_haenszel` (difR's loop).

    References
    ----------
    Swaminathan, H., & Rogers, H. J. (1990). Detecting differential item
    functioning using logistic regression procedures. JEM 27, 361-370.
    Jodoin, M. G., & Gierl, M. J. (2001). Evaluating type I error and power rates
    using an effect size measure with the logistic regression procedure for DIF
    detection. Applied Measurement in Education 14, 329-349.
    Nagelkerke, N. J. D. (1991). A note on a general definition of the coefficient
    of determination. Biometrika 78, 691-692.

    Examples
    --------
    >>> res = logistic(wide, gender, focal="F", kind="both")   # doctest: +SKIP
    """
    kind = check_choice("kind", kind, list(_KINDS))
    values = _as_frame(responses)
    poly = _polytomous_items(values, responses)
    if poly.any():
        raise DataError(
            f"logistic: items {values.columns[poly][:5].tolist()} are polytomous; "
            "logistic() handles 0/1 items (use mantel_haenszel for polytomous items)"
        )
    g = _as_group(group, values.index)
    focals, reference = _focal_levels(g, focal, reference)
    alpha = float(alpha)
    if not 0 < alpha < 1:
        raise PvcalError(f"alpha must lie in (0, 1), got {alpha!r}")
    anchor_pos = _anchor_positions(anchor, values.columns)

    def table_for(x, member, anchor_):
        return _logistic_table(x, member, anchor_, values.columns, kind, alpha)

    frames, infos = _run(values, g, focals, reference, table_for, purify, anchor_pos, n_iter)
    names = ["intercept", "score", "group", "score_group"]
    cols = [
        "lr",
        "df",
        "p_value",
        "delta_r2",
        "r2_m0",
        "r2_m1",
        "jg_class",
        "flag",
        *names,
        *[f"se_{c}" for c in names],
        "n",
    ]
    out = _combine(frames, cols, len(focals) > 1)
    if anchor_pos is not None:
        mask = out.index.get_level_values("item").isin(values.columns[anchor_pos])
        out.loc[mask, ["lr", "p_value", "delta_r2"]] = np.nan
        out.loc[mask, "flag"] = False
        out.loc[mask, "jg_class"] = ""
    out.attrs["purification"] = infos
    out.attrs["method"] = f"logistic regression ({kind}, LRT)"
    return out


# ------------------------------------------------------------------ plots


def conditional_proportions(
    responses: Any, group: Any, item: Any, *, bins: int | None = None
) -> pd.DataFrame:
    """Proportion correct (mean item score) by total score and group, for a DIF plot.

    Parameters
    ----------
    responses : DataFrame or Responses
    group : Series or array-like
    item : item id
    bins : int, optional
        Group the total scores into this many equal-count bins (sparse scores).

    Returns
    -------
    DataFrame
        Columns ``score`` (the bin's mean total), ``group``, ``n``, ``mean``.
    """
    values = _as_frame(responses)
    if item not in values.columns:
        raise DataError(f"item {item!r} is not a column of responses")
    g = _as_group(group, values.index)
    total = values.sum(axis=1, skipna=True)
    y = values[item]
    ok = y.notna()
    key = total if bins is None else pd.qcut(total.rank(method="first"), bins, labels=False)
    frame = pd.DataFrame({"key": key[ok], "total": total[ok], "group": g[ok], "y": y[ok]})
    out = frame.groupby(["key", "group"]).agg(
        score=("total", "mean"), n=("y", "size"), mean=("y", "mean")
    )
    return out.reset_index(level="group").reset_index(drop=True)[["score", "group", "n", "mean"]]


# ------------------------------------------------------- screens per grouping


def _focals_for(g: pd.Series, min_group: int) -> tuple[list[str], str]:
    """Focal levels of a grouping and a note on how they were chosen.

    Two levels: the smaller group is focal (ties: the first in sorted order),
    except gender ``F``/``M``, where women are the focal group (ETS practice);
    both groups need ``min_group`` persons.  More levels:
    every level with at least ``min_group`` persons, each against all others
    (a level is left out when the rest has fewer than ``min_group``).
    """
    counts = g.value_counts()
    levels = sorted(counts.index)
    if len(levels) == 2:
        a, b = levels
        focal = a if counts[a] <= counts[b] else b
        if levels == ["F", "M"]:
            focal = "F"  # women as the focal group (ETS practice), whatever the sizes
        if counts.min() < min_group:
            return [], f"a group has fewer than {min_group} persons ({counts.to_dict()})"
        return [focal], f"focal {focal!r} against {b if focal == a else a!r}"
    big = [lv for lv in levels if counts[lv] >= min_group and len(g) - counts[lv] >= min_group]
    small = len(levels) - len(big)
    note = f"each of {len(big)} level(s) with >= {min_group} persons against all others"
    if small:
        note += f"; {small} smaller level(s) not tested"
    return big, note


def screen(
    responses: pd.DataFrame,
    persons: pd.DataFrame,
    groupings: Sequence[str] = ("gender", "region", "employer"),
    *,
    form: str | None = "form",
    min_group: int = 100,
    alpha: float = 0.05,
    purify: bool = True,
    focal: dict | None = None,
    discipline: str = "",
    period: str = "",
) -> DifScreen:
    """Mantel-Haenszel DIF of every item for every grouping, form by form.

    Parameters
    ----------
    responses : DataFrame
        Persons x items scores (NaN = not presented or missing).
    persons : DataFrame
        Indexed like ``responses``: one column per grouping (candidate register
        columns such as ``gender``, ``region``, ``employer``) and ``form``.
    groupings : sequence of str, default ("gender", "region", "employer")
        The rules' ``dif.groupings``; a grouping missing from ``persons`` is
        reported as skipped.
    form : str or None, default "form"
        Column of ``persons`` with the form: each form is analysed separately on
        its own items (the matching score is a form's total).  None: one form.
    min_group : int, default 100
        Smallest group (focal, and the rest) that is tested (rules ``dif.min_group``).
    alpha : float, default 0.05
    purify : bool, default True
    focal : dict, optional
        Grouping -> focal level(s), overriding the default choice.
    discipline, period : str

    Returns
    -------
    DifScreen

    Notes
    -----
    Focal groups (:func:`_focals_for`, over all persons of ``responses``): for a
    two-level grouping the smaller group, ties broken by sorted order, and for
    gender ``F`` against ``M``; for more levels each level with at least
    ``min_group`` persons against all others.  On a form, a focal level is
    tested when it and the rest have ``min_group`` persons there.
    Statistics: :func:`mantel_haenszel` (continuity corrected, purified) on the
    items of each form; an item on two forms is tested on each.  Persons
    without a value of the grouping are left out of that grouping.
    """
    tables, skipped, notes = [], {}, {}
    forms = (
        [(None, responses)]
        if form is None
        else [(f, responses.loc[persons[form] == f]) for f in sorted(persons[form].unique())]
    )
    for grouping in groupings:
        if grouping not in persons.columns:
            skipped[grouping] = f"no column {grouping!r} in the candidate register"
            continue
        everyone = persons.loc[responses.index, grouping].dropna().astype(str)
        if focal and grouping in focal:
            chosen = focal[grouping]
            focals = [str(f) for f in (chosen if _is_seq(chosen) else [chosen])]
            note = f"focal {focals} (given) against all others"
        else:
            focals, note = _focals_for(everyone, min_group)
        if not focals:
            skipped[grouping] = note
            continue
        notes[grouping] = note
        for f, sub in forms:
            sub = sub.loc[:, sub.notna().any()]
            g = persons.loc[sub.index, grouping]
            ok = g.notna()
            sub, g = sub.loc[ok], g.loc[ok].astype(str)
            counts = g.value_counts()
            here = [
                lv for lv in focals
                if counts.get(lv, 0) >= min_group and len(g) - counts.get(lv, 0) >= min_group
            ]  # fmt: skip
            if not here:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t = mantel_haenszel(sub, g, here, purify=purify, alpha=alpha)
            if len(here) == 1:
                t = t.assign(focal=here[0]).set_index("focal", append=True)
                t = t.reorder_levels(["focal", "item"])
            t = t.reset_index().assign(grouping=grouping, form="" if f is None else str(f))
            tables.append(t)
    cols = ["grouping", "focal", "form", "item", *_SCREEN_COLUMNS]
    table = pd.concat(tables, ignore_index=True)[cols] if tables else pd.DataFrame(columns=cols)
    return DifScreen(
        discipline=discipline,
        period=period,
        table=table,
        skipped=skipped,
        notes=notes,
        settings={"alpha": alpha, "min_group": min_group, "purify": purify, "method": "MH"},
    )


_SCREEN_COLUMNS = ["chi2", "p_value", "alpha_mh", "delta_mh", "se_delta_mh", "ets_class", "flag",
                   "kind", "smd"]  # fmt: skip


@dataclasses.dataclass(frozen=True, eq=False)
class DifScreen:
    """DIF of a publication: one Mantel-Haenszel row per grouping, focal group, form, item.

    Items classed C (CC) go to review; nothing is removed automatically.

    Attributes
    ----------
    discipline, period : str
    table : DataFrame
        ``grouping, focal, form, item`` and the statistics of
        :func:`mantel_haenszel`.
    skipped : dict
        Grouping -> why it was not tested.
    notes : dict
        Grouping -> how the focal groups were chosen.
    settings : dict
    """

    discipline: str
    period: str
    table: pd.DataFrame
    skipped: dict
    notes: dict
    settings: dict

    def counts(self) -> pd.DataFrame:
        """Items by ETS class per grouping (A/AA, B/BB, C/CC counted together)."""
        t = self.table.assign(cls=self.table["ets_class"].str[0].replace("", "-"))
        out = pd.crosstab(t["grouping"], t["cls"]).reindex(columns=["A", "B", "C"], fill_value=0)
        out.columns.name = None
        return out

    def flagged(self, classes: Sequence[str] = ("B", "C", "BB", "CC")) -> pd.DataFrame:
        """Rows classed B or C (by default), largest |Delta| first."""
        t = self.table[self.table["ets_class"].isin(classes)]
        return t.reindex(t["delta_mh"].abs().sort_values(ascending=False).index)

    def review(self) -> list[str]:
        """Items classed C (CC) for any grouping: to review, not removed."""
        return sorted(set(self.flagged(("C", "CC"))["item"]))

    def summary(self) -> Summary:
        facts = {
            "discipline": self.discipline,
            "period": self.period,
            "groupings": ", ".join(sorted(set(self.table["grouping"]))) or "none",
            "items to review (C)": ", ".join(self.review()) or "none",
        }
        notes = [f"{g}: {n}" for g, n in self.notes.items()]
        notes += [f"{g} not tested: {why}" for g, why in self.skipped.items()]
        notes.append("C items go to review by the item committee; nothing is removed.")
        tables = {"items by ETS class": self.counts()}
        fl = self.flagged()
        if len(fl):
            cols = ["grouping", "focal", "form", "item", "delta_mh", "se_delta_mh", "p_value",
                    "ets_class"]  # fmt: skip
            tables["flagged items (B, C)"] = fl[cols].reset_index(drop=True)
        return Summary("Differential item functioning (Mantel-Haenszel)", facts, tables, notes)

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def plot(self, responses: pd.DataFrame, persons: pd.DataFrame, row: int | None = None, ax=None):
        """Conditional proportions correct of a flagged item by total score and group.

        ``row``: a label of :meth:`flagged` (default its first row).
        """
        import matplotlib.pyplot as plt

        fl = self.flagged()
        if not len(fl):
            raise PvcalError("no flagged item to plot")
        r = fl.loc[fl.index[0] if row is None else row]
        sub = responses
        if r["form"]:
            sub = responses.loc[persons["form"].reindex(responses.index) == r["form"]]
        sub = sub.loc[:, sub.notna().any()]
        g = persons.loc[sub.index, r["grouping"]].astype(str)
        g = g.where(g == r["focal"], "others" if g.nunique() > 2 else g)
        cp = conditional_proportions(sub, g, r["item"], bins=10)
        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.4), layout="constrained")
        for name, part in cp.groupby("group"):
            ax.plot(part["score"], part["mean"], marker="o", label=f"{name} (n={part['n'].sum()})")
        ax.set_xlabel(f"total score (form {r['form']})" if r["form"] else "total score")
        ax.set_ylabel("mean item score")
        ax.set_title(
            f"{r['item']}: {r['grouping']} {r['focal']}, ΔMH = {r['delta_mh']:.2f} "
            f"({r['ets_class']})",
            fontsize=9,
        )
        ax.legend(fontsize=8)
        return ax

    def to_json(self) -> str:
        return dumps(
            {
                "pvcal_type": "DifScreen",
                "version": 1,
                "discipline": self.discipline,
                "period": self.period,
                "table": frame_to_json(self.table),
                "skipped": self.skipped,
                "notes": self.notes,
                "settings": self.settings,
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> DifScreen:
        d = loads_record(text, "DifScreen")
        check_record(d, "DifScreen", ("table", "skipped", "notes", "settings"))
        return cls(
            discipline=d["discipline"],
            period=d["period"],
            table=frame_from_json(d["table"]),
            skipped=dict(d["skipped"]),
            notes=dict(d["notes"]),
            settings=dict(d["settings"]),
        )

    def __eq__(self, other: object) -> bool:
        return json_equal(self, other)

    __hash__ = None  # type: ignore[assignment]
