"""Tests of pvcal._validation: the shared input checks name the row, column and value.

The expected messages are worked out by hand from the frames below (the first
offending cell in row order, named by its index label).
"""

from __future__ import annotations

import inspect
import re

import numpy as np
import pandas as pd
import pytest

from pvcal import _validation
from pvcal._validation import DataError, check_numeric_columns


@pytest.mark.parametrize(
    ("frame", "allow_missing", "message"),
    [
        (pd.DataFrame({"x": [1.0, [1, 2], 3.0]}), True,
         r"scores, row 1, column 'x': \[1, 2\]; expected a number$"),
        (pd.DataFrame({"x": [1.0, np.array([1.0, 2.0])]}), True,
         r"scores, row 1, column 'x': array\(\[1\., 2\.\]\); expected a number$"),
        (pd.DataFrame({"x": [1.0, 2.0, "high"]}, index=["a", "b", "a"]), True,
         r"scores, row a, column 'x': 'high'; expected a number$"),
        (pd.DataFrame({"x": [1.0, 2.0, None]}, index=["a", "b", "a"]), False,
         r"scores, row a, column 'x': a missing value; expected a number \(not missing\)$"),
    ],
)  # fmt: skip
def test_a_list_cell_or_a_repeated_label_is_named_not_a_crash(frame, allow_missing, message):
    """Review of 6d0cec0: the message itself crashed with a bare 'truth value ... is
    ambiguous' ValueError: pd.isna of a list (or array) in a cell, or of the Series that
    .loc returns for a repeated index label. The cell is now read by position and the row
    named by its label (hand-checked: the first bad cell is at position 1 or 2)."""
    with pytest.raises(DataError, match=message):
        check_numeric_columns(frame, ["x"], file="scores", allow_missing=allow_missing)


def test_an_integer_beyond_float_range_and_repeated_columns_are_named():
    """Review: 10**400 in an object column made pd.to_numeric raise a bare OverflowError; a
    repeated column label made df[c] a frame. Both are now DataErrors naming the cell or the
    columns (drift's score_drift goes through the same check)."""
    with pytest.raises(DataError, match=r"row 1, column 'a': 1000.*; expected a number$"):
        check_numeric_columns(pd.DataFrame({"a": [1, 10**400]}), ["a"])
    twice = pd.concat([pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [2]})], axis=1)
    with pytest.raises(DataError, match=r"column\(s\) \['a'\] appear more than once"):
        check_numeric_columns(twice, ["a"])
    from pvcal.drift import score_drift

    with pytest.raises(DataError, match="period 'P1', position 2"):
        score_drift({"P1": [1, 2, 10**400], "P2": [1, 2, 3]})


def test_numbers_pass_with_a_repeated_label():
    """Text numbers and booleans become floats; a repeated label does not matter."""
    frame = pd.DataFrame({"x": ["1", 2, None], "y": [True, False, True]}, index=[0, 0, 1])
    out = check_numeric_columns(frame, ["x", "y"])
    np.testing.assert_array_equal(out["x"].to_numpy(), [1.0, 2.0, np.nan])
    np.testing.assert_array_equal(out["y"].to_numpy(), [1.0, 0.0, 1.0])
    assert out.index.tolist() == [0, 0, 1]


def _documented(doc: str) -> set[str]:
    """Parameter names of a numpydoc ``Parameters`` section (``a, b : type`` lines)."""
    section = doc.split("Parameters\n----------\n", 1)[1]
    section = re.split(r"\n\w+\n-+\n", section, maxsplit=1)[0]
    names = set()
    for line in section.splitlines():
        if line and not line[0].isspace():
            names.update(n.strip() for n in line.split(" : ", 1)[0].split(","))
    return names


_WITH_PARAMETERS = [
    name
    for name in _validation.__all__
    if inspect.isfunction(getattr(_validation, name))
    and "Parameters\n----------" in (inspect.getdoc(getattr(_validation, name)) or "")
]


@pytest.mark.parametrize("name", _WITH_PARAMETERS)
def test_every_parameter_of_a_documented_check_is_documented(name):
    """Project rule (numpydoc docstrings): a check with a Parameters section lists every
    parameter. Review of cc8bf53: check_id_column's ``error=`` was missing (and
    check_numeric_columns' ``error=``)."""
    doc = inspect.getdoc(getattr(_validation, name))
    assert set(inspect.signature(getattr(_validation, name)).parameters) == _documented(doc)


def test_the_documented_checks_include_the_id_and_numeric_checks():
    """The parametrized test above covers the checks this review was about."""
    assert {"check_id_column", "check_numeric_columns"} <= set(_WITH_PARAMETERS)
