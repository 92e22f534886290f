"""The grounding_similarity signal cuts a passage into sentences as the grounding checks do (guardrails/sentences.py):
a list marker ("- ", "* ") and other layout at a line's edges is trimmed, but a number's minus sign, an option's
dashes and a code span are content. A passage line "-1 means no fixed limit" was aligned and shown as "1 means no
fixed limit" (a leading "-" stripped as if it were a list dash), which reads as the opposite value."""

from __future__ import annotations

import pytest

from app.signals.grounding import GroundingSimilarity, sentences
from guardrails import Chunk, GuardContext
from guardrails.crosslingual import ALIGNED_KEY


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-1 means no fixed limit", ["-1 means no fixed limit"]),
        ("- -1 means no fixed limit", ["-1 means no fixed limit"]),
        ("* -1 keeps it loaded", ["-1 keeps it loaded"]),
        ("Set it to 0 to unload.\n-1 keeps it loaded", ["Set it to 0 to unload.", "-1 keeps it loaded"]),
        ("--flag turns it on", ["--flag turns it on"]),
        ("-e VAR sets a variable", ["-e VAR sets a variable"]),
        ("- `-v ollama:/root/.ollama` mounts the volume", ["`-v ollama:/root/.ollama` mounts the volume"]),
        ("Use `ollama serve`", ["Use `ollama serve`"]),
        ("`ollama serve` runs the server.", ["`ollama serve` runs the server."]),
        ("声明 `driver: nvidia` 即可。", ["声明 `driver: nvidia` 即可。"]),
        ("## Heading here\n> quoted line", ["Heading here", "quoted line"]),
        ("- plain item\n---\n```bash", ["plain item"]),
        ("Ok.\n-1", []),  # under 4 characters: no sentence to compare
    ],
)
def test_passage_sentences_keep_minus_signs_dashes_and_code_spans(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


class _KeywordEmbedder:
    """Concept axes named by keywords in either language: a multilingual embedder, scripted."""

    AXES = (("limit", "限制"), ("unload", "卸载"), ("loaded", "常驻"))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[float(sum(t.lower().count(w) for w in axis)) for axis in self.AXES] for t in texts]


PASSAGE = Chunk(
    chunk_id="p",
    source="ollama-env-vars.md",
    label="S1",
    score=0.6,
    text="- 0 unloads the model at once\n- -1 means no fixed limit, the model stays loaded",
)


@pytest.mark.parametrize(
    ("answer", "clause", "sentence"),
    [
        ("设成 -1 就没有限制。", "-1 means no fixed limit", "-1 means no fixed limit, the model stays loaded"),
        ("设成 0 会马上卸载。", "0 unloads the model at once", "0 unloads the model at once"),
    ],
)
def test_aligned_clause_and_evidence_keep_the_minus_sign(answer: str, clause: str, sentence: str) -> None:
    ctx = GuardContext(question="q", chunks=(PASSAGE,), answer=answer, citations=("S1",))
    signal = GroundingSimilarity(_KeywordEmbedder(), align=True).score(ctx)
    assert signal is not None
    [aligned] = signal.details[ALIGNED_KEY]
    assert (aligned["clause"], aligned["sentence"]) == (clause, sentence)
    assert signal.evidence[0].startswith(f"S1: {sentence}")
