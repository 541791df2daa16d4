"""Delta-method standard errors of the NEAT linear equating methods.

The analytic SEs (pvcal.equating.observed._se_linear_neat) follow the delta
method of Kolen & Brennan (2014), *Test Equating, Scaling, and Linking* (3rd
ed.), section 7.3, and Braun & Holland (1982) for linear equating: the equating
function is a smooth function of the ten group moments, whose sampling
covariance is estimated from per-person influence values. K&B (2014, ch. 7)
recommend checking such SEs against the bootstrap (section 7.2), which is what
these tests do; there is no published table of NEAT delta-method SEs for the
K&B example to test against.

The NEAT equipercentile SEs (frequency estimation, chained equipercentile;
_se_equipercentile_neat and _se_equipercentile_neat_smoothed) are the
multinomial delta method of Holland, King & Thayer (1989) and von Davier,
Holland & Thayer (2004, ch. 5), the idea Jarjoura & Kolen (1985) used for
frequency estimation: e(x) as a function of the two (total × anchor) tables
(or of the log-linear parameters when presmoothed). They too are checked
against the bootstrap, for which no published NEAT table exists either.

Data: tests/equating/reference/kbneat.csv, the Kolen & Brennan (2014) chapter 4
NEAT example (36 items, internal 12-item anchor; N = 1655 and 1638), whose
published Tucker / Levine / chained constants are tested in test_observed.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pvcal._validation import DataError, PvcalError
from pvcal.equating.observed import (
    NEAT_MOMENTS,
    _joint,
    _linear_neat_constants,
    _neat_equipercentile_tables,
    _neat_linear,
    _neat_moments,
    _se_equipercentile_neat,
    _se_linear_neat,
    equate,
)

REF = Path(__file__).parent / "reference"
LINEAR = ["tucker", "levine", "levine-true", "chained-linear"]
EQUIPERCENTILE = ["frequency-estimation", "chained-equipercentile"]


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


def _simulate(rng, n1, n2):
    """Normal-ish NEAT data: internal anchor, group 2 abler by 0.3 SD."""

    def group(n, mu, unique_mean):
        theta = rng.normal(mu, 1.0, n)
        v = np.clip(np.round(6 + 2.0 * theta + rng.normal(0, 1.0, n)), 0, 12)
        u = np.clip(np.round(unique_mean + 4.0 * theta + rng.normal(0, 2.0, n)), 0, 24)
        return (u + v).astype(int), v.astype(int)

    x, vx = group(n1, 0.0, 12.0)
    y, vy = group(n2, 0.3, 13.0)
    return x, vx, y, vy


# --- against the bootstrap -----------------------------------------------------------


@pytest.mark.parametrize("method", LINEAR)
def test_kbneat_analytic_se_agrees_with_bootstrap(kbneat, method):
    # K&B (2014) ch. 7: delta-method SEs against 1000 seeded bootstrap
    # replications (groups resampled separately), within 15 % at x = 10, 20, 30.
    """Kolen & Brennan (2014) ch. 7: delta-method SEs of Tucker, Levine, Levine true-score and
    chained linear agree with 1000 seeded bootstrap replications within 15 % on their ch. 4
    NEAT example."""
    x, vx, y, vy = kbneat
    a = equate(x, y, method=method, anchor=(vx, vy), se="analytic")
    b = equate(x, y, method=method, anchor=(vx, vy), se="bootstrap", n_boot=1000, seed=20)
    pts = [10, 20, 30]
    ratio = b.table["se"].loc[pts] / a.table["se"].loc[pts]
    assert ratio.between(0.85, 1.15).all(), ratio.round(3).tolist()
    assert a.settings["se"].startswith("analytic (delta method")
    assert "n_boot" not in a.settings and a.boot is None
    # the SE is smallest near the (synthetic) mean and grows towards the extremes
    se = a.table["se"]
    assert se.loc[5] > se.loc[18] < se.loc[35]


def test_auto_gives_delta_method_se_and_none_gives_none(kbneat):
    """se='auto' gives the delta-method SEs for NEAT linear methods, se=None none, and the JSON
    table carries one SE per score."""
    x, vx, y, vy = kbneat
    auto = equate(x, y, method="tucker", anchor=(vx, vy))
    analytic = equate(x, y, method="tucker", anchor=(vx, vy), se="analytic")
    np.testing.assert_array_equal(auto.table["se"], analytic.table["se"])
    assert "se" not in equate(x, y, method="tucker", anchor=(vx, vy), se=None).table.columns
    d = auto.to_dict()
    assert len(d["table"]["se"]) == len(d["table"]["x"]) and d["settings"]["se"].startswith(
        "analytic"
    )


# --- against the sampling distribution -------------------------------------------------


def test_analytic_se_matches_empirical_sd_over_simulated_samples():
    # Monte Carlo check of the delta method (K&B 2014, s. 7.3): over 300
    # independent NEAT samples (n = 600 per group), the mean analytic SE of e(x)
    # is within 15 % of the empirical SD of the estimated e(x).
    """Monte Carlo check of the delta method (Kolen & Brennan 2014, ch. 7): over 300 simulated
    NEAT samples the mean analytic SE is within 15 % of the empirical SD of e(x)."""
    rng = np.random.default_rng(2024)
    pts = np.array([10, 20, 30])
    reps = 300
    est = {m: np.empty((reps, pts.size)) for m in LINEAR}
    ses = {m: np.empty((reps, pts.size)) for m in LINEAR}
    for r in range(reps):
        x, vx, y, vy = _simulate(rng, 600, 600)
        for m in LINEAR:  # the code path of equate(..., se="analytic"), without the frames
            slope, icpt, _ = _neat_linear(m, x, vx, y, vy, 0.5, False)
            est[m][r] = slope * pts + icpt
            ses[m][r] = _se_linear_neat(m, x, vx, y, vy, 0.5, False, pts)
    for m in LINEAR:
        ratio = ses[m].mean(axis=0) / est[m].std(axis=0, ddof=1)
        assert np.all(np.abs(ratio - 1) < 0.15), (m, ratio.round(3))


def test_analytic_se_shrinks_like_one_over_root_n():
    # Quadrupling both groups halves the SE (asymptotic variance ~ 1/n).
    """Asymptotic theory: 4x larger independent samples halve the linear NEAT SEs, and the same
    data replicated 4 times give exactly half."""
    rng = np.random.default_rng(7)
    small = _simulate(rng, 2500, 2200)
    big = _simulate(rng, 10000, 8800)
    for m in LINEAR:
        se_s = equate(small[0], small[2], m, anchor=(small[1], small[3]), x_scores=36).se
        se_b = equate(big[0], big[2], m, anchor=(big[1], big[3]), x_scores=36).se
        ratio = (se_b / se_s).loc[[10, 20, 30]]
        assert np.all(np.abs(ratio - 0.5) < 0.05), (m, ratio.round(3).tolist())
    # the same data repeated four times: exactly half (same moments, n x 4)
    x, vx, y, vy = small
    once = equate(x, y, "levine", anchor=(vx, vy)).se
    four = equate(np.tile(x, 4), np.tile(y, 4), "levine", anchor=(np.tile(vx, 4), np.tile(vy, 4)))
    np.testing.assert_allclose(four.se, 0.5 * once, rtol=1e-6)


# --- the moment map --------------------------------------------------------------------


def test_moment_map_reproduces_published_constants(kbneat):
    # K&B (2014) ch. 4 constants (w = 0.5) from the pure moment -> (slope,
    # intercept) map used by both the estimate and the SE.
    """Kolen & Brennan (2014) ch. 4 NEAT constants (w = 0.5: Tucker 1.0292/0.5378, Levine
    1.0110/0.2514, chained 1.0213/0.3937) from the moment map the SE differentiates."""
    x, vx, y, vy = kbneat
    m = _neat_moments(x, vx, y, vy)
    assert m.size == len(NEAT_MOMENTS)
    assert m[0] == pytest.approx(np.mean(x)) and m[2] == pytest.approx(np.var(x))
    for method, slope, icpt in [
        ("tucker", 1.0292, 0.5378),
        ("levine", 1.0110, 0.2514),
        ("chained-linear", 1.0213, 0.3937),
    ]:
        a, b, _ = _linear_neat_constants(m, method, 0.5, False)
        assert (a, b) == pytest.approx((slope, icpt), abs=1e-4)


def test_chained_linear_se_does_not_depend_on_w(kbneat):
    # chained linear does not use the synthetic population (K&B 2014, s. 4.3)
    """Kolen & Brennan (2014) ch. 4: chained linear equating uses no synthetic population, so its
    SE is the same for w = 0.5 and 0.9 while Tucker's changes."""
    x, vx, y, vy = kbneat
    a = equate(x, y, "chained-linear", anchor=(vx, vy), w=0.5).se
    b = equate(x, y, "chained-linear", anchor=(vx, vy), w=0.9).se
    np.testing.assert_allclose(a, b, rtol=1e-6)
    t5 = equate(x, y, "tucker", anchor=(vx, vy), w=0.5).se
    t9 = equate(x, y, "tucker", anchor=(vx, vy), w=0.9).se
    assert not np.allclose(t5, t9, rtol=1e-3)


# --- bad input -------------------------------------------------------------------------


def test_constant_anchor_rejected():
    """A constant anchor gives no regression on it: the analytic SE refuses it with a DataError."""
    x = np.array([5, 6, 7, 8])
    y = np.array([5, 7, 8, 9])
    v = np.array([2, 2, 2, 2])
    with pytest.raises(DataError, match="anchor scores with positive variance"):
        equate(x, y, "tucker", anchor=(v, v), se="analytic")


def test_external_anchor_levine_se_agrees_with_bootstrap(kbneat):
    # Levine with the external-anchor γ (K&B 2014, ch. 4) goes through the
    # same moment map; treating the KBneat anchor as external, check vs bootstrap.
    """Levine with the external-anchor γ (Kolen & Brennan 2014, ch. 4): the delta-method SE
    agrees with 600 bootstrap replications within 15 %."""
    x, vx, y, vy = kbneat
    kw = dict(method="levine", anchor=(vx, vy), external=True)
    a = equate(x, y, se="analytic", **kw)
    b = equate(x, y, se="bootstrap", n_boot=600, seed=3, **kw)
    ratio = (b.se / a.se).loc[[10, 20, 30]]
    assert ratio.between(0.85, 1.15).all(), ratio.round(3).tolist()


# --- NEAT equipercentile methods -------------------------------------------------------


@pytest.mark.parametrize("method", EQUIPERCENTILE)
def test_kbneat_equipercentile_analytic_se_agrees_with_bootstrap(kbneat, method):
    # Jarjoura & Kolen (1985), von Davier et al. (2004, ch. 5): the multinomial
    # delta method against 1000 seeded bootstrap replications (groups resampled
    # separately; K&B 2014 s. 7.2), within 20 % at x = 10, 20, 30.
    # Measured ratios bootstrap/analytic: FE 1.020, 1.029, 0.963; CE 0.981, 1.060, 1.036.
    """Multinomial delta method (Jarjoura & Kolen 1985; von Davier, Holland & Thayer 2004, ch. 5)
    for FE and chained equipercentile against 1000 bootstrap replications, within 20 %, on the
    K&B NEAT example."""
    x, vx, y, vy = kbneat
    a = equate(x, y, method=method, anchor=(vx, vy), se="analytic")
    b = equate(x, y, method=method, anchor=(vx, vy), se="bootstrap", n_boot=1000, seed=20)
    pts = [10, 20, 30]
    ratio = b.se.loc[pts] / a.se.loc[pts]
    assert ratio.between(0.8, 1.2).all(), ratio.round(3).tolist()
    # across the well-populated scores the two agree on average too
    mid = (b.se / a.se).loc[8:32]
    assert abs(mid.mean() - 1) < 0.1, mid.round(3).tolist()
    assert a.settings["se"] == "analytic (delta method, multinomial cell proportions)"
    assert "n_boot" not in a.settings and a.boot is None
    # "auto" gives the same numbers; the estimate is unchanged by asking for SEs
    auto = equate(x, y, method=method, anchor=(vx, vy))
    np.testing.assert_array_equal(auto.se, a.se)
    np.testing.assert_array_equal(auto.y_equiv, b.y_equiv)


@pytest.mark.parametrize("method", EQUIPERCENTILE)
def test_equipercentile_se_halves_when_data_replicated_four_times(kbneat, method):
    # Var e(x) ~ 1/N: the same proportions with 4x the persons give half the SE.
    """Var e(x) ~ 1/N: the K&B NEAT data replicated 4 times give half the FE and chained
    equipercentile SEs."""
    x, vx, y, vy = kbneat
    once = equate(x, y, method, anchor=(vx, vy)).se
    four = equate(np.tile(x, 4), np.tile(y, 4), method, anchor=(np.tile(vx, 4), np.tile(vy, 4))).se
    ratio = (four / once).loc[[10, 20, 30]]
    assert np.all(np.abs(ratio - 0.5) < 0.05), ratio.round(4).tolist()
    np.testing.assert_allclose(four.loc[3:35], 0.5 * once.loc[3:35], rtol=1e-4)


def test_equipercentile_se_shrinks_like_one_over_root_n_in_new_samples():
    # Independent samples 4x as large: the SE halves. Pointwise the ratio is
    # noisy (equipercentile SEs follow the local score densities; 0.25-0.72
    # seen over seeds), so the mean ratio over x = 8..30 must lie within 10 %
    # of 0.5 (seed 11: FE 0.517, CE 0.499).
    """Asymptotic theory: independent simulated samples 4x as large halve the equipercentile NEAT
    SEs on average over x = 8..30."""
    rng = np.random.default_rng(11)
    small = _simulate(rng, 2000, 2000)
    big = _simulate(rng, 8000, 8000)
    for m in EQUIPERCENTILE:
        kw = dict(x_scores=36, y_scores=36, v_scores=12)
        se_s = equate(small[0], small[2], m, anchor=(small[1], small[3]), **kw).se
        se_b = equate(big[0], big[2], m, anchor=(big[1], big[3]), **kw).se
        ratio = (se_b / se_s).loc[8:30].mean()
        assert abs(ratio - 0.5) < 0.05, (m, round(ratio, 3))


def test_equipercentile_tables_map_is_the_estimate(kbneat):
    # The pure (table, table) -> e(x) map the SE differentiates is the one the
    # estimate uses, and it reads counts or proportions alike.
    """The (table, table) -> e(x) map the SE differentiates is exactly the estimate, and reads
    counts or proportions alike."""
    x, vx, y, vy = kbneat
    xs, vs = np.arange(37), np.arange(13)
    j1, j2 = _joint(x, vx, xs, vs), _joint(y, vy, xs, vs)
    for m in EQUIPERCENTILE:
        e = equate(x, y, m, anchor=(vx, vy), se=None).y_equiv.to_numpy()
        np.testing.assert_array_equal(_neat_equipercentile_tables(m, j1, j2, xs, xs, vs, 0.5)[0], e)
        e_p = _neat_equipercentile_tables(m, j1 / x.size, j2 / y.size, xs, xs, vs, 0.5)[0]
        np.testing.assert_allclose(e_p, e, rtol=1e-12)


def test_chained_equipercentile_se_does_not_depend_on_w(kbneat):
    # chained equipercentile has no synthetic population (K&B 2014, ch. 5);
    # frequency estimation does
    """Kolen & Brennan (2014) ch. 5: chained equipercentile has no synthetic population (SE
    independent of w); frequency estimation's SE depends on w."""
    x, vx, y, vy = kbneat
    xs, vs = np.arange(37), np.arange(13)
    ce = [
        _se_equipercentile_neat("chained-equipercentile", x, vx, y, vy, xs, xs, vs, w)
        for w in (0.5, 0.9)
    ]
    np.testing.assert_array_equal(ce[0], ce[1])
    fe = [
        _se_equipercentile_neat("frequency-estimation", x, vx, y, vy, xs, xs, vs, w)
        for w in (0.5, 0.9)
    ]
    assert not np.allclose(fe[0][5:32], fe[1][5:32], rtol=1e-3)


def test_equipercentile_se_nan_where_percentile_rank_is_0_or_100():
    # As K&B eq. 7.12 for random groups: no interpolation, no SE, at the extremes.
    """As Kolen & Brennan (2014, ch. 7) for random groups: no SE where the percentile rank is 0
    or 100 (scores above the observed maximum), SEs in the middle."""
    rng = np.random.default_rng(3)
    x, vx, y, vy = _simulate(rng, 800, 800)
    eq = equate(x, y, "frequency-estimation", anchor=(vx, vy), x_scores=(0, 40), y_scores=40)
    top = np.arange(x.max() + 1, 41)
    assert top.size and eq.se.loc[top].isna().all()
    assert eq.se.loc[10:25].notna().all()


@pytest.mark.slow  # bootstrap reference: 1-2 s a method
@pytest.mark.parametrize("method", EQUIPERCENTILE)
def test_presmoothed_equipercentile_analytic_se_agrees_with_bootstrap(kbneat, method):
    # Log-linear presmoothing (degree 4, one cross-product): delta method over
    # the log-linear parameters with a multinomial sandwich covariance (von
    # Davier et al. 2004, ch. 3-5), against 300 seeded bootstrap replications
    # that refit the smoothing, within 20 % at x = 10, 20, 30.
    # Measured vs 1000 replications: FE 0.995, 1.027, 0.987; CE 0.998, 1.024, 0.966.
    """von Davier, Holland & Thayer (2004, ch. 3-5): delta method over log-linear parameters
    against 300 bootstrap replications that refit the smoothing, within 20 %; smoothing lowers
    the SE."""
    x, vx, y, vy = kbneat
    kw = dict(method=method, anchor=(vx, vy), presmooth="loglinear", degree=4)
    a = equate(x, y, se="analytic", **kw)
    b = equate(x, y, se="bootstrap", n_boot=300, seed=5, **kw)
    ratio = (b.se / a.se).loc[[10, 20, 30]]
    assert ratio.between(0.8, 1.2).all(), ratio.round(3).tolist()
    assert a.settings["se"] == "analytic (delta method, log-linear parameters)"
    # smoothing removes noise: smaller SEs than unsmoothed in the middle
    raw = equate(x, y, method=method, anchor=(vx, vy)).se
    assert (a.se.loc[10:30] < raw.loc[10:30]).mean() > 0.8


def test_frequency_estimation_gap_still_rejected_with_analytic_se():
    # an anchor score seen in one group only: FE undefined, whatever the SE
    """An anchor score seen in one group only leaves frequency estimation undefined: a DataError
    whatever SE is asked for."""
    x = np.array([3, 4, 5, 6, 7, 8])
    vx = np.array([1, 1, 2, 2, 3, 3])
    vy = np.array([1, 1, 2, 2, 4, 4])
    with pytest.raises(DataError, match="anchor score 3 occurs in one group"):
        equate(x, x, method="frequency-estimation", anchor=(vx, vy), se="analytic")


def test_analytic_se_still_unavailable_for_presmoothed_single_group():
    # random groups now have delta-method SEs (test_rg_se.py); paired data do not
    """Presmoothed single-group (paired) equating has no analytic SE implemented: asking for one
    is refused by name."""
    rng = np.random.default_rng(0)
    x, y = rng.binomial(30, 0.5, 500), rng.binomial(30, 0.55, 500)
    with pytest.raises(PvcalError, match="no analytic standard error is implemented"):
        equate(
            x,
            y,
            "equipercentile",
            design="single-group",
            presmooth="loglinear",
            degree=3,
            se="analytic",
        )
