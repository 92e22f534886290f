"""The signal plumbing: a SignalBank runs a stage's scorers and turns a failing one into a visible error
signal; the chain hands each stage's signals to that stage's guardrails; a question is embedded once."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from app.documents.embeddings import QueryCache
from app.fakes import BagOfWordsEmbeddings
from app.signals import SignalBank
from chains import with_signals
from guardrails import GuardContext, Signal, Stage
from tests.fake_service import make_service


@dataclass(frozen=True)
class Length:
    name: ClassVar[str] = "length"
    stage: ClassVar[Stage] = "input"

    def score(self, ctx: GuardContext) -> Signal:
        return Signal(name=self.name, score=float(len(ctx.question)), evidence=(ctx.question[:10],))


@dataclass(frozen=True)
class Broken:
    name: ClassVar[str] = "broken"
    stage: ClassVar[Stage] = "input"

    def score(self, ctx: GuardContext) -> Signal:
        raise RuntimeError("embedder down")


@dataclass(frozen=True)
class OutputOnly:
    name: ClassVar[str] = "out"
    stage: ClassVar[Stage] = "output"

    def score(self, ctx: GuardContext) -> Signal | None:
        return None


def test_bank_runs_the_stage_scorers_and_reports_failures_as_signals():
    bank = SignalBank(scorers=(Length(), Broken(), OutputOnly()))
    found = bank("input", GuardContext(question="hello"))
    assert set(found) == {"length", "broken"}
    assert found["length"].score == 5.0 and found["length"].error is None
    assert found["broken"].error == "RuntimeError: embedder down"
    assert bank("output", GuardContext(question="hello")) == {}  # None means "nothing to say"
    assert bank("retrieval", GuardContext(question="hello")) == {}


def test_with_signals_adds_to_the_context_and_keeps_earlier_ones():
    ctx = GuardContext(question="hi", signals={"earlier": Signal(name="earlier", score=1.0)})
    assert with_signals(None, "input", ctx) is ctx
    out = with_signals(SignalBank(scorers=(Length(),)), "input", ctx)
    assert set(out.signals) == {"earlier", "length"} and out.question == "hi"


def counted() -> tuple[BagOfWordsEmbeddings, list[str], Callable[[str], list[float]]]:
    """An embedder that records every query it embeds: (embedder, the queries, its own embed_query)."""
    inner = BagOfWordsEmbeddings()
    calls: list[str] = []
    real = inner.embed_query

    def counting(text: str) -> list[float]:
        calls.append(text)
        return real(text)

    inner.embed_query = counting  # type: ignore[method-assign]
    return inner, calls, real


def test_query_cache_embeds_a_question_once_and_forgets_the_oldest():
    inner, calls, real = counted()
    cache = QueryCache(inner, size=2)
    assert cache.embedder_id == inner.embedder_id and cache.dimension == inner.dimension
    first = cache.embed_query("a port")
    assert cache.embed_query("a port") == first and calls == ["a port"]
    cache.embed_query("b")
    cache.embed_query("c")  # evicts "a port"
    cache.embed_query("a port")
    assert calls == ["a port", "b", "c", "a port"]
    first.append(9.9)  # a caller mutating its copy does not corrupt the cache
    assert cache.embed_query("a port") == real("a port")


def test_a_question_with_surrounding_whitespace_is_embedded_once() -> None:
    """The input scorers embed the question as typed, retrieval searches it stripped: "Which port? \\n" missed the
    cache "Which port?" filled, and the question was embedded twice."""
    inner, calls, real = counted()
    cache = QueryCache(inner)
    assert cache.embed_query("  Which port? \n") == cache.embed_query("Which port?") and calls == ["Which port?"]
    assert cache.embed_query("   ") == real("   ")  # nothing but whitespace: embedded as it is


def test_one_ask_embeds_the_question_once(tmp_path: Path):
    good = json.dumps({"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."})
    svc, _ = make_service(tmp_path, scripts={"smollm2:135m": [good]})
    embedder = svc._parts.embedder().inner
    seen: list[str] = []
    real = embedder.embed_query
    embedder.embed_query = lambda text: (seen.append(text), real(text))[1]  # type: ignore[method-assign]
    svc.search("Which port does Ollama listen on by default?")
    svc.ask("Which port does Ollama listen on by default?")
    assert seen == ["Which port does Ollama listen on by default?"]  # the ask reused the search's vector


@dataclass(frozen=True)
class AlwaysAttack:
    name: ClassVar[str] = "injection_semantic"
    stage: ClassVar[Stage] = "input"

    def score(self, ctx: GuardContext) -> Signal:
        return Signal(name=self.name, score=0.99, evidence=("nearest attack: 'x' (injection/i001), similarity 0.9",))


def test_screen_decides_with_the_input_signals_like_ask(tmp_path: Path, monkeypatch) -> None:
    svc, _ = make_service(tmp_path, ingest=False)
    # bag-of-words is not an embedder the semantic thresholds were calibrated for: no semantic scorers
    assert svc._parts.input_scorers() == ()
    plain = {v.name: v for v in svc.screen("What port does Ollama use?")}
    assert not plain["prompt_injection"].fired and "patterns only" in plain["prompt_injection"].reason
    monkeypatch.setattr(svc._parts, "signals", lambda: SignalBank(scorers=(AlwaysAttack(),)))
    screened = {v.name: v for v in svc.screen("What port does Ollama use?")}
    assert screened["prompt_injection"].fired and screened["prompt_injection"].score == 0.99
    assert svc.ask("What port does Ollama use?").status == "refused"  # ask decides the same way
