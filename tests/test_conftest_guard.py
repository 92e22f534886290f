"""The guard itself: loading the real model in an unmarked test fails loudly."""

from __future__ import annotations

import pytest

from app.embedded.engine import LlamaEngine
from app.settings import Settings


def test_real_model_load_is_refused_in_unit_tests():
    engine = LlamaEngine.from_settings(Settings(threads=1))
    with pytest.raises(AssertionError, match="real model"):
        list(engine.chat([{"role": "user", "content": "hi"}], format=None, options={}, stream=False))


def test_ollama_host_points_at_a_closed_port():
    import os

    import httpx

    from app.settings import load_settings

    host = os.environ["OLLAMA_HOST"]
    assert host.startswith("http://127.0.0.1:") and not host.endswith(":11434")
    assert load_settings().ollama_host == host
    with pytest.raises(httpx.ConnectError):
        httpx.get(host + "/api/version", timeout=2)


def test_a_request_to_the_real_ollama_port_fails_the_test():
    import httpx

    from app.models.backend import probe_ollama

    with pytest.raises(AssertionError, match="tried to reach a real Ollama"):
        httpx.get("http://127.0.0.1:11434/api/version", timeout=2)
    with pytest.raises(AssertionError, match="tried to reach a real Ollama"):
        probe_ollama("http://127.0.0.1:11434", "qwen2.5:3b")  # the default host, as Settings() has it


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_sockets_beyond_loopback_are_blocked_by_default():
    import socket

    import pytest_socket

    with pytest.raises((pytest_socket.SocketBlockedError, pytest_socket.SocketConnectBlockedError)):
        socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET-1: never routed


def test_the_slow_suites_are_deselected_unless_asked_for(pytestconfig):
    from tests.conftest import left_out

    expr = pytestconfig.getoption("markexpr")
    assert all(f"not {m}" in expr for m in ("integration", "e2e", "gate")), expr
    assert "robustness" in expr or left_out(expr) == ("robustness",)  # by the expression, or by the conftest hook
    assert left_out("not integration and not e2e and not gate") == ("robustness",)
    assert left_out("robustness") == () and left_out("not integration and not robustness") == ()
