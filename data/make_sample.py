"""Generate the pvcal sample disciplines under ``data/sample/`` from a fixed seed.

Self-contained (numpy and pandas only; pyarrow writes the Parquet files).
Run from anywhere::

    python data/make_sample.py            # rewrites data/sample/<discipline>/

Every file is a deterministic function of ``SEED``: running the script twice
gives the same data.  Each discipline gets its own child generator
(``np.random.default_rng([SEED, k])``), so changing one discipline leaves the
others untouched.

Truth (item parameters, person abilities, intended cut scores, population
means, peer-comparison truths) is written beside the data in ``true_*.csv``,
so parameter recovery, linking and standard-setting code can be checked
against it.  Parameters are in the IRT parameterisation, logistic metric,
D = 1 (as R mirt's ``coef(..., IRTpars = TRUE)``).

Models simulated (closed form):

* 2PL/3PL: P(X = 1 | theta) = c + (1 - c) / (1 + exp(-a (theta - b)))
* GRM (Samejima):  P*(X >= k) = 1 / (1 + exp(-a (theta - b_k))), k = 1..K
* GPCM (Muraki):   P(X = k) proportional to exp(sum_{v <= k} a (theta - b_v))
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20250601
OUT = Path(__file__).resolve().parent / "sample"
RP = 0.67  # response probability used for the bookmark booklet


# --------------------------------------------------------------------- models
def p_3pl(theta: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray | float = 0.0):
    """P(correct) for persons x items (2PL when c = 0)."""
    z = a[None, :] * (theta[:, None] - b[None, :])
    c = np.broadcast_to(np.asarray(c, dtype=float), np.shape(a))
    return c[None, :] + (1.0 - c[None, :]) / (1.0 + np.exp(-z))


def p_grm(theta: np.ndarray, a: float, bs: np.ndarray) -> np.ndarray:
    """GRM category probabilities, persons x (K + 1)."""
    star = 1.0 / (1.0 + np.exp(-a * (theta[:, None] - np.asarray(bs)[None, :])))
    star = np.column_stack([np.ones(theta.size), star, np.zeros(theta.size)])
    return star[:, :-1] - star[:, 1:]


def p_gpcm(theta: np.ndarray, a: float, bs: np.ndarray) -> np.ndarray:
    """GPCM category probabilities, persons x (K + 1)."""
    steps = a * (theta[:, None] - np.asarray(bs)[None, :])
    num = np.column_stack([np.zeros(theta.size), np.cumsum(steps, axis=1)])
    num -= num.max(axis=1, keepdims=True)
    e = np.exp(num)
    return e / e.sum(axis=1, keepdims=True)


def draw_categories(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row of a persons x categories probability matrix."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(probs.shape[0])
    return (u[:, None] > cum[:, :-1]).sum(axis=1)


def expected_score(theta: float, row: pd.Series) -> float:
    """Expected item score at one theta from a true_items row."""
    t = np.array([theta])
    if row["model"] in ("2PL", "3PL", "Rasch", "1PL"):
        c = 0.0 if pd.isna(row["c"]) else row["c"]
        return float(p_3pl(t, np.array([row["a"]]), np.array([row["b"]]), c)[0, 0])
    bs = [row[f"b{k}"] for k in range(1, 4) if pd.notna(row.get(f"b{k}"))]
    fn = p_grm if row["model"] == "GRM" else p_gpcm
    pr = fn(t, row["a"], np.array(bs))[0]
    return float(np.dot(np.arange(pr.size), pr))


def rp_location(row: pd.Series, rp: float = RP) -> float:
    """Theta at which a dichotomous item is answered correctly with probability rp."""
    c = 0.0 if pd.isna(row["c"]) else row["c"]
    q = (rp - c) / (1.0 - c)
    return float(row["b"] + np.log(q / (1.0 - q)) / row["a"])


# ---------------------------------------------------------------- utilities
def write_csv(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, float_format="%.6g", lineterminator="\n")


def simulate_responses(
    rng: np.random.Generator,
    theta: np.ndarray,
    truth: pd.DataFrame,
    *,
    shift: np.ndarray | None = None,
    focal: np.ndarray | None = None,
    dif: pd.DataFrame | None = None,
) -> np.ndarray:
    """Persons x items integer scores for the items (rows) of ``truth``.

    ``shift`` (persons x items) is added to theta item by item (planted domain
    weaknesses); ``dif`` (indexed by item_id: ``b_shift``, ``a_factor``) changes
    the parameters of those items for the ``focal`` persons (planted DIF).  Both
    leave the random draws unchanged: one uniform per person and item, as
    without plants, so persons and items without a plant get the same scores.
    """
    out = np.empty((theta.size, len(truth)), dtype=int)
    for j, (_, row) in enumerate(truth.iterrows()):
        th = theta if shift is None else theta + shift[:, j]
        if row["model"] in ("2PL", "3PL", "Rasch", "1PL"):
            c = 0.0 if pd.isna(row["c"]) else row["c"]
            a_i = np.full(theta.size, float(row["a"]))
            b_i = np.full(theta.size, float(row["b"]))
            if dif is not None and row["item_id"] in dif.index:
                a_i[focal] *= dif.loc[row["item_id"], "a_factor"]
                b_i[focal] += dif.loc[row["item_id"], "b_shift"]
            p = c + (1.0 - c) / (1.0 + np.exp(-(a_i * (th - b_i))))
            out[:, j] = (rng.random(theta.size) < p).astype(int)
        else:
            bs = np.array([row[f"b{k}"] for k in range(1, 4) if pd.notna(row.get(f"b{k}"))])
            fn = p_grm if row["model"] == "GRM" else p_gpcm
            out[:, j] = draw_categories(rng, fn(th, row["a"], bs))
    return out


def to_long_with_mess(
    rng: np.random.Generator,
    scores: np.ndarray,
    persons: pd.DataFrame,
    item_ids: list[str],
    *,
    not_reached_rate: float,
    omit_rate: float,
    copies: list[tuple[int, int, np.ndarray]] | None = None,
) -> pd.DataFrame:
    """Long responses; not-reached tails and a few omitted items.

    A not-reached tail is written half of the time as rows with an empty
    score and half of the time as absent rows (both mean "missing").
    Omitted items (random, not at the end) are absent rows.  ``copies``
    (copier row, source row, item columns) then give the copier the source's
    final record on those items, missing included (planted copying; no
    random draw, so everything else stays as without it).
    """
    n, k = scores.shape
    present = np.ones((n, k), dtype=bool)  # row written at all
    blank = np.zeros((n, k), dtype=bool)  # row written with empty score
    nr = rng.random(n) < not_reached_rate
    for i in np.flatnonzero(nr):
        tail = int(rng.integers(1, max(2, k // 4)))
        if rng.random() < 0.5:
            blank[i, k - tail :] = True
        else:
            present[i, k - tail :] = False
    omit = (rng.random((n, k)) < omit_rate) & ~blank
    omit[:, 0] = False  # keep every person with at least one response
    present &= ~omit
    if copies:
        scores = scores.copy()
        for ci, si, cols in copies:
            scores[ci, cols] = scores[si, cols]
            present[ci, cols] = present[si, cols]
            blank[ci, cols] = blank[si, cols]
    ii, jj = np.nonzero(present)
    score = scores[ii, jj].astype(float)
    score[blank[ii, jj]] = np.nan
    long = pd.DataFrame(
        {
            "application_id": persons["application_id"].to_numpy()[ii],
            "candidate_id": persons["candidate_id"].to_numpy()[ii],
            "period": persons["period"].to_numpy()[ii],
            "form": persons["form"].to_numpy()[ii],
            "item_id": np.asarray(item_ids)[jj],
            "score": pd.array(score, dtype="Int64"),
            "administered_on": persons["administered_on"].to_numpy()[ii],
        }
    )
    long["score"] = long["score"].astype("Int64")
    return long


def study_hours(rng: np.random.Generator, n: int, minimum: float, below_rate: float):
    """Study hours: most above the requirement, a few below, two missing."""
    h = minimum + rng.gamma(2.0, 12.0, size=n)
    below = rng.random(n) < below_rate
    h[below] = rng.uniform(0.3 * minimum, minimum - 1, size=below.sum())
    h = np.round(h * 2) / 2  # half hours
    missing = rng.choice(n, size=2, replace=False)
    h[missing] = np.nan
    return h


def make_candidates(
    rng: np.random.Generator,
    prefix: str,
    periods: dict[str, int],
    *,
    min_hours: float,
    retake_rate: float,
    n_employers: int,
) -> pd.DataFrame:
    """One row per application; some candidates retake in a later period."""
    regions = ["North", "Northeast", "East", "Central", "South", "West"]
    rows = []
    next_cand = 1
    seen: list[str] = []
    for p_idx, (period, n) in enumerate(periods.items()):
        short = period[2:]  # "25H1"
        n_retake = int(round(retake_rate * n)) if p_idx > 0 else 0
        retakers = list(rng.choice(seen, size=n_retake, replace=False)) if n_retake else []
        cands = retakers + [f"C{prefix}{next_cand + i:05d}" for i in range(n - n_retake)]
        next_cand += n - n_retake
        seen.extend(c for c in cands if c not in set(retakers))
        for i, c in enumerate(cands):
            rows.append(
                {
                    "candidate_id": c,
                    "application_id": f"{prefix}{short}-{i + 1:04d}",
                    "period": period,
                }
            )
    cand = pd.DataFrame(rows)
    cand["study_hours"] = study_hours(rng, len(cand), min_hours, below_rate=0.015)
    cand["region"] = rng.choice(regions, size=len(cand), p=[0.12, 0.1, 0.3, 0.18, 0.2, 0.1])
    cand["employer"] = [f"E{int(e):03d}" for e in rng.integers(1, n_employers + 1, len(cand))]
    return cand


def sitting_dates(rng: np.random.Generator, period: str, n: int, dates: dict[str, list[str]]):
    return rng.choice(dates[period], size=n)


SITTINGS = {
    "2025H1": ["2025-04-19", "2025-05-17", "2025-06-14"],
    "2025H2": ["2025-09-20", "2025-10-25", "2025-11-22"],
}


def angoff_panel(
    rng: np.random.Generator,
    truth: pd.DataFrame,
    theta_cut: float,
    n_panelists: int,
) -> pd.DataFrame:
    """Modified Angoff ratings, 2 rounds: expected score of a borderline candidate.

    Round 1 has a panelist bias and item noise; round 2 (after discussion and
    impact data) halves both.
    """
    expected = np.array([expected_score(theta_cut, r) for _, r in truth.iterrows()])
    max_score = truth["max_score"].to_numpy(dtype=float)
    bias = rng.normal(0, 0.06, n_panelists)
    rows = []
    for rnd, shrink in ((1, 1.0), (2, 0.5)):
        for p in range(n_panelists):
            noise = rng.normal(0, 0.10 * shrink, len(truth))
            r = expected / max_score + shrink * bias[p] + noise
            r = np.clip(r, 0.05, 0.98) * max_score
            for item, val in zip(truth["item_id"], r, strict=True):
                rows.append(
                    {
                        "panelist": f"P{p + 1:02d}",
                        "round": rnd,
                        "item_id": item,
                        "rating": round(float(val), 2),
                    }
                )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------- plants
# Every plant draws from its own stream ``default_rng([SEED, k, j])`` (k = the
# discipline, j = the plant), never from the discipline's main stream, so what
# is not planted keeps exactly the values it had before the plants existed.
PLANT_SITTINGS, PLANT_DIF, PLANT_DOMAINS, PLANT_INTEGRITY = 1, 2, 3, 4


def plant_rng(k: int, j: int) -> np.random.Generator:
    """The separate random stream of plant ``j`` in discipline ``k``."""
    return np.random.default_rng([SEED, k, j])


def add_sittings(
    rng: np.random.Generator,
    cand: pd.DataFrame,
    *,
    centres: dict[str, str] | None = None,
    per_site_day: int = 130,
    max_session: int = 70,
) -> pd.DataFrame:
    """``site``, ``session`` and ``gender`` columns of the candidate register.

    Sites: ``centres`` maps region -> one site; otherwise each region has
    ``max(1, round(n_per_day / per_site_day))`` sites (``<Region>-<n>``) and a
    candidate sits at a random site of the own region.  A sitting is a site
    and session within a period: the candidates of one site and exam day are
    split at random into ``ceil(n / max_session)`` sessions, numbered by day
    within the period and site (``2025H1-S03``).  Gender ``F``/``M``: a random
    half of the candidates each (a candidate who retakes keeps it).
    """
    cand = cand.copy()
    site = np.empty(len(cand), dtype=object)
    for (period, region), idx in cand.groupby(["period", "region"], sort=True).indices.items():
        if centres is not None:
            site[idx] = centres[region]
            continue
        n_days = cand.loc[cand["period"] == period, "administered_on"].nunique()
        n_sites = max(1, round(len(idx) / n_days / per_site_day))
        site[idx] = [f"{region}-{int(k) + 1}" for k in rng.integers(0, n_sites, len(idx))]
    cand["site"] = site
    session = np.empty(len(cand), dtype=object)
    for (period, _s), idx in cand.groupby(["period", "site"], sort=True).indices.items():
        number = 0
        days = cand["administered_on"].to_numpy()[idx]
        for day in sorted(set(days)):
            rows = idx[days == day]
            k = max(1, int(np.ceil(len(rows) / max_session)))
            for part in np.array_split(rng.permutation(rows), k):
                number += 1
                session[np.sort(part)] = f"{period}-S{number:02d}"
    cand["session"] = session
    people = pd.unique(cand["candidate_id"])
    female = pd.Series(rng.permutation(len(people)) % 2 == 0, index=people)
    cand["gender"] = np.where(female.loc[cand["candidate_id"]].to_numpy(), "F", "M")
    return cand


def plant_dif(
    rng: np.random.Generator,
    truth: pd.DataFrame,
    eligible: np.ndarray,
    *,
    n_uniform: int = 3,
    b_shift: float = 0.6,
    a_factor: float = 0.4,
) -> pd.DataFrame:
    """Planted DIF against women (focal ``F``) on dichotomous items.

    ``n_uniform`` items: b + ``b_shift`` for the focal group (uniform DIF,
    harder for women at every theta); one item: a x ``a_factor`` for the focal
    group, b unchanged (nonuniform DIF: the curves cross at b).  Items are
    drawn from ``eligible`` (rows of ``truth``: dichotomous, not anchors,
    |b| < 1.5).  Returns a frame indexed by item_id with ``b_shift``,
    ``a_factor`` and the truth columns ``grouping, focal, kind, effect``
    (uniform: b_focal - b_reference; nonuniform: a_focal - a_reference).
    """
    pool = np.flatnonzero(eligible)
    pick = rng.choice(pool, size=n_uniform + 1, replace=False)
    ids = truth["item_id"].to_numpy()[pick]
    a_ref = truth["a"].to_numpy(dtype=float)[pick[-1]]
    kinds = ["uniform"] * n_uniform + ["nonuniform"]
    return pd.DataFrame(
        {
            "item_id": ids,
            "grouping": "gender",
            "focal": "F",
            "kind": kinds,
            "effect": [b_shift] * n_uniform + [round(a_ref * a_factor - a_ref, 4)],
            "b_shift": [b_shift] * n_uniform + [0.0],
            "a_factor": [1.0] * n_uniform + [a_factor],
        }
    ).set_index("item_id")


def write_dif_truth(dif: pd.DataFrame, out: Path) -> None:
    cols = ["item_id", "grouping", "focal", "kind", "effect"]
    write_csv(dif.reset_index()[cols], out / "true_dif.csv")


def plant_domains(
    rng: np.random.Generator,
    cand: pd.DataFrame,
    theta: np.ndarray,
    domains: list[str],
    *,
    rate: float = 0.10,
    low: float = -2.5,
    high: float = -1.5,
) -> pd.DataFrame:
    """Planted domain weaknesses: a share ``rate`` of applications get one domain
    (at random) at theta + delta, delta ~ U(low, high); every other domain is at
    theta.  Long frame ``application_id, domain, theta, planted`` (one row per
    application and domain, the domain theta the responses were drawn with).
    """
    n = len(cand)
    weak = rng.random(n) < rate
    which = rng.integers(0, len(domains), n)
    delta = rng.uniform(low, high, n)
    dom_theta = np.repeat(theta[:, None], len(domains), axis=1)
    planted = np.zeros((n, len(domains)), dtype=int)
    rows = np.flatnonzero(weak)
    dom_theta[rows, which[rows]] += delta[rows]
    planted[rows, which[rows]] = 1
    return pd.DataFrame(
        {
            "application_id": np.repeat(cand["application_id"].to_numpy(), len(domains)),
            "domain": np.tile(domains, n),
            "theta": np.round(dom_theta.ravel(), 4),
            "planted": planted.ravel(),
            "_shift": (dom_theta - theta[:, None]).ravel(),
        }
    )


def domain_shift(plant: pd.DataFrame, apps: np.ndarray, item_domains: np.ndarray) -> np.ndarray:
    """Persons x items theta shifts of ``apps`` on items of the given domains."""
    wide = plant.pivot(index="application_id", columns="domain", values="_shift")
    return wide.loc[apps, item_domains].to_numpy()


def plant_integrity(
    rng: np.random.Generator,
    cand: pd.DataFrame,
    form_items: dict[str, list[str]],
    *,
    copy_rate: float = 0.015,
    aberrant_rate: float = 0.01,
) -> pd.DataFrame:
    """Planted copiers and aberrant responders.

    Copiers (share ``copy_rate``): a source drawn from the same sitting
    (period, site, session) and the same form, neither copier nor aberrant
    itself; the copier takes the source's final record (score, empty score or
    absent row) on a random share ~ U(0.3, 0.7) of the form's items.  Aberrant
    responders (share ``aberrant_rate``), half each: ``guessing`` (random
    answers on the second half of the form) and ``preknowledge`` (correct on
    a random 40 % of the form's hard dichotomous items, those with b above the
    form's median).  Returns ``application_id, kind, source_application_id,
    share, n_items_copied, pattern, items`` (``items``: ';'-joined item ids).
    """
    n = len(cand)
    role = rng.random(n)
    copier = role < copy_rate
    aberrant = (role >= copy_rate) & (role < copy_rate + aberrant_rate)
    busy = copier | aberrant
    rows = []
    sitting = cand[["period", "site", "session", "form"]].astype(str).agg("|".join, axis=1)
    for i in np.flatnonzero(copier | aberrant):
        app = cand["application_id"].iat[i]
        items = form_items[cand["form"].iat[i]]
        if copier[i]:
            mates = np.flatnonzero((sitting == sitting.iat[i]).to_numpy() & ~busy)
            if mates.size == 0:
                continue
            src = int(rng.choice(mates))
            share = float(rng.uniform(0.3, 0.7))
            k = int(round(share * len(items)))
            chosen = sorted(rng.choice(len(items), size=k, replace=False))
            rows.append(
                {
                    "application_id": app,
                    "kind": "copier",
                    "source_application_id": cand["application_id"].iat[src],
                    "share": round(share, 4),
                    "n_items_copied": k,
                    "pattern": "copying",
                    "items": ";".join(items[c] for c in chosen),
                }
            )
        else:
            pattern = "guessing" if rng.random() < 0.5 else "preknowledge"
            rows.append(
                {
                    "application_id": app,
                    "kind": "aberrant",
                    "source_application_id": "",
                    "share": np.nan,
                    "n_items_copied": np.nan,
                    "pattern": pattern,
                    "items": "",
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "application_id",
            "kind",
            "source_application_id",
            "share",
            "n_items_copied",
            "pattern",
            "items",
        ],
    )


def apply_aberrance(
    rng: np.random.Generator,
    sc: np.ndarray,
    apps: np.ndarray,
    order: list[str],
    by_id: pd.DataFrame,
    integrity: pd.DataFrame,
) -> pd.DataFrame:
    """Overwrite the scores of the aberrant responders among ``apps`` in place.

    Guessing: every item of the second half of the form is answered at random
    (a 0/1 item correct with probability 1/4, a polytomous item 0 or 1 with
    equal probability).  Pre-knowledge: a random 40 % of the form's
    dichotomous items with b above the form's median b are answered correctly.
    Fills ``share`` (share of the form's items affected) in ``integrity``.
    """
    integrity = integrity.copy()
    pos = {a: r for r, a in enumerate(apps)}
    max_score = by_id.loc[order, "max_score"].to_numpy()
    b = by_id.loc[order, "b"].to_numpy(dtype=float)
    dich = max_score == 1
    hard = np.flatnonzero(dich & (b > np.median(b[dich])))
    for r in integrity.index[integrity["kind"] == "aberrant"]:
        app = integrity.at[r, "application_id"]
        if app not in pos:
            continue
        i = pos[app]
        if integrity.at[r, "pattern"] == "guessing":
            cols = np.arange(len(order) // 2, len(order))
            guess = np.where(
                max_score[cols] == 1,
                rng.random(cols.size) < 0.25,
                rng.integers(0, 2, cols.size),
            )
            sc[i, cols] = guess.astype(int)
        else:
            cols = np.sort(rng.choice(hard, size=int(round(0.4 * hard.size)), replace=False))
            sc[i, cols] = 1
        integrity.at[r, "share"] = round(cols.size / len(order), 4)
        integrity.at[r, "items"] = ";".join(order[c] for c in cols)
    return integrity


def copies_for(apps: np.ndarray, order: list[str], integrity: pd.DataFrame):
    """(copier row, source row, item columns) of the copiers among ``apps``."""
    pos = {a: r for r, a in enumerate(apps)}
    col = {it: c for c, it in enumerate(order)}
    out = []
    for _, row in integrity[integrity["kind"] == "copier"].iterrows():
        if row["application_id"] in pos:
            cols = np.array([col[it] for it in row["items"].split(";")], dtype=int)
            out.append((pos[row["application_id"]], pos[row["source_application_id"]], cols))
    return out


CANDIDATE_COLUMNS = [
    "candidate_id",
    "application_id",
    "period",
    "study_hours",
    "region",
    "employer",
    "site",
    "session",
    "gender",
]


# -------------------------------------------------------------- disciplines
def qms_auditor(rng: np.random.Generator, out: Path) -> None:
    domains = {
        "principles": "QMS-101 Audit principles (ISO 19011)",
        "planning": "QMS-201 Audit programme and planning",
        "fieldwork": "QMS-301 Audit evidence and sampling",
        "reporting": "QMS-401 Findings, nonconformities and reporting",
    }
    dom_names = list(domains)
    periods = {"2025H1": 3000, "2025H2": 3000}
    forms = {"2025H1": ["A", "B"], "2025H2": ["C", "D"]}
    all_forms = [f for fs in forms.values() for f in fs]
    n_anchor, n_unique = 10, 30

    # item bank: 10 anchors on every form + 30 unique items per form
    ids, form_of, anchor = [], [], []
    for k in range(n_anchor):
        ids.append(f"Q{k + 1:03d}")
        form_of.append(";".join(all_forms))
        anchor.append(1)
    for f_idx, f in enumerate(all_forms):
        for k in range(n_unique):
            ids.append(f"Q{n_anchor + f_idx * n_unique + k + 1:03d}")
            form_of.append(f)
            anchor.append(0)
    n_items = len(ids)
    a = np.clip(rng.lognormal(np.log(1.1), 0.25, n_items), 0.45, 2.3)
    b = np.clip(rng.normal(-0.2, 0.9, n_items), -2.6, 2.6)
    dom = np.array([dom_names[k % 4] for k in range(n_items)])
    rng.shuffle(dom)
    truth = pd.DataFrame(
        {
            "item_id": ids,
            "model": "2PL",
            "max_score": 1,
            "a": np.round(a, 4),
            "b": np.round(b, 4),
            "c": np.nan,
        }
    )
    items = pd.DataFrame(
        {
            "item_id": ids,
            "domain": dom,
            "max_score": 1,
            "anchor": anchor,
            "forms": form_of,
            "model": "2PL",
            "training_module": [domains[d] for d in dom],
        }
    )
    # form layout: anchors at positions 4, 8, ..., 40; unique items in between
    layout = []
    for f in all_forms:
        uniq = [i for i, fo in zip(ids, form_of, strict=True) if fo == f]
        order, ua, aa = [], iter(uniq), iter(ids[:n_anchor])
        for pos in range(1, 41):
            order.append(next(aa) if pos % 4 == 0 else next(ua))
        period = next(p for p, fs in forms.items() if f in fs)
        layout += [
            {"form": f, "period": period, "position": pos + 1, "item_id": it}
            for pos, it in enumerate(order)
        ]
    layout = pd.DataFrame(layout)

    cand = make_candidates(rng, "QMS", periods, min_hours=40, retake_rate=0.05, n_employers=140)
    pop = {"2025H1": (0.0, 1.0), "2025H2": (0.2, 1.0)}
    theta = np.empty(len(cand))
    first_theta: dict[str, float] = {}
    for i, (c, p) in enumerate(zip(cand["candidate_id"], cand["period"], strict=True)):
        mu, sd = pop[p]
        if c in first_theta:  # retaker: previous ability plus some growth
            theta[i] = first_theta[c] + rng.normal(0.3, 0.2)
        else:
            theta[i] = rng.normal(mu, sd)
            first_theta[c] = theta[i]
    # spiralled forms within each period (random groups)
    cand["form"] = ""
    for p, fs in forms.items():
        m = (cand["period"] == p).to_numpy()
        cand.loc[m, "form"] = [fs[k % len(fs)] for k in range(m.sum())]
    cand["administered_on"] = ""
    for p in periods:
        m = (cand["period"] == p).to_numpy()
        cand.loc[m, "administered_on"] = sitting_dates(rng, p, m.sum(), SITTINGS)

    # plants (separate streams): sittings and gender, DIF, domain weaknesses, integrity
    cand = add_sittings(plant_rng(1, PLANT_SITTINGS), cand)
    dif = plant_dif(
        plant_rng(1, PLANT_DIF),
        truth,
        (np.asarray(anchor) == 0) & (truth["b"].abs() < 1.5).to_numpy(),
    )
    dom_plant = plant_domains(plant_rng(1, PLANT_DOMAINS), cand, theta, dom_names)
    form_items = {f: layout.loc[layout["form"] == f, "item_id"].tolist() for f in all_forms}
    integ_rng = plant_rng(1, PLANT_INTEGRITY)
    integrity = plant_integrity(integ_rng, cand, form_items)
    item_domain = items.set_index("item_id")["domain"]

    by_id = truth.set_index("item_id")
    for p in periods:
        parts = []
        for f in forms[p]:
            m = ((cand["period"] == p) & (cand["form"] == f)).to_numpy()
            order = layout.loc[layout["form"] == f, "item_id"].tolist()
            apps = cand["application_id"].to_numpy()[m]
            sc = simulate_responses(
                rng,
                theta[m],
                by_id.loc[order].reset_index(),
                shift=domain_shift(dom_plant, apps, item_domain.loc[order].to_numpy()),
                focal=(cand["gender"] == "F").to_numpy()[m],
                dif=dif,
            )
            integrity = apply_aberrance(integ_rng, sc, apps, order, by_id, integrity)
            parts.append(
                to_long_with_mess(
                    rng,
                    sc,
                    cand.loc[m].reset_index(drop=True),
                    order,
                    not_reached_rate=0.03,
                    omit_rate=0.002,
                    copies=copies_for(apps, order, integrity),
                )
            )
        long = pd.concat(parts, ignore_index=True)
        out.mkdir(parents=True, exist_ok=True)
        long.to_parquet(out / f"responses_{p}.parquet", index=False)

    write_csv(items, out / "items.csv")
    write_csv(layout, out / "forms.csv")
    write_csv(cand[CANDIDATE_COLUMNS], out / "candidates.csv")
    write_csv(truth, out / "true_items.csv")
    write_csv(
        pd.DataFrame(
            {
                "application_id": cand["application_id"],
                "candidate_id": cand["candidate_id"],
                "period": cand["period"],
                "form": cand["form"],
                "theta": np.round(theta, 4),
            }
        ),
        out / "true_theta.csv",
    )
    write_csv(
        pd.DataFrame({"period": list(pop), "mean": [v[0] for v in pop.values()], "sd": [1.0, 1.0]}),
        out / "true_population.csv",
    )
    write_dif_truth(dif, out)
    write_csv(dom_plant.drop(columns="_shift"), out / "true_domain_theta.csv")
    write_csv(integrity, out / "true_integrity.csv")
    cuts = {"pass": -0.25, "good": 0.7, "excellent": 1.5}
    write_csv(
        pd.DataFrame(
            {
                "cut": list(cuts),
                "theta": list(cuts.values()),
                "used_for": [
                    "Angoff and bookmark ratings",
                    "bookmark ratings",
                    "bookmark ratings (rules use normative P90)",
                ],
            }
        ),
        out / "true_cuts.csv",
    )

    # panel: Angoff on base form A; bookmark on an ordered item booklet of form A
    form_a = layout.loc[layout["form"] == "A", "item_id"].tolist()
    ta = by_id.loc[form_a].reset_index()
    write_csv(angoff_panel(rng, ta, cuts["pass"], 10), out / "angoff.csv")
    loc = np.array([rp_location(r) for _, r in ta.iterrows()])
    order = np.argsort(loc, kind="stable")
    booklet = pd.DataFrame(
        {
            "page": np.arange(1, len(order) + 1),
            "item_id": ta["item_id"].to_numpy()[order],
            "form": "A",
        }
    )
    write_csv(booklet, out / "bookmark_booklet.csv")
    sorted_loc = loc[order]
    rows = []
    bias = {c: rng.normal(0, 0.2, 10) for c in cuts}
    for rnd, shrink in ((1, 1.0), (2, 0.5)):
        for p in range(10):
            for cut, th in cuts.items():
                perceived = th + shrink * bias[cut][p] + rng.normal(0, 0.2 * shrink)
                # first page a borderline candidate does NOT master at RP
                page = int(np.searchsorted(sorted_loc, perceived, side="right")) + 1
                page = int(np.clip(page, 2, len(order)))
                rows.append({"panelist": f"P{p + 1:02d}", "round": rnd, "cut": cut, "page": page})
    write_csv(pd.DataFrame(rows), out / "bookmark.csv")

    # compromise methods (pass/fail): Hofstee and Beuk, percent-correct metric
    n = 10
    k_min = np.round(rng.normal(52, 4, n))
    k_max = k_min + np.round(rng.uniform(8, 16, n))
    f_min = np.round(rng.uniform(5, 15, n))
    f_max = f_min + np.round(rng.uniform(15, 30, n))
    write_csv(
        pd.DataFrame(
            {
                "panelist": [f"P{p + 1:02d}" for p in range(n)],
                "k_min": k_min,
                "k_max": k_max,
                "f_min": f_min,
                "f_max": f_max,
            }
        ),
        out / "hofstee.csv",
    )
    write_csv(
        pd.DataFrame(
            {
                "panelist": [f"P{p + 1:02d}" for p in range(n)],
                "cut": np.round(rng.normal(58, 4, n)),
                "pass_rate": np.round(rng.normal(70, 6, n)),
            }
        ),
        out / "beuk.csv",
    )

    rules = """\
        # Verification rules of the QMS auditor discipline (Art. 10 of the measures).
        discipline: qms-auditor
        title: Quality management system auditor
        model: 2PL                  # every item dichotomous multiple choice
        periods: [2025H1, 2025H2]
        base_period: 2025H1         # the base calibration fixes the theta scale
        forms:
          2025H1: [A, B]
          2025H2: [C, D]
        files:                      # optional; default: responses*.csv / *.parquet
          responses: [responses_2025H1.parquet, responses_2025H2.parquet]
        scale:
          # standard score = pass_score + scale * (theta - theta_pass), clipped
          standard_score: {pass_score: 60, scale: 10, min: 0, max: 100, rounding: half_up}
        grades:
          pass: {method: angoff, round: 2}
          good: {method: bookmark, rp: 0.67, round: 2}
          excellent: {method: normative, percentile: 90}
        eligibility: {min_study_hours: 40}
        anchors:
          policy: common_items      # the anchor = items.csv rows with anchor = 1
          linking: stocking-lord
          drift: {statistic: robust_z, threshold: 2.7}
        missing: {not_reached: ignore, omitted: ignore}
        """
    (out / "rules.yml").write_text(textwrap.dedent(rules))


def food_safety_inspector(rng: np.random.Generator, out: Path) -> None:
    domains = {
        "hazards": "FSI-110 Biological, chemical and physical hazards",
        "haccp": "FSI-210 HACCP plans and verification",
        "hygiene": "FSI-310 Premises, personnel and operational hygiene",
        "law": "FSI-410 Food law and enforcement procedure",
    }
    dom_names = list(domains)
    periods = {"2025H1": 2000, "2025H2": 2000}
    forms = {"2025H1": "F1", "2025H2": "F2"}
    # per form: 10 anchors (8 MC + 2 CR) + 20 unique (16 MC + 4 CR) = 30 items
    spec = [("anchor", "F1;F2", 8, 2), ("F1", "F1", 16, 4), ("F2", "F2", 16, 4)]
    rows = []
    k = 0
    for kind, fo, n_mc, n_cr in spec:
        for j in range(n_mc + n_cr):
            k += 1
            cr = j >= n_mc
            rows.append(
                {
                    "item_id": f"FS{k:03d}",
                    "anchor": int(kind == "anchor"),
                    "forms": fo,
                    "model": "GRM" if cr else "2PL",
                    "max_score": 3 if cr else 1,
                }
            )
    items = pd.DataFrame(rows)
    n_items = len(items)
    dom = np.array([dom_names[j % 4] for j in range(n_items)])
    rng.shuffle(dom)
    items["domain"] = dom
    items["training_module"] = [domains[d] for d in dom]
    items = items[["item_id", "domain", "max_score", "anchor", "forms", "model", "training_module"]]

    a = np.clip(rng.lognormal(np.log(1.2), 0.25, n_items), 0.5, 2.5)
    b = np.clip(rng.normal(-0.4, 0.9, n_items), -2.6, 2.4)
    truth = pd.DataFrame(
        {"item_id": items["item_id"], "model": items["model"], "max_score": items["max_score"]}
    )
    truth["a"] = np.round(a, 4)
    truth["b"] = np.where(items["model"] == "2PL", np.round(b, 4), np.nan)
    truth["c"] = np.nan
    for kk in (1, 2, 3):
        truth[f"b{kk}"] = np.nan
    cr = (items["model"] == "GRM").to_numpy()
    for j in np.flatnonzero(cr):
        centre = rng.normal(0.0, 0.6)
        steps = np.sort(centre + np.array([-1.2, 0.0, 1.2]) + rng.normal(0, 0.2, 3))
        truth.loc[j, ["b1", "b2", "b3"]] = np.round(steps, 4)

    cand = make_candidates(rng, "FSI", periods, min_hours=32, retake_rate=0.04, n_employers=90)
    pop = {"2025H1": (0.0, 1.0), "2025H2": (0.15, 1.0)}
    theta = np.array([rng.normal(*pop[p]) for p in cand["period"]])
    cand["form"] = cand["period"].map(forms)
    cand["administered_on"] = ""
    for p in periods:
        m = (cand["period"] == p).to_numpy()
        cand.loc[m, "administered_on"] = sitting_dates(rng, p, m.sum(), SITTINGS)

    # plants (separate streams): sittings and gender, DIF, domain weaknesses, integrity
    cand = add_sittings(plant_rng(2, PLANT_SITTINGS), cand)
    dif = plant_dif(
        plant_rng(2, PLANT_DIF),
        truth,
        ((items["anchor"] == 0) & (items["model"] == "2PL") & (truth["b"].abs() < 1.5)).to_numpy(),
    )
    dom_plant = plant_domains(plant_rng(2, PLANT_DOMAINS), cand, theta, dom_names)
    on = {
        f: items.loc[items["forms"].str.split(";").map(lambda s, f=f: f in s)]
        for f in forms.values()
    }
    form_items = {
        f: on[f].loc[on[f]["model"] == "2PL", "item_id"].tolist()
        + on[f].loc[on[f]["model"] == "GRM", "item_id"].tolist()
        for f in forms.values()
    }
    integ_rng = plant_rng(2, PLANT_INTEGRITY)
    integrity = plant_integrity(integ_rng, cand, form_items)
    item_domain = items.set_index("item_id")["domain"]

    by_id = truth.set_index("item_id")
    layout = []
    parts = []
    for p, f in forms.items():
        on_form = items.loc[items["forms"].str.split(";").map(lambda s, f=f: f in s), "item_id"]
        mc = [i for i in on_form if by_id.loc[i, "model"] == "2PL"]
        crs = [i for i in on_form if by_id.loc[i, "model"] == "GRM"]
        order = mc + crs  # multiple-choice section first, constructed response last
        layout += [
            {"form": f, "period": p, "position": q + 1, "item_id": it} for q, it in enumerate(order)
        ]
        m = (cand["period"] == p).to_numpy()
        apps = cand["application_id"].to_numpy()[m]
        sc = simulate_responses(
            rng,
            theta[m],
            by_id.loc[order].reset_index(),
            shift=domain_shift(dom_plant, apps, item_domain.loc[order].to_numpy()),
            focal=(cand["gender"] == "F").to_numpy()[m],
            dif=dif,
        )
        integrity = apply_aberrance(integ_rng, sc, apps, order, by_id, integrity)
        parts.append(
            to_long_with_mess(
                rng,
                sc,
                cand.loc[m].reset_index(drop=True),
                order,
                not_reached_rate=0.04,
                omit_rate=0.004,
                copies=copies_for(apps, order, integrity),
            )
        )
    out.mkdir(parents=True, exist_ok=True)
    pd.concat(parts, ignore_index=True).to_parquet(out / "responses.parquet", index=False)
    layout = pd.DataFrame(layout)

    write_csv(items, out / "items.csv")
    write_csv(layout, out / "forms.csv")
    write_csv(cand[CANDIDATE_COLUMNS], out / "candidates.csv")
    write_csv(truth, out / "true_items.csv")
    write_csv(
        pd.DataFrame(
            {
                "application_id": cand["application_id"],
                "candidate_id": cand["candidate_id"],
                "period": cand["period"],
                "form": cand["form"],
                "theta": np.round(theta, 4),
            }
        ),
        out / "true_theta.csv",
    )
    write_csv(
        pd.DataFrame({"period": list(pop), "mean": [v[0] for v in pop.values()], "sd": [1.0, 1.0]}),
        out / "true_population.csv",
    )
    write_dif_truth(dif, out)
    write_csv(dom_plant.drop(columns="_shift"), out / "true_domain_theta.csv")
    write_csv(integrity, out / "true_integrity.csv")
    cuts = {"pass": -0.4, "good": 0.6}
    write_csv(
        pd.DataFrame(
            {
                "cut": list(cuts),
                "theta": list(cuts.values()),
                "used_for": ["Angoff ratings", "examiners' global ratings"],
            }
        ),
        out / "true_cuts.csv",
    )
    form1 = layout.loc[layout["form"] == "F1", "item_id"].tolist()
    write_csv(
        angoff_panel(rng, by_id.loc[form1].reset_index(), cuts["pass"], 10), out / "angoff.csv"
    )

    # examiners' global ratings of base-period candidates (for borderline methods):
    # 1 clear fail, 2 borderline pass, 3 clear pass, 4 borderline good, 5 clear good, 6 excellent
    m = (cand["period"] == "2025H1").to_numpy()
    idx = np.sort(rng.choice(np.flatnonzero(m), size=600, replace=False))
    perceived = theta[idx] + rng.normal(0, 0.35, idx.size)
    edges = [cuts["pass"] - 0.3, cuts["pass"] + 0.3, cuts["good"] - 0.3, cuts["good"] + 0.3, 1.8]
    rating = 1 + np.searchsorted(edges, perceived)
    write_csv(
        pd.DataFrame(
            {
                "application_id": cand["application_id"].to_numpy()[idx],
                "rater": [f"X{int(r):02d}" for r in rng.integers(1, 9, idx.size)],
                "rating": rating,
            }
        ),
        out / "global_ratings.csv",
    )

    rules = """\
        # Verification rules of the food safety inspector discipline (Art. 10).
        discipline: food-safety-inspector
        title: Food safety inspector
        model: mixed                # per-item model from items.csv: 2PL (0/1), GRM (0..3)
        periods: [2025H1, 2025H2]
        base_period: 2025H1
        forms:
          2025H1: [F1]
          2025H2: [F2]
        scale:
          standard_score: {pass_score: 60, scale: 12, min: 0, max: 100, rounding: half_up}
        grades:
          pass: {method: angoff, round: 2}
          good:
            method: borderline_regression
            rating: 4               # predicted score at "borderline good"
            labels: {1: clear fail, 2: borderline pass, 3: clear pass,
                     4: borderline good, 5: clear good, 6: excellent}
          excellent: {method: normative, percentile: 90}
        eligibility: {min_study_hours: 32}
        anchors:
          policy: common_items
          linking: stocking-lord
          drift: {statistic: robust_z, threshold: 2.7}
        missing: {not_reached: ignore, omitted: ignore}
        """
    (out / "rules.yml").write_text(textwrap.dedent(rules))


def lab_assessor(rng: np.random.Generator, out: Path) -> None:
    domains = {
        "metrology": "LAB-110 Measurement uncertainty and traceability",
        "quality_control": "LAB-210 Internal quality control and PT",
        "iso17025": "LAB-310 ISO/IEC 17025 requirements",
    }
    dom_names = list(domains)
    period = "2025H2"
    n_persons, n_items = 96, 18
    ids = [f"LK{k + 1:02d}" for k in range(n_items)]
    dom = [dom_names[k % 3] for k in range(n_items)]
    items = pd.DataFrame(
        {
            "item_id": ids,
            "domain": dom,
            "max_score": 1,
            "anchor": 0,
            "forms": "K1",
            "model": "Rasch",
            "training_module": [domains[d] for d in dom],
        }
    )
    b = np.round(np.clip(rng.normal(-0.5, 1.0, n_items), -2.5, 2.0), 4)
    truth = pd.DataFrame(
        {"item_id": ids, "model": "Rasch", "max_score": 1, "a": 1.0, "b": b, "c": np.nan}
    )
    cand = make_candidates(
        rng, "LAB", {period: n_persons}, min_hours=24, retake_rate=0.0, n_employers=40
    )
    cand["form"] = "K1"
    cand["administered_on"] = "2025-10-11"
    theta = rng.normal(0.3, 1.0, n_persons)
    # plants (separate streams): two national centres, gender, DIF
    north = {r: "Centre-North" for r in ("North", "Northeast", "Central", "West")}
    cand = add_sittings(
        plant_rng(3, PLANT_SITTINGS),
        cand,
        centres={**north, "East": "Centre-South", "South": "Centre-South"},
    )
    dif = plant_dif(plant_rng(3, PLANT_DIF), truth, (truth["b"].abs() < 1.5).to_numpy())
    sc = simulate_responses(rng, theta, truth, focal=(cand["gender"] == "F").to_numpy(), dif=dif)
    long = to_long_with_mess(rng, sc, cand, ids, not_reached_rate=0.03, omit_rate=0.0)
    write_csv(long, out / "responses.csv")
    write_csv(items, out / "items.csv")
    write_csv(
        pd.DataFrame(
            {"form": "K1", "period": period, "position": np.arange(1, n_items + 1), "item_id": ids}
        ),
        out / "forms.csv",
    )
    write_csv(cand[CANDIDATE_COLUMNS], out / "candidates.csv")
    write_csv(truth, out / "true_items.csv")
    write_csv(
        pd.DataFrame(
            {
                "application_id": cand["application_id"],
                "candidate_id": cand["candidate_id"],
                "period": period,
                "form": "K1",
                "theta": np.round(theta, 4),
            }
        ),
        out / "true_theta.csv",
    )
    write_csv(
        pd.DataFrame({"period": [period], "mean": [0.3], "sd": [1.0]}), out / "true_population.csv"
    )
    write_csv(
        pd.DataFrame({"cut": ["pass"], "theta": [-0.6], "used_for": ["Angoff ratings"]}),
        out / "true_cuts.csv",
    )
    write_dif_truth(dif, out)
    write_csv(angoff_panel(rng, truth, -0.6, 8), out / "angoff.csv")

    # peer comparison: every assessor measures the same three PT samples
    samples = pd.DataFrame(
        {
            "sample_id": ["S1", "S2", "S3"],
            "measurand": ["lead in drinking water", "cadmium in soil", "nitrate in surface water"],
            "unit": ["ug/L", "mg/kg", "mg/L"],
            "true_value": [12.0, 0.85, 25.4],
            "sigma_pt": [1.2, 0.085, 2.54],  # 10 % of the assigned value
            "decimals": [2, 3, 1],
        }
    )
    # assessor skill: bias and repeatability in sigma_pt units, weaker exam ability
    # goes with larger spread (a weak link, as in practice)
    skill_sd = np.exp(rng.normal(np.log(0.6), 0.3, n_persons) - 0.15 * theta)
    skill_bias = rng.normal(0, 0.35, n_persons)
    rows, truth_rows = [], []
    n_out = 5
    out_who = rng.choice(n_persons, size=n_out, replace=False)
    out_what = rng.integers(0, 3, size=n_out)
    for s_idx, s in samples.iterrows():
        for i in range(n_persons):
            err = (skill_bias[i] + rng.normal(0, skill_sd[i])) * s["sigma_pt"]
            value = s["true_value"] + err
            kind = ""
            hit = np.flatnonzero((out_who == i) & (out_what == s_idx))
            if hit.size:
                kind = ["x10 (unit slip)", "x1.6 (contamination)", "x0.55 (loss)"][hit[0] % 3]
                value *= [10.0, 1.6, 0.55][hit[0] % 3]
            u = skill_sd[i] * s["sigma_pt"] * np.exp(rng.normal(0, 0.35))
            rows.append(
                {
                    "application_id": cand["application_id"].iloc[i],
                    "candidate_id": cand["candidate_id"].iloc[i],
                    "sample_id": s["sample_id"],
                    "value": round(float(value), int(s["decimals"])),
                    "u_value": round(float(u), int(s["decimals"]) + 1)
                    if rng.random() > 0.05
                    else np.nan,
                    "period": period,
                }
            )
            truth_rows.append(
                {
                    "application_id": cand["application_id"].iloc[i],
                    "sample_id": s["sample_id"],
                    "bias_sigma": round(float(skill_bias[i]), 4),
                    "sd_sigma": round(float(skill_sd[i]), 4),
                    "outlier": kind,
                }
            )
    write_csv(pd.DataFrame(rows), out / "peer_results.csv")
    write_csv(samples.drop(columns="decimals"), out / "true_samples.csv")
    write_csv(pd.DataFrame(truth_rows), out / "true_peer.csv")

    rules = """\
        # Verification rules of the laboratory assessor discipline (Art. 10).
        # Two parts: peer comparison on proficiency-test samples (ISO 13528) and
        # a short knowledge exam.  The final grade is the lower of the two.
        discipline: lab-assessor
        title: Laboratory assessor
        model: Rasch                # 18 items, ~100 persons: one common slope
        periods: [2025H2]
        base_period: 2025H2
        forms:
          2025H2: [K1]
        scale:
          standard_score: {pass_score: 60, scale: 10, min: 0, max: 100, rounding: half_up}
        grades:
          pass: {method: angoff, round: 2}
          good: {method: fixed, standard_score: 75}
          excellent: {method: fixed, standard_score: 90}
        eligibility: {min_study_hours: 24}
        anchors: {policy: none}
        missing: {not_reached: ignore, omitted: ignore}
        peer:
          method: algorithm_a       # consensus x_pt: ISO 13528:2022 C.3 robust mean
          sigma_pt: {rule: relative, value: 0.10}   # fitness for purpose: 10 % of x_pt
          aggregate: max_abs        # a person's peer result is the worst |z| over samples
          samples:
            S1: {measurand: lead in drinking water, unit: ug/L}
            S2: {measurand: cadmium in soil, unit: mg/kg}
            S3: {measurand: nitrate in surface water, unit: mg/L}
          grading:                  # as pvcal.peer.grade: |z| <= cut gives the grade
            statistic: z            # z = (x - x_pt) / sigma_pt
            one_sided: false        # false: |z| judged; "low"/"high": only that side counts
            cuts: {excellent: 1.0, good: 2.0, pass: 3.0}
        combine: lower              # final grade = lower of exam grade and peer grade
        """
    (out / "rules.yml").write_text(textwrap.dedent(rules))


README = """\
# pvcal sample disciplines

Simulated data (made by `data/make_sample.py`, seed 20250601; rerun it to
rebuild every file bit for bit). True parameters sit beside the data in
`true_*.csv` (IRT parameterisation, logistic metric, D = 1).

- `qms-auditor`: 130 dichotomous items (2PL truth); forms A, B (2025H1) and
  C, D (2025H2), 40 items a form, 10 anchors on every form; 3,000 persons a
  period; 2025H2 population mean +0.2; Angoff, bookmark, Hofstee and Beuk panels.
- `food-safety-inspector`: 40 dichotomous (2PL) + 10 constructed-response
  items scored 0-3 (GRM); forms F1 (2025H1) and F2 (2025H2), 30 items each
  with 10 anchors (8 + 2); 2,000 persons a period; 2025H2 mean +0.15; Angoff
  panel and examiners' global ratings.
- `lab-assessor`: 18-item knowledge exam (Rasch truth), 96 assessors in
  2025H2, plus peer comparison on 3 proficiency-test samples with planted outliers.

Realistic mess: 3-4 % of persons did not reach the end of their form (the tail
is either absent or present with an empty score; both mean missing), a few
random omissions (absent rows), about 1.5 % of candidates below the study-hour
requirement and two per discipline with no study hours recorded, and 4-5 % of
2025H2 candidates retaking after 2025H1 (same `candidate_id`, new
`application_id`).

## Planted effects (truth beside the data)

Each plant draws from its own random stream (`default_rng([SEED, k, j])`,
k = discipline, j = plant), so everything that is not planted is exactly as
it was before the plants existed (same item parameters, abilities, panels,
and the same score wherever no plant touches a person and item).

- **Sittings and gender** (all three disciplines): `candidates.csv` gains
  `site`, `session` and `gender`. A sitting is a site and session within a
  period: candidates sit at a site of their region (qms-auditor 8 sites,
  food-safety-inspector 7, lab-assessor two national centres); the
  candidates of one site and exam day are split at random into sessions of
  at most 70 (sittings of 36-70 candidates; session ids `2025H1-S03`,
  numbered by day within period and site). The forms of qms-auditor are
  spiralled within each sitting. `gender` is `F`/`M`, half each; a candidate
  who retakes keeps it.
- **DIF against women** (focal `F`, all three disciplines), `true_dif.csv`
  (`item_id, grouping, focal, kind, effect`): 3 dichotomous non-anchor items
  with uniform DIF (b + 0.6 for women; `effect` = b_F - b_R = 0.6) and 1 with
  nonuniform DIF (a x 0.4 for women, b unchanged, the curves cross at b;
  `effect` = a_F - a_R). Items with |b| < 1.5. The 96 lab assessors are far
  too few to detect them; they are there for the pipeline, not for power.
- **Domain weaknesses** (qms-auditor, food-safety-inspector),
  `true_domain_theta.csv` (`application_id, domain, theta, planted`; one row
  per application and domain): 10 % of the applications have one domain (at
  random) at theta + delta, delta ~ U(-2.5, -1.5); their answers to that
  domain's items are drawn at theta + delta. `theta` is the domain theta the
  answers were drawn with (= `true_theta.csv` theta where `planted` = 0).
- **Copiers and aberrant responders** (qms-auditor, food-safety-inspector),
  `true_integrity.csv` (`application_id, kind, source_application_id, share,
  n_items_copied, pattern, items`): about 1.5 % copiers (`kind` copier): the
  source sits in the same sitting and took the same form and is neither a
  copier nor aberrant; the copier has the source's final record (score,
  empty score or absent row) on a random share ~ U(0.3, 0.7) of the form's
  items (`share` drawn, `n_items_copied` = round(share x items on the form),
  `items` = the copied item ids). About 1 % aberrant responders (`kind`
  aberrant), half each `pattern` guessing (the second half of the form
  answered at random: a 0/1 item correct with probability 1/4, a 0-3 item
  scored 0 or 1) and preknowledge (correct on a random 40 % of the form's
  dichotomous items with b above the form's median b); `share` = share of
  the form's items affected, `items` = those items.

What the plants moved (estimates from the calibrated sample, against the
data without plants): qms-auditor Angoff pass cut -0.318 -> -0.265, base
pass rate 65.3 % -> 63.7 %, 2025H2 linking A 1.051 -> 1.046, B 0.152 ->
0.170 (the robust-z screen now sets anchor Q001 aside: z = -4.1 against a
small MAD of the 10 anchors' b differences, though its b moved by 0.02 only);
food-safety-inspector pass cut -0.451 -> -0.393, linking A 0.989 -> 0.981,
B 0.197 -> 0.193; lab-assessor pass cut -0.859 -> -0.774 (the DIF items only).
The cuts move up because a planted weakness makes that domain's items look
harder to the calibration while the panels rated the true items.

## Files (per discipline)

- `rules.yml`: verification rules: `discipline`, `model` (one model, or
  `mixed` = per-item `model` column of `items.csv`), `periods`, `base_period`,
  `forms` (per period), optional `files`, `scale.standard_score`
  (`pass_score + scale * (theta - theta_pass)`, clipped to `min..max`,
  rounded `half_up`), `grades` (`pass`, `good`, `excellent`, each with a
  standard-setting `method` and its options), `eligibility.min_study_hours`,
  `anchors`, `missing`; lab-assessor adds `peer` and `combine`.
- `items.csv`: `item_id, domain, max_score, anchor (0/1), forms ("A;B;C;D"),
  model (Rasch/2PL/3PL/GRM/GPCM), training_module`.
- `forms.csv`: `form, period, position, item_id`: the order of items on each form.
- responses (`responses*.parquet` or `responses.csv`), long format:
  `application_id, candidate_id, period, form, item_id, score, administered_on`;
  `score` is an integer 0..max_score or empty (= missing).
- `candidates.csv`: `candidate_id, application_id, period, study_hours, region, employer,
  site, session, gender` (one row per application; `study_hours` may be empty).
- `angoff.csv`: `panelist, round, item_id, rating`: expected score of a
  borderline (minimally competent) candidate on the item (a probability for a
  0/1 item, 0..max_score for a polytomous item); rounds 1 and 2.
- `bookmark.csv` (qms-auditor): `panelist, round, cut, page`; `page` is the
  first page (1-based) of `bookmark_booklet.csv` (`page, item_id, form`; items
  of form A ordered by their true RP67 location) that the borderline candidate
  of that cut is *not* expected to master with probability 0.67.
- `hofstee.csv` (qms-auditor): `panelist, k_min, k_max, f_min, f_max` (percent
  correct cut bounds and fail-rate bounds, in percent).
- `beuk.csv` (qms-auditor): `panelist, cut, pass_rate` (percent correct, percent).
- `global_ratings.csv` (food-safety-inspector): `application_id, rater, rating`;
  examiners' holistic rating of 600 base-period candidates, 1 = clear fail,
  2 = borderline pass, 3 = clear pass, 4 = borderline good, 5 = clear good,
  6 = excellent.
- `peer_results.csv` (lab-assessor): `application_id, candidate_id, sample_id,
  value, u_value, period`; `u_value` = reported standard uncertainty (may be empty).
- Truth: `true_items.csv` (`item_id, model, max_score, a, b, c, b1..b3`),
  `true_theta.csv` (`application_id, candidate_id, period, form, theta`),
  `true_population.csv` (`period, mean, sd`), `true_cuts.csv` (`cut, theta,
  used_for`: the theta the simulated panels aimed at); lab-assessor also
  `true_samples.csv` (assigned values, sigma_pt) and `true_peer.csv` (assessor
  bias and spread in sigma_pt units, planted outliers); the plants above add
  `true_dif.csv`, `true_domain_theta.csv` and `true_integrity.csv`.
"""


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    qms_auditor(np.random.default_rng([SEED, 1]), OUT / "qms-auditor")
    food_safety_inspector(np.random.default_rng([SEED, 2]), OUT / "food-safety-inspector")
    lab_assessor(np.random.default_rng([SEED, 3]), OUT / "lab-assessor")
    (OUT / "README.md").write_text(README)


if __name__ == "__main__":
    main()
