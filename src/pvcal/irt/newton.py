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
slopes, ordered GRM thresholds, ...) and its float64 log posterior rises by
at least a tenth of what the quadratic model predicts (Armijo's rule, less
1e-12 relative for summation noise); otherwise the EM point is kept and the
refusal is recorded.

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

# float64 rounding of a log-likelihood summed over the patterns: far below 1e-12 relative
# (about N * 1e-16 of the terms' size); gains smaller than this are noise
_NOISE = 1e-12
# Armijo's sufficient-increase fraction of the quadratic model's predicted gain
_ARMIJO = 0.1


@dataclass(frozen=True)
class Polish:
    """The state after the Newton steps and what the steps did.

    ``at`` is the last full pass (gradient and information): at the state
    before the last step when that step was accepted (its own check needs
    only the log-likelihood), otherwise at ``state``; its ``info`` is None
    when no step was asked for and no information was needed. ``steps``
    holds the largest absolute change of each accepted step; ``refused``
    says why a step was refused (``""`` if none was); ``gain`` is the rise of
    the log posterior over EM's point.
    """

    state: list
    loglik: float
    at: FinalPass
    steps: tuple = ()
    refused: str = ""
    gain: float = 0.0


def _log_posterior(design: Design, state, loglik: float, priors) -> float:
    return loglik + log_prior_total(design, state[:-1], priors)


def polish(
    design: Design, state, nodes, priors, *, steps: int = 1, need_info: bool = True
) -> Polish:
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
    need_info : bool, default True
        With ``steps=0``: whether the caller needs the cross-product
        information (for ``se="crossprod"``); if not, only the float64
        log-likelihood is computed.

    Returns
    -------
    Polish

    Notes
    -----
    A step ``delta = I^-1 g`` is accepted when the new state is valid and
    the log posterior rises by at least a tenth of the quadratic model's
    prediction, ``0.1 * g'delta / 2`` (Armijo's rule; Nocedal & Wright, 2006,
    eq. 3.4), less the float64 summation noise ``1e-12 * |log posterior|``.
    With ``I`` positive definite the prediction is positive; a step whose
    actual rise falls short (a cross-product far from the observed
    information, or a gradient lost in rounding) is refused.

    References
    ----------
    Nocedal, J., & Wright, S. J. (2006). *Numerical optimization* (2nd ed.).
    Springer.
    """
    first = "cross" if steps > 0 or need_info else "loglik"
    fp = final_pass(design, state, nodes, priors, what=first)
    loglik = fp.loglik
    lp = _log_posterior(design, state, loglik, priors)
    start_lp = lp
    taken: list[float] = []
    refused = ""
    for i in range(int(steps)):
        if not (np.isfinite(fp.grad).all() and np.isfinite(fp.info).all()):
            refused = "non-finite gradient or information matrix"
            break
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
        predicted = 0.5 * float(fp.grad @ delta)
        floor = lp + _ARMIJO * predicted - _NOISE * max(1.0, abs(lp))
        if not np.isfinite(new_lp) or new_lp < floor:
            refused = (
                f"the log posterior rose by {new_lp - lp:.3g}, less than a tenth of the "
                f"{predicted:.3g} predicted"
            )
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
