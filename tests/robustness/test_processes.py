"""Several processes on one home: concurrent writers and askers, two real `guarded-rag ingest` at once, kill -9 of a
writer and of an asker mid-work. Afterwards: no corruption (the integrity check), every trace kept, recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app import TraceStore
from app.documents.integrity import check_integrity
from app.documents.writelock import WriteLock
from tests.robustness.conftest import ROOT, finish, start
from tests.robustness.worker import service

pytestmark = pytest.mark.robustness
TYPED = {"answered", "clarify", "refused", "fallback"}


def test_writers_and_askers_in_five_processes_corrupt_nothing_and_lose_no_trace(tmp_path: Path) -> None:
    home = tmp_path / "home"
    seed = home / "docs" / "seed"
    seed.mkdir(parents=True)
    (seed / "port.md").write_text("# Port\n\nOllama listens on port 11434 by default.\n", encoding="utf-8")
    service(home).ingest([seed])  # an index to ask over before the writers start
    writers = [start("ingest", str(home), f"w{i}", "3", "12") for i in range(3)]
    askers = [start("ask", str(home), "25") for _ in range(2)]
    asked: list[dict] = []
    for proc in askers:
        code, lines, err = finish(proc)
        assert code == 0, err[-2000:]
        asked += lines
    rounds: list[dict] = []
    for proc in writers:
        code, lines, err = finish(proc)
        assert code == 0, err[-2000:]
        rounds += lines
    assert len(asked) == 50 and {a["status"] for a in asked} <= TYPED, [a for a in asked if a["status"] not in TYPED][:3]
    assert len(rounds) == 9 and all(r["problems"] == 0 for r in rounds)
    assert any(r["waited"] for r in rounds), "three writers never waited for each other: the lock was not exercised"
    store = TraceStore(home / "traces.sqlite3")
    assert store.count() == 50 and all(store.get(a["trace_id"]) is not None for a in asked)
    integrity = check_integrity(home / "index", "docs")
    assert integrity.ok and integrity.chunks > 0, integrity.summary
    docs = service(home).documents()
    assert len(docs) == 37 and all(d.file_sha for d in docs)  # the seed + 3 writers x 12 notes, each complete


def test_two_real_cli_ingests_at_once_both_succeed_and_leave_a_healthy_index(tmp_path: Path) -> None:
    """The reported bug: the Streamlit upload and `guarded-rag ingest` in a terminal at the same time."""
    docs = tmp_path / "docs"  # five of the sample documents: enough writing to overlap, little embedding time
    docs.mkdir()
    for source in sorted((ROOT / "data" / "docs").glob("*.md"))[:5]:
        (docs / source.name).write_bytes(source.read_bytes())
    env = {
        **os.environ,
        "GUARDED_RAG_HOME": str(tmp_path / "home"),
        "GUARDED_RAG_DOCS_DIR": str(docs),
        "GUARDED_RAG_THREADS": "1",
        "PYTHONPATH": str(ROOT),
        # After ingesting, the CLI builds the input detectors; from the team's sets alone (no third-party sets)
        # that takes seconds instead of a minute per process, and the detectors are not what is tested here.
        "GUARDED_RAG_SHARED_DATA": str(tmp_path / "no-shared-data"),
    }
    cli = [str(Path(sys.executable).parent / "guarded-rag"), "ingest", "--json"]
    procs = [
        subprocess.Popen(cli, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-1500:] for o in outs]
    # The lock is taken before the embedder loads, so the two runs overlap: one of them must have waited.
    assert sum("is writing the index, waiting" in err for _, err in outs) == 1, [err[-500:] for _, err in outs]
    doctor = subprocess.run(
        [str(Path(sys.executable).parent / "guarded-rag"), "doctor"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert "[ok] index integrity:" in doctor.stdout, doctor.stdout + doctor.stderr
    assert "from 5 documents" in doctor.stdout, doctor.stdout


def test_processes_opening_a_new_index_at_the_same_moment_all_succeed(tmp_path: Path) -> None:
    """The race behind a flaky CI run: two processes opening a home that has no index yet both ran Chroma's schema
    migrations and one failed ("table collections already exists"; measured without the open lock: 2 of 20
    processes in pairs like these). Twelve fresh homes, two processes each, released together once each has built
    its service. A race: on the old code this failed 2 runs of 2 here; tests/app/documents/test_store.py pins
    the lock itself deterministically."""
    failures: list[str] = []
    for trial in range(12):
        home = tmp_path / f"home{trial}"
        procs = [start("open", str(home), stdin=True) for _ in range(2)]
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().startswith('{"ready"'), proc.communicate()[1][-2000:]
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            code, lines, err = finish(proc, timeout=120)
            if code != 0 or lines != [{"documents": 0}]:
                failures.append(f"home{trial}: exit {code}, {lines}, {err.strip().splitlines()[-1:]}")
    assert not failures, failures


def test_a_writer_killed_mid_ingest_releases_the_lock_and_the_next_ingest_converges(tmp_path: Path) -> None:
    home = tmp_path / "home"
    docs = home / "docs" / "many"
    service(home).ingest([])
    proc = start("ingest", str(home), "many", "50", "60")
    assert proc.stdout is not None
    proc.stdout.readline()  # one round done: the next rounds rewrite and re-index every note
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    lock = WriteLock(home / "index", timeout=1)
    assert lock.acquire("test", timeout=1)  # the OS released the dead writer's lock
    lock.release(True)
    svc = service(home)
    report = svc.ingest([docs])
    assert not report.problems
    assert {d.source for d in svc.documents()} == {f"many/many-{i}.md" for i in range(60)}
    assert svc.ingest([docs]).chunks_added == 0  # converged: a second run finds everything unchanged
    # No corruption after the kill: every stored embedding readable, exact lookups of a sample hit. Chunks that
    # no search reaches are not asserted here: measured, Chroma's vector index also loses 3-10 of these 120 chunks
    # after two ordinary update rounds in one process, without any kill (the check reports it, with the repair).
    found = check_integrity(home / "index", "docs")
    assert found.checked and found.chunks == found.listed == found.vectors_read == 120, found.summary
    assert found.lookup_misses == 0 and not any("unreadable" in p for p in found.problems), found.summary


def test_an_asker_killed_mid_run_leaves_only_whole_traces(tmp_path: Path) -> None:
    home = tmp_path / "home"
    svc = service(home)
    (home / "docs").mkdir(parents=True, exist_ok=True)
    (home / "docs" / "port.md").write_text("# Port\n\nOllama listens on port 11434 by default.", encoding="utf-8")
    svc.ingest([home / "docs"])
    # "durable": a line is printed once its trace is written. Traces are written by a background thread, so
    # without it a kill -9 also loses the traces still queued (by design: the request does not wait for the
    # write); what this test checks is that the kill leaves the store whole and loses nothing written.
    proc = start("ask", str(home), "100000", "durable")
    assert proc.stdout is not None
    done = [proc.stdout.readline() for _ in range(20)]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    store = TraceStore(home / "traces.sqlite3")
    records = store.list()
    assert len(records) >= len(done)
    for record in records:
        full = store.get(record.trace_id)
        assert full is not None and full.events and full.events[-1].name in {"result", "error"} and full.result["status"]
    assert service(home).ask("Which port does Ollama listen on by default?").status in TYPED  # still usable
