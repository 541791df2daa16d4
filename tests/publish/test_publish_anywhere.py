"""`pip install pvcal` then `pvcal publish` in any folder: the notebooks are package data.

The command runs in a temporary folder outside the repository, with ``--data``
and ``--reports``, on this Python's kernel (``$PVCAL_KERNEL`` unset, no kernel
installed); the executed notebooks must have been read from pvcal's package
folder (papermill records the input path).  The wheel test builds pvcal and
lists the archive.  Checks of behaviour, not of published values: those are in
``tests/test_notebooks.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from importlib.resources import files
from pathlib import Path

import nbformat
import pytest
from _system import require_system

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "data" / "sample" / "lab-assessor"
NOTEBOOKS = ("calibrate", "threshold_setting", "publish_index")

pytestmark = [pytest.mark.slow, pytest.mark.notebook]


def test_publish_from_a_folder_outside_the_repository(tmp_path):
    """Issue 9 item 2: `python -m pvcal.cli publish` run from a folder outside the repository
    publishes with the packaged notebooks and writes nothing into the checkout."""
    data = tmp_path / "input" / "data"
    shutil.copytree(LAB, data / "lab-assessor")
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PVCAL_KERNEL"}
    before = _tree(ROOT / "reports")  # `make run` may have published there already
    command = [sys.executable, "-m", "pvcal.cli", "publish", "--discipline", "lab-assessor",
               "--data", str(data), "--reports", "out", "--quiet", "--no-industry"]  # fmt: skip
    run = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "published  lab-assessor 2025H2" in run.stdout
    unit = cwd / "out" / "lab-assessor" / "2025H2"
    packaged = Path(str(files("pvcal") / "notebooks")).resolve()
    for name in NOTEBOOKS:
        nb = nbformat.read(unit / "notebooks" / f"{name}.ipynb", as_version=4)
        assert Path(nb.metadata["papermill"]["input_path"]).resolve().parent == packaged
        assert nb.metadata["papermill"]["exception"] is None
    for name in ("report.html", "index.json", "results.csv", "run.json"):
        assert (unit / name).is_file(), name
    assert not list(ROOT.glob("out"))
    assert _tree(ROOT / "reports") == before


def _tree(folder: Path) -> dict[str, int]:
    """Every file below ``folder`` with its modification time (ns): what a run wrote there."""
    return {
        str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()
    }


def test_built_wheel_ships_the_notebooks(tmp_path):
    """Issue 9 item 2: a wheel built offline from the sources contains every notebook and params
    file as package data."""
    import setuptools

    # pyproject's build backend, in the dev extra; an isolated build would need the network
    require_system(
        f"setuptools >= 77 (dev extra; found {setuptools.__version__})",
        lambda: int(setuptools.__version__.split(".")[0]) >= 77,
    )
    project = tmp_path / "pvcal"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(
        ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    dist = tmp_path / "dist"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "--no-index", "-w", str(dist), str(project)]  # fmt: skip
    run = subprocess.run(build, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    (wheel,) = dist.glob("pvcal-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (*NOTEBOOKS, "industry_report"):
        assert f"pvcal/notebooks/{name}.ipynb" in names
    for params in (ROOT / "src" / "pvcal" / "notebooks" / "params").glob("*.yaml"):
        assert f"pvcal/notebooks/params/{params.name}" in names
