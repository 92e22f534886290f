"""CitationGuardrail: citations must be labels of retrieved chunks; an answer must cite something."""

from __future__ import annotations

import pytest

from guardrails.base import Chunk, GuardContext
from guardrails.citations import CitationGuardrail

CHUNKS = (
    Chunk(chunk_id="a", source="ollama-install.md", text="port 11434", score=0.9, label="S1"),
    Chunk(chunk_id="b", source="ollama-install-zh.md", text="端口 11434", score=0.8, label="S2"),
)


def check(answer: str | None, citations: tuple[str, ...], **params: object):
    ctx = GuardContext(question="q", chunks=CHUNKS, answer=answer, citations=citations)
    return CitationGuardrail(**params).check(ctx)


@pytest.mark.parametrize(
    ("answer", "citations", "fired", "invalid"),
    [
        ("Port 11434.", ("S1",), False, []),
        ("默认端口是 11434。", ("S1", "S2"), False, []),
        ("Port 11434.", ("S3",), True, ["S3"]),
        ("Port 11434.", ("S1", "S9"), True, ["S9"]),
        ("端口 11434。", ("ollama-install.md",), True, ["ollama-install.md"]),  # a source is not a label
        ("Port 11434.", (), True, []),
        ("", (), False, []),
        (None, (), False, []),
    ],
)
def test_citations(answer: str | None, citations: tuple[str, ...], fired: bool, invalid: list[str]) -> None:
    verdict = check(answer, citations)
    assert verdict.fired is fired
    assert verdict.action == ("reask" if fired else "pass")
    assert verdict.details["invalid"] == invalid


def test_valid_and_invalid_listed() -> None:
    verdict = check("x", ("S2", "S7", "S2"))
    assert verdict.details["valid"] == ["S2"]
    assert verdict.details["invalid"] == ["S7"]
    assert verdict.evidence == ("S7",)


def test_uncited_answer_reason() -> None:
    assert check("Port 11434.", ()).reason == "answer cites nothing"


def test_citation_not_required_by_policy() -> None:
    assert not check("Port 11434.", (), require_citation=False).fired
