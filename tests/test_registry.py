"""The registry: schema and migration, append-only indices, one result per application (Art. 8)."""

from __future__ import annotations

import re
import sqlite3

import pandas as pd
import pytest

from pvcal._validation import RegistryError
from pvcal.registry import RESULT_COLUMNS, SCHEMA_VERSION, Registry


def _run(reg: Registry, run_id: str = "r1", input_hash: str = "h1", **kw) -> None:
    reg.add_run(
        run_id=run_id,
        command="publish",
        input_hash=input_hash,
        code_version="test",
        parameters={"period": "2025H1"},
        inputs={"rules.yml": "abc"},
        outcome=kw.pop("outcome", "published"),
        started_at="2025-07-01T00:00:00Z",
        discipline=kw.pop("discipline", "d"),
        period=kw.pop("period", "2025H1"),
        **kw,
    )


def _results(apps: list[str], grade: str = "Pass") -> pd.DataFrame:
    rows = []
    for i, app in enumerate(apps):
        rows.append(
            {
                "application": app,
                "candidate": f"C-{i}",
                "form": "A",
                "region": "East",
                "employer": "E1",
                "n_items": 40,
                "n_answered": 39,
                "raw_score": 20.0 + i,
                "max_score": 40.0,
                "theta": 0.1 * i,
                "se": 0.3,
                "standard_score": 61.0 + i,
                "grade": grade,
                "detail": {"items": {"Q1": 1, "Q2": None}},
            }
        )
    return pd.DataFrame(rows, columns=list(RESULT_COLUMNS))


@pytest.fixture
def reg(tmp_path):
    with Registry(tmp_path / "reports" / "registry.sqlite") as r:
        yield r


def _publish(reg: Registry, apps: list[str], run_id: str = "r1", period: str = "2025H1") -> int:
    with reg.transaction():
        _run(reg, run_id, period=period)
        index_id = reg.add_index(
            discipline="d", period=period, run_id=run_id, input_hash="h", record={"cuts": [0]}
        )
        reg.add_results(
            _results(apps), discipline="d", period=period, index_id=index_id, run_id=run_id
        )
    return index_id


def test_schema_created_and_versioned(reg, tmp_path):
    """A new registry gets every table and the current schema version; reopening it migrates
    nothing twice."""
    assert reg.schema_version == SCHEMA_VERSION
    tables = {r[0] for r in reg._con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"schema_version", "runs", "indices", "results"} <= tables
    # reopening migrates nothing twice
    with Registry(reg.path) as again:
        assert again.schema_version == SCHEMA_VERSION
        n = again._con.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0]
    assert n == SCHEMA_VERSION


def test_newer_schema_is_refused(reg):
    """A registry written by a newer pvcal (higher schema version) is refused rather than
    misread."""
    reg._con.execute("INSERT INTO schema_version VALUES (?, 'later')", (SCHEMA_VERSION + 1,))
    with pytest.raises(RegistryError, match="newer than this pvcal"):
        Registry(reg.path)


def test_not_a_database_is_refused(tmp_path):
    """A file that is not SQLite is refused with a RegistryError."""
    bad = tmp_path / "registry.sqlite"
    bad.write_text("this is not sqlite " * 100)
    with pytest.raises(RegistryError, match="not a usable pvcal registry"):
        Registry(bad)


def test_one_result_per_application(reg):
    """Art. 8: one published result per application; a second one is refused by the check and by
    the database's UNIQUE constraint, and nothing is added."""
    index_id = _publish(reg, ["A-1", "A-2"])
    assert reg.results()["application"].tolist() == ["A-1", "A-2"]
    before = reg.dump()
    # a second result for A-2 (next to a new one) is refused and nothing is added
    with pytest.raises(RegistryError, match="'A-2' already has a published result"):
        reg.add_results(
            _results(["A-3", "A-2"]),
            discipline="d",
            period="2025H1",
            index_id=index_id,
            run_id="r1",
        )
    assert reg.dump() == before
    # the database itself refuses it too (UNIQUE), not only the check
    with pytest.raises(sqlite3.IntegrityError):
        reg._con.execute(
            "INSERT INTO results (application, candidate, discipline, period, index_id, run_id,"
            " published_at, grade, detail) VALUES ('A-1','C','d','p',?, 'r1','t','Pass','{}')",
            (index_id,),
        )


def test_duplicate_application_in_one_batch_is_refused(reg):
    """Art. 8: the same application twice in one batch is refused."""
    index_id = _publish(reg, ["A-1"])
    with pytest.raises(RegistryError, match="'A-9' appears twice"):
        reg.add_results(
            _results(["A-9", "A-9"]),
            discipline="d",
            period="2025H1",
            index_id=index_id,
            run_id="r1",
        )


def test_grade_must_be_one_of_four(reg):
    """Art. 12: a grade outside Excellent, Good, Pass, Fail is refused."""
    index_id = _publish(reg, ["A-1"])
    with pytest.raises(RegistryError, match="grade 'Merit' is not one of"):
        reg.add_results(
            _results(["A-5"], grade="Merit"),
            discipline="d",
            period="2025H1",
            index_id=index_id,
            run_id="r1",
        )


def test_rows_are_append_only(reg):
    """The registry is append-only: UPDATE or DELETE of results, indices and runs fails in the
    database itself."""
    _publish(reg, ["A-1"])
    for sql in (
        "UPDATE results SET grade = 'Excellent'",
        "DELETE FROM results",
        "UPDATE indices SET pass_index = 0",
        "DELETE FROM indices",
        "DELETE FROM runs",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only|final"):
            reg._con.execute(sql)


def test_new_publication_supersedes_never_overwrites(reg):
    """A new index for a period supersedes the old one (linked by supersedes), which stays
    readable; current_index gives the newest."""
    first = _publish(reg, ["A-1"], run_id="r1")
    second = _publish(reg, ["A-2"], run_id="r2")
    rows = reg.indices("d")
    assert rows["index_id"].tolist() == [first, second]
    assert rows["supersedes"].isna().tolist() == [True, False]
    assert int(rows["supersedes"].iloc[1]) == first
    assert reg.current_index("d", "2025H1")["index_id"] == second
    assert reg.indices(current=True)["index_id"].tolist() == [second]
    assert reg.index(first)["record"] == {"cuts": [0]}


def test_transaction_rolls_back_everything(reg):
    """A failed transaction leaves no row; transactions do not nest."""
    with pytest.raises(RuntimeError), reg.transaction():
        _run(reg, "r9")
        raise RuntimeError("crash")
    assert reg.runs().empty
    with pytest.raises(RegistryError, match="already open"), reg.transaction():
        with reg.transaction():
            pass


def test_failed_commit_leaves_nothing(reg, monkeypatch):
    """A commit that fails (disk gone) leaves no run, index or result behind."""

    def boom(self):
        raise OSError("disk gone")

    monkeypatch.setattr(Registry, "_commit", boom)
    with pytest.raises(OSError):
        _publish(reg, ["A-1"])
    monkeypatch.undo()
    assert reg.runs().empty and reg.results().empty and reg.indices().empty


def test_find_run_and_result(reg):
    """Runs are found by command and input hash, results by application; unknown results, failed
    runs given as published and duplicate run ids are refused."""
    _publish(reg, ["A-1"], run_id="r1")
    assert reg.find_run("publish", "h1", "d", "2025H1") == "r1"
    assert reg.find_run("publish", "other", "d", "2025H1") is None
    row = reg.result("A-1")
    assert row["detail"] == {"items": {"Q1": 1, "Q2": None}}
    with pytest.raises(RegistryError, match="no published result"):
        reg.result("A-404")
    with pytest.raises(RegistryError, match="outcome 'failed'"):
        _run(reg, "r2", outcome="failed")
    with pytest.raises(RegistryError, match="already in the run log"):
        _run(reg, "r1")


@pytest.mark.parametrize(
    ("finished_at", "why"),
    [
        ("2025-07-01T01:00:00", r"expected an ISO 8601 date-time with a time zone"),
        ("soon", r"expected an ISO 8601 date-time with a time zone"),
        ("2025-06-30T23:59:59Z", r"is before started_at='2025-07-01T00:00:00Z' \(a negative"),
        ("2025-07-01T07:00:00+08:00", r"is before started_at"),  # 2025-06-30T23:00Z
    ],
)
def test_a_run_end_is_a_zoned_time_not_before_the_start(reg, finished_at, why):
    """Review of 744b0a2: ``add_run(finished_at=)`` was stored unchecked, so a time without
    a zone, not a time at all, or one before the start went into the run log (the monitor
    then read a negative duration). Each is refused naming the run, and nothing is stored;
    a good end in any zone is stored in UTC (08:30+08:00 = 00:30Z, 30 min after the start)."""
    given = re.escape(repr(finished_at))
    with pytest.raises(RegistryError, match=rf"run 'r1': finished_at={given}.*{why}"):
        _run(reg, "r1", finished_at=finished_at)
    assert reg.runs().empty
    _run(reg, "r1", finished_at="2025-07-01T08:30:00+08:00")
    assert reg.runs()["finished_at"].tolist() == ["2025-07-01T00:30:00Z"]
