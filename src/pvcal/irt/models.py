"""Item response models: one small class per model, all with the same methods.

Internally every model works in the *slope-intercept* parameterisation used by
R mirt (``a*theta + d``), which makes the likelihood smooth and the EM M-step
well conditioned. Results are reported in the IRT parameterisation (logistic
metric, D = 1, as ``coef(mod, IRTpars = TRUE)`` in mirt):

==========  ======================================  ==========================
model       category probabilities                  internal parameters
==========  ======================================  ==========================
2PL         P(1) = 1 / (1 + exp(-(a θ + d)))        a, d        (b = -d/a)
3PL         P(1) = c + (1 - c) / (1 + exp(-(aθ+d)))  a, d, logit c
GRM         P(X >= k) = 1 / (1 + exp(-(aθ + d_k)))   a, d_1 > ... > d_K (b_k = -d_k/a)
GPCM        P(k) ∝ exp(k a θ + d_k),  d_0 = 0        a, d_1..d_K (b_k = -(d_k - d_{k-1})/a)
==========  ======================================  ==========================

Rasch and 1PL are the 2PL with one slope shared by all items (the estimator
imposes the constraint); PCM is the GPCM with that constraint.

Each class works on a *block* of ``J`` items with the same number of
categories, with parameters as an array of shape ``(J, n_params)``, and returns
arrays shaped ``(J, Q, C)`` for ``Q`` ability values and ``C`` categories.

The functions at the bottom (:func:`category_probs`, :func:`expected_score`,
:func:`item_information`, :func:`test_information`) take an item-parameter
frame in the IRT parameterisation, as ``Calibration.items`` reports it, and are
what linking, equating and standard setting build on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, log_softmax, softmax

from .._validation import ModelError, check_columns
from ..rules import DICHOTOMOUS_MODELS
from ..rules import MODELS as _MODELS

__all__ = [
    "MODELS",
    "ItemModel",
    "TwoPL",
    "ThreePL",
    "GradedResponse",
    "GeneralizedPartialCredit",
    "canonical_model",
    "model_for",
    "threshold_columns",
    "block_params_from_frame",
    "category_probs",
    "expected_score",
    "item_information",
    "test_information",
]

_EPS = 1e-12

# Public model names -> the item model that computes their probabilities.
MODELS = _MODELS  # defined once, in pvcal.rules
_ALIASES = {m.lower(): m for m in MODELS}
_ALIASES.update({"graded": "GRM", "gpcmirt": "GPCM", "partial credit": "PCM", "2pl": "2PL"})
SHARED_SLOPE = frozenset({"Rasch", "1PL", "PCM"})
DICHOTOMOUS = frozenset(DICHOTOMOUS_MODELS)


def canonical_model(name: str) -> str:
    """Return the canonical spelling of a model name ("grm" -> "GRM").

    Raises
    ------
    ModelError
        If the name is not one of :data:`MODELS`.
    """
    key = str(name).strip().lower()
    if key not in _ALIASES:
        raise ModelError(f"unknown item model {name!r}; expected one of {list(MODELS)}")
    return _ALIASES[key]


def _theta(theta) -> np.ndarray:
    return np.atleast_1d(np.asarray(theta, dtype=float))


@dataclass(frozen=True)
class ItemModel:
    """Interface shared by the item models (a block of items, same category count).

    Subclasses implement ``n_params``, ``probs``, ``jacobian``, ``dprobs``,
    ``to_irt``, ``from_irt`` and ``start``.
    """

    name: str = "base"

    def n_params(self, n_cat: int) -> int:  # pragma: no cover - interface
        raise NotImplementedError

    def log_probs(self, params: np.ndarray, theta) -> np.ndarray:
        """Log category probabilities, shape ``(J, Q, C)``."""
        return np.log(np.clip(self.probs(params, theta), _EPS, None))


@dataclass(frozen=True)
class TwoPL(ItemModel):
    """Two-parameter logistic model, ``P(1) = expit(a*theta + d)``.

    # R: mirt::mirt(data, 1, itemtype = "2PL")
    """

    name: str = "2PL"

    def n_params(self, n_cat: int = 2) -> int:
        return 2

    def probs(self, params, theta):
        t = _theta(theta)
        a, d = params[:, 0:1], params[:, 1:2]
        p1 = expit(a * t[None, :] + d)
        return np.stack([1.0 - p1, p1], axis=-1)

    def log_probs(self, params, theta):
        t = _theta(theta)
        z = params[:, 0:1] * t[None, :] + params[:, 1:2]
        # log expit(z) = -log1p(exp(-z)), computed stably
        lp1 = -np.logaddexp(0.0, -z)
        lp0 = -np.logaddexp(0.0, z)
        return np.stack([lp0, lp1], axis=-1)

    def jacobian(self, params, theta):
        t = _theta(theta)
        p = self.probs(params, theta)[..., 1]
        w = p * (1.0 - p)
        dp1 = np.stack([w * t[None, :], w], axis=-1)  # (J, Q, 2 params)
        return np.stack([-dp1, dp1], axis=2)  # (J, Q, C, npar)

    def dprobs(self, params, theta):
        p = self.probs(params, theta)[..., 1]
        dp1 = params[:, 0:1] * p * (1.0 - p)
        return np.stack([-dp1, dp1], axis=-1)

    def to_irt(self, params):
        a, d = params[:, 0], params[:, 1]
        return {"a": a, "b": -d / a}

    def from_irt(self, a, b, c=None):
        a = np.asarray(a, float)
        return np.column_stack([a, -a * np.asarray(b, float)])

    def start(self, prop, n_cat=2):
        p = np.clip(prop[:, 1], 0.02, 0.98)
        return np.column_stack([np.ones(len(p)), np.log(p / (1 - p)) * 1.2])


@dataclass(frozen=True)
class ThreePL(ItemModel):
    """Three-parameter logistic model, ``P(1) = c + (1-c) expit(a*theta + d)``.

    The lower asymptote is estimated on the logit scale (``g = logit c``) so the
    M-step is unconstrained.

    # R: mirt::mirt(data, 1, itemtype = "3PL")
    """

    name: str = "3PL"

    def n_params(self, n_cat: int = 2) -> int:
        return 3

    def probs(self, params, theta):
        t = _theta(theta)
        c = expit(params[:, 2:3])
        ps = expit(params[:, 0:1] * t[None, :] + params[:, 1:2])
        p1 = c + (1.0 - c) * ps
        return np.stack([1.0 - p1, p1], axis=-1)

    def jacobian(self, params, theta):
        t = _theta(theta)
        c = expit(params[:, 2:3])
        ps = expit(params[:, 0:1] * t[None, :] + params[:, 1:2])
        w = (1.0 - c) * ps * (1.0 - ps)
        dg = (1.0 - ps) * c * (1.0 - c)
        dp1 = np.stack([w * t[None, :], w, dg], axis=-1)
        return np.stack([-dp1, dp1], axis=2)

    def dprobs(self, params, theta):
        t = _theta(theta)
        c = expit(params[:, 2:3])
        ps = expit(params[:, 0:1] * t[None, :] + params[:, 1:2])
        dp1 = params[:, 0:1] * (1.0 - c) * ps * (1.0 - ps)
        return np.stack([-dp1, dp1], axis=-1)

    def to_irt(self, params):
        a, d = params[:, 0], params[:, 1]
        return {"a": a, "b": -d / a, "c": expit(params[:, 2])}

    def from_irt(self, a, b, c=None):
        a = np.asarray(a, float)
        c = np.full(len(a), 0.2) if c is None else np.clip(np.asarray(c, float), 1e-6, 1 - 1e-6)
        return np.column_stack([a, -a * np.asarray(b, float), np.log(c / (1 - c))])

    def start(self, prop, n_cat=2):
        p = np.clip(prop[:, 1], 0.25, 0.98)
        c0 = 0.15
        ps = (p - c0) / (1 - c0)
        return np.column_stack(
            [np.ones(len(p)), np.log(ps / (1 - ps)) * 1.2, np.full(len(p), np.log(c0 / (1 - c0)))]
        )


@dataclass(frozen=True)
class GradedResponse(ItemModel):
    """Samejima's graded response model.

    ``P(X >= k) = expit(a*theta + d_k)`` for ``k = 1..K`` with ``d_1 > ... > d_K``;
    category probabilities are differences of adjacent cumulative curves.

    # R: mirt::mirt(data, 1, itemtype = "graded")
    """

    name: str = "GRM"

    def n_params(self, n_cat: int) -> int:
        return n_cat  # a + (n_cat - 1) intercepts

    def _cum(self, params, theta):
        t = _theta(theta)
        z = params[:, None, 0:1] * t[None, :, None] + params[:, None, 1:]
        ps = expit(z)  # (J, Q, K)
        ones = np.ones(ps.shape[:2] + (1,))
        zeros = np.zeros_like(ones)
        return np.concatenate([ones, ps, zeros], axis=-1)  # (J, Q, K+2)

    def probs(self, params, theta):
        cum = self._cum(params, theta)
        return np.clip(cum[..., :-1] - cum[..., 1:], 0.0, 1.0)

    def jacobian(self, params, theta):
        t = _theta(theta)
        cum = self._cum(params, theta)
        w = cum * (1.0 - cum)  # zero at both ends
        J, Q, K2 = w.shape
        K = K2 - 2
        jac = np.zeros((J, Q, K + 1, K + 1))
        # d/da: (w_k - w_{k+1}) * theta
        jac[..., 0] = (w[..., :-1] - w[..., 1:]) * t[None, :, None]
        for m in range(1, K + 1):  # intercept d_m touches categories m-1 and m
            jac[..., m - 1, m] = -w[..., m]
            jac[..., m, m] = w[..., m]
        return jac

    def dprobs(self, params, theta):
        cum = self._cum(params, theta)
        w = cum * (1.0 - cum)
        return params[:, None, 0:1] * (w[..., :-1] - w[..., 1:])

    def to_irt(self, params):
        a = params[:, 0]
        out = {"a": a}
        for k in range(1, params.shape[1]):
            out[f"b{k}"] = -params[:, k] / a
        return out

    def from_irt(self, a, b, c=None):
        a = np.asarray(a, float)
        b = np.atleast_2d(np.asarray(b, float))
        return np.column_stack([a, -a[:, None] * b])

    def start(self, prop, n_cat):
        # cumulative proportions P(X >= k) -> logits, decreasing in k
        cum = np.clip(np.cumsum(prop[:, ::-1], axis=1)[:, ::-1][:, 1:], 0.02, 0.98)
        d = np.log(cum / (1 - cum)) * 1.2
        d = np.minimum.accumulate(d - np.arange(d.shape[1]) * 1e-3, axis=1)
        return np.column_stack([np.ones(len(d)), d])


@dataclass(frozen=True)
class GeneralizedPartialCredit(ItemModel):
    """Muraki's generalised partial credit model.

    ``P(k) ∝ exp(k*a*theta + d_k)`` with ``d_0 = 0``; in the IRT
    parameterisation ``d_k = -a * (b_1 + ... + b_k)``.

    # R: mirt::mirt(data, 1, itemtype = "gpcm")
    """

    name: str = "GPCM"

    def n_params(self, n_cat: int) -> int:
        return n_cat

    def _z(self, params, theta):
        t = _theta(theta)
        K = params.shape[1] - 1
        k = np.arange(K + 1)
        d = np.concatenate([np.zeros((params.shape[0], 1)), params[:, 1:]], axis=1)
        return params[:, None, 0:1] * t[None, :, None] * k[None, None, :] + d[:, None, :]

    def probs(self, params, theta):
        return softmax(self._z(params, theta), axis=-1)

    def log_probs(self, params, theta):
        return log_softmax(self._z(params, theta), axis=-1)

    def jacobian(self, params, theta):
        t = _theta(theta)
        p = self.probs(params, theta)
        J, Q, C = p.shape
        k = np.arange(C)
        ek = (p * k).sum(-1, keepdims=True)
        jac = np.empty((J, Q, C, C))
        jac[..., 0] = p * (k - ek) * t[None, :, None]
        # d p_k / d d_m = p_k (delta_km - p_m), m = 1..K
        jac[..., 1:] = -p[..., :, None] * p[..., None, 1:]
        idx = np.arange(1, C)
        jac[..., idx, idx] += p[..., 1:]
        return jac

    def dprobs(self, params, theta):
        p = self.probs(params, theta)
        k = np.arange(p.shape[-1])
        ek = (p * k).sum(-1, keepdims=True)
        return params[:, None, 0:1] * p * (k - ek)

    def to_irt(self, params):
        a = params[:, 0]
        d = np.concatenate([np.zeros((len(a), 1)), params[:, 1:]], axis=1)
        out = {"a": a}
        for k in range(1, params.shape[1]):
            out[f"b{k}"] = -(d[:, k] - d[:, k - 1]) / a
        return out

    def from_irt(self, a, b, c=None):
        a = np.asarray(a, float)
        b = np.atleast_2d(np.asarray(b, float))
        return np.column_stack([a, -a[:, None] * np.cumsum(b, axis=1)])

    def start(self, prop, n_cat):
        p = np.clip(prop, 0.01, None)
        lp = np.log(p / p[:, :1])
        return np.column_stack([np.ones(len(p)), lp[:, 1:]])


_ITEM_MODEL = {
    "Rasch": TwoPL(),
    "1PL": TwoPL(),
    "2PL": TwoPL(),
    "3PL": ThreePL(),
    "GRM": GradedResponse(),
    "GPCM": GeneralizedPartialCredit(),
    "PCM": GeneralizedPartialCredit(),
}


def model_for(name: str) -> ItemModel:
    """The :class:`ItemModel` that computes probabilities for a model name."""
    return _ITEM_MODEL[canonical_model(name)]


# ---------------------------------------------------------------------------
# Functions over item-parameter frames (IRT parameterisation)
# ---------------------------------------------------------------------------


def threshold_columns(items: pd.DataFrame) -> list[str]:
    """Names of the polytomous threshold columns ``b1..bK`` present in ``items``."""
    cols = [c for c in items.columns if isinstance(c, str) and c[:1] == "b" and c[1:].isdigit()]
    return sorted(cols, key=lambda c: int(c[1:]))


def _item_model_column(items: pd.DataFrame) -> pd.Series:
    if "model" in items.columns:
        return items["model"].map(canonical_model)
    bcols = threshold_columns(items)
    if bcols and "b" not in items.columns:
        raise ModelError("items with thresholds b1..bK need a 'model' column (GRM or GPCM)")
    model = "3PL" if "c" in items.columns else "2PL"
    return pd.Series(model, index=items.index)


def block_params_from_frame(items: pd.DataFrame, D: float = 1.0):
    """Split an IRT-parameter frame into blocks of items sharing model and categories.

    Parameters
    ----------
    items : DataFrame
        Indexed by item id, columns ``a`` and ``b`` (dichotomous, with ``c`` for
        the 3PL) or ``b1..bK`` (GRM/GPCM), and optionally ``model``.
    D : float
        Scaling constant: the logistic deviate is ``D * a * (theta - b)``.

    Returns
    -------
    list of (ItemModel, positions, params)
        ``positions`` index rows of ``items``; ``params`` are slope-intercept.
    """
    check_columns(items, ["a"], error=ModelError)
    models = _item_model_column(items)
    bcols = threshold_columns(items)
    a_all = items["a"].to_numpy(float) * D
    b_all = items["b"].to_numpy(float) if "b" in items.columns else np.full(len(items), np.nan)
    c_all = (
        np.nan_to_num(items["c"].to_numpy(float)) if "c" in items.columns else np.zeros(len(items))
    )
    thr = items[bcols].to_numpy(float) if bcols else np.empty((len(items), 0))
    keys = []
    for pos, (item, m) in enumerate(models.items()):
        if not np.isfinite(a_all[pos]):
            raise ModelError(f"item {item!r}: slope 'a' must be finite, got {a_all[pos]}")
        if m in DICHOTOMOUS:
            if not np.isfinite(b_all[pos]):
                raise ModelError(f"item {item!r}: a {m} item needs a finite 'b'")
            keys.append(("3PL" if (m == "3PL" or c_all[pos] > 0) else "2PL", 1))
        else:
            k = int(np.isfinite(thr[pos]).sum())
            if k == 0:
                raise ModelError(f"item {item!r}: a {m} item needs thresholds b1..bK")
            keys.append((model_for(m).name, k))
    blocks = []
    for key in dict.fromkeys(keys):
        pos = np.array([i for i, k in enumerate(keys) if k == key])
        name, k = key
        model = model_for(name)
        if name in ("2PL", "3PL"):
            params = model.from_irt(a_all[pos], b_all[pos], c_all[pos])
        else:
            params = model.from_irt(a_all[pos], thr[pos, :k])
        blocks.append((model, pos, params))
    return blocks


def category_probs(items: pd.DataFrame, theta, D: float = 1.0) -> list[np.ndarray]:
    """Category probabilities of every item at each ``theta``.

    Parameters
    ----------
    items : DataFrame
        Item parameters in the IRT parameterisation (see :func:`block_params_from_frame`).
    theta : array_like
        Ability values, shape ``(Q,)``.
    D : float, default 1.0
        Scaling constant (1.702 approximates the normal ogive).

    Returns
    -------
    list of ndarray
        One array of shape ``(Q, C_j)`` per item, in the order of ``items``.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1.0], "b": [0.0]}, index=["Q1"])
    >>> category_probs(items, [0.0])[0].round(2).tolist()
    [[0.5, 0.5]]
    """
    out: list[np.ndarray | None] = [None] * len(items)
    for model, pos, params in block_params_from_frame(items, D):
        p = model.probs(params, theta)
        for i, j in enumerate(pos):
            out[j] = p[i]
    return out  # type: ignore[return-value]


def expected_score(items: pd.DataFrame, theta, D: float = 1.0) -> np.ndarray:
    """Expected item scores, shape ``(Q, n_items)``; row sums give the test characteristic curve.

    # R: mirt::expected.test(mod, Theta)
    """
    probs = category_probs(items, theta, D)
    return np.column_stack([p @ np.arange(p.shape[1]) for p in probs])


def item_information(items: pd.DataFrame, theta, D: float = 1.0) -> np.ndarray:
    """Fisher information of every item at each ``theta``, shape ``(Q, n_items)``.

    ``I_j(θ) = Σ_k P'_jk(θ)² / P_jk(θ)``.

    # R: mirt::iteminfo(extract.item(mod, j), Theta)
    """
    t = _theta(theta)
    out = np.empty((len(t), len(items)))
    for model, pos, params in block_params_from_frame(items, D):
        p = np.clip(model.probs(params, t), _EPS, None)
        dp = model.dprobs(params, t)
        out[:, pos] = (dp**2 / p).sum(-1).T
    return out


def test_information(items: pd.DataFrame, theta, D: float = 1.0) -> np.ndarray:
    """Test information ``Σ_j I_j(θ)``; the conditional SEM is ``1/sqrt`` of it.

    # R: mirt::testinfo(mod, Theta)
    """
    return item_information(items, theta, D).sum(axis=1)
