"""IRT scale linking: put a new calibration on the base scale through anchor items.

The linking constants map the new scale onto the base scale,
``θ_base = A · θ_new + B``, and item parameters follow (Kolen & Brennan 2014,
eq. 6.2-6.4)::

    a* = a / A,    b* = A · b + B   (every threshold b1..bK),    c* = c

Four methods estimate ``A`` and ``B`` from the anchor items the two
calibrations share:

* ``"mean-mean"``   A = mean(a_new) / mean(a_base), B = mean(b_base) - A mean(b_new)
* ``"mean-sigma"``  A = sd(b_base) / sd(b_new),     same B
* ``"haebara"``     minimise the squared differences of item category curves
* ``"stocking-lord"`` minimise the squared difference of the anchor test curves

For mixed-format anchors the location means and SDs use every b (dichotomous
``b`` and all thresholds ``b1..bK``) and the slope mean every ``a``; the
characteristic-curve criteria follow Kim & Lee (2006): Haebara sums the squared
differences over *all* response categories of every item (for a dichotomous
item that is twice the K&B single-curve criterion: same minimum), and
Stocking-Lord compares expected summed scores with category scores ``0..K``.

Because ``P_j(θ; a/A, A b + B) = P_j((θ - B)/A; a, b)`` for every model here,
the transformed new items are the untransformed ones evaluated at
``(θ - B) / A``, which gives simple analytic gradients from the item models'
``dP/dθ``.

References
----------
Haebara, T. (1980). Equating logistic ability scales by a weighted least
squares method. *Japanese Psychological Research*, 22, 144-149.
Kim, S., & Lee, W.-C. (2006). An extension of four IRT linking methods for
mixed-format tests. *Journal of Educational Measurement*, 43, 53-76.
Kolen, M. J., & Brennan, R. L. (2014). *Test equating, scaling, and linking*
(3rd ed.), chapter 6. Springer.
Stocking, M. L., & Lord, F. M. (1983). Developing a common metric in item
response theory. *Applied Psychological Measurement*, 7, 201-210.
Weeks, J. P. (2010). plink: An R package for linking mixed-format tests using
IRT-based methods. *Journal of Statistical Software*, 35(12).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from .._validation import DataError, ModelError, PvcalError, check_1d, check_choice
from ..irt.models import (
    DICHOTOMOUS,
    block_params_from_frame,
    canonical_model,
    category_probs,
    threshold_columns,
)
from ..rules import DRIFT_STATISTICS, LINKING_METHODS
from ..serialize import (
    check_record,
    dumps,
    float_or_nan,
    frame_from_json,
    json_equal,
    loads_record,
    to_jsonable,
)
from ._plots import Summary, plot_anchor_parameters

__all__ = [
    "METHODS",
    "Linking",
    "AnchorScreen",
    "link",
    "screen_anchors",
    "chain",
    "transform_items",
    "transform_theta",
    "item_frame",
]

#: Linking methods (:data:`pvcal.rules.LINKING_METHODS`).
METHODS = LINKING_METHODS
_METHOD_ALIASES = {
    "mean/mean": "mean-mean",
    "meanmean": "mean-mean",
    "mm": "mean-mean",
    "mean/sigma": "mean-sigma",
    "meansigma": "mean-sigma",
    "ms": "mean-sigma",
    "hb": "haebara",
    "stocking_lord": "stocking-lord",
    "stockinglord": "stocking-lord",
    "sl": "stocking-lord",
}
#: Anchor-drift screens (:data:`pvcal.rules.DRIFT_STATISTICS`, spelt with ``-``).
SCREEN_METHODS = tuple(s.replace("_", "-") for s in DRIFT_STATISTICS)
_SCREEN_DEFAULT_THRESHOLD = {"robust-z": 2.7, "displacement": 0.5}


# ---------------------------------------------------------------------------
# Item frames and transformations
# ---------------------------------------------------------------------------


def item_frame(obj: Any, name: str = "calibration") -> pd.DataFrame:
    """Return the item-parameter frame of a calibration (duck-typed ``.items``) or a frame.

    Raises
    ------
    DataError
        If ``obj`` is neither a DataFrame nor has an ``items`` DataFrame.
    """
    items = obj.items if hasattr(obj, "items") and not isinstance(obj, pd.DataFrame) else obj
    if not isinstance(items, pd.DataFrame):
        raise DataError(
            f"{name}: expected a Calibration (with .items) or an item-parameter DataFrame "
            f"indexed by item id, got {type(obj).__name__}"
        )
    if "a" not in items.columns:
        raise DataError(f"{name}: item parameters need a slope column 'a'; found {list(items)}")
    if not items.index.is_unique:
        dup = items.index[items.index.duplicated()].unique().tolist()
        raise DataError(f"{name}: duplicated item id(s) {dup[:5]}")
    return items


def _location_columns(items: pd.DataFrame) -> list[str]:
    return (["b"] if "b" in items.columns else []) + threshold_columns(items)


def transform_items(items: pd.DataFrame, A: float, B: float) -> pd.DataFrame:
    """Put item parameters on another scale: ``a/A``, ``A·b + B`` (all thresholds), ``c``.

    Standard-error columns follow (``se_a / A``, ``A · se_b``); every other column
    is copied unchanged.

    Parameters
    ----------
    items : DataFrame
        Item parameters in the IRT parameterisation, indexed by item id.
    A, B : float
        Linking constants, ``θ_target = A · θ_source + B``.

    Returns
    -------
    DataFrame
        A transformed copy.

    Examples
    --------
    >>> items = pd.DataFrame({"a": [1.2], "b": [0.5], "c": [0.2]}, index=["Q1"])
    >>> transform_items(items, 1.2, -0.1).round(3).to_dict("records")
    [{'a': 1.0, 'b': 0.5, 'c': 0.2}]
    """
    A = _check_A(A)
    B = float(B)
    out = items.copy()
    out["a"] = out["a"].astype(float) / A
    for col in _location_columns(items):
        out[col] = A * out[col].astype(float) + B
        if f"se_{col}" in out.columns:
            out[f"se_{col}"] = A * out[f"se_{col}"].astype(float)
    if "se_a" in out.columns:
        out["se_a"] = out["se_a"].astype(float) / A
    return out


def transform_theta(theta, se=None, A: float = 1.0, B: float = 0.0):
    """Put abilities (and their standard errors) on another scale: ``A·θ + B``, ``A·se``.

    Parameters
    ----------
    theta : array_like or Series
    se : array_like or Series, optional
    A, B : float

    Returns
    -------
    theta or (theta, se)
        Same container types as given; ``se`` only when it was passed.
    """
    A = _check_A(A)
    t = theta * A + float(B) if isinstance(theta, pd.Series) else np.asarray(theta) * A + B
    if se is None:
        return t
    s = se * A if isinstance(se, pd.Series) else np.asarray(se) * A
    return t, s


def _check_A(A) -> float:
    try:
        a = float(A)
    except (TypeError, ValueError):
        raise PvcalError(f"linking slope A must be a number, got {A!r}") from None
    if not np.isfinite(a) or a <= 0:
        raise PvcalError(f"linking slope A must be positive and finite, got {A!r}")
    return a


def _transform_persons(persons, A: float, B: float):
    if isinstance(persons, pd.DataFrame):
        if "theta" not in persons.columns:
            raise DataError(
                f"person scores need a 'theta' column (and optionally 'se'); found {list(persons)}"
            )
        out = persons.copy()
        out["theta"] = A * out["theta"].astype(float) + B
        if "se" in out.columns:
            out["se"] = A * out["se"].astype(float)
        return out
    return transform_theta(persons, None, A, B)


# ---------------------------------------------------------------------------
# Anchors
# ---------------------------------------------------------------------------


def _kinds(items: pd.DataFrame) -> pd.Series:
    """(model, number of categories) per item, as the item models see them."""
    bcols = threshold_columns(items)
    if "model" in items.columns:
        models = items["model"].map(canonical_model)
    else:
        if bcols and "b" not in items.columns:
            raise ModelError("items with thresholds b1..bK need a 'model' column (GRM or GPCM)")
        models = pd.Series("3PL" if "c" in items.columns else "2PL", index=items.index)
    thr = items[bcols].to_numpy(float) if bcols else np.empty((len(items), 0))
    kinds = []
    for pos, m in enumerate(models):
        if m in DICHOTOMOUS:
            kinds.append((m, 2))
        else:
            kinds.append((m, int(np.isfinite(thr[pos]).sum()) + 1))
    return pd.Series(kinds, index=items.index, dtype=object)


def _anchor_ids(base: pd.DataFrame, new: pd.DataFrame, anchors) -> list:
    if anchors is None:
        in_new = set(new.index)
        ids = [i for i in base.index if i in in_new]
        if not ids:
            raise DataError(
                "the base and new calibrations share no item id, so there are no anchors; "
                f"base items start {list(base.index[:5])}, new items start {list(new.index[:5])}"
            )
    else:
        if isinstance(anchors, (str, bytes)) or not isinstance(anchors, Sequence | pd.Index):
            anchors = list(anchors) if not isinstance(anchors, (str, bytes)) else [anchors]
        ids = list(dict.fromkeys(anchors))
        for side, frame in (("base", base), ("new", new)):
            missing = [i for i in ids if i not in frame.index]
            if missing:
                raise DataError(f"anchor item(s) {missing[:5]} missing from the {side} calibration")
        if not ids:
            raise DataError("anchors is empty; name at least one anchor item")
    kb = _kinds(base.iloc[base.index.get_indexer(ids)])
    kn = _kinds(new.iloc[new.index.get_indexer(ids)])
    for item in ids:
        if kb[item][0] in {"Rasch", "1PL", "2PL"} and kn[item][0] in {"Rasch", "1PL", "2PL"}:
            continue  # same probability model (a shared slope is an estimation constraint)
        if kb[item][0] in {"PCM", "GPCM"} and kn[item][0] in {"PCM", "GPCM"}:
            if kb[item][1] == kn[item][1]:
                continue
        if kb[item] != kn[item]:
            raise ModelError(
                f"anchor item {item!r} is {kb[item][0]} with {kb[item][1]} categories in the base "
                f"calibration but {kn[item][0]} with {kn[item][1]} in the new one; an anchor "
                "must keep its model"
            )
    return ids


def _locations(items: pd.DataFrame) -> np.ndarray:
    cols = _location_columns(items)
    vals = items[cols].to_numpy(float).ravel()
    return vals[np.isfinite(vals)]


def _item_location(items: pd.DataFrame) -> np.ndarray:
    """One location per item: b (dichotomous) or the mean threshold (polytomous)."""
    cols = _location_columns(items)
    vals = items[cols].to_numpy(float)
    seen = ~np.isnan(vals)
    n = seen.sum(axis=1)
    total = np.where(seen, vals, 0.0).sum(axis=1)
    # as np.nanmean; NaN for an item without any location (np.nanmean would warn "empty slice")
    return np.divide(total, n, out=np.full(len(vals), np.nan), where=n > 0)


def _moment_constants(base: pd.DataFrame, new: pd.DataFrame, method: str) -> tuple[float, float]:
    bb, bn = _locations(base), _locations(new)
    if method == "mean-mean":
        A = float(np.mean(new["a"].to_numpy(float)) / np.mean(base["a"].to_numpy(float)))
    else:
        sd_n = float(np.std(bn))
        if bn.size < 2 or sd_n == 0.0:
            raise DataError(
                "mean-sigma linking needs anchors with at least two different b values in the new "
                f"calibration; got b = {bn.tolist()}"
            )
        A = float(np.std(bb) / sd_n)
    B = float(np.mean(bb) - A * np.mean(bn))
    return A, B


# ---------------------------------------------------------------------------
# Characteristic-curve criteria with analytic gradients
# ---------------------------------------------------------------------------


class _Curves:
    """Anchor item blocks of one calibration, precomputed for fast evaluation."""

    def __init__(self, items: pd.DataFrame, D: float):
        self.blocks = block_params_from_frame(items, D)

    def probs(self, t):
        """Per block: probabilities (J, Q, C) and their derivatives in θ."""
        return [
            (model.probs(params, t), model.dprobs(params, t), pos)
            for model, pos, params in self.blocks
        ]


def _fixed_probs(items: pd.DataFrame, blocks, theta, D) -> list[np.ndarray]:
    """Probabilities of ``items`` at ``theta`` arranged like ``blocks`` (J, Q, C) each."""
    plist = category_probs(items, theta, D)
    return [np.stack([plist[j] for j in pos]) for _, pos, _ in blocks]


class _Criterion:
    """One direction of a characteristic-curve criterion.

    ``moving`` items are evaluated at ``t(θ) = u·θ + v`` where (u, v) depend on
    (A, B); ``fixed`` probabilities are those of the other calibration at θ.
    """

    def __init__(self, method, fixed_items, moving_items, theta, weights, D, forward):
        self.method = method
        self.theta = theta
        self.w = weights
        self.forward = forward
        self.moving = _Curves(moving_items, D)
        self.fixed = _fixed_probs(fixed_items, self.moving.blocks, theta, D)
        if method == "stocking-lord":
            self.fixed_tcc = sum((p * np.arange(p.shape[-1])).sum(axis=(0, 2)) for p in self.fixed)

    def _t(self, A, B):
        th = self.theta
        if self.forward:  # new items moved onto the base scale: P_new((θ - B)/A)
            t = (th - B) / A
            return t, -t / A, np.full_like(th, -1.0 / A)
        t = A * th + B  # base items moved onto the new scale: P_base(Aθ + B)
        return t, th, np.ones_like(th)

    def value_grad(self, A, B):
        t, dt_dA, dt_dB = self._t(A, B)
        moving = self.moving.probs(t)
        if self.method == "haebara":
            f, gA, gB = 0.0, 0.0, 0.0
            for (p, dp, _), fixed in zip(moving, self.fixed, strict=True):
                diff = fixed - p  # (J, Q, C)
                f += float(np.einsum("q,jqc->", self.w, diff**2))
                s = np.einsum("q,jqc,jqc->q", self.w, diff, dp)  # Σ_jc w diff dP/dt
                gA += float(-2.0 * s @ dt_dA)
                gB += float(-2.0 * s @ dt_dB)
            return f, np.array([gA, gB])
        tcc = np.zeros_like(t)
        dtcc = np.zeros_like(t)
        for p, dp, _ in moving:
            k = np.arange(p.shape[-1])
            tcc += (p * k).sum(axis=(0, 2))
            dtcc += (dp * k).sum(axis=(0, 2))
        diff = self.fixed_tcc - tcc
        f = float(self.w @ diff**2)
        s = self.w * diff * dtcc
        return f, np.array([float(-2.0 * s @ dt_dA), float(-2.0 * s @ dt_dB)])


# ---------------------------------------------------------------------------
# Result objects
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class AnchorScreen:
    """Result of anchor screening: one row per anchor with its drift statistics.

    Attributes
    ----------
    table : DataFrame
        Indexed by anchor id: ``a_base``, ``a_new``, ``b_base``, ``b_new``
        (item location: b, or mean threshold), ``diff`` (b_base - b_new),
        ``statistic`` (robust z or displacement) and ``flagged``.
    method : str
    threshold : float
    A, B : float
        Constants drawn in the plot (mean-sigma on all anchors, or those used
        for the displacement).
    """

    table: pd.DataFrame
    method: str
    threshold: float
    A: float
    B: float

    @property
    def flagged(self) -> list:
        """Anchor ids flagged as drifting."""
        return self.table.index[self.table["flagged"]].tolist()

    @property
    def kept(self) -> list:
        """Anchor ids that pass the screen."""
        return self.table.index[~self.table["flagged"]].tolist()

    def summary(self) -> Summary:
        info = {
            "method": self.method,
            "threshold": self.threshold,
            "anchors": len(self.table),
            "flagged": ", ".join(map(str, self.flagged)) or "none",
        }
        return Summary("Anchor screening", info, {"anchors": self.table.round(4)})

    def plot(self, ax=None):
        """Old (base) against new anchor parameters; flagged anchors in red."""
        return plot_anchor_parameters(
            self.table, self.A, self.B, ax=ax, title=f"Anchor screening ({self.method})"
        )

    def to_dict(self) -> dict:
        """JSON-ready record; ``table`` in :mod:`pvcal.serialize` split form."""
        return to_jsonable(
            {
                "pvcal_type": "AnchorScreen",
                "method": self.method,
                "threshold": self.threshold,
                "A": self.A,
                "B": self.B,
                "flagged": [str(i) for i in self.flagged],
                "table": self.table,
            }
        )

    def to_json(self) -> str:
        """Canonical JSON (:func:`pvcal.serialize.dumps`) of :meth:`to_dict`."""
        return dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict) -> AnchorScreen:
        """Rebuild a screen from :meth:`to_dict` (SchemaError if it is not one)."""
        check_record(d, "AnchorScreen", ("method", "threshold", "A", "B", "table"))
        return cls(
            table=frame_from_json(d["table"]),
            method=d["method"],
            threshold=float_or_nan(d["threshold"]),
            A=float_or_nan(d["A"]),
            B=float_or_nan(d["B"]),
        )

    @classmethod
    def from_json(cls, text: str) -> AnchorScreen:
        """Rebuild a screen from :meth:`to_json` text."""
        return cls.from_dict(loads_record(text, "AnchorScreen"))

    def __eq__(self, other: object) -> bool:
        return json_equal(self, other)

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, eq=False)
class Linking:
    """Linking constants that put a new calibration on the base scale.

    ``θ_base = A · θ_new + B``. Built by :func:`link` or :func:`chain`; a value,
    never changed in place.

    Attributes
    ----------
    A, B : float
        Slope and intercept.
    method : str
        ``"mean-mean"``, ``"mean-sigma"``, ``"haebara"``, ``"stocking-lord"``,
        ``"chain"`` or ``"inverse"``.
    criterion : float
        Value of the characteristic-curve criterion at the solution (weights
        normalised to sum to 1; forward + backward when symmetric); NaN for the
        moment methods.
    D : float
        Scaling constant used in the item response functions.
    theta, weights : ndarray or None
        Ability grid and normalised weights of the criterion.
    symmetric : bool
    anchors : tuple
        Anchor ids used.
    excluded : tuple
        Anchor ids left out (by ``anchors`` or by screening).
    converged : bool
    n_iter : int
    screen : AnchorScreen or None
    components : tuple of Linking
        For a chain, the links composed (newest first).
    base_anchors, new_anchors : DataFrame or None
        Anchor item parameters used, on their own scales.
    """

    A: float
    B: float
    method: str
    criterion: float = float("nan")
    D: float = 1.0
    theta: np.ndarray | None = None
    weights: np.ndarray | None = None
    theta_source: str = "grid"
    symmetric: bool = False
    anchors: tuple = ()
    excluded: tuple = ()
    converged: bool = True
    n_iter: int = 0
    screen: AnchorScreen | None = None
    components: tuple = ()
    base_anchors: pd.DataFrame | None = field(default=None, repr=False)
    new_anchors: pd.DataFrame | None = field(default=None, repr=False)

    # -- use -------------------------------------------------------------------------
    def transform(self, calibration, persons=None):
        """Put a calibration (items and, if given, person scores) on the base scale.

        Parameters
        ----------
        calibration : Calibration or DataFrame
            The new calibration (duck-typed ``.items``) or its item frame.
        persons : DataFrame, Series or array, optional
            Person scores on the new scale: a frame with ``theta`` (and ``se``)
            as ``Calibration.score`` returns, or an array of θ.

        Returns
        -------
        DataFrame or (DataFrame, persons)
            Transformed item frame; with ``persons``, also the transformed scores.
        """
        items = transform_items(item_frame(calibration, "calibration"), self.A, self.B)
        if persons is None:
            return items
        return items, _transform_persons(persons, self.A, self.B)

    def rescale(self, calibration):
        """A :class:`~pvcal.Calibration` on the base scale (items, SEs and latent distribution).

        Unlike :meth:`transform`, which returns item frames, this keeps the
        whole result object (scoring, summary, JSON) and records the linking
        in ``settings["rescaled"]``.

        Examples
        --------
        >>> new_on_base = pvcal.link(base, new).rescale(new)   # doctest: +SKIP
        """
        if not hasattr(calibration, "rescale"):
            raise DataError(
                f"rescale needs a pvcal Calibration, got {type(calibration).__name__}; "
                "use transform() for item-parameter frames"
            )
        return calibration.rescale(
            self.A, self.B, note={"method": self.method, "anchors": [str(a) for a in self.anchors]}
        )

    def transform_theta(self, theta, se=None):
        """``A·θ + B`` (and ``A·se``) for abilities on the new scale."""
        return transform_theta(theta, se, self.A, self.B)

    def inverse(self) -> Linking:
        """The linking from the base scale back to the new one (``1/A``, ``-B/A``)."""
        return Linking(
            A=1.0 / self.A,
            B=-self.B / self.A,
            method="inverse",
            criterion=self.criterion,
            D=self.D,
            theta=self.theta,
            weights=self.weights,
            theta_source=self.theta_source,
            symmetric=self.symmetric,
            anchors=self.anchors,
            excluded=self.excluded,
            converged=self.converged,
            components=(self,),
            base_anchors=self.new_anchors,
            new_anchors=self.base_anchors,
        )

    # -- presentation ----------------------------------------------------------------
    @cached_property
    def settings(self) -> dict:
        """Every setting that changes the numbers."""
        grid = None
        if self.theta is not None:
            grid = {
                "source": self.theta_source,
                "n": int(len(self.theta)),
                "min": float(np.min(self.theta)),
                "max": float(np.max(self.theta)),
                "uniform_weights": bool(np.allclose(self.weights, self.weights[0])),
            }
        return {
            "method": self.method,
            "D": self.D,
            "theta": grid,
            "symmetric": self.symmetric,
            "anchors": [str(a) for a in self.anchors],
            "excluded": [str(a) for a in self.excluded],
            "screen": None if self.screen is None else self.screen.method,
        }

    def summary(self) -> Summary:
        info = {
            "method": self.method,
            "A (slope)": f"{self.A:.6f}",
            "B (intercept)": f"{self.B:.6f}",
            "criterion": f"{self.criterion:.6g}",
            "D": self.D,
            "theta grid": self.settings["theta"],
            "symmetric": self.symmetric,
            "anchors used": f"{len(self.anchors)}",
            "anchors excluded": ", ".join(map(str, self.excluded)) or "none",
            "converged": f"{self.converged} ({self.n_iter} iterations)",
        }
        tables = {}
        if self.base_anchors is not None and self.new_anchors is not None:
            tables["anchor locations"] = self._anchor_table().drop(columns="flagged").round(4)
        if self.components:
            tables["components"] = pd.DataFrame(
                [{"method": c.method, "A": c.A, "B": c.B} for c in self.components]
            )
        return Summary("IRT scale linking  (θ_base = A·θ_new + B)", info, tables)

    def _anchor_table(self) -> pd.DataFrame:
        base, new = self.base_anchors, self.new_anchors
        tab = pd.DataFrame(
            {
                "a_base": base["a"].to_numpy(float),
                "a_new": new.loc[base.index, "a"].to_numpy(float),
                "b_base": _item_location(base),
                "b_new": _item_location(new.loc[base.index]),
            },
            index=base.index,
        )
        tab["b_new_linked"] = self.A * tab["b_new"] + self.B
        tab["displacement"] = tab["b_base"] - tab["b_new_linked"]
        tab["flagged"] = False
        return tab

    def plot(self, kind: str = "anchors", ax=None):
        """Plot the anchors (``"anchors"``) or the anchor test curves (``"tcc"``).

        ``"tcc"`` draws the base anchors' test characteristic curve and the new
        anchors' before and after the transformation.
        """
        kind = check_choice("kind", kind, ["anchors", "tcc"])
        if self.base_anchors is None:
            raise PvcalError("this linking keeps no anchor parameters to plot (a chain?)")
        if kind == "anchors":
            return plot_anchor_parameters(self._anchor_table(), self.A, self.B, ax=ax)
        import matplotlib.pyplot as plt

        from ..irt.models import expected_score

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        th = (
            np.linspace(-4, 4, 121)
            if self.theta is None
            else np.linspace(self.theta.min(), self.theta.max(), 121)
        )
        linked = transform_items(self.new_anchors, self.A, self.B)
        ax.plot(th, expected_score(self.base_anchors, th, self.D).sum(1), label="base")
        ax.plot(th, expected_score(self.new_anchors, th, self.D).sum(1), ls=":", label="new")
        ax.plot(th, expected_score(linked, th, self.D).sum(1), ls="--", label="new, linked")
        ax.set_xlabel("θ (base scale)")
        ax.set_ylabel("expected anchor score")
        ax.legend()
        return ax

    def to_dict(self) -> dict:
        """Plain-Python record of the constants, every setting and the anchors used.

        Frames (``base_anchors``, ``new_anchors``, the screen's table) are in
        :mod:`pvcal.serialize` split form; components are nested records.
        """
        out = {
            "pvcal_type": "Linking",
            "version": 2,
            "A": self.A,
            "B": self.B,
            "criterion": self.criterion,
            "converged": self.converged,
            "n_iter": self.n_iter,
            **self.settings,
            "theta_source": self.theta_source,
            "theta_values": self.theta,
            "weights": self.weights,
            "screen": None if self.screen is None else self.screen.to_dict(),
            "components": [c.to_dict() for c in self.components],
            "base_anchors": self.base_anchors,
            "new_anchors": self.new_anchors,
        }
        return to_jsonable(out)

    def to_json(self) -> str:
        """Canonical JSON (:func:`pvcal.serialize.dumps`) of :meth:`to_dict`."""
        return dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict) -> Linking:
        """Rebuild a linking from :meth:`to_dict`.

        Raises
        ------
        SchemaError
            Not a Linking record (version 2).
        """
        check_record(d, "Linking", ("A", "B", "method", "theta_source", "components"))

        def arr(v):
            return None if v is None else np.array([float_or_nan(x) for x in v], dtype=float)

        def frame(v):
            return None if v is None else frame_from_json(v)

        return cls(
            A=float_or_nan(d["A"]),
            B=float_or_nan(d["B"]),
            method=d["method"],
            criterion=float_or_nan(d.get("criterion")),
            D=float_or_nan(d["D"]),
            theta=arr(d.get("theta_values")),
            weights=arr(d.get("weights")),
            theta_source=d["theta_source"],
            symmetric=bool(d["symmetric"]),
            anchors=tuple(d["anchors"]),
            excluded=tuple(d["excluded"]),
            converged=bool(d["converged"]),
            n_iter=int(d["n_iter"]),
            screen=None if d.get("screen") is None else AnchorScreen.from_dict(d["screen"]),
            components=tuple(Linking.from_dict(c) for c in d["components"]),
            base_anchors=frame(d.get("base_anchors")),
            new_anchors=frame(d.get("new_anchors")),
        )

    @classmethod
    def from_json(cls, text: str) -> Linking:
        """Rebuild a linking from :meth:`to_json` text."""
        return cls.from_dict(loads_record(text, "Linking"))

    def __eq__(self, other: object) -> bool:
        return json_equal(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Linking(method={self.method!r}, A={self.A:.6f}, B={self.B:.6f}, "
            f"anchors={len(self.anchors)}, excluded={len(self.excluded)})"
        )


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------


def _grid(obj, theta, weights, label: str):
    """θ grid and normalised weights: an array (weights uniform if None) or "latent"."""
    if isinstance(theta, str):
        check_choice("theta", theta, ["latent"])
        quad = getattr(obj, "quadrature", None)
        if quad is None:
            raise DataError(
                f"theta='latent' needs a Calibration with a fitted latent distribution "
                f"(.quadrature) for the {label} calibration; got {type(obj).__name__}"
            )
        nodes, w = quad
        nodes = check_1d("quadrature nodes", nodes)
        w = check_1d("quadrature weights", w)
        source = "latent"
    else:
        nodes = check_1d("theta", theta)
        w = np.ones_like(nodes) if weights is None else check_1d("weights", weights)
        source = "grid"
    if w.shape != nodes.shape:
        raise PvcalError(f"weights has {w.size} values but theta has {nodes.size}")
    if np.any(w < 0) or w.sum() <= 0:
        raise PvcalError("weights must be non-negative with a positive sum")
    return nodes, w / w.sum(), source


def link(
    base,
    new,
    method: str = "stocking-lord",
    anchors: Sequence | None = None,
    D: float = 1.0,
    theta=np.linspace(-4, 4, 40),  # noqa: B008 - immutable use only
    weights=None,
    symmetric: bool = False,
    screen: str | None = None,
    screen_threshold: float | None = None,
    start: tuple[float, float] | None = None,
    tol: float = 1e-10,
) -> Linking:
    """Link a new calibration onto the base scale through shared anchor items.

    Parameters
    ----------
    base, new : Calibration or DataFrame
        Calibrations (duck-typed ``.items``) or item-parameter frames indexed by
        item id, IRT parameterisation; dichotomous and polytomous items may mix.
    method : {"mean-mean", "mean-sigma", "haebara", "stocking-lord"}
    anchors : sequence of item ids, optional
        Anchors to use; default every item id the two share.
    D : float, default 1.0
        Scaling constant of the item response functions (1.702 for the normal
        metric). Only the characteristic-curve methods depend on it.
    theta : array_like or "latent", default 40 points equally spaced on [-4, 4]
        Ability grid of the criterion. ``"latent"`` uses the fitted latent
        distribution (``.quadrature``) of the base calibration (and of the new
        one for the backward part of a symmetric criterion).
    weights : array_like, optional
        Weights at ``theta`` (default uniform); normalised to sum to 1.
    symmetric : bool, default False
        Add the backward criterion (base items moved onto the new scale).
    screen : {"robust-z", "displacement"}, optional
        Screen anchors first (:func:`screen_anchors`) and drop the flagged ones.
    screen_threshold : float, optional
        Threshold of the screen (default 2.7 for robust z, 0.5 for displacement).
    start : (A, B), optional
        Starting values of the characteristic-curve methods (default mean-sigma).
    tol : float
        Gradient tolerance of the optimiser.

    Returns
    -------
    Linking

    Raises
    ------
    DataError
        An anchor missing from one calibration, no shared items, bad frames.
    ModelError
        An anchor with different models or category counts in the two calibrations.

    References
    ----------
    Kolen & Brennan (2014), chapter 6; Kim & Lee (2006); Weeks (2010).

    Examples
    --------
    >>> base = pd.DataFrame({"a": [1.0, 1.5], "b": [-0.5, 0.8]}, index=["Q1", "Q2"])
    >>> new = transform_items(base, 1 / 1.2, -0.3 / 1.2)   # the same items, another scale
    >>> lk = link(base, new, method="stocking-lord")
    >>> round(lk.A, 4), round(lk.B, 4)
    (1.2, 0.3)

    # R: plink::plink(pars, rescale = "SL")  or  equateIRT::direc(...)
    """
    method = _METHOD_ALIASES.get(str(method).lower(), str(method).lower())
    method = check_choice("method", method, METHODS)
    D = float(D)
    if not np.isfinite(D) or D <= 0:
        raise PvcalError(f"D must be a positive number (1 or 1.702), got {D!r}")
    base_items = item_frame(base, "base")
    new_items = item_frame(new, "new")
    ids = _anchor_ids(base_items, new_items, anchors)
    in_new, in_ids = set(new_items.index), set(ids)
    excluded = [i for i in base_items.index if i in in_new and i not in in_ids]

    scr = None
    if screen is not None:
        scr = screen_anchors(
            base_items, new_items, anchors=ids, method=screen, threshold=screen_threshold
        )
        dropped = scr.flagged
        ids = [i for i in ids if i not in dropped]
        excluded += dropped
        if not ids:
            raise DataError("anchor screening flagged every anchor; nothing left to link with")

    b_anc = base_items.iloc[base_items.index.get_indexer(ids)]
    n_anc = new_items.iloc[new_items.index.get_indexer(ids)]
    if method in ("mean-mean", "mean-sigma"):
        A, B = _moment_constants(b_anc, n_anc, method)
        return Linking(
            A=A,
            B=B,
            method=method,
            D=D,
            symmetric=symmetric,
            anchors=tuple(ids),
            excluded=tuple(excluded),
            screen=scr,
            base_anchors=b_anc,
            new_anchors=n_anc,
        )

    th_f, w_f, source = _grid(base, theta, weights, "base")
    parts = [_Criterion(method, b_anc, n_anc, th_f, w_f, D, forward=True)]
    if symmetric:
        th_b, w_b, _ = _grid(new, theta, weights, "new")
        parts.append(_Criterion(method, n_anc, b_anc, th_b, w_b, D, forward=False))

    def fun(x):
        f, g = 0.0, np.zeros(2)
        for part in parts:
            fi, gi = part.value_grad(x[0], x[1])
            f += fi
            g += gi
        return f, g

    if start is None:
        try:
            start = _moment_constants(b_anc, n_anc, "mean-sigma")
        except DataError:
            start = _moment_constants(b_anc, n_anc, "mean-mean")
        if not (np.isfinite(start[0]) and start[0] > 0):
            start = (1.0, 0.0)

    def fun_log(z):  # optimise over (log A, B) so that A stays positive
        A = np.exp(z[0])
        f, g = fun(np.array([A, z[1]]))
        return f, np.array([g[0] * A, g[1]])

    res = minimize(
        fun_log,
        np.array([np.log(start[0]), start[1]], float),
        jac=True,
        method="BFGS",
        options={"gtol": max(tol, 1e-7), "maxiter": 500},
    )
    # polish with Newton steps on a finite-difference Hessian of the analytic gradient
    x = np.array([np.exp(res.x[0]), res.x[1]])
    n_iter = int(res.nit)
    for _ in range(5):
        g = fun(x)[1]
        if np.max(np.abs(g)) < tol:
            break
        h = 1e-6
        H = np.column_stack([(fun(x + h * e)[1] - fun(x - h * e)[1]) / (2 * h) for e in np.eye(2)])
        try:
            step = np.linalg.solve(0.5 * (H + H.T), g)
        except np.linalg.LinAlgError:
            break
        if x[0] - step[0] <= 0:
            break
        x = x - step
        n_iter += 1
    f, g = fun(x)
    converged = bool(np.max(np.abs(g)) < max(tol, 1e-8))
    if not converged:
        import warnings

        from .._validation import ConvergenceWarning

        warnings.warn(
            f"{method} linking did not converge (gradient {g}); {res.message}",
            ConvergenceWarning,
            stacklevel=2,
        )
    weights_rec = w_f
    return Linking(
        A=float(x[0]),
        B=float(x[1]),
        method=method,
        criterion=float(f),
        D=D,
        theta=th_f,
        weights=weights_rec,
        theta_source=source,
        symmetric=bool(symmetric),
        anchors=tuple(ids),
        excluded=tuple(excluded),
        converged=converged,
        n_iter=n_iter,
        screen=scr,
        base_anchors=b_anc,
        new_anchors=n_anc,
    )


def screen_anchors(
    base,
    new,
    anchors: Sequence | None = None,
    method: str = "robust-z",
    threshold: float | None = None,
    link_method: str = "mean-sigma",
    D: float = 1.0,
    rescale: bool = True,
) -> AnchorScreen:
    """Flag anchors whose parameters drifted between the two calibrations.

    Parameters
    ----------
    base, new : Calibration or DataFrame
    anchors : sequence, optional
        Default: every shared item id.
    method : {"robust-z", "displacement"}
        ``"robust-z"`` (Huynh & Meyer, 2010): ``d = b_base - b_new`` per anchor
        (item location; the mean threshold for polytomous items), and
        ``z = (d - median d) / (0.7413 · IQR d)``; flag ``|z| > threshold``.
        With ``rescale=True`` (default) ``d`` is the residual of a robust
        Theil-Sen line ``b_base ≈ A b_new + B``, so that a change of scale
        unit between the calibrations (A ≠ 1) does not look like drift.
        ``"displacement"``: link with ``link_method`` on all anchors and flag
        ``|b_base - (A b_new + B)| > threshold`` (in θ units).
    threshold : float, optional
        Default 2.7 for the robust z (a common operational cut; Huynh & Meyer
        used 1.645, which flags many stable anchors in short anchor sets) or
        0.5 θ units for the displacement.
    link_method : str
        Linking method used for the displacement (and for the plotted line).
    D : float
    rescale : bool, default True
        Robust z of the residuals of a Theil-Sen line instead of the raw b
        differences (``False``: the classic Huynh-Meyer statistic, right when
        both calibrations share the scale unit, e.g. Rasch).

    Returns
    -------
    AnchorScreen

    References
    ----------
    Huynh, H., & Meyer, P. (2010). Use of robust z in detecting unstable items
    in item response theory models. *Practical Assessment, Research &
    Evaluation*, 15(2).
    """
    method = check_choice("method", method, SCREEN_METHODS)
    threshold = _SCREEN_DEFAULT_THRESHOLD[method] if threshold is None else float(threshold)
    if not np.isfinite(threshold) or threshold <= 0:
        raise PvcalError(f"threshold must be positive, got {threshold!r}")
    base_items = item_frame(base, "base")
    new_items = item_frame(new, "new")
    ids = _anchor_ids(base_items, new_items, anchors)
    b_anc, n_anc = base_items.loc[ids], new_items.loc[ids]
    tab = pd.DataFrame(
        {
            "a_base": b_anc["a"].to_numpy(float),
            "a_new": n_anc["a"].to_numpy(float),
            "b_base": _item_location(b_anc),
            "b_new": _item_location(n_anc),
        },
        index=pd.Index(ids, name=base_items.index.name or "item"),
    )
    tab["diff"] = tab["b_base"] - tab["b_new"]
    try:
        lk = link(b_anc, n_anc, method=link_method, D=D)
        A, B = lk.A, lk.B
    except DataError:
        A, B = 1.0, float(tab["diff"].median())
    if method == "robust-z":
        if rescale:
            from scipy.stats import theilslopes

            ts = theilslopes(tab["b_base"].to_numpy(float), tab["b_new"].to_numpy(float))
            A, B = float(ts.slope), float(ts.intercept)
            d = (tab["b_base"] - (A * tab["b_new"] + B)).to_numpy(float)
        else:
            d = tab["diff"].to_numpy(float)
        q75, q25 = np.percentile(d, [75, 25])
        scale = 0.7413 * (q75 - q25)
        if scale <= 0:
            scale = 1.4826 * float(np.median(np.abs(d - np.median(d))))
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (d - np.median(d)) / scale if scale > 0 else np.zeros_like(d)
        tab["statistic"] = z
    else:
        tab["statistic"] = tab["b_base"] - (A * tab["b_new"] + B)
    tab["flagged"] = np.abs(tab["statistic"].to_numpy(float)) > threshold
    return AnchorScreen(table=tab, method=method, threshold=threshold, A=A, B=B)


def chain(links: Sequence[Linking]) -> Linking:
    """Compose links across periods into one (newest first).

    ``chain([l32, l21])`` where ``l32`` puts period 3 on period 2's scale and
    ``l21`` period 2 on period 1's gives the link of period 3 onto period 1:
    ``A = A21·A32``, ``B = A21·B32 + B21``.

    Parameters
    ----------
    links : sequence of Linking
        Ordered from the newest period toward the base.

    Returns
    -------
    Linking
        ``method="chain"`` with the links in ``components``.
    """
    links = list(links)
    if not links:
        raise PvcalError("chain() needs at least one Linking")
    for i, lk in enumerate(links):
        if not isinstance(lk, Linking):
            raise PvcalError(f"chain(): element {i} is a {type(lk).__name__}, not a Linking")
    A, B = 1.0, 0.0
    for lk in links:  # θ_next = lk.A θ_prev + lk.B applied after the current map
        A, B = lk.A * A, lk.A * B + lk.B
    return Linking(
        A=float(A),
        B=float(B),
        method="chain",
        D=links[0].D,
        converged=all(lk.converged for lk in links),
        components=tuple(links),
    )
