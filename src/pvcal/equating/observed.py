"""Observed-score equating: random-groups, single-group and NEAT designs.

Conventions follow Kolen & Brennan (2014), *Test Equating, Scaling, and
Linking* (3rd ed.):

* scores are integers on a unit grid; the continuised distribution spreads each
  score's probability uniformly over ``[x - 0.5, x + 0.5)``;
* percentile ranks and their inverse are K&B eq. 2.14 and 2.18 (the "upper"
  inverse: the smallest score whose cumulative proportion exceeds ``P*``);
* moments are population moments (divide by ``N``, not ``N - 1``);
* in the NEAT design population 1 took the new form X (with anchor V) and
  population 2 the old form Y; the synthetic population weights population 1
  by ``w`` and population 2 by ``1 - w``.

Methods
-------
random groups / single group: ``"mean"``, ``"linear"``, ``"equipercentile"``, ``"kernel"``
NEAT (``anchor=(vx, vy)``): ``"tucker"``, ``"levine"`` (observed score),
``"levine-true"``, ``"chained-linear"``, ``"frequency-estimation"``,
``"chained-equipercentile"``.

Standard errors
---------------
Bootstrap for every method (seeded). Analytic: random-groups mean, linear
(normal theory) and unsmoothed equipercentile (K&B eq. 7.12); NEAT Tucker,
Levine, Levine true-score and chained linear by the delta method (K&B section
7.3; Braun & Holland, 1982) over the ten group moments, with the moments'
covariance estimated from per-person influence values (no normality assumed);
NEAT frequency estimation and chained equipercentile by the delta method over
the two bivariate (total × anchor) tables: multinomial cell proportions when
unsmoothed (Jarjoura & Kolen, 1985; Holland, King & Thayer, 1989), the
log-linear parameters with a multinomial sandwich covariance when presmoothed
(von Davier, Holland & Thayer, 2004).

References
----------
Kolen, M. J., & Brennan, R. L. (2014). *Test equating, scaling, and linking:
Methods and practices* (3rd ed.). Springer. Chapters 2-5 and 7.
Braun, H. I., & Holland, P. W. (1982). Observed-score test equating: A
mathematical analysis of some ETS equating procedures. In P. W. Holland &
D. B. Rubin (Eds.), *Test equating* (pp. 9-49). Academic Press.
Holland, P. W., & Thayer, D. T. (2000). Univariate and bivariate loglinear
models for discrete test score distributions. *Journal of Educational and
Behavioral Statistics*, 25, 133-183.
Jarjoura, D., & Kolen, M. J. (1985). Standard errors of equipercentile
equating for the common item nonequivalent populations design. *Journal of
Educational Statistics*, 10, 143-160.
Holland, P. W., King, B. F., & Thayer, D. T. (1989). The standard error of
equating for the kernel method of equating score distributions (ETS Research
Report 89-6).
von Davier, A. A., Holland, P. W., & Thayer, D. T. (2004). *The kernel method
of test equating*. Springer.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .._validation import DataError, PvcalError, check_choice, check_positive, check_rng
from ..serialize import (
    check_record,
    dumps,
    float_or_nan,
    frame_from_json,
    frame_to_json,
    json_equal,
    loads_record,
    to_jsonable,
)
from ._plots import Summary, plot_equating_function

__all__ = [
    "METHODS",
    "Equating",
    "equate",
    "loglinear_smooth",
    "percentile_rank",
    "percentile_inverse",
    "equipercentile_function",
    "moments",
    "kernel_cdf",
    "kernel_pdf",
    "kernel_bandwidth",
    "kernel_function",
]

RG_METHODS = ("mean", "linear", "equipercentile", "kernel")
NEAT_METHODS = (
    "tucker",
    "levine",
    "levine-true",
    "chained-linear",
    "frequency-estimation",
    "chained-equipercentile",
)
METHODS = RG_METHODS + NEAT_METHODS
LINEAR_METHODS = frozenset({"mean", "linear", "tucker", "levine", "levine-true", "chained-linear"})
NEAT_LINEAR = frozenset({"tucker", "levine", "levine-true", "chained-linear"})
_ALIASES = {
    "levine-observed": "levine",
    "levine observed": "levine",
    "levine_true": "levine-true",
    "levine true": "levine-true",
    "chained linear": "chained-linear",
    "frequency estimation": "frequency-estimation",
    "fe": "frequency-estimation",
    "chained equipercentile": "chained-equipercentile",
    "ce": "chained-equipercentile",
    "equip": "equipercentile",
    "kernel-gaussian": "kernel",
    "gaussian-kernel": "kernel",
}


# ---------------------------------------------------------------------------
# Score distributions: input handling
# ---------------------------------------------------------------------------


def _scores_arg(spec, observed_max: int, observed_min: int, name: str) -> np.ndarray:
    """Score grid from ``None`` (0..max observed), an int max, a (lo, hi) pair or an array."""
    if spec is None:
        lo, hi = min(0, observed_min), observed_max
    elif np.isscalar(spec):
        lo, hi = min(0, observed_min), int(spec)
        if hi != spec:
            raise PvcalError(f"{name} must be an integer maximum score, got {spec!r}")
    else:
        arr = np.asarray(spec)
        if arr.size == 2 and arr.ndim == 1:
            lo, hi = int(arr[0]), int(arr[1])
        else:
            arr = np.asarray(spec, dtype=float)
            if arr.ndim != 1 or arr.size < 2 or np.any(np.diff(arr) != 1) or np.any(arr % 1):
                raise PvcalError(
                    f"{name} must be consecutive integer scores (lo..hi); got {arr[:6].tolist()}"
                )
            lo, hi = int(arr[0]), int(arr[-1])
    if hi <= lo:
        raise PvcalError(f"{name}: the score range {lo}..{hi} needs at least two scores")
    if observed_max > hi or observed_min < lo:
        raise DataError(
            f"{name}: observed scores span {observed_min}..{observed_max}, outside the "
            f"declared score range {lo}..{hi}"
        )
    return np.arange(lo, hi + 1)


def _raw_scores(values, name: str) -> np.ndarray:
    """Raw integer scores of one group: finite, whole numbers."""
    arr = (
        np.asarray(values, dtype=float).ravel()
        if not isinstance(values, pd.Series)
        else (values.to_numpy(dtype=float, na_value=np.nan))
    )
    if arr.size == 0:
        raise DataError(f"{name} has no scores")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise DataError(
            f"{name} has {bad.size} missing or non-finite score(s), first at position "
            f"{bad[0]}; drop or score them before equating"
        )
    frac = np.flatnonzero(arr != np.round(arr))
    if frac.size:
        raise DataError(
            f"{name} has a non-integer score {float(arr[frac[0]])} at position {frac[0]}; "
            "expected whole-number summed scores"
        )
    return arr.astype(int)


def _is_freq_table(obj) -> bool:
    """A pandas Series is a frequency table (counts indexed by score); arrays are raw."""
    return isinstance(obj, pd.Series)


def _freq_table(series: pd.Series, name: str) -> tuple[np.ndarray, np.ndarray]:
    idx = np.asarray(series.index, dtype=float)
    counts = series.to_numpy(dtype=float, na_value=np.nan)
    if np.any(idx != np.round(idx)) or not np.all(np.isfinite(idx)):
        raise DataError(f"{name}: frequency table index must be integer scores")
    bad = np.flatnonzero(~np.isfinite(counts) | (counts < 0))
    if bad.size:
        raise DataError(
            f"{name}: frequency table has a negative or missing count {float(counts[bad[0]])} at "
            f"score {int(idx[bad[0]])}; counts must be >= 0"
        )
    if counts.sum() <= 0:
        raise DataError(f"{name}: frequency table has no positive count")
    return idx.astype(int), counts


def _distribution(obj, spec, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(scores grid, counts on the grid, raw scores or None) of one group."""
    if _is_freq_table(obj):
        idx, counts = _freq_table(obj, name)
        pos = idx[counts > 0]
        scores = _scores_arg(spec, int(idx.max()), int(pos.min()), name)
        out = np.zeros(scores.size)
        np.add.at(out, idx - scores[0], counts)
        return scores, out, None
    raw = _raw_scores(obj, name)
    scores = _scores_arg(spec, int(raw.max()), int(raw.min()), name)
    return scores, np.bincount(raw - scores[0], minlength=scores.size).astype(float), raw


# ---------------------------------------------------------------------------
# Percentile ranks and the equipercentile function (K&B chapter 2)
# ---------------------------------------------------------------------------


def percentile_rank(scores: np.ndarray, probs: np.ndarray, x) -> np.ndarray:
    """K&B eq. 2.14 percentile rank (0-100) of (possibly non-integer) ``x``.

    Parameters
    ----------
    scores : ndarray
        Consecutive integer scores ``lo..hi``.
    probs : ndarray
        Relative frequencies at ``scores`` (summing to 1).
    x : array_like
        Values at which to evaluate.
    """
    x = np.asarray(x, dtype=float)
    lo = scores[0]
    F = np.concatenate([[0.0], np.cumsum(probs)])  # F[k] = cum prop through score lo+k-1
    F[-1] = 1.0
    u = x - lo
    k = np.floor(u + 0.5)  # x* - lo
    kk = np.clip(k, 0, scores.size - 1).astype(int)
    p = F[kk] + (u - (kk - 0.5)) * (F[kk + 1] - F[kk])
    p = np.where(u < -0.5, 0.0, np.where(u >= scores.size - 0.5, 1.0, p))
    return 100.0 * p


def percentile_inverse(scores: np.ndarray, probs: np.ndarray, p) -> np.ndarray:
    """K&B eq. 2.18 (upper) inverse percentile rank: the score with rank ``p`` (0-100)."""
    p = np.asarray(p, dtype=float) / 100.0
    lo = scores[0]
    G = np.cumsum(probs)
    G[-1] = 1.0
    # rounding: a rank within 1e-12 of 100 is 100 (-> K + 0.5, K&B's convention)
    G = np.where(G > 1.0 - 1e-12, 1.0, G)
    p = np.where(p > 1.0 - 1e-12, 1.0, p)
    k = np.searchsorted(G, p, side="right")  # smallest index with G > p
    kk = np.clip(k, 0, scores.size - 1)
    G_prev = np.where(kk > 0, G[np.maximum(kk - 1, 0)], 0.0)
    width = G[kk] - G_prev
    with np.errstate(divide="ignore", invalid="ignore"):
        y = (p - G_prev) / width + kk - 0.5 + lo
    return np.where(k >= scores.size, scores[-1] + 0.5, y)


def equipercentile_function(x_scores, px, y_scores, py, x=None) -> np.ndarray:
    """``e_Y(x) = P_Y^{-1}[P_X(x)]`` (K&B eq. 2.17), at ``x`` (default the X scores)."""
    x = x_scores if x is None else x
    return percentile_inverse(y_scores, py, percentile_rank(x_scores, px, x))


def moments(scores: np.ndarray, probs: np.ndarray) -> dict:
    """Population mean, sd, skewness and kurtosis of a discrete distribution."""
    mu = float(scores @ probs)
    var = float(((scores - mu) ** 2) @ probs)
    sd = np.sqrt(var)
    skew = float(((scores - mu) ** 3) @ probs) / sd**3 if sd > 0 else np.nan
    kurt = float(((scores - mu) ** 4) @ probs) / var**2 if sd > 0 else np.nan
    return {"mean": mu, "sd": float(sd), "skew": skew, "kurt": kurt}


# ---------------------------------------------------------------------------
# Log-linear presmoothing (statsmodels GLM, Poisson)
# ---------------------------------------------------------------------------


def _poly_basis(s: np.ndarray, degree: int) -> np.ndarray:
    """Orthonormal polynomial basis of degree 1..degree (same span as s, s², ...)."""
    u = (s - s.mean()) / (s.std() if s.std() > 0 else 1.0)
    V = np.vander(u, degree + 1, increasing=True)
    q, _ = np.linalg.qr(V)
    return q[:, 1:] * np.sqrt(len(s))


def _glm_poisson(counts: np.ndarray, X: np.ndarray):
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sm.GLM(counts, sm.add_constant(X, has_constant="add"), family=sm.families.Poisson())
        res = model.fit(tol=1e-12, maxiter=200)
    return res


def _smooth_univariate(
    counts: np.ndarray, degree, max_degree: int | None = None, return_fit: bool = False
):
    """Fitted frequencies and the degree used (AIC choice when ``degree == "aic"``).

    With ``return_fit`` (a given degree only) also the statsmodels GLM result,
    whose ``model.exog`` (constant first) the delta-method SEs differentiate.
    """
    s = np.arange(counts.size, dtype=float)
    top = counts.size - 1 if max_degree is None else min(max_degree, counts.size - 1)
    if degree == "aic":
        best = None
        for c in range(1, min(top, 10) + 1):
            res = _glm_poisson(counts, _poly_basis(s, c))
            if best is None or res.aic < best[0] - 1e-9:
                best = (res.aic, c, res.fittedvalues)
        return np.asarray(best[2]), best[1]
    c = int(degree)
    if c < 1 or c > counts.size - 1:
        raise PvcalError(
            f"log-linear degree must lie in 1..{counts.size - 1} for {counts.size} score "
            f"points, got {degree!r}"
        )
    res = _glm_poisson(counts, _poly_basis(s, c))
    if return_fit:
        return np.asarray(res.fittedvalues), c, res
    return np.asarray(res.fittedvalues), c


def _bivariate_design(shape, feasible, cx: int, cv: int, n_cross: int = 1) -> np.ndarray:
    """Log-linear design (no constant) over the feasible cells of an (X, V) table."""
    xs, vs = np.meshgrid(
        np.arange(shape[0], dtype=float), np.arange(shape[1], dtype=float), indexing="ij"
    )
    xf, vf = xs[feasible], vs[feasible]
    ux = (xf - xf.mean()) / xf.std()
    uv = (vf - vf.mean()) / vf.std()
    cols = [ux**i for i in range(1, cx + 1)] + [uv**j for j in range(1, cv + 1)]
    cols += [ux**i * uv**j for i in range(1, n_cross + 1) for j in range(1, n_cross + 1)]
    return np.column_stack(cols)


def _smooth_bivariate(
    counts: np.ndarray, feasible: np.ndarray, degree, n_cross: int = 1, return_fit: bool = False
):
    """Bivariate log-linear smoothing of an (X, V) table; structural zeros kept at 0.

    With ``return_fit`` also the statsmodels GLM result and its design matrix
    (constant first), for the delta-method standard errors.
    """
    nx, nv = counts.shape
    cf = counts[feasible]

    def design(c):
        return _bivariate_design(counts.shape, feasible, min(c, nx - 1), min(c, nv - 1), n_cross)

    if degree == "aic":
        best = None
        for c in range(1, 7):
            res = _glm_poisson(cf, design(c))
            if best is None or res.aic < best[0] - 1e-9:
                best = (res.aic, c, res)
        res, used = best[2], best[1]
    else:
        c = int(degree)
        if c < 1:
            raise PvcalError(f"log-linear degree must be >= 1, got {degree!r}")
        res, used = _glm_poisson(cf, design(c)), c
    out = np.zeros_like(counts, dtype=float)
    out[feasible] = res.fittedvalues
    if return_fit:
        return out, used, res
    return out, used


def loglinear_smooth(freq, degree="aic", max_degree: int | None = None) -> pd.Series:
    """Log-linear presmoothing of a score distribution (Holland & Thayer, 2000).

    Fits ``log m(s) = β0 + Σ_{i≤C} β_i s^i`` by Poisson maximum likelihood
    (statsmodels GLM); the fitted distribution keeps the first ``C`` moments of
    the observed one.

    Parameters
    ----------
    freq : Series
        Counts indexed by consecutive integer scores.
    degree : int or "aic"
        Polynomial degree ``C``, or the one (1..10) with the smallest AIC.
    max_degree : int, optional
        Upper bound of the AIC search.

    Returns
    -------
    Series
        Fitted counts, with ``attrs["degree"]`` the degree used.

    # R: equate::presmoothing(x, smoothmethod = "loglinear", degrees = list(C))
    """
    scores, counts = _freq_table(freq, "freq")
    grid = np.arange(scores.min(), scores.max() + 1)
    full = np.zeros(grid.size)
    np.add.at(full, scores - grid[0], counts)
    fitted, used = _smooth_univariate(full, degree, max_degree)
    out = pd.Series(fitted, index=pd.Index(grid, name="score"), name="smoothed")
    out.attrs["degree"] = used
    return out


# ---------------------------------------------------------------------------
# Gaussian kernel equating (von Davier, Holland & Thayer, 2004)
# ---------------------------------------------------------------------------


def _kernel_parts(scores, probs, h, t):
    mu = float(scores @ probs)
    var = float(((scores - mu) ** 2) @ probs)
    a = np.sqrt(var / (var + h**2))
    R = (np.asarray(t, float)[..., None] - a * scores - (1 - a) * mu) / (a * h)
    return R, a


def kernel_cdf(scores: np.ndarray, probs: np.ndarray, h: float, t) -> np.ndarray:
    """Gaussian-kernel continuised CDF ``F_h(t) = Σ_j r_j Φ(R_j(t))``; keeps mean and variance."""
    from scipy.stats import norm

    R, _ = _kernel_parts(scores, probs, h, t)
    return norm.cdf(R) @ probs


def kernel_pdf(scores: np.ndarray, probs: np.ndarray, h: float, t) -> np.ndarray:
    """Density of the Gaussian-kernel continuisation."""
    from scipy.stats import norm

    R, a = _kernel_parts(scores, probs, h, t)
    return (norm.pdf(R) @ probs) / (a * h)


def kernel_bandwidth(scores: np.ndarray, probs: np.ndarray) -> float:
    """Bandwidth minimising PEN1 = Σ_j (r_j - f_h(x_j))² (von Davier et al., 2004, §4.2).

    A log-spaced grid on [0.05, 20] followed by a bounded scalar search.
    """
    from scipy.optimize import minimize_scalar

    def pen1(h):
        return float(np.sum((probs - kernel_pdf(scores, probs, h, scores)) ** 2))

    grid = np.geomspace(0.05, 20.0, 60)
    vals = np.array([pen1(h) for h in grid])
    i = int(np.argmin(vals))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    res = minimize_scalar(pen1, bounds=(lo, hi), method="bounded", options={"xatol": 1e-6})
    return float(res.x if res.fun <= vals[i] else grid[i])


def kernel_function(x_scores, px, y_scores, py, hx: float, hy: float, x=None) -> np.ndarray:
    """Kernel equating function ``e_Y(x) = G_hY^{-1}(F_hX(x))`` (bisection for the inverse)."""
    x = x_scores if x is None else np.asarray(x, float)
    p = kernel_cdf(x_scores, px, hx, x)
    sd = np.sqrt(float(((y_scores - y_scores @ py) ** 2) @ py)) + hy
    lo = np.full(p.shape, y_scores[0] - 20 * sd)
    hi = np.full(p.shape, y_scores[-1] + 20 * sd)
    # safeguarded Newton: start from the linear function, keep a bracket, bisect when needed
    mx = float(x_scores @ px)
    sx = np.sqrt(float(((x_scores - mx) ** 2) @ px))
    my = float(y_scores @ py)
    t = my + (sd - hy) / sx * (x - mx) if sx > 0 else np.full(p.shape, my)
    t = np.clip(t, lo, hi)
    for _ in range(100):
        F = kernel_cdf(y_scores, py, hy, t) - p
        if np.max(np.abs(F)) < 1e-14:
            break
        lo = np.where(F < 0, t, lo)
        hi = np.where(F < 0, hi, t)
        f = kernel_pdf(y_scores, py, hy, t)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = t - F / f
        bad = ~np.isfinite(step) | (step < lo) | (step > hi)
        new = np.where(bad, 0.5 * (lo + hi), step)
        done = np.max(np.abs(new - t)) < 1e-11
        t = new
        if done or np.max(hi - lo) < 1e-11:
            break
    return t


# ---------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Equating:
    """An equating function from form X (new) to form Y (old/base) scores.

    Attributes
    ----------
    table : DataFrame
        Indexed by X score (``x``): ``y_equiv`` and, where computed, ``se``.
    method, design : str
    slope, intercept : float or None
        For linear methods, ``y = slope · x + intercept``.
    w : float or None
        Synthetic weight of the new-form population (NEAT methods).
    settings : dict
        Every setting that changes the numbers (anchor type, presmoothing
        degrees, SE method, replications, seed, score ranges, sample sizes).
    moments : DataFrame
        Mean, sd, skewness, kurtosis of X, Y and the equated X scores (in the
        groups that took them; synthetic population for NEAT where used).
    boot : ndarray or None
        Bootstrap replications of ``y_equiv`` (n_boot, n_scores), if run.
    """

    table: pd.DataFrame
    method: str
    design: str
    slope: float | None = None
    intercept: float | None = None
    w: float | None = None
    settings: dict = field(default_factory=dict)
    moments: pd.DataFrame | None = None
    boot: np.ndarray | None = field(default=None, repr=False)

    @property
    def y_equiv(self) -> pd.Series:
        return self.table["y_equiv"]

    @property
    def se(self) -> pd.Series | None:
        return self.table["se"] if "se" in self.table.columns else None

    def __call__(self, x) -> np.ndarray:
        """Form-Y equivalents of arbitrary X scores (linear interpolation in the table)."""
        x = np.asarray(x, dtype=float)
        if self.slope is not None:
            return self.slope * x + self.intercept
        return np.interp(x, self.table.index.to_numpy(float), self.table["y_equiv"].to_numpy())

    @cached_property
    def _info(self) -> dict:
        info = {"method": self.method, "design": self.design}
        if self.slope is not None:
            info["slope"] = f"{self.slope:.6f}"
            info["intercept"] = f"{self.intercept:.6f}"
        if self.w is not None:
            info["w (new-form group)"] = self.w
        info.update({k: v for k, v in self.settings.items() if k not in info})
        return info

    def summary(self) -> Summary:
        tables = {"equating table": self.table.round(4)}
        if self.moments is not None:
            tables["moments"] = self.moments.round(4)
        return Summary(f"Equating X → Y ({self.method})", self._info, tables)

    def plot(self, ax=None, level: float = 0.95):
        """Equated minus raw score against raw score, with an SE band where computed."""
        return plot_equating_function(self.table, ax=ax, title=self.method, level=level)

    def to_dict(self) -> dict:
        """JSON-ready record.

        ``table`` is column-wise (``x`` = the X scores, then one list per
        column) with its dtypes in ``table_meta``; ``moments`` is a frame in
        :mod:`pvcal.serialize` split form; ``boot`` the replications (or null).
        """
        split = frame_to_json(self.table)
        out: dict[str, Any] = {
            "pvcal_type": "Equating",
            "version": 2,
            "method": self.method,
            "design": self.design,
            "slope": self.slope,
            "intercept": self.intercept,
            "w": self.w,
            "settings": self.settings,
            "table": {
                "x": split["index"],
                **{c: [row[j] for row in split["data"]] for j, c in enumerate(split["columns"])},
            },
            "table_meta": {
                k: split[k] for k in ("index_names", "index_dtype", "columns", "dtypes")
            },
            "moments": self.moments,
            "boot": self.boot,
        }
        return to_jsonable(out)

    def to_json(self) -> str:
        """Canonical JSON (:func:`pvcal.serialize.dumps`) of :meth:`to_dict`."""
        return dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict) -> Equating:
        """Rebuild an equating from :meth:`to_dict`.

        Raises
        ------
        SchemaError
            Not an Equating record (version 2).
        """
        check_record(d, "Equating", ("method", "design", "table", "table_meta", "settings"))
        meta = d["table_meta"]
        cols = [d["table"][c] for c in meta["columns"]]
        table = frame_from_json(
            {**meta, "index": d["table"]["x"], "data": [list(r) for r in zip(*cols, strict=True)]}
            if cols
            else {**meta, "index": d["table"]["x"], "data": [[] for _ in d["table"]["x"]]}
        )

        def opt(v):
            return None if v is None else float(v)

        return cls(
            table=table,
            method=d["method"],
            design=d["design"],
            slope=opt(d.get("slope")),
            intercept=opt(d.get("intercept")),
            w=opt(d.get("w")),
            settings=d["settings"],
            moments=None if d.get("moments") is None else frame_from_json(d["moments"]),
            boot=None
            if d.get("boot") is None
            else np.array([[float_or_nan(v) for v in row] for row in d["boot"]], dtype=float),
        )

    @classmethod
    def from_json(cls, text: str) -> Equating:
        """Rebuild an equating from :meth:`to_json` text."""
        return cls.from_dict(loads_record(text, "Equating"))

    def __eq__(self, other: object) -> bool:
        return json_equal(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        extra = (
            f", slope={self.slope:.4f}, intercept={self.intercept:.4f}"
            if self.slope is not None
            else ""
        )
        return f"Equating(method={self.method!r}, design={self.design!r}{extra})"


# ---------------------------------------------------------------------------
# Random-groups and single-group methods
# ---------------------------------------------------------------------------


def _linear_from_moments(method, mx, sx, my, sy):
    if method == "mean":
        return 1.0, my - mx
    if sx <= 0:
        raise DataError("linear equating needs X scores with a positive standard deviation")
    slope = sy / sx
    return slope, my - slope * mx


def _rg_fit(method, xs, cx, ys, cy, smooth_x, smooth_y, bandwidth=None):
    """Equated scores (and slope, intercept) from two count vectors."""
    fx = smooth_x(cx) if smooth_x else cx
    fy = smooth_y(cy) if smooth_y else cy
    px, py = fx / fx.sum(), fy / fy.sum()
    if method == "equipercentile":
        return equipercentile_function(xs, px, ys, py), None, None, px, py
    if method == "kernel":
        hx, hy = bandwidth
        return kernel_function(xs, px, ys, py, hx, hy), None, None, px, py
    mx, my = moments(xs, px), moments(ys, py)
    slope, icpt = _linear_from_moments(method, mx["mean"], mx["sd"], my["mean"], my["sd"])
    return slope * xs + icpt, slope, icpt, px, py


def _delta_var_multinomial(e_of, tables, ns) -> np.ndarray:
    """Delta-method variance of ``e(p_1, p_2, ...)`` over independent multinomials.

    ``tables`` are the cell proportions ``p_g`` (any shape) of independent
    samples of sizes ``ns``, ``Cov(p̂_g) = (diag p_g − p_g p_gᵀ)/N_g``, so
    ``Var e ≈ Σ_g [Σ_c p_gc J_gc² − (Σ_c p_gc J_gc)²] / N_g`` with
    ``J_gc = ∂e/∂p_gc`` by central differences (step ``min(1e-6, p/2)``), one
    perturbed cell at a time, all outputs at once. ``e_of(list_of_tables)``
    must accept unnormalised tables (the form is invariant to that). Cells with
    zero proportion add nothing and are skipped.
    """
    tables = [np.asarray(t, dtype=float) for t in tables]
    var = 0.0
    for g, n in enumerate(ns):
        p = tables[g]
        cells = np.flatnonzero(p.ravel() > 0)
        pc = p.ravel()[cells]
        jac = None
        for i, c in enumerate(cells):
            h = min(1e-6, 0.5 * pc[i])
            pert = list(tables)
            up, dn = p.copy(), p.copy()
            up.flat[c] += h
            dn.flat[c] -= h
            pert[g] = up
            e_up = e_of(pert)
            pert[g] = dn
            e_dn = e_of(pert)
            if jac is None:
                jac = np.empty((cells.size, np.size(e_up)))
            jac[i] = (e_up - e_dn) / (2 * h)
        if jac is not None:
            var = var + (pc @ jac**2 - (pc @ jac) ** 2) / n
    return np.asarray(var)


def _delta_var_params(e_of, params, covs) -> np.ndarray:
    """Delta-method variance ``Σ_g J_g Cov(θ̂_g) J_gᵀ`` of ``e(θ_1, θ_2, ...)``.

    The parameter vectors ``θ_g`` are independent with covariances ``covs``;
    ``J_g = ∂e/∂θ_g`` by central differences (step ``1e-6·max(1, |θ|)``).
    ``e_of(list_of_params)`` returns ``e`` at all points at once.
    """
    params = [np.asarray(b, dtype=float) for b in params]
    var = 0.0
    for g, (theta, cov) in enumerate(zip(params, covs, strict=True)):
        jac = None
        for k in range(theta.size):
            h = 1e-6 * max(1.0, abs(theta[k]))
            pert = list(params)
            up, dn = theta.copy(), theta.copy()
            up[k] += h
            dn[k] -= h
            pert[g] = up
            e_up = e_of(pert)
            pert[g] = dn
            e_dn = e_of(pert)
            if jac is None:
                jac = np.empty((theta.size, np.size(e_up)))
            jac[k] = (e_up - e_dn) / (2 * h)
        var = var + np.einsum("kx,kl,lx->x", jac, np.asarray(cov), jac)
    return np.asarray(var)


def _loglinear_cov(exog, counts, fitted, res=None, robust=True) -> np.ndarray:
    """Covariance of the log-linear parameters β̂ (constant first) of one sample.

    ``exog`` is the design ``B`` over the modelled cells, ``counts`` the observed
    counts ``n`` and ``fitted`` the fitted ``m̂ = exp(Bβ̂)`` on them. By default
    the multinomial sandwich ``A⁻¹ M A⁻¹`` (``A = Bᵀ diag(m̂) B``,
    ``M = Bᵀ (diag n − n nᵀ/N) B``), valid when the model misfits; with
    ``robust=False`` the model-based Poisson GLM covariance of ``res``.
    """
    if not robust:
        return np.asarray(res.cov_params())
    exog = np.asarray(exog, dtype=float)
    c = np.asarray(counts, dtype=float)
    a_inv = np.linalg.inv(exog.T @ (np.asarray(fitted, dtype=float)[:, None] * exog))
    u = exog.T @ c
    mid = exog.T @ (c[:, None] * exog) - np.outer(u, u) / c.sum()
    return a_inv @ mid @ a_inv


def _se_equipercentile_rg(xs, px, ys, py, nx, ny):
    """K&B (2014) eq. 7.12: random-groups SE of unsmoothed equipercentile equating."""
    P = percentile_rank(xs, px, xs) / 100.0
    G = np.cumsum(py)
    G[-1] = 1.0
    k = np.clip(np.searchsorted(G, P, side="right"), 0, ys.size - 1)
    Gu = G[k]
    Gl = np.where(k > 0, G[np.maximum(k - 1, 0)], 0.0)
    g = Gu - Gl
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (P * (1 - P) * (nx + ny) / (nx * ny) - (Gu - P) * (P - Gl) / (ny * g)) / g**2
    se = np.sqrt(np.clip(var, 0.0, None))
    # the interpolation is undefined at P = 0 or 1 (no sampling variance there)
    return np.where((P <= 0) | (P >= 1), np.nan, se)


def _se_rg_delta(method, xs, cx, ys, cy, degrees=None, bandwidth=None) -> np.ndarray:
    """Delta-method SEs of random-groups equipercentile or kernel equating.

    ``e(x)`` is a function of the two independent groups' score distributions.
    Without presmoothing (kernel equating) it is differentiated with respect to
    the cell proportions of the two multinomials
    (:func:`_delta_var_multinomial`); with log-linear presmoothing
    (``degrees = (C_X, C_Y)``, as used for the estimate) with respect to each
    group's log-linear parameters ``β_g``, whose covariance is the multinomial
    sandwich of :func:`_loglinear_cov` (:func:`_delta_var_params`), as for the
    presmoothed NEAT methods. Kernel bandwidths are held fixed (as in the
    bootstrap). For equipercentile equating the SE is NaN where the percentile
    rank is 0 or 100 (as in K&B eq. 7.12).

    References
    ----------
    Holland, P. W., King, B. F., & Thayer, D. T. (1989). The standard error of
    equating for the kernel method of equating score distributions (ETS RR-89-6).
    von Davier, A. A., Holland, P. W., & Thayer, D. T. (2004). *The kernel
    method of test equating*. Springer. Chapters 3 (log-linear presmoothing),
    5 (the standard error of equating, SEE = ‖J_e J_DF C‖).
    Liou, M., & Cheng, P. E. (1995). Asymptotic standard error of equipercentile
    equating. *Journal of Educational and Behavioral Statistics*, 20, 259-286.
    """
    cx, cy = np.asarray(cx, dtype=float), np.asarray(cy, dtype=float)

    def e_of_freqs(fx, fy):
        px, py = fx / fx.sum(), fy / fy.sum()
        if method == "kernel":
            return kernel_function(xs, px, ys, py, *bandwidth)
        return equipercentile_function(xs, px, ys, py)

    if degrees is None:
        px = cx / cx.sum()
        var = _delta_var_multinomial(
            lambda t: e_of_freqs(*t), [px, cy / cy.sum()], (cx.sum(), cy.sum())
        )
    else:
        exogs, betas, covs = [], [], []
        for c, d in ((cx, degrees[0]), (cy, degrees[1])):
            fitted, _, res = _smooth_univariate(c, d, return_fit=True)
            exog = np.asarray(res.model.exog)
            exogs.append(exog)
            betas.append(np.asarray(res.params))
            covs.append(_loglinear_cov(exog, c, fitted))
        px = np.exp(exogs[0] @ betas[0])
        px = px / px.sum()
        var = _delta_var_params(
            lambda b: e_of_freqs(np.exp(exogs[0] @ b[0]), np.exp(exogs[1] @ b[1])), betas, covs
        )
    se = np.sqrt(np.clip(var, 0.0, None))
    if method == "kernel":
        return se
    rank = percentile_rank(xs, px, xs) / 100.0
    return np.where((rank <= 0) | (rank >= 1), np.nan, se)


def _se_linear_rg(method, xs, mx, my, nx, ny):
    """Random-groups SEs: mean equating (exact), linear (normal theory, K&B eq. 7.x)."""
    if method == "mean":
        return np.full(xs.size, np.sqrt(mx["sd"] ** 2 / nx + my["sd"] ** 2 / ny))
    z = (xs - mx["mean"]) / mx["sd"]
    return np.sqrt(my["sd"] ** 2 * (1 / nx + 1 / ny) * (1 + z**2 / 2))


# ---------------------------------------------------------------------------
# NEAT methods (K&B chapters 4 and 5)
# ---------------------------------------------------------------------------


#: Order of the moment vector used by the NEAT linear methods (population 1 took
#: X with anchor V1, population 2 took Y with anchor V2; population moments).
NEAT_MOMENTS = (
    "mean_x",
    "mean_v1",
    "var_x",
    "var_v1",
    "cov_x_v1",
    "mean_y",
    "mean_v2",
    "var_y",
    "var_v2",
    "cov_y_v2",
)


def _group_moments(t, v) -> np.ndarray:
    """(mean t, mean v, var t, var v, cov t v) of one group, population moments."""
    t = np.asarray(t, dtype=float)
    v = np.asarray(v, dtype=float)
    mt, mv = t.mean(), v.mean()
    dt, dv = t - mt, v - mv
    return np.array([mt, mv, np.mean(dt * dt), np.mean(dv * dv), np.mean(dt * dv)])


def _group_influence(t, v) -> np.ndarray:
    """Per-person influence values (n, 5) of :func:`_group_moments`.

    Mean: ``t_i - μ``; variance: ``(t_i - μ)² - σ²``; covariance:
    ``(t_i - μ_t)(v_i - μ_v) - σ_tv``. The asymptotic covariance of the sample
    moments is ``IFᵀ IF / n²``.
    """
    t = np.asarray(t, dtype=float)
    v = np.asarray(v, dtype=float)
    m = _group_moments(t, v)
    dt, dv = t - m[0], v - m[1]
    return np.column_stack([dt, dv, dt * dt - m[2], dv * dv - m[3], dt * dv - m[4]])


def _neat_moments(x, vx, y, vy) -> np.ndarray:
    """The 10 moments of :data:`NEAT_MOMENTS` from raw scores of both groups."""
    return np.concatenate([_group_moments(x, vx), _group_moments(y, vy)])


def _linear_neat_constants(m, method, w, external):
    """Slope, intercept (and extras) of a NEAT linear method from the moment vector.

    A pure function of ``m`` (ordered as :data:`NEAT_MOMENTS`), so that the
    estimate and the delta-method standard error share one code path
    (K&B 2014, chapter 4: Tucker, Levine observed score with internal or
    external anchor, Levine true score, chained linear).
    """
    m1x, m1v, s2_1x, s2_1v, c1, m2y, m2v, s2_2y, s2_2v, c2 = (float(a) for a in m)
    if min(s2_1v, s2_2v) <= 0:
        raise DataError("NEAT linear equating needs anchor scores with positive variance")
    if method == "chained-linear":
        if s2_1x <= 0:
            raise DataError("NEAT linear equating needs X scores with positive variance")
        slope = np.sqrt(s2_2y / s2_2v) * np.sqrt(s2_1v / s2_1x)
        # x -> v in population 1, then v -> y in population 2
        icpt = m2y + np.sqrt(s2_2y / s2_2v) * (m1v - m2v) - slope * m1x
        return float(slope), float(icpt), {}
    if method == "tucker":
        g1, g2 = c1 / s2_1v, c2 / s2_2v
    elif external:
        g1 = (s2_1x + c1) / (s2_1v + c1)
        g2 = (s2_2y + c2) / (s2_2v + c2)
    else:
        if c1 <= 0 or c2 <= 0:
            raise DataError(
                "Levine equating needs a positive total-anchor covariance in each group"
            )
        g1, g2 = s2_1x / c1, s2_2y / c2
    w1, w2 = w, 1.0 - w
    dm, dv = m1v - m2v, s2_1v - s2_2v
    ms_x = m1x - w2 * g1 * dm
    ms_y = m2y + w1 * g2 * dm
    if method == "levine-true":
        slope = g2 / g1
        return float(slope), float(ms_y - slope * ms_x), {"gamma1": g1, "gamma2": g2}
    vs_x = s2_1x - w2 * g1**2 * dv + w1 * w2 * g1**2 * dm**2
    vs_y = s2_2y + w1 * g2**2 * dv + w1 * w2 * g2**2 * dm**2
    if min(vs_x, vs_y) <= 0:
        raise DataError(
            f"{method}: the synthetic-population variance is not positive "
            f"(X: {vs_x:.4g}, Y: {vs_y:.4g}); the groups differ too much on the anchor"
        )
    slope = np.sqrt(vs_y / vs_x)
    extra = {
        "gamma1": g1,
        "gamma2": g2,
        "synthetic_mean_x": ms_x,
        "synthetic_sd_x": float(np.sqrt(vs_x)),
        "synthetic_mean_y": ms_y,
        "synthetic_sd_y": float(np.sqrt(vs_y)),
    }
    return float(slope), float(ms_y - slope * ms_x), extra


def _neat_linear(method, x, vx, y, vy, w, external):
    return _linear_neat_constants(_neat_moments(x, vx, y, vy), method, w, external)


def _se_linear_neat(method, x, vx, y, vy, w, external, xs) -> np.ndarray:
    """Delta-method SEs of a NEAT linear equating function at the scores ``xs``.

    ``e(x) = slope(m)·x + intercept(m)`` is a smooth function of the moment
    vector ``m`` (:data:`NEAT_MOMENTS`). The sample moments of each group are
    asymptotically normal with covariance ``Cov(IF)/n`` (influence values of
    :func:`_group_influence`; the groups are independent), so
    ``Var e(x) ≈ ∇e(x)ᵀ Σ_m ∇e(x)``. The gradient is taken by central
    differences through :func:`_linear_neat_constants`, so the weight and the
    Levine γ terms, which depend on the moments, are differentiated too. No
    normality assumption is made (the fourth moments come from the data).

    References
    ----------
    Kolen & Brennan (2014), section 7.3 (the delta method).
    Braun, H. I., & Holland, P. W. (1982). Observed-score test equating: A
    mathematical analysis of some ETS equating procedures. In P. W. Holland &
    D. B. Rubin (Eds.), *Test equating* (pp. 9-49). Academic Press.
    """
    m = _neat_moments(x, vx, y, vy)
    if1, if2 = _group_influence(x, vx), _group_influence(y, vy)
    sigma = np.zeros((10, 10))
    sigma[:5, :5] = if1.T @ if1 / x.size**2
    sigma[5:, 5:] = if2.T @ if2 / y.size**2
    jac = np.empty((2, m.size))  # rows: d slope, d intercept
    for j in range(m.size):
        h = 1e-5 * max(abs(m[j]), 1.0)
        up, dn = m.copy(), m.copy()
        up[j] += h
        dn[j] -= h
        a_up, b_up, _ = _linear_neat_constants(up, method, w, external)
        a_dn, b_dn, _ = _linear_neat_constants(dn, method, w, external)
        jac[:, j] = [(a_up - a_dn) / (2 * h), (b_up - b_dn) / (2 * h)]
    cov_ab = jac @ sigma @ jac.T  # covariance of (slope, intercept)
    xs = np.asarray(xs, dtype=float)
    var = cov_ab[0, 0] * xs**2 + 2 * cov_ab[0, 1] * xs + cov_ab[1, 1]
    return np.sqrt(np.clip(var, 0.0, None))


def _joint(total, anchor, t_scores, v_scores):
    out = np.zeros((t_scores.size, v_scores.size))
    np.add.at(out, (total - t_scores[0], anchor - v_scores[0]), 1.0)
    return out


def _feasible(t_scores, v_scores, external):
    T, V = np.meshgrid(t_scores, v_scores, indexing="ij")
    if external:
        return np.ones(T.shape, bool)
    n_unique = t_scores[-1] - v_scores[-1]
    return (T - V >= 0) & (T - V <= n_unique)


def _neat_equipercentile(method, x, vx, y, vy, xs, ys, vs, w, external, smooth):
    """Frequency estimation or chained equipercentile; returns (y_equiv, fs, gs)."""
    j1 = _joint(x, vx, xs, vs)
    j2 = _joint(y, vy, ys, vs)
    if smooth is not None:
        j1 = smooth(j1, _feasible(xs, vs, external), "x")
        j2 = smooth(j2, _feasible(ys, vs, external), "y")
    return _neat_equipercentile_tables(method, j1, j2, xs, ys, vs, w)


def _neat_equipercentile_tables(method, j1, j2, xs, ys, vs, w):
    """(y_equiv, fs, gs) of a NEAT equipercentile method from the two bivariate tables.

    A pure function of the (total × anchor) tables ``j1`` (population 1, X) and
    ``j2`` (population 2, Y), in counts or proportions (each is normalised), so
    that the estimate and the delta-method standard error share one code path.
    For chained equipercentile ``fs`` and ``gs`` are the marginals of X in
    population 1 and of Y in population 2.
    """
    j1, j2 = j1 / j1.sum(), j2 / j2.sum()
    if method == "chained-equipercentile":
        fx, h1 = j1.sum(1), j1.sum(0)
        gy, h2 = j2.sum(1), j2.sum(0)
        v_equiv = equipercentile_function(xs, fx, vs, h1)  # X -> V in population 1
        y_equiv = percentile_inverse(ys, gy, percentile_rank(vs, h2, v_equiv))
        return y_equiv, fx, gy
    h1, h2 = j1.sum(0), j2.sum(0)
    gap = np.flatnonzero(((h1 <= 0) & (h2 > 0)) | ((h2 <= 0) & (h1 > 0)))
    if gap.size:
        raise DataError(
            f"frequency estimation: anchor score {int(vs[gap[0]])} occurs in one group but not "
            "the other, so the conditional distribution is undefined there; use "
            "presmooth='loglinear' (or a smaller anchor score range)"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        cond1 = np.where(h1 > 0, j1 / h1, 0.0)  # f1(x | v)
        cond2 = np.where(h2 > 0, j2 / h2, 0.0)  # g2(y | v)
    f1, g2 = j1.sum(1), j2.sum(1)
    f2 = cond1 @ h2
    g1 = cond2 @ h1
    fs = w * f1 + (1 - w) * f2
    gs = w * g1 + (1 - w) * g2
    return equipercentile_function(xs, fs, ys, gs), fs, gs


def _se_equipercentile_neat(method, x, vx, y, vy, xs, ys, vs, w) -> np.ndarray:
    """Delta-method SEs of unsmoothed frequency estimation / chained equipercentile.

    The equated scores are a function ``e(p1, p2)`` of the cell proportions of
    the two (total × anchor) tables (:func:`_neat_equipercentile_tables`). The
    tables are independent multinomials, ``Cov(p̂_g) = (diag p_g − p_g p_gᵀ)/N_g``,
    so ``Var e(x) ≈ Σ_g [Σ_c p_gc J_gc(x)² − (Σ_c p_gc J_gc(x))²] / N_g`` with
    ``J_gc = ∂e/∂p_gc``, taken by central differences for all ``x`` at once,
    one perturbed cell at a time. Cells with zero proportion add nothing and
    are skipped. The equipercentile function is only piecewise smooth in ``p``;
    the steps are small (``1e-6``) so the derivative is the local one. At
    scores whose percentile rank is 0 or 100 the SE is NaN (as in the
    random-groups eq. 7.12 case).

    References
    ----------
    Holland, P. W., King, B. F., & Thayer, D. T. (1989). The standard error of
    equating for the kernel method of equating score distributions (ETS RR-89-6).
    Jarjoura, D., & Kolen, M. J. (1985). Standard errors of equipercentile
    equating for the common item nonequivalent populations design. *Journal of
    Educational Statistics*, 10, 143-160.
    von Davier, A. A., Holland, P. W., & Thayer, D. T. (2004). *The kernel
    method of test equating*. Springer. Chapter 5 (the delta method).
    Kolen & Brennan (2014), section 7.3.
    """
    tables = [_joint(x, vx, xs, vs) / x.size, _joint(y, vy, ys, vs) / y.size]
    y_eq, fs, _ = _neat_equipercentile_tables(method, *tables, xs, ys, vs, w)
    var = _delta_var_multinomial(
        lambda t: _neat_equipercentile_tables(method, *t, xs, ys, vs, w)[0],
        tables,
        (x.size, y.size),
    )
    rank = percentile_rank(xs, fs, xs) / 100.0
    se = np.sqrt(np.clip(var, 0.0, None))
    return np.where((rank <= 0) | (rank >= 1) | ~np.isfinite(y_eq), np.nan, se)


def _se_equipercentile_neat_smoothed(
    method, x, vx, y, vy, xs, ys, vs, w, external, degrees, robust=True
) -> np.ndarray:
    """Delta-method SEs of log-linear presmoothed NEAT equipercentile equating.

    Each group's (total × anchor) table is ``exp(Bβ_g)`` on its feasible cells
    (:func:`_smooth_bivariate`, degrees as used for the estimate). The equated
    scores are a function of ``(β_1, β_2)`` through
    :func:`_neat_equipercentile_tables`; ``Var e(x) ≈ Σ_g J_g Cov(β̂_g) J_gᵀ``
    and ``J_g = ∂e/∂β_g`` by central differences. ``Cov(β̂_g)`` is by default
    the multinomial sandwich ``A⁻¹ M A⁻¹`` (``A = Bᵀ diag(m̂) B``,
    ``M = Bᵀ (diag n − n nᵀ/N) B`` from the observed counts ``n``), which stays
    valid when the log-linear model misfits; with ``robust=False`` it is the
    model-based Poisson GLM covariance (statsmodels ``cov_params``; for the
    non-constant parameters equal to the multinomial one, and ``e`` does not
    depend on the constant), which assumes the model is correct. On the K&B
    NEAT example (degree 4) the model-based SEs overstate the bootstrap SEs by
    about 20 % at x = 30; the sandwich ones agree within 5 % at x = 10..30.

    References
    ----------
    Holland, P. W., & Thayer, D. T. (2000); von Davier, Holland & Thayer
    (2004), chapters 3-5 (the C-matrix form of the same delta method).
    """
    tables, designs, betas, covs = [], [], [], []
    for t, v, ts, key in ((x, vx, xs, "x"), (y, vy, ys, "y")):
        feas = _feasible(ts, vs, external)
        counts = _joint(t, v, ts, vs)
        fitted, _, res = _smooth_bivariate(counts, feas, degrees[key], return_fit=True)
        exog = np.asarray(res.model.exog)
        tables.append(fitted)
        designs.append((feas, exog))
        betas.append(np.asarray(res.params))
        covs.append(_loglinear_cov(exog, counts[feas], fitted[feas], res, robust))
    y_eq, fs, _ = _neat_equipercentile_tables(method, *tables, xs, ys, vs, w)

    def e_of(bs):
        tabs = []
        for (feas, exog), b in zip(designs, bs, strict=True):
            out = np.zeros(feas.shape)
            out[feas] = np.exp(exog @ b)
            tabs.append(out)
        return _neat_equipercentile_tables(method, *tabs, xs, ys, vs, w)[0]

    var = _delta_var_params(e_of, betas, covs)
    rank = percentile_rank(xs, fs, xs) / 100.0
    se = np.sqrt(np.clip(var, 0.0, None))
    return np.where((rank <= 0) | (rank >= 1) | ~np.isfinite(y_eq), np.nan, se)


# ---------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------


def equate(
    x,
    y,
    method: str = "equipercentile",
    *,
    anchor: tuple | None = None,
    w: float = 0.5,
    external: bool = False,
    design: str | None = None,
    x_scores=None,
    y_scores=None,
    v_scores=None,
    presmooth: str | None = None,
    degree="aic",
    bandwidth=None,
    se: str | None = "auto",
    n_boot: int = 1000,
    seed=None,
) -> Equating:
    """Equate form X (new) scores to the scale of form Y (old) scores.

    Parameters
    ----------
    x, y : array_like or Series
        Raw summed scores of the groups that took X and Y (arrays), or
        frequency tables (a pandas Series of counts indexed by integer score).
        In the single-group and NEAT designs they are raw scores, one per
        examinee (a Series is then read as raw scores too; for a random-groups
        design pass a column of raw scores as ``df["total"].to_numpy()``). In
        the single-group design ``x`` and ``y`` are the paired scores of one group.
    method : str
        Random groups / single group: ``"mean"``, ``"linear"``,
        ``"equipercentile"``, ``"kernel"`` (Gaussian kernel). NEAT (with ``anchor``): ``"tucker"``,
        ``"levine"``, ``"levine-true"``, ``"chained-linear"``,
        ``"frequency-estimation"``, ``"chained-equipercentile"``.
    anchor : (vx, vy), optional
        Anchor scores of the X group and of the Y group (NEAT design).
    w : float, default 0.5
        Weight of the new-form (X) population in the synthetic population.
    external : bool, default False
        The anchor is external (its items do not count in the total).
    design : {"random-groups", "single-group", "neat"}, optional
        Default: ``"neat"`` with an anchor, else ``"random-groups"``.
    x_scores, y_scores, v_scores : int, (lo, hi) or array, optional
        Score ranges; default ``0..max observed`` (the maximum possible score
        should be given when the top scores may be unobserved).
    presmooth : {None, "loglinear"}
        Log-linear presmoothing (univariate per form; bivariate total × anchor
        with one cross-product for the NEAT equipercentile methods).
    degree : int, (int, int) or "aic"
        Log-linear degree (per form for a pair) or chosen by AIC.
    bandwidth : float or (float, float), optional
        Kernel equating bandwidths ``(h_X, h_Y)``; default: each minimises
        PEN1 (von Davier et al., 2004). Kept fixed in bootstrap replications.
    se : {"auto", "analytic", "bootstrap", None}
        ``"auto"``: analytic SEs where the literature gives them (random-groups
        mean, linear under normality, unsmoothed equipercentile: K&B eq. 7.12;
        NEAT Tucker, Levine, Levine true-score and chained linear: delta method,
        K&B section 7.3, from the raw scores' moments without a normality
        assumption; NEAT frequency estimation and chained equipercentile: delta
        method over the multinomial (total × anchor) cell proportions, or over
        the log-linear parameters when presmoothed; random-groups presmoothed
        equipercentile and kernel equating: delta method over the log-linear
        parameters, or over the cell proportions for unsmoothed kernel
        equating, bandwidths held fixed), otherwise none.
        ``"analytic"``: the same, but a ``PvcalError`` where none is implemented
        (the single-group design). ``"bootstrap"``: ``n_boot`` replications (groups
        resampled separately; pairs in the single-group design). The NEAT design
        always takes raw scores, so its analytic SEs are always available.
    n_boot : int, default 1000
    seed : int or Generator, optional

    Returns
    -------
    Equating

    Raises
    ------
    DataError
        NaN or non-integer scores, negative counts, scores outside the declared
        range, anchor arrays of the wrong length.
    PvcalError
        Unknown method or design, bad ``w``/``degree``/``se``.

    References
    ----------
    Kolen & Brennan (2014), chapters 2 (random groups), 3 (presmoothing),
    4 (NEAT linear), 5 (NEAT equipercentile) and 7 (standard errors).

    Examples
    --------
    >>> x = pd.Series([1, 3, 4, 2], index=[0, 1, 2, 3])
    >>> y = pd.Series([2, 3, 3, 2], index=[0, 1, 2, 3])
    >>> round(equate(x, y, method="mean").intercept, 6)   # mean 1.5 - mean 1.7
    -0.2

    # R: equate::equate(freqtab(x), freqtab(y), type = "equipercentile")
    """
    method = check_choice("method", _ALIASES.get(str(method).lower(), method), METHODS)
    design = check_choice(
        "design",
        design if design is not None else ("neat" if anchor is not None else "random-groups"),
        ["random-groups", "single-group", "neat"],
    )
    if design == "neat" and anchor is None:
        raise PvcalError("the NEAT design needs anchor=(vx, vy)")
    if design != "neat" and method in NEAT_METHODS:
        raise PvcalError(f"method {method!r} is a NEAT method; pass anchor=(vx, vy)")
    if design == "neat" and method in RG_METHODS:
        raise PvcalError(
            f"method {method!r} is for random or single groups; with an anchor use one of "
            f"{list(NEAT_METHODS)}"
        )
    w = float(w)
    if not 0.0 <= w <= 1.0:
        raise PvcalError(f"w must lie in [0, 1], got {w!r}")
    if presmooth is not None:
        presmooth = check_choice("presmooth", presmooth, ["loglinear"])
    se_kind = check_choice("se", se, ["auto", "analytic", "bootstrap", None])
    if se_kind == "bootstrap":
        n_boot = int(n_boot)
        if n_boot < 2:
            raise PvcalError(f"n_boot must be at least 2, got {n_boot}")
    rng = check_rng(seed)
    if design == "neat":
        return _equate_neat(
            x,
            y,
            anchor,
            method,
            w,
            bool(external),
            x_scores,
            y_scores,
            v_scores,
            presmooth,
            degree,
            se_kind,
            n_boot,
            rng,
            seed,
        )
    return _equate_groups(
        x,
        y,
        method,
        design,
        x_scores,
        y_scores,
        presmooth,
        degree,
        se_kind,
        n_boot,
        rng,
        seed,
        bandwidth,
    )


def _degree_pair(degree):
    if isinstance(degree, (tuple, list)):
        if len(degree) != 2:
            raise PvcalError(f"degree must be an int, 'aic' or a pair, got {degree!r}")
        return degree[0], degree[1]
    if degree != "aic" and not isinstance(degree, (int, np.integer)):
        raise PvcalError(f"degree must be an int, 'aic' or a pair, got {degree!r}")
    return degree, degree


def _equate_groups(
    x,
    y,
    method,
    design,
    x_scores,
    y_scores,
    presmooth,
    degree,
    se_kind,
    n_boot,
    rng,
    seed,
    bandwidth=None,
) -> Equating:
    xs, cx, raw_x = _distribution(x, x_scores, "x")
    ys, cy, raw_y = _distribution(y, y_scores, "y")
    if design == "single-group":
        if _is_freq_table(x) or _is_freq_table(y):
            x = np.asarray(x.to_numpy() if _is_freq_table(x) else x)
            y = np.asarray(y.to_numpy() if _is_freq_table(y) else y)
            xs, cx, raw_x = _distribution(x, x_scores, "x")
            ys, cy, raw_y = _distribution(y, y_scores, "y")
        if raw_x is None or raw_y is None:
            raise DataError("the single-group design needs paired raw scores, not frequency tables")
        if raw_x.size != raw_y.size:
            raise DataError(
                f"single-group design: x has {raw_x.size} scores but y has {raw_y.size}; "
                "they must be paired (one row per examinee)"
            )
    nx, ny = float(cx.sum()), float(cy.sum())
    settings: dict[str, Any] = {
        "x_scores": [int(xs[0]), int(xs[-1])],
        "y_scores": [int(ys[0]), int(ys[-1])],
        "n_x": int(nx),
        "n_y": int(ny),
    }
    smooth_x = smooth_y = None
    if presmooth:
        dx, dy = _degree_pair(degree)
        _, used_x = _smooth_univariate(cx, dx)
        _, used_y = _smooth_univariate(cy, dy)
        settings["presmoothing"] = {
            "method": "loglinear",
            "degree_x": used_x,
            "degree_y": used_y,
            "selected_by": "aic" if degree == "aic" else "given",
        }

        def smooth_x(c, d=used_x):
            return _smooth_univariate(c, d)[0]

        def smooth_y(c, d=used_y):
            return _smooth_univariate(c, d)[0]

    bw = None
    if method == "kernel":
        fx0 = smooth_x(cx) if smooth_x else cx
        fy0 = smooth_y(cy) if smooth_y else cy
        if bandwidth is None:
            bw = (kernel_bandwidth(xs, fx0 / fx0.sum()), kernel_bandwidth(ys, fy0 / fy0.sum()))
            how = "PEN1 (von Davier et al. 2004)"
        else:
            pair = bandwidth if isinstance(bandwidth, (tuple, list)) else (bandwidth, bandwidth)
            if len(pair) != 2:
                raise PvcalError(f"bandwidth must be a number or a pair, got {bandwidth!r}")
            bw = tuple(check_positive("bandwidth", h) for h in pair)
            how = "given"
        settings["bandwidth"] = {"h_x": bw[0], "h_y": bw[1], "selected_by": how}
    y_eq, slope, icpt, px, py = _rg_fit(method, xs, cx, ys, cy, smooth_x, smooth_y, bw)
    table = pd.DataFrame({"y_equiv": y_eq}, index=pd.Index(xs, name="x"))

    analytic_ok = design == "random-groups"
    boot = None
    if se_kind == "analytic" and not analytic_ok:
        raise PvcalError(
            f"no analytic standard error is implemented for {method} ({design}"
            f"{', presmoothed' if presmooth else ''}); use se='bootstrap'"
        )
    if se_kind in ("auto", "analytic") and analytic_ok:
        if method == "equipercentile" and not presmooth:
            table["se"] = _se_equipercentile_rg(xs, px, ys, py, nx, ny)
            settings["se"] = "analytic (K&B 2014 eq. 7.12)"
        elif method in ("equipercentile", "kernel"):
            degrees = (used_x, used_y) if presmooth else None
            table["se"] = _se_rg_delta(method, xs, cx, ys, cy, degrees, bw)
            settings["se"] = "analytic (delta method, " + (
                "log-linear parameters)" if presmooth else "multinomial cell proportions)"
            )
        else:
            table["se"] = _se_linear_rg(method, xs, moments(xs, px), moments(ys, py), nx, ny)
            settings["se"] = "analytic" + (" (normal theory)" if method == "linear" else "")
    elif se_kind == "bootstrap":
        boot = np.empty((n_boot, xs.size))
        if design == "random-groups":
            bx = rng.multinomial(int(nx), cx / nx, size=n_boot).astype(float)
            by = rng.multinomial(int(ny), cy / ny, size=n_boot).astype(float)
            for r in range(n_boot):
                boot[r] = _rg_fit(method, xs, bx[r], ys, by[r], smooth_x, smooth_y, bw)[0]
        else:
            n = raw_x.size
            for r in range(n_boot):
                idx = rng.integers(0, n, n)
                bx = np.bincount(raw_x[idx] - xs[0], minlength=xs.size).astype(float)
                by = np.bincount(raw_y[idx] - ys[0], minlength=ys.size).astype(float)
                boot[r] = _rg_fit(method, xs, bx, ys, by, smooth_x, smooth_y, bw)[0]
        table["se"] = np.std(boot, axis=0, ddof=1)
        settings.update({"se": "bootstrap", "n_boot": n_boot, "seed": _seed_repr(seed)})
    mom = pd.DataFrame(
        {"x": moments(xs, px), "y": moments(ys, py), "y_equiv(x)": moments_of(y_eq, px)}
    ).T
    return Equating(
        table=table,
        method=method,
        design=design,
        slope=slope,
        intercept=icpt,
        settings=settings,
        moments=mom,
        boot=boot,
    )


def moments_of(values, probs):
    """Moments of a transformed variable (values at each score, with probs).

    ``mean``, ``sd`` (divisor 1: a distribution, not a sample), ``skew`` and
    ``kurt`` (NaN when sd = 0). Shared with :mod:`pvcal.equating.irt`.
    """
    mu = float(values @ probs)
    var = float(((values - mu) ** 2) @ probs)
    sd = np.sqrt(var)
    return {
        "mean": mu,
        "sd": float(sd),
        "skew": float(((values - mu) ** 3) @ probs) / sd**3 if sd > 0 else np.nan,
        "kurt": float(((values - mu) ** 4) @ probs) / var**2 if sd > 0 else np.nan,
    }


def _seed_repr(seed):
    return seed if seed is None or isinstance(seed, (int, np.integer)) else "Generator"


def _equate_neat(
    x,
    y,
    anchor,
    method,
    w,
    external,
    x_scores,
    y_scores,
    v_scores,
    presmooth,
    degree,
    se_kind,
    n_boot,
    rng,
    seed,
) -> Equating:
    if not isinstance(anchor, (tuple, list)) or len(anchor) != 2:
        raise PvcalError("anchor must be a pair (vx, vy) of anchor-score arrays")
    x = _raw_scores(x, "x")
    y = _raw_scores(y, "y")
    vx = _raw_scores(anchor[0], "anchor vx")
    vy = _raw_scores(anchor[1], "anchor vy")
    if vx.size != x.size:
        raise DataError(f"anchor vx has {vx.size} scores but x has {x.size}; they must be paired")
    if vy.size != y.size:
        raise DataError(f"anchor vy has {vy.size} scores but y has {y.size}; they must be paired")
    if not external:
        for name, t, v in (("x", x, vx), ("y", y, vy)):
            bad = np.flatnonzero(v > t)
            if bad.size:
                raise DataError(
                    f"internal anchor: examinee at position {bad[0]} of the {name} group has "
                    f"anchor score {v[bad[0]]} above the total {t[bad[0]]}; pass external=True "
                    "if the anchor does not count in the total"
                )
    xs = _scores_arg(x_scores, int(x.max()), int(x.min()), "x")
    ys = _scores_arg(y_scores, int(y.max()), int(y.min()), "y")
    both = np.concatenate([vx, vy])
    vs = _scores_arg(v_scores, int(both.max()), int(both.min()), "anchor")
    settings: dict[str, Any] = {
        "anchor": "external" if external else "internal",
        "w": w,
        "w_used": method not in ("chained-linear", "chained-equipercentile", "levine-true"),
        "x_scores": [int(xs[0]), int(xs[-1])],
        "y_scores": [int(ys[0]), int(ys[-1])],
        "v_scores": [int(vs[0]), int(vs[-1])],
        "n_x": int(x.size),
        "n_y": int(y.size),
    }
    linear = method in LINEAR_METHODS
    smooth = None
    if presmooth and not linear:
        used: dict[str, int] = {}

        def smooth(counts, feasible, which, _deg=degree, _used=used):
            d = _used.get(which, _deg)
            fitted, u = _smooth_bivariate(counts, feasible, d)
            _used.setdefault(which, u)
            return fitted

        settings["presmoothing"] = {
            "method": "loglinear (bivariate, 1 cross-product)",
            "degree": used,
            "selected_by": "aic" if degree == "aic" else "given",
        }
    elif presmooth:
        settings["presmoothing"] = "ignored (linear method uses moments)"

    def fit(x_, vx_, y_, vy_):
        if linear:
            slope, icpt, extra = _neat_linear(method, x_, vx_, y_, vy_, w, external)
            return slope * xs + icpt, slope, icpt, extra
        y_eq, fs, gs = _neat_equipercentile(
            method, x_, vx_, y_, vy_, xs, ys, vs, w, external, smooth
        )
        return y_eq, None, None, {"fs": fs, "gs": gs}

    y_eq, slope, icpt, extra = fit(x, vx, y, vy)
    table = pd.DataFrame({"y_equiv": y_eq}, index=pd.Index(xs, name="x"))
    boot = None
    if se_kind in ("auto", "analytic") and linear:
        table["se"] = _se_linear_neat(method, x, vx, y, vy, w, external, xs)
        settings["se"] = "analytic (delta method, K&B 2014 s. 7.3)"
    elif se_kind in ("auto", "analytic") and smooth is None:
        table["se"] = _se_equipercentile_neat(method, x, vx, y, vy, xs, ys, vs, w)
        settings["se"] = "analytic (delta method, multinomial cell proportions)"
    elif se_kind in ("auto", "analytic"):
        table["se"] = _se_equipercentile_neat_smoothed(
            method, x, vx, y, vy, xs, ys, vs, w, external, dict(used)
        )
        settings["se"] = "analytic (delta method, log-linear parameters)"
    elif se_kind == "bootstrap":
        boot = np.empty((n_boot, xs.size))
        for r in range(n_boot):
            i1 = rng.integers(0, x.size, x.size)
            i2 = rng.integers(0, y.size, y.size)
            boot[r] = fit(x[i1], vx[i1], y[i2], vy[i2])[0]
        table["se"] = np.std(boot, axis=0, ddof=1)
        settings.update({"se": "bootstrap", "n_boot": n_boot, "seed": _seed_repr(seed)})
    if linear:
        settings.update({k: float(v) for k, v in extra.items()})
        px = np.bincount(x - xs[0], minlength=xs.size) / x.size
    else:
        px = extra["fs"]
    py = np.bincount(y - ys[0], minlength=ys.size) / y.size
    mom = pd.DataFrame(
        {
            "x (group 1)": moments(xs, np.bincount(x - xs[0], minlength=xs.size) / x.size),
            "y (group 2)": moments(ys, py),
            "y_equiv(x)": moments_of(y_eq, px),
        }
    ).T
    return Equating(
        table=table,
        method=method,
        design="neat",
        slope=slope,
        intercept=icpt,
        w=w,
        settings=settings,
        moments=mom,
        boot=boot,
    )
