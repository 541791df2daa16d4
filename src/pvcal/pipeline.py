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
rolled forward by the next run (:func:`recover`).  A unit whose inputs
(:func:`hash_inputs`) were already published is not run again.

Notebook steps
--------------
The notebooks stay thin: the functions :func:`calibrate_step`,
:func:`standard_setting_step` and :func:`publish_step` below do the work and
pass their results through small files in the notebook's ``out_dir``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ._validation import PvcalError
from .registry import Registry, utcnow
from .report.pseudonym import scrub

__all__ = [
    "DEFAULT_KERNEL",
    "UNIT_NOTEBOOKS",
    "INDUSTRY_NOTEBOOK",
    "PublishError",
    "UnitOutcome",
    "CalibrationStep",
    "CutPlan",
    "SettingStep",
    "PublishStep",
    "calibrate_step",
    "plan_cuts",
    "estimate_index",
    "standard_setting_step",
    "publish_step",
    "peer_part",
    "method_text",
    "notebook_params",
    "code_version",
    "discover_disciplines",
    "discipline_periods",
    "ensure_kernel",
    "hash_inputs",
    "kernel_name",
    "publish",
    "publish_unit",
    "publish_industry",
    "recover",
    "render_html",
    "registry_path",
]

DEFAULT_KERNEL = "pvcal"
#: Notebooks run for each discipline and period, in order; name -> HTML report name.
UNIT_NOTEBOOKS: tuple[tuple[str, str], ...] = (
    ("calibrate", "calibration"),
    ("threshold_setting", "threshold_setting"),
    ("publish_index", "report"),
)
INDUSTRY_NOTEBOOK = "industry_report"
REGISTRY_FILE = "registry.sqlite"
_REPO_ROOT = Path(__file__).resolve().parents[2]
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


# --------------------------------------------------------------------------- environment
def kernel_name(name: str | None = None) -> str:
    """The Jupyter kernel to run notebooks with: ``name``, ``$PVCAL_KERNEL`` or ``"pvcal"``."""
    return name or os.environ.get("PVCAL_KERNEL") or DEFAULT_KERNEL


def ensure_kernel(name: str | None = None, *, install: bool = False) -> str:
    """Check that the kernel exists (optionally register it in this environment).

    Parameters
    ----------
    name : str, optional
        Kernel name (default :func:`kernel_name`).
    install : bool, default False
        Register a kernel of that name for this Python (``ipykernel install
        --sys-prefix``) if it is missing.

    Returns
    -------
    str
        The kernel name.

    Raises
    ------
    PvcalError
        If the kernel is missing (and not installed).
    """
    from jupyter_client.kernelspec import KernelSpecManager

    name = kernel_name(name)
    if name in KernelSpecManager().find_kernel_specs():
        return name
    if install:
        import sys

        subprocess.run(
            [sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", name],
            check=True,
            capture_output=True,
        )
        return name
    raise PvcalError(
        f"Jupyter kernel {name!r} is not installed; run `make venv` or "
        f"`python -m ipykernel install --sys-prefix --name {name}`"
    )


def code_version() -> str:
    """pvcal version plus the git commit of the source tree (``+dirty`` if modified)."""
    from . import __version__

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


def registry_path(reports_dir: str | Path) -> Path:
    """The registry file of a reports folder."""
    return Path(reports_dir) / REGISTRY_FILE


def notebooks_dir(path: str | Path | None = None) -> Path:
    """Folder of the pipeline notebooks (default: the repository's ``notebooks/``)."""
    folder = Path(path) if path is not None else _REPO_ROOT / "notebooks"
    if not folder.is_dir():
        raise PvcalError(f"notebook folder {str(folder)!r} not found")
    return folder


# --------------------------------------------------------------------------- inputs
def notebook_params(nb_dir: str | Path, discipline: str) -> dict[str, Any]:
    """A discipline's notebook parameters (``<nb_dir>/params/<discipline>.yaml``; {} if none).

    Raises
    ------
    SchemaError
        If the file is not a YAML mapping.
    """
    import yaml

    from ._validation import SchemaError

    path = Path(nb_dir) / "params" / f"{discipline}.yaml"
    if not path.is_file():
        return {}
    try:
        params = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SchemaError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(params, dict):
        raise SchemaError(f"{path}: expected a mapping of notebook parameters")
    return params


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
        If ``rules.yml`` is missing or invalid (:func:`pvcal.data.read_rules`).
    """
    from .data import read_rules

    rules = read_rules(Path(folder) / "rules.yml")
    base = rules.base_period
    return rules.discipline, base, [base] + [p for p in rules.periods if p != base]


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


# --------------------------------------------------------------------------- notebooks
def run_notebook(
    source: Path,
    output: Path,
    parameters: dict[str, Any],
    *,
    kernel: str,
) -> None:
    """Execute one notebook with papermill (the scheduled job's path).

    The notebook gets its output folder as the ``out_dir`` parameter (an
    absolute path); papermill's ``cwd`` is not used because it changes the
    working directory of the whole process, which units running side by side
    share.

    Raises
    ------
    PublishError
        With the notebook name and the error it raised.
    """
    import papermill as pm

    declared = pm.inspect_notebook(str(source))  # pass only what the notebook declares
    try:
        pm.execute_notebook(
            str(source),
            str(output),
            parameters={k: v for k, v in parameters.items() if k in declared},
            kernel_name=kernel,
            progress_bar=False,
            log_output=False,
            # the kernel's own log at ERROR: its notice that a local kernel talks over
            # loopback TCP without encryption would otherwise interleave with progress
            extra_arguments=["--IPKernelApp.log_level=40"],
        )
    except pm.PapermillExecutionError as exc:
        raise PublishError(
            f"notebook {source.name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
        ) from exc


def render_html(notebook: Path, html: Path) -> Path:
    """Render an executed notebook to standalone HTML with the code hidden.

    Plots are embedded as base64 images, so the page needs no other file.
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_notebook_node(nb)
    html.write_text(body, encoding="utf-8")
    return html


# --------------------------------------------------------------------------- staging
_STAGING = ".staging"
_FAILED = "_failed"
_TRASH = ".trash"
_WORK = "work"  # notebooks' internal hand-over folder (never published)


def _new_run_id(*parts: str | None) -> str:
    stamp = utcnow().replace("-", "").replace(":", "")
    tail = "-".join(p for p in parts if p)
    return f"{stamp}-{tail}-{uuid.uuid4().hex[:6]}"


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str), encoding="utf-8")


def _move_into_place(stage: Path, reports: Path) -> None:
    """Move a committed run's staged folders to their final places (idempotent)."""
    manifest = json.loads((stage / "manifest.json").read_text(encoding="utf-8"))
    trash = reports / _TRASH / manifest["run_id"]
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
    _remove_if_empty(reports / _TRASH)
    _remove_if_empty(reports / _STAGING)


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()


def _keep_failed(stage: Path, reports: Path, run_id: str, info: dict[str, Any]) -> Path:
    """Move a failed run's staging folder to ``reports/_failed/<run_id>/`` with ``run.json``."""
    dest = reports / _FAILED / run_id
    dest.parent.mkdir(parents=True, exist_ok=True)
    if stage.exists():
        stage.rename(dest)
    else:
        dest.mkdir(parents=True, exist_ok=True)
    _write_json(dest / "run.json", info)
    _remove_if_empty(reports / _STAGING)
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
    staging = reports / _STAGING
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
                _move_into_place(stage, reports)
            else:
                _keep_failed(
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
) -> UnitOutcome:
    """Stage, execute, render, register, commit, move: one atomic unit."""
    run_id = _new_run_id(discipline or command, period)
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

    stage = reports / _STAGING / run_id
    unit = stage / "unit"
    for _ in range(5):  # another unit may remove an empty .staging/ at this moment
        try:
            (unit / "notebooks").mkdir(parents=True)
            break
        except FileNotFoundError:
            continue
    _write_json(stage / "manifest.json", {"run_id": run_id, "moves": [["unit", final_rel]]})
    try:
        for source, html_name, nb_params in notebooks:
            executed = unit / "notebooks" / source.name
            nb_params = {**nb_params, "out_dir": str(unit.resolve())}
            run_notebook(source, executed, nb_params, kernel=kernel)
            render_html(executed, unit / f"{html_name}.html")
            if on_step:
                on_step(source.stem)
        _write_json(unit / "run.json", record)
        shutil.rmtree(unit / _WORK, ignore_errors=True)  # internal: raw identifiers
        with registry.transaction():
            registry.add_run(**record, outcome="published")
            message = register(registry, unit, run_id)
    except Exception as exc:  # noqa: BLE001 - every failure is reported, nothing published
        reason = str(exc) if isinstance(exc, PvcalError) else f"{type(exc).__name__}: {exc}"
        info = {**record, "outcome": "failed", "error": reason, "traceback": traceback.format_exc()}
        kept = _keep_failed(stage, reports, run_id, info)
        return UnitOutcome(discipline, period, run_id, "failed", reason, kept)
    # committed: from here on the run is published; if moving the files fails (or the
    # process dies), the staged folder stays and recover() completes the move
    _move_into_place(stage, reports)
    return UnitOutcome(discipline, period, run_id, "published", message, reports / final_rel)


# --------------------------------------------------------------------------- units
DEFAULT_SEED = 20250601
#: Files a discipline unit's notebooks must leave in their output folder.
INDEX_FILE, RESULTS_FILE, CALIBRATION_FILE = "index.json", "results.json", "calibration.json"


def _register_discipline(discipline: str, period: str, input_hash: str):
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
        return f"index {index_id} published with {n} result(s)"

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
        Folder of the notebooks (default: the repository's ``notebooks/``).
    kernel : str, optional
        Jupyter kernel name (default :func:`kernel_name`).
    seed : int, optional
        Seed of every random step (default: ``notebooks/params/<discipline>.yaml``,
        else :data:`DEFAULT_SEED`).
    force : bool, default False
        Run even if these inputs were published already.
    on_step : callable, optional
        Called with each notebook's name when it has run (progress display).
    recover_first : bool, default True
        Run :func:`recover` first (:func:`publish` does it once for all units).

    Notes
    -----
    ``notebooks/params/<discipline>.yaml`` (optional) holds the discipline's
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
            run_id = _new_run_id(folder.name, period)
            kept = _keep_failed(
                reports / _STAGING / run_id,
                reports,
                run_id,
                {"run_id": run_id, "discipline": folder.name, "period": period,
                 "outcome": "failed", "error": str(exc)},
            )  # fmt: skip
            return UnitOutcome(folder.name, period, run_id, "failed", str(exc), kept)
        nb_params = {
            **parameters,
            "data_dir": str(folder.resolve()),
            "registry": str(registry_path(reports).resolve()),
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
            register=_register_discipline(discipline, period, input_hash),
            force=force,
            on_step=on_step,
        )


def publish_industry(
    *,
    reports_dir: str | Path = "reports",
    notebooks: str | Path | None = None,
    kernel: str | None = None,
    force: bool = False,
    on_step: Callable[[str], None] | None = None,
) -> UnitOutcome:
    """Publish the industry report over every current index (``reports/industry/``).

    Its input hash is that of the current indices, so it reruns only when a
    publication changed.
    """
    reports = Path(reports_dir)
    kernel = ensure_kernel(kernel)
    nb_dir = notebooks_dir(notebooks)
    reports.mkdir(parents=True, exist_ok=True)
    with Registry(registry_path(reports)) as registry:
        recover(reports, registry)
        current = registry.indices(current=True)
        ids = sorted(int(i) for i in current["index_id"]) if len(current) else []
        parameters = {"indices": ids}
        input_hash = hashlib.sha256(json.dumps(parameters).encode()).hexdigest()
        if not ids:
            return UnitOutcome(None, None, "", "unchanged", "no published index yet")
        nb_params = {"registry": str(registry_path(reports).resolve())}
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
                    reports_dir=reports, notebooks=notebooks, kernel=kernel, force=force
                )
            )
            bar.update(1)
    return outcomes


# =========================================================================== notebook steps
# The notebooks call these three functions in turn; each reads what the one before
# left in ``out_dir/work/`` (internal, may hold raw identifiers, never published)
# and writes published files (pseudonymised) into ``out_dir``.
GRADE_ORDER = ("Fail", "Pass", "Good", "Excellent")


@dataclasses.dataclass(frozen=True, eq=False)
class CalibrationStep:
    """What ``calibrate.ipynb`` produces for one discipline and period.

    Attributes
    ----------
    discipline, period, base_period : str
    rules : pvcal.data.Rules
    bank : DataFrame
        The discipline's item bank.
    wide : DataFrame
        Responses of the eligible applications of the period (raw ids; internal).
    persons : DataFrame
        Person metadata of ``wide`` (candidate_id, form, ...).
    candidates : DataFrame
        The period's candidate register rows (study hours, region, employer).
    eligibility : DataFrame
        The period's eligibility (Art. 6), every application.
    calibration : Calibration
        The period's own calibration (the base scale for the base period).
    items : DataFrame
        Item parameters on the base scale.
    linking : Linking or None
        The link onto the base scale (None for the base period).
    scores : DataFrame
        EAP ``theta`` and ``se`` on the base scale, indexed by application.
    item_fit : DataFrame or None
        S-X2 item fit of the period's calibration.
    panel : dict
        Panel judgement frames.
    peer : DataFrame or None
        Peer-comparison results of the period.
    base_index : dict or None
        The registry row of the base period's current index (later periods).
    seed : int
    """

    discipline: str
    period: str
    base_period: str
    rules: Any
    bank: Any
    wide: Any
    persons: Any
    candidates: Any
    eligibility: Any
    calibration: Any
    items: Any
    linking: Any
    scores: Any
    item_fit: Any
    panel: dict
    peer: Any
    base_index: dict | None
    seed: int
    warnings: tuple = ()

    @property
    def is_base(self) -> bool:
        """True for the base period (its calibration fixes the scale)."""
        return self.period == self.base_period

    def save(self, out_dir: str | Path) -> None:
        """Keep the step for the next notebooks (``work/calibrate.pkl``)."""
        import pickle

        path = Path(out_dir) / _WORK / "calibrate.pkl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(self))

    @classmethod
    def load(cls, out_dir: str | Path) -> CalibrationStep:
        """Read the step saved by :meth:`save`.

        Raises
        ------
        PublishError
            If ``calibrate.ipynb`` has not run in ``out_dir``.
        """
        import pickle

        path = Path(out_dir) / _WORK / "calibrate.pkl"
        if not path.is_file():
            raise PublishError(f"{path} not found: run calibrate.ipynb first (same out_dir)")
        return pickle.loads(path.read_bytes())


def _model_spec(rules: Any, bank: Any, columns: Any) -> Any:
    if rules.model != "mixed":
        return rules.model
    return {item: str(bank.loc[item, "model"]) for item in columns}


def calibrate_step(
    data_dir: str | Path,
    period: str,
    *,
    registry: str | Path | None = None,
    out_dir: str | Path = ".",
    seed: int = DEFAULT_SEED,
    item_fit: bool = True,
) -> CalibrationStep:
    """Load and validate a discipline, calibrate a period and put it on the base scale.

    The base period is calibrated and fixes the θ scale.  A later period is
    calibrated on its own and linked onto the base scale through the anchor
    items with the rules' linking method (anchors screened for drift by the
    rules' statistic); its base calibration is the one published in the
    registry with the base period's current index.  Ineligible applications
    (Art. 6) are not calibrated or scored.

    Parameters
    ----------
    data_dir : str or Path
        The discipline folder.
    period : str
    registry : str or Path, optional
        The registry file (needed for periods after the base period).
    out_dir : str or Path, default "."
        Writes ``calibration.json`` (the calibration on the base scale) and, for
        a linked period, ``linking.json`` there.
    seed : int
    item_fit : bool, default True
        Compute S-X2 item fit.

    Returns
    -------
    CalibrationStep

    Raises
    ------
    DataError, SchemaError
        Bad input (from :func:`pvcal.data.load_discipline`).
    PvcalError
        Unknown period; a later period without a published base calibration.
    """
    out = Path(out_dir)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        step = _calibrate(data_dir, period, registry, int(seed), item_fit)
    if caught:
        step = dataclasses.replace(step, warnings=_scrubbed(caught, step))
    out.mkdir(parents=True, exist_ok=True)
    on_base = step.calibration
    if step.linking is not None:
        on_base = step.linking.rescale(step.calibration)
        (out / "linking.json").write_text(step.linking.to_json(), encoding="utf-8")
    (out / CALIBRATION_FILE).write_text(on_base.to_json(), encoding="utf-8")
    step.save(out)
    return step


def _scrubbed(caught: list, step: CalibrationStep) -> tuple[tuple[str, str], ...]:
    """Warnings as (category, message) with raw identifiers replaced by pseudonyms."""
    from .report.pseudonym import load_key, pseudonymise

    key = load_key()
    c = step.candidates
    mapping = {str(a): pseudonymise(a, "application", key) for a in c.index}
    mapping.update({str(v): pseudonymise(v, "candidate", key) for v in c["candidate_id"]})
    seen = dict.fromkeys((w.category.__name__, scrub(str(w.message), mapping)) for w in caught)
    return tuple(seen)


def _calibrate(
    data_dir: str | Path, period: str, registry: str | Path | None, seed: int, item_fit: bool
) -> CalibrationStep:
    from . import data as _data
    from .equating.linking import link
    from .irt import Calibration, calibrate

    d = _data.load_discipline(data_dir)
    rules = d.rules
    if period not in rules.periods:
        raise PvcalError(
            f"{d.folder / 'rules.yml'}: period {period!r} is not one of {rules.periods}"
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
    persons = resp.persons.loc[wide.index]
    cal = calibrate(wide, model=_model_spec(rules, d.items, wide.columns))
    base_index, linking = None, None
    if period == rules.base_period:
        items, scores = cal.items, cal.score(wide)
    else:
        if registry is None:
            raise PvcalError(f"{d.name} {period}: the registry is needed to find the base scale")
        with Registry(registry) as reg:
            base_index = reg.current_index(d.name, rules.base_period)
        if base_index is None or not base_index.get("calibration"):
            raise PvcalError(
                f"{d.name}: no published base calibration for {rules.base_period}; "
                f"publish the base period before {period}"
            )
        base_cal = Calibration.from_json(base_index["calibration"])
        anchors = rules.anchors or {}
        drift = anchors.get("drift") or {}
        statistic = str(drift.get("statistic", "robust_z")).replace("_", "-")
        linking = link(
            base_cal,
            cal,
            method=anchors.get("linking", "stocking-lord"),
            screen=statistic if drift else None,
            screen_threshold=drift.get("threshold"),
        )
        items, scores = linking.transform(cal, persons=cal.score(wide))
    fit = _item_fit_by_form(cal, wide, persons) if item_fit else None
    peer = d.peer
    if peer is not None:
        peer = peer[peer["period"].astype(str) == period]
    return CalibrationStep(
        discipline=d.name,
        period=period,
        base_period=rules.base_period,
        rules=rules,
        bank=d.items,
        wide=wide,
        persons=persons,
        candidates=cands,
        eligibility=elig,
        calibration=cal,
        items=items,
        linking=linking,
        scores=scores,
        item_fit=fit,
        panel=dict(d.panel),
        peer=peer,
        base_index=base_index,
        seed=int(seed),
    )


def _item_fit_by_form(cal: Any, wide: Any, persons: Any) -> Any:
    """S-X2 per form on the persons who answered every item of their form."""
    import pandas as pd

    from .irt.fit import s_x2

    nodes, weights = cal.quadrature
    frames = []
    for form, idx in persons.groupby("form", sort=True).groups.items():
        block = wide.loc[idx]
        block = block.loc[:, block.notna().any()]
        block = block.loc[block.notna().all(axis=1)]
        if len(block) < 50:
            continue
        fit = s_x2(cal.parameters.loc[block.columns], block, nodes=nodes, weights=weights)
        frames.append(fit.assign(form=str(form), n_complete=len(block)))
    return pd.concat(frames) if frames else None


# --------------------------------------------------------------------------- cuts
_CUT_KEYS = {"pass": "Pass", "good": "Good", "excellent": "Excellent"}


@dataclasses.dataclass(frozen=True)
class CutPlan:
    """How the three cuts of a period are set (input to ``BenchmarkIndex.estimate``).

    Attributes
    ----------
    grades : dict
        The ``grades:`` block for :func:`pvcal.standards.set_cuts`.
    inputs : dict
        Keyword inputs for ``estimate`` (``items``, ``panel``, ``bookmark``, ``judgments``).
    source : str
        ``"standard setting"``, ``"base period"`` or ``"tuned"``.
    notes : tuple of str
        Plain-language notes for the method text.
    """

    grades: dict
    inputs: dict
    source: str
    notes: tuple = ()


def plan_cuts(step: CalibrationStep) -> CutPlan:
    """Decide how each cut of the period is set.

    - ``tuned_cuts`` in the rules (written by the threshold tuner): those θ
      cuts, fixed;
    - a period after the base period: the base period's published θ cuts
      (the base scale carries them; their uncertainty is the base period's);
    - the base period: each grade's standard-setting method from the rules,
      with the panel data it needs (Angoff ratings with the rated items,
      bookmark placements with the booklet's items, examiners' global ratings
      as judgments, missing for candidates nobody rated).

    Raises
    ------
    SchemaError
        Malformed ``tuned_cuts``.
    """
    from ._validation import SchemaError

    rules = step.rules
    tuned = rules.raw.get("tuned_cuts")
    if tuned:
        theta = tuned.get("theta") if isinstance(tuned, dict) else None
        if not isinstance(theta, dict) or set(theta) != set(_CUT_KEYS):
            raise SchemaError(
                f"{rules.file}: tuned_cuts.theta must give pass, good and excellent, got {theta!r}"
            )
        note = (
            f"Cuts set with the threshold tuner by {tuned.get('set_by', '?')} on "
            f"{tuned.get('set_at', '?')}: {tuned.get('reason', '')}"
        )
        grades = {_CUT_KEYS[k]: {"method": "fixed", "theta": float(v)} for k, v in theta.items()}
        return CutPlan(grades, {}, "tuned", (note,))
    if not step.is_base:
        rec = step.base_index["record"]
        grades = {
            g: {"method": "fixed", "theta": float(rec["cuts"][g])} for g in _CUT_KEYS.values()
        }
        note = (
            f"Cuts carried over on the base scale from the {step.base_period} index "
            f"(index {step.base_index['index_id']}); this period is linked to it."
        )
        return CutPlan(grades, {}, "base period", (note,))
    methods = {spec["method"] for spec in rules.grades.values()}
    panel, items = step.panel, step.items
    inputs: dict[str, Any] = {"items": items}
    if "angoff" in methods:
        inputs["panel"] = panel["angoff"]
        rated = set(panel["angoff"]["item_id"].astype(str))
        inputs["items"] = items.loc[[i for i in items.index if i in rated]]
    if "bookmark" in methods:
        inputs["bookmark"] = panel["bookmark"]
        if "angoff" not in methods and "bookmark_booklet" in panel:
            inputs["items"] = items.loc[panel["bookmark_booklet"]["item_id"].astype(str)]
    if methods & {"borderline_regression", "borderline_group", "contrasting_groups"}:
        ratings = panel["global_ratings"].groupby("application_id")["rating"].mean()
        inputs["judgments"] = ratings.reindex(step.scores.index).to_numpy(dtype=float)
    return CutPlan(dict(rules.grades), inputs, "standard setting")


def _linking_record(step: CalibrationStep) -> dict[str, Any] | None:
    lk = step.linking
    if lk is None:
        return None
    return {
        "A": float(lk.A),
        "B": float(lk.B),
        "method": lk.method,
        "base": step.base_period,
        "base_index_id": int(step.base_index["index_id"]),
        "anchors": [str(a) for a in lk.anchors],
        "excluded": [str(a) for a in lk.excluded],
    }


def estimate_index(
    step: CalibrationStep, plan: CutPlan | None = None, *, n_boot: int = 1000
) -> Any:
    """The period's :class:`~pvcal.index.BenchmarkIndex` from a cut plan.

    Cuts carried over from the base period keep the base period's
    uncertainty; the pass rate and its uncertainty are always this period's.
    """
    from .index import BenchmarkIndex

    plan = plan_cuts(step) if plan is None else plan
    rules = {
        "discipline": step.discipline,
        "grades": plan.grades,
        "standard_score": dict(step.rules.standard_score),
    }
    region = step.candidates["region"].reindex(step.scores.index).astype(str).to_numpy()
    index = BenchmarkIndex.estimate(
        rules,
        theta=step.scores,
        groups=region,
        discipline=step.discipline,
        period=step.period,
        linking=_linking_record(step),
        n_boot=n_boot,
        seed=step.seed,
        **plan.inputs,
    )
    methods = json.loads(json.dumps(index.methods))
    unc = json.loads(json.dumps(index.uncertainty))
    if plan.source == "base period":
        base = step.base_index["record"]
        for key in ("cuts_se", "cuts_ci", "pass_index_se", "pass_index_ci"):
            unc[key] = base["uncertainty"][key]
        unc["cuts_from"] = f"base period {step.base_period} (index {step.base_index['index_id']})"
        for g in methods:
            carried = base["methods"].get(g) or {}
            methods[g]["carried_from"] = carried
            methods[g]["method"] = f"{carried.get('method', '?')} ({step.base_period})"
    if plan.source == "tuned":
        for g in methods:
            methods[g]["method"] = "tuned"
    unc["notes"] = list(plan.notes)
    return dataclasses.replace(index, methods=methods, uncertainty=unc)


@dataclasses.dataclass(frozen=True, eq=False)
class SettingStep:
    """What ``threshold_setting.ipynb`` produces: the plan and the period's index."""

    calibration: CalibrationStep
    plan: CutPlan
    index: Any

    def tuner(self) -> Any:
        """A :class:`pvcal.report.tuner.CutTuner` seeded with this period's cuts."""
        from .report.tuner import CutTuner

        return CutTuner.from_step(self)


def standard_setting_step(out_dir: str | Path = ".", *, n_boot: int = 1000) -> SettingStep:
    """Set the period's cuts and estimate its benchmark index (``work/index.json``).

    Parameters
    ----------
    out_dir : str or Path
        Where ``calibrate.ipynb`` ran.
    n_boot : int, default 1000
        Bootstrap replicates for the uncertainty of the cuts and pass rate.

    Returns
    -------
    SettingStep
    """
    step = CalibrationStep.load(out_dir)
    plan = plan_cuts(step)
    index = estimate_index(step, plan, n_boot=n_boot)
    path = Path(out_dir) / _WORK / INDEX_FILE
    path.write_text(index.to_json(), encoding="utf-8")
    return SettingStep(step, plan, index)


# --------------------------------------------------------------------------- publish
def peer_part(step: CalibrationStep, key: Any = None) -> tuple[Any, Any] | None:
    """Peer comparison of the period (rules ``peer:``), by application pseudonym.

    The assigned value of each sample is the rules' consensus (Algorithm A);
    ``sigma_pt`` follows ``peer.sigma_pt`` (``relative``: a share of x_pt;
    ``absolute``: a value); a person's peer statistic is aggregated over
    samples (``max_abs``: the worst |statistic|) and graded with the rules'
    grading (:func:`pvcal.peer.grade`).

    Returns
    -------
    (DataFrame, PeerRound) or None
        Per application pseudonym: ``peer_statistic``, ``peer_grade`` and the
        statistic of each sample; None when the rules have no peer part.
    """
    import pandas as pd

    from . import peer as _peer
    from ._validation import SchemaError
    from .report.pseudonym import pseudonymise_series

    cfg = step.rules.peer
    if not cfg or step.peer is None or not len(step.peer):
        return None
    df = step.peer.copy()
    df["participant"] = pseudonymise_series(df["application_id"], "application", key).to_numpy()
    method = cfg.get("method", "algorithm_a")
    u_col = "u_value" if "u_value" in df.columns else None
    first = _peer.assess(
        df, "value", participant_col="participant", sample_col="sample_id", method=method
    )
    rule = cfg.get("sigma_pt") or {}
    kind = rule.get("rule", "relative") if isinstance(rule, dict) else "absolute"
    if kind == "relative":
        sigma = {s: float(rule["value"]) * abs(x) for s, x in first.assigned["x_pt"].items()}
    elif kind == "absolute":
        value = rule["value"] if isinstance(rule, dict) else rule
        sigma = value if not isinstance(value, dict) else {k: float(v) for k, v in value.items()}
    else:
        raise SchemaError(
            f"{step.rules.file}: peer.sigma_pt.rule {kind!r} is not relative/absolute"
        )
    grading = cfg.get("grading")
    rnd = _peer.assess(
        df,
        "value",
        participant_col="participant",
        sample_col="sample_id",
        method=method,
        sigma_pt=sigma,
        u_col=u_col,
        grading=grading,
    )
    stat = rnd.grading["statistic"]
    wide = rnd.scores.pivot(index="participant", columns="sample", values=stat)
    aggregate = cfg.get("aggregate", "max_abs")
    if aggregate != "max_abs":
        raise SchemaError(f"{step.rules.file}: peer.aggregate {aggregate!r} is not 'max_abs'")
    worst = wide.abs().max(axis=1)
    out = pd.DataFrame({"peer_statistic": worst, "peer_grade": _peer.grade(worst, grading)})
    out = out.join(wide.add_prefix(f"{stat}_"))
    return out, rnd


def _lower_grade(a: str, b: str) -> str:
    return GRADE_ORDER[min(GRADE_ORDER.index(a), GRADE_ORDER.index(b))]


@dataclasses.dataclass(frozen=True, eq=False)
class PublishStep:
    """What ``publish_index.ipynb`` produces.

    Attributes
    ----------
    calibration : CalibrationStep
    index : BenchmarkIndex
    results : DataFrame
        One row per newly published application (pseudonyms; the registry's columns).
    already : int
        Applications of the period that already had a result (kept, Art. 8).
    ineligible : DataFrame
        Ineligible applications (pseudonymised) with the reason; not scored.
    peer : PeerRound or None
    """

    calibration: CalibrationStep
    index: Any
    results: Any
    already: int
    ineligible: Any
    peer: Any = None


def publish_step(out_dir: str | Path = ".", *, registry: str | Path | None = None) -> PublishStep:
    """Grade every eligible application and write the published files.

    Writes ``index.json`` (``{"record": ..., "pass_index": ...}``),
    ``results.json`` and ``results.csv`` (pseudonymised: keyed HMAC-SHA256,
    :mod:`pvcal.report.pseudonym`) into ``out_dir``.  Applications that
    already hold a result in the registry keep it and are left out (Art. 8).

    Parameters
    ----------
    out_dir : str or Path
        Where the earlier notebooks ran.
    registry : str or Path, optional
        The registry (read only) to find applications that already have a result.

    Returns
    -------
    PublishStep
    """
    import pandas as pd

    from .index import BenchmarkIndex
    from .report.pseudonym import load_key, pseudonymise_series

    out = Path(out_dir)
    step = CalibrationStep.load(out)
    path = out / _WORK / INDEX_FILE
    if not path.is_file():
        raise PublishError(f"{path} not found: run threshold_setting.ipynb first")
    index = BenchmarkIndex.from_record(path.read_text(encoding="utf-8"))
    key = load_key()
    scores = step.scores
    apps = scores.index
    app_p = pseudonymise_series(pd.Series(apps, index=apps), "application", key)
    cand = step.persons["candidate_id"].reindex(apps)
    cand_p = pseudonymise_series(cand, "candidate", key)
    theta, se = scores["theta"].to_numpy(float), scores["se"].to_numpy(float)
    exam_grade = np.asarray(index.grade(theta), dtype=object)
    grade = exam_grade.copy()
    details = _response_details(step, apps)
    for detail, g in zip(details, exam_grade):
        detail["exam_grade"] = str(g)
        detail["theta_pass"] = index.pass_theta
    peer = peer_part(step, key)
    if peer is not None:
        frame = peer[0]
        combine = step.rules.raw.get("combine", "lower")
        for i, pseud in enumerate(app_p.to_numpy()):
            detail = details[i]
            detail["combine"] = combine
            if pseud not in frame.index:
                detail["peer"] = None
                detail["note"] = "no peer-comparison result: the verification is incomplete"
                grade[i] = "Fail"
                continue
            prow = frame.loc[pseud]
            detail["peer"] = {
                k: (v if isinstance(v, str) else None if pd.isna(v) else float(v))
                for k, v in prow.items()
            }
            if combine == "lower":
                grade[i] = _lower_grade(grade[i], prow["peer_grade"])
            elif combine == "peer":
                grade[i] = prow["peer_grade"]
    cands = step.candidates.reindex(apps)
    summary = pd.DataFrame([d.pop("_summary") for d in details], index=apps)
    results = pd.DataFrame(
        {
            "application": app_p.to_numpy(),
            "candidate": cand_p.to_numpy(),
            "form": step.persons["form"].reindex(apps).astype(str).to_numpy(),
            "region": cands["region"]
            .astype(object)
            .where(cands["region"].notna(), None)
            .to_numpy(),
            "employer": cands["employer"]
            .astype(object)
            .where(cands["employer"].notna(), None)
            .to_numpy(),
            "n_items": summary["n_items"].to_numpy(),
            "n_answered": summary["n_answered"].to_numpy(),
            "raw_score": summary["raw_score"].to_numpy(),
            "max_score": summary["max_score"].to_numpy(),
            "theta": theta,
            "se": se,
            "standard_score": np.asarray(index.standard_score(theta), float),
            "grade": grade.astype(str),
            "detail": details,
        }
    )
    already = 0
    if registry is not None and Path(registry).is_file():
        with Registry(registry) as reg:
            done = reg.existing_applications(results["application"])
        already = len(done)
        results = results[~results["application"].isin(done)].reset_index(drop=True)
    elig = step.eligibility
    inel = elig.loc[~elig["eligible"].astype(bool)]
    ineligible = pd.DataFrame(
        {
            "application": pseudonymise_series(
                pd.Series(inel.index, index=inel.index), "application", key
            ).to_numpy(),
            "study_hours": inel["study_hours"].to_numpy(),
            "min_study_hours": inel["min_study_hours"].to_numpy(),
            "reason": inel["reason"].astype(str).to_numpy(),
        }
    )
    record = index.to_record()
    record["method_text"] = method_text(step, index)
    record["key_fingerprint"] = key.fingerprint
    _write_json(out / INDEX_FILE, {"record": record, "pass_index": index.pass_index})
    (out / RESULTS_FILE).write_text(
        json.dumps(results.to_dict("records"), indent=1, default=str), encoding="utf-8"
    )
    results.drop(columns="detail").to_csv(out / "results.csv", index=False)
    ineligible.to_csv(out / "ineligible.csv", index=False)
    return PublishStep(step, index, results, already, ineligible, None if peer is None else peer[1])


def method_text(step: CalibrationStep, index: Any) -> str:
    """Plain-language account of how results of this period were reached (Art. 13)."""
    rules = step.rules
    cal = step.calibration
    conv = index.conversion
    model = (
        rules.model
        if rules.model != "mixed"
        else "mixed (per item: "
        + ", ".join(sorted(set(map(str, step.bank.loc[step.wide.columns, "model"]))))
        + ")"
    )
    parts = [
        f"Responses of {len(step.wide):,} eligible applications of {step.period} "
        f"(study hours >= {rules.min_study_hours:g}; Art. 6) were calibrated with the {model} "
        f"IRT model by marginal maximum likelihood (EM; converged: {cal.converged}, "
        f"{cal.n_iter} cycles). Missing responses (not presented, not reached or omitted) "
        "are ignored, not scored as wrong.",
    ]
    if step.linking is not None:
        lk = step.linking
        parts.append(
            f"The period was put on the base scale of {step.base_period} by {lk.method} linking "
            f"through {len(lk.anchors)} anchor items (θ_base = {lk.A:.4f} · θ + {lk.B:.4f})"
            + (
                f"; drifting anchors left out: {', '.join(map(str, lk.excluded))}"
                if lk.excluded
                else ""
            )
            + "."
        )
    else:
        parts.append(f"{step.period} is the base period: its calibration fixes the θ scale.")
    parts.append(
        "Ability θ is the expected a posteriori (EAP) estimate with its posterior SD as SE."
    )
    cuts = "; ".join(
        f"{g}: θ = {index.cuts[g]:.3f} ({index.methods[g].get('method', '?')})"
        for g in ("Pass", "Good", "Excellent")
    )
    parts.append(f"Grade cuts on the base scale: {cuts}.")
    parts.extend(index.uncertainty.get("notes", []))
    parts.append(
        f"Standard score = {conv.pass_score:g} + {conv.scale:g} × (θ − {conv.anchor_theta:.4f}), "
        f"rounded half up to {conv.decimals} decimals and clipped to "
        f"[{conv.lower:g}, {conv.upper:g}]; the pass-line index is {index.pass_index:.2f}. "
        "A score on a cut's standard score belongs to the upper grade "
        f"(cuts at {', '.join(f'{g} {v:.2f}' for g, v in index.cut_scores.items())})."
    )
    if rules.peer:
        parts.append(
            "Peer comparison (ISO 13528): assigned value by the robust consensus "
            f"({rules.peer.get('method', 'algorithm_a')}) of all participants per sample; "
            f"the worst |{(rules.peer.get('grading') or {}).get('statistic', 'z')}| over samples "
            f"is graded; the final grade is the {rules.raw.get('combine', 'lower')} of the exam "
            "and peer grades."
        )
    return " ".join(parts)


def _response_details(step: CalibrationStep, apps: Any) -> list[dict[str, Any]]:
    """Per application: item scores, domain raw scores and the summary counts.

    The items of a person are those of the person's form (``items.csv``
    ``forms``); missing responses count 0 in the raw score (they are ignored
    by the IRT scoring).
    """
    bank = step.bank
    forms = step.persons["form"].reindex(apps).astype(str).to_numpy()
    wide = step.wide.reindex(apps)
    out: list[dict[str, Any]] = [{} for _ in range(len(apps))]
    has_domain = "domain" in bank.columns
    for form in np.unique(forms):
        rows = np.flatnonzero(forms == form)
        items = [
            i
            for i in bank.index
            if i in wide.columns and form in str(bank.loc[i, "forms"]).split(";")
        ] or list(wide.columns)
        block = wide.iloc[rows][items].to_numpy(dtype=float, na_value=np.nan)
        maxs = bank.loc[items, "max_score"].to_numpy(float)
        answered = ~np.isnan(block)
        raw = np.nansum(block, axis=1)
        domains = {}
        if has_domain:
            dom = bank.loc[items, "domain"].astype(str).to_numpy()
            for d in np.unique(dom):
                cols = dom == d
                domains[str(d)] = (
                    np.nansum(block[:, cols], axis=1),
                    float(maxs[cols].sum()),
                    answered[:, cols].sum(axis=1),
                    int(cols.sum()),
                )
        for k, r in enumerate(rows):
            vals = block[k]
            detail = {
                "items": {
                    i: (None if np.isnan(v) else int(v)) for i, v in zip(items, vals, strict=True)
                },
                "_summary": {
                    "n_items": len(items),
                    "n_answered": int(answered[k].sum()),
                    "raw_score": float(raw[k]),
                    "max_score": float(maxs.sum()),
                },
            }
            if domains:
                detail["domains"] = {
                    d: {"raw": float(v[0][k]), "max": v[1], "answered": int(v[2][k]), "items": v[3]}
                    for d, v in domains.items()
                }
            out[r] = detail
    return out
