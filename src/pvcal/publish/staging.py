"""Staging, the atomic move into place, keeping failed runs apart, and recovery."""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path
from typing import Any

from ..registry import Registry, registry_path

__all__ = ["STAGING", "FAILED", "recover", "write_json", "move_into_place", "keep_failed"]

STAGING = ".staging"
FAILED = "_failed"
TRASH = ".trash"


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str), encoding="utf-8")


def move_into_place(stage: Path, reports: Path) -> None:
    """Move a committed run's staged folders to their final places (idempotent)."""
    manifest = json.loads((stage / "manifest.json").read_text(encoding="utf-8"))
    trash = reports / TRASH / manifest["run_id"]
    for staged_rel, final_rel in manifest["moves"]:
        src, dst = stage / staged_rel, reports / final_rel
        if not src.exists():
            continue  # moved already (a rolled-forward run)
        if dst.exists():
            old = trash / final_rel
            old.parent.mkdir(parents=True, exist_ok=True)
            dst.rename(old)
        dst.parent.mkdir(parents=True, exist_ok=True)
        src.rename(dst)
    shutil.rmtree(trash, ignore_errors=True)
    shutil.rmtree(stage, ignore_errors=True)
    _remove_if_empty(reports / TRASH)
    _remove_if_empty(reports / STAGING)


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()


def keep_failed(stage: Path, reports: Path, run_id: str, info: dict[str, Any]) -> Path:
    """Move a failed run's staging folder to ``reports/_failed/<run_id>/`` with ``run.json``."""
    dest = reports / FAILED / run_id
    dest.parent.mkdir(parents=True, exist_ok=True)
    if stage.exists():
        stage.rename(dest)
    else:
        dest.mkdir(parents=True, exist_ok=True)
    write_json(dest / "run.json", info)
    _remove_if_empty(reports / STAGING)
    return dest


def recover(reports_dir: str | Path, registry: Registry | None = None) -> list[str]:
    """Finish or set apart runs interrupted by a crash.

    A staged run whose registry transaction committed is moved into place
    (rolled forward); one that never committed is moved to
    ``reports/_failed/<run_id>/``.

    Returns
    -------
    list of str
        The run ids handled.
    """
    reports = Path(reports_dir)
    staging = reports / STAGING
    if not staging.is_dir():
        return []
    own = registry is None
    reg = Registry(registry_path(reports)) if own else registry
    handled = []
    try:
        committed = set(reg.runs()["run_id"])
        for stage in sorted(p for p in staging.iterdir() if p.is_dir()):
            run_id = stage.name
            if run_id in committed and (stage / "manifest.json").is_file():
                move_into_place(stage, reports)
            else:
                keep_failed(
                    stage,
                    reports,
                    run_id,
                    {"run_id": run_id, "outcome": "failed", "error": "interrupted before commit"},
                )
            handled.append(run_id)
    finally:
        if own:
            reg.close()
    _remove_if_empty(staging)
    return handled
