"""Backend choice and the Ollama probe (no real model, no real Ollama: probes and a loopback double)."""

from __future__ import annotations

import httpx
import pytest

from app.models.backend import BackendChoice, OllamaProbe, choose_backend, probe_ollama, resolve_model
from app.settings import Settings
from tests.ollama_double import ScriptedOllama, closed_port

HOST = "http://127.0.0.1:11434"


def fake_probe(result: OllamaProbe | None) -> object:
    def probe(host: str, model: str) -> OllamaProbe:
        if result is None:
            raise AssertionError("the probe must not be called")
        return result

    return probe


def probe_result(*, reachable: bool = True, models: tuple[str, ...] = (), error: str | None = None) -> OllamaProbe:
    resolved = resolve_model("qwen2.5:3b", models)
    return OllamaProbe(
        host=HOST,
        model="qwen2.5:3b",
        reachable=reachable,
        models=models,
        has_model=resolved is not None,
        resolved_model=resolved,
        error=error,
        version="0.12.0" if reachable else None,
    )


# -- choose_backend -------------------------------------------------------------------------------------


def test_embedded_never_probes() -> None:
    choice = choose_backend(Settings(backend="embedded"), probe=fake_probe(None))  # type: ignore[arg-type]
    assert choice.kind == "embedded" and choice.model == "smollm2:135m" and choice.fix is None
    assert "SmolLM2-135M" in choice.reason


@pytest.mark.parametrize(
    ("backend", "found", "kind", "model", "reason", "fix"),
    [
        (
            "auto",
            probe_result(models=("qwen2.5:3b", "bge-m3:latest")),
            "ollama",
            "qwen2.5:3b",
            f"Ollama at {HOST} has qwen2.5:3b",
            None,
        ),
        (
            "auto",
            probe_result(models=("qwen2.5:3b-instruct-q4_K_M",)),
            "ollama",
            "qwen2.5:3b-instruct-q4_K_M",
            f"Ollama at {HOST} has qwen2.5:3b-instruct-q4_K_M",
            None,
        ),
        (
            "auto",
            probe_result(models=("llama3.2:latest",)),
            "embedded",
            "smollm2:135m",
            "Ollama is running but qwen2.5:3b is not pulled — run `ollama pull qwen2.5:3b`; using the embedded model",
            "run `ollama pull qwen2.5:3b`",
        ),
        (
            "auto",
            probe_result(reachable=False, error="ConnectError: refused"),
            "embedded",
            "smollm2:135m",
            f"Ollama not reachable at {HOST}; using the embedded SmolLM2-135M",
            "start Ollama",
        ),
        (
            "auto",
            probe_result(error="GET /api/tags answered HTTP 500"),
            "embedded",
            "smollm2:135m",
            "answered with an error",
            "check the Ollama server log",
        ),
        ("ollama", probe_result(models=("qwen2.5:3b",)), "ollama", "qwen2.5:3b", f"Ollama at {HOST} has qwen2.5:3b", None),
        (
            "ollama",
            probe_result(reachable=False, error="ConnectError: refused"),
            "ollama",
            "qwen2.5:3b",
            f"Ollama not reachable at {HOST}",
            "ollama serve",
        ),
        (
            "ollama",
            probe_result(models=("llama3.2:latest",)),
            "ollama",
            "qwen2.5:3b",
            "qwen2.5:3b is not available",
            "ollama pull qwen2.5:3b",
        ),
    ],
    ids=["auto-has", "auto-variant", "auto-missing", "auto-down", "auto-error", "ollama-has", "ollama-down", "ollama-missing"],
)
def test_choose_backend(backend: str, found: OllamaProbe, kind: str, model: str, reason: str, fix: str | None) -> None:
    choice = choose_backend(Settings(backend=backend), probe=fake_probe(found))  # type: ignore[arg-type]
    assert isinstance(choice, BackendChoice)
    assert (choice.kind, choice.model, choice.host) == (kind, model, HOST)
    assert reason in choice.reason
    assert (choice.fix is None) if fix is None else (fix in (choice.fix or ""))
    assert choice.probe == found


def test_custom_gguf_name_in_choice(tmp_path) -> None:  # type: ignore[no-untyped-def]
    choice = choose_backend(Settings(backend="embedded", gguf=tmp_path / "Tiny-1B.Q8_0.gguf"))
    assert choice.model == "tiny-1b.q8_0:latest" and "tiny-1b.q8_0:latest" in choice.reason


@pytest.mark.parametrize(
    ("wanted", "available", "expected"),
    [
        ("qwen2.5:3b", ("qwen2.5:3b",), "qwen2.5:3b"),
        ("qwen2.5:3b", ("Qwen2.5:3B-instruct-q4_K_M",), "Qwen2.5:3B-instruct-q4_K_M"),
        ("qwen2.5:3b", ("qwen2.5:3b-instruct", "qwen2.5:3b"), "qwen2.5:3b"),  # exact beats a variant
        ("qwen2.5", ("qwen2.5:latest",), "qwen2.5:latest"),
        ("qwen2.5", ("qwen2.5:3b",), None),  # no tag means :latest, as in Ollama
        ("qwen2.5:3b", ("qwen2.5:7b", "qwen2.5:32b"), None),
        ("qwen2.5:3b", ("qwen2.5:3bx",), None),
    ],
)
def test_resolve_model(wanted: str, available: tuple[str, ...], expected: str | None) -> None:
    assert resolve_model(wanted, available) == expected


# -- probe_ollama ---------------------------------------------------------------------------------------


def test_probe_against_the_double() -> None:
    double = ScriptedOllama(models=("qwen2.5:3b-instruct-q4_K_M", "bge-m3:latest"), version="0.12.3")
    found = probe_ollama(HOST, "qwen2.5:3b", transport=double)
    assert found.reachable and found.has_model and found.version == "0.12.3" and found.error is None
    assert found.models == ("qwen2.5:3b-instruct-q4_K_M", "bge-m3:latest")
    assert found.resolved_model == "qwen2.5:3b-instruct-q4_K_M"
    assert [(r.method, r.path) for r in double.requests] == [("GET", "/api/version"), ("GET", "/api/tags")]
    assert double.chat_requests == []


def test_probe_refused_port_never_raises() -> None:
    found = probe_ollama(f"http://127.0.0.1:{closed_port()}", "qwen2.5:3b", timeout=1.0)
    assert not found.reachable and not found.has_model and "ConnectError" in (found.error or "")


@pytest.mark.parametrize(
    ("handler", "reachable", "error"),
    [
        (
            lambda r: (
                httpx.Response(500, json={"error": "boom"})
                if r.url.path == "/api/tags"
                else httpx.Response(200, json={"version": "1"})
            ),
            True,
            "HTTP 500",
        ),
        (lambda r: httpx.Response(200, text="<html>not ollama</html>"), True, "not an Ollama answer"),
        (lambda r: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=r)), False, "ReadTimeout"),
    ],
    ids=["tags-500", "not-json", "timeout"],
)
def test_probe_problems_become_errors(handler: object, reachable: bool, error: str) -> None:
    found = probe_ollama(HOST, "qwen2.5:3b", transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
    assert found.reachable is reachable and not found.has_model and error in (found.error or "")


def test_a_proxy_error_page_on_api_tags_is_one_clean_line_in_the_probe() -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>" + "<p>nginx</p>" * 5000 + "</body></html>"

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/version":
            return httpx.Response(200, json={"version": "0.6.0"})
        return httpx.Response(502, text=page, headers={"content-type": "text/html"})

    found = probe_ollama("http://ollama.test:11434", "qwen2.5:3b", transport=httpx.MockTransport(answer))
    assert found.reachable and found.error == "GET /api/tags answered HTTP 502: 502 Bad Gateway"
