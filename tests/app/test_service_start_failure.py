"""A GuardedRAG whose trace store cannot be opened (a PostgreSQL server down, a schema too new) stops the telemetry
exporter it started just before: it was left running (its export threads) by a service that never existed, once per
attempt (a UI retrying, `serve` building profiles). Found by reading GuardedRAG.__init__."""

from __future__ import annotations

from pathlib import Path

import pytest

import app.service as service_module
from app import GuardedRAG, Settings, TraceStoreError
from app.fakes import BagOfWordsEmbeddings


class FakeTelemetry:
    """Stands in for the OTLP exporter: records whether it was closed; nothing is exported."""

    def __init__(self) -> None:
        self.closed = 0

    def export(self, record: object) -> None:
        raise AssertionError("nothing is exported: no trace was stored")

    def close(self) -> None:
        self.closed += 1


def unopenable(target: object) -> object:
    raise TraceStoreError("cannot reach the trace database: connection refused")


def test_the_telemetry_a_service_started_is_closed_when_its_trace_store_cannot_open(tmp_path: Path, monkeypatch):
    telemetry = FakeTelemetry()
    monkeypatch.setattr(service_module, "start_telemetry", lambda settings: telemetry)
    monkeypatch.setattr(service_module, "open_trace_backend", unopenable)
    with pytest.raises(TraceStoreError, match="connection refused"):
        GuardedRAG(Settings(home=tmp_path / "home"), embeddings=BagOfWordsEmbeddings())
    assert telemetry.closed == 1


def test_telemetry_given_by_another_service_is_left_to_it(tmp_path: Path, monkeypatch):
    shared = FakeTelemetry()
    monkeypatch.setattr(service_module, "open_trace_backend", unopenable)
    with pytest.raises(TraceStoreError):
        GuardedRAG(Settings(home=tmp_path / "home"), embeddings=BagOfWordsEmbeddings(), telemetry=shared)  # type: ignore[arg-type]
    assert shared.closed == 0
