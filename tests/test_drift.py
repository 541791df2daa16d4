"""Tests of pvcal.drift: item-parameter, pass-rate and score-distribution drift.

Hand-worked cases of the robust z (Huynh & Meyer 2010), the pooled two-proportion
z test and the standardized mean difference, and a planted drifting item among
simulated common items.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pvcal import drift
from pvcal._validation import DataError


def test_item_drift_robust_z_by_hand():
    """diffs (new - old b) = 0.1, 0.2, 0.0, 0.1, 1.0: median 0.1, |d - med| = 0, 0.1, 0.1,
    0, 0.9 -> MAD 0.1, scale 1.4826 * 0.1; z of the last item = 0.9 / 0.14826 = 6.07."""
    old = pd.DataFrame({"a": 1.0, "b": [0.0, 0.5, -0.5, 1.0, -1.0]}, index=list("vwxyz"))
    new = old.assign(b=old["b"] + [0.1, 0.2, 0.0, 0.1, 1.0], a=[1.0, 1.1, 0.9, 1.0, 1.2])
    res = drift.item_drift({"2025H1": old, "2025H2": new}, threshold_b=2.0)
    z = res.set_index("item")["z"]
    assert z["z"] == pytest.approx(0.9 / (drift.MAD_SCALE * 0.1), rel=1e-12)
    assert z["w"] == pytest.approx(0.1 / (drift.MAD_SCALE * 0.1), rel=1e-12)
    assert z["v"] == pytest.approx(0.0, abs=1e-12)
    assert res.set_index("item")["alert"].tolist() == [False, False, False, False, True]
    assert res["a_to"].tolist() == [1.0, 1.1, 0.9, 1.0, 1.2]
    assert (res["period_from"] == "2025H1").all() and (res["period_to"] == "2025H2").all()


def test_item_drift_polytomous_location_and_only_common_items():
    """Polytomous location = mean threshold; items in one period only are not compared."""
    old = pd.DataFrame({"a": [1.0, 1.0], "b": [0.2, np.nan], "b1": [np.nan, -1.0],
                        "b2": [np.nan, 1.0]}, index=["i", "g"])  # fmt: skip
    new = pd.DataFrame({"a": [1.0, 1.0, 1.0], "b": [0.2, np.nan, 0.0],
                        "b1": [np.nan, -0.2, np.nan], "b2": [np.nan, 1.8, np.nan]},
                       index=["i", "g", "new"])  # fmt: skip
    res = drift.item_drift({"P1": old, "P2": new}, min_common=3).set_index("item")
    assert list(res.index) == ["i", "g"]
    assert res.loc["g", "diff"] == pytest.approx(0.8)
    assert np.isnan(res.loc["g", "z"])  # two common items: no robust z
    assert res.loc["g", "alert"] and not res.loc["i", "alert"]  # |0.8| > 0.5


def test_item_drift_finds_a_planted_drifting_item():
    """40 common items re-estimated with noise sd 0.08 and one item moved by 0.6:
    the moved item alerts, at most two others do (P(|N(0,1)| > 2.7) = 0.007, so about
    0.3 false alerts among 39 items are expected; P(3 or more) is about 0.003)."""
    rng = np.random.default_rng(3)
    b = rng.normal(0, 1, 40)
    ids = [f"i{k:02d}" for k in range(40)]
    old = pd.DataFrame({"a": 1.0, "b": b + rng.normal(0, 0.08, 40)}, index=ids)
    moved = b + rng.normal(0, 0.08, 40)
    moved[7] += 0.6
    res = drift.item_drift({"P1": old, "P2": old.assign(b=moved)}).set_index("item")
    assert res.loc["i07", "alert"]
    assert res.drop(index="i07")["alert"].sum() <= 2


def test_pass_rate_drift_by_hand():
    """0.70 of 1000 then 0.60 of 800: pooled p = (700 + 480)/1800, z = -0.10 / se."""
    rates = pd.DataFrame(
        {
            "discipline": ["d"] * 3 + ["e"],
            "period": ["P1", "P2", "P3", "P1"],
            "n": [1000, 800, 800, 50],
            "pass_rate": [0.7, 0.6, 0.62, 0.5],
        }
    )
    res = drift.pass_rate_drift(rates)
    pool = (700 + 480) / 1800
    z = -0.1 / np.sqrt(pool * (1 - pool) * (1 / 1000 + 1 / 800))
    assert len(res) == 2  # d: P1->P2, P2->P3; e has one period
    assert res.loc[0, "z"] == pytest.approx(z, rel=1e-12)
    assert res.loc[0, "p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-12)
    assert res["alert"].tolist() == [True, False]  # 0.02 change is below the threshold
    with pytest.raises(DataError, match="missing column 'n'"):
        drift.pass_rate_drift(rates.drop(columns="n"))


def test_score_drift_smd_and_ks():
    """SMD = (mean2 - mean1) / sqrt((s1^2 + s2^2)/2); KS from scipy.stats.ks_2samp."""
    rng = np.random.default_rng(5)
    x, y, w = rng.normal(60, 10, 800), rng.normal(62, 10, 800), rng.normal(70, 10, 800)
    res = drift.score_drift({"P1": x, "P2": y, "P3": w})
    smd = (y.mean() - x.mean()) / np.sqrt((x.var(ddof=1) + y.var(ddof=1)) / 2)
    assert res.loc[0, "smd"] == pytest.approx(smd, rel=1e-12)
    assert res.loc[0, "ks"] == pytest.approx(stats.ks_2samp(x, y).statistic)
    assert res["alert"].tolist() == [False, True]  # +0.2 sd: no alert; +0.8 sd: alert
    with pytest.raises(DataError, match="at least 2 finite scores"):
        drift.score_drift({"P1": [1.0], "P2": [1.0, 2.0]})
