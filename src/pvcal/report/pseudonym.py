"""Keyed pseudonyms for the report layer: re-exports :mod:`pvcal.pseudonym`.

The primitives (HMAC-SHA256 pseudonyms, key loading, :func:`scrub`) live in
:mod:`pvcal.pseudonym`, below the domain modules, so that e.g. :mod:`pvcal.cases`
uses them without importing ``report`` (data flows one way).
"""

from __future__ import annotations

from ..pseudonym import (
    SAMPLE_KEY,
    PseudonymKey,
    load_key,
    pseudonymise,
    pseudonymise_series,
    scrub,
)

__all__ = [
    "SAMPLE_KEY",
    "PseudonymKey",
    "load_key",
    "pseudonymise",
    "pseudonymise_series",
    "scrub",
]
