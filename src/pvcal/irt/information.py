"""Standard errors of item (and latent) parameters from the information matrix.

Two estimates of the information matrix of the free (internal) parameters:

``"crossprod"``
    The cross-product of the per-pattern score vectors (XPD; the empirical
    information; mirt ``SE.type = "crossprod"``). One pass over the data: it
    costs about one E-step, so it is the default for large samples.
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

import numpy as np

from .estimate import (
    Design,
    latent_log_weights,
    map_patterns,
    posterior,
    prior_terms,
    reduced_log_p,
)

__all__ = [
    "FreeMap",
    "chunk_scores",
    "score_vectors",
    "score_sums",
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

    def columns(self, item_scores, latent_scores) -> np.ndarray:
        """Assemble per-block ``(n, J, p)`` and latent ``(n, G, 2)`` scores into ``(n, size)``.

        The order follows ``entries``: the shared slope, then block by block
        each free column for all of the block's items, then latent entries.
        """
        parts = []
        if self.shared_blocks:
            shared = sum(item_scores[j][:, :, 0].sum(axis=1) for j in self.shared_blocks)
            parts.append(shared[:, None])
        for blk, s in zip(self.design.blocks, item_scores):
            cols = [c for c in np.flatnonzero(blk.free) if not (blk.shared and c == 0)]
            if cols:
                parts.append(s[:, :, cols].transpose(0, 2, 1).reshape(len(s), -1))
        free = np.flatnonzero(self.design.latent_free)
        if free.size:
            parts.append(latent_scores[:, free, :].reshape(len(latent_scores), -1))
        return np.concatenate(parts, axis=1)


def chunk_scores(design: Design, Y, gcode, state, nodes, dtype=np.float64):
    """Score vectors of one chunk of patterns: item blocks ``(n, J, p)`` and latent ``(n, G, 2)``.

    ``Y`` and ``gcode`` are the chunk's reduced indicators and group codes;
    ``dtype`` that of the item score products (the posterior is float64).
    """
    params, latent = state[:-1], state[-1]
    log_w = latent_log_weights(latent, nodes)
    logp, const = reduced_log_p(design, params, nodes)
    post = posterior(Y, gcode, logp, np.atleast_2d(const + log_w))
    Y = np.asarray(Y, dtype)
    post_d = post.astype(dtype, copy=False)
    # s_njp = Σ_q post_nq Σ_k 1[x_nj = k] G_jkqp with G = (dP/dψ) / P. With the
    # reduced indicators (categories 1..K, and "observed" only where missing):
    # s = observed ∘ (post @ G_0) + Σ_{k>=1} 1[x = k] ∘ (post @ (G_k - G_0)).
    n = len(post)
    n_main = sum(b.n_red for b in design.blocks)
    items = []
    for bi, (blk, par) in enumerate(zip(design.blocks, params)):
        P = np.clip(blk.item_model.probs(par, nodes), 1e-12, None)
        G = blk.item_model.jacobian(par, nodes) / P[..., None]  # (J, Q, C, p)
        J, Q, C, p = G.shape
        # one product for every component: post @ [G_0 | G_k - G_0], (n, J p C)
        G0 = G[:, :, 0, :].transpose(1, 0, 2).reshape(Q, J * p)
        Gd = (G[:, :, 1:, :] - G[:, :, :1, :]).transpose(1, 0, 2, 3).reshape(Q, J * (C - 1) * p)
        M = post_d @ np.concatenate([G0, Gd], axis=1).astype(dtype)
        Yk = Y[:, blk.offset : blk.offset + blk.n_red].reshape(n, J, C - 1, 1)
        s = (M[:, J * p :].reshape(n, J, C - 1, p) * Yk).sum(axis=2)
        base = M[:, : J * p].reshape(n, J, p)
        rows = [(r, n_main + m) for m, (b, r) in enumerate(design.mask_items) if b == bi]
        if rows:
            observed = np.ones((n, J), dtype)
            for r, col in rows:
                observed[:, r] = Y[:, col]
            base = base * observed[:, :, None]
        s += base
        items.append(s)
    # d log w_gq / d(mean, sd) for the normalised weights on the fixed grid
    lat = np.zeros((n, design.n_groups, 2))
    w = np.exp(log_w)
    for g in range(design.n_groups):
        sel = gcode == g
        mu, sd = latent[g]
        dmu = (nodes - mu) / sd**2
        dsd = ((nodes - mu) ** 2 - sd**2) / sd**3
        dmu -= w[g] @ dmu
        dsd -= w[g] @ dsd
        lat[sel, g, 0] = post[sel] @ dmu
        lat[sel, g, 1] = post[sel] @ dsd
    return items, lat


def score_vectors(design: Design, state, nodes):
    """Score vectors ``(n, J, p)`` and ``(n, G, 2)`` of a design holding its patterns."""
    return chunk_scores(design, design.Y, design.gcode, state, nodes)


def score_sums(Y, counts, gcode, design: Design, state, nodes, cross: bool = True):
    """Sums over one chunk: ``(Σ n s s', Σ n s)`` of the free-parameter score vectors."""
    fm = FreeMap(design)
    # float64 throughout (float32 score products measured slower here: mixed-type casts)
    s = fm.columns(*chunk_scores(design, Y, gcode, state, nodes))
    grad = counts @ s
    if not cross:
        return 0.0, grad
    s *= np.sqrt(counts)[:, None]
    # A.T @ A: numpy calls BLAS syrk (half the work of a general product); chunks add in float64
    return (s.T @ s).astype(float), grad


# rows per chunk of score vectors: (rows x free parameters) float64 blocks stay small
_SCORE_CHUNK = 16_384


def _prior_vector(fm: FreeMap, state, priors, which: int) -> np.ndarray:
    """Prior gradient (which = 1) or curvature (which = 2) on the free entries."""
    terms = [prior_terms(b, p, priors)[which] for b, p in zip(fm.design.blocks, state[:-1])]
    out = np.zeros(fm.size)
    for k, (i, r, c) in enumerate(fm.entries):
        if isinstance(i, int):
            out[k] = terms[i][r, c]
    return out


def _gradient(fm: FreeMap, state, nodes, priors) -> np.ndarray:
    meta = fm.design.meta()
    grad = map_patterns(fm.design, score_sums, meta, state, nodes, False, chunk=_SCORE_CHUNK)[1]
    return grad + _prior_vector(fm, state, priors, 1)


def information(design: Design, state, nodes, priors, method: str = "crossprod"):
    """Information matrix of the free parameters and its :class:`FreeMap`."""
    fm = FreeMap(design)
    if method == "crossprod":
        meta = design.meta()
        cross = map_patterns(design, score_sums, meta, state, nodes, True, chunk=_SCORE_CHUNK)[0]
        info = cross + np.diag(_prior_vector(fm, state, priors, 2))
    elif method == "observed":
        x0 = fm.get(state)
        info = np.empty((fm.size, fm.size))
        for k in range(fm.size):
            h = 1e-5 * max(1.0, abs(x0[k]))
            up, dn = x0.copy(), x0.copy()
            up[k] += h
            dn[k] -= h
            gu = _gradient(fm, fm.set(state, up), nodes, priors)
            gd = _gradient(fm, fm.set(state, dn), nodes, priors)
            info[:, k] = -(gu - gd) / (2 * h)
        info = (info + info.T) / 2
    else:  # pragma: no cover - validated by the caller
        raise ValueError(method)
    return info, fm


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
