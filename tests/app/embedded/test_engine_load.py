"""LlamaEngine's load step against a recording stand-in for llama_cpp.Llama (no model is loaded): the GGUF header is
read first, so a damaged file is a clear error before llama.cpp sees it, and the context never exceeds the one the
model was trained with."""

from __future__ import annotations

import json
import struct
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.embedded import EmbeddedOllamaTransport, EngineError, LlamaEngine
from app.embedded.gguf import bundled_gguf
from app.embedded.gguf_header import read_header
from app.models.factory import ModelFactory
from app.models.info import from_show, rung_setup
from app.settings import Settings
from chains.replies import truncation


def _string(text: str) -> bytes:
    return struct.pack("<Q", len(text)) + text.encode()


def gguf_with_context(path: Path, context_length: int | None, *, arch: str = "llama") -> Path:
    """A GGUF v3 naming its architecture, with `<arch>.context_length` (uint32) when given and one F32 tensor."""
    meta = [_string("general.architecture") + struct.pack("<I", 8) + _string(arch)]
    if context_length is not None:
        meta.append(_string(f"{arch}.context_length") + struct.pack("<II", 4, context_length))
    meta.append(_string("other.context_length") + struct.pack("<II", 4, 99))  # another architecture's: not ours
    tensors = _string("t") + struct.pack("<IQ", 1, 8) + struct.pack("<IQ", 0, 0)
    header = b"GGUF" + struct.pack("<IQQ", 3, 1, len(meta)) + b"".join(meta) + tensors
    header += b"\0" * (-len(header) % 32)
    path.write_bytes(header + b"\1" * 32)
    return path


class RecordingLlama:
    """Stands in for llama_cpp.Llama: records each construction's keywords; a chat refuses its prompt with `refusal`
    when it is iterated, as llama-cpp-python's streaming completion does (none set: it must not be asked)."""

    built: list[dict[str, Any]]
    refusal: ValueError | None = None

    def __init__(self, **kwargs: Any) -> None:
        type(self).built.append(kwargs)

    def create_chat_completion(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        refusal = type(self).refusal
        assert refusal is not None, "this test's engine was not expected to generate"

        def chunks() -> Iterator[dict[str, Any]]:
            raise refusal
            yield {}

        return chunks()

    def close(self) -> None:
        pass


@pytest.fixture
def llama(monkeypatch: pytest.MonkeyPatch) -> type[RecordingLlama]:
    recorder = type("Recorder", (RecordingLlama,), {"built": []})
    monkeypatch.setitem(sys.modules, "llama_cpp", types.SimpleNamespace(Llama=recorder))
    return recorder


def test_the_context_is_capped_at_the_trained_one(tmp_path: Path, llama: type[RecordingLlama]) -> None:
    engine = LlamaEngine(gguf_with_context(tmp_path / "m.gguf", 4096), max_ctx=131072)
    first = engine.load(num_ctx=65536)
    assert first.cold and first.n_ctx == 4096
    assert [b["n_ctx"] for b in llama.built] == [4096]
    again = engine.load(num_ctx=131072)  # asking for more than the model has is no reason to reload
    assert not again.cold and again.n_ctx == 4096 and engine.loaded_ctx() == 4096
    assert len(llama.built) == 1


def test_a_smaller_request_and_a_model_without_a_trained_context_are_as_asked(
    tmp_path: Path, llama: type[RecordingLlama]
) -> None:
    assert LlamaEngine(gguf_with_context(tmp_path / "a.gguf", 4096), max_ctx=2048).load().n_ctx == 2048
    assert LlamaEngine(gguf_with_context(tmp_path / "b.gguf", None), max_ctx=16384).load().n_ctx == 16384
    assert [b["n_ctx"] for b in llama.built] == [2048, 16384]


@pytest.mark.parametrize(
    ("cut", "says"),
    [
        (lambda whole: whole[: len(whole) - 8], "is cut off: its tensors need"),
        (lambda whole: whole[:30], "is cut off inside its header"),
        (lambda whole: b"<html>502 Bad Gateway</html>", "does not start with b'GGUF'"),
    ],
)
def test_a_damaged_gguf_is_a_clear_error_before_llama_cpp_sees_it(
    tmp_path: Path, llama: type[RecordingLlama], cut: Any, says: str
) -> None:
    whole = gguf_with_context(tmp_path / "whole.gguf", 4096).read_bytes()
    damaged = tmp_path / "model.gguf"
    damaged.write_bytes(cut(whole))
    with pytest.raises(EngineError, match=r"could not load .*model\.gguf: the file ") as caught:
        LlamaEngine(damaged).load()
    assert says in str(caught.value)
    assert llama.built == []


def test_the_bundled_model_says_its_trained_context() -> None:
    assert read_header(bundled_gguf()).context_length == 8192


def overflowing(tmp_path: Path, llama: type[RecordingLlama], refusal: ValueError) -> httpx.Client:
    llama.refusal = refusal
    engine = LlamaEngine(gguf_with_context(tmp_path / "m.gguf", 8192), max_ctx=1024)
    return httpx.Client(base_url="http://embedded.ollama", transport=EmbeddedOllamaTransport(engine), timeout=5)


@pytest.mark.parametrize("stream", [True, False])
def test_a_prompt_longer_than_the_context_is_a_context_cut_the_ladder_refits_to(
    tmp_path: Path, llama: type[RecordingLlama], stream: bool
) -> None:
    refusal = ValueError("Requested tokens (1500) exceed context window of 1024")  # llama-cpp-python 0.3.36's words
    body = {"model": "m:latest", "messages": [{"role": "user", "content": "long"}], "stream": stream}
    with overflowing(tmp_path, llama, refusal) as c:
        response = c.post("/api/chat", json={**body, "options": {"num_predict": 256}})
    assert response.status_code == 200, response.text
    last = json.loads(response.text.splitlines()[-1])
    assert last["done"] is True and last["done_reason"] == "length" and last["message"]["content"] == ""
    assert (last["prompt_eval_count"], last["eval_count"]) == (1024, 0)
    cut = truncation(last, num_predict=256, num_ctx=1024)
    assert cut is not None and cut.kind == "context" and cut.window == 1024


def test_another_value_error_of_llama_cpp_stays_an_error(tmp_path: Path, llama: type[RecordingLlama]) -> None:
    with overflowing(tmp_path, llama, ValueError("the grammar could not be built")) as c:
        response = c.post("/api/chat", json={"model": "m:latest", "messages": [{"role": "user", "content": "x"}]})
    assert response.status_code == 500 and response.json() == {"error": "the grammar could not be built"}


def test_the_ladder_learns_the_trained_context_without_a_load(tmp_path: Path, llama: type[RecordingLlama]) -> None:
    gguf = gguf_with_context(tmp_path / "m.gguf", 4096)
    factory = ModelFactory(Settings(home=tmp_path, backend="embedded", gguf=gguf, num_ctx=16384))
    info = factory.describe("embedded", "m:latest", timeout=5)
    assert info.context_length == 4096 and info.error is None
    assert rung_setup(info, version=None, num_ctx=16384).context_window == 4096  # prompts fitted to 4096 tokens
    with httpx.Client(base_url="http://embedded.ollama", transport=EmbeddedOllamaTransport(factory.engine)) as c:
        shown = c.post("/api/show", json={"model": "m:latest"}).json()
    assert from_show("m:latest", shown).context_length == 4096
    assert llama.built == []  # nothing loaded to find out


def test_describing_a_missing_gguf_is_an_error_not_a_raise(tmp_path: Path) -> None:
    factory = ModelFactory(Settings(home=tmp_path, backend="embedded", gguf=tmp_path / "gone.gguf"))
    info = factory.describe("embedded", "gone:latest", timeout=5)
    assert info.context_length is None and info.error is not None and "gone.gguf" in info.error
