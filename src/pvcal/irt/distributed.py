"""Calibration of a Dask DataFrame on a ``dask.distributed`` cluster.

The responses never leave the workers. Each partition is validated, encoded
and collapsed into its distinct patterns where it lives
(:mod:`pvcal.irt.patterns`); the client gathers only the per-item category
tables (``items x 102`` counts) to build the design, the workers build and
keep their reduced indicator matrices, and every E-step (and the standard
errors' score sums) runs as one task per partition whose result is a partial
sum: the log-likelihood, ``Y.T @ weighted`` (``n_red x Q``) and the node
counts. Sums over partitions equal sums over all patterns, so the estimates
are the in-memory ones (up to floating-point summation order).

Installed with the ``distributed`` extra: ``pip install "pvcal[distributed]"``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .._validation import DataError, PvcalError
from .estimate import Design, indicators, release_work_buffers, skeleton
from .patterns import CHUNK_ROWS, category_table, collapse, encode

__all__ = ["DaskPatterns", "prepare_dask", "active_client"]


def active_client():
    """The default ``dask.distributed`` client.

    Raises
    ------
    PvcalError
        ``distributed`` is not installed, or no client is running.
    """
    try:
        from distributed import default_client
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise PvcalError(
            'calibrating a Dask DataFrame needs dask.distributed: pip install "pvcal[distributed]"'
        ) from err
    try:
        return default_client()
    except ValueError as err:
        raise PvcalError(
            "no active dask.distributed Client: start one first, e.g. "
            "`from distributed import Client; client = Client('tcp://scheduler:8786')` "
            "(or Client() for a local cluster)"
        ) from err


def _encode_partition(frame, items: list, n_items: int):
    """Encode and collapse one partition (runs on a worker): patterns, counts, category table."""
    if len(frame) == 0:
        empty = np.zeros((0, n_items), np.int8)
        return np.zeros((0, n_items + 1), np.int8), np.zeros(0, np.int64), category_table(empty)
    codes = encode(frame[items])
    table = category_table(codes)
    return (*collapse(np.column_stack([np.zeros(len(codes), np.int8), codes])), table)


def _table(part) -> tuple[np.ndarray, int]:
    return part[2], len(part[1])


def _build(part, meta: Design, single: bool):
    """Reduced indicators, counts and group codes of one partition (kept on its worker)."""
    keyed, counts, _ = part
    Y = indicators(meta, keyed[:, 1:], np.float32 if single else np.float64)
    return Y, counts.astype(float), np.ascontiguousarray(keyed[:, 0])


def _apply(part, fn, args, chunk: int):
    """Sum ``fn`` over chunks of one partition's patterns (runs on a worker)."""
    Y, counts, gcode = part
    total = None
    for start in range(0, len(counts), chunk):
        sl = slice(start, start + chunk)
        res = fn(Y[sl], counts[sl], gcode[sl], *args)
        total = res if total is None else tuple(a + b for a, b in zip(total, res))
    release_work_buffers("pass_")  # the final pass's arrays; the E-step keeps its own
    return total


class DaskPatterns:
    """Collapsed patterns held by the workers, one future per partition.

    :meth:`map_sum` runs ``fn(Y, counts, gcode, *args)`` on every partition
    and adds the (small) partial results on the client, in partition order.
    The futures are released when this object is garbage collected.
    """

    def __init__(self, client, futures: list) -> None:
        self.client = client
        self.futures = futures

    def map_sum(self, fn, *args, chunk: int = CHUNK_ROWS):
        # pure=False: SQUAREM may evaluate one state twice; never reuse stale keys
        parts = self.client.gather(
            self.client.map(_apply, self.futures, fn=fn, args=args, chunk=chunk, pure=False)
        )
        total = parts[0]
        for part in parts[1:]:
            total = tuple(a + b for a, b in zip(total, part))
        return total


def prepare_dask(
    ddf,
    items: list,
    model,
    *,
    fix_slope: bool = False,
    fixed_items=(),
    n_quad: int = 61,
) -> Design:
    """The EM design of a Dask DataFrame, its patterns kept on the cluster.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Wide responses: the ``items`` columns hold integer scores or NaN.
    items : list
        Item columns.
    model, fix_slope, fixed_items, n_quad
        As for :func:`pvcal.irt.estimate.prepare`.

    Returns
    -------
    Design
        With ``store`` a :class:`DaskPatterns`; no response leaves the workers.

    Raises
    ------
    PvcalError
        No active client (see :func:`active_client`).
    DataError
        Non-numeric item columns, bad scores (named by partition row label),
        items nobody answered, etc.
    """
    client = active_client()
    bad = [c for c in items if ddf[c].dtype.kind not in "iuf"]
    if bad:
        raise DataError(
            f"Dask DataFrame column(s) {bad[:5]} are not numeric; item columns hold integer "
            "scores (NaN = missing)"
        )
    parts = client.compute(ddf[list(items)].to_delayed())
    coded = client.map(_encode_partition, parts, items=list(items), n_items=len(items))
    tables = client.gather(client.map(_table, coded))
    del parts  # the raw partitions are no longer needed
    keep = [f for f, (_, n) in zip(coded, tables) if n > 0]
    if not keep:
        raise DataError("empty response data (the Dask DataFrame has no rows)")
    table = sum(t for t, _ in tables)
    n_stored = sum(n for _, n in tables)
    design = skeleton(
        list(items),
        model,
        table,
        [None],
        np.array([table[0].sum()], np.int64),
        fix_slope=fix_slope,
        fixed_items=fixed_items,
    )
    single = n_stored * int(n_quad) > 2_000_000
    stored = client.map(_build, keep, meta=design, single=single)
    client.gather(client.map(len, stored))  # wait: errors surface here, not mid-EM
    return replace(design, single=single, store=DaskPatterns(client, stored), n_stored=n_stored)
