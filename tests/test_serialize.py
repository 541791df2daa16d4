"""Tests for pvcal.serialize: the one JSON convention of pvcal results.

Each check is a property of the convention stated in the module docstring
(canonical sorted keys; floats written by ``repr``, which round-trips every
IEEE 754 double exactly (Python ``float.__repr__``, the shortest repr since
Python 3.1); NaN/inf as null; frames in split orientation with their dtypes).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pvcal.serialize import (
    dumps,
    frame_from_json,
    loads,
    series_from_json,
    to_jsonable,
)


def test_keys_sorted_and_numpy_scalars_plain():
    """Canonical text: the same dict built in two orders gives the same bytes."""
    a = {"b": np.float64(0.25), "a": np.int64(3), "c": np.bool_(True)}
    b = {"c": True, "a": 3, "b": 0.25}
    assert dumps(a) == dumps(b) == '{"a": 3, "b": 0.25, "c": true}'


def test_floats_round_trip_exactly():
    """repr of a double reads back as the same double (hand-picked hard cases)."""
    rng = np.random.default_rng(0)
    values = [0.1, 1 / 3, 2.0**-1074, 1.7976931348623157e308, -0.0, *rng.normal(size=200)]
    back = loads(dumps(values))
    assert [float(v).hex() for v in back] == [float(v).hex() for v in values]


def test_nan_and_inf_are_null_and_text_is_strict_json():
    """NaN, +inf, -inf, pd.NA and NaT are written as null (RFC 8259 has no NaN)."""
    text = dumps([np.nan, np.inf, -np.inf, pd.NA, pd.NaT, None])
    assert text == "[null, null, null, null, null, null]"
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard constant {c}"))


def test_containers_arrays_dates_paths():
    """Tuples, sets (sorted), arrays, dates and paths have one written form each."""
    obj = {
        1: (1, 2),
        "s": {3, 1, 2},
        "arr": np.arange(4).reshape(2, 2),
        "d": dt.date(2025, 7, 1),
        "p": Path("a") / "b.json",
    }
    assert to_jsonable(obj) == {
        "1": [1, 2],
        "s": [1, 2, 3],
        "arr": [[0, 1], [2, 3]],
        "d": "2025-07-01",
        "p": str(Path("a") / "b.json"),
    }


def test_unknown_objects_raise():
    """Nothing is silently stringified."""
    with pytest.raises(TypeError, match="object"):
        dumps({"x": object()})


def test_frame_round_trip_keeps_index_columns_and_dtypes():
    """Split orientation + dtypes restores the frame exactly (pandas testing)."""
    df = pd.DataFrame(
        {
            "model": ["2PL", "GRM", "3PL"],
            "a": [1.25, np.nan, 0.1 + 0.2],
            "n": np.array([300, 250, 10], dtype="int64"),
            "flagged": [True, False, True],
            "k": pd.array([1, None, 3], dtype="Int64"),
        },
        index=pd.Index(["Q1", "Q2", "Q3"], name="item"),
    )
    text = dumps(df)
    back = frame_from_json(loads(text))
    pd.testing.assert_frame_equal(back, df)
    assert dumps(back) == text


def test_frame_with_multiindex_and_integer_labels():
    """MultiIndex rows and integer index/columns survive the round trip."""
    mi = pd.DataFrame(
        {"v": [0.5, 1.5]},
        index=pd.MultiIndex.from_tuples([("A", 1), ("B", 2)], names=["form", "item"]),
    )
    pd.testing.assert_frame_equal(frame_from_json(loads(dumps(mi))), mi)
    ints = pd.DataFrame({0: [0.1, 0.2], 1: [0.3, 0.4]}, index=pd.Index([10, 20], name="x"))
    back = frame_from_json(loads(dumps(ints)))
    pd.testing.assert_frame_equal(back, ints, check_column_type=False)
    assert dumps(back) == dumps(ints)


def test_series_round_trip():
    """A Series keeps its name, index and dtype."""
    s = pd.Series([1.0, np.nan, 3.5], index=pd.Index(["a", "b", "c"], name="id"), name="z")
    pd.testing.assert_series_equal(series_from_json(loads(dumps(s))), s)


# --------------------------------------------------------------------------- results

ROOT = Path(__file__).resolve().parent
E3 = json.loads((ROOT / "reference" / "iso13528_e3_atrazine.json").read_text(encoding="utf-8"))


def assert_reloads(x):
    """``type(x).from_json(x.to_json())`` equals ``x`` and writes the same bytes."""
    text = x.to_json()
    back = type(x).from_json(text)
    assert back == x
    assert back.to_json() == text
    return back


def test_robust_result_round_trip_iso13528_e3():
    """Algorithm A on ISO 13528:2022 E.3 (Table E.4): x*, s* and the iterations reload."""
    from pvcal.robust import RobustResult, algorithm_a

    r = algorithm_a(E3["data"])
    back = assert_reloads(r)
    assert isinstance(back, RobustResult)
    assert back.x_star == r.x_star and back.s_star == r.s_star
    assert back.history == r.history and back.settings == dict(r.settings)
    pd.testing.assert_frame_equal(back.history_frame, r.history_frame)


def test_peer_round_round_trip_iso13528_e3():
    """A two-sample round (ISO 13528:2022 E.3 results and a second sample) reloads exactly."""
    from pvcal import peer

    rng = np.random.default_rng(7)
    df = pd.DataFrame(
        {
            "participant": [f"P{i:02d}" for i in range(34)] * 2,
            "sample": ["E3"] * 34 + ["S2"] * 34,
            "result": np.concatenate([E3["data"], np.round(rng.normal(10, 0.5, 34), 2)]),
            "u": 0.01,
        }
    )
    rnd = peer.assess(df, "result", sample_col="sample", u_col="u")
    back = assert_reloads(rnd)
    pd.testing.assert_frame_equal(back.assigned, rnd.assigned)
    pd.testing.assert_frame_equal(back.scores, rnd.scores)
    assert back.estimates["E3"] == rnd.estimates["E3"]
    assert dict(back.grading) == dict(rnd.grading)
    pd.testing.assert_frame_equal(back.grade_counts, rnd.grade_counts)
    # equality sees a changed number
    other = peer.assess(df, "result", sample_col="sample", u_col="u", sigma_pt=0.05)
    assert other != rnd


def test_calibration_round_trip_lsat7():
    """LSAT7 (Bock & Lieberman 1970) 2PL calibration, and the same rescaled (settings nest)."""
    import pvcal

    lsat7 = pd.read_csv(ROOT / "reference" / "lsat7.csv", index_col=0)
    cal = pvcal.calibrate(lsat7, model="2PL")
    back = assert_reloads(cal)
    pd.testing.assert_frame_equal(back.items, cal.items)
    lat, lat0 = pd.Series(back.latent).sort_index(), pd.Series(cal.latent).sort_index()
    pd.testing.assert_series_equal(lat, lat0)  # NaN equal to NaN
    assert back.settings == cal.settings
    assert back.history == cal.history and back.loglik == cal.loglik
    # the reloaded calibration scores exactly like the original
    pd.testing.assert_frame_equal(back.score(lsat7, "WLE"), cal.score(lsat7, "WLE"))
    assert_reloads(cal.rescale(1.2, -0.3, note={"method": "test"}))
    assert cal != cal.rescale(1.2, -0.3)


def _kb_forms():
    """Kolen & Brennan (2014) chapter 6 3PL item parameters (tests/equating/reference)."""
    df = pd.read_csv(ROOT / "equating" / "reference" / "kb_irt_common_items.csv")

    def frame(form):
        d = df[df["form"] == form]
        ids = [f"C{i}" if c else f"{form}-{i}" for i, c in zip(d["item"], d["common"], strict=True)]
        return pd.DataFrame(d[["a", "b", "c"]].to_numpy(float), index=ids, columns=["a", "b", "c"])

    return frame("Y_old"), frame("X_new")


@pytest.mark.parametrize("method", ["mean-sigma", "stocking-lord"])
def test_linking_round_trip_kolen_brennan(method):
    """K&B chapter 6 linking (plink-verified), with a screen, its inverse and a chain."""
    from pvcal.equating.linking import Linking, chain, link

    base, new = _kb_forms()
    drifted = new.copy()
    drifted.loc["C15", "b"] += 1.5
    lk = link(base, drifted, method=method, screen="robust-z", D=1.0)
    back = assert_reloads(lk)
    assert (back.A, back.B) == (lk.A, lk.B) and back.anchors == lk.anchors
    pd.testing.assert_frame_equal(back.base_anchors, lk.base_anchors)
    pd.testing.assert_frame_equal(back.screen.table, lk.screen.table)
    assert back.screen.flagged == lk.screen.flagged and "C15" in lk.screen.flagged
    assert_reloads(lk.inverse())
    ch = assert_reloads(chain([lk, link(base, new, method=method, D=1.0)]))
    assert isinstance(ch, Linking) and len(ch.components) == 2


def test_equating_round_trip_actmath_and_irt():
    """ACTmath (Kolen & Brennan 2014, ch. 2) equipercentile with bootstrap SEs, linear with
    moments, and IRT true-score equating of the K&B chapter 6 forms."""
    from pvcal.equating import irt as irt_eq
    from pvcal.equating.observed import equate

    d = pd.read_csv(ROOT / "equating" / "reference" / "actmath.csv")
    fx = pd.Series(d["xcount"].to_numpy(), index=d["scale"].to_numpy())
    fy = pd.Series(d["ycount"].to_numpy(), index=d["scale"].to_numpy())
    eq = equate(fx, fy, "equipercentile", se="bootstrap", n_boot=20, seed=1)
    back = assert_reloads(eq)
    pd.testing.assert_frame_equal(back.table, eq.table)
    pd.testing.assert_frame_equal(back.moments, eq.moments)
    np.testing.assert_array_equal(back.boot, eq.boot)
    assert back(20.5) == eq(20.5)
    lin = assert_reloads(equate(fx, fy, "linear"))
    assert lin.slope is not None and lin(10.0) == equate(fx, fy, "linear")(10.0)
    base, new = _kb_forms()
    assert_reloads(irt_eq.true_score(new, base))


def test_benchmark_index_round_trip():
    """A benchmark index with Angoff, Bookmark and normative cuts, bootstrap, groups and a
    linking record (the estimate of tests/test_index.py) reloads exactly."""
    from pvcal.index import BenchmarkIndex

    items = pd.DataFrame(
        {"a": [0.8, 1.0, 1.2, 1.5, 0.9, 1.1], "b": [-1.5, -0.8, -0.2, 0.3, 0.9, 1.4]},
        index=[f"Q{i}" for i in range(1, 7)],
    )
    rules = {  # a whole rules file, validated once by estimate (pvcal.rules.validate)
        "discipline": "demo",
        "model": "2PL",
        "periods": ["P1"],
        "base_period": "P1",
        "eligibility": {"min_study_hours": 0},
        "grades": {
            "pass": {"method": "angoff"},
            "good": {"method": "bookmark", "rp": 0.67},
            "excellent": {"method": "normative", "k": -1.2, "robust": "algorithm_a"},
        },
        "scale": {"standard_score": {"pass_score": 60, "scale": 10, "lower": 0, "upper": 100}},
    }
    rng = np.random.default_rng(1)
    th, se = rng.normal(0, 1, 200), rng.uniform(0.3, 0.5, 200)
    panel = pd.DataFrame(
        [
            (p, r, item, float(np.clip(0.5 + rng.normal(0, 0.08), 0.01, 0.99)))
            for p in range(6)
            for r in (1, 2)
            for item in items.index
        ],
        columns=["panelist", "round", "item_id", "rating"],
    )
    bookmark = pd.DataFrame({"panelist": range(6), "round": 1, "page": [4, 4, 5, 5, 4, 5]})
    index = BenchmarkIndex.estimate(
        rules,
        theta=pd.DataFrame({"theta": th, "se": se}),
        items=items,
        panel=panel,
        bookmark=bookmark,
        period="2026H1",
        n_boot=40,
        seed=5,
        groups=np.repeat(["x", "y"], 100),
        linking={"A": np.float64(1.1), "B": 0.2, "method": "stocking-lord", "base": "2025"},
    )
    back = assert_reloads(index)
    assert back.to_record() == index.to_record()
    pd.testing.assert_frame_equal(back.table, index.table)
    assert back.grade(th[:20]).tolist() == index.grade(th[:20]).tolist()
    assert json.loads(index.to_json())["methods"]["Excellent"]["params"]["robust"] == "algorithm_a"


def test_calibration_reads_version_1_records():
    """Calibrations stored before pvcal.serialize (version 1: split frames without dtypes,
    as registries already hold them) still load, with the same items and latent values."""
    import pvcal

    lsat7 = pd.read_csv(ROOT / "reference" / "lsat7.csv", index_col=0)
    cal = pvcal.calibrate(lsat7, model="2PL")
    items = cal.items
    v1 = {
        "pvcal_type": "Calibration",
        "version": 1,
        "items": {
            "columns": [str(c) for c in items.columns],
            "index": [str(i) for i in items.index],
            "data": [[to_jsonable(v) for v in row] for row in items.itertuples(index=False)],
        },
        "latent": {k: to_jsonable(v) for k, v in cal.latent.items()},
        "loglik": cal.loglik,
        "log_prior": cal.log_prior,
        "n_persons": cal.n_persons,
        "n_params": cal.n_params,
        "n_iter": cal.n_iter,
        "converged": cal.converged,
        "settings": cal.settings,
        "max_change": cal.max_change,
        "groups": None,
    }
    back = pvcal.Calibration.from_json(json.dumps(v1))
    pd.testing.assert_frame_equal(back.items, items, check_dtype=False, check_index_type=False)
    assert back.loglik == cal.loglik and back.n_params == cal.n_params
    pd.testing.assert_frame_equal(back.score(lsat7), cal.score(lsat7))
