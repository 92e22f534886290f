"""A PostgreSQL error while the store is in use (a statement cancelled while it waits on a lock, the statement
timeout, a dropped connection) is a TraceStoreError saying what failed and what to do: it reached the CLI as the
raw driver error ("error: QueryCanceled: canceling statement due to user request"). Real server on loopback; the
statement is cancelled with pg_cancel_backend while it waits on a table lock another connection holds."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from app.cli.main import main
from app.traces import TraceLabel, TraceStore, TraceStoreError, open_trace_backend
from tests.app.test_traces import record
from tests.fake_service import make_service
from tests.postgres_server import PASSWORD

WAITING = (
    "SELECT pid FROM pg_stat_activity WHERE application_name = 'guarded-rag' AND wait_event_type = 'Lock' "
    "AND datname = current_database()"
)


@contextmanager
def traces_locked(url: str) -> Iterator[psycopg.Connection[Any]]:
    """The traces table locked by another connection (every read and write of it waits), until the block ends."""
    with psycopg.connect(url) as holder:
        holder.execute("LOCK TABLE traces IN ACCESS EXCLUSIVE MODE")
        yield holder
        holder.rollback()


def cancelled_while_waiting(url: str, call: Callable[[], Any]) -> Any:
    """Run `call` while the traces table is locked, cancel its statement once it waits on the lock; what it returned
    or raised (the exception itself)."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    with traces_locked(url), psycopg.connect(url, autocommit=True) as admin:
        worker = threading.Thread(target=run)
        worker.start()
        deadline = time.monotonic() + 20
        pids: list[Any] = []
        while not pids and time.monotonic() < deadline and worker.is_alive():
            pids = admin.execute(WAITING).fetchall()
            time.sleep(0.05)
        assert pids, f"the call never waited on the lock: {outcome}"
        admin.execute("SELECT pg_cancel_backend(%s)", (pids[0][0],))
        worker.join(20)
    assert not worker.is_alive() and len(outcome) == 1
    return outcome[0]


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[TraceStore]:
    store = TraceStore(open_trace_backend(pg_url))
    store.save(record(1))
    assert store.flush(timeout=30)
    try:
        yield store
    finally:
        store.close()
        store.close_backend()


@pytest.mark.parametrize(
    ("what", "call"),
    [
        ("listing traces", lambda s: s.list()),
        ("reading a trace", lambda s: s.get("t0001")),
        ("counting traces", lambda s: s.count()),
        ("saving a label", lambda s: s.backend.save_label("t0001", _label())),
    ],
    ids=["list", "get", "count", "label"],
)
def test_a_cancelled_statement_is_a_trace_store_error_saying_what_to_do(pg_url: str, pg_store: TraceStore, what, call):
    raised = cancelled_while_waiting(pg_url, lambda: call(pg_store))
    assert isinstance(raised, TraceStoreError), repr(raised)
    message = str(raised)
    assert message.startswith(f"{what} in the PostgreSQL trace store at postgresql://postgres@127.0.0.1:")
    assert "canceling statement due to user request" in message and "try again" in message
    assert PASSWORD not in message and "\n" not in message
    assert isinstance(raised.__cause__, psycopg.errors.QueryCanceled)
    assert pg_store.count() == 1  # the pool replaced nothing it needed: the store still works


def test_an_import_cancelled_says_nothing_was_imported(pg_url: str, pg_store: TraceStore, tmp_path: Path):
    export = tmp_path / "t.jsonl"
    assert pg_store.export_jsonl(export) == 1
    raised = cancelled_while_waiting(pg_url, lambda: pg_store.import_jsonl(export))
    assert isinstance(raised, TraceStoreError) and "QueryCanceled" not in str(raised)
    assert str(raised).startswith("importing traces (nothing was imported) in the PostgreSQL trace store")


@pytest.mark.parametrize(
    "argv",
    [["traces", "list"], ["traces", "show", "t0001"], ["traces", "label", "t0001", "--outcome", "--correct"]],
    ids=["list", "show", "label"],
)
def test_the_cli_prints_one_clear_line_not_the_driver_error(
    tmp_path: Path, pg_url: str, argv: list[str], capsys: pytest.CaptureFixture[str]
):
    svc, _ = make_service(tmp_path, ingest=False, trace_store=pg_url)
    svc.traces.save(record(1))
    assert svc.traces.flush(timeout=30)
    try:
        code = cancelled_while_waiting(pg_url, lambda: main(argv, io.StringIO(), build=lambda s: svc))
    finally:
        svc.traces.close_backend()
    err = capsys.readouterr().err
    assert code == 1, err
    assert err.startswith("error: ") and "in the PostgreSQL trace store at postgresql://postgres@127.0.0.1:" in err
    assert (
        "QueryCanceled" not in err
        and "TraceStoreError" not in err
        and "Traceback" not in err
        and "try again" in err
        and PASSWORD not in err
    )


def _label() -> TraceLabel:
    return TraceLabel(target="outcome", attempt=1, decision="answered", correct=True, created_at=datetime.now(UTC))
