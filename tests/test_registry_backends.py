"""The registry backend layer without a server: URLs, SQL translation, ``--registry``.

Checks by hand: SQLite's ``?`` and ``IS ?`` become psycopg's ``%s`` and
``IS NOT DISTINCT FROM %s`` (NULL-safe equality, as SQLite's ``IS``); literal
``%`` is doubled; passwords never reach messages; every command that takes
``--reports`` also takes ``--registry``, which reaches the commands through
``PVCAL_REGISTRY``.
"""

from __future__ import annotations

import argparse
import os

import pytest

from pvcal.cli import build_parser
from pvcal.registry import registry_path
from pvcal.registry_backends import (
    RegistryURL,
    add_registry_option,
    is_database_url,
    redact,
    translate_sql,
    use_registry_option,
)


def test_translate_placeholders():
    """``?`` -> ``%s``; ``IS ?`` -> NULL-safe ``IS NOT DISTINCT FROM %s``; ``%`` doubled."""
    sql = "SELECT a FROM t WHERE b = ? AND c IS ? AND d LIKE 'x%'"
    assert translate_sql(sql) == (
        "SELECT a FROM t WHERE b = %s AND c IS NOT DISTINCT FROM %s AND d LIKE 'x%%'"
    )


def test_urls_and_redaction():
    """Only postgresql:// URLs are databases; the password is masked in messages."""
    assert is_database_url("postgresql://u:pw@h:5432/db")
    assert is_database_url("postgres://h/db")
    assert not is_database_url("reports/registry.sqlite")
    assert redact("postgresql://u:pw@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert redact("postgresql://u@h/db") == "postgresql://u@h/db"
    url = RegistryURL("postgresql://u:pw@h/db")
    assert url.is_file() and url.exists() and url.resolve() is url and "pw" not in url.redacted


def _parsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_every_registry_command_takes_registry():
    """Each (sub)command with --reports (it opens the registry) also has --registry."""
    with_reports = [p for p in _parsers(build_parser()) if "--reports" in p._option_string_actions]
    assert with_reports
    assert all("--registry" in p._option_string_actions for p in with_reports)


def test_registry_option_reaches_registry_path(monkeypatch, tmp_path):
    """--registry sets PVCAL_REGISTRY, which registry_path returns instead of the file."""
    monkeypatch.delenv("PVCAL_REGISTRY", raising=False)
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports")
    add_registry_option(parser)
    add_registry_option(parser)  # idempotent
    args = parser.parse_args(["--reports", "r", "--registry", "postgresql://u@h/db"])
    use_registry_option(args)
    assert os.environ["PVCAL_REGISTRY"] == "postgresql://u@h/db"
    assert registry_path(tmp_path) == "postgresql://u@h/db"
    assert isinstance(registry_path(tmp_path), RegistryURL)
    monkeypatch.delenv("PVCAL_REGISTRY")
    use_registry_option(parser.parse_args(["--reports", "r"]))  # absent: nothing set
    assert "PVCAL_REGISTRY" not in os.environ
    assert registry_path(tmp_path) == tmp_path / "registry.sqlite"


@pytest.mark.parametrize("value", ["", "   "])
def test_blank_environment_means_default(monkeypatch, tmp_path, value):
    """A blank PVCAL_REGISTRY is ignored (the reports folder's file)."""
    monkeypatch.setenv("PVCAL_REGISTRY", value)
    assert registry_path(tmp_path) == tmp_path / "registry.sqlite"
