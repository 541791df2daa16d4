"""Run records: a run's outcome, id, input hash, code version, and the audit of failures."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

from .._validation import PvcalError
from ..registry import utcnow
from ..workflow.load import input_files

__all__ = [
    "PublishError",
    "UnitOutcome",
    "audit_failure",
    "code_version",
    "hash_inputs",
    "new_run_id",
    "run_facts",
]

_PACKAGE = Path(__file__).resolve().parents[1]
_REPO_ROOT = _PACKAGE.parents[1]  # the checkout, when pvcal runs from src/pvcal


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


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """pvcal version plus the git commit of the source tree (``.dirty`` if modified).

    The commit is added only when pvcal runs from its own git checkout (an
    installed pvcal gives its version alone).  Computed once per process.
    """
    from .. import __version__

    if not (_REPO_ROOT / "pyproject.toml").is_file() or _PACKAGE != _REPO_ROOT / "src" / "pvcal":
        return __version__
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
            ["git", "status", "--porcelain", "--", "src"],
            cwd=_REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return __version__
    return f"{__version__}+g{sha}{'.dirty' if dirty else ''}"


def hash_inputs(
    folder: str | Path, parameters: dict[str, Any] | None = None
) -> tuple[str, dict[str, str]]:
    """SHA-256 over a discipline folder's input files, the run parameters and pvcal's version.

    Files whose names start with ``true_`` (simulation truth), ``README`` or a
    dot are not inputs and are left out
    (:func:`~pvcal.workflow.load.input_files`).  The pvcal version and the
    code version (:func:`code_version`) are part of the hash, so a new pvcal
    publishes again what an older one published.

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
    from .. import __version__

    files = input_files(folder)
    payload = json.dumps(
        {
            "files": files,
            "parameters": parameters or {},
            "pvcal": __version__,
            "code": code_version(),
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest(), files


def _identifier_map(folder: str | Path | None) -> dict[str, str]:
    """Raw application/candidate id -> pseudonym, from the CSV files of a data folder."""
    if folder is None or not Path(folder).is_dir():
        return {}
    import pandas as pd

    from ..report.pseudonym import load_key, pseudonymise

    key = load_key()
    kinds = {"application_id": "application", "candidate_id": "candidate"}
    mapping: dict[str, str] = {}
    for path in sorted(Path(folder).glob("*.csv")):
        try:
            ids = pd.read_csv(path, dtype=str, usecols=lambda c: c in kinds)
        except (OSError, ValueError, pd.errors.ParserError):
            continue
        for col, kind in kinds.items():
            if col in ids:
                values = ids[col].dropna().astype(str).str.strip()
                mapping.update({v: pseudonymise(v, kind, key) for v in values.unique() if v})
    return mapping


def audit_failure(
    registry: Any, info: dict[str, Any], *, data_dir: str | Path | None = None
) -> str | None:
    """Record a failed run in the registry's audit log (action ``run_failed``).

    The detail holds the run's command, discipline, period, input hash, code
    version, parameters, inputs, start time and the error, with raw
    application and candidate identifiers of ``data_dir`` replaced by their
    pseudonyms (the full error stays in ``reports/_failed/<run_id>/run.json``,
    beside that pseudonymised text as ``info["error_pseudonymised"]``).

    Returns
    -------
    str or None
        None when recorded; else why it could not be (the registry itself failing).
    """
    from ..report.pseudonym import scrub

    keys = ("command", "discipline", "period", "input_hash", "code_version", "parameters")
    detail = {k: info.get(k) for k in keys}
    detail["inputs"] = info.get("inputs") or {}
    detail["started_at"] = info.get("started_at")
    detail["failed_at"] = utcnow()
    try:
        detail["error"] = scrub(str(info.get("error", "")), _identifier_map(data_dir))
        # the page-safe text for reports/_failed/<run_id>/run.json (read by pvcal monitor)
        info["error_pseudonymised"] = detail["error"]
        registry.add_audit_event(
            "run_failed", object_type="run", object_id=info["run_id"], actor="pvcal", detail=detail
        )
    except Exception as exc:  # noqa: BLE001 - the failure itself is reported by the caller
        return f"{type(exc).__name__}: {exc}"
    return None


def new_run_id(*parts: str | None) -> str:
    stamp = utcnow().replace("-", "").replace(":", "")
    tail = "-".join(p for p in parts if p)
    return f"{stamp}-{tail}-{uuid.uuid4().hex[:6]}"


def run_facts(unit: str | Path) -> dict[str, Any]:
    """What a unit's output says about its run, for the monitor (``pvcal monitor``).

    Read from the published files of the unit folder; a fact whose file is
    missing (a failed run, the industry report) is left out.  A file that is
    there but cannot be read is not passed over in silence: ``unreadable``
    maps its name to the reason, and the monitor lists it ("could not read").

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
        ``results.json``; ``n_ineligible`` from ``ineligible.csv``;
        ``unreadable`` (file name -> reason) when one of them cannot be read.
    """
    unit = Path(unit)
    facts: dict[str, Any] = {}
    unreadable: dict[str, str] = {}
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
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            unreadable[cal.name] = f"{type(exc).__name__}: {exc}"
    res = unit / "results.json"
    if res.is_file():
        try:
            rows = json.loads(res.read_text(encoding="utf-8"))
            facts["n_results"] = len(rows)
            facts["n_responses"] = int(sum(int(r.get("n_answered") or 0) for r in rows))
        except (ValueError, TypeError, AttributeError) as exc:
            unreadable[res.name] = f"{type(exc).__name__}: {exc}"
    inel = unit / "ineligible.csv"
    if inel.is_file():
        lines = inel.read_text(encoding="utf-8").splitlines()
        facts["n_ineligible"] = max(len(lines) - 1, 0)
    if unreadable:
        facts["unreadable"] = unreadable
    return facts
