"""The publishing runner: staging, papermill, kernels, the registry transaction, recovery.

:func:`publish` runs the notebooks of every discipline and period (each an
atomic unit, :mod:`~pvcal.publish.runner`), on a Jupyter kernel
(:mod:`~pvcal.publish.kernels`), staged and moved into place
(:mod:`~pvcal.publish.staging`), with a run record in the registry's audit log
(:mod:`~pvcal.publish.runs`).  The domain work is in :mod:`pvcal.workflow`.
"""

from __future__ import annotations

from .kernels import CURRENT_KERNEL, DEFAULT_KERNEL, current_kernel, ensure_kernel, kernel_name
from .notebooks import (
    INDUSTRY_NOTEBOOK,
    UNIT_NOTEBOOKS,
    notebook_params,
    notebooks_dir,
    packaged_notebooks,
    render_html,
    run_notebook,
)
from .runner import publish, publish_industry, publish_unit
from .runs import PublishError, UnitOutcome, code_version, hash_inputs
from .staging import recover

__all__ = [
    "CURRENT_KERNEL",
    "DEFAULT_KERNEL",
    "INDUSTRY_NOTEBOOK",
    "UNIT_NOTEBOOKS",
    "PublishError",
    "UnitOutcome",
    "code_version",
    "current_kernel",
    "ensure_kernel",
    "hash_inputs",
    "kernel_name",
    "notebook_params",
    "notebooks_dir",
    "packaged_notebooks",
    "publish",
    "publish_industry",
    "publish_unit",
    "recover",
    "render_html",
    "run_notebook",
]
