"""A 200 answer to a chat that is not Ollama's chat shape becomes a transport error (app.models.reply_shape), for
real ChatOllama on top, sync and async; well-formed replies, error lines and the model-loading chat pass."""

from __future__ import annotations

import asyncio
import json

import httpx
import ollama
import pytest
from langchain_ollama import ChatOllama

from app.models.reply_shape import AsyncReplyShapeTransport, ReplyShapeTransport
from app.models.transport_errors import TRANSPORT_ERRORS

NDJSON = {"content-type": "application/x-ndjson"}
FINAL = {"model": "m", "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "stop"}


def lines(*objs: object) -> bytes:
    return b"".join(json.dumps(o).encode() + b"\n" for o in objs)


def answering(body: bytes) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, content=body, headers=NDJSON))


def sync_model(body: bytes) -> ChatOllama:
    return ChatOllama(model="m", base_url="http://x", sync_client_kwargs={"transport": ReplyShapeTransport(answering(body))})


def async_model(body: bytes) -> ChatOllama:
    transport = AsyncReplyShapeTransport(answering(body))
    return ChatOllama(model="m", base_url="http://x", async_client_kwargs={"transport": transport})


BAD = [
    pytest.param(b"", "ended without generating anything", id="empty"),
    pytest.param(lines({"status": "ok"}), "has no 'message' object", id="no-message"),
    pytest.param(lines({"model": "m", "message": "hi", "done": True}), "has no 'message' object", id="message-is-text"),
    pytest.param(lines([1, 2]), "is a JSON list", id="list"),
    pytest.param(lines({**FINAL, "done_reason": "load"}), "ended without generating anything", id="only-load"),
    pytest.param(
        lines({"model": "m", "message": {"role": "assistant", "content": ""}, "done": False}),
        "ended without generating anything",
        id="cut-before-anything",
    ),
]


@pytest.mark.parametrize(("body", "why"), BAD)
def test_a_reply_that_is_not_a_chat_is_a_transport_error(body: bytes, why: str) -> None:
    with pytest.raises(TRANSPORT_ERRORS, match="not an Ollama chat reply") as raised:
        sync_model(body).invoke("q")
    assert isinstance(raised.value, httpx.RemoteProtocolError) and why in str(raised.value)


@pytest.mark.parametrize(("body", "why"), BAD)
def test_the_async_twin_says_the_same(body: bytes, why: str) -> None:
    with pytest.raises(httpx.RemoteProtocolError, match=why):
        asyncio.run(async_model(body).ainvoke("q"))


def test_without_the_check_chatollama_raises_errors_no_ladder_would_catch() -> None:
    """Why the layer exists: the same replies straight into ChatOllama."""
    for body in (b"", lines({"status": "ok"}), lines([1, 2])):
        llm = ChatOllama(model="m", base_url="http://x", sync_client_kwargs={"transport": answering(body)})
        with pytest.raises(Exception) as raised:
            llm.invoke("q")
        assert not isinstance(raised.value, TRANSPORT_ERRORS)


def test_well_formed_replies_pass_split_anywhere() -> None:
    body = lines(
        {"model": "m", "message": {"role": "assistant", "content": "hel"}, "done": False},
        {**FINAL, "message": {"role": "assistant", "content": "lo"}},
    )
    pieces = [body[i : i + 7] for i in range(0, len(body), 7)]  # lines cut across chunks
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=iter(pieces), headers=NDJSON))
    llm = ChatOllama(model="m", base_url="http://x", sync_client_kwargs={"transport": ReplyShapeTransport(transport)})
    assert llm.invoke("q").content == "hello"


def test_an_empty_generation_that_ends_properly_is_left_to_the_parser() -> None:
    assert sync_model(lines(FINAL)).invoke("q").content == ""


def test_an_error_line_stays_ollamas_own_error() -> None:
    body = lines({"model": "m", "message": {"role": "assistant", "content": "x"}, "done": False}, {"error": "out of memory"})
    with pytest.raises(ollama.ResponseError, match="out of memory"):
        sync_model(body).invoke("q")


def test_the_model_loading_chat_and_other_requests_are_not_checked() -> None:
    """ModelFactory.preload sends an empty-messages chat, answered by a load line alone; /api/tags is not a chat."""
    transport = ReplyShapeTransport(answering(lines({**FINAL, "done_reason": "load"})))
    with ollama.Client(host="http://x", transport=transport) as client:
        assert client.chat(model="m", messages=[]).done_reason == "load"
    with httpx.Client(transport=ReplyShapeTransport(answering(b""))) as client:
        assert client.get("http://x/api/tags").content == b""
        streamless = {"model": "m", "messages": [{"role": "user", "content": "q"}], "stream": False}
        assert client.post("http://x/api/chat", json=streamless).content == b""
