"""Tests of pvcal.drift: item-parameter, pass-rate and score-distribution drift.

Hand-worked cases of the robust z (Huynh & Meyer 2010, as computed by the anchor
screen of pvcal.equating.screen_anchors), of the change over its standard error
(Lord 1980, ch. 14), of the pooled two-proportion z test, of Newcombe's (1998)
interval (his published example) and of the standardized mean difference; and a
planted drifting item in two simulated periods calibrated and linked by pvcal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pvcal import drift
from pvcal._validation import DataError


def test_item_drift_robust_z_by_hand():
    """Changes (new - old b) 0.1, 0.2, 0.0, 0.1, 1.0; the screen's d = old - new is
    -0.1, -0.2, 0, -0.1, -1.0: median -0.1, quartiles (numpy linear) -0.2 and -0.1, so the
    scale is 0.7413 * 0.1 and the z of the last item, signed as the change, is
    0.9 / 0.07413 = 12.14, the second's 0.1 / 0.07413; the first item's is 0 (on the median)."""
    old = pd.DataFrame({"a": 1.0, "b": [0.0, 0.5, -0.5, 1.0, -1.0]}, index=list("vwxyz"))
    new = old.assign(b=old["b"] + [0.1, 0.2, 0.0, 0.1, 1.0], a=[1.0, 1.1, 0.9, 1.0, 1.2])
    res = drift.item_drift({"2025H1": old, "2025H2": new}).set_index("item")
    assert res.loc["z", "z"] == pytest.approx(0.9 / (0.7413 * 0.1), rel=1e-12)
    assert res.loc["w", "z"] == pytest.approx((0.2 - 0.1) / (0.7413 * 0.1), rel=1e-12)
    assert res.loc["v", "z"] == pytest.approx(0.0, abs=1e-12)
    assert res.loc["z", "diff"] == pytest.approx(1.0)
    assert res["alert"].tolist() == [False, False, False, False, True]
    assert res["a_to"].tolist() == [1.0, 1.1, 0.9, 1.0, 1.2]
    assert (res["period_from"] == "2025H1").all() and (res["period_to"] == "2025H2").all()
    assert res["z_se"].isna().all()  # no se_b: no z_se


def test_item_drift_se_z_and_practical_size():
    """z_se = diff / sqrt(se1^2 + se2^2): 0.4 / sqrt(0.1^2 + 0.1^2) = 2.828 (below 3.29),
    0.5 / 0.1 = 5 (alert); a change of 0.2 with SEs 0.02 has z_se 7.1 but is below
    min_shift 0.3, so no alert."""
    old = pd.DataFrame(
        {"a": 1.0, "b": [0.0, 1.0, -1.0], "se_b": [0.1, 0.08, 0.02]}, index=["p", "q", "r"]
    )
    new = old.assign(b=[0.4, 1.5, -0.8], se_b=[0.1, 0.06, 0.02])
    res = drift.item_drift({"A": old, "B": new}).set_index("item")
    assert res.loc["p", "z_se"] == pytest.approx(0.4 / np.sqrt(0.02), rel=1e-12)
    assert res.loc["q", "z_se"] == pytest.approx(0.5 / 0.1, rel=1e-12)
    assert res.loc["r", "z_se"] == pytest.approx(0.2 / np.sqrt(0.0008), rel=1e-12)
    assert np.isnan(res["z"]).all()  # 3 common items < min_common 5: no robust z
    assert res["alert"].tolist() == [False, True, False]


def test_item_drift_polytomous_location_and_only_common_items():
    """Polytomous location = mean threshold; items in one period only are not compared."""
    old = pd.DataFrame({"model": ["2PL", "GPCM"], "a": [1.0, 1.0], "b": [0.2, np.nan],
                        "b1": [np.nan, -1.0], "b2": [np.nan, 1.0]}, index=["i", "g"])  # fmt: skip
    new = pd.DataFrame({"model": ["2PL", "GPCM", "2PL"], "a": [1.0, 1.0, 1.0],
                        "b": [0.2, np.nan, 0.0], "b1": [np.nan, -0.2, np.nan],
                        "b2": [np.nan, 1.8, np.nan]}, index=["i", "g", "new"])  # fmt: skip
    res = drift.item_drift({"P1": old, "P2": new}, threshold_se_z=1.0).set_index("item")
    assert list(res.index) == ["i", "g"]
    assert res.loc["g", "diff"] == pytest.approx(0.8)
    assert np.isnan(res.loc["g", "z"]) and np.isnan(res.loc["g", "z_se"])
    assert not res["alert"].any()  # no statistic to back the 0.8 change
    with pytest.raises(DataError, match="min_shift"):
        drift.item_drift({"P1": old, "P2": new}, min_shift=-1)
    with pytest.raises(DataError, match="at least two periods"):
        drift.item_drift({"P1": old})
    with pytest.raises(DataError, match="at least two periods"):
        drift.item_drift([old, new])
    with pytest.raises(DataError, match=r"\['i'\] have no finite location"):
        drift.item_drift({"P1": old, "P2": new.assign(b=[np.nan, np.nan, 0.0])})


def test_item_drift_finds_a_planted_drifting_item_after_calibration_and_linking():
    """Known truth: 30 common 2PL items, period 2's population shifted by +0.5 and one item
    (c07) made 0.8 harder; each period calibrated by pvcal (2,000 persons), period 2 linked
    onto period 1 by Stocking-Lord on all common items. The planted item alerts; of the 29
    stable items at most one does (each has P(|z| > 2.7) of about 0.007 under no drift)."""
    from pvcal import calibrate, link
    from pvcal.irt.simulate import simulate

    rng = np.random.default_rng(11)
    ids = [f"c{k:02d}" for k in range(30)]
    truth = pd.DataFrame({"a": rng.uniform(0.8, 1.8, 30), "b": rng.normal(0, 1, 30)}, index=ids)
    moved = truth.copy()
    moved.loc["c07", "b"] += 0.8
    x1, _ = simulate(truth, 2000, seed=1)
    x2, _ = simulate(moved, 2000, mean=0.5, seed=2)
    cal1, cal2 = calibrate(x1, model="2PL"), calibrate(x2, model="2PL")
    on_base = link(cal1, cal2, method="stocking-lord").transform(cal2)
    res = drift.item_drift({"P1": cal1.items, "P2": on_base}).set_index("item")
    assert res.loc["c07", "alert"]
    assert res.loc["c07", "diff"] == pytest.approx(0.8, abs=0.3)
    assert res.drop(index="c07")["alert"].sum() <= 1


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
    assert res.loc[0, "lo"] < -0.1 < res.loc[0, "hi"] < 0
    assert res["alert"].tolist() == [True, False]  # 0.02 change is below the threshold
    with pytest.raises(DataError, match=r"missing column\(s\) \['n'\]"):
        drift.pass_rate_drift(rates.drop(columns="n"))
    with pytest.raises(DataError, match="row 1"):
        drift.pass_rate_drift(rates.assign(pass_rate=[0.7, 1.2, 0.6, 0.5]))


def test_pass_rate_drift_newcombe_published_example():
    """Newcombe (1998), Table II example (b): 56/70 vs 48/80, difference 0.2000 with the
    hybrid score interval (method 10) 0.0524 to 0.3339."""
    rates = pd.DataFrame(
        {"discipline": "d", "period": ["P1", "P2"], "n": [80, 70], "pass_rate": [48 / 80, 56 / 70]}
    )
    res = drift.pass_rate_drift(rates).iloc[0]
    assert res["change"] == pytest.approx(0.2)
    assert res["lo"] == pytest.approx(0.0524, abs=5e-5)
    assert res["hi"] == pytest.approx(0.3339, abs=5e-5)


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


_RATES = pd.DataFrame(
    {"discipline": "d", "period": ["P1", "P2"], "n": [100, 120], "pass_rate": [0.7, 0.6]}
)
_ITEMS = pd.DataFrame({"a": 1.0, "b": [0.0, 1.0, -1.0]}, index=["u", "v", "w"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: drift.pass_rate_drift([0.7, 0.6]), r"rates: expected a pandas DataFrame"),
        (lambda: drift.pass_rate_drift(_RATES.assign(pass_rate=["0.7", "high"])),
         r"rates, row 1, column 'pass_rate': 'high'; expected a number"),
        (lambda: drift.pass_rate_drift(_RATES.assign(n=["x", 120])),
         r"rates, row 0, column 'n': 'x'; expected a number"),
        (lambda: drift.pass_rate_drift(_RATES.assign(pass_rate=[0.7, None])),
         r"row 1, column 'pass_rate': a missing value; expected a number \(not missing\)"),
        (lambda: drift.pass_rate_drift(_RATES.assign(period=["P1", None])),
         r"rates, row 1, column 'period': missing; expected a period"),
        (lambda: drift.pass_rate_drift(_RATES.assign(discipline=[None, "d"])),
         r"rates, row 0, column 'discipline': missing; expected a discipline"),
        (lambda: drift.pass_rate_drift(_RATES.assign(period=["P1", "P1"])),
         r"rows \[0, 1\]: discipline 'd' period 'P1' appears more than once"),
        (lambda: drift.pass_rate_drift(_RATES.assign(n=[100.5, 120])),
         r"row 0 \(d P1\): .*whole n >= 1, got pass_rate=0\.7, n=100\.5"),
        (lambda: drift.pass_rate_drift(_RATES, threshold="ten"), r"threshold must be a number"),
        (lambda: drift.pass_rate_drift(_RATES, threshold=10), r"threshold must lie in \(0, 1\]"),
        (lambda: drift.pass_rate_drift(_RATES, alpha="x"), r"alpha must be a number"),
        (lambda: drift.score_drift([1.0, 2.0, 3.0]),
         r"scores_by_period must map at least two periods .* got a list"),
        (lambda: drift.score_drift({}), r"at least two periods .* got 0"),
        (lambda: drift.score_drift({"P1": [1.0, 2.0]}), r"at least two periods .* got 1"),
        (lambda: drift.score_drift({None: [1.0, 2.0], "P2": [1.0, 2.0]}),
         r"a period key is missing"),
        (lambda: drift.score_drift({"P1": [1.0, "n/a", 3.0], "P2": [1.0, 2.0]}),
         r"scores of period 'P1', position 1: 'n/a'; expected a number"),
        (lambda: drift.score_drift({"P1": None, "P2": [1.0, 2.0]}),
         r"scores of period 'P1': expected a 1-d sequence of numbers, got NoneType"),
        (lambda: drift.score_drift({"P1": [[1.0, 2.0], [3.0, 4.0]], "P2": [1.0, 2.0]}),
         r"scores of period 'P1': expected a 1-d sequence .* shape \(2, 2\)"),
        (lambda: drift.score_drift({"P1": [1.0, 2.0], "P2": [1.0, np.inf, 2.0]}),
         r"scores of period 'P2', position 1: score inf; expected a finite number"),
        (lambda: drift.score_drift({"P1": [1.0, 2.0], "P2": [1.0, 2.0]}, threshold_ks="x"),
         r"threshold_ks must be a number"),
        (lambda: drift.item_drift({"P1": _ITEMS, "P2": _ITEMS.assign(b=["0", "1", "hard"])}),
         r"items of period 'P2', column 'b', item 'w': 'hard'; expected a number"),
        (lambda: drift.item_drift({"P1": _ITEMS, "P2": _ITEMS}, min_common="5"),
         r"min_common must be an integer >= 2, got '5'"),
        (lambda: drift.item_drift({"P1": _ITEMS, "P2": _ITEMS}, threshold_z=None),
         r"threshold_z must be a number"),
    ],
)  # fmt: skip
def test_bad_input_is_a_data_error_naming_where(call, message):
    """Project rule (STYLE.md, pvcal._validation): bad input to every drift screen is a
    DataError (a ValueError) naming the column, row, period or item and what was expected;
    before these checks each case was a bare KeyError/TypeError/ValueError from pandas or
    numpy, or a silently dropped row (a missing discipline under groupby)."""
    with pytest.raises(DataError, match=message):
        call()


def test_numbers_as_text_are_read_and_empty_rates_give_no_row():
    """Counts and rates written as text ("100") are numbers (as read from a CSV with a stray
    quote): the same result as numeric columns. An empty frame with the columns, like a
    discipline with one period, has nothing to compare: no row (Notes)."""
    as_text = _RATES.assign(n=["100", "120"], pass_rate=["0.7", "0.6"])
    pd.testing.assert_frame_equal(drift.pass_rate_drift(as_text), drift.pass_rate_drift(_RATES))
    empty = drift.pass_rate_drift(_RATES.iloc[:0])
    assert len(empty) == 0 and "alert" in empty.columns


def test_a_list_as_a_score_or_a_repeated_row_label_is_a_data_error():
    """Review of 6d0cec0: a list among the scores, or a bad rate in rates frames concatenated
    without ignore_index (labels 0, 1, 0, 1), gave a bare 'truth value ... ambiguous'
    ValueError while the DataError's message was built. Now the message names the period
    and position, or the row label (1, the fourth row's) and column."""
    with pytest.raises(
        DataError, match=r"scores of period 'P1', position 0: \[1, 2\]; expected a number"
    ):
        drift.score_drift({"P1": [[1, 2], [3]], "P2": [1, 2, 3]})
    twice = pd.concat([_RATES, _RATES.assign(discipline="e")])
    with pytest.raises(DataError, match=r"rates, row 1, column 'pass_rate': 'high'; expected"):
        drift.pass_rate_drift(twice.assign(pass_rate=[0.7, 0.6, 0.7, "high"]))


def test_rates_concatenated_without_ignore_index_are_checked_by_position():
    """Review of 6d0cec0: with rate frames concatenated without ignore_index (labels 0, 1,
    0, 1) a rate out of range gave a bare TypeError (float() of the Series that .at returns
    for a repeated label) and a repeated period printed frames. Now the fourth row is named
    by its label 1 and its own values (e P2: 1.5, n 120), a period given twice by the labels
    and the positions (0 and 2); the repeated label does not change the result (same as the
    frame with a fresh index)."""
    twice = pd.concat([_RATES, _RATES.assign(discipline="e")])
    with pytest.raises(
        DataError, match=r"^rates: row 1 \(e P2\): need .*got pass_rate=1\.5, n=120\.0$"
    ):
        drift.pass_rate_drift(twice.assign(pass_rate=[0.7, 0.6, 0.7, 1.5]))
    with pytest.raises(
        DataError,
        match=r"^rates: rows \[0, 0\] \(positions \[0, 2\]\): discipline 'd' period 'P1' appears",
    ):
        drift.pass_rate_drift(twice.assign(discipline="d", period=["P1", "P2", "P1", "P3"]))
    pd.testing.assert_frame_equal(
        drift.pass_rate_drift(twice), drift.pass_rate_drift(twice.reset_index(drop=True))
    )


@pytest.mark.parametrize("n", [np.inf, "inf", -np.inf])
def test_an_infinite_count_is_a_data_error(n):
    """Review of 6d0cec0: n = inf passed the whole-number check (inf == round(inf)) and
    failed later as a bare OverflowError (int(inf)); a count must be finite."""
    with pytest.raises(DataError, match=r"^rates: row 0 \(d P1\): .*finite whole n >= 1, got"):
        drift.pass_rate_drift(_RATES.assign(n=[n, 120]))


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ([1.0, 2 + 1j, 3.0],
         r"^scores of period 'P2', position 1: \(2\+1j\); expected a real number \(not complex\)$"),
        (np.array([1.0, 2.0, 3 - 0.5j]),
         r"^scores of period 'P2', position 2: \(3-0\.5j\); expected a real"),
        (pd.Series([1.0, "x"], name="theta", index=[7, 7]),
         r"^scores of period 'P2', column 'theta', position 1: 'x'; expected a number$"),
    ],
)  # fmt: skip
def test_complex_scores_are_refused_and_a_list_has_no_column(scores, message):
    """Review of 6d0cec0: complex scores were taken silently (astype(float) dropped the
    imaginary part with only a ComplexWarning): now refused naming the position. The
    messages for a list no longer name a made-up "column 'score'"; a named Series keeps
    its name, and positions count from 0 whatever its index."""
    with pytest.raises(DataError, match=message):
        drift.score_drift({"P1": [1.0, 2.0, 3.0], "P2": scores})


def test_complex_scores_without_an_imaginary_part_are_the_real_scores():
    """A complex dtype with zero imaginary parts loses nothing: the same row as the reals."""
    real = {"P1": [0.0, 1.0, 2.0, 3.0], "P2": [1.0, 2.0, 2.5, 4.0]}
    as_complex = {"P1": real["P1"], "P2": np.array(real["P2"], dtype=complex)}
    pd.testing.assert_frame_equal(drift.score_drift(as_complex), drift.score_drift(real))
