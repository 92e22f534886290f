"""Bug hunt (doctor): each fix line names the setting that actually governs what failed: the traces endpoint when
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is the one in use, GUARDED_RAG_GGUF when it points at no file, the load
timeout when loading the model timed out."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.doctor import run_doctor
from app.doctor_models import ollama_chat_check
from app.documents.index_types import IndexStats
from app.models.backend import BackendChoice
from app.models.factory_types import PreloadResult
from app.settings import Settings
from app.telemetry import TelemetryStatus

STATS = lambda: IndexStats(collection="c", count=1, documents=1, embedder_id="e", dimension=1, path="p")  # noqa: E731
EMBEDDED = BackendChoice(kind="embedded", model="m", reason="test", host="http://127.0.0.1:11434")
OLLAMA = BackendChoice(kind="ollama", model="qwen2.5:3b", reason="test", host="http://127.0.0.1:11434")


@pytest.mark.parametrize(
    ("traces_endpoint", "fixed_by"),
    [
        ("http://127.0.0.1:9/v1/traces", "correct OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;"),
        (None, "correct OTEL_EXPORTER_OTLP_ENDPOINT;"),
    ],
)
def test_a_failing_endpoint_is_fixed_by_the_variable_that_set_it(
    tmp_path: Path, traces_endpoint: str | None, fixed_by: str
) -> None:
    """OTEL_EXPORTER_OTLP_TRACES_ENDPOINT wins over OTEL_EXPORTER_OTLP_ENDPOINT; the fix told the user to correct
    the latter, which changes nothing while the former is set."""
    url = traces_endpoint or "http://127.0.0.1:9/v1/traces"
    settings = Settings(home=tmp_path, otel_endpoint="http://127.0.0.1:9", otel_traces_endpoint=traces_endpoint)
    status = TelemetryStatus(enabled=True, detail=f"exporting to {url}", endpoint=url, service_name="guarded-rag")
    report = run_doctor(
        settings=settings,
        choice=EMBEDDED,
        index_stats=STATS,
        trace_count=lambda: 0,
        telemetry=lambda: status,
        probe=lambda: "ConnectionError: [Errno 111] Connection refused",
    )
    (check,) = [c for c in report.checks if c.name == "telemetry"]
    assert not check.ok and check.fix is not None and fixed_by in check.fix


def test_a_gguf_setting_that_names_no_file_is_fixed_by_correcting_the_setting_not_reinstalling(tmp_path: Path) -> None:
    """GUARDED_RAG_GGUF naming a missing file: the detail said so, and the fix said to reinstall the bundled
    model, which leaves the setting (and the problem) as it was."""
    missing = tmp_path / "models" / "qwen.gguf"
    report = run_doctor(settings=Settings(home=tmp_path, gguf=missing), choice=EMBEDDED, index_stats=STATS, trace_count=lambda: 0)
    (check,) = [c for c in report.checks if c.name == "embedded model"]
    assert not check.ok and "GUARDED_RAG_GGUF points to" in check.detail
    assert check.fix is not None and "GUARDED_RAG_GGUF" in check.fix and str(missing) in check.fix
    assert "pip install" not in check.fix


def test_a_model_load_that_times_out_is_fixed_by_the_load_timeout() -> None:
    """The load runs under GUARDED_RAG_LOAD_TIMEOUT (180 s by default); the fix said to raise GUARDED_RAG_TIMEOUT,
    which the load does not use."""
    settings = Settings()

    def preload() -> PreloadResult:
        return PreloadResult(
            kind="ollama", model="qwen2.5:3b", ok=False, cold=True, duration_s=180.0, error="ReadTimeout: timed out"
        )

    def chat_model(timeout: float):  # type: ignore[no-untyped-def]
        raise AssertionError("no chat after a failed load")

    check = ollama_chat_check(OLLAMA, settings, preload, chat_model)
    assert not check.ok and check.detail == "loading qwen2.5:3b failed: ReadTimeout: timed out"
    assert check.fix is not None and "GUARDED_RAG_LOAD_TIMEOUT" in check.fix and "180" in check.fix
