"""Output guardrail: the answer must be supported by the passages it cites (cheap, deterministic).

Pure policy layer, output stage: token overlap with the cited passages (all passages when none are cited), and
every number and quoted term of the answer found there. A fired verdict asks the pipeline to re-ask the model.
"""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from guardrails.base import FailMode, GuardContext, Stage, Verdict
from guardrails.text import content_tokens, numbers, quoted_terms, squash, stem, strip_code_fences, tokens

# Citation markers are not claims: "[S1]", "[1]", "[S1, S2]", "【S2】".
_CITATION_MARK_RE = re.compile(r"[\[【(（]\s*[A-Za-z]{0,3}\d{1,3}(?:\s*[,，、;]\s*[A-Za-z]{0,3}\d{1,3})*\s*[\]】)）]")
# List numbering is layout, not a claim: "1. ", "2) ", "3、" at the start of a line.
_LIST_MARK_RE = re.compile(r"(?m)^\s*\d{1,2}[.)、]\s*")


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class GroundingGuardrail:
    name: ClassVar[str] = "grounding"
    stage: ClassVar[Stage] = "output"

    min_overlap: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Least share of the answer's content tokens (English words, Chinese bigrams) found in the support.",
    )
    min_tokens: int = Field(
        default=3,
        ge=0,
        description="Answers with fewer content tokens skip the overlap test (numbers and quoted terms still count).",
    )
    check_numbers: bool = Field(default=True, description="Every number in the answer must appear in the support.")
    check_terms: bool = Field(
        default=True, description="Every quoted or `backticked` term in the answer must appear in the support."
    )
    # Fails closed: an answer whose grounding could not be checked must not be shown as grounded.
    fail_mode: FailMode = "closed"

    def check(self, ctx: GuardContext) -> Verdict:
        answer = (ctx.answer or "").strip()
        if not answer:
            return Verdict(name=self.name, stage=self.stage, fired=False, reason="no answer to check")
        cited = set(ctx.citations)
        support_chunks = [c for c in ctx.chunks if c.label and c.label in cited] or list(ctx.chunks)
        support = "\n".join(c.text for c in support_chunks)

        claim = _LIST_MARK_RE.sub(" ", _CITATION_MARK_RE.sub(" ", answer))
        for label in cited:  # labels of any other shape, when bracketed as citations
            if label:
                claim = re.sub(rf"[\[【]\s*{re.escape(label)}\s*[\]】]", " ", claim)

        support_tokens = {stem(t) for t in tokens(support)}
        answer_tokens = [stem(t) for t in content_tokens(strip_code_fences(claim))]
        distinct = list(dict.fromkeys(answer_tokens))
        covered = [t for t in distinct if t in support_tokens]
        overlap = len(covered) / len(distinct) if distinct else 1.0

        support_numbers = set(numbers(support))
        support_flat = squash(support)
        unsupported_numbers = (
            [n for n in dict.fromkeys(numbers(claim)) if n not in support_numbers and n not in support_flat]
            if self.check_numbers
            else []
        )
        unsupported_terms = [t for t in quoted_terms(claim) if squash(t) not in support_flat] if self.check_terms else []

        short = len(distinct) < self.min_tokens
        low_overlap = not short and overlap < self.min_overlap
        details = {
            "unsupported_numbers": unsupported_numbers,
            "unsupported_terms": unsupported_terms,
            "overlap": round(overlap, 4),
            "answer_tokens": len(distinct),
            "support_labels": [c.label for c in support_chunks],
        }
        problems: list[str] = []
        supported_numbers = [n for n in numbers(claim) if n not in unsupported_numbers]
        if not covered and not supported_numbers:
            # "True", "...", an echoed placeholder: nothing in it comes from the passages, however short.
            problems.append("the answer shares no word or number with the cited passages")
        elif low_overlap:
            problems.append(f"only {overlap:.0%} of the answer's words appear in the cited passages")
        if unsupported_numbers:
            problems.append("numbers not found in the cited passages: " + ", ".join(unsupported_numbers))
        if unsupported_terms:
            problems.append("quoted terms not found in the cited passages: " + ", ".join(unsupported_terms))
        if problems:
            missing = [t for t in distinct if t not in support_tokens]
            evidence = tuple(unsupported_numbers + unsupported_terms + (missing[:10] if low_overlap else []))
            return Verdict(
                name=self.name,
                stage=self.stage,
                fired=True,
                action="reask",
                reason="; ".join(problems),
                evidence=evidence,
                score=overlap,
                threshold=self.min_overlap,
                details=details,
            )
        return Verdict(
            name=self.name,
            stage=self.stage,
            fired=False,
            reason=(
                f"{overlap:.0%} of the answer's words appear in the cited passages; numbers and quoted terms found"
                if not short
                else "short answer; its numbers and quoted terms appear in the cited passages"
            ),
            score=overlap,
            threshold=self.min_overlap,
            details=details,
        )
