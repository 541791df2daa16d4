"""Simulate item responses from known item parameters (for recovery studies).

# R: mirt::simdata(a, d, N, itemtype)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import check_positive, check_rng
from .models import category_probs

__all__ = ["simulate"]


def simulate(
    items: pd.DataFrame,
    n: int | None = None,
    *,
    theta=None,
    mean: float = 0.0,
    sd: float = 1.0,
    seed=None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Draw responses for ``n`` persons (or for given ``theta``).

    Parameters
    ----------
    items : DataFrame
        Item parameters in the IRT parameterisation (mixed models allowed).
    n : int, optional
        Number of persons, drawn from N(mean, sd²); ignored when ``theta`` is given.
    theta : array_like, optional
        True abilities.
    seed : int or Generator, optional
        Random seed; the same seed gives the same data.

    Returns
    -------
    responses : DataFrame
        Persons x items, integer-valued floats.
    theta : ndarray
        The true abilities.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1.0, 1.5], "b": [0.0, 1.0]}, index=["Q1", "Q2"])
    >>> x, th = simulate(items, 5, seed=1)
    >>> x.shape
    (5, 2)
    """
    rng = check_rng(seed)
    if theta is None:
        n = int(check_positive("n", n))
        theta = rng.normal(mean, sd, n)
    theta = np.asarray(theta, float)
    probs = category_probs(items, theta)
    u = rng.random((len(theta), len(items)))
    out = np.empty((len(theta), len(items)))
    for j, p in enumerate(probs):
        out[:, j] = (u[:, j : j + 1] > np.cumsum(p, axis=1)[:, :-1]).sum(axis=1)
    return pd.DataFrame(out, columns=items.index), theta
