"""Normative cuts: percentile, robust mean - k robust SD.

Reference numbers: ISO 13528:2022 Annex E.3 (atrazine, 34 results), printed in
tests/reference/iso13528_e3_atrazine.json: median 0.262, MADe 0.0386,
Algorithm A x* = 0.2570, s* = 0.0395.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from pvcal._validation import PvcalError
from pvcal.standards import normative_cut, robust_location_scale

REF = json.loads(
    (Path(__file__).parents[1] / "reference" / "iso13528_e3_atrazine.json").read_text()
)


def test_percentile_hand():
    """Values 1..5, linear interpolation (R type 7): the 20th percentile sits at position
    0.2·(5 - 1) = 0.8 -> 1 + 0.8 = 1.8; the 50th is 3. Second way: scipy.stats.scoreatpercentile."""
    v = [5, 1, 4, 2, 3]
    assert normative_cut(v, percentile=20).cut == pytest.approx(1.8)
    assert normative_cut(v, percentile=50).cut == pytest.approx(3.0)
    assert normative_cut(v, percentile=20).cut == pytest.approx(stats.scoreatpercentile(v, 20))


def test_robust_mad_hand():
    """Values 1, 2, 3, 4, 100: median 3, |x - 3| = 2, 1, 0, 1, 97, MAD = 1, robust SD
    1.4826; k = 1 -> cut 3 - 1.4826 = 1.5174. Second way: scipy's normal-consistent MAD."""
    v = [1, 2, 3, 4, 100]
    r = normative_cut(v, k=1)
    assert r.cut == pytest.approx(3 - 1.4826)
    assert r.spread == pytest.approx(stats.median_abs_deviation(v, scale="normal"), rel=1e-5)
    assert normative_cut(v, k=2, robust="classical").cut == pytest.approx(
        np.mean(v) - 2 * np.std(v, ddof=1)
    )


def test_robust_against_iso13528_e3():
    """ISO 13528:2022 E.3 printed values (4 significant figures)."""
    x = np.array(REF["data"])
    p = REF["expected_printed"]
    c, s = robust_location_scale(x, "mad")
    assert c == pytest.approx(p["median"], abs=5e-4)
    # ISO's MADe uses the constant 1.483; pvcal's "mad" uses 1.4826 (1/Φ⁻¹(0.75) = 1.482602)
    assert s / 1.4826 * 1.483 == pytest.approx(p["MADe"], abs=5e-5)
    c, s = robust_location_scale(x, "algorithm_a")
    assert c == pytest.approx(p["algorithm_a"]["x_star"], abs=5e-5)
    assert s == pytest.approx(p["algorithm_a"]["s_star"], abs=5e-5)


def test_vectorised_matches_rowwise():
    """The vectorised robust location/scale (MAD, nIQR, Algorithm A, classical) along an axis
    equals the row-by-row computation."""
    rng = np.random.default_rng(0)
    x = rng.standard_t(3, size=(6, 40))
    for method in ("mad", "niqr", "algorithm_a", "classical"):
        c, s = robust_location_scale(x, method, axis=1)
        for i in range(6):
            ci, si = robust_location_scale(x[i], method)
            assert c[i] == pytest.approx(ci, abs=1e-9)
            assert s[i] == pytest.approx(si, abs=1e-9)


def test_normative_bad_input():
    """normative_cut needs exactly one of percentile or k, a percentile in (0, 100) and a known
    robust method; others are refused by name."""
    with pytest.raises(PvcalError, match="exactly one of percentile= or k="):
        normative_cut([1, 2, 3])
    with pytest.raises(PvcalError, match="exactly one"):
        normative_cut([1, 2, 3], percentile=10, k=1)
    with pytest.raises(PvcalError, match=r"percentile must lie in \(0, 100\)"):
        normative_cut([1, 2, 3], percentile=120)
    with pytest.raises(PvcalError, match="robust="):
        normative_cut([1, 2, 3], k=1, robust="trimmed")
