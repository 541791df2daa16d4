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

import time
import warnings
from dataclasses import dataclass, field

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

__all__ = [
    "fit_em",
    "EMFit",
    "quadrature",
    "prepare",
    "Design",
    "Block",
    "e_step",
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
    """Collapsed responses and the block structure of the items."""

    item_ids: list
    models: list[str]
    n_cat: np.ndarray
    blocks: list[Block]
    patterns: np.ndarray  # (n_patterns, n_items) int8, -1 = missing
    Y: np.ndarray  # (n_patterns, n_red + n_mask) reduced indicators, see e_step
    mask_items: list  # (block index, row) of items with missing responses
    counts: np.ndarray  # (n_patterns,)
    inverse: np.ndarray  # (n_persons,) person -> pattern
    n_persons: int
    prop: list  # observed category proportions per item
    group_labels: list = field(default_factory=lambda: [None])
    group_slices: list = field(default_factory=list)  # patterns of group g (sorted by group)
    latent_free: np.ndarray = field(default_factory=lambda: np.zeros(1, bool))
    _y32: np.ndarray | None = None

    @property
    def n_groups(self) -> int:
        return len(self.group_labels)

    @property
    def Y32(self) -> np.ndarray:
        if self._y32 is None:
            self._y32 = np.ascontiguousarray(self.Y, dtype=np.float32)
        return self._y32


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


def prepare(
    wide: pd.DataFrame,
    model,
    *,
    fix_slope: bool = False,
    file: str | None = None,
    groups=None,
    reference_group=None,
    fixed_items=(),
) -> Design:
    """Validate wide responses and build the EM design.

    ``groups`` (one label per row) makes a multiple-group design: the
    reference group keeps N(0, 1) and every other group gets a free latent
    mean and SD. With ``fixed_items`` (ids whose parameters are held at given
    values) every group's mean and SD are free, since the fixed items set the
    scale.

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
    check_int_scores(wide, file=file)
    if wide.columns.duplicated().any():
        dup = wide.columns[wide.columns.duplicated()].tolist()
        raise DataError(f"{where(file)}duplicate item column(s) {dup[:5]}")
    X = wide.to_numpy(dtype=float, na_value=np.nan)
    obs = ~np.isnan(X)
    empty_items = [wide.columns[j] for j in np.flatnonzero(~obs.any(axis=0))]
    if empty_items:
        raise DataError(f"{where(file)}item(s) {empty_items[:5]} answered by nobody")
    empty_persons = np.flatnonzero(~obs.any(axis=1))
    if empty_persons.size:
        rows = wide.index[empty_persons[:5]].tolist()
        raise DataError(
            f"{where(file)}{empty_persons.size} person(s) with no responses, e.g. rows {rows}; "
            "drop them before calibrating"
        )
    models = models_per_item(model, wide.columns)
    if np.nanmax(X) > 100:
        j = int(np.nanargmax(np.nanmax(X, axis=0)))
        raise DataError(
            f"{where(file, item=wide.columns[j])}score {np.nanmax(X):g}; item scores above 100 "
            "are not item scores (expected 0..max_score per item)"
        )
    Xi = np.where(obs, X, -1).astype(np.int16)
    n_cat = Xi.max(axis=0).astype(int) + 1
    prop = []
    for j, item in enumerate(wide.columns):
        counts = np.bincount(Xi[obs[:, j], j], minlength=n_cat[j])
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

    # groups: reference first; the group code leads each pattern key so that
    # collapsed patterns come out sorted by group (contiguous slices)
    if groups is None:
        labels, gcode = [None], np.zeros(len(wide), np.int8)
    else:
        g = pd.Series(np.asarray(groups))
        if len(g) != len(wide) or g.isna().any():
            raise DataError(
                f"{where(file)}groups must give one label per response row "
                f"({len(wide)} rows), without missing labels"
            )
        labels = list(pd.unique(g))
        if reference_group is not None:
            if reference_group not in labels:
                raise DataError(f"reference_group {reference_group!r} is not among {labels}")
            labels.remove(reference_group)
            labels.insert(0, reference_group)
        if len(labels) > 100:
            raise DataError(f"{len(labels)} groups; at most 100 are supported")
        gcode = g.map({lab: i for i, lab in enumerate(labels)}).to_numpy(np.int8)
    latent_free = np.ones(len(labels), bool)
    if not len(fixed_items):
        latent_free[0] = False

    # collapse identical response patterns (LSAT-type data shrink a lot)
    Xi = np.ascontiguousarray(np.column_stack([gcode, Xi.astype(np.int8)]))
    keys_void = Xi.view(np.dtype((np.void, Xi.shape[1]))).ravel()
    _, first, inverse, counts = np.unique(
        keys_void, return_index=True, return_inverse=True, return_counts=True
    )
    pat_group = Xi[first, 0]
    patterns = Xi[first, 1:]
    inverse = inverse.ravel()
    bounds = np.searchsorted(pat_group, np.arange(len(labels) + 1))
    slices = [slice(int(bounds[i]), int(bounds[i + 1])) for i in range(len(labels))]
    fixed_set = set(fixed_items)

    blocks: list[Block] = []
    keys = []
    for j, m in enumerate(models):
        keys.append((m, int(n_cat[j]), wide.columns[j] in fixed_set))
    offset = 0
    ycols = []
    masks = []
    mask_items = []
    for key in dict.fromkeys(keys):
        m, C, is_fixed = key
        pos = np.array([j for j, k in enumerate(keys) if k == key])
        im = model_for(m)
        npar = im.n_params(C)
        free = np.full(npar, not is_fixed)
        shared = m in SHARED_SLOPE and not is_fixed
        if fix_slope and shared:
            free[0] = False
        sub = patterns[:, pos]
        complete = (sub >= 0).all(axis=0)
        blocks.append(Block(m, im, pos, C, offset, shared, free, complete))
        ycols.append((sub[:, :, None] == np.arange(1, C)[None, None, :]).reshape(len(patterns), -1))
        for r in np.flatnonzero(~complete):
            mask_items.append((len(blocks) - 1, int(r)))
            masks.append(sub[:, r] >= 0)
        offset += len(pos) * (C - 1)
    Y = np.ascontiguousarray(
        np.concatenate(ycols + [np.column_stack(masks)] if masks else ycols, axis=1), dtype=float
    )
    return Design(
        list(wide.columns),
        models,
        n_cat,
        blocks,
        patterns,
        Y,
        mask_items,
        counts.astype(float),
        inverse,
        len(wide),
        prop,
        labels,
        slices,
        latent_free,
    )


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


def _reduced_log_p(design: Design, params: list[np.ndarray], nodes):
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


def e_step(
    design: Design,
    params,
    nodes,
    log_w,
    want_post: bool = False,
    single: bool = False,
    group_totals: bool = False,
):
    """Return (loglik, expected counts per block (J, Q, C)[, group node counts][, posterior]).

    ``log_w`` is ``(Q,)`` or, for several groups, ``(G, Q)``.

    Two matrix products over collapsed patterns: ``Y @ log P`` and
    ``Y.T @ posterior`` (reduced indicators, see :func:`_reduced_log_p`).
    With ``single=True`` they and the exponentials run in float32 (about 3x
    faster on large data); the caller recomputes the final log-likelihood in
    float64.
    """
    logp, const = _reduced_log_p(design, params, nodes)
    shift = np.atleast_2d(const + log_w)
    dtype = np.float32 if single else np.float64
    Y = design.Y32 if single else design.Y
    LL = Y @ logp.astype(dtype)
    if len(shift) == 1:
        LL += shift.astype(dtype)
    else:
        for g, sl in enumerate(design.group_slices):
            LL[sl] += shift[g].astype(dtype)
    m = LL.max(axis=1, keepdims=True)
    np.subtract(LL, m, out=LL)
    np.exp(LL, out=LL)
    s = LL.sum(axis=1, keepdims=True, dtype=np.float64)
    loglik = float(design.counts @ (np.log(s[:, 0]) + m[:, 0]))
    if want_post:
        LL /= s.astype(LL.dtype)  # posterior per pattern
        weighted = LL * design.counts[:, None].astype(LL.dtype)
    else:
        LL *= (design.counts / s[:, 0]).astype(LL.dtype)[:, None]
        weighted = LL
    Rred = (Y.T @ weighted).astype(float)
    total = weighted.sum(axis=0, dtype=np.float64)
    R = _expand_counts(design, Rred, total)
    out = [loglik, R]
    if group_totals:
        if design.n_groups == 1:
            out.append(total[None, :])
        else:
            out.append(
                np.stack([weighted[sl].sum(axis=0, dtype=np.float64) for sl in design.group_slices])
            )
    if want_post:
        out.append(LL)
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
    loglik: float
    log_prior: float
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
    """
    t0 = time.perf_counter()
    if single is None:  # float32 E-steps only where they pay off
        single = design.Y.shape[0] * len(nodes) > 2_000_000
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

    def valid(st) -> bool:
        return bool(
            all(_valid(b, p).all() for b, p in zip(design.blocks, st[:-1]))
            and (st[-1][:, 1] > 0.05).all()
            and (np.abs(st[-1][:, 0]) < 5).all()
        )

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
            if valid(sp):
                lpp, snew = em_map(sp)
                if np.isfinite(lpp) and lpp >= lp1 - 1e-9 * abs(lp1):
                    candidate = snew
        state = candidate if candidate is not None else s2
    params, latent = state[:-1], state[-1]
    ll = e_step(design, params, nodes, latent_log_weights(latent, nodes))[0]
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
        loglik=ll,
        log_prior=log_prior_total(design, params, priors),
        n_iter=n_iter,
        converged=converged,
        max_change=change,
        history=history,
        seconds=time.perf_counter() - t0,
    )
