"""Model fit: item fit (S-X², infit/outfit), person fit (lz, lz*) and information criteria.

Functions take an item-parameter frame in the IRT parameterisation (as
``Calibration.items`` reports it) and wide responses (persons x items, integer
scores, NaN = missing).

===========================  =================================================
function                     R equivalent
===========================  =================================================
:func:`s_x2`                 ``mirt::itemfit(mod, "S_X2")``
:func:`infit_outfit`         ``mirt::itemfit(mod, "infit")``
:func:`person_fit`           ``mirt::personfit(mod)`` (lz = ``Zh``);
                             ``PerFit::lzstar`` (lz*)
:func:`information_criteria`  ``AIC``/``BIC``/``SABIC``/``HQ`` of ``mirt::anova``
===========================  =================================================
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.stats import chi2

from .._validation import (
    DataError,
    ModelError,
    PvcalError,
    check_choice,
    check_positive,
)
from .models import canonical_model, category_probs
from .scoring import (
    FD_STEP,
    ItemSet,
    check_bounds,
    item_set,
    lw_from_probs,
    quadrature_grid,
    response_matrix,
    score,
)

__all__ = ["s_x2", "infit_outfit", "person_fit", "information_criteria", "default_n_params"]

_EPS = 1e-12


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _declared_models(items: pd.DataFrame, itemset: ItemSet) -> pd.Series:
    """Model name per item as declared (``model`` column) or implied by the columns."""
    if "model" in items.columns:
        return items["model"].map(canonical_model)
    out = pd.Series("2PL", index=items.index, dtype=object)
    for model, pos, _ in itemset.blocks:
        out.iloc[pos] = model.name
    return out


def default_n_params(items: pd.DataFrame) -> pd.Series:
    """Number of estimated parameters charged to each item in S-X² degrees of freedom.

    2PL 2, 3PL 3, 1PL 2 (its common slope counts at every item, as mirt counts
    an equality-constrained slope), Rasch 1, GRM and GPCM ``n_cat`` (slope and
    ``n_cat - 1`` thresholds), PCM ``n_cat - 1``.

    Parameters
    ----------
    items : DataFrame
        Item parameters (IRT parameterisation).

    Returns
    -------
    Series
        Integer count per item id.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1.0, 1.2], "b": [0.0, 0.5]}, index=["Q1", "Q2"])
    >>> default_n_params(items).tolist()
    [2, 2]
    """
    itemset = item_set(items)
    models = _declared_models(items, itemset)
    out = []
    for m, k in zip(models, itemset.n_cat, strict=True):
        out.append(
            {"Rasch": 1, "1PL": 2, "2PL": 2, "3PL": 3, "PCM": k - 1}.get(m, int(k))  # GRM/GPCM
        )
    return pd.Series(out, index=items.index, name="n_params", dtype=int)


def _n_params(items: pd.DataFrame, n_params) -> np.ndarray:
    base = default_n_params(items)
    if n_params is None:
        return base.to_numpy()
    if np.isscalar(n_params):
        v = int(n_params)
        if v != n_params or v < 0:
            raise PvcalError(f"n_params must be a non-negative integer, got {n_params!r}")
        return np.full(len(items), v)
    if isinstance(n_params, Mapping):
        n_params = pd.Series(n_params)
    if isinstance(n_params, pd.Series):
        unknown = [i for i in n_params.index if i not in items.index]
        if unknown:
            raise PvcalError(f"n_params names unknown item(s) {unknown[:5]}")
        merged = base.copy()
        merged.loc[n_params.index] = n_params.astype(int).to_numpy()
        return merged.to_numpy()
    arr = np.asarray(n_params)
    if arr.shape != (len(items),):
        raise PvcalError(
            f"n_params must be an int, a mapping item -> int, or one value per item "
            f"({len(items)}), got shape {arr.shape}"
        )
    return arr.astype(int)


def _collapse(O: np.ndarray, E: np.ndarray, min_expected: float):
    """Merge adjacent score groups until every non-structural expected cell >= min_expected.

    The lowest offending group is merged into its neighbour (the first into the
    second, the last into the one before, otherwise into the neighbour with fewer
    observed persons, ties to the lower score), as mirt's ``collapseCells`` does
    in its final step. Cells with ``E == 0`` are structurally impossible and ignored.
    """
    O = O.copy()
    E = E.copy()
    while E.shape[0] > 1:
        low = ((E > 0) & (E < min_expected)).any(axis=1)
        if not low.any():
            break
        g = int(np.flatnonzero(low)[0])
        last = E.shape[0] - 1
        if g == 0:
            t = 1
        elif g == last:
            t = last - 1
        else:
            t = g - 1 if O[g - 1].sum() <= O[g + 1].sum() else g + 1
        O[t] += O[g]
        E[t] += E[g]
        O = np.delete(O, g, axis=0)
        E = np.delete(E, g, axis=0)
    return O, E


def _theta_vector(theta, responses: pd.DataFrame) -> np.ndarray:
    """Per-person theta aligned to ``responses`` (Series/DataFrame by index, arrays by position)."""
    if isinstance(theta, pd.DataFrame):
        if "theta" not in theta.columns:
            raise DataError(f"theta frame needs a 'theta' column, found {list(theta.columns)}")
        theta = theta["theta"]
    if isinstance(theta, pd.Series):
        missing = responses.index.difference(theta.index)
        if len(missing):
            raise DataError(f"theta has no value for person(s) {missing[:5].tolist()}")
        return theta.reindex(responses.index).to_numpy(dtype=float)
    arr = np.asarray(theta, dtype=float)
    if arr.ndim != 1 or len(arr) != len(responses):
        raise DataError(
            f"theta must have one value per person ({len(responses)}), got shape {arr.shape}"
        )
    return arr


def _check_theta(t: np.ndarray, X: np.ndarray, index: pd.Index) -> None:
    answered = ~np.isnan(X).all(axis=1)
    bad = np.flatnonzero(answered & ~np.isfinite(t))
    if bad.size:
        raise DataError(
            f"theta is not finite for person(s) {index[bad[:5]].tolist()} who have responses"
        )


# ---------------------------------------------------------------------------
# S-X2
# ---------------------------------------------------------------------------


def s_x2(
    items: pd.DataFrame,
    responses: pd.DataFrame,
    *,
    nodes=None,
    weights=None,
    min_expected: float = 1.0,
    n_params=None,
    mean: float = 0.0,
    sd: float = 1.0,
    n_quad: int = 61,
    bounds: tuple[float, float] = (-6, 6),
    D: float = 1.0,
) -> pd.DataFrame:
    """Orlando & Thissen's summed-score item fit statistic S-X² (dichotomous and polytomous).

    # R: mirt::itemfit(mod, "S_X2", na.rm = TRUE)

    Parameters
    ----------
    items : DataFrame
        Item parameters (IRT parameterisation), mixed models allowed.
    responses : DataFrame
        Persons x items. Only persons with a response to **every** item are used
        (the summed score needs complete data; mirt needs ``na.rm = TRUE`` too).
    nodes, weights : array_like, optional
        Quadrature of the latent distribution; default ``N(mean, sd²)`` on
        ``n_quad`` equally spaced points on ``bounds`` (mirt's default grid).
    min_expected : float, default 1.0
        Minimum expected count per cell (mirt's ``mincell = 1``); see Notes.
    n_params : int, mapping or array, optional
        Estimated parameters charged to each item in the degrees of freedom;
        default :func:`default_n_params` (e.g. pass 2 for a 3PL item with ``c`` fixed).
    mean, sd, n_quad, bounds : optional
        Normal latent distribution, when ``nodes``/``weights`` are not given.
    D : float, default 1.0
        Scaling constant.

    Returns
    -------
    DataFrame
        Indexed by item id (index name ``item``), columns ``S_X2``, ``df`` and
        ``p``; ``S_X2`` and ``p`` are NaN when ``df <= 0`` after collapsing.
        ``attrs["n_persons"]`` is the number of complete-response persons used.

    Raises
    ------
    DataError
        Bad responses, or no person with complete responses.
    PvcalError
        ``min_expected <= 0`` or ``n_params`` naming unknown items.

    Notes
    -----
    For item ``j`` and summed score ``s`` (``1 .. S-1``; the extreme scores carry
    no information), the expected count in category ``k`` is
    ``E_sk = N_s Σ_q w_q P_jk(θ_q) f*_j(s-k | θ_q) / Σ_q w_q f(s | θ_q)``, with
    ``f`` and ``f*_j`` (all items but ``j``) from the Lord-Wingersky recursion.
    ``S-X² = Σ_s Σ_k (O_sk - E_sk)² / E_sk`` over cells that are possible
    (``E_sk > 0``; e.g. a score of 1 rules out category 2).

    Collapsing: score groups without persons are dropped; then, while some
    possible cell has ``E < min_expected``, the lowest such score group is merged
    with an adjacent group (the neighbour with fewer persons; the end groups
    inward). This is the final "merge across" step of mirt's ``collapseCells``;
    mirt additionally merges rare *categories* of polytomous items first, so
    polytomous statistics can differ from mirt where cells are sparse.

    ``df = Σ_groups (possible categories - 1) - n_params``, i.e.
    ``groups x (categories - 1) - n_params`` for dichotomous items. mirt also
    subtracts freely estimated latent-distribution parameters (the latent
    variance of a Rasch calibration) from every item; pass ``n_params`` to match.

    References
    ----------
    Orlando, M., & Thissen, D. (2000). Likelihood-based item-fit indices for
    dichotomous item response theory models. *Applied Psychological Measurement*,
    24, 50-64. Orlando, M., & Thissen, D. (2003). Further investigation of the
    performance of S-X². *Applied Psychological Measurement*, 27, 289-298.
    Kang, T., & Chen, T. T. (2008). Performance of the generalized S-X² item fit
    index for polytomous IRT models. *Journal of Educational Measurement*, 45, 391-406.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> items = pd.DataFrame({"a": [1.0] * 6, "b": np.linspace(-1, 1, 6)},
    ...                      index=[f"Q{i}" for i in range(6)])
    >>> th = rng.normal(size=500)
    >>> x = (rng.random((500, 6)) < 1 / (1 + np.exp(-(th[:, None] - items["b"].to_numpy()))))
    >>> fit = s_x2(items, pd.DataFrame(x.astype(int), columns=items.index))
    >>> list(fit.columns)
    ['S_X2', 'df', 'p']
    """
    min_expected = check_positive("min_expected", min_expected)
    itemset = item_set(items, D)
    X = response_matrix(itemset, responses)
    npar = _n_params(items, n_params)
    complete = ~np.isnan(X).any(axis=1)
    if not complete.any():
        raise DataError(
            "S-X2 needs persons with a response to every item; no such person in responses"
        )
    Xc = X[complete].astype(int)
    grid, w = quadrature_grid(nodes, weights, mean, sd, n_quad, check_bounds(bounds))
    probs = category_probs(items, grid, D)
    S = int((itemset.n_cat - 1).sum())
    total = Xc.sum(axis=1)
    n_s = np.bincount(total, minlength=S + 1).astype(float)
    p_s = w @ lw_from_probs(probs)  # marginal P(S = s)
    stats, dfs = [], []
    for j in range(len(itemset.ids)):
        C = int(itemset.n_cat[j])
        rest = lw_from_probs(probs[:j] + probs[j + 1 :])  # (Q, S - C + 2)
        E = np.zeros((S + 1, C))
        for k in range(C):
            E[k : k + rest.shape[1], k] = (w * probs[j][:, k]) @ rest
        with np.errstate(divide="ignore", invalid="ignore"):
            E = np.where(p_s[:, None] > 0, E / p_s[:, None], 0.0) * n_s[:, None]
        O = np.zeros((S + 1, C))
        np.add.at(O, (total, Xc[:, j]), 1.0)
        keep = np.zeros(S + 1, dtype=bool)
        keep[1:S] = n_s[1:S] > 0
        O, E = _collapse(O[keep], E[keep], min_expected)
        cells = E > 0
        df = int((cells.sum(axis=1) - 1).clip(min=0).sum() - npar[j])
        if df > 0:
            stat = float((((O - E) ** 2)[cells] / E[cells]).sum())
        else:
            stat, df = np.nan, max(df, 0)
        stats.append(stat)
        dfs.append(df)
    stats = np.asarray(stats)
    dfs = np.asarray(dfs)
    with np.errstate(invalid="ignore"):
        p = np.where(dfs > 0, chi2.sf(stats, np.maximum(dfs, 1)), np.nan)
    out = pd.DataFrame({"S_X2": stats, "df": dfs, "p": p}, index=pd.Index(itemset.ids, name="item"))
    out.attrs["n_persons"] = int(complete.sum())
    return out


# ---------------------------------------------------------------------------
# infit / outfit
# ---------------------------------------------------------------------------


def _moments(itemset: ItemSet, theta: np.ndarray):
    """Expected score, variance and 4th central moment per item at per-person theta: (n, J)."""
    n, J = len(theta), len(itemset.ids)
    Ex, W, C4 = (np.empty((n, J)) for _ in range(3))
    for model, pos, params in itemset.blocks:
        p = model.probs(params, theta)  # (Jb, n, C)
        k = np.arange(p.shape[2])
        e = (p * k).sum(axis=2)
        dev = k[None, None, :] - e[..., None]
        Ex[:, pos] = e.T
        W[:, pos] = (p * dev**2).sum(axis=2).T
        C4[:, pos] = (p * dev**4).sum(axis=2).T
    return Ex, W, C4


def _wilson_hilferty(ms: np.ndarray, q: np.ndarray) -> np.ndarray:
    q = np.minimum(q, np.sqrt(2.0))  # mirt caps q at 1.4142
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.cbrt(ms) - 1.0) * (3.0 / q) + q / 3.0


def infit_outfit(
    items: pd.DataFrame,
    responses: pd.DataFrame,
    theta,
    *,
    by: str = "item",
    D: float = 1.0,
    missing_items: str = "raise",
) -> pd.DataFrame:
    """Infit and outfit mean squares with Wilson-Hilferty t statistics.

    # R: mirt::itemfit(mod, "infit", Theta = theta)   (mirt::personfit for by="person")

    Parameters
    ----------
    items : DataFrame
        Item parameters (IRT parameterisation); any model (Rasch/PCM is the
        usual use, the formulas hold for every model).
    responses : DataFrame
        Persons x items; missing responses are skipped.
    theta : array_like, Series or DataFrame
        Person abilities: one value per row of ``responses`` (a Series or a frame
        with a ``theta`` column, as :func:`pvcal.irt.scoring.score` returns, is
        aligned by index). Must be finite for every person with a response.
    by : {"item", "person"}
        Summarise over persons for each item (default) or over items per person.
    D : float, default 1.0
        Scaling constant.
    missing_items : {"raise", "nan"}
        Items of ``items`` without a column in ``responses``: raise (default) or
        treat as not presented (their statistics are then NaN with ``n = 0``).

    Returns
    -------
    DataFrame
        Indexed by item id (or person), columns ``outfit``, ``outfit_t``,
        ``infit``, ``infit_t`` and ``n`` (responses used).

    Raises
    ------
    DataError
        Bad responses; ``theta`` of the wrong length, not aligned to the persons,
        or not finite for a person with responses.

    Notes
    -----
    With ``E``, ``W`` and ``C`` the model mean, variance and fourth central
    moment of a response, and ``z² = (x - E)² / W``: outfit ``= mean(z²)``;
    infit ``= Σ (x - E)² / Σ W``. Their t statistics use the Wilson-Hilferty
    cube-root transform ``t = (MS^(1/3) - 1)(3/q) + q/3`` with
    ``q²_out = Σ (C / W²) / N² - 1/N`` and ``q²_in = Σ (C - W²) / (Σ W)²``
    (Wright & Masters 1982), ``q`` capped at √2 as in mirt. Both mean squares
    have expectation 1 under the model at the true θ.

    References
    ----------
    Wright, B. D., & Masters, G. N. (1982). *Rating scale analysis*. MESA Press.
    Linacre, J. M. (2002). What do infit and outfit, mean-square and
    standardized mean? *Rasch Measurement Transactions*, 16(2), 878.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1.0, 1.0], "b": [0.0, 0.0]}, index=["Q1", "Q2"])
    >>> resp = pd.DataFrame({"Q1": [1, 0], "Q2": [0, 1]})
    >>> infit_outfit(items, resp, [0.0, 0.0])["outfit"].tolist()
    [1.0, 1.0]
    """
    by = check_choice("by", by, ("item", "person"))
    itemset = item_set(items, D)
    X = response_matrix(itemset, responses, missing_items)
    t = _theta_vector(theta, responses)
    _check_theta(t, X, responses.index)
    obs = ~np.isnan(X)
    Ex, W, C4 = _moments(itemset, np.where(np.isfinite(t), t, 0.0))
    W = np.clip(W, _EPS, None)
    resid2 = np.where(obs, (np.nan_to_num(X) - Ex) ** 2, 0.0)
    W_o = np.where(obs, W, 0.0)
    z2 = resid2 / W
    kurt = np.where(obs, C4 / W**2, 0.0)
    c_minus = np.where(obs, C4 - W**2, 0.0)
    axis = 0 if by == "item" else 1
    n = obs.sum(axis=axis).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        outfit = z2.sum(axis=axis) / n
        infit = resid2.sum(axis=axis) / W_o.sum(axis=axis)
        q_out = np.sqrt(np.clip(kurt.sum(axis=axis) / n**2 - 1.0 / n, 0.0, None))
        q_in = np.sqrt(np.clip(c_minus.sum(axis=axis), 0.0, None)) / W_o.sum(axis=axis)
    index = pd.Index(itemset.ids, name="item") if by == "item" else responses.index
    return pd.DataFrame(
        {
            "outfit": outfit,
            "outfit_t": _wilson_hilferty(outfit, q_out),
            "infit": infit,
            "infit_t": _wilson_hilferty(infit, q_in),
            "n": n.astype(int),
        },
        index=index,
    )


# ---------------------------------------------------------------------------
# person fit
# ---------------------------------------------------------------------------


def person_fit(
    items: pd.DataFrame,
    responses: pd.DataFrame,
    theta=None,
    method: str = "lz*",
    *,
    theta_method: str = "WLE",
    threshold: float = -1.645,
    mean: float = 0.0,
    sd: float = 1.0,
    bounds: tuple[float, float] = (-6, 6),
    D: float = 1.0,
    missing_items: str = "raise",
) -> pd.DataFrame:
    """Person-fit statistics lz (Drasgow et al. 1985) and lz* (Snijders 2001).

    # R: mirt::personfit(mod, method = "WLE")  (column Zh = lz); PerFit::lzstar(...)

    Parameters
    ----------
    items : DataFrame
        Item parameters (IRT parameterisation).
    responses : DataFrame
        Persons x items; missing responses are skipped (the sums run over each
        person's answered items).
    theta : array_like, Series or DataFrame, optional
        Ability estimates, aligned as in :func:`infit_outfit`. Default: computed
        with :func:`pvcal.irt.scoring.score` by ``theta_method``. A frame as
        ``score`` returns it also passes ``se``: persons with NaN ``se`` (an
        estimate on a search bound) get NaN statistics.
    method : {"lz*", "lz"}
        Statistic used for the ``flagged`` column. ``lz*`` needs dichotomous items.
    theta_method : {"WLE", "ML", "MAP"}
        The estimator that produced ``theta``; it fixes Snijders' correction
        term ``r_0``: 0 for ML, Warm's ``J/(2I)`` for WLE, ``-(θ - mean)/sd²`` for
        MAP. Default WLE, which stays finite for all-correct/all-wrong patterns.
    threshold : float, default -1.645
        Flag persons whose statistic is below this (one-sided 5 % under N(0, 1)).
    mean, sd : float
        Prior of the MAP estimator (``theta_method="MAP"`` only).
    bounds : (float, float)
        Search interval when ``theta`` is computed here.
    D : float, default 1.0
        Scaling constant.
    missing_items : {"raise", "nan"}
        Items of ``items`` without a column in ``responses``: raise (default) or
        treat as not presented.

    Returns
    -------
    DataFrame
        Indexed like ``responses``: ``theta``, ``lz``, ``lz_star`` (NaN when an
        item is polytomous) and ``flagged`` (bool; False when the statistic is NaN).
        Both statistics are NaN for persons without responses, and, when
        ``theta`` is computed here, for persons whose estimate sits on a bound.

    Raises
    ------
    ModelError
        ``method="lz*"`` with polytomous items, or ``theta_method`` not ML/WLE/MAP.
    DataError
        Bad responses or ``theta`` (as in :func:`infit_outfit`).

    Notes
    -----
    ``l0 = Σ_j log P_j,x_j(θ)``, ``E(l0) = Σ_j Σ_k P_jk log P_jk``,
    ``Var(l0) = Σ_j [Σ_k P_jk (log P_jk)² - (Σ_k P_jk log P_jk)²]`` and
    ``lz = (l0 - E) / sqrt(Var)`` for any model. For dichotomous items, with
    ``w_j = logit P_j``, ``r_j = P'_j / (P_j Q_j)``,
    ``c = Σ P'_j w_j / Σ P'_j r_j`` and ``w~_j = w_j - c r_j``:
    ``lz* = Σ_j (x_j - P_j) w~_j / sqrt(Σ_j w~_j² P_j Q_j)`` evaluated at θ̂,
    which equals Snijders' ``(W_n + c r_0) / (sqrt(n) τ~_n)`` because the
    estimating equation is ``Σ (x_j - P_j) r_j + r_0 = 0``. lz* is
    asymptotically N(0, 1) with θ estimated; lz is not (its variance is too small).

    References
    ----------
    Drasgow, F., Levine, M. V., & Williams, E. A. (1985). Appropriateness
    measurement with polychotomous item response models and standardized
    indices. *British Journal of Mathematical and Statistical Psychology*, 38, 67-86.
    Snijders, T. A. B. (2001). Asymptotic null distribution of person fit
    statistics with estimated person parameter. *Psychometrika*, 66, 331-342.
    Magis, D., Raîche, G., & Béland, S. (2012). A didactic presentation of
    Snijders's lz* index of person fit. *Journal of Educational and Behavioral
    Statistics*, 37, 57-81.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1.0] * 4, "b": [-1.5, -0.5, 0.5, 1.5]},
    ...                      index=["Q1", "Q2", "Q3", "Q4"])
    >>> resp = pd.DataFrame({"Q1": [1, 0], "Q2": [1, 0], "Q3": [0, 1], "Q4": [0, 1]})
    >>> pf = person_fit(items, resp)
    >>> bool(pf["lz_star"].iloc[0] > pf["lz_star"].iloc[1])
    True
    """
    method = check_choice("method", method, ("lz*", "lz"))
    theta_method = check_choice(
        "theta_method", theta_method, ("WLE", "ML", "MAP"), error=ModelError
    )
    threshold = float(threshold)
    itemset = item_set(items, D)
    X = response_matrix(itemset, responses, missing_items)
    dichotomous = bool((itemset.n_cat == 2).all())
    if method == "lz*" and not dichotomous:
        poly = itemset.ids[itemset.n_cat > 2].tolist()
        raise ModelError(
            f"lz* (Snijders 2001) is defined here for dichotomous items only; item(s) "
            f"{poly[:5]} are polytomous. Use method='lz'"
        )
    sd = check_positive("sd", sd)
    unusable = np.isnan(X).all(axis=1)
    if theta is None:
        est = score(
            items,
            responses,
            theta_method,
            mean=mean,
            sd=sd,
            bounds=bounds,
            D=D,
            missing_items=missing_items,
        )
        t = est["theta"].to_numpy(dtype=float)
        unusable |= est["se"].isna().to_numpy()
    else:
        t = _theta_vector(theta, responses)
        _check_theta(t, X, responses.index)
        if isinstance(theta, pd.DataFrame) and "se" in theta.columns:
            # estimates on a search bound (se NaN, as score() reports them) are unusable
            unusable |= theta["se"].reindex(responses.index).isna().to_numpy()
    tt = np.where(np.isfinite(t), t, 0.0)
    obs = ~np.isnan(X)
    n = len(tt)
    l0 = np.zeros(n)
    el = np.zeros(n)
    vl = np.zeros(n)
    num = np.zeros(n)
    # lz* pieces (dichotomous only)
    s_pw = np.zeros(n)
    s_pr = np.zeros(n)
    info = np.zeros(n)
    jw = np.zeros(n)
    per_item = []
    for model, pos, params in itemset.blocks:
        x = X[:, pos].T  # (Jb, n)
        o = obs[:, pos].T
        xi = np.where(o, x, 0).astype(int)[..., None]
        p = np.clip(model.probs(params, tt), _EPS, 1.0)  # (Jb, n, C)
        lp = np.log(p)
        plp = (p * lp).sum(axis=2)
        l0 += np.where(o, np.take_along_axis(lp, xi, axis=2)[..., 0], 0.0).sum(axis=0)
        el += np.where(o, plp, 0.0).sum(axis=0)
        vl += np.where(o, (p * lp**2).sum(axis=2) - plp**2, 0.0).sum(axis=0)
        if dichotomous:
            p1 = p[..., 1]
            pq = p1 * (1.0 - p1)
            dp1 = model.dprobs(params, tt)[..., 1]
            d2p1 = (model.dprobs(params, tt + FD_STEP)[..., 1] - dp1) / FD_STEP
            wj = np.log(p1 / (1.0 - p1))
            rj = dp1 / pq
            s_pw += np.where(o, dp1 * wj, 0.0).sum(axis=0)
            s_pr += np.where(o, dp1 * rj, 0.0).sum(axis=0)
            info += np.where(o, dp1**2 / pq, 0.0).sum(axis=0)
            jw += np.where(o, dp1 * d2p1 / pq, 0.0).sum(axis=0)
            per_item.append((o, np.nan_to_num(x), p1, pq, wj, rj))
    with np.errstate(divide="ignore", invalid="ignore"):
        lz = (l0 - el) / np.sqrt(vl)
        lz_star = np.full(n, np.nan)
        if dichotomous:
            c = s_pw / s_pr
            den = np.zeros(n)
            for o, x, p1, pq, wj, rj in per_item:
                wt = wj - c[None, :] * rj
                num += np.where(o, (x - p1) * wt, 0.0).sum(axis=0)
                den += np.where(o, wt**2 * pq, 0.0).sum(axis=0)
            lz_star = num / np.sqrt(den)
    bad = unusable | ~np.isfinite(t)
    lz[bad | ~np.isfinite(lz)] = np.nan
    lz_star[bad | ~np.isfinite(lz_star)] = np.nan
    stat = lz_star if method == "lz*" else lz
    flagged = np.where(np.isnan(stat), False, stat < threshold)
    return pd.DataFrame(
        {"theta": t, "lz": lz, "lz_star": lz_star, "flagged": flagged.astype(bool)},
        index=responses.index,
    )


# ---------------------------------------------------------------------------
# information criteria
# ---------------------------------------------------------------------------


def information_criteria(loglik: float, n_params: int, n_obs: int) -> dict[str, float]:
    """Likelihood-based information criteria of a fitted model.

    # R: anova(mod) in mirt (AIC, SABIC, HQ, BIC); stats::AIC / stats::BIC

    Parameters
    ----------
    loglik : float
        Maximised (marginal) log-likelihood.
    n_params : int
        Number of freely estimated parameters.
    n_obs : int
        Number of persons (the sample size in BIC-type penalties).

    Returns
    -------
    dict
        ``loglik``, ``n_params``, ``n_obs``, ``deviance`` (-2 logL), ``AIC``
        (+2k), ``AICc`` (+2k(k+1)/(N-k-1); NaN when N <= k+1), ``BIC`` (+k ln N),
        ``SABIC`` (+k ln((N+2)/24), Sclove 1987) and ``HQ`` (+2k ln ln N).

    Raises
    ------
    PvcalError
        Non-finite ``loglik``, or counts that are not positive integers.

    References
    ----------
    Akaike (1974); Schwarz (1978); Sclove, S. L. (1987). Application of
    model-selection criteria to some problems in multivariate analysis.
    *Psychometrika*, 52, 333-343; Hannan & Quinn (1979).

    Examples
    --------
    >>> ic = information_criteria(-2658.805, 10, 1000)
    >>> round(ic["AIC"], 2), round(ic["BIC"], 2)
    (5337.61, 5386.69)
    """
    try:
        ll = float(loglik)
    except (TypeError, ValueError):
        raise PvcalError(f"loglik must be a number, got {loglik!r}") from None
    if not np.isfinite(ll):
        raise PvcalError(f"loglik must be finite, got {loglik!r}")
    for name, v in (("n_params", n_params), ("n_obs", n_obs)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise PvcalError(f"{name} must be a positive integer, got {v!r}")
    k, N = int(n_params), int(n_obs)
    dev = -2.0 * ll
    aicc = dev + 2 * k + 2 * k * (k + 1) / (N - k - 1) if N > k + 1 else np.nan
    return {
        "loglik": ll,
        "n_params": k,
        "n_obs": N,
        "deviance": dev,
        "AIC": dev + 2 * k,
        "AICc": float(aicc),
        "BIC": float(dev + k * np.log(N)),
        "SABIC": float(dev + k * np.log((N + 2) / 24)),
        "HQ": float(dev + 2 * k * np.log(np.log(N))),
    }
