"""Certificates (Art. 22): issued at publication, verifiable by code, revocable (Art. 14).

A certificate is issued for every **passing** published result (grade Pass,
Good or Excellent) and only for those, when the result is published. Its record
is ``number, discipline, period, grade, issue date, valid until`` plus the
holder's candidate pseudonym, and its **verification code** is an HMAC-SHA256
of that record under a secret key, so that a code cannot be made up without the
key and a changed record no longer matches its code.

The key is handled like the pseudonym key (:mod:`pvcal.report.pseudonym`),
read in this order from

1. the environment variable ``PVCAL_CERTIFICATE_KEY`` (the key itself);
2. the file named by ``PVCAL_CERTIFICATE_KEY_FILE``;
3. the file ``~/.config/pvcal/certificate.key``;
4. otherwise :data:`SAMPLE_CERTIFICATE_KEY`, a documented public default for
   the simulated sample data only.

A key file must lie outside the repository. The key never appears in a report,
a listing or the registry (only its public fingerprint does).

Records are append-only (:mod:`pvcal.registry`): a revocation is a new event
row, and the database refuses UPDATE and DELETE on certificate records.

Examples
--------
>>> from pvcal.registry import Registry
>>> reg = Registry(":memory:")
>>> issue(reg, discipline="d", period="2025H1", run_id="r1", validity_months=36)  # doctest: +SKIP
"""

from __future__ import annotations

import calendar
import datetime as _dt
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from ._validation import PvcalError, RegistryError
from .pseudonym import SecretKey, read_secret
from .registry import CERTIFICATE_COLUMNS, REASON_CATEGORIES, Registry
from .rules import CUT_GRADES, NOTICE_FIELDS

__all__ = [
    "SAMPLE_CERTIFICATE_KEY",
    "NOTICE_FIELDS",
    "CertificateKey",
    "Verification",
    "load_certificate_key",
    "verification_code",
    "add_months",
    "certificate_number",
    "issue",
    "status",
    "verify",
    "revoke",
    "listing",
    "revocation_notice",
]

#: The public default key for the sample data (documented; never use it for real certificates).
SAMPLE_CERTIFICATE_KEY = b"pvcal-sample-data-certificate-key (public; sample data only)"
# NOTICE_FIELDS: fields a public revocation notice may show (``certificates.public_notice``
# in rules.yml), defined in pvcal.rules.
_PASSING = CUT_GRADES  # the grades that earn a certificate
_RECORD_FIELDS = (
    "number",
    "discipline",
    "period",
    "grade",
    "issued_on",
    "valid_until",
    "candidate",
)


@dataclass(frozen=True, repr=False)
class CertificateKey(SecretKey):
    """The certificate HMAC key and where it came from (the key never shows in ``repr``);
    its fingerprint is stored with each certificate."""

    _FINGERPRINT_SALT: ClassVar[bytes] = b"pvcal certificate key fingerprint"


def load_certificate_key(env: Mapping[str, str] | None = None) -> CertificateKey:
    """Find the certificate key (see the module notes for the order).

    Parameters
    ----------
    env : mapping, optional
        Environment to read (default ``os.environ``).

    Returns
    -------
    CertificateKey

    Raises
    ------
    PvcalError
        The key file is missing, empty or inside the repository.
    """
    found = read_secret("PVCAL_CERTIFICATE_KEY", "certificate", env)
    return (
        CertificateKey(*found)
        if found
        else CertificateKey(SAMPLE_CERTIFICATE_KEY, "sample-default")
    )


def _key(key: CertificateKey | bytes | None) -> CertificateKey:
    if key is None:
        return load_certificate_key()
    if isinstance(key, CertificateKey):
        return key
    if isinstance(key, (bytes, bytearray)) and key:
        return CertificateKey(bytes(key), "given")
    raise PvcalError("the certificate key must be non-empty bytes or a CertificateKey")


def verification_code(record: Mapping[str, Any], key: CertificateKey | bytes | None = None) -> str:
    """The verification code of a certificate record: HMAC-SHA256, 16 hex digits in 4 groups.

    Parameters
    ----------
    record : mapping
        ``number, discipline, period, grade, issued_on, valid_until, candidate``.
    key : CertificateKey or bytes, optional
        Default :func:`load_certificate_key`.

    Returns
    -------
    str
        E.g. ``"3F2A-9C01-77BE-0D4C"``.

    Notes
    -----
    The message is ``"pvcal-certificate-v1"`` and the seven fields joined by
    ``"|"`` (UTF-8). A code therefore vouches for every field: a changed grade
    or date no longer verifies.

    Examples
    --------
    >>> rec = dict(number="d-2025H1-00001", discipline="d", period="2025H1", grade="Pass",
    ...            issued_on="2025-07-01", valid_until="2028-06-30", candidate="C-00")
    >>> len(verification_code(rec, b"k"))
    19
    """
    missing = [f for f in _RECORD_FIELDS if f not in record]
    if missing:
        raise PvcalError(f"certificate record lacks field(s) {missing}")
    message = "|".join(["pvcal-certificate-v1", *(str(record[f]) for f in _RECORD_FIELDS)])
    digest = hmac.new(_key(key).key, message.encode("utf-8"), hashlib.sha256).hexdigest()
    code = digest[:16].upper()
    return "-".join(code[i : i + 4] for i in range(0, 16, 4))


def add_months(day: _dt.date, months: int) -> _dt.date:
    """``day`` plus whole calendar months (the day clipped to the month's length)."""
    m = day.month - 1 + int(months)
    year, month = day.year + m // 12, m % 12 + 1
    return _dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def certificate_number(discipline: str, period: str, seq: int) -> str:
    """Certificate number ``<discipline>-<period>-<5-digit sequence>``.

    Examples
    --------
    >>> certificate_number("qms-auditor", "2025H1", 7)
    'qms-auditor-2025H1-00007'
    """
    return f"{discipline}-{period}-{int(seq):05d}"


def _date(value: Any, name: str) -> _dt.date:
    if value is None:
        return _dt.datetime.now(_dt.UTC).date()
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value))
    except ValueError:
        raise PvcalError(f"{name}={value!r} is not a date (YYYY-MM-DD)") from None


def issue(
    registry: Registry,
    *,
    discipline: str,
    period: str,
    run_id: str,
    validity_months: int,
    key: CertificateKey | bytes | None = None,
    issued_on: Any = None,
    actor: str = "pvcal",
) -> pd.DataFrame:
    """Issue certificates for the passing published results that have none yet.

    Parameters
    ----------
    registry : Registry
    discipline, period : str
    run_id : str
        The publishing run (recorded with each certificate).
    validity_months : int
        ``certificates.validity_months`` of the rules (1..120).
    key : CertificateKey or bytes, optional
        HMAC key (default :func:`load_certificate_key`).
    issued_on : date or str, optional
        Issue date (default: today, UTC).
    actor : str, default "pvcal"

    Returns
    -------
    DataFrame
        The certificates added (columns of
        :data:`pvcal.registry.CERTIFICATE_COLUMNS`); empty when there was
        nothing to issue.

    Raises
    ------
    PvcalError
        ``validity_months`` outside 1..120, a bad date.
    RegistryError
        As :meth:`Registry.add_certificates`.

    Notes
    -----
    Results graded Pass, Good or Excellent get one certificate each; Fail
    gets none. Numbers continue the discipline and period's sequence, in the
    order of the application pseudonyms (so a rerun numbers the same way).
    ``valid_until`` is the day before the issue date plus ``validity_months``.
    """
    months = int(validity_months)
    if not 1 <= months <= 120 or months != validity_months:
        raise PvcalError(f"validity_months must be a whole number 1..120, got {validity_months!r}")
    k = _key(key)
    day = _date(issued_on, "issued_on")
    until = add_months(day, months) - _dt.timedelta(days=1)
    results = registry.results(discipline, period)
    have = set(registry.certificates(discipline, period)["application"])
    todo = results[results["grade"].isin(_PASSING) & ~results["application"].isin(have)]
    todo = todo.sort_values("application")
    start = len(have) + 1
    rows = []
    for seq, r in enumerate(todo.itertuples(index=False), start=start):
        rec = {
            "number": certificate_number(discipline, period, seq),
            "discipline": discipline,
            "period": period,
            "grade": r.grade,
            "issued_on": day.isoformat(),
            "valid_until": until.isoformat(),
            "candidate": r.candidate,
        }
        rows.append(
            {
                **rec,
                "application": r.application,
                "run_id": run_id,
                "verification_code": verification_code(rec, k),
                "key_fingerprint": k.fingerprint,
            }
        )
    frame = pd.DataFrame(rows, columns=list(CERTIFICATE_COLUMNS))
    if len(frame):
        registry.add_certificates(frame, actor=actor)
    return frame


def status(row: Mapping[str, Any], today: Any = None) -> str:
    """``"revoked"``, ``"expired"`` (after ``valid_until``) or ``"valid"`` on ``today``."""
    if row.get("status") == "revoked":
        return "revoked"
    if _date(today, "today") > _date(row["valid_until"], "valid_until"):
        return "expired"
    return "valid"


@dataclass(frozen=True)
class Verification:
    """Outcome of :func:`verify`: ``status`` is one of ``valid``, ``revoked``,
    ``expired``, ``unknown``, ``wrong_code`` or ``altered`` (the record no longer
    matches its own code); ``ok`` only for ``valid``."""

    number: str
    status: str
    message: str
    record: dict | None = None

    @property
    def ok(self) -> bool:
        return self.status == "valid"


def verify(
    registry: Registry,
    number: str,
    code: str,
    *,
    key: CertificateKey | bytes | None = None,
    today: Any = None,
) -> Verification:
    """Check a certificate number and verification code.

    Parameters
    ----------
    registry : Registry
    number, code : str
        As printed on the certificate (the code's case and dashes do not matter).
    key : CertificateKey or bytes, optional
    today : date or str, optional
        Date of the check (default today, UTC).

    Returns
    -------
    Verification
        ``unknown`` (no such number), ``wrong_code``, ``altered`` (the stored
        record no longer yields its code under this key), ``revoked``,
        ``expired`` or ``valid``, with a sentence saying which.
    """
    try:
        row = registry.certificate(str(number).strip())
    except RegistryError:
        return Verification(str(number), "unknown", f"certificate {number} is unknown")

    def norm(c: str) -> str:
        return "".join(ch for ch in str(c).upper() if ch.isalnum())

    public = {
        k: row[k] for k in ("number", "discipline", "period", "grade", "issued_on", "valid_until")
    }
    if not hmac.compare_digest(norm(code), norm(row["verification_code"])):
        return Verification(
            row["number"], "wrong_code", f"certificate {row['number']}: the code is wrong"
        )
    expected = verification_code(row, key)
    if not hmac.compare_digest(norm(expected), norm(row["verification_code"])):
        return Verification(
            row["number"],
            "altered",
            f"certificate {row['number']}: the record does not match its code "
            "(altered, or checked with another key)",
        )
    st = status(row, today)
    if st == "revoked":
        msg = (
            f"certificate {row['number']} was revoked on {str(row['revoked_at'])[:10]} "
            f"({row['reason_category']})"
        )
    elif st == "expired":
        msg = f"certificate {row['number']} expired after {row['valid_until']}"
    else:
        msg = (
            f"certificate {row['number']} is valid: {row['discipline']} {row['period']}, "
            f"grade {row['grade']}, valid until {row['valid_until']}"
        )
    return Verification(row["number"], st, msg, public)


def revoke(
    registry: Registry,
    number: str,
    *,
    reason: str,
    actor: str,
    category: str | None = None,
    case_id: int | None = None,
) -> None:
    """Revoke a certificate (Art. 14); refused without a reason.

    Parameters
    ----------
    registry : Registry
    number : str
    reason : str
        Why (kept in the registry and the audit log; not published).
    actor : str
        Who revokes.
    category : {"fraud", "error", "other"}, optional
        Published reason category. Default ``"fraud"`` with a (confirmed)
        ``case_id``, else ``"other"``.
    case_id : int, optional
        The confirmed integrity case behind the revocation.

    Raises
    ------
    RegistryError
        See :meth:`Registry.revoke_certificate`.
    """
    if category is None:
        category = "fraud" if case_id is not None else "other"
    if category not in REASON_CATEGORIES:
        raise RegistryError(f"category {category!r} is not one of {list(REASON_CATEGORIES)}")
    registry.revoke_certificate(
        str(number), reason=reason, reason_category=category, actor=actor, case_id=case_id
    )


def listing(
    registry: Registry,
    discipline: str | None = None,
    period: str | None = None,
    *,
    today: Any = None,
) -> pd.DataFrame:
    """Certificates with their status today: ``number, discipline, period, grade,
    issued_on, valid_until, verification_code, status`` (no candidate data)."""
    df = registry.certificates(discipline, period)
    out = df[["number", "discipline", "period", "grade", "issued_on", "valid_until"]].copy()
    out["verification_code"] = df["verification_code"]
    out["status"] = [status(r, today) for r in df.to_dict("records")]
    return out.reset_index(drop=True)


def revocation_notice(
    registry: Registry,
    fields: Sequence[str] = NOTICE_FIELDS,
    *,
    discipline: str | None = None,
) -> pd.DataFrame:
    """The public revocation notice (Art. 14): one row per revoked certificate.

    Parameters
    ----------
    registry : Registry
    fields : sequence of str
        The fields rules.yml allows (``certificates.public_notice``), a subset
        of :data:`NOTICE_FIELDS`; nothing else is shown (no names, no ids, no
        pseudonyms, no free-text reasons).
    discipline : str, optional

    Returns
    -------
    DataFrame
        Columns ``fields`` in the order of :data:`NOTICE_FIELDS`, newest first.

    Raises
    ------
    PvcalError
        A field outside :data:`NOTICE_FIELDS`.
    """
    bad = [f for f in fields if f not in NOTICE_FIELDS]
    if bad:
        raise PvcalError(f"public notice field(s) {bad} are not among {list(NOTICE_FIELDS)}")
    df = registry.certificates(discipline)
    df = df[df["status"] == "revoked"].copy()
    df["date"] = df["revoked_at"].astype(str).str[:10]
    cols = [f for f in NOTICE_FIELDS if f in fields]
    return df.sort_values("revoked_at", ascending=False)[cols].reset_index(drop=True)
