"""Applying a cut proposal of the threshold tuner to ``rules.yml``, with an audit record.

The tuner (:mod:`pvcal.report.tuner`) never edits the tracked rules file; it
saves proposals beside it (``<discipline>/proposals/cuts-<UTC time>.yml``).
:func:`apply_proposal` (``pvcal rules apply-proposal FILE``) writes a
proposal into the rules' ``tuned_cuts:`` block and records the change in the
registry's audit log (action ``cuts_applied``), both or neither.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

from .._validation import PvcalError, SchemaError
from ..registry import Registry, registry_path
from ..report.tuner import CutProposal, read_proposal

__all__ = ["apply_proposal", "tuned_cuts_text"]

_BLOCK = re.compile(r"^tuned_cuts:.*?(?=^[^\s#]|\Z)", re.S | re.M)


def tuned_cuts_text(text: str, proposal: CutProposal, *, file: str | Path | None = None) -> str:
    """A rules file's text with the proposal as its ``tuned_cuts:`` block.

    The rest of the file, comments included, is kept; an earlier
    ``tuned_cuts`` block moves into the new block's ``history``.

    Parameters
    ----------
    text : str
        The rules file's text.
    proposal : CutProposal
    file : str or Path, optional
        Named in error messages.

    Returns
    -------
    str

    Raises
    ------
    RulesError, SchemaError
        The rules with the new block do not validate (:func:`pvcal.rules.validate`).
    """
    import yaml

    from ..rules import validate

    old = (yaml.safe_load(text) or {}).get("tuned_cuts")
    history = []
    if isinstance(old, dict):
        history = list(old.get("history") or [])
        history.append({k: v for k, v in old.items() if k != "history"})
    block: dict[str, Any] = {
        "theta": dict(proposal.theta),
        "set_by": proposal.set_by,
        "set_at": proposal.set_at,
        "reason": proposal.reason,
    }
    if proposal.seeded_from is not None:
        block["seeded_from"] = dict(proposal.seeded_from)
    if history:
        block["history"] = history
    dumped = yaml.safe_dump({"tuned_cuts": block}, sort_keys=False, allow_unicode=True)
    dumped = dumped.replace(
        "tuned_cuts:\n",
        "tuned_cuts:   # applied from a threshold-tuner proposal; overrides the grades' methods\n",
        1,
    )
    new = f"{_BLOCK.sub('', text).rstrip(chr(10))}\n{dumped}"
    check = yaml.safe_load(new)
    if not isinstance(check, dict) or check.get("tuned_cuts", {}).get("theta") != block["theta"]:
        raise SchemaError(f"{file}: writing tuned_cuts produced an unreadable rules file")
    validate(check, file=file)
    return new


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def apply_proposal(
    proposal_file: str | Path,
    *,
    rules_file: str | Path | None = None,
    reports_dir: str | Path = "reports",
    actor: str | None = None,
) -> Path:
    """Apply a tuner proposal to the rules file and record it in the audit log.

    Parameters
    ----------
    proposal_file : str or Path
        A proposal written by :func:`pvcal.report.tuner.save_proposal`.
    rules_file : str or Path, optional
        The rules file to change (default: the proposal's ``rules`` in the
        folder above ``proposals/``).
    reports_dir : str or Path, default "reports"
        The reports folder whose registry keeps the audit log (created if
        missing).
    actor : str, optional
        Who applies the proposal (default ``$USER``, else the proposer).

    Returns
    -------
    Path
        The rules file.

    Raises
    ------
    SchemaError
        Not a valid proposal; the rules with the proposal do not validate.
    PvcalError
        The rules file is missing.

    Notes
    -----
    The audit event (``cuts_applied`` on object ``rules``, id
    ``<discipline>/<rules file name>``) holds the proposal file name, the cuts,
    who proposed them, when and why, and the SHA-256 of the rules file
    before and after.  The new rules text is moved into place (atomic rename)
    inside the registry transaction: an error in either leaves both as they
    were.
    """
    proposal_file = Path(proposal_file)
    proposal = read_proposal(proposal_file)
    if rules_file is None:
        rules_file = proposal_file.resolve().parent.parent / proposal.rules
    rules_file = Path(rules_file)
    if not rules_file.is_file():
        raise PvcalError(f"{rules_file}: rules file not found (give --rules)")
    before = rules_file.read_text(encoding="utf-8")
    after = tuned_cuts_text(before, proposal, file=rules_file)
    actor = (actor or os.environ.get("USER") or proposal.set_by).strip()
    discipline = proposal.discipline or rules_file.resolve().parent.name
    detail = {
        "proposal": proposal_file.name,
        "rules_file": str(rules_file),
        "theta": proposal.theta,
        "set_by": proposal.set_by,
        "set_at": proposal.set_at,
        "reason": proposal.reason,
        "period": proposal.period,
        "rules_sha256_before": _sha256(before),
        "rules_sha256_after": _sha256(after),
    }
    reports = Path(reports_dir)
    reports.mkdir(parents=True, exist_ok=True)
    tmp = rules_file.with_name(f".{rules_file.name}.{os.getpid()}.tmp")
    tmp.write_text(after, encoding="utf-8")
    try:
        with Registry(registry_path(reports)) as reg, reg.transaction():
            reg.add_audit_event(
                "cuts_applied",
                object_type="rules",
                object_id=f"{discipline}/{rules_file.name}",
                actor=actor,
                detail=detail,
            )
            os.replace(tmp, rules_file)
    finally:
        tmp.unlink(missing_ok=True)
    return rules_file
