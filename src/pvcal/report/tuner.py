"""The cut-score tuner of ``threshold_setting.ipynb`` (for methodologists).

:class:`CutTuner` evaluates any three θ cuts against a period's candidates:
grade distribution, pass rate, classification accuracy and consistency
(Rudner), the conditional SEM at each cut (per form, on the θ and the
standard-score scale) and the θ → standard-score map.  :meth:`CutTuner.widget`
wraps it in ipywidgets sliders seeded with the standard-setting result, and
:meth:`CutTuner.save` (or :func:`save_proposal`) saves the chosen cuts with
who, when and why as a proposal beside the discipline's ``rules.yml``
(``proposals/cuts-<UTC time>.yml``); the rules file changes only when the
proposal is applied (``pvcal rules apply-proposal``, recorded in the audit
log).  Under
papermill the notebook calls :meth:`CutTuner.evaluate` at the rules' cuts
instead of showing widgets.

Examples
--------
>>> tuner = setting.tuner()                                   # doctest: +SKIP
>>> tuner.evaluate({"Pass": -0.3, "Good": 0.7, "Excellent": 1.3}).pass_rate   # doctest: +SKIP
>>> tuner.widget()                                            # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._validation import PvcalError, SchemaError, check_increasing
from ..registry import utcnow
from ..rules import CUT_GRADES
from .i18n import format_percent, grade_label, translator
from .plots import GRADES, plot_grade_distribution, plot_standard_score_map

__all__ = [
    "CutTuner",
    "TunerState",
    "summary_html",
    "CutProposal",
    "save_proposal",
    "read_proposal",
    "CUT_NAMES",
]

#: The three cuts, lowest first, as BenchmarkIndex names them.
CUT_NAMES = CUT_GRADES


def _cuts(cuts: Mapping[str, float] | Sequence[float]) -> dict[str, float]:
    if isinstance(cuts, Mapping):
        lookup = {str(k).capitalize(): float(v) for k, v in cuts.items()}
        missing = [c for c in CUT_NAMES if c not in lookup]
        if missing:
            raise PvcalError(f"cuts must give {list(CUT_NAMES)}; missing {missing}")
        values = [lookup[c] for c in CUT_NAMES]
    else:
        values = [float(v) for v in cuts]
        if len(values) != 3:
            raise PvcalError(f"give three cuts (Pass, Good, Excellent), got {len(values)}")
    check_increasing("cuts (Pass < Good < Excellent)", values)
    return dict(zip(CUT_NAMES, values, strict=True))


@dataclasses.dataclass(frozen=True, eq=False)
class TunerState:
    """The consequences of one set of cuts.

    Attributes
    ----------
    cuts : dict
        θ cut of Pass, Good, Excellent.
    index : BenchmarkIndex
        The seeded index with these cuts (standard-score map re-anchored).
    grades : Series
        Grade of each candidate.
    distribution : Series
        Share of each grade (Excellent .. Fail).
    pass_rate : float
    classification : ClassificationResult
        Rudner accuracy/consistency overall and per cut.
    csem : DataFrame
        Per cut: θ, standard score, and the conditional SEM on the θ and
        standard-score scales (mean over forms, weighted by candidates).
    """

    cuts: dict
    index: Any
    grades: pd.Series
    distribution: pd.Series
    pass_rate: float
    classification: Any
    csem: pd.DataFrame

    def table(self) -> pd.DataFrame:
        """One row per cut: θ, standard score, CSEM, accuracy, consistency."""
        by = self.classification.by_cut
        out = self.csem.copy()
        out["accuracy"] = by["accuracy"].to_numpy()
        out["consistency"] = by["consistency"].to_numpy()
        return out

    def facts(self) -> pd.Series:
        """Pass rate and overall accuracy/consistency."""
        return pd.Series(
            {
                "pass rate": self.pass_rate,
                "accuracy (all cuts)": float(self.classification.accuracy),
                "consistency (all cuts)": float(self.classification.consistency),
                "kappa": float(self.classification.kappa),
            }
        )


@dataclasses.dataclass(frozen=True, eq=False)
class CutTuner:
    """Evaluate and choose the three θ cuts of a discipline.

    Parameters
    ----------
    index : BenchmarkIndex
        The period's index as standard setting produced it (the seed).
    theta, se : Series
        Candidates' θ̂ and SE on the base scale.
    form_items : mapping of str to DataFrame
        Item parameters (base scale) of each form, for the CSEM at the cuts.
    form_weights : mapping of str to float
        Share of candidates on each form.
    rules_file : Path, optional
        The discipline's ``rules.yml`` (for :meth:`save`).
    """

    index: Any
    theta: pd.Series
    se: pd.Series
    form_items: Mapping[str, pd.DataFrame]
    form_weights: Mapping[str, float]
    rules_file: Path | None = None

    @classmethod
    def from_step(cls, setting: Any) -> CutTuner:
        """Build from a :class:`pvcal.workflow.SettingStep`."""
        step = setting.calibration
        forms = step.persons["form"].astype(str)
        form_items = {}
        for form, idx in forms.groupby(forms).groups.items():
            cols = step.wide.loc[idx].notna().any()
            form_items[str(form)] = step.items.loc[cols.index[cols.to_numpy()]]
        weights = forms.value_counts(normalize=True).to_dict()
        rules_file = Path(step.rules.file) if step.rules.file else None
        return cls(
            setting.index,
            step.scores["theta"],
            step.scores["se"],
            form_items,
            {str(k): float(v) for k, v in weights.items()},
            rules_file,
        )

    @property
    def seed_cuts(self) -> dict[str, float]:
        """The cuts the tuner starts from (the standard-setting result)."""
        return {g: float(self.index.cuts[g]) for g in CUT_NAMES}

    def evaluate(self, cuts: Mapping[str, float] | Sequence[float] | None = None) -> TunerState:
        """Grade distribution, pass rate, decision quality and CSEM for these cuts.

        Parameters
        ----------
        cuts : mapping or sequence, optional
            θ cuts of Pass, Good, Excellent (default :attr:`seed_cuts`).

        Raises
        ------
        PvcalError
            Cuts not strictly increasing.
        """
        from ..standards import classification, conditional_sem

        cuts = _cuts(self.seed_cuts if cuts is None else cuts)
        conv = self.index.conversion
        if conv.anchor == "pass_cut":
            conv = dataclasses.replace(conv, anchor_theta=cuts["Pass"])
        index = dataclasses.replace(self.index, cuts=cuts, conversion=conv)
        th = self.theta.to_numpy(float)
        grades = pd.Series(index.grade(th), index=self.theta.index, name="grade")
        dist = grades.value_counts(normalize=True).reindex(list(GRADES), fill_value=0.0)
        cq = classification(th, self.se.to_numpy(float), cuts)
        at = np.array([cuts[g] for g in CUT_NAMES])
        total = sum(self.form_weights.values())
        csem = np.zeros(3)
        for form, items in self.form_items.items():
            csem += self.form_weights.get(form, 0.0) / total * conditional_sem(items, at)
        table = pd.DataFrame(
            {
                "theta": at,
                "standard_score": [float(index.cut_scores[g]) for g in CUT_NAMES],
                "csem_theta": csem,
                "csem_standard_score": csem * conv.scale,
            },
            index=pd.Index(CUT_NAMES, name="cut"),
        )
        return TunerState(cuts, index, grades, dist, float(1 - dist["Fail"]), cq, table)

    def plot(self, state: TunerState | None = None, *, lang: str | None = None) -> Any:
        """Grade distribution and the standard-score map of a state; returns the Figure.

        ``lang``: language of the labels (default zh-CN).
        """
        import matplotlib.pyplot as plt

        _ = translator(lang).gettext
        state = self.evaluate() if state is None else state
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
        plot_grade_distribution(state.grades, ax=ax1, lang=lang)
        ax1.set_title(_("pass rate %(rate)s") % {"rate": format_percent(state.pass_rate, lang)})
        plot_standard_score_map(
            {k.lower(): v for k, v in state.cuts.items()},
            state.index.standard_score,
            cut_scores={k.lower(): float(state.index.cut_scores[k]) for k in state.cuts},
            ax=ax2,
            lang=lang,
        )
        ax2.set_title(_("θ → standard score"))
        return fig

    def save(
        self,
        cuts: Mapping[str, float] | Sequence[float],
        *,
        who: str,
        why: str,
        when: str | None = None,
    ) -> Path:
        """Save the chosen cuts as a proposal beside the rules file (see :func:`save_proposal`).

        The rules file itself is not changed; ``pvcal rules apply-proposal``
        applies the proposal.
        """
        if self.rules_file is None:
            raise PvcalError("this tuner has no rules file to save a proposal beside")
        return save_proposal(
            self.rules_file,
            cuts,
            who=who,
            why=why,
            when=when,
            seeded_from=self.seed_cuts,
            discipline=getattr(self.index, "discipline", None),
            period=getattr(self.index, "period", None),
        )

    def widget(self, lang: str | None = None) -> Any:
        """Sliders for the three cuts, live results, and a button that saves the cuts.

        Parameters
        ----------
        lang : {"zh-CN", "en"}, optional
            Language of the labels (default zh-CN).

        Returns
        -------
        ipywidgets.VBox
            Its parts carry CSS classes for scripted use (the browser test):
            ``pvcal-cut-pass`` / ``-good`` / ``-excellent`` (sliders),
            ``pvcal-tuner-summary`` (pass rate and grade table, see
            :func:`summary_html`), ``pvcal-who``, ``pvcal-why``, ``pvcal-save``
            and ``pvcal-status``.
        """
        import ipywidgets as w
        import matplotlib.pyplot as plt
        from IPython.display import display

        seed = self.seed_cuts
        sliders = {
            g: w.FloatSlider(
                value=round(seed[g], 2),
                min=-3.5,
                max=3.5,
                step=0.01,
                description=f"{grade_label(g, lang)} θ",
                continuous_update=False,
                readout_format=".2f",
            ).add_class(f"pvcal-cut-{g.lower()}")
            for g in CUT_NAMES
        }
        summary = w.HTML().add_class("pvcal-tuner-summary")
        out = w.Output()
        who = w.Text(description="who", placeholder="your name")
        why = w.Textarea(description="why", placeholder="reason for the change")
        button = w.Button(description="Save cuts proposal", button_style="warning")
        status = w.HTML()

        def current() -> dict[str, float]:
            return {g: s.value for g, s in sliders.items()}

        def refresh(_: Any = None) -> None:
            with out:
                out.clear_output(wait=True)
                try:
                    state = self.evaluate(current())
                except PvcalError as exc:
                    print(f"not usable: {exc}")
                    return
                summary.value = summary_html(state, lang)
                display(state.facts().to_frame("value"))
                display(state.table().round(4))
                fig = self.plot(state, lang=lang)
                display(fig)
                plt.close(fig)

        def save(_: Any) -> None:
            try:
                path = self.save(current(), who=who.value, why=why.value)
            except PvcalError as exc:
                status.value = f"<b style='color:#c51b7d'>not saved: {exc}</b>"
                return
            status.value = f"proposal saved to {path} at {utcnow()} (rules unchanged until applied)"

        for s in sliders.values():
            s.observe(refresh, names="value")
        button.on_click(save)
        refresh()
        who.add_class("pvcal-who")
        why.add_class("pvcal-why")
        button.add_class("pvcal-save")
        status.add_class("pvcal-status")
        return w.VBox([*sliders.values(), summary, out, who, why, button, status])


def summary_html(state: TunerState, lang: str | None = None) -> str:
    """Pass rate and grade shares of a state as HTML, with the exact values as data attributes.

    The ``div`` carries ``data-pass-rate`` and ``data-cut-pass`` (θ, two
    decimals as the slider shows it); each grade row of the
    ``pvcal-grade-table`` carries ``data-grade`` and ``data-share``.
    """
    import html

    _ = translator(lang).gettext
    rate_label, grade_head, share_head = _("pass rate"), _("grade"), _("share of candidates")
    rows = "".join(
        f'<tr data-grade="{g}" data-share="{float(state.distribution[g]):.9f}">'
        f"<th>{html.escape(grade_label(g, lang))}</th>"
        f"<td>{format_percent(float(state.distribution[g]), lang)}</td></tr>"
        for g in GRADES
    )
    return (
        f'<div data-pass-rate="{state.pass_rate:.9f}" data-cut-pass="{state.cuts["Pass"]:.2f}">'
        f"<p><b>{html.escape(rate_label)}</b>: {format_percent(state.pass_rate, lang)}</p>"
        f'<table class="pvcal-table pvcal-grade-table"><tr><th>{html.escape(grade_head)}</th>'
        f"<th>{html.escape(share_head)}</th></tr>{rows}</table></div>"
    )


#: Folder of cut proposals, beside a discipline's ``rules.yml``.
PROPOSALS_DIR = "proposals"
_PROPOSAL_KIND = "pvcal.CutProposal"


@dataclasses.dataclass(frozen=True)
class CutProposal:
    """Cuts proposed with the tuner, waiting to be applied to ``rules.yml``.

    The tuner never edits the rules file: it saves a proposal
    (:func:`save_proposal`) beside it, and ``pvcal rules apply-proposal``
    (:func:`pvcal.publish.proposals.apply_proposal`) applies it explicitly and
    records that in the registry's audit log.

    Attributes
    ----------
    theta : dict
        θ cuts by ``pass``, ``good``, ``excellent`` (strictly increasing).
    set_by, set_at, reason : str
        Who proposed the cuts, when (ISO 8601 UTC) and why.
    seeded_from : dict or None
        The cuts the tuner started from.
    discipline, period : str or None
        Where the tuner ran.
    rules : str
        The rules file the proposal is for, relative to the discipline folder.
    """

    theta: dict
    set_by: str
    set_at: str
    reason: str
    seeded_from: dict | None = None
    discipline: str | None = None
    period: str | None = None
    rules: str = "rules.yml"

    def to_dict(self) -> dict[str, Any]:
        """The proposal as a mapping (the YAML file's content)."""
        return {"kind": _PROPOSAL_KIND, "version": 1, **dataclasses.asdict(self)}

    def to_yaml(self) -> str:
        """The proposal file's text (YAML with a comment saying how to apply it)."""
        import yaml

        head = (
            "# Cut proposal from pvcal's threshold tuner: rules.yml is unchanged until\n"
            "#   pvcal rules apply-proposal <this file> --reports <reports folder>\n"
        )
        return head + yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], file: str | Path | None = None) -> CutProposal:
        """Validate a proposal mapping.

        Raises
        ------
        SchemaError
            Not a cut proposal; cuts missing or not increasing; empty who/why.
        """
        where = f"{file}: " if file is not None else ""
        if not isinstance(d, Mapping) or d.get("kind") != _PROPOSAL_KIND:
            raise SchemaError(f"{where}not a pvcal cut proposal (kind: {_PROPOSAL_KIND})")
        try:
            theta = {k.lower(): v for k, v in _cuts(d.get("theta") or {}).items()}
        except PvcalError as exc:
            raise SchemaError(f"{where}theta: {exc}") from None
        for key in ("set_by", "set_at", "reason"):
            if not str(d.get(key) or "").strip():
                raise SchemaError(f"{where}{key}: required (who, when and why)")
        seeded = d.get("seeded_from")
        return cls(
            theta=theta,
            set_by=str(d["set_by"]).strip(),
            set_at=str(d["set_at"]).strip(),
            reason=str(d["reason"]).strip(),
            seeded_from=None if seeded is None else {str(k): float(v) for k, v in seeded.items()},
            discipline=d.get("discipline"),
            period=None if d.get("period") is None else str(d["period"]),
            rules=str(d.get("rules") or "rules.yml"),
        )


def read_proposal(path: str | Path) -> CutProposal:
    """Read a proposal file written by :func:`save_proposal`.

    Raises
    ------
    SchemaError
        Missing file, not YAML, or not a valid proposal.
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise SchemaError(f"{path}: proposal file not found")
    try:
        d = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SchemaError(f"{path}: not valid YAML ({exc})") from None
    return CutProposal.from_dict(d, file=path)


def save_proposal(
    rules_file: str | Path,
    cuts: Mapping[str, float] | Sequence[float],
    *,
    who: str,
    why: str,
    when: str | None = None,
    seeded_from: Mapping[str, float] | None = None,
    discipline: str | None = None,
    period: str | None = None,
) -> Path:
    """Save chosen θ cuts as a proposal beside the rules file (the rules stay as they are).

    The proposal goes to ``<rules folder>/proposals/cuts-<UTC time>.yml``
    (``-2``, ``-3``... when that name is taken); ``pvcal rules apply-proposal``
    applies it.

    Parameters
    ----------
    rules_file : str or Path
        The discipline's ``rules.yml``.
    cuts : mapping or sequence
        θ cuts of Pass, Good, Excellent (strictly increasing).
    who, why : str
        Who proposes the cuts and why (both required).
    when : str, optional
        ISO 8601 UTC time (default now).
    seeded_from : mapping, optional
        The cuts the tuner started from.
    discipline, period : str, optional
        Where the tuner ran.

    Returns
    -------
    Path
        The proposal file.

    Raises
    ------
    PvcalError
        Cuts not increasing, empty who/why.
    """
    values = _cuts(cuts)
    if not str(who).strip() or not str(why).strip():
        raise PvcalError("say who sets the cuts and why (both are recorded with the proposal)")
    rules_file = Path(rules_file)
    proposal = CutProposal(
        theta={k.lower(): round(v, 6) for k, v in values.items()},
        set_by=str(who).strip(),
        set_at=when or utcnow(),
        reason=str(why).strip(),
        seeded_from=None
        if seeded_from is None
        else {str(k).lower(): round(float(v), 6) for k, v in seeded_from.items()},
        discipline=discipline,
        period=period,
        rules=rules_file.name,
    )
    folder = rules_file.parent / PROPOSALS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stamp = re.sub(r"[^0-9TZ]", "", proposal.set_at)
    path, n = folder / f"cuts-{stamp}.yml", 1
    while path.exists():
        n += 1
        path = folder / f"cuts-{stamp}-{n}.yml"
    path.write_text(proposal.to_yaml(), encoding="utf-8")
    return path
