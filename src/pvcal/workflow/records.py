"""Records: the published index record, results and ineligible list (``publish_index``)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..registry import Registry
from ..registry_backends import is_database_url
from ..rules import CUT_GRADES
from .calibrate import CalibrationStep
from .diagnosis import diagnosis_step, write_feedback
from .grading import lower_grade, peer_part, response_details
from .handover import INDEX_FILE, RESULTS_FILE, WORK_DIR, StepError
from .pass_line import pass_line_from_step

__all__ = ["PublishStep", "publish_step", "method_text"]


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str), encoding="utf-8")


@dataclasses.dataclass(frozen=True, eq=False)
class PublishStep:
    """What ``publish_index.ipynb`` produces.

    Attributes
    ----------
    calibration : CalibrationStep
    index : BenchmarkIndex
    results : DataFrame
        One row per newly published application (pseudonyms; the registry's columns).
    already : int
        Applications of the period that already had a result (kept, Art. 8).
    ineligible : DataFrame
        Ineligible applications (pseudonymised) with the reason; not scored.
    peer : PeerRound or None
    diagnosis : DiagnosisStep or None
        Domain profiles, training advice and subscore value (pseudonyms).
    """

    calibration: CalibrationStep
    index: Any
    results: Any
    already: int
    ineligible: Any
    peer: Any = None
    diagnosis: Any = None


def publish_step(out_dir: str | Path = ".", *, registry: str | Path | None = None) -> PublishStep:
    """Grade every eligible application and write the published files.

    Writes ``index.json`` (``{"record": ..., "pass_index": ...}``),
    ``results.json`` and ``results.csv`` (pseudonymised: keyed HMAC-SHA256,
    :mod:`pvcal.pseudonym`) into ``out_dir``.  Applications that
    already hold a result in the registry keep it and are left out (Art. 8).

    Parameters
    ----------
    out_dir : str or Path
        Where the earlier notebooks ran.
    registry : str or Path, optional
        The registry (read only) to find applications that already have a result: a
        file (skipped while it does not exist) or a ``postgresql://`` URL.

    Returns
    -------
    PublishStep
    """
    import pandas as pd

    from ..index import BenchmarkIndex
    from ..pseudonym import load_key, pseudonymise_series

    out = Path(out_dir)
    step = CalibrationStep.load(out)
    path = out / WORK_DIR / INDEX_FILE
    if not path.is_file():
        raise StepError(f"{path} not found: run threshold_setting.ipynb first")
    index = BenchmarkIndex.from_record(path.read_text(encoding="utf-8"))
    key = load_key()
    scores = step.scores
    apps = scores.index
    app_p = pseudonymise_series(pd.Series(apps, index=apps), "application", key)
    cand = step.persons["candidate_id"].reindex(apps)
    cand_p = pseudonymise_series(cand, "candidate", key)
    theta, se = scores["theta"].to_numpy(float), scores["se"].to_numpy(float)
    exam_grade = np.asarray(index.grade(theta), dtype=object)
    grade = exam_grade.copy()
    details = response_details(step, apps)
    for detail, g in zip(details, exam_grade):
        detail["exam_grade"] = str(g)
        detail["theta_pass"] = index.pass_theta
    peer = peer_part(step, key)
    if peer is not None:
        frame = peer[0]
        combine = step.rules.combine
        for i, pseud in enumerate(app_p.to_numpy()):
            detail = details[i]
            detail["combine"] = combine
            if pseud not in frame.index:
                detail["peer"] = None
                detail["note"] = "no peer-comparison result: the verification is incomplete"
                grade[i] = "Fail"
                continue
            prow = frame.loc[pseud]
            detail["peer"] = {
                k: (v if isinstance(v, str) else None if pd.isna(v) else float(v))
                for k, v in prow.items()
            }
            if combine == "lower":
                grade[i] = lower_grade(grade[i], prow["peer_grade"])
            elif combine == "peer":
                grade[i] = prow["peer_grade"]
    diagnosis = diagnosis_step(step, index.pass_theta, app_p, out)  # Art. 4, 17
    for pseud, detail in zip(app_p.to_numpy(), details):
        if pseud in diagnosis.records:
            detail["diagnosis"] = diagnosis.records[pseud]
    cands = step.candidates.reindex(apps)
    summary = pd.DataFrame([d.pop("_summary") for d in details], index=apps)
    results = pd.DataFrame(
        {
            "application": app_p.to_numpy(),
            "candidate": cand_p.to_numpy(),
            "form": step.persons["form"].reindex(apps).astype(str).to_numpy(),
            "region": cands["region"]
            .astype(object)
            .where(cands["region"].notna(), None)
            .to_numpy(),
            "employer": cands["employer"]
            .astype(object)
            .where(cands["employer"].notna(), None)
            .to_numpy(),
            "n_items": summary["n_items"].to_numpy(),
            "n_answered": summary["n_answered"].to_numpy(),
            "raw_score": summary["raw_score"].to_numpy(),
            "max_score": summary["max_score"].to_numpy(),
            "theta": theta,
            "se": se,
            "standard_score": np.asarray(index.standard_score(theta), float),
            "grade": grade.astype(str),
            "detail": details,
        }
    )
    already = 0
    if registry is not None and (is_database_url(str(registry)) or Path(registry).is_file()):
        with Registry(registry) as reg:
            done = reg.existing_applications(results["application"])
        already = len(done)
        results = results[~results["application"].isin(done)].reset_index(drop=True)
    elig = step.eligibility
    inel = elig.loc[~elig["eligible"].astype(bool)]
    ineligible = pd.DataFrame(
        {
            "application": pseudonymise_series(
                pd.Series(inel.index, index=inel.index), "application", key
            ).to_numpy(),
            "study_hours": inel["study_hours"].to_numpy(),
            "min_study_hours": inel["min_study_hours"].to_numpy(),
            "reason": inel["reason"].astype(str).to_numpy(),
        }
    )
    record = index.to_record()
    record["pass_line"] = pass_line_from_step(step, index)  # what the pass line stands for
    record["method_text"] = method_text(step, index) + " " + record["pass_line"]["meaning"]
    record["key_fingerprint"] = key.fingerprint
    record.setdefault("title", step.rules.title or step.discipline)
    record["locale"] = step.rules.locale  # page language of appeal sheets from this index
    _write_json(out / INDEX_FILE, {"record": record, "pass_index": index.pass_index})
    (out / RESULTS_FILE).write_text(
        json.dumps(results.to_dict("records"), indent=1, default=str), encoding="utf-8"
    )
    results.drop(columns="detail").to_csv(out / "results.csv", index=False)
    ineligible.to_csv(out / "ineligible.csv", index=False)
    title = step.rules.title or step.discipline
    write_feedback(out, step, diagnosis, results, title=title, lang=step.rules.locale)
    peer_round = None if peer is None else peer[1]
    return PublishStep(step, index, results, already, ineligible, peer_round, diagnosis)


def method_text(step: CalibrationStep, index: Any) -> str:
    """Plain-language account of how results of this period were reached (Art. 13).

    In the rules' ``locale`` (:mod:`pvcal.report.i18n`); the notes it quotes from
    the index's uncertainty stay as those steps wrote them.
    """
    from ..report.i18n import grade_label, translator

    rules = step.rules
    lang = rules.locale
    _ = translator(lang).gettext
    cal = step.calibration
    conv = index.conversion
    model = (
        rules.model
        if rules.model != "mixed"
        else _("mixed (per item: %(models)s)")
        % {"models": ", ".join(sorted(set(map(str, step.bank.loc[step.wide.columns, "model"]))))}
    )
    parts = [
        _(
            "Responses of %(n)s eligible applications of %(period)s (study hours >= %(hours)s; "
            "Art. 6) were calibrated with the %(model)s IRT model by marginal maximum likelihood "
            "(EM; converged: %(converged)s, %(cycles)s cycles). Missing responses (not presented, "
            "not reached or omitted) are ignored, not scored as wrong."
        )
        % {
            "n": f"{len(step.wide):,}",
            "period": step.period,
            "hours": f"{rules.min_study_hours:g}",
            "model": model,
            "converged": cal.converged,
            "cycles": cal.n_iter,
        },
    ]
    if step.linking is not None:
        lk = step.linking
        text = _(
            "The period was put on the base scale of %(base)s by %(method)s linking through "
            "%(n)s anchor items (θ_base = %(A)s · θ + %(B)s)"
        ) % {
            "base": step.base_period,
            "method": lk.method,
            "n": len(lk.anchors),
            "A": f"{lk.A:.4f}",
            "B": f"{lk.B:.4f}",
        }
        if lk.excluded:
            text += _("; drifting anchors left out: %(items)s") % {
                "items": ", ".join(map(str, lk.excluded))
            }
        parts.append(text + _("."))
    else:
        parts.append(
            _("%(period)s is the base period: its calibration fixes the θ scale.")
            % {"period": step.period}
        )
    parts.append(
        _("Ability θ is the expected a posteriori (EAP) estimate with its posterior SD as SE.")
    )
    cuts = _("; ").join(
        f"{grade_label(g, lang)}: θ = {index.cuts[g]:.3f} ({index.methods[g].get('method', '?')})"
        for g in CUT_GRADES
    )
    parts.append(_("Grade cuts on the base scale: %(cuts)s.") % {"cuts": cuts})
    parts.extend(index.uncertainty.get("notes", []))
    parts.append(
        _(
            "Standard score = %(pass)s + %(scale)s × (θ − %(anchor)s), rounded half up to "
            "%(decimals)s decimals and clipped to [%(lower)s, %(upper)s]; the pass-line index is "
            "%(index)s. A score on a cut's standard score belongs to the upper grade (cuts at "
            "%(cuts)s)."
        )
        % {
            "pass": f"{conv.pass_score:g}",
            "scale": f"{conv.scale:g}",
            "anchor": f"{conv.anchor_theta:.4f}",
            "decimals": conv.decimals,
            "lower": f"{conv.lower:g}",
            "upper": f"{conv.upper:g}",
            "index": f"{index.pass_index:.2f}",
            "cuts": ", ".join(
                f"{grade_label(g, lang)} {v:.2f}" for g, v in index.cut_scores.items()
            ),
        }
    )
    if rules.peer is not None:
        final = {
            "lower": _("the lower of the exam and peer grades"),
            "exam": _("the exam grade (the peer grade is reported beside it)"),
            "peer": _("the peer grade"),
        }[rules.combine]
        parts.append(
            _(
                "Peer comparison (ISO 13528): assigned value by the robust consensus "
                "(%(method)s) of all participants per sample; the worst |%(statistic)s| over "
                "samples is graded; the final grade is %(final)s."
            )
            % {
                "method": rules.peer.method,
                "statistic": rules.peer.grading.statistic,
                "final": final,
            }
        )
    return " ".join(parts)
