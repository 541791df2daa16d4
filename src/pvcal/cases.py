"""Integrity cases (Art. 14): screening flags become cases for a person to review.

A person marked for review by :func:`pvcal.integrity.screen` (flagged as a
copier in some pair, or for person misfit) gets a case in the registry with the
evidence, pseudonymised: who is who is never in a case, only keyed pseudonyms
(:mod:`pvcal.pseudonym`). A case moves open -> under review -> cleared
or confirmed, each step a new event row with reviewer, reason and date.
Nothing is revoked automatically: revoking a certificate is a separate,
deliberate act (:func:`pvcal.certificates.revoke`) that may cite a confirmed case.

Examples
--------
>>> ids = open_cases(reg, screening, discipline="qms-auditor", period="2025H1",
...                  candidates=cands["candidate_id"], responses=wide)   # doctest: +SKIP
>>> reg.decide_case(ids[0], "under_review", reviewer="R. Li", reason="assigned")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ._validation import DataError, RegistryError
from .integrity import Screening
from .pseudonym import PseudonymKey, load_key, pseudonymise
from .registry import Registry

__all__ = ["case_kind", "case_evidence", "open_cases"]

_MAX_PAIRS = 10


def case_kind(row: Mapping[str, Any]) -> str | None:
    """``"copying"``, ``"aberrant"``, ``"copying+aberrant"`` or None (no flag)."""
    copying, aberrant = bool(row.get("flag_copying")), bool(row.get("flag_aberrant"))
    if copying and aberrant:
        return "copying+aberrant"
    if copying:
        return "copying"
    if aberrant:
        return "aberrant"
    return None


def _num(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f if np.isfinite(f) else None


def case_evidence(
    screening: Screening,
    person: Any,
    *,
    pseudonym: Any,
    responses: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The evidence of one person's case, with every person shown by pseudonym.

    Parameters
    ----------
    screening : Screening
    person : label
        Row label of the person in ``screening.candidates`` (raw application id).
    pseudonym : callable
        Raw application id -> pseudonym.
    responses : DataFrame, optional
        The wide responses screened: adds the item-by-item comparison with the
        strongest partner (own answer, partner's answer, match).

    Returns
    -------
    dict
        JSON-serialisable: ``kind``, sitting, ``theta``, ``pairs`` (the flagged
        pairs involving the person, else the strongest, at most 10),
        ``person_fit`` and ``items``; no raw identifier.
    """
    c = screening.candidates.loc[person]
    pairs = screening.pairs
    mine = pairs[(pairs["copier"] == person) | (pairs["source"] == person)]
    shown = mine[mine["flagged"]]
    if shown.empty:
        shown = mine[mine["copier"] == person].nlargest(1, "W")
    shown = shown.sort_values("W", ascending=False).head(_MAX_PAIRS)
    pair_rows = []
    for r in shown.to_dict("records"):
        role = "copier" if r["copier"] == person else "source"
        partner = r["source"] if role == "copier" else r["copier"]
        pair_rows.append(
            {
                "role": role,
                "partner": pseudonym(partner),
                **{
                    k: _num(r[k])
                    for k in (
                        "n_items",
                        "observed",
                        "expected",
                        "sd",
                        "W",
                        "p_value",
                        "p_adjusted",
                        "identical_incorrect",
                        "flagged",
                    )
                },
            }
        )
    items: list[dict[str, Any]] = []
    partner = c.get("partner")
    if responses is not None and isinstance(partner, str) and partner in responses.index:
        own, other = responses.loc[person], responses.loc[partner]
        for item in responses.columns:
            a, b = own[item], other[item]
            if pd.isna(a) and pd.isna(b):
                continue
            items.append(
                {
                    "item": str(item),
                    "own": _num(a),
                    "partner": _num(b),
                    "match": bool(a == b),
                }
            )
    settings = screening.settings
    return {
        "kind": case_kind(c),
        "sitting": {k: _num(c[k]) if k == "theta" else str(c[k]) for k in _sitting_cols(c)},
        "theta": _num(c.get("theta")),
        "strongest_partner": None if not isinstance(partner, str) else pseudonym(partner),
        "pairs": pair_rows,
        "person_fit": {
            "statistic": str(c.get("person_fit")),
            "value": _num(c.get("person_fit_value")),
            "critical": _num(c.get("person_fit_critical")),
            "p_value": _num(c.get("person_fit_p")),
            "G": _num(c.get("G")),
            "G_star": _num(c.get("G_star")),
            "flagged": bool(c.get("flag_aberrant")),
        },
        "items": items,
        "screening": {
            k: _num(settings.get(k)) if k != "control" else settings.get(k)
            for k in ("alpha", "control", "alpha_person", "n_sim", "n_pairs")
        },
    }


def _sitting_cols(c: pd.Series) -> list[str]:
    return [k for k in ("period", "site", "session", "form") if k in c.index and pd.notna(c[k])]


def open_cases(
    registry: Registry,
    screening: Screening,
    *,
    discipline: str,
    period: str,
    candidates: pd.Series | Mapping | None = None,
    responses: pd.DataFrame | None = None,
    key: PseudonymKey | bytes | None = None,
    run_id: str | None = None,
    actor: str = "pvcal",
) -> list[int]:
    """Open a case for every person the screening marked for review.

    Parameters
    ----------
    registry : Registry
    screening : Screening
        Persons labelled by raw application id.
    discipline, period : str
    candidates : Series or mapping, optional
        Raw application id -> raw candidate id, for the candidate pseudonym.
        Default: the candidate pseudonym of the application's published result.
    responses : DataFrame, optional
        Wide responses, for the item-by-item evidence.
    key : PseudonymKey or bytes, optional
        Pseudonym key (default :func:`pvcal.report.pseudonym.load_key`).
    run_id : str, optional
    actor : str, default "pvcal"

    Returns
    -------
    list of int
        The case ids opened (persons that already have a case for this
        discipline and period are skipped).

    Raises
    ------
    DataError
        A flagged person whose candidate cannot be pseudonymised (not in
        ``candidates`` and without a published result).
    """
    key = load_key() if key is None else key
    cache: dict[Any, str] = {}

    def pseudo(app: Any) -> str:
        if app not in cache:
            cache[app] = pseudonymise(str(app), "application", key)
        return cache[app]

    cand_map = dict(candidates.items()) if candidates is not None else {}
    opened = []
    with registry.transaction():
        for person, row in screening.review.iterrows():
            kind = case_kind(row)
            if kind is None:  # pragma: no cover - review implies a flag
                continue
            app = pseudo(person)
            if person in cand_map:
                cand = pseudonymise(str(cand_map[person]), "candidate", key)
            else:
                try:
                    cand = registry.result(app)["candidate"]
                except RegistryError:
                    raise DataError(
                        f"flagged person {app} has no candidate id (give candidates=) and no "
                        "published result"
                    ) from None
            evidence = case_evidence(screening, person, pseudonym=pseudo, responses=responses)
            case_id = registry.add_case(
                discipline=discipline,
                period=period,
                application=app,
                candidate=cand,
                kind=kind,
                evidence=evidence,
                run_id=run_id,
                actor=actor,
            )
            if case_id is not None:
                opened.append(case_id)
    return opened
