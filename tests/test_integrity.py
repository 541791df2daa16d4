"""Tests of pvcal.integrity: Wollack's ω, person fit with simulated critical values,
Guttman errors and the sitting screen.

Sources: Wollack (1997) for ω; CopyDetect 1.3 (``similarity1``'s internal ``omega``,
transcribed line by line in ``_copydetect_omega`` below) for the conventions on missing
responses; Meijer (1994) and PerFit for Guttman errors; Snijders (2001) for lz*.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from pvcal._validation import DataError, PvcalError, SchemaError
from pvcal.integrity import (
    OMEGA_COLUMNS,
    PAIR_COLUMNS,
    Screening,
    guttman_errors,
    identical_incorrect,
    omega,
    person_fit,
    screen,
)
from pvcal.irt.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]
LN3, LN4, LN9 = math.log(3), math.log(4), math.log(9)


def _bank(n_items: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"a": rng.uniform(0.8, 2.0, n_items), "b": rng.normal(0.0, 1.0, n_items)},
        index=[f"Q{j + 1:02d}" for j in range(n_items)],
    )


def _copydetect_omega(form: np.ndarray, ip: np.ndarray, c: int, s: int, theta: float):
    """CopyDetect 1.3 ``omega(form, ip, pa, thetas)`` transcribed from R (rows c, s).

    ``ip`` is n x 3 (a, b, c) in the logistic metric, D = 1.
    """
    form = form.copy()
    irtprob = ip[:, 2] + (1 - ip[:, 2]) / (1 + np.exp(-1 * ip[:, 0] * (theta - ip[:, 1])))
    common_missing = np.isnan(form[c]) & np.isnan(form[s])
    form[c, common_missing] = 0
    form[s, common_missing] = 0
    obs_match = int(np.sum(form[c] == form[s]))  # NA == x is NA, which() drops it
    pvec = np.concatenate(
        [irtprob[form[s] == 1], 1 - irtprob[form[s] == 0], 1 - irtprob[np.isnan(form[s])]]
    )
    exp_match = pvec.sum()
    sd_match = math.sqrt(np.sum(pvec * (1 - pvec)))
    w = (obs_match - exp_match) / sd_match
    return obs_match, exp_match, sd_match, w, norm.sf(w)


# --------------------------------------------------------------------------- omega


def test_omega_hand_worked_five_items():
    """Five 2PL items (a = 1) at θ_copier = 0, chosen so P_i are exact:

    b = (-ln3, ln3, -ln4, -ln9, 0)  ->  P = (.75, .25, .80, .90, .50)
    source = (1, 0, 1, NA, 0), copier = (1, 0, 0, NA, NA)

    match probabilities π = (P1, 1-P2, P3, 1-P4 [source missing -> incorrect], 1-P5)
                          = (.75, .75, .80, .10, .50);  expected = 2.90
    Σ π(1-π) = .1875 + .1875 + .16 + .09 + .25 = .875;  sd = sqrt(.875)
    observed: items 1, 2 equal, item 4 both missing (a match in CopyDetect),
    item 3 differs, item 5 copier missing (not a match) -> 3
    W = (3 - 2.9) / sqrt(.875) = 0.106904..., p = 1 - Φ(W).
    """
    items = pd.DataFrame(
        {"a": [1.0] * 5, "b": [-LN3, LN3, -LN4, -LN9, 0.0]},
        index=["I1", "I2", "I3", "I4", "I5"],
    )
    resp = pd.DataFrame(
        [[1, 0, 0, np.nan, np.nan], [1, 0, 1, np.nan, 0]],
        index=["copier", "source"],
        columns=items.index,
    )
    theta = pd.Series([0.0, 1.3], index=resp.index)  # the source's θ plays no role
    res = omega(items, resp, [("copier", "source")], theta=theta)
    assert list(res.columns) == list(OMEGA_COLUMNS)
    row = res.iloc[0]
    assert row["observed"] == 3
    assert row["expected"] == pytest.approx(2.9, abs=1e-12)
    assert row["sd"] == pytest.approx(math.sqrt(0.875), abs=1e-12)
    w = 0.1 / math.sqrt(0.875)
    assert row["W"] == pytest.approx(w, abs=1e-12)
    assert row["p_value"] == pytest.approx(1 - norm.cdf(w), abs=1e-12)


def test_omega_polytomous_hand_worked():
    """One GRM item (a = 1, b = (-ln3, ln3)) and one GPCM item (a = 1, b = (0, 0)) at θ = 0.

    GRM: P(X>=1) = .75, P(X>=2) = .25  ->  P(0, 1, 2) = (.25, .50, .25).
    GPCM: P(k) ∝ exp(Σ_{v<=k} a(θ - b_v)) = (1, 1, 1)  ->  (1/3, 1/3, 1/3).
    The source answers 1 and 2: π = (.50, 1/3); expected = 5/6,
    Σ π(1-π) = .25 + 2/9; the copier answers (1, 0): observed = 1.
    """
    items = pd.DataFrame(
        {"model": ["GRM", "GPCM"], "a": [1.0, 1.0], "b1": [-LN3, 0.0], "b2": [LN3, 0.0]},
        index=["P1", "P2"],
    )
    resp = pd.DataFrame([[1, 0], [1, 2]], index=["c", "s"], columns=items.index)
    res = omega(items, resp, [("c", "s")], theta=pd.Series([0.0, 0.0], index=["c", "s"]))
    assert res.loc[0, "observed"] == 1
    assert res.loc[0, "expected"] == pytest.approx(0.5 + 1 / 3, abs=1e-12)
    assert res.loc[0, "sd"] == pytest.approx(math.sqrt(0.25 + 2 / 9), abs=1e-12)


def test_omega_equals_copydetect_transcription_3pl_with_missing():
    """ω equals the line-by-line transcription of CopyDetect 1.3's omega (3PL bank,
    10 % missing at random, many pairs) to 1e-12: same matches, same π, same W and p."""
    rng = np.random.default_rng(7)
    bank = _bank(30, 3)
    bank["c"] = rng.uniform(0.0, 0.3, len(bank))
    x, th = simulate(bank, 60, seed=8)
    x = x.mask(rng.random(x.shape) < 0.1)
    x.index = [f"P{i}" for i in range(len(x))]
    theta = pd.Series(th + rng.normal(0, 0.3, len(th)), index=x.index)
    pairs = [(f"P{i}", f"P{(i * 7 + 3) % 60}") for i in range(60) if (i * 7 + 3) % 60 != i]
    res = omega(bank, x, pairs, theta=theta)
    ip = bank[["a", "b", "c"]].to_numpy()
    form = x.to_numpy()
    for k, (c, s) in enumerate(pairs):
        ref = _copydetect_omega(form, ip, x.index.get_loc(c), x.index.get_loc(s), theta[c])
        got = res.loc[k, ["observed", "expected", "sd", "W", "p_value"]].to_numpy(float)
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)


def test_omega_default_theta_is_calibration_eap():
    """With a Calibration and no θ, ω uses Calibration.score(..., "EAP") of the copier."""
    import pvcal

    bank = _bank(15, 11)
    x, _ = simulate(bank, 400, seed=12)
    x.index = [f"P{i}" for i in range(len(x))]
    cal = pvcal.calibrate(x, model="2PL", se=False)
    pairs = [("P1", "P2"), ("P3", "P4"), ("P2", "P1")]
    got = omega(cal, x, pairs)
    eap = cal.score(x, "EAP")["theta"]
    want = omega(cal.parameters, x, pairs, theta=eap)
    pd.testing.assert_frame_equal(got, want)


def test_omega_null_is_standard_normal_and_copying_raises_w():
    """Under independent responding W ~ N(0, 1) (Wollack 1997, evaluated at the true θ):
    mean ≈ 0, sd ≈ 1, Type I rate ≈ α at α = .05. Copying 30 % of the source's answers
    raises W (Wollack's power study: copying 20-40 % of a 40-80 item test is detected
    in most pairs)."""
    bank = _bank(60, 21)
    n = 4000
    x, th = simulate(bank, n, seed=22)
    x.index = [f"P{i}" for i in range(n)]
    theta = pd.Series(th, index=x.index)
    pairs = [(f"P{i}", f"P{i + n // 2}") for i in range(n // 2)]
    null = omega(bank, x, pairs, theta=theta)
    assert abs(null["W"].mean()) < 0.1
    assert abs(null["W"].std() - 1) < 0.1
    assert abs((null["p_value"] < 0.05).mean() - 0.05) < 0.02

    rng = np.random.default_rng(23)
    half = n // 2
    # each copier copies a random 30 % (18 of 60) of its source's answers
    take = np.argsort(rng.random((half, 60)), axis=1) < 18
    arr = x.to_numpy().copy()
    arr[:half][take] = arr[half:][take]
    copied = pd.DataFrame(arr, index=x.index, columns=x.columns)
    cop = omega(bank, copied, pairs, theta=theta)
    assert cop["W"].mean() > null["W"].mean() + 2
    power = (cop["p_value"] < 0.05).mean()
    print(f"omega at alpha=.05: type I {(null['p_value'] < 0.05).mean():.3f}, power {power:.3f}")
    assert power > 0.7


def test_omega_input_errors():
    """Bad pairs and responses are refused with DataError naming the culprit."""
    bank = _bank(5, 1)
    x, th = simulate(bank, 4, seed=2)
    x.index = list("abcd")
    theta = pd.Series(th, index=x.index)
    with pytest.raises(DataError, match="'z'"):
        omega(bank, x, [("a", "z")], theta=theta)
    with pytest.raises(DataError, match="same person"):
        omega(bank, x, [("a", "a")], theta=theta)
    for pairs in (None, 5, "ab"):  # not a list of (copier, source)
        with pytest.raises(DataError, match="pairs must be"):
            omega(bank, x, pairs, theta=theta)
    with pytest.raises(DataError, match="each pair must be"):
        omega(bank, x, ["ab"], theta=theta)
    bad = x.copy()
    bad.iloc[0, 0] = 2
    with pytest.raises(DataError, match="Q01"):
        omega(bank, bad, [("a", "b")], theta=theta)
    with pytest.raises(DataError, match="no value"):
        omega(bank, x, [("a", "b")], theta=theta.drop("a"))
    with pytest.raises(DataError, match="no item parameters"):
        omega(bank.iloc[:4], x, [("a", "b")], theta=theta)


def test_identical_incorrect_counts_answers_only():
    """Identical incorrect = both answered, same score below the maximum (hand count)."""
    bank = _bank(5, 1)
    x = pd.DataFrame(
        [[0, 0, 1, np.nan, 0], [0, 1, 1, np.nan, 0]], index=["c", "s"], columns=bank.index
    )
    assert identical_incorrect(bank, x, [("c", "s")]).tolist() == [2]


# --------------------------------------------------------------------------- Guttman


def test_guttman_errors_hand_worked():
    """Items ordered by popularity Q1 (3/4) > Q2 (2/4) > Q3 (1/4).

    Person (0, 1, 1): Q2 and Q3 passed after failing the easier Q1 -> G = 2,
    r = 2 of 3 -> G* = 2 / (2 * 1) = 1. Person (1, 0, 1): Q3 passed after Q2 failed
    -> G = 1, G* = 1/2. Perfect Guttman patterns have G = 0; all-correct has G* NaN.
    """
    x = pd.DataFrame(
        {"Q1": [0, 1, 1, 1], "Q2": [1, 0, 1, 0], "Q3": [1, 1, 0, 0]}, index=list("abcd")
    )
    x.loc["e"] = [1, 1, 1]
    g = guttman_errors(x)
    # popularity with e: Q1 4/5, Q2 3/5, Q3 3/5 (tie -> item order)
    assert g["G"].tolist() == [2, 1, 0, 0, 0]
    assert g.loc["a", "G_star"] == pytest.approx(1.0)
    assert g.loc["b", "G_star"] == pytest.approx(0.5)
    assert np.isnan(g.loc["e", "G_star"])


def test_guttman_polytomous_item_steps():
    """A 0-2 item is two steps (X>=1, X>=2). Steps by popularity: A>=1 (1), B (2/3),
    A>=2 (1/3). Person with A = 2, B = 0 passes the hardest step after failing B: G = 1."""
    x = pd.DataFrame({"A": [2, 1, 1], "B": [0, 1, 1]})
    g = guttman_errors(x, max_score=pd.Series({"A": 2, "B": 1}))
    assert g["G"].tolist() == [1, 0, 0]
    assert g["n_steps"].tolist() == [3, 3, 3]


# --------------------------------------------------------------------------- person fit


@pytest.mark.slow  # simulated critical values: ~3 s
def test_person_fit_simulated_critical_values_hold_alpha_and_detect_aberrance():
    """Null persons: flag rate ≈ α (the critical value is the α quantile of each person's
    own simulated null distribution). Aberrant persons (answers on half the items drawn
    at random: guessing) are flagged far more often. Same seed -> same numbers."""
    bank = _bank(40, 31)
    x, th = simulate(bank, 240, seed=32)
    rng = np.random.default_rng(33)
    aberrant = np.arange(200, 240)
    for i in aberrant:
        cols = rng.choice(40, size=20, replace=False)
        x.iloc[i, cols] = rng.integers(0, 2, 20)
    pf = person_fit(bank, x, alpha=0.05, n_sim=100, seed=5)
    assert (pf["statistic"] == "lz*").all()
    false_rate = pf["flagged"].iloc[:200].mean()
    power = pf["flagged"].iloc[200:].mean()
    print(f"person fit at alpha=.05: false flags {false_rate:.3f}, power {power:.3f}")
    assert false_rate < 0.1
    assert power > 2 * false_rate
    assert (pf["critical"].dropna() < 0).all()
    again = person_fit(bank, x, alpha=0.05, n_sim=100, seed=5)
    pd.testing.assert_frame_equal(pf, again)


def test_person_fit_polytomous_uses_lz():
    """A test with a GRM item has no lz* (dichotomous only): lz with simulated values."""
    items = pd.DataFrame(
        {
            "model": ["GRM"] + ["2PL"] * 9,
            "a": [1.0] * 10,
            "b": [np.nan] + [0.0] * 9,
            "b1": [-1.0] + [np.nan] * 9,
            "b2": [1.0] + [np.nan] * 9,
        },
        index=[f"I{j}" for j in range(10)],
    )
    x, _ = simulate(items, 30, seed=3)
    pf = person_fit(items, x, n_sim=40, seed=1)
    assert (pf["statistic"] == "lz").all()
    assert pf["critical"].notna().sum() > 20


def test_person_fit_rejects_tiny_n_sim():
    """Simulated person-fit critical values need enough draws: n_sim = 5 is refused."""
    with pytest.raises(PvcalError, match="n_sim"):
        person_fit(_bank(5, 1), simulate(_bank(5, 1), 5, seed=1)[0], n_sim=5)


# --------------------------------------------------------------------------- screen


def _sittings_with_copiers(seed: int, n_sittings=8, size=20, n_items=50, share=0.4):
    """Simulated sittings; in each, one low-ability copier copies `share` of a source."""
    rng = np.random.default_rng(seed)
    bank = _bank(n_items, seed + 1)
    n = n_sittings * size
    theta = rng.normal(0, 1, n)
    copiers = np.arange(0, n, size)  # the first person of each sitting copies
    sources = copiers + 1
    theta[copiers] = rng.normal(-1.0, 0.5, len(copiers))
    x, _ = simulate(bank, theta=theta, seed=seed + 2)
    for c, s in zip(copiers, sources):
        cols = rng.choice(n_items, size=int(share * n_items), replace=False)
        x.iloc[c, cols] = x.iloc[s, cols].to_numpy()
    ids = [f"A{i:04d}" for i in range(n)]
    x.index = ids
    cands = pd.DataFrame(
        {
            "site": [f"S{i // (2 * size)}" for i in range(n)],
            "session": [f"am{(i // size) % 2}" for i in range(n)],
        },
        index=ids,
    )
    truth = pd.DataFrame({"copier": [ids[c] for c in copiers], "source": [ids[s] for s in sources]})
    return bank, x, cands, truth, theta


def test_screen_power_and_false_flags_against_planted_truth():
    """Planted copiers: in each of 12 sittings of 15, a low-ability copier (θ ~ N(-1, .5))
    copies 70 % of 50 items from a known source in the same sitting. Every ordered pair
    of a sitting is screened (12 * 15 * 14 = 2520 pairs), p-values adjusted across all
    pairs at α = .05. Reported: power = planted copiers flagged as copier; false flags =
    persons not in a planted pair flagged for copying.

    The copier's θ (EAP) is estimated from the copied answers and so pulled toward the
    source's, which costs ω much of its power (W ≈ 2 for 40 % copying against ≈ 3.4 at
    the true θ); at 70 % copying BH finds most copiers, Bonferroni fewer, neither flags
    uninvolved persons. The strongest partner of a flagged copier is its source."""
    bank, x, cands, truth, _ = _sittings_with_copiers(42, n_sittings=12, size=15, share=0.7)
    involved = set(truth["copier"]) | set(truth["source"])
    power = {}
    for correction in ("bh", "bonferroni"):
        res = screen(bank, x, cands, alpha=0.05, control=correction, n_sim=20, seed=1)
        assert list(res.pairs.columns) == list(PAIR_COLUMNS)
        assert res.settings["n_pairs"] == 12 * 15 * 14
        assert (res.pairs.groupby("copier")["session"].nunique() == 1).all()
        people = res.candidates
        power[correction] = people.loc[truth["copier"], "flag_copying"].mean()
        clean = people.index.difference(list(involved))
        false_rate = people.loc[clean, "flag_copying"].mean()
        pair_hit = res.flagged_pairs.merge(truth, on=["copier", "source"]).shape[0] / len(truth)
        partner = (people.loc[truth["copier"], "partner"] == truth["source"].to_numpy()).mean()
        print(
            f"screen ({correction}, alpha=.05): copier power {power[correction]:.2f}, "
            f"pair power {pair_hit:.2f}, false copying flags {false_rate:.3f} "
            f"of {len(clean)}, best partner = source {partner:.2f}"
        )
        assert false_rate <= 0.02
        assert partner >= 0.9
        # at the rules' default integrity.alpha = 0.001 (same adjusted p-values)
        strict = set(res.pairs.loc[res.pairs["p_adjusted"] < 0.001, "copier"])
        strict_power = np.mean([c in strict for c in truth["copier"]])
        strict_false = len(strict - involved) / len(clean)
        print(
            f"screen ({correction}, alpha=.001): copier power {strict_power:.2f}, "
            f"false copying flags {strict_false:.3f}"
        )
        assert strict_false == 0
    assert power["bh"] >= 0.6
    assert power["bh"] >= power["bonferroni"] >= 0.2


def test_screen_result_round_trip_and_summary():
    """Screening is a value: to_json/from_json round trip; summary as text and HTML."""
    bank, x, cands, truth, _ = _sittings_with_copiers(51, n_sittings=2, size=10, n_items=20)
    res = screen(bank, x, cands, n_sim=30, seed=2)
    back = Screening.from_json(res.to_json())
    pd.testing.assert_frame_equal(back.pairs, res.pairs)
    pd.testing.assert_frame_equal(back.candidates, res.candidates)
    assert back.settings == res.settings
    assert back == res and back.to_json() == res.to_json()
    text = res.summary().as_text()
    assert "Integrity screening" in text and "For review" in text
    assert "<table" in res.summary().as_html()
    with pytest.raises(SchemaError):
        Screening.from_json('{"pvcal_type": "Other"}')
    # compact: the flagged pairs and each person's strongest pair, nothing else
    small = res.compact()
    assert small.pairs["flagged"].sum() == res.pairs["flagged"].sum()
    best = small.pairs.merge(
        res.candidates["partner"].rename("source").reset_index(),
        left_on=["copier", "source"],
        right_on=["person", "source"],
    )
    assert len(best) == len(res.candidates)
    assert len(small.pairs) <= res.pairs["flagged"].sum() + len(res.candidates)


def test_screen_requires_site_and_session_for_every_person():
    """The integrity screen needs a site and session for every person (copying is screened within
    a sitting) and a known multiple-testing control."""
    bank, x, cands, _, _ = _sittings_with_copiers(61, n_sittings=2, size=5, n_items=12)
    with pytest.raises(DataError, match="session"):
        screen(bank, x, cands.drop(columns="session"), n_sim=20)
    with pytest.raises(DataError, match="no row"):
        screen(bank, x, cands.iloc[1:], n_sim=20)
    with pytest.raises(PvcalError, match="control"):
        screen(bank, x, cands, control="holm-ish", n_sim=20)


@pytest.mark.slow  # ~2 s
def test_person_fit_normal_tail_beyond_the_simulation():
    """α = 0.01 with 100 draws has one simulated value below the critical value, too few
    to read a quantile: the critical value is then mean + sd * z_α of the simulated
    values (documented), and the null false-flag rate stays near α."""
    bank = _bank(30, 71)
    x, _ = simulate(bank, 300, seed=72)
    pf = person_fit(bank, x, alpha=0.01, n_sim=100, seed=3)
    rate = pf["flagged"].mean()
    print(f"person fit, alpha=.01 (normal tail): false flags {rate:.3f}")
    assert rate < 0.04
    assert pf["critical"].notna().all() and (pf["critical"] < 0).all()


# --------------------------------------------------------------------------- sample data


@pytest.mark.slow
@pytest.mark.parametrize("discipline", ["qms-auditor", "food-safety-inspector"])
def test_screen_on_sample_against_planted_truth(discipline):
    """data/make_sample.py plants copiers (source in the same sitting and form, 30-70 %
    of the form copied) and aberrant responders (guessing, preknowledge) with the truth in
    true_integrity.csv. The 2025H1 screen at the rules' configured α (integrity.alpha =
    0.001, BH over every ordered pair of a sitting) is reported against that truth:
    copying power, false copying flags among uninvolved persons, aberrance power and
    false aberrance flags, and, per pair, the planted pair's W against the null.

    What it shows (numbers printed): on a 40-item dichotomous form, the planted pairs'
    W is ~2.5 with the copier's EAP, far from the W ≈ 5.5 that survives BH over
    ~160 000 pairs, so copying power at the configured α is near zero while the
    strongest partner of a planted copier is its source in most cases; nobody
    uninvolved is flagged for copying."""
    import pvcal
    from pvcal.data import load_discipline
    from pvcal.rules import load

    folder = ROOT / "data" / "sample" / discipline
    truth_file = folder / "true_integrity.csv"
    assert truth_file.is_file(), f"{truth_file} missing: regenerate with data/make_sample.py"
    rules = load(folder / "rules.yml")
    disc = load_discipline(folder)
    sub = disc.responses.subset(period="2025H1")
    model = rules.model if rules.model != "mixed" else dict(sub.items["model"])
    cal = pvcal.calibrate(sub, model=model, se=False)
    res = screen(
        cal,
        sub,
        disc.candidates,
        alpha=rules.integrity.alpha,
        control=rules.integrity.control,
        min_shared_items=rules.integrity.min_shared_items,
        n_sim=50,
        seed=1,
    )
    truth = pd.read_csv(truth_file)
    truth = truth[truth["application_id"].isin(sub.wide.index)]
    cop = truth[truth["kind"] == "copier"]
    ab = truth[truth["kind"] == "aberrant"]
    people = res.candidates
    involved = set(truth["application_id"]) | set(cop["source_application_id"])
    clean = people.index.difference(list(involved))
    planted = res.pairs.merge(
        cop.rename(columns={"application_id": "copier", "source_application_id": "source"})[
            ["copier", "source"]
        ],
        on=["copier", "source"],
    )
    null_w = res.pairs.loc[~res.pairs["copier"].isin(involved), "W"]
    power = people.loc[cop["application_id"], "flag_copying"].mean()
    false_copy = people.loc[clean, "flag_copying"].mean()
    partner = (
        people.loc[cop["application_id"], "partner"].to_numpy()
        == cop["source_application_id"].to_numpy()
    ).mean()
    ab_power = people.loc[ab["application_id"], "flag_aberrant"].mean()
    false_ab = people.loc[clean, "flag_aberrant"].mean()
    z = norm.isf(0.001)
    print(
        f"\n{discipline} 2025H1, alpha={rules.integrity.alpha} {rules.integrity.control}, "
        f"{len(res.pairs)} pairs: copiers {len(cop)}, copying power {power:.3f}, false "
        f"copying flags {false_copy:.4f} of {len(clean)}; planted W mean "
        f"{planted['W'].mean():.2f} (null {null_w.mean():.2f}, sd {null_w.std():.2f}); per "
        f"pair p<.001 uncorrected: planted {(planted['W'] > z).mean():.3f}, null "
        f"{(null_w > z).mean():.5f}; strongest partner = source {partner:.2f}; aberrant "
        f"{len(ab)}, power {ab_power:.3f}, false aberrance flags {false_ab:.4f}"
    )
    assert len(planted) == len(cop)
    assert false_copy <= 0.01
    assert false_ab <= 0.03
    assert planted["W"].mean() > null_w.mean() + 1.5
    assert partner >= 0.5
