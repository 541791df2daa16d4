"""Database backends of the registry: SQLite (embedded default) and PostgreSQL.

:class:`pvcal.registry.Registry` speaks the DB-API dialect of :mod:`sqlite3`
(``?`` placeholders, ``cursor.lastrowid``, ``BEGIN IMMEDIATE``). For a
``postgresql://`` URL it gets a :class:`PostgresConnection` instead, which
offers the same small interface over psycopg 3:

- placeholders ``?`` become ``%s`` and ``IS ?`` becomes ``IS NOT DISTINCT FROM %s``;
- an ``INSERT`` into a table with a generated key returns it (``lastrowid``);
- ``BEGIN IMMEDIATE`` (SQLite's one-writer-at-a-time transaction) becomes
  ``BEGIN`` plus a transaction-level advisory lock, so concurrent publishers
  queue exactly as they do on one SQLite file;
- integrity violations (unique keys, checks, and the append-only triggers)
  raise :class:`PostgresIntegrityError`, a subclass of
  :class:`sqlite3.IntegrityError`, so the registry's error handling is one
  code path for both databases.

The schema is the same tables, columns, keys and checks in both; the
append-only rules are triggers in both (PostgreSQL: one PL/pgSQL function
raising ``integrity_constraint_violation``, also on TRUNCATE). Migrations
are versioned alike: :data:`PG_MIGRATIONS` has one script per version of
``pvcal.registry`` (a test checks that both schemas have the same columns).

Choosing the database: ``Registry("postgresql://user@host:5432/pvcal")``,
or ``PVCAL_REGISTRY`` / ``--registry`` (see :func:`pvcal.registry.registry_path`).
psycopg 3 comes with the ``postgres`` extra: ``pip install "pvcal[postgres]"``.

Passwords: the process connects with the full URL; whatever is written down
or shown gets :func:`redact_dsn` (password ``***``): messages, ``repr()``, run
records, and the notebooks' ``registry`` parameter (:func:`registry_location`),
which papermill writes into the executed notebooks under ``reports/``. A
kernel given the redacted URL connects with the ``PVCAL_REGISTRY`` it inherits
(:func:`resolve_dsn`).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from ._validation import RegistryError

__all__ = [
    "is_database_url",
    "RegistryURL",
    "connect",
    "PostgresConnection",
    "PostgresIntegrityError",
    "PG_MIGRATIONS",
    "REDACTED",
    "redact_dsn",
    "resolve_dsn",
    "registry_location",
    "add_registry_option",
    "use_registry_option",
    "translate_sql",
]

_URL = re.compile(r"^postgres(ql)?(\+psycopg)?://", re.IGNORECASE)
# advisory lock key of registry writes (any fixed 64-bit number; "pvcal" in ASCII)
_LOCK_KEY = 0x7076_6361_6C


def is_database_url(value: Any) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL."""
    return isinstance(value, str) and bool(_URL.match(value))


#: What a hidden password is replaced by.
REDACTED = "***"
#: Query parameters (and ``key=value`` connection-string keys) whose value is a secret.
_SECRET_PARAMS = ("password", "sslpassword")
#: Passwords at least this long are hidden wherever they appear (:func:`redact_dsn`).
_LONG_SECRET = 8
# what may close a URL or a value inside a sentence ("'postgresql://u@db/x'," keeps "',"
# out): a URL or value ends at its last character that is not one of these before white
# space or the end (greedy, then one character back: linear time on any input)
_NOT_CLOSER = r"""[^\s"'<>()\[\]{},;.!]"""
# a database URL inside a text (a quote, '<' or '>' inside it, as in a typed password, stays)
_URL_IN_TEXT = re.compile(
    rf"postgres(?:ql)?(?:\+psycopg)?://(?:\S*{_NOT_CLOSER})?", re.IGNORECASE
)
# password=... and sslpassword=... (URL query or key=value connection string) inside a text:
# a quoted value, or one running to white space or '&' (a quote inside it stays in it)
_SECRET_KEY = re.compile(
    r"(?<![A-Za-z0-9_])((?:ssl)?password\s*=\s*)"
    r"('(?:[^'\\]|\\.)*'|[^\s&]*[^\s&\"'<>()\[\]{},;.!]|[^\s&])",
    re.IGNORECASE,
)
# a "URL" longer than this is not one a person typed: everything after :// is hidden
# (the user-info search below tries the host pattern after every '@')
_LONGEST_URL = 2048


# what may follow the user info: host(s) and port(s), a database name, a query of key=value
# parameters (a value runs to '&' and may hold anything, an '@' too)
_PARAM = r"(?:[A-Za-z_][A-Za-z0-9_]*=[^&]*)?"
_HOST_PART = re.compile(rf"[^@/?\s]*(?:/[^@?\s]*)?(?:\?{_PARAM}(?:&{_PARAM})*)?")
_HIDDEN_USERINFO = re.compile(rf"[^:@/?\s]*:{re.escape(REDACTED)}@")


def _userinfo_end(rest: str) -> int:
    """Index of the ``@`` ending the user info of a URL (``rest`` follows ``://``); -1 if none.

    The first ``@`` after which the URL reads as host(s), database and query
    (:data:`_HOST_PART`), so that an unencoded ``@``, ``/``, ``?``, ``:`` or
    space in the password stays inside the part hidden while an ``@`` in a
    query value (``application_name=me@site``) does not end it; when no
    ``@`` is followed by such a tail, the last ``@``: hiding more, never less.
    A password already hidden (``user:***@``) ends there: a message that
    starts with a redacted URL keeps the ``@`` of its text.
    """
    done = _HIDDEN_USERINFO.match(rest)
    if done:
        return done.end() - 1
    ats = [i for i, c in enumerate(rest) if c == "@"]
    for at in ats:
        if _HOST_PART.fullmatch(rest, at + 1):
            return at
    return ats[-1] if ats else -1


def _query_spans(text: str, start: int) -> list[tuple[int, int]]:
    """Spans of the ``password``/``sslpassword`` values of the query ``text[start:]``.

    A value runs from ``=`` to the next ``&`` or the end, whatever it holds
    (a typed quote, space, ``#``, ``?`` or ``@`` included).
    """
    spans = []
    pos = start
    for param in text[start:].split("&"):
        key, eq, value = param.partition("=")
        if eq and value and key.strip().lower() in _SECRET_PARAMS:
            begin = pos + len(key) + 1
            spans.append((begin, begin + len(value)))
        pos += len(param) + 1
    return spans


def _secret_spans(url: str) -> list[tuple[int, int]]:
    """Where the secrets of the database URL ``url`` (the whole text) are, merged, in order.

    The password of the user info (up to the ``@`` before the host,
    :func:`_userinfo_end`) and the values of ``password=``/``sslpassword=`` in
    the query after that host; where the whole URL also reads as one without
    user info (a raw ``@`` in a query value: ``?password=p@ss``), that
    reading's values too: the union of both readings, so an ambiguous URL
    hides more, never less.
    """
    offset = url.index("://") + 3
    rest = url[offset:]
    if len(rest) > _LONGEST_URL:
        return [(offset, len(url))]
    spans = []
    at = _userinfo_end(rest)
    if at >= 0:
        colon = rest.find(":", 0, at)
        if 0 <= colon < at - 1:
            spans.append((offset + colon + 1, offset + at))
    query = rest.find("?", max(at, 0))
    if query >= 0:
        spans += [(offset + a, offset + b) for a, b in _query_spans(rest, query + 1)]
    early = rest.find("?")
    if at >= 0 and 0 <= early < at:
        # also read without user info: the '@' may be inside a query value (?password=p@ss)
        spans += [(offset + a, offset + b) for a, b in _query_spans(rest, early + 1)]
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _hide_spans(text: str, spans: list[tuple[int, int]]) -> str:
    out, last = [], 0
    for a, b in spans:
        out += [text[last:a], REDACTED]
        last = b
    return "".join(out) + text[last:]


def _whole_url(text: str) -> str | None:
    """``text`` redacted as one database URL, or None when it is not one.

    It is one when it starts with ``postgresql://`` (:func:`is_database_url`)
    and has no white space outside its secrets (a typed space in a password
    is part of the URL; a message that merely starts with a URL is not one).
    """
    if not is_database_url(text):
        return None
    spans = _secret_spans(text)
    outside = _hide_spans(text, spans)
    return None if re.search(r"\s", outside) else outside


def _redact_url(url: str) -> str:
    """A URL found inside a text (no white space): its secrets hidden."""
    return _hide_spans(url, _secret_spans(url))


def _passwords(dsn: str) -> set[str]:
    """The password(s) a database URL carries, as written and percent-decoded."""
    from urllib.parse import unquote

    if not is_database_url(dsn):
        return set()  # a SQLite file's path has no password
    found = {dsn[a:b] for a, b in _secret_spans(dsn)}
    found |= {unquote(p) for p in found}
    return {p for p in found if p and p != REDACTED}


def redact_dsn(text: str, dsn: str | None = None) -> str:
    """``text`` with every database password replaced by ``***``.

    For whatever is written down or shown (messages, notebook parameters,
    run records, ``repr``): the process itself connects with the full URL.

    Parameters
    ----------
    text : str
        A database URL, or any text (an error message, a traceback) that may
        contain one.
    dsn : str, optional
        The URL connected to. Its password is also hidden wherever it appears
        on its own (libpq echoes pieces of a malformed URL, e.g. ``invalid
        percent-encoded token: "..."``), as written and percent-decoded. Give
        it whenever the text may hold a URL that is not the whole text: inside
        a text a URL ends at white space, and a password with a space in it
        can only be found this way.

    Returns
    -------
    str
        In every ``postgresql://`` (or ``postgres://``) URL the password of
        ``user:password@`` becomes ``***``; so does the value of every
        ``password=`` and ``sslpassword=`` (URL query or ``key=value``
        connection string). User, host, port, database and the other
        options stay, so the message still says which database.

    Notes
    -----
    A ``text`` that is one database URL (it starts with ``postgresql://`` and
    has no white space outside its secrets) is read as one: the user info
    runs to the ``@`` after which the rest reads as host(s), database and
    ``key=value`` query, so a typed (not percent-encoded) ``'``, ``"``,
    space, ``<``, ``>``, ``#``, ``?``, ``@``, ``/``, ``:`` or ``%`` in the
    password is hidden with it, and a ``password=`` value runs to the next
    ``&`` or the end. Where a URL reads two ways (with user info, or with a
    raw ``@`` in a query value) both readings' secrets are hidden: an
    ambiguous URL loses more than its password, never less.

    Inside a longer text, a URL runs to the next white space (closing quotes,
    brackets and punctuation before that space stay outside it), and a
    ``password=`` value to white space or ``&``; a quoted ``password='...'``
    value to its closing quote.

    The ``dsn``'s password is hidden wherever it occurs when it has at least
    8 characters (a long password glued to other text is still the password;
    a leak is worse than a garbled word). A shorter one is hidden only as a
    standalone token (not next to a letter, digit or ``_``): a short common
    word such as ``data`` would otherwise be cut out of ``database`` or
    ``data_dir`` all over a traceback. A standalone ``data`` in a message is
    still hidden: the text cannot tell that word from the password echoed.
    A short password should not be used; this does not make it safe.

    Examples
    --------
    >>> redact_dsn("postgresql://pvcal:s3cret@db.example:5432/pvcal?sslmode=require")
    'postgresql://pvcal:***@db.example:5432/pvcal?sslmode=require'
    >>> redact_dsn("postgresql://db.example/pvcal?user=pvcal&password=s3cret")
    'postgresql://db.example/pvcal?user=pvcal&password=***'
    >>> redact_dsn("postgresql://pvcal:pa ss@db.example/pvcal")
    'postgresql://pvcal:***@db.example/pvcal'
    >>> redact_dsn("postgresql://pvcal@db.example/pvcal")
    'postgresql://pvcal@db.example/pvcal'
    >>> redact_dsn("login failed: 'pa ss'", "postgresql://pvcal:pa%20ss@db.example/pvcal")
    "login failed: '***'"
    """
    out = str(text)
    dsn = None if dsn is None else str(dsn)
    whole = _whole_url(out)
    if whole is not None and (dsn is None or out == dsn):
        return whole  # one URL (the one connected to): its secrets are the parts hidden
    # the known password first, whole: a URL in a text may be cut short at a space in it
    for secret in sorted(_passwords(dsn) if dsn else (), key=len, reverse=True):
        if len(secret) >= _LONG_SECRET:
            out = out.replace(secret, REDACTED)
        else:
            out = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", REDACTED, out)
    whole = _whole_url(out)
    if whole is not None:
        return whole
    out = _URL_IN_TEXT.sub(lambda m: _redact_url(m.group(0)), out)
    return _SECRET_KEY.sub(lambda m: m.group(1) + REDACTED, out)


def resolve_dsn(url: str) -> str:
    """The URL to connect with: a redacted URL is the ``PVCAL_REGISTRY`` URL it hides.

    ``pvcal publish`` gives its notebooks the registry as
    :func:`registry_location` (password hidden: papermill writes the
    parameters into the executed notebooks under ``reports/``); the kernel
    inherits ``PVCAL_REGISTRY`` and connects with the full URL when
    :func:`registry_location` of it is the URL given. Any other URL is
    returned as it is.
    """
    import os

    url = str(url)
    env = os.environ.get("PVCAL_REGISTRY", "").strip()
    if REDACTED in url and is_database_url(env) and registry_location(env) == url:
        return env
    return url


def registry_location(path: Any) -> str:
    """The registry as it may be written down: a URL's password hidden, a file's absolute path.

    What ``pvcal publish`` passes to its notebooks (the ``registry``
    parameter); :func:`connect` turns a redacted URL back into the full one
    from ``PVCAL_REGISTRY`` (:func:`resolve_dsn`, which compares with this
    function's result).
    """
    if is_database_url(str(path)):
        return redact_dsn(str(path), str(path))
    from pathlib import Path

    return str(Path(path).resolve())


class RegistryURL(str):
    """A registry database URL where callers expect the registry file's path.

    Code that checks ``path.is_file()`` before opening the registry, or
    records ``path.resolve()``, works unchanged: a database is always
    "there" (:class:`~pvcal.registry.Registry` creates the schema on first
    use) and resolves to itself. ``str()`` keeps the password for
    connecting; :attr:`redacted` is for messages.
    """

    def is_file(self) -> bool:
        return True

    def exists(self) -> bool:
        return True

    def resolve(self) -> RegistryURL:
        return self

    @property
    def redacted(self) -> str:
        return registry_location(self)

    def __repr__(self) -> str:
        return f"RegistryURL({self.redacted!r})"


REGISTRY_HELP = (
    "registry database: a SQLite file or postgresql://user@host:5432/db "
    "(default $PVCAL_REGISTRY, else REPORTS/registry.sqlite)"
)


def add_registry_option(parser) -> None:
    """Give ``--registry`` to every (sub)command of ``parser`` that has ``--reports``.

    The commands find their registry through :func:`pvcal.registry.registry_path`;
    :func:`use_registry_option` passes the choice on through ``PVCAL_REGISTRY``
    (so notebooks run by ``publish`` see it too).
    """
    import argparse

    if "--reports" in parser._option_string_actions and (
        "--registry" not in parser._option_string_actions
    ):
        parser.add_argument("--registry", default=None, metavar="URL_OR_FILE", help=REGISTRY_HELP)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                add_registry_option(sub)


def use_registry_option(args) -> None:
    """Export a given ``--registry`` as ``PVCAL_REGISTRY`` for this process and its children."""
    import os

    value = getattr(args, "registry", None)
    if value:
        os.environ["PVCAL_REGISTRY"] = str(value)


class PostgresIntegrityError(sqlite3.IntegrityError):
    """A PostgreSQL integrity violation (unique key, check, append-only trigger)."""


class PostgresDatabaseError(sqlite3.DatabaseError):
    """Any other PostgreSQL error, as the registry's sqlite3-style handling expects."""


def connect(path: str):
    """A connection for ``path``: a :class:`PostgresConnection` for a URL, else SQLite.

    A URL whose password was redacted (``***``) connects with the full
    ``PVCAL_REGISTRY`` URL it stands for (:func:`resolve_dsn`).
    """
    if is_database_url(path):
        return PostgresConnection(resolve_dsn(str(path)))
    return sqlite3.connect(path, isolation_level=None, timeout=30)


# generated keys returned by INSERT (sqlite3's cursor.lastrowid)
_KEYS = {
    "indices": "index_id",
    "results": "result_id",
    "audit_log": "event_id",
    "cases": "case_id",
    "case_events": "event_id",
    "certificates": "certificate_id",
    "certificate_events": "event_id",
}
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)


def translate_sql(sql: str) -> str:
    """SQLite placeholders to psycopg's: ``?`` -> ``%s``, ``IS ?`` -> NULL-safe equality."""
    sql = sql.replace("%", "%%")
    sql = re.sub(r"\bIS\s+\?", "IS NOT DISTINCT FROM %s", sql, flags=re.IGNORECASE)
    return sql.replace("?", "%s")


def _adapt(params: Sequence[Any]) -> tuple:
    out = []
    for p in params:
        item = getattr(p, "item", None)  # numpy scalars
        out.append(item() if callable(item) and type(p).__module__ == "numpy" else p)
    return tuple(out)


class _Cursor:
    """The part of a sqlite3 cursor the registry uses."""

    def __init__(self, cur=None, lastrowid: int | None = None) -> None:
        self._cur = cur
        self.lastrowid = lastrowid

    @property
    def description(self):
        return None if self._cur is None else self._cur.description

    def fetchone(self):
        if self._cur is None or self._cur.description is None:
            return None
        return self._cur.fetchone()

    def fetchall(self) -> list:
        if self._cur is None or self._cur.description is None:
            return []
        return self._cur.fetchall()

    def __iter__(self) -> Iterator:
        return iter(self.fetchall())


class PostgresConnection:
    """A psycopg 3 connection with the sqlite3 interface the registry uses.

    Autocommit mode, like ``sqlite3.connect(isolation_level=None)``: statements
    outside ``BEGIN`` ... ``COMMIT`` commit on their own.

    Raises
    ------
    RegistryError
        psycopg is not installed, or the server cannot be reached.
    """

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise RegistryError(
                f'a PostgreSQL registry needs psycopg 3: pip install "pvcal[postgres]" ({err})'
            ) from err
        self._psycopg = psycopg
        self.url = url
        try:
            self._pg = psycopg.connect(url.replace("+psycopg", ""), autocommit=True)
        except psycopg.Error as err:
            # libpq may echo pieces of the URL (the password too): the message is redacted,
            # and the original error is not chained (a traceback would print it)
            hint = (
                "; the password is hidden: set PVCAL_REGISTRY to the full URL"
                if REDACTED in url and url == redact_dsn(url)
                else ""
            )
            raise RegistryError(
                f"{redact_dsn(url, url)}: cannot connect to PostgreSQL "
                f"({redact_dsn(str(err).strip(), url)}){hint}"
            ) from None

    @property
    def in_transaction(self) -> bool:
        status = self._pg.info.transaction_status
        return status != self._psycopg.pq.TransactionStatus.IDLE

    def _run(self, fn):
        psycopg = self._psycopg
        try:
            return fn()
        except psycopg.IntegrityError as err:
            raise PostgresIntegrityError(_message(err)) from err
        except psycopg.Error as err:
            raise PostgresDatabaseError(_message(err)) from err

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Cursor:
        head = sql.strip().upper()
        if head.startswith("PRAGMA"):
            return _Cursor()
        if head == "BEGIN IMMEDIATE":
            self._run(lambda: self._pg.execute("BEGIN"))
            self._run(lambda: self._pg.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,)))
            return _Cursor()
        match = _INSERT.match(sql)
        key = _KEYS.get(match.group(1).lower()) if match else None
        args = _adapt(params) if params else None
        text = translate_sql(sql) if args is not None else sql
        if key and "RETURNING" not in head:
            text += f" RETURNING {key}"
        cur = self._run(lambda: self._pg.execute(text, args))
        if key:
            return _Cursor(cur, int(cur.fetchone()[0]))
        return _Cursor(cur)

    def executemany(self, sql: str, rows) -> None:
        text = translate_sql(sql)
        data = [_adapt(r) for r in rows]
        with self._pg.cursor() as cur:
            self._run(lambda: cur.executemany(text, data))

    def executescript(self, script: str) -> None:
        """Run a migration script (several statements, no parameters)."""
        self._run(lambda: self._pg.execute(script.encode()))

    def migration_statements(self, version: int) -> list[str]:
        """The statements taking the schema from ``version - 1`` to ``version``."""
        if version > len(PG_MIGRATIONS):
            raise RegistryError(
                f"{redact_dsn(self.url, self.url)}: registry schema version {version} has no "
                "PostgreSQL migration in this pvcal (pvcal.registry_backends.PG_MIGRATIONS)"
            )
        return [PG_MIGRATIONS[version - 1]]

    def iterdump(self) -> Iterator[str]:
        """Every table's rows as INSERT statements, tables by name, rows by key."""
        tables = [
            r[0]
            for r in self._pg.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                " ORDER BY table_name"
            ).fetchall()
        ]
        for table in tables:
            for row in self._pg.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall():
                values = ", ".join("NULL" if v is None else repr(v) for v in row)
                yield f'INSERT INTO "{table}" VALUES({values});'

    def close(self) -> None:
        self._pg.close()


def _message(err) -> str:
    diag = getattr(err, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    return primary or str(err).strip()


# ---------------------------------------------------------------------------
# PostgreSQL schema: one script per version of pvcal.registry._MIGRATIONS
# ---------------------------------------------------------------------------


def _refuse(table: str, message: str) -> str:
    return (
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}\n"
        f"    FOR EACH ROW EXECUTE FUNCTION pvcal_refuse('{message}');\n"
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}\n"
        f"    FOR EACH ROW EXECUTE FUNCTION pvcal_refuse('{message}');\n"
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}\n"
        f"    FOR EACH STATEMENT EXECUTE FUNCTION pvcal_refuse('{message}');\n"
    )


_ID = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"

PG_MIGRATIONS: tuple[str, ...] = (
    # 1: runs, indices, results; append-only
    f"""
    CREATE FUNCTION pvcal_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';
    END
    $$;

    CREATE TABLE runs (
        run_id        TEXT PRIMARY KEY,
        started_at    TEXT NOT NULL,
        finished_at   TEXT NOT NULL,
        command       TEXT NOT NULL,
        discipline    TEXT,
        period        TEXT,
        input_hash    TEXT NOT NULL,
        code_version  TEXT NOT NULL,
        parameters    TEXT NOT NULL,
        inputs        TEXT NOT NULL,
        outcome       TEXT NOT NULL CHECK (outcome IN ('published', 'unchanged')),
        message       TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX runs_hash ON runs (command, discipline, period, input_hash);

    CREATE TABLE indices (
        index_id      {_ID},
        discipline    TEXT NOT NULL,
        period        TEXT NOT NULL,
        published_at  TEXT NOT NULL,
        run_id        TEXT NOT NULL REFERENCES runs (run_id),
        input_hash    TEXT NOT NULL,
        pass_index    DOUBLE PRECISION,
        record        TEXT NOT NULL,
        calibration   TEXT,
        supersedes    BIGINT REFERENCES indices (index_id)
    );
    CREATE INDEX indices_dp ON indices (discipline, period, index_id);

    CREATE TABLE results (
        result_id      {_ID},
        application    TEXT NOT NULL UNIQUE,
        candidate      TEXT NOT NULL,
        discipline     TEXT NOT NULL,
        period         TEXT NOT NULL,
        form           TEXT,
        index_id       BIGINT NOT NULL REFERENCES indices (index_id),
        run_id         TEXT NOT NULL REFERENCES runs (run_id),
        published_at   TEXT NOT NULL,
        region         TEXT,
        employer       TEXT,
        n_items        INTEGER,
        n_answered     INTEGER,
        raw_score      DOUBLE PRECISION,
        max_score      DOUBLE PRECISION,
        theta          DOUBLE PRECISION,
        se             DOUBLE PRECISION,
        standard_score DOUBLE PRECISION,
        grade          TEXT NOT NULL CHECK (grade IN ('Excellent', 'Good', 'Pass', 'Fail')),
        detail         TEXT NOT NULL
    );
    CREATE INDEX results_dp ON results (discipline, period);
    CREATE INDEX results_candidate ON results (candidate);
    """
    + _refuse("runs", "the run log is append-only")
    + _refuse("indices", "published indices are append-only")
    + _refuse("results", "a published result is final (Art. 8)"),
    # 2: integrity cases, certificates and the audit log
    f"""
    CREATE TABLE audit_log (
        event_id      {_ID},
        at            TEXT NOT NULL,
        actor         TEXT NOT NULL,
        action        TEXT NOT NULL CHECK (action IN ('case_opened', 'case_decision',
                          'certificate_issued', 'certificate_revoked')),
        object_type   TEXT NOT NULL CHECK (object_type IN ('case', 'certificate')),
        object_id     TEXT NOT NULL,
        detail        TEXT NOT NULL
    );
    CREATE INDEX audit_log_object ON audit_log (object_type, object_id);

    CREATE TABLE cases (
        case_id       {_ID},
        discipline    TEXT NOT NULL,
        period        TEXT NOT NULL,
        application   TEXT NOT NULL,
        candidate     TEXT NOT NULL,
        kind          TEXT NOT NULL CHECK (kind IN ('copying', 'aberrant', 'copying+aberrant')),
        opened_at     TEXT NOT NULL,
        run_id        TEXT,
        evidence      TEXT NOT NULL,
        UNIQUE (discipline, period, application)
    );

    CREATE TABLE case_events (
        event_id      {_ID},
        case_id       BIGINT NOT NULL REFERENCES cases (case_id),
        at            TEXT NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('open', 'under_review', 'cleared',
                          'confirmed')),
        reviewer      TEXT NOT NULL,
        reason        TEXT NOT NULL
    );
    CREATE INDEX case_events_case ON case_events (case_id, event_id);

    CREATE TABLE certificates (
        certificate_id    {_ID},
        number            TEXT NOT NULL UNIQUE,
        application       TEXT NOT NULL UNIQUE REFERENCES results (application),
        candidate         TEXT NOT NULL,
        discipline        TEXT NOT NULL,
        period            TEXT NOT NULL,
        grade             TEXT NOT NULL CHECK (grade IN ('Excellent', 'Good', 'Pass')),
        issued_on         TEXT NOT NULL,
        valid_until       TEXT NOT NULL,
        run_id            TEXT NOT NULL REFERENCES runs (run_id),
        verification_code TEXT NOT NULL,
        key_fingerprint   TEXT NOT NULL,
        CHECK (valid_until >= issued_on)
    );
    CREATE INDEX certificates_dp ON certificates (discipline, period);

    CREATE TABLE certificate_events (
        event_id          {_ID},
        certificate_id    BIGINT NOT NULL REFERENCES certificates (certificate_id),
        at                TEXT NOT NULL,
        status            TEXT NOT NULL CHECK (status IN ('issued', 'revoked')),
        actor             TEXT NOT NULL,
        reason            TEXT,
        reason_category   TEXT CHECK (reason_category IN ('fraud', 'error', 'other')),
        case_id           BIGINT REFERENCES cases (case_id),
        CHECK (status <> 'revoked' OR (reason IS NOT NULL AND length(trim(reason)) > 0
                                       AND reason_category IS NOT NULL))
    );
    CREATE INDEX certificate_events_cert ON certificate_events (certificate_id, event_id);
    """,
    # 3: the tables of version 2 are append-only
    _refuse("audit_log", "the audit log is append-only")
    + _refuse("cases", "a case is append-only: add a case event")
    + _refuse("case_events", "case events are append-only")
    + _refuse("certificates", "certificate records are append-only (Art. 22)")
    + _refuse("certificate_events", "certificate records are append-only (Art. 22)"),
    # 4: the audit log also records failed runs and applied rules changes (widened checks;
    # PostgreSQL alters the constraints in place, rows and triggers stay)
    """
    ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
    ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
        'case_opened', 'case_decision', 'certificate_issued', 'certificate_revoked',
        'run_failed', 'cuts_applied'));
    ALTER TABLE audit_log DROP CONSTRAINT audit_log_object_type_check;
    ALTER TABLE audit_log ADD CONSTRAINT audit_log_object_type_check CHECK (object_type IN (
        'case', 'certificate', 'run', 'rules'));
    """,
)
