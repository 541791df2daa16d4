"""The platform monitor (Art. 20): runs, data volumes, convergence, drift, DIF, cases.

:func:`monitor` reads the registry's run log (``runs``) and integrity cases,
the failed runs kept under ``reports/_failed/`` and the published files of
every current unit (``reports/<discipline>/<period>/``: ``run.json``,
``index.json``, ``calibration.json``, ``results.json``, ``dif.json``) and
returns a :class:`Monitoring`: one row per run and a list of alerts, written by
:func:`write_monitoring` as ``monitoring.json`` and ``monitoring.html``::

    {"runs": [{"discipline", "period", "started", "duration_s", "outcome",
               "n_responses", "em_iterations", "converged", ...}],
     "alerts": [{"kind", "discipline", "period", "message"}],
     "config": {...}, "generated_at": "..."}

Thresholds live in a validated :class:`MonitorConfig` (pydantic; defaults, or
a YAML file read by :func:`load_config`).  ``pvcal monitor --check`` exits
non-zero when there is an alert (for schedulers).

Alert sources
-------------
Each alert kind is one function ``source(context, config) -> list[Alert]`` in
:data:`ALERT_SOURCES`; :func:`monitor` takes ``sources=`` to replace or extend
them (a DIF step that publishes elsewhere plugs its own reader in):

==================  =========================================================
``failure``         a failed run not followed by a successful run of the unit
``duration``        a run longer than ``max_duration_s``
``volume``          fewer results than ``min_results``; persons calibrated
                    changed by more than ``volume_change`` from the period before
``convergence``     EM did not converge (or used ``max_em_iterations`` or more)
``anchor_drift``    the linking's drift screen left anchors out
``item_drift``      :func:`pvcal.drift.item_drift` over consecutive periods
``pass_rate``       :func:`pvcal.drift.pass_rate_drift` of the index records
``score_drift``     :func:`pvcal.drift.score_drift` of the published θ (base scale)
``dif``             items of an ETS class in ``dif_classes`` in ``dif.json``
``integrity_cases`` more open integrity cases than ``max_open_cases``
==================  =========================================================

What cannot be read
-------------------
A registry table that cannot be read (``runs``, ``indices``, ``audit_log``,
``cases``) is a :class:`~pvcal._validation.RegistryError` naming the registry
and the table, and nothing is written: a report without the failed runs or the
open cases would look complete.  A published or failed-run JSON file that
cannot be read (not JSON, or not the expected shape) is left out, named in a
:class:`~pvcal._validation.DataWarning` and in :attr:`Monitoring.notes`
("could not read ..."), shown at the top of ``monitoring.html`` and kept in
``monitoring.json``; such a report is not ``ok`` (``--check`` exits 1).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .._validation import DataWarning, PvcalError, RegistryError, SchemaError, check_aware_time
from ..registry import Registry, registry_path, utcnow
from ..registry_backends import redact_dsn
from ..report.i18n import N_

__all__ = [
    "ALERT_SOURCES",
    "Alert",
    "MonitorConfig",
    "MonitorContext",
    "Monitoring",
    "load_config",
    "monitor",
    "write_monitoring",
]

_FAILED = "_failed"
_RUN_COLUMNS = (
    "run_id", "command", "discipline", "period", "started", "finished", "duration_s",
    "outcome", "message", "n_persons", "n_results", "n_responses", "n_items",
    "em_iterations", "converged", "code_version",
)  # fmt: skip


# --------------------------------------------------------------------------- config
class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemDriftConfig(_Section):
    """Thresholds of :func:`pvcal.drift.item_drift`."""

    threshold_z: float = Field(2.7, gt=0)
    threshold_se_z: float = Field(3.29, gt=0)
    min_shift: float = Field(0.3, ge=0)
    min_common: int = Field(5, ge=2)


class PassRateConfig(_Section):
    """Thresholds of :func:`pvcal.drift.pass_rate_drift`."""

    threshold: float = Field(0.10, gt=0, le=1)
    alpha: float = Field(0.01, gt=0, lt=1)


class ScoreDriftConfig(_Section):
    """Thresholds of :func:`pvcal.drift.score_drift`."""

    threshold_smd: float = Field(0.5, gt=0)
    threshold_ks: float = Field(0.2, gt=0, le=1)


class MonitorConfig(_Section):
    """Alert thresholds of the monitor (every key has a default).

    Attributes
    ----------
    max_duration_s : float, default 1800
        A run taking longer alerts (``duration``).
    min_results : int, default 50
        A published period with fewer results alerts (``volume``).
    volume_change : float, default 0.5
        Persons calibrated changing by more than this share from the previous
        period of the discipline alerts (``volume``).
    max_em_iterations : int or None, default None
        EM cycles at or above this alert (``convergence``); non-convergence
        always does.
    item_drift, pass_rate, score_drift : sections
        Thresholds of :mod:`pvcal.drift` (see its functions).
    dif_classes : list of str, default ["C", "CC"]
        ETS classes that alert (``dif``).
    max_open_cases : int, default 0
        More open or under-review integrity cases of a period alert.
    disabled : list of str, default []
        Alert kinds not to check.
    """

    max_duration_s: float = Field(1800.0, gt=0)
    min_results: int = Field(50, ge=0)
    volume_change: float = Field(0.5, gt=0)
    max_em_iterations: int | None = Field(None, ge=1)
    item_drift: ItemDriftConfig = ItemDriftConfig()
    pass_rate: PassRateConfig = PassRateConfig()
    score_drift: ScoreDriftConfig = ScoreDriftConfig()
    dif_classes: tuple[str, ...] = ("C", "CC")
    max_open_cases: int = Field(0, ge=0)
    disabled: tuple[str, ...] = ()


def _config_message(exc: ValidationError, file: str) -> str:
    parts = []
    for e in exc.errors():
        key = ".".join(str(k) for k in e["loc"])
        if e["type"] == "extra_forbidden":
            parts.append(f"unknown key {key!r}")
        else:
            parts.append(f"key {key!r}: {e['msg']} (got {e.get('input')!r})")
    return f"{file}: " + "; ".join(parts)


def load_config(path: str | Path | None = None, **overrides: Any) -> MonitorConfig:
    """The monitoring config: defaults, a YAML file's values, then ``overrides``.

    Parameters
    ----------
    path : str or Path, optional
        A YAML mapping of :class:`MonitorConfig` keys (nested sections as
        mappings).  None: the defaults.
    **overrides
        Keys set in code (win over the file).

    Returns
    -------
    MonitorConfig

    Raises
    ------
    SchemaError
        The file is missing, not YAML, not a mapping, or a key is unknown, of
        the wrong type or out of range (the message names the file and key).

    Examples
    --------
    >>> load_config(max_duration_s=600).pass_rate.threshold
    0.1
    """
    import yaml

    data: dict[str, Any] = {}
    name = "monitoring config"
    if path is not None:
        p = Path(path)
        name = str(p)
        if not p.is_file():
            raise SchemaError(f"{p}: monitoring config not found")
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise SchemaError(f"{p}: not valid YAML ({exc})") from exc
        if not isinstance(data, dict):
            raise SchemaError(f"{p}: expected a mapping of monitoring settings")
    try:
        cfg = MonitorConfig.model_validate({**data, **overrides})
    except ValidationError as exc:
        raise SchemaError(_config_message(exc, name)) from exc
    unknown = sorted(set(cfg.disabled) - set(ALERT_SOURCES))
    if unknown:
        raise SchemaError(f"{name}: key 'disabled': unknown alert kind(s) {unknown}")
    return cfg


# --------------------------------------------------------------------------- results
@dataclasses.dataclass(frozen=True)
class Alert:
    """One alert: what kind, where, and a message a person can act on.

    ``message`` is English (``monitoring.json``, the command's output);
    ``msgid`` and ``params``, when given, let the page show it in another
    language: ``message == msgid % params`` and the page shows
    ``gettext(msgid) % params`` (:meth:`text`).
    """

    kind: str
    discipline: str | None
    period: str | None
    message: str
    msgid: str | None = dataclasses.field(default=None, compare=False, repr=False)
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """``{"kind", "discipline", "period", "message"}`` (the message in English)."""
        return {
            "kind": self.kind,
            "discipline": self.discipline,
            "period": self.period,
            "message": self.message,
        }

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (the fixed part translated, the values as they are)."""
        if self.msgid is None:
            return self.message
        from ..report.i18n import gettext

        return gettext(self.msgid, lang) % dict(self.params)


def _alert(kind: str, discipline: Any, period: Any, msgid: str, **params: Any) -> Alert:
    """An :class:`Alert` whose message is ``msgid % params`` (translatable on the page)."""
    return Alert(kind, discipline, period, msgid % params, msgid=msgid, params=params)


@dataclasses.dataclass(frozen=True)
class MonitorContext:
    """What the alert sources read.

    Attributes
    ----------
    reports : Path
    runs : DataFrame
        One row per run (registry runs and failed runs), oldest first.
    units : dict
        (discipline, period) -> published unit folder, periods in publication
        order within a discipline.
    cases : DataFrame or None
        Integrity cases with their current status (None: not read).
    unreadable : dict
        What could not be read -> why (files relative to ``reports``), filled
        while reading; becomes :attr:`Monitoring.notes`.
    """

    reports: Path
    runs: pd.DataFrame
    units: dict[tuple[str, str], Path]
    cases: pd.DataFrame | None = None
    unreadable: dict[str, str] = dataclasses.field(default_factory=dict)

    def periods(self) -> dict[str, list[str]]:
        """Discipline -> its published periods in publication order."""
        out: dict[str, list[str]] = {}
        for d, p in self.units:
            out.setdefault(d, []).append(p)
        return out

    def read_json(self, discipline: str, period: str, name: str) -> Any:
        """A unit's published JSON file, or None when it is absent or unreadable.

        An unreadable file is noted (:attr:`unreadable`, a ``DataWarning``).
        """
        return _load_json(self.units[(discipline, period)] / name, self.unreadable, self.reports)

    def run_record(self, discipline: str, period: str) -> dict[str, Any]:
        """A unit's ``run.json`` ({} when absent; an unreadable one is noted)."""
        folder = self.units[(discipline, period)]
        return _read_run_json(folder / "run.json", self.unreadable, self.reports)

    def index_record(self, discipline: str, period: str) -> dict[str, Any]:
        """The ``record`` of a unit's ``index.json`` ({} when absent; a malformed one is noted)."""
        doc = self.read_json(discipline, period, "index.json")
        if doc is None:
            return {}
        rec = doc.get("record") if isinstance(doc, dict) else None
        if not isinstance(rec, dict):
            _note(
                self.unreadable,
                _rel(self.units[(discipline, period)] / "index.json", self.reports),
                "expected a JSON object with a 'record' object",
            )
            return {}
        return rec


@dataclasses.dataclass(frozen=True)
class Monitoring:
    """The monitor's result: runs, alerts, the config used and the drift tables.

    ``tables`` holds the full drift screens behind the alerts (``item_drift``,
    ``pass_rate``, ``score_drift``: every comparison, alerting or not).
    """

    runs: pd.DataFrame
    alerts: tuple[Alert, ...]
    config: MonitorConfig
    generated_at: str
    tables: Mapping[str, pd.DataFrame] = dataclasses.field(default_factory=dict)
    #: ``locale`` of the rules recorded with each published unit's index (page language).
    locales: tuple[str, ...] = ()
    #: What could not be read and is left out ("could not read <file>: <why>").
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when there is no alert and everything could be read (no :attr:`notes`)."""
        return not self.alerts and not self.notes

    def alert_frame(self) -> pd.DataFrame:
        """The alerts as a frame (``kind, discipline, period, message``)."""
        return pd.DataFrame(
            [a.to_dict() for a in self.alerts], columns=["kind", "discipline", "period", "message"]
        )

    def to_dict(self) -> dict[str, Any]:
        """``{"runs", "alerts", "notes", "config", "generated_at", "drift"}``."""
        from ..serialize import to_jsonable

        runs = self.runs.astype(object).where(self.runs.notna(), None)
        return {
            "generated_at": self.generated_at,
            "runs": to_jsonable(runs.to_dict("records")),
            "alerts": [a.to_dict() for a in self.alerts],
            "notes": list(self.notes),
            "config": self.config.model_dump(mode="json"),
            "drift": {
                k: to_jsonable(v.astype(object).where(v.notna(), None).to_dict("records"))
                for k, v in self.tables.items()
            },
        }

    def to_json(self) -> str:
        """Canonical JSON (:func:`pvcal.serialize.dumps`)."""
        from ..serialize import dumps

        return dumps(self.to_dict(), indent=1)


# --------------------------------------------------------------------------- reading
def _duration(start: Any, end: Any) -> float | None:
    try:
        t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
    except (TypeError, ValueError):
        return None
    if pd.isna(t0) or pd.isna(t1):
        return None
    return float((t1 - t0).total_seconds())


def _rel(path: Path, reports: Path) -> str:
    """``path`` relative to the reports folder (as the page names files)."""
    try:
        return path.relative_to(reports).as_posix()
    except ValueError:
        return str(path)


def _note(unreadable: dict[str, str], what: str, why: str) -> None:
    """Record that ``what`` could not be read (once), with a ``DataWarning`` naming it."""
    if what in unreadable:
        return
    unreadable[what] = why
    warnings.warn(
        f"could not read {what}: {why}; the monitoring report leaves it out and says so",
        DataWarning,
        stacklevel=3,
    )


def _load_json(path: Path, unreadable: dict[str, str], reports: Path) -> Any:
    """A JSON file, or None when absent; an unreadable one is None and noted."""
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        _note(unreadable, _rel(path, reports), f"not valid JSON ({exc})")
        return None


def _read_run_json(path: Path, unreadable: dict[str, str], reports: Path) -> dict[str, Any]:
    """A run record (``run.json``), {} when absent; an unreadable one is {} and noted."""
    d = _load_json(path, unreadable, reports)
    if d is None:
        return {}
    if not isinstance(d, dict):
        _note(unreadable, _rel(path, reports), f"expected a JSON object, got {type(d).__name__}")
        return {}
    return d


def _registry_table(registry: Registry, table: str, read: Callable[[], pd.DataFrame]) -> Any:
    """``read()`` of one registry table, or a RegistryError naming the registry and the table.

    The monitor does not go on without a table: a report missing the run log,
    the failed runs of the audit log or the open cases would look complete.
    """
    try:
        return read()
    except Exception as exc:  # noqa: BLE001 - re-raised as a pvcal error naming the table
        why = redact_dsn(f"{type(exc).__name__}: {exc}", registry.path)
        raise RegistryError(
            f"{registry.shown}: cannot read the registry table {table!r} ({why}); "
            "no monitoring report written"
        ) from exc


def _collect_units(reports: Path, registry: Registry) -> dict[tuple[str, str], Path]:
    idx = _registry_table(registry, "indices", registry.indices)
    units: dict[tuple[str, str], Path] = {}
    if not len(idx):
        return units
    first = idx.groupby(["discipline", "period"], sort=False)["index_id"].min().sort_values()
    for d, p in first.index:
        folder = reports / str(d) / str(p)
        if folder.is_dir():
            units[(str(d), str(p))] = folder
    return units


def _collect_runs(
    reports: Path, registry: Registry, units: Mapping, unreadable: dict[str, str]
) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    facts = {}
    for folder in units.values():
        rec = _read_run_json(folder / "run.json", unreadable, reports)
        if rec.get("run_id"):
            facts[rec["run_id"]] = rec
        late = rec.get("unreadable")  # what run_facts could not read when the run ended
        for name, why in late.items() if isinstance(late, dict) else []:
            _note(unreadable, _rel(folder / str(name), reports), f"{why} (when the run ended)")
    for r in _registry_table(registry, "runs", registry.runs).to_dict("records"):
        rec = facts.get(r["run_id"], {})
        rows.append(
            {
                **{k: rec.get(k) for k in _RUN_COLUMNS},
                "run_id": r["run_id"],
                "command": r["command"],
                "discipline": r["discipline"],
                "period": r["period"],
                "started": r["started_at"],
                "finished": r["finished_at"],
                "duration_s": _duration(r["started_at"], r["finished_at"]),
                "outcome": r["outcome"],
                "message": r["message"],
                "code_version": r["code_version"],
            }
        )
    failed = reports / _FAILED
    if failed.is_dir():
        for path in sorted(failed.glob("*/run.json")):
            rec = _read_run_json(path, unreadable, reports)
            if not rec:  # unreadable (noted): still a failed run, known by its folder
                rec = {"message": f"{_rel(path, reports)} could not be read"}
            rows.append(
                {
                    **{k: rec.get(k) for k in _RUN_COLUMNS},
                    "run_id": rec.get("run_id", path.parent.name),
                    "command": rec.get("command", "publish"),
                    "started": rec.get("started_at"),
                    "finished": rec.get("finished_at"),
                    "duration_s": _duration(rec.get("started_at"), rec.get("finished_at")),
                    "outcome": "failed",
                    # the pseudonymised text where the runner recorded one (raw ids stay
                    # in run.json for the operators, never on the page)
                    "message": rec.get(
                        "error_pseudonymised", rec.get("error", rec.get("message", ""))
                    ),
                }
            )
    seen = {r["run_id"] for r in rows}
    for rec in _audited_failures(registry, unreadable):
        if rec["run_id"] in seen:
            continue  # the folder under _failed/ says more (facts, full error)
        rows.append(
            {
                **{k: None for k in _RUN_COLUMNS},
                "run_id": rec["run_id"],
                "command": rec.get("command") or "publish",
                "discipline": rec.get("discipline"),
                "period": rec.get("period"),
                "started": rec.get("started_at"),
                "finished": rec.get("failed_at"),
                "duration_s": _duration(rec.get("started_at"), rec.get("failed_at")),
                "outcome": "failed",
                "message": rec.get("error", ""),
                "code_version": rec.get("code_version"),
            }
        )
    for row in rows:  # records written before passwords were hidden (run.json, audit log)
        if isinstance(row.get("message"), str):
            row["message"] = redact_dsn(row["message"], registry.path)
    frame = pd.DataFrame(rows, columns=list(_RUN_COLUMNS))
    if len(frame):
        frame = frame.sort_values(["started", "run_id"], na_position="first", kind="stable")
    return frame.reset_index(drop=True)


def _audited_failures(registry: Registry, unreadable: dict[str, str]) -> list[dict[str, Any]]:
    """Failed runs recorded in the registry's audit log (action ``run_failed``).

    An event whose ``detail`` is not a JSON object is still a failed run (its
    discipline, period and error unknown) and is noted.
    """
    log = _registry_table(registry, "audit_log", registry.audit_log)
    if not len(log):
        return []
    out = []
    for r in log[log["action"] == "run_failed"].to_dict("records"):
        try:
            detail = json.loads(r["detail"]) if isinstance(r["detail"], str) else r["detail"]
        except ValueError as exc:
            detail = exc
        if detail is not None and not isinstance(detail, dict):
            why = (
                f"not valid JSON ({detail})" if isinstance(detail, ValueError) else "not an object"
            )
            _note(
                unreadable,
                f"the detail of audit-log event {r.get('event_id')} (run {r['object_id']}) "
                f"in {registry.shown}",
                why,
            )
            detail = {"error": "the audit log's detail of this failed run could not be read"}
        out.append({**(detail or {}), "run_id": str(r["object_id"])})
    return out


def _collect_cases(registry: Registry) -> pd.DataFrame:
    return _registry_table(registry, "cases", registry.cases)


# --------------------------------------------------------------------------- sources
def _failures(ctx: MonitorContext, cfg: MonitorConfig) -> list[Alert]:
    runs = ctx.runs
    out = []
    failed = runs[runs["outcome"] == "failed"]
    for r in failed.astype(object).where(failed.notna(), None).to_dict("records"):  # NaN: None
        later = runs[
            (runs["outcome"] != "failed")
            & (runs["command"] == r["command"])
            & (runs["discipline"].fillna("") == (r["discipline"] or ""))
            & (runs["period"].fillna("") == (r["period"] or ""))
            & (runs["started"].fillna("") > (r["started"] or ""))
        ]
        if len(later):
            continue  # the unit ran successfully afterwards
        out.append(
            _alert(
                "failure",
                r["discipline"],
                r["period"],
                N_(
                    "run %(run)s failed and nothing was published: %(message)s "
                    "(see reports/%(folder)s/%(run)s/)"
                ),
                run=r["run_id"],
                message=r["message"],
                folder=_FAILED,
            )
        )
    return out


def _durations(ctx: MonitorContext, cfg: MonitorConfig) -> list[Alert]:
    runs = ctx.runs
    slow = runs[pd.to_numeric(runs["duration_s"], errors="coerce") > cfg.max_duration_s]
    return [
        _alert(
            "duration",
            r["discipline"],
            r["period"],
            N_(
                "run %(run)s (%(outcome)s) took %(seconds)s s, more than max_duration_s = %(max)s s"
            ),
            run=r["run_id"],
            outcome=r["outcome"],
            seconds=f"{float(r['duration_s']):.0f}",
            max=f"{cfg.max_duration_s:g}",
        )
        for _, r in slow.iterrows()
    ]


def _unit_facts(ctx: MonitorContext) -> pd.DataFrame:
    rows = []
    for d, p in ctx.units:
        rec = ctx.run_record(d, p)
        n = ctx.index_record(d, p).get("n")
        row = {**rec, "discipline": d, "period": p, "n_index": n}
        if row.get("n_persons") is None:  # published before the runner recorded the facts
            cal = ctx.read_json(d, p, "calibration.json") or {}
            row["n_persons"] = cal.get("n_persons") if isinstance(cal, dict) else None
        rows.append(row)
    return pd.DataFrame(rows, columns=None if rows else ["discipline", "period", "n_index"])


def _volumes(ctx: MonitorContext, cfg: MonitorConfig) -> list[Alert]:
    out = []
    facts = _unit_facts(ctx)
    for d, sub in facts.groupby("discipline", sort=False):
        prev = None
        for _, r in sub.iterrows():
            n = r.get("n_index")
            if n is not None and pd.notna(n) and int(n) < cfg.min_results:
                out.append(
                    _alert(
                        "volume",
                        d,
                        r["period"],
                        N_("%(n)s candidates scored, fewer than min_results = %(min)s"),
                        n=int(n),
                        min=cfg.min_results,
                    )
                )
            cur = r.get("n_persons")
            cur = None if cur is None or pd.isna(cur) else float(cur)
            if prev is not None and cur is not None and prev > 0:
                change = cur / prev - 1
                if abs(change) > cfg.volume_change:
                    out.append(
                        _alert(
                            "volume",
                            d,
                            r["period"],
                            N_(
                                "%(now)s persons calibrated against %(before)s the period "
                                "before (%(change)s; threshold ±%(threshold)s)"
                            ),
                            now=f"{cur:.0f}",
                            before=f"{prev:.0f}",
                            change=f"{change:+.0%}",
                            threshold=f"{cfg.volume_change:.0%}",
                        )
                    )
            prev = cur if cur is not None else prev
    return out


def _convergence(ctx: MonitorContext, cfg: MonitorConfig) -> list[Alert]:
    out = []
    for d, p in ctx.units:
        rec = ctx.run_record(d, p)
        cal = ctx.read_json(d, p, "calibration.json")
        cal = cal if isinstance(cal, dict) else {}
        converged = rec.get("converged", cal.get("converged"))
        n_iter = rec.get("em_iterations", cal.get("n_iter"))
        if converged is False:
            out.append(
                _alert(
                    "convergence",
                    d,
                    p,
                    N_("EM did not converge (%(cycles)s cycles)"),
                    cycles=n_iter,
                )
            )
        elif cfg.max_em_iterations is not None and n_iter is not None:
            if int(n_iter) >= cfg.max_em_iterations:
                out.append(
                    _alert(
                        "convergence",
                        d,
                        p,
                        N_("EM used %(cycles)s cycles (max_em_iterations = %(max)s)"),
                        cycles=int(n_iter),
                        max=cfg.max_em_iterations,
                    )
                )
    return out


def _anchor_drift(ctx: MonitorContext, cfg: MonitorConfig) -> list[Alert]:
    out = []
    for d, p in ctx.units:
        lk = ctx.index_record(d, p).get("linking") or {}
        excluded = lk.get("excluded") or []
        if excluded:
            out.append(
                _alert(
                    "anchor_drift",
                    d,
                    p,
                    N_(
                        "the anchor drift screen left out %(out)s of %(total)s anchors when "
                        "linking onto %(base)s: %(items)s"
                    ),
                    out=len(excluded),
                    total=len(lk.get("anchors") or []) + len(excluded),
                    base=lk.get("base", "the base period"),
                    items=", ".join(map(str, excluded)),
                )
            )
    return out


def _calibration_items(ctx: MonitorContext, d: str, p: str) -> pd.DataFrame | None:
    data = ctx.read_json(d, p, "calibration.json")
    if data is None:
        return None  # absent, or unreadable (noted)
    from ..serialize import frame_from_json

    what = _rel(ctx.units[(d, p)] / "calibration.json", ctx.reports)
    if not isinstance(data, dict) or not isinstance(data.get("items"), dict):
        _note(ctx.unreadable, what, "expected a JSON object with the item parameters ('items')")
        return None
    try:
        return frame_from_json(data["items"])
    except (KeyError, TypeError, ValueError) as exc:
        _note(ctx.unreadable, what, f"'items' is not a serialised frame ({exc})")
        return None


def item_drift_table(ctx: MonitorContext, cfg: MonitorConfig) -> pd.DataFrame:
    """:func:`pvcal.drift.item_drift` of every discipline (consecutive published periods)."""
    from ..drift import item_drift

    frames = []
    c = cfg.item_drift
    for d, periods in ctx.periods().items():
        items = {p: _calibration_items(ctx, d, p) for p in periods}
        items = {p: f for p, f in items.items() if f is not None}
        if len(items) < 2:
            continue
        res = item_drift(
            items,
            threshold_z=c.threshold_z,
            threshold_se_z=c.threshold_se_z,
            min_shift=c.min_shift,
            min_common=c.min_common,
        )
        frames.append(res.assign(discipline=d))
    if not frames:
        return pd.DataFrame(columns=["discipline", "item", "period_from", "period_to", "alert"])
    out = pd.concat(frames, ignore_index=True)
    return out[["discipline", *[c for c in out.columns if c != "discipline"]]]


def _item_drift(ctx: MonitorContext, cfg: MonitorConfig) -> list[Alert]:
    res = item_drift_table(ctx, cfg)
    out = []
    keys = ["discipline", "period_from", "period_to"]
    for (d, p0, p1), sub in res[res["alert"].astype(bool)].groupby(keys, sort=False):
        desc = ", ".join(
            f"{r.item} ({r.diff:+.2f} logits, z = {r.z:.1f}, z_se = {r.z_se:.1f})"
            for r in sub.itertuples()
        )
        same = (res["discipline"] == d) & (res["period_from"] == p0) & (res["period_to"] == p1)
        out.append(
            _alert(
                "item_drift",
                str(d),
                str(p1),
                N_(
                    "%(moved)s of %(common)s common items moved on the base scale since %(since)s: "
                    "%(items)s"
                ),
                moved=len(sub),
                common=int(same.sum()),
                since=p0,
                items=desc,
            )
        )
    return out


def pass_rate_table(ctx: MonitorContext, cfg: MonitorConfig) -> pd.DataFrame:
    """:func:`pvcal.drift.pass_rate_drift` of the published index records."""
    from ..drift import pass_rate_drift

    rows = []
    for d, p in ctx.units:
        rec = ctx.index_record(d, p)
        if rec.get("n") and rec.get("pass_rate") is not None:
            rows.append(
                {"discipline": d, "period": p, "n": rec["n"], "pass_rate": rec["pass_rate"]}
            )
    return pass_rate_drift(
        pd.DataFrame(rows, columns=["discipline", "period", "n", "pass_rate"]),
        threshold=cfg.pass_rate.threshold,
        alpha=cfg.pass_rate.alpha,
    )


def _pass_rates(ctx: MonitorContext, cfg: MonitorConfig) -> list[Alert]:
    res = pass_rate_table(ctx, cfg)
    return [
        _alert(
            "pass_rate",
            r.discipline,
            str(r.period_to),
            N_(
                "pass rate %(before)s in %(since)s -> %(now)s (%(change)s, 95%% interval "
                "%(lo)s to %(hi)s, p = %(p)s; threshold %(threshold)s)"
            ),
            before=f"{r.rate_from:.1%}",
            since=r.period_from,
            now=f"{r.rate_to:.1%}",
            change=f"{r.change:+.1%}",
            lo=f"{r.lo:+.1%}",
            hi=f"{r.hi:+.1%}",
            p=f"{r.p_value:.2g}",
            threshold=f"{cfg.pass_rate.threshold:.0%}",
        )
        for r in res[res["alert"].astype(bool)].itertuples()
    ]


def score_drift_table(ctx: MonitorContext, cfg: MonitorConfig) -> pd.DataFrame:
    """:func:`pvcal.drift.score_drift` of the published θ (base scale) of every discipline."""
    from ..drift import score_drift

    frames = []
    for d, periods in ctx.periods().items():
        scores = {}
        for p in periods:
            rows = ctx.read_json(d, p, "results.json")
            if rows is None:
                continue  # absent, or unreadable (noted)
            what = _rel(ctx.units[(d, p)] / "results.json", ctx.reports)
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                _note(ctx.unreadable, what, "expected a JSON list of result objects")
                continue
            th = pd.Series([r.get("theta") for r in rows], dtype=object)
            num = pd.to_numeric(th, errors="coerce")
            bad = num.isna() & th.notna()
            if bad.any():
                k = int(bad.to_numpy().argmax())
                _note(ctx.unreadable, what, f"row {k}: theta {th.iloc[k]!r} is not a number")
                continue
            scores[p] = num.dropna().astype(float).tolist()
        scores = {p: s for p, s in scores.items() if len(s) >= 2}
        if len(scores) < 2:
            continue
        res = score_drift(
            scores,
            threshold_smd=cfg.score_drift.threshold_smd,
            threshold_ks=cfg.score_drift.threshold_ks,
        )
        frames.append(res.assign(discipline=d))
    if not frames:
        return pd.DataFrame(columns=["discipline", "period_from", "period_to", "alert"])
    out = pd.concat(frames, ignore_index=True)
    return out[["discipline", *[c for c in out.columns if c != "discipline"]]]


def _score_drift(ctx: MonitorContext, cfg: MonitorConfig) -> list[Alert]:
    res = score_drift_table(ctx, cfg)
    t = cfg.score_drift
    return [
        _alert(
            "score_drift",
            r.discipline,
            str(r.period_to),
            N_(
                "θ distribution (base scale) moved since %(since)s: mean %(before)s -> %(now)s, "
                "SMD %(smd)s, KS %(ks)s (thresholds %(t_smd)s, %(t_ks)s)"
            ),
            since=r.period_from,
            before=f"{r.mean_from:.2f}",
            now=f"{r.mean_to:.2f}",
            smd=f"{r.smd:+.2f}",
            ks=f"{r.ks:.2f}",
            t_smd=f"{t.threshold_smd:g}",
            t_ks=f"{t.threshold_ks:g}",
        )
        for r in res[res["alert"].astype(bool)].itertuples()
    ]


def _dif_rows(data: Any) -> list[dict[str, Any]]:
    """Rows with an ``ets_class`` anywhere in a DIF file: a serialised frame or records."""
    from ..serialize import frame_from_json

    found: list[dict[str, Any]] = []
    if isinstance(data, dict):
        if "columns" in data and "data" in data and "ets_class" in data["columns"]:
            try:
                return frame_from_json(data).reset_index().to_dict("records")
            except (KeyError, TypeError, ValueError):
                cols = data["columns"]
                return [dict(zip(cols, row)) for row in data["data"]]
        if "ets_class" in data:
            return [data]
        for v in data.values():
            found += _dif_rows(v)
    elif isinstance(data, list):
        for v in data:
            found += _dif_rows(v)
    return found


def _dif(ctx: MonitorContext, cfg: MonitorConfig) -> list[Alert]:
    """Items of an alerting ETS class in the unit's ``dif.json`` (what the DIF step publishes)."""
    try:
        from ..workflow.fairness import DIF_FILE
    except ImportError:  # the DIF step is not there yet
        DIF_FILE = "dif.json"  # noqa: N806
    out = []
    for d, p in ctx.units:
        rows = _dif_rows(ctx.read_json(d, p, DIF_FILE))
        hit = [r for r in rows if str(r.get("ets_class")) in cfg.dif_classes]
        if not hit:
            continue
        items = sorted({str(r.get("item")) for r in hit})
        detail = "; ".join(
            sorted(
                {
                    f"{r.get('item')} ({r.get('grouping', '?')}: {r.get('focal', '?')}, "
                    f"form {r.get('form', '?')})"
                    for r in hit
                }
            )
        )
        out.append(
            _alert(
                "dif",
                d,
                p,
                N_("%(n)s item(s) classed %(classes)s for DIF go to review: %(items)s"),
                n=len(items),
                classes="/".join(cfg.dif_classes),
                items=detail,
            )
        )
    return out


def _cases(ctx: MonitorContext, cfg: MonitorConfig) -> list[Alert]:
    cases = ctx.cases
    if cases is None or not len(cases):
        return []
    open_ = cases[cases["status"].isin(["open", "under_review"])]
    out = []
    for (d, p), sub in open_.groupby(["discipline", "period"], sort=True):
        if len(sub) > cfg.max_open_cases:
            kinds = sub["status"].value_counts().to_dict()
            out.append(
                _alert(
                    "integrity_cases",
                    str(d),
                    str(p),
                    N_(
                        "%(n)s integrity case(s) not decided (%(statuses)s; "
                        "max_open_cases = %(max)s)"
                    ),
                    n=len(sub),
                    statuses=", ".join(f"{n} {s}" for s, n in kinds.items()),
                    max=cfg.max_open_cases,
                )
            )
    return out


#: Alert kind -> source (``source(context, config) -> list[Alert]``), checked in this order.
ALERT_SOURCES: dict[str, Callable[[MonitorContext, MonitorConfig], list[Alert]]] = {
    "failure": _failures,
    "duration": _durations,
    "volume": _volumes,
    "convergence": _convergence,
    "anchor_drift": _anchor_drift,
    "item_drift": _item_drift,
    "pass_rate": _pass_rates,
    "score_drift": _score_drift,
    "dif": _dif,
    "integrity_cases": _cases,
}


# --------------------------------------------------------------------------- entry points
def _timestamp(now: Any) -> str:
    """``now`` (None: the current time) as ISO 8601 UTC with seconds, ``...Z``."""
    if now is None:
        return utcnow()
    return check_aware_time(now, f"now={now!r}").strftime("%Y-%m-%dT%H:%M:%SZ")


def monitor(
    reports_dir: str | Path = "reports",
    config: MonitorConfig | None = None,
    *,
    sources: Mapping[str, Callable[[MonitorContext, MonitorConfig], list[Alert]]] | None = None,
    now: Any = None,
) -> Monitoring:
    """Read the registry and the published files and check them against the thresholds.

    Parameters
    ----------
    reports_dir : str or Path, default "reports"
        The reports folder (with ``registry.sqlite``).
    config : MonitorConfig, optional
        Thresholds (default :func:`load_config` ()).
    sources : mapping, optional
        Alert sources to use instead of :data:`ALERT_SOURCES` (e.g.
        ``{**ALERT_SOURCES, "dif": my_reader}``).
    now : str or datetime, optional
        The time the report is stamped with (``generated_at``), with a time
        zone (ISO 8601 such as ``"2026-12-04T10:45:00Z"``); default the current
        UTC time.  Nothing else in the report depends on the clock: run
        durations come from the recorded start and end times.

    Returns
    -------
    Monitoring

    Raises
    ------
    PvcalError
        No registry in ``reports_dir``; a ``now`` that is not a date-time with
        a time zone.
    RegistryError
        A registry table (``runs``, ``indices``, ``audit_log``, ``cases``)
        cannot be read: the message names the registry and the table.

    Warns
    -----
    DataWarning
        A published or failed-run JSON file that cannot be read, named; it is
        left out and listed in :attr:`Monitoring.notes`.

    Notes
    -----
    Runs come from the registry (published and unchanged runs: start, end, the
    duration between them), from ``reports/_failed/*/run.json`` (failed runs
    publish nothing) and from the registry's audit log where it records failed
    runs (action ``run_failed``; a run in both is shown once).  Data volume,
    EM cycles and convergence are the facts the runner writes into each unit's
    ``run.json``
    (:func:`pvcal.publish.runs.run_facts`); a run published before they were
    recorded shows them empty.  Periods are ordered by their first
    publication (the base period comes first by construction).  Run messages
    and notes are shown with database passwords hidden
    (:func:`pvcal.registry_backends.redact_dsn` with the registry's URL), also
    those of records written before the runner hid them.
    """
    generated_at = _timestamp(now)
    reports = Path(reports_dir)
    path = registry_path(reports)
    if not path.is_file():
        raise PvcalError(f"{path}: no registry here; publish first (pvcal publish)")
    cfg = load_config() if config is None else config
    unreadable: dict[str, str] = {}
    with Registry(path) as reg:
        units = _collect_units(reports, reg)
        runs = _collect_runs(reports, reg, units, unreadable)
        cases = _collect_cases(reg)
    ctx = MonitorContext(
        reports=reports, runs=runs, units=units, cases=cases, unreadable=unreadable
    )
    alerts: list[Alert] = []
    for kind, source in (ALERT_SOURCES if sources is None else sources).items():
        if kind in cfg.disabled:
            continue
        alerts += source(ctx, cfg)
    tables = {
        "item_drift": item_drift_table(ctx, cfg),
        "pass_rate": pass_rate_table(ctx, cfg),
        "score_drift": score_drift_table(ctx, cfg),
    }
    locales = tuple(str(loc) for d, p in units if (loc := ctx.index_record(d, p).get("locale")))
    return Monitoring(
        runs=runs,
        alerts=tuple(alerts),
        config=cfg,
        generated_at=generated_at,
        tables=tables,
        locales=locales,
        notes=tuple(
            redact_dsn(f"could not read {what}: {why}", path) for what, why in unreadable.items()
        ),
    )


#: Display names of the alert kinds on the page (monitoring.json keeps the ids).
_KIND_LABELS = {
    "failure": N_("failed run"),
    "duration": N_("run duration"),
    "volume": N_("data volume"),
    "convergence": N_("EM convergence"),
    "anchor_drift": N_("anchor drift"),
    "item_drift": N_("item drift"),
    "pass_rate": N_("pass-rate change"),
    "score_drift": N_("score-distribution drift"),
    "dif": N_("differential item functioning (DIF)"),
    "integrity_cases": N_("integrity cases"),
}

#: Column labels of the page's tables (the frames and monitoring.json keep the ids).
_COLUMN_LABELS = {
    "run_id": N_("run"),
    "command": N_("command"),
    "discipline": N_("discipline"),
    "period": N_("period"),
    "started": N_("started"),
    "duration_s": N_("duration (s)"),
    "outcome": N_("outcome"),
    "message": N_("message"),
    "n_persons": N_("persons calibrated"),
    "n_results": N_("results published"),
    "n_responses": N_("responses answered"),
    "n_items": N_("items"),
    "em_iterations": N_("EM cycles"),
    "converged": N_("converged"),
    "code_version": N_("code version"),
    "item": N_("item"),
    "period_from": N_("from period"),
    "period_to": N_("to period"),
    "alert": N_("alert"),
}

_DRIFT_TITLES = {
    "item_drift": N_("Item drift: every common item, consecutive periods, base scale"),
    "pass_rate": N_("Pass-rate changes (two-proportion z, Newcombe interval)"),
    "score_drift": N_("Score-distribution drift (θ, base scale: SMD, KS)"),
}


def _page_lang(m: Monitoring, lang: str | None) -> str:
    """``lang``, else the one locale of every published unit's rules, else the default."""
    from ..report.i18n import normalise

    if lang is None and len(set(m.locales)) == 1:
        lang = m.locales[0]
    return normalise(lang)


def _html(m: Monitoring, lang: str | None = None) -> str:
    from ..report.html import table
    from ..report.i18n import environment, translator

    tag = _page_lang(m, lang)
    _ = translator(tag).gettext

    def labelled(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.rename(columns={c: _(_COLUMN_LABELS[c]) for c in frame if c in _COLUMN_LABELS})

    runs = m.runs.drop(columns=["run_id", "message"]).copy()
    runs["started"] = runs["started"].astype(str).str.slice(0, 19)
    runs = runs.drop(columns=["finished"])
    counts = pd.Series([a.kind for a in m.alerts], dtype=object).value_counts()
    failed = m.runs[m.runs["outcome"] == "failed"]
    return (
        environment(tag)
        .get_template("monitoring.html.j2")
        .render(
            generated_at=m.generated_at,
            notes=list(m.notes),
            alerts=[
                {
                    "label": _(_KIND_LABELS.get(a.kind, a.kind)),
                    "discipline": a.discipline,
                    "period": a.period,
                    "text": a.text(tag),
                }
                for a in m.alerts
            ],
            kinds=[
                {"kind": k, "label": _(_KIND_LABELS[k]), "n": int(counts.get(k, 0))}
                for k in ALERT_SOURCES
            ],
            n_runs=len(m.runs),
            runs_table=table(labelled(runs), index=False, float_format="{:.6g}"),
            failed_table=(
                table(
                    labelled(failed[["run_id", "discipline", "period", "started", "message"]]),
                    index=False,
                )
                if len(failed)
                else None
            ),
            drift=[
                {
                    "title": _(_DRIFT_TITLES[k]) if k in _DRIFT_TITLES else k,
                    "table": (
                        table(labelled(v), index=False, float_format="{:.3f}") if len(v) else None
                    ),
                }
                for k, v in m.tables.items()
            ],
            config=json.dumps(m.config.model_dump(mode="json"), indent=1, sort_keys=True),
        )
    )


def write_monitoring(
    m: Monitoring, out_dir: str | Path, *, lang: str | None = None
) -> tuple[Path, Path]:
    """Write ``monitoring.json`` and ``monitoring.html`` into ``out_dir``; returns both paths.

    Parameters
    ----------
    m : Monitoring
    out_dir : str or Path
    lang : {"zh-CN", "en"}, optional
        Language of the page (``pvcal monitor --lang``); default the ``locale``
        of the published units' rules when they all agree, else zh-CN.
        ``monitoring.json`` is language-neutral (alert kinds and English
        messages) whatever the page language.

    Returns
    -------
    (Path, Path)
        ``monitoring.json`` and ``monitoring.html``.

    Notes
    -----
    Both files change or neither: the page is rendered and both are written to
    temporaries before either replaces its earlier version; a failed move puts
    the earlier file back (see :func:`_replace_together`).
    """
    tag = _page_lang(m, lang)
    texts = {"monitoring.json": m.to_json(), "monitoring.html": _html(m, tag)}  # both, or none
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _replace_together(out, texts)
    return out / "monitoring.json", out / "monitoring.html"


def _replace_together(out: Path, texts: Mapping[str, str]) -> None:
    """Write ``texts`` (file name -> text) into ``out``: all the files, or none changed.

    Every new file is written to a temporary beside it first; only then are
    they moved into place (``os.replace``, atomic one by one).  If writing or
    moving fails, the files already moved get their earlier text back (or go,
    if there was none) and the temporaries are removed; the error is raised.
    """
    targets = {name: out / name for name in texts}
    earlier = {
        name: path.read_bytes() if path.is_file() else None for name, path in targets.items()
    }
    tmps = {name: out / f".{name}.tmp" for name in texts}
    moved: list[str] = []
    try:
        for name, text in texts.items():
            tmps[name].write_text(text, encoding="utf-8")
        for name in texts:
            os.replace(tmps[name], targets[name])
            moved.append(name)
    except BaseException:
        for name in moved:  # put back what was there
            with contextlib.suppress(OSError):
                if earlier[name] is None:
                    targets[name].unlink()
                else:
                    tmps[name].write_bytes(earlier[name])
                    os.replace(tmps[name], targets[name])
        raise
    finally:
        for tmp in tmps.values():
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
