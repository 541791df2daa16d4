"""Tests of pvcal.irt.patterns.encode: a block of wide scores that is not scores is a
DataError naming the file and the column (project rule, pvcal._validation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pvcal
from pvcal import DataError
from pvcal.irt.patterns import encode


def test_periods_among_the_scores_are_named_not_a_bare_numpy_error():
    """Review of cc8bf53: a column that pd.to_numeric reads as numbers but numpy cannot
    convert to floats (pandas periods: to_numeric gives their ordinals) passed
    check_numeric_columns, and encode re-raised numpy's bare TypeError. Now a DataError
    names the file, the column and its dtype, in encode and in pvcal.calibrate of a frame."""
    frame = pd.DataFrame({"Q1": [0, 1, 1], "Q2": pd.period_range("2026-01", periods=3, freq="M")})
    named = r"column 'Q2': period\[M\] values do not convert to numbers"
    with pytest.raises(DataError, match=rf"^wide\.csv, {named}.*expected integer item scores"):
        encode(frame, file="wide.csv")
    with pytest.raises(DataError, match=named):
        pvcal.calibrate(frame)


def test_scores_as_text_are_encoded():
    """Scores written as text ("1") encode as the numbers; NaN is -1 (the module's code)."""
    frame = pd.DataFrame({"Q1": ["0", "1", None], "Q2": [1.0, np.nan, 0.0]})
    np.testing.assert_array_equal(encode(frame), [[0, 1], [1, -1], [-1, 0]])


def test_overflowing_scores_and_repeated_item_columns_are_named():
    """Review of 3bcdbc2: an integer beyond float range raised a bare OverflowError (not
    caught with TypeError/ValueError); repeated item labels a bare TypeError. Both are
    DataErrors naming the cell or the columns."""
    with pytest.raises(DataError, match=r"row 0, column 'b': 1000.*; expected a number"):
        encode(pd.DataFrame({"a": [1, 0], "b": [10**400, 0]}))
    periods = pd.DataFrame({"a": pd.period_range("2020", periods=2, freq="Y")})
    twice = pd.concat([pd.DataFrame({"a": [1, 0]}), periods], axis=1)
    with pytest.raises(DataError, match=r"item column\(s\) \['a'\] appear more than once"):
        encode(twice, file="w.csv")
