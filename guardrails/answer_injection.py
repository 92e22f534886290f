"""Output guardrail: re-asks an answer that passes on instructions or links planted in a document (indirect prompt
injection that got through to the answer): instructions to the user that the question did not ask for, links the
cited passages do not give, and chat-template markup.

Pure policy layer. Grounding cannot see this: the planted words ARE in the passage. What counts as passed on is in
answer_findings.py; the guardrail chooses the passages that vouch for the answer and turns the findings into a verdict.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass as pydantic_dataclass

from guardrails.answer_findings import (
    MAX_TEXT,
    Finding,
    command_findings,
    hostile,
    instruction_findings,
    link_findings,
    markup_findings,
)
from guardrails.base import Chunk, FailMode, GuardContext, Stage, Verdict
from guardrails.links import links


def _support(ctx: GuardContext) -> list[Chunk]:
    cited = set(ctx.citations)
    return [c for c in ctx.chunks if c.label and c.label in cited] or list(ctx.chunks)


@pydantic_dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class AnswerInjectionGuardrail:
    name: ClassVar[str] = "answer_injection"
    stage: ClassVar[Stage] = "output"
    # The extractive fallback quotes passage sentences without a model; this check screens each quote too
    # (chains.fallback_answer): a planted instruction is as harmful quoted as paraphrased.
    screens_quotes: ClassVar[bool] = True

    check_instructions: bool = Field(
        default=True,
        description="Re-ask an answer telling the user to hand over secrets, send the conversation away, verify an "
        "account, contact a handle the passages do not give, or to ignore instructions (zh and en).",
    )
    check_links: bool = Field(
        default=True, description="Re-ask an answer with a URL, domain, IP or e-mail address no cited passage gives."
    )
    check_commands: bool = Field(
        default=True,
        description="Re-ask an answer with a risky shell command the question did not give (download-and-run is "
        "excused when a cited passage gives it and the question is about installing).",
    )
    check_markup: bool = Field(
        default=True, description="Re-ask an answer with chat-template markup (<|im_start|>, [INST], system: lines)."
    )
    distrust_hostile_passages: bool = Field(
        default=True,
        description="Links, handles, commands and markup of a cited passage that addresses the AI or asks for "
        "secrets support nothing.",
    )
    min_findings: int = Field(default=1, ge=1, description="Findings that re-ask the answer.")
    max_evidence: int = Field(default=5, ge=1, description="Most findings recorded as evidence.")
    # Fails closed: a safety check. An answer that could not be screened for planted instructions and links must
    # not be shown; the ladder re-asks and ends at the extractive answer.
    fail_mode: FailMode = "closed"

    def check(self, ctx: GuardContext) -> Verdict:
        answer = (ctx.answer or "").strip()
        if not answer:
            return Verdict(name=self.name, stage=self.stage, fired=False, reason="no answer to check")
        support = _support(ctx)
        distrusted = [c for c in support if self.distrust_hostile_passages and hostile(c.text)]
        trusted = "\n".join(c.text for c in support if c not in distrusted)
        found: list[Finding] = []
        if self.check_instructions:
            found += instruction_findings(answer, trusted, ctx.question)
        answer_links = links(answer)
        if self.check_links:
            found += link_findings(answer_links, trusted, "\n".join(c.text for c in distrusted), ctx.question)
        if self.check_commands:
            found += command_findings(answer, trusted, ctx.question)
        if self.check_markup:
            found += markup_findings(answer, trusted)
        found = list(dict.fromkeys(found))
        details = {
            "findings": [{"kind": f.kind, "text": f.text[:MAX_TEXT]} for f in found],
            "links": [link.text for link in answer_links],
            "support_labels": [c.label for c in support],
            "hostile_passages": [c.label or c.chunk_id for c in distrusted],
        }
        if len(found) >= self.min_findings:
            kinds = ", ".join(dict.fromkeys(f.kind for f in found))
            return Verdict(
                name=self.name,
                stage=self.stage,
                fired=True,
                action="reask",
                reason=f"the answer passes on instructions or links the question did not ask for ({kinds}); answer "
                "the question only, without instructions, links, contacts or commands the passages do not support",
                evidence=tuple(f.evidence() for f in found[: self.max_evidence]),
                score=float(len(found)),
                threshold=float(self.min_findings),
                details=details,
            )
        return Verdict(
            name=self.name,
            stage=self.stage,
            fired=False,
            reason=f"no planted instruction, foreign link or markup in the answer ({len(answer_links)} link(s) checked)",
            score=float(len(found)),
            threshold=float(self.min_findings),
            details=details,
        )
