"""limit_blas_threads: numpy's BLAS pool really shrinks (checked in a fresh interpreter, whose BLAS starts at its
own default), and 0 leaves it alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PROBE = """
import json, sys
import numpy
from threadpoolctl import threadpool_info
from app import limit_blas_threads
before = max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")
after = limit_blas_threads(int(sys.argv[1]))
numpy.ones((64, 64)) @ numpy.ones((64, 64))  # still computes
print(json.dumps({"before": before, "after": after}))
"""


def _probe(threads: int) -> dict[str, int]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}  # the library's own default
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(threads)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]  # the probe's own JSON


def test_the_cap_shrinks_numpys_blas_pool() -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: OpenBLAS starts with one thread, there is nothing to cap")
    got = _probe(1)
    assert got["before"] >= 2 and got["after"] == 1


def test_zero_keeps_the_librarys_default() -> None:
    got = _probe(0)
    assert got["after"] == got["before"]
