"""`guarded-rag doctor` on the trace store and the OpenTelemetry export: where traces go and their schema, a
store that cannot be read is a PROBLEM with its reason (not a traceback), whether export is on and why, and
with export on, a probe span that cannot arrive is a PROBLEM that names the endpoint and counts lost spans."""

from __future__ import annotations

import io
from pathlib import Path

from app import GuardedRAG
from app.cli.main import main
from app.doctor import run_doctor
from app.fakes import BagOfWordsEmbeddings, ScriptedModelFactory
from app.models.backend import BackendChoice
from app.settings import Settings
from app.telemetry import TelemetryStatus
from app.traces import TraceStoreError, WriterStatus
from tests.app.test_traces import refused
from tests.fake_service import embedded_choice, make_service
from tests.ollama_double import closed_port


def doctor(svc) -> tuple[int, str]:
    # These tests read the trace and telemetry checks of a service on scripted fakes; the embedded-generation
    # check (a real llama.cpp in a child process) has its own tests in tests/app/embedded/test_selftest.py.
    svc.embedded_generation_problem = lambda: None
    out = io.StringIO()
    code = main(["doctor"], out, build=lambda settings: svc)
    return code, out.getvalue()


def line(output: str, name: str) -> str:
    return next(row for row in output.splitlines() if f"] {name}:" in row)


def test_doctor_says_where_traces_are_and_that_export_is_off(tmp_path: Path):
    svc, _ = make_service(tmp_path)
    svc.ask("Is this plan reasonable?")
    code, out = doctor(svc)
    assert code == 0
    assert line(out, "traces") == f"[ok] traces: 1 stored in {tmp_path / 'home' / 'traces.sqlite3'} (schema v3)"
    assert line(out, "telemetry") == "[ok] telemetry: export off: OTEL_EXPORTER_OTLP_ENDPOINT is not set"


def test_doctor_counts_the_trace_records_the_backend_refused(tmp_path: Path):
    svc, _ = make_service(tmp_path)
    svc.traces.save(refused(1))  # kept in the dead-letter file, not retried
    svc.traces.save(refused(2))
    svc.ask("Is this plan reasonable?")
    code, out = doctor(svc)
    assert code == 0
    assert line(out, "traces").endswith(
        f"; 2 record(s) the backend refused are kept in {tmp_path / 'home' / 'traces-rejected.jsonl'}"
    )


def test_an_unreachable_otlp_endpoint_is_a_problem_with_the_reason(tmp_path: Path):
    endpoint = f"http://127.0.0.1:{closed_port()}"
    svc, _ = make_service(tmp_path, otel_endpoint=endpoint, otel_timeout=1.0)
    r = svc.ask("Is this plan reasonable?")
    assert r.status == "clarify"  # the request is not affected
    code, out = doctor(svc)
    telemetry = line(out, "telemetry")
    assert code == 1 and telemetry.startswith(
        f"[PROBLEM] telemetry: exporting to {endpoint}/v1/traces as service.name=guarded-rag"
    )
    assert (
        "probe span FAILED: " in telemetry
        and "0 dropped with the queue (16384) full" in telemetry
        and "Connection refused" in telemetry
    )
    assert "phoenix serve" in out  # the fix line
    svc.close()


def test_a_trace_store_that_cannot_be_read_is_a_problem_not_a_traceback():
    def broken() -> int:
        raise RuntimeError("the PostgreSQL trace store at postgresql://rag@db:5432/traces is unreachable")

    settings = Settings(trace_store="postgresql://rag:secret@db:5432/traces")
    report = run_doctor(
        settings=settings,
        choice=BackendChoice(kind="embedded", model="m", reason="test", fix=None, host="http://127.0.0.1:11434"),
        index_stats=lambda: (_ for _ in ()).throw(RuntimeError("no index")),
        trace_count=broken,
        trace_status=lambda: WriterStatus(
            location="postgresql://rag@db:5432/traces", pending=3, written=0, failures=2, failing=True, last_error="x"
        ),
        telemetry=lambda: TelemetryStatus(enabled=False, detail="export off: OTEL_EXPORTER_OTLP_ENDPOINT is not set"),
    )
    traces = next(c for c in report.checks if c.name == "traces")
    assert not traces.ok and "unreachable" in traces.detail and "secret" not in traces.detail
    assert traces.fix == "start the trace database server, or correct GUARDED_RAG_TRACE_DB"


def test_a_local_trace_file_whose_writes_fail_gets_a_fix_and_a_healthy_one_none(tmp_path: Path):
    def traces_check(failing: bool):
        report = run_doctor(
            settings=Settings(home=tmp_path),
            choice=BackendChoice(kind="embedded", model="m", reason="test", fix=None, host="http://127.0.0.1:11434"),
            index_stats=lambda: (_ for _ in ()).throw(RuntimeError("no index")),
            trace_count=lambda: 4,
            trace_status=lambda: WriterStatus(
                location=str(tmp_path / "traces.sqlite3"),
                pending=2 if failing else 0,
                written=4,
                failures=3 if failing else 0,
                failing=failing,
                last_error="disk I/O error" if failing else None,
            ),
        )
        return next(c for c in report.checks if c.name == "traces")

    failing, healthy = traces_check(True), traces_check(False)
    assert not failing.ok and "3 failed attempts (last: disk I/O error)" in failing.detail
    assert failing.fix == (
        f"mend what keeps {tmp_path / 'traces.sqlite3'} from opening or being written (above), "
        "or point GUARDED_RAG_TRACE_DB at another file"
    )
    assert healthy.ok and healthy.fix is None


def test_a_trace_store_that_will_not_open_is_one_failed_check_among_the_others(tmp_path: Path, monkeypatch):
    damaged = tmp_path / "traces.sqlite3"
    damaged.write_bytes(bytes(range(256)) * 64)  # not SQLite, as after a bad copy
    monkeypatch.setenv("GUARDED_RAG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GUARDED_RAG_TRACE_DB", str(damaged))
    built: list[str | None] = []

    def build(settings: Settings) -> GuardedRAG:
        built.append(settings.trace_store)
        svc = GuardedRAG(settings, embeddings=BagOfWordsEmbeddings(), factory=ScriptedModelFactory(), choose=embedded_choice)
        svc.embedded_generation_problem = lambda: None  # type: ignore[method-assign]
        return svc

    out = io.StringIO()
    code = main(["doctor"], out, build=build)
    text = out.getvalue()
    assert code == 1
    assert built[0] == str(damaged) and built[1] != str(damaged)  # the second build ran on a throwaway store
    assert not Path(built[1]).exists()  # ... which is gone afterwards
    traces = line(text, "traces")
    assert traces.startswith(f"[PROBLEM] traces: cannot open the trace database {damaged}: file is not a database")
    assert f"mv {damaged} {damaged}.damaged" in traces
    assert line(text, "backend").startswith("[ok] backend: embedded")  # the other checks still ran
    assert line(text, "index backend").startswith("[ok] index backend: local directory")
    # the fix names the user's store, never the throwaway one
    assert (
        f"       fix: mend what keeps {damaged} from opening or being written (above), or point GUARDED_RAG_TRACE_DB at another file"
        in text
    )
    assert built[1] not in text
    assert damaged.read_bytes()[:4] == bytes(range(4))  # the user's file is left as it was


def test_when_even_a_throwaway_trace_store_fails_both_errors_are_one_line_each(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("GUARDED_RAG_HOME", str(tmp_path / "home"))

    def build(settings: Settings) -> GuardedRAG:
        raise TraceStoreError(f"cannot open the trace database {settings.trace_db}: disk I/O error")

    code = main(["doctor"], io.StringIO(), build=build)
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    first, second = err.splitlines()
    assert first == f"error: cannot open the trace database {tmp_path / 'home' / 'traces.sqlite3'}: disk I/O error"
    assert second.startswith("error: the other checks could not run either: cannot open the trace database ")
