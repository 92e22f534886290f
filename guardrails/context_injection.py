"""Retrieval guardrail: drops retrieved chunks whose text addresses the model (indirect prompt injection).

Pure policy layer; runs after retrieval, reusing the injection families of patterns.py plus phrases that only
make sense when a document talks to an AI. The pipeline removes the chunks listed in details["dropped"] before
the other retrieval checks (relevance) judge the rest: they judge what the model will see.
"""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from guardrails.base import FailMode, GuardContext, Stage, Verdict
from guardrails.patterns import CONTEXT_FAMILIES, scan


@lru_cache(maxsize=4096)
def _scan_passage(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The families a passage matches, memoised: the scan is a pure function of the text, and the same few
    hundred passages of a corpus come back question after question (immutable result, so sharing it is safe)."""
    return tuple((name, tuple(hits)) for name, hits in scan(text, CONTEXT_FAMILIES).items())


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class ContextInjectionGuardrail:
    name: ClassVar[str] = "context_injection"
    stage: ClassVar[Stage] = "retrieval"
    # It leaves passages out: it runs before the other retrieval checks, which judge only what it kept.
    removes_passages: ClassVar[bool] = True

    max_evidence: int = Field(default=10, ge=1, description="Most matched snippets to record as evidence.")
    # Fails closed: a safety check. If the scan breaks, unvetted chunks must not reach the prompt, so the
    # request is refused rather than answered from possibly poisoned context.
    fail_mode: FailMode = "closed"

    def check(self, ctx: GuardContext) -> Verdict:
        dropped: list[str] = []
        evidence: list[str] = []
        families: dict[str, list[str]] = {}
        for chunk in ctx.chunks:
            found = _scan_passage(chunk.text)
            if not found:
                continue
            dropped.append(chunk.chunk_id)
            families[chunk.chunk_id] = sorted(name for name, _ in found)
            evidence.extend(f"{chunk.source}: {hit}" for _, hits in found for hit in hits)
        if dropped:
            return Verdict(
                name=self.name,
                stage=self.stage,
                fired=True,
                action="drop",
                reason=f"{len(dropped)} retrieved passage(s) contain text addressed to the AI; they are left out",
                evidence=tuple(evidence[: self.max_evidence]),
                score=float(len(dropped)),
                details={"dropped": dropped, "families": families},
            )
        return Verdict(
            name=self.name,
            stage=self.stage,
            fired=False,
            reason=f"scanned {len(ctx.chunks)} retrieved passage(s); none address the AI",
            score=0.0,
            details={"dropped": []},
        )
