"""Gauss–Newton steps after EM, with the empirical (cross-product) information.

EM stops when one plain EM step moves no parameter by more than ``tol``
(1e-4). That point can still sit up to ``tol / (1 - rate)`` from the maximum,
where ``rate`` is EM's linear convergence rate (the fraction of missing
information), and where exactly it stops depends on the last bits of the
E-step sums: two runs that add the same patterns in a different order (in
memory, streamed in other chunks, or on Dask partitions with float32
E-steps) stop at points about 1e-5 apart.

BILOG-MG therefore follows its EM cycles with Newton–Gauss cycles that use the
empirical information matrix (its ``NEWTON`` keyword, Zimowski et al., 2003,
and Bock & Aitkin, 1981, section 5), and PARSCALE does the same. pvcal takes
such a step after EM: with ``g`` the gradient of the log posterior (the
summed score vectors plus the priors' gradient) and ``I`` the cross-product
information (plus the priors' curvature), both from one float64 pass at the
EM point, the step is ``delta = I^-1 g``. Near the maximum the step removes
almost all of the remaining distance (the convergence is then quadratic up to
the gap between ``I`` and the observed information), so fits that differ only
in summation order agree to far below ``tol``.

Safeguards: a step is taken only if the new state is valid (positive
slopes, ordered GRM thresholds, ...) and its float64 log posterior is not
lower than the old one (a tolerance of 1e-9 relative absorbs summation
noise); otherwise the EM point is kept and the refusal is recorded.

The information matrix used for the standard errors (``se="crossprod"``) is
the one of the last full pass, computed at the state before the last step
(as BILOG-MG reports the information of its last Newton cycle); the step is
of the order of ``tol``, so the standard errors change by that relative
amount at most. The log-likelihood reported is the float64 one at the final
state.

References
----------
Bock, R. D., & Aitkin, M. (1981). Marginal maximum likelihood estimation of
item parameters: Application of an EM algorithm. *Psychometrika*, 46(4),
443–459.

Zimowski, M. F., Muraki, E., Mislevy, R. J., & Bock, R. D. (2003). BILOG-MG
3 [Computer software and manual]. Scientific Software International
(CALIB command: ``CYCLES``, ``NEWTON``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .estimate import Design, log_prior_total, valid_state
from .information import FinalPass, final_pass

__all__ = ["Polish", "polish"]

# a log posterior lower than the old one by less than this (relative) is summation noise
_NOISE = 1e-9


@dataclass(frozen=True)
class Polish:
    """The state after the Newton steps and what the steps did.

    ``at`` is the last full pass (gradient and information), computed at the
    state before the last accepted step (or at ``state`` when no step was
    taken); ``steps`` holds the largest absolute change of each accepted
    step; ``refused`` says why a step was refused (``""`` if none was).
    """

    state: list
    loglik: float
    at: FinalPass
    steps: tuple = ()
    refused: str = ""
    gain: float = 0.0


def _log_posterior(design: Design, state, loglik: float, priors) -> float:
    return loglik + log_prior_total(design, state[:-1], priors)


def polish(design: Design, state, nodes, priors, *, steps: int = 1) -> Polish:
    """Take up to ``steps`` Gauss–Newton steps from the EM point ``state``.

    Parameters
    ----------
    design : Design
        The EM design (patterns local or on a cluster).
    state : list of ndarray
        Block parameters followed by the ``(G, 2)`` latent means and SDs.
    nodes : ndarray
        Quadrature nodes.
    priors : dict
        Priors on the internal parameters (their gradient and curvature enter).
    steps : int, default 1
        0 computes the pass at ``state`` and stops (pure EM estimates).

    Returns
    -------
    Polish
    """
    fp = final_pass(design, state, nodes, priors, what="cross")
    loglik = fp.loglik
    lp = _log_posterior(design, state, loglik, priors)
    start_lp = lp
    taken: list[float] = []
    refused = ""
    for i in range(int(steps)):
        try:
            delta = np.linalg.solve(fp.info, fp.grad)
        except np.linalg.LinAlgError:
            refused = "singular information matrix"
            break
        new = fp.fm.set(state, fp.fm.get(state) + delta)
        if not np.isfinite(delta).all() or not valid_state(design, new):
            refused = "the step leaves the parameter space"
            break
        last = i == int(steps) - 1
        nxt = final_pass(design, new, nodes, priors, what="loglik" if last else "cross")
        new_lp = _log_posterior(design, new, nxt.loglik, priors)
        if not np.isfinite(new_lp) or new_lp < lp - _NOISE * max(1.0, abs(lp)):
            refused = f"the log posterior fell ({new_lp:.6f} < {lp:.6f})"
            break
        taken.append(float(np.max(np.abs(delta))))
        state, loglik, lp = new, nxt.loglik, new_lp
        if last:
            break
        fp = nxt
    return Polish(
        state=state,
        loglik=float(loglik),
        at=fp,
        steps=tuple(taken),
        refused=refused,
        gain=float(lp - start_lp),
    )
