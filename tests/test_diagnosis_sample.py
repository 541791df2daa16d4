"""Diagnosis against the planted domain weaknesses of the sample data (issue 10).

``data/make_sample.py`` draws every response of a candidate's planted domain at
θ + δ, δ ~ U(-2.5, -1.5), for 10 % of applications, and saves the domain θs in
``true_domain_theta.csv``. Here pvcal calibrates the base period itself and the
domain profile is compared with that truth.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import pvcal
from pvcal.data import load_discipline
from pvcal.diagnosis import domain_profile

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.mark.slow
@pytest.mark.parametrize("discipline", ["qms-auditor", "food-safety-inspector"])
def test_power_and_false_flags_against_planted_truth(discipline):
    """Issue 10 acceptance: of the domains whose true θ is 1.5 or more below the pass cut
    (true_cuts.csv), at least 80 % are flagged weak; of those at or above it, at most 5 %.
    Base period (population N(0, 1) in true_population.csv, so the calibrated scale is
    the true one), pvcal's own 2PL/mixed calibration, rules' default level 0.95,
    min_items 5, method "augmented"."""
    folder = SAMPLE / discipline
    disc = load_discipline(folder)
    truth = pd.read_csv(folder / "true_domain_theta.csv").set_index(["application_id", "domain"])
    cut = float(pd.read_csv(folder / "true_cuts.csv").set_index("cut").loc["pass", "theta"])
    persons = disc.responses.persons
    base = sorted(persons["period"].unique())[0]
    wide = disc.responses.wide[persons["period"] == base].dropna(axis=1, how="all")
    model = disc.items["model"].reindex(wide.columns)
    model = model.iloc[0] if model.nunique() == 1 else model.to_dict()
    cal = pvcal.calibrate(wide, model=model)
    prof = domain_profile(cal, wide, disc.items["domain"], cut)
    pr = prof.join(truth.rename(columns={"theta": "true"}), on=["person", "domain"])
    assert pr["true"].notna().all()
    low = pr["true"] <= cut - 1.5
    high = pr["true"] >= cut
    power, false = pr.loc[low, "weak"].mean(), pr.loc[high, "weak"].mean()
    assert low.sum() > 100 and high.sum() > 1000
    assert power >= 0.80, power
    assert false <= 0.05, false
