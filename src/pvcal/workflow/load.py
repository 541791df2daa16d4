"""Load: find the discipline folders and the periods of a discipline."""

from __future__ import annotations

from pathlib import Path

from .._validation import PvcalError

__all__ = ["discover_disciplines", "discipline_periods"]


def discover_disciplines(data_root: str | Path) -> list[Path]:
    """Discipline folders (those holding a ``rules.yml``) under ``data_root``, sorted.

    Raises
    ------
    PvcalError
        If ``data_root`` is missing or holds no discipline.
    """
    root = Path(data_root)
    if not root.is_dir():
        raise PvcalError(f"data folder {str(root)!r} not found")
    found = sorted(p for p in root.iterdir() if (p / "rules.yml").is_file())
    if not found:
        raise PvcalError(f"no discipline folder (with rules.yml) under {str(root)!r}")
    return found


def discipline_periods(folder: str | Path) -> tuple[str, str, list[str]]:
    """``(discipline, base_period, periods)`` of a discipline folder, base period first.

    Raises
    ------
    SchemaError
        If ``rules.yml`` is missing or invalid (:func:`pvcal.rules.load`).
    """
    from ..rules import load as load_rules

    rules = load_rules(Path(folder) / "rules.yml")
    base = rules.base_period
    return rules.discipline, base, [base] + [p for p in rules.periods if p != base]
