"""Input guardrail: refuses questions that try to override, jailbreak or extract the assistant's instructions.

Pure policy layer, input stage. Two signals, either one refuses: the Chinese and English pattern families of
patterns.py (precise, the matched phrase is the evidence) and the app's semantic score `injection_semantic`
(an embedding classifier over labelled attacks and benign questions, with its nearest exemplars as evidence),
which generalizes to phrasings no pattern anticipates. A question about a mechanism the patterns name ("How can
I override the system prompt from the Modelfile?", "What does GUARDRAILS=false do?") is not an instruction to the
assistant and is no match (pattern_family.asks_about). The user's turns since the assistant last spoke are
checked together with the question, so an attack split over several messages is seen whole.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from guardrails.base import FailMode, GuardContext, Stage, Verdict
from guardrails.patterns import INPUT_FAMILIES, scan
from guardrails.semantic import evidence_of, fallback_note, semantic_details, usable_score
from guardrails.turns import pending_text

SIGNAL = "injection_semantic"


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class PromptInjectionGuardrail:
    name: ClassVar[str] = "prompt_injection"
    stage: ClassVar[Stage] = "input"
    reads: ClassVar[tuple[str, ...]] = (SIGNAL,)  # the signals it decides on (the policy lab checks they were kept)

    min_families: int = Field(
        default=1,
        ge=1,
        le=len(INPUT_FAMILIES),
        description="How many pattern families (override, role-play, extraction, forged turns) must match to refuse.",
    )
    semantic_threshold: float = Field(
        default=0.7,
        ge=0.0,
        le=1.0,
        description="Attack probability of the semantic signal at or above which the question is refused.",
    )
    scan_history: bool = Field(
        default=False,
        description="Also scan every earlier user turn (the turns since the assistant last spoke are always scanned).",
    )
    # Fails closed: a safety check. If it breaks, the request is refused rather than silently let through.
    fail_mode: FailMode = "closed"

    @staticmethod
    def _where(ctx: GuardContext, by_pattern: bool) -> str:
        """Who the refusal is about: the question, or (when only earlier turns match a pattern) an earlier message,
        so a user whose own question is harmless is not told that it is the attack. Scanned only on a refusal."""
        if by_pattern and ctx.history and not scan(ctx.question, INPUT_FAMILIES, questions=True):
            return "an earlier message of this conversation (not the question itself)"
        return "the question"

    def check(self, ctx: GuardContext) -> Verdict:
        texts = [pending_text(ctx)]
        if self.scan_history:
            texts += [turn.content for turn in ctx.history if turn.role == "user"]
        found: dict[str, list[str]] = {}
        for text in texts:
            for family, hits in scan(text, INPUT_FAMILIES, questions=True).items():
                found.setdefault(family, []).extend(h for h in hits if h not in found.get(family, []))
        by_pattern = len(found) >= self.min_families
        signal = ctx.signals.get(SIGNAL)
        score = usable_score(ctx, SIGNAL)
        by_meaning = score is not None and score >= self.semantic_threshold
        evidence = tuple(hit for hits in found.values() for hit in hits)[:10] + evidence_of(ctx, SIGNAL)
        fired = by_pattern or by_meaning
        if fired:
            why = []
            if by_pattern:
                why.append("matches " + ", ".join(f.replace("_", " ") for f in found))
            if by_meaning:
                why.append(f"reads like known attacks (probability {score:.2f} >= {self.semantic_threshold:.2f})")
            reason = f"{self._where(ctx, by_pattern)} tries to change or reveal the assistant's instructions: " + "; ".join(why)
        else:
            reason = "no instruction-override, jailbreak or prompt-extraction pattern found"
            if score is not None:
                reason += f"; attack probability {score:.2f} < {self.semantic_threshold:.2f}"
        return Verdict(
            name=self.name,
            stage=self.stage,
            fired=fired,
            action="refuse" if fired else "pass",
            reason=reason + fallback_note(signal, "decided on patterns only"),
            evidence=evidence,
            score=score,
            threshold=self.semantic_threshold,
            details={"families": sorted(found), "semantic": semantic_details(signal, self.semantic_threshold)},
        )
