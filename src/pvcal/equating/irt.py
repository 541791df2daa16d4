"""IRT true-score and observed-score equating of summed scores.

Both forms' items must be on one θ scale: either already (a concurrent
calibration, or X items transformed with :meth:`Linking.transform`), or pass
``link=`` (a :class:`~pvcal.equating.linking.Linking` from X's scale to Y's)
and the X items are transformed first.

True-score equating (K&B 2014, section 6.7): for an X score ``x`` find θ with
``τ_X(θ) = x`` and report ``τ_Y(θ)``. Scores at or below the sum of the X
guessing parameters, ``Σc_X``, have no θ; K&B's rule interpolates linearly
from ``(0, 0)`` to ``(Σc_X, Σc_Y)``. The maximum X score maps to the maximum Y
score. Polytomous items count categories ``0..K`` and have no floor.

Observed-score equating (K&B 2014, section 6.8): the summed-score
distributions of both forms in the synthetic population
``ψ_s = w ψ_1 + (1 - w) ψ_2`` (Lord-Wingersky recursion over the latent
distributions), equated with the equipercentile method of
:mod:`pvcal.equating.observed`.

References
----------
Kolen, M. J., & Brennan, R. L. (2014). *Test equating, scaling, and linking*
(3rd ed.), chapter 6. Springer.
Lord, F. M., & Wingersky, M. S. (1984). Comparison of IRT true-score and
equipercentile observed-score "equatings". *Applied Psychological
Measurement*, 8, 453-461.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from .._validation import DataError, PvcalError, check_1d
from ..irt.models import block_params_from_frame, threshold_columns
from ..irt.scoring import lord_wingersky
from .linking import Linking, item_frame, transform_items
from .observed import Equating, equipercentile_function, moments, moments_of

__all__ = ["true_score", "observed_score", "tcc"]


def _check_D(D) -> float:
    try:
        d = float(D)
    except (TypeError, ValueError):
        raise PvcalError(f"D must be a positive number, got {D!r}") from None
    if not np.isfinite(d) or d <= 0:
        raise PvcalError(f"D must be a positive number (1 or 1.702), got {D!r}")
    return d


def _forms(x, y, link):
    x_items = item_frame(x, "x (new form)")
    y_items = item_frame(y, "y (old form)")
    if link is not None:
        if not isinstance(link, Linking):
            raise PvcalError(f"link must be a pvcal Linking, got {type(link).__name__}")
        x_items = transform_items(x_items, link.A, link.B)
    return x_items, y_items


class _TCC:
    """Test characteristic curve of a form, with its derivative, from precomputed blocks."""

    def __init__(self, items: pd.DataFrame, D: float):
        self.blocks = block_params_from_frame(items, D)
        self.max_score = 0
        self.floor = 0.0
        for model, _, params in self.blocks:
            p = model.probs(params, np.array([0.0]))
            self.max_score += (p.shape[-1] - 1) * p.shape[0]
            if model.name == "3PL":
                self.floor += float(model.to_irt(params)["c"].sum())

    def __call__(self, theta):
        t = np.atleast_1d(np.asarray(theta, float))
        out = np.zeros_like(t)
        for model, _, params in self.blocks:
            p = model.probs(params, t)
            out += (p * np.arange(p.shape[-1])).sum(axis=(0, 2))
        return out


def tcc(items, theta, D: float = 1.0) -> np.ndarray:
    """Test characteristic curve ``τ(θ) = Σ_j E[X_j | θ]`` of an item frame or calibration.

    # R: mirt::expected.test(mod, Theta)
    """
    return _TCC(item_frame(items, "items"), _check_D(D))(theta)


def _solve_theta(curve: _TCC, targets: np.ndarray, lo=-40.0, hi=40.0, n_iter=200) -> np.ndarray:
    """θ with τ(θ) = target for each target in (floor, max), by bisection (τ is increasing)."""
    a = np.full(targets.shape, lo)
    b = np.full(targets.shape, hi)
    for _ in range(n_iter):
        mid = 0.5 * (a + b)
        up = curve(mid) < targets
        a = np.where(up, mid, a)
        b = np.where(up, b, mid)
        if np.max(b - a) < 1e-12:
            break
    return 0.5 * (a + b)


def true_score(x, y, *, link: Linking | None = None, D: float = 1.0) -> Equating:
    """IRT true-score equating of form X summed scores to form Y.

    Parameters
    ----------
    x, y : Calibration or DataFrame
        Items of the new form X and the old form Y (IRT parameterisation),
        on one θ scale unless ``link`` is given.
    link : Linking, optional
        Constants that put X's θ scale on Y's; X items are transformed first.
    D : float, default 1.0
        Scaling constant of the item response functions.

    Returns
    -------
    Equating
        ``method="irt-true"``; ``table`` indexed by X score with ``y_equiv``
        and ``theta`` (NaN where the K&B rule is used: at or below the guessing
        floor and at the maximum score).

    Raises
    ------
    DataError, ModelError
        Bad item frames.

    Examples
    --------
    >>> items = pd.DataFrame({"a": [1.0, 1.2], "b": [-0.5, 0.5]}, index=["Q1", "Q2"])
    >>> true_score(items, items).table["y_equiv"].round(6).tolist()
    [0.0, 1.0, 2.0]

    # R: equateIRT::score(eqc, method = "TSE")
    """
    D = _check_D(D)
    x_items, y_items = _forms(x, y, link)
    cx, cy = _TCC(x_items, D), _TCC(y_items, D)
    xs = np.arange(cx.max_score + 1)
    theta = np.full(xs.size, np.nan)
    y_eq = np.empty(xs.size)
    inner = (xs > cx.floor) & (xs < cx.max_score)
    theta[inner] = _solve_theta(cx, xs[inner].astype(float))
    y_eq[inner] = cy(theta[inner])
    low = xs <= cx.floor
    y_eq[low] = xs[low] * (cy.floor / cx.floor) if cx.floor > 0 else 0.0
    y_eq[xs == cx.max_score] = cy.max_score
    table = pd.DataFrame({"y_equiv": y_eq, "theta": theta}, index=pd.Index(xs, name="x"))
    settings = {
        "D": D,
        "sum_c_x": cx.floor,
        "sum_c_y": cy.floor,
        "max_x": int(cx.max_score),
        "max_y": int(cy.max_score),
        "below_floor_rule": "linear from (0, 0) to (sum c_X, sum c_Y) (Kolen & Brennan)",
        "linked": link is not None,
    }
    if link is not None:
        settings["link"] = {"A": link.A, "B": link.B, "method": link.method}
    return Equating(table=table, method="irt-true", design="irt", settings=settings)


def _latent(obj, given, link, label):
    """(nodes, weights) of a group's latent distribution on the common scale."""
    if given is not None:
        if not isinstance(given, (tuple, list)) or len(given) != 2:
            raise PvcalError(f"latent_{label} must be a pair (nodes, weights)")
        nodes = check_1d(f"latent_{label} nodes", given[0])
        w = check_1d(f"latent_{label} weights", given[1])
        source = "given"
    elif getattr(obj, "quadrature", None) is not None and not isinstance(obj, pd.DataFrame):
        nodes, w = (np.asarray(v, float) for v in obj.quadrature)
        if link is not None and label == "x":
            nodes = link.A * nodes + link.B
        source = "calibration" + (" (linked)" if link is not None and label == "x" else "")
    else:
        nodes = np.linspace(-6, 6, 61)
        w = norm.pdf(nodes)
        source = "N(0, 1)"
    if w.shape != nodes.shape:
        raise PvcalError(f"latent_{label}: {nodes.size} nodes but {w.size} weights")
    if np.any(w < 0) or w.sum() <= 0:
        raise PvcalError(f"latent_{label}: weights must be non-negative with a positive sum")
    return nodes, w / w.sum(), source


def observed_score(
    x,
    y,
    *,
    link: Linking | None = None,
    D: float = 1.0,
    latent_x=None,
    latent_y=None,
    w: float = 0.5,
) -> Equating:
    """IRT observed-score equating (Lord-Wingersky + equipercentile), polytomous items included.

    Parameters
    ----------
    x, y : Calibration or DataFrame
        Items of forms X (new) and Y (old).
    link : Linking, optional
        Puts X's scale (items and, for a Calibration, its latent distribution)
        on Y's.
    D : float, default 1.0
    latent_x, latent_y : (nodes, weights), optional
        Latent distributions, on the common scale, of population 1 (took X)
        and population 2 (took Y). Default: the calibration's fitted
        ``quadrature`` (linked for X), else N(0, 1) on 61 nodes.
    w : float, default 0.5
        Synthetic weight of population 1.

    Returns
    -------
    Equating
        ``method="irt-observed"``; ``table`` has ``y_equiv`` and ``f_x`` (the
        synthetic-population X distribution); the synthetic Y distribution is
        ``settings["g_y"]``.

    # R: equateIRT::score(eqc, method = "OSE")
    """
    D = _check_D(D)
    w = float(w)
    if not 0.0 <= w <= 1.0:
        raise PvcalError(f"w must lie in [0, 1], got {w!r}")
    x_items, y_items = _forms(x, y, link)
    n1, w1, src1 = _latent(x, latent_x, link, "x")
    n2, w2, src2 = _latent(y, latent_y, link, "y")
    nodes = np.concatenate([n1, n2])
    psi = np.concatenate([w * w1, (1 - w) * w2])
    keep = psi > 0
    nodes, psi = nodes[keep], psi[keep]
    fx = psi @ lord_wingersky(x_items, nodes, D)
    gy = psi @ lord_wingersky(y_items, nodes, D)
    fx, gy = fx / fx.sum(), gy / gy.sum()
    xs, ys = np.arange(fx.size), np.arange(gy.size)
    if fx.size < 2 or gy.size < 2:
        raise DataError("each form needs a maximum score of at least 1")
    y_eq = equipercentile_function(xs, fx, ys, gy)
    table = pd.DataFrame({"y_equiv": y_eq, "f_x": fx}, index=pd.Index(xs, name="x"))
    mom = pd.DataFrame(
        {
            "x (synthetic)": moments(xs, fx),
            "y (synthetic)": moments(ys, gy),
            "y_equiv(x)": moments_of(y_eq, fx),
        }
    ).T
    settings = {
        "D": D,
        "w": w,
        "latent_x": src1,
        "latent_y": src2,
        "n_nodes": int(nodes.size),
        "g_y": [float(v) for v in gy],
        "linked": link is not None,
        "polytomous_items": bool(threshold_columns(x_items) or threshold_columns(y_items)),
    }
    return Equating(
        table=table, method="irt-observed", design="irt", w=w, settings=settings, moments=mom
    )
