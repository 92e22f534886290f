"""Test-wide rules: real model loads are impossible outside tests marked for them, and no test can reach a
real Ollama.

Unit tests run on scripted fakes; only `integration`, `gate` and `e2e` tests may load llama.cpp. Sockets:
pyproject's addopts disable them except loopback (pytest-socket), and deselect the slow suites, so a plain
`pytest` runs only the unit tests. Loopback is allowed for the scripted Ollama double, so OLLAMA_HOST points
at a closed port and any request to Ollama's default port fails the test that made it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

REAL_MODEL_MARKS = {"integration", "gate", "e2e"}
# Suites that run only when the -m expression names them: a unit run written before they existed
# (`-m "not integration and not e2e and not gate"`) must not start browsers and process fleets by accident.
OPT_IN_MARKS = ("robustness",)


def left_out(markexpr: str) -> tuple[str, ...]:
    """The opt-in suites a run with this -m expression does not ask for."""
    return tuple(m for m in OPT_IN_MARKS if m not in markexpr)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = left_out(str(config.getoption("markexpr") or ""))
    dropped = [item for item in items if any(item.get_closest_marker(m) for m in skip)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]
    if any(REAL_MODEL_MARKS & {m.name for m in item.iter_markers()} for item in items):
        _stop_if_llama_cpp_crashes()


def _stop_if_llama_cpp_crashes() -> None:
    """A llama-cpp-python build that segfaults (a native build on an AMX CPU did, on the first token) would kill
    the whole run mid-test with no report. Asked once, in a child process, before any real-model test runs."""
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return  # the real-model tests skip with their own reason
    from app.embedded.gguf import locate_gguf
    from app.embedded.selftest import FIX, generation_problem

    try:
        gguf = locate_gguf(None)
    except Exception:
        return  # the tests that need it fail with the reason
    problem = generation_problem(gguf, threads=1)
    if problem is not None:
        pytest.exit(f"{problem}; fix: {FIX}", returncode=1)


OLLAMA_DEFAULT_PORT = 11434


def _closed_port() -> int:
    # Chosen at import (collection), before pytest-socket disables sockets for the tests.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


CLOSED_OLLAMA = f"http://127.0.0.1:{_closed_port()}"


@pytest.fixture(autouse=True)
def _no_real_ollama(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """OLLAMA_HOST -> a closed port; a real HTTP request to port 11434 fails loudly (scripted transports, which
    never open a socket, are unaffected)."""
    monkeypatch.setenv("OLLAMA_HOST", CLOSED_OLLAMA)
    sync_send = httpx.HTTPTransport.handle_request
    async_send = httpx.AsyncHTTPTransport.handle_async_request

    def refuse(request: httpx.Request) -> None:
        if request.url.port == OLLAMA_DEFAULT_PORT:
            raise AssertionError(
                f"a test tried to reach a real Ollama at {request.url}; use tests/ollama_double.py (ScriptedOllama)"
            )

    def guarded_sync(self: httpx.HTTPTransport, request: httpx.Request) -> Any:
        refuse(request)
        return sync_send(self, request)

    async def guarded_async(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> Any:
        refuse(request)
        return await async_send(self, request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", guarded_sync)
    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", guarded_async)
    yield


@pytest.fixture(autouse=True)
def _no_real_model_in_unit_tests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if REAL_MODEL_MARKS & {m.name for m in request.node.iter_markers()}:
        return
    try:
        import llama_cpp
    except ImportError:
        return

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a unit test tried to load a real model; use the scripted fakes or mark it integration")

    monkeypatch.setattr(llama_cpp, "Llama", refuse)
    # The generation self-test (doctor) runs llama.cpp in a child process, out of reach of the patch above.
    from app.embedded import selftest

    monkeypatch.setattr(
        selftest, "CODE", "raise SystemExit('AssertionError: a unit test tried to run the real model in a child process')"
    )
