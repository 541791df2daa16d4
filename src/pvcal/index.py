"""The benchmark index (基准指数) of a discipline and period.

A :class:`BenchmarkIndex` holds the three θ cuts (Pass, Good, Excellent) with
the methods that set them, the standard-score conversion, the pass-line index
on the reported scale with its bootstrap uncertainty, N, the pass rate, the
grade distribution and the classification accuracy. It is a published value:
built once by :meth:`BenchmarkIndex.estimate`, stored through
:meth:`~BenchmarkIndex.to_record` (JSON-ready, with sha256 hashes of every
input) and read back by :meth:`~BenchmarkIndex.from_record`.

Standard score
--------------
The rules file's ``standard_score:`` block fixes a linear map
``score = pass_score + scale · (θ - θ_anchor)``, rounded half-up to
``decimals`` places and then clipped to ``[lower, upper]``. By default the
anchor is the period's own pass cut, so the pass line sits at ``pass_score``
every period; a fixed ``anchor_theta`` (e.g. the base period's pass cut) may be
given instead, and then the pass-line index moves with the cut.

Grades
------
A candidate's grade is read off the **reported** (rounded, clipped) standard
score: ``Fail < Pass <= score < Good <= ... `` where each cut's standard score
is the unrounded image of its θ cut; a score on a cut belongs to the upper grade.

Uncertainty
-----------
Candidates are resampled with replacement and, for panel methods, panelists
(seeded). Every cut is re-set in each replicate; the conversion is held fixed,
so the pass-line index varies as ``pass_score + scale · (θ*_pass - θ_anchor)``.
Standard errors are bootstrap SDs (ddof = 1), intervals percentile intervals.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from . import rules as _rules
from ._summary import Summary
from ._validation import DataError, PvcalError, SchemaError, check_1d, check_probability
from .rules import ROUNDING
from .serialize import dumps, json_equal, loads_record, to_jsonable
from .standards import GRADES, classification, near_cut, set_cuts

__all__ = [
    "GRADE_LABELS",
    "StandardScoreMap",
    "BenchmarkIndex",
    "estimate_index",
    "input_hash",
    "round_half_up",
]

#: Grade labels, lowest first (Art. 12).
GRADE_LABELS = ("Fail",) + GRADES
RECORD_KIND = "pvcal.BenchmarkIndex"
RECORD_VERSION = 1


def round_half_up(x, decimals: int = 0):
    """Round half up, i.e. towards +∞ (``2.5 -> 3``, ``-2.5 -> -2``): ``floor(x + 0.5)``.

    The scaled value is first rounded to 9 decimals so that binary
    representation error (``59.49999999999999``) does not decide a grade.
    """
    f = 10.0**decimals
    return np.floor(np.round(np.asarray(x, float) * f, 9) + 0.5) / f


@dataclass(frozen=True)
class StandardScoreMap:
    """Linear θ -> standard score map with half-up rounding and bounds.

    ``score = pass_score + scale · (θ - anchor_theta)``, rounded half-up to
    ``decimals`` places, then clipped to ``[lower, upper]``.
    """

    pass_score: float = 60.0
    scale: float = 10.0
    anchor_theta: float = 0.0
    lower: float = 0.0
    upper: float = 100.0
    decimals: int = 0
    rounding: str = "half-up"
    anchor: str = "pass_cut"

    def __post_init__(self):
        if not (math.isfinite(self.scale) and self.scale > 0):
            raise SchemaError(f"standard_score: scale must be a positive number, got {self.scale}")
        if not self.lower < self.upper:
            raise SchemaError(f"standard_score: need lower < upper, got {self.lower}, {self.upper}")
        if not self.lower <= self.pass_score <= self.upper:
            raise SchemaError(
                f"standard_score: pass_score {self.pass_score} lies outside the bounds "
                f"[{self.lower}, {self.upper}]"
            )
        if str(self.rounding).replace("-", "_") not in ROUNDING:  # records spell it half-up
            raise SchemaError(
                f"standard_score: rounding must be one of {list(ROUNDING)}, got {self.rounding!r}"
            )
        object.__setattr__(self, "rounding", "half-up")
        if int(self.decimals) != self.decimals or self.decimals < 0:
            raise SchemaError(
                f"standard_score: decimals must be an integer >= 0, got {self.decimals}"
            )

    @classmethod
    def from_rules(cls, block: Any, *, pass_theta: float) -> StandardScoreMap:
        """Build from a rules file's ``scale.standard_score`` block.

        ``block`` is the typed :class:`pvcal.rules.StandardScore` (``rules.standard_score``)
        or a mapping validated as one: ``pass_score`` (or ``pass``), ``scale`` (or
        ``slope``: points per θ unit), optional ``anchor_theta`` (default:
        ``pass_theta``), ``min``/``lower`` (default 0), ``max``/``upper`` (default
        100), ``decimals`` (default 0), ``rounding`` (:data:`pvcal.rules.ROUNDING`).

        Raises
        ------
        RulesError
            Missing or unknown keys, bad values (named by key path).
        """
        ss = _rules.section(_rules.StandardScore, block, "scale.standard_score")
        fixed = ss.anchor_theta is not None
        return cls(
            pass_score=ss.pass_score,
            scale=ss.scale,
            anchor_theta=float(ss.anchor_theta if fixed else pass_theta),
            lower=ss.min,
            upper=ss.max,
            decimals=ss.decimals,
            rounding=ss.rounding,
            anchor="fixed" if fixed else "pass_cut",
        )

    def __call__(self, theta, *, rounded: bool = True):
        """Standard score of ``theta`` (rounded and clipped unless ``rounded=False``)."""
        raw = self.pass_score + self.scale * (np.asarray(theta, float) - self.anchor_theta)
        if not rounded:
            return raw
        return np.clip(round_half_up(raw, self.decimals), self.lower, self.upper)

    def to_dict(self) -> dict:
        return {
            "formula": "pass_score + scale * (theta - anchor_theta), rounded half-up to "
            "`decimals`, then clipped to [lower, upper]",
            "pass_score": self.pass_score,
            "scale": self.scale,
            "anchor_theta": self.anchor_theta,
            "anchor": self.anchor,
            "lower": self.lower,
            "upper": self.upper,
            "decimals": self.decimals,
            "rounding": self.rounding,
        }

    @classmethod
    def from_dict(cls, d: dict) -> StandardScoreMap:
        return cls(
            **{
                k: d[k]
                for k in (
                    "pass_score",
                    "scale",
                    "anchor_theta",
                    "lower",
                    "upper",
                    "decimals",
                    "rounding",
                    "anchor",
                )
            }
        )


def input_hash(obj: Any) -> str | None:
    """sha256 of an input in a canonical text form (CSV for tables, sorted JSON for mappings)."""
    if obj is None:
        return None
    if hasattr(obj, "items") and isinstance(obj.items, pd.DataFrame):
        obj = obj.items  # a Calibration
    if isinstance(obj, pd.Series):
        obj = obj.to_frame()
    if isinstance(obj, pd.DataFrame):
        text = obj.to_csv(lineterminator="\n")
    elif isinstance(obj, dict | list | tuple) and not isinstance(obj, np.ndarray):
        try:
            text = json.dumps(obj, sort_keys=True, default=str)
        except TypeError:
            text = repr(obj)
    else:
        text = pd.DataFrame(np.asarray(obj)).to_csv(lineterminator="\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _interval(x: np.ndarray, level: float) -> list[float]:
    a = (1 - level) / 2
    lo, hi = np.quantile(x, [a, 1 - a])
    return [float(lo), float(hi)]


@dataclass(frozen=True, eq=False)
class BenchmarkIndex:
    """The benchmark index of one discipline and period (a published value).

    Build with :meth:`estimate`; all fields are plain JSON-ready values so that
    :meth:`to_record` / :meth:`from_record` round-trip exactly.

    Attributes
    ----------
    discipline, period : str
    cuts : dict
        θ cut of each grade (``Pass``, ``Good``, ``Excellent``) on the base scale.
    methods : dict
        Per grade: ``method``, ``params`` (with defaults filled in), and the
        method's own ``raw`` cut, ``se`` and ``n`` where it has them.
    conversion : StandardScoreMap
    n : int
        Number of candidates.
    pass_rate : float
        Share of candidates graded Pass or better.
    distribution : dict
        Share of candidates in each grade (Fail, Pass, Good, Excellent).
    uncertainty : dict
        Bootstrap results: ``n_boot``, ``seed``, ``level``, ``resampled``,
        ``cuts_se``, ``cuts_ci``, ``pass_index_se``, ``pass_index_ci``,
        ``pass_rate_se``, ``pass_rate_ci``.
    classification : dict or None
        Rudner accuracy/consistency overall and per cut (when SEs were given).
    csem : dict or None
        Conditional SEM ``1/sqrt(I(θ))`` at each cut, θ units (when items were given).
    linking : dict or None
        The link that put this period on the base scale (``A``, ``B``, ``method``...).
    inputs : dict
        sha256 of every input.
    conventions : dict
        Every convention used, in words.
    distribution_by_group : dict or None
    """

    discipline: str
    period: str
    cuts: dict
    methods: dict
    conversion: StandardScoreMap
    n: int
    pass_rate: float
    distribution: dict
    uncertainty: dict
    classification: dict | None = None
    csem: dict | None = None
    linking: dict | None = None
    inputs: dict = field(default_factory=dict)
    conventions: dict = field(default_factory=dict)
    distribution_by_group: dict | None = None
    version: str = ""

    # ------------------------------------------------------------------ build
    @classmethod
    def estimate(
        cls,
        rules: _rules.Rules | Mapping[str, Any],
        *,
        theta,
        items: Any = None,
        se=None,
        scores=None,
        panel: pd.DataFrame | None = None,
        bookmark: pd.DataFrame | None = None,
        booklet: pd.DataFrame | None = None,
        hofstee_panel: pd.DataFrame | None = None,
        beuk_panel: pd.DataFrame | None = None,
        judgments=None,
        groups=None,
        discipline: str | None = None,
        period: str | None = None,
        linking: dict | None = None,
        n_boot: int = 1000,
        level: float = 0.95,
        seed: Any = None,
        min_panelists: int = 5,
        D: float = 1.0,
    ) -> BenchmarkIndex:
        """Estimate the benchmark index of a discipline for a period.

        Parameters
        ----------
        rules : Rules or mapping
            The discipline's typed :class:`pvcal.rules.Rules`; a mapping (a whole
            rules file as read from YAML) is validated once with
            :func:`pvcal.rules.validate`. ``rules.grades`` gives the methods of the
            three cuts (see :func:`pvcal.standards.set_cuts`),
            ``rules.scale.standard_score`` the θ -> score map (see
            :meth:`StandardScoreMap.from_rules`); ``discipline`` is read from it
            when not given.
        theta : array_like, Series or DataFrame
            Candidates' θ̂ on the base scale (already linked); a DataFrame with
            ``theta`` and ``se`` columns (``Calibration.score`` output) gives both.
        items : DataFrame or Calibration, optional
            Item parameters (needed by Angoff, Bookmark and raw-score methods).
        se : array_like, optional
            Candidates' standard errors; enables classification accuracy.
        scores, panel, bookmark, booklet, hofstee_panel, beuk_panel, judgments
            As in :func:`pvcal.standards.set_cuts`.
        groups : array_like, optional
            Candidate groups for the grade distribution by group.
        discipline, period : str, optional
        linking : dict, optional
            The link used to put this period on the base scale, e.g.
            ``{"A": 1.02, "B": -0.1, "method": "stocking-lord", "base": "2024"}``;
            recorded so that periods can be compared.
        n_boot : int, default 1000
        level : float, default 0.95
        seed : None, int or Generator
        min_panelists : int, default 5
            Fewest panelists a panel method may have for the bootstrap.
        D : float, default 1.0

        Returns
        -------
        BenchmarkIndex

        Raises
        ------
        RulesError
            (a :class:`~pvcal._validation.SchemaError`) A mapping that is not a
            valid rules file (see :func:`pvcal.rules.load`).
        SchemaError
            A ``linking`` without numeric ``A`` and ``B``.
        DataError
            Missing or misaligned inputs, too few panelists for a bootstrap.
        """
        from . import __version__

        if not isinstance(rules, _rules.Rules):
            rules = _rules.validate(rules)
        level = check_probability("level", level)
        if linking is not None:
            ok = isinstance(linking, dict) and all(
                isinstance(linking.get(k), int | float) and math.isfinite(linking[k])
                for k in ("A", "B")
            )
            if not ok:
                raise SchemaError(
                    "linking must be a mapping with numeric 'A' and 'B' (θ_base = A·θ + B) "
                    f"and a 'method', got {linking!r}"
                )
            linking = {"method": "unspecified", **linking}
        if isinstance(theta, pd.DataFrame):
            if "theta" not in theta.columns:
                raise DataError(f"theta frame needs a 'theta' column, got {list(theta.columns)}")
            if se is None and "se" in theta.columns:
                se = theta["se"]
            theta = theta["theta"]
        th = check_1d("theta", theta, min_size=2)
        s = None if se is None else check_1d("se", se)
        if s is not None and s.shape != th.shape:
            raise DataError(f"theta has {th.size} candidates but se has {s.size}")
        cuts = set_cuts(
            rules.grades,
            items=items,
            panel=panel,
            bookmark=bookmark,
            theta=th,
            scores=scores,
            judgments=judgments,
            conversion=rules.standard_score,
            booklet=booklet,
            hofstee_panel=hofstee_panel,
            beuk_panel=beuk_panel,
            D=D,
        )
        theta_cuts = cuts.theta
        conv = StandardScoreMap.from_rules(rules.standard_score, pass_theta=theta_cuts["Pass"])

        reported = conv(th)
        cut_ss = conv(theta_cuts.to_numpy(), rounded=False)
        cats = np.searchsorted(cut_ss, reported, side="right")
        shares = np.bincount(cats, minlength=4) / th.size
        distribution = {g: float(v) for g, v in zip(GRADE_LABELS, shares, strict=True)}
        pass_rate = float(1 - shares[0])
        by_group = None
        if groups is not None:
            gr = np.asarray(groups)
            if gr.shape != th.shape:
                raise DataError(f"groups has {gr.size} values but there are {th.size} candidates")
            by_group = {}
            for key in pd.unique(gr):
                sel = cats[gr == key]
                sh = np.bincount(sel, minlength=4) / sel.size
                by_group[str(key)] = {
                    **{g: float(v) for g, v in zip(GRADE_LABELS, sh, strict=True)},
                    "n": int(sel.size),
                }

        boot = cuts.bootstrap(n_boot, seed=seed, min_panelists=min_panelists, n_candidates=th.size)
        bt = boot.theta
        pass_star = bt["Pass"].to_numpy()
        idx_star = conv(pass_star, rounded=False)  # pass-line index per replicate, map fixed
        rate_star = np.concatenate(
            [
                (reported[boot.candidate_index[i : i + 250]] >= idx_star[i : i + 250, None]).mean(
                    axis=1
                )
                for i in range(0, len(bt), 250)
            ]
        )
        uncertainty = {
            "n_boot": int(n_boot),
            "seed": seed if isinstance(seed, int | type(None)) else repr(seed),
            "level": level,
            "resampled": list(boot.resampled),
            "interval": "percentile bootstrap",
            "cuts_se": {g: float(bt[g].std(ddof=1)) for g in GRADES},
            "cuts_ci": {g: _interval(bt[g].to_numpy(), level) for g in GRADES},
            "pass_index_se": float(np.std(idx_star, ddof=1)),
            "pass_index_ci": _interval(idx_star, level),
            "pass_rate_se": float(np.std(rate_star, ddof=1)),
            "pass_rate_ci": _interval(rate_star, level),
            "crossed_cuts": int(np.sum(np.any(np.diff(bt.to_numpy(), axis=1) <= 0, axis=1))),
        }
        csem = None
        item_frame = (
            items.items
            if hasattr(items, "items") and not isinstance(items, pd.DataFrame)
            else items
        )
        if isinstance(item_frame, pd.DataFrame):
            from .standards import conditional_sem

            at = conditional_sem(item_frame, theta_cuts.to_numpy(), D)
            csem = {g: float(v) for g, v in zip(GRADES, at, strict=True)}
        cq = None
        if s is not None:
            cq = classification(th, s, {g: float(theta_cuts[g]) for g in GRADES}).to_dict()
        methods = to_jsonable(cuts.to_dict())
        for g in GRADES:
            det = cuts.details[g]
            if det is not None and hasattr(det, "by_round"):
                br = det.by_round
                methods[g]["panel"] = {
                    "round": to_jsonable(det.round),
                    "n_panelists": int(br.loc[det.round, "n"]),
                    "se_across_panelists": float(br.loc[det.round, "se"]),
                    "sd_across_panelists": float(br.loc[det.round, "sd"]),
                    "change_from_previous_round": to_jsonable(br.loc[det.round, "change"]),
                }
        rules_hash = {
            "grades": rules.grades.as_dict(),
            "standard_score": rules.standard_score.as_dict(),
        }
        inputs = {
            "rules": input_hash(rules_hash),
            "items": input_hash(items),
            "theta": input_hash(th),
            "se": input_hash(s),
            "scores": input_hash(None if scores is None else np.asarray(scores, float)),
            "panel": input_hash(panel),
            "bookmark": input_hash(bookmark),
            "booklet": input_hash(booklet),
            "hofstee_panel": input_hash(hofstee_panel),
            "beuk_panel": input_hash(beuk_panel),
            "judgments": input_hash(
                None
                if judgments is None
                else (judgments if isinstance(judgments, pd.DataFrame) else np.asarray(judgments))
            ),
            "groups": input_hash(None if groups is None else np.asarray(groups).astype(str)),
        }
        conventions = {
            "theta_scale": f"IRT parameterisation, logistic metric, D = {D:g}; base scale",
            "on_cut": "a value exactly on a cut belongs to the upper grade",
            "grading": "reported standard score (rounded half-up, clipped) >= unrounded "
            "standard score of the cut",
            "rounding": "half-up",
            "classification": "Rudner (normal errors, each candidate's theta and SE)",
            "bootstrap": "candidates resampled with replacement; panelists resampled "
            "for panel methods; conversion held fixed",
            "se": "bootstrap standard deviation (ddof = 1)",
            "hash": "sha256 of CSV (tables, arrays) or sorted JSON (mappings)",
        }
        return cls(
            discipline=str(discipline if discipline is not None else rules.discipline),
            period="" if period is None else str(period),
            cuts={g: float(theta_cuts[g]) for g in GRADES},
            methods=methods,
            conversion=conv,
            n=int(th.size),
            pass_rate=pass_rate,
            distribution=distribution,
            uncertainty=uncertainty,
            classification=cq,
            csem=csem,
            linking=None if linking is None else to_jsonable(dict(linking)),
            inputs=inputs,
            conventions=conventions,
            distribution_by_group=by_group,
            version=__version__,
        )

    # ---------------------------------------------------------------- derived
    @property
    def pass_theta(self) -> float:
        """θ of the pass line."""
        return float(self.cuts["Pass"])

    @property
    def pass_index(self) -> float:
        """The pass-line index: the pass cut on the standard-score scale (unrounded)."""
        return float(self.conversion(self.pass_theta, rounded=False))

    @cached_property
    def cut_scores(self) -> pd.Series:
        """Standard score of each cut (unrounded), indexed by grade."""
        return pd.Series(
            {g: float(self.conversion(self.cuts[g], rounded=False)) for g in GRADES},
            name="standard_score",
        )

    @cached_property
    def reported_thresholds(self) -> pd.Series:
        """Lowest reported standard score that reaches each grade (for appeal sheets).

        With ``decimals = 0`` this is ``ceil(cut standard score)``: a candidate whose
        reported score is at least this value has at least that grade.
        """
        f = 10.0**self.conversion.decimals
        vals = np.ceil(np.round(self.cut_scores.to_numpy() * f, 9)) / f
        return pd.Series(vals, index=self.cut_scores.index, name="reported_threshold")

    @cached_property
    def table(self) -> pd.DataFrame:
        """One row per cut: method, θ, standard score, bootstrap SE and interval."""
        u = self.uncertainty
        rows = {}
        for g in GRADES:
            lo, hi = u["cuts_ci"][g]
            rows[g] = {
                "method": self.methods[g]["method"],
                "theta": self.cuts[g],
                "theta_se": u["cuts_se"][g],
                "theta_ci_low": lo,
                "theta_ci_high": hi,
                "standard_score": self.cut_scores[g],
                "csem": np.nan if self.csem is None else self.csem[g],
            }
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = "grade"
        return out

    def standard_score(self, theta, *, rounded: bool = True):
        """Reported standard score of ``theta`` (half-up rounded and clipped by default)."""
        out = self.conversion(theta, rounded=rounded)
        if isinstance(theta, pd.Series):
            return pd.Series(out, index=theta.index, name="standard_score")
        return out

    def grade(self, values, *, scale: str = "theta"):
        """Grade (Fail, Pass, Good, Excellent) of each value.

        Parameters
        ----------
        values : array_like or Series
            θ (``scale="theta"``, converted to reported standard scores first)
            or reported standard scores (``scale="standard"``).
        scale : {"theta", "standard"}

        Returns
        -------
        ndarray of str (a Series for Series input)
        """
        if scale not in ("theta", "standard"):
            raise PvcalError(f"scale must be 'theta' or 'standard', got {scale!r}")
        v = np.asarray(values, float)
        if np.any(~np.isfinite(v)):
            raise DataError("values to grade must be finite")
        ss = self.conversion(v) if scale == "theta" else v
        cats = np.searchsorted(self.cut_scores.to_numpy(), ss, side="right")
        out = np.asarray(GRADE_LABELS, dtype=object)[cats]
        if isinstance(values, pd.Series):
            return pd.Series(out, index=values.index, name="grade")
        return out

    def near_pass_line(self, theta, se, *, k: float = 1.0):
        """Flag candidates within ``k`` SEMs of the pass line (``|θ̂ - θ_pass| <= k·SE``)."""
        return near_cut(theta, se, self.pass_theta, k=k)

    def compare(self, previous: BenchmarkIndex, *, level: float = 0.95) -> pd.DataFrame:
        """Change from a previous period's index, with its uncertainty.

        Both indices must be on the same base scale (their ``linking`` records
        say how). Changes in θ are reported for each cut, the pass-line change on
        this index's standard-score scale (``scale · Δθ_pass``) and the change in
        pass rate; standard errors assume independent periods
        (``sqrt(se_now² + se_prev²)``), intervals are normal.

        Returns
        -------
        DataFrame
            Indexed by quantity: ``current``, ``previous``, ``change``, ``se``,
            ``ci_low``, ``ci_high``, ``z``. ``attrs`` holds both links.

        Raises
        ------
        PvcalError
            A different discipline or not a BenchmarkIndex.
        """
        if not isinstance(previous, BenchmarkIndex):
            raise PvcalError(f"previous must be a BenchmarkIndex, got {type(previous).__name__}")
        if previous.discipline != self.discipline:
            raise PvcalError(
                f"cannot compare discipline {self.discipline!r} with {previous.discipline!r}"
            )
        z = float(ndtri(0.5 + check_probability("level", level) / 2))
        u, v = self.uncertainty, previous.uncertainty
        rows = {}
        for g in GRADES:
            rows[f"theta_{g}"] = (self.cuts[g], previous.cuts[g], u["cuts_se"][g], v["cuts_se"][g])
        sc = self.conversion.scale
        rows["pass_index"] = (
            self.pass_index,
            float(self.conversion(previous.pass_theta, rounded=False)),
            sc * u["cuts_se"]["Pass"],
            sc * v["cuts_se"]["Pass"],
        )
        rows["pass_rate"] = (
            self.pass_rate,
            previous.pass_rate,
            u["pass_rate_se"],
            v["pass_rate_se"],
        )
        out = {}
        for key, (a, b, sa, sb) in rows.items():
            d = a - b
            s = math.sqrt(sa**2 + sb**2)
            out[key] = {
                "current": a,
                "previous": b,
                "change": d,
                "se": s,
                "ci_low": d - z * s,
                "ci_high": d + z * s,
                "z": d / s if s > 0 else float("nan"),
            }
        frame = pd.DataFrame.from_dict(out, orient="index")
        frame.index.name = "quantity"
        frame.attrs.update(
            {
                "periods": (self.period, previous.period),
                "linking": (self.linking, previous.linking),
                "pass_index_scale": "this period's conversion (scale · Δθ)",
            }
        )
        return frame

    # ----------------------------------------------------------------- output
    def to_record(self) -> dict:
        """JSON-ready record naming every method, convention, parameter and input hash."""
        return {
            "kind": RECORD_KIND,
            "record_version": RECORD_VERSION,
            "pvcal_version": self.version,
            "discipline": self.discipline,
            "period": self.period,
            "cuts": dict(self.cuts),
            "cut_standard_scores": {g: float(v) for g, v in self.cut_scores.items()},
            "pass_index": self.pass_index,
            "reported_thresholds": {g: float(v) for g, v in self.reported_thresholds.items()},
            "methods": self.methods,
            "conversion": self.conversion.to_dict(),
            "n": self.n,
            "pass_rate": self.pass_rate,
            "distribution": dict(self.distribution),
            "distribution_by_group": self.distribution_by_group,
            "uncertainty": self.uncertainty,
            "classification": self.classification,
            "csem_at_cuts": self.csem,
            "linking": self.linking,
            "inputs": dict(self.inputs),
            "conventions": dict(self.conventions),
        }

    to_dict = to_record

    def to_json(self, *, indent: int | None = 2) -> str:
        """The record as canonical JSON text (:func:`pvcal.serialize.dumps`)."""
        return dumps(self.to_record(), indent=indent)

    @classmethod
    def from_json(cls, text: str) -> BenchmarkIndex:
        """Rebuild an index from :meth:`to_json` text (see :meth:`from_record`)."""
        return cls.from_record(loads_record(text, "benchmark-index"))

    def __eq__(self, other: object) -> bool:
        return json_equal(self, other)

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_record(cls, record: dict | str) -> BenchmarkIndex:
        """Rebuild an index from :meth:`to_record` output (or its JSON text).

        Raises
        ------
        SchemaError
            Not a benchmark-index record, or a missing field.
        """
        if isinstance(record, str):
            record = loads_record(record, "benchmark-index")
        if not isinstance(record, dict) or record.get("kind") != RECORD_KIND:
            raise SchemaError(f"not a benchmark-index record (kind must be {RECORD_KIND!r})")
        if record.get("record_version") != RECORD_VERSION:
            raise SchemaError(
                f"benchmark-index record version {record.get('record_version')!r}; "
                f"this pvcal reads version {RECORD_VERSION}"
            )
        need = [
            "discipline",
            "period",
            "cuts",
            "methods",
            "conversion",
            "n",
            "pass_rate",
            "distribution",
            "uncertainty",
        ]
        missing = [k for k in need if k not in record]
        if missing:
            raise SchemaError(f"benchmark-index record is missing {missing}")
        return cls(
            discipline=record["discipline"],
            period=record["period"],
            cuts={g: float(record["cuts"][g]) for g in GRADES},
            methods=record["methods"],
            conversion=StandardScoreMap.from_dict(record["conversion"]),
            n=int(record["n"]),
            pass_rate=float(record["pass_rate"]),
            distribution=dict(record["distribution"]),
            uncertainty=record["uncertainty"],
            classification=record.get("classification"),
            csem=record.get("csem_at_cuts"),
            linking=record.get("linking"),
            inputs=dict(record.get("inputs", {})),
            conventions=dict(record.get("conventions", {})),
            distribution_by_group=record.get("distribution_by_group"),
            version=record.get("pvcal_version", ""),
        )

    def summary(self) -> Summary:
        """A printable summary (``as_text()``, ``as_html()``, notebook display)."""
        u = self.uncertainty
        lo, hi = u["pass_index_ci"]
        facts = {
            "discipline": self.discipline,
            "period": self.period,
            "N": self.n,
            "pass-line index": round(self.pass_index, 2),
            "index se": round(u["pass_index_se"], 3),
            f"index {u['level']:.0%} interval": f"[{lo:.2f}, {hi:.2f}]",
            "pass rate": round(self.pass_rate, 3),
            "pass rate se": round(u["pass_rate_se"], 3),
            "bootstrap": f"{u['n_boot']} x {'+'.join(u['resampled'])}",
            "seed": u["seed"],
        }
        dist = pd.DataFrame({"share": pd.Series(self.distribution)})
        tables = [("Cuts (θ, base scale)", self.table), ("Grade distribution", dist)]
        if self.classification is not None:
            bc = pd.DataFrame.from_dict(self.classification["by_cut"], orient="index")
            bc.loc["all cuts", ["accuracy", "consistency"]] = [
                self.classification["accuracy"],
                self.classification["consistency"],
            ]
            tables.append(("Classification (Rudner)", bc))
        c = self.conversion
        notes = (
            f"standard score = {c.pass_score:g} + {c.scale:g}·(θ − {c.anchor_theta:.4f}), "
            f"rounded half-up to {c.decimals} decimal(s), clipped to [{c.lower:g}, {c.upper:g}]",
            "linking: "
            + ("none (base scale)" if self.linking is None else json.dumps(self.linking)),
            "a value exactly on a cut belongs to the upper grade",
        )
        return Summary(
            f"Benchmark index: {self.discipline} {self.period}".strip(),
            facts,
            tuple(tables),
            notes,
        )

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def plot(self, ax=None):
        """Grade distribution with the cuts on the standard-score scale; returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3))
        c = self.conversion
        ax.set_xlim(c.lower, c.upper)
        edges = (
            [c.lower] + [float(np.clip(v, c.lower, c.upper)) for v in self.cut_scores] + [c.upper]
        )
        colors = ["#d9534f", "#f0ad4e", "#5bc0de", "#5cb85c"]
        for i, g in enumerate(GRADE_LABELS):
            ax.axvspan(edges[i], edges[i + 1], color=colors[i], alpha=0.25, lw=0)
            narrow = edges[i + 1] - edges[i] < 0.12 * (c.upper - c.lower)
            ax.text(
                (edges[i] + edges[i + 1]) / 2,
                0.5,
                f"{g} {self.distribution[g]:.1%}" if narrow else f"{g}\n{self.distribution[g]:.1%}",
                ha="center",
                va="center",
                rotation=90 if narrow else 0,  # narrow bands: vertical labels do not overlap
                fontsize="small" if narrow else None,
            )
        lo, hi = self.uncertainty["pass_index_ci"]
        ax.axvspan(lo, hi, color="k", alpha=0.15, lw=0)
        ax.axvline(self.pass_index, color="k", lw=1.2)
        ax.set_yticks([])
        ax.set_xlabel("standard score")
        ax.set_title(
            f"{self.discipline} {self.period}: pass-line index {self.pass_index:.1f} "
            f"[{lo:.1f}, {hi:.1f}], pass rate {self.pass_rate:.1%}"
        )
        return ax


def estimate_index(rules: _rules.Rules | Mapping[str, Any], **kwargs) -> BenchmarkIndex:
    """Function form of :meth:`BenchmarkIndex.estimate`."""
    return BenchmarkIndex.estimate(rules, **kwargs)
