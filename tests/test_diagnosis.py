"""Tests of pvcal.diagnosis: Haberman's subscore value, domain profiles, training."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pandas as pd
import pytest

from pvcal._validation import DataError, PvcalError, SchemaError
from pvcal.diagnosis import (
    Diagnosis,
    _augment,
    diagnose,
    domain_modules,
    domain_profile,
    profile_from_record,
    recommend,
    subscore_value,
    training_demand,
    training_from_results,
)

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

#: The hand-worked table: 6 persons, domain A = a1..a3, domain B = b1..b3.
HAND = pd.DataFrame(
    [
        [1, 1, 1, 1, 1, 0],
        [1, 1, 0, 1, 0, 0],
        [1, 0, 0, 1, 1, 1],
        [0, 0, 0, 0, 0, 0],
        [1, 1, 1, 1, 1, 1],
        [0, 1, 0, 1, 0, 0],
    ],
    columns=["a1", "a2", "a3", "b1", "b2", "b3"],
    index=[f"p{i}" for i in range(1, 7)],
    dtype=float,
)
HAND_DOMAINS = pd.Series(["A"] * 3 + ["B"] * 3, index=HAND.columns)


def simulate(n=2000, D=4, J=20, rho=0.7, share=0.2, shift=2.0, seed=1):
    """2PL test of D domains x J items; domain θ ~ N(0, R) with correlation ``rho``;
    a share of persons gets one domain lowered by ``shift`` (a planted weakness)."""
    rng = np.random.default_rng(seed)
    R = np.full((D, D), rho)
    np.fill_diagonal(R, 1.0)
    theta = rng.multivariate_normal(np.zeros(D), R, size=n)
    planted = np.zeros((n, D), dtype=bool)
    who = rng.random(n) < share
    planted[who, rng.integers(0, D, n)[who]] = True
    theta[planted] -= shift
    a = rng.lognormal(0.2, 0.25, D * J)
    b = rng.normal(0.0, 1.0, D * J)
    ids = [f"Q{j:03d}" for j in range(D * J)]
    items = pd.DataFrame({"a": a, "b": b}, index=ids)
    names = [f"d{k}" for k in range(D)]
    domains = pd.Series(np.repeat(names, J), index=ids)
    p = 1 / (1 + np.exp(-a * (np.repeat(theta, J, axis=1) - b)))
    persons = [f"p{i:04d}" for i in range(n)]
    wide = pd.DataFrame((rng.random(p.shape) < p).astype(float), columns=ids, index=persons)
    truth = pd.DataFrame(theta, index=persons, columns=names).stack().rename("true")
    truth.index.names = ["person", "domain"]
    return items, wide, domains, truth


def flag_rates(profile: pd.DataFrame, truth: pd.Series, cut: float) -> tuple[float, float]:
    """(share flagged among domains >= 1.5 below the cut, share flagged at or above it)."""
    pr = profile.join(truth, on=["person", "domain"])
    low = pr["true"] <= cut - 1.5
    high = pr["true"] >= cut
    return float(pr.loc[low, "weak"].mean()), float(pr.loc[high, "weak"].mean())


# ---------------------------------------------------------------------------
# subscore_value: Haberman (2008), CTTsub conventions
# ---------------------------------------------------------------------------


def test_subscore_value_hand_worked():
    """Haberman (2008) worked by hand on the 6-person table ``HAND`` (divisor n - 1).

    Subscores s_A = 3,2,1,0,3,1; s_B = 2,1,3,0,3,1; x = 5,3,4,0,6,2.
    Var(s_A) = Var(s_B) = 22/15, Var(x) = 14/3, Cov(s_A, s_B) = 13/15.
    Item variances p(1-p) n/(n-1): A p = 4/6, 4/6, 2/6 -> 4/15 each (sum 4/5);
    B p = 5/6, 3/6, 2/6 -> 1/6, 3/10, 4/15 (sum 11/15); all six sum to 23/15.
    alpha_A = 3/2 (1 - (4/5)/(22/15)) = 15/22; alpha_B = 3/2 (1 - (11/15)/(22/15)) = 3/4;
    alpha_x = 6/5 (1 - (23/15)/(14/3)) = 141/175.
    A: Var(τ_A) = 15/22 * 22/15 = 1; Cov(τ_A, x) = 1 + 13/15 = 28/15;
       PRMSE_x = (28/15)^2 / (1 * 14/3) = 56/75.
    B: Var(τ_B) = 3/4 * 22/15 = 11/10; Cov(τ_B, x) = 11/10 + 13/15 = 59/30;
       PRMSE_x = (59/30)^2 / (11/10 * 14/3) = 3481/4620.
    PRMSE_sx = squared multiple correlation of τ on (s, x), written here as
       (ρ²_τs + ρ²_τx - 2 ρ_τs ρ_τx ρ_sx) / (1 - ρ²_sx) with ρ²_sx = (35/15)^2/(22/15 * 14/3)
       = 35/44 (both domains): A: ρ_τs ρ_τx ρ_sx = sqrt(15/22 * 56/75 * 35/44) = 7/11, so
       PRMSE_sx = (15/22 + 56/75 - 14/11) / (9/44) = 514/675;
       B: product = 59/88, PRMSE_sx = (3/4 + 3481/4620 - 59/44) / (9/44).
    added_value: 15/22 < 56/75 and 3/4 < 3481/4620, so neither subscore adds value.
    """
    out = subscore_value(HAND, HAND_DOMAINS)
    assert list(out.index) == ["A", "B", "total"]
    exp = {
        "reliability": [F(15, 22), F(3, 4), F(141, 175)],
        "prmse_x": [F(56, 75), F(3481, 4620)],
        "prmse_sx": [F(514, 675), (F(3, 4) + F(3481, 4620) - F(59, 44)) / F(9, 44)],
        "sd": [F(22, 15) ** 0.5, F(22, 15) ** 0.5, F(14, 3) ** 0.5],
        "mean": [F(10, 6), F(10, 6), F(20, 6)],
    }
    for col, values in exp.items():
        np.testing.assert_allclose(out[col].iloc[: len(values)], [float(v) for v in values])
    np.testing.assert_allclose(out["prmse_s"].iloc[:2], [15 / 22, 3 / 4])
    assert out["added_value"].iloc[:2].tolist() == [False, False]
    assert out["added_value"].isna().iloc[2]
    assert out["n_items"].tolist() == [3, 3, 6]
    # CTTsub's rule for the augmented score: PRMSE_sx - m > 0.1 (1 - m), m = max(s, x)
    m = np.maximum(out["prmse_s"], out["prmse_x"]).iloc[:2]
    expected_sx = (out["prmse_sx"].iloc[:2] - m > 0.1 * (1 - m)).tolist()
    assert out["added_value_sx"].iloc[:2].tolist() == expected_sx


def test_subscore_value_missing_responses_follow_cttsub():
    """CTTsub: subscores are rowSums(na.rm = TRUE) over everyone, alpha after listwise
    deletion (CTT::itemAnalysis NA.Delete = TRUE). One NaN in person 6's a2: the domain
    A alpha uses p1..p5 only, the subscores count the NaN as 0."""
    wide = HAND.copy()
    wide.loc["p6", "a2"] = np.nan
    out = subscore_value(wide, HAND_DOMAINS)
    a = HAND.loc["p1":"p5", ["a1", "a2", "a3"]].to_numpy()
    k = 3
    alpha_a = k / (k - 1) * (1 - a.var(axis=0, ddof=1).sum() / a.sum(axis=1).var(ddof=1))
    assert out.loc["A", "reliability"] == pytest.approx(alpha_a)
    assert out.loc["A", "n_complete"] == 5 and out.loc["B", "n_complete"] == 6
    s_a = np.array([3, 2, 1, 0, 3, 0])
    assert out.loc["A", "mean"] == pytest.approx(s_a.mean())
    assert out.loc["A", "sd"] == pytest.approx(s_a.std(ddof=1))


def _ctt_data(n, rho, J=15, seed=3):
    rng = np.random.default_rng(seed)
    R = np.array([[1.0, rho], [rho, 1.0]])
    theta = rng.multivariate_normal([0, 0], R, size=n)
    b = rng.normal(size=2 * J)
    p = 1 / (1 + np.exp(-(np.repeat(theta, J, axis=1) - b)))
    cols = [f"Q{j}" for j in range(2 * J)]
    wide = pd.DataFrame((rng.random(p.shape) < p).astype(float), columns=cols)
    return wide, pd.Series(["A"] * J + ["B"] * J, index=cols)


def test_subscore_value_added_when_uncorrelated_not_when_identical():
    """Haberman (2008, section 4): a subscore has added value when the true subscores are
    nearly uncorrelated (PRMSE_s > PRMSE_x) and none when they are perfectly correlated
    (the total, being longer, predicts the true subscore better)."""
    wide, dom = _ctt_data(1500, rho=0.1)
    low = subscore_value(wide, dom)
    assert (low["prmse_s"].iloc[:2] > low["prmse_x"].iloc[:2]).all()
    assert low["added_value"].iloc[:2].all()
    wide, dom = _ctt_data(1500, rho=1.0)
    high = subscore_value(wide, dom)
    assert (high["prmse_x"].iloc[:2] > high["prmse_s"].iloc[:2]).all()
    assert not high["added_value"].iloc[:2].any()
    # regression on (s, x) is never worse than on either alone (squared multiple correlation)
    for out in (low, high):
        best = np.maximum(out["prmse_s"], out["prmse_x"]).iloc[:2]
        assert (out["prmse_sx"].iloc[:2] >= best - 1e-12).all()


def test_subscore_value_by_form_runs_each_form_on_its_own_items():
    """Multi-form data: CTTsub is run per form (one test.data per form); items a form did not
    present (all NaN) are left out, so each form's result equals a run on that form alone."""
    wide, dom = _ctt_data(600, rho=0.5, seed=7)
    forms = pd.Series(np.where(np.arange(600) < 300, "F1", "F2"), index=wide.index)
    multi = wide.copy()
    multi.loc[forms == "F1", ["Q0", "Q15"]] = np.nan  # F1 did not present Q0, Q15
    out = subscore_value(multi, dom, by=forms)
    assert list(out.index.get_level_values("form").unique()) == ["F1", "F2"]
    alone = subscore_value(multi[forms == "F1"].drop(columns=["Q0", "Q15"]), dom)
    pd.testing.assert_frame_equal(out.loc["F1"], alone)
    assert out.loc[("F1", "A"), "n_items"] == 14 and out.loc[("F2", "A"), "n_items"] == 15
    with pytest.raises(DataError, match="no form"):
        subscore_value(multi, dom, by=forms.iloc[:10])


def test_weighted_average_between_subscore_and_augmented():
    """Weighted average (Haberman, Sinharay & Puhan 2009): one weight w in [0, 1] for every
    domain; w = 0 is the subscore (PRMSE = alpha), w = 1 the total (PRMSE_x). Restricting the
    regression on (s, x) cannot beat it, and the chosen w cannot lose to either end in
    summed MSE Σ σ²(τ_k) (1 - PRMSE_k)."""
    for rho in (0.3, 0.8):
        wide, dom = _ctt_data(1000, rho=rho, seed=5)
        out = subscore_value(wide, dom).iloc[:2]
        assert ((out["weight_wa"] >= 0) & (out["weight_wa"] <= 1)).all()
        assert (out["prmse_wa"] <= out["prmse_sx"] + 1e-9).all()
        vt = out["reliability"] * out["sd"] ** 2
        loss = (vt * (1 - out["prmse_wa"])).sum()
        assert loss <= (vt * (1 - out["prmse_s"])).sum() + 1e-9
        assert loss <= (vt * (1 - out["prmse_x"])).sum() + 1e-9


def test_subscore_value_input_checks():
    """Every response column needs a domain; two domains of two items at least."""
    with pytest.raises(DataError, match="without a domain"):
        subscore_value(HAND, HAND_DOMAINS.iloc[:5])
    with pytest.raises(DataError, match="fewer than 2"):
        subscore_value(HAND, pd.Series(["A"] * 5 + ["B"], index=HAND.columns))
    with pytest.raises(DataError, match="at least two domains"):
        subscore_value(HAND, pd.Series(["A"] * 6, index=HAND.columns))
    with pytest.raises(DataError, match="total"):
        subscore_value(HAND, pd.Series(["A"] * 3 + ["total"] * 3, index=HAND.columns))
    bad = HAND.copy()
    bad.iloc[0, 0] = 0.5
    with pytest.raises(DataError, match="a1"):
        subscore_value(bad, HAND_DOMAINS)


# ---------------------------------------------------------------------------
# domain profiles against the truth
# ---------------------------------------------------------------------------


def test_augment_reduces_to_domain_eap_with_independent_prior():
    """With Σ = σ² Id the posterior factorises by domain: precision 1/σ² + I_d with
    I_d = 1/se² - 1/σ², mean (μ/σ² + θ_EAP/se² - μ/σ²) / (1/se²) = θ_EAP; SD = se."""
    rng = np.random.default_rng(0)
    theta = rng.normal(0.3, 0.8, size=(50, 3))
    se = rng.uniform(0.3, 0.9, size=(50, 3))
    post, post_se = _augment(theta, se, np.eye(3) * 1.5**2, mean=0.3, sd=1.5)
    np.testing.assert_allclose(post, theta, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(post_se, se, rtol=1e-10)


def test_domain_profile_power_and_false_flags_against_truth():
    """Issue 10 acceptance against simulated truth (4 correlated domains x 20 2PL items,
    20 % of 2000 persons with one domain lowered by 2): at least 80 % of the domains 1.5 or
    more below the cut are flagged weak, at most 5 % of the domains at or above it."""
    items, wide, domains, truth = simulate()
    cut = -0.5
    for method in ("augmented", "eap"):
        prof = domain_profile(items, wide, domains, cut, method=method)
        power, false = flag_rates(prof, truth, cut)
        assert power >= 0.80, (method, power)
        assert false <= 0.05, (method, false)
        assert set(prof.columns) >= {"person", "domain", "n_items", "theta", "se", "weak"}
        np.testing.assert_array_equal(prof["weak"], prof["upper"] < cut)


def test_augmented_gains_prmse_where_domains_correlate():
    """Haberman (2008): borrowing strength from correlated domains raises the PRMSE. With
    domain correlations of 0.9 and 10 items a domain, the augmented estimate's
    model-based PRMSE exceeds the domain EAP's in every domain, agrees with the empirical
    1 - MSE / Var(θ) against the true θ within 0.03, and so does the empirical gain."""
    items, wide, domains, truth = simulate(n=2000, J=10, rho=0.9, share=0.0, seed=4)
    diag = diagnose(items, wide, domains, cut=-0.5, method="augmented")
    tab = diag.domains
    assert (tab["prmse_augmented"] > tab["prmse_eap"] + 0.03).all()
    pr = diag.profile.join(truth, on=["person", "domain"])
    var_true = pr.groupby("domain")["true"].var(ddof=0)
    emp_aug = 1 - ((pr["theta"] - pr["true"]) ** 2).groupby(pr["domain"]).mean() / var_true
    emp_eap = 1 - ((pr["theta_eap"] - pr["true"]) ** 2).groupby(pr["domain"]).mean() / var_true
    assert (emp_aug > emp_eap + 0.03).all()
    np.testing.assert_allclose(tab["prmse_augmented"], emp_aug.reindex(tab.index), atol=0.03)
    np.testing.assert_allclose(tab["prmse_eap"], emp_eap.reindex(tab.index), atol=0.03)
    # the estimated domain correlations recover the true 0.9
    off = diag.correlations.to_numpy()[np.triu_indices(4, 1)]
    np.testing.assert_allclose(off, 0.9, atol=0.05)


def test_domain_profile_min_items_drops_thin_domains():
    """Domains with fewer than min_items answered items for a person are not reported."""
    items, wide, domains, _ = simulate(n=200, D=2, J=6, seed=2)
    wide = wide.copy()
    d0 = list(domains.index[domains == "d0"])
    wide.loc["p0000", d0[:2]] = np.nan  # 4 of 6 answered in d0
    prof = domain_profile(items, wide, domains, cut=0.0, min_items=5)
    p0 = prof[prof["person"] == "p0000"]
    assert p0["domain"].tolist() == ["d1"]
    assert (prof["n_items"] >= 5).all()
    assert len(prof) == 2 * 200 - 1


def test_diagnose_result_roundtrip_summary_plot(tmp_path):
    """Diagnosis is a value: JSON round trip keeps every frame; summary and plot render."""
    import matplotlib

    matplotlib.use("Agg")
    items, wide, domains, _ = simulate(n=300, D=3, J=8, seed=6)
    diag = diagnose(items, wide, domains, cut=-0.5, min_items=5)
    text = diag.to_json(tmp_path / "d.json")
    back = Diagnosis.from_json(tmp_path / "d.json")
    assert back == diag and back.to_json() == text
    pd.testing.assert_frame_equal(back.profile, diag.profile)
    pd.testing.assert_frame_equal(back.domains, diag.domains)
    with pytest.raises(SchemaError):
        Diagnosis.from_json('{"pvcal_type": "Calibration"}')
    assert "Domain diagnosis" in diag.summary().as_text()
    person = diag.weak["person"].iloc[0] if len(diag.weak) else diag.profile["person"].iloc[0]
    ax = diag.plot(person)
    assert len(ax.get_yticklabels()) == 3
    with pytest.raises(PvcalError, match="no reported domain"):
        diag.person("nobody")


def test_domain_table_joins_subscore_value():
    """The discipline report's domain table: mean domain θ against the cut, share flagged
    (equal to the profile's mean weak flag) and Haberman's added value per domain."""
    items, wide, domains, _ = simulate(n=400, D=3, J=8, seed=8)
    diag = diagnose(items, wide, domains, cut=-0.5)
    table = diag.domain_table(subscore_value(wide, domains))
    assert list(table.index) == ["d0", "d1", "d2"]
    share = diag.profile.groupby("domain")["weak"].mean()
    np.testing.assert_allclose(table["share_weak"], share.reindex(table.index))
    np.testing.assert_allclose(table["mean_minus_cut"], table["mean_theta"] + 0.5)
    assert table["added_value"].notna().all()
    # by form: person-weighted means over the forms (two identical halves: the same numbers)
    forms = pd.Series(np.where(np.arange(400) % 2 == 0, "F1", "F2"), index=wide.index)
    by_form = subscore_value(wide, domains, by=forms)
    avg = diag.domain_table(by_form)
    f1, f2 = by_form.loc["F1"].iloc[:3], by_form.loc["F2"].iloc[:3]
    np.testing.assert_allclose(avg["prmse_x"], (f1["prmse_x"] + f2["prmse_x"]) / 2)
    assert (avg["added_value"] == (avg["prmse_s"] > avg["prmse_x"])).all()


def test_diagnose_input_checks():
    """Bad level, min_items, method and items without parameters fail early, by name."""
    items, wide, domains, _ = simulate(n=50, D=2, J=5, seed=7)
    with pytest.raises(PvcalError, match="level"):
        diagnose(items, wide, domains, 0.0, level=1.5)
    with pytest.raises(PvcalError, match="min_items"):
        diagnose(items, wide, domains, 0.0, min_items=0)
    with pytest.raises(PvcalError, match="method"):
        diagnose(items, wide, domains, 0.0, method="mirt")
    with pytest.raises(DataError, match="without calibrated parameters"):
        diagnose(items.iloc[1:], wide, domains, 0.0)
    with pytest.raises(DataError, match="'d0': fewer than 3 persons"):
        diagnose(items, wide, domains, 0.0, min_items=6)  # every domain has 5 items


# ---------------------------------------------------------------------------
# recommendations and training demand
# ---------------------------------------------------------------------------


def _profile():
    return pd.DataFrame(
        {
            "person": ["p1", "p1", "p1", "p2", "p2"],
            "domain": ["law", "haccp", "hygiene", "law", "haccp"],
            "theta": [-1.8, -2.6, 0.4, -2.0, 0.1],
            "upper": [-0.9, -1.5, 1.2, -1.0, 0.9],
            "below_cut": [1.3, 2.1, -0.9, 1.5, -0.6],
            "weak": [True, True, False, True, False],
        }
    )


def test_recommend_orders_by_distance_below_cut():
    """Weak domains map to their module; rank 1 is the domain furthest below the cut."""
    items = pd.DataFrame(
        {
            "domain": ["law", "law", "haccp", "hygiene"],
            "training_module": [
                "FSI-410 Food law",
                "FSI-410 Food law",
                "FSI-210 HACCP",
                "FSI-310 Hygiene",
            ],
        }
    )
    rec = recommend(_profile(), items)
    assert rec[["person", "rank", "domain", "module_code"]].values.tolist() == [
        ["p1", 1, "haccp", "FSI-210"],
        ["p1", 2, "law", "FSI-410"],
        ["p2", 1, "law", "FSI-410"],
    ]
    rules = {"law": {"module": "FSI-410 Food law", "hours": 6}, "haccp": "FSI-210 HACCP"}
    rec = recommend(_profile(), rules)
    assert rec["hours"].tolist()[1:] == [6.0, 6.0] and np.isnan(rec["hours"].iloc[0])
    rec = recommend(_profile(), rules, hours={"FSI-210": 8})
    assert rec["hours"].iloc[0] == 8.0
    with pytest.raises(SchemaError, match="module"):
        recommend(_profile(), {"law": {"hours": 3}})
    # typed rules entries (pvcal.rules: diagnosis.modules.<domain> with .module and .hours)
    from types import SimpleNamespace

    typed = {"haccp": SimpleNamespace(module="FSI-210 HACCP", hours=12.0)}
    assert recommend(_profile(), typed)["hours"].iloc[0] == 12.0


def test_domain_modules_majority_module():
    """A domain's module is the one most of its items name."""
    items = pd.DataFrame(
        {"domain": ["a", "a", "a", "b"], "training_module": ["X-1 x", "X-2 y", "X-2 y", "Z z"]}
    )
    out = domain_modules(items)
    assert out.loc["a", "module"] == "X-2 y" and out.loc["a", "module_code"] == "X-2"
    assert out.loc["b", "module_code"] == "Z z"  # no code: the whole name


def test_training_demand_counts_candidates_per_module_and_group():
    """Training demand: distinct candidates per module (hours summed), optionally by region."""
    rec = recommend(
        _profile(),
        {"law": {"module": "M-4 law", "hours": 6}, "haccp": {"module": "M-2 h", "hours": 4}},
    )
    demand = training_demand(rec)
    assert demand[["module_code", "candidates", "hours"]].values.tolist() == [
        ["M-4", 2, 12.0],
        ["M-2", 1, 4.0],
    ]
    cands = pd.DataFrame({"region": ["north", None]}, index=["p1", "p2"])
    by = training_demand(rec, cands, by="region")
    assert by[["region", "module_code", "candidates"]].values.tolist() == [
        ["(unknown)", "M-4", 1],
        ["north", "M-2", 1],
        ["north", "M-4", 1],
    ]
    with pytest.raises(DataError, match="candidates"):
        training_demand(rec, by="region")


def test_records_round_trip_through_result_detail():
    """A person's diagnosis stored in a result record (JSON) reads back as the same rows."""
    import json

    items, wide, domains, _ = simulate(n=300, D=3, J=8, seed=9)
    diag = diagnose(items, wide, domains, cut=-0.5)
    rec = diag.recommend({"d0": {"module": "M-0 zero", "hours": 5}})
    records = diag.records(rec)
    person = rec.loc[rec["module"].notna(), "person"].iloc[0]
    stored = json.loads(json.dumps(records[person]))
    prof, training = profile_from_record(stored)
    cols = list(prof.columns)
    pd.testing.assert_frame_equal(prof, diag.person(person)[cols], check_dtype=False)
    assert stored["cut"] == -0.5 and stored["level"] == 0.95
    expected = rec.loc[rec["person"] == person, "module_code"].tolist()
    assert training["module_code"].tolist() == expected and "M-0" in expected
    with pytest.raises(SchemaError):
        profile_from_record({"domains": []})


def test_training_from_results_reads_the_registry_detail():
    """The industry report's table: demand by region from the diagnosis stored with each
    result (JSON text, as Registry.results returns it), one count per candidate and module."""
    import json

    rec = recommend(
        _profile(),
        {"law": {"module": "M-4 law", "hours": 6}, "haccp": {"module": "M-2 h", "hours": 4}},
    )
    detail = {
        p: json.dumps({"diagnosis": {"training": rows.drop(columns="person").to_dict("records")}})
        for p, rows in rec.groupby("person")
    }
    results = pd.DataFrame(
        {
            "application": ["p1", "p2", "p3"],
            "region": ["north", None, "south"],
            "detail": [detail["p1"], detail["p2"], "{}"],
        }
    )
    out = training_from_results(results, by="region")
    expected = training_demand(rec, results.set_index("application")[["region"]], by="region")
    pd.testing.assert_frame_equal(out, expected)
    assert training_from_results(results)["candidates"].tolist() == [2, 1]
