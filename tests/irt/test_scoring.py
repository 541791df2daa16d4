"""Tests for pvcal.irt.scoring: EAP/MAP/ML/WLE, sum-score tables, information.

Published reference: R mirt's own regression tests on the LSAT7 data
(Bock & Lieberman 1970), ``tests/testthat/test-01-mirtOne.R`` in
github.com/philchalmers/mirt (commit 099d6d7e57fc82cf5f9f67bc7cd5945defcbc9d0):

* ``mod1 <- mirt(expand.table(LSAT7), 1)``: 2PL slope-intercept estimates
  a = 0.9876, 1.0808, 1.7075, 0.765, 0.7357; d = 1.8559, 0.808, 1.8052, 0.486, 1.8545
  (the same MLE as R mirt's IRT-form ``coef(mod1, IRTpars = TRUE)``: a = 0.988, 1.081,
  1.706, 0.765, 0.736; b = -1.879, -0.748, -1.058, -0.635, -2.520);
* ``fscores(mod1, method = "EAPsum", full.scores = FALSE)``: table below;
* ``fscores(mod1, full.scores = FALSE)`` (EAP) and ``method = "MAP"``: first six
  response patterns 00000, 00001, 00010, 00011, 00100, 00101;
* equal-slope model (a = 1.011; d = 1.868, 0.791, 1.461, 0.521, 1.993):
  ``fscores(mod, method = "ML")`` rows 13, 34, 40 (patterns 00001, 00011, 00100)
  = -2.783489, -1.750890, -2.783489; rows 1 and 1000 (00000, 11111) = -Inf, Inf.

mirt's tests compare with tolerance 1e-2; the parameters are printed to 3-4
decimals, which limits the agreement we can expect (about 1e-3).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pvcal._validation import DataError, ModelError, PvcalError
from pvcal.irt import models, scoring
from pvcal.irt.models import category_probs
from pvcal.irt.scoring import lord_wingersky, score, sum_score_table

REF = Path(__file__).resolve().parents[1] / "reference"
ITEMS5 = [f"Q{i}" for i in range(1, 6)]

# mirt test-01-mirtOne.R, mod1 (2PL, slope-intercept)
LSAT7_A = np.array([0.9876, 1.0808, 1.7075, 0.765, 0.7357])
LSAT7_D = np.array([1.8559, 0.808, 1.8052, 0.486, 1.8545])
# fscores(mod1, method="EAPsum", full.scores=FALSE): Sum.Scores, F1, SE_F1, observed, expected
EAPSUM = {
    "theta": [-1.86979, -1.431861, -0.9488463, -0.4131963, 0.1517289, 0.7271877],
    "se": [0.6927032, 0.6838697, 0.6942298, 0.7210951, 0.758772, 0.8009335],
    "observed": [12, 40, 114, 205, 321, 308],
    "expected": [10.08994, 44.65882, 109.773, 207.7391, 319.1854, 308.5536],
}
EAP6 = [-1.8665957, -1.5266920, -1.5134024, -1.1852276, -1.0946830, -0.7666992]
MAP6 = [-1.8165552, -1.4946906, -1.4822982, -1.1789899, -1.0958928, -0.7951026]


def lsat7_items() -> pd.DataFrame:
    return pd.DataFrame({"a": LSAT7_A, "b": -LSAT7_D / LSAT7_A}, index=ITEMS5)


def all_patterns(items) -> pd.DataFrame:
    return pd.DataFrame(list(itertools.product([0, 1], repeat=len(items))), columns=items.index)


def simulate(items: pd.DataFrame, theta: np.ndarray, rng) -> pd.DataFrame:
    """Draw responses from the item model at the true theta (inverse-CDF per item)."""
    cols = {}
    for item, p in zip(items.index, category_probs(items, theta), strict=True):
        u = rng.random(len(theta))
        cols[item] = (u[:, None] > np.cumsum(p, axis=1)[:, :-1]).sum(axis=1)
    return pd.DataFrame(cols, index=pd.RangeIndex(len(theta), name="person")).astype(float)


def bank(kind: str, n_items: int, rng) -> pd.DataFrame:
    ids = [f"{kind}{j:02d}" for j in range(n_items)]
    a = rng.lognormal(0.0, 0.25, n_items)
    if kind == "2PL":
        return pd.DataFrame({"a": a, "b": rng.normal(0, 1, n_items)}, index=ids)
    b = np.sort(rng.normal(0, 1, (n_items, 3)), axis=1) + np.array([-0.6, 0.0, 0.6])
    frame = pd.DataFrame({"a": a, "b1": b[:, 0], "b2": b[:, 1], "b3": b[:, 2]}, index=ids)
    frame["model"] = kind
    return frame


def mixed_bank(rng) -> pd.DataFrame:
    two = bank("2PL", 20, rng).assign(model="2PL")
    grm = bank("GRM", 10, rng)
    gpcm = bank("GPCM", 10, rng)
    return pd.concat([two, grm, gpcm])


# ---------------------------------------------------------------------------
# Published values: mirt on LSAT7
# ---------------------------------------------------------------------------


def test_eapsum_table_matches_mirt_lsat7():
    """R mirt's regression test on LSAT7 (test-01-mirtOne.R): fscores(method = "EAPsum") θ, SE
    and expected counts per sum score, and the observed counts of the data."""
    table = sum_score_table(lsat7_items())
    np.testing.assert_allclose(table["theta"], EAPSUM["theta"], atol=2e-4)
    np.testing.assert_allclose(table["se"], EAPSUM["se"], atol=2e-4)
    np.testing.assert_allclose(table["p"] * 1000, EAPSUM["expected"], rtol=1e-3)
    data = pd.read_csv(REF / "lsat7.csv", index_col=0)
    observed = data.sum(axis=1).value_counts().sort_index()
    assert observed.tolist() == EAPSUM["observed"]


def test_pattern_eap_and_map_match_mirt_lsat7():
    """R mirt's LSAT7 regression test: pattern EAP and MAP for the first six response patterns
    (within mirt's stored precision), and EAP(00000) = EAPsum(0)."""
    pats = all_patterns(lsat7_items()).iloc[:6]
    eap = score(lsat7_items(), pats, "EAP")
    map_ = score(lsat7_items(), pats, "MAP")
    # mirt's own test tolerance is 1e-2; its stored EAP values come from an
    # older release (EAP(00000) must equal EAPsum(0) = -1.86979 in the same run)
    np.testing.assert_allclose(eap["theta"], EAP6, atol=5e-3)
    np.testing.assert_allclose(map_["theta"], MAP6, atol=2e-3)
    assert eap["theta"].iloc[0] == pytest.approx(EAPSUM["theta"][0], abs=2e-4)


def test_ml_matches_mirt_equal_slope_model_and_extremes():
    """R mirt's equal-slope LSAT7 test: ML θ of patterns 00001, 00011, 00100 = -2.783489,
    -1.750890, -2.783489; all-0/all-1 at the bounds with SE NaN (mirt: -Inf/Inf)."""
    a = np.full(5, 1.011)
    d = np.array([1.868, 0.791, 1.461, 0.521, 1.993])
    items = pd.DataFrame({"a": a, "b": -d / a}, index=ITEMS5)
    pats = all_patterns(items)
    ml = score(items, pats, "ML")
    # patterns 00001, 00011, 00100 (mirt rows 13, 34, 40 of expand.table(LSAT7))
    np.testing.assert_allclose(
        ml["theta"].iloc[[1, 3, 4]], [-2.783489, -1.750890, -2.783489], atol=2e-3
    )
    # mirt gives -Inf / Inf; pvcal reports the bound with se = NaN
    assert ml["theta"].iloc[0] == -6 and ml["theta"].iloc[-1] == 6
    assert ml["se"].iloc[[0, -1]].isna().all()
    assert ml["se"].iloc[1:-1].notna().all()


# ---------------------------------------------------------------------------
# Derivations
# ---------------------------------------------------------------------------


def test_rasch_sum_score_eap_equals_pattern_eap():
    """Derivation: under the Rasch model the sum score is sufficient, so pattern EAP equals the
    sum-score EAP for complete persons (to 1e-10), and the score probabilities sum to 1."""
    rng = np.random.default_rng(11)
    items = pd.DataFrame({"a": 1.0, "b": rng.normal(0, 1, 12)}, index=[f"R{j}" for j in range(12)])
    items["model"] = "Rasch"
    resp = simulate(items, rng.normal(0, 1, 400), rng)
    resp.iloc[::7, 3] = np.nan  # incomplete persons are not comparable
    eap = score(items, resp, "EAP", mean=0.0, sd=1.3)
    table = sum_score_table(items, mean=0.0, sd=1.3)
    complete = resp.notna().all(axis=1)
    total = resp[complete].sum(axis=1).astype(int)
    np.testing.assert_allclose(eap.loc[complete, "theta"], table["theta"].loc[total], atol=1e-10)
    np.testing.assert_allclose(eap.loc[complete, "se"], table["se"].loc[total], atol=1e-10)
    assert table["p"].sum() == pytest.approx(1.0)


def test_lord_wingersky_matches_enumeration_mixed_four_items():
    """The Lord-Wingersky recursion equals brute-force enumeration of every response pattern of
    four mixed 2PL/3PL/GRM/GPCM items (to 1e-14)."""
    items = pd.DataFrame(
        {
            "model": ["2PL", "3PL", "GRM", "GPCM"],
            "a": [1.2, 0.8, 1.5, 0.9],
            "b": [0.3, -0.5, np.nan, np.nan],
            "c": [0.0, 0.2, np.nan, np.nan],
            "b1": [np.nan, np.nan, -1.0, -0.4],
            "b2": [np.nan, np.nan, 0.2, 0.9],
            "b3": [np.nan, np.nan, 1.1, np.nan],
        },
        index=["d1", "d2", "g1", "p1"],
    )
    theta = np.array([-2.0, -0.3, 0.0, 1.7])
    lw = lord_wingersky(items, theta)
    probs = category_probs(items, theta)
    brute = np.zeros((len(theta), 1 + 1 + 3 + 2 + 1))
    for pattern in itertools.product(*[range(p.shape[1]) for p in probs]):
        like = np.prod([p[:, k] for p, k in zip(probs, pattern, strict=True)], axis=0)
        brute[:, sum(pattern)] += like
    np.testing.assert_allclose(lw.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(lw, brute, atol=1e-14)


def test_missing_responses_are_ignored_in_the_likelihood():
    """DESIGN.md conventions: a NaN response drops out of the likelihood, so scoring with NaNs
    equals scoring without those items, for EAP, MAP, ML and WLE."""
    rng = np.random.default_rng(3)
    items = mixed_bank(rng)
    resp = simulate(items, rng.normal(size=50), rng)
    dropped = ["2PL03", "GRM02", "GPCM05"]
    with_nan = resp.copy()
    with_nan[dropped] = np.nan
    for method in ("EAP", "MAP", "ML", "WLE"):
        full = score(items, with_nan, method)
        sub = score(items.drop(index=dropped), resp.drop(columns=dropped), method)
        np.testing.assert_allclose(full, sub, atol=1e-8, err_msg=method)
        # scoring a form with the whole bank: absent items are not presented
        bank_scored = score(items, resp.drop(columns=dropped), method, missing_items="nan")
        np.testing.assert_allclose(bank_scored, sub, atol=1e-8, err_msg=method)


def test_column_order_does_not_matter():
    """Scores do not depend on the order of the item columns (EAP, WLE)."""
    rng = np.random.default_rng(4)
    items = mixed_bank(rng)
    resp = simulate(items, rng.normal(size=30), rng)
    shuffled = resp[list(rng.permutation(resp.columns))]
    for method in ("EAP", "WLE"):
        pd.testing.assert_frame_equal(score(items, resp, method), score(items, shuffled, method))


def test_custom_quadrature_equals_default_grid():
    """Passing the default 61-point N(0, 1) grid explicitly gives identical EAP scores and sum-
    score table."""
    items = lsat7_items()
    pats = all_patterns(items)
    nodes = np.linspace(-6, 6, 61)
    weights = np.exp(-0.5 * nodes**2)
    pd.testing.assert_frame_equal(
        score(items, pats, "EAP"), score(items, pats, "EAP", nodes=nodes, weights=weights)
    )
    pd.testing.assert_frame_equal(
        sum_score_table(items), sum_score_table(items, nodes=nodes, weights=weights)
    )


def test_persons_without_responses():
    """A blank person gets the prior (EAP/MAP: mean 0.5, SD 1.2) and NaN under ML and WLE, which
    have no likelihood."""
    items = lsat7_items()
    resp = pd.DataFrame(np.nan, index=["blank"], columns=ITEMS5)
    resp = pd.concat([resp, all_patterns(items).iloc[[5]].astype(float)])
    eap = score(items, resp, "EAP", mean=0.5, sd=1.2)
    assert eap.loc["blank", "theta"] == pytest.approx(0.5, abs=1e-4)  # 61-point grid
    assert eap.loc["blank", "se"] == pytest.approx(1.2, abs=1e-3)
    map_ = score(items, resp, "MAP", mean=0.5, sd=1.2)
    assert map_.loc["blank", "theta"] == pytest.approx(0.5, abs=1e-6)
    assert map_.loc["blank", "se"] == pytest.approx(1.2, abs=1e-6)
    for method in ("ML", "WLE"):
        out = score(items, resp, method)
        assert out.loc["blank"].isna().all()
        assert out.drop(index="blank").notna().all().all()


def test_wle_is_finite_for_extreme_patterns_and_solves_warm_equation():
    """Warm (1989) for the 2PL: the WLE solves Σ a(x - P) + Σ a³PQ(Q - P)/(2 Σ a²PQ) = 0, is
    finite for all-0/all-1 patterns, SE = 1/sqrt(I(θ))."""
    items = lsat7_items()
    pats = all_patterns(items)
    wle = score(items, pats, "WLE")
    assert np.isfinite(wle["theta"]).all() and wle["se"].notna().all()
    assert wle["theta"].iloc[0] < wle["theta"].iloc[1] and wle["theta"].iloc[-1] > 0
    # Warm (1989) for the 2PL: sum a(x - P) + sum a^3 P Q (Q - P) / (2 sum a^2 P Q) = 0
    a, b = items["a"].to_numpy(), items["b"].to_numpy()
    t = wle["theta"].to_numpy()[:, None]
    p = 1 / (1 + np.exp(-a * (t - b)))
    q = 1 - p
    g = (a * (pats.to_numpy() - p)).sum(1) + (a**3 * p * q * (q - p)).sum(1) / (
        2 * (a**2 * p * q).sum(1)
    )
    np.testing.assert_allclose(g, 0.0, atol=1e-6)
    np.testing.assert_allclose(wle["se"], 1 / np.sqrt((a**2 * p * q).sum(1)), rtol=1e-6)


@pytest.mark.parametrize("kind", ["2PL", "GRM", "GPCM", "mixed"])
def test_recovery_of_true_theta(kind):
    """Recovery against known θ (2PL, GRM, GPCM, mixed; N = 1500): correlation > 0.9, EAP/MAP
    posterior SD ≈ RMSE, WLE nearly unbiased with SEs matching its RMSE."""
    rng = np.random.default_rng({"2PL": 1, "GRM": 2, "GPCM": 3, "mixed": 4}[kind])
    items = mixed_bank(rng) if kind == "mixed" else bank(kind, 40, rng)
    true = rng.normal(0, 1, 1500)
    resp = simulate(items, true, rng)
    for method in ("EAP", "MAP", "ML", "WLE"):
        est = score(items, resp, method)
        ok = est["se"].notna().to_numpy()  # ML: persons at a bound excluded
        assert ok.mean() > 0.97, method
        r = np.corrcoef(est["theta"][ok], true[ok])[0, 1]
        assert r > 0.9, (method, r)
        rmse = np.sqrt(np.mean((est["theta"][ok] - true[ok]) ** 2))
        ratio = est["se"][ok].mean() / rmse
        if method in ("EAP", "MAP"):
            # posterior SD is the Bayes risk: mean posterior SD ~ RMSE
            assert 0.85 < ratio < 1.15, (method, ratio)
        if method == "WLE":
            bias = np.mean(est["theta"] - true)
            assert abs(bias) < 0.05, bias
            assert 0.85 < ratio < 1.2, ratio


def test_eap_posterior_sd_tracks_error_by_region():
    """Within theta bands, the mean EAP posterior SD matches the empirical RMSE."""
    rng = np.random.default_rng(21)
    items = bank("2PL", 20, rng)
    true = rng.normal(0, 1, 6000)
    est = score(items, simulate(items, true, rng), "EAP")
    band = np.digitize(est["theta"], [-1.0, 0.0, 1.0])
    for g in range(4):
        sel = band == g
        rmse = np.sqrt(np.mean((est["theta"][sel] - true[sel]) ** 2))
        assert est["se"][sel].mean() / rmse == pytest.approx(1.0, abs=0.12)


def test_test_information_curve():
    """The information curve equals the sum of item information with csem = 1/sqrt(I); hand check
    of one 2PL item at θ = b: a²/4."""
    items = lsat7_items()
    theta = np.linspace(-3, 3, 7)
    curve = scoring.test_information_curve(items, theta)
    assert list(curve.columns) == ["theta", "information", "csem"]
    np.testing.assert_allclose(curve["information"], models.test_information(items, theta))
    np.testing.assert_allclose(curve["csem"], 1 / np.sqrt(curve["information"]))
    one = pd.DataFrame({"a": [1.7], "b": [0.4]}, index=["x"])
    assert scoring.test_information_curve(one, [0.4])["information"].iloc[0] == pytest.approx(
        1.7**2 / 4
    )


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


def test_unknown_method():
    """An unknown scoring method is refused, naming the allowed ones."""
    with pytest.raises(PvcalError, match="method='BME' is not one of"):
        score(lsat7_items(), all_patterns(lsat7_items()), "BME")


def test_unknown_and_missing_items():
    """Response columns not in the item table, and items without a column, are DataErrors naming
    them."""
    items = lsat7_items()
    resp = all_patterns(items)
    with pytest.raises(DataError, match=r"unknown item\(s\) \['Q9'\]"):
        score(items, resp.assign(Q9=0))
    with pytest.raises(DataError, match=r"no column for item\(s\) \['Q3'\]"):
        score(items, resp.drop(columns="Q3"))


def test_scores_out_of_range():
    """DESIGN.md conventions: a score outside 0..max or a fractional one is a DataError naming
    the row, item and value."""
    items = lsat7_items()
    resp = all_patterns(items).astype(float)
    resp.loc[4, "Q2"] = 2
    with pytest.raises(
        DataError, match=r"row 4, item 'Q2': score .*2\.0.*expected an integer score 0\.\.1"
    ):
        score(items, resp)
    resp.loc[4, "Q2"] = 0.5
    with pytest.raises(DataError, match=r"item 'Q2': score .*0\.5"):
        score(items, resp)


def test_empty_and_malformed_inputs():
    """Empty responses, a bare array, no items, reversed ML bounds, nodes without weights and sd
    = 0 are refused by name."""
    items = lsat7_items()
    with pytest.raises(DataError, match="empty response data"):
        score(items, pd.DataFrame(columns=ITEMS5, dtype=float))
    with pytest.raises(DataError, match="wide pandas DataFrame"):
        score(items, np.zeros((3, 5)))
    with pytest.raises(ModelError, match="items is empty"):
        score(items.iloc[:0], all_patterns(items))
    with pytest.raises(PvcalError, match="bounds must be finite with low < high"):
        score(items, all_patterns(items), "ML", bounds=(3, -3))
    with pytest.raises(PvcalError, match="give both nodes and weights"):
        score(items, all_patterns(items), nodes=[0.0, 1.0])
    with pytest.raises(PvcalError, match="sd must be > 0"):
        sum_score_table(items, sd=0)
