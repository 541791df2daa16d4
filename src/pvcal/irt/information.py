"""Standard errors of item (and latent) parameters from the information matrix.

Two estimates of the information matrix of the free (internal) parameters:

``"crossprod"``
    The cross-product of the per-pattern score vectors (XPD; the empirical
    information; mirt ``SE.type = "crossprod"``). It comes out of the one
    float64 *final pass* (:func:`final_pass`) that also gives the
    log-likelihood and the gradient used by the Newton step after EM
    (:mod:`pvcal.irt.newton`); that pass costs about two float32 E-steps
    (3.2 s at 1,000,000 x 100), so it is the default for large samples.
``"observed"``
    The observed information: the negative Jacobian of the analytic marginal
    score (Fisher's identity), by central differences. Costs two E-steps per
    free parameter; the most accurate choice for small and medium samples
    (the quantity mirt's default ``SE.type = "Oakes"`` computes).

Either is inverted and carried to the reported (IRT) parameterisation by the
delta method, with the Jacobian of the reparameterisation taken numerically.
Free latent means and SDs (multiple-group and fixed-parameter calibration)
are parameters too, so their uncertainty enters the item standard errors.

The *state* is the list of block parameter arrays followed by the ``(G, 2)``
array of latent means and SDs, as :func:`pvcal.irt.estimate.fit_em` keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .estimate import (
    Design,
    exp_log_joint,
    latent_log_weights,
    map_patterns,
    prior_terms,
    reduced_log_p,
    release_work_buffers,
    work_buffer,
)

__all__ = [
    "FreeMap",
    "ScorePlan",
    "FinalPass",
    "score_plan",
    "pass_partial",
    "final_pass",
    "information",
    "reported_covariance",
]


class FreeMap:
    """Maps the free parameters of a state to a flat vector.

    Entries are ``("shared", None, 0)`` for a slope shared by several items,
    ``(block, row, column)`` for an item parameter and ``("latent", g, k)``
    for the mean (k = 0) or SD (k = 1) of a free group.
    """

    def __init__(self, design: Design):
        self.design = design
        self.entries: list[tuple] = []
        self.shared_blocks = [i for i, b in enumerate(design.blocks) if b.shared and b.free[0]]
        if self.shared_blocks:
            self.entries.append(("shared", None, 0))
        for i, blk in enumerate(design.blocks):
            for col in np.flatnonzero(blk.free):
                if blk.shared and col == 0:
                    continue
                self.entries += [(i, r, int(col)) for r in range(blk.n_items)]
        for g in np.flatnonzero(design.latent_free):
            self.entries += [("latent", int(g), 0), ("latent", int(g), 1)]
        self.size = len(self.entries)

    def get(self, state) -> np.ndarray:
        out = np.empty(self.size)
        for k, (i, r, c) in enumerate(self.entries):
            if i == "shared":
                out[k] = state[self.shared_blocks[0]][0, 0]
            elif i == "latent":
                out[k] = state[-1][r, c]
            else:
                out[k] = state[i][r, c]
        return out

    def set(self, state, vec) -> list[np.ndarray]:
        new = [p.copy() for p in state]
        for k, (i, r, c) in enumerate(self.entries):
            if i == "shared":
                for j in self.shared_blocks:
                    new[j][:, 0] = vec[k]
            elif i == "latent":
                new[-1][r, c] = vec[k]
            else:
                new[i][r, c] = vec[k]
        return new


@dataclass(frozen=True)
class _BlockPlan:
    """Where one block's score columns come from (see :func:`score_plan`)."""

    offset: int  # first reduced-indicator column of the block
    n_cat: int
    out: int  # first output column (FreeMap order); -1 when no free column
    base: np.ndarray  # (n_cols, J) columns of U for category 0 (G_0)
    cats: np.ndarray  # (C-1, n_cols, J) columns of U for G_k - G_0
    cat_const: tuple  # per k: the same U column for every item of a parameter
    observed: tuple  # (item row, Y column) of items with missing responses
    shared: tuple  # (base (J,), cats (C-1, J)) of the shared slope, or ()


@dataclass(frozen=True)
class ScorePlan:
    """Everything a chunk of patterns needs for its posteriors and score vectors.

    Small (quadrature points x distinct derivative columns), so it travels to
    Dask workers with the task. ``U`` holds the distinct columns of
    ``d log P_k / d psi`` (category 0) and ``d log P_k / d psi - d log P_0 / d psi``
    (categories k >= 1) over all items, plus the latent-weight derivatives;
    ``posterior @ U`` is the pass's one product besides the log joint.
    """

    logp: np.ndarray
    shift: np.ndarray
    U: np.ndarray
    blocks: tuple
    latent: tuple  # (group, U column of d/dmean, U column of d/dsd, output column)
    size: int


def score_plan(design: Design, state, nodes) -> ScorePlan:
    """The :class:`ScorePlan` of ``state``.

    Derivative columns equal to 12 decimals are computed once: for the 2PL
    (and the GPCM), ``d log P_1 - d log P_0`` is ``(theta, 1)`` for every
    item, so the product shrinks from ``J x p x C`` to ``J x p + p`` columns
    (rounding moves a column by at most 5e-13).

    Parameters
    ----------
    design : Design
        The EM design (its blocks, free masks and items with missing data).
    state : list of ndarray
        Block parameters followed by the ``(G, 2)`` latent means and SDs.
    nodes : ndarray
        Quadrature nodes.

    Returns
    -------
    ScorePlan
    """
    params, latent = state[:-1], state[-1]
    log_w = latent_log_weights(latent, nodes)
    logp, const = reduced_log_p(design, params, nodes)
    fm = FreeMap(design)
    columns: list[np.ndarray] = []

    def register(mat) -> np.ndarray:  # (Q, ...) -> indices into `columns`
        flat = mat.reshape(mat.shape[0], -1)
        start = len(columns)
        columns.extend(flat.T)
        return np.arange(start, start + flat.shape[1]).reshape(mat.shape[1:])

    out = 1 if fm.shared_blocks else 0
    blocks = []
    for bi, (blk, par) in enumerate(zip(design.blocks, params)):
        P = np.clip(blk.item_model.probs(par, nodes), 1e-12, None)
        G = blk.item_model.jacobian(par, nodes) / P[..., None]  # (J, Q, C, p)
        cols = [int(c) for c in np.flatnonzero(blk.free) if not (blk.shared and c == 0)]
        D0 = G[:, :, 0, :].transpose(1, 2, 0)  # (Q, p, J)
        Dk = (G[:, :, 1:, :] - G[:, :, :1, :]).transpose(1, 2, 3, 0)  # (Q, C-1, p, J)
        base = register(D0[:, cols, :])
        cats = register(Dk[:, :, cols, :])
        shared = ()
        if blk.shared and blk.free[0]:
            shared = (register(D0[:, 0, :]), register(Dk[:, :, 0, :]))
        observed = tuple(
            (r, sum(b.n_red for b in design.blocks) + m)
            for m, (b, r) in enumerate(design.mask_items)
            if b == bi
        )
        blocks.append([blk.offset, blk.n_cat, out if cols else -1, base, cats, observed, shared])
        out += len(cols) * blk.n_items
    lat = []
    w = np.exp(log_w)
    for g in np.flatnonzero(design.latent_free):
        mu, sd = latent[g]
        dmu = (nodes - mu) / sd**2
        dsd = ((nodes - mu) ** 2 - sd**2) / sd**3
        idx = register(np.column_stack([dmu - w[g] @ dmu, dsd - w[g] @ dsd]))
        lat.append((int(g), int(idx[0]), int(idx[1]), out))
        out += 2
    # distinct columns (to 12 decimals): the product's width, and the index maps
    U, inverse = np.unique(np.round(np.column_stack(columns), 12), axis=1, return_inverse=True)
    inverse = inverse.ravel()
    plans = []
    for offset, n_cat, start, base, cats, observed, shared in blocks:
        cats_u = inverse[cats]
        plans.append(
            _BlockPlan(
                offset=offset,
                n_cat=n_cat,
                out=start,
                base=inverse[base],
                cats=cats_u,
                cat_const=tuple(bool((c == c[:, :1]).all()) for c in cats_u),
                observed=observed,
                shared=() if not shared else (inverse[shared[0]], inverse[shared[1]]),
            )
        )
    lat = tuple((g, int(inverse[i]), int(inverse[j]), o) for g, i, j, o in lat)
    return ScorePlan(
        logp=logp,
        shift=np.atleast_2d(const + log_w),
        U=np.ascontiguousarray(U),
        blocks=tuple(plans),
        latent=lat,
        size=fm.size,
    )


def _item_scores(MT, YT, bp: _BlockPlan, base, cats, const, out=None) -> np.ndarray:
    """Item scores ``(n_cols, J, n)`` of one block, patterns along the rows.

    ``observed * (post @ G_0) + sum_k 1[x = k] * (post @ (G_k - G_0))``, with
    ``MT = U.T @ post.T`` and ``YT`` the chunk's transposed reduced indicators.
    """
    s = np.take(MT, base, axis=0, out=out)
    if bp.observed:
        rows = [r for r, _ in bp.observed]
        s[:, rows, :] *= YT[[c for _, c in bp.observed]][None]
    step = bp.n_cat - 1
    J = base.shape[-1]
    for k in range(step):
        Yk = YT[bp.offset + k : bp.offset + k + J * step : step]  # (J, n) view
        if const[k]:  # one column per parameter, broadcast over the items
            s += Yk[None] * MT[cats[k][:, 0]][:, None, :]
        else:
            s += Yk[None] * MT[cats[k]]
    return s


def pass_partial(Y, counts, gcode, plan: ScorePlan, what: str = "cross"):
    """One chunk of the final pass: ``(loglik, Σ n s, Σ n s s')`` in float64.

    Parameters
    ----------
    Y : ndarray
        The chunk's reduced indicators ``(n, n_red + n_mask)`` (float32 or 64).
    counts : ndarray
        Pattern counts ``(n,)``.
    gcode : ndarray
        Group code of each pattern ``(n,)``.
    plan : ScorePlan
        From :func:`score_plan`.
    what : {"cross", "grad", "loglik"}
        ``"loglik"``: only the first result (the others are 0); ``"grad"``:
        no cross-product; ``"cross"``: all three.

    Returns
    -------
    loglik : float
    grad : ndarray or 0.0
        ``(n_free,)``, without the priors.
    cross : ndarray or 0.0
        ``(n_free, n_free)``, without the priors.

    ``s`` is a pattern's score vector over the free parameters (the gradient
    of its log marginal likelihood, by Fisher's identity the posterior mean of
    the complete-data score), in :class:`FreeMap` order. Everything runs in a
    features x patterns layout, so every gather and product reads whole rows.
    """
    n = len(Y)
    # reused per-thread work arrays: fresh ones per chunk cost page faults
    YT = work_buffer((Y.shape[1], n), np.float64, "pass_y")
    np.copyto(YT, np.asarray(Y).T)
    post = work_buffer((len(plan.U), n), np.float64, "pass_post")
    # floor at exp(-300): posterior weights times the derivative columns stay
    # normal floats (denormal products made the next product ~3x slower)
    LL, total, loglik = exp_log_joint(YT, counts, gcode, plan.logp, plan.shift, post, -300.0)
    if what == "loglik":
        return loglik, 0.0, 0.0
    LL /= total
    MT = np.matmul(plan.U.T, LL, out=work_buffer((plan.U.shape[1], n), np.float64, "pass_m"))
    ST = work_buffer((plan.size, n), np.float64, "pass_s")
    shared = np.zeros(n) if any(bp.shared for bp in plan.blocks) else None
    for bp in plan.blocks:
        if bp.out >= 0:
            rows = ST[bp.out : bp.out + bp.base.size].reshape(*bp.base.shape, n)
            _item_scores(MT, YT, bp, bp.base, bp.cats, bp.cat_const, out=rows)
        if bp.shared:
            base, cats = bp.shared
            const = tuple(False for _ in range(bp.n_cat - 1))
            shared += _item_scores(MT, YT, bp, base[None], cats[:, None], const).sum(axis=(0, 1))
    if shared is not None:
        ST[0] = shared
    for g, i_mu, i_sd, row in plan.latent:
        sel = gcode == g
        ST[row] = MT[i_mu] * sel
        ST[row + 1] = MT[i_sd] * sel
    grad = ST @ counts
    if what == "grad":
        return loglik, grad, 0.0
    ST *= np.sqrt(counts)
    # A @ A.T: numpy calls BLAS syrk (half the work of a general product)
    return loglik, grad, ST @ ST.T


# rows per chunk of the final pass: (rows x free parameters) float64 blocks stay small
_SCORE_CHUNK = 16_384


def _prior_vector(fm: FreeMap, state, priors, which: int) -> np.ndarray:
    """Prior gradient (which = 1) or curvature (which = 2) on the free entries."""
    terms = [prior_terms(b, p, priors)[which] for b, p in zip(fm.design.blocks, state[:-1])]
    out = np.zeros(fm.size)
    for k, (i, r, c) in enumerate(fm.entries):
        if isinstance(i, int):
            out[k] = terms[i][r, c]
    return out


@dataclass(frozen=True)
class FinalPass:
    """Log-likelihood (float64), gradient and cross-product information at one state.

    ``grad`` and ``info`` include the priors' gradient and curvature, so
    ``info`` is the empirical (cross-product) information of the posterior
    mode being estimated.
    """

    loglik: float
    grad: np.ndarray
    info: np.ndarray
    fm: FreeMap


def final_pass(design: Design, state, nodes, priors, what: str = "cross") -> FinalPass:
    """One float64 pass over the patterns: log-likelihood, score sums and ``Σ n s s'``.

    The full pass costs about as much as two float32 E-steps (the log joint,
    ``posterior @ U``, then ``syrk`` over the score vectors); ``"loglik"``
    about half of one. Chunks of 16,384 patterns, summed in chunk order
    (:func:`pvcal.irt.estimate.map_patterns`; on Dask, partition by partition).

    Parameters
    ----------
    design, state, nodes
        As for :func:`score_plan`.
    priors : dict
        Priors on the internal parameters: their gradient is added to
        ``grad`` and their curvature to ``info``.
    what : {"cross", "grad", "loglik"}
        How much to compute (see :func:`pass_partial`).

    Returns
    -------
    FinalPass
        ``grad`` is None for ``"loglik"``, ``info`` None unless ``"cross"``.
    """
    fm = FreeMap(design)
    plan = score_plan(design, state, nodes)
    ll, grad, cross = map_patterns(design, pass_partial, plan, what, chunk=_SCORE_CHUNK)
    release_work_buffers("pass_")  # up to (free parameters x 16,384) float64 each
    if what == "loglik":
        return FinalPass(float(ll), None, None, fm)
    info = cross + np.diag(_prior_vector(fm, state, priors, 2)) if what == "cross" else None
    return FinalPass(float(ll), grad + _prior_vector(fm, state, priors, 1), info, fm)


def _gradient(design: Design, state, nodes, priors) -> np.ndarray:
    return final_pass(design, state, nodes, priors, what="grad").grad


def information(design: Design, state, nodes, priors, method: str = "crossprod", at=None):
    """Information matrix of the free parameters and its :class:`FreeMap`.

    Parameters
    ----------
    design : Design
        The EM design.
    state : list of ndarray
        Block parameters and the ``(G, 2)`` latent means and SDs.
    nodes : ndarray
        Quadrature nodes.
    priors : dict
        Priors on the internal parameters (their curvature is added).
    method : {"crossprod", "observed"}
        See the module docstring.
    at : FinalPass, optional
        For ``"crossprod"``: a pass whose information is used as it is. The
        caller decides where it was computed; :func:`pvcal.calibrate` passes
        the one from before the Newton step (:mod:`pvcal.irt.newton`), a
        step of the order of ``tol`` away. Ignored for ``"observed"``, which
        is always computed at ``state``.

    Returns
    -------
    info : ndarray
        ``(n_free, n_free)``, in :class:`FreeMap` order.
    fm : FreeMap
    """
    if method == "crossprod":
        fp = at if at is not None else final_pass(design, state, nodes, priors)
        return fp.info, fp.fm
    if method == "observed":
        fm = FreeMap(design)
        x0 = fm.get(state)
        info = np.empty((fm.size, fm.size))
        for k in range(fm.size):
            h = 1e-5 * max(1.0, abs(x0[k]))
            up, dn = x0.copy(), x0.copy()
            up[k] += h
            dn[k] -= h
            gu = _gradient(design, fm.set(state, up), nodes, priors)
            gd = _gradient(design, fm.set(state, dn), nodes, priors)
            info[:, k] = -(gu - gd) / (2 * h)
        return (info + info.T) / 2, fm
    raise ValueError(method)  # pragma: no cover - validated by the caller


def reported_covariance(info, fm: FreeMap, state, report):
    """Covariance of the reported parameters by the delta method.

    ``report(state) -> 1-d array`` maps the internal state to the reported
    vector; its Jacobian is taken by central differences.
    """
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(info)
    x0 = fm.get(state)
    r0 = report(state)
    jac = np.empty((len(r0), fm.size))
    for k in range(fm.size):
        h = 1e-6 * max(1.0, abs(x0[k]))
        up, dn = x0.copy(), x0.copy()
        up[k] += h
        dn[k] -= h
        jac[:, k] = (report(fm.set(state, up)) - report(fm.set(state, dn))) / (2 * h)
    return jac @ cov @ jac.T
