"""Shared fixtures: the Jupyter kernel and one publication of the sample data.

``published`` runs ``pvcal publish --all`` once per test session through
papermill's API (the path of the scheduled job) into a temporary reports
folder; tests never write into the repository's ``reports/``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs property tests on a fixed sequence of examples (no flaky reds from a
# newly drawn case, no deadline on a shared machine); locally they explore.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="session")
def kernel() -> str:
    """The publishing kernel: ``$PVCAL_KERNEL`` if set, else this Python (nothing installed)."""
    from pvcal.publish import ensure_kernel

    return ensure_kernel()


@pytest.fixture(scope="session")
def published(tmp_path_factory, kernel):
    """(reports folder, outcomes) of publishing every sample discipline once."""
    from pvcal.publish import publish

    reports = tmp_path_factory.mktemp("published") / "reports"
    outcomes = publish(SAMPLE, reports_dir=reports, kernel=kernel, progress=False, jobs=2)
    return reports, outcomes


@pytest.fixture
def reports_copy(published, tmp_path):
    """A private copy of the published reports folder (registry included)."""
    src, _ = published
    dst = tmp_path / "reports"
    shutil.copytree(src, dst)
    return dst
