"""System dependencies of the tests, provisioned by ``make setup`` (scripts/setup-system.sh).

No test installs anything. :func:`require_system` looks a dependency up; when it
is missing the test is skipped with "needs X: run `make setup`", except under
``CI=true``, where a missing dependency is a failure (CI must provision it).

The lookups are plain functions (``find_chromium``, ``find_cjk_font``,
``find_postgres_bin``) so that fixtures and tests share them::

    from _system import find_chromium, require_system

    chromium = require_system("chromium (Debian package chromium)", find_chromium)
"""

from __future__ import annotations

import glob
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")

CJK_FAMILY = "Noto Sans CJK SC"


def in_ci() -> bool:
    """True when the ``CI`` environment variable says so (``true``/``1``/``yes``)."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def require_system(name: str, check: Callable[[], T | None]) -> T:
    """The value ``check()`` finds for system dependency ``name``; skip (or fail in CI) if none.

    Parameters
    ----------
    name : str
        What is needed, as the message should name it (e.g. "chromium").
    check : callable
        Returns the dependency (a path, say) or None/False when it is missing.

    Returns
    -------
    The non-empty value returned by ``check``.
    """
    found = check()
    if found:
        return found
    message = f"needs {name}: run `make setup`"
    if in_ci():
        pytest.fail(message + " (CI=true: system dependencies must be provisioned)")
    pytest.skip(message)


def find_chromium() -> str | None:
    """Path of a Chromium binary (Debian's ``chromium``), or None."""
    for candidate in ("chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def find_cjk_font() -> str | None:
    """Path of the Noto Sans CJK font file (Debian's ``fonts-noto-cjk``), or None."""
    patterns = [
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/**/NotoSansCJK*-Regular.tt[cf]",
        "/usr/share/fonts/**/NotoSansCJKsc-Regular.otf",
    ]
    for pattern in patterns:
        hits = sorted(glob.glob(pattern, recursive=True))
        if hits:
            return hits[0]
    return None


def find_postgres_bin() -> Path | None:
    """PostgreSQL's server bin directory (``initdb``, ``pg_ctl``), 15 preferred, or None."""
    dirs = [Path("/usr/lib/postgresql/15/bin")] + [
        Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    ]
    for d in dirs:
        if (d / "initdb").exists() and (d / "pg_ctl").exists():
            return d
    return None
