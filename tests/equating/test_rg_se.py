"""Delta-method standard errors of random-groups presmoothed equipercentile and kernel equating.

The analytic SEs (pvcal.equating.observed._se_rg_delta) are the delta method of
Holland, King & Thayer (1989) and von Davier, Holland & Thayer (2004, ch. 5):
e(x) as a function of the two independent groups' cell proportions (kernel
equating without presmoothing) or of their log-linear parameters β with a
multinomial sandwich covariance (log-linear presmoothing), the machinery of the
presmoothed NEAT SEs (test_neat_se.py). Kolen & Brennan (2014, ch. 7) recommend
checking such SEs against the bootstrap (section 7.2), which is what these tests
do; there is no published SE table for these methods on the K&B example.

Data: tests/equating/reference/actmath.csv, Kolen & Brennan (2014) ACT
Mathematics forms X and Y, random groups (N = 4329 and 4152), whose published
equipercentile equivalents (K&B Table 2.7) are tested in test_observed.py. The
log-linear degree 6 is the one K&B (2014, ch. 3) use for these data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pvcal._validation import PvcalError
from pvcal.equating.observed import _se_equipercentile_rg, _se_rg_delta, equate

REF = Path(__file__).parent / "reference"
PTS = [10, 20, 30]
CASES = {
    "equipercentile-presmoothed": dict(method="equipercentile", presmooth="loglinear", degree=6),
    "kernel": dict(method="kernel"),
    "kernel-presmoothed": dict(method="kernel", presmooth="loglinear", degree=6),
}


@pytest.fixture(scope="module")
def actmath():
    d = pd.read_csv(REF / "actmath.csv")
    fx = pd.Series(d["xcount"].to_numpy(), index=d["scale"].to_numpy())
    fy = pd.Series(d["ycount"].to_numpy(), index=d["scale"].to_numpy())
    return fx, fy


@pytest.mark.slow  # bootstrap reference: 1-5 s a case on the shared 2-core machine
@pytest.mark.parametrize("case", ["equipercentile-presmoothed", "kernel"])
def test_actmath_analytic_se_agrees_with_bootstrap(actmath, case):
    # Delta-method SEs against 300 seeded bootstrap replications (groups
    # resampled separately, smoothing refitted, bandwidths fixed), within 20 %
    # at x = 10, 20, 30. Measured bootstrap/analytic with 1000 replications
    # (seed 7): presmoothed equipercentile 1.046, 1.033, 1.047; kernel 1.069,
    # 1.034, 1.066; presmoothed kernel 1.051, 1.026, 1.039.
    """Delta method of Holland, King & Thayer (1989) / von Davier, Holland & Thayer (2004, ch. 5)
    on the K&B ACT Mathematics data against 300 seeded bootstrap replications, within 20 % at
    x = 10, 20, 30."""
    fx, fy = actmath
    kw = CASES[case]
    a = equate(fx, fy, se="analytic", **kw)
    b = equate(fx, fy, se="bootstrap", n_boot=300, seed=7, **kw)
    ratio = (b.se / a.se).loc[PTS]
    assert ratio.between(0.8, 1.2).all(), ratio.round(3).tolist()
    expected = "log-linear parameters" if "presmooth" in kw else "multinomial cell proportions"
    assert a.settings["se"] == f"analytic (delta method, {expected})"
    assert a.boot is None and "n_boot" not in a.settings
    # se="auto" gives the same analytic SEs
    np.testing.assert_array_equal(equate(fx, fy, **kw).se, a.se)


@pytest.mark.slow  # up to 2.5 s a case (kernel)
@pytest.mark.parametrize("case", list(CASES))
def test_se_halves_when_data_replicated_four_times(actmath, case):
    # Var e(x) ~ 1/N: the same proportions with 4x the persons give half the SE
    # (degrees and bandwidths given, so the same fit is used).
    """Var e(x) ~ 1/N: the ACT Mathematics frequencies times 4 (same fit and bandwidths) give
    half the delta-method SE and the same equivalents."""
    fx, fy = actmath
    kw = CASES[case]
    once = equate(fx, fy, se="analytic", **kw)
    bw = once.settings.get("bandwidth")
    if bw:
        kw = dict(kw, bandwidth=(bw["h_x"], bw["h_y"]))
    four = equate(fx * 4, fy * 4, se="analytic", **kw)
    ratio = (four.se / once.se).loc[PTS]
    assert np.all(np.abs(ratio - 0.5) < 0.025), ratio.round(4).tolist()
    np.testing.assert_allclose(four.y_equiv, once.y_equiv, atol=1e-6)


def test_smoothing_lowers_the_se_in_the_middle(actmath):
    # presmoothing removes sampling noise (K&B 2014, ch. 3 and 7): smaller SEs
    # on average (measured 0.93x over x = 8..32) and a smooth SE curve instead
    # of the jagged eq. 7.12 one (which follows the observed frequencies)
    """Kolen & Brennan (2014) ch. 3 and 7: log-linear presmoothing lowers the equipercentile SE
    on average over x = 8..32 and makes the SE curve smooth."""
    fx, fy = actmath
    raw = equate(fx, fy, "equipercentile").se.loc[8:32]
    sm = equate(fx, fy, se="analytic", **CASES["equipercentile-presmoothed"]).se
    assert sm.loc[8:32].mean() < 0.97 * raw.mean()
    assert np.abs(np.diff(sm.loc[8:32], 2)).sum() < 0.2 * np.abs(np.diff(raw, 2)).sum()
    assert sm.loc[1:39].notna().all() and (sm.loc[1:39] > 0).all()


def test_unsmoothed_multinomial_delta_method_matches_kb_eq_7_12(actmath):
    # The same machinery on unsmoothed equipercentile equating reproduces the
    # K&B (2014) eq. 7.12 SEs to within 5 % at x = 10..30 (eq. 7.12 treats the
    # X percentile rank as continuous and is slightly larger; measured ratios
    # 0.97-0.99 there).
    """The multinomial delta method on unsmoothed ACT Mathematics equipercentile equating agrees
    within 5 % with the Kolen & Brennan (2014) ch. 7 random-groups SE formula at x = 10..30."""
    fx, fy = actmath
    xs = fx.index.to_numpy()
    cx, cy = fx.to_numpy(float), fy.to_numpy(float)
    delta = _se_rg_delta("equipercentile", xs, cx, xs, cy)
    kb = _se_equipercentile_rg(xs, cx / cx.sum(), xs, cy / cy.sum(), cx.sum(), cy.sum())
    ratio = delta[10:31] / kb[10:31]
    assert np.all(np.abs(ratio - 1) < 0.05), ratio.round(3).tolist()
    assert np.isnan(delta[0])  # no X examinee below score 1: percentile rank 0


def test_single_group_analytic_se_still_unavailable():
    """Single-group kernel equating has no analytic SE implemented: asking for one is refused by
    name."""
    rng = np.random.default_rng(0)
    t = rng.normal(size=400)
    x = np.clip(np.round(15 + 4 * t + rng.normal(size=400)), 0, 30).astype(int)
    y = np.clip(np.round(16 + 4 * t + rng.normal(size=400)), 0, 30).astype(int)
    with pytest.raises(PvcalError, match="no analytic standard error is implemented"):
        equate(x, y, "kernel", design="single-group", se="analytic")
