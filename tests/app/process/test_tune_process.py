"""tune_process: the one call the entry points make applies both caps from the settings, in a fresh interpreter
(whose allocator and BLAS pool start at their own defaults), and reports what it did."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.process import allocator

ROOT = Path(__file__).resolve().parents[3]
PROBE = """
import json, sys
from app import Settings, tune_process
done = tune_process(Settings(malloc_arena_max=int(sys.argv[1]), blas_threads=int(sys.argv[2])))
print(json.dumps({"applied": done.arenas.applied, "limit": done.arenas.limit, "reason": done.arenas.reason,
                  "blas": done.blas_threads}))
"""


def _probe(arenas: int, blas: int) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS") and k != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(arenas), str(blas)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]  # the probe's own JSON


@pytest.mark.skipif(allocator._glibc() is None, reason="glibc's allocator only")
def test_both_caps_come_from_the_settings() -> None:
    got = _probe(3, 1)
    assert got["applied"] is True and got["limit"] == 3
    assert got["blas"] in (1, None)  # None: a numpy built without a BLAS pool


def test_zero_leaves_both_alone_and_says_so() -> None:
    got = _probe(0, 0)
    assert got["applied"] is False and "default" in str(got["reason"])
    assert got["blas"] != 0
