"""Integrity screening: answer similarity (Wollack's ω), person fit and Guttman errors.

Art. 14 of the regulation revokes a certificate obtained by fraud; this module
produces the *evidence* a reviewer looks at. Nothing here decides anything:
flags become cases in the registry, and a person decides them.

==========================  ==================================================
function                    R equivalent
==========================  ==================================================
:func:`omega`               ``CopyDetect`` 1.3 ``similarity1()`` (``W.index``)
:func:`person_fit`          ``PerFit::lzstar`` + ``PerFit::cutoff`` (bootstrap)
:func:`guttman_errors`      ``PerFit::G``, ``PerFit::Gnormed`` (``Gpoly``)
:func:`screen`              ``CopyDetect::similarity1(..., centers = ...)``
                            with ``p.adjust`` and ``PerFit``
==========================  ==================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from ._summary import Summary
from ._validation import (
    DataError,
    PvcalError,
    check_choice,
    check_columns,
    check_int_scores,
    check_positive,
    check_probability,
    check_rng,
)
from .irt.fit import person_fit as _irt_person_fit
from .irt.models import DICHOTOMOUS, canonical_model, category_probs
from .irt.results import Calibration
from .irt.scoring import score
from .irt.simulate import simulate
from .serialize import check_record, dumps, frame_from_json, json_equal, loads_record, to_jsonable

__all__ = [
    "omega",
    "person_fit",
    "guttman_errors",
    "identical_incorrect",
    "screen",
    "Screening",
    "PAIR_COLUMNS",
    "OMEGA_COLUMNS",
]

#: Columns of the frame :func:`omega` returns, in order.
OMEGA_COLUMNS = ("copier", "source", "observed", "expected", "sd", "W", "p_value")

#: Columns of :attr:`Screening.pairs`, in order.
PAIR_COLUMNS = (
    "copier",
    "source",
    "period",
    "site",
    "session",
    "n_items",
    "observed",
    "expected",
    "sd",
    "W",
    "p_value",
    "p_adjusted",
    "identical_incorrect",
    "flagged",
)

_CORRECTIONS = {"bonferroni": "bonferroni", "bh": "fdr_bh", "fdr_bh": "fdr_bh"}
# simulated values needed below the critical value to read it off the simulation
_MIN_TAIL = 5


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------


def _parameters(items: Any) -> tuple[pd.DataFrame, Calibration | None]:
    """Item-parameter frame and the calibration it came from (if any)."""
    if isinstance(items, Calibration):
        return items.parameters, items
    if not isinstance(items, pd.DataFrame):
        raise PvcalError(
            "items must be an item-parameter DataFrame or a Calibration, "
            f"got {type(items).__name__}"
        )
    check_columns(items, ["a"])
    if items.index.has_duplicates:
        dup = items.index[items.index.duplicated()].unique().tolist()
        raise DataError(f"item parameters list item(s) {dup[:5]} more than once")
    return items, None


def _wide(responses: Any, params: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wide responses and the parameters of their items, in the same column order."""
    wide = getattr(responses, "wide", responses)
    if not isinstance(wide, pd.DataFrame):
        raise DataError(
            f"responses must be a persons x items DataFrame or Responses, got {type(wide).__name__}"
        )
    unknown = [c for c in wide.columns if c not in params.index]
    if unknown:
        raise DataError(f"response column(s) {unknown[:5]} have no item parameters")
    if wide.index.has_duplicates:
        dup = wide.index[wide.index.duplicated()].unique().tolist()
        raise DataError(f"responses list person(s) {dup[:5]} on more than one row")
    sub = params.loc[list(wide.columns)]
    check_int_scores(wide, pd.Series(_max_scores(sub), index=sub.index))
    return wide, sub


def _max_scores(params: pd.DataFrame) -> np.ndarray:
    return np.array([p.shape[1] - 1 for p in category_probs(params, [0.0])])


def _is_dichotomous(params: pd.DataFrame) -> bool:
    if "model" in params.columns:
        return bool(params["model"].map(canonical_model).isin(DICHOTOMOUS).all())
    return bool((_max_scores(params) == 1).all())


def _pairs(pairs: Any, index: pd.Index) -> pd.DataFrame:
    """(copier, source) labels as a two-column frame, checked against ``index``."""
    if isinstance(pairs, pd.DataFrame):
        check_columns(pairs, ["copier", "source"])
        frame = pairs[["copier", "source"]].reset_index(drop=True)
    else:
        if isinstance(pairs, str | bytes) or not isinstance(pairs, Iterable):
            raise DataError(f"pairs must be a list of (copier, source) row labels; got {pairs!r}")
        items = list(pairs)
        bad = [p for p in items if isinstance(p, str | bytes) or not isinstance(p, Iterable)]
        if bad:
            raise DataError(f"each pair must be (copier, source); got {bad[0]!r}")
        rows = [tuple(p) for p in items]
        bad = [p for p in rows if len(p) != 2]
        if bad:
            raise DataError(f"each pair must be (copier, source); got {bad[0]!r}")
        frame = pd.DataFrame(rows, columns=["copier", "source"])
    if frame.empty:
        raise DataError("no pairs given; expected (copier, source) row labels of responses")
    for col in ("copier", "source"):
        unknown = frame.loc[~frame[col].isin(index), col].unique().tolist()
        if unknown:
            raise DataError(f"{col}(s) {unknown[:5]} are not row labels of responses")
    same = frame.index[frame["copier"] == frame["source"]]
    if len(same):
        raise DataError(
            f"pair {same[0]}: copier and source are the same person "
            f"{frame.loc[same[0], 'copier']!r}"
        )
    return frame


def _theta_for(
    theta: Any, cal: Calibration | None, params: pd.DataFrame, wide: pd.DataFrame, who
) -> pd.Series:
    """θ of the persons ``who`` (row labels): given, or EAP from the calibration."""
    who = pd.Index(pd.unique(np.asarray(who, dtype=object)))
    if theta is None:
        sub = wide.loc[who]
        if cal is not None:
            est = cal.score(sub, "EAP")
        else:
            est = score(params, sub, "EAP", missing_items="nan")
        return est["theta"]
    if isinstance(theta, pd.DataFrame):
        check_columns(theta, ["theta"])
        theta = theta["theta"]
    if not isinstance(theta, pd.Series):
        arr = np.asarray(theta, dtype=float)
        if arr.ndim != 1 or len(arr) != len(wide):
            raise DataError(
                f"theta must be a Series indexed like responses or one value per row "
                f"({len(wide)}), got shape {arr.shape}"
            )
        theta = pd.Series(arr, index=wide.index)
    missing = who.difference(theta.index)
    if len(missing):
        raise DataError(f"theta has no value for person(s) {missing[:5].tolist()}")
    out = pd.to_numeric(theta.reindex(who), errors="coerce").astype(float)
    bad = out.index[~np.isfinite(out.to_numpy())]
    if len(bad):
        raise DataError(f"theta is not finite for person(s) {bad[:5].tolist()}")
    return out


# ---------------------------------------------------------------------------
# omega
# ---------------------------------------------------------------------------


def _omega_core(
    params: pd.DataFrame, X: np.ndarray, ci: np.ndarray, si: np.ndarray, tc: np.ndarray
) -> tuple[np.ndarray, ...]:
    """observed, expected, sd, W, p for pairs given as row positions of ``X``.

    ``tc`` is the copier's θ, one per pair.
    """
    xc, xs = X[ci], X[si]
    both_missing = np.isnan(xc) & np.isnan(xs)
    observed = ((xc == xs) | both_missing).sum(axis=1).astype(float)
    s_cat = np.where(np.isnan(xs), 0, xs).astype(int)  # source's missing counts as 0
    uniq, inv = np.unique(tc, return_inverse=True)
    probs = category_probs(params, uniq)
    pm = np.empty(xs.shape)
    for j, p in enumerate(probs):
        pm[:, j] = p[inv, s_cat[:, j]]
    expected = pm.sum(axis=1)
    sd = np.sqrt((pm * (1.0 - pm)).sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(sd > 0, (observed - expected) / sd, np.nan)
    return observed, expected, sd, w, norm.sf(w)


def omega(items: Any, responses: Any, pairs: Any, theta: Any = None) -> pd.DataFrame:
    """Wollack's (1997) ω answer-copying index for (copier, source) pairs.

    # R: CopyDetect::similarity1(data, item.par, ..., many.pairs = pairs)$output.manypairs
    #    (W.index: obs.match, exp.match, sd.match, W.value, p.value), CopyDetect 1.3

    Parameters
    ----------
    items : DataFrame or Calibration
        Item parameters in the IRT parameterisation (logistic metric, D = 1), as
        ``Calibration.items`` reports them: ``a``, ``b`` [, ``c``] for
        dichotomous items, ``a``, ``b1..bK`` and ``model`` for GRM/GPCM. A
        :class:`~pvcal.irt.results.Calibration` is accepted too.
    responses : DataFrame or Responses
        Persons x items, integer scores or NaN (missing). Every column must have
        item parameters; ω runs over the columns of ``responses``.
    pairs : iterable of (copier, source), or DataFrame with ``copier``, ``source``
        Row labels of ``responses``. ω is directional: (c, s) asks whether c
        copied from s.
    theta : Series, optional
        Ability of the copiers, indexed like ``responses`` (a frame with a
        ``theta`` column, as ``Calibration.score`` returns it, works too).
        Default: the **EAP** estimate of each copier from the calibration
        (``Calibration.score(responses, "EAP")``: prior = the calibrated latent
        distribution); with a bare parameter frame, EAP under a N(0, 1) prior.

    Returns
    -------
    DataFrame
        One row per pair, in the order given: ``copier, source, observed,
        expected, sd, W, p_value``.

    Raises
    ------
    DataError
        Unknown pair labels, copier = source, response columns without
        parameters, scores outside ``0..max_score``, a missing or non-finite θ.

    Notes
    -----
    With ``P_i(k | θ_c)`` the model probability that the copier gives category
    ``k`` on item ``i`` at the copier's ability ``θ_c``, and ``s_i`` the
    source's response, the match probability of item ``i`` is
    ``π_i = P_i(s_i | θ_c)``: for a dichotomous item ``P_i(θ_c)`` when the
    source answered 1 and ``1 - P_i(θ_c)`` when 0; for a polytomous (GRM/GPCM)
    item the probability that the copier gives the source's category. Then

    ``expected = Σ_i π_i``, ``sd = sqrt(Σ_i π_i (1 - π_i))``,
    ``W = (observed - expected) / sd`` and ``p_value = 1 - Φ(W)`` (upper tail of
    the standard normal; large W = more matches than chance).

    Conventions, each as CopyDetect 1.3 (``similarity1``'s internal ``omega``):

    * **Matches**: ``observed`` counts items where the two responses are equal,
      **plus items both left missing** (CopyDetect sets common missing
      responses to 0 for both). A response against a missing one is not a
      match.
    * **Source missing**: the match probability uses category 0 (incorrect):
      ``1 - P_i(θ_c)``, also when both are missing.
    * **Copier missing, source answered**: not a match; ``π_i`` is still the
      probability of the source's response.
    * **θ**: only the copier's θ enters. CopyDetect's default θ is
      ``mirt::fscores(method = "MAP", cov = matrix(5))`` (MAP, N(0, 5) prior)
      from its own fit; pvcal defaults to the calibration's EAP (above). To
      reproduce CopyDetect's θ pass
      ``theta=pvcal.irt.scoring.score(items, responses, "MAP", sd=5 ** 0.5)``.
    * **Dichotomous vs nominal**: pvcal works on scored responses, so ω is
      CopyDetect's dichotomous index (``similarity1``), with the 3PL
      ``c + (1 - c) / (1 + exp(-a (θ - b)))`` and D = 1. CopyDetect's nominal
      version (``similarity2``: matches on the chosen option under the nominal
      model, a missing source response replaced by the copier's likeliest
      distractor) needs the raw options and is not computed here. GRM/GPCM
      items extend the dichotomous version category by category.
    * ``sd`` from the sum of ``π(1 - π)`` (independent Bernoulli matches);
      ``W`` is NaN when ``sd = 0``.

    References
    ----------
    Wollack, J. A. (1997). A nominal response model approach for detecting
    answer copying. *Applied Psychological Measurement*, 21(4), 307-320.
    Zopluoglu, C. (2018). CopyDetect: Computing response similarity indices
    for multiple-choice tests (R package version 1.3).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> items = pd.DataFrame({"a": [1.0] * 3, "b": [0.0, 0.0, 0.0]}, index=["Q1", "Q2", "Q3"])
    >>> resp = pd.DataFrame({"Q1": [1, 1], "Q2": [0, 0], "Q3": [1, 0]}, index=["c", "s"])
    >>> omega(items, resp, [("c", "s")], theta=pd.Series([0.0, 0.0], index=["c", "s"]))[
    ...     ["observed", "expected", "sd"]].to_numpy().tolist()
    [[2.0, 1.5, 0.8660254037844386]]
    """
    params, cal = _parameters(items)
    wide, params = _wide(responses, params)
    frame = _pairs(pairs, wide.index)
    th = _theta_for(theta, cal, params, wide, frame["copier"])
    X = wide.to_numpy(dtype=float, na_value=np.nan)
    ci = wide.index.get_indexer(frame["copier"])
    si = wide.index.get_indexer(frame["source"])
    obs, exp, sd, w, p = _omega_core(params, X, ci, si, th.reindex(frame["copier"]).to_numpy())
    return pd.DataFrame(
        {
            "copier": frame["copier"].to_numpy(),
            "source": frame["source"].to_numpy(),
            "observed": obs,
            "expected": exp,
            "sd": sd,
            "W": w,
            "p_value": p,
        }
    )


# ---------------------------------------------------------------------------
# identical incorrect answers
# ---------------------------------------------------------------------------


def _identical_incorrect_core(
    X: np.ndarray, max_score: np.ndarray, ci: np.ndarray, si: np.ndarray
) -> np.ndarray:
    xc, xs = X[ci], X[si]
    return ((xc == xs) & (xc < max_score[None, :])).sum(axis=1)


def identical_incorrect(items: Any, responses: Any, pairs: Any) -> pd.Series:
    """Number of identical incorrect answers of each (copier, source) pair.

    An item counts when both answered it and gave the same score below the
    item's maximum (for a 0/1 item: both 0). Items both left missing do **not**
    count (CopyDetect's K index counts them; here the number is shown to a
    reviewer as plain evidence, so only answers count).

    Parameters
    ----------
    items, responses, pairs
        As in :func:`omega`.

    Returns
    -------
    Series
        Integer counts, one per pair in the order given.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1.0] * 3, "b": [0.0] * 3}, index=["Q1", "Q2", "Q3"])
    >>> resp = pd.DataFrame({"Q1": [0, 0], "Q2": [0, 1], "Q3": [1, 1]}, index=["c", "s"])
    >>> identical_incorrect(items, resp, [("c", "s")]).tolist()
    [1]
    """
    params, _ = _parameters(items)
    wide, params = _wide(responses, params)
    frame = _pairs(pairs, wide.index)
    X = wide.to_numpy(dtype=float, na_value=np.nan)
    counts = _identical_incorrect_core(
        X,
        _max_scores(params).astype(float),
        wide.index.get_indexer(frame["copier"]),
        wide.index.get_indexer(frame["source"]),
    )
    return pd.Series(counts, name="identical_incorrect")


# ---------------------------------------------------------------------------
# Guttman errors
# ---------------------------------------------------------------------------


def guttman_errors(responses: Any, max_score: Any = None) -> pd.DataFrame:
    """Guttman errors G and normalised G* of every person.

    # R: PerFit::G(matrix), PerFit::Gnormed(matrix); PerFit::Gpoly / Gnormed.poly

    Parameters
    ----------
    responses : DataFrame or Responses
        Persons x items, integer scores or NaN (missing; skipped).
    max_score : Series or item-parameter DataFrame, optional
        Highest score of each item (a parameter frame gives it through the
        model). Default: the highest observed score of each item.

    Returns
    -------
    DataFrame
        Indexed like ``responses``: ``G``, ``G_star`` (NaN when the person's
        maximum is 0: all steps passed, none passed or nothing answered) and
        ``n_steps`` (answered item steps).

    Notes
    -----
    Each item ``j`` with maximum ``m_j`` is split into steps ``X_j >= k``,
    ``k = 1..m_j`` (one step for a 0/1 item). Steps are ordered from most to
    least popular by the share of the persons answering the item who pass the
    step (ties keep item order). Over a person's answered steps, a Guttman
    error is a pair (easier step failed, harder step passed):
    ``G = Σ_{harder t passed} #{easier s failed}``. With ``r`` passed steps
    out of ``S`` answered, ``G* = G / (r (S - r))``: Meijer's (1994)
    normalisation, PerFit's ``Gnormed`` for 0/1 items. For polytomous items
    ``r (S - r)`` is the dichotomous bound; Emons' (2008) exact maximum given
    the item structure can be smaller, so there ``G*`` understates misfit a
    little and its values are comparable within a test, not across tests.

    References
    ----------
    Meijer, R. R. (1994). The number of Guttman errors as a simple and powerful
    person-fit statistic. *Applied Psychological Measurement*, 18, 311-314.
    Emons, W. H. M. (2008). Nonparametric person-fit analysis of polytomous
    item scores. *Applied Psychological Measurement*, 32, 224-247.

    Examples
    --------
    >>> import pandas as pd
    >>> resp = pd.DataFrame({"Q1": [1, 0, 1, 1], "Q2": [1, 0, 1, 0], "Q3": [0, 1, 0, 0]})
    >>> guttman_errors(resp)["G"].tolist()
    [0, 2, 0, 0]
    """
    wide = getattr(responses, "wide", responses)
    if not isinstance(wide, pd.DataFrame):
        raise DataError(
            f"responses must be a persons x items DataFrame or Responses, got {type(wide).__name__}"
        )
    if max_score is None:
        ms = wide.max(axis=0)
    elif isinstance(max_score, pd.DataFrame):
        ms = pd.Series(_max_scores(max_score.loc[list(wide.columns)]), index=wide.columns)
    else:
        ms = pd.Series(max_score).reindex(wide.columns)
    check_int_scores(wide, ms)
    ms = ms.fillna(0).astype(int)
    X = wide.to_numpy(dtype=float, na_value=np.nan)
    cols, ks = [], []
    for j, m in enumerate(ms.to_numpy()):
        for k in range(1, m + 1):
            cols.append(j)
            ks.append(k)
    cols_a, ks_a = np.array(cols, dtype=int), np.array(ks, dtype=float)
    answered = ~np.isnan(X[:, cols_a])
    passed = np.where(answered, X[:, cols_a] >= ks_a[None, :], False)
    with np.errstate(invalid="ignore", divide="ignore"):
        popularity = passed.sum(axis=0) / answered.sum(axis=0)
    order = np.argsort(-np.nan_to_num(popularity, nan=-1.0), kind="stable")
    passed, answered = passed[:, order], answered[:, order]
    failed = answered & ~passed
    failed_before = np.cumsum(failed, axis=1) - failed
    G = (passed * failed_before).sum(axis=1)
    r = passed.sum(axis=1)
    S = answered.sum(axis=1)
    denom = r * (S - r)
    with np.errstate(invalid="ignore", divide="ignore"):
        g_star = np.where(denom > 0, G / np.where(denom > 0, denom, 1), np.nan)
    return pd.DataFrame({"G": G.astype(int), "G_star": g_star, "n_steps": S}, index=wide.index)


# ---------------------------------------------------------------------------
# person fit with simulated critical values
# ---------------------------------------------------------------------------


def person_fit(
    items: Any,
    responses: Any,
    theta: Any = None,
    *,
    alpha: float = 0.05,
    n_sim: int = 200,
    seed: Any = 0,
    theta_method: str = "WLE",
    chunk_rows: int = 50_000,
) -> pd.DataFrame:
    """Person fit lz* (lz for polytomous tests) with critical values simulated per candidate.

    # R: PerFit::lzstar(...); PerFit::cutoff(x, Blvl = alpha, Nrep = n_sim)

    Parameters
    ----------
    items : DataFrame or Calibration
        Item parameters (as in :func:`omega`).
    responses : DataFrame or Responses
        Persons x items; missing responses are skipped.
    theta : Series or DataFrame, optional
        Ability estimates by ``theta_method`` (default: computed here by that
        method; the statistic's correction term depends on it, see
        :func:`pvcal.irt.fit.person_fit`).
    alpha : float, default 0.05
        Lower-tail level of the critical value: a person is flagged when the
        statistic is below the ``alpha`` quantile of its simulated null
        distribution. One test per person, no multiplicity correction.
    n_sim : int, default 200
        Simulated response vectors per person.
    seed : int or Generator, default 0
        The same seed gives the same critical values.
    theta_method : {"WLE", "ML", "MAP"}
        Estimator of θ, for the observed and for every simulated vector.
    chunk_rows : int, default 50000
        Simulated vectors handled at once (memory bound; results do not depend on it
        beyond the order in which random numbers are drawn).

    Returns
    -------
    DataFrame
        Indexed like ``responses``: ``theta``, ``statistic`` (``"lz*"`` or
        ``"lz"``), ``value``, ``critical``, ``p_value``, ``flagged``, and the
        Guttman errors ``G``, ``G_star`` (:func:`guttman_errors`).

    Raises
    ------
    PvcalError
        ``alpha`` outside (0, 1), ``n_sim`` < 20.
    DataError
        As :func:`omega`.

    Notes
    -----
    lz* (Snijders, 2001) is asymptotically N(0, 1), but on a 30-40 item test
    its lower tail is not normal, so the critical value is simulated
    (parametric bootstrap, de la Torre & Deng 2008): for person ``i`` with
    estimate ``θ̂_i``, ``n_sim`` response vectors are drawn from the calibrated
    model at ``θ̂_i`` on exactly the items ``i`` answered; each is re-scored
    (θ re-estimated by ``theta_method``) and its statistic computed. The
    critical value is the ``alpha`` quantile (linear interpolation) of those
    values, and ``p_value = (1 + #{simulated <= observed}) / (1 + n_valid)``.
    When ``n_sim * alpha < 5`` the simulation does not reach that far into the
    tail (e.g. α = 0.001 with 200 draws); the critical value and p-value then
    come from a normal distribution with the simulated mean and SD (the
    simulation still corrects the location and spread at the person's θ).
    Simulated vectors whose θ sits on a search bound give NaN and are left
    out. Polytomous tests use lz (Drasgow et al., 1985), whose null
    distribution the same simulation supplies.

    References
    ----------
    Snijders, T. A. B. (2001). Asymptotic null distribution of person fit
    statistics with estimated person parameter. *Psychometrika*, 66, 331-342.
    de la Torre, J., & Deng, W. (2008). Improving person-fit assessment by
    correcting the ability estimate and its reference distribution.
    *Journal of Educational Measurement*, 45, 159-177.

    Examples
    --------
    >>> pf = person_fit(cal, responses, alpha=0.05, n_sim=200, seed=1)  # doctest: +SKIP
    """
    alpha = check_probability("alpha", alpha)
    n_sim = int(check_positive("n_sim", n_sim))
    if n_sim < 20:
        raise PvcalError(f"n_sim must be at least 20 to estimate a tail quantile, got {n_sim}")
    chunk_rows = int(check_positive("chunk_rows", chunk_rows))
    theta_method = check_choice("theta_method", theta_method, ("WLE", "ML", "MAP"))
    rng = check_rng(seed)
    params, _ = _parameters(items)
    wide, params = _wide(responses, params)
    method = "lz*" if _is_dichotomous(params) else "lz"
    col = "lz_star" if method == "lz*" else "lz"
    kw = {"theta_method": theta_method, "missing_items": "nan"}
    if theta is not None and not isinstance(theta, pd.DataFrame):
        theta = pd.Series(theta, index=wide.index) if not isinstance(theta, pd.Series) else theta
    obs = _irt_person_fit(params, wide, theta, method=method, **kw)
    value = obs[col].to_numpy()
    t = obs["theta"].to_numpy()
    X = wide.to_numpy(dtype=float, na_value=np.nan)
    answered = ~np.isnan(X)
    ok = np.flatnonzero(np.isfinite(value) & np.isfinite(t))
    critical = np.full(len(wide), np.nan)
    p_value = np.full(len(wide), np.nan)
    per_chunk = max(1, chunk_rows // n_sim)
    # persons with the same answered items (a form) side by side: a chunk then simulates
    # only the items its persons answered
    pattern = np.packbits(answered[ok], axis=1)
    ok = ok[np.lexsort(pattern.T[::-1])] if pattern.size else ok
    for start in range(0, len(ok), per_chunk):
        rows = ok[start : start + per_chunk]
        cols = np.flatnonzero(answered[rows].any(axis=0))
        sub = params.iloc[cols]
        th = np.repeat(t[rows], n_sim)
        sim, _ = simulate(sub, theta=th, seed=rng)
        sim = sim.to_numpy(dtype=float, copy=True)
        sim[~np.repeat(answered[rows][:, cols], n_sim, axis=0)] = np.nan
        frame = pd.DataFrame(sim, columns=wide.columns[cols])
        stat = _irt_person_fit(sub, frame, method=method, **kw)[col].to_numpy()
        stat = stat.reshape(len(rows), n_sim)
        n_valid = np.isfinite(stat).sum(axis=1)
        if n_sim * alpha >= _MIN_TAIL:
            critical[rows] = np.nanquantile(stat, alpha, axis=1)
            below = (stat <= value[rows, None]).sum(axis=1)
            p_value[rows] = (1.0 + below) / (1.0 + n_valid)
        else:  # the tail lies beyond the simulation: normal with the simulated mean and sd
            m, s = np.nanmean(stat, axis=1), np.nanstd(stat, axis=1, ddof=1)
            critical[rows] = m + s * norm.ppf(alpha)
            with np.errstate(divide="ignore", invalid="ignore"):
                p_value[rows] = norm.cdf((value[rows] - m) / s)
    flagged = np.isfinite(critical) & (value < critical)
    g = guttman_errors(wide, params)
    return pd.DataFrame(
        {
            "theta": t,
            "statistic": method,
            "value": value,
            "critical": critical,
            "p_value": p_value,
            "flagged": flagged,
            "G": g["G"].to_numpy(),
            "G_star": g["G_star"].to_numpy(),
        },
        index=wide.index,
    )


# ---------------------------------------------------------------------------
# screening
# ---------------------------------------------------------------------------


def _sittings(wide: pd.DataFrame, candidates: Any, persons: pd.DataFrame | None) -> pd.DataFrame:
    """period (optional), site, session and form (optional) of every person in ``wide``."""
    check_columns(candidates, ["site", "session"])
    missing = wide.index.difference(candidates.index)
    if len(missing):
        raise DataError(
            f"candidates has no row for person(s) {missing[:5].tolist()} of responses "
            "(candidates must be indexed like responses, e.g. by application_id)"
        )
    who = candidates.loc[wide.index].copy()
    for c in ("period", "form"):
        if c not in who.columns and persons is not None and c in persons.columns:
            who[c] = persons[c].reindex(wide.index)
    for c in ("site", "session"):
        bad = who.index[who[c].isna()]
        if len(bad):
            raise DataError(f"candidates: person(s) {bad[:5].tolist()} have no {c!r}")
    cols = [c for c in ("period", "site", "session", "form") if c in who.columns]
    return who[cols]


def _ordered_pairs(who: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of every ordered pair (c, s), c != s, within the same sitting."""
    keys = [c for c in ("period", "site", "session") if c in who.columns]
    codes = who[keys].astype(str).agg("\x1f".join, axis=1).to_numpy()
    order = np.argsort(codes, kind="stable")
    _, starts, counts = np.unique(codes[order], return_index=True, return_counts=True)
    ci, si = [], []
    for s, n in zip(starts, counts):
        if n < 2:
            continue
        members = order[s : s + n]
        a, b = np.meshgrid(members, members, indexing="ij")
        off = ~np.eye(n, dtype=bool)
        ci.append(a[off])
        si.append(b[off])
    if not ci:
        return np.empty(0, dtype=int), np.empty(0, dtype=int)
    return np.concatenate(ci), np.concatenate(si)


def screen(
    items: Any,
    responses: Any,
    candidates: pd.DataFrame,
    *,
    theta: Any = None,
    alpha: float = 0.05,
    control: str = "bh",
    alpha_person: float | None = None,
    n_sim: int = 200,
    seed: Any = 0,
    min_shared_items: int = 10,
) -> Screening:
    """Screen every pair in the same sitting for copying, and every person for misfit.

    # R: CopyDetect::similarity1(..., center.id = "site", centers = ...) per sitting,
    #    p.adjust(p, "BH") across pairs; PerFit::lzstar + PerFit::cutoff per person

    Parameters
    ----------
    items : DataFrame or Calibration
        Item parameters (as in :func:`omega`).
    responses : DataFrame or Responses
        Persons x items; a :class:`~pvcal.data.Responses` also gives each
        person's ``period`` and ``form``.
    candidates : DataFrame
        Indexed like ``responses`` (application id) with ``site`` and
        ``session`` (and optionally ``period``, ``form``). A sitting is one
        (period, site, session).
    theta : Series, optional
        θ of every person for ω (default: EAP from the calibration, as in
        :func:`omega`).
    alpha : float, default 0.05
        Level of the pair tests after the multiplicity correction (rules.yml
        ``integrity.alpha``).
    control : {"bh", "bonferroni"}
        Benjamini–Hochberg false discovery rate, or Bonferroni family-wise
        error, across **all** pairs screened (statsmodels ``multipletests``);
        rules.yml ``integrity.control``.
    alpha_person : float, optional
        Level of the person-fit test (default ``alpha``); see :func:`person_fit`.
    n_sim : int, default 200
        Simulated vectors per person for the person-fit critical values.
    seed : int or Generator, default 0
    min_shared_items : int, default 10
        Pairs of persons on forms sharing fewer items than this are not screened
        (rules.yml ``integrity.min_shared_items``).

    Returns
    -------
    Screening
        ``pairs`` (every ordered pair screened) and ``candidates`` (the
        combined evidence per person).

    Raises
    ------
    DataError
        Candidates without ``site``/``session`` or not covering every person;
        as :func:`omega`.
    PvcalError
        Bad ``alpha``, ``control`` or ``n_sim``.

    Notes
    -----
    Every ordered pair ``(c, s)`` with ``c != s`` in the same sitting is
    tested with :func:`omega` (both directions: ω is directional), on the
    items of the copier's form that are also on the source's form (a form's
    items are those anyone on it answered; without forms, all items). The
    p-values of all pairs are adjusted together; a pair is flagged when the
    adjusted p-value is below ``alpha``. Per person, the combined evidence is
    the strongest pair in which the person is the copier (largest W, its
    source, adjusted p-value and identical incorrect answers), the number of
    flagged pairs as copier and as source, person fit (:func:`person_fit`:
    lz* or lz with simulated critical values, Guttman errors). A person is
    marked for ``review`` when flagged as a copier in some pair or for
    misfit; sources alone are listed (``flag_source``) but not marked.

    Examples
    --------
    >>> res = screen(cal, responses, candidates, alpha=0.001, control="bh")  # doctest: +SKIP
    >>> res.summary()                                                          # doctest: +SKIP
    """
    alpha = check_probability("alpha", alpha)
    if alpha_person is None:
        alpha_person = alpha
    alpha_person = check_probability("alpha_person", alpha_person)
    control = check_choice("control", control, tuple(_CORRECTIONS))
    min_shared_items = int(check_positive("min_shared_items", min_shared_items))
    if not isinstance(candidates, pd.DataFrame):
        raise DataError(f"candidates must be a DataFrame, got {type(candidates).__name__}")
    params, cal = _parameters(items)
    wide, params = _wide(responses, params)
    who = _sittings(wide, candidates, getattr(responses, "persons", None))
    th = _theta_for(theta, cal, params, wide, wide.index).reindex(wide.index).to_numpy()
    X = wide.to_numpy(dtype=float, na_value=np.nan)
    max_score = _max_scores(params).astype(float)
    ci, si = _ordered_pairs(who)

    # the items each form carries
    if "form" in who.columns:
        forms = who["form"].astype(str).to_numpy()
    else:
        forms = np.full(len(wide), "all", dtype=object)
    answered = ~np.isnan(X)
    form_items = {f: answered[forms == f].any(axis=0) for f in np.unique(forms)}

    n_pairs = len(ci)
    out = {k: np.full(n_pairs, np.nan) for k in ("observed", "expected", "sd", "W", "p_value")}
    out["n_items"] = np.zeros(n_pairs, dtype=int)
    out["identical_incorrect"] = np.zeros(n_pairs, dtype=int)
    skipped = 0
    if n_pairs:
        fc, fs = forms[ci], forms[si]
        combo = pd.Series(np.arange(n_pairs)).groupby([fc, fs], sort=True).indices
        for (a, b), idx in combo.items():
            cols = np.flatnonzero(form_items[a] & form_items[b])
            if len(cols) < min_shared_items:
                skipped += len(idx)
                continue
            sub = params.iloc[cols]
            o, e, s, w, p = _omega_core(sub, X[:, cols], ci[idx], si[idx], th[ci[idx]])
            for k, v in zip(("observed", "expected", "sd", "W", "p_value"), (o, e, s, w, p)):
                out[k][idx] = v
            out["n_items"][idx] = len(cols)
            out["identical_incorrect"][idx] = _identical_incorrect_core(
                X[:, cols], max_score[cols], ci[idx], si[idx]
            )
    p_adj = np.full(n_pairs, np.nan)
    finite = np.isfinite(out["p_value"])
    if finite.any():
        from statsmodels.stats.multitest import multipletests

        p_adj[finite] = multipletests(
            out["p_value"][finite], alpha=alpha, method=_CORRECTIONS[control]
        )[1]
    flagged = np.isfinite(p_adj) & (p_adj < alpha)
    labels = wide.index.to_numpy()
    pairs = pd.DataFrame(
        {
            "copier": labels[ci],
            "source": labels[si],
            "period": who["period"].to_numpy()[ci] if "period" in who else None,
            "site": who["site"].to_numpy()[ci],
            "session": who["session"].to_numpy()[ci],
            "n_items": out["n_items"],
            "observed": out["observed"],
            "expected": out["expected"],
            "sd": out["sd"],
            "W": out["W"],
            "p_value": out["p_value"],
            "p_adjusted": p_adj,
            "identical_incorrect": out["identical_incorrect"],
            "flagged": flagged,
        },
        columns=list(PAIR_COLUMNS),
    )
    fit = person_fit(params, wide, alpha=alpha_person, n_sim=n_sim, seed=seed)
    people = _combine(who, th, pairs, fit)
    settings = {
        "alpha": alpha,
        "control": control,
        "alpha_person": alpha_person,
        "n_sim": n_sim,
        "seed": seed if isinstance(seed, (int, np.integer)) or seed is None else "generator",
        "min_shared_items": min_shared_items,
        "theta": "given" if theta is not None else "EAP",
        "person_fit": str(fit["statistic"].iloc[0]) if len(fit) else "lz*",
        "n_pairs": int(n_pairs),
        "n_pairs_skipped": int(skipped),
    }
    return Screening(pairs=pairs, candidates=people, settings=settings)


def _combine(who: pd.DataFrame, theta: np.ndarray, pairs: pd.DataFrame, fit: pd.DataFrame):
    """Combined evidence per person from the pair table and the person-fit table."""
    people = who.copy()
    people["theta"] = theta
    tested = pairs[np.isfinite(pairs["W"].to_numpy(dtype=float))]
    people["n_pairs"] = tested.groupby("copier").size().reindex(people.index).fillna(0).astype(int)
    best = tested.loc[tested.groupby("copier")["W"].idxmax()] if len(tested) else tested
    best = best.set_index("copier").reindex(people.index)
    people["W_max"] = best["W"].astype(float)
    people["partner"] = best["source"]
    people["p_adjusted"] = best["p_adjusted"].astype(float)
    people["identical_incorrect"] = best["identical_incorrect"].astype(float)
    fl = pairs[pairs["flagged"]]
    people["n_flagged_as_copier"] = (
        fl.groupby("copier").size().reindex(people.index).fillna(0).astype(int)
    )
    people["n_flagged_as_source"] = (
        fl.groupby("source").size().reindex(people.index).fillna(0).astype(int)
    )
    people["person_fit"] = fit["statistic"]
    people["person_fit_value"] = fit["value"]
    people["person_fit_critical"] = fit["critical"]
    people["person_fit_p"] = fit["p_value"]
    people["G"] = fit["G"]
    people["G_star"] = fit["G_star"]
    people["flag_copying"] = people["n_flagged_as_copier"] > 0
    people["flag_source"] = people["n_flagged_as_source"] > 0
    people["flag_aberrant"] = fit["flagged"].astype(bool)
    people["review"] = people["flag_copying"] | people["flag_aberrant"]
    people.index.name = "person"
    return people


@dataclass(frozen=True)
class Screening:
    """Result of :func:`screen` (do not construct directly).

    Attributes
    ----------
    pairs : DataFrame
        One row per ordered pair screened, columns :data:`PAIR_COLUMNS`.
    candidates : DataFrame
        Indexed by person: sitting, ``theta``, the strongest pair as copier
        (``W_max``, ``partner``, ``p_adjusted``, ``identical_incorrect``),
        ``n_flagged_as_copier``, ``n_flagged_as_source``, person fit
        (``person_fit``, ``person_fit_value``, ``person_fit_critical``,
        ``person_fit_p``, ``G``, ``G_star``) and the flags ``flag_copying``,
        ``flag_source``, ``flag_aberrant``, ``review``.
    settings : dict
        Every setting that changes the numbers.
    """

    pairs: pd.DataFrame
    candidates: pd.DataFrame
    settings: dict = field(default_factory=dict)

    @cached_property
    def flagged_pairs(self) -> pd.DataFrame:
        """The flagged pairs, strongest first."""
        return self.pairs[self.pairs["flagged"]].sort_values("W", ascending=False)

    @cached_property
    def review(self) -> pd.DataFrame:
        """Persons marked for review (copying or misfit), strongest evidence first."""
        people = self.candidates[self.candidates["review"]]
        return people.sort_values(["flag_copying", "W_max"], ascending=[False, False])

    def compact(self) -> Screening:
        """The same screening keeping only the pairs that matter for review.

        Keeps the flagged pairs and, for every person, the strongest pair as
        copier (the ``partner`` of :attr:`candidates`); the counts of pairs
        screened stay in ``settings``. This is what a publication stores (all
        ordered pairs of a period run to 10⁵-10⁶ rows).

        Returns
        -------
        Screening
        """
        p = self.pairs
        tested = p[np.isfinite(p["W"].to_numpy(dtype=float))]
        best = tested.groupby("copier")["W"].idxmax() if len(tested) else pd.Series(dtype=int)
        keep = p["flagged"].to_numpy().copy()
        keep[p.index.get_indexer(best.to_numpy())] = True
        settings = dict(self.settings)
        settings["pairs_kept"] = "flagged and each person's strongest"
        pairs = p[keep].reset_index(drop=True)
        return Screening(pairs=pairs, candidates=self.candidates.copy(), settings=settings)

    def relabel(self, label: Any) -> Screening:
        """The same screening with every person label mapped by ``label`` (e.g. to pseudonyms).

        Parameters
        ----------
        label : callable or mapping
            Raw label -> new label, applied to the ``candidates`` index and the
            ``copier``, ``source`` and ``partner`` columns.

        Returns
        -------
        Screening
        """
        f = label if callable(label) else label.__getitem__
        pairs = self.pairs.copy()
        pairs["copier"] = [f(v) for v in pairs["copier"]]
        pairs["source"] = [f(v) for v in pairs["source"]]
        people = self.candidates.copy()
        people.index = pd.Index([f(v) for v in people.index], name=people.index.name)
        people["partner"] = [None if pd.isna(v) else f(v) for v in people["partner"]]
        return Screening(pairs=pairs, candidates=people, settings=dict(self.settings))

    def summary(self) -> Summary:
        """Counts, settings and the persons marked for review."""
        c = self.candidates
        facts = {
            "Persons": len(c),
            "Pairs screened": int(self.settings.get("n_pairs", len(self.pairs))),
            "Pairs flagged": int(self.pairs["flagged"].sum()),
            "Control": str(self.settings.get("control")),
            "alpha (pairs)": float(self.settings.get("alpha", np.nan)),
            "alpha (person fit)": float(self.settings.get("alpha_person", np.nan)),
            "Flagged: copying": int(c["flag_copying"].sum()),
            "Flagged: misfit": int(c["flag_aberrant"].sum()),
            "For review": int(c["review"].sum()),
            "Person fit": str(self.settings.get("person_fit")),
        }
        cols = [
            "W_max",
            "partner",
            "p_adjusted",
            "identical_incorrect",
            "person_fit_value",
            "person_fit_critical",
            "G_star",
            "flag_copying",
            "flag_aberrant",
        ]
        notes = [
            "omega: Wollack (1997), CopyDetect 1.3 conventions; p-values adjusted across "
            "all pairs screened.",
            "person fit: critical values simulated at each person's theta (parametric "
            "bootstrap); one test per person.",
            "a flag is evidence for review, never a decision.",
        ]
        if self.settings.get("n_pairs_skipped"):
            notes.append(
                f"{self.settings['n_pairs_skipped']} pair(s) on forms sharing fewer than "
                f"{self.settings.get('min_shared_items')} items were not screened."
            )
        return Summary(
            "Integrity screening",
            facts=facts,
            tables=(("Persons for review", self.review[cols].head(50)),),
            notes=tuple(notes),
        )

    def to_dict(self) -> dict:
        """JSON-ready dictionary of the frames and settings (:mod:`pvcal.serialize`)."""
        return to_jsonable(
            {
                "pvcal_type": "Screening",
                "settings": dict(self.settings),
                "pairs": self.pairs,
                "candidates": self.candidates,
            }
        )

    def to_json(self, *, indent: int | None = None) -> str:
        """Canonical JSON text (:func:`pvcal.serialize.dumps`)."""
        return dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str) -> Screening:
        """Rebuild a screening stored by :meth:`to_json`.

        Raises
        ------
        SchemaError
            Not a Screening's JSON.
        """
        d = loads_record(text, "Screening")
        check_record(d, "Screening", ("pvcal_type", "settings", "pairs", "candidates"))
        return cls(
            pairs=frame_from_json(d["pairs"]),
            candidates=frame_from_json(d["candidates"]),
            settings=dict(d["settings"]),
        )

    __eq__ = json_equal
    __hash__ = None  # type: ignore[assignment]
