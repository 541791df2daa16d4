"""Every input check and pvcal's exception classes, in one place.

Public functions call the ``check_*`` helpers at their top, before any work,
so that bad input fails early with a message that names the file, row, column
or item and what was expected (scikit-learn's ``utils/validation.py`` habit).
Never use bare ``assert`` for input checks: they vanish under ``python -O``.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "check_aware_time",
    "PvcalError",
    "DataError",
    "SchemaError",
    "RulesError",
    "ModelError",
    "ConvergenceWarning",
    "DataWarning",
    "RegistryError",
    "check_choice",
    "check_columns",
    "check_id_column",
    "check_numeric_columns",
    "check_periods",
    "check_positive",
    "check_probability",
    "check_increasing",
    "check_finite",
    "check_int_scores",
    "check_1d",
    "check_rng",
    "where",
]


class PvcalError(ValueError):
    """Base class of every pvcal input error (a ``ValueError`` subclass)."""


class DataError(PvcalError):
    """Response, item or candidate data that is malformed or inconsistent."""


class SchemaError(PvcalError):
    """A rules or parameter file that does not follow its schema."""


class RulesError(SchemaError):
    """A rules file (``rules.yml``) refused at load (:func:`pvcal.rules.load`)."""


class ModelError(PvcalError):
    """A model specification that cannot be fitted or used as asked."""


class RegistryError(PvcalError):
    """A registry operation that would break its rules (e.g. a second result)."""


class ConvergenceWarning(UserWarning):
    """An iterative estimator stopped before meeting its tolerance."""


class DataWarning(UserWarning):
    """Data accepted with a change the caller should know about (e.g. an item excluded)."""


def where(file: str | None = None, row: Any = None, column: Any = None, item: Any = None) -> str:
    """Format a location prefix such as ``"responses.csv, row 12, column 'score': "``."""
    parts = []
    if file is not None:
        parts.append(str(file))
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column {column!r}")
    if item is not None:
        parts.append(f"item {item!r}")
    return (", ".join(parts) + ": ") if parts else ""


def check_choice(name: str, value: Any, allowed: Iterable[Any], *, error=PvcalError) -> Any:
    """Check that ``value`` is one of ``allowed`` (strings compared case-insensitively)."""
    allowed = list(allowed)
    if isinstance(value, str):
        lookup = {str(a).lower(): a for a in allowed}
        if value.lower() in lookup:
            return lookup[value.lower()]
    elif value in allowed:
        return value
    raise error(f"{name}={value!r} is not one of {allowed}")


def check_columns(
    df: pd.DataFrame, required: Sequence[str], *, file: str | None = None, error=DataError
) -> None:
    """Check that ``df`` has every column of ``required``."""
    if not isinstance(df, pd.DataFrame):
        raise error(f"{where(file)}expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise error(
            f"{where(file)}missing column(s) {missing}; expected {list(required)}, "
            f"found {list(df.columns)}"
        )


def check_id_column(
    columns: Iterable[Any],
    id_column: Any,
    *,
    file: str | None = None,
    optional: bool = False,
    error=DataError,
) -> bool:
    """Check that the person-id column ``id_column`` is among ``columns``.

    Parameters
    ----------
    columns : iterable
        The columns of the data (a frame's, or a Parquet schema's names).
    id_column : str or None
        None: the data has no id column (returns False).
    file : str, optional
        File name used in messages.
    optional : bool, default False
        An absent column is allowed (returns False): a default name that a
        file need not have.
    error : type, default DataError
        The exception class raised (a :class:`PvcalError` subclass).

    Returns
    -------
    bool
        Whether the column is there.

    Raises
    ------
    DataError
        The column is absent (and not optional): the message names the file
        and the column and lists (the first eight of) the columns there are.
        (``error`` instead when given.)
    """
    if id_column is None:
        return False
    cols = list(columns)
    if id_column in cols:
        return True
    if optional:
        return False
    shown = ", ".join(repr(c) for c in cols[:8])
    more = f", ... ({len(cols)} columns in all)" if len(cols) > 8 else ""
    raise error(
        f"{where(file)}id column {id_column!r} not found; the columns are "
        f"[{shown}{more}]; pass id_column= the name of the person-id column (None when "
        "there is none)"
    )


def check_numeric_columns(
    df: pd.DataFrame,
    columns: Sequence[str],
    *,
    file: str | None = None,
    allow_missing: bool = True,
    by: str = "row",
    show_column: bool = True,
    error=DataError,
) -> pd.DataFrame:
    """Check that every column of ``columns`` holds real numbers; return them as floats.

    Parameters
    ----------
    df : DataFrame
        Must have every column of ``columns`` (:func:`check_columns` first).
    columns : sequence of str
        The columns to check.
    file : str, optional
        Name used in messages (a file or a description such as ``"rates"``).
    allow_missing : bool, default True
        Missing values (NaN, None) pass; False refuses them too.
    by : {"row", "item", "position"}, default "row"
        What the index labels are, for messages (``item 'Q3'``, ``position 4``).
    show_column : bool, default True
        Name the column in messages; False for a sequence the caller put in a
        frame to check it (its column name means nothing to the user).
    error : type, default DataError
        The exception class raised (a :class:`PvcalError` subclass).

    Returns
    -------
    DataFrame
        The columns converted to float (same index).

    Raises
    ------
    DataError
        Naming the first offending row, column and value: not a number, a
        complex number with a non-zero imaginary part (``astype(float)`` would
        drop it), or a missing value when ``allow_missing`` is False.

    Notes
    -----
    Cells are located by position, so a repeated index label is fine; the
    message names the label.
    """

    def at(pos: int, c: Any) -> str:
        row, col = _plain(df.index[pos]), c if show_column else None
        if by == "item":
            return where(file, item=row, column=col)
        if by == "position":
            head = where(file, column=col)
            return (head[:-2] + ", " if head else "") + f"position {row}: "
        return where(file, row=row, column=col)

    dup = sorted({str(c) for c in df.columns[df.columns.duplicated()] if c in set(columns)})
    if dup:
        raise error(f"{where(file)}column(s) {dup[:5]} appear more than once; expected one each")
    out = {}
    for c in columns:
        raw = df[c]
        if pd.api.types.is_bool_dtype(raw):
            num = raw.astype(float)
        else:
            try:
                num = pd.to_numeric(raw, errors="coerce")
            except OverflowError:  # an integer beyond float range (10**400): not a number here
                num = pd.Series([_float_or_nan(v) for v in raw], index=raw.index, dtype=float)
        bad = (num.isna() & (raw.notna() if allow_missing else True)).to_numpy()
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])  # by position: an index label may repeat
            value = raw.iloc[pos]
            missing = np.ndim(value) == 0 and bool(pd.isna(value))  # a cell may hold a list
            got = "a missing value" if missing else reprlib.repr(_plain(value))
            expected = "a number" if allow_missing else "a number (not missing)"
            raise error(f"{at(pos, c)}{got}; expected {expected}")
        if pd.api.types.is_complex_dtype(num):
            values = num.to_numpy()
            imaginary = np.flatnonzero(values.imag != 0)
            if imaginary.size:
                pos = int(imaginary[0])
                raise error(
                    f"{at(pos, c)}{_plain(values[pos])!r}; expected a real number (not complex)"
                )
            num = pd.Series(values.real, index=num.index)
        out[c] = num.astype(float)
    return pd.DataFrame(out, index=df.index)


def _float_or_nan(value: Any) -> float:
    """``float(value)``, NaN where that fails (text, a list, an integer beyond float range)."""
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return np.nan


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value (``1.5``, not ``np.float64(1.5)``, in messages)."""
    return value.item() if isinstance(value, np.generic) else value


def check_aware_time(value: Any, what: str, *, error=PvcalError) -> pd.Timestamp:
    """A date-time with a time zone, converted to UTC, or ``error`` naming ``what``.

    Parameters
    ----------
    value : str, datetime or Timestamp
        E.g. ``"2026-12-04T10:45:00Z"``.
    what : str
        How the message names the value (e.g. ``"run 'r1': finished_at='x'"``).
    error : type, default PvcalError
        The exception class raised (a pvcal ``ValueError`` subclass).

    Returns
    -------
    pandas.Timestamp
        In UTC.

    Raises
    ------
    PvcalError
        (or ``error``) ``value`` is not a date-time, or has no time zone.
    """
    try:
        t = pd.Timestamp(value)
    except (TypeError, ValueError):
        t = pd.NaT
    if pd.isna(t) or t.tzinfo is None:
        raise error(
            f"{what}: expected an ISO 8601 date-time with a time zone, such as "
            "'2026-12-04T10:45:00Z'"
        )
    return t.tz_convert("UTC")


def check_periods(
    name: str, value: Any, *, min_periods: int = 2, what: str = "data", error=DataError
) -> list[Any]:
    """Check a mapping of period -> data (in period order) with ``min_periods`` keys or more.

    Returns the periods (the mapping's keys, in order).

    Raises
    ------
    DataError
        ``value`` is not a mapping (e.g. a list or a DataFrame), has too few
        periods, or a period key that is missing (None or NaN).
    """
    least = {1: "one", 2: "two", 3: "three"}.get(min_periods, str(min_periods))
    if not isinstance(value, Mapping):
        raise error(
            f"{name} must map at least {least} periods (in order) to their {what}, "
            f"got a {type(value).__name__}"
        )
    periods = list(value)
    if len(periods) < min_periods:
        raise error(
            f"{name} must map at least {least} periods (in order) to their {what}, "
            f"got {len(periods)} ({periods})"
        )
    if any(p is None or (isinstance(p, float) and np.isnan(p)) for p in periods):
        raise error(f"{name}: a period key is missing (None or NaN) among {periods}")
    return periods


def check_positive(name: str, value: float, *, strict: bool = True, error=PvcalError) -> float:
    """Check that a scalar is a finite positive (or non-negative) number."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise error(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(v) or (v <= 0 if strict else v < 0):
        raise error(f"{name} must be {'>' if strict else '>='} 0 and finite, got {value!r}")
    return v


def check_probability(
    name: str, value: float, *, open_interval: bool = True, error=PvcalError
) -> float:
    """Check that a scalar lies in (0, 1) (or [0, 1])."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise error(f"{name} must be a number, got {value!r}") from None
    ok = (0 < v < 1) if open_interval else (0 <= v <= 1)
    if not ok:
        rng = "(0, 1)" if open_interval else "[0, 1]"
        raise error(f"{name} must lie in {rng}, got {value!r}")
    return v


def check_1d(name: str, values: Any, *, allow_nan: bool = False, min_size: int = 1) -> np.ndarray:
    """Convert to a 1-d float array and check size and finiteness."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise PvcalError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size < min_size:
        raise PvcalError(f"{name} needs at least {min_size} value(s), got {arr.size}")
    if not allow_nan:
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            raise PvcalError(
                f"{name} has non-finite value(s) at position(s) {bad[:5].tolist()}; "
                "expected finite numbers"
            )
    return arr


def check_finite(name: str, values: Any) -> np.ndarray:
    """Check that an array has no NaN or infinity."""
    arr = np.asarray(values, dtype=float)
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size:
        raise PvcalError(f"{name} has non-finite value(s) at {bad[:5].tolist()}")
    return arr


def check_increasing(name: str, values: Sequence[float], *, strict: bool = True) -> np.ndarray:
    """Check that a sequence (e.g. cut scores) is increasing."""
    arr = np.asarray(values, dtype=float)
    d = np.diff(arr)
    if np.any(d <= 0 if strict else d < 0):
        raise PvcalError(
            f"{name} must be {'strictly ' if strict else ''}increasing, got {arr.tolist()}"
        )
    return arr


def check_int_scores(
    wide: pd.DataFrame, max_score: pd.Series | None = None, *, file: str | None = None
) -> None:
    """Check a wide persons x items frame: integer scores 0..max_score or NaN.

    Parameters
    ----------
    wide : DataFrame
        Persons in rows, items in columns.
    max_score : Series, optional
        Highest allowed score per item (indexed by item id).
    file : str, optional
        File name used in messages.

    Raises
    ------
    DataError
        Naming the first offending item, row and value.
    """
    if wide.shape[0] == 0 or wide.shape[1] == 0:
        raise DataError(f"{where(file)}empty response data (shape {wide.shape})")
    values = wide.to_numpy(dtype=float, na_value=np.nan)
    finite = np.isfinite(values)
    bad = (~finite & ~np.isnan(values)) | (finite & (values != np.round(values)))
    bad |= finite & (values < 0)
    if max_score is not None:
        ms = np.asarray(pd.Series(max_score).reindex(wide.columns), dtype=float)
        unknown = [c for c, m in zip(wide.columns, ms) if np.isnan(m)]
        if unknown:
            raise DataError(f"{where(file)}unknown item(s) {unknown[:5]} not in the item bank")
        bad |= finite & (values > ms[None, :])
    if bad.any():
        r, c = np.argwhere(bad)[0]
        item = wide.columns[c]
        expected = "an integer score >= 0"
        if max_score is not None:
            expected = f"an integer score 0..{int(pd.Series(max_score)[item])} or missing"
        raise DataError(
            f"{where(file, row=wide.index[r], item=item)}score {float(values[r, c])!r}; "
            f"expected {expected}"
        )


def check_rng(seed: Any) -> np.random.Generator:
    """Turn ``seed`` (None, int or Generator) into a ``numpy.random.Generator``."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (int, np.integer)):
        return np.random.default_rng(seed)
    raise PvcalError(f"seed must be None, an int or a numpy Generator, got {type(seed).__name__}")
