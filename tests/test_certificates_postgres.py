"""Certificates, cases and the audit log on PostgreSQL 15 (``test_certificates.py`` again).

The tests of ``test_certificates.py`` run unchanged with ``PVCAL_REGISTRY``
pointing at a fresh PostgreSQL database (their registry comes from
``registry_path(reports)``): issue, verify, revoke, the case life cycle and
the database-enforced append-only records behave the same on both backends.
"""

from __future__ import annotations

import itertools

import pytest
from _postgres import create_database, postgres_server
from _system import find_postgres_bin, require_system
from test_certificates import *  # noqa: F403  (re-run on PostgreSQL)
from test_certificates import reg  # noqa: F401  (its fixture, built on our `reports`)

pytestmark = pytest.mark.db
_names = itertools.count()


@pytest.fixture(scope="module")
def pg_server():
    bindir = require_system("PostgreSQL 15 (initdb, pg_ctl of postgresql-15)", find_postgres_bin)
    require_system("psycopg 3 (the postgres extra)", lambda: __import__("psycopg"))
    with postgres_server(bindir) as url:
        yield url


@pytest.fixture
def reports(tmp_path, pg_server, monkeypatch):
    """The reports folder, its registry a fresh PostgreSQL database (PVCAL_REGISTRY)."""
    monkeypatch.setenv("PVCAL_REGISTRY", create_database(pg_server, f"cert{next(_names)}"))
    return tmp_path / "reports"
