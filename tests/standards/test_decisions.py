"""Decision quality: Rudner (IRT) and Lee (summed-score) classification indices, CSEM, impact.

Formulas: Rudner (2001, 2005), PARE 7(14) and 10(13); Lee (2010), JEM 47(1), 1-17.
Hand derivations use Φ(1) = 0.841345; each index is cross-checked by brute-force
Monte Carlo simulation of the measurement model it assumes.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from scipy.stats import norm

from pvcal._validation import DataError, PvcalError
from pvcal.standards import (
    categorize,
    classification,
    classification_summed,
    conditional_sem,
    impact,
    near_cut,
)

PHI1 = norm.cdf(1.0)


def test_rudner_single_cut_hand():
    """θ̂ = 1, SE = 1, cut 0: P(true above) = 1 - Φ(-1) = Φ(1) = 0.841345 = accuracy;
    consistency = Φ(1)² + (1 - Φ(1))² = 0.732999.
    θ̂ = 0 exactly on the cut is in the upper category: accuracy 0.5, consistency 0.5."""
    r = classification([1.0], [1.0], [0.0])
    assert r.accuracy == pytest.approx(PHI1)
    assert r.consistency == pytest.approx(PHI1**2 + (1 - PHI1) ** 2)
    assert r.by_cut.loc[0.0, "accuracy"] == pytest.approx(PHI1)  # unnamed: indexed by value
    r0 = classification([0.0], [1.0], {"Pass": 0.0})
    assert (r0.accuracy, r0.consistency) == pytest.approx((0.5, 0.5))
    assert r0.by_cut.loc["Pass", "false_positive"] == pytest.approx(0.5)  # upper, may be below
    assert categorize([0.0, -1e-12], [0.0]).tolist() == [1, 0]


def test_rudner_two_cuts_hand():
    """Cuts -1, 1; θ̂ = 0, SE = 1: p = (Φ(-1), Φ(1) - Φ(-1), 1 - Φ(1)) = (0.158655, 0.682689,
    0.158655). Observed middle: accuracy 0.682689; consistency Σp² = 0.516407.
    Per cut -1: P(above) = Φ(1), observed above -> accuracy Φ(1)."""
    r = classification([0.0], [1.0], [-1.0, 1.0])
    p = np.array([1 - PHI1, 2 * PHI1 - 1, 1 - PHI1])
    assert r.accuracy == pytest.approx(p[1])
    assert r.consistency == pytest.approx((p**2).sum())
    assert r.by_cut["accuracy"].tolist() == pytest.approx([PHI1, PHI1])
    assert r.probabilities.iloc[0].to_numpy() == pytest.approx(p)
    assert "Rudner" in r.summary().as_text()


def test_rudner_against_simulation():
    """Second way: for each candidate draw true θ ~ N(θ̂, SE²) (accuracy: same category as θ̂)
    and two independent draws (consistency: both in the same category)."""
    rng = np.random.default_rng(7)
    n, m = 400, 2000
    th = rng.normal(0, 1, n)
    se = rng.uniform(0.2, 0.6, n)
    cuts = np.array([-0.8, 0.2, 1.1])
    r = classification(th, se, cuts)
    obs = categorize(th, cuts)
    d1 = categorize(th[:, None] + se[:, None] * rng.standard_normal((n, m)), cuts)
    d2 = categorize(th[:, None] + se[:, None] * rng.standard_normal((n, m)), cuts)
    assert r.accuracy == pytest.approx((d1 == obs[:, None]).mean(), abs=0.004)
    assert r.consistency == pytest.approx((d1 == d2).mean(), abs=0.004)
    for k in range(len(cuts)):
        acc_k = ((d1 >= k + 1) == (obs[:, None] >= k + 1)).mean()
        assert r.by_cut["accuracy"].iloc[k] == pytest.approx(acc_k, abs=0.004)


def test_lee_hand():
    """Two 2PL items a = 1, b = 0; nodes θ = ±1 with weight 1/2; raw cut 1 (pass if X >= 1).
    P = expit(1) = 0.731059 at θ = 1, 0.268941 at θ = -1. P(X >= 1 | θ) = 1 - (1 - P)²:
    0.927671 at θ = 1, 0.465553 at θ = -1. True scores τ = 2P: 1.462 (pass), 0.538 (fail).
    Accuracy = (0.927671 + 0.534447)/2 = 0.731059 (algebraically 1 - q with q = expit(-1));
    consistency = (0.927671² + 0.072329² + 0.465553² + 0.534447²)/2 = 0.684089."""
    items = pd.DataFrame({"a": [1.0, 1.0], "b": [0.0, 0.0]}, index=["Q1", "Q2"])
    r = classification_summed(items, [1], theta=[-1.0, 1.0], weights=[0.5, 0.5])
    hi, lo = 1 - (1 - expit(1)) ** 2, 1 - (1 - expit(-1)) ** 2
    assert r.accuracy == pytest.approx((hi + 1 - lo) / 2)
    assert r.consistency == pytest.approx((hi**2 + (1 - hi) ** 2 + lo**2 + (1 - lo) ** 2) / 2)
    assert r.accuracy == pytest.approx(expit(1.0), abs=1e-12)
    assert r.consistency == pytest.approx(0.684089, abs=1e-6)


def test_lee_accepts_calibration_quadrature():
    """A Calibration (duck-typed: .items and .quadrature) supplies items and the θ distribution."""

    class Cal:
        items = pd.DataFrame({"a": [1.0, 1.0], "b": [0.0, 0.0]}, index=["Q1", "Q2"])
        quadrature = (np.array([-1.0, 1.0]), np.array([0.5, 0.5]))

    assert classification_summed(Cal(), [1]).accuracy == pytest.approx(expit(1.0))


def test_lee_against_simulation():
    """Second way: simulate item responses at each quadrature node (two independent forms),
    sum them and compare categories with the true-score category."""
    rng = np.random.default_rng(3)
    items = pd.DataFrame(
        {"a": rng.uniform(0.7, 1.8, 12), "b": rng.normal(0, 1, 12)},
        index=[f"Q{i}" for i in range(12)],
    )
    nodes = np.linspace(-3, 3, 13)
    w = norm.pdf(nodes)
    w /= w.sum()
    cuts = [4, 8]
    r = classification_summed(items, cuts, theta=nodes, weights=w)
    m = 20000
    p = expit(items["a"].to_numpy()[None, :] * (nodes[:, None] - items["b"].to_numpy()[None, :]))
    x1 = (rng.random((m, *p.shape)) < p).sum(-1)  # (m, Q)
    x2 = (rng.random((m, *p.shape)) < p).sum(-1)
    tau = p.sum(1)
    true = categorize(tau, cuts)
    c1, c2 = categorize(x1, cuts), categorize(x2, cuts)
    acc = ((c1 == true[None, :]).mean(0) * w).sum()
    con = ((c1 == c2).mean(0) * w).sum()
    assert r.accuracy == pytest.approx(acc, abs=0.005)
    assert r.consistency == pytest.approx(con, abs=0.005)


def test_conditional_sem_hand():
    """One 2PL item a = 1, b = 0 at θ = 0: I = a²P(1 - P) = 0.25, CSEM = 2.
    Two such items: I = 0.5, CSEM = sqrt(2)."""
    items = pd.DataFrame({"a": [1.0, 1.0], "b": [0.0, 0.0]}, index=["Q1", "Q2"])
    assert conditional_sem(items.iloc[:1], 0.0)[0] == pytest.approx(2.0)
    assert conditional_sem(items, [0.0])[0] == pytest.approx(math.sqrt(2))


def test_impact_hand():
    """Cuts Pass 0, Good 1, Excellent 2 on θ = -1, 0, 0.5, 1, 3, 3 (ties on cuts go up):
    Fail 1/6, Pass 2/6, Good 1/6, Excellent 2/6; group a = first three: 1/3, 2/3, 0, 0."""
    th = [-1, 0, 0.5, 1, 3, 3]
    out = impact(th, {"Pass": 0, "Good": 1, "Excellent": 2}, groups=list("aaabbb"))
    assert out.loc["all", ["Fail", "Pass", "Good", "Excellent"]].tolist() == pytest.approx(
        [1 / 6, 2 / 6, 1 / 6, 2 / 6]
    )
    assert out.loc["a", ["Fail", "Pass", "Good", "Excellent"]].tolist() == pytest.approx(
        [1 / 3, 2 / 3, 0, 0]
    )
    assert out.loc["b", "n"] == 3


def test_near_cut():
    """|θ̂ - 0.5| <= SE: 0.2 (|-.3| <= .4) yes, -0.5 (1.0 > 0.4) no, 0.9 (0.4 <= 0.4) yes."""
    flags = near_cut(pd.Series([0.2, -0.5, 0.9], index=list("xyz")), [0.4, 0.4, 0.4], 0.5)
    assert flags.tolist() == [True, False, True]


def test_decisions_bad_input():
    """Classification refuses cuts that do not increase, SE <= 0, θ and SE of different lengths,
    and summed-score cuts outside (0, 1]."""
    with pytest.raises(PvcalError, match="cuts must be strictly increasing"):
        classification([0.0, 1.0], [0.3, 0.3], [1.0, 0.5])
    with pytest.raises(DataError, match="se must be > 0"):
        classification([0.0, 1.0], [0.3, 0.0], [0.5])
    with pytest.raises(DataError, match="theta has 2 values but se has 1"):
        classification([0.0, 1.0], [0.3], [0.5])
    items = pd.DataFrame({"a": [1.0], "b": [0.0]}, index=["Q1"])
    with pytest.raises(PvcalError, match=r"summed-score cuts must lie in \(0, 1\]"):
        classification_summed(items, [2])
