"""Output guardrail: a degenerate answer (a repetition loop) is rejected and re-asked, never shown.

Pure policy layer, output stage. Small models, and Ollama itself on a bad template or a too-short context,
fall into loops: `127.0.0.1:11434:127.0.0.1:11434:…`, the same sentence again and again. Grounding cannot catch
them (every repeated word is in the passage), so this check looks at the shape of the text alone: one span
repeated back to back, or a long answer made of very few distinct words.

How many copies make a loop depends on the unit: a short span (2–80 characters: an address, a word) needs
`min_repeats` copies, since lists and tables legitimately repeat short cells; a whole sentence (40–400 characters)
said `min_sentence_repeats` times back to back is already a loop, since no answer restates one long sentence
verbatim three times. (A copy cut off by the token limit is not counted: a lazy unit can start anywhere, so a table
whose last two rows are equal would end in what looks like a cut copy; real loops run on for many copies.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from guardrails.base import FailMode, GuardContext, Stage, Verdict
from guardrails.text import tokens

# A span followed by the same span at least `copies - 1` more times, whitespace allowed between copies. Lazy, so
# the shortest repeating unit is found first. Keyed by the number of whole copies.
_SHORT = {n: re.compile(r"(.{2,80}?)(?:\s*\1){" + str(n - 1) + ",}", re.DOTALL) for n in range(3, 11)}
_SENTENCE_MIN = 40
_SENTENCE = {n: re.compile(r"(.{40,400}?)(?:\s*\1){" + str(n - 1) + ",}", re.DOTALL) for n in range(2, 6)}

Run = tuple[str, int, int]  # the repeated unit, how many copies, how many characters the run covers


def _runs(text: str, pattern: re.Pattern[str]) -> Iterator[Run]:
    for match in pattern.finditer(text):
        unit, run = match.group(1), match.group(0)
        yield unit, len(re.findall(re.escape(unit), run)), len(run)


def _repeats_a_window(text: str, width: int) -> bool:
    """Whether some `width`-character window occurs twice: cheap, and needed for any sentence-long repeat."""
    seen: set[str] = set()
    for start in range(len(text) - width + 1):
        window = text[start : start + width]
        if window in seen:
            return True
        seen.add(window)
    return False


def repeated_span(text: str, min_repeats: int, min_sentence_repeats: int = 3) -> Run | None:
    """The longest run of one span repeated back to back: `min_repeats` copies of a short span (2–80 characters),
    or `min_sentence_repeats` of a sentence-long one (40–400)."""
    found = list(_runs(text, _SHORT[min_repeats]))
    if _repeats_a_window(text, _SENTENCE_MIN):
        found += _runs(text, _SENTENCE[min_sentence_repeats])
    return max(found, key=lambda run: run[2], default=None)


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class DegenerateOutputGuardrail:
    name: ClassVar[str] = "degenerate_output"
    stage: ClassVar[Stage] = "output"

    min_repeats: int = Field(
        default=4, ge=3, le=10, description="Back-to-back copies of one short span (2–80 characters) that make a loop."
    )
    min_sentence_repeats: int = Field(
        default=3, ge=2, le=5, description="Back-to-back copies of one sentence-long span (40–400 characters)."
    )
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
        found = repeated_span(answer, self.min_repeats, self.min_sentence_repeats)
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
