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

from .._validation import (
    DataError,
    check_id_column,
    check_int_scores,
    check_numeric_columns,
    where,
)

__all__ = [
    "CHUNK_ROWS",
    "ID_COLUMN",
    "MAX_SCORE",
    "encode",
    "collapse",
    "row_hash",
    "PatternCounter",
    "category_table",
    "parquet_items",
    "read_parquet_patterns",
]

CHUNK_ROWS = 65_536  # rows per block when encoding and patterns per E-step chunk
MAX_SCORE = 100  # item scores above this are not item scores (int8 codes)
#: The person-id column of a wide response file by default (a file need not have it).
ID_COLUMN = "application_id"


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
        Non-numeric, non-integer or negative scores, scores above 100, or
        persons with no response (naming the rows); a column of values that
        do not convert to floats (such as pandas periods; naming the column).
    """
    dup = frame.columns[frame.columns.duplicated()]
    if len(dup):
        raise DataError(
            f"{where(file)}item column(s) {sorted(map(str, set(dup)))[:5]} appear more than "
            "once; expected one column per item"
        )
    try:
        X = frame.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError, OverflowError) as err:
        text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
        check_numeric_columns(frame, text, file=file)  # raises naming the row, column and value
        raise _not_scores(frame, file, err) from err
    obs = ~np.isnan(X)
    with np.errstate(invalid="ignore"):
        ok = ~obs | ((X >= 0) & (X <= MAX_SCORE) & (X == np.floor(X)))
    if X.size == 0 or not ok.all():
        check_int_scores(frame, file=file)  # raises naming the row and item, except for > 100
        top = np.where(obs, X, -1.0).max(axis=0)
        j = int(np.argmax(top))
        raise DataError(
            f"{where(file, item=frame.columns[j])}score {top[j]:g}; item scores above "
            f"{MAX_SCORE} are not item scores (expected 0..max_score per item)"
        )
    empty = np.flatnonzero(~obs.any(axis=1))
    if empty.size:
        rows = frame.index[empty[:5]].tolist()
        raise DataError(
            f"{where(file)}{empty.size} person(s) with no responses, e.g. rows {rows}; "
            "drop them before calibrating"
        )
    return np.where(obs, X, -1).astype(np.int8)


def _not_scores(frame: pd.DataFrame, file: str | None, err: Exception) -> DataError:
    """The error for a block whose values pass as numbers but do not convert to floats.

    Such as dates or times (``pd.to_numeric`` reads them as nanoseconds): the
    message names the first column that does not convert, its dtype and numpy's reason.
    """
    for j, c in enumerate(frame.columns):
        try:
            frame.iloc[:, j].to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError) as col_err:
            return DataError(
                f"{where(file, column=c)}{frame.dtypes.iloc[j]} values do not convert to "
                f"numbers ({col_err}); expected integer item scores 0..{MAX_SCORE} or NaN"
            )
    return DataError(
        f"{where(file)}the scores do not convert to numbers ({err}); expected integer item "
        f"scores 0..{MAX_SCORE} or NaN"
    )


def _words(codes: np.ndarray) -> np.ndarray:
    """Rows as uint64 words (zero-padded to a multiple of 8 bytes)."""
    n, k = codes.shape
    width = -(-k // 8) * 8
    if width == k:
        padded = codes
    else:
        padded = np.zeros((n, width), np.int8)
        padded[:, :k] = codes
    return np.ascontiguousarray(padded).view(np.uint64)


_MULT = np.random.default_rng(20261204).integers(1, 2**63, size=64, dtype=np.uint64) * 2 + 1


def row_hash(codes: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row of int8 codes (fixed random odd multipliers, mixed).

    Equal rows hash equally; :func:`collapse` checks that rows sharing a hash
    are equal (and falls back to byte-wise comparison if not).
    """
    words = _words(codes)
    h = np.zeros(len(words), np.uint64)
    with np.errstate(over="ignore"):
        for i in range(words.shape[1]):
            h += words[:, i] * _MULT[i % len(_MULT)]
            h ^= h >> np.uint64(29)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(32)
    return h


def _same_rows(codes: np.ndarray, first: np.ndarray, inverse: np.ndarray) -> bool:
    words = _words(codes)
    rep = words[first]
    for start in range(0, len(words), CHUNK_ROWS):
        sl = slice(start, start + CHUNK_ROWS)
        if not np.array_equal(words[sl], rep[inverse[sl]]):
            return False
    return True


def collapse(codes: np.ndarray, counts: np.ndarray | None = None):
    """Distinct rows of ``codes`` and their total counts.

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
    Rows are grouped by a 64-bit hash (:func:`row_hash`) and come out sorted
    by it, so the order is the same whichever blocks the rows came in:
    collapsing blocks and then the union of their patterns gives exactly the
    table that collapsing all rows at once gives. Rows sharing a hash are
    checked to be equal; on a collision (odds about n² / 2^65) the rows are
    compared as raw bytes instead (sorted byte-wise).
    """
    codes = np.ascontiguousarray(codes, dtype=np.int8)
    if codes.shape[0] == 0:
        return codes, np.zeros(0, np.int64)
    patterns, n, _ = _collapse_hashed(codes, counts, row_hash(codes))
    return patterns, n


def _collapse_hashed(codes: np.ndarray, counts, hashes: np.ndarray):
    """:func:`collapse` given the rows' hashes; also returns the patterns' hashes."""
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    if not _same_rows(codes, first, inverse):  # pragma: no cover - a 64-bit collision
        keys = codes.view(np.dtype((np.void, codes.shape[1]))).ravel()
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        inverse = inverse.ravel()
    if counts is None:
        n = np.bincount(inverse, minlength=len(first))
    else:
        n = np.bincount(inverse, weights=counts, minlength=len(first)).round()
    return codes[first], n.astype(np.int64), hashes[first]


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
        self._hashes: list[np.ndarray] = []  # kept: merging never hashes a row twice
        self._buffered = 0
        self._distinct = 0
        self.n_rows = 0
        self.table: np.ndarray | None = None  # category_table of the rows, group column first

    def add(self, codes: np.ndarray, counts: np.ndarray | None = None) -> None:
        """Add a block of rows (optionally already collapsed, with counts)."""
        table = category_table(codes, counts)
        self.table = table if self.table is None else self.table + table
        codes = np.ascontiguousarray(codes, dtype=np.int8)
        if codes.shape[0] == 0:
            return
        patterns, n, h = _collapse_hashed(codes, counts, row_hash(codes))
        self._codes.append(patterns)
        self._counts.append(n)
        self._hashes.append(h)
        self._buffered += len(patterns)
        self.n_rows += int(n.sum())
        if self._buffered > 2 * max(self._distinct, CHUNK_ROWS):
            self._merge()

    def _merge(self) -> None:
        if len(self._codes) > 1:
            patterns, n, h = _collapse_hashed(
                np.concatenate(self._codes),
                np.concatenate(self._counts),
                np.concatenate(self._hashes),
            )
            self._codes, self._counts, self._hashes = [patterns], [n], [h]
        self._distinct = self._buffered = len(self._codes[0]) if self._codes else 0

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct patterns (sorted byte-wise) and their counts."""
        if not self._codes:
            raise DataError("empty response data (no rows)")
        self._merge()
        return self._codes[0], self._counts[0]


def category_table(patterns: np.ndarray, counts: np.ndarray | None = None) -> np.ndarray:
    """Counts per item and code: ``(J, MAX_SCORE + 2)``, column 0 = missing, k + 1 = score k.

    The sufficient statistics behind the item checks, the starting values and
    the descriptive columns; tables of disjoint blocks add up. Without
    ``counts`` each row counts once (one vectorised pass per block of rows).
    """
    n, J = patterns.shape
    width = MAX_SCORE + 2
    if counts is not None:
        weights = counts.astype(float)
        table = np.empty((J, width), np.int64)
        for j in range(J):
            col = patterns[:, j].astype(np.intp) + 1
            table[j] = np.bincount(col, weights=weights, minlength=width).round()
        return table
    table = np.zeros(J * width, np.int64)
    offsets = width * np.arange(J, dtype=np.intp) + 1
    for start in range(0, n, CHUNK_ROWS):
        idx = patterns[start : start + CHUNK_ROWS].astype(np.intp) + offsets
        table += np.bincount(idx.ravel(), minlength=J * width)
    return table.reshape(J, width)


def _dataset(path):
    import pyarrow.dataset as ds

    p = Path(path)
    if not p.exists():
        raise DataError(f"{path}: no such Parquet file or dataset folder")
    try:
        return ds.dataset(str(p), format="parquet")
    except Exception as err:  # pyarrow raises several types for bad files
        raise DataError(f"{path}: not a readable Parquet file or dataset ({err})") from err


def parquet_items(path, id_column: str | None = ID_COLUMN) -> list[str]:
    """Item columns of a wide Parquet file: every column except ``id_column``.

    ``id_column`` must be a column of the file, unless it is the default
    :data:`ID_COLUMN` (a file without a person-id column) or None.

    Raises
    ------
    DataError
        Missing path, unreadable file, an ``id_column`` not in the file (named,
        with the file's columns), no item columns, or non-numeric item columns
        (named).
    """
    import pyarrow.types as pat

    schema = _dataset(path).schema
    has_id = check_id_column(
        schema.names, id_column, file=str(path), optional=id_column == ID_COLUMN
    )
    items, bad = [], []
    for f in schema:
        if f.name == id_column or f.name.startswith("__index_level_"):
            continue
        ok = pat.is_integer(f.type) or pat.is_floating(f.type) or pat.is_null(f.type)
        (items if ok else bad).append(f.name)
    if bad:
        hint = (
            f" (the file has no {id_column!r} column: if {bad[0]!r} is the person id, "
            f"pass id_column={bad[0]!r})"
            if id_column is not None and not has_id
            else ""
        )
        raise DataError(
            f"{path}: column(s) {bad[:5]} are not numeric; a wide response file holds "
            f"integer item scores (NaN/null = missing) and optionally a person-id column "
            f"(id_column={id_column!r}){hint}"
        )
    if not items:
        raise DataError(f"{path}: no item columns")
    return items


def _encode_batch(batch) -> np.ndarray | None:
    """Codes of a record batch of integer columns, or None when a check needs the slow path.

    The fast path reads integer columns straight from Arrow (nulls -> -1)
    when every value lies in 0..MAX_SCORE and every row has a response;
    anything else goes through :func:`encode`, which names the offending
    row and item.
    """
    import pyarrow.compute as pc
    import pyarrow.types as pat

    n = batch.num_rows
    codes = np.empty((n, 1 + batch.num_columns), np.int8)
    codes[:, 0] = 0
    for j, col in enumerate(batch.columns):
        if not pat.is_integer(col.type):
            return None
        if col.null_count < n:
            lo, hi = pc.min_max(col).values()
            if lo.as_py() < 0 or hi.as_py() > MAX_SCORE:
                return None
        codes[:, j + 1] = pc.fill_null(col, -1).to_numpy(zero_copy_only=False)
    if (codes[:, 1:] < 0).all(axis=1).any():
        return None
    return codes


def read_parquet_patterns(
    path, items: list[str], *, batch_rows: int = CHUNK_ROWS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    table : ndarray
        :func:`category_table` of all rows (group column first).
    """
    dataset = _dataset(path)
    counter = PatternCounter()
    offset = 0
    for batch in dataset.to_batches(columns=list(items), batch_size=int(batch_rows)):
        if batch.num_rows == 0:
            continue
        keyed = _encode_batch(batch)
        if keyed is None:
            frame = batch.to_pandas()
            frame.index = pd.RangeIndex(offset, offset + batch.num_rows)
            codes = encode(frame, file=str(path))
            keyed = np.column_stack([np.zeros(len(codes), np.int8), codes])
        offset += batch.num_rows
        counter.add(keyed)
    patterns, counts = counter.result()
    return patterns, counts, counter.table
