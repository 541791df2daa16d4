"""Tests of observed-score equating (pvcal.equating.observed).

Reference numbers (data sets in tests/equating/reference/, with their published sources):

* actmath.csv - Kolen & Brennan (2014), *Test Equating, Scaling, and Linking*,
  ACT Mathematics forms X and Y, random groups. Unsmoothed equipercentile X->Y,
  K&B Table 2.7: 1 -> 0.9796, 20 -> 19.1647, 40 -> 39.9006; mean equating
  intercept -0.8726 (K&B chapter 2).
* kbneat.csv - Kolen & Brennan (2014) NEAT example (36 items, internal
  12-item anchor), w = 0.5, K&B chapter 4: Tucker slope 1.0292, intercept
  0.5378; Levine observed 1.0110, 0.2514; chained linear 1.0213, 0.3937.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pvcal
from pvcal._validation import DataError, PvcalError
from pvcal.equating.observed import (
    equate,
    equipercentile_function,
    kernel_pdf,
    loglinear_smooth,
    moments,
    percentile_inverse,
    percentile_rank,
)

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def actmath():
    d = pd.read_csv(REF / "actmath.csv")
    fx = pd.Series(d["xcount"].to_numpy(), index=d["scale"].to_numpy())
    fy = pd.Series(d["ycount"].to_numpy(), index=d["scale"].to_numpy())
    return fx, fy


@pytest.fixture(scope="module")
def kbneat():
    d = pd.read_csv(REF / "kbneat.csv")
    X, Y = d[d["form"] == "X"], d[d["form"] == "Y"]
    return (
        X["total"].to_numpy(),
        X["anchor"].to_numpy(),
        Y["total"].to_numpy(),
        Y["anchor"].to_numpy(),
    )


# --- published results -------------------------------------------------------------


def test_actmath_equipercentile_kb_table_2_7(actmath):
    # Kolen & Brennan (2014) Table 2.7, unsmoothed equipercentile, to 1e-3.
    """Kolen & Brennan (2014) Table 2.7, ACT Mathematics random groups: unsmoothed equipercentile
    X->Y gives 1 -> 0.9796, 20 -> 19.1647, 40 -> 39.9006 (to 1e-3)."""
    fx, fy = actmath
    eq = equate(fx, fy, method="equipercentile")
    assert eq.table.loc[1, "y_equiv"] == pytest.approx(0.9796, abs=1e-3)
    assert eq.table.loc[20, "y_equiv"] == pytest.approx(19.1647, abs=1e-3)
    assert eq.table.loc[40, "y_equiv"] == pytest.approx(39.9006, abs=1e-3)
    assert eq.slope is None and list(eq.table.index) == list(range(41))


def test_actmath_mean_equating_intercept(actmath):
    # Kolen & Brennan (2014) chapter 2: mean equating intercept -0.8726.
    """Kolen & Brennan (2014) ch. 2, ACT Mathematics: mean equating has slope 1 and intercept
    -0.8726, from frequency tables and from raw scores alike."""
    fx, fy = actmath
    eq = equate(fx, fy, method="mean")
    assert eq.slope == 1.0
    assert eq.intercept == pytest.approx(-0.8726, abs=1e-4)
    raw_x = np.repeat(fx.index.to_numpy(), fx.to_numpy())  # raw scores give the same
    raw_y = np.repeat(fy.index.to_numpy(), fy.to_numpy())
    assert equate(raw_x, raw_y, method="mean").intercept == pytest.approx(eq.intercept)


@pytest.mark.parametrize(
    "method, slope, intercept",
    [
        ("tucker", 1.0292, 0.5378),
        ("levine", 1.0110, 0.2514),
        ("chained-linear", 1.0213, 0.3937),
    ],
)
def test_kbneat_linear_methods_kb_chapter_4(kbneat, method, slope, intercept):
    # Kolen & Brennan (2014) chapter 4, w1 = w2 = 0.5, population moments.
    """Kolen & Brennan (2014) ch. 4 NEAT example (internal 12-item anchor, w = 0.5): Tucker
    1.0292/0.5378, Levine 1.0110/0.2514, chained linear 1.0213/0.3937."""
    x, vx, y, vy = kbneat
    eq = equate(x, y, method=method, anchor=(vx, vy), w=0.5)
    assert eq.slope == pytest.approx(slope, abs=1e-4)
    assert eq.intercept == pytest.approx(intercept, abs=1e-4)
    assert eq.settings["anchor"] == "internal" and eq.w == 0.5
    np.testing.assert_allclose(eq.table["y_equiv"], slope * eq.table.index + intercept, atol=2e-3)


def test_kb_hypothetical_example_chapter_2():
    # K&B (2014) chapter 2 hypothetical 0-4 example: cumulative proportions
    # X .2 .5 .7 .9 1, Y .1 .3 .5 .8 1 give 0.5, 1.75, 2.8333, 3.5, 4.25.
    """Kolen & Brennan (2014) ch. 2 hypothetical 0-4 example: the equipercentile function gives
    0.5, 1.75, 2.8333, 3.5, 4.25."""
    s = np.arange(5)
    px = np.diff(np.r_[0, 0.2, 0.5, 0.7, 0.9, 1.0])
    py = np.diff(np.r_[0, 0.1, 0.3, 0.5, 0.8, 1.0])
    np.testing.assert_allclose(
        equipercentile_function(s, px, s, py), [0.5, 1.75, 2.8333, 3.5, 4.25], atol=1e-4
    )


# --- standard errors -----------------------------------------------------------------


def test_equipercentile_analytic_se_agrees_with_bootstrap(actmath):
    # K&B (2014) eq. 7.12 against 1000 bootstrap replications, mid-range scores.
    """The delta-method SE of equipercentile equating (Kolen & Brennan 2014, ch. 7) agrees with
    1000 bootstrap replications within 20 % at mid-range ACT Mathematics scores."""
    fx, fy = actmath
    analytic = equate(fx, fy, method="equipercentile")
    boot = equate(fx, fy, method="equipercentile", se="bootstrap", n_boot=1000, seed=11)
    mid = slice(8, 35)
    ratio = boot.table["se"].loc[mid] / analytic.table["se"].loc[mid]
    assert ratio.between(0.8, 1.25).all()
    assert abs(ratio.median() - 1) < 0.1
    assert boot.settings["n_boot"] == 1000 and boot.settings["seed"] == 11


def test_linear_analytic_se_agrees_with_bootstrap():
    """Simulated binomial scores: the delta-method SEs of mean and linear equating (Kolen &
    Brennan 2014, ch. 7) agree with the bootstrap within 20 %."""
    rng = np.random.default_rng(3)
    x = rng.binomial(40, 0.55, 3000)
    y = rng.binomial(40, 0.6, 3000)
    for method in ("mean", "linear"):
        a = equate(x, y, method=method)
        b = equate(x, y, method=method, se="bootstrap", n_boot=600, seed=1)
        ratio = b.table["se"].loc[10:35] / a.table["se"].loc[10:35]
        assert ratio.between(0.8, 1.25).all(), method


def test_bootstrap_is_seeded(kbneat):
    """DESIGN.md conventions: the same seed gives bit-identical bootstrap SEs, another seed
    different ones."""
    x, vx, y, vy = kbneat
    kw = dict(method="tucker", anchor=(vx, vy), se="bootstrap", n_boot=50)
    a, b = equate(x, y, seed=5, **kw), equate(x, y, seed=5, **kw)
    c = equate(x, y, seed=6, **kw)
    np.testing.assert_array_equal(a.table["se"], b.table["se"])
    assert not np.array_equal(a.table["se"], c.table["se"])


@pytest.mark.parametrize(
    "method",
    ["levine", "levine-true", "chained-linear", "frequency-estimation", "chained-equipercentile"],
)
def test_every_neat_method_has_bootstrap_se(kbneat, method):
    """Every NEAT method (Levine, chained, frequency estimation; Kolen & Brennan 2014 ch. 4-5)
    gives finite, positive bootstrap and delta-method SEs on the K&B NEAT example."""
    x, vx, y, vy = kbneat
    eq = equate(x, y, method=method, anchor=(vx, vy), se="bootstrap", n_boot=30, seed=1)
    se = eq.table["se"].loc[5:30]
    assert np.all(np.isfinite(se)) and np.all(se > 0) and np.all(se < 2)
    # every NEAT method also has delta-method SEs (tests/equating/test_neat_se.py)
    analytic = equate(x, y, method=method, anchor=(vx, vy), se="analytic").table["se"]
    assert np.all(np.isfinite(analytic.loc[5:30]))


# --- NEAT equipercentile -----------------------------------------------------------


def test_frequency_estimation_close_to_tucker_and_chained(kbneat):
    # Sanity across methods (K&B ch. 5: FE and chained results lie near the
    # linear ones for this example) and presmoothing is recorded.
    """Kolen & Brennan (2014) ch. 5: on their NEAT example, presmoothed frequency-estimation and
    chained equipercentile lie within 1 point of Tucker and increase."""
    x, vx, y, vy = kbneat
    tucker = equate(x, y, method="tucker", anchor=(vx, vy))
    for method in ("frequency-estimation", "chained-equipercentile"):
        eq = equate(x, y, method=method, anchor=(vx, vy), presmooth="loglinear", degree=4)
        diff = (eq.table["y_equiv"] - tucker.table["y_equiv"]).loc[5:32]
        assert diff.abs().max() < 1.0
        assert eq.settings["presmoothing"]["degree"] == {"x": 4, "y": 4}
        assert np.all(np.diff(eq.table["y_equiv"]) > 0)


def test_frequency_estimation_with_identical_groups_is_plain_equipercentile():
    # When both groups have the same anchor distribution (here: the same
    # examinees), the conditional distributions reproduce the observed
    # marginals, so FE equals single-group equipercentile equating (K&B ch. 5).
    """Hand derivation (Kolen & Brennan 2014 ch. 5): with the same anchor distribution in both
    groups, frequency estimation equals single-group equipercentile equating."""
    rng = np.random.default_rng(0)
    v = rng.binomial(10, 0.5, 4000)
    x = v + rng.binomial(20, 0.5, 4000)
    y = v + rng.binomial(20, 0.55, 4000)
    fe = equate(x, y, method="frequency-estimation", anchor=(v, v), w=0.5, x_scores=30, y_scores=30)
    sg = equate(x, y, method="equipercentile", design="single-group", x_scores=30, y_scores=30)
    np.testing.assert_allclose(fe.table["y_equiv"], sg.table["y_equiv"], atol=1e-10)


def test_frequency_estimation_gap_needs_presmoothing():
    """An anchor score observed in one group only leaves frequency estimation's conditional
    distribution undefined: a DataError asks for presmoothing."""
    x = np.array([3, 4, 5, 6, 7, 8])
    vx = np.array([1, 1, 2, 2, 3, 3])
    y = np.array([3, 4, 5, 6, 7, 8])
    vy = np.array([1, 1, 2, 2, 4, 4])
    with pytest.raises(DataError, match="anchor score 3 occurs in one group"):
        equate(x, y, method="frequency-estimation", anchor=(vx, vy))


def test_external_anchor_changes_levine_only(kbneat):
    """Kolen & Brennan (2014) ch. 4: Tucker's formulas do not depend on whether the anchor is
    internal or external, Levine's do."""
    x, vx, y, vy = kbneat
    kw = dict(anchor=(vx, vy))
    assert equate(x, y, "tucker", external=True, **kw).slope == pytest.approx(
        equate(x, y, "tucker", **kw).slope
    )
    ext = equate(x, y, "levine", external=True, **kw)
    assert ext.slope != pytest.approx(equate(x, y, "levine", **kw).slope, abs=1e-3)
    assert ext.settings["anchor"] == "external"


# --- presmoothing --------------------------------------------------------------------


def test_loglinear_preserves_moments(actmath):
    # Holland & Thayer (2000): a degree-C log-linear fit keeps C moments.
    """Holland & Thayer (2000): a degree-C log-linear presmoothing keeps the first C moments of
    the ACT Mathematics distribution (mean, sd, skew at C = 3), not the 4th."""
    fx, _ = actmath
    sm = loglinear_smooth(fx, degree=3)
    s = fx.index.to_numpy(float)
    m_obs = moments(s, fx.to_numpy(float) / fx.sum())
    m_fit = moments(s, sm.to_numpy() / sm.sum())
    assert sm.sum() == pytest.approx(fx.sum())
    for k in ("mean", "sd", "skew"):
        assert m_fit[k] == pytest.approx(m_obs[k], rel=1e-6)
    assert m_fit["kurt"] != pytest.approx(m_obs["kurt"], rel=1e-4)
    aic = loglinear_smooth(fx)
    assert 1 <= aic.attrs["degree"] <= 10


def test_presmoothed_equipercentile_close_to_unsmoothed(actmath):
    """Log-linear presmoothing (degree 6) moves the ACT Mathematics equipercentile equivalents by
    less than 0.3 and switches to delta-method SEs over the log-linear parameters."""
    fx, fy = actmath
    raw = equate(fx, fy, "equipercentile")
    sm = equate(fx, fy, "equipercentile", presmooth="loglinear", degree=6)
    assert sm.settings["presmoothing"]["degree_x"] == 6
    assert (sm.table["y_equiv"] - raw.table["y_equiv"]).loc[5:38].abs().max() < 0.3
    # under "auto": delta-method SEs over the log-linear parameters (test_rg_se.py)
    assert sm.settings["se"] == "analytic (delta method, log-linear parameters)"


# --- properties ------------------------------------------------------------------------

counts = st.lists(st.integers(1, 200), min_size=3, max_size=25)


@settings(max_examples=40, deadline=None)
@given(c=counts)
def test_equating_a_form_to_itself_is_identity(c):
    """Property (hypothesis): equating a distribution to itself is the identity for mean, linear
    and equipercentile equating (Kolen & Brennan 2014, ch. 1)."""
    f = pd.Series(c, index=np.arange(len(c)))
    for method in ("mean", "linear", "equipercentile"):
        eq = equate(f, f, method=method)
        np.testing.assert_allclose(eq.table["y_equiv"], f.index.to_numpy(float), atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    cx=st.lists(st.integers(0, 100), min_size=3, max_size=20),
    cy=st.lists(st.integers(0, 100), min_size=3, max_size=30),
)
def test_equipercentile_is_monotone_and_in_range(cx, cy):
    """Property (hypothesis): equipercentile equivalents never decrease and stay within -0.5..max
    + 0.5 of the Y scale (Kolen & Brennan 2014, ch. 2)."""
    if sum(cx) == 0 or sum(cy) == 0:
        return
    fx = pd.Series(cx, index=np.arange(len(cx)))
    fy = pd.Series(cy, index=np.arange(len(cy)))
    e = equate(fx, fy, method="equipercentile", se=None)
    ye = e.table["y_equiv"].to_numpy()
    assert np.all(np.diff(ye) >= -1e-12)
    assert ye.min() >= -0.5 and ye.max() <= len(cy) - 0.5


@settings(max_examples=40, deadline=None)
@given(cx=counts, cy=counts)
def test_equipercentile_and_linear_are_symmetric(cx, cy):
    # e_X(e_Y(x)) = x for distributions without zero frequencies (K&B ch. 1
    # symmetry property); the linear function's inverse is the Y->X function.
    """Property (hypothesis): the symmetry property of Kolen & Brennan (2014) ch. 1: e_X(e_Y(x))
    = x without zero frequencies, and the linear Y->X function inverts X->Y."""
    xs, ys = np.arange(len(cx)), np.arange(len(cy))
    px, py = np.array(cx) / sum(cx), np.array(cy) / sum(cy)
    ey = equipercentile_function(xs, px, ys, py)
    np.testing.assert_allclose(equipercentile_function(ys, py, xs, px, x=ey), xs, atol=1e-9)
    fx, fy = pd.Series(cx, index=xs), pd.Series(cy, index=ys)
    fwd, bwd = equate(fx, fy, "linear"), equate(fy, fx, "linear")
    assert fwd.slope * bwd.slope == pytest.approx(1.0)
    assert bwd(fwd(xs)) == pytest.approx(xs)


def test_tucker_is_symmetric_with_swapped_weights(kbneat):
    """Tucker equating Y->X with the weights swapped (0.7 for 0.3) is the inverse of X->Y (Kolen
    & Brennan 2014, ch. 4)."""
    x, vx, y, vy = kbneat
    fwd = equate(x, y, "tucker", anchor=(vx, vy), w=0.3)
    bwd = equate(y, x, "tucker", anchor=(vy, vx), w=0.7)
    assert fwd.slope * bwd.slope == pytest.approx(1.0)
    assert bwd.intercept == pytest.approx(-fwd.intercept / fwd.slope)


# --- edge cases ------------------------------------------------------------------------


def test_zero_frequencies_use_upper_inverse():
    # Score 2 of X has zero frequency: its percentile rank is flat, and the
    # equivalent stays inside the score range (K&B eq. 2.14, 2.18).
    """Kolen & Brennan (2014) ch. 2 percentile rank and inverse by hand: a zero-frequency score
    keeps rank 50 and P = 100 maps to 4.5; equivalents stay finite."""
    fx = pd.Series([5, 10, 0, 10, 5], index=range(5))
    fy = pd.Series([5, 10, 10, 10, 5], index=range(5))
    e = equate(fx, fy, "equipercentile")
    assert np.all(np.isfinite(e.table["y_equiv"]))
    assert percentile_rank(np.arange(5), fx.to_numpy() / 30, [2.0])[0] == pytest.approx(50.0)
    assert percentile_inverse(np.arange(5), fy.to_numpy() / 40, [100.0])[0] == 4.5


def test_forms_of_different_length():
    """Forms of 30 and 45 items: the table covers 0..30, stays on the Y scale, keeps Y's mean;
    the linear slope is the ratio of population SDs (ddof = 0)."""
    rng = np.random.default_rng(2)
    x = rng.binomial(30, 0.6, 5000)
    y = rng.binomial(45, 0.6, 5000)
    e = equate(x, y, "equipercentile", x_scores=30, y_scores=45)
    assert list(e.table.index) == list(range(31))
    assert e.table["y_equiv"].max() <= 45.5
    px = np.bincount(x, minlength=31) / x.size
    assert e.table["y_equiv"].to_numpy() @ px == pytest.approx(y.mean(), abs=0.05)
    lin = equate(x, y, "linear")
    assert lin.slope == pytest.approx(y.std() / x.std())  # population moments, ddof = 0


def test_population_moments_not_sample_moments():
    """Hand case: y = 2x gives slope 2, and the reported SD is the population SD (ddof = 0, as
    Kolen & Brennan 2014 use)."""
    x = np.array([0, 1, 2, 3])
    y = np.array([0, 2, 4, 6])
    e = equate(x, y, "linear", x_scores=6, y_scores=6)
    assert e.slope == pytest.approx(2.0)
    m = e.moments.loc["x"]
    assert m["sd"] == pytest.approx(np.std(x))  # ddof = 0


def test_single_group_design_bootstraps_pairs():
    """The single-group design bootstraps (x, y) pairs, so its SE is well below the random-groups
    SE for correlated scores; no analytic SE is offered for it."""
    rng = np.random.default_rng(4)
    t = rng.normal(size=2000)
    x = np.clip(np.round(20 + 5 * t + rng.normal(size=2000)), 0, 40).astype(int)
    y = np.clip(np.round(22 + 5 * t + rng.normal(size=2000)), 0, 40).astype(int)
    sg = equate(x, y, "linear", design="single-group", se="bootstrap", n_boot=200, seed=1)
    rg = equate(x, y, "linear", se="bootstrap", n_boot=200, seed=1)
    # paired data: the single-group SE is much smaller than the random-groups one
    assert (sg.table["se"].loc[15:25] < 0.6 * rg.table["se"].loc[15:25]).all()
    assert sg.design == "single-group"
    with pytest.raises(PvcalError, match="no analytic"):
        equate(x, y, "linear", design="single-group", se="analytic")


def test_result_presentation(actmath):
    """The Equating result: JSON table and method, summary text/HTML, a plot, calling it at a
    score, and the pvcal.equate alias (DESIGN.md public API)."""
    import matplotlib

    matplotlib.use("Agg")
    fx, fy = actmath
    eq = equate(fx, fy, "equipercentile")
    d = json.loads(eq.to_json())
    assert d["table"]["x"][:3] == [0, 1, 2] and d["method"] == "equipercentile"
    assert "equating table" in eq.summary().as_text()
    assert "<table" in eq.summary().as_html()
    assert eq.plot() is not None
    assert eq(20.0) == pytest.approx(eq.table.loc[20, "y_equiv"])
    assert isinstance(pvcal.equate(fx, fy, method="mean"), pvcal.Equating)


# --- bad input -------------------------------------------------------------------------


def test_negative_counts_rejected():
    """DESIGN.md validation: a negative frequency is a DataError naming the score."""
    with pytest.raises(DataError, match="negative or missing count -3.0 at score 2"):
        equate(pd.Series([1, 2, -3], index=[0, 1, 2]), pd.Series([1, 2, 3], index=[0, 1, 2]))


def test_nan_scores_rejected():
    """DESIGN.md conventions: missing or non-integer raw scores are DataErrors with the count or
    value."""
    with pytest.raises(DataError, match="x has 1 missing or non-finite score"):
        equate(np.array([1.0, np.nan, 3.0]), np.array([1, 2, 3]))
    with pytest.raises(DataError, match="non-integer score 1.5"):
        equate(np.array([1.5, 2, 3]), np.array([1, 2, 3]))


def test_scores_outside_declared_range():
    """A score above the declared maximum is a DataError naming the range."""
    with pytest.raises(DataError, match="outside the declared score range 0..3"):
        equate(np.array([0, 2, 5]), np.array([1, 2, 3]), x_scores=3)


def test_neat_input_errors(kbneat):
    """NEAT misuse is refused: anchor length mismatch, NEAT method without an anchor, random-
    groups method with one, w outside [0, 1], anchor above the total, unknown method."""
    x, vx, y, vy = kbneat
    with pytest.raises(DataError, match="anchor vx has 3 scores"):
        equate(x, y, "tucker", anchor=(vx[:3], vy))
    with pytest.raises(PvcalError, match="NEAT method"):
        equate(x, y, "tucker")
    with pytest.raises(PvcalError, match="random or single groups"):
        equate(x, y, "equipercentile", anchor=(vx, vy))
    with pytest.raises(PvcalError, match="w must lie"):
        equate(x, y, "tucker", anchor=(vx, vy), w=1.5)
    with pytest.raises(DataError, match="above the total"):
        equate(x, y, "tucker", anchor=(vx + 30, vy))
    with pytest.raises(PvcalError, match="method="):
        equate(x, y, "circle-arc")


# --- kernel equating ---------------------------------------------------------------


def test_kernel_continuisation_keeps_mean_and_variance(actmath):
    # von Davier, Holland & Thayer (2004), eq. 4.8-4.9: the Gaussian-kernel
    # continuisation has the discrete distribution's mean and variance.
    """von Davier, Holland & Thayer (2004) ch. 4: the Gaussian-kernel continuisation integrates
    to 1 and keeps the discrete distribution's mean and variance (numerical integration)."""
    fx, _ = actmath
    s = fx.index.to_numpy(float)
    p = fx.to_numpy(float) / fx.sum()
    t = np.linspace(-15, 55, 20001)
    dens = kernel_pdf(s, p, 0.8, t)
    dt = t[1] - t[0]
    m = moments(s, p)
    assert np.sum(dens) * dt == pytest.approx(1.0, abs=1e-6)
    mean = np.sum(t * dens) * dt
    assert mean == pytest.approx(m["mean"], abs=1e-6)
    assert np.sqrt(np.sum((t - mean) ** 2 * dens) * dt) == pytest.approx(m["sd"], abs=1e-6)


def test_kernel_large_bandwidth_is_linear_and_small_near_equipercentile(actmath):
    # von Davier et al. (2004) section 4.1: h -> infinity gives linear equating.
    """von Davier, Holland & Thayer (2004) section 4.1: a huge bandwidth gives linear equating;
    the PEN1-selected one stays within 0.05 of equipercentile."""
    fx, fy = actmath
    lin = equate(fx, fy, "linear")
    wide = equate(fx, fy, "kernel", bandwidth=1000.0)
    np.testing.assert_allclose(wide.table["y_equiv"], lin.table["y_equiv"], atol=1e-5)
    ker = equate(fx, fy, "kernel", presmooth="loglinear", degree=6)
    eqp = equate(fx, fy, "equipercentile", presmooth="loglinear", degree=6)
    diff = (ker.table["y_equiv"] - eqp.table["y_equiv"]).loc[8:36].abs()
    assert diff.max() < 0.05
    bw = ker.settings["bandwidth"]
    assert 0.1 < bw["h_x"] < 2 and bw["selected_by"].startswith("PEN1")
    assert np.all(np.diff(ker.table["y_equiv"]) > 0)


def test_kernel_identity_and_bootstrap():
    """Kernel equating of a form to itself is the identity; its bootstrap SEs are finite and
    positive; a negative bandwidth is refused."""
    f = pd.Series([3, 8, 15, 20, 14, 9, 4], index=range(7))
    eq = equate(f, f, "kernel")
    np.testing.assert_allclose(eq.table["y_equiv"], np.arange(7), atol=1e-8)
    b = equate(f * 20, f * 20, "kernel", se="bootstrap", n_boot=40, seed=3)
    assert np.all(np.isfinite(b.table["se"])) and np.all(b.table["se"] > 0)
    assert b.settings["bandwidth"]["h_x"] == pytest.approx(eq.settings["bandwidth"]["h_x"])
    with pytest.raises(PvcalError, match="bandwidth must be > 0"):
        equate(f, f, "kernel", bandwidth=-1)
