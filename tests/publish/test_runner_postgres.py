"""A password-protected PostgreSQL registry: publishing works, the password is written nowhere.

The server (``tests/_postgres.py``) requires the superuser's password over TCP
(SCRAM), so every connection -- this process and the notebooks' kernels --
must use the full URL: a publication that succeeds shows the kernels got it
(from ``PVCAL_REGISTRY``), while their ``registry`` parameter, which papermill
writes into the executed notebooks, holds only the redacted URL. The password
(with characters that must be percent-encoded) is then looked for, raw and
encoded, in every file under the reports folder, in every registry row (runs,
audit log, indices, results, cases, certificates: ``Registry.dump``) and in
the commands' printed output.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from urllib.parse import quote

import nbformat
import pandas as pd
import pytest
from _postgres import create_database, postgres_server
from _system import find_postgres_bin, require_system

from pvcal._validation import PvcalError
from pvcal.pseudonym import pseudonymise
from pvcal.publish import runner
from pvcal.registry import Registry
from pvcal.registry_backends import redact_dsn

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
PASSWORD = "Pv:c@l/s3cr?t%x"  # ':', '@', '/', '?' and '%' must be percent-encoded in a URL
SECRETS = (PASSWORD, quote(PASSWORD, safe=""))
_names = itertools.count()


@pytest.fixture(scope="module")
def pg_server():
    bindir = require_system("PostgreSQL 15 (initdb, pg_ctl of postgresql-15)", find_postgres_bin)
    require_system("psycopg 3 (the postgres extra)", lambda: __import__("psycopg"))
    with postgres_server(bindir, password=PASSWORD) as url:
        yield url


@pytest.fixture
def pg_url(pg_server, monkeypatch) -> str:
    """A fresh database; its URL (with the password) is PVCAL_REGISTRY, as --registry sets."""
    url = create_database(pg_server, f"leak{next(_names)}")
    assert quote(PASSWORD, safe="") in url
    monkeypatch.setenv("PVCAL_REGISTRY", url)
    return url


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def _rows_text(frame: pd.DataFrame) -> str:
    """A frame's rows as JSON text with every character as stored: pandas' ``to_json()``
    writes '/' as '\\/', so PASSWORD (which has a '/') would never be found in it."""
    return json.dumps(frame.to_dict(orient="records"), default=str, ensure_ascii=False)


def test_rows_text_shows_the_password():
    """The leak check on registry rows can fail: a row holding PASSWORD is found by
    _rows_text, where pandas' to_json() hides it behind '\\/'."""
    frame = pd.DataFrame({"message": [f"token {PASSWORD}"]})
    assert _leaks(_rows_text(frame)) == [PASSWORD]
    assert PASSWORD not in frame.to_json()  # why to_json() is not used


def _files_with_password(reports: Path) -> list[str]:
    return [
        p.relative_to(reports).as_posix()
        for p in sorted(reports.rglob("*"))
        if p.is_file() and _leaks(p.read_bytes().decode("utf-8", errors="replace"))
    ]


def test_the_server_needs_the_password(pg_url):
    """The fixture really checks passwords: the redacted URL is refused (so a successful
    publication below proves the kernels connected with the full URL)."""
    import psycopg

    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(redact_dsn(pg_url)).close()
    with Registry(pg_url) as reg:
        assert "***" in repr(reg) and not _leaks(repr(reg))


def test_failed_unit_records_no_password(pg_url, tmp_path):
    """A unit failing with the URL and the bare password in its error (as a driver message
    might): the outcome message, reports/_failed/<run>/run.json (error and traceback) and
    the audit log's run_failed row hold neither."""
    reports = tmp_path / "reports"

    def register(reg, unit, run_id):
        raise PvcalError(f"cannot reach {pg_url}: token {PASSWORD!r} refused")

    with Registry(pg_url) as reg:
        out = runner._run_unit(
            reports=reports, registry=reg, command="publish", discipline="d", period="p",
            input_hash="h", inputs={}, parameters={}, notebooks=[], final_rel="d/p",
            kernel="unused", register=register,
        )  # fmt: skip
        log = reg.audit_log("run")
        dump = reg.dump()
    assert out.outcome == "failed" and "cannot reach postgresql://postgres:***@" in out.message
    assert not _leaks(out.message)
    run_json = (reports / "_failed" / out.run_id / "run.json").read_text(encoding="utf-8")
    assert "refused" in json.loads(run_json)["traceback"]
    assert _files_with_password(reports) == []
    assert log["action"].tolist() == ["run_failed"] and not _leaks(_rows_text(log))
    assert not _leaks(dump)


def test_failed_unit_and_failed_audit_record_no_password(pg_url, tmp_path, monkeypatch):
    """A unit failing with the password in its error while the audit log cannot be written
    either, that error quoting the URL and the password: run.json's error, traceback and
    audit_error, and the outcome message, hold neither (both failure paths of the runner:
    a failing unit, and publish_unit failing before any notebook)."""
    reports = tmp_path / "reports"

    def no_audit(self, *args, **kwargs):
        raise RuntimeError(f"audit log unreachable: {pg_url} (password {PASSWORD!r})")

    def register(reg, unit, run_id):
        raise RuntimeError(f"cannot reach {pg_url}: token {PASSWORD} refused")

    def periods(folder):
        raise PvcalError(f"{pg_url}: rules for {folder.name} unreadable ({PASSWORD})")

    monkeypatch.setattr(Registry, "add_audit_event", no_audit)
    monkeypatch.setattr(runner, "ensure_kernel", lambda name=None: "unused")
    monkeypatch.setattr(runner, "discipline_periods", periods)
    with Registry(pg_url) as reg:
        unit = runner._run_unit(
            reports=reports, registry=reg, command="publish", discipline="d", period="p",
            input_hash="h", inputs={}, parameters={}, notebooks=[], final_rel="d/p",
            kernel="unused", register=register,
        )  # fmt: skip
    early = runner.publish_unit(tmp_path / "lab", "2025H2", reports_dir=reports)
    records = []
    for o in (unit, early):
        assert o.outcome == "failed" and "postgresql://postgres:***@" in o.message
        assert not _leaks(o.message)
        path = reports / "_failed" / o.run_id / "run.json"
        records.append(json.loads(path.read_text(encoding="utf-8")))
        assert records[-1]["error"] == o.message
        assert "audit log unreachable: postgresql://postgres:***@" in records[-1]["audit_error"]
    assert "token *** refused" in records[0]["traceback"]
    assert "unreadable (***)" in records[1]["error"]
    assert _files_with_password(reports) == []


def test_monitor_hides_passwords_of_older_records(pg_url, tmp_path):
    """Failed runs recorded before passwords were hidden (a run.json under _failed/ and an
    audit-log run_failed row, both quoting the URL and the password) reach the monitoring
    page, its JSON and the Monitoring object without them."""
    from pvcal.publish.monitor import monitor, write_monitoring

    reports = tmp_path / "reports"
    folder = reports / "_failed" / "20261201T000000Z-old-abc123"
    folder.mkdir(parents=True)
    folder.joinpath("run.json").write_text(
        json.dumps({"run_id": folder.name, "command": "publish", "discipline": "d",
                    "period": "p", "started_at": "2026-12-01T00:00:00Z",
                    "finished_at": "2026-12-01T00:01:00Z", "outcome": "failed",
                    "error": f"cannot reach {pg_url} ({PASSWORD})"}),
        encoding="utf-8",
    )  # fmt: skip
    with Registry(pg_url) as reg:
        reg.add_audit_event(
            "run_failed", object_type="run", object_id="20261202T000000Z-older-def456",
            actor="pvcal", detail={"command": "publish", "discipline": "e", "period": "q",
                                   "started_at": "2026-12-02T00:00:00Z",
                                   "failed_at": "2026-12-02T00:01:00Z",
                                   "error": f"token {PASSWORD} refused by {pg_url}"},
        )  # fmt: skip
    m = monitor(reports, now="2026-12-04T10:00:00Z")
    out = tmp_path / "page"
    write_monitoring(m, out)
    messages = [str(x) for x in m.runs["message"]]
    assert len(messages) == 2 and all("***" in x for x in messages)
    assert not _leaks(_rows_text(m.runs)) and not _leaks(m.to_json())
    assert _files_with_password(out) == []


@pytest.mark.slow
@pytest.mark.notebook
def test_publish_on_postgres_writes_no_password(pg_url, tmp_path, capsys):
    """``pvcal publish --registry URL`` (one discipline, then the industry report), ``pvcal
    monitor`` and ``pvcal appeal``: all succeed on the password-protected server; no file
    under reports/, no registry row and no printed line holds the password; the notebooks'
    ``registry`` parameter is the redacted URL."""
    from pvcal.cli import main

    reports = tmp_path / "reports"
    common = ["--reports", str(reports), "--registry", pg_url]
    rc = main(
        ["publish", "--discipline", "lab-assessor", "--data", str(SAMPLE), "--quiet", *common]
    )
    printed = capsys.readouterr()
    assert rc == 0, printed
    assert "published  lab-assessor 2025H2" in printed.out
    assert "published  industry report" in printed.out
    # the notebooks were given the registry without its password
    for nb_path in [*reports.glob("lab-assessor/2025H2/notebooks/*.ipynb"),
                    reports / "industry" / "notebooks" / "industry_report.ipynb"]:  # fmt: skip
        params = nbformat.read(nb_path, as_version=4).metadata["papermill"]["parameters"]
        assert params["registry"] == redact_dsn(pg_url)
    cands = pd.read_csv(SAMPLE / "lab-assessor" / "candidates.csv", dtype=str)
    with Registry(pg_url) as reg:
        assert len(reg.indices(current=True)) == 1
        graded = set(reg.results()["application"])
        assert len(graded) > 0
        app = next(a for a in cands["application_id"] if pseudonymise(a, "application") in graded)
    assert main(["monitor", *common]) in (0, 1)
    assert main(["appeal", "--discipline", "lab-assessor", "--application", app, *common]) == 0
    printed = capsys.readouterr()
    assert (reports / "monitoring" / "monitoring.html").is_file()
    assert list((reports / "appeals" / "lab-assessor").glob("appeal-*.html"))
    assert _files_with_password(reports) == []
    assert not _leaks(printed.out + printed.err)
    with Registry(pg_url) as reg:
        runs, log, dump = reg.runs(), reg.audit_log(), reg.dump()
    assert sorted(runs["outcome"]) == ["published", "published"]
    assert not _leaks(_rows_text(runs)) and not _leaks(_rows_text(log)) and not _leaks(dump)
