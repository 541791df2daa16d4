"""Standard setting and decision quality.

Cut scores on the IRT θ scale by panel methods (:mod:`.panel`: modified Angoff,
Bookmark, borderline group / regression, contrasting groups), compromise
methods (:mod:`.compromise`: Hofstee, Beuk) or normative rules
(:mod:`.normative`), and the quality of the decisions they produce
(:mod:`.decisions`).

:func:`set_cuts` sets the three cuts of a discipline (Pass, Good, Excellent),
each by the method its rules file names, and :meth:`CutScores.bootstrap`
resamples candidates and panelists for the uncertainty of the cuts.

A rules file's ``grades:`` block maps each grade to a method and its options::

    grades:
      Pass:      {method: angoff, round: 2, rating: score}
      Good:      {method: bookmark, rp: 0.67, placement: before, aggregate: median}
      Excellent: {method: normative, percentile: 90}

Methods and their options (``scale`` is ``theta`` or ``raw``; raw-score cuts
go to θ through the inverse test characteristic curve):

=======================  ==================================================================
method                   options (required in bold in the docs of each function)
=======================  ==================================================================
fixed                    theta | standard_score (needs set_cuts(conversion=...))
angoff                   round, rating ("score"/"proportion"), panel_cut
bookmark                 rp (0.67), placement, aggregate, round, panel_cut
borderline_group         statistic, borderline_value, column, scale (theta)
borderline_regression    borderline (alias rating), column, scale (theta)
contrasting_groups       p (0.5), column, scale (theta)
hofstee                  k_min, k_max, f_min, f_max, interpolation, fail_if, step, scale (raw),
                         units, max_score, from_panel
beuk                     k, p, sd_k, sd_p, interpolation, fail_if, step, lower, upper,
                         scale (raw), units, max_score, from_panel

normative                percentile | k, robust, quantile_method, scale (theta)
=======================  ==================================================================
"""

from __future__ import annotations

from .compromise import CompromiseResult, beuk, fail_rate_curve, hofstee
from .cuts import GRADES, METHODS, BootstrapCuts, CutScores, parse_grades, set_cuts
from .decisions import (
    ClassificationResult,
    categorize,
    classification,
    classification_summed,
    conditional_sem,
    impact,
    near_cut,
)
from .normative import NormativeResult, normative_cut, robust_location_scale
from .panel import (
    AngoffResult,
    BookmarkResult,
    ExamineeCutResult,
    angoff,
    bookmark,
    borderline_group,
    borderline_regression,
    contrasting_groups,
    max_scores,
    ordered_item_booklet,
    panel_quality,
    rp_locations,
    tcc_inverse,
)

__all__ = [
    "GRADES",
    "METHODS",
    "CutScores",
    "BootstrapCuts",
    "set_cuts",
    "parse_grades",
    # panel
    "angoff",
    "bookmark",
    "borderline_group",
    "borderline_regression",
    "contrasting_groups",
    "ordered_item_booklet",
    "rp_locations",
    "panel_quality",
    "tcc_inverse",
    "max_scores",
    "AngoffResult",
    "BookmarkResult",
    "ExamineeCutResult",
    # compromise / normative
    "hofstee",
    "beuk",
    "fail_rate_curve",
    "CompromiseResult",
    "normative_cut",
    "robust_location_scale",
    "NormativeResult",
    # decisions
    "classification",
    "classification_summed",
    "conditional_sem",
    "categorize",
    "impact",
    "near_cut",
    "ClassificationResult",
]
