"""The notebooks of a run: where they are, their parameters, executing and rendering them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._validation import PvcalError
from .runs import PublishError

__all__ = [
    "UNIT_NOTEBOOKS",
    "INDUSTRY_NOTEBOOK",
    "notebooks_dir",
    "packaged_notebooks",
    "notebook_params",
    "run_notebook",
    "render_html",
]

#: Notebooks run for each discipline and period, in order; name -> HTML report name.
UNIT_NOTEBOOKS: tuple[tuple[str, str], ...] = (
    ("calibrate", "calibration"),
    ("threshold_setting", "threshold_setting"),
    ("publish_index", "report"),
)
INDUSTRY_NOTEBOOK = "industry_report"


def packaged_notebooks() -> Path:
    """The folder of the notebooks shipped with pvcal (package data ``pvcal/notebooks``).

    Raises
    ------
    PvcalError
        If pvcal is not installed as plain files (e.g. run from a zip archive).
    """
    from importlib.resources import files

    folder = files("pvcal") / "notebooks"
    if not isinstance(folder, Path) or not folder.is_dir():
        raise PvcalError(
            f"pvcal's notebooks ({folder}) are not a folder on disk; reinstall pvcal "
            "(pip install pvcal) or pass the notebook folder (--notebooks DIR)"
        )
    return folder


def notebooks_dir(path: str | Path | None = None) -> Path:
    """Folder of the publishing notebooks: ``path``, else those shipped with pvcal.

    Raises
    ------
    PvcalError
        If the folder is missing.
    """
    folder = Path(path) if path is not None else packaged_notebooks()
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

    from .._validation import SchemaError

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


def render_html(notebook: Path, html: Path, *, lang: str | None = None) -> Path:
    """Render an executed notebook to standalone HTML with the code hidden.

    Plots are embedded as base64 images, so the page needs no other file. The
    page is marked as ``lang`` (``<html lang>``, default zh-CN) and gets pvcal's
    phone and print rules (:func:`pvcal.report.i18n.localise_page`).
    """
    import nbformat
    from nbconvert import HTMLExporter

    from ..report.i18n import localise_page

    nb = nbformat.read(str(notebook), as_version=4)
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_notebook_node(nb)
    html.write_text(localise_page(body, lang), encoding="utf-8")
    return html
