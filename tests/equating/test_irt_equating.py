"""Tests of IRT true-score and observed-score equating (pvcal.equating.irt).

The rules checked are those of Kolen & Brennan (2014), *Test Equating,
Scaling, and Linking*, sections 6.7-6.8: below the sum of the guessing
parameters, linear interpolation from (0, 0) to (Σc_X, Σc_Y); the maximum
score maps to the maximum score; observed-score equating through the
Lord-Wingersky recursion over the synthetic latent distribution. Data: K&B
chapter 6 item parameters (tests/equating/reference/kb_irt_common_items.csv).
No published equated scores for this data are reproduced here (K&B's tables
use D = 1.7 and their own scale constants); the tests derive expectations by
independent routes instead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq
from scipy.special import expit
from scipy.stats import norm

from pvcal._validation import DataError, PvcalError
from pvcal.equating.irt import observed_score, tcc, true_score
from pvcal.equating.linking import Linking, link

REF = Path(__file__).parent / "reference"


def _kb_forms():
    df = pd.read_csv(REF / "kb_irt_common_items.csv")

    def frame(form):
        d = df[df["form"] == form]
        ids = [f"C{i}" if c else f"{form}-{i}" for i, c in zip(d["item"], d["common"], strict=True)]
        return pd.DataFrame(d[["a", "b", "c"]].to_numpy(float), index=ids, columns=["a", "b", "c"])

    return frame("Y_old"), frame("X_new")


def _mixed(seed):
    rng = np.random.default_rng(seed)
    rows = [
        {"model": "3PL", "a": rng.uniform(0.7, 1.8), "b": rng.normal(), "c": 0.2} for _ in range(8)
    ]
    rows += [
        {
            "model": "GRM",
            "a": rng.uniform(0.7, 1.8),
            **dict(zip(["b1", "b2", "b3"], np.sort(rng.normal(size=3)), strict=True)),
        }
        for _ in range(3)
    ]
    rows += [
        {"model": "GPCM", "a": rng.uniform(0.7, 1.8), "b1": rng.normal(), "b2": rng.normal()}
        for _ in range(2)
    ]
    return pd.DataFrame(rows, index=[f"{seed}-{j}" for j in range(len(rows))])


def test_true_score_matches_brute_force_root_finding():
    # Independent route: scipy brentq on the 3PL TCC written out by hand.
    """Independent route: IRT true-score equating of the Kolen & Brennan ch. 6 forms equals scipy
    brentq on the hand-written 3PL TCCs, θ and y-equivalents to 1e-8."""
    base, new = _kb_forms()
    lk = link(base, new, method="stocking-lord")
    eq = true_score(new, base, link=lk)
    xa = new["a"].to_numpy() / lk.A
    xb = lk.A * new["b"].to_numpy() + lk.B
    xc = new["c"].to_numpy()

    def tau(a, b, c, t):
        return float(np.sum(c + (1 - c) * expit(a * (t - b))))

    for x in (8, 15, 22, 30, 35):
        th = brentq(lambda t, x=x: tau(xa, xb, xc, t) - x, -30, 30, xtol=1e-13)
        y = tau(base["a"].to_numpy(), base["b"].to_numpy(), base["c"].to_numpy(), th)
        assert eq.table.loc[x, "theta"] == pytest.approx(th, abs=1e-8)
        assert eq.table.loc[x, "y_equiv"] == pytest.approx(y, abs=1e-8)


def test_true_score_guessing_floor_rule_and_maximum():
    # K&B (2014) section 6.7: scores <= Σc_X interpolated from (0,0) to (Σc_X, Σc_Y).
    """Kolen & Brennan (2014) section 6.7: scores up to Σc_X are interpolated linearly from (0,
    0) to (Σc_X, Σc_Y), the maximum maps to the maximum, equivalents increase."""
    base, new = _kb_forms()
    eq = true_score(new, base)
    scx, scy = new["c"].sum(), base["c"].sum()
    assert eq.settings["sum_c_x"] == pytest.approx(scx)
    for x in range(0, int(np.floor(scx)) + 1):
        assert eq.table.loc[x, "y_equiv"] == pytest.approx(x * scy / scx)
        assert np.isnan(eq.table.loc[x, "theta"])
    assert eq.table.loc[36, "y_equiv"] == 36
    assert np.all(np.diff(eq.table["y_equiv"]) > 0)


def test_true_score_same_form_is_identity_with_polytomous_items():
    """True-score equating of a mixed 3PL/GRM/GPCM form to itself is the identity; maximum score
    8 + 9 + 4 by hand."""
    items = _mixed(1)
    eq = true_score(items, items)
    np.testing.assert_allclose(eq.table["y_equiv"], eq.table.index, atol=1e-8)
    assert eq.settings["max_x"] == 8 + 3 * 3 + 2 * 2


def test_true_score_is_symmetric_above_floor():
    """Above the guessing floor true-score equating inverts (Y->X undoes X->Y to 0.05), and
    τ_X(θ(x)) = x exactly."""
    x_items, y_items = _mixed(2), _mixed(3)
    fwd = true_score(x_items, y_items)
    bwd = true_score(y_items, x_items)
    inner = fwd.table.dropna(subset=["theta"])
    back = np.interp(inner["y_equiv"], bwd.table.index, bwd.table["y_equiv"])
    # piecewise interpolation of the inverse: close, not exact
    assert np.max(np.abs(back - inner.index)) < 0.05
    # exact check through θ: τ_X(θ(x)) = x
    th = inner["theta"].to_numpy()
    np.testing.assert_allclose(tcc(x_items, th), inner.index, atol=1e-8)


def test_link_argument_equals_transforming_first():
    """Passing link= equals transforming the new items first (θ* = Aθ + B), and the link is
    recorded."""
    base, new = _kb_forms()
    lk = Linking(A=1.1, B=-0.4, method="given")
    a = true_score(new, base, link=lk)
    b = true_score(lk.transform(new), base)
    np.testing.assert_allclose(a.table["y_equiv"], b.table["y_equiv"])
    assert a.settings["link"]["A"] == 1.1


def test_observed_score_distribution_is_lord_wingersky_mixture():
    # f_s(x) = Σ_q ψ_s(q) P(x | θ_q): checked against a Monte Carlo of the 2PL.
    """Lord-Wingersky recursion: f(x) = Σ_q ψ(q) P(x | θ_q) matches a 200,000-person Monte Carlo
    of the 2PL to 4e-3; a form equated to itself is the identity."""
    items = pd.DataFrame({"a": [1.0, 1.5, 0.8], "b": [-0.5, 0.3, 1.0]}, index=list("ABC"))
    eq = observed_score(items, items, w=0.5)
    rng = np.random.default_rng(0)
    th = rng.normal(size=200_000)
    p = expit(items["a"].to_numpy() * (th[:, None] - items["b"].to_numpy()))
    sims = (rng.random(p.shape) < p).sum(1)
    freq = np.bincount(sims, minlength=4) / sims.size
    np.testing.assert_allclose(eq.table["f_x"], freq, atol=4e-3)
    np.testing.assert_allclose(eq.table["y_equiv"], eq.table.index, atol=1e-9)


def test_observed_score_matches_y_moments_and_uses_weights():
    """IRT observed-score equating (Kolen & Brennan 2014, section 6.8) reproduces the synthetic Y
    mean and SD to 0.02; the synthetic weight w changes f_x and is recorded."""
    base, new = _kb_forms()
    lk = link(base, new, method="haebara")
    nodes = np.linspace(-5, 5, 41)
    eq = observed_score(
        new,
        base,
        link=lk,
        latent_x=(nodes, norm.pdf(nodes, 0.3, 1.1)),
        latent_y=(nodes, norm.pdf(nodes)),
        w=0.5,
    )
    m = eq.moments
    assert m.loc["y_equiv(x)", "mean"] == pytest.approx(m.loc["y (synthetic)", "mean"], abs=0.02)
    assert m.loc["y_equiv(x)", "sd"] == pytest.approx(m.loc["y (synthetic)", "sd"], abs=0.02)
    other = observed_score(
        new,
        base,
        link=lk,
        latent_x=(nodes, norm.pdf(nodes, 0.3, 1.1)),
        latent_y=(nodes, norm.pdf(nodes)),
        w=1.0,
    )
    assert other.w == 1.0 and eq.settings["w"] == 0.5
    assert not np.allclose(other.table["f_x"], eq.table["f_x"])
    assert np.all(np.diff(eq.table["y_equiv"]) > 0)


def test_observed_score_uses_calibration_latent_distribution():
    """Calibrations' latent quadratures, linked, give the same equating as passing the
    transformed nodes and weights by hand."""
    base, new = _kb_forms()

    class Cal:
        def __init__(self, items, mean):
            self.items = items
            nodes = np.linspace(-5, 5, 31)
            self.quadrature = (nodes, norm.pdf(nodes, mean, 1.0))

    lk = Linking(A=1.0, B=0.5, method="given")
    eq = observed_score(Cal(new, 0.0), Cal(base, 0.5), link=lk)
    nodes = np.linspace(-5, 5, 31)
    ref = observed_score(
        lk.transform(new),
        base,
        latent_x=(nodes + 0.5, norm.pdf(nodes)),
        latent_y=(nodes, norm.pdf(nodes, 0.5, 1.0)),
    )
    np.testing.assert_allclose(eq.table["y_equiv"], ref.table["y_equiv"], atol=1e-12)
    assert eq.settings["latent_x"] == "calibration (linked)"


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_irt_equating_monotone_and_in_range(seed):
    """Property (hypothesis): true-score and observed-score equivalents increase and stay within
    -0.5..max + 0.5 on mixed-format forms."""
    x_items, y_items = _mixed(seed), _mixed(seed + 1)
    for eq in (true_score(x_items, y_items), observed_score(x_items, y_items)):
        ye = eq.table["y_equiv"].to_numpy()
        assert np.all(np.diff(ye) > 0)
        assert ye.min() >= -0.5 and ye.max() <= eq.table.index.max() + 0.5


def test_bad_input():
    """Misuse is refused by name: a link that is not a Linking, D <= 0, w outside [0, 1], latent
    nodes and weights of different lengths, items without the slope column."""
    base, new = _kb_forms()
    with pytest.raises(PvcalError, match="link must be a pvcal Linking"):
        true_score(new, base, link=(1.0, 0.0))
    with pytest.raises(PvcalError, match="D must be"):
        true_score(new, base, D=0)
    with pytest.raises(PvcalError, match="w must lie"):
        observed_score(new, base, w=-0.1)
    with pytest.raises(PvcalError, match="latent_x: 3 nodes but 2 weights"):
        observed_score(new, base, latent_x=([0, 1, 2], [1, 1]))
    with pytest.raises(DataError, match="slope column 'a'"):
        true_score(new.drop(columns="a"), base)
