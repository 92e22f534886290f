"""The embedded engine's lifecycle as Ollama clients drive it: keep_alive 0 unloads, close() frees llama.cpp's
memory, an unusable JSON schema is a 400, and a GGUF without a chat template says so. A stand-in for
llama_cpp.Llama (no model is loaded); the transport is the real one."""

from __future__ import annotations

import json
import logging
import struct
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import ollama
import pytest

from app.embedded import EmbeddedOllamaTransport, LlamaEngine, OptionsError
from app.embedded.events import Delta, GenerationStopped
from app.embedded.gguf import model_card
from app.embedded.options import response_format
from app.embedded.pump import Failed, Pump
from tests.ollama_double import Gen, ScriptedEngine

MODEL = "smollm2:135m"
USER = [{"role": "user", "content": "hi"}]


def _string(text: str) -> bytes:
    return struct.pack("<Q", len(text)) + text.encode()


def gguf(path: Path, *, template: str | None) -> Path:
    """A GGUF v3 with one F32 tensor, `tokenizer.chat_template` when given."""
    meta = [_string("general.architecture") + struct.pack("<I", 8) + _string("llama")]
    meta.append(_string("llama.context_length") + struct.pack("<II", 4, 4096))
    if template is not None:
        meta.append(_string("tokenizer.chat_template") + struct.pack("<I", 8) + _string(template))
    tensors = _string("t") + struct.pack("<IQ", 1, 8) + struct.pack("<IQ", 0, 0)
    header = b"GGUF" + struct.pack("<IQQ", 3, 1, len(meta)) + b"".join(meta) + tensors
    header += b"\0" * (-len(header) % 32)
    path.write_bytes(header + b"\1" * 32)
    return path


class FakeLlama:
    """Stands in for llama_cpp.Llama: writes "ok" to any chat; records construction and close() per class."""

    built: list[FakeLlama]

    def __init__(self, **kwargs: Any) -> None:
        self.closed = 0
        type(self).built.append(self)

    def create_chat_completion(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        yield {"choices": [{"delta": {"content": "ok"}, "finish_reason": None}]}
        yield {"choices": [{"delta": {}, "finish_reason": "stop"}]}

    def close(self) -> None:
        self.closed += 1


@pytest.fixture
def llama(monkeypatch: pytest.MonkeyPatch) -> type[FakeLlama]:
    recorder = type("Recorder", (FakeLlama,), {"built": []})
    monkeypatch.setitem(sys.modules, "llama_cpp", types.SimpleNamespace(Llama=recorder))
    return recorder


def client(engine: Any) -> httpx.Client:
    return httpx.Client(base_url="http://embedded.ollama", transport=EmbeddedOllamaTransport(engine), timeout=5)


# -- keep_alive 0 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("keep_alive", [0, 0.0, "0", "0s", "0m", " 0.0h "])
@pytest.mark.parametrize("endpoint", ["chat", "generate"])
def test_keep_alive_zero_with_nothing_to_answer_unloads(keep_alive: Any, endpoint: str) -> None:
    """`ollama stop` and clients freeing memory send an empty request with keep_alive 0: Ollama unloads the model
    and answers done_reason "unload". Here it loaded the model and answered "load"."""
    engine = ScriptedEngine()
    body: dict[str, Any] = {"model": MODEL, "keep_alive": keep_alive}
    body |= {"messages": []} if endpoint == "chat" else {"prompt": ""}
    with client(engine) as c:
        c.post(f"/api/{endpoint}", json={"model": MODEL})  # a preload
        assert engine.loaded_ctx() is not None
        response = c.post(f"/api/{endpoint}", json=body)
        assert response.status_code == 200, response.text
        done = json.loads(response.text.splitlines()[-1])
        assert done["done"] is True and done["done_reason"] == "unload"
        assert c.get("/api/ps").json() == {"models": []}
    assert engine.loads == [None] and engine.unloads == 1


@pytest.mark.parametrize("keep_alive", ["5m", -1, "-1s", 300, None])
def test_other_keep_alives_still_preload(keep_alive: Any) -> None:
    engine = ScriptedEngine()
    with client(engine) as c:
        done = c.post("/api/chat", json={"model": MODEL, "keep_alive": keep_alive, "stream": False}).json()
    assert done["done_reason"] == "load" and engine.unloads == 0 and engine.loaded_ctx() is not None


@pytest.mark.parametrize("stream", [True, False])
def test_keep_alive_zero_with_a_question_answers_then_unloads(stream: bool) -> None:
    engine = ScriptedEngine([Gen(pieces=("Hel", "lo"))])
    with client(engine) as c:
        response = c.post("/api/chat", json={"model": MODEL, "messages": USER, "keep_alive": 0, "stream": stream})
        assert response.status_code == 200
        text = "".join(json.loads(line)["message"]["content"] for line in response.text.splitlines())
        assert text == "Hello"
        assert c.get("/api/ps").json() == {"models": []}
    assert engine.unloads == 1


def test_the_ollama_client_unloads_the_real_engine(tmp_path: Path, llama: type[FakeLlama]) -> None:
    engine = LlamaEngine(gguf(tmp_path / "m.gguf", template="{{ messages }}"))
    c = ollama.Client(host="http://embedded.ollama", transport=EmbeddedOllamaTransport(engine))
    assert c.chat(model="m", messages=USER, stream=False).message.content == "ok"
    assert engine.loaded_ctx() == 2048 and llama.built[0].closed == 0
    assert c.chat(model="m", messages=[], keep_alive=0).done_reason == "unload"
    assert engine.loaded_ctx() is None and llama.built[0].closed == 1
    assert c.ps().models == []


# -- close -----------------------------------------------------------------------------------------------


def test_close_frees_the_model_and_the_engine_loads_again_when_used(tmp_path: Path, llama: type[FakeLlama]) -> None:
    engine = LlamaEngine(gguf(tmp_path / "m.gguf", template="{{ messages }}"))
    engine.close()  # nothing loaded: nothing to free
    with engine:
        engine.load()
        (first,) = llama.built
    assert first.closed == 1 and engine.loaded_ctx() is None
    assert engine.unload() is False  # already free
    assert engine.load().cold and len(llama.built) == 2
    assert engine.unload() is True and llama.built[1].closed == 1


# -- format ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "says"),
    [
        ({"type": "object", "properties": {"answer": {"type": "strin"}}}, "Unrecognized schema"),
        ({"properties": {"a": {"$ref": "#/defs/x"}}}, "Error resolving ref"),
        ({"type": "object", "properties": {"a": {"type": "string", "pattern": "(["}}}, "Pattern must start"),
    ],
)
def test_an_unusable_json_schema_is_a_400_not_any_json(schema: dict[str, Any], says: str) -> None:
    """llama-cpp-python turns a schema it cannot convert into its plain-JSON grammar without a word: the model then
    wrote `{ }` and the caller never learnt why. Ollama answers "invalid JSON schema in format"."""
    pytest.importorskip("llama_cpp.llama_grammar")  # the converter the check asks
    engine = ScriptedEngine()
    with client(engine) as c:
        response = c.post("/api/chat", json={"model": MODEL, "messages": USER, "format": schema})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error.startswith("invalid JSON schema in format:") and says in error
    assert engine.calls == []  # refused before the model thread
    with pytest.raises(OptionsError, match="invalid JSON schema in format"):
        response_format(schema)


def test_a_usable_schema_passes() -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string", "maxLength": 20}}, "required": ["answer"]}
    assert response_format(schema) == {"type": "json_object", "schema": schema}


# -- chat template ---------------------------------------------------------------------------------------


def test_a_gguf_without_a_chat_template_says_so(tmp_path: Path, llama: type[FakeLlama], caplog: pytest.LogCaptureFixture) -> None:
    """llama-cpp-python formats chats with llama-2's [INST] template when the GGUF has none, and says so only with
    verbose=True: the model answered badly with no hint why."""
    bare = gguf(tmp_path / "bare.gguf", template=None)
    engine = LlamaEngine(bare)
    with caplog.at_level(logging.WARNING, logger="guarded_rag.embedded"):
        engine.load()
    assert engine.chat_format() == "llama-2"
    assert any("bare.gguf has no chat template" in r.getMessage() and "llama-2" in r.getMessage() for r in caplog.records)
    assert model_card(bare).chat_template is False
    with client(engine) as c:
        assert "no chat template" in c.post("/api/show", json={"model": "bare"}).json()["template"]


def test_a_gguf_with_a_chat_template_uses_it_quietly(
    tmp_path: Path, llama: type[FakeLlama], caplog: pytest.LogCaptureFixture
) -> None:
    templated = gguf(tmp_path / "chat.gguf", template="{% for m in messages %}{{ m.content }}{% endfor %}")
    engine = LlamaEngine(templated)
    with caplog.at_level(logging.WARNING, logger="guarded_rag.embedded"):
        engine.load()
    assert engine.chat_format() == "gguf" and not caplog.records
    assert model_card(templated).chat_template is True
    with client(engine) as c:
        assert "no chat template" not in c.post("/api/show", json={"model": "chat"}).json()["template"]


class SlowToUnload(ScriptedEngine):
    """Freeing llama.cpp's memory takes a while (a real close() unmaps the weights)."""

    def unload(self) -> bool:
        time.sleep(0.2)
        return super().unload()


@pytest.mark.parametrize("stream", [True, False])
def test_the_model_is_gone_when_the_keep_alive_zero_reply_is(stream: bool) -> None:
    """The unload ran after the last line went out: a client asking /api/ps on reading it (`ollama stop` and then
    `ollama ps`) still saw the model loaded."""
    engine = SlowToUnload([Gen(pieces=("ok",))])
    with client(engine) as c:
        c.post("/api/chat", json={"model": MODEL, "messages": USER, "keep_alive": 0, "stream": stream}).raise_for_status()
        assert c.get("/api/ps").json() == {"models": []}
    assert engine.unloads == 1


def test_null_messages_is_a_load_request_as_in_ollama() -> None:
    engine = ScriptedEngine()
    with client(engine) as c:
        done = c.post("/api/chat", json={"model": MODEL, "messages": None, "stream": False})
        assert done.status_code == 200, done.text
        assert done.json()["done_reason"] == "load" and engine.loads == [None]
        gone = c.post("/api/chat", json={"model": MODEL, "messages": None, "keep_alive": "0s", "stream": False})
        assert gone.json()["done_reason"] == "unload" and engine.unloads == 1


# -- concurrent requests to one engine ---------------------------------------------------------------------


def test_a_request_withdrawn_while_waiting_for_the_engine_does_not_load_or_generate(
    tmp_path: Path, llama: type[FakeLlama]
) -> None:
    """Requests take turns on the engine's lock. One whose reader left while it waited (a client timeout) went on
    once the lock was free: it reloaded the model for its larger num_ctx (seconds on a real model) and generated
    for nobody, holding up the next request."""
    engine = LlamaEngine(gguf(tmp_path / "m.gguf", template="{{ messages }}"), max_ctx=4096)
    first = engine.chat(USER, format=None, options={"num_ctx": 1024})
    assert next(first) == Delta(content="ok")  # a generation under way: it holds the lock
    waiting: Pump[Any] = Pump(lambda: engine.chat(USER, format=None, options={"num_ctx": 4096}))
    waiting.cancel()  # its client gave up
    first.close()  # the lock is free
    outcome = waiting.get(5)
    assert isinstance(outcome, Failed) and isinstance(outcome.error, GenerationStopped)
    assert len(llama.built) == 1 and engine.loaded_ctx() == 1024  # no reload for the withdrawn request
