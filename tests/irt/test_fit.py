"""Tests for pvcal.irt.fit: S-X², infit/outfit, lz/lz*, information criteria.

Published references:

* R mirt's regression test ``tests/testthat/test-01-mirtOne.R``
  (github.com/philchalmers/mirt, commit 099d6d7e57fc82cf5f9f67bc7cd5945defcbc9d0):
  ``itemfit(mod1)`` on LSAT7 (2PL; a = 0.9876, 1.0808, 1.7075, 0.765, 0.7357;
  d = 1.8559, 0.808, 1.8052, 0.486, 1.8545) gives
  S_X2 = 4.749440, 14.451071, 1.270381, 5.237400, 0.941125 with df.S_X2 = 2 each.
* LSAT7 2PL log-likelihood -2658.805 (R mirt, ``logLik(mirt(expand.table(LSAT7), 1))``),
  10 parameters, N = 1000; LSAT6 Rasch with a = 1 (ltm, Rizopoulos 2006,
  *J. Stat. Softw.* 17(5)) log-likelihood -2473.054, 5 parameters: its printed
  model summary reads AIC 4956.108, BIC 4980.646.

Everything else is checked against data simulated from known parameters.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pvcal._validation import DataError, ModelError, PvcalError
from pvcal.irt import fit
from pvcal.irt.fit import infit_outfit, information_criteria, person_fit, s_x2
from pvcal.irt.models import category_probs
from pvcal.irt.scoring import score

REF = Path(__file__).resolve().parents[1] / "reference"
ITEMS5 = [f"Q{i}" for i in range(1, 6)]
LSAT7_A = np.array([0.9876, 1.0808, 1.7075, 0.765, 0.7357])
LSAT7_D = np.array([1.8559, 0.808, 1.8052, 0.486, 1.8545])
MIRT_SX2 = [4.749440, 14.451071, 1.270381, 5.237400, 0.941125]


def lsat7_items() -> pd.DataFrame:
    return pd.DataFrame({"a": LSAT7_A, "b": -LSAT7_D / LSAT7_A}, index=ITEMS5)


def simulate(items: pd.DataFrame, theta: np.ndarray, rng) -> pd.DataFrame:
    """Draw responses from the item model at the true theta (inverse-CDF per item)."""
    cols = {}
    for item, p in zip(items.index, category_probs(items, theta), strict=True):
        u = rng.random(len(theta))
        cols[item] = (u[:, None] > np.cumsum(p, axis=1)[:, :-1]).sum(axis=1)
    return pd.DataFrame(cols, index=pd.RangeIndex(len(theta), name="person")).astype(float)


def twopl(n_items: int, rng, prefix="i") -> pd.DataFrame:
    return pd.DataFrame(
        {"a": rng.lognormal(0.0, 0.25, n_items), "b": rng.normal(0, 1, n_items)},
        index=[f"{prefix}{j:02d}" for j in range(n_items)],
    )


def poly(n_items: int, model: str, rng, prefix) -> pd.DataFrame:
    b = np.sort(rng.normal(0, 1, (n_items, 3)), axis=1) + np.array([-0.6, 0.0, 0.6])
    return pd.DataFrame(
        {
            "model": model,
            "a": rng.lognormal(0, 0.25, n_items),
            "b1": b[:, 0],
            "b2": b[:, 1],
            "b3": b[:, 2],
        },
        index=[f"{prefix}{j:02d}" for j in range(n_items)],
    )


# ---------------------------------------------------------------------------
# S-X2
# ---------------------------------------------------------------------------


def test_s_x2_matches_mirt_lsat7():
    """R mirt's regression test on LSAT7 (test-01-mirtOne.R, itemfit): S-X² (Orlando & Thissen
    2000) = 4.749, 14.451, 1.270, 5.237, 0.941 with 2 df each, p the chi² tail."""
    data = pd.read_csv(REF / "lsat7.csv", index_col=0)
    out = s_x2(lsat7_items(), data)
    assert list(out.columns) == ["S_X2", "df", "p"]
    assert out.index.name == "item" and out.index.tolist() == ITEMS5
    np.testing.assert_allclose(out["S_X2"], MIRT_SX2, atol=5e-3)
    assert out["df"].tolist() == [2] * 5
    np.testing.assert_allclose(out["p"], np.exp(-out["S_X2"] / 2))  # chi2 sf with 2 df
    assert out.attrs["n_persons"] == 1000


def test_s_x2_null_distribution_and_misfit_detection():
    """Simulation with known 2PL parameters: S-X² p-values are about uniform under the model, and
    an item generated as 3PL (c = 0.3) is flagged (p < 1e-6)."""
    rng = np.random.default_rng(2024)
    items = twopl(40, rng)
    true = rng.normal(size=3000)
    resp = simulate(items, true, rng)
    # true parameters (none estimated from these data): S-X2 ~ chi2(groups - 1), p ~ U(0, 1)
    null = s_x2(items, resp, n_params=0)
    assert (null["p"] < 0.05).mean() < 0.15
    assert 0.35 < null["p"].mean() < 0.65
    assert (null["p"] > 0.5).mean() > 0.3
    # default df (2 parameters charged per 2PL item) is conservative here
    assert (s_x2(items, resp)["p"] < 0.05).mean() < 0.15
    # one item generated from a 3PL with c = 0.3, scored with its 2PL a and b
    bad = pd.DataFrame({"a": [1.4], "b": [0.8], "c": [0.3]}, index=["bad"])
    resp["bad"] = simulate(bad, true, rng)["bad"].to_numpy()
    out = s_x2(pd.concat([items, bad[["a", "b"]]]), resp)
    assert out.loc["bad", "p"] < 1e-6
    assert out["S_X2"].idxmax() == "bad"


def test_s_x2_polytomous_and_mixed_under_true_model():
    """Simulation with known mixed 2PL/GRM/GPCM items: S-X² holds its level under the model,
    polytomous df as groups x (categories - 1), a flat-slope GRM item is flagged."""
    rng = np.random.default_rng(77)
    items = pd.concat(
        [twopl(10, rng).assign(model="2PL"), poly(6, "GRM", rng, "g"), poly(6, "GPCM", rng, "p")]
    )
    resp = simulate(items, rng.normal(size=3000), rng)
    out = s_x2(items, resp)
    assert out["p"].notna().all()
    assert (out["p"] < 0.05).mean() < 0.2
    # df: groups x (categories - 1) - n_params, with structural zeros excluded
    assert (out.loc[["g00", "p00"], "df"] > 10).all()
    # a misfitting polytomous item: generated with a much flatter slope
    off = items.loc[["g00"]].copy()
    resp2 = resp.copy()
    resp2["g00"] = simulate(off.assign(a=0.2), rng.normal(size=3000), rng)["g00"].to_numpy()
    assert s_x2(items, resp2).loc["g00", "p"] < 1e-6


def test_s_x2_uses_complete_persons_only_and_n_params():
    """S-X² uses complete persons only (990 of LSAT7 when 10 miss Q1), and df = groups - 1 -
    n_params (Rasch 3, or 2 as mirt charging the variance; per-item override)."""
    data = pd.read_csv(REF / "lsat7.csv", index_col=0).astype(float)
    data.iloc[:10, 0] = np.nan
    out = s_x2(lsat7_items(), data)
    assert out.attrs["n_persons"] == 990
    same = s_x2(lsat7_items(), data.iloc[10:])
    pd.testing.assert_frame_equal(out, same)
    rasch = lsat7_items().assign(a=1.0, model="Rasch")
    assert s_x2(rasch, data)["df"].tolist() == [3] * 5  # 4 groups - 1 parameter
    assert s_x2(rasch, data, n_params=2)["df"].tolist() == [2] * 5  # mirt: also the variance
    custom = s_x2(lsat7_items(), data, n_params={"Q1": 3})
    assert custom["df"].tolist() == [1, 2, 2, 2, 2]


def test_collapse_rule():
    """The S-X² cell-collapsing rule: every possible cell reaches the minimum expected count,
    totals kept, a hand-worked 4-group example, and everything merged gives df 0 and NaN."""
    rng = np.random.default_rng(9)
    E = rng.uniform(0.1, 6, (8, 3))
    E[0, 2] = 0.0  # structurally impossible cell: ignored
    O = rng.integers(0, 6, (8, 3)).astype(float)
    for m in (1.0, 3.0, 5.0):
        Oc, Ec = fit._collapse(O, E, m)
        assert Oc.sum() == O.sum() and Ec.sum() == pytest.approx(E.sum())
        possible = Ec > 0
        assert (Ec[possible] >= m).all() or len(Ec) == 1
    # hand example: group 0 (E 0.8) merges upward into group 1 first; then group 2
    # (E 0.5) merges into its neighbour with fewer persons (merged group: 4 < 9)
    O = np.array([[1.0, 0.0], [2.0, 1.0], [1.0, 0.0], [4.0, 5.0]])
    E = np.array([[0.8, 1.5], [2.0, 1.2], [0.5, 2.0], [4.0, 5.0]])
    Oc, Ec = fit._collapse(O, E, 1.0)
    np.testing.assert_array_equal(Oc, [[4.0, 1.0], [4.0, 5.0]])
    np.testing.assert_allclose(Ec, [[3.3, 4.7], [4.0, 5.0]])
    # very strict minimum: everything merges, df <= 0, statistic undefined
    data = pd.read_csv(REF / "lsat7.csv", index_col=0)
    strict = s_x2(lsat7_items(), data, min_expected=1e6)
    assert strict["S_X2"].isna().all() and (strict["df"] == 0).all()


# ---------------------------------------------------------------------------
# infit / outfit
# ---------------------------------------------------------------------------


def test_infit_outfit_near_one_under_the_model_and_detect_misfit():
    """Simulation with known Rasch/PCM items: infit and outfit mean squares (Wright & Masters)
    near 1 at true or WLE θ, and a flat-slope item flagged (infit > 1.2, t > 4)."""
    rng = np.random.default_rng(31)
    items = pd.DataFrame({"a": 1.0, "b": rng.normal(0, 1, 30)}, index=[f"r{j}" for j in range(30)])
    pcm = poly(5, "PCM", rng, "pc").assign(a=1.0)
    items = pd.concat([items.assign(model="Rasch"), pcm])
    true = rng.normal(size=2000)
    resp = simulate(items, true, rng)
    # a misfitting item generated with a flat slope, scored as a Rasch item
    flat = pd.DataFrame({"a": [0.3], "b": [0.0]}, index=["flat"])
    resp["flat"] = simulate(flat, true, rng)["flat"].to_numpy()
    scored = pd.concat([items, flat.assign(model="Rasch", a=1.0)])
    out = infit_outfit(scored, resp, true)
    assert list(out.columns) == ["outfit", "outfit_t", "infit", "infit_t", "n"]
    good = out.drop(index="flat")
    assert good["infit"].between(0.92, 1.08).all()
    assert good["outfit"].between(0.85, 1.15).all()
    assert abs(good["infit"].mean() - 1) < 0.02 and abs(good["outfit"].mean() - 1) < 0.03
    assert (good["infit_t"].abs() < 3).mean() > 0.95
    assert out.loc["flat", "infit"] > 1.2 and out.loc["flat", "infit_t"] > 4
    # with estimated (WLE) abilities the item statistics stay close to 1
    wle = score(scored, resp, "WLE")
    est = infit_outfit(scored, resp, wle)
    assert est.drop(index="flat")["infit"].between(0.85, 1.15).all()
    # person-level statistics also have mean near 1 at the true theta
    persons = infit_outfit(items, resp.drop(columns="flat"), true, by="person")
    assert persons.index.equals(resp.index)
    assert abs(persons["outfit"].mean() - 1) < 0.05


def test_infit_outfit_hand_computed_two_items():
    """Hand computation for two Rasch items and three persons (one missing): outfit = mean z²,
    infit = Σ(x - P)²/Σ PQ."""
    items = pd.DataFrame({"a": [1.0, 1.0], "b": [0.0, 1.0]}, index=["Q1", "Q2"])
    resp = pd.DataFrame({"Q1": [1.0, 0.0, np.nan], "Q2": [0.0, 1.0, 1.0]})
    theta = np.array([0.5, -0.5, 0.0])
    out = infit_outfit(items, resp, theta)
    p = 1 / (1 + np.exp(-(theta[:, None] - np.array([0.0, 1.0]))))
    x = resp.to_numpy()
    z2 = (x - p) ** 2 / (p * (1 - p))
    ok = ~np.isnan(x)
    outfit = np.nanmean(np.where(ok, z2, np.nan), axis=0)
    infit = np.nansum(np.where(ok, (x - p) ** 2, np.nan), axis=0) / np.sum(
        np.where(ok, p * (1 - p), 0), axis=0
    )
    np.testing.assert_allclose(out["outfit"], outfit)
    np.testing.assert_allclose(out["infit"], infit)
    assert out["n"].tolist() == [2, 3]


# ---------------------------------------------------------------------------
# person fit
# ---------------------------------------------------------------------------


def test_lz_star_is_standard_normal_under_the_model_and_flags_random_responders():
    """Simulation: lz* (Snijders 2001) is about N(0, 1) under the model at WLE or ML θ, plain lz
    shrinks, and most random responders are flagged."""
    rng = np.random.default_rng(404)
    items = twopl(40, rng)
    true = rng.normal(size=2100)
    resp = simulate(items, true, rng)
    aberrant = resp.index[-100:]
    resp.loc[aberrant] = rng.integers(0, 2, (100, 40)).astype(float)  # random responding
    pf = person_fit(items, resp)  # WLE theta
    normal = pf.drop(index=aberrant)
    assert abs(normal["lz_star"].mean()) < 0.1
    assert 0.85 < normal["lz_star"].std() < 1.15
    assert normal["flagged"].mean() < 0.09
    assert pf.loc[aberrant, "flagged"].mean() > 0.6
    # lz with estimated theta is not standardised (variance shrinks), lz* corrects it
    assert normal["lz"].std() < normal["lz_star"].std()
    # ML theta: same null behaviour (extreme patterns, at the bound, are NaN)
    ml = person_fit(items, resp, theta_method="ML").drop(index=aberrant)
    assert abs(ml["lz_star"].mean()) < 0.1 and 0.85 < ml["lz_star"].std() < 1.15
    # passing score()'s frame gives the same result, bound persons included
    given = person_fit(items, resp, score(items, resp, "ML"), theta_method="ML")
    pd.testing.assert_frame_equal(given.drop(index=aberrant), ml)


def test_lz_star_equals_snijders_formula():
    """Σ(x-P) w~ equals Snijders' W_n + c_n r_0 with r_0 = J/(2I) for WLE (2PL by hand)."""
    rng = np.random.default_rng(5)
    items = twopl(15, rng)
    resp = simulate(items, rng.normal(size=40), rng)
    pf = person_fit(items, resp, theta_method="WLE")
    a, b = items["a"].to_numpy(), items["b"].to_numpy()
    for i in range(0, 40, 7):
        if not np.isfinite(pf["lz_star"].iloc[i]):
            continue
        t, x = pf["theta"].iloc[i], resp.iloc[i].to_numpy()
        p = 1 / (1 + np.exp(-a * (t - b)))
        q = 1 - p
        dp = a * p * q
        d2p = a**2 * p * q * (q - p)
        w = np.log(p / q)
        r = dp / (p * q)
        r0 = np.sum(dp * d2p / (p * q)) / (2 * np.sum(dp**2 / (p * q)))
        c = np.sum(dp * w) / np.sum(dp * r)
        wn = np.sum((x - p) * w)
        tau2 = np.sum((w - c * r) ** 2 * p * q)
        assert pf["lz_star"].iloc[i] == pytest.approx((wn + c * r0) / np.sqrt(tau2), abs=1e-6)
        l0 = np.sum(x * np.log(p) + (1 - x) * np.log(q))
        e = np.sum(p * np.log(p) + q * np.log(q))
        v = np.sum(p * q * np.log(p / q) ** 2)
        assert pf["lz"].iloc[i] == pytest.approx((l0 - e) / np.sqrt(v), abs=1e-9)


def test_person_fit_polytomous_and_given_theta():
    """Person fit with given WLE θ on mixed items: lz only (lz* is for dichotomous items, refused
    by name otherwise)."""
    rng = np.random.default_rng(8)
    items = pd.concat([twopl(10, rng).assign(model="2PL"), poly(8, "GRM", rng, "g")])
    resp = simulate(items, rng.normal(size=800), rng)
    est = score(items, resp, "WLE")
    pf = person_fit(items, resp, est, method="lz")
    assert pf["lz_star"].isna().all()
    assert abs(pf["lz"].mean()) < 0.5 and pf["flagged"].dtype == bool
    np.testing.assert_allclose(pf["theta"], est["theta"])
    with pytest.raises(ModelError, match=r"dichotomous items only; item\(s\) \['g00'"):
        person_fit(items, resp, est)


def test_person_fit_blank_person_is_nan_and_not_flagged():
    """A blank person has NaN lz and lz* and is not flagged; the others are scored."""
    items = lsat7_items()
    resp = pd.read_csv(REF / "lsat7.csv", index_col=0).astype(float).iloc[:20]
    resp.iloc[3] = np.nan
    pf = person_fit(items, resp)
    assert pf.iloc[3][["lz", "lz_star"]].isna().all() and not pf["flagged"].iloc[3]
    assert pf.drop(index=resp.index[3])["lz"].notna().all()


# ---------------------------------------------------------------------------
# information criteria
# ---------------------------------------------------------------------------


def test_information_criteria_published_models():
    """AIC/BIC/SABIC/HQ/AICc by hand from the LSAT7 2PL logLik (R mirt, -2658.805), and ltm's
    printed AIC 4956.108, BIC 4980.646 for LSAT6 Rasch (Rizopoulos 2006)."""
    ic = information_criteria(-2658.805, 10, 1000)
    assert ic["AIC"] == pytest.approx(5337.61, abs=1e-6)
    assert ic["BIC"] == pytest.approx(5317.61 + 10 * np.log(1000))
    assert ic["SABIC"] == pytest.approx(5317.61 + 10 * np.log(1002 / 24))
    assert ic["HQ"] == pytest.approx(5317.61 + 20 * np.log(np.log(1000)))
    assert ic["AICc"] == pytest.approx(5337.61 + 2 * 10 * 11 / (1000 - 11))
    ltm = information_criteria(-2473.054, 5, 1000)
    assert ltm["AIC"] == pytest.approx(4956.108, abs=1e-3)
    assert ltm["BIC"] == pytest.approx(4980.646, abs=2e-3)
    assert np.isnan(information_criteria(-10.0, 5, 6)["AICc"])


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------


def test_fit_bad_input():
    """Misuse is refused by name: an item nobody answered, unknown items or n_params,
    min_expected <= 0, unknown options, θ of the wrong length, non-finite or missing θ."""
    items = lsat7_items()
    data = pd.read_csv(REF / "lsat7.csv", index_col=0).astype(float)
    with pytest.raises(DataError, match="no such person"):
        s_x2(items, data.assign(Q1=np.nan))
    with pytest.raises(DataError, match=r"unknown item\(s\) \['Q7'\]"):
        s_x2(items, data.assign(Q7=1.0))
    with pytest.raises(PvcalError, match=r"n_params names unknown item\(s\) \['Q8'\]"):
        s_x2(items, data, n_params={"Q8": 2})
    with pytest.raises(PvcalError, match="min_expected must be > 0"):
        s_x2(items, data, min_expected=0)
    with pytest.raises(PvcalError, match="missing_items='skip' is not one of"):
        person_fit(items, data, missing_items="skip")
    with pytest.raises(DataError, match=r"one value per person \(1000\)"):
        infit_outfit(items, data, np.zeros(3))
    theta = np.zeros(1000)
    theta[5] = np.inf
    with pytest.raises(DataError, match=r"theta is not finite for person\(s\) \[6\]"):
        infit_outfit(items, data, theta)
    with pytest.raises(DataError, match=r"theta has no value for person\(s\)"):
        person_fit(items, data, pd.Series(0.0, index=data.index[:10]))
    with pytest.raises(PvcalError, match="by='items' is not one of"):
        infit_outfit(items, data, np.zeros(1000), by="items")
    with pytest.raises(ModelError, match="theta_method='EAP' is not one of"):
        person_fit(items, data, theta_method="EAP")
    with pytest.raises(PvcalError, match="method='l0' is not one of"):
        person_fit(items, data, method="l0")
    with pytest.raises(PvcalError, match="n_obs must be a positive integer"):
        information_criteria(-100.0, 3, 0)
    with pytest.raises(PvcalError, match="loglik must be finite"):
        information_criteria(float("nan"), 3, 10)
