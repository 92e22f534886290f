"""Input guardrail: refuses questions that try to override, jailbreak or extract the assistant's instructions.

Pure policy layer; runs at the input stage with the Chinese and English pattern families of patterns.py.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from guardrails.base import FailMode, GuardContext, Stage, Verdict
from guardrails.patterns import INPUT_FAMILIES, scan


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class PromptInjectionGuardrail:
    name: ClassVar[str] = "prompt_injection"
    stage: ClassVar[Stage] = "input"

    min_families: int = Field(
        default=1,
        ge=1,
        le=len(INPUT_FAMILIES),
        description="How many pattern families (override, role-play, extraction, forged turns) must match to refuse.",
    )
    scan_history: bool = Field(
        default=False,
        description="Also scan the user's earlier turns (they were already checked when they were asked).",
    )
    # Fails closed: a safety check. If it breaks, the request is refused rather than silently let through.
    fail_mode: FailMode = "closed"

    def check(self, ctx: GuardContext) -> Verdict:
        texts = [ctx.question]
        if self.scan_history:
            texts += [turn.content for turn in ctx.history if turn.role == "user"]
        found: dict[str, list[str]] = {}
        for text in texts:
            for family, hits in scan(text, INPUT_FAMILIES).items():
                found.setdefault(family, []).extend(h for h in hits if h not in found.get(family, []))
        score = float(len(found))
        evidence = tuple(hit for hits in found.values() for hit in hits)[:10]
        if len(found) >= self.min_families:
            return Verdict(
                name=self.name,
                stage=self.stage,
                fired=True,
                action="refuse",
                reason="the question tries to change or reveal the assistant's instructions ("
                + ", ".join(f.replace("_", " ") for f in found)
                + ")",
                evidence=evidence,
                score=score,
                threshold=float(self.min_families),
                details={"families": sorted(found)},
            )
        return Verdict(
            name=self.name,
            stage=self.stage,
            fired=False,
            reason="no instruction-override, jailbreak or prompt-extraction pattern found",
            evidence=evidence,
            score=score,
            threshold=float(self.min_families),
            details={"families": sorted(found)},
        )
