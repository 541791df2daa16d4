"""Score and grade: peer comparison, the combined grade and each application's details."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..rules import GRADES
from .calibrate import CalibrationStep

__all__ = ["GRADE_ORDER", "peer_part", "lower_grade", "response_details"]

#: Grades, lowest first (:data:`pvcal.rules.GRADES` reversed).
GRADE_ORDER = tuple(reversed(GRADES))


def peer_part(step: CalibrationStep, key: Any = None) -> tuple[Any, Any] | None:
    """Peer comparison of the period (rules ``peer:``), by application pseudonym.

    The assigned value of each sample is the rules' consensus (Algorithm A);
    ``sigma_pt`` follows ``peer.sigma_pt`` (``relative``: a share of x_pt;
    ``absolute``: a value); a person's peer statistic is aggregated over
    samples (``max_abs``: the worst |statistic|) and graded with the rules'
    grading (:func:`pvcal.peer.grade`).

    Returns
    -------
    (DataFrame, PeerRound) or None
        Per application pseudonym: ``peer_statistic``, ``peer_grade`` and the
        statistic of each sample; None when the rules have no peer part.
    """
    import pandas as pd

    from .. import peer as _peer
    from ..pseudonym import pseudonymise_series

    cfg = step.rules.peer  # pvcal.rules.Peer: only implemented rules pass the loader
    if cfg is None or step.peer is None or not len(step.peer):
        return None
    df = step.peer.copy()
    df["participant"] = pseudonymise_series(df["application_id"], "application", key).to_numpy()
    method = cfg.method
    u_col = "u_value" if "u_value" in df.columns else None
    first = _peer.assess(
        df, "value", participant_col="participant", sample_col="sample_id", method=method
    )
    rule = cfg.sigma_pt
    if rule.rule == "relative":  # a share of |x_pt| of each sample
        sigma = {s: rule.value * abs(x) for s, x in first.assigned["x_pt"].items()}
    else:  # "absolute": one value, or one per sample
        sigma = dict(rule.value) if isinstance(rule.value, dict) else rule.value
    grading = cfg.grading.config()
    rnd = _peer.assess(
        df,
        "value",
        participant_col="participant",
        sample_col="sample_id",
        method=method,
        sigma_pt=sigma,
        u_col=u_col,
        grading=grading,
    )
    stat = rnd.grading["statistic"]
    wide = rnd.scores.pivot(index="participant", columns="sample", values=stat)
    worst = wide.abs().max(axis=1)  # peer.aggregate: max_abs, the only one rules accept
    out = pd.DataFrame({"peer_statistic": worst, "peer_grade": _peer.grade(worst, grading)})
    out = out.join(wide.add_prefix(f"{stat}_"))
    return out, rnd


def lower_grade(a: str, b: str) -> str:
    return GRADE_ORDER[min(GRADE_ORDER.index(a), GRADE_ORDER.index(b))]


def response_details(step: CalibrationStep, apps: Any) -> list[dict[str, Any]]:
    """Per application: item scores, domain raw scores and the summary counts.

    The items of a person are those of the person's form (``items.csv``
    ``forms``); missing responses count 0 in the raw score (they are ignored
    by the IRT scoring).
    """
    bank = step.bank
    forms = step.persons["form"].reindex(apps).astype(str).to_numpy()
    wide = step.wide.reindex(apps)
    out: list[dict[str, Any]] = [{} for _ in range(len(apps))]
    has_domain = "domain" in bank.columns
    for form in np.unique(forms):
        rows = np.flatnonzero(forms == form)
        items = [
            i
            for i in bank.index
            if i in wide.columns and form in str(bank.loc[i, "forms"]).split(";")
        ] or list(wide.columns)
        block = wide.iloc[rows][items].to_numpy(dtype=float, na_value=np.nan)
        maxs = bank.loc[items, "max_score"].to_numpy(float)
        answered = ~np.isnan(block)
        raw = np.nansum(block, axis=1)
        domains = {}
        if has_domain:
            dom = bank.loc[items, "domain"].astype(str).to_numpy()
            for d in np.unique(dom):
                cols = dom == d
                domains[str(d)] = (
                    np.nansum(block[:, cols], axis=1),
                    float(maxs[cols].sum()),
                    answered[:, cols].sum(axis=1),
                    int(cols.sum()),
                )
        for k, r in enumerate(rows):
            vals = block[k]
            detail = {
                "items": {
                    i: (None if np.isnan(v) else int(v)) for i, v in zip(items, vals, strict=True)
                },
                "_summary": {
                    "n_items": len(items),
                    "n_answered": int(answered[k].sum()),
                    "raw_score": float(raw[k]),
                    "max_score": float(maxs.sum()),
                },
            }
            if domains:
                detail["domains"] = {
                    d: {"raw": float(v[0][k]), "max": v[1], "answered": int(v[2][k]), "items": v[3]}
                    for d, v in domains.items()
                }
            out[r] = detail
    return out
