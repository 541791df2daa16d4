"""Make docs/img/diagnosis_profile.png (README, "Diagnosis and targeted training").

Run from the repository root: ``python docs/img/diagnosis_profile.py``.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

import pvcal  # noqa: E402
from pvcal.data import load_discipline  # noqa: E402
from pvcal.diagnosis import diagnose  # noqa: E402

folder = Path("data/sample/qms-auditor")
disc = load_discipline(folder)
persons = disc.responses.persons
wide = disc.responses.wide[persons["period"] == "2025H1"].dropna(axis=1, how="all")
cal = pvcal.calibrate(wide, model="2PL")
cut = float(pd.read_csv(folder / "true_cuts.csv").set_index("cut").loc["pass", "theta"])
diag = diagnose(cal, wide, disc.items["domain"], cut)
truth = pd.read_csv(folder / "true_domain_theta.csv")
planted = set(truth.loc[truth["planted"] == 1, "application_id"])
# a candidate with a planted weakness that is flagged, and no other weak domain
prof = diag.profile
one = prof.groupby("person")["weak"].transform("sum") == 1
rows = prof[one & prof["weak"] & prof["person"].isin(planted)]
person = rows.loc[(cut - rows["upper"]).idxmax(), "person"]
ax = diag.plot(person, labels={"title": "Domain profile of one candidate (95 % intervals)"})
ax.figure.set_size_inches(6.4, 2.6)
ax.figure.savefig(Path(__file__).with_suffix(".png"), dpi=110)
print(person, diag.person(person)[["domain", "theta", "upper", "weak"]])
