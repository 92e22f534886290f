"""export_jsonl read each trace with its own get() (12k traces: 21 s on SQLite, 34 s on PostgreSQL). It reads
a page of traces at a time now (get_many: a few queries per page), on every backend, and writes exactly the
bytes the one-by-one export wrote: same order, same content."""

from __future__ import annotations

import sqlite3
from collections import Counter
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.traces import TraceFilter, TraceStore, open_trace_backend
from app.traces import store as store_module
from app.traces.jsonl import write_export
from tests.app.traces.test_contract import T0, rich
from tests.app.traces.test_policy_lab_store import label, with_inputs


class Spy:
    """The real backend, with every call counted and get_many's page sizes kept."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: Counter[str] = Counter()
        self.pages: list[int] = []

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.real, name)
        if not callable(found):
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            if name == "get_many":
                self.pages.append(len(args[0]))
            return found(*args, **kwargs)

        return counted


def varied(store: TraceStore) -> None:
    """Traces with and without inputs, labels and events, sharing chunk texts, some with equal times."""
    store.save(with_inputs(0, labels=(label("relevance", True), label("outcome", False, decision="answered"))))
    store.save(with_inputs(1))
    store.save(rich(2, events=(), result={}))
    store.save(rich(3, labels=(label("prompt_injection", False, attempt=2),)))
    for i in range(4, 9):
        store.save(rich(i, created_at=T0 + timedelta(seconds=4), session=f"s{i % 2}"))  # ties: id order
    store.save(with_inputs(9, question="换行\n和 \u2028 分隔", created_at=T0 - timedelta(days=400)))


@pytest.fixture
def spied(target: Path | str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(store_module, "_EXPORT_PAGE", 3, raising=False)  # several pages, one of them short
    spy = Spy(open_trace_backend(target))
    store = TraceStore(spy)  # type: ignore[arg-type]
    try:
        yield store, spy
    finally:
        store.close()
        store.close_backend()


def test_the_export_reads_pages_and_writes_what_the_one_by_one_export_wrote(spied, tmp_path: Path):
    store, spy = spied
    varied(store)
    assert store.flush(timeout=30)
    one_by_one = tmp_path / "before.jsonl"
    write_export(one_by_one, [store.get(r.trace_id) for r in store.list(TraceFilter(limit=100_000))])
    spy.calls.clear()

    assert store.export_jsonl(tmp_path / "after.jsonl") == 10
    assert spy.calls["get"] == 0 and spy.pages == [3, 3, 3, 1]
    assert (tmp_path / "after.jsonl").read_bytes() == one_by_one.read_bytes()


def test_a_filtered_export_keeps_its_filter_and_order(spied, tmp_path: Path):
    store, _ = spied
    varied(store)
    flt = TraceFilter(session="s0", limit=100_000)
    assert store.export_jsonl(tmp_path / "s0.jsonl", flt) == 3
    lines = (tmp_path / "s0.jsonl").read_text(encoding="utf-8").splitlines()
    assert [line[13:18] for line in lines] == ["r0008", "r0006", "r0004"]
    assert lines == [store.get(r.trace_id).model_dump_json() for r in store.list(flt)]  # type: ignore[union-attr]


def test_a_trace_gone_between_listing_and_reading_is_neither_written_nor_counted(tmp_path: Path):
    """Before, the count said how many traces were listed, the file held one fewer ("exported 3" for 2 lines)."""
    path = tmp_path / "t.sqlite3"
    real = open_trace_backend(path)

    class GoneAfterListing(Spy):
        def __getattr__(self, name: str) -> Any:
            found = super().__getattr__(name)
            if name != "list":
                return found

            def list_then_delete(*args: Any, **kwargs: Any) -> Any:
                listed = found(*args, **kwargs)
                with closing(sqlite3.connect(path)) as conn, conn:
                    conn.execute("PRAGMA foreign_keys=ON")
                    conn.execute("DELETE FROM traces WHERE trace_id = ?", (listed[1].trace_id,))
                return listed

            return list_then_delete

    store = TraceStore(GoneAfterListing(real))  # type: ignore[arg-type]
    try:
        for i in range(3):
            store.save(rich(i))
        assert store.export_jsonl(tmp_path / "e.jsonl") == 2
        assert len((tmp_path / "e.jsonl").read_text(encoding="utf-8").splitlines()) == 2
    finally:
        store.close()
