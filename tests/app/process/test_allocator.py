"""app/process/allocator.py on this machine's real C library: the arena cap holds for threads started after it (against
an uncapped control run), the heap figures follow real allocations, and non-glibc systems get a clear no-op."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.process import allocator
from app.process.allocator import heap_figures, limit_malloc_arenas

ROOT = Path(__file__).resolve().parents[3]
glibc_only = pytest.mark.skipif(allocator._glibc() is None, reason="glibc's allocator only")

# Six threads alive at once, each allocating from the C heap (bytearrays above pymalloc's 512-byte limit):
# glibc gives each a new arena unless capped. Prints the arena count while they are all alive.
# The six threads, as a snippet both probes run (WORKERS is indented for the console script's command body).
WORKERS = """
barrier, done = threading.Barrier(7), threading.Event()
def work():
    blocks = [bytearray(4000) for _ in range(200)]
    barrier.wait()
    done.wait()
threads = [threading.Thread(target=work) for _ in range(6)]
for t in threads:
    t.start()
barrier.wait()
print(heap_figures().arenas)
done.set()
"""
THREADS = (
    textwrap.dedent(
        """
        import sys, threading
        from app.process.allocator import heap_figures, limit_malloc_arenas
        cap = int(sys.argv[1])
        if cap:
            assert limit_malloc_arenas(cap).applied
        """
    )
    + WORKERS
)


# The console script (app.cli.main) with the command replaced by one that loads the app's libraries, as every
# command does, then runs the six threads: the cap must already hold by then.
CONSOLE_SCRIPT = (
    textwrap.dedent(
        """
        import sys, threading, types
        from app.process.allocator import heap_figures

        def command(argv, out, **kwargs):
            from app import GuardedRAG  # noqa: F401
        """
    )
    + textwrap.indent(WORKERS, "    ")
    + textwrap.dedent(
        """
            return 0

        sys.modules["app.cli.main"] = types.SimpleNamespace(main=command)
        from app.cli import entry
        sys.exit(entry([], None))
        """
    )
)


def run_child(code: str, *args: str, env_extra: dict[str, str] | None = None) -> int:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX" and k != "GLIBC_TUNABLES"}
    env["PYTHONPATH"] = str(ROOT)
    env.update(env_extra or {})
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.strip().splitlines()[-1])


def arenas_with(cap: int) -> int:
    return run_child(THREADS, str(cap))


@glibc_only
def test_the_cap_bounds_the_arenas_of_threads_started_after_it():
    assert arenas_with(0) >= 4  # the control: uncapped, six live threads get arenas of their own
    assert arenas_with(2) <= 2


@glibc_only
def test_the_console_script_caps_the_arenas_before_the_command_runs():
    assert run_child(CONSOLE_SCRIPT, env_extra={"MALLOC_ARENA_MAX": "0"}) >= 4  # the control: the setting off
    assert run_child(CONSOLE_SCRIPT) <= 2  # the default setting


@glibc_only
def test_heap_figures_follow_real_allocations():
    before = heap_figures()
    assert before is not None and before.arenas >= 1
    blocks = [bytearray(1000) for _ in range(40_000)]  # ~40 MB from malloc, each below the mmap threshold
    during = heap_figures()
    assert during is not None
    assert during.in_use - before.in_use >= 35
    del blocks
    after = heap_figures()
    assert after is not None
    assert during.in_use - after.in_use >= 35  # freed: no longer in use (glibc may keep it as free_held)


def test_zero_leaves_glibc_alone():
    cap = limit_malloc_arenas(0)
    assert not cap.applied
    assert "default" in cap.reason


def test_not_glibc_is_a_no_op_that_says_so(monkeypatch):
    monkeypatch.setattr(allocator, "_glibc", lambda: None)
    cap = limit_malloc_arenas(2)
    assert not cap.applied
    assert "not glibc" in cap.reason
    assert heap_figures() is None
