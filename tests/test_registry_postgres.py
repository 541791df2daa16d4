"""The registry on PostgreSQL 15: same tables, same rules, enforced by the database.

A throwaway server (``tests/_postgres.py``: initdb/pg_ctl of postgresql-15, run
as an unprivileged user) holds one fresh database per test. The SQLite rule
tests of ``test_registry.py`` run here again unchanged against PostgreSQL
(imported below); this module adds what only a server can show: the schemas
match column for column, migrations from an older version, ``PVCAL_REGISTRY``,
and two publishers at once (Art. 8: one result per application; Art. 11:
published indices are append-only).
"""

from __future__ import annotations

import itertools
import sqlite3
import threading

import pytest
from _postgres import create_database, postgres_server
from _system import find_postgres_bin, require_system
from test_registry import (  # noqa: F401  (re-run on PostgreSQL)
    _publish,
    test_duplicate_application_in_one_batch_is_refused,
    test_failed_commit_leaves_nothing,
    test_find_run_and_result,
    test_grade_must_be_one_of_four,
    test_new_publication_supersedes_never_overwrites,
    test_newer_schema_is_refused,
    test_one_result_per_application,
    test_rows_are_append_only,
    test_transaction_rolls_back_everything,
)

from pvcal._validation import RegistryError
from pvcal.registry import SCHEMA_VERSION, Registry, registry_path
from pvcal.registry_backends import PG_MIGRATIONS, RegistryURL

pytestmark = pytest.mark.db
_names = itertools.count()


@pytest.fixture(scope="session")
def pg_server():
    bindir = require_system("PostgreSQL 15 (initdb, pg_ctl of postgresql-15)", find_postgres_bin)
    require_system("psycopg 3 (the postgres extra)", lambda: __import__("psycopg"))
    with postgres_server(bindir) as url:
        yield url


@pytest.fixture
def pg_url(pg_server) -> str:
    return create_database(pg_server, f"reg{next(_names)}")


@pytest.fixture
def reg(pg_url):
    with Registry(pg_url) as r:
        yield r


def _sqlite_columns(tmp_path) -> dict[str, list[tuple[str, str, int]]]:
    with Registry(tmp_path / "r.sqlite") as lite:
        tables = [
            r[0]
            for r in lite._con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {
            t: [(c[1], c[2], c[3]) for c in lite._con.execute(f"PRAGMA table_info({t})")]
            for t in tables
        }


_TYPES = {"TEXT": {"text"}, "INTEGER": {"integer", "bigint"}, "REAL": {"double precision"}}


def test_same_tables_columns_and_triggers_as_sqlite(reg, tmp_path):
    """Column names, order, types (TEXT/INTEGER/REAL -> text/integer|bigint/double) and
    NOT NULL agree table by table; every SQLite append-only trigger exists in PostgreSQL."""
    lite = _sqlite_columns(tmp_path)
    pg = {}
    for table, col, dtype, nullable in reg._con.execute(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
        " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    ):
        pg.setdefault(table, []).append((col, dtype, nullable == "NO"))
    assert sorted(pg) == sorted(lite)
    for table, cols in lite.items():
        assert [c[0] for c in pg[table]] == [c[0] for c in cols], table
        for (name, ltype, notnull), (_, ptype, pnotnull) in zip(cols, pg[table]):
            assert ptype in _TYPES[ltype], (table, name, ltype, ptype)
            # SQLite lets INTEGER PRIMARY KEY be NULL on paper; PostgreSQL keys are NOT NULL
            assert pnotnull >= bool(notnull), (table, name)
    with Registry(tmp_path / "r.sqlite") as lite_reg:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        lite_triggers = {r[0] for r in lite_reg._con.execute(sql)}
    pg_triggers = {r[0] for r in reg._con.execute("SELECT tgname FROM pg_trigger")}
    assert lite_triggers <= pg_triggers
    assert reg.schema_version == SCHEMA_VERSION == len(PG_MIGRATIONS)


def test_truncate_refused_too(reg):
    """TRUNCATE bypasses row triggers in PostgreSQL: a statement trigger refuses it."""
    _publish(reg, ["A-1"])
    for table in ("results", "indices", "runs", "audit_log", "certificates"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only|final"):
            reg._con.execute(f"TRUNCATE {table} CASCADE")
    assert reg.results()["application"].tolist() == ["A-1"]


def test_migration_from_version_3(pg_url):
    """A database at schema 3 (before run_failed/cuts_applied) migrates to the current
    version on open: old audit rows kept, the widened checks accept the new actions, and
    the table stays append-only."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        for version, script in enumerate(PG_MIGRATIONS[:3], start=1):
            con.execute(script.encode())
            con.execute("INSERT INTO schema_version VALUES (%s, 'then')", (version,))
        con.execute(
            "INSERT INTO audit_log (at, actor, action, object_type, object_id, detail)"
            " VALUES ('t0', 'pvcal', 'case_opened', 'case', '1', '{}')"
        )
        with pytest.raises(psycopg.errors.CheckViolation):
            con.execute(
                "INSERT INTO audit_log (at, actor, action, object_type, object_id, detail)"
                " VALUES ('t1', 'pvcal', 'run_failed', 'run', 'r1', '{}')"
            )
    with Registry(pg_url) as reg:
        assert reg.schema_version == SCHEMA_VERSION
        reg.add_audit_event(
            "run_failed", object_type="run", object_id="r1", actor="pvcal", detail={"e": "x"}
        )
        log = reg.audit_log()
        assert log["action"].tolist() == ["case_opened", "run_failed"]
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            reg._con.execute("DELETE FROM audit_log")


def test_registry_url_from_environment(monkeypatch, tmp_path, pg_url):
    """PVCAL_REGISTRY (what --registry sets) replaces <reports>/registry.sqlite."""
    monkeypatch.setenv("PVCAL_REGISTRY", pg_url.replace("postgres@", "postgres:s3cret@"))
    path = registry_path(tmp_path / "reports")
    assert isinstance(path, RegistryURL) and path.is_file() and path.resolve() == path
    assert "s3cret" not in path.redacted and "***" in path.redacted
    with Registry(path) as reg:
        assert reg.schema_version == SCHEMA_VERSION
    monkeypatch.setenv("PVCAL_REGISTRY", str(tmp_path / "other.sqlite"))
    assert registry_path(tmp_path / "reports") == tmp_path / "other.sqlite"
    monkeypatch.delenv("PVCAL_REGISTRY")
    assert registry_path(tmp_path / "reports") == tmp_path / "reports" / "registry.sqlite"


def test_unreachable_server_is_a_registry_error():
    """A wrong URL fails with the URL (password hidden) in the message."""
    with pytest.raises(RegistryError, match=r"postgres:\*\*\*@127\.0\.0\.1:1/x"):
        Registry("postgresql://postgres:pw@127.0.0.1:1/x")


def test_two_publishers_at_once(pg_url):
    """Two publishers of the same applications start together: exactly one publication,
    no duplicate result; the other is refused (Art. 8) and leaves no trace (its run and
    index roll back with it)."""
    barrier = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def publisher(name: str) -> None:
        with Registry(pg_url) as reg:
            barrier.wait()
            try:
                _publish(reg, ["A-1", "A-2", "A-3"], run_id=name)
                outcome[name] = "published"
            except RegistryError as exc:
                outcome[name] = exc

    threads = [threading.Thread(target=publisher, args=(f"r{i}",)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(str(v) == "published" for v in outcome.values()) == [False, True]
    loser = next(v for v in outcome.values() if v != "published")
    assert "already has a published result" in str(loser)
    with Registry(pg_url) as reg:
        assert len(reg.indices()) == 1
        assert len(reg.runs()) == 1
        results = reg.results()
        assert sorted(results["application"]) == ["A-1", "A-2", "A-3"]
        assert results["application"].is_unique
