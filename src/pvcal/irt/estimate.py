"""Marginal maximum likelihood by Bock–Aitkin EM over a fixed quadrature grid.

The E-step is two matrix products over collapsed response patterns:
``log L = Y @ log P`` (patterns x quadrature points), where ``Y`` is the one-hot
indicator of each pattern's observed categories (missing responses are all-zero
rows, so they drop out of the likelihood), and the expected category counts are
``R = Y.T @ posterior``. The M-step maximises, item by item, the expected
complete-data log-likelihood ``Σ_q Σ_k R_jkq log P_jk(θ_q)`` (plus log priors) by
Fisher scoring, vectorised over all items of one model. SQUAREM (Varadhan &
Roland, 2008) accelerates the EM map.

Everything here is internal; the public door is :func:`pvcal.calibrate`.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from .._validation import ConvergenceWarning, DataError, ModelError, check_int_scores, where
from .models import (
    DICHOTOMOUS,
    SHARED_SLOPE,
    ItemModel,
    ThreePL,
    canonical_model,
    model_for,
)
from .patterns import (
    CHUNK_ROWS,
    PatternCounter,
    encode,
    read_parquet_patterns,
)

__all__ = [
    "fit_em",
    "valid_state",
    "EMFit",
    "quadrature",
    "prepare",
    "Design",
    "Block",
    "prepare_parquet",
    "skeleton",
    "indicators",
    "attach_patterns",
    "map_patterns",
    "n_threads",
    "work_buffer",
    "release_work_buffers",
    "group_codes",
    "e_step",
    "e_step_partial",
    "exp_log_joint",
    "reduced_log_p",
    "m_step",
    "start_values",
    "default_priors",
    "latent_log_weights",
]


def quadrature(n_quad: int = 61, bounds: tuple[float, float] = (-6.0, 6.0), mean=0.0, sd=1.0):
    """Equally spaced nodes with normalised normal-density weights (as R mirt).

    # R: mirt uses quadpts = 61 on theta_lim = c(-6, 6) for one factor.
    """
    nodes = np.linspace(bounds[0], bounds[1], int(n_quad))
    w = np.exp(-0.5 * ((nodes - mean) / sd) ** 2)  # normal density up to a constant
    return nodes, w / w.sum()


# ---------------------------------------------------------------------------
# Design: responses collapsed to patterns, items grouped into blocks
# ---------------------------------------------------------------------------


@dataclass
class Block:
    """Items that share one item model and one number of categories."""

    model_name: str  # public name ("Rasch", "2PL", ...)
    item_model: ItemModel
    pos: np.ndarray  # item positions in the design
    n_cat: int
    offset: int  # first column of this block in the reduced indicator matrix
    shared: bool  # slope shared with every other shared-slope item
    free: np.ndarray  # boolean mask over this block's parameters
    complete: np.ndarray  # per item: answered by every pattern (no missing)

    @property
    def n_items(self) -> int:
        return len(self.pos)

    @property
    def n_red(self) -> int:
        """Columns in the reduced indicator matrix: categories 1..C-1 of each item."""
        return self.n_items * (self.n_cat - 1)


@dataclass
class Design:
    """The item blocks and the collapsed responses (distinct patterns and counts).

    The patterns live here (``patterns``, ``Y``, ``counts``, ``gcode``) or,
    when ``store`` is set, somewhere else (the workers of a Dask cluster, see
    :mod:`pvcal.irt.distributed`); every pass over them goes through
    :func:`map_patterns`, which sums per-chunk partial results.
    """

    item_ids: list
    models: list[str]
    n_cat: np.ndarray
    blocks: list[Block]
    mask_items: list  # (block index, row) of items with missing responses
    n_persons: int
    prop: list  # observed category proportions per item
    item_n: np.ndarray  # persons answering each item
    item_mean: np.ndarray  # mean observed score per item
    group_labels: list = field(default_factory=lambda: [None])
    group_n: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    latent_free: np.ndarray = field(default_factory=lambda: np.zeros(1, bool))
    single: bool = False  # float32 E-steps (large data)
    patterns: np.ndarray | None = None  # (n_patterns, n_items) int8, -1 = missing
    Y: np.ndarray | None = None  # (n_patterns, n_red + n_mask) reduced indicators, see e_step
    counts: np.ndarray | None = None  # (n_patterns,) float
    gcode: np.ndarray | None = None  # (n_patterns,) group code, patterns sorted by group
    store: Any = None  # remote patterns (an object with map_sum), or None
    n_stored: int = 0  # patterns held by ``store``

    @property
    def n_groups(self) -> int:
        return len(self.group_labels)

    @property
    def n_patterns(self) -> int:
        return self.n_stored if self.store is not None else len(self.counts)

    @property
    def group_slices(self) -> list[slice]:
        """Patterns of group g (contiguous: patterns are sorted by group)."""
        bounds = np.searchsorted(self.gcode, np.arange(self.n_groups + 1))
        return [slice(int(bounds[i]), int(bounds[i + 1])) for i in range(self.n_groups)]

    def meta(self) -> Design:
        """This design without its patterns (small: what a remote worker needs)."""
        return replace(self, patterns=None, Y=None, counts=None, gcode=None, store=None)


def models_per_item(model, columns) -> list[str]:
    """Canonical model name for each column: one name for all, or a mapping item -> model.

    Shared with :mod:`pvcal.irt.calibrate`. Raises ModelError for items the
    mapping leaves out or unknown model names.
    """
    if isinstance(model, str):
        return [canonical_model(model)] * len(columns)
    if isinstance(model, (dict, pd.Series)):
        model = dict(model)
        missing = [c for c in columns if c not in model]
        if missing:
            raise ModelError(f"model mapping has no entry for item(s) {missing[:5]}")
        return [canonical_model(model[c]) for c in columns]
    model = list(model)
    if len(model) != len(columns):
        raise ModelError(f"model list has {len(model)} entries for {len(columns)} items")
    return [canonical_model(m) for m in model]


def group_codes(groups, n: int, reference_group=None, file: str | None = None):
    """Group labels (reference first) and an int8 code per response row."""
    if groups is None:
        return [None], np.zeros(n, np.int8)
    g = pd.Series(np.asarray(groups))
    if len(g) != n or g.isna().any():
        raise DataError(
            f"{where(file)}groups must give one label per response row "
            f"({n} rows), without missing labels"
        )
    labels = list(pd.unique(g))
    if reference_group is not None:
        if reference_group not in labels:
            raise DataError(f"reference_group {reference_group!r} is not among {labels}")
        labels.remove(reference_group)
        labels.insert(0, reference_group)
    if len(labels) > 100:
        raise DataError(f"{len(labels)} groups; at most 100 are supported")
    return labels, g.map({lab: i for i, lab in enumerate(labels)}).to_numpy(np.int8)


def prepare(
    wide: pd.DataFrame,
    model,
    *,
    fix_slope: bool = False,
    file: str | None = None,
    groups=None,
    reference_group=None,
    fixed_items=(),
    n_quad: int = 61,
) -> Design:
    """Validate wide responses and build the EM design.

    ``groups`` (one label per row) makes a multiple-group design: the
    reference group keeps N(0, 1) and every other group gets a free latent
    mean and SD. With ``fixed_items`` (ids whose parameters are held at given
    values) every group's mean and SD are free, since the fixed items set the
    scale. The rows are encoded and collapsed in blocks of
    :data:`~pvcal.irt.patterns.CHUNK_ROWS` (no full-size copy of the data).

    Raises
    ------
    DataError
        Empty data, non-integer or negative scores, items nobody answered,
        items with one observed category, persons with no responses, or an
        unobserved category inside an item's score range.
    ModelError
        A dichotomous model given to an item with scores above 1.
    """
    if not isinstance(wide, pd.DataFrame):
        raise DataError(f"responses must be a wide pandas DataFrame, got {type(wide).__name__}")
    if wide.shape[0] == 0 or wide.shape[1] == 0:
        check_int_scores(wide, file=file)  # raises: empty data
    if wide.columns.duplicated().any():
        dup = wide.columns[wide.columns.duplicated()].tolist()
        raise DataError(f"{where(file)}duplicate item column(s) {dup[:5]}")
    labels, gcode = group_codes(groups, len(wide), reference_group, file)
    # the group code leads each pattern key, so collapsed patterns come out
    # sorted by group (contiguous slices)
    counter = PatternCounter()
    for start in range(0, len(wide), CHUNK_ROWS):
        codes = encode(wide.iloc[start : start + CHUNK_ROWS], file=file)
        counter.add(np.column_stack([gcode[start : start + len(codes)], codes]))
    keyed, counts = counter.result()
    design = skeleton(
        list(wide.columns),
        model,
        counter.table[1:],
        labels,
        counter.table[0, 1 : len(labels) + 1],
        fix_slope=fix_slope,
        file=file,
        fixed_items=fixed_items,
    )
    return attach_patterns(design, keyed, counts, n_quad=n_quad)


def prepare_parquet(
    path,
    items: list,
    model,
    *,
    fix_slope: bool = False,
    fixed_items=(),
    n_quad: int = 61,
    batch_rows: int = CHUNK_ROWS,
) -> Design:
    """The EM design of a wide Parquet file or dataset, streamed in row blocks.

    Same design (patterns in the same order, same counts) as :func:`prepare`
    on the whole frame; peak memory is one block of ``batch_rows`` rows plus
    the distinct patterns (see :func:`pvcal.irt.patterns.read_parquet_patterns`).
    """
    keyed, counts, table = read_parquet_patterns(path, items, batch_rows=batch_rows)
    design = skeleton(
        list(items),
        model,
        table[1:],
        [None],
        np.array([counts.sum()], np.int64),
        fix_slope=fix_slope,
        file=str(path),
        fixed_items=fixed_items,
    )
    return attach_patterns(design, keyed, counts, n_quad=n_quad)


def skeleton(
    item_ids: list,
    model,
    table: np.ndarray,
    labels: list,
    group_n: np.ndarray,
    *,
    fix_slope: bool = False,
    file: str | None = None,
    fixed_items=(),
) -> Design:
    """The design without patterns, from the per-item category table.

    ``table`` is :func:`pvcal.irt.patterns.category_table` of all responses
    (column 0 missing, column k + 1 score k), ``group_n`` the persons per
    group. Everything here depends on the data only through these sums, so
    in-memory, streamed and distributed inputs give the same design.
    """
    cat = table[:, 1:]
    empty_items = [item_ids[j] for j in np.flatnonzero(cat.sum(axis=1) == 0)]
    if empty_items:
        raise DataError(f"{where(file)}item(s) {empty_items[:5]} answered by nobody")
    models = models_per_item(model, item_ids)
    n_cat = np.array([int(np.flatnonzero(row).max()) + 1 for row in cat])
    prop = []
    for j, item in enumerate(item_ids):
        counts = cat[j, : n_cat[j]]
        if n_cat[j] < 2 or (counts > 0).sum() < 2:
            raise DataError(
                f"{where(file, item=item)}only one observed category "
                f"({np.flatnonzero(counts).tolist()}); an item needs at least two to be calibrated"
            )
        if (counts == 0).any():
            miss = np.flatnonzero(counts == 0).tolist()
            raise DataError(
                f"{where(file, item=item)}score categories {miss} are never observed inside "
                f"0..{n_cat[j] - 1}; collapse or recode categories before calibrating"
            )
        if models[j] in DICHOTOMOUS and n_cat[j] > 2:
            raise ModelError(
                f"{where(file, item=item)}has scores up to {n_cat[j] - 1}; a {models[j]} item "
                "takes 0 or 1 (use GRM or GPCM for polytomous items)"
            )
        prop.append(counts / counts.sum())
    latent_free = np.ones(len(labels), bool)
    if not len(fixed_items):
        latent_free[0] = False
    fixed_set = set(fixed_items)
    keys = [(m, int(n_cat[j]), item_ids[j] in fixed_set) for j, m in enumerate(models)]
    blocks: list[Block] = []
    mask_items = []
    offset = 0
    for key in dict.fromkeys(keys):
        m, C, is_fixed = key
        pos = np.array([j for j, k in enumerate(keys) if k == key])
        im = model_for(m)
        free = np.full(im.n_params(C), not is_fixed)
        shared = m in SHARED_SLOPE and not is_fixed
        if fix_slope and shared:
            free[0] = False
        complete = table[pos, 0] == 0
        blocks.append(Block(m, im, pos, C, offset, shared, free, complete))
        mask_items += [(len(blocks) - 1, int(r)) for r in np.flatnonzero(~complete)]
        offset += len(pos) * (C - 1)
    item_n = cat.sum(axis=1)
    return Design(
        item_ids=list(item_ids),
        models=models,
        n_cat=n_cat,
        blocks=blocks,
        mask_items=mask_items,
        n_persons=int(np.asarray(group_n).sum()),
        prop=prop,
        item_n=item_n,
        item_mean=(cat @ np.arange(cat.shape[1])) / item_n,
        group_labels=list(labels),
        group_n=np.asarray(group_n, np.int64),
        latent_free=latent_free,
    )


def indicators(design: Design, patterns: np.ndarray, dtype=np.float64) -> np.ndarray:
    """Reduced indicator matrix of ``patterns`` (item codes only), see :func:`e_step`.

    Columns: for each block, categories 1..C-1 of each item; then one
    "observed" column per item with missing responses (``design.mask_items``).
    """
    n_main = sum(b.n_red for b in design.blocks)
    Y = np.empty((len(patterns), n_main + len(design.mask_items)), dtype=dtype)
    for start in range(0, len(patterns), CHUNK_ROWS):  # block by block: small temporaries
        rows = slice(start, start + CHUNK_ROWS)
        chunk = patterns[rows]
        for blk in design.blocks:
            codes = chunk[:, blk.pos]
            step = blk.n_cat - 1
            for k in range(1, blk.n_cat):  # straight into Y's columns (no bool temporary)
                cols = slice(blk.offset + k - 1, blk.offset + blk.n_red, step)
                np.equal(codes, k, out=Y[rows, cols], casting="unsafe")
        for m, (b, r) in enumerate(design.mask_items):
            Y[rows, n_main + m] = chunk[:, design.blocks[b].pos[r]] >= 0
    return Y


def attach_patterns(design: Design, keyed: np.ndarray, counts: np.ndarray, *, n_quad: int = 61):
    """Put locally held patterns (leading group code column) into the design.

    The reduced indicators are float32 when the E-step will run in float32
    (patterns x quadrature points above two million), float64 otherwise.
    """
    single = len(keyed) * int(n_quad) > 2_000_000
    if design.n_groups > 1:  # patterns of one group contiguous (see Design.group_slices)
        order = np.argsort(keyed[:, 0], kind="stable")
        keyed, counts = keyed[order], counts[order]
    patterns = keyed[:, 1:]  # a view: no copy of the pattern table
    return replace(
        design,
        single=single,
        patterns=patterns,
        Y=indicators(design, patterns, np.float32 if single else np.float64),
        counts=counts.astype(float),
        gcode=np.ascontiguousarray(keyed[:, 0]),
    )


def n_threads() -> int:
    """Threads for chunked passes over patterns: ``PVCAL_THREADS`` (default 1).

    Each thread runs single-threaded BLAS on its own chunk (no BLAS thread
    spinning); data with one chunk (under 65,536 distinct patterns) never
    uses more than one. On the shared 2-core bench machine two threads were
    slower than one while other jobs ran, hence the default.
    """
    env = os.environ.get("PVCAL_THREADS", "").strip()
    return max(1, int(env)) if env.isdigit() else 1


def map_patterns(design: Design, fn, *args, chunk: int = CHUNK_ROWS):
    """Sum ``fn(Y, counts, gcode, *args)`` over chunks of the patterns.

    ``fn`` returns a tuple of summable partial results (floats, arrays).
    Chunks run on :func:`n_threads` threads; the partial results are added
    in chunk order, so the sums do not depend on the thread count. For a
    design whose patterns sit on a cluster, the chunks are the remote
    partitions and only these partial sums travel.
    """
    if design.store is not None:
        return design.store.map_sum(fn, *args, chunk=chunk)
    starts = range(0, max(design.n_patterns, 1), chunk)

    def run(start):
        sl = slice(start, start + chunk)
        return fn(design.Y[sl], design.counts[sl], design.gcode[sl], *args)

    workers = min(n_threads(), len(starts))
    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(run, starts))
    else:
        parts = [run(start) for start in starts]
    total = parts[0]
    for part in parts[1:]:
        total = tuple(a + b for a, b in zip(total, part))
    return total


# ---------------------------------------------------------------------------
# Priors (on the internal parameters)
# ---------------------------------------------------------------------------


def default_priors(models) -> dict:
    """Default priors: Beta(5, 17) on the 3PL lower asymptote (BILOG-MG's default)."""
    return {"c": ("beta", 5.0, 17.0)} if "3PL" in set(models) else {}


def prior_terms(block: Block, params: np.ndarray, priors: dict):
    """Log prior, gradient and (positive) curvature per item for a block.

    Shared with :mod:`pvcal.irt.information` (the prior's part of the
    observed information).
    """
    J, p = params.shape
    lp = np.zeros(J)
    g = np.zeros((J, p))
    h = np.zeros((J, p))
    if "c" in priors and isinstance(block.item_model, ThreePL):
        kind, al, be = priors["c"]
        c = expit(params[:, 2])
        lp += (al - 1) * np.log(c) + (be - 1) * np.log1p(-c)
        g[:, 2] += (al - 1) * (1 - c) - (be - 1) * c
        h[:, 2] += (al + be - 2) * c * (1 - c)
    if "a" in priors and not block.shared:
        kind, mu, sd = priors["a"]
        a = np.clip(params[:, 0], 1e-8, None)
        la = np.log(a)
        lp += -la - (la - mu) ** 2 / (2 * sd**2)
        g[:, 0] += -1 / a - (la - mu) / (sd**2 * a)
        h[:, 0] += np.clip((1 - (la - mu)) / (sd**2 * a**2) - 1 / a**2, 0, None)
    return lp, g, h


# ---------------------------------------------------------------------------
# E-step and M-step
# ---------------------------------------------------------------------------


def reduced_log_p(design: Design, params: list[np.ndarray], nodes):
    """Rows of log P matching the reduced indicator columns, and a constant.

    A pattern's log-likelihood at node q is ``Σ_j Σ_k 1[x_j = k] log P_jk`` =
    ``Σ_j 1[observed_j] log P_j0 + Σ_j Σ_{k>=1} 1[x_j = k] (log P_jk - log P_j0)``.
    For items every pattern answered, the first sum is the same for all
    patterns (a constant row); only items with missing responses need an
    "observed" indicator column. This halves the work for dichotomous items.
    """
    Q = len(nodes)
    rows, const, lps = [], np.zeros(Q), []
    for blk, par in zip(design.blocks, params):
        lp = blk.item_model.log_probs(par, nodes)  # (J, Q, C)
        rows.append((lp[:, :, 1:] - lp[:, :, :1]).transpose(0, 2, 1).reshape(blk.n_red, Q))
        const += lp[blk.complete, :, 0].sum(axis=0)
        lps.append(lp)
    rows += [lps[b][r, :, 0][None, :] for b, r in design.mask_items]
    return np.concatenate(rows, axis=0), const


def _expand_counts(design: Design, Rred: np.ndarray, total: np.ndarray) -> list[np.ndarray]:
    """Expected counts per block ``(J, Q, C)`` from the reduced products."""
    n_main = sum(b.n_red for b in design.blocks)
    out = []
    for bi, blk in enumerate(design.blocks):
        J, C = blk.n_items, blk.n_cat
        Rk = Rred[blk.offset : blk.offset + blk.n_red].reshape(J, C - 1, -1).transpose(0, 2, 1)
        N = np.repeat(total[None, :], J, axis=0)
        for m, (b, r) in enumerate(design.mask_items):
            if b == bi:
                N[r] = Rred[n_main + m]
        R0 = np.clip(N - Rk.sum(axis=2), 0.0, None)
        out.append(np.concatenate([R0[:, :, None], np.clip(Rk, 0.0, None)], axis=2))
    return out


def latent_log_weights(latent: np.ndarray, nodes) -> np.ndarray:
    """Log quadrature weights ``(G, Q)`` of N(mean_g, sd_g²) on fixed nodes."""
    z = (nodes[None, :] - latent[:, 0:1]) / latent[:, 1:2]
    lw = -0.5 * z**2
    return lw - np.log(np.exp(lw).sum(axis=1, keepdims=True))


def latent_m_step(design: Design, Ng: np.ndarray, nodes, latent: np.ndarray) -> np.ndarray:
    """Update free group means and SDs from expected counts at the nodes."""
    new = latent.copy()
    for g in np.flatnonzero(design.latent_free):
        w = Ng[g] / Ng[g].sum()
        mu = float(w @ nodes)
        new[g] = mu, float(np.sqrt(w @ (nodes - mu) ** 2))
    return new


# floor of the log joint below its row maximum before exp: exp(-80) ~ 1.8e-35 stays a
# normal float32 after scaling by counts / sum (>= 1/61), so no denormals reach the
# second product (denormal operands made it ~20x slower); exp(-700) likewise in float64
_LOG_FLOOR = {np.dtype(np.float32): -80.0, np.dtype(np.float64): -700.0}


_BUFFERS = threading.local()


def work_buffer(shape, dtype, slot: str = "e_step") -> np.ndarray:
    """A reusable per-thread work array (fresh 16 MB arrays per chunk cost page faults).

    One array is kept per ``slot`` (and thread); a new shape replaces it.
    """
    key = (tuple(shape), np.dtype(dtype))
    cache = getattr(_BUFFERS, "arrays", None)
    if cache is None:
        cache = _BUFFERS.arrays = {}
    if slot not in cache or cache[slot][0] != key:
        cache[slot] = (key, np.empty(shape, dtype))
    return cache[slot][1]


def release_work_buffers(prefix: str) -> None:
    """Drop this thread's work arrays whose slot starts with ``prefix``."""
    cache = getattr(_BUFFERS, "arrays", None) or {}
    for slot in [k for k in cache if k.startswith(prefix)]:
        del cache[slot]


def exp_log_joint(YT, counts, gcode, logp, shift, out: np.ndarray, floor: float):
    """A chunk's joint likelihoods over the nodes, scaled per pattern, and its log-likelihood.

    ``out`` (nodes x patterns, its dtype the arithmetic's) receives
    ``exp(max(log joint - its maximum, floor))`` per pattern; the floor keeps
    denormals out of the products that follow (see :data:`_LOG_FLOOR`).
    ``YT`` is the transposed reduced indicators (a view is fine) in that
    dtype; ``logp`` and ``shift`` as for :func:`e_step_partial`.

    Returns
    -------
    LL : ndarray
        ``out``, filled.
    total : ndarray
        Per pattern, the sum over the nodes (float64): ``LL / total`` is the
        posterior.
    loglik : float
        ``Σ counts log(marginal likelihood)``.
    """
    dtype = out.dtype
    # nodes x patterns layout: the reductions over nodes run along columns of
    # long contiguous rows (about 20% faster than patterns x nodes)
    LL = np.matmul(logp.T.astype(dtype), YT, out=out)
    if len(shift) == 1:
        LL += shift[0].astype(dtype)[:, None]
    else:
        LL += shift.T.astype(dtype)[:, gcode]
    m = LL.max(axis=0)
    np.subtract(LL, m, out=LL)
    np.maximum(LL, floor, out=LL)
    np.exp(LL, out=LL)
    total = LL.sum(axis=0, dtype=np.float64)
    return LL, total, float(counts @ (np.log(total) + m))


def e_step_partial(Y, counts, gcode, logp, shift, single: bool = False):
    """E-step sums over one chunk of patterns: ``(loglik, Y.T @ weighted, group node counts)``.

    ``logp`` and ``shift`` come from :func:`reduced_log_p` and the log
    weights (``shift`` is ``(G, Q)``). The three results add up over chunks.
    """
    dtype = np.dtype(np.float32 if single else np.float64)
    Yd = Y if Y.dtype == dtype else Y.astype(dtype)
    out = work_buffer((logp.shape[1], len(Yd)), dtype)
    LL, s, loglik = exp_log_joint(Yd.T, counts, gcode, logp, shift, out, _LOG_FLOOR[dtype])
    LL *= (counts / s).astype(dtype)
    Rred = np.ascontiguousarray((LL @ Yd).T, dtype=float)
    if len(shift) == 1:
        Ng = LL.sum(axis=1, dtype=np.float64)[None, :]
    else:
        Ng = np.zeros(shift.shape)
        for g in np.unique(gcode):
            Ng[g] = LL[:, gcode == g].sum(axis=1, dtype=np.float64)
    return loglik, Rred, Ng


def e_step(
    design: Design,
    params,
    nodes,
    log_w,
    single: bool = False,
    group_totals: bool = False,
):
    """Return (loglik, expected counts per block (J, Q, C)[, group node counts]).

    ``log_w`` is ``(Q,)`` or, for several groups, ``(G, Q)``.

    Two matrix products over collapsed patterns: ``Y @ log P`` and
    ``Y.T @ posterior`` (reduced indicators, see :func:`reduced_log_p`),
    chunk by chunk (:func:`map_patterns`; on a cluster, partition by
    partition), so only ``(n_red, Q)`` sums are kept. With ``single=True``
    the products and the exponentials run in float32 (about 3x faster on
    large data); the caller recomputes the final log-likelihood in float64.
    """
    logp, const = reduced_log_p(design, params, nodes)
    shift = np.atleast_2d(const + log_w)
    loglik, Rred, Ng = map_patterns(design, e_step_partial, logp, shift, single)
    R = _expand_counts(design, Rred, Ng.sum(axis=0))
    out = [loglik, R]
    if group_totals:
        out.append(Ng)
    return tuple(out)


def _block_objective(blk: Block, par, Rb, nodes, priors):
    lp = blk.item_model.log_probs(par, nodes)  # (J, Q, C)
    val = (Rb * lp).sum(axis=(1, 2))
    return val + prior_terms(blk, par, priors)[0]


def _block_grad_info(blk: Block, par, Rb, nodes, priors):
    P = np.clip(blk.item_model.probs(par, nodes), 1e-12, None)  # (J, Q, C)
    jac = blk.item_model.jacobian(par, nodes)  # (J, Q, C, p)
    g = np.einsum("jqc,jqcp->jp", Rb / P, jac)
    N = Rb.sum(axis=2)  # (J, Q)
    H = np.einsum("jq,jqcp,jqcr->jpr", N, jac / P[..., None], jac)
    lp, gp, hp = prior_terms(blk, par, priors)
    g = g + gp
    H = H + hp[:, :, None] * np.eye(par.shape[1])[None]
    return g, H


def _valid(blk: Block, par) -> np.ndarray:
    ok = (
        np.isfinite(par).all(axis=1) & (par[:, 0] > 0)
        if blk.free[0]
        else np.isfinite(par).all(axis=1)
    )
    if blk.item_model.name == "GRM" and par.shape[1] > 2:
        ok &= (np.diff(par[:, 1:], axis=1) < 0).all(axis=1)
    return ok


def m_step(design: Design, params, R, nodes, priors, max_newton: int = 25, tol: float = 1e-8):
    """Fisher scoring on every block; a shared slope is solved by Schur complement."""
    Rblocks = R
    params = [p.copy() for p in params]
    for _ in range(max_newton):
        steps = []
        shared_terms = []  # (block index, g, H) for shared-slope blocks
        for i, (blk, par, Rb) in enumerate(zip(design.blocks, params, Rblocks)):
            if not blk.free.any():
                steps.append(np.zeros_like(par))
                continue
            g, H = _block_grad_info(blk, par, Rb, nodes, priors)
            free = blk.free.copy()
            if blk.shared:
                free[0] = False  # slope handled jointly below
                shared_terms.append((i, g, H))
            idx = np.flatnonzero(free)
            step = np.zeros_like(par)
            if len(idx):
                Hs = H[:, idx][:, :, idx] + 1e-10 * np.eye(len(idx))
                step[:, idx] = np.linalg.solve(Hs, g[:, idx, None])[..., 0]
            steps.append(step)
        # joint update of the shared slope: arrowhead system [Haa  Had; Hda  Hdd]
        shared_free = any(design.blocks[i].free[0] for i, _, _ in shared_terms)
        if shared_terms and shared_free:
            num, den = 0.0, 0.0
            cache = []
            for i, g, H in shared_terms:
                Hdd = H[:, 1:, 1:] + 1e-10 * np.eye(H.shape[1] - 1)
                Hda = H[:, 1:, 0]
                x = np.linalg.solve(Hdd, np.stack([g[:, 1:], Hda], axis=-1))  # (J, p-1, 2)
                num += (g[:, 0] - (Hda * x[..., 0]).sum(1)).sum()
                den += (H[:, 0, 0] - (Hda * x[..., 1]).sum(1)).sum()
                cache.append((i, x))
            da = num / den if den > 0 else 0.0
            for i, x in cache:
                steps[i][:, 0] = da
                steps[i][:, 1:] = x[..., 0] - x[..., 1] * da
        # step halving: per item for free blocks, jointly for the shared slope
        max_step = 0.0
        scale_shared = 1.0
        if shared_terms:
            old = sum(
                _block_objective(design.blocks[i], params[i], Rblocks[i], nodes, priors).sum()
                for i, _, _ in shared_terms
            )
            for _ in range(30):
                trial = {i: params[i] + scale_shared * steps[i] for i, _, _ in shared_terms}
                if all(_valid(design.blocks[i], trial[i]).all() for i in trial):
                    new = sum(
                        _block_objective(
                            design.blocks[i], trial[i], Rblocks[i], nodes, priors
                        ).sum()
                        for i in trial
                    )
                    if new >= old - 1e-10 * abs(old):
                        break
                scale_shared /= 2
            for i, _, _ in shared_terms:
                params[i] = params[i] + scale_shared * steps[i]
                max_step = max(max_step, np.abs(scale_shared * steps[i]).max())
        for i, (blk, par, Rb) in enumerate(zip(design.blocks, params, Rblocks)):
            if blk.shared or not blk.free.any():
                continue
            old = _block_objective(blk, par, Rb, nodes, priors)
            scale = np.ones(blk.n_items)
            for _ in range(30):
                trial = par + scale[:, None] * steps[i]
                ok = _valid(blk, trial)
                new = np.where(
                    ok,
                    _block_objective(blk, np.where(ok[:, None], trial, par), Rb, nodes, priors),
                    -np.inf,
                )
                bad = ~(new >= old - 1e-10 * np.abs(old))
                if not bad.any():
                    break
                scale[bad] /= 2
            scale[bad] = 0.0
            params[i] = par + scale[:, None] * steps[i]
            max_step = max(max_step, np.abs(scale[:, None] * steps[i]).max())
        if max_step < tol:
            break
    return params


# ---------------------------------------------------------------------------
# The EM driver with SQUAREM acceleration
# ---------------------------------------------------------------------------


@dataclass
class EMFit:
    """Raw output of :func:`fit_em` (internal parameters)."""

    params: list[np.ndarray]
    latent: np.ndarray  # (G, 2): mean and SD per group
    n_iter: int
    converged: bool
    max_change: float
    history: list[float] = field(default_factory=list)
    seconds: float = 0.0


def _flatten(params) -> np.ndarray:
    return np.concatenate([p.ravel() for p in params])


def _unflatten(vec, like) -> list[np.ndarray]:
    out, i = [], 0
    for p in like:
        out.append(vec[i : i + p.size].reshape(p.shape))
        i += p.size
    return out


def start_values(design: Design) -> list[np.ndarray]:
    """Starting values from observed category proportions."""
    params = []
    for blk in design.blocks:
        prop = np.array([design.prop[j] for j in blk.pos])
        par = blk.item_model.start(prop, blk.n_cat)
        if blk.shared:
            par[:, 0] = 1.0
        params.append(par)
    return params


def log_prior_total(design, params, priors) -> float:
    return float(sum(prior_terms(b, p, priors)[0].sum() for b, p in zip(design.blocks, params)))


def valid_state(design: Design, state) -> bool:
    """Whether ``state`` is inside the parameter space EM and the Newton step may visit.

    Finite parameters, positive free slopes, ordered GRM thresholds, latent
    SDs above 0.05 and means within ±5.

    Parameters
    ----------
    design : Design
    state : list of ndarray
        Block parameters followed by the ``(G, 2)`` latent means and SDs.

    Returns
    -------
    bool
    """
    return bool(
        all(_valid(b, p).all() for b, p in zip(design.blocks, state[:-1]))
        and (state[-1][:, 1] > 0.05).all()
        and (np.abs(state[-1][:, 0]) < 5).all()
    )


def fit_em(
    design: Design,
    *,
    nodes,
    priors: dict,
    tol: float = 1e-4,
    max_iter: int = 500,
    accelerate: bool = True,
    start=None,
    latent_start=None,
    progress=None,
    single: bool | None = None,
) -> EMFit:
    """Run Bock–Aitkin EM (with SQUAREM) to convergence.

    The state is the item parameters plus each group's latent mean and SD
    (fixed at 0 and 1 for the reference group unless items are fixed).
    Convergence: the largest absolute change of any parameter in one plain
    EM step is below ``tol`` (R mirt's ``TOL`` criterion, default 1e-4).
    The float64 log-likelihood at the final state is the caller's
    (:func:`pvcal.irt.newton.polish`); ``history`` holds the E-steps' own.
    """
    t0 = time.perf_counter()
    if single is None:  # float32 E-steps only where they pay off
        single = design.n_patterns * len(nodes) > 2_000_000
    params = [p.copy() for p in (start if start is not None else start_values(design))]
    latent = (
        np.tile([0.0, 1.0], (design.n_groups, 1))
        if latent_start is None
        else np.array(latent_start, float)
    )
    state = params + [latent]
    history: list[float] = []
    n_iter = 0

    def em_map(st):
        nonlocal n_iter
        n_iter += 1
        par, lat = st[:-1], st[-1]
        log_w = latent_log_weights(lat, nodes)
        ll, R, Ng = e_step(design, par, nodes, log_w, single=single, group_totals=True)
        new = m_step(design, par, R, nodes, priors)
        return ll + log_prior_total(design, par, priors), new + [
            latent_m_step(design, Ng, nodes, lat)
        ]

    converged = False
    change = np.inf
    bar = progress
    while n_iter < max_iter:
        lp0, s1 = em_map(state)
        history.append(lp0)
        change = float(np.max(np.abs(_flatten(s1) - _flatten(state))))
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loglik=f"{lp0:.3f}", change=f"{change:.1e}")
        if change < tol:
            state = s1
            converged = True
            break
        if not accelerate or n_iter + 2 > max_iter:
            state = s1
            continue
        lp1, s2 = em_map(s1)
        x0, x1, x2 = _flatten(state), _flatten(s1), _flatten(s2)
        r = x1 - x0
        v = x2 - x1 - r
        nv = np.linalg.norm(v)
        alpha = -np.linalg.norm(r) / nv if nv > 0 else -1.0
        alpha = min(alpha, -1.0)
        candidate = None
        if alpha < -1.0:
            sp = _unflatten(x0 - 2 * alpha * r + alpha**2 * v, state)
            if valid_state(design, sp):
                lpp, snew = em_map(sp)
                if np.isfinite(lpp) and lpp >= lp1 - 1e-9 * abs(lp1):
                    candidate = snew
        state = candidate if candidate is not None else s2
    params, latent = state[:-1], state[-1]
    if not converged:
        warnings.warn(
            f"EM did not converge in {max_iter} iterations (last max parameter change "
            f"{change:.2e} > tol {tol:g}); raise max_iter or check the model",
            ConvergenceWarning,
            stacklevel=3,
        )
    return EMFit(
        params=params,
        latent=latent,
        n_iter=n_iter,
        converged=converged,
        max_change=change,
        history=history,
        seconds=time.perf_counter() - t0,
    )
