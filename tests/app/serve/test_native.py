"""guarded-rag's own endpoints and the serving basics: /v1/ask is the `ask --json` contract, /v1/traces,
probes, metrics, the access log, the trace id on the wire, CORS, and a graceful shutdown."""

from __future__ import annotations

import io
import json
import logging
import threading

import httpx
import pytest

from app import CONTRACT_FIELDS
from app.cli.main import main
from app.serve.middleware import ACCESS_LOG
from tests.app.serve.conftest import GOOD, MODEL, OFF_CORPUS, GatedModel, Q


def test_ask_returns_exactly_the_cli_json_contract(serve):
    run = serve([GOOD, GOOD])
    r = httpx.post(run.url + "/v1/ask", json={"question": Q})
    body = r.json()
    assert r.status_code == 200 and body["status"] == "answered" and r.headers["x-trace-id"] == body["trace_id"]
    out = io.StringIO()
    assert main(["ask", Q, "--json"], out, build=lambda _settings: run.svc) == 0
    cli = json.loads(out.getvalue())
    assert set(body) == set(cli) and set(CONTRACT_FIELDS) <= set(body)
    assert {k: v for k, v in body.items() if k not in ("trace_id", "latency_ms")} == {
        k: v for k, v in cli.items() if k not in ("trace_id", "latency_ms")
    }


def test_ask_with_history_and_trace_events(serve):
    run = serve([GOOD])
    history = [{"role": "user", "content": "I run Ollama on Linux."}, {"role": "assistant", "content": "OK."}]
    body = httpx.post(
        run.url + "/v1/ask", json={"question": "Which port does it listen on by default?", "history": history, "trace": True}
    ).json()
    assert body["status"] == "answered" and body["events"][-1]["name"] == "result"
    assert run.svc.traces.get(body["trace_id"]).session == "http:native"


def test_ask_history_is_cut_as_the_chat_dialects_cut_it(serve):
    """Found by a walkthrough: /v1/ask passed the history on whole (6 turns of 28k characters overflowed the
    model's context: three failed calls, then cannot_answer), where /api/chat keeps the last 6 turns of 1,000."""
    from app.conversation import HISTORY_TURN_CHARS, HISTORY_TURNS

    run = serve([GOOD] * 4)
    history = [{"role": ("user", "assistant")[i % 2], "content": f"t{i} " + "x" * 5000} for i in range(10)]
    assert httpx.post(run.url + "/v1/ask", json={"question": Q, "history": history}).status_code == 200
    sent = [str(m.content) for m in run.model.calls[0]["messages"]]
    past = [m for m in sent if m.startswith("t")]
    kept = [m.split()[0] for m in past]  # the latest turns; fewer than 6 when they leave no room for a passage
    assert 1 <= len(kept) <= HISTORY_TURNS and kept == [f"t{i}" for i in range(10 - len(kept), 10)]
    assert all(len(m) <= HISTORY_TURN_CHARS for m in past)


def test_a_text_part_with_null_text_is_no_text(serve):
    run = serve()
    content = [{"type": "text", "text": None}, {"type": "text", "text": OFF_CORPUS}]  # refused before any model call
    messages = [{"role": "user", "content": content}]
    assert httpx.post(run.url + "/v1/chat/completions", json={"model": "guarded-rag", "messages": messages}).status_code == 200
    assert run.svc.traces.list()[-1].question == OFF_CORPUS  # was "None\n" + the question
    bare = [{"role": "user", "content": [OFF_CORPUS]}]  # a bare string part: text (it was "only 1 image or file part")
    assert httpx.post(run.url + "/v1/chat/completions", json={"model": "guarded-rag", "messages": bare}).status_code == 200
    assert run.svc.traces.list()[0].question == OFF_CORPUS


def test_trace_lookup_right_after_the_answer(serve):
    run = serve([GOOD])
    trace_id = httpx.post(run.url + "/v1/ask", json={"question": Q}).json()["trace_id"]
    r = httpx.get(run.url + f"/v1/traces/{trace_id}")
    assert r.status_code == 200 and r.json()["trace_id"] == trace_id and r.json()["events"]
    missing = httpx.get(run.url + "/v1/traces/nope")
    assert missing.status_code == 404 and "nope" in missing.json()["error"]


def test_a_trace_is_found_by_its_whole_id_only(serve):
    """Found by a walkthrough: GET /v1/traces/{prefix} answered any unique prefix, down to one character, so a
    client could list every stored question by trying 0-f."""
    run = serve()
    trace_id = httpx.post(run.url + "/v1/ask", json={"question": OFF_CORPUS}).headers["x-trace-id"]
    assert httpx.get(run.url + f"/v1/traces/{trace_id}").status_code == 200
    for prefix in (trace_id[:1], trace_id[:12], trace_id[:-1]):
        assert httpx.get(run.url + f"/v1/traces/{prefix}").status_code == 404
    assert run.svc.traces.get(trace_id[:12]) is not None  # the CLI still takes a prefix


def test_trace_id_is_in_the_header_and_the_final_chunk(serve):
    run = serve([GOOD])
    r = httpx.post(run.url + "/api/chat", json={"model": "guarded-rag", "messages": [{"role": "user", "content": Q}]})
    final = json.loads(r.text.splitlines()[-1])
    assert final["trace_id"] == r.headers["x-trace-id"] and final["answer_status"] == "answered"
    assert final["done_reason"] == "stop" and final["total_duration"] > 0 and final["eval_count"] == 0
    assert run.svc.traces.get(final["trace_id"]) is not None


def test_probes(serve):
    run = serve()
    assert httpx.get(run.url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(run.url + "/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] and ready.json()["index"]["ok"]
    empty = serve(ingest=False)
    r = httpx.get(empty.url + "/readyz")
    assert r.status_code == 503 and not r.json()["index"]["ok"] and r.json()["backend"]["ok"]
    # A profile on an empty collection is not ready either (it answered 500s while /readyz said ready).
    profiled = serve(profiles={"other": {"collection": "nothing_here"}})
    r = httpx.get(profiled.url + "/readyz")
    assert r.status_code == 503 and r.json()["index"]["ok"] and not r.json()["profiles"]["guarded-rag:other"]["ok"]
    # The Ollama API generation it speaks, which clients compare with their minimum (0.6.4 / 0.6.5 in the wild;
    # guarded-rag's own 0.1.0 there made them refuse the server), and its own version beside it.
    reported = httpx.get(run.url + "/api/version").json()
    assert tuple(int(part) for part in reported["version"].split(".")) >= (0, 6, 5)
    assert reported["guarded_rag"] and reported["guarded_rag"] != reported["version"]
    # Ollama's root: `curl host:11434` and the clients' heartbeat (HEAD /) get a 200 and a line of text
    root = httpx.get(run.url + "/")
    # Ollama's exact text (clients compare it byte for byte to detect a server); which server it is, in a header
    assert root.status_code == 200 and root.text == "Ollama is running" and root.headers["x-guarded-rag"]
    assert httpx.head(run.url + "/").status_code == 200


def test_metrics_count_requests_outcomes_guardrails_and_model_calls(serve):
    run = serve([GOOD])
    client = httpx.Client(base_url=run.url)
    client.post("/v1/ask", json={"question": Q})
    client.post("/v1/ask", json={"question": "明朝哪一年迁都北京？"})
    text = client.get("/metrics").text
    assert 'guarded_rag_http_requests_total{method="POST",route="/v1/ask",status="200"} 2.0' in text
    assert 'guarded_rag_answers_total{dialect="native",status="answered"} 1.0' in text
    assert 'guarded_rag_guardrail_fired_total{guardrail="relevance",stage="retrieval"} 1.0' in text
    assert "guarded_rag_model_calls_total 1.0" in text and "guarded_rag_ask_seconds_bucket" in text
    assert "guarded_rag_http_request_seconds_bucket" in text and "guarded_rag_inflight 0.0" in text


def test_access_log_is_one_json_line_per_request(serve, caplog):
    run = serve([GOOD])
    with caplog.at_level(logging.INFO, logger=ACCESS_LOG):
        trace_id = httpx.post(run.url + "/v1/ask", json={"question": Q}).json()["trace_id"]
        httpx.get(run.url + "/api/tags")
        httpx.post(run.url + "/api/chat", content=b"{")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS_LOG]
    assert [(x["path"], x["status"]) for x in lines] == [("/v1/ask", 200), ("/api/tags", 200), ("/api/chat", 400)]
    assert lines[0]["trace_id"] == trace_id and lines[0]["latency_ms"] > 0 and lines[1]["trace_id"] is None


def test_cors_admits_this_machines_pages_by_default_and_others_by_the_allow_list(serve):
    """A page on localhost got 405 on its preflight (CORS was off unless an allow-list was set), so it could reach
    the server but never read a reply; Ollama allows localhost origins by default."""
    plain = serve()
    preflight = {"Origin": "http://ui.example", "Access-Control-Request-Method": "POST"}
    assert "access-control-allow-origin" not in httpx.options(plain.url + "/api/chat", headers=preflight).headers
    for page in ("http://localhost:5173", "http://127.0.0.1:8080", "http://app.localhost"):
        local = httpx.options(plain.url + "/api/chat", headers={**preflight, "Origin": page})
        assert local.status_code == 200 and local.headers["access-control-allow-origin"] == page, page
    reply = httpx.get(plain.url + "/api/tags", headers={"Origin": "http://localhost:5173"})
    assert reply.status_code == 200 and reply.headers["access-control-allow-origin"] == "http://localhost:5173"
    run = serve(cors_origins="http://ui.example", api_token="t")
    ok = httpx.options(run.url + "/api/chat", headers=preflight)  # preflights carry no token
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "http://ui.example"
    other = httpx.options(run.url + "/api/chat", headers={**preflight, "Origin": "http://evil.example"})
    assert other.headers.get("access-control-allow-origin") != "http://evil.example"


def test_graceful_shutdown_finishes_the_answer_in_flight(serve):
    gated = GatedModel(script=[GOOD], model=MODEL)
    run = serve(model=gated)
    got: list[httpx.Response] = []
    worker = threading.Thread(
        target=lambda: got.append(
            httpx.post(
                run.url + "/api/chat", json={"model": "guarded-rag", "messages": [{"role": "user", "content": Q}]}, timeout=30
            )
        )
    )
    worker.start()
    assert gated.entered.wait(10)
    stopper = threading.Thread(target=run.server.stop)
    stopper.start()  # SIGTERM's equivalent: stop accepting, drain
    gated.gate.set()
    worker.join(30)
    stopper.join(30)
    assert got and got[0].status_code == 200 and "11434" in got[0].text and '"done": true' in got[0].text
    with pytest.raises(httpx.ConnectError):
        httpx.get(run.url + "/healthz")


def test_the_openai_sdks_preflight_passes(serve):
    run = serve(cors_origins="http://localhost:3210")
    asked = "authorization,content-type,x-stainless-os,x-stainless-lang,x-stainless-retry-count,openai-beta"
    r = httpx.options(
        run.url + "/v1/chat/completions",
        headers={
            "Origin": "http://localhost:3210",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": asked,
        },
    )
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "http://localhost:3210"


def test_a_page_on_another_site_cannot_use_the_server(serve):
    """Found by a walkthrough: CORS only hid the reply, so any web page could POST questions (text/plain needs no
    preflight) and write traces, and a DNS-rebinding page could read answers and traces."""
    run = serve(cors_origins="http://ui.example")
    body = json.dumps({"question": Q}).encode()
    rebinding = httpx.post(run.url + "/v1/ask", content=body, headers={"Host": "attacker.example", "Content-Type": "text/plain"})
    assert rebinding.status_code == 403 and "not this machine" in rebinding.json()["error"]
    assert httpx.get(run.url + "/api/tags", headers={"Host": "attacker.example:80"}).status_code == 403
    page = httpx.post(run.url + "/v1/ask", content=body, headers={"Origin": "http://attacker.example"})
    assert page.status_code == 403 and "GUARDED_RAG_CORS_ORIGINS" in page.json()["error"]
    assert httpx.post(run.url + "/api/chat", content=b"{}", headers={"Origin": "null"}).status_code == 403
    assert run.svc.traces.count() == 0  # nothing was asked
    assert run.metric("guarded_rag_rejected_total", reason="foreign_host") == 2
    assert run.metric("guarded_rag_rejected_total", reason="foreign_origin") == 2
    for origin in ("http://ui.example", "http://localhost:5173", "http://127.0.0.1:8080"):  # allowed, and this machine's
        assert httpx.get(run.url + "/api/tags", headers={"Origin": origin}).status_code == 200
    for host in ("localhost", f"localhost:{run.server.port}", "127.0.0.1", "[::1]:11435", "box.local"):
        assert httpx.get(run.url + "/api/tags", headers={"Host": host}).status_code == 200, host


@pytest.mark.parametrize(
    ("authority", "local"),
    [
        ("", True),
        ("LOCALHOST:11435", True),
        ("10.0.0.5:11435", True),  # a private address names a machine, not a web site (Ollama's rule)
        ("0.0.0.0", True),
        ("[::1]", True),
        ("ollama.internal", True),
        ("evil.example", False),
        ("127.0.0.1.evil.example", False),
        ("8.8.8.8", False),
        ("[2606:4700::1111]:80", False),
    ],
)
def test_which_host_headers_name_this_machine(authority, local):
    from app.serve.middleware import local_host

    assert local_host(authority) is local


def test_a_server_listening_beyond_loopback_takes_any_host(tmp_path):
    from app import ServerThread, create_app
    from tests.fake_service import make_service

    svc, _ = make_service(tmp_path)
    with ServerThread(create_app(svc, warm=False, loopback=False)) as server:
        assert httpx.get(server.url + "/api/tags", headers={"Host": "gpu-box.example.com"}).status_code == 200
