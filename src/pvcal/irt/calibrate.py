"""The one door to calibration: :func:`calibrate`."""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .._validation import (
    DataError,
    ModelError,
    PvcalError,
    check_choice,
    check_id_column,
    check_positive,
)
from .estimate import (
    default_priors,
    fit_em,
    log_prior_total,
    models_per_item,
    prepare,
    prepare_parquet,
    quadrature,
    start_values,
)
from .information import FreeMap, information, reported_covariance
from .models import DICHOTOMOUS, SHARED_SLOPE, canonical_model
from .newton import polish
from .patterns import ID_COLUMN, parquet_items
from .results import Calibration

__all__ = ["calibrate"]

_VARIANCE_FREE = frozenset({"Rasch", "PCM"})  # unit slopes, latent variance estimated


def _check_priors(priors, models) -> dict:
    if priors is None:
        return default_priors(models)
    if not isinstance(priors, dict):
        raise PvcalError(f"priors must be a dict such as {{'c': ('beta', 5, 17)}}, got {priors!r}")
    out = {}
    for key, spec in priors.items():
        if key not in ("a", "c"):
            raise PvcalError(
                f"priors: unknown parameter {key!r}; priors are available for 'a' and 'c'"
            )
        if not (isinstance(spec, (tuple, list)) and len(spec) == 3):
            raise PvcalError(f"priors[{key!r}] must be (family, p1, p2), got {spec!r}")
        family = spec[0]
        expected = {"c": "beta", "a": "lognormal"}[key]
        if family != expected:
            raise PvcalError(f"priors[{key!r}]: family {family!r} not supported; use {expected!r}")
        out[key] = (family, float(spec[1]), float(spec[2]))
    return out


def _reporter(design):
    """Functions mapping the internal state to the reported item frame and latent values."""
    shared_var = any(m in _VARIANCE_FREE for m in design.models)
    free_groups = np.flatnonzero(design.latent_free)

    def latent_sd(params) -> float:
        if not shared_var:
            return 1.0
        for blk, par in zip(design.blocks, params):
            if blk.shared:
                return float(par[0, 0])
        return 1.0

    def _irt(params):
        for blk, par in zip(design.blocks, params):
            p = par.copy()
            if blk.model_name in _VARIANCE_FREE:
                p[:, 0] = 1.0  # θ carries the scale: a = 1, variance = slope²
            yield blk, blk.item_model.to_irt(p)

    # reported columns in order of first appearance ("a", "b", "c", "b1", ...)
    columns = list(dict.fromkeys(k for _, irt in _irt(start_values(design)) for k in irt))

    def matrix(params) -> np.ndarray:
        out = np.full((len(design.item_ids), len(columns)), np.nan)
        for blk, irt in _irt(params):
            for k, v in irt.items():
                out[blk.pos, columns.index(k)] = v
        return out

    def frame(params) -> pd.DataFrame:
        return pd.DataFrame(matrix(params), columns=columns)

    def vector(state) -> np.ndarray:
        params, latent = state[:-1], state[-1]
        vals = matrix(params).ravel()
        vals = vals[np.isfinite(vals)]
        if shared_var:
            vals = np.append(vals, latent_sd(params) ** 2)
        return np.concatenate([vals, latent[free_groups].ravel()])

    return frame, latent_sd, vector, shared_var


def _fixed_start(design, start, fixed: pd.DataFrame):
    """Put the given parameters of fixed items into the starting state."""
    from .models import threshold_columns

    bcols = threshold_columns(fixed)
    for blk, par in zip(design.blocks, start):
        if blk.free.any():
            continue
        ids = [design.item_ids[j] for j in blk.pos]
        rows = fixed.loc[ids]
        if blk.model_name in DICHOTOMOUS:
            c = rows["c"].to_numpy(float) if "c" in rows else None
            new = blk.item_model.from_irt(rows["a"], rows["b"], c)
        else:
            b = rows[bcols].to_numpy(float)
            k = blk.n_cat - 1
            if np.isfinite(b).sum(axis=1).min() != k or (
                b.shape[1] > k and np.isfinite(b[:, k:]).any()
            ):
                raise ModelError(
                    f"fixed items {ids[:5]}: {blk.n_cat} observed score categories need "
                    f"exactly {k} thresholds b1..b{k}"
                )
            new = blk.item_model.from_irt(rows["a"], b[:, :k])
        par[:] = new
    return start


def _merge_models(model, columns, fixed_models: pd.Series) -> dict:
    """Per-item models, checking fixed items' models against the requested ones."""
    per_item = dict(zip(columns, models_per_item(model, columns)))
    for item, m in fixed_models.items():
        m = canonical_model(m)
        if per_item[item] != m:
            raise ModelError(
                f"item {item!r}: fixed parameters are for a {m} item but the calibration "
                f"asks for {per_item[item]}"
            )
    return per_item


def _is_dask(obj) -> bool:
    return type(obj).__module__.split(".")[0] == "dask" and hasattr(obj, "to_delayed")


def _item_columns(wide, id_column) -> list:
    """Item ids of the input: a frame's columns, a Parquet file's or a Dask frame's item columns."""
    if isinstance(wide, (str, Path)):
        return parquet_items(wide, id_column)
    if _is_dask(wide):
        check_id_column(wide.columns, id_column, file="Dask frame", optional=id_column == ID_COLUMN)
        return [c for c in wide.columns if c != id_column]
    return list(getattr(wide, "columns", []))


def _without_id_column(wide: pd.DataFrame, id_column, file: str | None) -> pd.DataFrame:
    """An in-memory frame with its person-id column (if any) as the index, not an item."""
    if id_column is None or (id_column == wide.index.name and id_column not in wide.columns):
        return wide
    if check_id_column(
        wide.columns, id_column, file=file or "responses", optional=id_column == ID_COLUMN
    ):
        return wide.set_index(id_column)
    return wide


def _design(wide, model, file, id_column, columns, **kw):
    """Collapsed-pattern design from a frame, a Parquet path or a Dask frame."""
    if isinstance(wide, (str, Path)) or _is_dask(wide):
        if kw.pop("groups") is not None:
            raise DataError(
                "groups are supported for in-memory data frames only; calibrate each "
                "group's Parquet file or Dask frame through a pandas frame, or without groups"
            )
        kw.pop("reference_group")
        if isinstance(wide, (str, Path)):
            return prepare_parquet(wide, columns, model, **kw)
        from .distributed import prepare_dask

        return prepare_dask(wide, columns, model, **kw)
    return prepare(wide, model, file=file, **kw)


@contextmanager
def _progress_bar(show: bool, total: int):
    if not show:
        yield None
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc="EM", unit="cycle", leave=False)
    try:
        yield bar
    finally:
        bar.close()


def calibrate(
    responses: Any,
    model: str | dict | list = "2PL",
    *,
    n_quad: int = 61,
    bounds: tuple[float, float] = (-6.0, 6.0),
    tol: float = 1e-4,
    max_iter: int = 500,
    se: str | bool = "crossprod",
    newton: int = 1,
    priors: dict | None = None,
    latent_variance: str | float = "free",
    accelerate: bool = True,
    progress: bool | None = None,
    groups=None,
    reference_group=None,
    fixed: pd.DataFrame | None = None,
    id_column: str | None = ID_COLUMN,
) -> Calibration:
    """Calibrate items by marginal maximum likelihood (Bock–Aitkin EM).

    Parameters
    ----------
    responses : DataFrame, Responses, path or Dask DataFrame
        Wide persons x items frame of integer scores ``0..max`` with NaN for
        missing responses (ignored in the likelihood), or a
        :class:`pvcal.data.Responses` container (its ``.wide`` is used).
        A path (str or Path) to a wide Parquet file or dataset folder (item
        columns of integer scores, null/NaN missing, plus optionally the
        ``id_column``) is streamed in blocks of 65,536 rows: only the distinct
        response patterns and their counts are kept, so memory grows with the
        number of distinct patterns, never with the number of persons. A Dask
        DataFrame is calibrated on the active ``dask.distributed`` client:
        patterns are collapsed and kept on the workers, each E-step sums
        partial results there and only those sums travel (install the
        ``distributed`` extra). Both give the in-memory estimates.
    model : str, dict or list, default "2PL"
        "Rasch", "1PL", "2PL", "3PL", "GRM", "GPCM" or "PCM"; a dict
        ``{item: model}`` or a list (one per column) for mixed formats.
    n_quad, bounds : int, tuple
        Quadrature: ``n_quad`` equally spaced points on ``bounds`` with
        normal weights (mirt's defaults: 61 points on [-6, 6]).
    tol : float, default 1e-4
        Stop when no internal parameter changes by more than ``tol`` in one
        EM cycle (mirt's ``TOL``).
    max_iter : int, default 500
        Cap on EM cycles; a :class:`~pvcal.ConvergenceWarning` is issued when
        it is reached.
    se : {"crossprod", "observed", False}, default "crossprod"
        Standard errors of item parameters: cross-product of score vectors
        (fast, one pass) or the observed information (numerical Jacobian of
        the analytic score; slower, best for small samples); False skips them.
    newton : int, default 1
        Gauss–Newton steps after EM with the cross-product information, as
        BILOG-MG's ``NEWTON`` cycles (see :mod:`pvcal.irt.newton`): EM stops
        up to ~``tol`` short of the maximum, one step lands about
        ``N^(-1/2)``-times closer, so fits that differ only in summation
        order (in memory, streamed, Dask) agree to far below ``tol``. A step
        that would lower the log posterior or leave the parameter space is
        refused (recorded in ``settings["newton"]``); 0 keeps EM's point.
    priors : dict, optional
        ``{"c": ("beta", alpha, beta), "a": ("lognormal", meanlog, sdlog)}``.
        Default: Beta(5, 17) on the 3PL lower asymptote (BILOG-MG's default),
        nothing otherwise; ``{}`` for none. Priors used are recorded.
    latent_variance : "free" or float, default "free"
        For "Rasch"/"PCM": estimate the latent variance (as mirt), or fix it
        (``1.0`` gives the ltm ``rasch(..., constraint)`` model).
    accelerate : bool, default True
        SQUAREM acceleration of the EM map.
    progress : bool, optional
        Show a progress bar; default: only for large data (persons x items
        above two million).
    groups : array_like, optional
        One group label per response row for concurrent multiple-group
        calibration: items are common, each group has its own normal latent
        distribution. The reference group (``reference_group``, default the
        first label seen) keeps N(0, 1); the others get free means and SDs,
        reported in ``Calibration.groups``. # R: mirt::multipleGroup(...,
        invariance = c("free_means", "free_var", colnames(data)))
    reference_group : optional
        Label of the group that fixes the scale.
    fixed : DataFrame or Calibration, optional
        Item parameters (IRT parameterisation) to hold fixed: fixed-parameter
        calibration onto the scale those items came from. Items of ``fixed``
        present in the responses keep their parameters; the latent mean and SD
        of every group are estimated. # R: mirt(..., pars = values) with
        ``est = FALSE`` for the anchors and free latent mean/variance.
    id_column : str, optional
        The person-id column, which is not an item (an in-memory frame's
        becomes its index; a frame already indexed by it is fine).  The
        default "application_id" is ignored when absent; any other name must
        be a column of the data, and None means there is no id column.

    Returns
    -------
    Calibration
        Item parameters (IRT parameterisation, D = 1), standard errors,
        log-likelihood, convergence information, scoring and fit methods.

    Raises
    ------
    DataError
        Bad responses (see :func:`pvcal.irt.estimate.prepare`); an
        ``id_column`` that is not in the data (the message names the file and
        the column and lists the columns there are).
    ModelError
        Unknown model, a dichotomous model for a polytomous item, or an
        unidentified mixture (Rasch/PCM with free-slope items).

    Notes
    -----
    Rasch and PCM fix every slope at 1 and estimate the latent variance;
    internally this is a common slope on a N(0, 1) latent scale (the same
    likelihood), so the reported variance is that slope squared. 1PL reports
    the common slope with θ ~ N(0, 1).

    References
    ----------
    Bock, R. D., & Aitkin, M. (1981). Marginal maximum likelihood estimation of
    item parameters: Application of an EM algorithm. *Psychometrika*, 46, 443-459.
    Varadhan, R., & Roland, C. (2008). Simple and globally convergent methods for
    accelerating the convergence of any EM algorithm. *Scand. J. Statist.*, 35, 335-353.
    Chalmers, R. P. (2012). mirt: A multidimensional item response theory package
    for the R environment. *J. Stat. Softw.*, 48(6).

    Examples
    --------
    >>> import pandas as pd, pvcal
    >>> lsat7 = pd.read_csv("tests/reference/lsat7.csv", index_col=0)   # doctest: +SKIP
    >>> cal = pvcal.calibrate(lsat7, model="2PL")                        # doctest: +SKIP
    >>> cal.items[["a", "b"]].round(3)                                   # doctest: +SKIP
    >>> # R: coef(mirt(LSAT7, 1, itemtype = "2PL"), IRTpars = TRUE, simplify = TRUE)
    """
    wide = getattr(responses, "wide", responses)
    file = getattr(responses, "file", None)
    if isinstance(wide, (str, Path)):
        file = str(wide)
    elif isinstance(wide, pd.DataFrame):
        wide = _without_id_column(wide, id_column, file)
    columns = _item_columns(wide, id_column)
    n_quad = int(check_positive("n_quad", n_quad))
    check_positive("tol", tol)
    max_iter = int(check_positive("max_iter", max_iter))
    if not (isinstance(bounds, (tuple, list)) and len(bounds) == 2 and bounds[0] < bounds[1]):
        raise PvcalError(f"bounds must be (low, high) with low < high, got {bounds!r}")
    se_method = False if se is False else check_choice("se", se, ["crossprod", "observed"])
    if isinstance(newton, bool) or not isinstance(newton, (int, np.integer)) or newton < 0:
        raise PvcalError(
            f"newton must be a whole number of Gauss-Newton steps after EM (0 = none), "
            f"got {newton!r}"
        )
    fix_var = latent_variance != "free"
    if fix_var:
        var = check_positive("latent_variance", latent_variance)
    fixed_ids: list = []
    if fixed is not None:
        if isinstance(fixed, Calibration):
            fixed = fixed.parameters
        if not isinstance(fixed, pd.DataFrame) or "a" not in fixed:
            raise ModelError("fixed must be an item-parameter DataFrame (or a Calibration)")
        fixed_ids = [i for i in fixed.index if i in set(columns)]
        if not fixed_ids:
            raise DataError(
                f"none of the fixed items {list(fixed.index)[:5]} is among the response columns"
            )
        if "model" in fixed:
            model = _merge_models(model, columns, fixed.loc[fixed_ids, "model"])
    design = _design(
        wide,
        model,
        file,
        id_column,
        columns,
        fix_slope=fix_var,
        groups=groups,
        reference_group=reference_group,
        fixed_items=fixed_ids,
        n_quad=n_quad,
    )
    models = set(design.models)
    if models & _VARIANCE_FREE and models - SHARED_SLOPE:
        raise ModelError(
            f"models {sorted(models)}: Rasch/PCM items (unit slopes, free latent variance) "
            "cannot be mixed with free-slope items; use 1PL or fix latent_variance"
        )
    if models & _VARIANCE_FREE and design.latent_free.any():
        raise ModelError(
            "Rasch/PCM (free latent variance through unit slopes) cannot be combined with "
            "groups or fixed items; use model='1PL' (or 'GPCM') instead"
        )
    if fix_var and not models & _VARIANCE_FREE:
        raise ModelError("latent_variance applies to Rasch/PCM models only")
    pri = _check_priors(priors, design.models)
    nodes, _ = quadrature(n_quad, tuple(bounds))
    start = start_values(design)
    if fix_var:
        for blk, par in zip(design.blocks, start):
            if blk.shared:
                par[:, 0] = np.sqrt(var)
    if fixed_ids:
        start = _fixed_start(design, start, fixed)
    if progress is None:
        progress = design.n_persons * len(design.item_ids) > 2_000_000
    # One BLAS thread: the matrix products are thin (quadrature points x
    # categories), so the E-step is bound by element-wise work; extra BLAS
    # threads only add fork/join cost and, on a shared machine, thrash
    # (measured: 100,000 x 40 took 1.5 s on one thread, 20-30 s on two
    # threads with the other core busy).
    with threadpool_limits(limits=1, user_api="blas"), _progress_bar(progress, max_iter) as bar:
        em = fit_em(
            design,
            nodes=nodes,
            priors=pri,
            tol=tol,
            max_iter=max_iter,
            accelerate=accelerate,
            start=start,
            progress=bar,
        )
        # the float64 pass at EM's point, then the Newton step(s) (pvcal.irt.newton)
        pol = polish(
            design,
            em.params + [em.latent],
            nodes,
            pri,
            steps=int(newton),
            need_info=se_method == "crossprod",
        )
    state = pol.state
    em = replace(em, params=state[:-1], latent=state[-1])

    frame_of, latent_sd, vector_of, shared_var = _reporter(design)
    items = frame_of(em.params)
    items.index = pd.Index(design.item_ids, name="item")
    items.insert(0, "model", design.models)
    sd = latent_sd(em.params) * em.latent[0, 1]
    latent = {
        "mean": float(em.latent[0, 0]),
        "sd": float(sd),
        "var": float(sd**2),
        "se_mean": np.nan,
        "se_sd": np.nan,
        "se_var": np.nan,
    }
    fm = FreeMap(design)
    n_free = fm.size

    group_table = None
    if design.n_groups > 1 or fixed_ids:
        group_table = pd.DataFrame(
            {
                "mean": em.latent[:, 0],
                "sd": em.latent[:, 1],
                "se_mean": np.nan,
                "se_sd": np.nan,
                "n": design.group_n,
                "free": design.latent_free,
            },
            index=pd.Index(["all" if g is None else g for g in design.group_labels], name="group"),
        )

    if se_method:
        with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
            warnings.simplefilter("ignore", RuntimeWarning)
            info, fm = information(design, state, nodes, pri, method=se_method, at=pol.at)
            cov = reported_covariance(info, fm, state, vector_of)
        se_vals = np.sqrt(np.clip(np.diag(cov), 0, None))
        values = items.drop(columns="model").to_numpy(float)
        mask = np.isfinite(values)
        flat = np.full(values.shape, np.nan)
        k = int(mask.sum())
        flat[mask] = se_vals[:k]
        for j, col in enumerate(items.columns.drop("model")):
            items[f"se_{col}"] = flat[:, j]
        for blk in design.blocks:
            if blk.model_name in _VARIANCE_FREE or (blk.shared and not blk.free[0]):
                items.loc[items.index[blk.pos], "se_a"] = np.nan  # fixed slope
            if not blk.free.any():
                se_cols = [c for c in items.columns if c.startswith("se_")]
                items.loc[items.index[blk.pos], se_cols] = np.nan  # fixed item
        rest = se_vals[k:]
        if shared_var:
            latent["se_var"] = float(rest[0])
            rest = rest[1:]
        if group_table is not None:
            free = np.flatnonzero(design.latent_free)
            group_table.iloc[free, group_table.columns.get_loc("se_mean")] = rest[0::2]
            group_table.iloc[free, group_table.columns.get_loc("se_sd")] = rest[1::2]
            latent["se_mean"] = float(group_table["se_mean"].iloc[0])
            latent["se_sd"] = float(group_table["se_sd"].iloc[0])
    if fixed_ids:
        items["fixed"] = items.index.isin(fixed_ids)
    # descriptive columns
    items["n"] = design.item_n
    items["max_score"] = design.n_cat - 1
    items["mean_score"] = design.item_mean
    priors_used = {k: list(v) for k, v in pri.items()}
    return Calibration(
        items=items,
        latent=latent,
        loglik=pol.loglik,
        log_prior=log_prior_total(design, em.params, pri),
        n_persons=design.n_persons,
        n_params=n_free,
        n_iter=em.n_iter,
        converged=em.converged,
        settings={
            "model": model if isinstance(model, str) else "mixed",
            "n_quad": n_quad,
            "bounds": list(map(float, bounds)),
            "tol": float(tol),
            "max_iter": max_iter,
            "se": se_method or "none",
            "priors": priors_used,
            "latent_variance": "free" if not fix_var else float(var),
            "groups": None if groups is None else [str(g) for g in design.group_labels],
            "fixed_items": [str(i) for i in fixed_ids],
            "accelerate": bool(accelerate),
            "newton": {"steps": int(newton), "taken": list(pol.steps), "refused": pol.refused},
            "estimator": "MML-EM (Bock-Aitkin), SQUAREM" if accelerate else "MML-EM (Bock-Aitkin)",
            "parameterisation": "IRT, logistic, D = 1",
        },
        groups=group_table,
        history=tuple(em.history),
        seconds=em.seconds,
        max_change=em.max_change,
    )
