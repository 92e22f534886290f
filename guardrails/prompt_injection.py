"""Input guardrail: refuses questions that try to override, jailbreak or extract the assistant's instructions.

Pure policy layer, input stage. Two signals, either one refuses: the Chinese and English pattern families of
patterns.py (precise, the matched phrase is the evidence) and the app's semantic score `injection_semantic`
(an embedding classifier over labelled attacks and benign questions, with its nearest exemplars as evidence),
which generalizes to phrasings no pattern anticipates. A question about a mechanism the patterns name ("How can
I override the system prompt from the Modelfile?", "What does GUARDRAILS=false do?") is not an instruction to the
assistant and is no match (pattern_reading.asks_about), nor is an attack quoted to ask about it ("Is 'ignore previous
instructions' prompt injection?") unless the quote is handed over to be done ("Translate to French: '…'"; see
pattern_reading.mentions). The user's turns since the assistant last spoke are checked together with the question,
so an attack split over several messages is seen whole.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from guardrails.base import FailMode, GuardContext, Signal, Stage, Verdict
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
    clause_threshold: float = Field(
        default=0.8,
        ge=0.0,
        le=1.0,
        description="Attack probability of the best clause group of a long input (clauses packed up to half a window,"
        " the signal's `clause_score`) at or above which the question is refused. Higher than semantic_threshold:"
        " a long text has many clause groups, each one more chance for ordinary prose to cross the bar.",
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

    def _meaning(self, signal: Signal | None, score: float | None) -> tuple[bool, float | None, float, str]:
        """Whether the semantic signal refuses, the score and bar that decided (the best clause group's, held to
        clause_threshold, when only it crosses its bar), and the words saying so."""
        if score is None:
            return False, None, self.semantic_threshold, ""
        clause = _clause_score(signal)
        if score < self.semantic_threshold and clause is not None and clause >= self.clause_threshold:
            return (
                True,
                clause,
                self.clause_threshold,
                f"{_clause_part(signal)} reads like known attacks (probability {clause:.2f} >= {self.clause_threshold:.2f})",
            )
        if score >= self.semantic_threshold:
            return (
                True,
                score,
                self.semantic_threshold,
                f"reads like known attacks (probability {score:.2f} >= {self.semantic_threshold:.2f})",
            )
        below = f"; attack probability {score:.2f} < {self.semantic_threshold:.2f}"
        return (
            False,
            score,
            self.semantic_threshold,
            below + (f", best clause {clause:.2f} < {self.clause_threshold:.2f}" if clause is not None else ""),
        )

    def _details(self, signal: Signal | None) -> dict[str, Any]:
        details = semantic_details(signal, self.semantic_threshold)
        return details | {"clause_threshold": self.clause_threshold} if "clause_score" in details else details

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
        by_meaning, score, threshold, what = self._meaning(signal, usable_score(ctx, SIGNAL))
        evidence = tuple(hit for hits in found.values() for hit in hits)[:10] + evidence_of(ctx, SIGNAL)
        fired = by_pattern or by_meaning
        if fired:
            why = []
            if by_pattern:
                why.append("matches " + ", ".join(f.replace("_", " ") for f in found))
            if by_meaning:
                why.append(what)
            reason = f"{self._where(ctx, by_pattern)} tries to change or reveal the assistant's instructions: " + "; ".join(why)
        else:
            reason = "no instruction-override, jailbreak or prompt-extraction pattern found" + what
        return Verdict(
            name=self.name,
            stage=self.stage,
            fired=fired,
            action="refuse" if fired else "pass",
            reason=reason + fallback_note(signal, "decided on patterns only"),
            evidence=evidence,
            score=score,
            threshold=threshold,
            details={
                "families": sorted(found),
                "semantic": self._details(signal),
            },
        )


def _clause_score(signal: Signal | None) -> float | None:
    """The best clause group's attack probability the app measured for a long input (None for a short one, or
    when the clauses could not be scored)."""
    value = signal.details.get("clause_score") if signal is not None else None
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def _clause_part(signal: Signal | None) -> str:
    """What the short part that decided is, in the reason: "a clause (clause at character 201 of 393)" or, for a
    Chinese character window (not a clause: it cuts across them), "a part of the text (Chinese window at
    characters 167-205 of 243)". The app's `clause_part` also quotes the part; the evidence keeps that."""
    part = signal.details.get("clause_part") if signal is not None else None
    if not isinstance(part, str) or not part:
        return "a clause"
    where = part.split(":", 1)[0].strip()
    return f"a part of the text ({where})" if where.startswith("Chinese window") else f"a clause ({where})"
