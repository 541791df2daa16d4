"""Scoring: ability estimates, sum-score conversion tables and information.

Functions take an item-parameter frame in the IRT parameterisation (as
``Calibration.items`` reports it) and wide responses (persons x items).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .models import category_probs

__all__ = ["lord_wingersky"]


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
    probs = category_probs(items, theta, D)
    n_q = probs[0].shape[0]
    dist = np.ones((n_q, 1))
    for p in probs:
        k = p.shape[1]
        new = np.zeros((n_q, dist.shape[1] + k - 1))
        for cat in range(k):
            new[:, cat : cat + dist.shape[1]] += dist * p[:, cat : cat + 1]
        dist = new
    return dist
