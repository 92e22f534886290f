"""A SQLite trace file that is damaged, locked past the busy timeout or out of reach while the app runs is a
TraceStoreError saying what failed, which file and what to do, on every read, a label and an import; the CLI and
doctor print that sentence. Before, these reached users raw: 'traces list' printed "error: DatabaseError:
database disk image is malformed" and the Traces page showed the generic "This page hit a problem" notice, as
PostgreSQL's driver errors did before they were wrapped (test_hunt_driver_errors.py)."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.cli.main import main
from app.traces import SqliteTraceBackend, TraceLabel, TraceStore, TraceStoreError, sqlite_file
from tests.app.test_traces import record
from tests.fake_service import make_service

CALLS: dict[str, Callable[[SqliteTraceBackend], Any]] = {
    "listing traces": lambda b: b.list(),
    "reading a trace": lambda b: b.get("t0001"),
    "reading traces": lambda b: b.get_many(["t0001"]),
    "counting traces": lambda b: b.count(),
    "saving a label": lambda b: b.save_label("t0001", _label()),
}


def _label() -> TraceLabel:
    return TraceLabel(target="outcome", attempt=1, decision="answered", correct=True, created_at=datetime.now(UTC))


def _filled(path: Path) -> SqliteTraceBackend:
    backend = SqliteTraceBackend(path)
    backend.save_many([record(i, events=20) for i in range(1, 41)])
    backend.release()
    return backend


def _damage_in_place(path: Path) -> None:
    """Overwrite the start of every page past the first two (the schema and the version table stay readable, so
    the file still opens): the same file, its rows unreadable, as after a disk fault or a partial copy over it."""
    with path.open("r+b") as f:
        size = path.stat().st_size
        for offset in range(8192, size, 4096):
            f.seek(offset)
            f.write(b"\xff" * 100)


def _replace_with_junk(path: Path) -> None:
    """Another file at the path (a bad backup copied back in while the app runs): not a database at all."""
    for part in path.parent.glob(path.name + "*"):
        part.unlink()
    path.write_bytes(bytes(range(256)) * 64)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Another process holding the file's lock (exclusive locking mode: readers wait too) until the block ends."""
    with closing(sqlite3.connect(path, isolation_level=None)) as holder:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        yield
        holder.execute("ROLLBACK")


def _raised(call: Callable[[], Any]) -> BaseException:
    with pytest.raises(Exception) as caught:
        call()
    return caught.value


@pytest.mark.parametrize("what", list(CALLS))
@pytest.mark.parametrize(
    ("damage", "words"),
    [(_damage_in_place, "database disk image is malformed"), (_replace_with_junk, "file is not a database")],
    ids=["malformed", "replaced"],
)
def test_a_damaged_file_is_a_trace_store_error_naming_the_way_out(tmp_path: Path, what: str, damage, words: str):
    path = tmp_path / "traces.sqlite3"
    backend = _filled(path)
    damage(path)
    raised = _raised(lambda: CALLS[what](backend))
    assert isinstance(raised, TraceStoreError), repr(raised)
    message = str(raised)
    assert message.startswith(f"{what} in the SQLite trace file {path} failed: {words}; "), message
    assert f"mv {path} {path}.damaged;" in message and "\n" not in message
    assert isinstance(raised.__cause__, sqlite3.DatabaseError)


def test_an_import_into_a_damaged_file_says_nothing_was_imported(tmp_path: Path):
    path = tmp_path / "traces.sqlite3"
    _filled(path)
    export = tmp_path / "t.jsonl"
    store = TraceStore(path, background=False)
    assert store.export_jsonl(export) == 40
    _damage_in_place(path)
    raised = _raised(lambda: store.import_jsonl(export))
    assert isinstance(raised, TraceStoreError)
    assert str(raised).startswith(f"importing traces (nothing was imported) in the SQLite trace file {path} failed: ")
    assert "move it aside" in str(raised)


@pytest.mark.parametrize("what", ["listing traces", "counting traces", "saving a label"])
def test_a_file_locked_past_the_busy_timeout_says_to_try_again(tmp_path: Path, monkeypatch, what: str):
    monkeypatch.setattr(sqlite_file, "BUSY_S", 0.2)  # 30 s in the app
    path = tmp_path / "traces.sqlite3"
    backend = _filled(path)
    with _locked(path):
        raised = _raised(lambda: CALLS[what](backend))
    assert isinstance(raised, TraceStoreError), repr(raised)
    message = str(raised)
    assert message.startswith(f"{what} in the SQLite trace file {path} failed: database is locked; "), message
    assert "another process held the file's lock for longer than 0.2 s" in message and "try again" in message
    assert "move it aside" not in message  # a lock is not damage
    assert backend.count() == 40  # once the lock is gone, reads work again


def test_a_file_that_cannot_be_opened_says_to_check_its_permissions(tmp_path: Path):
    path = tmp_path / "traces.sqlite3"
    backend = _filled(path)
    for part in path.parent.glob(path.name + "*"):
        part.unlink()
    path.mkdir()  # something SQLite cannot open where the file was, as a file this user may not read
    raised = _raised(backend.count)
    assert isinstance(raised, TraceStoreError), repr(raised)
    message = str(raised)
    assert message.startswith(f"counting traces in the SQLite trace file {path} failed: unable to open database file; ")
    assert "may read and write them" in message


@pytest.mark.parametrize(
    ("argv", "what"),
    [
        (["traces", "list"], "listing traces"),
        (["traces", "show", "t0001"], "reading a trace"),
        (["traces", "export", "--jsonl", "{tmp}/out.jsonl"], "listing traces"),
        (["traces", "label", "t0001", "--outcome", "--correct"], "reading a trace"),
    ],
    ids=["list", "show", "export", "label"],
)
def test_the_cli_prints_the_sentence_not_the_sqlite_error(
    tmp_path: Path, argv: list[str], what: str, capsys: pytest.CaptureFixture[str]
):
    svc, _ = make_service(tmp_path, ingest=False)
    path = svc.settings.trace_db
    _filled(path)
    _damage_in_place(path)
    code = main([a.replace("{tmp}", str(tmp_path)) for a in argv], io.StringIO(), build=lambda s: svc)
    err = capsys.readouterr().err
    assert code == 1, err
    assert err.startswith(f"error: {what} in the SQLite trace file {path} failed: database disk image is malformed; ")
    assert "DatabaseError" not in err and "Traceback" not in err and err.count("\n") == 1, err


def test_doctor_shows_the_whole_sentence(tmp_path: Path):
    svc, _ = make_service(tmp_path, ingest=False)
    svc.embedded_generation_problem = lambda: None  # type: ignore[method-assign]  # a real llama.cpp: tested elsewhere
    path = svc.settings.trace_db
    _filled(path)
    _damage_in_place(path)
    out = io.StringIO()
    code = main(["doctor"], out, build=lambda s: svc)
    traces = next(row for row in out.getvalue().splitlines() if "] traces:" in row)
    assert code == 1
    # the whole sentence, once: before, "cannot read FILE: database disk image is malformed", without the way out
    assert traces == (
        f"[PROBLEM] traces: counting traces in the SQLite trace file {path} failed: database disk image is malformed; "
        f"the file is damaged or is not a trace database: move it aside (mv {path} {path}.damaged; sqlite3's "
        ".recover may get traces back from it) and the next run starts a new one, or point GUARDED_RAG_TRACE_DB at "
        "another file"
    ), traces
