"""One thread everywhere, for pvcal and every peer: import this module before numpy.

Setting the variables on import (before numpy, or anything that loads a BLAS or an
OpenMP/rayon pool) holds this process to one thread; ``THREAD_ENV`` is passed on to
the peers' processes so that they run under the same limits.
"""

from __future__ import annotations

import os

THREAD_ENV = {
    k: "1"
    for k in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "BLIS_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
        "NUMEXPR_NUM_THREADS",
        "RAYON_NUM_THREADS",
    )
}
os.environ.update(THREAD_ENV)
