"""Tests of IRT scale linking (pvcal.equating.linking).

Reference numbers: Kolen & Brennan (2014), *Test Equating, Scaling, and
Linking*, chapter 6 item parameters (tests/equating/reference/
kb_irt_common_items.csv), linked X (new) onto Y (old) with all 12 common items,
as reported by Weeks (2010), plink, *J. Stat. Software* 35(12): D = 1, 40
equally spaced θ in [-4, 4], uniform weights, non-symmetric criteria.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pvcal
from pvcal._validation import DataError, ModelError, PvcalError
from pvcal.equating.linking import (
    Linking,
    _Criterion,
    chain,
    link,
    screen_anchors,
    transform_items,
    transform_theta,
)

REF = Path(__file__).parent / "reference"

# Weeks (2010), plink, Table/Section on the KB04 example: X onto Y, D = 1.
PLINK = {
    "mean-mean": (1.217266, -0.557155),
    "mean-sigma": (1.168892, -0.515543),
    "haebara": (1.112133, -0.465667),
    "stocking-lord": (1.119231, -0.485545),
}


def _kb_forms():
    df = pd.read_csv(REF / "kb_irt_common_items.csv")

    def frame(form):
        d = df[df["form"] == form]
        ids = [f"C{i}" if c else f"{form}-{i}" for i, c in zip(d["item"], d["common"], strict=True)]
        return pd.DataFrame(d[["a", "b", "c"]].to_numpy(float), index=ids, columns=["a", "b", "c"])

    return frame("Y_old"), frame("X_new")


def _mixed_items(seed=0, n_dich=6, n_grm=3, n_gpcm=3):
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n_dich):
        rows.append({"model": "3PL", "a": rng.uniform(0.6, 2), "b": rng.normal(), "c": 0.2})
    for _ in range(n_grm):
        b = np.sort(rng.normal(size=3))
        rows.append({"model": "GRM", "a": rng.uniform(0.6, 2), "b1": b[0], "b2": b[1], "b3": b[2]})
    for _ in range(n_gpcm):
        b = rng.normal(size=2)
        rows.append({"model": "GPCM", "a": rng.uniform(0.6, 2), "b1": b[0], "b2": b[1]})
    items = pd.DataFrame(rows, index=[f"I{j}" for j in range(len(rows))])
    return items


@pytest.mark.parametrize("method", list(PLINK))
def test_kolen_brennan_chapter6_matches_plink(method):
    # Weeks (2010) plink results for K&B (2014) chapter 6 data, to 1e-4.
    """Kolen & Brennan (2014) ch. 6 3PL common items linked X onto Y as Weeks (2010, plink)
    reports: mean/mean, mean/sigma, Haebara and Stocking-Lord A and B to 1e-4 (D = 1, 40 θ
    points)."""
    base, new = _kb_forms()
    lk = link(base, new, method=method, D=1.0)
    A, B = PLINK[method]
    assert lk.A == pytest.approx(A, abs=1e-4)
    assert lk.B == pytest.approx(B, abs=1e-4)
    assert len(lk.anchors) == 12
    assert lk.converged


def test_chapter6_needs_D1_not_D17():
    # The published plink constants are reproduced with D = 1 (recorded in the
    # README); D = 1.7 gives visibly different characteristic-curve constants.
    """The plink constants of Kolen & Brennan ch. 6 hold with D = 1 (shared reference README); D
    = 1.7 moves Haebara's A by more than 0.01 and is recorded."""
    base, new = _kb_forms()
    lk = link(base, new, method="haebara", D=1.7)
    assert abs(lk.A - PLINK["haebara"][0]) > 0.01
    assert lk.D == 1.7 and lk.to_dict()["D"] == 1.7


@pytest.mark.parametrize("method", ["haebara", "stocking-lord"])
@pytest.mark.parametrize("symmetric", [False, True])
def test_mixed_format_recovers_known_constants(method, symmetric):
    # New parameters are the base ones put on another scale by a known (A, B):
    # every method must recover it exactly (criterion zero at the truth).
    """Hand construction: new = base put on another scale by a known (A, B) = (1.3, -0.4);
    Haebara and Stocking-Lord (plain and symmetric) recover it exactly, criterion 0."""
    base = _mixed_items()
    A, B = 1.3, -0.4
    new = transform_items(base, 1 / A, -B / A)
    lk = link(base, new, method=method, symmetric=symmetric)
    assert lk.A == pytest.approx(A, abs=1e-6)
    assert lk.B == pytest.approx(B, abs=1e-6)
    assert lk.criterion == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("method", ["mean-mean", "mean-sigma"])
def test_moment_methods_mixed_format_exact(method):
    """Hand construction: mean/mean and mean/sigma recover a known (A, B) = (0.8, 0.5) exactly on
    mixed 3PL/GRM/GPCM items."""
    base = _mixed_items(seed=3)
    new = transform_items(base, 1 / 0.8, -0.5 / 0.8)
    lk = link(base, new, method=method)
    assert (lk.A, lk.B) == pytest.approx((0.8, 0.5), abs=1e-10)


@pytest.mark.parametrize("method", ["haebara", "stocking-lord"])
@pytest.mark.parametrize("forward", [True, False])
def test_analytic_gradient_matches_finite_differences(method, forward):
    """The analytic gradient of the Haebara and Stocking-Lord criteria (both directions) agrees
    with central finite differences."""
    base = _mixed_items(seed=5)
    rng = np.random.default_rng(1)
    new = base.copy()
    new["a"] *= rng.uniform(0.8, 1.2, len(new))
    theta = np.linspace(-4, 4, 25)
    w = np.full(25, 1 / 25)
    fixed, moving = (base, new) if forward else (new, base)
    crit = _Criterion(method, fixed, moving, theta, w, 1.0, forward=forward)
    A, B, h = 1.1, 0.2, 1e-6
    _, g = crit.value_grad(A, B)
    gA = (crit.value_grad(A + h, B)[0] - crit.value_grad(A - h, B)[0]) / (2 * h)
    gB = (crit.value_grad(A, B + h)[0] - crit.value_grad(A, B - h)[0]) / (2 * h)
    np.testing.assert_allclose(g, [gA, gB], rtol=1e-5, atol=1e-9)


def test_settings_recorded_and_weights_change_result():
    """Grid, weights and symmetry are recorded in the JSON/summary, and other weights give other
    constants than plink's uniform-weight ones."""
    base, new = _kb_forms()
    theta = np.linspace(-3, 3, 31)
    w = np.exp(-0.5 * theta**2)
    lk = link(base, new, method="stocking-lord", theta=theta, weights=w, symmetric=True)
    d = lk.to_dict()
    assert d["theta"]["n"] == 31 and d["symmetric"] is True
    assert d["weights"] == pytest.approx((w / w.sum()).tolist())
    assert abs(lk.A - PLINK["stocking-lord"][0]) > 1e-3  # other settings, other numbers
    json.loads(lk.to_json())
    text = lk.summary().as_text()
    assert "stocking-lord" in text and "A (slope)" in text
    assert "<table>" in lk.summary()._repr_html_()


def test_latent_grid_uses_calibration_quadrature():
    """theta='latent' uses the calibrations' quadrature nodes and weights (same A, B as passing
    them by hand); without quadrature it is a DataError."""
    base, new = _kb_forms()

    class Cal:  # duck-typed calibration
        def __init__(self, items):
            self.items = items
            nodes = np.linspace(-4, 4, 21)
            self.quadrature = (nodes, np.exp(-0.5 * nodes**2))

    lk = link(Cal(base), Cal(new), method="haebara", theta="latent")
    ref = link(
        base,
        new,
        method="haebara",
        theta=np.linspace(-4, 4, 21),
        weights=np.exp(-0.5 * np.linspace(-4, 4, 21) ** 2),
    )
    assert lk.theta_source == "latent"
    assert (lk.A, lk.B) == pytest.approx((ref.A, ref.B), abs=1e-10)
    with pytest.raises(DataError, match="quadrature"):
        link(base, new, method="haebara", theta="latent")


def test_anchor_subset_and_excluded_recorded():
    """Linking with a subset of the 12 Kolen & Brennan ch. 6 common items records the anchors
    used and the 6 excluded."""
    base, new = _kb_forms()
    subset = [f"C{i}" for i in (3, 6, 9, 12, 15, 18)]
    lk = link(base, new, method="mean-sigma", anchors=subset)
    assert list(lk.anchors) == subset
    assert len(lk.excluded) == 6


def test_transform_rules_and_persons():
    """Hand check of θ* = Aθ + B: a/A, Ab + B, c unchanged, thresholds moved, se_a/A, A·se_b,
    persons' θ and SE transformed (Kolen & Brennan 2014, ch. 6)."""
    items = pd.DataFrame(
        {
            "model": ["3PL", "GRM"],
            "a": [1.2, 0.9],
            "b": [0.5, np.nan],
            "c": [0.2, np.nan],
            "b1": [np.nan, -1.0],
            "b2": [np.nan, 1.0],
            "se_a": [0.1, 0.2],
            "se_b": [0.05, np.nan],
        },
        index=["Q1", "Q2"],
    )
    lk = Linking(A=2.0, B=1.0, method="mean-mean")
    out, persons = lk.transform(items, pd.DataFrame({"theta": [0.0, 1.0], "se": [0.3, 0.4]}))
    assert out.loc["Q1", "a"] == pytest.approx(0.6) and out.loc["Q1", "b"] == pytest.approx(2.0)
    assert out.loc["Q1", "c"] == 0.2
    assert out.loc["Q2", ["b1", "b2"]].tolist() == pytest.approx([-1.0, 3.0])
    assert out.loc["Q1", "se_a"] == pytest.approx(0.05)
    assert out.loc["Q1", "se_b"] == pytest.approx(0.1)
    assert persons["theta"].tolist() == [1.0, 3.0] and persons["se"].tolist() == [0.6, 0.8]
    t, s = transform_theta(np.array([0.0]), np.array([1.0]), 2.0, 1.0)
    assert t.tolist() == [1.0] and s.tolist() == [2.0]


@settings(max_examples=40, deadline=None)
@given(
    A=st.floats(0.3, 3.0),
    B=st.floats(-2.0, 2.0),
    b=st.lists(st.floats(-3, 3), min_size=2, max_size=6),
)
def test_link_then_inverse_is_identity(A, B, b):
    """Property (hypothesis): transforming items and θ by a link and then by its inverse gives
    them back."""
    items = pd.DataFrame(
        {"a": np.linspace(0.5, 2, len(b)), "b": b, "c": 0.1}, index=[f"Q{i}" for i in range(len(b))]
    )
    lk = Linking(A=A, B=B, method="mean-mean")
    back = lk.inverse().transform(lk.transform(items))
    np.testing.assert_allclose(back[["a", "b", "c"]], items[["a", "b", "c"]], atol=1e-9)
    th = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(lk.inverse().transform_theta(lk.transform_theta(th)), th, atol=1e-9)


def test_symmetric_criterion_is_symmetric():
    # With the symmetric criterion, linking base->new gives exactly the inverse
    # of new->base (Haebara's symmetric loss is invariant to the direction).
    """With the symmetric criterion, linking base->new is exactly the inverse of new->base (A ->
    1/A, B -> -B/A) on the Kolen & Brennan ch. 6 data."""
    base, new = _kb_forms()
    for method in ("haebara", "stocking-lord"):
        fwd = link(base, new, method=method, symmetric=True)
        bwd = link(new, base, method=method, symmetric=True)
        assert bwd.A == pytest.approx(1 / fwd.A, abs=1e-7)
        assert bwd.B == pytest.approx(-fwd.B / fwd.A, abs=1e-7)


def test_chain_composes_constants():
    """Hand check: a chain of two links transforms θ as the two applied in turn; its JSON lists
    the components; non-links and empty chains are refused."""
    l32 = Linking(A=1.1, B=0.2, method="haebara")
    l21 = Linking(A=0.9, B=-0.3, method="haebara")
    lk = chain([l32, l21])
    th3 = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(
        lk.transform_theta(th3), l21.transform_theta(l32.transform_theta(th3))
    )
    assert lk.method == "chain" and len(lk.components) == 2
    assert json.loads(lk.to_json())["components"][0]["A"] == 1.1
    with pytest.raises(PvcalError, match="not a Linking"):
        chain([l32, 3.0])
    with pytest.raises(PvcalError, match="at least one"):
        chain([])


def test_chain_of_estimated_links_matches_direct_link():
    # Three periods on scales related by known constants: chain == direct.
    """Three periods on scales related by known constants: the chain of estimated Stocking-Lord
    links equals the direct link to 1e-6."""
    p1 = _mixed_items(seed=7)
    p2 = transform_items(p1, 1 / 1.2, 0.3)  # p2 scale
    p3 = transform_items(p2, 1 / 0.9, -0.2)
    l32 = link(p2, p3, method="stocking-lord")
    l21 = link(p1, p2, method="stocking-lord")
    direct = link(p1, p3, method="stocking-lord")
    ch = chain([l32, l21])
    assert (ch.A, ch.B) == pytest.approx((direct.A, direct.B), abs=1e-6)


def test_screening_flags_a_drifting_anchor():
    """A planted drift (+1.5 logits on anchor C15 of the Kolen & Brennan ch. 6 data) is flagged
    by the robust-z and displacement screens and left out of the link."""
    base, new = _kb_forms()
    drifted = new.copy()
    drifted.loc["C15", "b"] += 1.5  # a drifted anchor (harder in the new period)
    before = screen_anchors(base, new)
    scr = screen_anchors(base, drifted)
    assert "C15" not in before.flagged and "C15" in scr.flagged
    assert scr.table["statistic"].abs().idxmax() == "C15"
    lk = link(base, drifted, method="stocking-lord", screen="robust-z")
    assert "C15" in lk.excluded and "C15" not in lk.anchors
    assert lk.screen is not None and "C15" in lk.to_dict()["screen"]["flagged"]
    clean = link(base, new, method="stocking-lord", anchors=[a for a in lk.anchors])
    assert (lk.A, lk.B) == pytest.approx((clean.A, clean.B), abs=1e-10)
    disp = screen_anchors(base, drifted, method="displacement", threshold=0.8)
    assert "C15" in disp.flagged
    assert "C15" in scr.summary().as_text()


def test_plots_return_axes():
    """The TCC, anchor and screening plots return axes."""
    import matplotlib

    matplotlib.use("Agg")
    base, new = _kb_forms()
    lk = link(base, new, method="haebara")
    assert lk.plot("tcc") is not None
    assert lk.plot("anchors") is not None
    assert screen_anchors(base, new).plot() is not None


def test_top_level_export():
    """DESIGN.md public API: pvcal.link returns a pvcal.Linking."""
    base, new = _kb_forms()
    assert isinstance(pvcal.link(base, new, method="mean-mean"), pvcal.Linking)


# --- bad input -------------------------------------------------------------------


def test_anchor_missing_from_one_calibration():
    """An anchor absent from one calibration is a DataError naming the item."""
    base, new = _kb_forms()
    with pytest.raises(DataError, match=r"anchor item\(s\) \['Y_old-1'\] missing from the new"):
        link(base, new, anchors=["C3", "Y_old-1"])


def test_no_shared_items():
    """Calibrations without a common item cannot be linked: a DataError."""
    base, new = _kb_forms()
    with pytest.raises(DataError, match="share no item id"):
        link(base, new.rename(index=lambda i: f"N{i}"))


def test_mismatched_models():
    """An anchor calibrated under different models in the two periods is a ModelError naming the
    item."""
    base = _mixed_items()
    new = base.copy()
    new.loc["I7", "model"] = "GPCM"  # a GRM anchor turned GPCM
    with pytest.raises(ModelError, match="anchor item 'I7' is GRM"):
        link(base, new, method="haebara")


def test_bad_arguments():
    """Unknown method, D <= 0, weights of the wrong length, a non-calibration, a negative slope
    and equal b's for mean/sigma are refused by name."""
    base, new = _kb_forms()
    with pytest.raises(PvcalError, match="method="):
        link(base, new, method="robust")
    with pytest.raises(PvcalError, match="D must be"):
        link(base, new, D=-1)
    with pytest.raises(PvcalError, match="weights has"):
        link(base, new, method="haebara", weights=[1.0, 2.0])
    with pytest.raises(DataError, match="expected a Calibration"):
        link([1, 2], new)
    with pytest.raises(PvcalError, match="positive"):
        transform_items(base, -1.0, 0.0)
    with pytest.raises(DataError, match="two different b"):
        link(base, new.assign(b=0.0), method="mean-sigma")


@pytest.mark.slow  # two calibrations: ~2 s
def test_link_real_calibrations_recovers_population_shift():
    # End to end on the simulated food-safety-inspector sample (data/sample,
    # made by data/make_sample.py): 2PL + GRM, 10 anchors, 2025H2 population
    # N(0.15, 1) on the 2025H1 scale. Each period is calibrated with θ ~ N(0, 1),
    # so the linked 2025H2 latent mean is B and its SD is A.
    """End to end on the simulated food-safety sample (data/make_sample.py, 2025H2 ~ N(0.15, 1)):
    the link of two calibrations recovers B ≈ 0.15 and A ≈ 1 with 10 anchors."""
    root = Path(__file__).resolve().parents[2] / "data" / "sample" / "food-safety-inspector"
    assert (root / "responses.parquet").is_file(), "sample data missing: data/make_sample.py"
    long = pd.read_parquet(root / "responses.parquet")
    models = pd.read_csv(root / "items.csv").set_index("item_id")["model"]
    cals = {}
    for period in ("2025H1", "2025H2"):
        wide = long[long["period"] == period].pivot_table(
            index="application_id", columns="item_id", values="score", aggfunc="first"
        )
        cals[period] = pvcal.calibrate(wide, model={i: models[i] for i in wide.columns})
    lk = pvcal.link(cals["2025H1"], cals["2025H2"], method="stocking-lord")
    assert len(lk.anchors) == 10
    assert lk.B == pytest.approx(0.15, abs=0.1)  # true shift 0.15; SE about 0.05
    assert lk.A == pytest.approx(1.0, abs=0.1)
    items = lk.transform(cals["2025H2"])
    rescaled = cals["2025H2"].rescale(lk.A, lk.B).items
    np.testing.assert_allclose(items["a"], rescaled["a"])
    np.testing.assert_allclose(items["b1"], rescaled["b1"], equal_nan=True)
    sym = pvcal.link(
        cals["2025H1"], cals["2025H2"], method="haebara", theta="latent", symmetric=True
    )
    assert sym.B == pytest.approx(lk.B, abs=0.05)


def test_rescale_puts_a_calibration_on_the_base_scale():
    """Two groups of one population, the second on a shifted scale: rescale undoes the shift."""
    import pvcal
    from pvcal.irt.simulate import simulate

    rng = np.random.default_rng(12)
    true = pd.DataFrame(
        {"a": rng.lognormal(0, 0.3, 20), "b": rng.normal(0, 1, 20)},
        index=[f"i{j}" for j in range(20)],
    )
    base = pvcal.calibrate(simulate(true, 3000, seed=1)[0])
    new = pvcal.calibrate(simulate(true, 3000, seed=2, mean=0.5)[0])  # scale centred on new group
    lk = pvcal.link(base, new, method="stocking-lord")
    on_base = lk.rescale(new)
    assert isinstance(on_base, pvcal.Calibration)
    assert on_base.latent["mean"] == pytest.approx(0.5, abs=0.1)
    np.testing.assert_allclose(on_base.items["b"], lk.transform(new)["b"])
    assert on_base.settings["rescaled"]["method"] == "stocking-lord"
    with pytest.raises(pvcal.DataError, match="use transform"):
        lk.rescale(base.items)
