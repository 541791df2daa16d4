"""Calibration: agreement with published estimates, parameter recovery, bad input.

Published numbers (copied from ``tests/reference/README.md`` sources):

* LSAT7 2PL, R mirt (IRT parameterisation, D = 1):
  a = 0.988, 1.081, 1.706, 0.765, 0.736; b = -1.879, -0.748, -1.058, -0.635, -2.520;
  logLik -2658.805.
* LSAT6 Rasch, slopes 1, latent variance free (R mirt): b = -2.731, -0.999,
  -0.240, -1.307, -2.100; variance 0.572; logLik -2466.938.
* LSAT6 Rasch with the latent variance fixed at 1 (R ltm; Rizopoulos 2006,
  *J. Stat. Softw.* 17(5)): b = -2.872, -1.063, -0.258, -1.388, -2.219;
  logLik -2473.054.
* LSAT6 2PL (R ltm, ``ltm(LSAT ~ z1, IRT.param = TRUE)``; Rizopoulos 2006):
  Dffclt -3.3597, -1.3696, -0.2799, -1.8659, -3.1236; Dscrmn 0.8254, 0.7229,
  0.8905, 0.6886, 0.6575; std.err Dffclt 0.8669, 0.3073, 0.0997, 0.4341, 0.8700,
  Dscrmn 0.2581, 0.1867, 0.2326, 0.1852, 0.2100; logLik -2466.653. ltm integrates
  with 21 Gauss-Hermite points and pvcal with 61 rectangular points, so
  agreement is to about 0.005 rather than to the last digit.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pvcal
from pvcal import ConvergenceWarning, DataError, ModelError, PvcalError, SchemaError
from pvcal.irt.simulate import simulate

REF = Path(__file__).resolve().parents[1] / "reference"


@pytest.fixture(scope="module")
def lsat6():
    return pd.read_csv(REF / "lsat6.csv", index_col=0)


@pytest.fixture(scope="module")
def lsat7():
    return pd.read_csv(REF / "lsat7.csv", index_col=0)


# ----------------------------------------------------------------- published


def test_lsat7_2pl_matches_mirt(lsat7):
    """LSAT7 (Bock & Lieberman 1970) 2PL against R mirt (IRT parameterisation, D = 1): a, b to
    0.005 and logLik -2658.805, 10 parameters."""
    cal = pvcal.calibrate(lsat7, model="2PL")
    a = [0.988, 1.081, 1.706, 0.765, 0.736]
    b = [-1.879, -0.748, -1.058, -0.635, -2.520]
    np.testing.assert_allclose(cal.items["a"], a, atol=0.005)
    np.testing.assert_allclose(cal.items["b"], b, atol=0.005)
    assert cal.loglik == pytest.approx(-2658.805, abs=0.01)
    assert cal.converged
    assert cal.n_params == 10


def test_lsat6_rasch_free_variance_matches_mirt(lsat6):
    """LSAT6 (Bock & Lieberman 1970) Rasch with unit slopes and free latent variance against R
    mirt: b to 0.005, variance 0.572, logLik -2466.938."""
    cal = pvcal.calibrate(lsat6, model="Rasch")
    np.testing.assert_allclose(cal.items["b"], [-2.731, -0.999, -0.240, -1.307, -2.100], atol=0.005)
    np.testing.assert_array_equal(cal.items["a"], 1.0)
    assert cal.latent["var"] == pytest.approx(0.572, abs=0.005)
    assert cal.loglik == pytest.approx(-2466.938, abs=0.01)
    assert cal.n_params == 6  # five difficulties and the latent variance


def test_lsat6_rasch_fixed_variance_matches_ltm(lsat6):
    """LSAT6 Rasch with the latent variance fixed at 1 against R ltm (Rizopoulos 2006): b to
    0.005, logLik -2473.054."""
    cal = pvcal.calibrate(lsat6, model="Rasch", latent_variance=1.0)
    np.testing.assert_allclose(cal.items["b"], [-2.872, -1.063, -0.258, -1.388, -2.219], atol=0.005)
    assert cal.loglik == pytest.approx(-2473.054, abs=0.01)
    assert cal.n_params == 5


def test_lsat6_2pl_estimates_and_observed_se_match_ltm(lsat6):
    """LSAT6 2PL against R ltm (Rizopoulos 2006, IRT.param = TRUE): difficulties, discriminations
    and their observed-information SEs, logLik -2466.653."""
    cal = pvcal.calibrate(lsat6, model="2PL", se="observed", tol=1e-6)
    it = cal.items
    np.testing.assert_allclose(it["b"], [-3.3597, -1.3696, -0.2799, -1.8659, -3.1236], atol=0.005)
    np.testing.assert_allclose(it["a"], [0.8254, 0.7229, 0.8905, 0.6886, 0.6575], atol=0.005)
    np.testing.assert_allclose(it["se_b"], [0.8669, 0.3073, 0.0997, 0.4341, 0.8700], atol=0.01)
    np.testing.assert_allclose(it["se_a"], [0.2581, 0.1867, 0.2326, 0.1852, 0.2100], atol=0.005)
    assert cal.loglik == pytest.approx(-2466.653, abs=0.01)


def test_1pl_is_the_rasch_likelihood_on_another_scale(lsat6):
    """1PL (common slope, N(0,1)) and Rasch (unit slopes, free variance) are one model."""
    r = pvcal.calibrate(lsat6, model="Rasch")
    o = pvcal.calibrate(lsat6, model="1PL")
    assert o.loglik == pytest.approx(r.loglik, abs=1e-6)
    sd = np.sqrt(r.latent["var"])
    assert o.items["a"].iloc[0] == pytest.approx(sd, rel=1e-4)
    np.testing.assert_allclose(o.items["b"] * sd, r.items["b"], atol=1e-4)


def test_crossprod_and_observed_se_agree(lsat7):
    """Two estimates of the same information matrix; both consistent (N = 1000)."""
    xpd = pvcal.calibrate(lsat7, se="crossprod").items
    obs = pvcal.calibrate(lsat7, se="observed").items
    np.testing.assert_allclose(xpd["se_a"], obs["se_a"], rtol=0.05)
    np.testing.assert_allclose(xpd["se_b"], obs["se_b"], rtol=0.05)


# ------------------------------------------------------------------- recovery


def _items_2pl(rng, J):
    return pd.DataFrame(
        {"model": "2PL", "a": rng.lognormal(0.0, 0.3, J), "b": rng.normal(0, 1, J)},
        index=[f"d{j}" for j in range(J)],
    )


def _items_poly(rng, J, model):
    # ordered thresholds at least half a logit apart, so every category is observed
    b = rng.normal(-1.0, 0.5, (J, 1)) + np.cumsum(
        np.column_stack([np.zeros(J), rng.uniform(0.5, 1.2, (J, 2))]), axis=1
    )
    return pd.DataFrame(
        {
            "model": model,
            "a": rng.lognormal(0.2, 0.25, J),
            "b1": b[:, 0],
            "b2": b[:, 1],
            "b3": b[:, 2],
        },
        index=[f"{model.lower()}{j}" for j in range(J)],
    )


def _rmse(x, y):
    return float(np.sqrt(np.mean((np.asarray(x) - np.asarray(y)) ** 2)))


def test_recovery_2pl_with_calibrated_standard_errors():
    """Recovery on simulated data with known truth (25 2PL items, N = 5000): RMSE of a and b <
    0.06, and the SEs match the actual errors (mean squared z near 1)."""
    rng = np.random.default_rng(20261127)
    true = _items_2pl(rng, 25)
    x, _ = simulate(true, 5000, seed=1)
    cal = pvcal.calibrate(x, model="2PL")
    assert _rmse(cal.items["a"], true["a"]) < 0.06
    assert _rmse(cal.items["b"], true["b"]) < 0.06
    # standard errors describe the actual estimation error: mean squared z near 1
    z2 = np.concatenate(
        [((cal.items[c] - true[c]) / cal.items[f"se_{c}"]) ** 2 for c in ("a", "b")]
    )
    assert 0.5 < z2.mean() < 1.6


def test_recovery_3pl_with_default_prior():
    """Recovery of 20 simulated 3PL items (N = 10000) under the default Beta(5, 17) prior on c:
    RMSE bounds and SEs that match the actual errors."""
    rng = np.random.default_rng(3)
    J = 20
    true = pd.DataFrame(
        {
            "model": "3PL",
            "a": rng.lognormal(0.1, 0.25, J),
            "b": rng.normal(0, 1, J),
            "c": rng.uniform(0.1, 0.25, J),
        },
        index=[f"t{j}" for j in range(J)],
    )
    x, _ = simulate(true, 10000, seed=2)
    cal = pvcal.calibrate(x, model="3PL")
    assert cal.settings["priors"] == {"c": ["beta", 5.0, 17.0]}
    # 3PL difficulties are weakly determined (their SEs here are ~0.13), so the
    # sharp check is that the errors are the size the standard errors say
    z2 = np.concatenate(
        [((cal.items[c] - true[c]) / cal.items[f"se_{c}"]) ** 2 for c in ("a", "b", "c")]
    )
    assert 0.5 < z2.mean() < 1.6
    assert _rmse(cal.items["a"], true["a"]) < 0.15
    assert _rmse(cal.items["b"], true["b"]) < 0.2
    assert _rmse(cal.items["c"], true["c"]) < 0.06


@pytest.mark.parametrize("model", ["GRM", "GPCM"])
def test_recovery_polytomous(model):
    """Recovery of 15 simulated GRM or GPCM items (N = 4000): converged, RMSE of the slope and
    each threshold < 0.07."""
    rng = np.random.default_rng(7)
    true = _items_poly(rng, 15, model)
    x, _ = simulate(true, 4000, seed=3)
    cal = pvcal.calibrate(x, model=model)
    assert cal.converged
    assert _rmse(cal.items["a"], true["a"]) < 0.07
    for c in ("b1", "b2", "b3"):
        assert _rmse(cal.items[c], true[c]) < 0.07


def test_recovery_mixed_format_with_missing_responses():
    """Recovery of a mixed 2PL/GRM/GPCM test with 10 % responses missing at random: models kept
    per item, RMSE bounds, per-item n below N."""
    rng = np.random.default_rng(11)
    true = pd.concat([_items_2pl(rng, 15), _items_poly(rng, 5, "GRM"), _items_poly(rng, 5, "GPCM")])
    x, _ = simulate(true, 5000, seed=4)
    x = x.mask(rng.random(x.shape) < 0.1)  # 10 % missing at random
    cal = pvcal.calibrate(x, model=true["model"].to_dict())
    assert list(cal.items["model"]) == list(true["model"])
    assert _rmse(cal.items["a"], true["a"]) < 0.08
    assert _rmse(cal.items["b"].dropna(), true["b"].dropna()) < 0.08
    for c in ("b1", "b2", "b3"):
        assert _rmse(cal.items[c].dropna(), true[c].dropna()) < 0.1
    assert (cal.items["n"] < 5000).all()


def test_missing_responses_are_ignored_not_scored_wrong():
    """DESIGN.md conventions: with 30 % missing at random the difficulties stay unbiased (mean
    error < 0.08); scoring missing as wrong would shift them up."""
    rng = np.random.default_rng(5)
    true = _items_2pl(rng, 10)
    x, _ = simulate(true, 3000, seed=6)
    hidden = x.mask(rng.random(x.shape) < 0.3)
    cal = pvcal.calibrate(hidden)
    # treating missing as wrong would bias every difficulty upwards by a lot
    assert abs(float((cal.items["b"] - true["b"]).mean())) < 0.08


# ---------------------------------------------------------------- peer: girth


@pytest.fixture(scope="module")
def girth():
    import girth  # the test peer, in the dev extra

    return girth


def test_2pl_agrees_with_girth(girth):
    """2PL MML estimates agree with the independent Python implementation girth (twopl_mml) on
    simulated data to 0.005; skipped without girth."""
    rng = np.random.default_rng(21)
    true = _items_2pl(rng, 15)
    x, _ = simulate(true, 2000, seed=22)
    g = girth.twopl_mml(x.to_numpy().T.astype(int))
    cal = pvcal.calibrate(x, se=False, tol=1e-6)
    np.testing.assert_allclose(cal.items["a"], g["Discrimination"], atol=0.005)
    np.testing.assert_allclose(cal.items["b"], g["Difficulty"], atol=0.005)


def test_grm_agrees_with_girth(girth):
    """GRM MML estimates agree with girth (grm_mml) on simulated data (slopes 0.01, thresholds
    0.02); skipped without girth."""
    rng = np.random.default_rng(23)
    true = _items_poly(rng, 8, "GRM")
    x, _ = simulate(true, 2000, seed=24)
    g = girth.grm_mml(x.to_numpy().T.astype(int))
    cal = pvcal.calibrate(x, model="GRM", se=False, tol=1e-6)
    np.testing.assert_allclose(cal.items["a"], g["Discrimination"], atol=0.01)
    np.testing.assert_allclose(cal.items[["b1", "b2", "b3"]], g["Difficulty"], atol=0.02)


# ------------------------------------------------------------------ behaviour


def test_same_input_same_output(lsat7):
    """DESIGN.md conventions: the same input gives bit-identical item parameters and log-
    likelihood."""
    a = pvcal.calibrate(lsat7)
    b = pvcal.calibrate(lsat7)
    pd.testing.assert_frame_equal(a.items, b.items)
    assert a.loglik == b.loglik


def test_convergence_warning_when_iterations_run_out(lsat7):
    """Running out of EM iterations gives a ConvergenceWarning, converged = False and NOT
    CONVERGED in the summary."""
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        cal = pvcal.calibrate(lsat7, max_iter=2)
    assert not cal.converged
    assert "NOT CONVERGED" in cal.summary().as_text()


def test_json_round_trip(lsat7, tmp_path):
    """Issue 9 item 3: a Calibration written to JSON reloads with the same items, log-likelihood
    and settings; foreign JSON is refused."""
    cal = pvcal.calibrate(lsat7)
    path = tmp_path / "cal.json"
    cal.to_json(path)
    back = pvcal.Calibration.from_json(path)
    pd.testing.assert_frame_equal(back.items, cal.items)
    assert back.loglik == cal.loglik and back.settings == cal.settings
    with pytest.raises(SchemaError, match="not hold a pvcal Calibration"):
        pvcal.Calibration.from_json('{"a": 1}')


def test_summary_text_and_html(lsat7):
    """The summary shows the LSAT7 log-likelihood (-2658.8051, as R mirt) and the item table in
    text and HTML."""
    s = pvcal.calibrate(lsat7).summary()
    text = s.as_text()
    assert "Log-likelihood" in text and "-2658.8051" in text and "Q3" in text
    html = s.as_html()
    assert "<table" in html and "se_a" in html
    assert s._repr_html_() == html


def test_aic_bic(lsat7):
    """Hand formulas: AIC = -2 logL + 2k and BIC = -2 logL + k log N with k = 10 parameters and N
    = 1000 for LSAT7 2PL."""
    cal = pvcal.calibrate(lsat7)
    assert cal.aic == pytest.approx(-2 * cal.loglik + 20)
    assert cal.bic == pytest.approx(-2 * cal.loglik + 10 * np.log(1000))


def test_information_and_plots(lsat7):
    """Hand check of the 2PL test information I(θ) = Σ a² P (1 - P) at θ = 0; ICC and information
    plots draw lines."""
    import matplotlib

    matplotlib.use("Agg")
    cal = pvcal.calibrate(lsat7)
    info = cal.information([0.0])
    # hand check: I(θ) = Σ a² P (1 - P) for the 2PL
    a, b = cal.items["a"].to_numpy(), cal.items["b"].to_numpy()
    p = 1 / (1 + np.exp(-a * (0 - b)))
    assert info["information"].iloc[0] == pytest.approx(np.sum(a**2 * p * (1 - p)))
    assert cal.plot_icc().get_lines()
    assert cal.plot_information().get_lines()


# ------------------------------------------------------------------ bad input


def test_bad_input_non_integer_score():
    """DESIGN.md conventions: a fractional score is a DataError naming the item and the value."""
    x = pd.DataFrame({"Q1": [0, 1, 0.5], "Q2": [1, 0, 1]})
    with pytest.raises(DataError, match=r"item 'Q1'.*0\.5"):
        pvcal.calibrate(x)


def test_bad_input_negative_score():
    """DESIGN.md conventions: a negative score is a DataError naming the item and the value."""
    x = pd.DataFrame({"Q1": [0, 1, -1], "Q2": [1, 0, 1]})
    with pytest.raises(DataError, match=r"item 'Q1'.*-1"):
        pvcal.calibrate(x)


def test_bad_input_polytomous_item_in_dichotomous_model():
    """A score of 2 under a dichotomous model is a ModelError naming the item and the model."""
    x = pd.DataFrame({"Q1": [0, 1, 2, 1], "Q2": [1, 0, 1, 0]})
    with pytest.raises(ModelError, match=r"item 'Q1'.*scores up to 2.*2PL"):
        pvcal.calibrate(x, model="2PL")


def test_bad_input_item_answered_by_nobody():
    """An item nobody answered cannot be calibrated: a DataError naming it."""
    x = pd.DataFrame({"Q1": [0, 1, 1], "Q2": [np.nan] * 3})
    with pytest.raises(DataError, match=r"\['Q2'\] answered by nobody"):
        pvcal.calibrate(x)


def test_bad_input_single_category_item():
    """An item with one observed category is not identified: a DataError naming it."""
    x = pd.DataFrame({"Q1": [0, 1, 1], "Q2": [1, 1, 1]})
    with pytest.raises(DataError, match=r"item 'Q2'.*only one observed category"):
        pvcal.calibrate(x)


def test_bad_input_unobserved_middle_category():
    """A polytomous item whose middle category is never observed is a DataError naming the
    category."""
    x = pd.DataFrame({"Q1": [0, 3, 3, 0, 1], "Q2": [1, 0, 1, 0, 1]})
    with pytest.raises(DataError, match=r"item 'Q1'.*categories \[2\] are never observed"):
        pvcal.calibrate(x, model={"Q1": "GRM", "Q2": "2PL"})


def test_bad_input_person_without_responses():
    """A person with no response is a DataError naming the row label."""
    x = pd.DataFrame({"Q1": [0, 1, np.nan, 1], "Q2": [1, 0, np.nan, 0]}, index=list("abcd"))
    with pytest.raises(DataError, match=r"1 person\(s\) with no responses.*\['c'\]"):
        pvcal.calibrate(x)


def test_bad_input_empty_and_wrong_type():
    """Empty data and a bare array (not a wide DataFrame, DESIGN.md public API) are DataErrors."""
    with pytest.raises(DataError, match="empty response data"):
        pvcal.calibrate(pd.DataFrame())
    with pytest.raises(DataError, match="wide pandas DataFrame"):
        pvcal.calibrate(np.zeros((3, 3)))


def test_bad_input_unknown_model_and_mapping(lsat7):
    """An unknown model, a model mapping missing an item, and Rasch mixed with 2PL are
    ModelErrors naming the problem."""
    with pytest.raises(ModelError, match="unknown item model '4PL'"):
        pvcal.calibrate(lsat7, model="4PL")
    with pytest.raises(ModelError, match=r"no entry for item\(s\) \['Q5'\]"):
        pvcal.calibrate(lsat7, model={f"Q{i}": "2PL" for i in range(1, 5)})
    with pytest.raises(ModelError, match="cannot be mixed"):
        pvcal.calibrate(lsat7, model=["Rasch", "Rasch", "2PL", "2PL", "2PL"])


def test_bad_input_settings(lsat7):
    """Bad settings (SE method, prior on an unknown parameter, tol <= 0, latent_variance outside
    Rasch/PCM) are refused by name."""
    with pytest.raises(PvcalError, match="se='fisher' is not one of"):
        pvcal.calibrate(lsat7, se="fisher")
    with pytest.raises(PvcalError, match="priors: unknown parameter 'b'"):
        pvcal.calibrate(lsat7, priors={"b": ("normal", 0, 1)})
    with pytest.raises(PvcalError, match="tol must be > 0"):
        pvcal.calibrate(lsat7, tol=0)
    with pytest.raises(ModelError, match="latent_variance applies to Rasch/PCM"):
        pvcal.calibrate(lsat7, latent_variance=1.0)


def test_errors_are_value_errors():
    """Issue 9 / team rules: pvcal's exceptions are ValueError subclasses, so callers catching
    ValueError see them."""
    assert issubclass(DataError, ValueError) and issubclass(ModelError, ValueError)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError):
            pvcal.calibrate(pd.DataFrame({"Q1": [0, 1, 7]}), model="2PL")


# ------------------------------------------- multiple groups, fixed parameters


def test_concurrent_multiple_group_recovers_group_mean_and_sd():
    """Two periods, common items: the focal group's N(0.5, 1.2²) is recovered."""
    rng = np.random.default_rng(8)
    true = _items_2pl(rng, 30)
    x1, _ = simulate(true, 3000, seed=1)
    x2, _ = simulate(true, 3000, seed=2, mean=0.5, sd=1.2)
    x = pd.concat([x1, x2], ignore_index=True)
    cal = pvcal.calibrate(x, groups=np.repeat(["P1", "P2"], 3000), reference_group="P1")
    g = cal.groups
    assert list(g.index) == ["P1", "P2"] and list(g["free"]) == [False, True]
    assert g.loc["P1", "mean"] == 0 and g.loc["P1", "sd"] == 1
    assert abs(g.loc["P2", "mean"] - 0.5) < 3 * g.loc["P2", "se_mean"]
    assert abs(g.loc["P2", "sd"] - 1.2) < 3 * g.loc["P2", "se_sd"]
    assert _rmse(cal.items["a"], true["a"]) < 0.07
    assert _rmse(cal.items["b"], true["b"]) < 0.07
    # scoring can use either group's distribution as the prior
    s1 = cal.score(x2.iloc[:50])
    s2 = cal.score(x2.iloc[:50], group="P2")
    assert (s2["theta"] - s1["theta"]).mean() > 0
    back = pvcal.Calibration.from_json(cal.to_json())
    pd.testing.assert_frame_equal(back.groups, cal.groups)


def test_fixed_parameter_calibration_puts_new_items_on_the_base_scale():
    """Anchors held at base values: latent mean/SD and new items on the base scale."""
    rng = np.random.default_rng(9)
    true = _items_2pl(rng, 30)
    x, _ = simulate(true, 4000, seed=3, mean=-0.4, sd=0.8)
    cal = pvcal.calibrate(x, fixed=true.iloc[:10], se="observed")
    assert cal.items["fixed"].sum() == 10
    pd.testing.assert_series_equal(
        cal.items["a"].iloc[:10], true["a"].iloc[:10], check_names=False, atol=1e-8
    )
    assert cal.items["se_a"].iloc[:10].isna().all()
    assert abs(cal.latent["mean"] + 0.4) < 3 * cal.latent["se_mean"]
    assert abs(cal.latent["sd"] - 0.8) < 3 * cal.latent["se_sd"]
    new = slice(10, None)
    assert _rmse(cal.items["a"].iloc[new], true["a"].iloc[new]) < 0.1
    assert _rmse(cal.items["b"].iloc[new], true["b"].iloc[new]) < 0.15


def test_bad_input_groups_and_fixed(lsat7):
    """Multiple-group and fixed-parameter misuse (group labels of the wrong length, unknown
    reference group, no fixed item in the data, wrong model, Rasch groups) is refused by name."""
    with pytest.raises(DataError, match="one label per response row"):
        pvcal.calibrate(lsat7, groups=["a"] * 10)
    with pytest.raises(DataError, match="reference_group 'z' is not among"):
        pvcal.calibrate(lsat7, groups=["a"] * 500 + ["b"] * 500, reference_group="z")
    other = pd.DataFrame({"a": [1.0], "b": [0.0]}, index=["X9"])
    with pytest.raises(DataError, match="none of the fixed items"):
        pvcal.calibrate(lsat7, fixed=other)
    wrong = pd.DataFrame({"model": ["3PL"], "a": [1.0], "b": [0.0], "c": [0.2]}, index=["Q1"])
    with pytest.raises(ModelError, match="item 'Q1': fixed parameters are for a 3PL"):
        pvcal.calibrate(lsat7, fixed=wrong)
    with pytest.raises(ModelError, match="use model='1PL'"):
        pvcal.calibrate(lsat7, model="Rasch", groups=["a"] * 500 + ["b"] * 500)


def test_rescale_keeps_the_model_and_moves_the_scale(lsat7):
    """θ* = Aθ + B: a/A, Ab + B; P(θ) under the old parameters equals P(Aθ + B) under the new."""
    from pvcal.irt.models import category_probs

    cal = pvcal.calibrate(lsat7)
    new = cal.rescale(1.3, -0.4, note={"method": "test"})
    theta = np.linspace(-3, 3, 7)
    old_p = category_probs(cal.parameters, theta)
    new_p = category_probs(new.parameters, 1.3 * theta - 0.4)
    for p, q in zip(old_p, new_p):
        np.testing.assert_allclose(p, q, atol=1e-12)
    np.testing.assert_allclose(new.items["se_a"], cal.items["se_a"] / 1.3)
    np.testing.assert_allclose(new.items["se_b"], cal.items["se_b"] * 1.3)
    assert new.latent["mean"] == pytest.approx(-0.4) and new.latent["sd"] == pytest.approx(1.3)
    assert new.loglik == cal.loglik
    assert new.settings["rescaled"]["method"] == "test"
    with pytest.raises(PvcalError, match="A > 0"):
        cal.rescale(-1, 0)


def test_item_fit_form_by_form_when_forms_differ():
    """Two forms sharing 5 anchors: no one took all items, so S-X² is per form."""
    rng = np.random.default_rng(31)
    true = _items_2pl(rng, 25)
    x, _ = simulate(true, 4000, seed=5)
    form = np.where(np.arange(4000) < 2000, "A", "B")
    x.loc[form == "A", x.columns[15:]] = np.nan  # A: items 0-14
    x.loc[form == "B", x.columns[5:15]] = np.nan  # B: items 0-4 and 15-24
    cal = pvcal.calibrate(x)
    with pytest.raises(DataError, match="response to every item"):
        cal.item_fit(x)
    fit = cal.item_fit(x, by=form)
    assert fit.index.names == ["form", "item"]
    assert len(fit.loc["A"]) == 15 and len(fit.loc["B"]) == 15
    assert (fit["p"] < 0.01).mean() < 0.15  # data follow the model
