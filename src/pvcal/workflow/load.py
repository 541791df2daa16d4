"""Load: the discipline folders, their periods, and one period's validated data.

:func:`load_period` is the first step of a publication: it loads and
cross-checks the discipline folder (:func:`pvcal.data.load_discipline`) and
keeps the period's eligible applications (Art. 6).  :func:`input_files`
fingerprints the folder's input files, so a later step can tell whether the
data changed under it.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._validation import PvcalError
from ..rules import Rules

__all__ = [
    "PeriodData",
    "discover_disciplines",
    "discipline_periods",
    "input_files",
    "load_period",
]

_NOT_INPUTS = ("true_", "readme", ".")  # simulation truth and notes are not inputs


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


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def input_files(folder: str | Path) -> dict[str, str]:
    """SHA-256 of each input file of a discipline folder, by file name.

    Files whose names start with ``true_`` (simulation truth), ``README`` or a
    dot are not inputs and are left out.

    Parameters
    ----------
    folder : str or Path

    Returns
    -------
    dict
        File name -> hex SHA-256, sorted by name.
    """
    folder = Path(folder)
    return {
        p.name: _sha256(p)
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.lower().startswith(_NOT_INPUTS)
    }


@dataclasses.dataclass(frozen=True, eq=False)
class PeriodData:
    """One period of a discipline, loaded, validated and restricted to eligible applications.

    Attributes
    ----------
    discipline, period, base_period : str
    folder : Path
        The discipline folder.
    rules : Rules
        The discipline's rules.
    bank : DataFrame
        The discipline's item bank.
    wide : DataFrame
        Responses of the eligible applications of the period with at least one
        response, items with at least one response (raw ids; internal).
    persons : DataFrame
        Person metadata of ``wide`` (candidate_id, form, ...).
    candidates : DataFrame
        The period's candidate register rows (study hours, region, employer).
    eligibility : DataFrame
        The period's eligibility (Art. 6), every application.
    panel : dict
        Panel judgement frames by kind.
    peer : DataFrame or None
        Peer-comparison results of the period.
    """

    discipline: str
    period: str
    base_period: str
    folder: Path
    rules: Rules
    bank: Any
    wide: Any
    persons: Any
    candidates: Any
    eligibility: Any
    panel: Mapping[str, Any]
    peer: Any

    @property
    def is_base(self) -> bool:
        """True for the base period (its calibration fixes the scale)."""
        return self.period == self.base_period


def load_period(data_dir: str | Path, period: str) -> PeriodData:
    """Load and validate a discipline folder and keep one period's eligible applications.

    Parameters
    ----------
    data_dir : str or Path
        The discipline folder.
    period : str
        One of the rules' periods.

    Returns
    -------
    PeriodData

    Raises
    ------
    DataError, SchemaError
        Bad input (from :func:`pvcal.data.load_discipline`).
    PvcalError
        Unknown period; fewer than two eligible applications with responses.
    """
    from .. import data as _data

    d = _data.load_discipline(data_dir)
    rules = d.rules
    if period not in rules.periods:
        raise PvcalError(
            f"{d.folder / 'rules.yml'}: period {period!r} is not one of {list(rules.periods)}"
        )
    resp = d.responses.subset(period=period)
    elig_all = d.eligibility()
    cands = d.candidates[d.candidates["period"].astype(str) == period]
    elig = elig_all.loc[elig_all.index.isin(cands.index)]
    ok = elig["eligible"].reindex(resp.wide.index).fillna(False).astype(bool).to_numpy()
    wide = resp.wide.loc[ok]
    wide = wide.loc[:, wide.notna().any()]
    if len(wide) < 2:
        raise PvcalError(f"{d.name} {period}: fewer than 2 eligible applications with responses")
    peer = d.peer
    if peer is not None:
        peer = peer[peer["period"].astype(str) == period]
    return PeriodData(
        discipline=d.name,
        period=period,
        base_period=rules.base_period,
        folder=Path(d.folder),
        rules=rules,
        bank=d.items,
        wide=wide,
        persons=resp.persons.loc[wide.index],
        candidates=cands,
        eligibility=elig,
        panel=dict(d.panel),
        peer=peer,
    )
