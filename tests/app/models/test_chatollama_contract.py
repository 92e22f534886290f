"""The contract with ChatOllama (langchain-ollama, unmodified): what it sends, and what each server
behaviour turns into. Every failure must surface as one of app.models.transport_errors.TRANSPORT_ERRORS, and test bugs
(an exhausted script) must not. In-process double plus real HTTP on 127.0.0.1 (pytest-httpserver)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import ollama
import pytest
from langchain_ollama import ChatOllama
from pytest_httpserver import HTTPServer

from app.models.transport_errors import TRANSPORT_ERRORS
from tests.ollama_double import LoopbackOllama, Reply, ScriptedOllama, closed_port

MODEL = "qwen2.5:3b"
SCHEMA = {
    "type": "object",
    "properties": {
        "answer": {"type": "string", "maxLength": 200},
        "citations": {"type": "array", "items": {"enum": ["S1", "S2"]}},
    },
    "required": ["answer", "citations"],
}
ANSWER = {"answer": "Port 11434.", "citations": ["S1"]}


def over(double: ScriptedOllama, *, timeout: float = 5.0, **kwargs: Any) -> ChatOllama:
    return ChatOllama(
        base_url="http://ollama.test:11434",
        model=MODEL,
        client_kwargs={"timeout": timeout},
        sync_client_kwargs={"transport": double},
        async_client_kwargs={"transport": double},
        **kwargs,
    )


@pytest.fixture(scope="module")
def _server() -> Iterator[HTTPServer]:
    server = HTTPServer(threaded=True)  # threaded: a slow handler must not block the next request
    server.start()
    yield server
    server.stop()


@pytest.fixture
def loopback(_server: HTTPServer) -> Iterator[HTTPServer]:
    _server.clear()
    yield _server
    _server.clear()


def one_shot_server(raw_response: bytes) -> int:
    """A socket server that answers one request with `raw_response` and hangs up (for protocol faults)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        with listener:
            conn, _ = listener.accept()
            with conn:
                read_request(conn)
                conn.sendall(raw_response)
                # A clean FIN, not a reset: closing with request bytes unread would make the kernel send RST,
                # and the client would see ConnectionResetError instead of the fault under test.
                with contextlib.suppress(OSError):  # the client may already have hung up
                    conn.shutdown(socket.SHUT_WR)

    threading.Thread(target=serve, daemon=True).start()
    return int(listener.getsockname()[1])


def read_request(conn: socket.socket) -> bytes:
    """The whole HTTP request: headers, then Content-Length bytes of body (httpx may send them apart)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


# -- what we send -------------------------------------------------------------------------------------


def test_request_body_carries_schema_options_model_and_roles() -> None:
    double = ScriptedOllama([Reply.json_answer(ANSWER)])
    llm = over(double, format=SCHEMA, temperature=0.2, num_ctx=2048, num_predict=256, seed=42)
    llm.invoke([("system", "Answer from the sources."), ("human", "Which port?"), ("ai", "?"), ("human", "Which port?")])
    (request,) = double.chat_requests
    body = request.body
    assert body["format"] == SCHEMA  # verbatim, not wrapped
    assert body["model"] == MODEL and body["stream"] is True
    assert body["options"] == {"temperature": 0.2, "num_ctx": 2048, "num_predict": 256, "seed": 42}
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "user"]


def test_bound_format_overrides_and_arrives_verbatim() -> None:
    double = ScriptedOllama([Reply.json_answer(ANSWER)])
    over(double).bind(format=SCHEMA).invoke("q")
    assert double.chat_requests[0].body["format"] == SCHEMA


# -- what each reply becomes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply.json_answer(ANSWER), json.dumps(ANSWER)),
        (Reply.text("The port is 11434 [S1]."), "The port is 11434 [S1]."),
        (Reply.text("```json\n" + json.dumps(ANSWER) + "\n```"), "```json\n" + json.dumps(ANSWER) + "\n```"),
        (Reply.text('{"answer": "cut', done_reason="length"), '{"answer": "cut'),
    ],
    ids=["json", "prose", "code_fence", "length"],
)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_content_replies_come_back_verbatim(reply: Reply, expected: str, mode: str) -> None:
    llm = over(ScriptedOllama([reply]))
    message = llm.invoke("q") if mode == "sync" else asyncio.run(llm.ainvoke("q"))
    assert message.content == expected
    assert message.response_metadata["done_reason"] == reply.done_reason


@pytest.mark.parametrize(
    ("reply", "error", "status"),
    [
        (Reply.status(404, 'model "qwen2.5:3b" not found, try pulling it first'), ollama.ResponseError, 404),
        (Reply.status(500, "boom"), ollama.ResponseError, 500),
        (Reply.status(503, "server busy"), ollama.ResponseError, 503),
        (Reply.midstream_error("an error was encountered while running the model"), ollama.ResponseError, -1),
        (Reply.truncated_ndjson(), json.JSONDecodeError, None),
        (Reply.connection_refused(), httpx.ConnectError, None),
        (Reply.timeout(), httpx.ReadTimeout, None),
        (Reply.slow(1.0, then=Reply.json_answer(ANSWER)), httpx.ReadTimeout, None),
        (Reply.stall(1.0), httpx.ReadTimeout, None),
    ],
    ids=["404", "500", "503", "midstream", "truncated", "refused", "timeout", "slow", "stall"],
)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_failures_are_transport_errors(reply: Reply, error: type[BaseException], status: int | None, mode: str) -> None:
    llm = over(ScriptedOllama([reply]), timeout=0.2)
    with pytest.raises(error) as raised:
        llm.invoke("q") if mode == "sync" else asyncio.run(llm.ainvoke("q"))
    assert isinstance(raised.value, TRANSPORT_ERRORS)
    if status is not None:
        assert raised.value.status_code == status  # type: ignore[attr-defined]


def test_404_message_is_ollamas() -> None:
    with pytest.raises(ollama.ResponseError) as raised:
        over(ScriptedOllama([Reply.status(404, 'model "x" not found, try pulling it first')])).invoke("q")
    assert raised.value.error == 'model "x" not found, try pulling it first'


def test_exhausted_script_propagates_and_is_not_a_transport_error() -> None:
    double = ScriptedOllama([Reply.json_answer(ANSWER)])
    llm = over(double)
    llm.invoke("first")
    with pytest.raises(AssertionError, match="ScriptedOllama exhausted") as raised:
        llm.invoke("second")
    assert not isinstance(raised.value, TRANSPORT_ERRORS)


def test_retry_on_transport_errors_retries_503_but_never_swallows_exhaustion() -> None:
    double = ScriptedOllama([Reply.status(503, "busy"), Reply.json_answer(ANSWER)])
    retrying = over(double).with_retry(
        retry_if_exception_type=TRANSPORT_ERRORS, stop_after_attempt=3, wait_exponential_jitter=False
    )
    assert json.loads(str(retrying.invoke("q").content)) == ANSWER
    assert len(double.chat_requests) == 2
    with pytest.raises(AssertionError):
        retrying.invoke("again")  # exhausted on the first attempt: not retried, not converted
    assert len(double.chat_requests) == 3


def test_empty_stream_is_a_bare_value_error_outside_transport_errors() -> None:
    # ChatOllama alone; the app puts app.models.reply_shape under it, which makes this a transport error
    # (tests/app/models/test_reply_shape.py).
    with pytest.raises(ValueError, match="No data received") as raised:
        over(ScriptedOllama([Reply.empty_stream()])).invoke("q")
    assert not isinstance(raised.value, TRANSPORT_ERRORS)


def test_static_endpoints_answer_from_the_model_list() -> None:
    client = ollama.Client(host="http://ollama.test:11434", transport=ScriptedOllama(models=("qwen2.5:3b", "bge-m3")))
    assert [m.model for m in client.list().models] == ["qwen2.5:3b", "bge-m3"]
    assert client.show("qwen2.5:3b").details.family == "qwen2"  # type: ignore[union-attr]
    with pytest.raises(ollama.ResponseError):
        client.show("nope")


# -- real HTTP on 127.0.0.1 -----------------------------------------------------------------------------


def test_loopback_json_answer_and_recorded_request(loopback: HTTPServer) -> None:
    server = LoopbackOllama(loopback, [Reply.json_answer(ANSWER)])
    llm = ChatOllama(base_url=server.url, model=MODEL, format=SCHEMA, client_kwargs={"timeout": 5})
    assert json.loads(str(llm.invoke("q").content)) == ANSWER
    (request,) = server.requests
    assert request.path == "/api/chat" and request.body["format"] == SCHEMA


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_loopback_connection_refused(mode: str) -> None:
    llm = ChatOllama(base_url=f"http://127.0.0.1:{closed_port()}", model=MODEL, client_kwargs={"timeout": 2})
    with pytest.raises(httpx.ConnectError) as raised:  # streaming path: the ollama client does not translate it
        llm.invoke("q") if mode == "sync" else asyncio.run(llm.ainvoke("q"))
    assert isinstance(raised.value, TRANSPORT_ERRORS)


def test_loopback_connection_refused_non_streaming_is_builtin_connection_error() -> None:
    client = ollama.Client(host=f"http://127.0.0.1:{closed_port()}", timeout=2)
    with pytest.raises(ConnectionError) as raised:
        client.chat(model=MODEL, messages=[])
    assert isinstance(raised.value, TRANSPORT_ERRORS)


@pytest.mark.parametrize("reply", [Reply.slow(15.0, then=Reply.json_answer(ANSWER)), Reply.stall(15.0)], ids=["slow", "stall"])
def test_loopback_client_timeout_is_honoured(loopback: HTTPServer, reply: Reply) -> None:
    server = LoopbackOllama(loopback, [reply])
    llm = ChatOllama(base_url=server.url, model=MODEL, client_kwargs={"timeout": 0.2})
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout) as raised:
        llm.invoke("q")
    assert time.monotonic() - started < 0.2 + 5.0  # a correctness bound: the 15 s reply was not waited for
    assert isinstance(raised.value, TRANSPORT_ERRORS)


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply.status(503, "busy"), ollama.ResponseError),
        (Reply.midstream_error("runner died"), ollama.ResponseError),
        (Reply.truncated_ndjson(), json.JSONDecodeError),
    ],
    ids=["503", "midstream", "truncated"],
)
def test_loopback_failures(loopback: HTTPServer, reply: Reply, error: type[BaseException]) -> None:
    server = LoopbackOllama(loopback, [reply])
    with pytest.raises(error) as raised:
        ChatOllama(base_url=server.url, model=MODEL, client_kwargs={"timeout": 5}).invoke("q")
    assert isinstance(raised.value, TRANSPORT_ERRORS)


def test_loopback_connection_dropped_mid_stream_is_remote_protocol_error() -> None:
    line = (
        b'{"model":"qwen2.5:3b","created_at":"2024-01-01T00:00:00Z","message":{"role":"assistant","content":"{"},"done":false}\n'
    )
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/x-ndjson\r\ntransfer-encoding: chunked\r\n\r\n"
    port = one_shot_server(head + f"{len(line):x}\r\n".encode() + line + b"\r\n")  # no terminating chunk
    llm = ChatOllama(base_url=f"http://127.0.0.1:{port}", model=MODEL, client_kwargs={"timeout": 5})
    with pytest.raises(httpx.RemoteProtocolError) as raised:
        llm.invoke("q")
    assert isinstance(raised.value, TRANSPORT_ERRORS)
