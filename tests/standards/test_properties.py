"""Property checks (hypothesis) for the building blocks of standard setting and decisions.

* TCC inversion is the inverse of the test characteristic curve (mirt's
  ``expected.test``) for mixed 2PL/3PL/GRM tests.
* Rudner indices: being in the right category overall implies being on the right side
  of every cut, so overall accuracy <= each per-cut accuracy (same for consistency); and
  the indices are invariant to shifting θ̂ and the cuts together.
* Half-up rounding agrees with Python's ``decimal`` ROUND_HALF_UP on non-negative values
  (for negatives ``decimal`` rounds away from zero, pvcal towards +∞: -0.025 -> -0.02).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pvcal.index import round_half_up
from pvcal.irt.models import expected_score
from pvcal.standards import classification, tcc_inverse

FAST = settings(max_examples=30, deadline=None)


@FAST
@given(seed=st.integers(0, 10_000), theta=st.floats(-3, 3))
def test_tcc_inverse_is_inverse(seed, theta):
    """Property (hypothesis): TCC⁻¹ of the expected score at θ gives θ back (to 1e-7) on mixed
    2PL/3PL/GRM items."""
    rng = np.random.default_rng(seed)
    items = pd.DataFrame(
        {
            "model": ["2PL", "3PL", "GRM"],
            "a": rng.uniform(0.5, 2.0, 3),
            "b": [rng.normal(), rng.normal(), np.nan],
            "c": [np.nan, rng.uniform(0, 0.25), np.nan],
            "b1": [np.nan, np.nan, -0.8],
            "b2": [np.nan, np.nan, 0.6],
        },
        index=["D", "T", "G"],
    )
    raw = expected_score(items, [theta]).sum()
    assert abs(float(tcc_inverse(items, raw)) - theta) < 1e-7


@FAST
@given(
    seed=st.integers(0, 10_000),
    shift=st.floats(-2, 2),
    n_cuts=st.integers(1, 3),
)
def test_rudner_bounds_and_shift_invariance(seed, shift, n_cuts):
    """Property (hypothesis): Rudner's overall accuracy and consistency lie in [0, min over
    cuts], and shifting θ̂ and the cuts together changes neither."""
    rng = np.random.default_rng(seed)
    th = rng.normal(size=50)
    se = rng.uniform(0.2, 0.8, 50)
    cuts = np.sort(rng.choice(np.linspace(-1.5, 1.5, 13), n_cuts, replace=False))
    r = classification(th, se, cuts)
    assert 0 <= r.accuracy <= r.by_cut["accuracy"].min() + 1e-12
    assert 0 <= r.consistency <= r.by_cut["consistency"].min() + 1e-12
    # shifting by a dyadic amount keeps the θ̂-cut comparisons exact
    d = round(shift * 64) / 64
    r2 = classification(th + d, se, cuts + d)
    assert abs(r2.accuracy - r.accuracy) < 1e-9
    assert abs(r2.consistency - r.consistency) < 1e-9


@FAST
@given(v=st.integers(0, 100_000))
def test_round_half_up_matches_decimal(v):
    """Property (hypothesis): round_half_up to 2 decimals equals Python's decimal ROUND_HALF_UP
    for x >= 0, and for -x ties go up (minus the half-down rounding of x), despite binary
    representation."""
    x = v / 1000  # three decimals, the cases where binary representation bites
    want = float(Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    assert round_half_up(x, 2) == want
    assert round_half_up(-x, 2) == -float(
        Decimal(str(x)).quantize(Decimal("0.01"), rounding="ROUND_HALF_DOWN")
    )
