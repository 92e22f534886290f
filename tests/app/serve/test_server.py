"""Serving defaults: loopback unless a token (or --insecure) says otherwise; the `serve` command."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from app import ExposureError, ServeOptions
from app.cli.main import main
from app.serve import check_exposure, is_loopback
from tests.fake_service import make_service, reopened


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("localhost", True), ("0.0.0.0", False), ("10.0.0.5", False), ("myhost", False)],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_exposure_needs_a_token_or_insecure(tmp_path: Path):
    svc, _ = make_service(tmp_path, ingest=False)
    check_exposure(ServeOptions(), svc)
    with pytest.raises(ExposureError, match="GUARDED_RAG_API_TOKEN"):
        check_exposure(ServeOptions(host="0.0.0.0"), svc)
    check_exposure(ServeOptions(host="0.0.0.0", insecure=True), svc)
    token, _ = make_service(tmp_path / "t", ingest=False, api_token="s3cret")
    check_exposure(ServeOptions(host="0.0.0.0"), token)


def test_serve_command_refuses_to_expose_without_a_token(tmp_path: Path, capsys):
    svc, _ = make_service(tmp_path, ingest=False)
    code = main(["serve", "--host", "0.0.0.0", "--port", "0"], io.StringIO(), build=lambda _s: svc)
    assert code == 2 and "refusing to listen on 0.0.0.0" in capsys.readouterr().err
    code = main(["serve", "--port", "99999"], io.StringIO(), build=lambda _s: svc)
    assert code == 2


def test_a_port_already_taken_is_one_clear_line_before_anything_starts(tmp_path: Path, capsys):
    """Before: uvicorn logged "Application startup complete", then "[Errno 98] error while attempting to bind",
    then a shutdown, and exited 3. Now the port is bound first, and the command says what to do."""
    import socket

    svc, _ = make_service(tmp_path, ingest=False)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["serve", "--port", str(port)], io.StringIO(), build=lambda _s: svc)
    err = capsys.readouterr().err
    assert code == 2
    assert (
        f"error: cannot listen on 127.0.0.1:{port}: another server is listening there (stop it, or choose another --port)" in err
    )
    assert "startup" not in err and "Traceback" not in err


def test_profiles_are_served_as_models_of_their_own(serve, tmp_path: Path):
    import httpx
    import ollama

    from tests.app.serve.conftest import GOOD, Q

    run = serve([GOOD, GOOD], profiles={"one-chunk": {"top_k": 1, "redact_questions": True}})
    client = ollama.Client(host=run.url)
    assert [m.model for m in client.list().models] == ["guarded-rag:latest", "guarded-rag:one-chunk"]
    assert client.chat(model="guarded-rag:one-chunk", messages=[{"role": "user", "content": Q}]).message.content.startswith(
        "Ollama"
    )
    body = httpx.post(run.url + "/v1/ask", json={"question": Q, "model": "guarded-rag:latest"}).json()
    default, profiled = run.svc.traces.get(body["trace_id"]), run.svc.traces.list()[-1]
    profiled = run.svc.traces.get(profiled.trace_id)
    search = next(e for e in profiled.events if e.name == "search")
    assert "top_k=1" in search.reason and profiled.question.startswith("[redacted")  # the profile's settings
    assert default.question == Q and "top_k=4" in next(e for e in default.events if e.name == "search").reason
    assert httpx.get(run.url + f"/v1/traces/{profiled.trace_id}").status_code == 200
    with pytest.raises(ollama.ResponseError):
        client.chat(model="guarded-rag:other", messages=[{"role": "user", "content": Q}])


def test_a_profiles_trace_is_there_right_after_its_answer(serve):
    """Found by a walkthrough: a profile had a trace store of its own on the same database, whose writer queue
    GET /v1/traces/{id} did not wait for, so 9 of 25 fresh traces of a profile were 404s."""
    import httpx

    from tests.app.serve.conftest import OFF_CORPUS

    run = serve(profiles={"strict": {"top_k": 2}})
    profile = run.app.state.served.services["guarded-rag:strict"]
    assert profile.traces is run.svc.traces  # one store, one writer, one read barrier
    for _ in range(10):
        r = httpx.post(run.url + "/v1/ask", json={"question": OFF_CORPUS, "model": "guarded-rag:strict"})
        assert httpx.get(run.url + f"/v1/traces/{r.headers['x-trace-id']}").status_code == 200


def test_a_derived_service_shares_the_trace_store_only_for_the_same_database(tmp_path: Path):
    from tests.fake_service import make_service

    svc, _ = make_service(tmp_path)
    same = svc.derive(top_k=2)
    elsewhere = svc.derive(trace_db=str(tmp_path / "other.sqlite3"))
    assert same.traces is svc.traces and elsewhere.traces is not svc.traces
    same.close()  # the store is its parent's: it stays open
    assert svc.ask("明朝哪一年迁都北京？").trace_id and svc.traces.count() == 1
    elsewhere.close()


def test_serve_command_checks_profiles(tmp_path: Path, capsys):
    svc, _ = make_service(tmp_path, ingest=False)
    assert main(["serve", "--profile", "nofile"], io.StringIO(), build=lambda _s: reopened(svc)) == 2
    assert "expected NAME=FILE.toml" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("top_k = 0\n", encoding="utf-8")
    assert main(["serve", "--profile", f"strict={bad}"], io.StringIO(), build=lambda _s: reopened(svc)) == 2
    assert capsys.readouterr().err.startswith(f"error: invalid configuration: top_k in {bad}=0: Input should be greater")
    bad.write_text("topk = 2\n", encoding="utf-8")  # one line naming the key and the setting meant, no pydantic dump
    assert main(["serve", "--profile", f"strict={bad}"], io.StringIO(), build=lambda _s: reopened(svc)) == 2
    assert capsys.readouterr().err == f"error: invalid configuration: topk in {bad} is not a setting (did you mean top_k?)\n"
    good = tmp_path / "good.toml"
    good.write_text("top_k = 2\n", encoding="utf-8")
    assert main(["serve", "--profile", f"Bad Name={good}"], io.StringIO(), build=lambda _s: reopened(svc)) == 2
    assert "invalid profile name" in capsys.readouterr().err
