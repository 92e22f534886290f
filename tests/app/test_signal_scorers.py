"""The scorers behind the new guardrail signals: question_coverage (retrieval) and grounding_similarity
(output), on fakes; and that the service registers both and hands them to the guardrails."""

from __future__ import annotations

from pathlib import Path

from app.fakes import BagOfWordsEmbeddings
from app.signals.coverage import QuestionCoverage
from app.signals.grounding import GroundingSimilarity, sentences, windows
from guardrails import Chunk, GuardContext
from tests.fake_service import make_service

PASSAGE = Chunk(
    chunk_id="p",
    source="a.md",
    label="S1",
    score=0.5,
    text="Ollama listens on port 11434. Bake bread with flour and water. 默认端口是 11434。",
)


def test_question_coverage_is_the_share_of_known_terms() -> None:
    scorer = QuestionCoverage(lambda q: (("ssl", "apach", "port"), ("ssl", "apach")), weigh=lambda word: 1.0)
    signal = scorer.score(GuardContext(question="SSL in Apache, which port?"))
    assert signal.score == round(1 / 3, 4) and signal.evidence == ("ssl", "apache")  # the words as written
    empty = QuestionCoverage(lambda q: ((), ())).score(GuardContext(question="?"))
    assert empty.score == 1.0


def test_grounding_similarity_finds_the_closest_sentence() -> None:
    embedder = BagOfWordsEmbeddings()
    scorer = GroundingSimilarity(embedder)
    ctx = GuardContext(question="q", chunks=(PASSAGE,), answer="Bake bread with flour", citations=("S1",))
    signal = scorer.score(ctx)
    assert signal is not None and signal.score > 0.5
    assert signal.evidence[0].startswith("S1: Bake bread with flour")
    calls = len(embedder.calls)
    scorer.score(ctx.model_copy(update={"answer": "Ollama listens on port 11434"}))
    assert len(embedder.calls) == calls + 1 and embedder.calls[-1] == 1  # passage sentences cached; the answer embedded


def test_grounding_similarity_has_nothing_to_say_without_an_answer() -> None:
    assert GroundingSimilarity(BagOfWordsEmbeddings()).score(GuardContext(question="q", chunks=(PASSAGE,))) is None


def test_sentences_and_windows() -> None:
    found = sentences(PASSAGE.text)
    assert found == ["Ollama listens on port 11434.", "Bake bread with flour and water.", "默认端口是 11434。"]
    assert len(windows(found)) == 3 + 2 + 1


def test_the_service_registers_both_and_the_guardrails_read_them(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path)
    relevance = svc.relevance("What port does Ollama listen on? nginx")
    assert relevance.details["mode"] == "hybrid"
    assert "nginx" in relevance.details["unknown_terms"]
    chunk = svc.search("Which port does Ollama listen on?", 1)[0].model_copy(update={"label": "S1"})
    verdicts = {v.name: v for v in svc.check_answer("Which port?", "Ollama listens on port 11434.", [chunk], citations=["S1"])}
    assert verdicts["grounding"].details["similarity"] is not None
    assert not any(v.fired for v in verdicts.values())


def test_grounding_vector_cache_holds_only_its_own_rows() -> None:
    """Each cached sentence vector owns its memory: a view into the batch it was embedded with would keep the
    whole batch matrix alive while that one row stays cached, so the cache's memory would grow with the batches
    seen, not with its size (issue #10)."""
    from app.signals.grounding import _Vectors

    emb = BagOfWordsEmbeddings(dimension=64)
    cache = _Vectors(size=3)
    for batch in range(5):
        cache.get([f"sentence {batch} {i}" for i in range(40)], emb)
    assert len(cache.store) == 3
    held = {id(v.base if v.base is not None else v): (v.base if v.base is not None else v).nbytes for v in cache.store.values()}
    assert sum(held.values()) == 3 * 64 * 4  # three float32 rows, not three 40-row batches
