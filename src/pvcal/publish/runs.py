"""Run records: what a run is (its outcome), its id, its input hash and code version."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

from .._validation import PvcalError
from ..registry import utcnow

__all__ = [
    "PublishError",
    "UnitOutcome",
    "code_version",
    "hash_inputs",
    "new_run_id",
    "run_facts",
]

_REPO_ROOT = Path(__file__).resolve().parents[3]
_NOT_INPUTS = ("true_", "readme", ".")  # simulation truth and notes are not inputs


class PublishError(PvcalError):
    """A publishing unit failed; nothing was published (see ``reports/_failed/``)."""


@dataclasses.dataclass(frozen=True)
class UnitOutcome:
    """What one publishing unit did.

    Attributes
    ----------
    discipline, period : str or None
        ``None`` for the industry report.
    run_id : str
    outcome : {"published", "unchanged", "failed"}
    message : str
        The reason for a failure, or a short note.
    path : Path or None
        Where the reports are (published), or the diagnosis folder (failed).
    """

    discipline: str | None
    period: str | None
    run_id: str
    outcome: str
    message: str = ""
    path: Path | None = None

    @property
    def ok(self) -> bool:
        """True unless the unit failed."""
        return self.outcome != "failed"


def code_version() -> str:
    """pvcal version plus the git commit of the source tree (``+dirty`` if modified)."""
    from .. import __version__

    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=_REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src", "notebooks"],
            cwd=_REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return __version__
    return f"{__version__}+g{sha}{'.dirty' if dirty else ''}"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def hash_inputs(
    folder: str | Path, parameters: dict[str, Any] | None = None
) -> tuple[str, dict[str, str]]:
    """SHA-256 over a discipline folder's input files and the run parameters.

    Files whose names start with ``true_`` (simulation truth), ``README`` or a
    dot are not inputs and are left out.

    Parameters
    ----------
    folder : str or Path
    parameters : dict, optional
        Parameters that change the output (period, seed, base index, ...).

    Returns
    -------
    (str, dict)
        The combined hash and file name -> SHA-256 of each input file.
    """
    folder = Path(folder)
    files = {
        p.name: _sha256(p)
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.lower().startswith(_NOT_INPUTS)
    }
    payload = json.dumps({"files": files, "parameters": parameters or {}}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest(), files


def new_run_id(*parts: str | None) -> str:
    stamp = utcnow().replace("-", "").replace(":", "")
    tail = "-".join(p for p in parts if p)
    return f"{stamp}-{tail}-{uuid.uuid4().hex[:6]}"


def run_facts(unit: str | Path) -> dict[str, Any]:
    """What a unit's output says about its run, for the monitor (``pvcal monitor``).

    Read from the published files of the unit folder; a fact whose file is
    missing (a failed run, the industry report) is left out.

    Parameters
    ----------
    unit : str or Path
        The unit's (staged or published) folder.

    Returns
    -------
    dict
        ``n_persons``, ``n_items``, ``em_iterations``, ``converged``,
        ``loglik`` from ``calibration.json`` (the period's calibration on the
        base scale); ``n_results`` (results published by the run),
        ``n_responses`` (their answered items, the sum of ``n_answered``) from
        ``results.json``; ``n_ineligible`` from ``ineligible.csv``.
    """
    unit = Path(unit)
    facts: dict[str, Any] = {}
    cal = unit / "calibration.json"
    if cal.is_file():
        try:
            d = json.loads(cal.read_text(encoding="utf-8"))
            facts["n_persons"] = int(d["n_persons"])
            facts["em_iterations"] = int(d["n_iter"])
            facts["converged"] = bool(d["converged"])
            facts["loglik"] = d.get("loglik")
            items = d.get("items") or {}
            facts["n_items"] = len(items.get("index", items.get("data", [])))
        except (ValueError, KeyError, TypeError):
            pass
    res = unit / "results.json"
    if res.is_file():
        try:
            rows = json.loads(res.read_text(encoding="utf-8"))
            facts["n_results"] = len(rows)
            facts["n_responses"] = int(sum(int(r.get("n_answered") or 0) for r in rows))
        except (ValueError, TypeError, AttributeError):
            pass
    inel = unit / "ineligible.csv"
    if inel.is_file():
        lines = inel.read_text(encoding="utf-8").splitlines()
        facts["n_ineligible"] = max(len(lines) - 1, 0)
    return facts
