"""After the store is closed every save is synchronous and releases the SQLite connection kept between saves. With
three saves at once, the one finishing first closed the kept connection of another that was still waiting for
the write lock on it: the process crashed (segfault). A release leaves a connection a running thread keeps."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from app.traces import SqliteTraceBackend, TraceStore
from tests.app.test_traces import record

ROOT = Path(__file__).resolve().parents[3]


def three_saves_after_close(db: Path) -> None:
    """Run in a child process (a crash must fail the test, not end the run). Each save is paused inside its
    transaction until told to go on, to order the three saves: s1 keeps its connection and holds the lock; s2 gets
    a short connection and waits for the lock; s1 ends and releases; s3 keeps a new connection and waits for the
    lock s2 now holds; s2 ends and releases."""
    store = TraceStore(db)
    store.close()  # from now on saves are synchronous, each followed by a release
    real = SqliteTraceBackend._write
    gates: dict[str, tuple[threading.Event, threading.Event]] = {n: (threading.Event(), threading.Event()) for n in ("s1", "s2")}

    def paused(self: SqliteTraceBackend, conn: object, records: object) -> None:
        gate = gates.get(threading.current_thread().name)
        if gate is not None:
            gate[0].set()
            gate[1].wait(10)
        real(self, conn, records)  # type: ignore[arg-type]

    SqliteTraceBackend._write = paused  # type: ignore[method-assign]
    errors: list[str] = []

    def save(i: int) -> None:
        try:
            store.save(record(i))
        except Exception as exc:
            errors.append(repr(exc))

    threads = {n: threading.Thread(target=save, args=(i,), name=n) for i, n in enumerate(("s1", "s2", "s3"), 1)}
    threads["s1"].start()
    assert gates["s1"][0].wait(10)
    threads["s2"].start()
    time.sleep(0.3)
    gates["s1"][1].set()
    threads["s1"].join(10)
    assert gates["s2"][0].wait(10)
    threads["s3"].start()
    time.sleep(0.3)
    gates["s2"][1].set()
    for thread in threads.values():
        thread.join(40)
    assert not errors, errors
    print(sorted(r.trace_id for r in store.list()))


def test_a_release_never_closes_a_connection_another_save_is_using(tmp_path: Path):
    code = (
        f"from pathlib import Path; from {__name__} import three_saves_after_close as run; run(Path({str(tmp_path / 't.db')!r}))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"  # before: -11 (SIGSEGV)
    assert done.stdout.strip() == "['t0001', 't0002', 't0003']"
