"""The registry of published benchmark indices, results and runs (SQLite or PostgreSQL).

One embedded database file (stdlib :mod:`sqlite3`) under ``reports/`` keeps

- ``indices``: every published benchmark index, **append-only**: a new
  publication for the same discipline and period supersedes the older one, it
  never overwrites it (Art. 11);
- ``results``: at most **one result per application** (Art. 8); a second is
  refused with :class:`~pvcal._validation.RegistryError`;
- ``runs``: the audit log of publishing runs with input hash, code version,
  parameters and outcome (Art. 20);
- ``cases`` and ``case_events``: integrity cases (Art. 14) and every review step
  (open -> under review -> cleared / confirmed), each step a new event row;
- ``certificates`` and ``certificate_events``: certificates issued at
  publication (Art. 22) and their revocations, each a new event row;
- ``audit_log``: every case decision, certificate issue and revocation, failed
  publishing run (with its error) and applied change of a rules file.

Rows are never updated or deleted: SQLite triggers refuse it.  Candidate and
application identifiers are stored only as keyed pseudonyms
(:mod:`pvcal.pseudonym`); the raw identifier is needed to find a
candidate's row (:meth:`Registry.result`), and appears only on that
candidate's appeal sheet.

The schema is created and migrated by pvcal: ``schema_version`` holds the
version applied; opening a database written by a newer pvcal is refused.

A ``postgresql://`` URL instead of a file (or ``PVCAL_REGISTRY``, set by the
CLI's ``--registry``) keeps the same tables on a PostgreSQL server, with the
same rules enforced by the database (unique keys, append-only triggers) and
concurrent writers queued; see :mod:`pvcal.registry_backends`.

Examples
--------
>>> reg = Registry(":memory:")
>>> reg.schema_version
4
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ._validation import RegistryError, check_aware_time
from .registry_backends import RegistryURL, connect, is_database_url, redact_dsn
from .rules import GRADES as _GRADES
from .serialize import dumps

__all__ = [
    "Registry",
    "SCHEMA_VERSION",
    "RESULT_COLUMNS",
    "REGISTRY_FILE",
    "registry_path",
    "utcnow",
    "CASE_STATUSES",
    "CASE_TRANSITIONS",
    "CASE_KINDS",
    "REASON_CATEGORIES",
    "CERTIFICATE_COLUMNS",
    "AUDIT_ACTIONS",
]

# One entry per schema version: the SQL that takes version i-1 to version i.
# Each needs its PostgreSQL twin in pvcal.registry_backends.PG_MIGRATIONS (same tables and
# columns; tests/test_registry_postgres.py compares the two schemas).
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE runs (
        run_id        TEXT PRIMARY KEY,
        started_at    TEXT NOT NULL,
        finished_at   TEXT NOT NULL,
        command       TEXT NOT NULL,
        discipline    TEXT,
        period        TEXT,
        input_hash    TEXT NOT NULL,
        code_version  TEXT NOT NULL,
        parameters    TEXT NOT NULL,      -- JSON
        inputs        TEXT NOT NULL,      -- JSON: file -> sha256
        outcome       TEXT NOT NULL CHECK (outcome IN ('published', 'unchanged')),
        message       TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX runs_hash ON runs (command, discipline, period, input_hash);

    CREATE TABLE indices (
        index_id      INTEGER PRIMARY KEY AUTOINCREMENT,
        discipline    TEXT NOT NULL,
        period        TEXT NOT NULL,
        published_at  TEXT NOT NULL,
        run_id        TEXT NOT NULL REFERENCES runs (run_id),
        input_hash    TEXT NOT NULL,
        pass_index    REAL,
        record        TEXT NOT NULL,      -- JSON: BenchmarkIndex.to_record()
        calibration   TEXT,               -- JSON: Calibration.to_json() on the base scale
        supersedes    INTEGER REFERENCES indices (index_id)
    );
    CREATE INDEX indices_dp ON indices (discipline, period, index_id);

    CREATE TABLE results (
        result_id      INTEGER PRIMARY KEY AUTOINCREMENT,
        application    TEXT NOT NULL UNIQUE,   -- pseudonym of the application id
        candidate      TEXT NOT NULL,          -- pseudonym of the candidate id
        discipline     TEXT NOT NULL,
        period         TEXT NOT NULL,
        form           TEXT,
        index_id       INTEGER NOT NULL REFERENCES indices (index_id),
        run_id         TEXT NOT NULL REFERENCES runs (run_id),
        published_at   TEXT NOT NULL,
        region         TEXT,
        employer       TEXT,
        n_items        INTEGER,
        n_answered     INTEGER,
        raw_score      REAL,
        max_score      REAL,
        theta          REAL,
        se             REAL,
        standard_score REAL,
        grade          TEXT NOT NULL CHECK (grade IN ('Excellent', 'Good', 'Pass', 'Fail')),
        detail         TEXT NOT NULL           -- JSON: item scores, domain scores, other parts
    );
    CREATE INDEX results_dp ON results (discipline, period);
    CREATE INDEX results_candidate ON results (candidate);

    CREATE TRIGGER runs_no_update BEFORE UPDATE ON runs
        BEGIN SELECT RAISE(ABORT, 'the run log is append-only'); END;
    CREATE TRIGGER runs_no_delete BEFORE DELETE ON runs
        BEGIN SELECT RAISE(ABORT, 'the run log is append-only'); END;
    CREATE TRIGGER indices_no_update BEFORE UPDATE ON indices
        BEGIN SELECT RAISE(ABORT, 'published indices are append-only'); END;
    CREATE TRIGGER indices_no_delete BEFORE DELETE ON indices
        BEGIN SELECT RAISE(ABORT, 'published indices are append-only'); END;
    CREATE TRIGGER results_no_update BEFORE UPDATE ON results
        BEGIN SELECT RAISE(ABORT, 'a published result is final (Art. 8)'); END;
    CREATE TRIGGER results_no_delete BEFORE DELETE ON results
        BEGIN SELECT RAISE(ABORT, 'a published result is final (Art. 8)'); END;
    """,
    # 2: integrity cases, certificates and the audit log (Art. 14, 22). Portable SQL:
    # plain tables and constraints only (a PostgreSQL port maps INTEGER PRIMARY KEY to
    # an identity column); the SQLite triggers that make them append-only are version 3.
    """
    CREATE TABLE audit_log (
        event_id      INTEGER PRIMARY KEY,
        at            TEXT NOT NULL,
        actor         TEXT NOT NULL,
        action        TEXT NOT NULL CHECK (action IN ('case_opened', 'case_decision',
                          'certificate_issued', 'certificate_revoked')),
        object_type   TEXT NOT NULL CHECK (object_type IN ('case', 'certificate')),
        object_id     TEXT NOT NULL,
        detail        TEXT NOT NULL       -- JSON, pseudonymised
    );
    CREATE INDEX audit_log_object ON audit_log (object_type, object_id);

    CREATE TABLE cases (
        case_id       INTEGER PRIMARY KEY,
        discipline    TEXT NOT NULL,
        period        TEXT NOT NULL,
        application   TEXT NOT NULL,      -- pseudonym
        candidate     TEXT NOT NULL,      -- pseudonym
        kind          TEXT NOT NULL CHECK (kind IN ('copying', 'aberrant', 'copying+aberrant')),
        opened_at     TEXT NOT NULL,
        run_id        TEXT,
        evidence      TEXT NOT NULL,      -- JSON, pseudonymised
        UNIQUE (discipline, period, application)
    );

    CREATE TABLE case_events (
        event_id      INTEGER PRIMARY KEY,
        case_id       INTEGER NOT NULL REFERENCES cases (case_id),
        at            TEXT NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('open', 'under_review', 'cleared',
                          'confirmed')),
        reviewer      TEXT NOT NULL,
        reason        TEXT NOT NULL
    );
    CREATE INDEX case_events_case ON case_events (case_id, event_id);

    CREATE TABLE certificates (
        certificate_id    INTEGER PRIMARY KEY,
        number            TEXT NOT NULL UNIQUE,
        application       TEXT NOT NULL UNIQUE REFERENCES results (application),
        candidate         TEXT NOT NULL,
        discipline        TEXT NOT NULL,
        period            TEXT NOT NULL,
        grade             TEXT NOT NULL CHECK (grade IN ('Excellent', 'Good', 'Pass')),
        issued_on         TEXT NOT NULL,  -- YYYY-MM-DD
        valid_until       TEXT NOT NULL,  -- YYYY-MM-DD, last valid day
        run_id            TEXT NOT NULL REFERENCES runs (run_id),
        verification_code TEXT NOT NULL,
        key_fingerprint   TEXT NOT NULL,
        CHECK (valid_until >= issued_on)
    );
    CREATE INDEX certificates_dp ON certificates (discipline, period);

    CREATE TABLE certificate_events (
        event_id          INTEGER PRIMARY KEY,
        certificate_id    INTEGER NOT NULL REFERENCES certificates (certificate_id),
        at                TEXT NOT NULL,
        status            TEXT NOT NULL CHECK (status IN ('issued', 'revoked')),
        actor             TEXT NOT NULL,
        reason            TEXT,
        reason_category   TEXT CHECK (reason_category IN ('fraud', 'error', 'other')),
        case_id           INTEGER REFERENCES cases (case_id),
        CHECK (status <> 'revoked' OR (reason IS NOT NULL AND length(trim(reason)) > 0
                                       AND reason_category IS NOT NULL))
    );
    CREATE INDEX certificate_events_cert ON certificate_events (certificate_id, event_id);
    """,
    # 3: SQLite only: the tables of version 2 are append-only.
    """
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER cases_no_update BEFORE UPDATE ON cases
        BEGIN SELECT RAISE(ABORT, 'a case is append-only: add a case event'); END;
    CREATE TRIGGER cases_no_delete BEFORE DELETE ON cases
        BEGIN SELECT RAISE(ABORT, 'a case is append-only: add a case event'); END;
    CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
        BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
    CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
        BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
    CREATE TRIGGER certificates_no_update BEFORE UPDATE ON certificates
        BEGIN SELECT RAISE(ABORT, 'certificate records are append-only (Art. 22)'); END;
    CREATE TRIGGER certificates_no_delete BEFORE DELETE ON certificates
        BEGIN SELECT RAISE(ABORT, 'certificate records are append-only (Art. 22)'); END;
    CREATE TRIGGER certificate_events_no_update BEFORE UPDATE ON certificate_events
        BEGIN SELECT RAISE(ABORT, 'certificate records are append-only (Art. 22)'); END;
    CREATE TRIGGER certificate_events_no_delete BEFORE DELETE ON certificate_events
        BEGIN SELECT RAISE(ABORT, 'certificate records are append-only (Art. 22)'); END;
    """,
    # 4: the audit log also records failed publishing runs (object 'run', with the error)
    # and applied rules changes (object 'rules': a tuner proposal applied to rules.yml).
    # SQLite cannot widen a CHECK in place: the table is rebuilt, rows kept as they were.
    """
    CREATE TABLE audit_log_v4 (
        event_id      INTEGER PRIMARY KEY,
        at            TEXT NOT NULL,
        actor         TEXT NOT NULL,
        action        TEXT NOT NULL CHECK (action IN ('case_opened', 'case_decision',
                          'certificate_issued', 'certificate_revoked', 'run_failed',
                          'cuts_applied')),
        object_type   TEXT NOT NULL CHECK (object_type IN ('case', 'certificate', 'run',
                          'rules')),
        object_id     TEXT NOT NULL,
        detail        TEXT NOT NULL       -- JSON, pseudonymised
    );
    INSERT INTO audit_log_v4 (event_id, at, actor, action, object_type, object_id, detail)
        SELECT event_id, at, actor, action, object_type, object_id, detail FROM audit_log;
    DROP TABLE audit_log;
    ALTER TABLE audit_log_v4 RENAME TO audit_log;
    CREATE INDEX audit_log_object ON audit_log (object_type, object_id);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)
#: Actions the audit log records, by the kind of object they concern.
AUDIT_ACTIONS = {
    "case": ("case_opened", "case_decision"),
    "certificate": ("certificate_issued", "certificate_revoked"),
    "run": ("run_failed",),
    "rules": ("cuts_applied",),
}

#: Review states of an integrity case, and the moves allowed from each.
CASE_STATUSES = ("open", "under_review", "cleared", "confirmed")
CASE_TRANSITIONS = {"open": ("under_review",), "under_review": ("cleared", "confirmed")}
#: Kinds of integrity case.
CASE_KINDS = ("copying", "aberrant", "copying+aberrant")
#: Reason categories of a certificate revocation (the public notice shows the category).
REASON_CATEGORIES = ("fraud", "error", "other")
#: Columns of a certificates frame given to :meth:`Registry.add_certificates`.
CERTIFICATE_COLUMNS = (
    "number",
    "application",
    "candidate",
    "discipline",
    "period",
    "grade",
    "issued_on",
    "valid_until",
    "run_id",
    "verification_code",
    "key_fingerprint",
)

#: Columns of a results frame given to :meth:`Registry.add_results`.
RESULT_COLUMNS = (
    "application",
    "candidate",
    "form",
    "region",
    "employer",
    "n_items",
    "n_answered",
    "raw_score",
    "max_score",
    "theta",
    "se",
    "standard_score",
    "grade",
    "detail",
)


def utcnow() -> str:
    """Current UTC time as an ISO 8601 string with seconds (``2025-07-01T12:00:00Z``)."""
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _end_time(run_id: str, started_at: Any, finished_at: Any) -> str:
    """A run's given end time as ISO 8601 UTC (``...Z``); a RegistryError naming the run else.

    Refused: not a date-time, one without a time zone, or one before the run's
    start (a start without a zone is read as UTC; one that is not a date-time
    is not compared).
    """
    end = check_aware_time(
        finished_at, f"run {run_id!r}: finished_at={finished_at!r}", error=RegistryError
    )
    try:
        start = pd.Timestamp(started_at)
    except (TypeError, ValueError):
        start = pd.NaT
    if not pd.isna(start):
        if start.tzinfo is None:
            start = start.tz_localize("UTC")
        if end < start:
            raise RegistryError(
                f"run {run_id!r}: finished_at={finished_at!r} is before started_at="
                f"{started_at!r} (a negative duration); expected the time the run ended"
            )
    return end.strftime("%Y-%m-%dT%H:%M:%SZ")


#: The registry's file name inside a reports folder.
REGISTRY_FILE = "registry.sqlite"


def registry_path(reports_dir: str | Path) -> Path | RegistryURL:
    """The registry of a reports folder: ``<reports_dir>/registry.sqlite``, or ``PVCAL_REGISTRY``.

    ``PVCAL_REGISTRY`` (set by the CLI's ``--registry``) overrides the file:
    another SQLite file path, or a ``postgresql://user@host:5432/db`` URL,
    returned as a :class:`~pvcal.registry_backends.RegistryURL` that callers
    can treat like the file's path.
    """
    env = os.environ.get("PVCAL_REGISTRY", "").strip()
    if env:
        return RegistryURL(env) if is_database_url(env) else Path(env)
    return Path(reports_dir) / REGISTRY_FILE


def _json(value: Any) -> str:
    """Stored JSON text: the package's one convention (:func:`pvcal.serialize.dumps`)."""
    return dumps(value)


class Registry:
    """The published-results registry: one SQLite file, created and migrated on open.

    Parameters
    ----------
    path : str or Path
        Database file (created with its folder if absent), or ``":memory:"``.

    Raises
    ------
    RegistryError
        If the file is not a pvcal registry or was written by a newer pvcal.

    Notes
    -----
    Write with :meth:`transaction`: everything inside commits together or not
    at all.  The ``add_*`` methods may also be called outside a transaction;
    each then commits on its own.

    Examples
    --------
    >>> reg = Registry(":memory:")
    >>> with reg.transaction():
    ...     reg.add_run(run_id="r1", command="publish", input_hash="h", code_version="0.1",
    ...                 parameters={}, inputs={}, outcome="published",
    ...                 started_at="2025-07-01T00:00:00Z")
    >>> reg.runs()["outcome"].tolist()
    ['published']
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:" and not is_database_url(self.path):
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = connect(self.path)  # sqlite3, or PostgreSQL for a postgresql:// URL
            self._con.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise RegistryError(
                f"{self.shown}: not a usable pvcal registry ({redact_dsn(str(exc), self.path)})"
            ) from exc
        self._in_tx = False

    # -- schema -----------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        """Schema version of the open database."""
        row = self._con.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def _migrate(self) -> None:
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            current = int(con.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0)
            if current > SCHEMA_VERSION:
                raise RegistryError(
                    f"{self.shown}: registry schema version {current} is "
                    f"newer than this pvcal understands ({SCHEMA_VERSION}); upgrade pvcal"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in _statements(con, version):
                    con.execute(statement)
                con.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                    (version, utcnow()),
                )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    # -- transactions -----------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Registry]:
        """Group writes: commit them all at the end of the block, or none on error.

        Raises
        ------
        RegistryError
            If a transaction is already open.
        """
        if self._in_tx:
            raise RegistryError("a registry transaction is already open")
        self._con.execute("BEGIN IMMEDIATE")
        self._in_tx = True
        try:
            yield self
        except BaseException:
            self._in_tx = False
            self._con.execute("ROLLBACK")
            raise
        try:
            self._commit()
        except BaseException:
            if self._con.in_transaction:
                self._con.execute("ROLLBACK")
            raise
        finally:
            self._in_tx = False

    def _commit(self) -> None:
        self._con.execute("COMMIT")

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        if self._in_tx:
            yield self._con
        else:
            with self.transaction():
                yield self._con

    def close(self) -> None:
        """Close the database connection."""
        self._con.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def shown(self) -> str:
        """The registry's path or URL as messages may show it (a URL's password hidden)."""
        return redact_dsn(self.path, self.path)

    def __repr__(self) -> str:
        return f"Registry({self.shown!r})"

    # -- writing ----------------------------------------------------------------
    def add_run(
        self,
        *,
        run_id: str,
        command: str,
        input_hash: str,
        code_version: str,
        parameters: Mapping[str, Any],
        inputs: Mapping[str, str],
        outcome: str,
        started_at: str,
        discipline: str | None = None,
        period: str | None = None,
        message: str = "",
        finished_at: str | None = None,
    ) -> None:
        """Append one run to the audit log.

        Parameters
        ----------
        run_id : str
            Unique id of the run.
        command : str
            What ran (``"publish"``, ``"industry"``).
        input_hash : str
            SHA-256 over the inputs and parameters (see
            :func:`pvcal.publish.hash_inputs`).
        code_version : str
            pvcal version and git commit.
        parameters, inputs : mapping
            Run parameters; input file -> SHA-256.
        outcome : {"published", "unchanged"}
            What the run did.  Failed runs leave the registry untouched and are
            kept under ``reports/_failed/<run_id>/`` instead.
        started_at : str
            ISO 8601 UTC start time.
        discipline, period : str, optional
        message : str, optional
        finished_at : str, optional
            ISO 8601 end time with a time zone (stored in UTC,
            ``2026-12-04T10:45:00Z``); default now (:func:`utcnow`).  Given by
            callers that keep their own clock (tests pin it).

        Raises
        ------
        RegistryError
            If ``run_id`` exists, ``outcome`` is not allowed, or ``finished_at``
            is not a date-time with a time zone or is before ``started_at``.
        """
        if outcome not in ("published", "unchanged"):
            raise RegistryError(f"run outcome {outcome!r} is not 'published' or 'unchanged'")
        if finished_at is None:
            finished_at = utcnow()
        else:
            finished_at = _end_time(run_id, started_at, finished_at)
        try:
            with self._write() as con:
                con.execute(
                    "INSERT INTO runs (run_id, started_at, finished_at, command, discipline,"
                    " period, input_hash, code_version, parameters, inputs, outcome, message)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        run_id,
                        started_at,
                        finished_at,
                        command,
                        discipline,
                        period,
                        input_hash,
                        code_version,
                        _json(dict(parameters)),
                        _json(dict(inputs)),
                        outcome,
                        message,
                    ),
                )
        except sqlite3.IntegrityError as exc:
            raise RegistryError(f"run {run_id!r} is already in the run log ({exc})") from exc

    def add_index(
        self,
        *,
        discipline: str,
        period: str,
        run_id: str,
        input_hash: str,
        record: Mapping[str, Any],
        calibration: str | None = None,
        pass_index: float | None = None,
    ) -> int:
        """Publish a benchmark index; an earlier one for the same period is superseded.

        Parameters
        ----------
        discipline, period : str
        run_id : str
            The run that publishes it (add the run first, in the same transaction).
        input_hash : str
        record : mapping
            ``BenchmarkIndex.to_record()``.
        calibration : str, optional
            ``Calibration.to_json()`` of the period on the base scale.
        pass_index : float, optional
            The pass-line index (standard-score scale), kept as a column for queries.

        Returns
        -------
        int
            The new ``index_id``.
        """
        previous = self.current_index(discipline, period)
        with self._write() as con:
            cur = con.execute(
                "INSERT INTO indices (discipline, period, published_at, run_id, input_hash,"
                " pass_index, record, calibration, supersedes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    discipline,
                    period,
                    utcnow(),
                    run_id,
                    input_hash,
                    None if pass_index is None else float(pass_index),
                    _json(dict(record)),
                    calibration,
                    None if previous is None else previous["index_id"],
                ),
            )
            return int(cur.lastrowid)

    def add_results(
        self,
        results: pd.DataFrame,
        *,
        discipline: str,
        period: str,
        index_id: int,
        run_id: str,
    ) -> int:
        """Add one result per application (Art. 8).

        Parameters
        ----------
        results : DataFrame
            Columns :data:`RESULT_COLUMNS`; ``application`` and ``candidate`` are
            pseudonyms, ``detail`` a JSON-serialisable mapping per row.
        discipline, period : str
        index_id : int
            The index the grades were determined with.
        run_id : str

        Returns
        -------
        int
            Number of rows added.

        Raises
        ------
        RegistryError
            If an application already has a result (in the registry or twice in
            ``results``), or a grade is not one of the four grades.  Nothing is
            added then.
        """
        missing = [c for c in RESULT_COLUMNS if c not in results.columns]
        if missing:
            raise RegistryError(f"results frame lacks column(s) {missing}")
        apps = results["application"].astype(str)
        dup = apps[apps.duplicated()]
        if len(dup):
            raise RegistryError(
                f"application {dup.iloc[0]!r} appears twice in the results to publish; "
                "one application has one result (Art. 8)"
            )
        bad = results.loc[~results["grade"].isin(_GRADES), "grade"]
        if len(bad):
            raise RegistryError(f"grade {bad.iloc[0]!r} is not one of {list(_GRADES)}")
        existing = self.existing_applications(apps)
        if existing:
            raise RegistryError(
                f"application {sorted(existing)[0]!r} already has a published result "
                f"({len(existing)} such); one application has one result (Art. 8)"
            )
        now = utcnow()
        rows = [
            (
                str(r["application"]),
                str(r["candidate"]),
                discipline,
                period,
                _opt_str(r["form"]),
                int(index_id),
                run_id,
                now,
                _opt_str(r["region"]),
                _opt_str(r["employer"]),
                _opt_int(r["n_items"]),
                _opt_int(r["n_answered"]),
                _opt_float(r["raw_score"]),
                _opt_float(r["max_score"]),
                _opt_float(r["theta"]),
                _opt_float(r["se"]),
                _opt_float(r["standard_score"]),
                str(r["grade"]),
                _json(r["detail"]),
            )
            for r in results.to_dict("records")
        ]
        try:
            with self._write() as con:
                con.executemany(
                    "INSERT INTO results (application, candidate, discipline, period, form,"
                    " index_id, run_id, published_at, region, employer, n_items, n_answered,"
                    " raw_score, max_score, theta, se, standard_score, grade, detail)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
        except sqlite3.IntegrityError as exc:
            raise RegistryError(
                f"a result could not be added ({exc}); one application has one result (Art. 8)"
            ) from exc
        return len(rows)

    # -- reading ----------------------------------------------------------------
    def _frame(self, sql: str, params: Iterable[Any] = ()) -> pd.DataFrame:
        cur = self._con.execute(sql, tuple(params))
        cols = [d[0] for d in cur.description]
        return pd.DataFrame(cur.fetchall(), columns=cols)

    def runs(self) -> pd.DataFrame:
        """The audit log, oldest first."""
        return self._frame("SELECT * FROM runs ORDER BY started_at, run_id")

    def find_run(
        self, command: str, input_hash: str, discipline: str | None, period: str | None
    ) -> str | None:
        """The id of the latest *published* run with these inputs, or None."""
        row = self._con.execute(
            "SELECT run_id FROM runs WHERE command = ? AND input_hash = ? AND outcome = 'published'"
            " AND discipline IS ? AND period IS ? ORDER BY finished_at DESC, run_id DESC LIMIT 1",
            (command, input_hash, discipline, period),
        ).fetchone()
        return None if row is None else row[0]

    def indices(self, discipline: str | None = None, *, current: bool = False) -> pd.DataFrame:
        """Published indices (``record`` parsed), optionally only the current ones.

        Parameters
        ----------
        discipline : str, optional
        current : bool, default False
            Keep only the latest publication of each discipline and period.
        """
        sql = "SELECT * FROM indices"
        params: list[Any] = []
        if discipline is not None:
            sql += " WHERE discipline = ?"
            params.append(discipline)
        df = self._frame(sql + " ORDER BY index_id", params)
        if current and len(df):
            df = df.groupby(["discipline", "period"], sort=True).tail(1).reset_index(drop=True)
        df["record"] = [json.loads(r) for r in df["record"]]
        return df

    def current_index(self, discipline: str, period: str) -> dict[str, Any] | None:
        """The latest published index of a discipline and period (a dict), or None."""
        df = self._frame(
            "SELECT * FROM indices WHERE discipline = ? AND period = ?"
            " ORDER BY index_id DESC LIMIT 1",
            (discipline, period),
        )
        if not len(df):
            return None
        row = df.iloc[0].to_dict()
        row["record"] = json.loads(row["record"])
        return row

    def index(self, index_id: int) -> dict[str, Any]:
        """One published index by id.

        Raises
        ------
        RegistryError
            If there is none with that id.
        """
        df = self._frame("SELECT * FROM indices WHERE index_id = ?", (int(index_id),))
        if not len(df):
            raise RegistryError(f"no published index with index_id {index_id}")
        row = df.iloc[0].to_dict()
        row["record"] = json.loads(row["record"])
        return row

    def results(self, discipline: str | None = None, period: str | None = None) -> pd.DataFrame:
        """Published results (pseudonymised), ``detail`` left as JSON text."""
        sql, params = "SELECT * FROM results WHERE 1 = 1", []
        if discipline is not None:
            sql += " AND discipline = ?"
            params.append(discipline)
        if period is not None:
            sql += " AND period = ?"
            params.append(period)
        return self._frame(sql + " ORDER BY result_id", params)

    def existing_applications(self, applications: Iterable[str]) -> set[str]:
        """Which of these application pseudonyms already have a result."""
        apps = [str(a) for a in applications]
        found: set[str] = set()
        for start in range(0, len(apps), 500):
            chunk = apps[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(
                r[0]
                for r in self._con.execute(
                    f"SELECT application FROM results WHERE application IN ({marks})", chunk
                )
            )
        return found

    def result(self, application: str) -> dict[str, Any]:
        """The result of one application (by pseudonym), ``detail`` parsed.

        Raises
        ------
        RegistryError
            If the application has no published result.
        """
        df = self._frame("SELECT * FROM results WHERE application = ?", (application,))
        if not len(df):
            raise RegistryError(f"no published result for application pseudonym {application!r}")
        row = df.iloc[0].to_dict()
        row["detail"] = json.loads(row["detail"])
        return row

    # -- audit log, integrity cases and certificates (Art. 14, 22) --------------
    def _audit(
        self,
        con: sqlite3.Connection,
        *,
        action: str,
        object_type: str,
        object_id: Any,
        actor: str,
        detail: Mapping[str, Any],
        at: str | None = None,
    ) -> None:
        con.execute(
            "INSERT INTO audit_log (at, actor, action, object_type, object_id, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (at or utcnow(), actor, action, object_type, str(object_id), _json(dict(detail))),
        )

    def add_audit_event(
        self,
        action: str,
        *,
        object_type: str,
        object_id: Any,
        actor: str,
        detail: Mapping[str, Any],
        at: str | None = None,
    ) -> None:
        """Append one event to the audit log (its own transaction unless one is open).

        Parameters
        ----------
        action : str
            One of :data:`AUDIT_ACTIONS` for ``object_type`` (e.g. ``"run_failed"``
            for a ``"run"``, ``"cuts_applied"`` for ``"rules"``).
        object_type : str
        object_id : str
            The run id, rules file, case id, certificate number.
        actor : str
            Who acted (a person, or ``"pvcal"`` for the publishing runner).
        detail : mapping
            JSON-ready detail (pseudonymised: no raw identifier).
        at : str, optional
            ISO 8601 UTC time (default now).

        Raises
        ------
        RegistryError
            An action not allowed for the object type; an empty actor.
        """
        if action not in AUDIT_ACTIONS.get(object_type, ()):
            raise RegistryError(
                f"audit action {action!r} is not one of {AUDIT_ACTIONS.get(object_type, ())} "
                f"for object type {object_type!r}"
            )
        if not str(actor).strip():
            raise RegistryError("an audit event needs an actor")
        with self._write() as con:
            self._audit(
                con,
                action=action,
                object_type=object_type,
                object_id=object_id,
                actor=str(actor).strip(),
                detail=detail,
                at=at,
            )

    def audit_log(self, object_type: str | None = None) -> pd.DataFrame:
        """The audit log of cases and certificates, oldest first (``detail`` as JSON text)."""
        sql, params = "SELECT * FROM audit_log", []
        if object_type is not None:
            sql += " WHERE object_type = ?"
            params.append(object_type)
        return self._frame(sql + " ORDER BY event_id", params)

    def add_case(
        self,
        *,
        discipline: str,
        period: str,
        application: str,
        candidate: str,
        kind: str,
        evidence: Mapping[str, Any],
        run_id: str | None = None,
        actor: str = "pvcal",
    ) -> int | None:
        """Open an integrity case for one application (pseudonyms only).

        Parameters
        ----------
        discipline, period : str
        application, candidate : str
            Pseudonyms.
        kind : {"copying", "aberrant", "copying+aberrant"}
        evidence : mapping
            JSON-serialisable, pseudonymised evidence (shown on the case page).
        run_id : str, optional
            The publishing run whose screening opened it.
        actor : str, default "pvcal"

        Returns
        -------
        int or None
            The new ``case_id``; None when the application already has a case
            for that discipline and period (nothing is added).

        Raises
        ------
        RegistryError
            Unknown ``kind``.
        """
        if kind not in CASE_KINDS:
            raise RegistryError(f"case kind {kind!r} is not one of {list(CASE_KINDS)}")
        with self._write() as con:
            row = con.execute(
                "SELECT case_id FROM cases WHERE discipline = ? AND period = ? AND application = ?",
                (discipline, period, application),
            ).fetchone()
            if row is not None:
                return None
            now = utcnow()
            cur = con.execute(
                "INSERT INTO cases (discipline, period, application, candidate, kind, opened_at,"
                " run_id, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (discipline, period, application, candidate, kind, now, run_id, _json(evidence)),
            )
            case_id = int(cur.lastrowid)
            con.execute(
                "INSERT INTO case_events (case_id, at, status, reviewer, reason)"
                " VALUES (?, ?, 'open', ?, ?)",
                (case_id, now, actor, f"screening flagged {kind}"),
            )
            self._audit(
                con,
                action="case_opened",
                object_type="case",
                object_id=case_id,
                actor=actor,
                detail={"discipline": discipline, "period": period, "kind": kind},
                at=now,
            )
        return case_id

    def decide_case(
        self, case_id: int, status: str, *, reviewer: str, reason: str, at: str | None = None
    ) -> None:
        """Move a case to its next review state (a new event row, never an update).

        Parameters
        ----------
        case_id : int
        status : {"under_review", "cleared", "confirmed"}
            Allowed moves: open -> under_review -> cleared | confirmed
            (:data:`CASE_TRANSITIONS`); cleared and confirmed are final.
        reviewer, reason : str
            Both required (non-blank).
        at : str, optional
            ISO 8601 UTC time of the decision (default now).

        Raises
        ------
        RegistryError
            Unknown case, a move not allowed from the current state, or a blank
            reviewer or reason.
        """
        if not str(reviewer or "").strip():
            raise RegistryError("a case decision needs the reviewer's name")
        if not str(reason or "").strip():
            raise RegistryError("a case decision needs a reason")
        with self._write() as con:
            current = self._case_status(con, case_id)
            allowed = CASE_TRANSITIONS.get(current, ())
            if status not in allowed:
                moves = " or ".join(allowed) if allowed else "nothing (the decision is final)"
                raise RegistryError(
                    f"case {case_id} is {current!r}; it can move to {moves}, not {status!r}"
                )
            when = at or utcnow()
            con.execute(
                "INSERT INTO case_events (case_id, at, status, reviewer, reason)"
                " VALUES (?, ?, ?, ?, ?)",
                (int(case_id), when, status, str(reviewer).strip(), str(reason).strip()),
            )
            self._audit(
                con,
                action="case_decision",
                object_type="case",
                object_id=case_id,
                actor=str(reviewer).strip(),
                detail={"from": current, "to": status, "reason": str(reason).strip()},
                at=when,
            )

    def _case_status(self, con: sqlite3.Connection, case_id: int) -> str:
        row = con.execute(
            "SELECT status FROM case_events WHERE case_id = ? ORDER BY event_id DESC LIMIT 1",
            (int(case_id),),
        ).fetchone()
        if row is None:
            raise RegistryError(f"no integrity case with case_id {case_id}")
        return str(row[0])

    def cases(
        self,
        discipline: str | None = None,
        period: str | None = None,
        status: str | None = None,
    ) -> pd.DataFrame:
        """Integrity cases with their current state (the latest event), oldest first.

        Columns: ``case_id, discipline, period, application, candidate, kind,
        opened_at, run_id, status, reviewer, reason, decided_at`` (evidence left out).
        """
        sql = (
            "SELECT c.case_id, c.discipline, c.period, c.application, c.candidate, c.kind,"
            " c.opened_at, c.run_id, e.status, e.reviewer, e.reason, e.at AS decided_at"
            " FROM cases c JOIN case_events e ON e.event_id ="
            " (SELECT MAX(event_id) FROM case_events WHERE case_id = c.case_id) WHERE 1 = 1"
        )
        params: list[Any] = []
        for col, value in (
            ("c.discipline", discipline),
            ("c.period", period),
            ("e.status", status),
        ):
            if value is not None:
                sql += f" AND {col} = ?"
                params.append(value)
        return self._frame(sql + " ORDER BY c.case_id", params)

    def case(self, case_id: int) -> dict[str, Any]:
        """One case: its row, ``evidence`` parsed, current ``status`` and its ``events`` frame.

        Raises
        ------
        RegistryError
            If there is no such case.
        """
        df = self._frame("SELECT * FROM cases WHERE case_id = ?", (int(case_id),))
        if not len(df):
            raise RegistryError(f"no integrity case with case_id {case_id}")
        row = df.iloc[0].to_dict()
        row["evidence"] = json.loads(row["evidence"])
        row["events"] = self._frame(
            "SELECT event_id, at, status, reviewer, reason FROM case_events WHERE case_id = ?"
            " ORDER BY event_id",
            (int(case_id),),
        )
        row["status"] = str(row["events"]["status"].iloc[-1])
        return row

    def add_certificates(self, certificates: pd.DataFrame, *, actor: str = "pvcal") -> int:
        """Record issued certificates (one per application), each with an issue event.

        Parameters
        ----------
        certificates : DataFrame
            Columns :data:`CERTIFICATE_COLUMNS` (see :mod:`pvcal.certificates`,
            which builds them).
        actor : str, default "pvcal"

        Returns
        -------
        int
            Number of certificates added.

        Raises
        ------
        RegistryError
            A missing column, a duplicate number or application, an application
            without a published result, or a failing grade. Nothing is added then.
        """
        missing = [c for c in CERTIFICATE_COLUMNS if c not in certificates.columns]
        if missing:
            raise RegistryError(f"certificates frame lacks column(s) {missing}")
        rows = certificates[list(CERTIFICATE_COLUMNS)].astype(object).to_dict("records")
        try:
            with self._write() as con:
                for r in rows:
                    cur = con.execute(
                        "INSERT INTO certificates (number, application, candidate, discipline,"
                        " period, grade, issued_on, valid_until, run_id, verification_code,"
                        " key_fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        tuple(str(r[c]) for c in CERTIFICATE_COLUMNS),
                    )
                    cid = int(cur.lastrowid)
                    now = utcnow()
                    con.execute(
                        "INSERT INTO certificate_events (certificate_id, at, status, actor)"
                        " VALUES (?, ?, 'issued', ?)",
                        (cid, now, actor),
                    )
                    self._audit(
                        con,
                        action="certificate_issued",
                        object_type="certificate",
                        object_id=r["number"],
                        actor=actor,
                        detail={
                            "discipline": r["discipline"],
                            "period": r["period"],
                            "grade": r["grade"],
                            "run_id": r["run_id"],
                        },
                        at=now,
                    )
        except sqlite3.IntegrityError as exc:
            raise RegistryError(
                f"certificates could not be recorded ({exc}); one certificate per passing "
                "published result"
            ) from exc
        return len(rows)

    def revoke_certificate(
        self,
        number: str,
        *,
        reason: str,
        reason_category: str,
        actor: str,
        case_id: int | None = None,
        at: str | None = None,
    ) -> None:
        """Revoke a certificate (Art. 14): a new ``revoked`` event, never an update.

        Parameters
        ----------
        number : str
        reason : str
            Required, non-blank (kept in the registry; the public notice shows
            only the ``reason_category``).
        reason_category : {"fraud", "error", "other"}
        actor : str
        case_id : int, optional
            The integrity case behind it; it must be ``confirmed`` and about the
            same application.
        at : str, optional

        Raises
        ------
        RegistryError
            Blank reason, unknown category or certificate, already revoked, or a
            case that is not confirmed or concerns someone else.
        """
        if not str(reason or "").strip():
            raise RegistryError(f"revoking certificate {number}: a reason is required")
        if reason_category not in REASON_CATEGORIES:
            raise RegistryError(
                f"reason category {reason_category!r} is not one of {list(REASON_CATEGORIES)}"
            )
        with self._write() as con:
            cert = self.certificate(number)
            if cert["status"] == "revoked":
                raise RegistryError(f"certificate {number} is already revoked")
            if case_id is not None:
                status = self._case_status(con, case_id)
                case_app = con.execute(
                    "SELECT application FROM cases WHERE case_id = ?", (int(case_id),)
                ).fetchone()[0]
                if status != "confirmed":
                    raise RegistryError(
                        f"case {case_id} is {status!r}; a certificate is revoked only on a "
                        "confirmed case"
                    )
                if case_app != cert["application"]:
                    raise RegistryError(
                        f"case {case_id} concerns another application than certificate {number}"
                    )
            when = at or utcnow()
            con.execute(
                "INSERT INTO certificate_events (certificate_id, at, status, actor, reason,"
                " reason_category, case_id) VALUES (?, ?, 'revoked', ?, ?, ?, ?)",
                (
                    int(cert["certificate_id"]),
                    when,
                    actor,
                    str(reason).strip(),
                    reason_category,
                    None if case_id is None else int(case_id),
                ),
            )
            self._audit(
                con,
                action="certificate_revoked",
                object_type="certificate",
                object_id=number,
                actor=actor,
                detail={
                    "reason": str(reason).strip(),
                    "reason_category": reason_category,
                    "case_id": case_id,
                },
                at=when,
            )

    _CERT_SQL = (
        "SELECT c.*, r.at AS revoked_at, r.reason, r.reason_category, r.case_id,"
        " CASE WHEN r.event_id IS NULL THEN 'issued' ELSE 'revoked' END AS status"
        " FROM certificates c LEFT JOIN certificate_events r ON r.event_id ="
        " (SELECT MAX(event_id) FROM certificate_events"
        "  WHERE certificate_id = c.certificate_id AND status = 'revoked')"
    )

    def certificates(
        self, discipline: str | None = None, period: str | None = None
    ) -> pd.DataFrame:
        """Certificates with their registry status (``issued`` or ``revoked``), by number.

        Revocation columns (``revoked_at``, ``reason``, ``reason_category``,
        ``case_id``) are empty for certificates in force. Expiry is a matter of
        date, not of record: see :func:`pvcal.certificates.status`.
        """
        sql, params = self._CERT_SQL + " WHERE 1 = 1", []
        for col, value in (("c.discipline", discipline), ("c.period", period)):
            if value is not None:
                sql += f" AND {col} = ?"
                params.append(value)
        return self._frame(sql + " ORDER BY c.certificate_id", params)

    def certificate(self, number: str) -> dict[str, Any]:
        """One certificate by number, with its registry status.

        Raises
        ------
        RegistryError
            If there is no certificate with that number.
        """
        df = self._frame(self._CERT_SQL + " WHERE c.number = ?", (str(number),))
        if not len(df):
            raise RegistryError(f"no certificate with number {number!r}")
        return df.iloc[0].to_dict()

    def dump(self) -> str:
        """The whole database as SQL text (to compare states in tests and audits)."""
        return "\n".join(self._con.iterdump())


def _statements(con: Any, version: int) -> list[str]:
    """Migration ``version`` for this connection (PostgreSQL has its own scripts)."""
    own = getattr(con, "migration_statements", None)
    return own(version) if own is not None else _split_sql(_MIGRATIONS[version - 1])


def _split_sql(script: str) -> list[str]:
    """Split a migration script into statements (triggers hold inner ``;``)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def _opt_str(v: Any) -> str | None:
    return None if v is None or (isinstance(v, float) and v != v) or v is pd.NA else str(v)


def _opt_float(v: Any) -> float | None:
    if v is None or v is pd.NA:
        return None
    f = float(v)
    return None if f != f else f


def _opt_int(v: Any) -> int | None:
    f = _opt_float(v)
    return None if f is None else int(f)
