"""Panel methods: modified Angoff, Bookmark, borderline group/regression, contrasting groups.

Expected values are derived by hand from the method's formula (derivation in each
docstring) and cross-checked a second way (brute-force grid search, closed form
against numeric root, independent maximum-likelihood fit). Formulas: Cizek &
Bunch (2007), *Standard Setting*, ch. 6 (Angoff), ch. 10 (Bookmark), ch. 8-9
(examinee-centred methods); Huynh (2006) for the RP criterion.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from scipy.special import expit, logit

from pvcal._validation import DataError, ModelError, PvcalError
from pvcal.irt.models import category_probs, expected_score
from pvcal.standards import (
    angoff,
    bookmark,
    borderline_group,
    borderline_regression,
    contrasting_groups,
    ordered_item_booklet,
    panel_quality,
    rp_locations,
    tcc_inverse,
)

ITEMS3 = pd.DataFrame({"a": [1.0, 1.0, 1.0], "b": [0.0, 0.0, 0.0]}, index=["Q1", "Q2", "Q3"])


def _long(ratings: dict, rnd=1) -> pd.DataFrame:
    rows = [
        (p, rnd, item, r)
        for p, rs in ratings.items()
        for item, r in zip(ITEMS3.index, rs, strict=True)
    ]
    return pd.DataFrame(rows, columns=["panelist", "round", "item_id", "rating"])


def _grid_inverse(items, raw):
    grid = np.linspace(-6, 6, 120001)
    tcc = expected_score(items, grid).sum(axis=1)
    return float(grid[np.argmin(np.abs(tcc - raw))])


# --------------------------------------------------------------------------- TCC inverse


def test_tcc_inverse_closed_form_and_grid():
    """Three identical 2PL items (a = 1, b = 0): TCC(θ) = 3·expit(θ), so
    TCC^{-1}(R) = logit(R / 3). R = 1.8 -> logit(0.6) = 0.405465.
    Second way: brute-force search on a 1e-4 grid of the TCC."""
    assert tcc_inverse(ITEMS3, 1.8) == pytest.approx(logit(0.6), abs=1e-10)
    mixed = pd.DataFrame(
        {"a": [0.8, 1.7, 1.1], "b": [-0.5, 0.3, 1.2], "c": [0.0, 0.2, 0.1]}, index=list("xyz")
    )
    raws = np.array([0.6, 1.2, 2.1])
    got = tcc_inverse(mixed, raws)
    for r, g in zip(raws, got, strict=True):
        assert g == pytest.approx(_grid_inverse(mixed, r), abs=2e-4)
    assert np.allclose(expected_score(mixed, got).sum(axis=1), raws, atol=1e-10)


def test_tcc_inverse_out_of_range():
    """A 3PL test cannot have an expected score below Σc, nor reach its maximum."""
    items = pd.DataFrame({"a": [1.0, 1.0], "b": [0.0, 0.0], "c": [0.25, 0.25]}, index=["A", "B"])
    with pytest.raises(DataError, match="outside the range of the test characteristic curve"):
        tcc_inverse(items, 0.4)
    with pytest.raises(DataError, match="outside the range"):
        tcc_inverse(items, 2.0)


# --------------------------------------------------------------------------- Angoff


def test_angoff_hand_derivation():
    """Panelist 1 rates (0.5, 0.6, 0.7): R1 = 1.8, θ1 = logit(0.6) = 0.405465.
    Panelist 2 rates (0.6, 0.7, 0.8): R2 = 2.1, θ2 = logit(0.7) = 0.847298.
    Panel raw cut = (1.8 + 2.1)/2 = 1.95 -> θ = logit(0.65) = 0.619039.
    SE across panelists = SD(θ1, θ2)/sqrt(2) = |θ2 - θ1|/sqrt(2)/sqrt(2) = 0.220916.
    Second way: the θ cut from a brute-force grid search of the TCC."""
    res = angoff(_long({1: (0.5, 0.6, 0.7), 2: (0.6, 0.7, 0.8)}), ITEMS3)
    assert res.raw_cut == pytest.approx(1.95)
    assert res.cut == pytest.approx(logit(0.65), abs=1e-10)
    assert res.cut == pytest.approx(_grid_inverse(ITEMS3, 1.95), abs=2e-4)
    assert res.final["theta"].tolist() == pytest.approx([logit(0.6), logit(0.7)], abs=1e-10)
    assert res.se == pytest.approx(abs(logit(0.7) - logit(0.6)) / 2, abs=1e-10)
    # per-panelist rating correlation: both panelists rise by item -> +1
    assert res.by_round.loc[1, "rating_correlation"] == pytest.approx(1.0)


def test_angoff_rounds_change_and_choice():
    """Round 1 ratings (0.4, 0.4, 0.4) x2 -> R = 1.2 -> θ = logit(0.4);
    round 2 (0.5, 0.5, 0.5) x2 -> θ = 0. Change round 1 -> 2 = 0 - logit(0.4) = 0.405465."""
    r1 = _long({1: (0.4,) * 3, 2: (0.4,) * 3}, rnd=1)
    r2 = _long({1: (0.5,) * 3, 2: (0.5,) * 3}, rnd=2)
    res = angoff(pd.concat([r1, r2], ignore_index=True), ITEMS3)
    assert res.round == 2
    assert res.cut == pytest.approx(0.0, abs=1e-10)
    assert res.by_round.loc[2, "change"] == pytest.approx(-logit(0.4), abs=1e-10)
    assert angoff(pd.concat([r1, r2]), ITEMS3, round=1).cut == pytest.approx(logit(0.4))


def test_angoff_polytomous_score_and_proportion():
    """GRM item with 2 thresholds (max 2) + a 2PL item. Ratings on the score scale
    (1.0, 0.5) give R = 1.5; on the proportion scale (0.5, 0.5) give 0.5·2 + 0.5·1 = 1.5:
    the same θ cut, which solves E[X_grm | θ] + E[X_2pl | θ] = 1.5 (checked on the grid)."""
    items = pd.DataFrame(
        {
            "model": ["GRM", "2PL"],
            "a": [1.2, 0.9],
            "b": [np.nan, 0.2],
            "b1": [-0.5, np.nan],
            "b2": [0.8, np.nan],
        },
        index=["P1", "D1"],
    )
    score = pd.DataFrame(
        {"panelist": [1, 1], "round": [1, 1], "item_id": ["P1", "D1"], "rating": [1.0, 0.5]}
    )
    prop = score.assign(rating=[0.5, 0.5])
    c1 = angoff(score, items).cut
    c2 = angoff(prop, items, rating="proportion").cut
    assert c1 == pytest.approx(c2, abs=1e-12)
    assert c1 == pytest.approx(_grid_inverse(items, 1.5), abs=2e-4)
    with pytest.raises(DataError, match=r"outside 0\.\.2 \(the item's score range\)"):
        angoff(score.assign(rating=[2.5, 0.5]), items)
    with pytest.raises(DataError, match=r"outside 0\.\.1"):
        angoff(prop.assign(rating=[1.5, 0.5]), items, rating="proportion")


@pytest.mark.parametrize(
    "change, match",
    [
        ({"rating": 1.2}, r"row 0, panelist 1, item 'Q1': rating 1\.2 is outside 0\.\.1"),
        ({"rating": -0.1}, "is outside"),
        ({"item_id": "Q9"}, "item 'Q9' is not in the item bank"),
    ],
)
def test_angoff_bad_ratings(change, match):
    """An Angoff rating outside 0..1 or for an item not in the bank is a DataError naming the
    row, panelist and item."""
    r = _long({1: (0.5, 0.6, 0.7), 2: (0.6, 0.7, 0.8)})
    for col, v in change.items():
        r.loc[0, col] = v
    with pytest.raises(DataError, match=match):
        angoff(r, ITEMS3)


def test_angoff_incomplete_and_duplicate():
    """Angoff ratings missing an item for a panelist and round, duplicated, or without a rating
    column are DataErrors naming them."""
    r = _long({1: (0.5, 0.6, 0.7), 2: (0.6, 0.7, 0.8)})
    with pytest.raises(
        DataError, match=r"panelist 2 in round 1 has no rating for item\(s\) \['Q3'\]"
    ):
        angoff(r.iloc[:-1], ITEMS3)
    with pytest.raises(DataError, match="duplicate rating"):
        angoff(pd.concat([r, r.iloc[[0]]], ignore_index=True), ITEMS3)
    with pytest.raises(DataError, match="missing column"):
        angoff(r.drop(columns="rating"), ITEMS3)


def test_panel_quality_hand():
    """Cuts 0, 1, 2 (round 1): mean 1, SD 1, SE = 1/sqrt(3) = 0.57735,
    IQR 1 (quartiles 0.5, 1.5)."""
    q = panel_quality(
        pd.DataFrame({"panelist": [1, 2, 3], "round": 1, "theta": [0.0, 1.0, 2.0]}), csem=1.0
    )
    assert q.loc[1, "se"] == pytest.approx(1 / math.sqrt(3))
    assert q.loc[1, "iqr"] == pytest.approx(1.0)
    assert q.loc[1, "se_to_csem"] == pytest.approx(1 / math.sqrt(3))


# --------------------------------------------------------------------------- Bookmark


def test_rp_location_2pl_and_3pl_hand():
    """2PL a = 2, b = 0.5, RP = 0.67: b + ln(0.67/0.33)/a = 0.5 + 0.708036/2 = 0.854018
    (not b + ln 2 / a = 0.846574, which is RP 2/3). 3PL a = 1, b = 0, c = 0.2:
    (RP - c)/(1 - c) = 0.5875 -> θ = ln((0.67 - 0.2)/0.33) = 0.353640.
    Second way: the model's probability at those θ equals RP."""
    items = pd.DataFrame({"a": [2.0, 1.0], "b": [0.5, 0.0], "c": [0.0, 0.2]}, index=["A", "B"])
    loc = rp_locations(items, rp=0.67)["location"].to_numpy()
    assert loc[0] == pytest.approx(0.5 + math.log(0.67 / 0.33) / 2, abs=1e-12)
    assert loc[0] != pytest.approx(0.5 + math.log(2) / 2, abs=1e-3)
    assert loc[1] == pytest.approx(math.log(0.47 / 0.33), abs=1e-12)
    p = [category_probs(items.iloc[[j]], [loc[j]])[0][0, 1] for j in range(2)]
    # abs 1e-6: in a frame with a c column the item model clips c = 0 to 1e-6
    assert p == pytest.approx([0.67, 0.67], abs=1e-6)
    with pytest.raises(ModelError, match="not above the lower asymptote"):
        rp_locations(items.assign(c=[0.0, 0.7]), rp=0.67)


def test_rp_locations_polytomous_one_page_per_category():
    """GRM: location of category k = b_k + ln(RP/(1-RP))/a (its cumulative curve).
    GPCM: no closed form; the bisection's θ must give P(X >= k | θ) = RP (second way)."""
    items = pd.DataFrame(
        {"model": ["GRM", "GPCM"], "a": [1.5, 0.8], "b1": [-1.0, -0.4], "b2": [0.5, 0.9]},
        index=["G", "P"],
    )
    locs = rp_locations(items, rp=0.7)
    assert len(locs) == 4
    lg = math.log(0.7 / 0.3)
    g = locs[locs.item_id == "G"]["location"].to_numpy()
    assert g == pytest.approx([-1.0 + lg / 1.5, 0.5 + lg / 1.5], abs=1e-12)
    for k, t in zip([1, 2], locs[locs.item_id == "P"]["location"], strict=True):
        p = category_probs(items.loc[["P"]], [t])[0][0]
        assert p[k:].sum() == pytest.approx(0.7, abs=1e-9)


def test_bookmark_hand():
    """Four 2PL items a = 1, b = -1, 0, 1, 2 (RP 0.5 -> locations = b, pages in that order).
    Bookmarks on pages 2, 3, 3, 4, 4 with placement "before" give θ = b of pages 1, 2, 2, 3, 3
    = -1, 0, 0, 1, 1: median 0, mean 0.2; "on" gives 0, 1, 1, 2, 2 (median 1);
    "midpoint" -0.5, 0.5, 0.5, 1.5, 1.5 (median 0.5).
    SD(-1, 0, 0, 1, 1) = sqrt(2.8/4) = 0.836660, SE = sqrt(0.7/5) = 0.374166."""
    items = pd.DataFrame({"a": 1.0, "b": [2.0, -1.0, 0.0, 1.0]}, index=list("DABC"))
    book = ordered_item_booklet(items, rp=0.5)
    assert book["item_id"].tolist() == ["A", "B", "C", "D"]
    pl = pd.DataFrame({"panelist": range(5), "round": 1, "page": [2, 3, 3, 4, 4]})
    res = bookmark(pl, items, rp=0.5)
    assert res.cut == pytest.approx(0.0)
    assert res.se == pytest.approx(math.sqrt(0.7 / 5))
    assert bookmark(pl, items, rp=0.5, aggregate="mean").cut == pytest.approx(0.2)
    assert bookmark(pl, items, rp=0.5, placement="on").cut == pytest.approx(1.0)
    assert bookmark(pl, items, rp=0.5, placement="midpoint").cut == pytest.approx(0.5)
    # RP 0.67 shifts every location by ln(0.67/0.33)/a
    assert bookmark(pl, items).cut == pytest.approx(math.log(0.67 / 0.33))


def test_bookmark_given_booklet():
    """A booklet given as (page, item_id) keeps its page order; each page's θ is its item's RP
    location under the item parameters. The booklet ordered under the same parameters gives
    the same cut; a booklet out of location order warns; an unknown item is a DataError."""
    items = pd.DataFrame({"a": 1.0, "b": [2.0, -1.0, 0.0, 1.0]}, index=list("DABC"))
    pl = pd.DataFrame({"panelist": range(5), "round": 1, "page": [2, 3, 3, 4, 4]})
    own = ordered_item_booklet(items, rp=0.5).reset_index()[["page", "item_id"]]
    assert bookmark(pl, items, rp=0.5, booklet=own).cut == bookmark(pl, items, rp=0.5).cut
    swapped = own.assign(item_id=["B", "A", "C", "D"])  # pages 1 and 2 swapped
    with pytest.warns(UserWarning, match="not in page order"):
        res = bookmark(pl, items, rp=0.5, booklet=swapped)
    # pages 1, 2, 2, 3, 3 -> b of B, A, A, C, C = 0, -1, -1, 1, 1 -> median 0
    assert res.cut == pytest.approx(0.0)
    with pytest.raises(DataError, match="not in the item parameters"):
        bookmark(pl, items, booklet=own.assign(item_id=["A", "B", "C", "Z"]))
    with pytest.raises(DataError, match="pages must be 1..n"):
        bookmark(pl, items, booklet=own.assign(page=[1, 2, 2, 4]))


def test_bookmark_bad_pages():
    """Bookmark pages outside the booklet, a bookmark on page 1 (no page before it) and two
    bookmarks of one panelist in a round are refused; contrasting_groups refuses a bad rp."""
    items = pd.DataFrame({"a": 1.0, "b": [0.0, 1.0, 2.0]}, index=list("ABC"))
    pl = pd.DataFrame({"panelist": [1, 2], "round": 1, "page": [2, 5]})
    with pytest.raises(DataError, match=r"page 5 .* is not a page number 2\.\.3"):
        bookmark(pl, items)
    with pytest.raises(DataError, match="no page before it"):
        bookmark(pl.assign(page=[1, 2]), items)
    with pytest.raises(DataError, match="a second bookmark"):
        bookmark(pd.DataFrame({"panelist": [1, 1], "round": 1, "page": [2, 3]}), items)
    with pytest.raises(PvcalError, match="rp"):
        bookmark(pl.assign(page=[2, 3]), items, rp=1.2)


# --------------------------------------------------------------------------- examinee-centred


def test_borderline_group_hand():
    """Borderline candidates score 2, 3, 7: median 3, mean 4; SD = sqrt(7) = 2.645751,
    SE(mean) = sqrt(7/3) = 1.527525, SE(median) = sqrt(pi/2)·SE(mean) = 1.914452."""
    s = [1, 2, 3, 7, 9]
    b = [False, True, True, True, False]
    r = borderline_group(s, b)
    assert (r.cut, r.n) == (3.0, 3)
    assert r.se == pytest.approx(math.sqrt(math.pi / 2) * math.sqrt(7 / 3))
    assert borderline_group(s, b, statistic="mean").cut == pytest.approx(4.0)
    with pytest.raises(DataError, match="need >= 2"):
        borderline_group(s, [True, False, False, False, False])


def test_borderline_regression_hand():
    """Ratings 1, 2, 3, 3 with scores 10, 14, 20, 16: r̄ = 2.25, s̄ = 15,
    Sxy = (-1.25)(-5) + (-0.25)(-1) + 0.75·5 + 0.75·1 = 11, Sxx = 2.75, slope 4,
    intercept 15 - 4·2.25 = 6; cut at borderline rating 2 = 14.
    Second way: numpy.polyfit."""
    s, r = [10, 14, 20, 16], [1, 2, 3, 3]
    res = borderline_regression(s, r, borderline=2)
    assert res.cut == pytest.approx(14.0)
    slope, icpt = np.polyfit(r, s, 1)
    assert res.cut == pytest.approx(icpt + 2 * slope)
    assert res.se > 0
    with pytest.raises(DataError, match="distinct ratings"):
        borderline_regression(s, [2, 2, 2, 2], borderline=2)


def test_contrasting_groups_against_direct_mle():
    """Cut = (logit(p) - β0)/β1 from the logistic regression. Second way: maximise the
    Bernoulli log-likelihood directly with scipy and apply the same formula; third: with
    simulated judgments from a known curve (β0 = -2, β1 = 4, cut 0.5), the cut is recovered."""
    rng = np.random.default_rng(11)
    x = rng.normal(0.5, 1, 4000)
    y = (rng.random(4000) < expit(-2 + 4 * x)).astype(int)
    res = contrasting_groups(x, y)

    def nll(b):
        z = b[0] + b[1] * x
        return -(y * z - np.logaddexp(0, z)).sum()

    b = minimize(nll, [0.0, 1.0], method="BFGS").x
    assert res.cut == pytest.approx(-b[0] / b[1], abs=1e-4)
    assert abs(res.cut - 0.5) < 3 * res.se
    r80 = contrasting_groups(x, y, p=0.8)
    assert r80.cut == pytest.approx((logit(0.8) - b[0]) / b[1], abs=1e-4)
    with pytest.raises(DataError, match="both groups"):
        contrasting_groups(x, np.ones_like(y))
    with pytest.raises(ModelError, match="separated"):
        contrasting_groups([1, 2, 3, 4], [0, 0, 1, 1])


def test_panel_plots():
    """The Angoff plot shows each panelist and the panel across rounds; the Bookmark plot is
    titled Bookmark."""
    import matplotlib

    matplotlib.use("Agg")
    r1 = _long({1: (0.4,) * 3, 2: (0.5,) * 3}, rnd=1)
    r2 = _long({1: (0.5,) * 3, 2: (0.5,) * 3}, rnd=2)
    ax = angoff(pd.concat([r1, r2], ignore_index=True), ITEMS3).plot()
    assert ax.get_xlabel() == "round" and len(ax.lines) == 3  # two panelists + the panel
    items = pd.DataFrame({"a": 1.0, "b": [0.0, 1.0, 2.0]}, index=list("ABC"))
    pl = pd.DataFrame({"panelist": [1, 2], "round": 1, "page": [2, 3]})
    assert bookmark(pl, items).plot().get_title().startswith("Bookmark")
