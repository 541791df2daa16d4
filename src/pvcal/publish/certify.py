"""At publication: issue certificates (Art. 22) and open integrity cases (Art. 14).

Called by the runner inside the registry transaction that publishes a unit's
index and results, so certificates and cases commit with them or not at all:

- every passing result of the discipline and period that has no certificate
  gets one (:func:`pvcal.certificates.issue`; validity from the rules'
  ``certificates.validity_months``, HMAC key from
  :func:`pvcal.certificates.load_certificate_key`);
- every record of the unit's ``cases.json`` (written, pseudonymised, by
  :func:`pvcal.workflow.integrity.integrity_step`) becomes a case, unless the
  application already has one for that period.

Nothing is revoked here, ever: revocation is a person's decision
(``pvcal certificate revoke``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import certificates as certs
from .._validation import RegistryError
from ..registry import Registry
from ..workflow.integrity import CASES_FILE

__all__ = ["CASES_FILE", "register_integrity"]

_DEFAULT_MONTHS = 36


def _validity_months(folder: str | Path | None) -> int:
    if folder is None:
        return _DEFAULT_MONTHS
    rules_file = Path(folder) / "rules.yml"
    if not rules_file.is_file():
        return _DEFAULT_MONTHS
    from ..rules import load

    return int(load(rules_file).certificates.validity_months)


def register_integrity(
    registry: Registry,
    unit: str | Path,
    *,
    discipline: str,
    period: str,
    run_id: str,
    folder: str | Path | None = None,
    key: Any = None,
    issued_on: Any = None,
) -> str:
    """Issue the unit's certificates and open its integrity cases (in the open transaction).

    Parameters
    ----------
    registry : Registry
        With the unit's results already added.
    unit : str or Path
        The unit's staged folder (may hold ``cases.json``).
    discipline, period, run_id : str
    folder : str or Path, optional
        The discipline's data folder (its ``rules.yml`` gives the validity;
        default 36 months).
    key : CertificateKey or bytes, optional
        Certificate key (default :func:`pvcal.certificates.load_certificate_key`).
    issued_on : date or str, optional
        Issue date (default today, UTC).

    Returns
    -------
    str
        What was done, for the run's message.
    """
    opened = 0
    cases_file = Path(unit) / CASES_FILE
    if cases_file.is_file():
        for rec in json.loads(cases_file.read_text(encoding="utf-8")):
            candidate = rec.get("candidate")
            if candidate is None:
                try:
                    candidate = registry.result(rec["application"])["candidate"]
                except RegistryError:
                    candidate = "unknown"
            case_id = registry.add_case(
                discipline=discipline,
                period=period,
                application=rec["application"],
                candidate=candidate,
                kind=rec["kind"],
                evidence=rec["evidence"],
                run_id=run_id,
            )
            opened += case_id is not None
    issued = certs.issue(
        registry,
        discipline=discipline,
        period=period,
        run_id=run_id,
        validity_months=_validity_months(folder),
        key=key,
        issued_on=issued_on,
    )
    return f"{len(issued)} certificate(s) issued, {opened} integrity case(s) opened"
