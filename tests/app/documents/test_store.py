"""The process's Chroma client per index: built once whatever the number of threads asking at once, and every
call bounded by a deadline (a stalled call is a typed IndexUnavailableError, not a hang)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from app.documents.index import DocumentIndex
from app.documents.store import IndexUnavailableError
from tests.app.documents.index_child import add
from tests.fake_embeddings import BagOfWordsEmbeddings

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.disable_socket


def test_many_threads_opening_a_fresh_index_at_once_all_succeed(tmp_path: Path) -> None:
    """Without the build lock chromadb failed here in 10 runs out of 10 (AttributeError 'RustBindingsAPI' object has
    no attribute 'bindings', KeyError on the path, 'Could not connect to tenant')."""
    for run in range(3):
        assert open_at_once(tmp_path / f"idx{run}", threads=8) == [0] * 8


def test_processes_never_build_clients_on_one_directory_at_the_same_time(tmp_path: Path) -> None:
    """Two processes building a client on a directory without a database both ran Chroma's migrations and one failed
    (tests/robustness/test_processes.py has the real race). Here each build takes 0.5 s and checks for the other:
    released together, without the open lock both builds overlap."""
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.app.documents.index_child", "open", str(tmp_path / "idx")],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline() == "ready\n", child.communicate()[1][-2000:]
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    outs = [child.communicate(timeout=60) for child in children]
    assert [c.returncode for c in children] == [0, 0], [err[-2000:] for _, err in outs]
    assert [out for out, _ in outs] == ["alone\n", "alone\n"]


def open_at_once(path: Path, *, threads: int) -> list[object]:
    barrier = threading.Barrier(threads)
    results: list[object] = []

    def open_and_count() -> None:
        barrier.wait()
        try:
            index = DocumentIndex(path=path, collection="docs", embeddings=BagOfWordsEmbeddings())
            results.append(index.count())
        except Exception as exc:
            results.append(exc)

    started = [threading.Thread(target=open_and_count) for _ in range(threads)]
    for t in started:
        t.start()
    for t in started:
        t.join(60)
    return results


class Stall:
    """Wraps one method of the real collection so that it blocks until released (local Chroma cannot be made to
    stall on demand; tests/robustness freezes a real Chroma server with SIGSTOP for the same path)."""

    def __init__(self, index: DocumentIndex, method: str) -> None:
        self.release = threading.Event()
        self.finished = threading.Event()  # the first stalled call has returned (or raised), after its release
        self.calls = 0
        collection = index._col("test", lambda c: c)
        original = getattr(collection, method)

        def stalled(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            self.release.wait(30)
            try:
                return original(*args, **kwargs)
            finally:
                self.finished.set()

        setattr(collection, method, stalled)


def quick(path: Path, **deadlines: float) -> DocumentIndex:
    """An index with short deadlines, opened after a normal one (opening a fresh client takes ~0.1-1 s here)."""
    DocumentIndex(path=path, collection="docs", embeddings=BagOfWordsEmbeddings()).count()
    return DocumentIndex(path=path, collection="docs", embeddings=BagOfWordsEmbeddings(), **deadlines)


def test_a_stalled_search_is_a_typed_error_within_its_deadline_and_the_index_recovers(tmp_path: Path) -> None:
    index = quick(tmp_path / "idx", timeout=0.5)
    add(index, "port.md", "# Port\n\nOllama listens on port 11434.")
    stall = Stall(index, "query")
    started = time.monotonic()
    with pytest.raises(IndexUnavailableError) as info:
        index.search("port", 2)
    assert time.monotonic() - started < 5.0  # its 0.5 s deadline, not the 30 s the stalled call takes
    assert "did not answer: searching" in str(info.value) and "guarded-rag doctor" in str(info.value)
    assert index.count() == 1  # other calls are not stuck behind it
    stall.release.set()
    assert stall.finished.wait(30)
    assert index.search("port", 2)[0].source == "port.md"


def test_a_write_that_outlives_its_deadline_keeps_the_index_locked_until_it_ends(tmp_path: Path) -> None:
    index = quick(tmp_path / "idx", timeout=0.2, lock_timeout=0.5)
    add(index, "a.md", "# A\n\nAlpha.")
    stall = Stall(index, "upsert")
    with pytest.raises(IndexUnavailableError):
        add(index, "b.md", "# B\n\nBeta.")  # a write call gets 5x the deadline: 1 s
    other = DocumentIndex(path=tmp_path / "idx", collection="docs", embeddings=BagOfWordsEmbeddings(), lock_timeout=0.5)
    with pytest.raises(Exception, match="locked"):
        add(other, "c.md", "# C\n\nGamma.")  # nobody writes while the stuck write may still land
    stall.release.set()
    assert stall.finished.wait(30)  # the stuck write has landed; its worker lets go of the lock just after
    after = DocumentIndex(path=tmp_path / "idx", collection="docs", embeddings=BagOfWordsEmbeddings(), lock_timeout=30)
    add(after, "c.md", "# C\n\nGamma.")
    assert {"a.md", "b.md", "c.md"} <= {d.source for d in after.documents()}
