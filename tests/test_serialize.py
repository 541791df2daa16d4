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
