"""Tests of pvcal.dif: Mantel-Haenszel and logistic-regression DIF.

Checked against hand-worked tables (Holland & Thayer 1988 formulas, the
Robins-Breslow-Greenland variance, Mantel 1963, Liu & Agresti 1996), against
maximum-likelihood fits written out by hand (Swaminathan & Rogers 1990;
Nagelkerke 1991), and against planted truth: simulated 2PL data with known DIF
items, and the DIF planted in the sample disciplines (``true_dif.csv``, made by
``data/make_sample.py``).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from pvcal import dif
from pvcal._validation import DataError, PvcalError
from pvcal.data import load_discipline

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


# ============================================================ a hand-worked table
def hand_data(extra: list[tuple] = ()) -> tuple[pd.DataFrame, pd.Series]:
    """Studied item ``s`` and two other items; (group, s, x1, x2, count) rows.

    Total score 1 (stratum 1): s right means x1 = x2 = 0, s wrong means x1 = 1.
    Total score 2 (stratum 2): s right with x1 = 1, s wrong with x1 = x2 = 1.
    """
    spec = [
        # stratum 1: A = 6, B = 4 (reference), C = 3, D = 5 (focal)
        ("R", 1, 0, 0, 6),
        ("R", 0, 1, 0, 4),
        ("F", 1, 0, 0, 3),
        ("F", 0, 1, 0, 5),
        # stratum 2: A = 8, B = 2, C = 4, D = 4
        ("R", 1, 1, 0, 8),
        ("R", 0, 1, 1, 2),
        ("F", 1, 1, 0, 4),
        ("F", 0, 1, 1, 4),
        # stratum 0: one reference and one focal, both wrong (adds nothing)
        ("R", 0, 0, 0, 1),
        ("F", 0, 0, 0, 1),
        # stratum 3: a single person (T = 1: dropped)
        ("F", 1, 1, 1, 1),
        *extra,
    ]
    rows, groups = [], []
    for g, s, x1, x2, n in spec:
        rows += [(s, x1, x2)] * n
        groups += [g] * n
    idx = [f"p{i}" for i in range(len(rows))]
    wide = pd.DataFrame(rows, columns=["s", "x1", "x2"], index=idx, dtype=float)
    return wide, pd.Series(groups, index=idx)


def test_mh_hand_worked_table():
    """Item s of ``hand_data`` worked by hand (Holland & Thayer 1988; difR mantelHaenszel):

    stratum 1: A=6 B=4 C=3 D=5, T=18, n_R=10, n_F=8, m1=m0=9:
        E(A) = 10*9/18 = 5, Var = (80/18)(9/18)(9/17) = 20/17
    stratum 2: A=8 B=2 C=4 D=4, T=18, m1=12, m0=6:
        E(A) = 20/3, Var = (80/18)(12/18)(6/17) = 160/153
    stratum 0 adds 0 to every sum; stratum 3 (T = 1) is dropped.
    sum(A - E) = 1 + 4/3 = 7/3, sum Var = 20/9
    chi2 (corrected) = (7/3 - 1/2)^2 / (20/9) = 1089/720; uncorrected 49/20
    alpha_MH = (30/18 + 32/18) / (12/18 + 8/18) = 62/20 = 3.1,
    Delta = -2.35 ln 3.1
    Var(ln alpha) = [(30 + 3.1*12)(11 + 3.1*7) + (32 + 3.1*8)(12 + 3.1*6)] / 18^2
                    / (2 (62/18)^2)   (Robins, Breslow & Greenland 1986)
    """
    wide, group = hand_data()
    for correct, chi2 in ((True, Fraction(1089, 720)), (False, Fraction(49, 20))):
        res = dif.mantel_haenszel(wide, group, "F", correct=correct)
        row = res.loc["s"]
        assert row["chi2"] == pytest.approx(float(chi2), rel=1e-12)
        assert row["p_value"] == pytest.approx(stats.chi2.sf(float(chi2), 1), rel=1e-12)
        assert row["alpha_mh"] == pytest.approx(3.1, rel=1e-12)
        assert row["delta_mh"] == pytest.approx(-2.35 * np.log(3.1), rel=1e-12)
        var = ((30 + 3.1 * 12) * (11 + 3.1 * 7) + (32 + 3.1 * 8) * (12 + 3.1 * 6)) / 18**2
        var /= 2 * (62 / 18) ** 2
        assert row["se_delta_mh"] == pytest.approx(2.35 * np.sqrt(var), rel=1e-12)
        assert row["n_strata"] == 3  # strata 0, 1, 2
        assert not row["flag"]  # 1.51 and 2.45 < 3.84
        assert row["ets_class"] == "A"  # large delta but not significant


def test_rbg_variance_equals_phillips_holland_form():
    """difR's varLambda is the RBG variance: sum P R/(2R^2) + sum(P S + Q R)/(2 R S)
    + sum Q S/(2 S^2) with P = (A+D)/T, Q = (B+C)/T, R = AD/T, S = BC/T (Robins,
    Breslow & Greenland 1986, eq. 12), on the hand-worked strata."""
    a, b, c, d, t = (np.array(v, float) for v in ([6, 8], [4, 2], [3, 4], [5, 4], [18, 18]))
    p, q, r, s = (a + d) / t, (b + c) / t, a * d / t, b * c / t
    rbg = (p * r).sum() / (2 * r.sum() ** 2) + (p * s + q * r).sum() / (2 * r.sum() * s.sum())
    rbg += (q * s).sum() / (2 * s.sum() ** 2)
    wide, group = hand_data()
    res = dif.mantel_haenszel(wide, group, "F")
    assert res.loc["s", "var_log_alpha"] == pytest.approx(rbg, rel=1e-12)


def test_mh_missing_response_counts_as_difr_does():
    """A reference person in stratum 1 who skipped s (x1 = 1, s missing: total 1) is
    counted by difR 5.1 in A and in B (R counts the NA index) and in both column
    margins, once in n_R and T: stratum 1 becomes A=7 B=5 C=3 D=5, n_R=11, n_F=8,
    m1=m0=10, T=19; the chi-square is recomputed from those counts by hand."""
    wide, group = hand_data(extra=[("R", np.nan, 1, 0, 1)])
    res = dif.mantel_haenszel(wide, group, "F", correct=False)
    e1, v1 = 11 * 10 / 19, (11 * 8 / 19) * (10 / 19) * (10 / 18)
    e2, v2 = 20 / 3, 160 / 153
    chi2 = ((7 - e1) + (8 - e2)) ** 2 / (v1 + v2)
    assert res.loc["s", "chi2"] == pytest.approx(chi2, rel=1e-12)
    alpha = (7 * 5 / 19 + 32 / 18) / (5 * 3 / 19 + 8 / 18)
    assert res.loc["s", "alpha_mh"] == pytest.approx(alpha, rel=1e-12)


def test_ets_class_rule_boundaries():
    """Zwick (2012): A if not significant or |D| < 1; C if |D| >= 1.5 and
    (|D| - 1)/SE > z_.95 = 1.645; B otherwise (sign irrelevant)."""
    got = dif.ets_class(
        [0.99, 1.0, -1.49, 1.5, 1.5, -2.0, 3.0, np.nan],
        [0.1, 0.1, 0.1, 0.3, 0.1, 0.6, 0.1, 0.1],
        [0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.2, 0.001],
    )
    # 1.5 with se 0.3: (0.5)/0.3 = 1.67 > 1.645 -> C; -2.0 with se 0.6: 1.67 -> C
    assert got.tolist() == ["A", "B", "B", "C", "C", "C", "A", ""]
    got = dif.ets_class([1.5], [0.31], [0.001])  # 0.5/0.31 = 1.61 < 1.645
    assert got.tolist() == ["B"]


def test_jodoin_gierl_boundaries():
    """Jodoin & Gierl (2001): A <= .035 < B <= .070 < C (difR print.Logistic, 4 dp)."""
    got = dif.jodoin_gierl_class([0.0, 0.03504, 0.03506, 0.07, 0.0701, np.nan])
    assert got.tolist() == ["A", "A", "B", "B", "C", ""]


# ============================================================ polytomous items
def test_mantel_and_liu_agresti_by_hand():
    """A 0..2 item in two strata (matching on an external anchor of one 0/1 item):
    Mantel (1963): F = sum of focal scores, E = n_F S / T,
    Var = n_R n_F (T S2 - S^2) / (T^2 (T - 1)); Liu-Agresti (1996) alpha over the
    splits Y > 0 and Y > 1; SMD with focal weights (Dorans & Schmitt 1991)."""
    # anchor item a (0/1) defines strata with the studied item p: total = a + p
    rows = [
        # (group, a, p)
        *[("R", 0, 2)] * 3, *[("R", 0, 1)] * 2, *[("R", 0, 0)] * 1,
        *[("F", 0, 2)] * 1, *[("F", 0, 1)] * 2, *[("F", 0, 0)] * 3,
        *[("R", 1, 2)] * 4, *[("R", 1, 1)] * 1,
        *[("F", 1, 2)] * 2, *[("F", 1, 1)] * 2, *[("F", 1, 0)] * 1,
    ]  # fmt: skip
    wide = pd.DataFrame([(a, p) for _, a, p in rows], columns=["a", "p"], dtype=float)
    group = pd.Series([g for g, _, _ in rows])
    res = dif.mantel_haenszel(wide, group, "F", anchor=["a"])
    # with anchor a, the matching score of p is a + p
    total = wide["a"] + wide["p"]
    f_sum = e_sum = v_sum = 0.0
    num = den = 0.0
    smd_f = smd_r = n_focal = 0.0
    for k in np.unique(total):
        m = (total == k).to_numpy()
        y, foc = wide["p"].to_numpy()[m], (group == "F").to_numpy()[m]
        t = m.sum()
        if t < 2:
            continue
        nf, nr = foc.sum(), (~foc).sum()
        if nf and nr:  # SMD: focal-weighted mean difference over strata with both groups
            smd_f += nf * y[foc].mean()
            smd_r += nf * y[~foc].mean()
            n_focal += nf
        f_sum += y[foc].sum()
        e_sum += nf * y.sum() / t
        v_sum += nr * nf * (t * (y**2).sum() - y.sum() ** 2) / (t**2 * (t - 1))
        for j in (0, 1):
            a_, b_ = ((y > j) & ~foc).sum(), ((y <= j) & ~foc).sum()
            c_, d_ = ((y > j) & foc).sum(), ((y <= j) & foc).sum()
            num += a_ * d_ / t
            den += b_ * c_ / t
    row = res.loc["p"]
    assert row["kind"] == "polytomous"
    assert row["chi2"] == pytest.approx((f_sum - e_sum) ** 2 / v_sum, rel=1e-12)
    assert row["alpha_mh"] == pytest.approx(num / den, rel=1e-12)
    assert np.isnan(res.loc["a", "chi2"])  # the anchor is not tested
    smd = (smd_f - smd_r) / n_focal
    assert row["smd"] == pytest.approx(smd, rel=1e-12)
    # ETS rule for polytomous items (Zwick 2012): AA unless Mantel's test is significant and
    # |SMD| / SD(item) > .17; CC above .25
    es = abs(smd) / wide["p"].std(ddof=1)
    significant = stats.chi2.sf((f_sum - e_sum) ** 2 / v_sum, 1) < 0.05
    expected = "AA" if not significant or es <= 0.17 else ("BB" if es <= 0.25 else "CC")
    assert row["ets_class"] == expected


def test_liu_agresti_reduces_to_mh_for_a_binary_item():
    """For a 0/1 item the Liu-Agresti estimator is the MH common odds ratio (Liu &
    Agresti 1996, section 2): the hand-worked table treated as polytomous."""
    wide, group = hand_data()
    as_poly = SimpleNamespace(wide=wide, max_score=pd.Series({"s": 2, "x1": 1, "x2": 1}))
    res = dif.mantel_haenszel(as_poly, group, "F")
    assert res.loc["s", "kind"] == "polytomous"
    assert res.loc["s", "alpha_mh"] == pytest.approx(3.1, rel=1e-12)
    # Mantel's statistic without continuity correction is the uncorrected MH chi-square
    assert res.loc["s", "chi2"] == pytest.approx(49 / 20, rel=1e-12)


# ============================================================ logistic regression
def _ml_deviance(y: np.ndarray, design: np.ndarray) -> float:
    """-2 log-likelihood of a logistic regression maximised by BFGS (by hand)."""

    def nll(beta):
        eta = design @ beta
        return np.sum(np.logaddexp(0, eta) - y * eta)

    def grad(beta):
        p = 1 / (1 + np.exp(-(design @ beta)))
        return design.T @ (p - y)

    fit = optimize.minimize(nll, np.zeros(design.shape[1]), jac=grad, method="BFGS",
                            options={"gtol": 1e-10})  # fmt: skip
    return 2 * fit.fun


def test_logistic_lr_and_nagelkerke_by_hand():
    """LR = D(M1) - D(M0) for the three nested pairs (Swaminathan & Rogers 1990), the
    deviances maximised by hand; Nagelkerke's R2 with difR's n = all rows."""
    rng = np.random.default_rng(11)
    n, k = 1500, 8
    theta = rng.normal(size=n)
    focal = rng.random(n) < 0.5
    b = np.linspace(-1, 1, k)
    b_f = b.copy()
    b_f[0] += 0.8
    p = 1 / (1 + np.exp(-(theta[:, None] - np.where(focal[:, None], b_f, b))))
    x = (rng.random((n, k)) < p).astype(float)
    x[:5, 0] = np.nan  # five missing responses on item 0
    wide = pd.DataFrame(x, columns=[f"i{j}" for j in range(k)])
    group = pd.Series(np.where(focal, "F", "M"))
    y = x[:, 0]
    ok = ~np.isnan(y)
    s = np.nansum(x, axis=1)[ok]
    gr = focal[ok].astype(float)
    one = np.ones_like(s)
    d_null = _ml_deviance(y[ok], one[:, None])
    d1 = _ml_deviance(y[ok], np.column_stack([one, s]))
    d2 = _ml_deviance(y[ok], np.column_stack([one, s, gr]))
    d3 = _ml_deviance(y[ok], np.column_stack([one, s, gr, s * gr]))

    def r2(dev):
        return (1 - np.exp((dev - d_null) / 2) ** (2 / n)) / (1 - np.exp(-d_null / 2) ** (2 / n))

    for kind, (dm0, dm1), df in (
        ("both", (d3, d1), 2),
        ("uniform", (d2, d1), 1),
        ("nonuniform", (d3, d2), 1),
    ):
        res = dif.logistic(wide, group, "F", kind=kind).loc["i0"]
        assert res["df"] == df
        assert res["lr"] == pytest.approx(dm1 - dm0, abs=1e-6)
        assert res["p_value"] == pytest.approx(stats.chi2.sf(dm1 - dm0, df), abs=1e-6)
        assert res["delta_r2"] == pytest.approx(r2(dm0) - r2(dm1), abs=1e-8)
        assert res["n"] == n - 5
    both = dif.logistic(wide, group, "F")
    assert both.loc["i0", "flag"] and both.loc["i0", "group"] < 0  # harder for F


def test_logistic_rejects_polytomous_items():
    """Logistic-regression DIF (dichotomous items only here) refuses polytomous items, naming
    them."""
    wide = pd.DataFrame({"a": [0, 1, 2, 1], "b": [0, 1, 1, 0]}, dtype=float)
    with pytest.raises(DataError, match=r"items \['a'\] are polytomous"):
        dif.logistic(wide, ["F", "M", "F", "M"], "F")


# ============================================================ simulated truth
def simulate(seed: int, n: int = 2000, k: int = 25) -> tuple[pd.DataFrame, pd.Series, dict]:
    """2PL, half the persons focal with ability mean -0.3; item 0-2 uniform DIF
    (b + 0.6 for the focal group), item 3 nonuniform (a x 0.4 for the focal group)."""
    rng = np.random.default_rng(seed)
    focal = np.arange(n) % 2 == 0
    theta = rng.normal(np.where(focal, -0.3, 0.0), 1.0)
    a = rng.uniform(0.8, 1.8, k)
    b = rng.uniform(-1.2, 1.2, k)
    a_f, b_f = a.copy(), b.copy()
    b_f[:3] += 0.6
    a_f[3] *= 0.4
    aa = np.where(focal[:, None], a_f, a)
    bb = np.where(focal[:, None], b_f, b)
    x = (rng.random((n, k)) < 1 / (1 + np.exp(-aa * (theta[:, None] - bb)))).astype(float)
    cols = [f"i{j:02d}" for j in range(k)]
    truth = {"uniform": cols[:3], "nonuniform": cols[3:4], "null": cols[4:]}
    return pd.DataFrame(x, columns=cols), pd.Series(np.where(focal, "F", "M")), truth


@pytest.mark.slow  # repeated DIF simulations: ~3 s on the shared machine
def test_power_and_false_flags_on_simulated_dif():
    """Three replications of 2,000 persons (1,000 focal), 25 items, 4 DIF items.

    Uniform DIF of 0.6 logits (Delta about -1.5 on the ETS scale) should be found
    every time by MH with purification; the nonuniform item (curves crossing) by
    logistic regression ("both"). With 21 null items at alpha = .05 about one false
    flag per replication is expected; allow at most 3 (P(Bin(21,.05) > 3) = 0.02).
    """
    mh_hits = lr_hits = 0
    for seed in (1, 2, 3):
        wide, group, truth = simulate(seed)
        mh = dif.mantel_haenszel(wide, group, "F", purify=True)
        lr = dif.logistic(wide, group, "F", purify=True)
        mh_hits += mh.loc[truth["uniform"], "flag"].sum()
        lr_hits += lr.loc[truth["nonuniform"], "flag"].sum()
        assert (mh.loc[truth["uniform"], "delta_mh"] < 0).all()  # against the focal group
        assert mh.loc[truth["null"], "flag"].sum() <= 3
        assert lr.loc[truth["null"], "flag"].sum() <= 3
        assert (mh.loc[truth["null"], "ets_class"] != "C").all()
        info = mh.attrs["purification"]["F"]
        assert info["purified"] and info["converged"]
    assert mh_hits == 9
    assert lr_hits == 3


def test_purification_matches_difr_loop():
    """difR's loop by hand: flag with all items, then recompute with the unflagged
    items as anchors until the flagged set repeats; the result equals an anchored
    run on the final anchor set (difMH with anchor = the non-DIF items)."""
    wide, group, _ = simulate(4)
    pur = dif.mantel_haenszel(wide, group, "F", purify=True)
    steps = pur.attrs["purification"]["F"]["steps"]
    assert steps[-1] == steps[-2]  # converged: the last round repeats the flagged set
    anchors = [c for c in wide.columns if c not in steps[-2]]
    anchored = dif.mantel_haenszel(wide, group, "F", anchor=anchors)
    tested = steps[-2]
    pd.testing.assert_series_equal(pur.loc[tested, "chi2"], anchored.loc[tested, "chi2"])


def test_more_than_two_groups():
    """Each focal level against the reference level: the same numbers as the
    two-group analysis on the subset of those two levels."""
    wide, group, _ = simulate(5, n=1500, k=10)
    region = pd.Series(np.array(["N", "S", "E"])[np.arange(1500) % 3])
    region[group == "F"] = np.where(np.arange((group == "F").sum()) % 2, "S", "E")
    res = dif.mantel_haenszel(wide, region, ["S", "E"], reference="N")
    assert res.index.names == ["focal", "item"]
    sub = (region == "N") | (region == "S")
    alone = dif.mantel_haenszel(wide[sub], region[sub], "S")
    np.testing.assert_allclose(res.loc["S", "chi2"], alone["chi2"], rtol=1e-12)
    lr = dif.logistic(wide, region, ["S", "E"], reference="N", kind="uniform")
    assert set(lr.index.get_level_values("focal")) == {"S", "E"}


def test_input_errors():
    """DIF misuse is refused by name: an unknown focal level, persons without a group, labels of
    the wrong length, unknown anchors, fractional scores, an unknown kind, reference = focal."""
    wide, group = hand_data()
    with pytest.raises(DataError, match=r"focal='X' is not a level"):
        dif.mantel_haenszel(wide, group, "X")
    with pytest.raises(DataError, match="without a group label"):
        dif.mantel_haenszel(wide, group.where(group.index != "p0"), "F")
    with pytest.raises(DataError, match="one label per person"):
        dif.mantel_haenszel(wide, ["F", "R"], "F")
    with pytest.raises(DataError, match=r"anchor item 'zz'"):
        dif.mantel_haenszel(wide, group, "F", anchor=["zz"])
    bad = wide.copy()
    bad.iloc[0, 0] = 0.5
    with pytest.raises(DataError, match=r"item 's'.*expected an integer score"):
        dif.mantel_haenszel(bad, group, "F")
    with pytest.raises(PvcalError, match="kind='both-ways'"):
        dif.logistic(wide, group, "F", kind="both-ways")
    with pytest.raises(PvcalError, match="also a focal level"):
        dif.mantel_haenszel(wide, group, "F", reference="F")


# ============================================================ the sample's planted DIF
@pytest.mark.slow
@pytest.mark.parametrize("name", ["qms-auditor", "food-safety-inspector"])
def test_sample_planted_dif_is_found(name):
    """true_dif.csv (data/make_sample.py): 3 uniform items (b + 0.6 for women) and 1
    nonuniform item (a x 0.4) per discipline, each on the form(s) that carry it.

    Every uniform item is flagged by MH (purified) and by logistic regression
    ("both") on each form that carries it; the nonuniform item is flagged by
    logistic regression.  Of the other items (some 170 tests) at most 10 % are
    flagged by MH (the planted domain weaknesses and copiers add some noise to the
    5 % nominal rate).
    """
    d = load_discipline(SAMPLE / name)
    truth = pd.read_csv(SAMPLE / name / "true_dif.csv").set_index("item_id")
    found = {i: [] for i in truth.index}
    null_flags = null_tests = 0
    for period in d.rules.periods:
        r = d.responses.subset(period=period)
        for form in sorted(r.persons["form"].unique()):
            wide = r.subset(form=form).wide
            wide = wide.loc[:, wide.notna().any()]
            gender = d.candidates["gender"].reindex(wide.index)
            mh = dif.mantel_haenszel(wide, gender, "F", purify=True)
            dich = wide.columns[(wide.max() <= 1).to_numpy()]
            lr = dif.logistic(wide[dich], gender, "F")
            for item in truth.index.intersection(wide.columns):
                found[item].append((bool(mh.loc[item, "flag"]), bool(lr.loc[item, "flag"])))
            null = mh.index.difference(truth.index)
            null_flags += int(mh.loc[null, "flag"].sum())
            null_tests += len(null)
    for item, hits in found.items():
        assert hits, item
        if truth.loc[item, "kind"] == "uniform":
            assert all(m and lg for m, lg in hits), (item, hits)
        else:
            assert all(lg for _, lg in hits), (item, hits)
    assert null_flags / null_tests <= 0.10, (null_flags, null_tests)


# ============================================================ the publication's screen
def test_screen_groupings_forms_and_round_trip():
    """screen(): per form and grouping; gender focal F; a grouping with several levels
    tests each level of at least min_group persons against all others; a missing
    column or too-small groups are reported as skipped; the JSON round trip is exact."""
    wide, gender, truth = simulate(6, n=1200, k=12)
    persons = pd.DataFrame(
        {
            "form": np.where(np.arange(1200) < 600, "A", "B"),
            "gender": gender.to_numpy(),
            "region": np.array(["N", "S", "E", "W"])[np.arange(1200) % 4],
            "employer": [f"E{k % 40:02d}" for k in range(1200)],  # 30 per employer
        },
        index=wide.index,
    )
    res = dif.screen(wide, persons, ("gender", "region", "employer", "site"), min_group=100)
    t = res.table
    assert set(t["form"]) == {"A", "B"}
    assert set(t.loc[t["grouping"] == "gender", "focal"]) == {"F"}
    assert set(t.loc[t["grouping"] == "region", "focal"]) == {"N", "S", "E", "W"}
    assert set(res.skipped) == {"employer", "site"}
    # each form's gender rows equal a direct MH analysis of that form
    a = persons["form"] == "A"
    direct = dif.mantel_haenszel(wide[a], gender[a], "F", purify=True)
    got = t[(t["grouping"] == "gender") & (t["form"] == "A")].set_index("item")
    np.testing.assert_allclose(got["chi2"], direct["chi2"], rtol=1e-12)
    # uniform DIF items (b + 0.6 for F) are large on both forms and go to review
    assert set(truth["uniform"]) <= set(res.review())
    counts = res.counts()
    assert counts.loc["gender"].sum() == 24  # 12 items x 2 forms
    back = dif.DifScreen.from_json(res.to_json())
    assert back == res and back.to_json() == res.to_json()
    assert "C items go to review" in res.summary().as_text()


@pytest.mark.notebook
def test_every_publication_has_its_dif_section(published):
    """Each published unit carries dif.json (a DifScreen) and a DIF section in its
    report; the sample's planted uniform DIF items (true_dif.csv) that sit on a
    unit's forms are among its items to review (class C) or flagged B."""
    reports, _ = published
    for name, period in (
        ("qms-auditor", "2025H1"),
        ("qms-auditor", "2025H2"),
        ("food-safety-inspector", "2025H1"),
        ("food-safety-inspector", "2025H2"),
        ("lab-assessor", "2025H2"),
    ):
        unit = reports / name / period
        screen = dif.DifScreen.from_json((unit / "dif.json").read_text())
        assert (screen.discipline, screen.period) == (name, period)
        assert "employer" in screen.skipped  # no employer has 100 candidates
        assert "differential item functioning" in (unit / "report.html").read_text().lower()
        if name == "lab-assessor":
            assert "gender" in screen.skipped  # 92 candidates: groups below min_group
            continue
        truth = pd.read_csv(SAMPLE / name / "true_dif.csv")
        uniform = set(truth.loc[truth["kind"] == "uniform", "item_id"])
        on_forms = uniform & set(screen.table["item"])
        flagged = set(screen.flagged()["item"])
        assert on_forms and on_forms <= flagged, (name, period, on_forms, flagged)


def test_generalized_mh_by_hand():
    """Somes (1986) / difR genMantelHaenszel: with one focal group it is the MH
    chi-square without continuity correction (49/20 on the hand-worked table); with
    two focal groups it equals (sum a - sum E)' (sum Cov)^-1 (sum a - sum E), written
    out stratum by stratum here."""
    wide, group = hand_data()
    one = dif.generalized_mh(wide, group, ["F"])
    assert one.loc["s", "chi2"] == pytest.approx(49 / 20, rel=1e-12)
    assert one.loc["s", "df"] == 1
    w, _, _ = simulate(7, n=900, k=8)
    g3 = pd.Series(np.array(["R", "F1", "F2"])[np.arange(900) % 3])
    res = dif.generalized_mh(w, g3, ["F1", "F2"])
    x = w.to_numpy()
    total = x.sum(axis=1)
    y = x[:, 0]
    a = np.zeros(2)
    e = np.zeros(2)
    v = np.zeros((2, 2))
    for s in np.unique(total):
        m = total == s
        t = m.sum()
        if t < 2:
            continue
        n0, n1 = (y[m] == 0).sum(), (y[m] == 1).sum()
        r = np.array([(m & (g3 == f).to_numpy()).sum() for f in ("F1", "F2")], float)
        a += [(m & (g3 == f).to_numpy() & (y == 0)).sum() for f in ("F1", "F2")]
        e += n0 * r / t
        v += n0 * n1 / ((t - 1) * t**2) * (t * np.diag(r) - np.outer(r, r))
    chi2 = (a - e) @ np.linalg.solve(v, a - e)
    assert res.loc["i00", "chi2"] == pytest.approx(chi2, rel=1e-10)
    assert res.loc["i00", "df"] == 2
    assert res.loc["i00", "p_value"] == pytest.approx(stats.chi2.sf(chi2, 2), rel=1e-10)


def test_numeric_group_codes_and_plain_arrays():
    """difR's habit: a numpy 0/1 matrix and a 0/1 group vector with focal.name = 1; float
    codes (1.0) name the same group; a group Series with a default index is taken in
    order. All give the numbers of the labelled analysis."""
    wide, group = hand_data()
    want = dif.mantel_haenszel(wide, group, "F")
    codes = (group == "F").astype(int).to_numpy()
    for g, f in ((codes, 1), (codes.astype(float), 1), (codes, 1.0), (pd.Series(codes), 1)):
        got = dif.mantel_haenszel(wide.to_numpy(), g, f)
        np.testing.assert_allclose(got["chi2"].to_numpy(), want["chi2"].to_numpy(), rtol=1e-12)
    lr = dif.logistic(wide.to_numpy(), codes, 1)
    np.testing.assert_allclose(lr["lr"], dif.logistic(wide, group, "F")["lr"], rtol=1e-9)
