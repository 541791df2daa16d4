"""The Jupyter kernel the notebooks run on."""

from __future__ import annotations

import os
import subprocess

from .._validation import PvcalError

__all__ = ["DEFAULT_KERNEL", "kernel_name", "ensure_kernel"]

DEFAULT_KERNEL = "pvcal"


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
