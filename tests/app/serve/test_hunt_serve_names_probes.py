"""Model names as Ollama reads them (case aside), /readyz without the token, and `logprobs` over both dialects."""

from __future__ import annotations

import httpx
import pytest

from app import BackendChoice, Settings
from app.serve.health import BackendChecks
from tests.app.serve.conftest import GOOD, Q
from tests.ollama_double import LoopbackOllama


@pytest.mark.parametrize("name", ["Guarded-RAG", "GUARDED-RAG:LATEST", "guarded-rag:Latest"])
def test_model_names_match_ignoring_case_as_in_ollama(serve, name):
    """Ollama finds `Llama3.1` when `llama3.1` is pulled (server/routes.go getExistingName: exact, then EqualFold);
    here a differently cased name was a 404 on every endpoint."""
    run = serve([GOOD])
    assert httpx.post(run.url + "/api/show", json={"model": name}).status_code == 200
    assert httpx.get(run.url + f"/v1/models/{name}").json()["id"] == "guarded-rag:latest"
    chat = httpx.post(
        run.url + "/api/chat", json={"model": name, "messages": [{"role": "user", "content": Q}], "stream": False}, timeout=30
    )
    assert chat.status_code == 200, chat.text
    assert chat.json()["model"] == "guarded-rag:latest" and "11434" in chat.json()["message"]["content"]


def test_profiles_keep_their_own_name_and_unknown_names_stay_404(serve):
    run = serve(profiles={"strict": {}})
    assert httpx.get(run.url + "/v1/models/Guarded-Rag:STRICT").json()["id"] == "guarded-rag:strict"
    missing = httpx.post(run.url + "/api/show", json={"model": "guarded-rag:other"})
    assert missing.status_code == 404 and "not found" in missing.json()["error"]


def _ollama_at(url: str):
    def choose(settings: Settings) -> BackendChoice:
        return BackendChoice(kind="ollama", model="qwen2.5:3b", reason="test: ollama backend", host=url)

    return choose


def test_readyz_without_the_token_does_not_make_the_server_probe_its_backend_each_time(serve, httpserver):
    """Every public /readyz probed Ollama (GET /api/version and /api/tags): anyone reaching the port could make
    the server hit its backend at will. A caller without the token gets a check at most READY_PROBE_TTL_S old."""
    double = LoopbackOllama(httpserver)
    run = serve(api_token="sekret", choose=_ollama_at(double.url))

    def probes() -> int:
        return sum(1 for r in double.requests if r.path == "/api/version")

    for _ in range(5):
        public = httpx.get(run.url + "/readyz")
        assert public.status_code == 200 and public.json() == {"ready": True}
    assert probes() == 1  # the first call probed; the others answered from it
    for _ in range(2):  # the operator, with the token, gets a live probe every time
        detailed = httpx.get(run.url + "/readyz", headers={"Authorization": "Bearer sekret"})
        assert detailed.json()["backend"]["ok"] and "reachable" in detailed.json()["backend"]["detail"]
    assert probes() == 3


def test_backend_checks_probe_again_once_the_kept_one_is_old(tmp_path, httpserver):
    from tests.fake_service import make_service

    double = LoopbackOllama(httpserver)
    svc, _ = make_service(tmp_path, ingest=False, choose=_ollama_at(double.url))
    now = [0.0]
    checks = BackendChecks(ttl=10.0, clock=lambda: now[0])
    assert checks.check(svc, fresh=False).ok
    now[0] = 9.9
    assert checks.check(svc, fresh=False).ok
    assert sum(1 for r in double.requests if r.path == "/api/version") == 1
    now[0] = 10.0
    httpserver.clear()  # the backend went away: the next probe after the TTL says so
    assert not checks.check(svc, fresh=False).ok


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/v1/chat/completions", {"logprobs": True}),
        ("/v1/chat/completions", {"logprobs": True, "top_logprobs": 3}),
        ("/v1/chat/completions", {"top_logprobs": 2}),
        ("/api/chat", {"logprobs": True}),
        ("/api/generate", {"logprobs": True, "top_logprobs": 1}),
    ],
)
def test_logprobs_are_refused_not_silently_dropped(serve, path, extra):
    """A client asking for token log probabilities got `"logprobs": null` (or nothing) and failed later; the chain
    must not run either (no model call, no trace)."""
    run = serve([])  # an empty script: a model call would fail the test
    body = {"model": "guarded-rag", "stream": False, **extra}
    body |= {"prompt": Q} if path == "/api/generate" else {"messages": [{"role": "user", "content": Q}]}
    r = httpx.post(run.url + path, json=body)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    message = error["message"] if path.startswith("/v1") else error
    assert "not supported" in message and "logprobs" in message
    if path.startswith("/v1"):
        assert error["code"] == "unsupported_parameter" and error["type"] == "invalid_request_error"
    assert run.svc.traces.count() == 0


def test_logprobs_false_is_accepted(serve):
    run = serve([GOOD])
    body = {"model": "guarded-rag", "messages": [{"role": "user", "content": Q}], "logprobs": False, "top_logprobs": 0}
    r = httpx.post(run.url + "/v1/chat/completions", json=body, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["logprobs"] is None


@pytest.mark.parametrize(
    ("path", "body", "part"),
    [
        ("/api/chat", {"messages": None}, {"message": {"role": "assistant", "content": ""}}),
        ("/api/generate", {"prompt": None}, {"response": ""}),
        ("/api/chat", {"messages": None, "keep_alive": 0}, {"message": {"role": "assistant", "content": ""}}),
    ],
)
def test_null_messages_or_prompt_is_a_load_request_as_in_ollama(serve, path, body, part):
    """Ollama (Go) reads a JSON null as an empty value: a load (or, with keep_alive 0, an unload) request. Here it
    was a 400 "Input should be a valid list"."""
    run = serve([])
    r = httpx.post(run.url + path, json={"model": "guarded-rag", **body})
    assert r.status_code == 200, r.text
    reply = r.json()
    assert reply["done"] is True and reply["done_reason"] == ("unload" if "keep_alive" in body else "load")
    assert {k: reply[k] for k in part} == part
