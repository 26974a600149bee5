"""How many threads the numeric libraries under xlcheck may start.

numpy (the localizer's linear algebra, and openpyxl when numpy is installed) loads a BLAS library
that starts a thread per core and keeps them spinning after each product. The matrices xlcheck
builds hold a few hundred cells, so those threads cost far more than they save, and on a busy
2-core machine their spinning slowed the whole check (a clean sample check 6 ms with one thread,
15 ms without, in one run). The variables must be set before numpy loads; a setting of the
user's own wins.
"""

from __future__ import annotations

import os
import sys

#: the variables through which BLAS and OpenMP libraries are told how many threads to start
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread() -> None:
    """Ask for one BLAS thread, unless numpy is loaded already (too late) or the user said otherwise."""
    if "numpy" in sys.modules:
        return
    for name in BLAS_THREADS:
        os.environ.setdefault(name, "1")
