"""Diagnosis and targeted training (Art. 4, 17): domain scores worth reporting.

Three questions, one function each:

* Is a domain score worth reporting at all? :func:`subscore_value`
  (Haberman 2008, classical test theory, mirrors R ``subscore::CTTsub``).
* Where does a candidate stand in each domain, with what precision?
  :func:`diagnose` (a :class:`Diagnosis` result) and :func:`domain_profile`
  (its long frame): domain θ from the calibrated item parameters, alone
  (``method="eap"``) or borrowing strength from the other domains
  (``method="augmented"``), with a ``level`` interval and a ``weak`` flag
  when the whole interval lies below the pass cut.
* What should the candidate train? :func:`recommend` (weak domains to
  training modules, furthest below the cut first) and :func:`training_demand`
  (candidates per module, optionally by region or employer).

=========================  ==================================================
function                   R equivalent
=========================  ==================================================
:func:`subscore_value`     ``subscore::CTTsub(test.data, method = "Haberman")``
:func:`diagnose` ``eap``   ``mirt::fscores(mod, method = "EAP")`` on each
                           domain's items (unidimensional parameters)
=========================  ==================================================
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from scipy.stats import norm

from ._summary import Summary
from ._validation import (
    DataError,
    DataWarning,
    PvcalError,
    SchemaError,
    check_choice,
    check_int_scores,
    check_positive,
    check_probability,
)
from .serialize import (
    check_record,
    dumps,
    frame_from_json,
    json_equal,
    loads_record,
    to_jsonable,
)

__all__ = [
    "METHODS",
    "Diagnosis",
    "subscore_value",
    "diagnose",
    "domain_profile",
    "domain_modules",
    "plot_profile",
    "profile_from_record",
    "recommend",
    "training_demand",
    "training_from_results",
]

#: Domain-θ methods of :func:`diagnose`.
METHODS = ("eap", "augmented")
_TOTAL = "total"
_PROFILE_COLUMNS = (
    "person",
    "domain",
    "n_items",
    "theta",
    "se",
    "lower",
    "upper",
    "below_cut",
    "weak",
)


# ---------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------


def _wide(responses: Any) -> pd.DataFrame:
    """A wide persons x items frame from a DataFrame or a ``Responses`` container."""
    wide = getattr(responses, "wide", responses)
    if not isinstance(wide, pd.DataFrame):
        raise DataError(
            "responses must be a wide pandas DataFrame (persons x items) or a "
            f"pvcal.data.Responses, got {type(responses).__name__}"
        )
    if wide.shape[0] == 0 or wide.shape[1] == 0:
        raise DataError(f"empty response data (shape {wide.shape})")
    if not wide.columns.is_unique:
        dup = wide.columns[wide.columns.duplicated()].unique().tolist()
        raise DataError(f"responses has duplicated item column(s) {dup[:5]}")
    if not wide.index.is_unique:
        dup = wide.index[wide.index.duplicated()].unique().tolist()
        raise DataError(f"responses has duplicated person id(s) {dup[:5]}")
    try:
        check_int_scores(wide)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, PvcalError):
            raise
        raise DataError(f"responses must be numeric scores or NaN: {exc}") from None
    return wide


def _domains(domains: Any, columns: pd.Index, *, min_per_domain: int = 1) -> pd.Series:
    """``domains`` (item -> domain) aligned to the response columns, checked."""
    if isinstance(domains, pd.DataFrame) and "domain" in domains.columns:
        domains = domains["domain"]
    if isinstance(domains, dict):
        domains = pd.Series(domains)
    if not isinstance(domains, pd.Series):
        raise DataError(
            "domains must be a pandas Series indexed by item id with the domain as value "
            f"(e.g. items.csv's 'domain' column), got {type(domains).__name__}"
        )
    if not domains.index.is_unique:
        dup = domains.index[domains.index.duplicated()].unique().tolist()
        raise DataError(f"domains has duplicated item id(s) {dup[:5]}")
    missing = [c for c in columns if c not in domains.index]
    if missing:
        raise DataError(
            f"responses has item(s) {missing[:5]} without a domain; expected every response "
            "column in the domains Series (items.csv 'domain')"
        )
    dom = domains.reindex(columns)
    blank = dom.isna() | (dom.astype(str).str.strip() == "")
    if blank.any():
        raise DataError(
            f"item(s) {list(dom.index[blank])[:5]} have an empty domain; expected a domain name"
        )
    dom = dom.astype(str)
    counts = dom.value_counts()
    few = counts[counts < min_per_domain]
    if len(few):
        raise DataError(
            f"domain(s) {few.to_dict()} have fewer than {min_per_domain} item(s) among the "
            "responses; expected at least that many per domain"
        )
    return dom


def _domain_order(dom: pd.Series) -> list[str]:
    """Domains in order of first appearance among the items."""
    return list(pd.unique(dom.to_numpy()))


def _z(level: float) -> float:
    return float(norm.ppf(0.5 + check_probability("level", level) / 2))


# ---------------------------------------------------------------------------
# Haberman (2008): is a subscore worth reporting?
# ---------------------------------------------------------------------------


def _alpha(block: pd.DataFrame) -> tuple[float, int]:
    """Cronbach's alpha after listwise deletion (CTT::itemAnalysis, NA.Delete=TRUE)."""
    x = block.dropna(how="any").to_numpy(dtype=float)
    n, k = x.shape
    if n < 2 or k < 2:
        return float("nan"), n
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var <= 0:
        return float("nan"), n
    return float(k / (k - 1) * (1 - item_var / total_var)), n


def subscore_value(responses: Any, domains: Any, by: Any = None) -> pd.DataFrame:
    """Whether each domain subscore has value beyond the total score (Haberman 2008).

    # R: subscore::CTTsub(data.prep(scored, n.items, names), method = "Haberman")$PRMSE

    Parameters
    ----------
    responses : DataFrame or Responses
        Wide persons x items, integer item scores or NaN.  Use the candidates
        of one form: a response that is NaN counts as 0 in the subscores, as
        in ``CTTsub``.
    domains : Series
        Item id -> domain (items.csv ``domain``); every response column needs
        one.  Extra items (other forms) are ignored.  At least two domains of
        at least two items each.
    by : Series or str, optional
        Form of each person (a Series indexed like the responses, or
        ``"form"`` for a ``Responses`` container's ``persons["form"]``): the
        analysis is run form by form on the items each form presented (the
        columns with a response), and the frames are stacked with an outer
        ``form`` index level.

    Returns
    -------
    DataFrame
        Indexed by domain (in order of first appearance among the columns),
        then a last row ``total`` (with ``by``: by form, then domain).  Columns:

        ``n_items``, ``n_persons`` (rows used), ``n_complete`` (rows without a
        missing response, used for alpha), ``mean``, ``sd`` of the observed
        score; ``reliability`` (Cronbach's alpha); ``prmse_s``, ``prmse_x``,
        ``prmse_sx``; ``added_value`` (``prmse_s > prmse_x``),
        ``added_value_sx`` (CTTsub's rule for the augmented subscore);
        ``prmse_wa``, ``added_value_wa`` (weighted average, see Notes) and
        ``weight_wa`` (the common weight).  The ``total`` row has the total
        score's ``reliability`` and NA for the PRMSEs and flags.

    Raises
    ------
    DataError
        Malformed responses or domains, fewer than two domains, a domain with
        fewer than two items, or fewer than three persons.

    Warns
    -----
    DataWarning
        A PRMSE above 1 (as CTTsub warns): that (augmented) subscore has no
        added value.

    Notes
    -----
    Conventions follow ``CTTsub(method = "Haberman")`` (subscore 3.3) exactly:

    * Observed subscore ``s_k`` = row sum of the domain's items with NaN
      skipped (R ``rowSums(na.rm = TRUE)``); total ``x`` = row sum of all
      items.  Means, variances and covariances over all persons with divisor
      ``n - 1`` (R ``var``/``cov``/``cor``).
    * Reliability: Cronbach's alpha per domain and for the total, after
      listwise deletion of persons with a missing response in that block
      (``CTT::itemAnalysis(NA.Delete = TRUE)``):
      ``α = k/(k-1) (1 - Σ_j σ²_j / σ²_s)``.
    * True-score moments: ``σ²(τ_k) = α_k σ²(s_k)``; ``Cov(τ_k, τ_l) =
      Cov(s_k, s_l)`` for ``k ≠ l`` (errors uncorrelated), so
      ``Cov(τ_k, x) = σ²(τ_k) + Σ_{l≠k} Cov(s_k, s_l)``.
    * ``PRMSE_s = α_k`` (Kelley's regression on the subscore).
    * ``PRMSE_x = ρ²(τ_k, x) = Cov(τ_k, x)² / (σ²(τ_k) σ²(x))``; CTTsub
      writes it as ``ρ²(τ_k, τ_x) α_x`` with ``σ²(τ_x) = α_x σ²(x)``, which
      is the same number.
    * ``PRMSE_sx`` (regression on both ``s_k`` and ``x``) = the squared
      multiple correlation ``α_k + t² (1 - r²)`` with ``r = ρ(s_k, x)`` and
      ``t = (√PRMSE_x - r √α_k) / (1 - r²)``.
    * ``added_value``: ``PRMSE_s > PRMSE_x`` (Haberman 2008).
      ``added_value_sx``: ``PRMSE_sx - m > 0.1 (1 - m)`` with
      ``m = max(PRMSE_s, PRMSE_x)`` (CTTsub's rule).

    Weighted average (Haberman, Sinharay & Puhan 2009; not computed by
    CTTsub): an augmented subscore restricted to one weight for all domains,
    ``c_k = s_k + w (x - s_k)``, the subscore plus ``w`` times the rest of the
    test, ``0 ≤ w ≤ 1``; ``τ_k`` is predicted by its linear regression on
    ``c_k``, so ``PRMSE_wa = Cov(τ_k, c_k)² / (σ²(τ_k) σ²(c_k))``, and ``w``
    minimises the summed mean squared error ``Σ_k σ²(τ_k)(1 - PRMSE_wa,k)``.
    One weight estimated from the whole test is more stable than one pair of
    regression weights per domain.  ``added_value_wa``: ``PRMSE_wa >
    max(PRMSE_s, PRMSE_x)``.  (This restricted form is pvcal's reading of the
    paper; the R package has no counterpart to check it against.)

    References
    ----------
    Haberman, S. J. (2008). When can subscores have value? *Journal of
    Educational and Behavioral Statistics*, 33(2), 204-229.
    Haberman, S. J., Sinharay, S., & Puhan, G. (2009). Reporting subscores for
    institutions. *British Journal of Mathematical and Statistical
    Psychology*, 62(1), 79-95.
    Dai, S., Wang, X., & Svetina, D. (2022). subscore: Computing subscores in
    classical test theory and item response theory (R package).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> t = rng.normal(size=(400, 1)) + rng.normal(size=(400, 2)) * 0.2
    >>> p = 1 / (1 + np.exp(-(np.repeat(t, 6, axis=1) - rng.normal(size=12))))
    >>> wide = pd.DataFrame((rng.random((400, 12)) < p).astype(float),
    ...                     columns=[f"Q{j}" for j in range(12)])
    >>> dom = pd.Series(["A"] * 6 + ["B"] * 6, index=wide.columns)
    >>> subscore_value(wide, dom)["added_value"].tolist()
    [False, False, <NA>]
    """
    wide = _wide(responses)
    if by is not None:
        return _subscore_value_by(responses, wide, domains, by)
    dom = _domains(domains, wide.columns, min_per_domain=2)
    names = _domain_order(dom)
    if len(names) < 2:
        raise DataError(f"subscore_value needs at least two domains, got {names}")
    if _TOTAL in names:
        raise DataError(f"a domain may not be called {_TOTAL!r} (the total score's row)")
    n = wide.shape[0]
    if n < 3:
        raise DataError(f"subscore_value needs at least 3 persons, got {n}")

    X = wide.to_numpy(dtype=float)
    S = np.column_stack([np.nansum(X[:, (dom == d).to_numpy()], axis=1) for d in names])
    total = S.sum(axis=1)
    scores = np.column_stack([S, total])
    K = len(names)

    alphas, complete = [], []
    for d in names + [_TOTAL]:
        block = wide if d == _TOTAL else wide.loc[:, (dom == d).to_numpy()]
        a, m = _alpha(block)
        alphas.append(a)
        complete.append(m)
    alpha = np.array(alphas)
    if np.isnan(alpha).any():
        bad = [d for d, a in zip(names + [_TOTAL], alpha) if np.isnan(a)]
        raise DataError(
            f"Cronbach's alpha is undefined for {bad}: fewer than 2 persons without a missing "
            "response, or no score variance (use the candidates of one form)"
        )

    cov = np.cov(scores, rowvar=False, ddof=1)
    var_obs = np.diag(cov)
    sd = np.sqrt(var_obs)
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / np.outer(sd, sd)
    var_true = var_obs * alpha
    cov_true = cov.copy()
    cov_true[np.diag_indices_from(cov_true)] = var_true
    cov_tx = cov_true[:K, :K].sum(axis=1)  # Cov(τ_k, x)

    with np.errstate(divide="ignore", invalid="ignore"):
        r_tt = cov_tx**2 / (var_true[:K] * var_true[K])  # ρ²(τ_k, τ_x)
        prmse_x = r_tt * alpha[K]
        r = corr[:K, K]
        t = (np.sqrt(alpha[K]) * np.sqrt(r_tt) - r * np.sqrt(alpha[:K])) / (1 - r**2)
        prmse_sx = alpha[:K] + t**2 * (1 - r**2)
    prmse_s = alpha[:K]
    best = np.maximum(prmse_s, prmse_x)
    added_sx = (prmse_sx - best) > 0.1 * (1 - best)

    w, prmse_wa = _weighted_average(cov, var_true, K)
    above = [
        d
        for d, values in zip(names, zip(prmse_s, prmse_x, prmse_sx, strict=True), strict=True)
        if np.nanmax(values) > 1
    ]
    if above:
        warnings.warn(
            f"PRMSE value(s) above 1 for domain(s) {above}: the corresponding (augmented) "
            "subscore does not have added value",
            DataWarning,
            stacklevel=2,
        )

    out = pd.DataFrame(
        {
            "n_items": [int((dom == d).sum()) for d in names] + [wide.shape[1]],
            "n_persons": n,
            "n_complete": complete,
            "mean": scores.mean(axis=0),
            "sd": sd,
            "reliability": alpha,
            "prmse_s": np.append(prmse_s, np.nan),
            "prmse_x": np.append(prmse_x, np.nan),
            "prmse_sx": np.append(prmse_sx, np.nan),
            "added_value": pd.array(list(prmse_s > prmse_x) + [pd.NA], dtype="boolean"),
            "added_value_sx": pd.array(list(added_sx) + [pd.NA], dtype="boolean"),
            "prmse_wa": np.append(prmse_wa, np.nan),
            "added_value_wa": pd.array(list(prmse_wa > best) + [pd.NA], dtype="boolean"),
            "weight_wa": np.append(np.full(K, w), np.nan),
        },
        index=pd.Index(names + [_TOTAL], name="domain"),
    )
    return out


def _subscore_value_by(responses: Any, wide: pd.DataFrame, domains: Any, by: Any) -> pd.DataFrame:
    """:func:`subscore_value` form by form, stacked under a ``form`` index level."""
    if isinstance(by, str):
        persons = getattr(responses, "persons", None)
        if persons is None or by not in persons.columns:
            raise DataError(
                f"by={by!r} names a column of a Responses container's persons; pass a Series "
                "of forms indexed like the responses instead"
            )
        by = persons[by]
    if not isinstance(by, pd.Series):
        raise DataError(f"by must be a Series of forms indexed like responses, got {type(by)}")
    forms = by.reindex(wide.index)
    if forms.isna().any():
        raise DataError(
            f"by has no form for person(s) {list(wide.index[forms.isna()])[:5]}; expected one "
            "per response row"
        )
    frames = {}
    for form in pd.unique(forms.to_numpy()):
        block = wide[(forms == form).to_numpy()].dropna(axis=1, how="all")
        frames[form] = subscore_value(block, domains)
    return pd.concat(frames, names=["form"])


def _weighted_average(cov: np.ndarray, var_true: np.ndarray, K: int) -> tuple[float, np.ndarray]:
    """Common weight ``w`` of ``s_k + w (x - s_k)`` and the PRMSE of each domain."""
    cs = cov[:K, :K]
    vt = var_true[:K]
    rest_cov = cs.sum(axis=1) - np.diag(cs)  # Cov(s_k, x - s_k)
    var_rest = cs.sum() - 2 * cs.sum(axis=1) + np.diag(cs)  # Var(x - s_k)

    def prmse(w: float) -> np.ndarray:
        c_tau = vt + w * rest_cov  # Cov(τ_k, c_k): the error of s_k is not in the rest
        v_c = np.diag(cs) + 2 * w * rest_cov + w**2 * var_rest
        return c_tau**2 / (vt * v_c)

    def loss(w: float) -> float:
        return float(np.sum(vt * (1 - prmse(w))))

    res = minimize_scalar(loss, bounds=(0.0, 1.0), method="bounded", options={"xatol": 1e-10})
    w = float(res.x)
    for edge in (0.0, 1.0):  # the bounded search never evaluates the ends
        if loss(edge) < loss(w):
            w = edge
    return w, prmse(w)


# ---------------------------------------------------------------------------
# domain θ: EAP per domain, and the augmented (multivariate) estimate
# ---------------------------------------------------------------------------


def _parameters(calibration: Any) -> tuple[pd.DataFrame, float, float]:
    """Item parameters and the N(mean, sd²) prior of a Calibration or a parameter frame."""
    if isinstance(calibration, pd.DataFrame):
        return calibration, 0.0, 1.0
    params = getattr(calibration, "parameters", None)
    latent = getattr(calibration, "latent", None)
    if not isinstance(params, pd.DataFrame) or not isinstance(latent, dict):
        raise PvcalError(
            "calibration must be a pvcal Calibration or an item-parameter DataFrame "
            f"(IRT parameterisation), got {type(calibration).__name__}"
        )
    return params, float(latent.get("mean", 0.0)), float(latent.get("sd", 1.0))


def _domain_eap(
    params: pd.DataFrame, wide: pd.DataFrame, dom: pd.Series, names: list[str], mean, sd
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-domain EAP, posterior SD and number of answered items, each (n, D)."""
    from .irt.scoring import score

    n = wide.shape[0]
    theta = np.empty((n, len(names)))
    se = np.empty((n, len(names)))
    count = np.empty((n, len(names)), dtype=int)
    for k, d in enumerate(names):
        cols = list(dom.index[dom == d])
        est = score(params.loc[cols], wide[cols], "EAP", mean=mean, sd=sd)
        theta[:, k] = est["theta"].to_numpy()
        se[:, k] = est["se"].to_numpy()
        count[:, k] = wide[cols].notna().sum(axis=1).to_numpy()
    return theta, se, count


def _latent_covariance(
    theta: np.ndarray, se: np.ndarray, count: np.ndarray, min_items: int, names: list[str]
) -> np.ndarray:
    """Covariance of the domain θs from the domain EAPs (disattenuated, positive definite)."""
    D = theta.shape[1]
    use = count >= max(min_items, 1)
    var = np.empty(D)
    rel = np.empty(D)
    for k in range(D):
        t, s = theta[use[:, k], k], se[use[:, k], k]
        if t.size < 3:
            raise DataError(
                f"domain {names[k]!r}: fewer than 3 persons answered {min_items} or more of its "
                "items; "
                "cannot estimate the domain correlations"
            )
        v_eap = t.var()
        var[k] = v_eap + np.mean(s**2)  # law of total variance
        rel[k] = v_eap / var[k]
    cov = np.diag(var)
    for k in range(D):
        for m in range(k + 1, D):
            both = use[:, k] & use[:, m]
            if both.sum() < 3:
                continue  # no overlap: treat as uncorrelated
            c = np.cov(theta[both, k], theta[both, m], ddof=0)[0, 1] / (rel[k] * rel[m])
            lim = 0.999 * np.sqrt(var[k] * var[m])
            cov[k, m] = cov[m, k] = float(np.clip(c, -lim, lim))
    vals, vecs = np.linalg.eigh(cov)
    vals = np.clip(vals, 1e-3 * var.mean(), None)
    return (vecs * vals) @ vecs.T


def _augment(
    theta: np.ndarray, se: np.ndarray, sigma: np.ndarray, mean: float, sd: float
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and SD of every domain θ under N(mean, Σ) and Gaussian likelihoods."""
    prec = np.clip(1.0 / np.clip(se, 1e-6, None) ** 2 - 1.0 / sd**2, 0.0, None)  # (n, D)
    # precision-weighted likelihood centre: I θ_ML = θ_EAP / se² - mean / sd²
    lik = np.where(prec > 0, theta / np.clip(se, 1e-6, None) ** 2 - mean / sd**2, 0.0)
    s_inv = np.linalg.inv(sigma)
    P = s_inv[None, :, :] + prec[:, :, None] * np.eye(sigma.shape[0])[None, :, :]
    b = (s_inv @ np.full(sigma.shape[0], mean))[None, :] + lik
    cov = np.linalg.inv(P)
    post = np.einsum("nij,nj->ni", cov, b)
    return post, np.sqrt(np.einsum("nii->ni", cov))


@dataclass(frozen=True)
class Diagnosis:
    """Domain profiles of a cohort: θ per candidate and domain against the pass cut.

    Build with :func:`diagnose`.

    Attributes
    ----------
    profile : DataFrame
        Long, one row per reported person and domain: ``person``, ``domain``,
        ``n_items`` (answered), ``theta``, ``se``, ``lower``, ``upper`` (the
        ``level`` interval), ``below_cut`` (``cut - theta``), ``weak``
        (``upper < cut``), and ``theta_eap``, ``se_eap`` (the domain-only EAP).
    domains : DataFrame
        Per domain: ``n_items`` (in the item set), ``n_reported``,
        ``mean_theta``, ``share_weak``, ``variance`` (of the domain θ),
        ``prmse_eap`` and ``prmse_augmented`` (model-based, see Notes of
        :func:`diagnose`).
    correlations : DataFrame
        Estimated correlations of the domain θs.
    settings : dict
        ``cut``, ``level``, ``min_items``, ``method``, ``prior_mean``,
        ``prior_sd``.
    """

    profile: pd.DataFrame
    domains: pd.DataFrame
    correlations: pd.DataFrame
    settings: dict = field(default_factory=dict)

    # ------------------------------------------------------------- derived
    @cached_property
    def weak(self) -> pd.DataFrame:
        """Rows of :attr:`profile` flagged weak, furthest below the cut first."""
        w = self.profile[self.profile["weak"]]
        return w.sort_values(["person", "below_cut"], ascending=[True, False]).reset_index(
            drop=True
        )

    def domain_table(self, subscores: pd.DataFrame | None = None) -> pd.DataFrame:
        """Cohort table for the discipline report: one row per domain.

        Parameters
        ----------
        subscores : DataFrame, optional
            :func:`subscore_value` of the same cohort; adds ``reliability``,
            ``prmse_s``, ``prmse_x`` and ``added_value``.  With a ``form``
            level (``by=``) the values are averaged over the forms weighted by
            their persons, and ``added_value`` is ``prmse_s > prmse_x`` of
            the averages.

        Returns
        -------
        DataFrame
            Indexed by domain: ``n_items``, ``n_reported``, ``mean_theta``,
            ``cut``, ``mean_minus_cut``, ``share_weak``, ``prmse_eap``,
            ``prmse_augmented`` [, subscore columns].
        """
        out = self.domains[["n_items", "n_reported", "mean_theta"]].copy()
        out["cut"] = float(self.settings["cut"])
        out["mean_minus_cut"] = out["mean_theta"] - out["cut"]
        out["share_weak"] = self.domains["share_weak"]
        out[["prmse_eap", "prmse_augmented"]] = self.domains[["prmse_eap", "prmse_augmented"]]
        if subscores is not None:
            cols = ["reliability", "prmse_s", "prmse_x", "added_value"]
            missing = [c for c in cols if c not in subscores.columns]
            if missing:
                raise DataError(f"subscores: missing column(s) {missing}; expected subscore_value")
            sub = subscores[subscores.index.get_level_values(-1) != _TOTAL]
            if sub.index.nlevels > 1:
                w = sub["n_persons"].astype(float)
                num = ["reliability", "prmse_s", "prmse_x"]
                sums = sub[num].mul(w, axis=0).groupby(level=-1, sort=False).sum()
                sub = sums.div(w.groupby(level=-1, sort=False).sum(), axis=0)
                sub["added_value"] = sub["prmse_s"] > sub["prmse_x"]
            out = out.join(sub[cols])
        return out

    def recommend(self, modules: Any, hours: Any = None) -> pd.DataFrame:
        """Training modules for the weak domains (see :func:`recommend`)."""
        return recommend(self.profile, modules, hours=hours)

    def records(self, recommendations: pd.DataFrame | None = None) -> dict[Any, dict]:
        """Per person, the JSON-ready diagnosis a result record carries.

        Parameters
        ----------
        recommendations : DataFrame, optional
            :meth:`recommend` output.

        Returns
        -------
        dict
            Person -> ``{"cut", "level", "method", "domains": [{domain,
            n_items, theta, se, lower, upper, weak}, ...], "training":
            [{rank, domain, module, module_code, hours}, ...]}``; read back
            with :func:`profile_from_record`.  Persons without a reported
            domain are absent.
        """
        cols = ["domain", "n_items", "theta", "se", "lower", "upper", "weak"]
        base = {k: self.settings[k] for k in ("cut", "level", "method")}
        out: dict[Any, dict] = {}
        rows = to_jsonable(self.profile[cols].to_dict("records"))
        for person, row in zip(self.profile["person"].tolist(), rows, strict=True):
            if person not in out:
                out[person] = {**base, "domains": [], "training": []}
            out[person]["domains"].append(row)
        if recommendations is not None:
            keep = ["rank", "domain", "module", "module_code", "hours"]
            rows = to_jsonable(recommendations[keep].to_dict("records"))
            for person, row in zip(recommendations["person"].tolist(), rows, strict=True):
                if person in out:
                    out[person]["training"].append(row)
        return out

    def person(self, person: Any) -> pd.DataFrame:
        """The profile rows of one person."""
        rows = self.profile[self.profile["person"] == person]
        if rows.empty:
            raise PvcalError(f"person {person!r} has no reported domain in this diagnosis")
        return rows.reset_index(drop=True)

    # -------------------------------------------------------------- display
    def summary(self) -> Summary:
        s = self.settings
        n_persons = self.profile["person"].nunique()
        facts = {
            "method": s.get("method"),
            "cut (θ)": float(s.get("cut", np.nan)),
            "level": float(s.get("level", np.nan)),
            "min items": s.get("min_items"),
            "persons": int(n_persons),
            "domains": int(len(self.domains)),
            "weak flags": int(self.profile["weak"].sum()),
            "persons with a weak domain": int(
                self.profile.loc[self.profile["weak"], "person"].nunique()
            ),
        }
        notes = (
            "weak: the upper end of the level interval lies below the cut.",
            "prmse_*: proportional reduction in mean squared error of the domain θ "
            "(1 - mean posterior variance / variance of the domain θ).",
        )
        return Summary(
            title="Domain diagnosis",
            facts=facts,
            tables=(("Domains", self.domains), ("Domain correlations", self.correlations)),
            notes=notes,
        )

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def plot(self, person: Any, ax: Any = None, *, labels: dict | None = None) -> Any:
        """Profile of one person: domain θ with its interval against the cut.

        Parameters
        ----------
        person : hashable
            A value of ``profile["person"]``.
        ax : matplotlib Axes, optional
        labels : dict, optional
            Text for ``"cut"``, ``"weak"``, ``"xlabel"`` and ``"title"`` (e.g.
            translated); domain names are shown as they are.

        Returns
        -------
        matplotlib Axes
        """
        return plot_profile(self.person(person), float(self.settings["cut"]), ax=ax, labels=labels)

    # -------------------------------------------------------------- storage
    def to_dict(self) -> dict:
        """JSON-ready dictionary (frames in :mod:`pvcal.serialize`'s split form)."""
        return to_jsonable(
            {
                "pvcal_type": "Diagnosis",
                "version": 1,
                "profile": self.profile,
                "domains": self.domains,
                "correlations": self.correlations,
                "settings": dict(self.settings),
            }
        )

    def to_json(self, path: Any = None) -> str:
        """Canonical JSON (:func:`pvcal.serialize.dumps`); written to ``path`` when given."""
        text = dumps(self.to_dict())
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_dict(cls, d: Any) -> Diagnosis:
        """Rebuild a diagnosis from :meth:`to_dict`.

        Raises
        ------
        SchemaError
            Not a Diagnosis record.
        """
        check_record(d, "Diagnosis", ("profile", "domains", "correlations", "settings"))
        return cls(
            profile=frame_from_json(d["profile"]),
            domains=frame_from_json(d["domains"]),
            correlations=frame_from_json(d["correlations"]),
            settings=dict(d["settings"]),
        )

    @classmethod
    def from_json(cls, text_or_path: Any) -> Diagnosis:
        """Rebuild a diagnosis stored by :meth:`to_json` (JSON text or a path)."""
        text = str(text_or_path)
        if not text.lstrip().startswith("{"):
            text = Path(text_or_path).read_text(encoding="utf-8")
        return cls.from_dict(loads_record(text, "Diagnosis"))

    def __eq__(self, other: object) -> bool:
        return json_equal(self, other)

    __hash__ = None  # type: ignore[assignment]


def profile_from_record(record: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A person's profile rows and training advice from :meth:`Diagnosis.records`.

    Returns
    -------
    (DataFrame, DataFrame)
        Profile rows (``domain, n_items, theta, se, lower, upper, weak``) and
        training rows (``rank, domain, module, module_code, hours``).

    Raises
    ------
    SchemaError
        A record without ``cut``, ``level`` or ``domains``.
    """
    missing = [k for k in ("cut", "level", "domains") if k not in (record or {})]
    if missing:
        raise SchemaError(f"diagnosis record lacks the key(s) {missing}")
    cols = ["domain", "n_items", "theta", "se", "lower", "upper", "weak"]
    prof = pd.DataFrame(record["domains"], columns=cols)
    prof[["theta", "se", "lower", "upper"]] = prof[["theta", "se", "lower", "upper"]].astype(float)
    prof["weak"] = prof["weak"].astype(bool)
    keep = ["rank", "domain", "module", "module_code", "hours"]
    training = pd.DataFrame(record.get("training") or [], columns=keep)
    training["hours"] = pd.to_numeric(training["hours"], errors="coerce")
    return prof, training


def plot_profile(rows: pd.DataFrame, cut: float, ax: Any = None, *, labels=None) -> Any:
    """Domain θ with its interval against the cut (one person's profile rows)."""
    import matplotlib.pyplot as plt

    lab = {"cut": "pass cut", "weak": "weak", "xlabel": "θ", "title": None}
    lab.update(labels or {})
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 0.6 + 0.45 * len(rows)), layout="constrained")
    y = np.arange(len(rows))[::-1]
    weak = rows["weak"].to_numpy(dtype=bool)
    colors = np.where(weak, "#c51b7d", "#4d4d4d")
    for yi, lo, hi, c in zip(y, rows["lower"], rows["upper"], colors):
        ax.plot([lo, hi], [yi, yi], color=c, lw=2.5, solid_capstyle="butt")
    ax.scatter(rows["theta"], y, color=colors, zorder=3, s=30)
    ax.axvline(cut, color="#1b7837", ls="--", lw=1.2, label=lab["cut"])
    ax.set_yticks(y, [str(d) for d in rows["domain"]])
    ax.set_xlabel(lab["xlabel"])
    if lab["title"]:
        ax.set_title(lab["title"])
    if weak.any():
        ax.scatter([], [], color="#c51b7d", label=lab["weak"])
    ax.legend(fontsize="small", loc="best")
    return ax


def diagnose(
    calibration: Any,
    responses: Any,
    domains: Any,
    cut: float,
    level: float = 0.95,
    min_items: int = 5,
    method: str = "augmented",
) -> Diagnosis:
    """Domain θ per person with intervals, weak domains and the gain of augmentation.

    # R: per domain, mirt::fscores(mod, method = "EAP") on that domain's items

    Parameters
    ----------
    calibration : Calibration or DataFrame
        The calibration on the scale of ``cut`` (its item parameters and its
        latent N(mean, sd²) as the prior), or an item-parameter frame in the
        IRT parameterisation (prior N(0, 1)).
    responses : DataFrame or Responses
        Wide persons x items (any subset of the calibrated items; NaN = not
        answered).
    domains : Series
        Item id -> domain for every response column.
    cut : float
        The pass cut on the θ scale of the calibration.
    level : float, default 0.95
        Coverage of the two-sided interval ``theta ± z se``.
    min_items : int, default 5
        A person's domain is reported only with at least this many answered
        items (rules ``diagnosis.min_items``).
    method : {"augmented", "eap"}
        ``eap``: EAP and posterior SD on the domain's items alone.
        ``augmented``: posterior mean and SD of the domain θ given all the
        person's domain scores, under a multivariate normal prior with the
        estimated domain correlations (see Notes).

    Returns
    -------
    Diagnosis

    Raises
    ------
    DataError
        Malformed responses or domains, items without parameters.
    PvcalError
        ``level`` outside (0, 1), ``min_items`` < 1, unknown ``method``.

    Notes
    -----
    Domain EAP: the unidimensional item parameters are kept; each domain's θ
    is scored on its own items with the calibration's prior ``N(μ, σ²)``
    (61 nodes on ±6, as :func:`pvcal.irt.scoring.score`).  The domain θs are
    then on the scale of the cut.

    Augmented estimate (``method="augmented"``): a Gaussian approximation to
    the multidimensional EAP.  Each domain EAP with posterior SD ``se_d`` is
    read as a normal likelihood with precision ``I_d = 1/se_d² - 1/σ²``
    centred at ``θ_ML,d`` (so ``I_d θ_ML,d = θ_EAP,d / se_d² - μ/σ²``,
    clipped at ``I_d ≥ 0``); the domain θs get the prior ``N(μ 1, Σ)``.  The
    posterior is normal with precision ``Σ⁻¹ + diag(I)`` and mean
    ``(Σ⁻¹ + diag(I))⁻¹ (Σ⁻¹ μ 1 + I θ_ML)``.  With ``Σ = σ² Id`` it gives
    the domain EAPs back.  ``Σ`` is estimated from the cohort (persons with
    ``min_items`` answered items in a domain): ``Var(θ_d) = Var(EAP_d) +
    mean(se_d²)`` (law of total variance, divisor ``n``), reliability
    ``r_d = Var(EAP_d) / Var(θ_d)``, ``Cov(θ_d, θ_e) = Cov(EAP_d, EAP_e) /
    (r_d r_e)`` (errors of different domains are independent given θ),
    correlations clipped at ±0.999 and eigenvalues at 0.1 % of the mean
    variance.

    This is the θ-scale counterpart of Haberman's (2008) combined estimate
    ``PRMSE_sx`` and of Wainer et al.'s (2001) augmentation, chosen over
    (a) a full multidimensional EAP, whose quadrature grows as 61^D, and (b)
    Haberman's estimate on raw subscores, which needs one form and complete
    data; the Gaussian form works person by person across forms and missing
    items, from the same EAPs.  Where a domain has no added value
    (correlations near 1) it leans on the other domains; where domains are
    nearly uncorrelated it stays with the domain's own items.

    ``prmse_eap = 1 - mean(se_d²) / Var(θ_d)`` and ``prmse_augmented`` the
    same with the augmented posterior variances: the proportional reduction
    in mean squared error, Haberman's criterion on the θ scale.

    ``weak``: ``theta + z se < cut`` with ``z = Φ⁻¹((1 + level)/2)``, i.e.
    the whole interval lies below the cut.

    References
    ----------
    Haberman, S. J. (2008). When can subscores have value? *Journal of
    Educational and Behavioral Statistics*, 33(2), 204-229.
    Wainer, H., Vevea, J. L., Camacho, F., Reeve, B. B., Rosa, K., Nelson, L.,
    Swygert, K. A., & Thissen, D. (2001). Augmented scores. In D. Thissen &
    H. Wainer (Eds.), *Test scoring* (pp. 343-387). Erlbaum.
    de la Torre, J., & Patz, R. J. (2005). Making the most of what we have: A
    practical application of multidimensional item response theory in test
    scoring. *Journal of Educational and Behavioral Statistics*, 30, 295-311.

    Examples
    --------
    >>> diag = diagnose(cal, responses, items["domain"], cut=-0.3)   # doctest: +SKIP
    >>> diag.summary()                                                # doctest: +SKIP
    >>> diag.plot(diag.profile["person"].iloc[0])                     # doctest: +SKIP
    """
    method = check_choice("method", method, METHODS)
    z = _z(level)
    cut = float(cut)
    if not np.isfinite(cut):
        raise PvcalError(f"cut must be a finite θ value, got {cut!r}")
    if int(min_items) != min_items or min_items < 1:
        raise PvcalError(f"min_items must be an integer >= 1, got {min_items!r}")
    min_items = int(min_items)
    params, mean, sd = _parameters(calibration)
    sd = check_positive("prior sd", sd)
    wide = _wide(responses)
    unknown = [c for c in wide.columns if c not in params.index]
    if unknown:
        raise DataError(
            f"responses has item(s) {unknown[:5]} without calibrated parameters; expected "
            "items of the calibration"
        )
    dom = _domains(domains, wide.columns)
    names = _domain_order(dom)

    theta, se, count = _domain_eap(params, wide, dom, names, mean, sd)
    sigma = _latent_covariance(theta, se, count, min_items, names)
    # domains below min_items carry no information into the augmentation either
    use = count >= min_items
    se_in = np.where(use, se, sd)
    theta_in = np.where(use, theta, mean)
    aug, aug_se = _augment(theta_in, se_in, sigma, mean, sd)
    est, est_se = (aug, aug_se) if method == "augmented" else (theta, se)

    D = len(names)
    n = wide.shape[0]
    long = pd.DataFrame(
        {
            "person": np.repeat(wide.index.to_numpy(), D),
            "domain": np.tile(np.array(names, dtype=object), n),
            "n_items": count.ravel(),
            "theta": est.ravel(),
            "se": est_se.ravel(),
        }
    )
    long["lower"] = long["theta"] - z * long["se"]
    long["upper"] = long["theta"] + z * long["se"]
    long["below_cut"] = cut - long["theta"]
    long["weak"] = long["upper"] < cut
    long["theta_eap"] = theta.ravel()
    long["se_eap"] = se.ravel()
    long = long[use.ravel()].reset_index(drop=True)

    var = np.diag(sigma)
    sd_t = np.sqrt(var)
    prmse_eap = [1 - np.mean(se[use[:, k], k] ** 2) / var[k] for k in range(D)]
    prmse_aug = [1 - np.mean(aug_se[use[:, k], k] ** 2) / var[k] for k in range(D)]
    grouped = long.groupby("domain", sort=False)
    table = pd.DataFrame(
        {
            "n_items": [int((dom == d).sum()) for d in names],
            "n_reported": grouped.size().reindex(names).fillna(0).astype(int).to_numpy(),
            "mean_theta": grouped["theta"].mean().reindex(names).to_numpy(),
            "share_weak": grouped["weak"].mean().reindex(names).to_numpy(),
            "variance": var,
            "prmse_eap": prmse_eap,
            "prmse_augmented": prmse_aug,
        },
        index=pd.Index(names, name="domain"),
    )
    corr = pd.DataFrame(
        sigma / np.outer(sd_t, sd_t), index=pd.Index(names, name="domain"), columns=names
    )
    settings = {
        "cut": cut,
        "level": float(level),
        "min_items": min_items,
        "method": method,
        "prior_mean": mean,
        "prior_sd": sd,
    }
    return Diagnosis(profile=long, domains=table, correlations=corr, settings=settings)


def domain_profile(
    calibration: Any,
    responses: Any,
    domains: Any,
    cut: float,
    level: float = 0.95,
    min_items: int = 5,
    method: str = "augmented",
) -> pd.DataFrame:
    """Long frame of domain θ per person: ``person, domain, n_items, theta, se, weak``.

    The :attr:`Diagnosis.profile` of :func:`diagnose` with the same arguments
    (see there for the parameters, methods and formulas); also has
    ``lower``, ``upper``, ``below_cut`` (``cut - theta``), ``theta_eap`` and
    ``se_eap``.  Domains with fewer than ``min_items`` answered items for a
    person are not reported (no row).

    # R: per domain, mirt::fscores(mod, method = "EAP") on that domain's items

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1.0] * 4, "b": [-1.0, 0.0, 0.0, 1.0]},
    ...                      index=["Q1", "Q2", "Q3", "Q4"])
    >>> resp = pd.DataFrame({"Q1": [0, 1, 1], "Q2": [0, 1, 0], "Q3": [0, 1, 1],
    ...                      "Q4": [0, 1, 0]}, index=["p1", "p2", "p3"])
    >>> dom = pd.Series(["A", "A", "B", "B"], index=items.index)
    >>> prof = domain_profile(items, resp, dom, cut=0.0, min_items=2, method="eap")
    >>> prof[["person", "domain", "n_items"]].values.tolist()[:2]
    [['p1', 'A', 2], ['p1', 'B', 2]]
    """
    return diagnose(calibration, responses, domains, cut, level, min_items, method).profile


# ---------------------------------------------------------------------------
# recommendations and training demand
# ---------------------------------------------------------------------------


def _module_code(module: Any) -> Any:
    """``'QMS-101 Audit principles'`` -> ``'QMS-101'`` (the first word when it holds a digit)."""
    if module is None or (isinstance(module, float) and np.isnan(module)):
        return None
    first = str(module).strip().split(" ", 1)[0]
    return first if any(ch.isdigit() for ch in first) else str(module).strip()


def domain_modules(items: pd.DataFrame) -> pd.DataFrame:
    """The training module of each domain, from the item bank.

    Parameters
    ----------
    items : DataFrame
        items.csv (columns ``domain`` and ``training_module``; indexed or
        with a column ``item_id``).

    Returns
    -------
    DataFrame
        Indexed by domain: ``module`` (the module most of the domain's items
        name; ties broken alphabetically), ``module_code`` (its first word
        when that holds a digit, e.g. ``QMS-101``), ``n_items``.

    Raises
    ------
    DataError
        Missing columns.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"domain": ["a", "a", "b"],
    ...     "training_module": ["M-1 One", "M-1 One", "M-2 Two"]})
    >>> domain_modules(items)["module_code"].tolist()
    ['M-1', 'M-2']
    """
    if not isinstance(items, pd.DataFrame):
        raise DataError(f"items must be a DataFrame (items.csv), got {type(items).__name__}")
    missing = [c for c in ("domain", "training_module") if c not in items.columns]
    if missing:
        raise DataError(
            f"items.csv: missing column(s) {missing}; expected 'domain' and 'training_module'"
        )
    rows = items.dropna(subset=["domain", "training_module"])
    counts = (
        rows.groupby(["domain", "training_module"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["domain", "n", "training_module"], ascending=[True, False, True])
    )
    first = counts.drop_duplicates("domain").set_index("domain")
    out = pd.DataFrame(
        {
            "module": first["training_module"].astype(str),
            "module_code": first["training_module"].map(_module_code),
            "n_items": rows.groupby("domain").size().reindex(first.index).astype(int),
        }
    )
    out.index.name = "domain"
    return out


def _module_table(modules: Any) -> pd.DataFrame:
    """Normalise the module mapping to a frame indexed by domain: module, module_code, hours."""
    if isinstance(modules, pd.DataFrame) and "training_module" in modules.columns:
        table = domain_modules(modules)
    elif isinstance(modules, pd.DataFrame) and "module" in modules.columns:
        table = modules.copy()
    elif isinstance(modules, (pd.Series, dict)) or hasattr(modules, "items"):
        rows = {}
        for dom, spec in dict(modules).items():
            if hasattr(spec, "module"):  # a typed rules entry (pvcal.rules Module)
                spec = {"module": spec.module, "hours": getattr(spec, "hours", None)}
            if isinstance(spec, dict):
                if "module" not in spec:
                    raise SchemaError(
                        f"diagnosis.modules.{dom}: expected a module name or a mapping with "
                        f"'module' (and optional 'hours'), got keys {sorted(spec)}"
                    )
                rows[dom] = {"module": str(spec["module"]), "hours": spec.get("hours")}
            else:
                rows[dom] = {"module": str(spec), "hours": None}
        table = pd.DataFrame.from_dict(rows, orient="index")
    else:
        raise DataError(
            "modules must be items.csv (with 'domain' and 'training_module'), a frame "
            "indexed by domain with 'module', or a mapping domain -> module "
            f"(or -> {{module, hours}}), got {type(modules).__name__}"
        )
    table.index = table.index.astype(str)
    table.index.name = "domain"
    if "module_code" not in table.columns:
        table["module_code"] = table["module"].map(_module_code)
    if "hours" not in table.columns:
        table["hours"] = np.nan
    table["hours"] = pd.to_numeric(table["hours"], errors="coerce")
    return table[["module", "module_code", "hours"]]


def recommend(profile: pd.DataFrame, modules: Any, *, hours: Any = None) -> pd.DataFrame:
    """Training modules for each person's weak domains, furthest below the cut first.

    Parameters
    ----------
    profile : DataFrame
        :func:`domain_profile` output (``person``, ``domain``, ``theta``,
        ``below_cut`` or a cut-free ``theta`` with ``upper``, ``weak``).
    modules : DataFrame or mapping
        items.csv (the module most of a domain's items name), a frame indexed
        by domain with ``module`` [, ``hours``], or the rules' mapping domain
        -> module name or -> ``{module, hours}`` (``rules.diagnosis.modules``,
        typed entries with ``.module`` and ``.hours`` accepted).  Rules take precedence when
        both are known: pass the rules' mapping.
    hours : mapping or float, optional
        Study hours per module (by module name or code), or one number for
        every module; overrides hours from ``modules``.

    Returns
    -------
    DataFrame
        One row per weak domain: ``person``, ``rank`` (1 = furthest below the
        cut), ``domain``, ``theta``, ``upper``, ``below_cut``, ``module``,
        ``module_code``, ``hours``.  A weak domain without a module keeps a
        row with ``module`` NaN.

    Raises
    ------
    DataError
        ``profile`` without the needed columns; malformed ``modules``.

    Examples
    --------
    >>> import pandas as pd
    >>> prof = pd.DataFrame({"person": ["p1", "p1"], "domain": ["a", "b"],
    ...     "theta": [-2.0, -1.5], "upper": [-1.0, -0.6], "below_cut": [1.5, 1.0],
    ...     "weak": [True, True]})
    >>> recommend(prof, {"a": "M-1 A", "b": {"module": "M-2 B", "hours": 8}})[
    ...     ["rank", "module_code", "hours"]].values.tolist()
    [[1, 'M-1', nan], [2, 'M-2', 8.0]]
    """
    need = ("person", "domain", "theta", "upper", "below_cut", "weak")
    if not isinstance(profile, pd.DataFrame):
        raise DataError(f"profile must be a DataFrame, got {type(profile).__name__}")
    missing = [c for c in need if c not in profile.columns]
    if missing:
        raise DataError(
            f"profile: missing column(s) {missing}; expected the output of domain_profile"
        )
    table = _module_table(modules)
    weak = profile.loc[profile["weak"].astype(bool), list(need[:5])].copy()
    weak["domain"] = weak["domain"].astype(str)
    weak = weak.sort_values(["person", "below_cut"], ascending=[True, False], kind="stable")
    weak["rank"] = weak.groupby("person", sort=False).cumcount() + 1
    out = weak.join(table, on="domain")
    if hours is not None:
        if isinstance(hours, dict):
            by_name = out["module"].map(hours)
            by_code = out["module_code"].map(hours)
            out["hours"] = pd.to_numeric(by_name.fillna(by_code), errors="coerce")
        else:
            out["hours"] = check_positive("hours", hours, strict=False)
    cols = ["person", "rank", "domain", "theta", "upper", "below_cut", "module", "module_code"]
    return out[cols + ["hours"]].reset_index(drop=True)


def training_demand(
    recommendations: pd.DataFrame, candidates: pd.DataFrame | None = None, by: Any = None
) -> pd.DataFrame:
    """Candidates per training module (the cohort's training demand).

    Parameters
    ----------
    recommendations : DataFrame
        :func:`recommend` output.
    candidates : DataFrame, optional
        Person attributes indexed by the ``person`` values (e.g. ``region``,
        ``employer``); needed when ``by`` is given.
    by : str or list of str, optional
        Columns of ``candidates`` to break the demand down by.

    Returns
    -------
    DataFrame
        ``[by...,] module_code, module, candidates, hours`` (summed study
        hours, NaN when unknown), most demanded first.  A person counts once
        per module.

    Raises
    ------
    DataError
        Missing columns, or ``by`` without ``candidates``.

    Examples
    --------
    >>> import pandas as pd
    >>> rec = pd.DataFrame({"person": ["p1", "p2", "p2"], "module": ["M-1 A", "M-1 A", "M-2 B"],
    ...     "module_code": ["M-1", "M-1", "M-2"], "hours": [4.0, 4.0, 6.0]})
    >>> training_demand(rec)[["module_code", "candidates"]].values.tolist()
    [['M-1', 2], ['M-2', 1]]
    """
    need = ("person", "module", "module_code", "hours")
    if not isinstance(recommendations, pd.DataFrame):
        raise DataError(
            f"recommendations must be a DataFrame, got {type(recommendations).__name__}"
        )
    missing = [c for c in need if c not in recommendations.columns]
    if missing:
        raise DataError(f"recommendations: missing column(s) {missing}; expected recommend()")
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    rec = recommendations.dropna(subset=["module"]).drop_duplicates(["person", "module"])
    if keys:
        if candidates is None:
            raise DataError("training_demand: 'by' needs the candidates frame")
        absent = [k for k in keys if k not in candidates.columns]
        if absent:
            raise DataError(f"candidates: missing column(s) {absent} to group by")
        rec = rec.join(candidates[keys], on="person")
        rec[keys] = rec[keys].astype(object).where(rec[keys].notna(), "(unknown)")
    groups = keys + ["module_code", "module"]
    out = (
        rec.groupby(groups, dropna=False, sort=False)
        .agg(candidates=("person", "nunique"), hours=("hours", lambda h: h.sum(min_count=1)))
        .reset_index()
    )
    order = keys + ["candidates", "module_code"]
    return out.sort_values(order, ascending=[True] * len(keys) + [False, True]).reset_index(
        drop=True
    )


def training_from_results(results: pd.DataFrame, by: Any = None) -> pd.DataFrame:
    """Training demand from published results (the registry's ``detail`` column).

    Parameters
    ----------
    results : DataFrame
        :meth:`pvcal.registry.Registry.results` rows: ``application`` and
        ``detail`` (JSON text or dict holding ``diagnosis.training``), plus
        the columns named in ``by`` (e.g. ``discipline``, ``region``,
        ``employer``).
    by : str or list of str, optional
        Columns of ``results`` to break the demand down by.

    Returns
    -------
    DataFrame
        As :func:`training_demand`; a missing region or employer counts as
        ``(unknown)``.  Results without a diagnosis contribute nothing.

    Raises
    ------
    DataError
        Missing columns.

    Examples
    --------
    >>> import json, pandas as pd
    >>> det = {"diagnosis": {"training": [{"rank": 1, "domain": "law", "module": "M-4 law",
    ...                                     "module_code": "M-4", "hours": 6}]}}
    >>> res = pd.DataFrame({"application": ["a1", "a2"], "region": ["North", "North"],
    ...                     "detail": [json.dumps(det), "{}"]})
    >>> out = training_from_results(res, by="region")
    >>> out[["region", "module_code", "candidates"]].values.tolist()
    [['North', 'M-4', 1]]
    """
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    need = ["application", "detail", *keys]
    if not isinstance(results, pd.DataFrame):
        raise DataError(f"results must be a DataFrame, got {type(results).__name__}")
    missing = [c for c in need if c not in results.columns]
    if missing:
        raise DataError(f"results: missing column(s) {missing}; expected the registry's results")
    rows = []
    for app, detail in zip(results["application"], results["detail"], strict=True):
        if isinstance(detail, str):
            detail = json.loads(detail) if detail.strip() else {}
        for t in ((detail or {}).get("diagnosis") or {}).get("training") or []:
            rows.append({"person": app, **t})
    cols = ["person", "module", "module_code", "hours"]
    rec = pd.DataFrame(rows, columns=cols + ["rank", "domain"])
    rec["hours"] = pd.to_numeric(rec["hours"], errors="coerce")
    people = results.drop_duplicates("application").set_index("application")[keys] if keys else None
    return training_demand(rec, people, keys or None)
