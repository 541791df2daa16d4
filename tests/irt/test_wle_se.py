"""WLE standard errors: 1/sqrt(I(θ)) and mirt's Hessian of the weighted log-likelihood.

Data: LSAT7 2PL parameters as estimated by R mirt in its regression test
``tests/testthat/test-01-mirtOne.R`` (github.com/philchalmers/mirt, commit
099d6d7e57fc82cf5f9f67bc7cd5945defcbc9d0): a = 0.9876, 1.0808, 1.7075, 0.765,
0.7357; d = 1.8559, 0.808, 1.8052, 0.486, 1.8545 (slope-intercept).

Conventions checked (Warm 1989, Psychometrika 54, 427-450; mirt ``fscores``
documentation and ``R/fscores.internal.R``, where ``WLE.mirt`` returns
``-(log L + log sqrt(I))`` and ``nlm(..., hessian = TRUE)`` gives the SE):

* ``wle_se="information"``: se = 1/sqrt(I(θ̂)), I = Σ a² P Q (2PL test information);
* ``wle_se="hessian"``: se = 1/sqrt(-h''(θ̂)), h = log L + ½ log I, here against a
  central finite-difference second derivative of h written out by hand for the 2PL.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from pvcal._validation import PvcalError
from pvcal.irt.scoring import score

A = np.array([0.9876, 1.0808, 1.7075, 0.765, 0.7357])
D = np.array([1.8559, 0.808, 1.8052, 0.486, 1.8545])
ITEMS = pd.DataFrame({"a": A, "b": -D / A}, index=[f"Q{i}" for i in range(1, 6)])
PATTERNS = pd.DataFrame(list(itertools.product([0, 1], repeat=5)), columns=ITEMS.index)


def _weighted_loglik(theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """h(θ) = Σ_j [x log P + (1 - x) log Q] + ½ log Σ_j a² P Q for each row of x."""
    p = 1.0 / (1.0 + np.exp(-(A * theta[:, None] + D)))
    loglik = (x * np.log(p) + (1 - x) * np.log1p(-p)).sum(axis=1)
    return loglik + 0.5 * np.log((A**2 * p * (1 - p)).sum(axis=1))


def test_information_se_is_inverse_root_test_information():
    """Default WLE SE = 1/sqrt(Σ a² P Q) at the estimate (every LSAT7 pattern).

    The information is that of the last scoring iterate (the iteration stops when
    |Δθ| < 1e-7), hence agreement to 1e-6 rather than to rounding.
    """
    wle = score(ITEMS, PATTERNS, "WLE")
    assert wle.equals(score(ITEMS, PATTERNS, "WLE", wle_se="information"))
    p = 1.0 / (1.0 + np.exp(-(A * wle["theta"].to_numpy()[:, None] + D)))
    info = (A**2 * p * (1 - p)).sum(axis=1)
    np.testing.assert_allclose(wle["se"], 1.0 / np.sqrt(info), rtol=1e-6)


def test_hessian_se_matches_finite_difference_of_weighted_loglik():
    """mirt's convention: 1/sqrt(-h''(θ̂)), h'' by a central second difference (step 1e-3)."""
    wle = score(ITEMS, PATTERNS, "WLE", wle_se="hessian")
    theta, x, e = wle["theta"].to_numpy(), PATTERNS.to_numpy(float), 1e-3
    h2 = (
        _weighted_loglik(theta + e, x)
        - 2 * _weighted_loglik(theta, x)
        + _weighted_loglik(theta - e, x)
    ) / e**2
    np.testing.assert_allclose(wle["se"], 1.0 / np.sqrt(-h2), rtol=1e-6)
    # same estimates; only the standard error differs
    np.testing.assert_array_equal(wle["theta"], score(ITEMS, PATTERNS, "WLE")["theta"])


def test_hessian_se_is_the_stationary_point_curvature():
    """For the 2PL the WLE maximises h (Warm's J = I'), so h'(θ̂) = 0 at the estimate."""
    wle = score(ITEMS, PATTERNS, "WLE", wle_se="hessian")
    theta, x, e = wle["theta"].to_numpy(), PATTERNS.to_numpy(float), 1e-5
    h1 = (_weighted_loglik(theta + e, x) - _weighted_loglik(theta - e, x)) / (2 * e)
    np.testing.assert_allclose(h1, 0.0, atol=1e-6)


def test_hessian_se_polytomous_and_missing():
    """GRM/GPCM items with missing responses: the Hessian SE uses observed items only."""
    rng = np.random.default_rng(11)
    items = pd.DataFrame(
        {
            "model": ["GRM", "GRM", "GPCM", "GPCM", "2PL", "2PL"],
            "a": [1.2, 0.8, 1.0, 1.4, 1.1, 0.9],
            "b": [np.nan, np.nan, np.nan, np.nan, 0.2, -0.5],
            "b1": [-1.0, -0.5, -0.8, 0.1, np.nan, np.nan],
            "b2": [0.3, 0.6, 0.4, 0.9, np.nan, np.nan],
        },
        index=[f"I{j}" for j in range(6)],
    )
    resp = pd.DataFrame(rng.integers(0, 3, size=(40, 6)), columns=items.index).astype(float)
    resp[["I4", "I5"]] = resp[["I4", "I5"]].clip(upper=1)
    resp.iloc[::3, 1] = np.nan
    hess = score(items, resp, "WLE", wle_se="hessian")
    info = score(items, resp, "WLE")
    ok = hess["se"].notna()
    assert ok.mean() > 0.9
    # the two conventions agree to first order: within 35 % on a six-item test
    ratio = hess["se"][ok] / info["se"][ok]
    assert ratio.between(0.65, 1.35).all(), ratio.describe()
    # dropping the missing item's column gives the same SEs (observed items only)
    rows = resp.index[::3]
    sub = score(items.drop(index="I1"), resp.loc[rows].drop(columns="I1"), "WLE", wle_se="hessian")
    np.testing.assert_allclose(sub["se"], hess.loc[rows, "se"], rtol=1e-7)


def test_wle_se_choice_checked():
    """An unknown convention is refused with the allowed names."""
    with pytest.raises(PvcalError, match="wle_se"):
        score(ITEMS, PATTERNS, "WLE", wle_se="observed")
