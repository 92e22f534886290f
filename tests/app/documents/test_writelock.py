"""One writer per index: the WriteLock within a process (threads) and across processes (a real second process
writing through the app's DocumentIndex), the waiting message, the timeout, and readers never blocked."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.documents.index import DocumentIndex
from app.documents.writelock import IndexBusyError, WriteLock
from tests.app.documents.index_child import add, index_at

ROOT = Path(__file__).resolve().parents[3]


def child(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.app.documents.index_child", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """A second process holding the index's write lock for 3 s (it writes one document meanwhile)."""
    path = tmp_path / "idx"
    index_at(str(path))  # create the index before the child opens it
    proc = child("hold", str(path), "3")
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked", proc.stderr.read() if proc.stderr else ""
    yield proc, path
    proc.wait(timeout=60)


def test_a_second_process_waits_says_who_holds_the_lock_then_writes(holder: tuple[subprocess.Popen[str], Path]) -> None:
    proc, path = holder
    index = index_at(str(path))
    messages: list[str] = []
    started = time.monotonic()
    with index.writing("ingest", on_wait=messages.append):
        waited = time.monotonic() - started
        add(index, "mine.md", "# Mine\n\nWritten by the test process after the child released the lock.")
    assert proc.wait(timeout=30) == 0
    assert waited > 1.0, "the second writer did not wait for the first"
    assert len(messages) == 1 and f"pid {proc.pid}" in messages[0] and "waiting up to" in messages[0], messages
    assert "another ingest" in messages[0] and "index_child" in messages[0]
    assert {d.source for d in index.documents()} == {"held.md", "mine.md"}


def test_a_writer_that_waits_too_long_stops_with_a_clear_error_and_writes_nothing(
    holder: tuple[subprocess.Popen[str], Path],
) -> None:
    proc, path = holder
    index = DocumentIndex(path=path, collection="docs", embeddings=index_at(str(path))._embeddings, lock_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(IndexBusyError) as info:
        add(index, "late.md", "# Late\n\nThis must not be written while the other process holds the lock.")
    assert time.monotonic() - started < 5
    message = str(info.value)
    assert f"pid {proc.pid}" in message and "was not done" in message and "Chroma server" in message
    assert proc.wait(timeout=30) == 0
    assert "late.md" not in {d.source for d in index.documents()}


def test_readers_are_not_blocked_by_a_writer(holder: tuple[subprocess.Popen[str], Path]) -> None:
    _, path = holder
    index = index_at(str(path))
    started = time.monotonic()
    assert index.count() >= 0 and index.search("held", 2) is not None and index.documents() is not None
    assert time.monotonic() - started < 2.5  # the child holds the lock for 3 s


def test_a_reader_in_another_process_sees_what_was_written_after_it_opened(tmp_path: Path) -> None:
    """Chroma keeps the vector index in memory: without reopening, this process would keep missing the chunk
    the child wrote (measured: the query returned only the old vectors)."""
    index = index_at(str(tmp_path / "idx"))
    add(index, "old.md", "# Old\n\nBread flour water yeast.")
    assert index.search("quantum chromodynamics lattice", 1)[0].source == "old.md"  # loaded into memory
    proc = child("write", str(tmp_path / "idx"), "new.md", "# New\n\nQuantum chromodynamics on a lattice.")
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    assert index.search("quantum chromodynamics lattice", 1)[0].source == "new.md"
    assert index.count() == 2


def test_within_a_process_a_second_thread_waits_and_the_holder_may_reenter(tmp_path: Path) -> None:
    lock = WriteLock(tmp_path, timeout=5)
    order: list[str] = []
    messages: list[str] = []
    with lock.hold("ingest") as outer:
        with lock.hold("ingest") as inner:  # ingest holds it, its upserts take it again
            assert outer and not inner

        def second() -> None:
            with lock.hold("delete", on_wait=messages.append):
                order.append("second")

        thread = threading.Thread(target=second)
        thread.start()
        # Until the second thread says it waits (not a 0.3 s sleep: on a busy machine it had not got there yet, took
        # the lock after this hold and said nothing).
        deadline = time.monotonic() + 30
        while not messages and time.monotonic() < deadline:
            time.sleep(0.001)
        order.append("first done")
    thread.join(30)
    assert order == ["first done", "second"]
    assert messages and "another ingest in this process" in messages[0]


def test_release_later_keeps_the_lock_until_the_stuck_write_ends(tmp_path: Path) -> None:
    lock = WriteLock(tmp_path, timeout=0.3)
    stuck_write = threading.Event()
    assert lock.acquire("ingest")
    lock.release_later(stuck_write.wait)
    with pytest.raises(IndexBusyError):
        lock.acquire("delete")
    stuck_write.set()
    assert lock.acquire("delete", timeout=30)  # waits for the stuck write's end, however long a busy machine takes
    lock.release(True)


def test_an_index_says_who_is_rebuilding_it_and_nobody_otherwise(tmp_path: Path) -> None:
    path = tmp_path / "idx"
    index = index_at(str(path))
    add(index, "a.md", "# A\n\nSome text to index before the rebuild starts.")
    assert index.rebuilding() is None
    with index.writing("ingest"):  # this process writing, and not a rebuild
        assert index.rebuilding() is None
    proc = child("rebuild-hold", str(path), "2", "docs")
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    found = index.rebuilding()
    assert found is not None and f"pid {proc.pid}" in found and "another rebuild" in found
    assert proc.wait(timeout=60) == 0
    assert index.rebuilding() is None
