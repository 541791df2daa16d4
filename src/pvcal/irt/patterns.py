"""Response patterns: integer codes, collapsing identical rows, merging counts.

The EM needs the data only as *distinct response patterns and their counts*
(the likelihood of a pattern does not depend on who answered it). This module
turns wide scores into compact ``int8`` codes (``-1`` = missing) block by
block, collapses identical rows, and merges collapsed blocks, so that the
memory a calibration needs grows with the number of distinct patterns, never
with the number of persons. The same functions serve the in-memory path
(:func:`pvcal.irt.estimate.prepare`), the Parquet reader
(:func:`read_parquet_patterns`) and the Dask backend
(:mod:`pvcal.irt.distributed`), so all three build the same pattern table in
the same (byte-wise sorted) order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .._validation import DataError, check_int_scores, where

__all__ = [
    "CHUNK_ROWS",
    "MAX_SCORE",
    "encode",
    "collapse",
    "PatternCounter",
    "category_table",
    "parquet_items",
    "read_parquet_patterns",
]

CHUNK_ROWS = 65_536  # rows per block when encoding and patterns per E-step chunk
MAX_SCORE = 100  # item scores above this are not item scores (int8 codes)


def encode(frame: pd.DataFrame, *, file: str | None = None) -> np.ndarray:
    """Validate one block of wide scores and return its ``int8`` codes.

    Parameters
    ----------
    frame : DataFrame
        Persons x items, integer scores ``0..100`` or NaN; its index labels
        name the rows in error messages.
    file : str, optional
        File name used in messages.

    Returns
    -------
    ndarray
        ``(n, J)`` int8, the score or ``-1`` for a missing response.

    Raises
    ------
    DataError
        Non-integer or negative scores, scores above 100, or persons with no
        response (naming the rows).
    """
    check_int_scores(frame, file=file)
    X = frame.to_numpy(dtype=float, na_value=np.nan)
    obs = ~np.isnan(X)
    empty = np.flatnonzero(~obs.any(axis=1))
    if empty.size:
        rows = frame.index[empty[:5]].tolist()
        raise DataError(
            f"{where(file)}{empty.size} person(s) with no responses, e.g. rows {rows}; "
            "drop them before calibrating"
        )
    top = np.where(obs, X, -1.0).max(axis=0)
    if top.max() > MAX_SCORE:
        j = int(np.argmax(top))
        raise DataError(
            f"{where(file, item=frame.columns[j])}score {top[j]:g}; item scores above "
            f"{MAX_SCORE} are not item scores (expected 0..max_score per item)"
        )
    return np.where(obs, X, -1).astype(np.int8)


def collapse(codes: np.ndarray, counts: np.ndarray | None = None):
    """Distinct rows of ``codes`` (sorted byte-wise) and their total counts.

    Parameters
    ----------
    codes : ndarray
        ``(n, K)`` int8 rows.
    counts : ndarray, optional
        Multiplicity of each row (default 1 each).

    Returns
    -------
    patterns : ndarray
        ``(n_distinct, K)`` int8.
    counts : ndarray
        ``(n_distinct,)`` int64; sums to ``counts.sum()`` (or ``n``).

    Notes
    -----
    Rows are compared as raw bytes (a ``void`` view), so the order is the
    same whichever blocks the rows came in: collapsing blocks and then
    collapsing the union of their patterns gives exactly the table that
    collapsing all rows at once gives.
    """
    codes = np.ascontiguousarray(codes, dtype=np.int8)
    if codes.shape[0] == 0:
        return codes, np.zeros(0, np.int64)
    keys = codes.view(np.dtype((np.void, codes.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    if counts is None:
        n = np.bincount(inverse, minlength=len(first))
    else:
        n = np.bincount(inverse, weights=counts, minlength=len(first)).round().astype(np.int64)
    return codes[first], n.astype(np.int64)


class PatternCounter:
    """Accumulates collapsed blocks of codes; memory grows with distinct patterns.

    Blocks are collapsed as they arrive; the buffered patterns are merged
    again whenever they exceed twice the distinct patterns seen at the last
    merge (so the total merging work stays proportional to the data).

    Examples
    --------
    >>> pc = PatternCounter()
    >>> pc.add(np.array([[0, 1], [0, 1]], np.int8))
    >>> pc.add(np.array([[1, 1], [0, 1]], np.int8))
    >>> patterns, counts = pc.result()
    >>> patterns.tolist(), counts.tolist()
    ([[0, 1], [1, 1]], [3, 1])
    """

    def __init__(self) -> None:
        self._codes: list[np.ndarray] = []
        self._counts: list[np.ndarray] = []
        self._buffered = 0
        self._distinct = 0
        self.n_rows = 0

    def add(self, codes: np.ndarray, counts: np.ndarray | None = None) -> None:
        """Add a block of rows (optionally already collapsed, with counts)."""
        patterns, n = collapse(codes, counts)
        self._codes.append(patterns)
        self._counts.append(n)
        self._buffered += len(patterns)
        self.n_rows += int(n.sum())
        if self._buffered > 2 * max(self._distinct, CHUNK_ROWS):
            self._merge()

    def _merge(self) -> None:
        if len(self._codes) > 1:
            patterns, n = collapse(np.concatenate(self._codes), np.concatenate(self._counts))
            self._codes, self._counts = [patterns], [n]
        self._distinct = self._buffered = len(self._codes[0]) if self._codes else 0

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct patterns (sorted byte-wise) and their counts."""
        if not self._codes:
            raise DataError("empty response data (no rows)")
        self._merge()
        return self._codes[0], self._counts[0]


def category_table(patterns: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Counts per item and code: ``(J, MAX_SCORE + 2)``, column 0 = missing, k + 1 = score k.

    The sufficient statistics behind the item checks, the starting values and
    the descriptive columns; tables of disjoint blocks add up.
    """
    J = patterns.shape[1]
    width = MAX_SCORE + 2
    idx = (patterns.astype(np.int64) + 1) + width * np.arange(J)[None, :]
    flat = np.bincount(idx.ravel(), weights=np.repeat(counts.astype(float), J), minlength=J * width)
    return flat.reshape(J, width).round().astype(np.int64)


def _dataset(path):
    import pyarrow.dataset as ds

    p = Path(path)
    if not p.exists():
        raise DataError(f"{path}: no such Parquet file or dataset folder")
    try:
        return ds.dataset(str(p), format="parquet")
    except Exception as err:  # pyarrow raises several types for bad files
        raise DataError(f"{path}: not a readable Parquet file or dataset ({err})") from err


def parquet_items(path, id_column: str | None = "application_id") -> list[str]:
    """Item columns of a wide Parquet file: every column except ``id_column``.

    Raises
    ------
    DataError
        Missing path, unreadable file, no item columns, or non-numeric item
        columns (named).
    """
    import pyarrow.types as pat

    schema = _dataset(path).schema
    items, bad = [], []
    for f in schema:
        if f.name == id_column or f.name.startswith("__index_level_"):
            continue
        ok = pat.is_integer(f.type) or pat.is_floating(f.type) or pat.is_null(f.type)
        (items if ok else bad).append(f.name)
    if bad:
        raise DataError(
            f"{path}: column(s) {bad[:5]} are not numeric; a wide response file holds "
            f"integer item scores (NaN/null = missing) and optionally an {id_column!r} column"
        )
    if not items:
        raise DataError(f"{path}: no item columns")
    return items


def read_parquet_patterns(
    path, items: list[str], *, batch_rows: int = CHUNK_ROWS
) -> tuple[np.ndarray, np.ndarray]:
    """Stream a wide Parquet file (or dataset folder) into distinct patterns and counts.

    Reads ``batch_rows`` rows at a time (pyarrow record batches), validates and
    encodes each block and collapses it into a :class:`PatternCounter`; the
    peak memory is one block plus the distinct patterns.

    Returns
    -------
    patterns : ndarray
        ``(n_distinct, 1 + J)`` int8, a leading group code (0) then the item codes.
    counts : ndarray
        int64 multiplicities.
    """
    dataset = _dataset(path)
    counter = PatternCounter()
    offset = 0
    for batch in dataset.to_batches(columns=list(items), batch_size=int(batch_rows)):
        if batch.num_rows == 0:
            continue
        frame = batch.to_pandas()
        frame.index = pd.RangeIndex(offset, offset + batch.num_rows)
        codes = encode(frame, file=str(path))
        offset += batch.num_rows
        counter.add(np.column_stack([np.zeros(len(codes), np.int8), codes]))
    return counter.result()
