"""Output guardrail: the answer must cite, and may cite only passages that were actually retrieved.

Pure policy layer; runs on the model's structured answer. A fired verdict asks the pipeline to re-ask the
model with the list of valid labels.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from guardrails.base import FailMode, GuardContext, Stage, Verdict


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class CitationGuardrail:
    name: ClassVar[str] = "citations"
    stage: ClassVar[Stage] = "output"

    require_citation: bool = Field(
        default=True, description="A non-empty answer that cites nothing fires (a grounded answer names its sources)."
    )
    # Fails closed: a set comparison cannot legitimately fail; if it does, showing citations we could not
    # verify would present possibly invented sources as real ones.
    fail_mode: FailMode = "closed"

    def check(self, ctx: GuardContext) -> Verdict:
        known = [c.label for c in ctx.chunks if c.label]
        known_set = set(known)
        # Compared as given, not trimmed: " S1" is no chunk's label, and every consumer of the citations (grounding,
        # answer_relevance, answer_injection, chains.outcomes) matches labels exactly, so a padded label accepted here
        # cited nothing there (grounding fell back to every passage, the answer was shown without its source).
        cited = list(dict.fromkeys(ctx.citations))
        invalid = [label for label in cited if label not in known_set]
        valid = [label for label in cited if label in known_set]
        details = {"invalid": invalid, "valid": valid, "known": known}
        if invalid:
            return Verdict(
                name=self.name,
                stage=self.stage,
                fired=True,
                action="reask",
                reason="answer cites passages that were not retrieved: " + ", ".join(invalid),
                evidence=tuple(invalid),
                details=details,
            )
        answer = (ctx.answer or "").strip()
        if answer and not cited and self.require_citation:
            return Verdict(
                name=self.name,
                stage=self.stage,
                fired=True,
                action="reask",
                reason="answer cites nothing",
                details=details,
            )
        return Verdict(
            name=self.name,
            stage=self.stage,
            fired=False,
            reason=f"all {len(valid)} citation(s) point to retrieved passages" if answer else "no answer to check",
            evidence=tuple(valid),
            details=details,
        )
