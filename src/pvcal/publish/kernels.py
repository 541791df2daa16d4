"""The Jupyter kernel the notebooks run on.

By default the notebooks run on **this** Python (``sys.executable``): pvcal
writes a kernelspec for it into a private folder that it puts first on
``JUPYTER_PATH`` for the process (and the kernels it starts), so ``pip install
pvcal`` followed by ``pvcal publish`` works without ``ipykernel install``.
A kernel name (``--kernel NAME`` or ``$PVCAL_KERNEL``) selects an installed
kernelspec instead.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from .._validation import PvcalError

__all__ = ["CURRENT_KERNEL", "DEFAULT_KERNEL", "current_kernel", "ensure_kernel", "kernel_name"]

#: Name of the kernelspec pvcal writes for the running interpreter.
CURRENT_KERNEL = "pvcal-current-python"
#: The kernel used when none is named: None means the running interpreter.
DEFAULT_KERNEL: str | None = None

_lock = threading.Lock()
_spec_root: Path | None = None


def kernel_name(name: str | None = None) -> str | None:
    """The kernel asked for: ``name``, else ``$PVCAL_KERNEL``, else None (this Python)."""
    return name or os.environ.get("PVCAL_KERNEL") or DEFAULT_KERNEL


def current_kernel() -> str:
    """A kernelspec running this Python (``sys.executable``); returns its name.

    The kernelspec is written once per process into a temporary folder
    (removed at exit) that is put first on ``JUPYTER_PATH``, so it wins over
    an installed kernel of the same name and nothing is installed.

    Returns
    -------
    str
        :data:`CURRENT_KERNEL`.
    """
    global _spec_root
    with _lock:
        if _spec_root is None or not (_spec_root / "kernels" / CURRENT_KERNEL).is_dir():
            root = Path(tempfile.mkdtemp(prefix="pvcal-kernel-"))
            spec = root / "kernels" / CURRENT_KERNEL
            spec.mkdir(parents=True)
            version = ".".join(map(str, sys.version_info[:2]))
            kernel = {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": f"pvcal (Python {version}: {sys.executable})",
                "language": "python",
                "metadata": {"debugger": True},
            }
            (spec / "kernel.json").write_text(json.dumps(kernel, indent=1), encoding="utf-8")
            paths = [str(root), *filter(None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep))]
            os.environ["JUPYTER_PATH"] = os.pathsep.join(paths)
            atexit.register(shutil.rmtree, root, True)
            _spec_root = root
    return CURRENT_KERNEL


def ensure_kernel(name: str | None = None, *, install: bool = False) -> str:
    """The kernel to run notebooks with, checked to exist.

    Parameters
    ----------
    name : str, optional
        Kernel name (default :func:`kernel_name`); with no name at all, the
        running interpreter (:func:`current_kernel`).
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
        If a named kernel is missing (and not installed).
    """
    from jupyter_client.kernelspec import KernelSpecManager

    name = kernel_name(name)
    if name is None:
        return current_kernel()
    if name in KernelSpecManager().find_kernel_specs():
        return name
    if install:
        subprocess.run(
            [sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", name],
            check=True,
            capture_output=True,
        )
        return name
    raise PvcalError(
        f"Jupyter kernel {name!r} is not installed; leave --kernel and $PVCAL_KERNEL unset to "
        f"run on this Python, or `python -m ipykernel install --sys-prefix --name {name}`"
    )
