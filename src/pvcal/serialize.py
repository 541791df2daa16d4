"""One JSON convention for every pvcal result (``to_json`` / ``from_json``).

Every result object writes itself through :func:`dumps` and reads itself back
through :func:`loads`, :func:`frame_from_json` and :func:`series_from_json`, so
that ``type(x).from_json(x.to_json())`` is equal to ``x`` and its ``to_json()``
is byte-identical to the first one.

Conventions
-----------
* **Canonical text.** Keys are sorted (``sort_keys=True``), so the text does not
  depend on the order in which a dictionary was built, and a reloaded object
  (whose dictionaries come back in sorted order) writes the same bytes.
  Non-ASCII text is written as is (UTF-8), never as ``\\u`` escapes.
* **Numbers.** Python's ``float.__repr__`` (the shortest text that reads back as
  the same double), so every float round-trips exactly. NaN and ±infinity are
  written as ``null`` (strict JSON; ``allow_nan=False`` guards it) and read
  back as NaN in float columns and attributes. numpy integers, floats and
  booleans become plain ``int``, ``float`` and ``bool``.
* **Containers.** Mappings become objects with string keys; tuples, lists,
  sets (sorted) and numpy arrays become arrays.
* **Frames.** A DataFrame is stored in pandas' *split* orientation with its
  dtypes: ``{"index": [...], "index_names": [...], "index_dtype": ...,
  "columns": [...], "dtypes": [...], "data": [[row], ...]}`` (a categorical
  dtype as ``{"categories": [...], "ordered": bool}``);
  :func:`frame_from_json` restores the index (a MultiIndex when there is more
  than one name), the column order and the dtypes. A Series is stored the
  same way with ``"name"`` and ``"dtype"``.
* **Equality.** Results hold frames, for which dataclass equality is
  undefined; :func:`json_equal` is their ``__eq__``: same type and the same
  canonical JSON, i.e. equal values (NaN equal to NaN) in every field that
  is published.
* **Other values.** Dates and times as ISO 8601 text, paths as text, objects
  with a ``to_dict()`` method as that dictionary. Anything else raises
  :class:`TypeError` (nothing is silently turned into ``str``).

Examples
--------
>>> import numpy as np, pandas as pd
>>> dumps({"b": np.float64(0.1), "a": [np.int64(1), float("nan")]})
'{"a": [1, null], "b": 0.1}'
>>> df = pd.DataFrame({"x": [1.5, np.nan]}, index=pd.Index(["i1", "i2"], name="item"))
>>> back = frame_from_json(loads(dumps(df)))
>>> back.equals(df) and back.index.name == "item"
True
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

from ._validation import SchemaError

__all__ = [
    "check_record",
    "dumps",
    "float_or_nan",
    "frame_from_json",
    "frame_to_json",
    "json_equal",
    "loads",
    "loads_record",
    "series_from_json",
    "series_to_json",
    "to_jsonable",
]


def _scalar(obj: Any) -> Any:
    """A JSON scalar for ``obj``, or the sentinel ``NotImplemented``."""
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, (pd.Timestamp, _dt.datetime, _dt.date, _dt.time)):
        return obj.isoformat()
    if isinstance(obj, PurePath):
        return str(obj)
    return NotImplemented


def to_jsonable(obj: Any) -> Any:
    """Plain JSON-ready Python (dict, list, str, int, float, bool, None) for ``obj``.

    Parameters
    ----------
    obj : any
        Scalars (Python or numpy), mappings, sequences, numpy arrays, pandas
        DataFrames/Series, dates, paths, or objects with ``to_dict()``.

    Returns
    -------
    object
        Made of dicts with string keys, lists, str, int, float (finite), bool
        and None only. See the module notes for the conventions.

    Raises
    ------
    TypeError
        A value with no JSON form.

    Examples
    --------
    >>> to_jsonable({1: (np.int32(2), np.inf)})
    {'1': [2, None]}
    """
    s = _scalar(obj)
    if s is not NotImplemented:
        return s
    if isinstance(obj, pd.DataFrame):
        return frame_to_json(obj)
    if isinstance(obj, pd.Series):
        return series_to_json(obj)
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (list, tuple, pd.Index)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return [to_jsonable(v) for v in sorted(obj, key=str)]
    if hasattr(obj, "to_dict") and callable(obj.to_dict):
        return to_jsonable(obj.to_dict())
    raise TypeError(f"cannot write {type(obj).__name__} as JSON: {obj!r:.80}")


def dumps(obj: Any, *, indent: int | None = None) -> str:
    """Canonical JSON text of ``obj``: sorted keys, exact floats, NaN as null.

    Parameters
    ----------
    obj : any
        Anything :func:`to_jsonable` accepts.
    indent : int, optional
        Pretty-print with this indent (``None``: one line, ``", "`` and ``": "``
        separators as :func:`json.dumps` writes them).

    Returns
    -------
    str

    Raises
    ------
    TypeError
        A value with no JSON form.
    """
    return json.dumps(
        to_jsonable(obj), sort_keys=True, indent=indent, ensure_ascii=False, allow_nan=False
    )


def loads(text: str | bytes) -> Any:
    """Parse JSON text written by :func:`dumps` (``json.loads``)."""
    return json.loads(text)


def loads_record(text: str | bytes, kind: str) -> dict[str, Any]:
    """Parse the JSON text of one ``kind`` of result into a dict.

    Raises
    ------
    SchemaError
        Not valid JSON, or not a JSON object.
    """
    try:
        d = json.loads(text)
    except (TypeError, ValueError) as err:
        raise SchemaError(f"{kind} JSON is not valid JSON: {err}") from None
    if not isinstance(d, dict):
        raise SchemaError(f"{kind} JSON must be an object, got {type(d).__name__}")
    return d


def check_record(d: Any, kind: str, required: tuple[str, ...] = ()) -> None:
    """Check that ``d`` is the dict of a ``kind`` result with the ``required`` keys.

    A ``"pvcal_type"`` key, when present, must equal ``kind``.

    Raises
    ------
    SchemaError
        Not a dict, another ``pvcal_type``, or a required key missing.
    """
    if not isinstance(d, Mapping):
        raise SchemaError(f"a {kind} record must be a JSON object, got {type(d).__name__}")
    if d.get("pvcal_type", kind) != kind:
        raise SchemaError(f"JSON holds a pvcal {d['pvcal_type']}, not a {kind}")
    missing = [k for k in required if k not in d]
    if missing:
        raise SchemaError(f"{kind} JSON lacks the key(s) {missing}")


def float_or_nan(v: Any) -> float:
    """``float(v)``, with ``None`` (JSON null) as NaN."""
    return float("nan") if v is None else float(v)


def json_equal(a: Any, b: Any) -> Any:
    """Equality of two results: the same type and byte-identical ``to_json()``."""
    if type(a) is not type(b):
        return NotImplemented
    return a.to_json() == b.to_json()


# ---------------------------------------------------------------------------- frames


def _index_to_json(index: pd.Index) -> dict[str, Any]:
    return {
        "index": [to_jsonable(list(v) if isinstance(v, tuple) else v) for v in index],
        "index_names": [None if n is None else str(n) for n in index.names],
        "index_dtype": None if isinstance(index, pd.MultiIndex) else str(index.dtype),
    }


def _index_from_json(d: Mapping[str, Any]) -> pd.Index:
    names = d.get("index_names", [None])
    values = d["index"]
    if len(names) > 1:
        return pd.MultiIndex.from_tuples([tuple(v) for v in values], names=names)
    dtype = d.get("index_dtype")
    if dtype in (None, "object"):
        return pd.Index(values, name=names[0], dtype=object)
    return pd.Index(_values(values, dtype), name=names[0])


def _dtype_to_json(dtype: Any) -> Any:
    if isinstance(dtype, pd.CategoricalDtype):
        return {"categories": to_jsonable(list(dtype.categories)), "ordered": bool(dtype.ordered)}
    return str(dtype)


def _values(values: list, dtype: Any) -> Any:
    """Values of one column/series, with None as NaN where the dtype is a float."""
    if isinstance(dtype, Mapping):
        cat = pd.CategoricalDtype(dtype["categories"], ordered=dtype["ordered"])
        return pd.Categorical(values, dtype=cat)
    if dtype is None or dtype == "object":
        return pd.array(values, dtype=object)
    if dtype.startswith("float"):
        return np.array([np.nan if v is None else v for v in values], dtype=dtype)
    return pd.array(values).astype(dtype)


def frame_to_json(df: pd.DataFrame) -> dict[str, Any]:
    """A DataFrame as a JSON-ready dict (split orientation with dtypes)."""
    out = _index_to_json(df.index)
    out["columns"] = [to_jsonable(c) for c in df.columns]
    out["dtypes"] = [_dtype_to_json(t) for t in df.dtypes]
    out["data"] = [
        [to_jsonable(v) for v in row] for row in df.astype(object).itertuples(index=False)
    ]
    return out


def frame_from_json(d: Mapping[str, Any]) -> pd.DataFrame:
    """Rebuild a DataFrame written by :func:`frame_to_json` (index, columns, dtypes).

    Raises
    ------
    KeyError
        ``d`` is not a frame written by :func:`frame_to_json`.
    """
    index = _index_from_json(d)
    columns = list(d["columns"])
    dtypes = d.get("dtypes") or ["object"] * len(columns)
    rows = d["data"]
    cols = {}
    for j, dtype in enumerate(dtypes):
        cols[j] = _values([row[j] for row in rows], dtype)
    df = pd.DataFrame(cols, index=index)
    df.columns = pd.Index(columns) if columns else pd.RangeIndex(0)
    return df


def series_to_json(s: pd.Series) -> dict[str, Any]:
    """A Series as a JSON-ready dict (``index``, ``name``, ``dtype``, ``data``)."""
    out = _index_to_json(s.index)
    out["name"] = to_jsonable(s.name)
    out["dtype"] = _dtype_to_json(s.dtype)
    out["data"] = [to_jsonable(v) for v in s.astype(object)]
    return out


def series_from_json(d: Mapping[str, Any]) -> pd.Series:
    """Rebuild a Series written by :func:`series_to_json`."""
    return pd.Series(_values(d["data"], d.get("dtype")), index=_index_from_json(d), name=d["name"])
