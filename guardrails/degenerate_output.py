"""Output guardrail: a degenerate answer (a repetition loop) is rejected and re-asked, never shown.

Pure policy layer, output stage. Small models, and Ollama itself on a bad template or a too-short context,
fall into loops: `127.0.0.1:11434:127.0.0.1:11434:…`, the same sentence again and again. Grounding cannot catch
them (every repeated word is in the passage), so this check looks at the shape of the text alone: one span
repeated back to back, or a long answer made of very few distinct words.
"""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from guardrails.base import FailMode, GuardContext, Stage, Verdict
from guardrails.text import tokens

# A span of 2..80 characters followed by the same span at least `min_repeats - 1` more times, whitespace
# allowed between copies. Lazy, so the shortest repeating unit is found first.
_LOOP_RE = {n: re.compile(r"(.{2,80}?)(?:\s*\1){" + str(n - 1) + ",}", re.DOTALL) for n in range(3, 11)}


def repeated_span(text: str, min_repeats: int) -> tuple[str, int, int] | None:
    """(the repeated unit, how many copies, how many characters the run covers) of the longest run found."""
    best: tuple[str, int, int] | None = None
    for match in _LOOP_RE[min_repeats].finditer(text):
        unit, run = match.group(1), match.group(0)
        copies = len(re.findall(re.escape(unit), run))
        if best is None or len(run) > best[2]:
            best = (unit, copies, len(run))
    return best


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class DegenerateOutputGuardrail:
    name: ClassVar[str] = "degenerate_output"
    stage: ClassVar[Stage] = "output"

    min_repeats: int = Field(default=4, ge=3, le=10, description="Back-to-back copies of one span that make a loop.")
    min_coverage: float = Field(
        default=0.4, ge=0.0, le=1.0, description="Least share of the answer the repeated run must cover to count."
    )
    min_tokens_for_diversity: int = Field(
        default=30, ge=5, description="Answers at least this long (tokens) are also checked for word diversity."
    )
    min_diversity: float = Field(
        default=0.2, ge=0.0, le=1.0, description="Least share of distinct tokens in a long answer (lower = looping)."
    )
    # Fails closed: a loop shown as an answer is the failure this exists to prevent; a broken check re-asks.
    fail_mode: FailMode = "closed"

    def check(self, ctx: GuardContext) -> Verdict:
        answer = (ctx.answer or "").strip()
        if not answer:
            return Verdict(name=self.name, stage=self.stage, fired=False, reason="no answer to check")
        found = repeated_span(answer, self.min_repeats)
        coverage = found[2] / len(answer) if found else 0.0
        words = tokens(answer)
        diversity = len(set(words)) / len(words) if words else 1.0
        details = {
            "repeated": found[0] if found else None,
            "copies": found[1] if found else 0,
            "coverage": round(coverage, 3),
            "diversity": round(diversity, 3),
            "tokens": len(words),
        }
        if found is not None and coverage >= self.min_coverage:
            unit, copies, _ = found
            return Verdict(
                name=self.name,
                stage=self.stage,
                fired=True,
                action="reask",
                reason=f"repetition loop: {unit.strip()!r} repeated {copies} times ({coverage:.0%} of the answer)",
                evidence=(unit[:80],),
                score=coverage,
                threshold=self.min_coverage,
                details=details,
            )
        if len(words) >= self.min_tokens_for_diversity and diversity < self.min_diversity:
            return Verdict(
                name=self.name,
                stage=self.stage,
                fired=True,
                action="reask",
                reason=f"degenerate answer: only {diversity:.0%} of its {len(words)} words are distinct",
                evidence=tuple(sorted(set(words))[:10]),
                score=diversity,
                threshold=self.min_diversity,
                details=details,
            )
        return Verdict(
            name=self.name,
            stage=self.stage,
            fired=False,
            reason="no repetition loop" + (f" (longest repeated run covers {coverage:.0%})" if found else ""),
            score=coverage,
            threshold=self.min_coverage,
            details=details,
        )
