"""A discipline's rules file (``rules.yml``): one typed model, validated once, at load.

:func:`load` reads the YAML file and returns a frozen :class:`Rules`; every
check (types, ranges, allowed values, unknown keys, cross-field rules) runs
there, so a rule the package cannot honour fails at load and never mid-run.
An error is a :class:`~pvcal._validation.RulesError` (a ``ValueError``) whose
message names the file, the key path (``scale.standard_score.rounding``) and
what was expected.  Every other module reads the typed object
(``rules.scale.standard_score.rounding``, ``rules.peer.sigma_pt.rule``...).

The vocabulary of the rules (grades, cuts, item models, rounding modes,
linking and standard-setting methods, peer-comparison choices) is defined here
once; the modules that use it import it from here.

Keys
----
Each key: its meaning, its default (``required`` when it has none) and, after
the arrow, the module that interprets it.  This is pvcal's own file format (no R
counterpart).

Discipline and data
    - ``discipline`` (required): discipline id, the folder name ->
      :mod:`pvcal.data`, the registry, reports.
    - ``title`` (None): display title -> notebooks (report headings).
    - ``model`` (required): item model, one of :data:`MODELS` or ``mixed`` (per
      item, from ``items.csv``) -> :func:`pvcal.data.load_discipline` (item bank
      check), :mod:`pvcal.workflow` (calibration).
    - ``periods`` (required): the periods, in order -> :mod:`pvcal.data`,
      :mod:`pvcal.workflow`.
    - ``base_period`` (required): one of ``periods``; its calibration fixes the
      θ scale -> :mod:`pvcal.workflow` (linking).
    - ``forms.<period>`` (None = any form): forms of each period, every period
      listed -> :func:`pvcal.data.load_discipline`.
    - ``files.responses`` (None = ``responses*.csv|parquet``): response files in
      the folder -> :func:`pvcal.data.load_discipline`.
    - ``eligibility.min_study_hours`` (required, >= 0): Art. 6 ->
      :func:`pvcal.data.eligibility`.
    - ``missing.not_reached``, ``missing.omitted`` (``ignore``, the only value
      implemented): missing responses are left out of the likelihood ->
      :mod:`pvcal.irt`.

Scale and cuts
    - ``scale.standard_score`` (required): score = ``pass_score`` + ``scale``
      (> 0) · (θ - θ_anchor), rounded by ``rounding`` (:data:`ROUNDING`, default
      ``half_up``) to ``decimals`` (0) places, clipped to ``min`` (0) ..
      ``max`` (100); θ_anchor is the period's pass cut unless ``anchor_theta``
      -> :class:`pvcal.index.StandardScoreMap`, :func:`pvcal.standards.set_cuts`
      (fixed standard-score cuts).
    - ``grades.pass|good|excellent`` (required): ``method``
      (:data:`STANDARD_SETTING_METHODS`) and its options (:data:`METHOD_OPTIONS`;
      ``labels``, ``description``, ``note`` are documentation) ->
      :func:`pvcal.standards.set_cuts`, :mod:`pvcal.workflow` (panel inputs),
      :func:`pvcal.data.load_discipline` (the panel files a method needs).
    - ``tuned_cuts`` (None): θ cuts chosen with the threshold tuner
      (``theta.pass|good|excellent``, ``set_by``, ``set_at``, ``reason``,
      ``seeded_from``, ``history``); they override ``grades`` ->
      :mod:`pvcal.workflow` (cut plan); written by :mod:`pvcal.report.tuner`.
    - ``anchors.policy`` (``common_items``; ``none`` only with one period),
      ``anchors.linking`` (``stocking-lord``, :data:`LINKING_METHODS`),
      ``anchors.drift`` (None = no screen; ``statistic`` from
      :data:`DRIFT_STATISTICS`, ``threshold`` > 0) -> :mod:`pvcal.workflow`,
      :func:`pvcal.equating.link`.

Peer comparison (ISO 13528)
    - ``peer.method`` (``algorithm_a``, :data:`PEER_METHODS`): consensus x_pt ->
      :func:`pvcal.peer.assess`.
    - ``peer.sigma_pt`` (required): ``rule`` (:data:`SIGMA_PT_RULES`) and
      ``value``: ``relative`` = a share of |x_pt| in (0, 1]; ``absolute`` = a
      value > 0, or a mapping sample -> value -> :mod:`pvcal.workflow` (peer part).
    - ``peer.aggregate`` (``max_abs``, :data:`PEER_AGGREGATES`): a person's
      worst |statistic| over samples -> :mod:`pvcal.workflow` (peer part).
    - ``peer.samples.<id>`` ({}): ``measurand``, ``unit`` (documentation); each
      listed sample needs results -> :func:`pvcal.data.load_discipline`.
    - ``peer.grading`` (z, two-sided, cuts 1 / 2 / 3): ``statistic``
      (:data:`PEER_STATISTICS`), ``one_sided``, ``unfavourable``, ``boundary``,
      ``cuts`` (excellent < good < pass) -> :func:`pvcal.peer.grade`.
    - ``combine`` (``lower``, :data:`COMBINE`; needs ``peer``): final grade from
      the exam and peer grades -> :mod:`pvcal.publish`.

Reports and later analyses
    - ``locale`` (``zh-CN``, :data:`LOCALES`): language of the published pages
      -> reports, notebooks.
    - ``diagnosis.level`` (0.95, 0.5..0.999), ``diagnosis.min_items`` (5, >= 2),
      ``diagnosis.method`` (``augmented``, :data:`DIAGNOSIS_METHODS`),
      ``diagnosis.modules.<domain>`` (None; ``module`` and its ``hours`` > 0):
      per-domain diagnosis and training advice -> diagnosis.
    - ``integrity.alpha`` (0.001, in (0, 0.5)), ``integrity.control`` (``bh``,
      :data:`INTEGRITY_CONTROLS`), ``integrity.min_shared_items`` (10, >= 1):
      answer-copying screens -> integrity.
    - ``certificates.validity_months`` (36, 1..120),
      ``certificates.public_notice`` (all of :data:`NOTICE_FIELDS`; a subset):
      fields of the public revocation notice -> certificates.
    - ``dif.groupings`` (gender, region, employer: candidate columns),
      ``dif.min_group`` (100, >= 2), ``dif.alpha`` (0.05, in (0, 0.5)) -> dif.

Unknown keys are refused everywhere.

Examples
--------
>>> from pvcal import rules
>>> r = rules.load("data/sample/qms-auditor/rules.yml")      # doctest: +SKIP
>>> r.scale.standard_score.rounding, r.grades.spec("good").method  # doctest: +SKIP
('half_up', 'bookmark')
>>> r.diagnosis.min_items                                     # doctest: +SKIP
5
"""

from __future__ import annotations

import datetime as _dt
import math
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from ._validation import RulesError

_S = typing.TypeVar("_S", bound=BaseModel)

__all__ = [
    "GRADES",
    "CUTS",
    "CUT_GRADES",
    "GRADE_OF_CUT",
    "MODELS",
    "DICHOTOMOUS_MODELS",
    "ROUNDING",
    "LINKING_METHODS",
    "DRIFT_STATISTICS",
    "STANDARD_SETTING_METHODS",
    "METHOD_OPTIONS",
    "PEER_METHODS",
    "PEER_STATISTICS",
    "SIGMA_PT_RULES",
    "PEER_AGGREGATES",
    "COMBINE",
    "LOCALES",
    "DEFAULT_LOCALE",
    "DIAGNOSIS_METHODS",
    "INTEGRITY_CONTROLS",
    "NOTICE_FIELDS",
    "Rules",
    "StandardScore",
    "Grades",
    "PeerGrading",
    "GradeSpecBase",
    "Section",
    "load",
    "validate",
    "section",
    "validation_message",
]

# ============================================================== vocabulary
#: The four grades of Art. 12, best first, as results and the registry spell them.
GRADES = ("Excellent", "Good", "Pass", "Fail")
#: The three cuts (lower bounds of Pass, Good, Excellent), lowest first, as rules keys.
CUTS = ("pass", "good", "excellent")
#: The same three cuts as grade labels, lowest first (``BenchmarkIndex.cuts`` keys).
CUT_GRADES = ("Pass", "Good", "Excellent")
#: Rules key of a cut -> its grade label.
GRADE_OF_CUT = types.MappingProxyType(dict(zip(CUTS, CUT_GRADES, strict=True)))
#: Item models pvcal calibrates (IRT parameterisation, D = 1).
MODELS = ("Rasch", "1PL", "2PL", "3PL", "GRM", "GPCM", "PCM")
#: Models whose items are scored 0/1.
DICHOTOMOUS_MODELS = ("Rasch", "1PL", "2PL", "3PL")
#: Rounding of the standard score that :class:`pvcal.index.StandardScoreMap` implements.
ROUNDING = ("half_up",)
#: IRT linking methods (:func:`pvcal.equating.link`).
LINKING_METHODS = ("mean-mean", "mean-sigma", "haebara", "stocking-lord")
#: Anchor-drift screens (:func:`pvcal.equating.link`, ``screen=`` with ``-`` for ``_``).
DRIFT_STATISTICS = ("robust_z", "displacement")
#: Consensus estimators of the assigned value (:func:`pvcal.peer.assess`).
PEER_METHODS = ("algorithm_a", "q_hampel", "median_niqr", "made", "mean")
#: Performance statistics :func:`pvcal.peer.grade` maps onto grades.
PEER_STATISTICS = ("z", "z_prime", "zeta", "En")
#: How sigma_pt is set: a share of |x_pt| or a given value (per sample or for all).
SIGMA_PT_RULES = ("relative", "absolute")
#: How a person's peer statistics over samples are aggregated (worst |statistic|).
PEER_AGGREGATES = ("max_abs",)
#: Final grade from the exam grade and the peer grade.
COMBINE = ("lower", "exam", "peer")
#: Languages of the published pages.
LOCALES = ("zh-CN", "en")
#: The language when the rules name none.
DEFAULT_LOCALE = "zh-CN"
#: Domain-diagnosis estimators.
DIAGNOSIS_METHODS = ("augmented", "eap")
#: Multiple-testing control of the integrity screens (Bonferroni, Benjamini-Hochberg).
INTEGRITY_CONTROLS = ("bonferroni", "bh")
#: Fields a public revocation notice may show.
NOTICE_FIELDS = ("number", "discipline", "period", "date", "reason_category")
_DOC_KEYS = ("description", "labels", "note")  # documentation only, in any grade spec


# ============================================================== building blocks
class _At(ValueError):
    """A cross-field error at a key path below the model that raises it."""

    def __init__(self, path: str | tuple, message: str):
        super().__init__(message)
        self.path = tuple(path.split(".")) if isinstance(path, str) else tuple(path)
        self.message = message


def _choice(values: tuple[str, ...]) -> Any:
    """A string from ``values``, matched case-insensitively and stored as spelt there."""
    lookup = {v.lower(): v for v in values}

    def canon(x: Any) -> Any:
        return lookup.get(x.strip().lower(), x) if isinstance(x, str) else x

    return Annotated[Literal[values], BeforeValidator(canon)]  # type: ignore[valid-type]


def _as_text(x: Any) -> Any:
    return str(x) if isinstance(x, int) and not isinstance(x, bool) else x


def _one_or_many(x: Any) -> Any:
    return [x] if isinstance(x, str | int) and not isinstance(x, bool) else x


Text = Annotated[
    str, Field(min_length=1), BeforeValidator(lambda x: x.strip() if isinstance(x, str) else x)
]
Id = Annotated[Text, BeforeValidator(_as_text)]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Positive = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0)]
Count = Annotated[int, Field(strict=True)]
Ids = Annotated[tuple[Id, ...], Field(min_length=1), BeforeValidator(_one_or_many)]


class Section(BaseModel):
    """Base of every section: frozen, unknown keys refused.

    Read a section by its typed attributes (``rules.scale.standard_score.rounding``);
    it is not a mapping (``section["key"]`` and ``section.get(...)`` fail).
    :meth:`as_dict` dumps it as the plain mapping a rules file spells (for hashes
    and display, not for reading values back).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def as_dict(self) -> dict[str, Any]:
        """The section as the plain mapping a rules file spells (unset optional keys left out)."""
        return self.model_dump(by_alias=True, exclude_none=True)


# ============================================================== scale
class StandardScore(Section):
    """``scale.standard_score``: score = pass_score + scale · (θ - θ_anchor), rounded, clipped.

    ``θ_anchor`` is the period's pass cut unless ``anchor_theta`` fixes it.
    ``pass``/``slope``/``lower``/``upper`` are accepted for ``pass_score``/``scale``/
    ``min``/``max``.
    """

    pass_score: Number = Field(validation_alias=AliasChoices("pass_score", "pass"))
    scale: Positive = Field(validation_alias=AliasChoices("scale", "slope"))
    min: Number = Field(0.0, validation_alias=AliasChoices("min", "lower"))
    max: Number = Field(100.0, validation_alias=AliasChoices("max", "upper"))
    rounding: _choice(ROUNDING) = "half_up"  # type: ignore[valid-type]
    decimals: Annotated[Count, Field(ge=0, le=6)] = 0
    anchor_theta: Number | None = None

    @field_validator("rounding", mode="before")
    @classmethod
    def _hyphen(cls, v: Any) -> Any:
        return v.replace("-", "_").replace(" ", "_") if isinstance(v, str) else v

    @model_validator(mode="after")
    def _bounds(self) -> StandardScore:
        if not self.min < self.pass_score < self.max:
            raise _At(
                (),
                f"expected min < pass_score < max, got {self.min:g}, {self.pass_score:g}, "
                f"{self.max:g}",
            )
        return self


class Scale(Section):
    """``scale``: the reported scale."""

    standard_score: StandardScore


# ============================================================== grades
class GradeSpecBase(Section):
    """One cut's standard-setting method and options (``grades.<cut>``)."""

    required: ClassVar[frozenset[str]] = frozenset()
    description: str | None = None
    labels: Annotated[
        dict[str, str] | None,
        BeforeValidator(lambda v: {str(k): x for k, x in v.items()} if isinstance(v, dict) else v),
    ] = None
    note: str | None = None

    def options(self) -> dict[str, Any]:
        """``{"method": ..., options}`` without the documentation keys (for set_cuts)."""
        d = self.model_dump(exclude_none=True, exclude=set(_DOC_KEYS))
        if d.get("from_panel") is False:
            d.pop("from_panel")
        return d

    @model_validator(mode="after")
    def _required(self) -> GradeSpecBase:
        if getattr(self, "from_panel", False):
            return self
        for key in sorted(self.required):
            if getattr(self, key) is None:
                raise _At(key, "missing required key")
        return self


Scale01 = Annotated[float, Field(strict=True, gt=0, lt=1)]
PanelRound = Annotated[Count, Field(ge=1)]
OnScale = _choice(("theta", "raw"))
Interpolation = _choice(("step", "linear"))
FailIf = Literal["<", "<="]
Units = _choice(("score", "percent"))


class FixedCut(GradeSpecBase):
    """A cut fixed in the rules: ``theta`` or ``standard_score`` (exactly one)."""

    method: Literal["fixed"]
    theta: Number | None = None
    standard_score: Number | None = None

    @model_validator(mode="after")
    def _one(self) -> FixedCut:
        if (self.theta is None) == (self.standard_score is None):
            raise _At((), "method 'fixed' needs exactly one of 'theta' or 'standard_score'")
        return self


class AngoffCut(GradeSpecBase):
    """Modified Angoff (:func:`pvcal.standards.angoff`)."""

    method: Literal["angoff"]
    round: PanelRound | None = None
    rating: _choice(("score", "proportion")) | None = None  # type: ignore[valid-type]
    panel_cut: Id | None = None


class BookmarkCut(GradeSpecBase):
    """Bookmark (:func:`pvcal.standards.bookmark`)."""

    method: Literal["bookmark"]
    rp: Scale01 = 0.67
    placement: _choice(("before", "on", "midpoint")) | None = None  # type: ignore[valid-type]
    aggregate: _choice(("median", "mean")) | None = None  # type: ignore[valid-type]
    round: PanelRound | None = None
    panel_cut: Id | None = None


class BorderlineGroupCut(GradeSpecBase):
    """Borderline group (:func:`pvcal.standards.borderline_group`)."""

    method: Literal["borderline_group"]
    statistic: _choice(("median", "mean")) | None = None  # type: ignore[valid-type]
    borderline_value: int | str | bool | None = None
    column: Id | None = None
    scale: OnScale | None = None  # type: ignore[valid-type]


class BorderlineRegressionCut(GradeSpecBase):
    """Borderline regression (:func:`pvcal.standards.borderline_regression`).

    ``borderline`` (or ``rating``): the global rating of a borderline candidate.
    """

    required: ClassVar[frozenset[str]] = frozenset({"borderline"})
    method: Literal["borderline_regression"]
    borderline: Number | None = Field(None, validation_alias=AliasChoices("borderline", "rating"))
    column: Id | None = None
    scale: OnScale | None = None  # type: ignore[valid-type]


class ContrastingGroupsCut(GradeSpecBase):
    """Contrasting groups (:func:`pvcal.standards.contrasting_groups`)."""

    method: Literal["contrasting_groups"]
    p: Scale01 | None = None
    column: Id | None = None
    scale: OnScale | None = None  # type: ignore[valid-type]


class _Compromise(GradeSpecBase):
    interpolation: Interpolation | None = None  # type: ignore[valid-type]
    fail_if: FailIf | None = None
    step: Positive | None = None
    scale: OnScale | None = None  # type: ignore[valid-type]
    units: Units | None = None  # type: ignore[valid-type]
    max_score: Positive | None = None
    from_panel: bool = False


class HofsteeCut(_Compromise):
    """Hofstee (:func:`pvcal.standards.hofstee`); judges' values here or ``from_panel``."""

    required: ClassVar[frozenset[str]] = frozenset({"k_min", "k_max", "f_min", "f_max"})
    method: Literal["hofstee"]
    k_min: Number | None = None
    k_max: Number | None = None
    f_min: Number | None = None
    f_max: Number | None = None


class BeukCut(_Compromise):
    """Beuk (:func:`pvcal.standards.beuk`); judges' values here or ``from_panel``."""

    required: ClassVar[frozenset[str]] = frozenset({"k", "p"})
    method: Literal["beuk"]
    k: Number | None = None
    p: Number | None = None
    sd_k: Number | None = None
    sd_p: Number | None = None
    lower: Number | None = None
    upper: Number | None = None


class NormativeCut(GradeSpecBase):
    """Normative (:func:`pvcal.standards.normative_cut`): ``percentile`` or ``k`` (one)."""

    method: Literal["normative"]
    percentile: Annotated[float, Field(strict=True, gt=0, lt=100)] | None = None
    k: Number | None = None
    robust: _choice(("mad", "niqr", "algorithm_a", "classical")) | None = None  # type: ignore[valid-type]
    quantile_method: Text | None = None
    scale: OnScale | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _one(self) -> NormativeCut:
        if self.percentile is None and self.k is None:
            raise _At("percentile", "missing required key")
        if self.percentile is not None and self.k is not None:
            raise _At((), "method 'normative' needs exactly one of 'percentile' or 'k'")
        return self


_CUT_MODELS: tuple[type[GradeSpecBase], ...] = (
    AngoffCut,
    BookmarkCut,
    BorderlineGroupCut,
    BorderlineRegressionCut,
    ContrastingGroupsCut,
    HofsteeCut,
    BeukCut,
    NormativeCut,
    FixedCut,
)


def _method_of(cls: type[GradeSpecBase]) -> str:
    return typing.get_args(cls.model_fields["method"].annotation)[0]


#: Standard-setting methods a rules file may name for a cut.
STANDARD_SETTING_METHODS = tuple(_method_of(c) for c in _CUT_MODELS)
#: method -> (required options, optional options) of a grade spec.
METHOD_OPTIONS: Mapping[str, tuple[frozenset[str], frozenset[str]]] = types.MappingProxyType(
    {
        _method_of(c): (
            c.required,
            frozenset(c.model_fields) - c.required - {"method", *_DOC_KEYS},
        )
        for c in _CUT_MODELS
    }
)
_CUT_BY_METHOD = {_method_of(c): c for c in _CUT_MODELS}

GradeSpec = Annotated[
    AngoffCut
    | BookmarkCut
    | BorderlineGroupCut
    | BorderlineRegressionCut
    | ContrastingGroupsCut
    | HofsteeCut
    | BeukCut
    | NormativeCut
    | FixedCut,
    Field(discriminator="method"),
]


def _canon_method(spec: Any) -> Any:
    if isinstance(spec, Mapping) and isinstance(spec.get("method"), str):
        m = spec["method"].strip().lower().replace("-", "_").replace(" ", "_")
        return {**spec, "method": m}
    return spec


Spec = Annotated[GradeSpec, BeforeValidator(_canon_method)]


class Grades(Section):
    """``grades``: the method and options of each cut (``pass``, ``good``, ``excellent``).

    Read a cut's typed spec with :meth:`spec` (``rules.grades.spec("good").rp``)
    or as an attribute (``rules.grades.good``; ``pass_`` for ``pass``).
    """

    pass_: Spec = Field(alias="pass")
    good: Spec
    excellent: Spec

    def spec(self, cut: str) -> GradeSpecBase:
        """The typed spec of ``cut`` (one of :data:`CUTS`, or its grade label)."""
        key = str(cut).lower()
        if key not in CUTS:
            raise KeyError(cut)
        return self.pass_ if key == "pass" else getattr(self, key)

    def by_cut(self) -> dict[str, GradeSpecBase]:
        """``{cut: spec}`` lowest first."""
        return {c: self.spec(c) for c in CUTS}

    def methods(self) -> set[str]:
        """The standard-setting methods the cuts use."""
        return {s.method for s in self.by_cut().values()}


# ============================================================== other sections
class Files(Section):
    """``files``: the discipline's data files (names inside its folder)."""

    responses: Ids | None = None


class Eligibility(Section):
    """``eligibility``: who may sit the verification (Art. 6)."""

    min_study_hours: Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]


class Drift(Section):
    """``anchors.drift``: screening of anchor items before linking."""

    statistic: _choice(DRIFT_STATISTICS) = "robust_z"  # type: ignore[valid-type]
    threshold: Positive | None = None


class Anchors(Section):
    """``anchors``: how later periods are put on the base scale."""

    policy: _choice(("common_items", "none")) = "common_items"  # type: ignore[valid-type]
    linking: _choice(LINKING_METHODS) = "stocking-lord"  # type: ignore[valid-type]
    drift: Drift | None = None


class Missing(Section):
    """``missing``: how missing responses count (only ``ignore``: left out of the likelihood)."""

    not_reached: Literal["ignore"] = "ignore"
    omitted: Literal["ignore"] = "ignore"


class SigmaPt(Section):
    """``peer.sigma_pt``: the standard deviation for proficiency assessment.

    ``relative``: ``value`` in (0, 1] times |x_pt| of each sample; ``absolute``:
    ``value`` > 0, one for all samples or a mapping sample -> value.
    """

    rule: _choice(SIGMA_PT_RULES)  # type: ignore[valid-type]
    value: Any = None

    @model_validator(mode="after")
    def _value(self) -> SigmaPt:
        v = self.value
        if v is None:
            raise _At("value", "missing required key")

        def number(x: Any, key: tuple) -> float:
            if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
                raise _At(key, f"expected a number, got {x!r}")
            if not x > 0 or (self.rule == "relative" and x > 1):
                want = "in (0, 1] (a share of |x_pt|)" if self.rule == "relative" else "> 0"
                raise _At(key, f"expected a number {want}, got {x!r}")
            return float(x)

        if self.rule == "absolute" and isinstance(v, Mapping):
            if not v:
                raise _At("value", "expected a value or a non-empty mapping sample -> value")
            clean = {str(k): number(x, ("value", str(k))) for k, x in v.items()}
        else:
            clean = number(v, ("value",))
        object.__setattr__(self, "value", clean)
        return self


class PeerCuts(Section):
    """``peer.grading.cuts``: |statistic| <= cut gives the grade; excellent < good < pass."""

    excellent: Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]
    good: Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]
    pass_: Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False, alias="pass")]

    @model_validator(mode="after")
    def _order(self) -> PeerCuts:
        if not self.excellent < self.good < self.pass_:
            raise _At(
                (),
                "thresholds must increase from excellent to good to pass, got "
                f"{self.excellent:g}, {self.good:g}, {self.pass_:g}",
            )
        return self


class PeerGrading(Section):
    """``peer.grading``: how a peer statistic becomes a grade (:func:`pvcal.peer.grade`).

    ``one_sided``: ``false`` (|statistic| judged), ``low`` or ``high`` (only
    that side counts against), or ``true`` with ``unfavourable: low|high``.
    ``boundary``: ``closed`` (a value on a cut gets the better grade) or ``open``.
    """

    statistic: _choice(PEER_STATISTICS) = "z"  # type: ignore[valid-type]
    one_sided: Any = False
    unfavourable: _choice(("low", "high")) | None = None  # type: ignore[valid-type]
    boundary: _choice(("closed", "open")) = "closed"  # type: ignore[valid-type]
    cuts: PeerCuts = PeerCuts.model_validate({"excellent": 1.0, "good": 2.0, "pass": 3.0})

    @field_validator("one_sided", mode="after")
    @classmethod
    def _side(cls, v: Any) -> Any:
        if v is None:
            return False
        if isinstance(v, bool):
            return v
        if isinstance(v, str) and v.strip().lower() in ("low", "high"):
            return v.strip().lower()
        raise ValueError(f"expected false, 'low', 'high' or true (with 'unfavourable'), got {v!r}")

    @model_validator(mode="after")
    def _unfavourable(self) -> PeerGrading:
        if self.one_sided is True and self.unfavourable is None:
            raise _At(
                "unfavourable",
                "one_sided: true needs 'unfavourable': 'low' or 'high' (the side that counts "
                "against a participant)",
            )
        return self

    @property
    def side(self) -> Literal[False, "low", "high"]:
        """The unfavourable side: False (two-sided), ``"low"`` or ``"high"``."""
        return self.unfavourable if self.one_sided is True else self.one_sided

    def config(self) -> dict[str, Any]:
        """The grading rule as :func:`pvcal.peer.grade` takes it (a fresh dict)."""
        return {
            "statistic": self.statistic,
            "one_sided": self.side,
            "cuts": {
                "excellent": self.cuts.excellent,
                "good": self.cuts.good,
                "pass": self.cuts.pass_,
            },
            "boundary": self.boundary,
        }


class Sample(Section):
    """``peer.samples.<id>``: a proficiency-test sample (documentation)."""

    measurand: Text | None = None
    unit: Text | None = None


class Peer(Section):
    """``peer``: the peer-comparison part of a discipline (ISO 13528)."""

    method: _choice(PEER_METHODS) = "algorithm_a"  # type: ignore[valid-type]
    sigma_pt: SigmaPt
    aggregate: _choice(PEER_AGGREGATES) = "max_abs"  # type: ignore[valid-type]
    samples: dict[Id, Sample | None] = Field(default_factory=dict)
    grading: PeerGrading = PeerGrading()

    @model_validator(mode="after")
    def _samples(self) -> Peer:
        value = self.sigma_pt.value
        if isinstance(value, dict) and self.samples:
            unknown = sorted(set(value) - set(self.samples))
            if unknown:
                raise _At(
                    ("sigma_pt", "value", unknown[0]),
                    f"sample {unknown[0]!r} is not one of peer.samples {sorted(self.samples)}",
                )
        return self


class CutTriple(Section):
    """θ cuts of pass, good and excellent (keys in any case: ``Pass`` = ``pass``)."""

    @model_validator(mode="before")
    @classmethod
    def _lower(cls, v: Any) -> Any:
        if isinstance(v, Mapping):
            return {k.lower() if isinstance(k, str) else k: x for k, x in v.items()}
        return v

    pass_: Number = Field(alias="pass")
    good: Number
    excellent: Number

    def as_grades(self) -> dict[str, float]:
        """``{"Pass": θ, "Good": θ, "Excellent": θ}``."""
        return {"Pass": self.pass_, "Good": self.good, "Excellent": self.excellent}


def _timestamp(x: Any) -> Any:
    return x.isoformat() if isinstance(x, _dt.date | _dt.datetime) else x


class TunedCuts(Section):
    """``tuned_cuts``: θ cuts chosen with the threshold tuner; they override ``grades``."""

    theta: CutTriple
    set_by: Text
    set_at: Annotated[Text, BeforeValidator(_timestamp)]
    reason: Text
    seeded_from: CutTriple | None = None
    history: tuple[dict[str, Any], ...] = ()

    @model_validator(mode="after")
    def _order(self) -> TunedCuts:
        t = self.theta
        if not t.pass_ < t.good < t.excellent:
            raise _At(
                "theta",
                f"cuts must increase from pass to excellent, got {t.pass_:g}, {t.good:g}, "
                f"{t.excellent:g}",
            )
        return self


class Module(Section):
    """A training module advised for a weak domain."""

    module: Text
    hours: Positive


class Diagnosis(Section):
    """``diagnosis``: per-domain strengths and weaknesses of a candidate."""

    level: Annotated[float, Field(strict=True, ge=0.5, le=0.999)] = 0.95
    min_items: Annotated[Count, Field(ge=2)] = 5
    method: _choice(DIAGNOSIS_METHODS) = "augmented"  # type: ignore[valid-type]
    modules: dict[Id, Module] | None = None


Alpha = Annotated[float, Field(strict=True, gt=0, lt=0.5)]


class Integrity(Section):
    """``integrity``: screens for answer copying and other irregularities."""

    alpha: Alpha = 0.001
    control: _choice(INTEGRITY_CONTROLS) = "bh"  # type: ignore[valid-type]
    min_shared_items: Annotated[Count, Field(ge=1)] = 10


def _unique(values: tuple) -> tuple:
    seen = [v for i, v in enumerate(values) if v in values[:i]]
    if seen:
        raise ValueError(f"duplicate entry {seen[0]!r}")
    return values


class Certificates(Section):
    """``certificates``: validity and the public revocation notice."""

    validity_months: Annotated[Count, Field(ge=1, le=120)] = 36
    public_notice: Annotated[
        tuple[_choice(NOTICE_FIELDS), ...],  # type: ignore[valid-type]
        Field(min_length=1),
    ] = NOTICE_FIELDS

    _no_duplicates = field_validator("public_notice")(lambda cls, v: _unique(v))


class Dif(Section):
    """``dif``: differential item functioning screens."""

    groupings: Annotated[tuple[Id, ...], Field(min_length=1)] = ("gender", "region", "employer")
    min_group: Annotated[Count, Field(ge=2)] = 100
    alpha: Alpha = 0.05

    _no_duplicates = field_validator("groupings")(lambda cls, v: _unique(v))


# ============================================================== the rules
class Rules(Section):
    """A discipline's verification rules (``rules.yml``, Art. 10), validated.

    Build with :func:`load` (a file) or :func:`validate` (a mapping).  The
    module docstring of :mod:`pvcal.rules` lists every key, its default and
    the module that interprets it.

    Attributes
    ----------
    discipline, title : str
    model : str
        One of :data:`MODELS` or ``"mixed"``.
    periods : tuple of str
    base_period : str
    forms : dict of str to tuple of str, or None
    files : Files or None
    scale : Scale
        ``scale.standard_score`` is a :class:`StandardScore`.
    grades : Grades
    eligibility : Eligibility
    anchors : Anchors
    missing : Missing
    peer : Peer or None
    combine : str
    tuned_cuts : TunedCuts or None
    locale : str
    diagnosis : Diagnosis
    integrity : Integrity
    certificates : Certificates
    dif : Dif
    file : str or None
        The file read (property).
    raw : dict
        The mapping as read (property).
    """

    discipline: Id
    title: Text | None = None
    model: _choice((*MODELS, "mixed"))  # type: ignore[valid-type]
    periods: Annotated[tuple[Id, ...], Field(min_length=1), BeforeValidator(_one_or_many)]
    base_period: Id
    forms: dict[Id, Ids] | None = None
    files: Files | None = None
    scale: Scale
    grades: Grades
    eligibility: Eligibility
    anchors: Anchors = Anchors()
    missing: Missing = Missing()
    peer: Peer | None = None
    combine: _choice(COMBINE) = "lower"  # type: ignore[valid-type]
    tuned_cuts: TunedCuts | None = None
    locale: _choice(LOCALES) = DEFAULT_LOCALE  # type: ignore[valid-type]
    diagnosis: Diagnosis = Diagnosis()
    integrity: Integrity = Integrity()
    certificates: Certificates = Certificates()
    dif: Dif = Dif()

    _file: str | None = PrivateAttr(default=None)
    _raw: dict = PrivateAttr(default_factory=dict)

    @field_validator("periods", mode="before")
    @classmethod
    def _periods_list(cls, v: Any) -> Any:
        if not isinstance(v, list | tuple):
            raise ValueError(f"expected a non-empty list of periods, got {v!r}")
        return v

    @field_validator("periods")
    @classmethod
    def _unique_periods(cls, v: tuple) -> tuple:
        dup = [p for i, p in enumerate(v) if p in v[:i]]
        if dup:
            raise ValueError(f"duplicate period {dup[0]!r} in {list(v)}")
        return v

    @model_validator(mode="after")
    def _cross(self) -> Rules:
        periods = list(self.periods)
        if self.base_period not in periods:
            raise _At("base_period", f"{self.base_period!r} is not one of periods {periods}")
        if self.forms is not None:
            for p in self.forms:
                if p not in periods:
                    raise _At(("forms", p), f"period {p!r} is not one of periods {periods}")
            for p in periods:
                if p not in self.forms:
                    raise _At(("forms", p), f"period {p!r} has no forms; list every period")
        if self.anchors.policy == "none" and len(periods) > 1:
            raise _At(
                "anchors.policy",
                f"'none' leaves periods {[p for p in periods if p != self.base_period]} "
                "unlinked to the base scale; use 'common_items' with more than one period",
            )
        if "combine" in self.model_fields_set and self.peer is None:
            raise _At("combine", "only a discipline with a 'peer' section combines grades")
        self._check_cuts()
        return self

    def _check_cuts(self) -> None:
        ss = self.scale.standard_score
        specs = self.grades.by_cut()
        for cut, spec in specs.items():
            value = getattr(spec, "standard_score", None)
            if value is None:
                continue
            key = ("grades", cut, "standard_score")
            if not ss.min <= value <= ss.max:
                raise _At(key, f"{value:g} outside the scale {ss.min:g}..{ss.max:g}")
            if cut == "pass" and value != ss.pass_score:
                raise _At(
                    key,
                    f"{value:g} differs from scale.standard_score.pass_score {ss.pass_score:g}; "
                    "a fixed pass cut is given in theta",
                )
        for unit in ("theta", "standard_score", "percentile"):
            vals = [
                (c, getattr(s, unit))
                for c, s in specs.items()
                if getattr(s, unit, None) is not None
            ]
            if unit == "standard_score" and getattr(specs["pass"], unit, None) is None:
                vals = [("pass", ss.pass_score), *vals]
            for (c1, v1), (c2, v2) in zip(vals, vals[1:], strict=False):
                if not v1 < v2:
                    raise _At(
                        ("grades", c2, unit),
                        f"cuts must increase from pass to excellent, got {c1} = {v1:g} and "
                        f"{c2} = {v2:g}",
                    )

    # ---------------------------------------------------------------- access
    @property
    def file(self) -> str | None:
        """The rules file this was read from."""
        return self._file

    @property
    def raw(self) -> dict:
        """The mapping as read from the file (a copy)."""
        import copy

        return copy.deepcopy(self._raw)

    @property
    def standard_score(self) -> StandardScore:
        """``scale.standard_score``."""
        return self.scale.standard_score

    @property
    def min_study_hours(self) -> float:
        """``eligibility.min_study_hours`` (Art. 6)."""
        return float(self.eligibility.min_study_hours)

    @classmethod
    def from_mapping(cls, raw: Any, file: str | Path | None = None) -> Rules:
        """Validate a rules mapping (as read from YAML); see :func:`validate`."""
        return validate(raw, file=file)

    from_dict = from_mapping  # the name of pvcal.data.Rules before pvcal.rules

    def __eq__(self, other: object) -> bool:
        """Equal rules: the same validated values (the file name and raw spelling aside)."""
        return type(other) is type(self) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(self.model_dump_json())

    def to_json(self) -> str:
        """The rules as read (``raw``) and the file name, as JSON (see :meth:`from_json`)."""
        import json

        record = {"kind": "pvcal.Rules", "version": 1, "file": self.file, "rules": self._raw}
        return json.dumps(record, sort_keys=True, ensure_ascii=False, default=str)

    @classmethod
    def from_json(cls, text: str) -> Rules:
        """Validate the rules of a :meth:`to_json` record again (equal to the original)."""
        import json

        record = json.loads(text)
        if not isinstance(record, dict) or record.get("kind") != "pvcal.Rules":
            raise RulesError("not a pvcal.Rules JSON record")
        return validate(record["rules"], file=record.get("file"))

    def __repr__(self) -> str:
        methods = ", ".join(f"{c}={s.method}" for c, s in self.grades.by_cut().items())
        return (
            f"Rules({self.discipline!r}, model={self.model!r}, periods={list(self.periods)}, "
            f"base={self.base_period!r}, {methods})"
        )

    __str__ = __repr__


# ============================================================== errors
_NUMBER_ERRORS = {
    "greater_than": ">",
    "greater_than_equal": ">=",
    "less_than": "<",
    "less_than_equal": "<=",
}


def _unwrap(t: Any) -> Any:
    while True:
        origin = typing.get_origin(t)
        if origin is Annotated:
            t = typing.get_args(t)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(t) if a is not type(None)]
            if len(args) != 1:
                return tuple(args)
            t = args[0]
        else:
            return t


def _section_at(loc: tuple) -> type[BaseModel] | None:
    """The section model at key path ``loc`` below :class:`Rules` (None if not a section)."""
    t: Any = Rules
    for part in loc:
        t = _unwrap(t)
        if isinstance(t, tuple):  # the grade-spec union: the part is the method tag
            t = _CUT_BY_METHOD.get(str(part))
            continue
        if isinstance(t, type) and issubclass(t, BaseModel):
            name = next((n for n, f in t.model_fields.items() if part in (n, f.alias)), None)
            if name is None:
                return None
            t = t.model_fields[name].annotation
        elif typing.get_origin(t) is dict:
            t = typing.get_args(t)[1]
        else:
            return None
    t = _unwrap(t)
    return t if isinstance(t, type) and issubclass(t, BaseModel) else None


def _keys_of(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


def _path(loc: tuple) -> tuple:
    """Key path of a pydantic error location (union tags dropped)."""
    out = []
    for i, part in enumerate(loc):
        if i == 2 and loc[0] == "grades" and part in STANDARD_SETTING_METHODS:
            continue
        out.append(str(part) if not isinstance(part, int) else part)
    return tuple(out)


def _dotted(path: tuple) -> str:
    s = ""
    for p in path:
        s += f"[{p}]" if isinstance(p, int) else (f".{p}" if s else str(p))
    return s


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


def _one(err: Mapping[str, Any]) -> str:
    kind, loc, value = err["type"], tuple(err["loc"]), err.get("input")
    ctx = err.get("ctx") or {}
    at = ctx.get("error")
    if isinstance(at, _At):
        if at.message == "missing required key":
            return f"missing required key {_dotted(_path(loc) + at.path)!r}"
        return _line(_path(loc) + at.path, at.message)
    path = _path(loc)
    if kind == "missing":
        return f"missing required key {_dotted(path)!r}"
    if kind == "union_tag_not_found":
        return f"missing required key {_dotted(path + ('method',))!r}"
    if kind == "union_tag_invalid":
        return _line(
            path + ("method",),
            f"{ctx.get('tag')!r} is not one of {list(STANDARD_SETTING_METHODS)}",
        )
    if kind in ("literal_error", "enum"):
        return _line(path, f"{value!r} is not one of {ctx.get('expected')}")
    if kind in _NUMBER_ERRORS:
        bound = next(iter(ctx.values()), "")
        what = "an integer" if type(bound) is int else "a number"
        bound = f"{bound:g}" if isinstance(bound, int | float) else bound
        return _line(path, f"expected {what} {_NUMBER_ERRORS[kind]} {bound}, got {value!r}")
    if kind in ("float_type", "float_parsing", "finite_number"):
        return _line(path, f"expected a number, got {value!r}")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _line(path, f"expected an integer, got {value!r}")
    if kind in ("bool_type", "bool_parsing"):
        return _line(path, f"expected true or false, got {value!r}")
    if kind in ("string_type", "string_too_short"):
        return _line(path, f"expected a non-empty string, got {value!r}")
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return _line(path, f"expected a mapping, got {_describe(value)}")
    if kind in ("list_type", "tuple_type", "iterable_type"):
        return _line(path, f"expected a list, got {_describe(value)}")
    if kind == "too_short":
        return _line(path, "expected a non-empty list")
    if kind == "value_error":
        return _line(path, str(err["msg"]).removeprefix("Value error, "))
    return _line(path, f"{err['msg']}, got {value!r}")


def _line(path: tuple, message: str) -> str:
    return f"key {_dotted(path)!r}: {message}" if path else message


def validation_message(exc: ValidationError, file: str | None = None, prefix: tuple = ()) -> str:
    """One message for a pydantic error: the file, then each key path and what was expected."""
    parts: list[str] = []
    errors = [{**e, "loc": prefix + tuple(e["loc"])} for e in exc.errors()]
    extras: dict[tuple, list] = {}
    for e in errors:
        if e["type"] == "extra_forbidden":
            extras.setdefault(e["loc"][:-1], []).append(e["loc"][-1])
    for parent_loc, names in extras.items():
        parent = _section_at(parent_loc)
        known = f"; expected some of {_keys_of(parent)}" if parent is not None else ""
        path = _path(parent_loc)
        what = "cut(s)" if path == ("grades",) else "key(s)"
        parts.append(_line(path, f"unknown {what} {[str(n) for n in names]}{known}"))
    errors = [e for e in errors if e["type"] != "extra_forbidden"]
    for err in errors:
        deeper = any(
            len(o["loc"]) > len(err["loc"]) and o["loc"][: len(err["loc"])] == err["loc"]
            for o in errors
        )
        if err["type"] == "too_short" and deeper:
            continue  # a list whose entries failed: report the entries
        msg = _one(err)
        if msg not in parts:
            parts.append(msg)
    head = f"{file}: " if file else ""
    if len(parts) == 1:
        return head + parts[0]
    return head + f"{len(parts)} problems: " + "; ".join(parts)


# ============================================================== entry points
def section(model: type[_S], value: Any, key: str, *, file: str | Path | None = None) -> _S:
    """Validate one section of the rules (e.g. a ``standard_score`` block given in code).

    Parameters
    ----------
    model : type
        The section's model, e.g. :class:`StandardScore`.
    value : mapping or model
        An instance of ``model`` is returned as it is.
    key : str
        The section's key path, named in messages (``"scale.standard_score"``).
    file : str or Path, optional

    Raises
    ------
    RulesError
        As :func:`load`, with the key path below ``key``.
    """
    if isinstance(value, model):
        return value
    prefix = tuple(key.split(".")) if key else ()
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise RulesError(
            validation_message(exc, None if file is None else str(file), prefix)
        ) from None


def validate(raw: Any, *, file: str | Path | None = None) -> Rules:
    """Validate a rules mapping (as read from YAML) into :class:`Rules`.

    Parameters
    ----------
    raw : mapping
    file : str or Path, optional
        Named in error messages and kept as ``Rules.file``.

    Returns
    -------
    Rules

    Raises
    ------
    RulesError
        Anything :func:`load` refuses.
    """
    name = None if file is None else str(file)
    if not isinstance(raw, Mapping):
        raise RulesError(
            f"{name or 'rules'}: expected a mapping of rules at the top level, got "
            f"{type(raw).__name__}"
        )
    try:
        rules = Rules.model_validate(dict(raw))
    except ValidationError as exc:
        raise RulesError(validation_message(exc, name or "rules")) from None
    rules._file = name
    import copy

    rules._raw = copy.deepcopy(dict(raw))
    return rules


def load(path: str | Path) -> Rules:
    """Read and validate a discipline's ``rules.yml``.

    Parameters
    ----------
    path : str or Path
        The YAML file; its keys are listed in the module docstring.

    Returns
    -------
    Rules

    Raises
    ------
    RulesError
        (a :class:`~pvcal._validation.SchemaError`) A missing file, invalid YAML
        (with its line), a missing key, a wrong type, a number out of range, a
        value outside its allowed set, an unknown key, or a broken cross-field
        rule (base period not a period, a period without forms, cuts that do
        not increase...); the message names the file and the key path.

    Examples
    --------
    >>> r = load("data/sample/lab-assessor/rules.yml")   # doctest: +SKIP
    >>> r.peer.sigma_pt.rule, r.peer.grading.cuts.good    # doctest: +SKIP
    ('relative', 2.0)
    """
    import yaml

    p = Path(path)
    if not p.is_file():
        raise RulesError(f"{p}: file not found")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        raise RulesError(f"{p}{line}: invalid YAML ({getattr(exc, 'problem', exc)})") from None
    if raw is None:
        raise RulesError(f"{p}: empty rules file")
    return validate(raw, file=p)
