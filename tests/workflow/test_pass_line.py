"""What the pass line means (issue 12, item 5): the θ cut and each form's raw pass mark.

Hand-worked: two 2PL items with a = 1, b = 0 at θ = 0 give τ = 2 · 0.5 = 1 and
τ' = Σ a p q = 0.5, so SE(θ) = 0.1 gives a raw-mark SE of 0.05 (delta method).
Known truth: persons simulated at exactly θ_cut score τ(θ_cut) on average, and
τ(θ*) over θ* ~ N(θ_cut, SE²) has SD ≈ τ'(θ_cut)·SE (the delta method).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from pvcal._validation import DataError
from pvcal.equating.irt import tcc
from pvcal.irt.simulate import simulate
from pvcal.workflow.pass_line import form_item_ids, pass_line, pass_line_from_step


def test_hand_worked_two_items():
    """τ(0) = 1, SE = 0.5 · 0.1, interval = 2·logistic(∓0.2), max score 2."""
    items = pd.DataFrame({"a": [1.0, 1.0], "b": [0.0, 0.0]}, index=["Q1", "Q2"])
    rec = pass_line(items, {"A": ["Q1", "Q2"]}, theta_cut=0.0, theta_se=0.1,
                    theta_ci=(-0.2, 0.2), pass_score=60, scale=10, base_period="P1")  # fmt: skip
    f = rec["forms"]["A"]
    assert f["raw_pass_mark"] == pytest.approx(1.0, abs=1e-12)
    assert f["se"] == pytest.approx(0.05, rel=1e-6)
    lg = 1 / (1 + np.exp(0.2))
    assert f["ci"] == pytest.approx([2 * lg, 2 * (1 - lg)], rel=1e-12)
    assert f["max_score"] == 2 and f["n_items"] == 2
    assert rec["standard_score"] == 60
    source = "this period's standard setting"
    assert rec["theta"] == {"value": 0.0, "se": 0.1, "ci": [-0.2, 0.2], "level": 0.95,
                            "base_period": "P1", "source": source}  # fmt: skip
    assert "60 in every period by construction" in rec["meaning"]
    assert "form A: 1.0 of 2 points (SE 0.05)" in rec["meaning"]
    with pytest.raises(DataError, match="form 'B'"):
        pass_line(items, {"B": ["Q9"]}, theta_cut=0.0, theta_se=0.1, theta_ci=None,
                  pass_score=60, scale=10, base_period="P1")  # fmt: skip


def test_against_simulated_truth_and_the_delta_method():
    """30 2PL items and a GPCM item (max score 33): 20,000 persons at θ_cut = 0.4 score
    τ(0.4) on average (within 4 Monte Carlo SEs); SD of τ(θ*) for θ* ~ N(0.4, 0.08²)
    matches τ'·0.08 within 2 %; the interval is τ at the θ interval's ends."""
    rng = np.random.default_rng(7)
    ids = [f"i{k}" for k in range(30)]
    items = pd.DataFrame({"model": "2PL", "a": rng.uniform(0.7, 2.0, 30),
                          "b": rng.normal(0, 1, 30)}, index=ids)  # fmt: skip
    poly = pd.DataFrame({"model": ["GPCM"], "a": [1.1], "b1": [-0.5], "b2": [0.2], "b3": [1.0]},
                        index=["p"])  # fmt: skip
    items = pd.concat([items, poly])
    cut, se = 0.4, 0.08
    rec = pass_line(items, {"F": list(items.index)}, theta_cut=cut, theta_se=se,
                    theta_ci=(cut - 1.96 * se, cut + 1.96 * se), pass_score=60, scale=10,
                    base_period="P1")  # fmt: skip
    f = rec["forms"]["F"]
    assert f["max_score"] == 33
    x, _ = simulate(items, theta=np.full(20_000, cut), seed=3)
    raw = x.sum(axis=1)
    assert abs(raw.mean() - f["raw_pass_mark"]) < 4 * raw.std(ddof=1) / np.sqrt(len(raw))
    tau_star = tcc(items, rng.normal(cut, se, 20_000))
    assert tau_star.std(ddof=1) == pytest.approx(f["se"], rel=0.02)
    assert f["ci"] == pytest.approx(list(tcc(items, [cut - 1.96 * se, cut + 1.96 * se])))


def test_form_items_and_from_step():
    """Form membership by the bank's forms column (an item without an entry is on every
    form); from a step and an index, the cut, its SE and interval are the index's, and a
    fixed anchor says the pass line moves."""
    bank = pd.DataFrame({"forms": ["A;B", "A", "B", None], "max_score": [1, 1, 2, 1]},
                        index=["q1", "q2", "q3", "q4"])  # fmt: skip
    assert form_item_ids(bank, ["q1", "q2", "q3", "q4"], ["B", "A"]) == {
        "A": ["q1", "q2", "q4"], "B": ["q1", "q3", "q4"]}  # fmt: skip
    items = pd.DataFrame({"model": ["2PL", "2PL", "GPCM", "2PL"], "a": 1.0,
                          "b": [0.0, 0.5, np.nan, -0.5], "b1": [np.nan, np.nan, -0.3, np.nan],
                          "b2": [np.nan, np.nan, 0.3, np.nan]}, index=bank.index)  # fmt: skip
    step = SimpleNamespace(items=items, bank=bank, base_period="2025H1",
                           persons=pd.DataFrame({"form": ["A", "B", "A"]}))  # fmt: skip
    conv = SimpleNamespace(scale=10.0, anchor="pass_cut", anchor_theta=0.2)
    index = SimpleNamespace(cuts={"Pass": 0.2}, pass_index=60.0, conversion=conv,
                            uncertainty={"cuts_se": {"Pass": 0.05}, "level": 0.9,
                                         "cuts_ci": {"Pass": [0.12, 0.28]},
                                         "cuts_from": "base period 2025H1 (index 1)"})  # fmt: skip
    rec = pass_line_from_step(step, index)
    assert rec["theta"]["se"] == 0.05 and rec["theta"]["ci"] == [0.12, 0.28]
    assert rec["theta"]["level"] == 0.9 and "base period 2025H1" in rec["theta"]["source"]
    assert rec["forms"]["B"]["max_score"] == 4 and rec["forms"]["A"]["max_score"] == 3
    assert rec["forms"]["A"]["raw_pass_mark"] == pytest.approx(
        float(tcc(items.loc[["q1", "q2", "q4"]], [0.2])[0]))
    fixed = SimpleNamespace(scale=10.0, anchor="fixed", anchor_theta=0.0)
    rec2 = pass_line_from_step(step, SimpleNamespace(**{**vars(index), "conversion": fixed,
                                                         "pass_index": 62.0}))  # fmt: skip
    assert "moves with the pass cut" in rec2["meaning"] and rec2["standard_score"] == 62.0
