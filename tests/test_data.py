"""Tests of pvcal.data: the sample disciplines, the loaders and every bad-input branch.

The sample data are simulated by ``data/make_sample.py`` (seed 20250601) from
the true parameters stored beside them (``true_*.csv``); the checks against
those truths below use the closed-form 2PL (Birnbaum 1968) and graded
response model (Samejima 1969) probabilities, D = 1.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvcal._validation import DataError, DataWarning, SchemaError
from pvcal.data import (
    METHODS,
    Discipline,
    Responses,
    Rules,
    eligibility,
    load_discipline,
    read_candidates,
    read_forms,
    read_items,
    read_panel,
    read_peer,
    read_responses,
    read_rules,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
DISCIPLINES = ("qms-auditor", "food-safety-inspector", "lab-assessor")


# ============================================================== fixtures
@pytest.fixture(scope="module")
def disciplines() -> dict[str, Discipline]:
    return {d: load_discipline(SAMPLE / d) for d in DISCIPLINES}


def write(path: Path, text: str) -> Path:
    path.write_text(text.strip() + "\n")
    return path


ITEMS_CSV = """
item_id,domain,max_score,anchor,forms,model
i1,d1,1,1,A,2PL
i2,d1,1,0,A,2PL
i3,d2,3,0,A,GRM
"""

RESP_HEADER = "application_id,candidate_id,period,form,item_id,score,administered_on"


def resp_csv(tmp_path: Path, rows: list[str], name: str = "responses.csv") -> Path:
    return write(tmp_path / name, "\n".join([RESP_HEADER, *rows]))


def good_rows() -> list[str]:
    return [
        "a1,c1,P1,A,i1,1,2025-01-01",
        "a1,c1,P1,A,i2,0,2025-01-01",
        "a1,c1,P1,A,i3,3,2025-01-01",
        "a2,c2,P1,A,i1,0,2025-01-01",
        "a2,c2,P1,A,i2,1,2025-01-01",
        "a2,c2,P1,A,i3,1,2025-01-01",
    ]


@pytest.fixture
def items(tmp_path: Path) -> pd.DataFrame:
    return read_items(write(tmp_path / "items.csv", ITEMS_CSV))


RULES = {
    "discipline": "toy",
    "model": "2PL",
    "periods": ["P1", "P2"],
    "base_period": "P1",
    "scale": {
        "standard_score": {
            "pass_score": 60,
            "scale": 10,
            "min": 0,
            "max": 100,
            "rounding": "half_up",
        }
    },
    "grades": {
        "pass": {"method": "angoff"},
        "good": {"method": "bookmark", "rp": 0.67},
        "excellent": {"method": "normative", "percentile": 90},
    },
    "eligibility": {"min_study_hours": 40},
}


def rules_file(tmp_path: Path, **changes) -> Path:
    """Write RULES with dotted-key changes (value None deletes the key)."""
    raw = copy.deepcopy(RULES)
    for key, value in changes.items():
        *head, last = key.split("__")
        node = raw
        for h in head:
            node = node.setdefault(h, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    p = tmp_path / "rules.yml"
    p.write_text(yaml.safe_dump(raw, sort_keys=False))
    return p


# ============================================================== the sample
@pytest.mark.parametrize("name", DISCIPLINES)
def test_sample_loads_completely(disciplines, name):
    """Each sample discipline loads whole against its generator's truth (data/make_sample.py,
    true_theta.csv): every application, forms, integer scores within 0..max_score (DESIGN.md
    conventions), and the few ineligible records of Art. 6 reported, not scored."""
    d = disciplines[name]
    truth = pd.read_csv(SAMPLE / name / "true_theta.csv", dtype=str)
    r = d.responses
    assert d.name == name
    assert isinstance(d.rules, Rules)
    # every simulated application is present, in the order of the truth file's periods
    assert sorted(r.wide.index) == sorted(truth["application_id"])
    assert r.persons["form"].to_numpy().tolist() == (
        truth.set_index("application_id").loc[r.wide.index, "form"].tolist()
    )
    assert list(r.items.index) == [i for i in d.items.index if i in r.wide.columns]
    assert r.models is not None and len(r.models) == r.n_items
    # scores are integers within each item's range; NaN = missing
    v = r.wide.to_numpy()
    fin = np.isfinite(v)
    assert np.all(v[fin] == np.round(v[fin]))
    assert np.all(v[fin] <= r.max_score.to_numpy()[None, :].repeat(len(v), 0)[fin])
    # the sample is messy on purpose: not-reached tails and ineligible candidates
    elig = d.eligibility()
    assert 0 < (~elig["eligible"]).sum() < 0.05 * len(elig)
    assert elig["reason"].str.contains("not recorded").sum() == 2
    kept = d.eligible_responses()
    assert kept.n_persons == elig["eligible"].sum()
    assert not set(kept.wide.index) & set(elig.index[~elig["eligible"]])


def test_sample_long_matches_files_exactly(disciplines):
    """Every non-empty score row of the files appears once in the wide frame."""
    d = disciplines["qms-auditor"]
    raw = pd.concat(
        [pd.read_parquet(SAMPLE / "qms-auditor" / f) for f in d.rules.files.responses],
        ignore_index=True,
    )
    raw = raw[raw["score"].notna()]
    long = d.responses.to_long()
    assert len(long) == len(raw)
    merged = raw.merge(long, on=["application_id", "item_id"], suffixes=("", "_w"))
    assert len(merged) == len(raw)
    assert (merged["score"].astype(int) == merged["score_w"].astype(int)).all()
    assert (merged["period"] == merged["period_w"]).all()


def test_sample_design(disciplines):
    """The sample's planned design (data/make_sample.py): qms-auditor 6000 x 130 with forms of 40
    items and 10 anchors on A and D, food-safety 2PL + GRM items, lab-assessor peer samples S1-S3
    and its rules' peer cuts, not-reached tails."""
    q = disciplines["qms-auditor"].responses
    assert q.shape == (6000, 130)
    for period, forms in {"2025H1": ["A", "B"], "2025H2": ["C", "D"]}.items():
        sub = q.subset(period=period)
        assert sub.shape == (3000, 70)
        for f in forms:
            assert q.subset(period=period, form=f).shape == (1500, 40)
    anchors = disciplines["qms-auditor"].items.query("anchor == 1").index
    assert len(anchors) == 10
    assert set(anchors) <= set(q.subset(form="A").wide.columns) & set(
        q.subset(form="D").wide.columns
    )
    f = disciplines["food-safety-inspector"].responses
    assert sorted(set(f.models)) == ["2PL", "GRM"]
    assert f.max_score.value_counts().to_dict() == {1: 40, 3: 10}
    lab = disciplines["lab-assessor"]
    assert lab.peer is not None and set(lab.peer["sample_id"]) == {"S1", "S2", "S3"}
    cuts = lab.rules.peer.grading.cuts
    assert (cuts.excellent, cuts.good, cuts.pass_) == (1.0, 2.0, 3.0)
    assert 60 <= lab.responses.n_persons <= 120 and 15 <= lab.responses.n_items <= 20
    # not-reached items: some persons miss the end of their form
    tail = q.subset(form="A")
    last = disciplines["qms-auditor"].forms.query("form == 'A'").sort_values("position")
    assert tail.wide[last["item_id"].iloc[-1]].isna().mean() > 0.01


def _model_moments(
    theta: np.ndarray, row: pd.Series, a: np.ndarray | None = None, b: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Model mean and variance of the item score at each theta: 2PL/Rasch or GRM, D = 1.

    ``a``/``b`` (one value per person) override the item's slope and location
    (planted DIF)."""
    if row["model"] in ("2PL", "Rasch"):
        a = row["a"] if a is None else a
        b = row["b"] if b is None else b
        p = 1 / (1 + np.exp(-a * (theta - b)))
        return p, p * (1 - p)
    bs = np.array([row["b1"], row["b2"], row["b3"]])
    star = 1 / (1 + np.exp(-row["a"] * (theta[:, None] - bs[None, :])))
    star = np.column_stack([np.ones(theta.size), star, np.zeros(theta.size)])
    prob = star[:, :-1] - star[:, 1:]  # P(X = k), Samejima's differences
    k = np.arange(prob.shape[1])
    mean = prob @ k
    return mean, prob @ k**2 - mean**2


def _item_z(d: Discipline, name: str) -> pd.Series:
    """Per item: (observed - model-implied sum) / sd, given the planted truth.

    Each person answers an item at the theta of the item's domain
    (``true_domain_theta.csv``, planted weaknesses included); women answer a
    planted DIF item with b + effect (uniform) or a + effect (nonuniform,
    ``true_dif.csv``); copiers and aberrant responders (``true_integrity.csv``)
    are left out, their answers are not generated by the model.
    """
    r = d.responses
    folder = SAMPLE / name
    truth = pd.read_csv(folder / "true_items.csv").set_index("item_id")
    theta = pd.read_csv(folder / "true_theta.csv", dtype={"application_id": str})
    theta = theta.set_index("application_id")["theta"].reindex(r.wide.index)
    dom_file = folder / "true_domain_theta.csv"
    dom = None
    if dom_file.is_file():
        dom = pd.read_csv(dom_file, dtype={"application_id": str})
        dom = dom.pivot(index="application_id", columns="domain", values="theta")
        dom = dom.reindex(r.wide.index)
    keep = np.ones(len(r.wide), dtype=bool)
    integ_file = folder / "true_integrity.csv"
    if integ_file.is_file():
        bad = pd.read_csv(integ_file, dtype=str)["application_id"]
        keep = ~r.wide.index.isin(bad)
    dif = pd.read_csv(folder / "true_dif.csv").set_index("item_id")
    female = (d.candidates["gender"].reindex(r.wide.index) == "F").to_numpy()
    z = {}
    for item in r.wide.columns:
        x = r.wide[item].to_numpy()
        ok = np.isfinite(x) & keep
        row = truth.loc[item]
        th = (theta if dom is None else dom[d.items.loc[item, "domain"]]).to_numpy()
        a = b = None
        if item in dif.index:
            eff = dif.loc[item, "effect"]
            shift = np.where(female, eff, 0.0)
            if dif.loc[item, "kind"] == "uniform":
                b = (row["b"] + shift)[ok]
            else:
                a = (row["a"] + shift)[ok]
        m, v = _model_moments(th[ok], row, a=a, b=b)
        z[item] = (x[ok].sum() - m.sum()) / np.sqrt(v.sum())
    return pd.Series(z)


@pytest.mark.parametrize("name", ["qms-auditor", "food-safety-inspector", "lab-assessor"])
def test_sample_agrees_with_its_true_parameters(disciplines, name):
    """Observed item means match the model-implied means given the true thetas.

    A generator that scrambled items, persons or categories would give |z| far
    beyond 4.5 for many items (checked: swapping two items' truth rows gives max |z| 78;
    shuffling the persons' thetas gives sd(z) 2.2).  The planted domain
    weaknesses and DIF enter the model-implied means (see ``_item_z``).
    """
    z = _item_z(disciplines[name], name).to_numpy()
    assert np.max(np.abs(z)) < 4.5
    assert 0.5 < np.std(z) < 1.5


def test_planted_dif_shows_without_its_truth(disciplines):
    """Ignoring the planted DIF (women answering with the reference parameters)
    makes the uniform DIF items clearly harder than the model says: observed
    minus expected is negative by several sd (b + 0.6 for half the persons lowers
    P by about 0.6 * a * P(1 - P) at each theta)."""
    for name in ("qms-auditor", "food-safety-inspector"):
        d = disciplines[name]
        dif = pd.read_csv(SAMPLE / name / "true_dif.csv").set_index("item_id")
        plain = dataclasses.replace(d, candidates=d.candidates.assign(gender="M"))
        z = _item_z(plain, name)
        uniform = dif.index[dif["kind"] == "uniform"]
        assert (z.loc[uniform] < -4).all(), z.loc[uniform]


@pytest.mark.parametrize("name", DISCIPLINES)
def test_sample_sittings_and_gender(disciplines, name):
    """candidates.csv: every application has a site, a session and a gender; a sitting
    (period, site, session) seats 30 to 80 candidates; about half are women, and a
    candidate who retakes keeps the gender."""
    c = disciplines[name].candidates
    assert c[["site", "session", "gender"]].notna().all().all()
    size = c.groupby(["period", "site", "session"]).size()
    assert size.between(30, 80).all(), size.describe()
    assert c["session"].str.match(r"^20\d\dH[12]-S\d\d$").all()
    assert set(c["gender"]) == {"F", "M"} and abs((c["gender"] == "F").mean() - 0.5) < 0.02
    assert (c.groupby("candidate_id")["gender"].nunique() == 1).all()
    # one exam day per sitting
    days = disciplines[name].responses.persons.groupby(c["session"] + c["site"])
    assert days["administered_on"].nunique().max() == 1


@pytest.mark.parametrize("name", ["qms-auditor", "food-safety-inspector"])
def test_sample_integrity_plants(disciplines, name):
    """true_integrity.csv: a copier sits in the source's sitting, took the same form,
    and has exactly the source's record (score, empty score or no row) on every
    copied item; about 1.5 % copiers and 1 % aberrant responders."""
    d = disciplines[name]
    c = d.candidates
    t = pd.read_csv(SAMPLE / name / "true_integrity.csv", dtype=str)
    n = len(c)
    share = t["kind"].value_counts() / n
    assert 0.01 < share["copier"] < 0.02 and 0.006 < share["aberrant"] < 0.014
    raw = d.responses.to_long(dropna=False).set_index(["application_id", "item_id"])["score"]
    cols = ["period", "site", "session"]
    for _, row in t[t["kind"] == "copier"].iterrows():
        cp, src = row["application_id"], row["source_application_id"]
        assert (c.loc[cp, cols] == c.loc[src, cols]).all()
        forms = d.responses.persons["form"]
        assert forms.loc[cp] == forms.loc[src]
        items = row["items"].split(";")
        assert len(items) == int(row["n_items_copied"])
        got = raw.reindex(pd.MultiIndex.from_product([[cp], items]))
        want = raw.reindex(pd.MultiIndex.from_product([[src], items]))
        assert got.isna().tolist() == want.isna().tolist()
        assert (got.dropna().to_numpy() == want.dropna().to_numpy()).all()


@pytest.mark.parametrize("name", ["qms-auditor", "food-safety-inspector"])
def test_sample_domain_plants(disciplines, name):
    """true_domain_theta.csv: one row per application and domain; about 10 % of the
    applications have exactly one planted domain, 1.5 to 2.5 below their theta; the
    other domains sit at the application's theta."""
    d = disciplines[name]
    t = pd.read_csv(SAMPLE / name / "true_domain_theta.csv", dtype={"application_id": str})
    theta = pd.read_csv(SAMPLE / name / "true_theta.csv", dtype={"application_id": str})
    theta = theta.set_index("application_id")["theta"]
    assert len(t) == len(d.candidates) * d.items["domain"].nunique()
    per_app = t.groupby("application_id")["planted"].sum()
    assert per_app.max() == 1 and 0.08 < per_app.mean() < 0.12
    gap = t["theta"].to_numpy() - theta.loc[t["application_id"]].to_numpy()
    planted = t["planted"].to_numpy() == 1
    assert np.all(np.abs(gap[~planted]) < 1e-9)
    assert np.all((gap[planted] > -2.5 - 1e-4) & (gap[planted] < -1.5 + 1e-4))


def test_generator_reproduces_committed_files(tmp_path):
    """make_sample.py is deterministic: the lab-assessor folder is rebuilt bit for bit."""
    spec = importlib.util.spec_from_file_location("make_sample", ROOT / "data" / "make_sample.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.lab_assessor(np.random.default_rng([mod.SEED, 3]), tmp_path)
    for f in sorted((SAMPLE / "lab-assessor").iterdir()):
        assert (tmp_path / f.name).read_bytes() == f.read_bytes(), f.name


def test_rules_sample_values(disciplines):
    """qms-auditor's rules.yml read through the typed model gives the values written in the file
    (standard score 60 + 10 per θ, bookmark rp 0.67 round 2, percentile 90, 40 study hours,
    periods)."""
    r = disciplines["qms-auditor"].rules
    assert r.standard_score.pass_score == 60 and r.standard_score.scale == 10
    assert r.grades.good.options() == {"method": "bookmark", "rp": 0.67, "round": 2}
    assert r.grades.excellent.percentile == 90
    assert r.min_study_hours == 40
    assert r.base_period == "2025H1" and r.periods == ("2025H1", "2025H2")
    assert disciplines["food-safety-inspector"].rules.model == "mixed"


def test_panel_sample(disciplines):
    """The sample panel files hold what the generator wrote: 10 Angoff panelists over 2 rounds with
    ratings in [0, 1], bookmark pages inside the booklet, global ratings 1..6."""
    p = disciplines["qms-auditor"].panel
    assert set(p) == {"angoff", "bookmark", "bookmark_booklet", "hofstee", "beuk"}
    a = p["angoff"]
    assert a["panelist"].nunique() == 10 and set(a["round"]) == {1, 2}
    assert a["rating"].between(0, 1).all()
    assert set(p["bookmark"]["cut"]) == {"pass", "good", "excellent"}
    assert p["bookmark"]["page"].between(1, len(p["bookmark_booklet"])).all()
    g = disciplines["food-safety-inspector"].panel["global_ratings"]
    assert g["rating"].between(1, 6).all()


# ============================================================== round trip
def test_round_trip_on_sample(disciplines):
    """Long -> wide -> long of the food-safety responses gives back an equal Responses object (the
    container contract of DESIGN.md)."""
    r = disciplines["food-safety-inspector"].responses
    back = Responses.from_long(r.to_long(), items=r.items)
    assert back.equals(r)


@st.composite
def long_frames(draw):
    n_p = draw(st.integers(1, 6))
    n_i = draw(st.integers(1, 5))
    k = draw(st.lists(st.integers(1, 3), min_size=n_i, max_size=n_i))
    cells = []
    for p in range(n_p):
        for i in range(n_i):
            s = draw(st.one_of(st.none(), st.integers(0, k[i])))
            if s is not None or draw(st.booleans()):
                cells.append((f"p{p}", f"item{i}", s))
    order = draw(st.permutations(range(len(cells))))
    df = pd.DataFrame([cells[j] for j in order], columns=["application_id", "item_id", "score"])
    df["score"] = df["score"].astype("Int64")
    items = pd.DataFrame({"item_id": [f"item{i}" for i in range(n_i)], "max_score": k})
    return df, items


def _valid(df: pd.DataFrame) -> bool:
    obs = df.dropna(subset=["score"])
    if obs.empty:
        return False
    cats = obs.groupby("item_id")["score"].nunique()
    return (
        set(cats.index) == set(df["item_id"])
        and (cats >= 2).all()
        and set(obs["application_id"]) == set(df["application_id"])
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(long_frames())
def test_long_wide_round_trip(frame):
    """Property (hypothesis): long -> wide keeps every observed (application, item, score) triple
    and wide -> long -> wide is the identity; data that cannot be calibrated raise DataError."""
    df, items = frame
    if not _valid(df):
        with pytest.raises(DataError):
            Responses.from_long(df, items=items)
        return
    r = Responses.from_long(df, items=items)
    # long -> wide -> long keeps every observed (application, item, score) triple
    want = df.dropna(subset=["score"]).sort_values(["application_id", "item_id"])
    got = r.to_long().sort_values(["application_id", "item_id"])
    assert got[["application_id", "item_id"]].to_numpy().tolist() == (
        want[["application_id", "item_id"]].to_numpy().tolist()
    )
    assert got["score"].astype(int).tolist() == want["score"].astype(int).tolist()
    # wide -> long -> wide is the identity
    assert Responses.from_long(r.to_long(), items=r.items).equals(r)
    assert Responses.from_wide(r.wide, items=r.items, persons=r.persons).equals(r)


def test_from_wide_and_subset(items):
    """A hand-built wide frame: max scores and models from the item table, subset drops persons left
    without responses, unknown items and a missing period column raise DataError."""
    wide = pd.DataFrame(
        {"i1": [1, 0, np.nan], "i2": [0, 1, 1], "i3": [3, 1, 0]}, index=["a", "b", "c"]
    )
    r = Responses.from_wide(wide, items=items)
    assert r.max_score.tolist() == [1, 1, 3]
    assert r.models == ["2PL", "2PL", "GRM"]
    s = r.subset(items=["i1"])  # c has nothing left on i1 and is dropped
    assert list(s.wide.index) == ["a", "b"]
    with pytest.raises(DataError, match="unknown item"):
        r.subset(items=["zz"])
    with pytest.raises(DataError, match="no 'period' column"):
        r.subset(period="P1")


def test_read_responses_csv_parquet_agree(tmp_path, items):
    """The same responses read from CSV and from Parquet give identical wide and person frames
    (hand-checked row a1 = 1, 0, 3)."""
    p = resp_csv(tmp_path, good_rows())
    a = read_responses(p, items)
    df = pd.read_csv(p, dtype=str)
    df["score"] = df["score"].astype("Int64")
    df.to_parquet(tmp_path / "responses.parquet")
    b = read_responses(tmp_path / "responses.parquet", items)
    assert a.wide.equals(b.wide) and a.persons.equals(b.persons)
    assert a.wide.loc["a1"].tolist() == [1.0, 0.0, 3.0]


def test_missing_scores_are_nan_not_wrong(tmp_path, items):
    """DESIGN.md conventions: an empty score is NaN, never scored as wrong; to_long drops it unless
    dropna=False (3 persons x 3 items)."""
    rows = good_rows()[:2] + ["a1,c1,P1,A,i3,,2025-01-01"] + good_rows()[3:]
    rows += ["a3,c3,P1,A,i3,0,2025-01-01"]
    r = read_responses(resp_csv(tmp_path, rows), items)
    assert np.isnan(r.wide.loc["a1", "i3"])
    assert r.to_long()["score"].notna().all()
    assert len(r.to_long(dropna=False)) == 9  # 3 persons x 3 items


# ============================================================== bad responses
@pytest.mark.parametrize(
    "row, match",
    [
        ("a3,c3,P1,A,i1,2.5,2025-01-01", r"line 8 .*'score'.*'?2.5'? is not an integer"),
        ("a3,c3,P1,A,i1,x,2025-01-01", r"line 8 .*'score'.*'x' is not a number"),
        ("a3,c3,P1,A,i1,-1,2025-01-01", r"line 8 .*'score'.*below 0"),
        ("a3,c3,P1,A,i1,2,2025-01-01", r"line 8 .*item 'i1'.*out of range.*0\.\.1"),
        ("a3,c3,P1,A,i3,4,2025-01-01", r"line 8 .*item 'i3'.*out of range.*0\.\.3"),
        ("a3,c3,P1,A,zz,1,2025-01-01", r"line 8 .*unknown item.*'zz'"),
        (",c3,P1,A,i1,1,2025-01-01", r"line 8 .*'application_id': missing identifier"),
        ("a1,c1,P1,A,i1,0,2025-01-01", r"duplicate .*'a1', item 'i1'.*line 2.*line 8"),
        (
            "a3,c3,P1,A,i1,1,2025-01-01\na3,c3,P2,A,i2,0,2025-01-01",
            r"line 9 .*'period': application 'a3' has period values \['P1', 'P2'\]",
        ),
    ],
)
def test_bad_response_rows(tmp_path, items, row, match):
    """DESIGN.md conventions: each bad response row (non-integer, non-number, negative, out of
    range, unknown item, missing id, duplicate, two periods) is a DataError naming the line,
    column and item."""
    with pytest.raises(DataError, match=match):
        read_responses(resp_csv(tmp_path, [*good_rows(), row]), items)


def test_missing_columns(tmp_path, items):
    """A response file or frame without required columns is a DataError listing the missing columns
    (DESIGN.md: errors name what was expected)."""
    p = write(tmp_path / "r.csv", "application_id,item_id,score\na1,i1,1")
    with pytest.raises(
        DataError, match=r"missing column\(s\) \['candidate_id', 'period', 'form'\]"
    ):
        read_responses(p, items)
    with pytest.raises(DataError, match=r"missing column\(s\) \['score'\]"):
        Responses.from_long(pd.DataFrame({"application_id": ["a"], "item_id": ["i"]}))


def test_empty_data(tmp_path, items):
    """An empty response file, a header-only file and an empty wide frame are DataErrors saying the
    data are empty."""
    with pytest.raises(DataError, match="the response data is empty: no data rows"):
        read_responses(resp_csv(tmp_path, []), items)
    with pytest.raises(DataError, match="empty file"):
        read_responses(write(tmp_path / "e.csv", ""), items)
    with pytest.raises(DataError, match="empty response data"):
        Responses.from_wide(pd.DataFrame())


def test_file_problems(tmp_path, items):
    """A missing file, an unsupported extension, a CSV row with an extra field and a blank line are
    DataErrors naming the file and line."""
    with pytest.raises(DataError, match="file not found"):
        read_responses(tmp_path / "nope.csv", items)
    with pytest.raises(DataError, match="unsupported file type '.xlsx'"):
        read_responses(write(tmp_path / "r.xlsx", "x"), items)
    bad = resp_csv(tmp_path, [*good_rows(), "a3,c3,P1,A,i1,1,2025-01-01,extra"])
    with pytest.raises(DataError, match=r"cannot parse as CSV .*line 8"):
        read_responses(bad, items)
    blank = resp_csv(tmp_path, [*good_rows()[:3], "", *good_rows()[3:]])
    with pytest.raises(DataError, match=r"line 5 .*'application_id': missing identifier"):
        read_responses(blank, items)


def test_item_nobody_answered(tmp_path, items):
    """An item with no observed response cannot be calibrated: a DataError naming the item."""
    rows = [r for r in good_rows() if ",i3," not in r]
    rows += ["a1,c1,P1,A,i3,,2025-01-01", "a2,c2,P1,A,i3,,2025-01-01"]
    with pytest.raises(DataError, match=r"item\(s\) \['i3'\] answered by nobody"):
        read_responses(resp_csv(tmp_path, rows), items)


def test_single_category_item(tmp_path, items):
    """An item with one observed category is refused with its name, or dropped with a DataWarning
    and recorded in excluded when drop_single_category=True."""
    rows = [r.replace(",i2,1,", ",i2,0,") for r in good_rows()]  # i2 always 0
    p = resp_csv(tmp_path, rows)
    with pytest.raises(DataError, match=r"single observed score category: 'i2' \(all 0\)"):
        read_responses(p, items)
    with pytest.warns(DataWarning, match="excluded 1 item"):
        r = read_responses(p, items, drop_single_category=True)
    assert list(r.wide.columns) == ["i1", "i3"]
    assert r.excluded.loc["i2", "reason"] == "single observed category (all 0)"


def test_person_without_responses(tmp_path, items):
    """An application whose every score is empty is a DataError naming it (no likelihood
    to score)."""
    rows = [*good_rows(), "a3,c3,P1,A,i1,,2025-01-01", "a3,c3,P1,A,i2,,2025-01-01"]
    with pytest.raises(DataError, match=r"application\(s\) \['a3'\] have no observed response"):
        read_responses(resp_csv(tmp_path, rows), items)


def test_duplicates_across_files_and_parquet_rows(tmp_path, items):
    """A duplicate (application, item) across a CSV and a Parquet file is reported with both places:
    CSV line and Parquet 0-based row."""
    p1 = resp_csv(tmp_path, good_rows(), "responses_1.csv")
    df = pd.DataFrame(
        [["a1", "c1", "P1", "A", "i2", 1, "2025-01-01"]], columns=RESP_HEADER.split(",")
    )
    df.to_parquet(tmp_path / "responses_2.parquet")
    with pytest.raises(DataError, match=r"responses_1.csv, line 3 .*responses_2.parquet, row 0"):
        read_responses([p1, tmp_path / "responses_2.parquet"], items)


def test_from_wide_bad_cells(items):
    """Bad cells of wide/long frames (a fractional score, duplicate or unknown items, out-of-range
    scores, a non-number) are DataErrors naming application, item and row."""
    with pytest.raises(DataError, match=r"application 'b', item 'i1': score 0.5;"):
        Responses.from_wide(pd.DataFrame({"i1": [1, 0.5]}, index=["a", "b"]))
    with pytest.raises(DataError, match=r"duplicate item\(s\) \['i1'\]"):
        Responses.from_wide(pd.DataFrame([[1, 0], [0, 1]], columns=["i1", "i1"]))
    with pytest.raises(DataError, match=r"unknown item\(s\) \['q'\]"):
        Responses.from_wide(pd.DataFrame({"q": [1, 0]}), items=items)
    with pytest.raises(DataError, match=r"item 'i1': score 2 is out of range; expected 0..1"):
        Responses.from_wide(pd.DataFrame({"i1": [1, 2, 0]}), items=items)
    with pytest.raises(DataError, match=r"row 1 \(0-based data row\).*not a number"):
        Responses.from_long(
            pd.DataFrame({"application_id": ["a", "b"], "item_id": ["i", "i"], "score": [1, "?"]})
        )


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_non_numeric_score_names_file_item_row_and_value(tmp_path, items, fmt):
    """A string in the score column of a long file (CSV or Parquet, where pandas keeps
    it as text) is a DataError naming the file, its line (CSV, header = line 1) or
    0-based row (Parquet), the item and the value, never pandas' bare ValueError."""
    rows = [*good_rows()[:4], "a2,c2,P1,A,i2,x,2025-01-01", *good_rows()[5:]]
    p = resp_csv(tmp_path, rows)
    where = r"responses.csv, line 6 \(header = line 1\)"
    if fmt == "parquet":
        pd.read_csv(p, dtype=str).to_parquet(tmp_path / "responses.parquet")
        p, where = tmp_path / "responses.parquet", r"responses.parquet, row 4 \(0-based data row\)"
    with pytest.raises(DataError, match=where + r", column 'score', item 'i2': value 'x' is not"):
        read_responses(p, items)


def test_non_numeric_score_in_a_wide_frame(items):
    """Wide persons x items input: the message names the application, its 0-based row,
    the item (column) and the value."""
    wide = pd.DataFrame({"i1": [1, 0, 1], "i2": [0, 1, "x"]}, index=["a", "b", "c"])
    with pytest.raises(
        DataError, match=r"w.csv: application 'c' \(row 2, 0-based\), item 'i2': value 'x' is not"
    ):
        Responses.from_wide(wide, items=items, file="w.csv")


# ============================================================== items
@pytest.mark.parametrize(
    "line, match",
    [
        ("i4,d1,1,0,A,4PL", r"line 5 .*column 'model': model '4PL' is not one of"),
        ("i4,d1,3,0,A,2PL", r"line 5 .*item 'i4': max_score 3 with model '2PL'.*takes 0 or 1"),
        ("i4,d1,0,0,A,GRM", r"line 5 .*column 'max_score'.*below 1"),
        ("i4,d1,1.5,0,A,GRM", r"line 5 .*column 'max_score'.*not an integer"),
        ("i4,d1,1,2,A,2PL", r"line 5 .*column 'anchor'.*above 1; expected 0 or 1"),
        ("i1,d1,1,0,A,2PL", r"line\(s\) 2, 5 .*duplicate item \{'item_id': 'i1'\}"),
        (",d1,1,0,A,2PL", r"line 5 .*column 'item_id': missing identifier"),
    ],
)
def test_bad_items(tmp_path, line, match):
    """DESIGN.md conventions: each bad item-bank row (unknown model, max_score not fitting the
    model, bad anchor flag, duplicate or missing id) is a DataError naming line and column."""
    with pytest.raises(DataError, match=match):
        read_items(write(tmp_path / "items.csv", ITEMS_CSV.strip() + "\n" + line))


def test_items_missing_columns(tmp_path):
    """An item bank without required columns is a DataError listing them."""
    with pytest.raises(DataError, match=r"missing column\(s\) \['anchor', 'forms', 'model'\]"):
        read_items(write(tmp_path / "items.csv", "item_id,domain,max_score\ni1,d,1"))


# ============================================================== candidates, eligibility
CAND = "candidate_id,application_id,period,study_hours\nc1,a1,P1,50\nc2,a2,P1,12\nc3,a3,P1,"


def test_candidates_and_eligibility(tmp_path):
    """Art. 6 study-hour eligibility against a hand-made register (50, 12, missing hours vs 40 h):
    only the first is eligible, with the reasons spelt out; a rules mapping is validated once."""
    c = read_candidates(write(tmp_path / "candidates.csv", CAND))
    e = eligibility(c, read_rules(rules_file(tmp_path)))
    assert e["eligible"].tolist() == [True, False, False]
    assert e.loc["a2", "reason"] == "below the study-hour requirement: 12 < 40 h"
    assert e.loc["a3", "reason"] == "study hours not recorded"
    ten = {**copy.deepcopy(RULES), "eligibility": {"min_study_hours": 10}}  # validated once
    assert eligibility(c, ten)["eligible"].sum() == 2


@pytest.mark.parametrize(
    "text, match",
    [
        (CAND + "\nc4,a1,P1,40", r"line\(s\) 2, 5 .*duplicate application"),
        (CAND + "\nc4,a4,P1,-3", r"line 5 .*column 'study_hours'.*below 0"),
        (CAND + "\nc4,a4,P1,many", r"line 5 .*column 'study_hours'.*'many' is not a number"),
        ("candidate_id,application_id,study_hours\nc1,a1,3", r"missing column\(s\) \['period'\]"),
        ("candidate_id,application_id,period,study_hours", "the candidate register is empty"),
    ],
)
def test_bad_candidates(tmp_path, text, match):
    """Bad candidate-register rows (duplicate application, negative or non-numeric hours, missing
    period column, empty register) are DataErrors naming line and column."""
    with pytest.raises(DataError, match=match):
        read_candidates(write(tmp_path / "candidates.csv", text))


def test_eligibility_bad_input():
    """eligibility() refuses a register without study_hours, rules without eligibility and a
    negative number of hours, each with the key or column named."""
    c = pd.DataFrame({"application_id": ["a"], "hours": [3]})
    with pytest.raises(DataError, match=r"missing column\(s\) \['study_hours'\]"):
        eligibility(c, 40)
    with pytest.raises(SchemaError, match="missing required key 'eligibility'"):
        eligibility(c, {"discipline": "x"})
    with pytest.raises(SchemaError, match="min_study_hours.*expected a number >= 0"):
        eligibility(c, -1)


# ============================================================== rules
def test_rules_ok(tmp_path):
    """The test rules file reads into the typed model: cut methods and half-up rounding as written,
    every method from the one vocabulary."""
    r = read_rules(rules_file(tmp_path))
    assert r.grades.pass_.options() == {"method": "angoff"}
    assert r.standard_score.rounding == "half_up"
    assert set(METHODS) >= {r.grades.spec(c).method for c in ("pass", "good", "excellent")}


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"grades__good__method": "delphi"}, r"key 'grades.good.method': 'delphi' is not one of"),
        ({"model": "4PL"}, r"key 'model': '4PL' is not one of"),
        ({"discipline": None}, r"missing required key 'discipline'"),
        ({"eligibility": None}, r"missing required key 'eligibility'"),
        ({"eligibility__min_study_hours": "forty"}, r"'eligibility.min_study_hours'.*number"),
        ({"periods": "P1"}, r"key 'periods': expected a non-empty list"),
        ({"periods": ["P1", "P1"]}, r"duplicate period"),
        ({"base_period": "P9"}, r"key 'base_period': 'P9' is not one of periods"),
        ({"scale__standard_score__scale": -10}, r"'scale.standard_score.scale'.*> 0"),
        ({"scale__standard_score__pass_score": 120}, r"min < pass_score < max"),
        ({"scale__standard_score__rounding": "up"}, r"'scale.standard_score.rounding'"),
        ({"scale__standard_score": None}, r"missing required key 'scale.standard_score'"),
        ({"grades__excellent": None}, r"missing required key 'grades.excellent'"),
        ({"grades__best": {"method": "angoff"}}, r"unknown cut\(s\) \['best'\]"),
        ({"grades__good": "bookmark"}, r"key 'grades.good': expected a mapping"),
        ({"grades__good__rp": 1.5}, r"key 'grades.good.rp': expected a number < 1"),
        ({"grades__good__round": 0}, r"'grades.good.round': expected an integer >= 1"),
        ({"grades__excellent__percentile": None}, r"missing required key .*percentile'"),
        ({"grades__excellent": {"method": "fixed"}}, r"'grades.excellent'.*exactly one of"),
        (
            {"grades__pass": {"method": "fixed", "standard_score": 55}},
            r"'grades.pass.standard_score': 55 differs from .*pass_score 60",
        ),
        (
            {"grades__excellent": {"method": "fixed", "standard_score": 101}},
            r"'grades.excellent.standard_score': 101 outside the scale 0..100",
        ),
        (
            {
                "grades__good": {"method": "fixed", "standard_score": 80},
                "grades__excellent": {"method": "fixed", "standard_score": 75},
            },
            r"'grades.excellent.standard_score': cuts must increase.*good = 80",
        ),
        (
            {
                "grades__pass": {"method": "fixed", "theta": 0.5},
                "grades__good": {"method": "fixed", "theta": 0.2},
            },
            r"'grades.good.theta': cuts must increase.*pass = 0.5 and good = 0.2",
        ),
        (
            {"grades__good": {"method": "normative", "percentile": 95}},
            r"'grades.excellent.percentile': cuts must increase",
        ),
        ({"forms": {"P7": ["A"]}}, r"key 'forms.P7': period 'P7' is not one of"),
        ({"anchors": {"linking": "magic"}}, r"key 'anchors.linking': 'magic'"),
        ({"missing": {"not_reached": "half"}}, r"key 'missing.not_reached'"),
        ({"combine": "average"}, r"key 'combine': 'average'"),
    ],
)
def test_bad_rules(tmp_path, changes, match):
    """Issue 9 item 1: each invalid rules file (unknown method or model, missing key, bad number,
    cross-field rule) is refused at load with the key path and what was expected."""
    with pytest.raises(SchemaError, match=match):
        read_rules(rules_file(tmp_path, **changes))


PEER = {
    "method": "algorithm_a",
    "sigma_pt": {"rule": "relative", "value": 0.1},
    "grading": {
        "statistic": "z",
        "one_sided": False,
        "cuts": {"excellent": 1, "good": 2, "pass": 3},
    },
}


@pytest.mark.parametrize(
    "change, match",
    [
        ({"method": "trimmed"}, r"key 'peer.method': 'trimmed' is not one of"),
        ({"sigma_pt": {"rule": "guess"}}, r"key 'peer.sigma_pt.rule'"),
        ({"sigma_pt": {"rule": "relative"}}, r"missing required key 'peer.sigma_pt.value'"),
        ({"grading": {"statistic": "t", "cuts": PEER["grading"]["cuts"]}}, r"grading.statistic"),
        ({"grading": {"one_sided": "left", "cuts": PEER["grading"]["cuts"]}}, r"one_sided"),
        ({"grading": {"one_sided": True, "cuts": PEER["grading"]["cuts"]}}, r"unfavourable"),
        ({"grading": {"cuts": {"excellent": 2, "good": 1, "pass": 3}}}, r"must increase"),
        ({"grading": {"cuts": PEER["grading"]["cuts"], "colour": 1}}, r"unknown key\(s\)"),
        ({"aggregate": "median"}, r"key 'peer.aggregate'"),
    ],
)
def test_bad_peer_rules(tmp_path, change, match):
    """ISO 13528:2022 options of the peer section: unknown consensus method, sigma_pt rule,
    statistic, sides or unordered cuts are refused at load with the key path."""
    peer = {**copy.deepcopy(PEER), **change}
    assert read_rules(rules_file(tmp_path, peer=PEER)).peer.method == "algorithm_a"
    with pytest.raises(SchemaError, match=match):
        read_rules(rules_file(tmp_path, peer=peer))


def test_rules_file_problems(tmp_path):
    """Invalid YAML (with its line), an empty file, a list at the top level and a missing file are
    refused at load."""
    with pytest.raises(SchemaError, match=r"rules.yml, line 3: invalid YAML"):
        read_rules(write(tmp_path / "rules.yml", "a: 1\nb: [1, 2\nc: 3"))
    with pytest.raises(SchemaError, match="empty rules file"):
        read_rules(write(tmp_path / "rules.yml", "# nothing"))
    with pytest.raises(SchemaError, match="expected a mapping of rules at the top level"):
        read_rules(write(tmp_path / "rules.yml", "- a\n- b"))
    with pytest.raises(SchemaError, match="file not found"):
        read_rules(tmp_path / "none.yml")


# ============================================================== panel, peer, forms
def test_read_panel_kinds(tmp_path, items):
    """A panel file's kind is recognised from its columns: an Angoff ratings file on a polytomous
    item keeps its rating 1.5."""
    a = read_panel(write(tmp_path / "ratings.csv", "panelist,round,item_id,rating\np1,1,i3,1.5"))
    assert a.attrs["kind"] == "angoff" and a["rating"].tolist() == [1.5]


@pytest.mark.parametrize(
    "name, text, match",
    [
        ("angoff.csv", "panelist,round,item_id,rating\np1,1,i1,1.2", r"line 2.*exceeds max"),
        ("angoff.csv", "panelist,round,item_id,rating\np1,1,q9,0.5", r"line 2.*unknown item 'q9'"),
        ("angoff.csv", "panelist,round,item_id,rating\np1,0,i1,0.5", r"line 2.*'round'.*below 1"),
        ("angoff.csv", "panelist,round,item_id,rating\np1,1,i1,-1", r"line 2.*'rating'.*below 0"),
        (
            "angoff.csv",
            "panelist,round,item_id,rating\np1,1,i1,0.5\np1,1,i1,0.6",
            r"line\(s\) 2, 3 .*duplicate Angoff rating",
        ),
        ("angoff.csv", "panelist,round,item\np1,1,i1", r"missing column\(s\) \['item_id', 'rat"),
        ("bookmark.csv", "panelist,round,cut,page\np1,1,best,3", r"'cut': 'best' is not one of"),
        ("bookmark.csv", "panelist,round,cut,page\np1,1,pass,0", r"'page'.*below 1"),
        ("hofstee.csv", "panelist,k_min,k_max,f_min,f_max\np1,60,50,5,20", r"k_min.*<= k_max"),
        ("hofstee.csv", "panelist,k_min,k_max,f_min,f_max\np1,40,50,5,120", r"f_max.*above 100"),
        ("beuk.csv", "panelist,cut,pass_rate\np1,60,", r"'pass_rate'.*missing"),
        ("global_ratings.csv", "application_id,rater,rating\na1,x,2.5", r"not an integer"),
        ("bookmark_booklet.csv", "page,item_id\n1,i1\n1,i2", r"duplicate booklet page"),
        ("judgements.csv", "who,what\np1,1", r"cannot tell which panel judgement"),
    ],
)
def test_bad_panel(tmp_path, items, name, text, match):
    """Each bad panel row (Angoff rating above the item maximum, unknown item, round 0, duplicates;
    bookmark cut or page; Hofstee k_min > k_max; Beuk, global ratings, booklet, unknown kind) is
    a DataError naming line and column."""
    with pytest.raises(DataError, match=match):
        read_panel(write(tmp_path / name, text), items=items)


def test_read_panel_bad_kind(tmp_path):
    """An unknown panel kind given explicitly is a DataError listing the kinds."""
    with pytest.raises(DataError, match=r"kind='delphi' is not one of"):
        read_panel(write(tmp_path / "x.csv", "a\n1"), kind="delphi")


PEER_CSV = "application_id,candidate_id,sample_id,value,u_value,period\na1,c1,S1,10.2,0.3,P1"


@pytest.mark.parametrize(
    "extra, match",
    [
        ("a2,c2,S1,,0.3,P1", r"line 3 .*column 'value'.*missing"),
        ("a2,c2,S1,9.9,-0.3,P1", r"line 3 .*column 'u_value'.*below 0"),
        ("a1,c1,S1,9.9,0.3,P1", r"line\(s\) 2, 3 .*duplicate peer result"),
        ("a2,c2,,9.9,0.3,P1", r"line 3 .*column 'sample_id': missing identifier"),
    ],
)
def test_bad_peer_results(tmp_path, extra, match):
    """ISO 13528 peer results: a missing value, a negative uncertainty, a duplicate result or sample
    id are DataErrors naming the line; a missing u_value is NaN."""
    ok = read_peer(write(tmp_path / "peer_results.csv", PEER_CSV + "\na2,c2,S1,9.9,,P1"))
    assert np.isnan(ok["u_value"].iloc[1])
    with pytest.raises(DataError, match=match):
        read_peer(write(tmp_path / "peer_results.csv", PEER_CSV + "\n" + extra))


def test_bad_forms(tmp_path, items):
    """A forms file with a duplicate position, an item twice on a form or an unknown item is a
    DataError naming the lines."""
    head = "form,period,position,item_id\nA,P1,1,i1\n"
    with pytest.raises(DataError, match=r"line\(s\) 2, 3 .*duplicate form position"):
        read_forms(write(tmp_path / "forms.csv", head + "A,P1,1,i2"), items)
    with pytest.raises(DataError, match=r"line\(s\) 2, 3 .*duplicate item on a form"):
        read_forms(write(tmp_path / "forms.csv", head + "A,P1,2,i1"), items)
    with pytest.raises(DataError, match=r"line 3 .*column 'item_id': unknown item 'q'"):
        read_forms(write(tmp_path / "forms.csv", head + "A,P1,2,q"), items)


# ============================================================== load_discipline
@pytest.fixture
def lab(tmp_path) -> Path:
    dst = tmp_path / "lab"
    shutil.copytree(SAMPLE / "lab-assessor", dst)
    return dst


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_load_discipline_copy_ok(lab):
    """A copy of the lab-assessor sample folder loads whole (96 applications, peer results and
    forms)."""
    d = load_discipline(lab)
    assert d.responses.n_persons == 96 and d.peer is not None and d.forms is not None


def test_load_unregistered_application(lab):
    """Cross-file check: responses of an application missing from the candidate register are a
    DataError naming it."""
    _edit(lab / "candidates.csv", "LAB25H2-0007,", "LAB25H2-9999,")
    with pytest.raises(DataError, match=r"application\(s\) \['LAB25H2-0007'\].*not in .*candid"):
        load_discipline(lab)


def test_load_period_clash(lab):
    """Cross-file check: an application whose period differs between responses and register is a
    DataError naming both."""
    _edit(lab / "rules.yml", "periods: [2025H2]", "periods: [2025H1, 2025H2]")
    _edit(lab / "rules.yml", "2025H2: [K1]", "2025H1: [K1]\n  2025H2: [K1]")
    _edit(lab / "rules.yml", "anchors: {policy: none}", "anchors: {policy: common_items}")
    _edit(lab / "candidates.csv", "LAB25H2-0007,2025H2", "LAB25H2-0007,2025H1")
    with pytest.raises(DataError, match=r"application 'LAB25H2-0007': period '2025H2' in the"):
        load_discipline(lab)


def test_load_period_not_in_rules(lab):
    """Cross-file check: response periods not listed in rules.yml periods are a DataError."""
    _edit(lab / "rules.yml", "periods: [2025H2]", "periods: [2025H1]")
    _edit(lab / "rules.yml", "base_period: 2025H2", "base_period: 2025H1")
    _edit(lab / "rules.yml", "2025H2: [K1]", "2025H1: [K1]")
    with pytest.raises(DataError, match=r"period\(s\) \['2025H2'\] not in rules.yml periods"):
        load_discipline(lab)


def test_load_form_not_listed(lab):
    """Cross-file check: a form answered in a period but not listed under rules.yml forms is a
    DataError."""
    _edit(lab / "rules.yml", "2025H2: [K1]", "2025H2: [K2]")
    with pytest.raises(DataError, match=r"form 'K1' in period '2025H2' is not listed"):
        load_discipline(lab)


def test_load_model_contradiction(lab):
    """Cross-file check: an item-bank model contradicting the rules' model is a DataError naming the
    item."""
    _edit(lab / "rules.yml", "model: Rasch", "model: 2PL")
    with pytest.raises(DataError, match=r"item 'LK01': model 'Rasch' contradicts rules.yml"):
        load_discipline(lab)


def test_load_missing_panel_file(lab):
    """Cross-file check: a cut method whose panel file is missing (Angoff without angoff.csv) is a
    DataError naming the key path."""
    (lab / "angoff.csv").unlink()
    with pytest.raises(DataError, match=r"grades.pass.method 'angoff' needs angoff.csv"):
        load_discipline(lab)


def test_load_peer_section_without_results(lab):
    """Cross-file check: a rules peer section without peer_results.csv is a DataError."""
    (lab / "peer_results.csv").unlink()
    with pytest.raises(DataError, match=r"has a 'peer' section but no peer_results.csv"):
        load_discipline(lab)


def test_load_peer_sample_without_results(lab):
    """Cross-file check: a peer sample listed in rules.yml with no results is a DataError
    naming it."""
    _edit(lab / "rules.yml", "S3: {", "S4: {")
    with pytest.raises(DataError, match=r"sample\(s\) \['S4'\] listed in rules.yml"):
        load_discipline(lab)


def test_load_missing_files(lab, tmp_path):
    """A folder without responses or candidate register, and a missing folder, are DataErrors saying
    which file is missing."""
    (lab / "responses.csv").rename(lab / "answers.csv")
    with pytest.raises(DataError, match="no response file"):
        load_discipline(lab)
    with pytest.raises(DataError, match="discipline folder not found"):
        load_discipline(tmp_path / "nowhere")
    (lab / "answers.csv").rename(lab / "responses.csv")
    (lab / "candidates.csv").unlink()
    with pytest.raises(DataError, match="no candidate register"):
        load_discipline(lab)


def test_load_bad_row_names_the_file_line(lab):
    """DESIGN.md conventions: an out-of-range score in the sample folder's responses.csv is reported
    with the file and its line."""
    text = (lab / "responses.csv").read_text().splitlines()
    text[10] = text[10].rsplit(",", 2)[0] + ",7," + text[10].rsplit(",", 1)[1]
    (lab / "responses.csv").write_text("\n".join(text) + "\n")
    with pytest.raises(DataError, match=r"responses.csv, line 11 .*score 7 is out of range"):
        load_discipline(lab)
