"""Decision quality: conditional SEM at the cuts, classification accuracy and consistency, impact.

* :func:`classification` -- IRT-based (Rudner, 2001, 2005): each candidate's
  θ̂ and SE, normal measurement error.
* :func:`classification_summed` -- summed scores (Lee, 2010), with the
  conditional summed-score distribution from the Lord-Wingersky recursion.
* :func:`conditional_sem` -- ``1 / sqrt(I(θ))`` at each cut.
* :func:`impact` -- share of candidates in each grade, overall and by group.
* :func:`near_cut` -- candidates within ``k`` SEMs of a cut (appeals).

Convention: a score exactly on a cut belongs to the **upper** category.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr

from .._validation import DataError, PvcalError, check_1d, check_increasing, check_positive
from ..irt.models import expected_score, test_information
from ..irt.scoring import lord_wingersky

__all__ = [
    "ClassificationResult",
    "classification",
    "classification_summed",
    "conditional_sem",
    "categorize",
    "impact",
    "near_cut",
]


def _cuts(cuts) -> tuple[np.ndarray, list[Any]]:
    """Cut values and names (a dict/Series keeps its names)."""
    if isinstance(cuts, dict):
        names, vals = list(cuts.keys()), list(cuts.values())
    elif isinstance(cuts, pd.Series):
        names, vals = list(cuts.index), cuts.to_list()
    else:
        vals = list(np.atleast_1d(np.asarray(cuts, float)))
        names = [float(v) for v in vals]  # unnamed cuts are indexed by their value
    arr = check_1d("cuts", vals, min_size=1)
    check_increasing("cuts", arr)
    return arr, names


def categorize(values, cuts) -> np.ndarray:
    """Category index 0..K of each value: the number of cuts at or below it (on a cut = upper)."""
    c, _ = _cuts(cuts)
    return np.searchsorted(c, np.asarray(values, float), side="right")


@dataclass(frozen=True, eq=False)
class ClassificationResult:
    """Classification accuracy and consistency.

    Attributes
    ----------
    accuracy : float
        Probability that the observed category equals the true category, all cuts together.
    consistency : float
        Probability that two independent parallel administrations give the same category.
    kappa : float
        Cohen's kappa for consistency: ``(consistency - chance) / (1 - chance)``
        with ``chance = Σ_m (mean_i p_im)²``.
    by_cut : DataFrame
        Indexed by cut (its name for a dict/Series of cuts, else its value):
        ``cut``, ``accuracy``, ``consistency``,
        ``false_positive`` (observed at/above, true below), ``false_negative``.
    probabilities : DataFrame
        Per candidate (or quadrature node) probability of each category.
    method : str
        ``"rudner"`` or ``"lee"``.
    """

    accuracy: float
    consistency: float
    kappa: float
    by_cut: pd.DataFrame
    probabilities: pd.DataFrame
    method: str

    def summary(self):
        """Overall and per-cut accuracy and consistency (``as_text()``, ``as_html()``)."""
        from .._summary import Summary

        return Summary(
            f"Classification accuracy and consistency ({self.method.capitalize()})",
            {
                "accuracy": self.accuracy,
                "consistency": self.consistency,
                "kappa": self.kappa,
                "N / nodes": len(self.probabilities),
            },
            (("By cut", self.by_cut),),
            ("a value exactly on a cut belongs to the upper category",),
        )

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def to_dict(self) -> dict:
        """JSON-ready numbers: overall and per cut."""
        return {
            "method": self.method,
            "accuracy": float(self.accuracy),
            "consistency": float(self.consistency),
            "kappa": float(self.kappa),
            "by_cut": {
                str(k): {c: float(v) for c, v in row.items()}
                for k, row in self.by_cut.to_dict(orient="index").items()
            },
        }


def _summarise(P, obs, true_p_side, w, cut_values, names, method, index, cat_names):
    """Build the result from category probabilities ``P`` (n, K+1) and weights ``w``.

    ``obs`` is the observed category of each row (Rudner) or None (Lee, where the
    'observed' side is random and ``true_p_side`` gives the true category).
    """
    w = w / w.sum()
    K = len(cut_values)
    n = P.shape[0]
    ref = obs if obs is not None else true_p_side  # category the row is compared with
    acc_i = P[np.arange(n), ref]
    cons_i = (P**2).sum(axis=1)
    accuracy = float(w @ acc_i)
    consistency = float(w @ cons_i)
    marg = w @ P
    chance = float((marg**2).sum())
    kappa = (consistency - chance) / (1 - chance) if chance < 1 else float("nan")
    rows = []
    cumP = np.cumsum(P[:, ::-1], axis=1)[:, ::-1]  # cumP[:, m] = P(category >= m)
    for k in range(1, K + 1):
        up = np.clip(cumP[:, k], 0.0, 1.0)  # P(at or above cut k)
        ref_up = ref >= k
        acc_k = np.where(ref_up, up, 1 - up)
        cons_k = up**2 + (1 - up) ** 2
        if obs is not None:  # Rudner: observed side fixed, truth random
            fp = np.where(ref_up, 1 - up, 0.0)
            fn = np.where(ref_up, 0.0, up)
        else:  # Lee: truth fixed, observed random
            fp = np.where(ref_up, 0.0, up)
            fn = np.where(ref_up, 1 - up, 0.0)
        rows.append(
            {
                "cut": float(cut_values[k - 1]),
                "accuracy": float(w @ acc_k),
                "consistency": float(w @ cons_k),
                "false_positive": float(w @ fp),
                "false_negative": float(w @ fn),
            }
        )
    by_cut = pd.DataFrame(rows, index=pd.Index(names, name="cut_name"))
    probs = pd.DataFrame(P, index=index, columns=cat_names)
    return ClassificationResult(accuracy, consistency, float(kappa), by_cut, probs, method)


def _category_names(names):
    return ["below " + str(names[0])] + [str(n) for n in names]


def classification(theta, se, cuts) -> ClassificationResult:
    """IRT-based classification accuracy and consistency (Rudner).

    Parameters
    ----------
    theta : array_like or Series
        Each candidate's ability estimate θ̂_i.
    se : array_like or Series
        Each candidate's standard error (> 0).
    cuts : array_like, dict or Series
        Increasing θ cuts (names kept from a dict/Series).

    Returns
    -------
    ClassificationResult
        ``accuracy``, ``consistency`` (all cuts together) and ``by_cut``.

    Notes
    -----
    With ``c_0 = -inf < c_1 < ... < c_K < c_{K+1} = inf``, the probability that
    candidate i's true category is m is
    ``p_im = Φ((c_{m+1} - θ̂_i)/SE_i) - Φ((c_m - θ̂_i)/SE_i)``. Observed category
    ``j_i`` is the m with ``c_m <= θ̂_i < c_{m+1}`` (a θ̂ on a cut is upper).

    * accuracy = ``mean_i p_{i, j_i}``;
    * consistency = ``mean_i Σ_m p_im²`` (two independent draws agree);
    * per cut k: with ``u_i = 1 - Φ((c_k - θ̂_i)/SE_i)``, accuracy is
      ``mean_i [u_i if θ̂_i >= c_k else 1 - u_i]`` and consistency
      ``mean_i [u_i² + (1 - u_i)²]``.

    References
    ----------
    Rudner, L. M. (2001). Computing the expected proportions of misclassified
    examinees. *Practical Assessment, Research & Evaluation*, 7(14).
    Rudner, L. M. (2005). Expected classification accuracy. *PARE*, 10(13).

    Examples
    --------
    >>> r = classification([1.0], [1.0], [0.0])
    >>> round(r.accuracy, 4), round(r.consistency, 4)
    (0.8413, 0.733)

    # R: cacIRT::class.Rud(cutscore, ability, se)
    """
    index = theta.index if isinstance(theta, pd.Series) else None
    t = check_1d("theta", theta)
    s = check_1d("se", se)
    if s.shape != t.shape:
        raise DataError(f"theta has {t.size} values but se has {s.size}")
    if np.any(s <= 0):
        i = int(np.flatnonzero(s <= 0)[0])
        raise DataError(f"se must be > 0 for every candidate; position {i} has se={s[i]!r}")
    c, names = _cuts(cuts)
    edges = np.concatenate([[-np.inf], c, [np.inf]])
    F = ndtr((edges[None, :] - t[:, None]) / s[:, None])
    P = np.diff(F, axis=1)
    obs = np.searchsorted(c, t, side="right")
    return _summarise(
        P, obs, None, np.ones(t.size), c, names, "rudner", index, _category_names(names)
    )


def classification_summed(
    items: Any,
    cuts,
    *,
    theta=None,
    weights=None,
    D: float = 1.0,
) -> ClassificationResult:
    """Classification accuracy and consistency for summed-score cuts (Lee, 2010).

    Parameters
    ----------
    items : DataFrame or Calibration
        Item parameters (IRT parameterisation); a Calibration also supplies its
        quadrature when ``theta`` is None.
    cuts : array_like, dict or Series
        Increasing summed-score cuts; a score ``x >= cut_k`` is at or above cut k.
    theta : array_like, optional
        Either quadrature nodes (with ``weights``: Lee's D method) or candidates'
        θ̂ (no weights: Lee's P method, each candidate weight 1/N).
    weights : array_like, optional
        Quadrature weights (normalised internally). Default: equal weights.
        When both ``theta`` and ``weights`` are None, 61 nodes on [-6, 6] with
        standard-normal weights.
    D : float, default 1.0

    Returns
    -------
    ClassificationResult
        ``probabilities`` is per θ node.

    Notes
    -----
    For each θ_q, ``P(X = x | θ_q)`` comes from the Lord-Wingersky recursion;
    ``p_qm = Σ_{x in category m} P(x | θ_q)``. The true category of θ_q is the
    category of its true score ``τ(θ_q) = Σ_j E[X_j | θ_q]`` (on a cut = upper).
    Accuracy = ``Σ_q w_q p_{q, true(q)}``; consistency = ``Σ_q w_q Σ_m p_qm²``.

    References
    ----------
    Lee, W.-C. (2010). Classification consistency and accuracy for complex
    assessments using item response theory. *Journal of Educational
    Measurement*, 47(1), 1-17.

    # R: cacIRT::class.Lee(cutscore, ip, ability)
    """
    frame = items if isinstance(items, pd.DataFrame) else getattr(items, "items", None)
    if not isinstance(frame, pd.DataFrame):
        raise PvcalError(f"items must be an item frame or a Calibration, got {type(items)}")
    if theta is None:
        quad = getattr(items, "quadrature", None)
        if quad is not None:
            theta, weights = quad
        else:
            theta = np.linspace(-6, 6, 61)
            weights = np.exp(-0.5 * theta**2)
    t = check_1d("theta", theta)
    w = np.ones(t.size) if weights is None else check_1d("weights", weights)
    if w.shape != t.shape or np.any(w < 0) or w.sum() <= 0:
        raise PvcalError("weights must be non-negative, one per theta node, not all zero")
    c, names = _cuts(cuts)
    dist = lord_wingersky(frame, t, D)  # (Q, S+1)
    S = dist.shape[1] - 1
    if c[0] <= 0 or c[-1] > S:
        raise PvcalError(f"summed-score cuts must lie in (0, {S}], got {c.tolist()}")
    x = np.arange(S + 1)
    cat_x = np.searchsorted(c, x, side="right")
    P = np.zeros((t.size, len(c) + 1))
    for m in range(len(c) + 1):
        P[:, m] = dist[:, cat_x == m].sum(axis=1)
    tau = expected_score(frame, t, D).sum(axis=1)
    true_cat = np.searchsorted(c, tau, side="right")
    return _summarise(
        P, None, true_cat, w, c, names, "lee", pd.Index(t, name="theta"), _category_names(names)
    )


def conditional_sem(items: Any, theta, D: float = 1.0) -> np.ndarray:
    """Conditional standard error of measurement ``1/sqrt(I(θ))`` at each θ (e.g. the cuts).

    # R: 1 / sqrt(mirt::testinfo(mod, Theta))
    """
    frame = items if isinstance(items, pd.DataFrame) else getattr(items, "items", None)
    if not isinstance(frame, pd.DataFrame):
        raise PvcalError(f"items must be an item frame or a Calibration, got {type(items)}")
    t = check_1d("theta", np.atleast_1d(np.asarray(theta, float)))
    return 1.0 / np.sqrt(test_information(frame, t, D))


def impact(values, cuts, *, labels=None, groups=None) -> pd.DataFrame:
    """Share of candidates in each category, overall and by group.

    Parameters
    ----------
    values : array_like
        θ (or scores) of each candidate.
    cuts : array_like, dict or Series
        Increasing cuts (on a cut = upper).
    labels : list of str, optional
        Category names, lowest first (``len(cuts) + 1``); default
        ``["Fail"] + cut names`` for named cuts.
    groups : array_like, optional
        Group of each candidate.

    Returns
    -------
    DataFrame
        Rows ``"all"`` then each group; columns the categories (shares summing
        to 1) and ``n``.
    """
    v = check_1d("values", values)
    c, names = _cuts(cuts)
    if labels is None:
        labels = ["Fail" if len(names) == 3 else f"below {names[0]}"] + [str(n) for n in names]
    if len(labels) != len(c) + 1:
        raise PvcalError(f"labels needs {len(c) + 1} names, got {list(labels)}")
    cat = pd.Categorical.from_codes(np.searchsorted(c, v, side="right"), categories=labels)
    frames = {"all": pd.Series(cat)}
    if groups is not None:
        g = np.asarray(groups)
        if g.shape != v.shape:
            raise DataError(f"groups must have one value per candidate ({v.size}), got {g.shape}")
        for key in pd.unique(g):
            frames[str(key)] = pd.Series(cat[g == key])
    rows = {}
    for key, s in frames.items():
        counts = s.value_counts(sort=False).reindex(labels, fill_value=0)
        row = (counts / max(len(s), 1)).to_dict()
        row["n"] = len(s)
        rows[key] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "group"
    out["n"] = out["n"].astype(int)
    return out


def near_cut(theta, se, cut: float, *, k: float = 1.0) -> np.ndarray:
    """Flag candidates whose θ̂ lies within ``k`` standard errors of ``cut``: ``|θ̂ - cut| <= k·SE``.

    Used to flag results near the pass line for the appeal process.

    Returns
    -------
    ndarray of bool (a Series when ``theta`` is a Series).
    """
    t = check_1d("theta", theta)
    s = check_1d("se", se)
    if s.shape != t.shape:
        raise DataError(f"theta has {t.size} values but se has {s.size}")
    k = check_positive("k", k)
    flag = np.abs(t - float(cut)) <= k * s
    if isinstance(theta, pd.Series):
        return pd.Series(flag, index=theta.index, name="near_cut")
    return flag
