"""The :class:`Calibration` result: an immutable value, published and reused."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .._summary import Summary
from .._validation import PvcalError, SchemaError, check_choice
from ..serialize import (
    check_record,
    dumps,
    float_or_nan,
    frame_from_json,
    json_equal,
    loads_record,
    to_jsonable,
)
from .models import item_information, threshold_columns
from .scoring import METHODS as _SCORE_METHODS  # the vocabulary is defined once, in scoring

__all__ = ["Calibration"]


@dataclass(frozen=True, eq=False)
class Calibration:
    """Result of :func:`pvcal.calibrate` (do not construct directly).

    Attributes
    ----------
    items : DataFrame
        Indexed by item id: ``model``, ``a``, ``b`` (dichotomous), ``c`` (3PL),
        ``b1..bK`` (GRM/GPCM/PCM), their standard errors ``se_*``, and the
        descriptive ``n``, ``max_score``, ``mean_score``.
    latent : dict
        Latent distribution of the (reference) group: ``mean``, ``sd``,
        ``var`` (estimated for Rasch/PCM, and the mean and SD with fixed
        items; fixed at N(0, 1) otherwise) and their standard errors.
    groups : DataFrame or None
        Multiple-group or fixed-parameter calibration: ``mean``, ``sd``,
        ``se_mean``, ``se_sd``, ``n`` and ``free`` per group.
    loglik : float
        Marginal log-likelihood at the estimate (priors excluded).
    converged, n_iter : bool, int
        Whether EM met its tolerance, and the number of EM cycles.
    settings : dict
        Every setting that changes the numbers (model, quadrature, tolerance,
        priors, SE method, parameterisation).
    history : tuple
        Log-likelihood (with priors) after each EM cycle.
    seconds : float
        Time the estimation took.

    Notes
    -----
    Two calibrations are equal (``==``) when their canonical JSON
    (:meth:`to_json`, :mod:`pvcal.serialize`) is the same: every published
    field, NaN equal to NaN. ``Calibration.from_json(cal.to_json())`` equals
    ``cal`` and writes the same bytes.

    Examples
    --------
    >>> cal = pvcal.calibrate(wide, model="2PL")       # doctest: +SKIP
    >>> cal.summary()                                   # doctest: +SKIP
    >>> cal.score(wide, method="WLE").head()           # doctest: +SKIP
    >>> # R: coef(mod, IRTpars = TRUE); fscores(mod, method = "WLE")
    """

    items: pd.DataFrame
    latent: dict
    loglik: float
    log_prior: float
    n_persons: int
    n_params: int
    n_iter: int
    converged: bool
    settings: dict
    groups: pd.DataFrame | None = None
    history: tuple = field(default=(), repr=False)
    seconds: float = float("nan")
    max_change: float = float("nan")

    # ------------------------------------------------------------------ basics
    @property
    def model(self) -> str:
        return self.settings.get("model", "mixed")

    @cached_property
    def aic(self) -> float:
        """Akaike information criterion, ``-2 logL + 2k``."""
        return -2 * self.loglik + 2 * self.n_params

    @cached_property
    def bic(self) -> float:
        """Bayesian information criterion, ``-2 logL + k log N``."""
        return -2 * self.loglik + self.n_params * np.log(self.n_persons)

    @cached_property
    def parameters(self) -> pd.DataFrame:
        """Item parameters only (no standard errors or descriptives)."""
        cols = [c for c in ("model", "a", "b", "c") if c in self.items.columns]
        return self.items[cols + threshold_columns(self.items)].copy()

    @property
    def quadrature(self) -> tuple[np.ndarray, np.ndarray]:
        """Nodes and weights of the fitted latent distribution."""
        from .estimate import quadrature

        lo, hi = self.settings["bounds"]
        mean, sd = self.latent["mean"], self.latent["sd"]
        return quadrature(self.settings["n_quad"], (mean + lo * sd, mean + hi * sd), mean, sd)

    # ----------------------------------------------------------------- scoring
    def score(self, responses: Any, method: str = "EAP", *, group=None, **kwargs) -> pd.DataFrame:
        """Ability estimates with standard errors.

        Parameters
        ----------
        responses : DataFrame or Responses
            Wide persons x items (any subset of the calibrated items).
        method : {"EAP", "MAP", "ML", "WLE"}
        group : optional
            For a multiple-group calibration, the group whose latent
            distribution is the prior (default: the reference group).

        Returns
        -------
        DataFrame
            Indexed like ``responses``: ``theta``, ``se``.

        # R: mirt::fscores(mod, method = "EAP", full.scores.SE = TRUE)
        """
        from .scoring import score

        method = check_choice("method", method, _SCORE_METHODS)
        wide = getattr(responses, "wide", responses)
        mean, sd = self.latent["mean"], self.latent["sd"]
        if group is not None:
            if self.groups is None or group not in self.groups.index:
                known = [] if self.groups is None else list(self.groups.index)
                raise PvcalError(f"group {group!r} is not one of the calibrated groups {known}")
            mean, sd = self.groups.loc[group, ["mean", "sd"]]
        kwargs.setdefault("missing_items", "nan")  # a form may carry a subset of the items
        return score(self.parameters, wide, method=method, mean=mean, sd=sd, **kwargs)

    def sum_score_table(self) -> pd.DataFrame:
        """EAP ability for every summed score (Lord–Wingersky).

        # R: mirt::fscores(mod, method = "EAPsum", full.scores = FALSE)
        """
        from .scoring import sum_score_table

        return sum_score_table(self.parameters, mean=self.latent["mean"], sd=self.latent["sd"])

    def information(self, theta=None) -> pd.DataFrame:
        """Test information and conditional SEM on a θ grid."""
        theta = np.linspace(-4, 4, 81) if theta is None else np.asarray(theta, float)
        info = item_information(self.parameters, theta).sum(axis=1)
        return pd.DataFrame(
            {"theta": theta, "information": info, "csem": 1 / np.sqrt(info)}
        ).set_index("theta")

    def item_fit(self, responses: Any, by=None, **kwargs) -> pd.DataFrame:
        """Orlando–Thissen S-X² item fit, per form where forms differ.

        S-X² conditions on the summed score, so it needs persons who took the
        same items. With ``by`` (one label per person, e.g. the form), or a
        :class:`pvcal.data.Responses` whose persons carry a ``form``, it is
        computed form by form on the items of that form, and the result is
        indexed by (form, item).

        # R: mirt::itemfit(mod, "S_X2")
        """
        from .fit import s_x2

        wide = getattr(responses, "wide", responses)
        persons = getattr(responses, "persons", None)
        if by is None and persons is not None and "form" in persons:
            by = persons["form"].reindex(wide.index)
        nodes, weights = self.quadrature
        if by is None:
            return s_x2(self.parameters, wide, nodes=nodes, weights=weights, **kwargs)
        by = pd.Series(np.asarray(by), index=wide.index)
        parts = {}
        for form, idx in by.groupby(by, sort=True).groups.items():
            sub = wide.loc[idx]
            cols = sub.columns[sub.notna().mean() > 0.5]  # the form's items
            parts[form] = s_x2(
                self.parameters.loc[cols], sub[cols], nodes=nodes, weights=weights, **kwargs
            )
        return pd.concat(parts, names=["form", "item"])

    def person_fit(self, responses: Any, **kwargs) -> pd.DataFrame:
        """Person fit (lz, lz*). # R: mirt::personfit(mod)"""
        from .fit import person_fit

        return person_fit(self.parameters, getattr(responses, "wide", responses), **kwargs)

    def rescale(self, A: float, B: float, *, note: dict | None = None) -> Calibration:
        """The same calibration expressed on another θ scale, ``θ* = A·θ + B``.

        Slopes divide by ``A``; locations (``b``, ``b1..bK``) become ``A·b + B``;
        lower asymptotes are unchanged; standard errors scale with them; the
        latent mean and SD move with the scale. The log-likelihood is
        unchanged (the model is the same). This is how a linking result puts a
        new form or period on the base scale.

        Parameters
        ----------
        A, B : float
            Slope (> 0) and intercept of the scale transformation.
        note : dict, optional
            Recorded in ``settings["rescaled"]`` (e.g. the linking method).

        Examples
        --------
        >>> on_base = new_cal.rescale(link.A, link.B)   # doctest: +SKIP
        """
        A, B = float(A), float(B)
        if not (np.isfinite(A) and A > 0 and np.isfinite(B)):
            raise PvcalError(f"rescale needs a finite A > 0 and finite B, got A={A}, B={B}")
        items = self.items.copy()
        locs = [c for c in ["b", *threshold_columns(items)] if c in items]
        items["a"] = items["a"] / A
        items[locs] = items[locs] * A + B
        if "se_a" in items:
            items["se_a"] = items["se_a"] / A
        for c in locs:
            if f"se_{c}" in items:
                items[f"se_{c}"] = items[f"se_{c}"] * A
        lat = dict(self.latent)
        lat["mean"] = A * lat["mean"] + B
        lat["sd"] = A * lat["sd"]
        lat["var"] = lat["sd"] ** 2
        for k, power in (("se_mean", 1), ("se_sd", 1), ("se_var", 2)):
            if k in lat:
                lat[k] = lat[k] * A**power
        groups = None
        if self.groups is not None:
            groups = self.groups.copy()
            groups["mean"] = A * groups["mean"] + B
            for c in ("sd", "se_mean", "se_sd"):
                groups[c] = groups[c] * A
        settings = dict(self.settings)
        previous = settings.get("rescaled")
        settings["rescaled"] = {"A": A, "B": B, **(note or {}), "previous": previous}
        return replace(self, items=items, latent=lat, groups=groups, settings=settings)

    # ----------------------------------------------------------------- display
    def summary(self) -> Summary:
        """Text/HTML summary: fit statistics, convergence and the item table."""
        se_cols = [c for c in self.items.columns if c.startswith("se_")]
        par = self.parameters.drop(columns="model")
        table = par.copy()
        for c in par.columns:
            if f"se_{c}" in self.items:
                table[f"se_{c}"] = self.items[f"se_{c}"]
        table = table[[c for pc in par.columns for c in (pc, f"se_{pc}") if c in table]]
        table.insert(0, "model", self.items["model"])
        table["n"] = self.items["n"]
        facts = {
            "Model": self.model,
            "Persons": self.n_persons,
            "Items": len(self.items),
            "Parameters": self.n_params,
            "Log-likelihood": float(self.loglik),
            "AIC": float(self.aic),
            "BIC": float(self.bic),
            "Converged": self.converged,
            "EM cycles": self.n_iter,
            "Latent var": float(self.latent["var"]),
            "Quadrature": f"{self.settings['n_quad']} pts {self.settings['bounds']}",
            "SE method": self.settings["se"],
        }
        notes = ["IRT parameterisation, logistic metric, D = 1 (mirt IRTpars = TRUE)."]
        if self.settings.get("priors"):
            notes.append(f"Priors: {self.settings['priors']}")
        if not se_cols:
            notes.append("Standard errors not computed.")
        if not self.converged:
            notes.append(f"NOT CONVERGED: last max change {self.max_change:.2e}.")
        step = self.settings.get("newton")  # absent in records written before it existed
        if step and step.get("taken"):
            notes.append(
                f"Gauss-Newton step after EM: largest change {max(step['taken']):.1e} "
                "(pvcal.irt.newton)."
            )
        elif step and step.get("refused"):
            notes.append(f"Gauss-Newton step refused ({step['refused']}): EM's estimates.")
        tables = [("Item parameters", table)]
        if self.groups is not None:
            tables.append(("Latent distributions", self.groups))
        if self.settings.get("fixed_items"):
            notes.append(f"{len(self.settings['fixed_items'])} item(s) held at given parameters.")
        return Summary("Calibration (MML-EM)", facts, tuple(tables), tuple(notes))

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    # ------------------------------------------------------------------ plots
    def plot_icc(self, items=None, ax=None, theta=None):
        """Item characteristic (expected score) curves. # R: plot(mod, type = "trace")"""
        import matplotlib.pyplot as plt

        from .models import expected_score

        theta = np.linspace(-4, 4, 161) if theta is None else np.asarray(theta)
        par = self.parameters if items is None else self.parameters.loc[list(items)]
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        es = expected_score(par, theta) / par.index.map(self.items["max_score"]).to_numpy(float)
        for j, item in enumerate(par.index):
            ax.plot(theta, es[:, j], lw=1, label=str(item))
        ax.set(xlabel="θ", ylabel="expected score / max", title="Item characteristic curves")
        if len(par) <= 12:
            ax.legend(fontsize="small", ncol=2)
        return ax

    def plot_information(self, ax=None):
        """Test information with the conditional SEM. # R: plot(mod, type = "infoSE")"""
        import matplotlib.pyplot as plt

        info = self.information()
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        ax.plot(info.index, info["information"], color="C0", label="information")
        ax.set(xlabel="θ", ylabel="test information", title="Test information and CSEM")
        ax2 = ax.twinx()
        ax2.plot(info.index, info["csem"], color="C3", ls="--", label="CSEM")
        ax2.set_ylabel("conditional SEM")
        ax2.set_ylim(0, min(2.0, float(info["csem"].max()) * 1.05))
        return ax

    def plot_wright_map(self, responses: Any, ax=None):
        """Person–item map: EAP abilities beside item locations."""
        import matplotlib.pyplot as plt

        theta = self.score(responses)["theta"]
        par = self.parameters
        locs = []
        for item, row in par.iterrows():
            bs = [
                row[c] for c in ["b", *threshold_columns(par)] if c in row and np.isfinite(row[c])
            ]
            locs += [(item, b) for b in bs]
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 5))
        ax.hist(theta, bins=40, orientation="horizontal", color="0.7", label="persons (EAP)")
        xmax = ax.get_xlim()[1]
        ys = np.array([b for _, b in locs])
        ax.scatter(np.full(len(ys), -0.05 * xmax), ys, marker="_", s=200, color="C3", label="items")
        ax.set(ylabel="θ", xlabel="persons", title="Person–item map")
        ax.legend(fontsize="small")
        return ax

    # -------------------------------------------------------------- publishing
    def to_dict(self) -> dict:
        """JSON-ready dictionary (frames in :mod:`pvcal.serialize` split form with dtypes)."""
        return to_jsonable(
            {
                "pvcal_type": "Calibration",
                "version": 2,
                "items": self.items,
                "latent": {k: float(v) for k, v in self.latent.items()},
                "loglik": float(self.loglik),
                "log_prior": float(self.log_prior),
                "n_persons": int(self.n_persons),
                "n_params": int(self.n_params),
                "n_iter": int(self.n_iter),
                "converged": bool(self.converged),
                "settings": self.settings,
                "max_change": float(self.max_change),
                "groups": self.groups,
                "history": [float(h) for h in self.history],
                "seconds": float(self.seconds),
            }
        )

    def to_json(self, path=None, *, indent: int | None = 1) -> str:
        """Canonical JSON (:func:`pvcal.serialize.dumps`), written to ``path`` when given."""
        text = dumps(self.to_dict(), indent=indent)
        if path is not None:
            from pathlib import Path

            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_dict(cls, d: dict) -> Calibration:
        """Rebuild a calibration from :meth:`to_dict` (version 2, or version 1 records).

        Raises
        ------
        SchemaError
            Not a Calibration record.
        """
        if not isinstance(d, dict) or d.get("pvcal_type") != "Calibration":
            raise SchemaError("JSON does not hold a pvcal Calibration (pvcal_type missing)")
        check_record(d, "Calibration", ("items", "latent", "loglik", "n_persons", "settings"))
        if "dtypes" in d["items"]:
            items = frame_from_json(d["items"])
            groups = None if d.get("groups") is None else frame_from_json(d["groups"])
        else:  # version 1: split frames without dtypes
            items, groups = _v1_frames(d)
        return cls(
            items=items,
            latent={k: float_or_nan(v) for k, v in d["latent"].items()},
            loglik=float_or_nan(d["loglik"]),
            log_prior=float_or_nan(d["log_prior"]),
            n_persons=d["n_persons"],
            n_params=d["n_params"],
            n_iter=d["n_iter"],
            converged=d["converged"],
            settings=d["settings"],
            max_change=float_or_nan(d.get("max_change")),
            groups=groups,
            history=tuple(float_or_nan(h) for h in d.get("history", ())),
            seconds=float_or_nan(d.get("seconds")),
        )

    @classmethod
    def from_json(cls, text_or_path) -> Calibration:
        """Rebuild a calibration stored by :meth:`to_json` (a string or a path)."""
        from pathlib import Path

        text = str(text_or_path)
        if not text.lstrip().startswith("{"):
            text = Path(text_or_path).read_text(encoding="utf-8")
        return cls.from_dict(loads_record(text, "calibration"))

    def __eq__(self, other: object) -> bool:
        return json_equal(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if not isinstance(self.items, pd.DataFrame) or "a" not in self.items:
            raise PvcalError("Calibration.items must be a DataFrame with an 'a' column")


def _v1_frames(d: dict) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Items and groups of a version-1 record (split frames without dtypes)."""
    sp = d["items"]
    items = pd.DataFrame(sp["data"], columns=sp["columns"], index=sp["index"])
    items.index.name = "item"
    for c in items.columns:
        if c != "model":
            items[c] = pd.to_numeric(items[c], errors="coerce")
    g = d.get("groups")
    if g is None:
        return items, None
    groups = (
        pd.DataFrame(g["data"], columns=g["columns"], index=g["index"])
        .rename_axis("group")
        .astype({"mean": float, "sd": float, "se_mean": float, "se_sd": float})
    )
    return items, groups
