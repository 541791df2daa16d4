"""A throwaway PostgreSQL server for tests marked ``db``.

:func:`postgres_server` runs ``initdb`` and ``pg_ctl`` of the Debian
``postgresql-15`` package (provisioned by ``make setup``) on a temporary
folder under ``/tmp``, listening on 127.0.0.1 on a free port with trust
authentication (or, given a ``password``, SCRAM password authentication over
TCP), and stops and removes it afterwards. PostgreSQL refuses to
run as root: as root the server runs as the existing unprivileged user
``nobody`` (``runuser``; the folder is handed to that user); otherwise as the
current user. Nothing is installed and no user is created.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

SERVER_USER = "nobody"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgres_server(bindir: Path, password: str | None = None) -> Iterator[str]:
    """Start a server; yield its admin URL ``postgresql://postgres@127.0.0.1:PORT``.

    With ``password``, the superuser ``postgres`` has that password and TCP
    connections must give it (``scram-sha-256``); the URL then carries it,
    percent-encoded: ``postgresql://postgres:PASSWORD@127.0.0.1:PORT``.
    """
    from urllib.parse import quote

    folder = Path(tempfile.mkdtemp(prefix="pvcal-pg-", dir="/tmp"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, user=SERVER_USER)
        prefix = ["runuser", "-u", SERVER_USER, "--"]
    data, log = folder / "data", folder / "server.log"
    port = _free_port()
    auth = ["--auth=trust"]
    if password is not None:
        pwfile = folder / "pwfile"
        pwfile.write_text(password + "\n", encoding="utf-8")
        pwfile.chmod(0o644)  # read by the server's user
        auth = ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}"]
    try:
        subprocess.run(
            [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
             *auth, "-E", "UTF8", "--no-sync"],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        if password is not None:
            pwfile.unlink()
        options = (
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
             "-t", "60", "-o", options, "start"],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        user = "postgres" if password is None else f"postgres:{quote(password, safe='')}"
        yield f"postgresql://{user}@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


def create_database(admin_url: str, name: str) -> str:
    """Create database ``name`` on the server; return its URL."""
    import psycopg

    with psycopg.connect(admin_url + "/postgres", autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    return f"{admin_url}/{name}"
