"""Bug hunt (decisions): a citation label must be the label of a retrieved chunk as given, not after trimming.

The citations guardrail stripped each label before comparing it with the chunks' labels, so " S2" passed as a
valid citation although no chunk carries that label. Every other consumer compares labels exactly (grounding,
answer_relevance and answer_injection choose the cited passages by `c.label in cited`; chains.outcomes keeps only the
cited chunks whose label matches), so the padded label cited nothing there: grounding silently fell back to
*all* retrieved passages and the answer was shown without its citation.
"""

from __future__ import annotations

import pytest

from guardrails.base import Chunk, GuardContext
from guardrails.citations import CitationGuardrail
from guardrails.grounding import GroundingGuardrail

_EN = (
    Chunk(chunk_id="a", source="port.md", label="S1", score=0.8, text="Ollama listens on port 11434 by default."),
    Chunk(chunk_id="b", source="gpu.md", label="S2", score=0.5, text="Set CUDA_VISIBLE_DEVICES to choose the GPU."),
)
_ZH = (
    Chunk(chunk_id="c", source="port-zh.md", label="S1", score=0.8, text="Ollama 默认监听 11434 端口。"),
    Chunk(chunk_id="d", source="gpu-zh.md", label="S2", score=0.5, text="设置 CUDA_VISIBLE_DEVICES 来选择显卡。"),
)


@pytest.mark.parametrize(
    ("chunks", "answer", "label"),
    [
        (_EN, "Ollama listens on port 11434 by default.", " S2"),
        (_EN, "Ollama listens on port 11434 by default.", "S2 "),
        (_EN, "Ollama listens on port 11434 by default.", "\tS1"),
        (_ZH, "Ollama 默认监听 11434 端口。", " S2"),
        (_ZH, "Ollama 默认监听 11434 端口。", "S1\n"),
    ],
)
def test_a_padded_label_is_not_a_retrieved_label(chunks: tuple[Chunk, ...], answer: str, label: str) -> None:
    verdict = CitationGuardrail().check(GuardContext(question="q", chunks=chunks, answer=answer, citations=(label,)))
    assert verdict.fired and verdict.action == "reask", verdict.reason
    assert verdict.details["invalid"] == [label] and verdict.details["valid"] == []


@pytest.mark.parametrize("chunks", [_EN, _ZH], ids=["en", "zh"])
def test_the_output_stage_does_not_pass_an_answer_citing_the_wrong_passage_with_a_padded_label(
    chunks: tuple[Chunk, ...],
) -> None:
    """The answer comes from S1 but cites " S2": citing "S2" exactly is caught by grounding; the padded label
    must not slip past both checks (citations accepted it, grounding then checked against every passage)."""
    answer = chunks[0].text
    exact = GroundingGuardrail().check(GuardContext(question="q", chunks=chunks, answer=answer, citations=("S2",)))
    assert exact.fired  # the baseline: the wrong passage, cited exactly
    ctx = GuardContext(question="q", chunks=chunks, answer=answer, citations=(" S2",))
    verdicts = [CitationGuardrail().check(ctx), GroundingGuardrail().check(ctx)]
    assert any(v.fired for v in verdicts), [v.reason for v in verdicts]


@pytest.mark.parametrize("chunks", [_EN, _ZH], ids=["en", "zh"])
def test_exact_labels_still_pass(chunks: tuple[Chunk, ...]) -> None:
    ctx = GuardContext(question="q", chunks=chunks, answer=chunks[0].text, citations=("S1", "S1"))
    verdict = CitationGuardrail().check(ctx)
    assert not verdict.fired and verdict.details["valid"] == ["S1"], verdict.reason
