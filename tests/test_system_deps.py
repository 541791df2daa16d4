"""``require_system``: a missing system dependency skips locally and fails under CI=true.

Hand-derived expectations from issue 9 ("Outside CI a test whose system dependency
is missing is skipped with that message; under CI=true it fails").
"""

from __future__ import annotations

import pytest
from _system import require_system


def test_present_dependency_is_returned(monkeypatch):
    """Issue 9 item 5: a system dependency that is present is returned, also under CI."""
    monkeypatch.setenv("CI", "true")
    assert require_system("thing", lambda: "/usr/bin/thing") == "/usr/bin/thing"


def test_missing_dependency_skips_outside_ci(monkeypatch):
    """Issue 9 item 5: outside CI a missing system dependency skips the test with 'run make
    setup'."""
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"needs thing: run `make setup`"):
        require_system("thing", lambda: None)


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_missing_dependency_fails_under_ci(monkeypatch, value):
    """Issue 9 item 5: under CI=true (any case or 1) a missing system dependency fails the test
    with the same message."""
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match=r"needs thing: run `make setup`"):
        require_system("thing", lambda: None)
