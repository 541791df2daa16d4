"""set_cuts: dispatch by the rules file's method names, bad rules, bootstrap of the cuts.

Each dispatched cut must equal the direct call of its method (the methods themselves
are checked against hand derivations in test_panel/test_compromise/test_normative).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import logit

from pvcal._validation import DataError, PvcalError, SchemaError
from pvcal.standards import (
    angoff,
    beuk,
    bookmark,
    borderline_group,
    borderline_regression,
    contrasting_groups,
    hofstee,
    normative_cut,
    parse_grades,
    set_cuts,
    tcc_inverse,
)

ITEMS = pd.DataFrame({"a": [1.0] * 4, "b": [-1.0, -0.5, 0.5, 1.0]}, index=["Q1", "Q2", "Q3", "Q4"])


def _panel(n=6, seed=0, cut=None):
    rng = np.random.default_rng(seed)
    rows = [(p, 1, item, float(rng.uniform(0.3, 0.7))) for p in range(n) for item in ITEMS.index]
    out = pd.DataFrame(rows, columns=["panelist", "round", "item_id", "rating"])
    if cut is not None:
        out["cut"] = cut
    return out


def _bookmarks(pages, cut=None):
    out = pd.DataFrame({"panelist": range(len(pages)), "round": 1, "page": pages})
    if cut is not None:
        out["cut"] = cut
    return out


RNG = np.random.default_rng(42)
THETA = RNG.normal(0, 1, 300)
SCORES = (RNG.random((300, 4)) < 0.6).sum(axis=1)


def test_dispatch_matches_direct_calls():
    """Pass by Angoff, Good by Bookmark (RP 0.67), Excellent by normative 99th percentile."""
    panel, bm = _panel(), _bookmarks([2, 2, 3, 3, 3])
    rules = {
        "grades": {
            "Excellent": {"method": "normative", "percentile": 99},
            "Pass": {"method": "Modified-Angoff"},
            "Good": {"method": "bookmark", "placement": "on"},
        }
    }
    cs = set_cuts(rules, items=ITEMS, panel=panel, bookmark=bm, theta=THETA)
    assert list(cs.table.index) == ["Pass", "Good", "Excellent"]
    assert cs.theta["Pass"] == angoff(panel, ITEMS).cut
    assert cs.theta["Good"] == bookmark(bm, ITEMS, placement="on").cut
    assert cs.theta["Excellent"] == normative_cut(THETA, percentile=99).cut
    assert cs.table.loc["Pass", "se"] == pytest.approx(angoff(panel, ITEMS).se)
    assert cs.specs["Good"]["placement"] == "on"
    assert "placement=on" in cs.summary().as_text()
    assert "<table" in cs._repr_html_()


def test_raw_scale_method_goes_through_tcc():
    """Hofstee on summed scores gives a lowest passing score c; the θ cut is TCC^{-1}(c)."""
    rules = {
        "Pass": {"method": "hofstee", "k_min": 1, "k_max": 3, "f_min": 0.05, "f_max": 0.5},
        "Good": {"method": "fixed", "theta": 1.5},
        "Excellent": 2.5,
    }
    cs = set_cuts(rules, items=ITEMS, scores=SCORES)
    h = hofstee(SCORES, k_min=1, k_max=3, f_min=0.05, f_max=0.5)
    assert cs.table.loc["Pass", "raw"] == h.pass_score
    assert cs.theta["Pass"] == pytest.approx(float(tcc_inverse(ITEMS, h.pass_score)))
    assert cs.theta["Excellent"] == 2.5


def test_cut_column_selects_rows_and_judgments_frame():
    """A panel file holding several cuts is split by its cut column (Good: ratings 0.75 x 4 ->
    TCC⁻¹(3.0)), and a judgments frame column feeds the borderline-group cut as
    borderline_group itself gives."""
    panel = pd.concat([_panel(cut="Pass"), _panel(seed=1, cut="Good").assign(rating=0.75)])
    judg = pd.DataFrame({"Excellent": np.where(THETA > 1.8, "borderline", "no")})
    rules = {
        "Pass": {"method": "angoff"},
        "Good": {"method": "angoff"},
        "Excellent": {"method": "borderline_group", "borderline_value": "borderline"},
    }
    cs = set_cuts(rules, items=ITEMS, panel=panel, theta=THETA, judgments=judg)
    assert cs.theta["Good"] == pytest.approx(float(tcc_inverse(ITEMS, 3.0)))
    assert (
        cs.theta["Excellent"]
        == borderline_group(THETA, judg["Excellent"].to_numpy(), borderline_value="borderline").cut
    )


def test_bad_rules():
    """Grade specs with an unknown method, missing or unknown options, normative without
    percentile/k, or no method are refused with the grade and the option named."""
    with pytest.raises(SchemaError, match="'Pass' names unknown standard-setting method 'delphi'"):
        set_cuts({"Pass": {"method": "delphi"}}, theta=THETA)
    with pytest.raises(SchemaError, match=r"missing option\(s\) \['f_max', 'f_min'\]"):
        parse_grades({"Pass": {"method": "hofstee", "k_min": 1, "k_max": 3}})
    with pytest.raises(SchemaError, match=r"unknown option\(s\) \['rpp'\]"):
        parse_grades({"Good": {"method": "bookmark", "rpp": 0.5}})
    with pytest.raises(SchemaError, match="needs one of percentile, k"):
        parse_grades({"Good": {"method": "normative"}})
    with pytest.raises(SchemaError, match="'method' key"):
        parse_grades({"Good": {"rp": 0.5}})


def test_cuts_not_increasing():
    """Cuts must increase from Pass to Excellent; fixed cuts 1.0 > 0.5 are refused with both
    values."""
    with pytest.raises(PvcalError, match=r"cuts must increase .* Pass=1, Good=0\.5"):
        set_cuts({"Pass": 1.0, "Good": 0.5, "Excellent": 2.0})


def test_missing_data_for_method():
    """A method without the data it needs (Angoff ratings, item parameters, rows for its cut) is
    a DataError naming what is missing."""
    with pytest.raises(DataError, match="uses angoff but no angoff ratings"):
        set_cuts({"Pass": {"method": "angoff"}}, items=ITEMS)
    with pytest.raises(DataError, match="needs item parameters"):
        set_cuts({"Pass": {"method": "angoff"}}, panel=_panel())
    with pytest.raises(DataError, match="no rows with cut == 'pass'"):
        set_cuts({"Pass": {"method": "angoff"}}, items=ITEMS, panel=_panel(cut="Good"))


def test_bootstrap_seeded_and_recomputes():
    """A replicate equals the method re-run on the resampled panelists / candidates."""
    panel, bm = _panel(8), _bookmarks([2, 3, 3, 4, 4, 3])
    rules = {
        "Pass": {"method": "angoff"},
        "Good": {"method": "bookmark"},
        "Excellent": {"method": "normative", "k": -1.5},
    }
    cs = set_cuts(rules, items=ITEMS, panel=panel, bookmark=bm, theta=THETA)
    b1 = cs.bootstrap(50, seed=9)
    b2 = cs.bootstrap(50, seed=9)
    pd.testing.assert_frame_equal(b1.theta, b2.theta)
    assert b1.resampled == ("candidates", "panelists")
    # replicate 0 of the Angoff cut, recomputed from its resampled panelists
    fin = angoff(panel, ITEMS).final
    rng = np.random.default_rng(9)
    rng.integers(0, len(THETA), size=(50, len(THETA)), dtype=np.int32)
    pidx = rng.integers(0, 8, size=(50, 8))
    want = tcc_inverse(ITEMS, fin["raw"].to_numpy()[pidx[0]].mean())
    assert b1.theta["Pass"].iloc[0] == pytest.approx(float(want))
    idx = b1.candidate_index[3]
    assert b1.theta["Excellent"].iloc[3] == pytest.approx(
        normative_cut(THETA[idx], k=-1.5).cut, abs=1e-12
    )


def test_bootstrap_too_few_panelists():
    """The panel bootstrap needs at least min_panelists (default 5) panelists: 3 are refused
    unless the minimum is lowered."""
    cs = set_cuts({"Pass": {"method": "bookmark"}}, items=ITEMS, bookmark=_bookmarks([2, 3, 4]))
    with pytest.raises(DataError, match=r"3 panelist\(s\) .* needs >= 5"):
        cs.bootstrap(20, seed=1)
    assert len(cs.bootstrap(20, seed=1, min_panelists=3).theta) == 20


def test_angoff_logit_sanity():
    """Four a = 1 items with b symmetric about 0 and ratings all 0.5: R = 2 -> θ = 0 exactly
    (TCC is symmetric about 0 with TCC(0) = 2); a sanity anchor for the dispatcher."""
    panel = _panel().assign(rating=0.5)
    cs = set_cuts({"Pass": {"method": "angoff"}}, items=ITEMS, panel=panel)
    assert cs.theta["Pass"] == pytest.approx(0.0, abs=1e-10)
    assert logit(0.5) == 0.0


@pytest.mark.parametrize(
    "spec, direct",
    [
        (
            {"method": "beuk", "k": [2, 3], "p": [0.7, 0.5], "interpolation": "linear"},
            lambda th, sc, j: float(
                tcc_inverse(ITEMS, beuk(sc, k=[2, 3], p=[0.7, 0.5], interpolation="linear").cut)
            ),
        ),
        (
            {"method": "contrasting_groups", "column": "competent"},
            lambda th, sc, j: contrasting_groups(th, j["competent"].to_numpy()).cut,
        ),
        (
            {"method": "borderline_regression", "borderline": 2, "column": "rating"},
            lambda th, sc, j: borderline_regression(th, j["rating"].to_numpy(), borderline=2).cut,
        ),
        (
            {"method": "normative", "k": 1.0, "scale": "raw", "robust": "niqr"},
            lambda th, sc, j: float(
                tcc_inverse(ITEMS, normative_cut(sc, k=1.0, robust="niqr").cut)
            ),
        ),
    ],
)
def test_candidate_methods_dispatch_and_bootstrap(spec, direct):
    """Each examinee-centred / compromise method: the dispatched θ cut equals the direct call
    (raw-scale cuts through TCC^{-1}), and bootstrap replicate r equals the direct call on the
    candidates of row r of the candidate index (judgments resampled with them)."""
    rng = np.random.default_rng(8)
    th = rng.normal(0, 1, 200)
    sc = np.clip(np.round(2 + 1.2 * th + rng.normal(0, 0.5, 200)), 0, 4)
    judg = pd.DataFrame(
        {
            "competent": (rng.random(200) < 1 / (1 + np.exp(-3 * th))).astype(int),
            "rating": np.clip(np.round(2 + th + rng.normal(0, 0.7, 200)), 1, 3),
        }
    )
    cs = set_cuts({"Pass": spec}, items=ITEMS, theta=th, scores=sc, judgments=judg)
    assert cs.theta["Pass"] == pytest.approx(direct(th, sc, judg), abs=1e-9)
    b = cs.bootstrap(4, seed=2)
    for r in (0, 3):
        i = b.candidate_index[r]
        want = direct(th[i], sc[i], judg.iloc[i].reset_index(drop=True))
        assert b.theta["Pass"].iloc[r] == pytest.approx(want, abs=1e-9)


def test_fixed_standard_score_cut_moves_with_pass():
    """Pass by Angoff (θ_P); Good fixed at standard score 75 with pass_score 60, scale 10:
    θ_G = θ_P + (75 - 60)/10 = θ_P + 1.5. With a fixed anchor_theta 0: θ = 0 + 1.5.
    In the bootstrap θ*_G - θ*_P stays 1.5 (the cut is a fixed distance above the pass line)."""
    rules = {
        "pass": {"method": "angoff", "round": 1},
        "good": {"method": "fixed", "standard_score": 75},
        "excellent": {"method": "fixed", "standard_score": 90, "description": "doc only"},
    }
    conv = {"pass_score": 60, "scale": 10, "min": 0, "max": 100, "rounding": "half_up"}
    cs = set_cuts(rules, items=ITEMS, panel=_panel(), conversion=conv)
    assert list(cs.table.index) == ["Pass", "Good", "Excellent"]
    assert cs.theta["Good"] == pytest.approx(cs.theta["Pass"] + 1.5)
    assert cs.theta["Excellent"] == pytest.approx(cs.theta["Pass"] + 3.0)
    b = cs.bootstrap(30, seed=4)
    assert np.allclose(b.theta["Good"] - b.theta["Pass"], 1.5)
    assert b.theta["Pass"].std() > 0
    fixed = set_cuts(rules, items=ITEMS, panel=_panel(), conversion={**conv, "anchor_theta": 0})
    assert fixed.theta["Good"] == pytest.approx(1.5)
    with pytest.raises(SchemaError, match="needs the rules file's standard_score block"):
        set_cuts(rules, items=ITEMS, panel=_panel())
    with pytest.raises(SchemaError, match="exactly one of theta, standard_score"):
        parse_grades({"Good": {"method": "fixed"}})


def test_rating_alias_labels_and_missing_judgments():
    """`rating` is accepted for the borderline rating and `labels` is documentation. Candidates
    without a judgement (NaN) are left out: the cut equals the fit on the judged ones."""
    rng = np.random.default_rng(12)
    th = rng.normal(0, 1, 120)
    ratings = np.clip(np.round(2 + th + rng.normal(0, 0.6, 120)), 1, 3).astype(float)
    ratings[::3] = np.nan
    spec = {"method": "borderline_regression", "rating": 2, "labels": {1: "fail", 2: "border"}}
    cs = set_cuts({"Pass": spec}, theta=th, judgments=ratings)
    ok = ~np.isnan(ratings)
    want = borderline_regression(th[ok], ratings[ok], borderline=2)
    assert cs.theta["Pass"] == pytest.approx(want.cut)
    assert cs.table.loc["Pass", "n"] == ok.sum()
    b = cs.bootstrap(3, seed=0)
    i = b.candidate_index[1]
    k = ~np.isnan(ratings[i])
    assert b.theta["Pass"].iloc[1] == pytest.approx(
        borderline_regression(th[i][k], ratings[i][k], borderline=2).cut
    )


def test_compromise_from_panel_file_resamples_judges():
    """Hofstee from a panel file (percent units, max score = the items' total 4): the cut is
    hofstee() on the judges' means; bootstrap replicate r = hofstee() on the resampled
    candidates' scores and the resampled judges (both rows r of the index matrices)."""
    hp = pd.DataFrame(
        {
            "panelist": [f"P{i}" for i in range(5)],
            "k_min": [25, 30, 20, 25, 25],
            "k_max": [75, 80, 70, 75, 75],
            "f_min": [5, 10, 5, 10, 5],
            "f_max": [50, 60, 45, 50, 55],
        }
    )
    spec = {
        "method": "hofstee",
        "from_panel": True,
        "units": "percent",
        "step": 0.5,
        "interpolation": "linear",
    }
    cs = set_cuts({"Pass": spec}, items=ITEMS, scores=SCORES, hofstee_panel=hp)
    kw = dict(units="percent", max_score=4.0, step=0.5, interpolation="linear")
    direct = hofstee(SCORES, k_min=hp.k_min, k_max=hp.k_max, f_min=hp.f_min, f_max=hp.f_max, **kw)
    assert cs.table.loc["Pass", "raw"] == pytest.approx(direct.pass_score)
    assert cs.theta["Pass"] == pytest.approx(float(tcc_inverse(ITEMS, direct.pass_score)))
    b = cs.bootstrap(5, seed=3)
    assert b.resampled == ("candidates", "panelists")
    rng = np.random.default_rng(3)
    cand = rng.integers(0, len(SCORES), size=(5, len(SCORES)), dtype=np.int32)
    pan = rng.integers(0, 5, size=(5, 5))
    assert np.array_equal(cand, b.candidate_index)
    j = hp.iloc[pan[2]]
    want = hofstee(
        SCORES[cand[2]], k_min=j.k_min, k_max=j.k_max, f_min=j.f_min, f_max=j.f_max, **kw
    )
    assert b.theta["Pass"].iloc[2] == pytest.approx(float(tcc_inverse(ITEMS, want.pass_score)))
    with pytest.raises(DataError, match="no hofstee_panel was given"):
        set_cuts({"Pass": spec}, items=ITEMS, scores=SCORES)
    with pytest.raises(DataError, match=r"1 judge\(s\); a bootstrap over panelists needs >= 5"):
        set_cuts({"Pass": spec}, items=ITEMS, scores=SCORES, hofstee_panel=hp.iloc[:1]).bootstrap(
            5, seed=1
        )
