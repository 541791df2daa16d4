"""Keyed pseudonyms for candidate and application identifiers (Art. 15).

Every published file and every reviewer report shows candidates only by a
pseudonym: HMAC-SHA256 of the raw identifier under a secret key, truncated to
16 hex digits and prefixed by its kind (``A-`` application, ``C-`` candidate).
The same key gives the same pseudonym every run, so results can be joined
across periods without revealing who is who; without the key a pseudonym
cannot be reversed or recomputed.

The key is read, in this order, from

1. the environment variable ``PVCAL_PSEUDONYM_KEY`` (the key itself);
2. the file named by ``PVCAL_PSEUDONYM_KEY_FILE``;
3. the file ``~/.config/pvcal/pseudonym.key``;
4. otherwise :data:`SAMPLE_KEY`, a documented public default meant only for
   the simulated sample data (anyone can recompute sample pseudonyms).

A key file must lie outside the repository (a key committed with the code is
no secret).

These primitives sit low in the package (beside :mod:`pvcal._validation`), so
that domain modules such as :mod:`pvcal.cases` pseudonymise without importing
the report layer; :mod:`pvcal.report.pseudonym` re-exports them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pandas as pd

from ._validation import PvcalError

__all__ = [
    "SAMPLE_KEY",
    "PseudonymKey",
    "SecretKey",
    "load_key",
    "pseudonymise",
    "pseudonymise_series",
    "read_secret",
    "scrub",
]

#: The public default key for the sample data (documented; never use it for real candidates).
SAMPLE_KEY = b"pvcal-sample-data-pseudonym-key (public; sample data only)"
_PREFIX = {"application": "A-", "candidate": "C-"}
_REPO_ROOT = Path(__file__).resolve().parents[2]  # src/pvcal/pseudonym.py


@dataclass(frozen=True, repr=False)
class SecretKey:
    """An HMAC key and where it came from (the key never shows in ``repr``).

    Subclasses name the key's use by their fingerprint salt.
    """

    key: bytes
    source: str
    _FINGERPRINT_SALT: ClassVar[bytes] = b"pvcal key fingerprint"

    @property
    def fingerprint(self) -> str:
        """A short public fingerprint of the key (to detect a changed key)."""
        return hmac.new(self.key, self._FINGERPRINT_SALT, hashlib.sha256).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(source={self.source!r}, fingerprint={self.fingerprint!r})"


@dataclass(frozen=True, repr=False)
class PseudonymKey(SecretKey):
    """A pseudonymisation key and where it came from (the key never shows in ``repr``)."""


def load_key(env: dict[str, str] | None = None) -> PseudonymKey:
    """Find the pseudonymisation key (see the module notes for the order).

    Parameters
    ----------
    env : mapping, optional
        Environment to read (default ``os.environ``).

    Returns
    -------
    PseudonymKey

    Raises
    ------
    PvcalError
        If the key is empty, the key file is missing or empty, or the key file
        lies inside the repository.
    """
    found = read_secret("PVCAL_PSEUDONYM_KEY", "pseudonym", env)
    return PseudonymKey(*found) if found else PseudonymKey(SAMPLE_KEY, "sample-default")


def read_secret(
    variable: str, what: str, env: Mapping[str, str] | None = None
) -> tuple[bytes, str] | None:
    """Read an HMAC key from the environment or a key file, never from the repository.

    The order: the value of ``$VARIABLE``; the file named by
    ``$VARIABLE_FILE``; ``~/.config/pvcal/<what>.key``.  Used for the
    pseudonym key and the certificate key alike.

    Parameters
    ----------
    variable : str
        The environment variable, e.g. ``"PVCAL_PSEUDONYM_KEY"``.
    what : str
        The key's name in messages and in the default file name.
    env : mapping, optional
        Environment to read (default ``os.environ``).

    Returns
    -------
    (bytes, str) or None
        The key and where it came from (``env:…`` or ``file:…``); None when
        no key is configured (the caller falls back to its sample key).

    Raises
    ------
    PvcalError
        If the named key file is missing or empty, or lies inside the repository.
    """
    env = os.environ if env is None else env
    if env.get(variable):
        return env[variable].encode(), f"env:{variable}"
    named = env.get(f"{variable}_FILE")
    path = Path(named).expanduser() if named else Path(f"~/.config/pvcal/{what}.key").expanduser()
    if not (named or path.exists()):
        return None
    if not path.is_file():
        raise PvcalError(f"{what} key file {str(path)!r} not found")
    if path.resolve().is_relative_to(_REPO_ROOT) and (_REPO_ROOT / ".git").exists():
        raise PvcalError(
            f"{what} key file {str(path)!r} lies inside the repository {str(_REPO_ROOT)!r}; "
            "keep the key outside the code"
        )
    key = path.read_bytes().strip()
    if not key:
        raise PvcalError(f"{what} key file {str(path)!r} is empty")
    return key, f"file:{path}"


def pseudonymise(
    identifier: str, kind: str = "application", key: PseudonymKey | bytes | None = None
) -> str:
    """Pseudonym of one identifier: ``A-``/``C-`` + 16 hex digits of HMAC-SHA256.

    Parameters
    ----------
    identifier : str
        Raw application or candidate id.
    kind : {"application", "candidate"}
    key : PseudonymKey or bytes, optional
        Default :func:`load_key`.

    Returns
    -------
    str

    Examples
    --------
    >>> pseudonymise("QMS25H1-0001", key=SAMPLE_KEY)[:2]
    'A-'
    """
    if kind not in _PREFIX:
        raise PvcalError(f"kind={kind!r} is not one of {list(_PREFIX)}")
    raw = _key_bytes(key)
    text = str(identifier)
    if not text or text == "nan":
        raise PvcalError(f"cannot pseudonymise an empty {kind} identifier")
    digest = hmac.new(raw, f"{kind}:{text}".encode(), hashlib.sha256).hexdigest()
    return _PREFIX[kind] + digest[:16]


def pseudonymise_series(
    ids: Iterable[str] | pd.Series,
    kind: str = "application",
    key: PseudonymKey | bytes | None = None,
) -> pd.Series:
    """Vector version of :func:`pseudonymise` (keeps the index of a Series)."""
    raw = _key_bytes(key)
    s = ids if isinstance(ids, pd.Series) else pd.Series(list(ids))
    return pd.Series([pseudonymise(v, kind, raw) for v in s], index=s.index, dtype=object)


def _key_bytes(key: PseudonymKey | bytes | None) -> bytes:
    if key is None:
        return load_key().key
    if isinstance(key, PseudonymKey):
        return key.key
    if isinstance(key, (bytes, bytearray)) and key:
        return bytes(key)
    raise PvcalError("the pseudonym key must be non-empty bytes or a PseudonymKey")


def scrub(text: str, mapping: Mapping[str, str]) -> str:
    """Replace every raw identifier in ``text`` by its pseudonym (whole tokens only).

    Parameters
    ----------
    text : str
        E.g. a warning message that may name applications or candidates.
    mapping : mapping
        Raw identifier -> pseudonym.

    Examples
    --------
    >>> scrub("application X-1 has no responses", {"X-1": "A-0f"})
    'application A-0f has no responses'
    """
    return _TOKEN.sub(lambda m: mapping.get(m.group(0), m.group(0)), str(text))


_TOKEN = re.compile(r"[A-Za-z0-9_.\-]+")
