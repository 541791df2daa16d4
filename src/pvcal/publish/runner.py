"""Publishing runs: notebooks -> HTML reports -> registry, atomically.

``pvcal publish`` runs, for one discipline and period (a *unit*), the
notebooks ``calibrate``, ``threshold_setting`` and ``publish_index`` with
papermill, renders each to HTML with nbconvert (code hidden), and records the
run, the benchmark index and one result per application in the registry.
After the units, ``industry_report`` summarises every published index.

Atomic and idempotent
---------------------
Each unit writes into ``reports/.staging/<run_id>/`` first.  Only when every
notebook succeeded is the registry transaction opened, the rows added and
committed; then the staged folder is moved into ``reports/<discipline>/<period>/``
(a rename).  A failing notebook, bad input or a crash before the commit leaves
the registry and ``reports/`` as they were; the staged folder (with the failed
notebook and ``run.json`` giving the reason) is kept apart under
``reports/_failed/<run_id>/``.  A crash after the commit but before the rename is
rolled forward by the next run (:func:`~pvcal.publish.staging.recover`).  A unit
whose inputs (:func:`~pvcal.publish.runs.hash_inputs`) were already published is
not run again.

The notebooks stay thin: the domain steps of :mod:`pvcal.workflow` do the work.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .._validation import PvcalError
from ..registry import Registry, registry_path, utcnow
from ..registry_backends import redact_dsn, registry_location
from ..report.i18n import normalise as normalise_lang
from ..workflow.handover import (
    CALIBRATION_FILE,
    DEFAULT_SEED,
    INDEX_FILE,
    RESULTS_FILE,
    WORK_DIR,
)
from ..workflow.load import discipline_periods, discover_disciplines
from . import staging
from .kernels import ensure_kernel
from .notebooks import (
    INDUSTRY_NOTEBOOK,
    UNIT_NOTEBOOKS,
    notebook_params,
    notebooks_dir,
    render_html,
    run_notebook,
)
from .runs import (
    PublishError,
    UnitOutcome,
    audit_failure,
    code_version,
    hash_inputs,
    new_run_id,
    run_facts,
)
from .staging import STAGING, keep_failed, recover, write_json

__all__ = ["publish", "publish_unit", "publish_industry"]


def _run_unit(
    *,
    reports: Path,
    registry: Registry,
    command: str,
    discipline: str | None,
    period: str | None,
    input_hash: str,
    inputs: dict[str, str],
    parameters: dict[str, Any],
    notebooks: Sequence[tuple[Path, str, dict[str, Any]]],
    final_rel: str,
    kernel: str,
    register: Callable[[Registry, Path, str], str],
    force: bool = False,
    on_step: Callable[[str], None] | None = None,
    data_dir: str | Path | None = None,
) -> UnitOutcome:
    """Stage, execute, render, register, commit, move: one atomic unit.

    A failure publishes nothing; it is recorded in the registry's audit log
    (:func:`~pvcal.publish.runs.audit_failure`, identifiers of ``data_dir``
    pseudonymised) and the staged folder kept under ``reports/_failed/``.
    """
    run_id = new_run_id(discipline or command, period)
    record = {
        "run_id": run_id,
        "command": command,
        "discipline": discipline,
        "period": period,
        "input_hash": input_hash,
        "code_version": code_version(),
        "parameters": parameters,
        "inputs": inputs,
        "started_at": utcnow(),
    }
    prior = registry.find_run(command, input_hash, discipline, period)
    if prior is not None and not force and (reports / final_rel).exists():
        message = f"inputs already published by run {prior}; nothing to do"
        registry.add_run(**record, outcome="unchanged", message=message)
        return UnitOutcome(discipline, period, run_id, "unchanged", message, reports / final_rel)

    stage = reports / STAGING / run_id
    unit = stage / "unit"
    for _ in range(5):  # another unit may remove an empty .staging/ at this moment
        try:
            (unit / "notebooks").mkdir(parents=True)
            break
        except FileNotFoundError:
            continue
    write_json(stage / "manifest.json", {"run_id": run_id, "moves": [["unit", final_rel]]})
    try:
        for source, html_name, nb_params in notebooks:
            executed = unit / "notebooks" / source.name
            nb_params = {**nb_params, "out_dir": str(unit.resolve())}
            run_notebook(source, executed, nb_params, kernel=kernel)
            render_html(executed, unit / f"{html_name}.html", lang=nb_params.get("lang"))
            if on_step:
                on_step(source.stem)
        write_json(unit / "run.json", {**record, **run_facts(unit)})
        shutil.rmtree(unit / WORK_DIR, ignore_errors=True)  # internal: raw identifiers
        with registry.transaction():
            registry.add_run(**record, outcome="published")
            message = register(registry, unit, run_id)
    except Exception as exc:  # noqa: BLE001 - every failure is reported, nothing published
        reason = str(exc) if isinstance(exc, PvcalError) else f"{type(exc).__name__}: {exc}"
        reason = redact_dsn(reason, registry.path)  # run.json, the audit log, the CLI's output
        info = {**record, **run_facts(unit), "outcome": "failed", "error": reason,
                "traceback": redact_dsn(traceback.format_exc(), registry.path),
                "finished_at": utcnow()}  # fmt: skip
        not_audited = audit_failure(registry, info, data_dir=data_dir)
        if not_audited:  # the registry's own error may quote its URL
            info["audit_error"] = redact_dsn(not_audited, registry.path)
        kept = keep_failed(stage, reports, run_id, info)
        return UnitOutcome(discipline, period, run_id, "failed", reason, kept)
    # committed: from here on the run is published; if moving the files fails (or the
    # process dies), the staged folder stays and recover() completes the move
    staging.move_into_place(stage, reports)
    return UnitOutcome(discipline, period, run_id, "published", message, reports / final_rel)


def _register_discipline(discipline: str, period: str, input_hash: str, folder: Path | None = None):
    def register(registry: Registry, unit: Path, run_id: str) -> str:
        import pandas as pd

        for name in (INDEX_FILE, RESULTS_FILE):
            if not (unit / name).is_file():
                raise PublishError(f"the notebooks did not write {name} for {discipline} {period}")
        index = json.loads((unit / INDEX_FILE).read_text(encoding="utf-8"))
        results = pd.DataFrame(json.loads((unit / RESULTS_FILE).read_text(encoding="utf-8")))
        cal = unit / CALIBRATION_FILE
        index_id = registry.add_index(
            discipline=discipline,
            period=period,
            run_id=run_id,
            input_hash=input_hash,
            record=index["record"],
            calibration=cal.read_text(encoding="utf-8") if cal.is_file() else None,
            pass_index=index.get("pass_index"),
        )
        n = (
            registry.add_results(
                results, discipline=discipline, period=period, index_id=index_id, run_id=run_id
            )
            if len(results)
            else 0
        )
        # certificates for the passing results, cases from the integrity screen (Art. 14, 22)
        from .certify import register_integrity

        done = register_integrity(
            registry, unit, discipline=discipline, period=period, run_id=run_id, folder=folder
        )
        return f"index {index_id} published with {n} result(s); {done}"

    return register


def publish_unit(
    folder: str | Path,
    period: str,
    *,
    reports_dir: str | Path = "reports",
    notebooks: str | Path | None = None,
    kernel: str | None = None,
    seed: int | None = None,
    force: bool = False,
    on_step: Callable[[str], None] | None = None,
    recover_first: bool = True,
    lang: str | None = None,
) -> UnitOutcome:
    """Publish one discipline and period atomically (see the module notes).

    Parameters
    ----------
    folder : str or Path
        The discipline's data folder (with ``rules.yml``).
    period : str
        One of the rules' periods.  A period other than the base period needs
        the base period published first (its calibration fixes the scale).
    reports_dir : str or Path, default "reports"
        Where reports and the registry live.
    notebooks : str or Path, optional
        Folder of the notebooks (default: those shipped with pvcal, package data
        ``pvcal/notebooks``; :func:`~pvcal.publish.notebooks.packaged_notebooks`).
    kernel : str, optional
        Jupyter kernel name (default ``$PVCAL_KERNEL``, else this Python:
        :func:`~pvcal.publish.kernels.ensure_kernel`).
    seed : int, optional
        Seed of every random step (default: ``<notebooks>/params/<discipline>.yaml``,
        else :data:`DEFAULT_SEED`).
    force : bool, default False
        Run even if these inputs were published already.
    on_step : callable, optional
        Called with each notebook's name when it has run (progress display).
    recover_first : bool, default True
        Run :func:`recover` first (:func:`publish` does it once for all units).
    lang : {"zh-CN", "en"}, optional
        Language of the pages (default: the rules' ``locale``); a notebook
        parameter ``lang`` and part of the input hash.

    Notes
    -----
    ``<notebooks>/params/<discipline>.yaml`` (optional) holds the discipline's
    notebook parameters (``seed``, ``n_boot``); they are part of the input hash.

    Returns
    -------
    UnitOutcome
        ``outcome`` is ``"published"``, ``"unchanged"`` or ``"failed"``; a
        failure leaves the registry and the reports as they were.
    """
    folder, reports = Path(folder), Path(reports_dir)
    kernel = ensure_kernel(kernel)
    nb_dir = notebooks_dir(notebooks)
    reports.mkdir(parents=True, exist_ok=True)
    with Registry(registry_path(reports)) as registry:
        if recover_first:
            recover(reports, registry)
        try:
            discipline, base, periods = discipline_periods(folder)
            if lang is None:
                from ..rules import load as load_rules

                lang = load_rules(folder / "rules.yml").locale
            if period not in periods:
                raise PvcalError(
                    f"{folder / 'rules.yml'}: period {period!r} is not one of {periods}"
                )
            parameters: dict[str, Any] = {
                "seed": DEFAULT_SEED,
                **notebook_params(nb_dir, discipline),
                "discipline": discipline,
                "period": period,
                "base_period": base,
                "lang": normalise_lang(lang),
            }
            if seed is not None:
                parameters["seed"] = int(seed)
            if period != base:
                current = registry.current_index(discipline, base)
                if current is None:
                    raise PvcalError(
                        f"{discipline}: base period {base} is not published yet; "
                        f"publish it before {period}"
                    )
                parameters["base_index_id"] = int(current["index_id"])
            input_hash, inputs = hash_inputs(folder, parameters)
        except PvcalError as exc:
            run_id = new_run_id(folder.name, period)
            reason = redact_dsn(str(exc), registry.path)  # run.json, the audit log, the output
            info = {"run_id": run_id, "command": "publish", "discipline": folder.name,
                    "period": period, "outcome": "failed", "error": reason,
                    "code_version": code_version(), "started_at": utcnow()}  # fmt: skip
            not_audited = audit_failure(registry, info, data_dir=folder)
            if not_audited:
                info["audit_error"] = redact_dsn(not_audited, registry.path)
            kept = keep_failed(reports / STAGING / run_id, reports, run_id, info)
            return UnitOutcome(folder.name, period, run_id, "failed", reason, kept)
        nb_params = {
            **parameters,
            "data_dir": str(folder.resolve()),
            # papermill writes the parameters into the executed notebooks under reports/:
            # a URL's password is hidden, the kernel connects with PVCAL_REGISTRY's full URL
            "registry": registry_location(registry_path(reports)),
        }
        steps = [(nb_dir / f"{name}.ipynb", html, dict(nb_params)) for name, html in UNIT_NOTEBOOKS]
        return _run_unit(
            reports=reports,
            registry=registry,
            command="publish",
            discipline=discipline,
            period=period,
            input_hash=input_hash,
            inputs=inputs,
            parameters=parameters,
            notebooks=steps,
            final_rel=f"{discipline}/{period}",
            kernel=kernel,
            register=_register_discipline(discipline, period, input_hash, folder),
            force=force,
            on_step=on_step,
            data_dir=folder,
        )


def publish_industry(
    *,
    reports_dir: str | Path = "reports",
    notebooks: str | Path | None = None,
    kernel: str | None = None,
    force: bool = False,
    on_step: Callable[[str], None] | None = None,
    lang: str | None = None,
) -> UnitOutcome:
    """Publish the industry report over every current index (``reports/industry/``).

    Its input hash is that of the current indices (and the page language), so
    it reruns only when a publication changed. ``lang``: page language
    (default zh-CN).
    """
    reports = Path(reports_dir)
    kernel = ensure_kernel(kernel)
    nb_dir = notebooks_dir(notebooks)
    reports.mkdir(parents=True, exist_ok=True)
    with Registry(registry_path(reports)) as registry:
        recover(reports, registry)
        current = registry.indices(current=True)
        ids = sorted(int(i) for i in current["index_id"]) if len(current) else []
        parameters = {"indices": ids, "lang": normalise_lang(lang)}
        input_hash = hashlib.sha256(json.dumps(parameters).encode()).hexdigest()
        if not ids:
            return UnitOutcome(None, None, "", "unchanged", "no published index yet")
        nb_params = {
            "registry": registry_location(registry_path(reports)),  # password hidden
            "lang": parameters["lang"],
        }
        steps = [(nb_dir / f"{INDUSTRY_NOTEBOOK}.ipynb", "industry_report", nb_params)]
        return _run_unit(
            reports=reports,
            registry=registry,
            command="industry",
            discipline=None,
            period=None,
            input_hash=input_hash,
            inputs={},
            parameters=parameters,
            notebooks=steps,
            final_rel="industry",
            kernel=kernel,
            register=lambda reg, unit, run_id: f"industry report over indices {ids}",
            force=force,
            on_step=on_step,
        )


def publish(
    data_root: str | Path = "data/sample",
    *,
    disciplines: Iterable[str] | None = None,
    period: str | None = None,
    reports_dir: str | Path = "reports",
    notebooks: str | Path | None = None,
    kernel: str | None = None,
    seed: int | None = None,
    force: bool = False,
    industry: bool = True,
    progress: bool = True,
    jobs: int = 1,
    lang: str | None = None,
) -> list[UnitOutcome]:
    """Publish disciplines (every one under ``data_root`` by default) and the industry report.

    Each discipline and period is its own atomic unit (:func:`publish_unit`);
    periods run base period first.  A failed unit does not stop the others.

    Parameters
    ----------
    data_root : str or Path
        Folder of discipline folders.
    disciplines : iterable of str, optional
        Discipline names or folder names (default: all).
    period : str, optional
        Only this period (default: every period of the rules).
    reports_dir, notebooks, kernel, seed, force
        As in :func:`publish_unit`.
    industry : bool, default True
        Also (re)publish the industry report.
    progress : bool, default True
        Show a tqdm progress bar.
    jobs : int, default 1
        Disciplines published side by side (each in its own kernel); the
        periods of one discipline always run in order.
    lang : {"zh-CN", "en"}, optional
        Language of every page (default: each discipline's rules ``locale``;
        the industry report zh-CN).

    Returns
    -------
    list of UnitOutcome

    Raises
    ------
    PvcalError
        If a named discipline is not under ``data_root``.
    """
    from tqdm.auto import tqdm

    folders = discover_disciplines(data_root)
    if disciplines is not None:
        wanted = list(disciplines)
        names = {}
        for f in folders:
            names[f.name] = f
            names[discipline_periods(f)[0]] = f
        unknown = [d for d in wanted if d not in names]
        if unknown:
            raise PvcalError(
                f"discipline(s) {unknown} not found under {str(data_root)!r}; "
                f"known: {sorted({f.name for f in folders})}"
            )
        folders = list(dict.fromkeys(names[d] for d in wanted))
    units = []
    for f in folders:
        _, _, periods = discipline_periods(f)
        units += [(f, p) for p in periods if period is None or p == period]
    if period is not None and not units:
        raise PvcalError(f"no discipline has period {period!r}")
    total = len(units) * len(UNIT_NOTEBOOKS) + (1 if industry else 0)
    reports = Path(reports_dir)
    reports.mkdir(parents=True, exist_ok=True)
    recover(reports)  # once, before units run side by side
    by_discipline: dict[Path, list[str]] = {}
    for f, p in units:
        by_discipline.setdefault(f, []).append(p)
    results: dict[tuple[Path, str], UnitOutcome] = {}
    with tqdm(total=total, disable=not progress, unit="notebook", desc="pvcal publish") as bar:

        def run_discipline(folder: Path) -> None:
            for p in by_discipline[folder]:  # periods in order: the base period first
                done = []

                def step(name: str, done: list = done, p: str = p) -> None:
                    done.append(name)
                    bar.update(1)
                    bar.set_postfix_str(f"{folder.name} {p}: {name}")

                results[(folder, p)] = publish_unit(
                    folder,
                    p,
                    reports_dir=reports,
                    notebooks=notebooks,
                    kernel=kernel,
                    seed=seed,
                    force=force,
                    on_step=step,
                    recover_first=False,
                    lang=lang,
                )
                bar.update(len(UNIT_NOTEBOOKS) - len(done))

        if jobs > 1 and len(by_discipline) > 1:
            with ThreadPoolExecutor(max_workers=int(jobs)) as pool:
                for future in [pool.submit(run_discipline, f) for f in by_discipline]:
                    future.result()
        else:
            for f in by_discipline:
                run_discipline(f)
        outcomes = [results[u] for u in units]
        if industry:
            bar.set_postfix_str("industry report")
            outcomes.append(
                publish_industry(
                    reports_dir=reports, notebooks=notebooks, kernel=kernel, force=force, lang=lang
                )
            )
            bar.update(1)
    return outcomes
