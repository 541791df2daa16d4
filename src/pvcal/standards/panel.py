"""Panel standard-setting methods: modified Angoff, Bookmark and examinee-centred methods.

Test-centred methods (panelists judge items):

* :func:`angoff` -- modified Angoff. Each panelist rates, for every item, the
  expected score of a borderline candidate (a probability for a 0/1 item). The
  panelist's expected test score is the sum of the ratings; it goes to θ through
  the inverse test characteristic curve (:func:`tcc_inverse`).
* :func:`bookmark` -- Bookmark. Items (for polytomous items: each score
  category k >= 1) are ordered by their response-probability (RP) location, the
  θ at which ``P(X >= k | θ) = RP``; a panelist's bookmark page maps to a θ.

Examinee-centred methods (judges classify candidates):

* :func:`borderline_group`, :func:`borderline_regression`,
  :func:`contrasting_groups` (logistic regression through statsmodels).

:func:`panel_quality` gives the quality statistics of a panel: the standard
error of the cut across panelists (SD / sqrt(n)), change across rounds and
agreement.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import logit

from .._validation import DataError, ModelError, PvcalError, check_1d, check_choice, check_columns
from ..irt.models import block_params_from_frame, category_probs

__all__ = [
    "tcc_inverse",
    "max_scores",
    "rp_locations",
    "ordered_item_booklet",
    "panel_quality",
    "AngoffResult",
    "angoff",
    "BookmarkResult",
    "bookmark",
    "ExamineeCutResult",
    "borderline_group",
    "borderline_regression",
    "contrasting_groups",
]


def _items_frame(items: Any) -> pd.DataFrame:
    """Accept an item frame or anything with an ``.items`` frame (a Calibration)."""
    if isinstance(items, pd.DataFrame):
        return items
    frame = getattr(items, "items", None)
    if isinstance(frame, pd.DataFrame):
        return frame
    raise ModelError(
        f"items must be an item-parameter DataFrame or a Calibration, got {type(items).__name__}"
    )


def _py(v: Any) -> Any:
    """A numpy scalar as the plain Python value (for readable error messages)."""
    return v.item() if isinstance(v, np.generic) else v


def max_scores(items: Any) -> pd.Series:
    """Highest score of every item (1 for a dichotomous item, K for b1..bK), indexed by item id."""
    frame = _items_frame(items)
    out = np.empty(len(frame))
    for model, pos, params in block_params_from_frame(frame):
        n_cat = model.probs(params, [0.0]).shape[-1]
        out[pos] = n_cat - 1
    return pd.Series(out, index=frame.index, name="max_score")


# ---------------------------------------------------------------------------
# Test characteristic curve inversion
# ---------------------------------------------------------------------------


def tcc_inverse(
    items: Any, raw, *, D: float = 1.0, bracket: tuple[float, float] = (-12.0, 12.0)
) -> np.ndarray:
    """θ whose expected test score (test characteristic curve) equals ``raw``.

    Vectorised bisection (80 halvings of the bracket, so the error is below
    1e-20 of the bracket width in exact arithmetic; in practice machine precision).

    Parameters
    ----------
    items : DataFrame or Calibration
        Item parameters (IRT parameterisation).
    raw : array_like
        Expected (true) test scores.
    D : float, default 1.0
        Scaling constant.
    bracket : (float, float)
        Search interval for θ.

    Returns
    -------
    ndarray
        θ values, same shape as ``raw``.

    Raises
    ------
    DataError
        If a score lies outside the range the curve attains inside ``bracket``
        (at or below the sum of lower asymptotes, at or above the maximum score).

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1.0, 1.0], "b": [0.0, 0.0]}, index=["Q1", "Q2"])
    >>> round(float(tcc_inverse(items, 1.2)), 6)   # logit(0.6)
    0.405465

    # R: no direct mirt equivalent; uniroot(function(t) expected.test(mod, t) - raw, ...)
    """
    frame = _items_frame(items)
    r = np.asarray(raw, dtype=float)
    flat = np.atleast_1d(r).ravel()
    if not np.all(np.isfinite(flat)):
        raise DataError(f"expected scores must be finite, got {flat[~np.isfinite(flat)][:5]}")
    lo_t, hi_t = float(bracket[0]), float(bracket[1])
    blocks = block_params_from_frame(frame, D)  # parse the frame once, not per iteration

    def tcc(t):
        total = np.zeros(len(t))
        for model, _pos, params in blocks:
            p = model.probs(params, t)  # (J, Q, C)
            total += (p @ np.arange(p.shape[-1])).sum(axis=0)
        return total

    tcc_lo, tcc_hi = tcc(np.array([lo_t, hi_t]))
    bad = (flat <= tcc_lo) | (flat >= tcc_hi)
    if bad.any():
        v = flat[bad][0]
        raise DataError(
            f"expected test score {v:.6g} is outside the range of the test characteristic "
            f"curve ({tcc_lo:.6g}, {tcc_hi:.6g}) for θ in {bracket}; no finite θ cut "
            "(ratings at the floor or ceiling of every item, or below the guessing level)"
        )
    lo = np.full(flat.shape, lo_t)
    hi = np.full(flat.shape, hi_t)
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        above = tcc(mid) >= flat
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
        if np.all(hi - lo < 1e-13):
            break
    out = 0.5 * (lo + hi)
    return out.reshape(r.shape) if r.ndim else out.reshape(())


# ---------------------------------------------------------------------------
# Panel quality
# ---------------------------------------------------------------------------


def panel_quality(cuts: pd.DataFrame, *, value: str = "theta", csem: float | None = None):
    """Quality statistics of panelists' cuts, one row per round.

    Parameters
    ----------
    cuts : DataFrame
        Columns ``panelist``, ``round`` and ``value`` (each panelist's cut).
    value : str, default "theta"
        Column holding the cuts.
    csem : float, optional
        Conditional standard error of measurement at the cut; if given, the
        ratio ``se / csem`` is reported (Cohen, Kane & Crooks, 1999, judge it
        acceptable when at most about 0.5).

    Returns
    -------
    DataFrame
        Indexed by round: ``n``, ``mean``, ``median``, ``sd`` (ddof = 1),
        ``se`` (= sd / sqrt(n)), ``iqr``, ``min``, ``max``, ``change`` (mean
        minus the previous round's mean; NaN in the first round) and, with
        ``csem``, ``se_to_csem``.

    References
    ----------
    Cohen, A. S., Kane, M. T., & Crooks, T. J. (1999). A generalized examinee-centered
    method for setting standards on achievement tests. *Applied Measurement in
    Education*, 12(4), 343-366.
    """
    check_columns(cuts, ["panelist", "round", value])
    g = cuts.groupby("round", sort=True)[value]
    out = pd.DataFrame(
        {
            "n": g.count(),
            "mean": g.mean(),
            "median": g.median(),
            "sd": g.std(ddof=1),
            "iqr": g.quantile(0.75) - g.quantile(0.25),
            "min": g.min(),
            "max": g.max(),
        }
    )
    out.insert(4, "se", out["sd"] / np.sqrt(out["n"]))
    out["change"] = out["mean"].diff()
    if csem is not None:
        out["se_to_csem"] = out["se"] / float(csem)
    out.index.name = "round"
    return out


def _pick_round(frame: pd.DataFrame, rnd, file: str) -> Any:
    rounds = sorted(frame["round"].unique().tolist())
    if rnd is None:
        return rounds[-1]
    if rnd not in rounds:
        raise DataError(f"{file}: round {rnd!r} not found; rounds present: {rounds}")
    return rnd


# ---------------------------------------------------------------------------
# Modified Angoff
# ---------------------------------------------------------------------------


class _PanelRounds:
    """What Angoff and Bookmark results share: rounds of panelists' θ cuts.

    Needs ``round``, ``panelists`` (indexed by round and panelist, with a
    ``theta`` column), ``by_round`` (with ``se`` and ``cut``), ``cut`` and
    ``method``.
    """

    @property
    def se(self) -> float:
        """Standard error of the θ cut across panelists (SD / sqrt(n)) in the chosen round."""
        return float(self.by_round.loc[self.round, "se"])

    @cached_property
    def final(self) -> pd.DataFrame:
        """Panelists' cuts (raw or page, and θ) in the chosen round, indexed by panelist."""
        return self.panelists.xs(self.round, level="round")

    def plot(self, ax=None):
        """Panelists' θ cuts by round with the panel cut; returns the Axes."""
        return _plot_rounds(self, ax)


@dataclass(frozen=True, eq=False)
class AngoffResult(_PanelRounds):
    """Result of :func:`angoff`.

    Attributes
    ----------
    cut : float
        Panel cut on the θ scale in the chosen round: ``TCC^{-1}(mean raw)``.
    raw_cut : float
        Mean over panelists of their expected test scores.
    round : object
        Round used for ``cut``.
    panelists : DataFrame
        Indexed by (round, panelist): ``raw`` (sum of ratings) and ``theta``.
    by_round : DataFrame
        :func:`panel_quality` of the panelists' θ cuts, plus ``raw_cut``,
        ``cut`` (panel θ cut) and ``rating_correlation`` (mean pairwise Pearson
        correlation of panelists' item ratings, an agreement index).
    """

    cut: float
    raw_cut: float
    round: Any
    panelists: pd.DataFrame
    by_round: pd.DataFrame
    method: str = "angoff"
    params: dict = field(default_factory=dict)


def _plot_rounds(result, ax=None):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    p = result.panelists.reset_index()
    rounds = sorted(p["round"].unique().tolist())
    pos = {r: i for i, r in enumerate(rounds)}
    for _, grp in p.groupby("panelist"):
        x = [pos[r] for r in grp["round"]]
        ax.plot(x, grp["theta"], "o-", color="0.6", lw=0.8, ms=3)
    ax.plot(range(len(rounds)), result.by_round.loc[rounds, "cut"], "s-", color="k", label="panel")
    ax.set_xticks(range(len(rounds)), [str(r) for r in rounds])
    ax.set_xlabel("round")
    ax.set_ylabel("θ cut")
    ax.set_title(f"{result.method.capitalize()}: cut θ = {result.cut:.3f} (se {result.se:.3f})")
    ax.legend()
    return ax


def _mean_pairwise_corr(mat: np.ndarray) -> float:
    if mat.shape[0] < 2:
        return float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.corrcoef(mat)
    iu = np.triu_indices_from(c, k=1)
    vals = c[iu]
    vals = vals[np.isfinite(vals)]
    return float(vals.mean()) if vals.size else float("nan")


def angoff(
    ratings: pd.DataFrame,
    items: Any,
    *,
    round: Any = None,  # noqa: A002 - the data column is called "round"
    rating: str = "score",
    D: float = 1.0,
    file: str = "angoff ratings",
) -> AngoffResult:
    """Modified Angoff cut: item ratings -> expected test score -> θ.

    Parameters
    ----------
    ratings : DataFrame
        Long ratings with columns ``panelist``, ``round``, ``item_id``,
        ``rating``. Every panelist rates every item in each round they take part in.
    items : DataFrame or Calibration
        Item parameters (IRT parameterisation) indexed by item id.
    round : optional
        Round whose ratings set the cut; default the last round.
    rating : {"score", "proportion"}
        ``"score"``: a rating is the borderline candidate's expected item score,
        0..max_score (a probability for a 0/1 item). ``"proportion"``: a rating
        is a proportion of the item's maximum, 0..1, multiplied by max_score.
    D : float, default 1.0
        Scaling constant.
    file : str
        Name used in error messages.

    Returns
    -------
    AngoffResult

    Raises
    ------
    DataError
        Unknown items, missing or duplicate ratings, ratings outside the
        allowed range, an expected score with no finite θ.

    Notes
    -----
    Panelist p's expected test score is ``R_p = Σ_j r_pj``; the panel's raw cut
    is ``R = mean_p R_p`` and the θ cut ``θ_c = TCC^{-1}(R)`` where
    ``TCC(θ) = Σ_j E[X_j | θ]``. Each panelist's own cut is ``TCC^{-1}(R_p)``,
    and the panel's standard error is ``SD_p(θ_p) / sqrt(P)``.

    References
    ----------
    Angoff, W. H. (1971). Scales, norms, and equivalent scores. In R. L. Thorndike
    (Ed.), *Educational Measurement* (2nd ed., pp. 508-600).
    Cizek, G. J., & Bunch, M. B. (2007). *Standard Setting*. Sage, ch. 6.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1.0, 1.0], "b": [0.0, 0.0]}, index=["Q1", "Q2"])
    >>> r = pd.DataFrame({"panelist": [1, 1], "round": [1, 1], "item_id": ["Q1", "Q2"],
    ...                   "rating": [0.6, 0.6]})
    >>> round(angoff(r, items).cut, 6)   # TCC^-1(1.2) = logit(0.6)
    0.405465
    """
    frame = _items_frame(items)
    rating = check_choice("rating", rating, ["score", "proportion"])
    check_columns(ratings, ["panelist", "round", "item_id", "rating"], file=file)
    if len(ratings) == 0:
        raise DataError(f"{file}: no ratings")
    # item ids are compared as strings, so 7 in a CSV matches "7" in the item bank
    ids = ratings["item_id"].astype(str)
    known = pd.Index(frame.index.astype(str))
    unknown = ~ids.isin(known)
    if unknown.any():
        row = ratings.index[np.flatnonzero(unknown.to_numpy())[0]]
        raise DataError(
            f"{file}, row {row}: item {ids.loc[row]!r} is not in the item bank "
            f"(items: {list(known[:10])}{'...' if len(known) > 10 else ''})"
        )
    vals = pd.to_numeric(ratings["rating"], errors="coerce").to_numpy(float)
    mx = max_scores(frame)
    mx.index = known
    upper = mx.reindex(ids).to_numpy(float) if rating == "score" else np.ones(len(vals))
    bad = ~np.isfinite(vals) | (vals < 0) | (vals > upper)
    if bad.any():
        k = np.flatnonzero(bad)[0]
        row = ratings.index[k]
        rng_txt = f"0..{upper[k]:g} (the item's score range)" if rating == "score" else "0..1"
        raise DataError(
            f"{file}, row {row}, panelist {_py(ratings['panelist'].iloc[k])!r}, "
            f"item {ids.iloc[k]!r}: "
            f"rating {_py(ratings['rating'].iloc[k])!r} is outside {rng_txt}"
        )
    data = pd.DataFrame(
        {
            "panelist": ratings["panelist"].to_numpy(),
            "round": ratings["round"].to_numpy(),
            "item_id": ids.to_numpy(),
            "score": vals * (1.0 if rating == "score" else mx.reindex(ids).to_numpy(float)),
        }
    )
    dup = data.duplicated(["panelist", "round", "item_id"])
    if dup.any():
        k = np.flatnonzero(dup.to_numpy())[0]
        raise DataError(
            f"{file}, row {ratings.index[k]}: duplicate rating for panelist "
            f"{_py(data['panelist'].iloc[k])!r}, round {_py(data['round'].iloc[k])!r}, "
            f"item {data['item_id'].iloc[k]!r}"
        )
    wide = data.pivot(index=["round", "panelist"], columns="item_id", values="score")
    missing_cols = [i for i in known if i not in wide.columns]
    wide = wide.reindex(columns=list(known))
    if wide.isna().any().any():
        rnd, pan = wide.index[np.flatnonzero(wide.isna().any(axis=1).to_numpy())[0]]
        miss = [c for c in wide.columns if pd.isna(wide.loc[(rnd, pan), c])]
        raise DataError(
            f"{file}: panelist {_py(pan)!r} in round {_py(rnd)!r} has no rating for "
            f"item(s) {miss[:5]}"
            f"{' (never rated by anyone: ' + str(missing_cols[:5]) + ')' if missing_cols else ''}"
            "; the modified Angoff method needs a rating for every item"
        )
    chosen = _pick_round(data, round, file)
    raw = wide.sum(axis=1)
    theta = tcc_inverse(frame, raw.to_numpy(), D=D)
    panelists = pd.DataFrame({"raw": raw.to_numpy(), "theta": theta}, index=wide.index)
    quality = panel_quality(panelists.reset_index(), value="theta")
    raw_cut = panelists.groupby(level="round")["raw"].mean()
    quality["raw_cut"] = raw_cut
    quality["cut"] = tcc_inverse(frame, raw_cut.to_numpy(), D=D)
    quality["rating_correlation"] = [
        _mean_pairwise_corr(wide.xs(r, level="round").to_numpy()) for r in quality.index
    ]
    return AngoffResult(
        cut=float(quality.loc[chosen, "cut"]),
        raw_cut=float(quality.loc[chosen, "raw_cut"]),
        round=chosen,
        panelists=panelists,
        by_round=quality,
        params={"round": chosen, "rating": rating, "D": D, "aggregate": "mean of raw"},
    )


# ---------------------------------------------------------------------------
# Bookmark
# ---------------------------------------------------------------------------


def _bisect_gpcm_location(items: pd.DataFrame, item, k: int, rp: float, D: float) -> float:
    one = items.loc[[item]]
    lo, hi = -30.0, 30.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        p = category_probs(one, [mid], D)[0][0]
        if p[k:].sum() >= rp:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def rp_locations(items: Any, *, rp: float = 0.67, D: float = 1.0) -> pd.DataFrame:
    """Response-probability locations of every item score category.

    The location of category ``k >= 1`` of item ``j`` is the θ at which
    ``P(X_j >= k | θ) = rp``:

    * 2PL: ``b + ln(rp / (1 - rp)) / (D a)``;
    * 3PL: ``b + ln((rp - c) / (1 - rp)) / (D a)`` (needs ``rp > c``);
    * GRM: ``b_k + ln(rp / (1 - rp)) / (D a)`` (the GRM's cumulative curve);
    * GPCM: solved numerically (``P(X >= k)`` increases with θ).

    Parameters
    ----------
    items : DataFrame or Calibration
        Item parameters (IRT parameterisation).
    rp : float, default 0.67
        Response probability, in (0, 1).
    D : float, default 1.0
        Scaling constant.

    Returns
    -------
    DataFrame
        Columns ``item_id``, ``category`` (1..max), ``location``, in item order.

    Raises
    ------
    ModelError
        If ``rp`` is not above a 3PL item's lower asymptote.
    """
    frame = _items_frame(items)
    if not (isinstance(rp, (int, float)) and 0 < float(rp) < 1):
        raise PvcalError(f"rp (response probability) must lie in (0, 1), got {rp!r}")
    rp = float(rp)
    lg = math.log(rp / (1 - rp))
    rows: list[tuple[Any, int, float]] = []
    models = frame["model"].astype(str).str.upper() if "model" in frame.columns else None
    bcols = [c for c in frame.columns if isinstance(c, str) and c[:1] == "b" and c[1:].isdigit()]
    bcols = sorted(bcols, key=lambda c: int(c[1:]))
    for item in frame.index:
        row = frame.loc[item]
        a = float(row["a"]) * D
        m = models.loc[item] if models is not None else None
        poly = bcols and ("b" not in frame.columns or pd.isna(row.get("b", np.nan)))
        if not poly:
            c = float(row["c"]) if "c" in frame.columns and pd.notna(row["c"]) else 0.0
            if rp <= c:
                raise ModelError(
                    f"item {item!r}: rp={rp} is not above the lower asymptote c={c:.3g}; "
                    "no response-probability location"
                )
            rows.append((item, 1, float(row["b"]) + math.log((rp - c) / (1 - rp)) / a))
            continue
        thr = [float(row[b]) for b in bcols if pd.notna(row[b])]
        for k, bk in enumerate(thr, start=1):
            if m is not None and m in ("GPCM", "PCM"):
                loc = _bisect_gpcm_location(frame, item, k, rp, D)
            else:
                loc = bk + lg / a
            rows.append((item, k, loc))
    return pd.DataFrame(rows, columns=["item_id", "category", "location"])


def ordered_item_booklet(items: Any, *, rp: float = 0.67, D: float = 1.0) -> pd.DataFrame:
    """The ordered item booklet: one page per item score category, easiest first.

    Pages are sorted by :func:`rp_locations` (ties keep item order).

    Returns
    -------
    DataFrame
        Indexed by ``page`` (1..n_pages): ``item_id``, ``category``, ``location``.

    References
    ----------
    Mitzel, H. C., Lewis, D. M., Patz, R. J., & Green, D. R. (2001). The Bookmark
    procedure: Psychological perspectives. In G. J. Cizek (Ed.), *Setting
    Performance Standards* (pp. 249-281). Erlbaum.
    """
    locs = rp_locations(items, rp=rp, D=D)
    book = locs.sort_values("location", kind="stable").reset_index(drop=True)
    book.index = pd.RangeIndex(1, len(book) + 1, name="page")
    return book


@dataclass(frozen=True, eq=False)
class BookmarkResult(_PanelRounds):
    """Result of :func:`bookmark`.

    Attributes
    ----------
    cut : float
        Panel cut on θ (median or mean of the panelists' cuts) in the chosen round.
    round : object
        Round used.
    panelists : DataFrame
        Indexed by (round, panelist): ``page`` and ``theta``.
    by_round : DataFrame
        :func:`panel_quality` of the panelists' θ cuts with ``cut`` (the aggregate).
    booklet : DataFrame
        The ordered item booklet (:func:`ordered_item_booklet`).
    """

    cut: float
    round: Any
    panelists: pd.DataFrame
    by_round: pd.DataFrame
    booklet: pd.DataFrame
    method: str = "bookmark"
    params: dict = field(default_factory=dict)


def _given_booklet(booklet: pd.DataFrame, items: Any, *, rp: float, D: float) -> pd.DataFrame:
    check_columns(booklet, ["page", "item_id"], file="bookmark booklet")
    pages = pd.to_numeric(booklet["page"], errors="coerce")
    if pages.isna().any() or sorted(pages.astype(int)) != list(range(1, len(booklet) + 1)):
        raise DataError("bookmark booklet: pages must be 1..n, each once")
    locs = rp_locations(items, rp=rp, D=D)
    locs["key"] = locs["item_id"].astype(str) + "#" + locs["category"].astype(str)
    cat = booklet["category"] if "category" in booklet.columns else pd.Series(1, booklet.index)
    keys = booklet["item_id"].astype(str) + "#" + cat.astype(int).astype(str)
    where_ = dict(zip(locs["key"], locs["location"], strict=True))
    missing = [k for k in keys if k not in where_]
    if missing:
        raise DataError(
            f"bookmark booklet: page item(s) {[m.replace('#', ' category ') for m in missing[:5]]}"
            " are not in the item parameters"
        )
    book = pd.DataFrame(
        {
            "item_id": booklet["item_id"].astype(str).to_numpy(),
            "category": cat.astype(int).to_numpy(),
            "location": [where_[k] for k in keys],
        },
        index=pd.Index(pages.astype(int).to_numpy(), name="page"),
    ).sort_index()
    if np.any(np.diff(book["location"].to_numpy()) < 0):
        warnings.warn(
            "bookmark booklet: the RP locations of its pages under these item parameters are "
            "not in page order; each page keeps its own location",
            UserWarning,
            stacklevel=3,
        )
    return book


def bookmark_theta(pages, locations, *, placement: str = "before", file: str = "bookmark"):
    """θ cut for bookmark ``pages`` given the booklet's page ``locations`` (1-based pages)."""
    loc = np.asarray(locations, float)
    pg = np.asarray(pages)
    n = len(loc)
    pgf = pd.to_numeric(pd.Series(pg), errors="coerce").to_numpy(float)
    lo = 2 if placement in ("before", "midpoint") else 1
    bad = ~np.isfinite(pgf) | (pgf != np.round(pgf)) | (pgf < lo) | (pgf > n)
    if bad.any():
        k = np.flatnonzero(bad)[0]
        raise DataError(
            f"{file}: page {_py(pg[k])!r} at position {k} is not a page number {lo}..{n} of the "
            f"ordered item booklet (placement={placement!r}"
            + (": a bookmark on page 1 leaves no page before it" if lo == 2 else "")
            + ")"
        )
    p = pgf.astype(int)
    if placement == "on":
        return loc[p - 1]
    if placement == "before":
        return loc[p - 2]
    return 0.5 * (loc[p - 2] + loc[p - 1])


def bookmark(
    placements: pd.DataFrame,
    items: Any,
    *,
    rp: float = 0.67,
    placement: str = "before",
    aggregate: str = "median",
    round: Any = None,  # noqa: A002
    booklet: pd.DataFrame | None = None,
    D: float = 1.0,
    file: str = "bookmark placements",
) -> BookmarkResult:
    """Bookmark cut from panelists' page placements in the ordered item booklet.

    Parameters
    ----------
    placements : DataFrame
        Columns ``panelist``, ``round``, ``page`` (1-based page of the booklet
        where the panelist put the bookmark).
    items : DataFrame or Calibration
        Item parameters (IRT parameterisation).
    rp : float, default 0.67
        Response probability that orders the booklet (RP67). The location is the
        θ where ``P(X >= k) = rp``, i.e. ``b + ln(rp/(1-rp))/a`` for a 2PL
        (not ``b + ln 2 / a``, which is only RP 2/3).
    placement : {"before", "on", "midpoint"}
        Convention mapping a bookmark on page ``p`` (the first page the borderline
        candidate is *not* expected to master at RP) to θ: the location of page
        ``p - 1`` (``"before"``, the last page mastered; Mitzel et al., 2001), of
        page ``p`` (``"on"``), or the midpoint of the two.
    aggregate : {"median", "mean"}
        How panelists' θ cuts are combined.
    round : optional
        Round setting the cut; default the last.
    booklet : DataFrame, optional
        The booklet the panel actually used: ``page``, ``item_id`` and, for
        polytomous items, ``category`` (default 1). Each page's θ is the RP
        location of that item category under ``items``; a ``UserWarning`` says
        so when those locations are not in page order (the booklet was ordered
        under other parameters). Default: the booklet ordered under ``items``.
    D : float, default 1.0
    file : str
        Name used in error messages.

    Returns
    -------
    BookmarkResult

    Raises
    ------
    DataError
        Pages that are not pages of the booklet, duplicate placements.

    References
    ----------
    Mitzel, H. C., Lewis, D. M., Patz, R. J., & Green, D. R. (2001). The Bookmark
    procedure. In G. J. Cizek (Ed.), *Setting Performance Standards*. Erlbaum.
    Huynh, H. (2006). A clarification on the response probability criterion RP67
    for standard settings based on bookmark and item mapping. *Educational
    Measurement: Issues and Practice*, 25(2), 19-20.
    """
    placement = check_choice("placement", placement, ["before", "on", "midpoint"])
    aggregate = check_choice("aggregate", aggregate, ["median", "mean"])
    check_columns(placements, ["panelist", "round", "page"], file=file)
    if len(placements) == 0:
        raise DataError(f"{file}: no bookmark placements")
    dup = placements.duplicated(["panelist", "round"])
    if dup.any():
        row = placements.index[np.flatnonzero(dup.to_numpy())[0]]
        raise DataError(
            f"{file}, row {row}: a second bookmark for panelist "
            f"{_py(placements.loc[row, 'panelist'])!r} in round "
            f"{_py(placements.loc[row, 'round'])!r}"
        )
    if booklet is None:
        book = ordered_item_booklet(items, rp=rp, D=D)
    else:
        book = _given_booklet(booklet, items, rp=rp, D=D)
    theta = bookmark_theta(
        placements["page"].to_numpy(), book["location"].to_numpy(), placement=placement, file=file
    )
    panelists = pd.DataFrame(
        {"page": placements["page"].to_numpy().astype(int), "theta": theta},
        index=pd.MultiIndex.from_arrays(
            [placements["round"].to_numpy(), placements["panelist"].to_numpy()],
            names=["round", "panelist"],
        ),
    ).sort_index()
    chosen = _pick_round(placements, round, file)
    quality = panel_quality(panelists.reset_index(), value="theta")
    quality["cut"] = quality[aggregate]
    return BookmarkResult(
        cut=float(quality.loc[chosen, "cut"]),
        round=chosen,
        panelists=panelists,
        by_round=quality,
        booklet=book,
        params={
            "rp": float(rp),
            "placement": placement,
            "aggregate": aggregate,
            "round": chosen,
            "D": D,
            "location": "theta where P(X >= k | theta) = rp",
        },
    )


# ---------------------------------------------------------------------------
# Examinee-centred methods
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ExamineeCutResult:
    """Result of an examinee-centred method (borderline group / regression, contrasting groups).

    Attributes
    ----------
    cut : float
        Cut on the scale of ``scores``.
    se : float
        Its standard error (method-specific; see the function).
    n : int
        Number of candidates used.
    method : str
    params : dict
    fit : object, optional
        The statsmodels results object, where one was fitted.
    """

    cut: float
    se: float
    n: int
    method: str
    params: dict = field(default_factory=dict)
    fit: Any = None


def _paired(scores, other, name: str) -> tuple[np.ndarray, np.ndarray]:
    s = check_1d("scores", scores)
    o = np.asarray(other)
    if o.ndim != 1 or len(o) != len(s):
        raise DataError(f"{name} must have one value per candidate ({len(s)}), got shape {o.shape}")
    return s, o


def borderline_group(
    scores, borderline, *, statistic: str = "median", borderline_value: Any = True
) -> ExamineeCutResult:
    """Borderline-group cut: the median (or mean) score of candidates judged borderline.

    Parameters
    ----------
    scores : array_like
        Candidates' scores (θ or summed scores).
    borderline : array_like
        One judgement per candidate; those equal to ``borderline_value`` form the group.
    statistic : {"median", "mean"}
    borderline_value : default True

    Returns
    -------
    ExamineeCutResult
        ``se`` is ``sd/sqrt(n)`` for the mean and ``sqrt(pi/2)·sd/sqrt(n)`` for
        the median (its large-sample value under normality).

    Raises
    ------
    DataError
        Fewer than two borderline candidates.

    References
    ----------
    Livingston, S. A., & Zieky, M. J. (1982). *Passing Scores*. ETS.
    """
    statistic = check_choice("statistic", statistic, ["median", "mean"])
    s, b = _paired(scores, borderline, "borderline")
    grp = s[b == borderline_value]
    if grp.size < 2:
        raise DataError(
            f"borderline group has {grp.size} candidate(s) judged {borderline_value!r}; need >= 2"
        )
    sd = float(np.std(grp, ddof=1))
    if statistic == "median":
        cut, se = float(np.median(grp)), math.sqrt(math.pi / 2) * sd / math.sqrt(grp.size)
    else:
        cut, se = float(np.mean(grp)), sd / math.sqrt(grp.size)
    return ExamineeCutResult(cut, se, int(grp.size), "borderline_group", {"statistic": statistic})


def borderline_regression(scores, ratings, *, borderline: float) -> ExamineeCutResult:
    """Borderline-regression cut: regress score on the judges' global rating.

    Ordinary least squares ``score = β0 + β1·rating`` (statsmodels OLS); the cut
    is the predicted score at the borderline rating, ``β0 + β1·borderline``,
    with the standard error of that predicted mean.

    # R: predict(lm(score ~ rating), data.frame(rating = borderline), se.fit = TRUE)

    Parameters
    ----------
    scores : array_like
        Candidates' scores.
    ratings : array_like
        Numeric global ratings (e.g. 1 = clear fail, 2 = borderline, 3 = clear pass).
    borderline : float
        The rating value that means borderline.

    Raises
    ------
    DataError
        Non-numeric ratings, fewer than three candidates or a single rating value.

    References
    ----------
    Kramer, A., et al. (2003). Comparison of a rational and an empirical standard
    setting procedure for an OSCE. *Medical Education*, 37, 132-139.
    """
    import statsmodels.api as sm

    s, r = _paired(scores, ratings, "ratings")
    r = pd.to_numeric(pd.Series(r), errors="coerce").to_numpy(float)
    if not np.all(np.isfinite(r)):
        raise DataError("ratings must be numeric global ratings for every candidate")
    if len(s) < 3 or np.unique(r).size < 2:
        raise DataError("borderline regression needs >= 3 candidates and >= 2 distinct ratings")
    fit = sm.OLS(s, sm.add_constant(r, has_constant="add")).fit()
    pred = fit.get_prediction(np.array([[1.0, float(borderline)]]))
    cut = float(pred.predicted_mean[0])
    se = float(pred.se_mean[0])
    return ExamineeCutResult(
        cut, se, len(s), "borderline_regression", {"borderline": float(borderline)}, fit
    )


def contrasting_groups(scores, competent, *, p: float = 0.5) -> ExamineeCutResult:
    """Contrasting-groups cut by logistic regression of the judges' classification on score.

    ``logit P(competent | score) = β0 + β1·score`` (statsmodels Logit); the cut
    is the score where ``P = p``: ``(logit(p) - β0) / β1``, with a delta-method
    standard error.

    # R: glm(competent ~ score, family = binomial)

    Parameters
    ----------
    scores : array_like
    competent : array_like of bool or 0/1
        The judges' classification of each candidate.
    p : float, default 0.5

    Raises
    ------
    DataError
        A group is empty, or the classification is not 0/1.
    ModelError
        Perfect separation or a non-positive slope.

    References
    ----------
    Livingston, S. A., & Zieky, M. J. (1982). *Passing Scores*. ETS.
    Sireci, S. G., Robin, F., & Patelis, T. (1999). Using cluster analysis to
    facilitate standard setting. *Applied Measurement in Education*, 12, 301-325.
    """
    import statsmodels.api as sm

    if not 0 < float(p) < 1:
        raise PvcalError(f"p must lie in (0, 1), got {p!r}")
    s, c = _paired(scores, competent, "competent")
    y = pd.to_numeric(pd.Series(c), errors="coerce").to_numpy(float)
    if not np.all(np.isin(y, [0.0, 1.0])):
        raise DataError("competent must be a 0/1 (or bool) classification for every candidate")
    if y.sum() == 0 or y.sum() == len(y):
        raise DataError("contrasting groups need candidates in both groups (competent and not)")
    X = sm.add_constant(s, has_constant="add")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fit = sm.Logit(y, X).fit(disp=0)
    except Exception as exc:  # statsmodels raises/warns on perfect separation
        raise ModelError(
            f"contrasting-groups logistic regression failed ({type(exc).__name__}: {exc}); "
            "the groups may be perfectly separated by score"
        ) from None
    b0, b1 = (float(v) for v in fit.params)
    if b1 <= 0:
        raise ModelError(
            f"contrasting-groups slope is {b1:.4g}; competent candidates should score higher"
        )
    lp = float(logit(p))
    cut = (lp - b0) / b1
    grad = np.array([-1.0 / b1, -(lp - b0) / b1**2])
    se = float(np.sqrt(grad @ np.asarray(fit.cov_params()) @ grad))
    return ExamineeCutResult(cut, se, len(s), "contrasting_groups", {"p": float(p)}, fit)
