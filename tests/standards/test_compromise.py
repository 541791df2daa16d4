"""Hofstee and Beuk compromise cuts.

Formulas: Hofstee (1983) and Beuk (1984), as set out in Cizek & Bunch (2007),
*Standard Setting*, ch. 12. Expected values below are derived by hand on the
scores 1..10 (one candidate each) and cross-checked by a brute-force search of the
crossing on a fine grid.
"""

from __future__ import annotations

import numpy as np
import pytest

from pvcal._validation import PvcalError
from pvcal.standards import beuk, fail_rate_curve, hofstee

SCORES = np.arange(1, 11)


def _brute_crossing(curve, line, lo, hi):
    """First c on a 1e-5 grid where curve(c) >= line(c) (independent of the implementation)."""
    c = np.linspace(lo, hi, int((hi - lo) * 1e5) + 1)
    ok = np.flatnonzero(curve(c) >= line(c) - 1e-12)
    return c[ok[0]]


def test_fail_rate_conventions():
    """mean(s < 4) = 3/10; mean(s <= 4) = 4/10."""
    assert fail_rate_curve(SCORES, [4])[0] == pytest.approx(0.3)
    assert fail_rate_curve(SCORES, [4], fail_if="<=")[0] == pytest.approx(0.4)


def test_hofstee_hand_step_and_linear():
    """k_min 3, k_max 7, f_min 0.1, f_max 0.5: line L(c) = 0.5 - 0.1(c - 3).
    "<": F(c) = (c - 1)/10 on the grid 3..7 -> F - L = -0.3, -0.1, 0.1, ...: step cut 5
    (F = 0.4); linear: root between 4 and 5 at 4.5.
    "<=": F(c) = c/10 -> F - L = -0.2, 0.0, ...: step cut 4 (pass score 5); linear also 4."""
    kw = dict(k_min=3, k_max=7, f_min=0.1, f_max=0.5)
    r = hofstee(SCORES, **kw)
    assert (r.cut, r.pass_score, r.fail_rate, r.intersects) == (5.0, 5.0, 0.4, True)
    r = hofstee(SCORES, **kw, interpolation="linear")
    assert r.cut == pytest.approx(4.5)
    assert hofstee(SCORES, **kw, interpolation="interpolated").cut == pytest.approx(4.5)
    assert r.fail_rate == pytest.approx(0.35)
    r = hofstee(SCORES, **kw, fail_if="<=")
    assert (r.cut, r.pass_score) == (4.0, 5.0)
    assert hofstee(SCORES, **kw, fail_if="<=", interpolation="linear").cut == pytest.approx(4.0)


def test_hofstee_linear_against_brute_force():
    """Second way: search the crossing of the interpolated curve and the line on a fine grid."""
    rng = np.random.default_rng(2)
    s = rng.binomial(40, 0.6, size=300)
    kw = dict(k_min=18, k_max=30, f_min=0.05, f_max=0.4)
    r = hofstee(s, **kw, interpolation="linear")
    grid = np.arange(18, 31)
    rates = fail_rate_curve(s, grid)
    want = _brute_crossing(
        lambda c: np.interp(c, grid, rates),
        lambda c: 0.4 + (0.05 - 0.4) * (c - 18) / 12,
        18,
        30,
    )
    assert r.cut == pytest.approx(want, abs=2e-5)
    rs = hofstee(s, **kw)
    assert rs.cut == np.ceil(r.cut) or rs.cut == r.cut


def test_hofstee_no_intersection_uses_range_end():
    """Everyone scores 10: F(c) = 0 on 3..7, below the line everywhere -> k_max, no intersection.
    Everyone scores 1: F = 1 >= f_max at k_min -> k_min."""
    kw = dict(k_min=3, k_max=7, f_min=0.1, f_max=0.5)
    r = hofstee(np.full(10, 10), **kw)
    assert (r.cut, r.intersects) == (7.0, False)
    r = hofstee(np.full(10, 1), **kw)
    assert (r.cut, r.intersects) == (3.0, False)


def test_beuk_hand():
    """Judges k = (5, 7), p = (0.6, 0.8): k̄ = 6, p̄ = 0.7, s_k = sqrt(2), s_p = 0.1·sqrt(2),
    slope 0.1; line P_L(c) = 0.7 + 0.1(c - 6). Observed pass rate (11 - c)/10 meets it where
    1.1 - 0.1c = 0.1 + 0.1c, c = 5 (step and linear).
    With p = (0.55, 0.8): p̄ = 0.675, s_p = 0.176777, slope 0.125; F(c) - (1 - P_L(c)) =
    0.225c - 1.175 = 0 at c = 5.2222 (linear); step -> 6."""
    r = beuk(SCORES, k=[5, 7], p=[0.6, 0.8])
    assert r.cut == pytest.approx(5.0)
    assert r.params["sd_k"] == pytest.approx(np.sqrt(2))
    assert beuk(SCORES, k=[5, 7], p=[0.6, 0.8], interpolation="linear").cut == pytest.approx(5.0)
    r = beuk(SCORES, k=[5, 7], p=[0.55, 0.8], interpolation="linear")
    assert r.cut == pytest.approx(1.175 / 0.225)
    assert beuk(SCORES, k=[5, 7], p=[0.55, 0.8]).cut == 6.0
    # summary statistics give the same as per-judge values
    r2 = beuk(
        SCORES,
        k=6,
        p=0.675,
        sd_k=np.sqrt(2),
        sd_p=np.std([0.55, 0.8], ddof=1),
        interpolation="linear",
    )
    assert r2.cut == pytest.approx(r.cut)


def test_beuk_against_brute_force():
    """Second way: fine-grid search where the observed pass-rate curve falls to the line."""
    rng = np.random.default_rng(5)
    s = rng.binomial(50, 0.55, size=500)
    k, p = [24, 28, 30, 26], [0.7, 0.6, 0.5, 0.65]
    r = beuk(s, k=k, p=p, interpolation="linear", lower=10, upper=45)
    slope = np.std(p, ddof=1) / np.std(k, ddof=1)
    grid = np.arange(10, 46)
    rates = fail_rate_curve(s, grid)
    want = _brute_crossing(
        lambda c: np.interp(c, grid, rates),
        lambda c: 1 - (np.mean(p) + slope * (c - np.mean(k))),
        10,
        45,
    )
    assert r.cut == pytest.approx(want, abs=2e-5)


def test_compromise_bad_input():
    """Hofstee with f_min >= f_max or k_min >= k_max, Beuk with pass rates outside [0, 1], and an
    unknown fail_if are refused by name."""
    with pytest.raises(PvcalError, match="f_min < f_max"):
        hofstee(SCORES, k_min=3, k_max=7, f_min=0.5, f_max=0.1)
    with pytest.raises(PvcalError, match="k_min < k_max"):
        hofstee(SCORES, k_min=7, k_max=3, f_min=0.1, f_max=0.5)
    with pytest.raises(PvcalError, match=r"proportions in \[0, 1\]"):
        beuk(SCORES, k=[5, 7], p=[60, 80])
    with pytest.raises(PvcalError, match="fail_if"):
        hofstee(SCORES, k_min=3, k_max=7, f_min=0.1, f_max=0.5, fail_if="<<")


def test_compromise_plot():
    """The Hofstee plot is titled with its cut (5 for the hand example), the Beuk plot shows the
    pass rate."""
    import matplotlib

    matplotlib.use("Agg")
    ax = hofstee(SCORES, k_min=3, k_max=7, f_min=0.1, f_max=0.5).plot()
    assert ax.get_title() == "Hofstee cut = 5"
    assert beuk(SCORES, k=[5, 7], p=[0.6, 0.8]).plot().get_ylabel() == "pass rate"


def test_percent_units_and_judge_arrays():
    """Judges state k in percent correct and f in percent: k_min (20, 40) % -> mean 30 % of a
    10-point test = 3; k_max 70 % = 7; f_min 10 % = 0.1; f_max (40, 60) % -> 0.5. The same
    as the hand example above: cut 5. Beuk: k = (50, 70) % = (5, 7), p = (60, 80) % -> cut 5."""
    r = hofstee(
        SCORES,
        k_min=[20, 40],
        k_max=[70, 70],
        f_min=[10, 10],
        f_max=[40, 60],
        units="percent",
        max_score=10,
    )
    assert (r.cut, r.params["k_min"], r.params["f_max"]) == (5.0, 3.0, 0.5)
    b = beuk(SCORES, k=[50, 70], p=[60, 80], units="percent", max_score=10)
    assert b.cut == pytest.approx(5.0)
    with pytest.raises(PvcalError, match="needs max_score"):
        hofstee(SCORES, k_min=30, k_max=70, f_min=10, f_max=50, units="percent")
