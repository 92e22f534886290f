"""A PostgreSQL server that stops answering without closing its connections (a frozen host or process: here
SIGSTOP on the postmaster and every backend) still acknowledges TCP and keepalives, and its statement timeout
runs on the server: a read blocked until the server resumed (75 s+ seen). Reads and writes now give up after
the backend's client-side deadline with one TraceStoreError sentence, and work again once the server resumes."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import psycopg
import pytest

from app.traces import TraceStoreError
from app.traces import postgres as pg_backend
from app.traces.postgres import PostgresTraceBackend
from tests.app.test_traces import record
from tests.postgres_server import PostgresServer


def _server_pids(postgres: PostgresServer) -> list[int]:
    """The postmaster and every process it started (backends, checkpointer, ...)."""
    postmaster = int((postgres.data / "postmaster.pid").read_text(encoding="utf-8").split()[0])
    pids = [postmaster]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text(encoding="utf-8")
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
                pids.append(int(entry.name))
    return pids


@contextmanager
def _frozen(postgres: PostgresServer) -> Iterator[None]:
    pids = _server_pids(postgres)
    try:
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        yield
    finally:
        for pid in pids:
            with suppress(OSError):
                os.kill(pid, signal.SIGCONT)


def _outcome(call: Callable[[], Any], wait_s: float) -> tuple[str, float]:
    """What `call` did within `wait_s` (in a thread: before the fix it blocked until the server resumed)."""
    found: dict[str, str] = {}
    started = time.monotonic()

    def run() -> None:
        try:
            found["result"] = repr(call())
        except TraceStoreError as exc:
            found["error"] = str(exc)
        except Exception as exc:  # reported as the test's failure
            found["other"] = repr(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(wait_s)
    if thread.is_alive():
        return "still waiting", time.monotonic() - started
    return next(iter(found.items()))[0] + ": " + next(iter(found.values())), time.monotonic() - started


def test_reads_and_writes_on_a_frozen_server_give_up_with_a_sentence(postgres: PostgresServer, pg_url: str):
    backend = PostgresTraceBackend(pg_url, timeout=3.0, read_timeout=2.0, write_timeout=2.0)
    try:
        backend.save_many([record(1)])
        assert backend.count() == 1
        with _frozen(postgres):
            for call in (backend.count, lambda: backend.get("t0001"), lambda: backend.save_many([record(2)])):
                said, took = _outcome(call, wait_s=20)
                assert said.startswith("error: the PostgreSQL trace store at postgresql://postgres@127.0.0.1:"), said
                assert took < 15
                assert "did not answer within" in said or "unreachable" in said
                assert "\n" not in said
        backend.save_many([record(3)])  # the broken connections were dropped: the store works again
        assert backend.count() == 2 and backend.get("t0003") is not None
    finally:
        backend.close()


def test_a_statement_past_the_deadline_is_abandoned_and_its_connection_dropped(pg_url: str):
    """A connection already borrowed whose statement gets no answer (here: it waits on a table lock another
    session holds, which the server's 30 s statement timeout would end only later) fails after the deadline."""
    backend = PostgresTraceBackend(pg_url, timeout=3.0, read_timeout=2.0, write_timeout=2.0)
    try:
        backend.save_many([record(1)])
        with psycopg.connect(pg_url) as holder:
            holder.execute("LOCK TABLE traces IN ACCESS EXCLUSIVE MODE")
            for call in (backend.count, lambda: backend.save_many([record(2)])):
                said, took = _outcome(call, wait_s=20)
                assert said.startswith("error: the PostgreSQL trace store at postgresql://postgres@127.0.0.1:"), said
                assert "did not answer within 2 s" in said and took < 10, (said, took)
            holder.rollback()
        assert backend.count() == 1 and backend.get("t0001") is not None
    finally:
        backend.close()


@pytest.fixture(autouse=True)
def _needs_signals(postgres: PostgresServer) -> None:
    if not (postgres.data / "postmaster.pid").exists():
        pytest.skip("the test server is not running")


def test_only_a_statement_in_flight_is_bounded_not_the_callers_work_on_results(pg_url: str, monkeypatch: pytest.MonkeyPatch):
    """A long read (the policy lab lists 100k traces with their inputs) is many statements and Python work in
    between: the deadline bounds each statement's wait for the server, not the whole read."""
    backend = PostgresTraceBackend(pg_url, timeout=3.0, read_timeout=1.0, write_timeout=1.0)
    real_record = pg_backend.stored_record

    def slow_record(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.4)  # three records: 1.2 s of work on results, past the 1 s deadline
        return real_record(*args, **kwargs)

    try:
        backend.save_many([record(i) for i in range(3)])
        monkeypatch.setattr(pg_backend, "stored_record", slow_record)
        assert len(backend.list(full=True)) == 3
        assert len(backend.get_many(["t0000", "t0001", "t0002"])) == 3
    finally:
        backend.close()
