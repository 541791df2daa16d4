"""Scoring: ability estimates, sum-score conversion tables and information.

Functions take an item-parameter frame in the IRT parameterisation (as
``Calibration.items`` reports it) and wide responses (persons x items, integer
scores, NaN = missing). Missing responses are ignored in the likelihood.

=================  ===========================================================
function           R equivalent
=================  ===========================================================
:func:`score`      ``mirt::fscores(mod, method = "EAP" | "MAP" | "ML" | "WLE")``
sum-score table    ``mirt::fscores(mod, method = "EAPsum", full.scores = FALSE)``
information        ``mirt::testinfo(mod, Theta)``
=================  ===========================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import norm

from .._validation import (
    DataError,
    ModelError,
    PvcalError,
    check_1d,
    check_choice,
    check_int_scores,
    check_positive,
)
from .models import block_params_from_frame, category_probs
from .models import test_information as _test_information

__all__ = ["lord_wingersky", "score", "sum_score_table", "test_information_curve", "METHODS"]

#: Person-scoring methods of :func:`score` (and :meth:`pvcal.irt.Calibration.score`).
METHODS = ("EAP", "MAP", "ML", "WLE")
#: Standard-error conventions for WLE (argument ``wle_se`` of :func:`score`).
WLE_SE = ("information", "hessian")
_EPS = 1e-12
#: Forward-difference step (~sqrt(eps)) for d2P/dθ2 (WLE, lz*); shared with pvcal.irt.fit.
FD_STEP = 1.5e-8


# ---------------------------------------------------------------------------
# Helpers shared within pvcal.irt (public in the package, not re-exported):
# ItemSet / item_set, response_matrix, quadrature_grid, check_bounds,
# lw_from_probs and FD_STEP are also used by pvcal.irt.fit.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemSet:
    """Items split into model blocks, with the one-hot layout of their categories."""

    ids: pd.Index
    blocks: list  # (ItemModel, positions, params)
    n_cat: np.ndarray  # (J,) categories per item
    offset: np.ndarray  # (J,) first column of each item in the one-hot layout

    @property
    def max_score(self) -> pd.Series:
        return pd.Series(self.n_cat - 1, index=self.ids)

    @property
    def n_columns(self) -> int:
        return int(self.n_cat.sum())


def item_set(items: pd.DataFrame, D: float = 1.0) -> ItemSet:
    """Check an item-parameter frame and split it into model blocks.

    Raises
    ------
    ModelError
        Not a DataFrame, empty, duplicated item ids, bad ``D`` or parameters.
    """
    if not isinstance(items, pd.DataFrame):
        raise ModelError(f"items must be a pandas DataFrame, got {type(items).__name__}")
    if len(items) == 0:
        raise ModelError("items is empty; expected one row per item")
    if not items.index.is_unique:
        dup = items.index[items.index.duplicated()].unique().tolist()
        raise ModelError(f"items has duplicated item id(s) {dup[:5]}")
    check_positive("D", D, error=ModelError)
    blocks = block_params_from_frame(items, D)
    n_cat = np.zeros(len(items), dtype=int)
    for model, pos, params in blocks:
        n_cat[pos] = 2 if model.name in ("2PL", "3PL") else params.shape[1]
    offset = np.concatenate([[0], np.cumsum(n_cat)[:-1]])
    return ItemSet(items.index, blocks, n_cat, offset)


def response_matrix(
    itemset: ItemSet, responses: pd.DataFrame, missing_items: str = "raise"
) -> np.ndarray:
    """Check responses against the items and return a float array (n, J) in item order.

    ``missing_items="nan"`` treats items without a column as not presented.
    """
    missing_items = check_choice("missing_items", missing_items, ("raise", "nan"))
    if not isinstance(responses, pd.DataFrame):
        raise DataError(
            f"responses must be a wide pandas DataFrame (persons x items), "
            f"got {type(responses).__name__}"
        )
    if responses.shape[0] == 0 or responses.shape[1] == 0:
        raise DataError(f"empty response data (shape {responses.shape})")
    cols = responses.columns
    if not cols.is_unique:
        dup = cols[cols.duplicated()].unique().tolist()
        raise DataError(f"responses has duplicated item column(s) {dup[:5]}")
    unknown = [c for c in cols if c not in itemset.ids]
    if unknown:
        raise DataError(
            f"responses has unknown item(s) {unknown[:5]} that are not in the item parameter frame"
        )
    missing = [i for i in itemset.ids if i not in cols]
    if missing and missing_items == "raise":
        raise DataError(
            f"responses has no column for item(s) {missing[:5]} of the item parameter frame "
            "(pass missing_items='nan' to treat them as not presented)"
        )
    wide = responses.reindex(columns=list(itemset.ids)) if missing else responses[list(itemset.ids)]
    try:
        check_int_scores(wide, itemset.max_score)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, PvcalError):
            raise
        raise DataError(f"responses must be numeric scores or NaN: {exc}") from None
    return wide.to_numpy(dtype=float, na_value=np.nan)


def _one_hot(itemset: ItemSet, X: np.ndarray) -> sparse.csr_matrix:
    """Sparse indicator matrix (n, sum of categories); missing responses are all-zero rows."""
    n, J = X.shape
    obs = ~np.isnan(X)
    rows, items = np.nonzero(obs)
    cols = itemset.offset[items] + X[rows, items].astype(int)
    data = np.ones(len(rows))
    return sparse.csr_matrix((data, (rows, cols)), shape=(n, itemset.n_columns))


def _log_prob_matrix(itemset: ItemSet, nodes: np.ndarray) -> np.ndarray:
    """Log category probabilities stacked as (sum of categories, Q)."""
    out = np.empty((itemset.n_columns, len(nodes)))
    for model, pos, params in itemset.blocks:
        lp = model.log_probs(params, nodes)  # (Jb, Q, C)
        C = lp.shape[2]
        for i, j in enumerate(pos):
            o = itemset.offset[j]
            out[o : o + C] = lp[i].T
    return out


def quadrature_grid(nodes, weights, mean, sd, n_quad, bounds) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature nodes and normalised weights of the latent distribution.

    The given ``nodes``/``weights`` (checked, weights normalised to sum 1), or
    ``n_quad`` equally spaced points on ``bounds`` weighted by the N(mean, sd²)
    density (mirt's default rectangular grid).

    Raises
    ------
    PvcalError
        One of nodes/weights without the other, mismatched lengths, negative
        weights, non-finite mean, sd <= 0, bad bounds or ``n_quad < 3``.
    """
    if (nodes is None) != (weights is None):
        raise PvcalError("give both nodes and weights, or neither")
    if nodes is not None:
        x = check_1d("nodes", nodes, min_size=2)
        w = check_1d("weights", weights, min_size=2)
        if len(x) != len(w):
            raise PvcalError(f"nodes has {len(x)} values but weights has {len(w)}")
        if np.any(w < 0) or w.sum() <= 0:
            raise PvcalError("weights must be non-negative with a positive sum")
        return x, w / w.sum()
    mean = float(mean)
    if not np.isfinite(mean):
        raise PvcalError(f"mean must be finite, got {mean!r}")
    sd = check_positive("sd", sd)
    lo, hi = check_bounds(bounds)
    if int(n_quad) != n_quad or n_quad < 3:
        raise PvcalError(f"n_quad must be an integer >= 3, got {n_quad!r}")
    x = np.linspace(lo, hi, int(n_quad))
    w = norm.pdf(x, mean, sd)
    if w.sum() <= 0:
        raise PvcalError(f"the N({mean}, {sd}^2) prior has no mass on the grid {bounds}")
    return x, w / w.sum()


def check_bounds(bounds) -> tuple[float, float]:
    """``bounds`` as a finite pair ``(low, high)`` with ``low < high`` (else PvcalError)."""
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise PvcalError(f"bounds must be a pair (low, high), got {bounds!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise PvcalError(f"bounds must be finite with low < high, got {bounds!r}")
    return lo, hi


def lw_from_probs(probs: list[np.ndarray]) -> np.ndarray:
    """Lord-Wingersky recursion on a list of (Q, C_j) probability arrays.

    Returns the (Q, S + 1) array of P(summed score = s | θ_q); with no items,
    a (Q, 1) array of ones. Used by :func:`lord_wingersky` and by S-X².
    """
    n_q = probs[0].shape[0] if probs else 1
    dist = np.ones((n_q, 1))
    for p in probs:
        k = p.shape[1]
        new = np.zeros((n_q, dist.shape[1] + k - 1))
        for cat in range(k):
            new[:, cat : cat + dist.shape[1]] += dist * p[:, cat : cat + 1]
        dist = new
    return dist


def _person_terms(itemset: ItemSet, X: np.ndarray, theta: np.ndarray, *, second: bool = False):
    """Per-person derivatives of the log-likelihood at per-person ``theta``.

    Returns ``(score, info, J)``: ``d logL / dθ``, the test information over each
    person's observed items, and (if ``second``) Warm's ``J = Σ Σ_k P' P'' / P``
    with ``P''`` a forward difference of the analytic ``P'`` (step 1.5e-8).
    """
    n = len(theta)
    grad = np.zeros(n)
    info = np.zeros(n)
    jw = np.zeros(n) if second else None
    for model, pos, params in itemset.blocks:
        x = X[:, pos].T  # (Jb, n)
        obs = ~np.isnan(x)
        xi = np.where(obs, x, 0).astype(int)[..., None]
        p = np.clip(model.probs(params, theta), _EPS, None)  # (Jb, n, C)
        dp = model.dprobs(params, theta)
        ratio = dp / p
        grad += (np.take_along_axis(ratio, xi, axis=2)[..., 0] * obs).sum(axis=0)
        info += ((dp * ratio).sum(axis=2) * obs).sum(axis=0)
        if second:
            d2p = (model.dprobs(params, theta + FD_STEP) - dp) / FD_STEP
            jw += ((ratio * d2p).sum(axis=2) * obs).sum(axis=0)
    return grad, info, jw


def _solve(
    itemset: ItemSet,
    X: np.ndarray,
    method: str,
    start: np.ndarray,
    lo: float,
    hi: float,
    mean: float,
    sd: float,
    tol: float = 1e-7,
    max_iter: int = 100,
):
    """Vectorised safeguarded Fisher scoring for ML/MAP/WLE across persons.

    Each person keeps a bracket ``[lo_i, hi_i]`` on which the estimating function
    changes sign; a Fisher-scoring step that leaves the bracket (or is not finite)
    is replaced by bisection, so every person converges.
    """
    second = method == "WLE"
    secant = method == "WLE"  # ML/MAP of the 2PL/GPCM: Fisher scoring is Newton already

    def g_and_h(theta, Xa):
        grad, info, jw = _person_terms(itemset, Xa, theta, second=second)
        if method == "MAP":
            grad = grad - (theta - mean) / sd**2
            info = info + 1.0 / sd**2
        elif method == "WLE":
            with np.errstate(divide="ignore", invalid="ignore"):
                grad = grad + np.where(info > 0, jw / (2 * info), 0.0)
        return grad, info

    n = X.shape[0]
    blo = np.full(n, lo)
    bhi = np.full(n, hi)
    theta = np.clip(start, lo + 1e-3, hi - 1e-3).astype(float)
    info_last = np.zeros(n)
    g_prev = np.full(n, np.nan)
    t_prev = np.full(n, np.nan)
    active = np.arange(n)
    for _ in range(max_iter):
        if active.size == 0:
            break
        t = theta[active]
        g, h = g_and_h(t, X[active])
        info_last[active] = h
        pos = g > 0
        blo[active[pos]] = t[pos]
        bhi[active[~pos]] = t[~pos]
        with np.errstate(divide="ignore", invalid="ignore"):
            # secant slope once two iterates exist (superlinear where Fisher scoring
            # is only an approximate Newton step: WLE, 3PL, GRM), else the information
            slope = (g_prev[active] - g) / (t - t_prev[active])
            slope = np.where(np.isfinite(slope) & (slope > 0) & secant, slope, h)
            new = t + g / slope
        g_prev[active] = g
        t_prev[active] = t
        new[g == 0] = t[g == 0]
        a_lo, a_hi = blo[active], bhi[active]
        converged = np.isfinite(new) & (np.abs(new - t) < tol)
        bad = ~converged & (~np.isfinite(new) | (new <= a_lo) | (new >= a_hi))
        new[bad] = 0.5 * (a_lo[bad] + a_hi[bad])
        done = converged | (a_hi - a_lo < tol)
        theta[active] = new
        active = active[~done]
    # no root inside the bounds: the bracket has collapsed onto a bound
    at_bound = (theta <= lo + 10 * tol) | (theta >= hi - 10 * tol)
    theta[theta <= lo + 10 * tol] = lo
    theta[theta >= hi - 10 * tol] = hi
    with np.errstate(divide="ignore"):
        se = 1.0 / np.sqrt(info_last)
    se[at_bound] = np.nan
    return theta, se, active.size


def _wle_hessian_se(itemset: ItemSet, X: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """``1/sqrt(-h''(θ))`` with ``h = log L + ½ log I`` (the weighted log-likelihood).

    ``(log L)'' = Σ_j [P''_jx/P_jx - (P'_jx/P_jx)²]`` over each person's observed
    items, with ``P''`` a central difference of the analytic ``P'`` (step
    1e-5); ``(log I)''`` a central second difference of the analytic test
    information over the observed items (step 1e-4). NaN where ``-h'' <= 0``
    or ``theta`` is not finite.
    """
    n = len(theta)
    ok = np.isfinite(theta)
    t = np.where(ok, theta, 0.0)
    d2loglik = np.zeros(n)
    e1 = 1e-5
    for model, pos, params in itemset.blocks:
        x = X[:, pos].T  # (Jb, n)
        obs = ~np.isnan(x)
        xi = np.where(obs, x, 0).astype(int)[..., None]
        p = np.clip(model.probs(params, t), _EPS, None)
        dp = model.dprobs(params, t)
        d2p = (model.dprobs(params, t + e1) - model.dprobs(params, t - e1)) / (2 * e1)
        pick = [np.take_along_axis(a, xi, axis=2)[..., 0] for a in (p, dp, d2p)]
        d2loglik += ((pick[2] / pick[0] - (pick[1] / pick[0]) ** 2) * obs).sum(axis=0)
    e2 = 1e-4
    with np.errstate(divide="ignore", invalid="ignore"):
        log_info = [np.log(_person_terms(itemset, X, t + d)[1]) for d in (-e2, 0.0, e2)]
        d2logi = (log_info[0] - 2 * log_info[1] + log_info[2]) / e2**2
        neg_h = -(d2loglik + 0.5 * d2logi)
        se = np.where(ok & (neg_h > 0), 1.0 / np.sqrt(neg_h), np.nan)
    return se


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------


def lord_wingersky(items: pd.DataFrame, theta, D: float = 1.0) -> np.ndarray:
    """Distribution of the summed score given ability (Lord & Wingersky recursion).

    Parameters
    ----------
    items : DataFrame
        Item parameters (IRT parameterisation), mixed models allowed.
    theta : array_like
        Ability values, shape ``(Q,)``.
    D : float, default 1.0
        Scaling constant.

    Returns
    -------
    ndarray
        Shape ``(Q, S + 1)`` where ``S`` is the maximum summed score; row ``q``
        is ``P(X = s | theta_q)`` for ``s = 0..S``.

    References
    ----------
    Lord, F. M., & Wingersky, M. S. (1984). Comparison of IRT true-score and
    equipercentile observed-score "equatings". *Applied Psychological
    Measurement*, 8(4), 453-461. Thissen et al. (1995) for polytomous items.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1.0, 1.0], "b": [0.0, 0.0]}, index=["Q1", "Q2"])
    >>> lord_wingersky(items, [0.0]).round(2).tolist()
    [[0.25, 0.5, 0.25]]
    """
    return lw_from_probs(category_probs(items, theta, D))


def score(
    items: pd.DataFrame,
    responses: pd.DataFrame,
    method: str = "EAP",
    *,
    mean: float = 0.0,
    sd: float = 1.0,
    n_quad: int = 61,
    bounds: tuple[float, float] = (-6, 6),
    D: float = 1.0,
    nodes=None,
    weights=None,
    missing_items: str = "raise",
    wle_se: str = "information",
) -> pd.DataFrame:
    """Ability estimates and standard errors for every person.

    # R: mirt::fscores(mod, method = "EAP")   (also "MAP", "ML", "WLE")

    Parameters
    ----------
    items : DataFrame
        Item parameters in the IRT parameterisation, indexed by item id
        (columns ``a``, ``b`` [, ``c``] or ``a``, ``b1..bK`` and optionally ``model``).
    responses : DataFrame
        Persons x items, integer scores ``0..max_score`` or NaN (missing, ignored
        in the likelihood). Columns may come in any order but must be exactly the
        items of ``items`` (see ``missing_items``).
    method : {"EAP", "MAP", "ML", "WLE"}
        ``EAP``: posterior mean and posterior SD on the quadrature grid.
        ``MAP``: posterior mode; SE ``1/sqrt(I(θ) + 1/sd²)`` (expected information).
        ``ML``: maximum likelihood; SE ``1/sqrt(I(θ))``.
        ``WLE``: Warm's weighted likelihood, the root of
        ``d logL/dθ + J(θ) / (2 I(θ)) = 0``; SE as ``wle_se`` says.
    mean, sd : float
        Normal prior (EAP, MAP); ignored by ML and WLE.
    n_quad : int, default 61
        Number of equally spaced EAP quadrature points on ``bounds`` (mirt's default).
    bounds : (float, float), default (-6, 6)
        EAP grid, and the search interval for MAP, ML and WLE (mirt's ``theta_lim``).
    D : float, default 1.0
        Scaling constant.
    nodes, weights : array_like, optional
        A latent distribution as quadrature (e.g. a calibration's estimated
        one) to use for EAP instead of ``N(mean, sd²)``; MAP keeps the normal
        prior ``N(mean, sd²)``.
    missing_items : {"raise", "nan"}
        What to do when ``items`` has items that ``responses`` has no column for
        (e.g. scoring one form with the whole bank): raise a DataError (default)
        or treat them as not presented.
    wle_se : {"information", "hessian"}, default "information"
        Standard error reported with WLE (see Notes):
        ``"information"``: ``1/sqrt(I(θ̂))``, the test information over the
        person's observed items (Warm 1989: the WLE's asymptotic variance
        equals the MLE's; mirt's ``fscores(method = "WLE", expected.info =
        TRUE)``); ``"hessian"``: ``1/sqrt(-h''(θ̂))`` with ``h(θ) = log L(θ) +
        ½ log I(θ)`` the weighted log-likelihood, the default of R mirt's
        ``fscores(method = "WLE")``. Ignored by the other methods.

    Returns
    -------
    DataFrame
        Indexed like ``responses``, columns ``theta`` and ``se``.

    Raises
    ------
    PvcalError
        Unknown ``method`` or bad prior/grid arguments.
    DataError
        Empty responses, unknown or missing item columns, scores that are not
        integers in ``0..max_score`` of their item.
    ModelError
        Malformed item parameters.

    Notes
    -----
    EAP is computed for all persons at once: the log-likelihood on the grid is
    the product of the sparse one-hot response matrix (n x Σ categories) with
    the log category probabilities (Σ categories x Q). MAP, ML and WLE use a
    vectorised Fisher-scoring iteration across persons, each person keeping a
    sign-change bracket inside ``bounds`` with a bisection fallback, started
    at the EAP. Warm's ``J(θ) = Σ_j Σ_k P'_jk P''_jk / P_jk`` uses a forward
    difference of the analytic ``dP/dθ`` for ``P''``; WLE iterations use a
    secant slope once two iterates exist.

    Edge cases (decided here, differing from mirt where noted):

    * When the estimating equation has no root inside ``bounds`` -- for ML the
      all-minimum and all-maximum patterns, whose estimate is ``∓inf`` (mirt
      returns ``-Inf``/``Inf``) -- ``theta`` is set to the bound and ``se`` to
      NaN, so downstream arithmetic stays finite and the case stays visible.
    * Persons with no observed response get the prior (``mean``, ``sd``) under
      EAP and MAP, and NaN ``theta`` and ``se`` under ML and WLE (no likelihood).

    **WLE standard errors.** Warm (1989) shows that the WLE has the same
    asymptotic variance as the MLE, ``1/I(θ)``, so the default is
    ``se = 1/sqrt(I(θ̂))`` with ``I(θ) = Σ_j Σ_k P'_jk² / P_jk`` over the
    observed items. R mirt (``fscores(mod, method = "WLE")``) instead
    maximises the weighted likelihood ``L(θ) · I(θ)^½`` with ``nlm(...,
    hessian = TRUE)`` and reports the inverse square root of that objective's
    numerical Hessian, i.e.

        se = 1 / sqrt(-h''(θ̂)),   h(θ) = log L(θ) + ½ log I(θ),
        h'' = Σ_j [P''_jx/P_jx - (P'_jx/P_jx)²] + ½ [I''/I - (I'/I)²].

    ``wle_se="hessian"`` computes this (``P''`` by a central difference of
    the analytic ``P'``; ``(log I)''`` by a central second difference of the
    analytic information) and returns NaN where ``-h'' <= 0``. The two agree
    to first order; they differ most for short tests and extreme patterns,
    where the observed curvature of ``log L`` departs from ``I(θ)`` and the
    penalty ``½ log I`` adds curvature of its own. For the 2PL, GPCM and
    Rasch family Warm's ``J(θ) = I'(θ)``, so the WLE is exactly the maximiser
    of ``h`` and ``h''`` is the curvature at the estimate; for the 3PL and
    GRM, Warm's estimating equation and mirt's objective differ slightly and
    ``h''`` is evaluated at pvcal's (Warm's) root.

    References
    ----------
    Bock, R. D., & Mislevy, R. J. (1982). Adaptive EAP estimation of ability in
    a microcomputer environment. *Applied Psychological Measurement*, 6, 431-444.
    Warm, T. A. (1989). Weighted likelihood estimation of ability in item
    response theory. *Psychometrika*, 54, 427-450.
    Chalmers, R. P. (2012). mirt: A multidimensional item response theory
    package for the R environment. *Journal of Statistical Software*, 48(6);
    ``fscores`` documentation (method ``"WLE"``) and source
    ``R/fscores.internal.R`` (``WLE.mirt``: ``-(log L + log sqrt(I))``,
    minimised by ``nlm`` with ``hessian = TRUE``).
    Embretson, S. E., & Reise, S. P. (2000). *Item response theory for
    psychologists*. Erlbaum.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1.0, 1.5], "b": [-0.5, 0.5]}, index=["Q1", "Q2"])
    >>> resp = pd.DataFrame({"Q1": [1, 0], "Q2": [1, 0]}, index=["p1", "p2"])
    >>> score(items, resp, "EAP").round(3)["theta"].tolist()
    [0.839, -0.733]
    """
    method = check_choice("method", method, METHODS)
    wle_se = check_choice("wle_se", wle_se, WLE_SE)
    lo, hi = check_bounds(bounds)
    sd = check_positive("sd", sd)
    mean = float(mean)
    if not np.isfinite(mean):
        raise PvcalError(f"mean must be finite, got {mean!r}")
    itemset = item_set(items, D)
    X = response_matrix(itemset, responses, missing_items)
    grid, w = quadrature_grid(nodes, weights, mean, sd, n_quad, (lo, hi))
    onehot = _one_hot(itemset, X)
    loglik = onehot @ _log_prob_matrix(itemset, grid)  # (n, Q)
    logpost = loglik + np.log(np.clip(w, 1e-300, None))[None, :]
    logpost -= logpost.max(axis=1, keepdims=True)
    post = np.exp(logpost)
    post /= post.sum(axis=1, keepdims=True)
    eap = post @ grid
    eap_sd = np.sqrt(np.clip(post @ grid**2 - eap**2, 0.0, None))
    if method == "EAP":
        theta, se = eap, eap_sd
    else:
        start = eap
        if method in ("ML", "WLE"):
            # undo the prior's shrinkage: with I = 1/se² - 1/sd², EAP ≈ (I θ + mean/sd²)/(I + 1/sd²)
            prec = 1.0 / np.clip(eap_sd, 1e-6, None) ** 2
            lik = np.clip(prec - 1.0 / sd**2, 0.25, None)
            start = (eap * prec - mean / sd**2) / lik
        theta, se, _ = _solve(itemset, X, method, start, lo, hi, mean, sd)
        if method == "WLE" and wle_se == "hessian":
            se = np.where(np.isnan(se), np.nan, _wle_hessian_se(itemset, X, theta))
        if method in ("ML", "WLE"):
            empty = np.isnan(X).all(axis=1)
            theta[empty] = np.nan
            se[empty] = np.nan
    return pd.DataFrame({"theta": theta, "se": se}, index=responses.index)


def sum_score_table(
    items: pd.DataFrame,
    *,
    mean: float = 0.0,
    sd: float = 1.0,
    n_quad: int = 61,
    nodes=None,
    weights=None,
    bounds: tuple[float, float] = (-6, 6),
    D: float = 1.0,
) -> pd.DataFrame:
    """EAP ability for each summed score (Thissen et al. 1995 "EAP[sum]").

    # R: mirt::fscores(mod, method = "EAPsum", full.scores = FALSE)

    Parameters
    ----------
    items : DataFrame
        Item parameters (IRT parameterisation), mixed models allowed.
    mean, sd, n_quad, bounds : optional
        Normal latent distribution on an equally spaced grid (as :func:`score`).
    nodes, weights : array_like, optional
        Quadrature of the latent distribution, instead of ``mean``/``sd``.
    D : float, default 1.0
        Scaling constant.

    Returns
    -------
    DataFrame
        Indexed by ``sum_score`` = 0..max, columns ``theta`` (posterior mean
        given the summed score), ``se`` (posterior SD) and ``p`` (model-implied
        proportion of persons with that score; multiply by N for mirt's
        ``expected`` column).

    Raises
    ------
    ModelError
        Malformed item parameters.
    PvcalError
        Bad latent-distribution arguments (``sd <= 0``, ``nodes`` without
        ``weights``, negative weights).

    Notes
    -----
    ``P(s | θ)`` comes from :func:`lord_wingersky`; ``p(s) = Σ_q w_q P(s | θ_q)``
    and ``theta(s) = Σ_q w_q θ_q P(s | θ_q) / p(s)``. For a Rasch test the summed
    score is sufficient, so these equal the pattern EAPs of :func:`score`.

    References
    ----------
    Thissen, D., Pommerich, M., Billeaud, K., & Williams, V. S. L. (1995). Item
    response theory for scores on tests including polytomous items with ordered
    responses. *Applied Psychological Measurement*, 19, 39-49.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1.0, 1.0], "b": [0.0, 0.0]}, index=["Q1", "Q2"])
    >>> sum_score_table(items)["p"].round(3).tolist()
    [0.293, 0.413, 0.293]
    """
    itemset = item_set(items, D)  # validates the frame
    grid, w = quadrature_grid(nodes, weights, mean, sd, n_quad, bounds)
    lw = lw_from_probs(category_probs(items, grid, D))  # (Q, S+1)
    joint = lw * w[:, None]
    p = joint.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = (joint * grid[:, None]).sum(axis=0) / p
        m2 = (joint * grid[:, None] ** 2).sum(axis=0) / p
    se = np.sqrt(np.clip(m2 - theta**2, 0.0, None))
    index = pd.RangeIndex(int(itemset.n_cat.sum() - len(itemset.n_cat)) + 1, name="sum_score")
    return pd.DataFrame({"theta": theta, "se": se, "p": p}, index=index)


def test_information_curve(items: pd.DataFrame, theta, D: float = 1.0) -> pd.DataFrame:
    """Test information and conditional standard error of measurement.

    # R: mirt::testinfo(mod, Theta); CSEM = 1 / sqrt(testinfo)

    Parameters
    ----------
    items : DataFrame
        Item parameters (IRT parameterisation).
    theta : array_like
        Ability values, shape ``(Q,)``.
    D : float, default 1.0
        Scaling constant.

    Returns
    -------
    DataFrame
        Columns ``theta``, ``information`` and ``csem`` (``1/sqrt(information)``),
        one row per ``theta``.

    Raises
    ------
    ModelError
        Malformed item parameters.
    PvcalError
        ``theta`` not a finite one-dimensional array.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1.0], "b": [0.0]}, index=["Q1"])
    >>> test_information_curve(items, [0.0])["information"].tolist()
    [0.25]
    """
    item_set(items, D)
    t = check_1d("theta", np.atleast_1d(np.asarray(theta, dtype=float)))
    info = _test_information(items, t, D)
    with np.errstate(divide="ignore"):
        csem = 1.0 / np.sqrt(info)
    return pd.DataFrame({"theta": t, "information": info, "csem": csem})


test_information_curve.__test__ = False  # a library function, not a pytest test
