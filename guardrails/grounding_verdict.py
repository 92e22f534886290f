"""The grounding guardrail's verdict from what its check found: the reason, evidence and details of a fired or a
passed Verdict (grounding.py finds; this module words and decides)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from guardrails.alignment import Contradiction
from guardrails.base import Stage, Verdict
from guardrails.grounding_checks import details_of, evidence_of, reason_of


class VerdictPolicy(Protocol):
    """The settings the verdict reads: GroundingGuardrail's fields of the same names."""

    @property
    def name(self) -> str: ...
    @property
    def stage(self) -> Stage: ...
    @property
    def min_overlap(self) -> float: ...
    @property
    def min_tokens(self) -> int: ...
    @property
    def min_similarity(self) -> float: ...


@dataclass(frozen=True)
class Findings:
    """What the check found in an answer against its support."""

    tokens: tuple[str, ...]  # the answer's distinct content tokens (stemmed), in order
    covered: tuple[str, ...]  # those found in the support, in order
    stated: tuple[str, ...]  # the numbers the answer states
    missing_numbers: tuple[str, ...]
    missing_terms: tuple[str, ...]
    missing_ids: tuple[str, ...]
    contradicted: tuple[Contradiction, ...]
    similarity: float | None  # the similarity signal's score, None without a usable signal
    similarity_note: str  # appended to the reason: how the similarity signal was (not) used
    support_labels: tuple[str, ...]

    @property
    def overlap(self) -> float:
        """The share of the answer's distinct content tokens found in the support (1.0 when it has none)."""
        return len(self.covered) / len(self.tokens) if self.tokens else 1.0


def verdict_of(found: Findings, policy: VerdictPolicy) -> Verdict:
    """The verdict on `found`: fired (re-ask) when any problem was found, passed otherwise."""
    overlap = found.overlap
    similar = found.similarity is not None and found.similarity >= policy.min_similarity
    short = len(found.tokens) < policy.min_tokens
    low_overlap = not short and overlap < policy.min_overlap and not similar
    details = {
        "unsupported_numbers": list(found.missing_numbers),
        "unsupported_terms": list(found.missing_terms),
        "unsupported_identifiers": list(found.missing_ids),
        "contradictions": [details_of(c) for c in found.contradicted],
        "overlap": round(overlap, 4),
        "similarity": found.similarity,
        "answer_tokens": len(found.tokens),
        "support_labels": list(found.support_labels),
    }
    problems = _problems(found, similar=similar, low_overlap=low_overlap)
    if problems:
        covered = set(found.covered)
        missing = [t for t in found.tokens if t not in covered]
        return Verdict(
            name=policy.name,
            stage=policy.stage,
            fired=True,
            action="reask",
            reason="; ".join(problems) + found.similarity_note,
            evidence=(
                found.missing_numbers
                + found.missing_terms
                + found.missing_ids
                + tuple(evidence_of(c) for c in found.contradicted)
                + tuple(missing[:10] if low_overlap else [])
            ),
            score=overlap,
            threshold=policy.min_overlap,
            details=details,
        )
    if short:
        wording = "short answer"
    elif overlap >= policy.min_overlap:
        wording = f"{overlap:.0%} of the answer's words appear in the cited passages"
    else:
        wording = f"similar to a cited sentence ({found.similarity:.2f} >= {policy.min_similarity:.2f}) though only {overlap:.0%} of its words appear there"
    return Verdict(
        name=policy.name,
        stage=policy.stage,
        fired=False,
        reason=wording + "; numbers, quoted terms and identifiers found; no contradicted sentence" + found.similarity_note,
        score=overlap,
        threshold=policy.min_overlap,
        details=details,
    )


def _problems(found: Findings, *, similar: bool, low_overlap: bool) -> list[str]:
    """The parts of a fired verdict's reason, in order: missing wording, numbers, terms, identifiers, contradictions."""
    problems: list[str] = []
    supported_numbers = [n for n in found.stated if n not in found.missing_numbers]
    if not found.covered and not supported_numbers and not similar:
        # "True", "...", an echoed placeholder: nothing in it comes from the passages, however short.
        problems.append("the answer shares no word or number with the cited passages")
    elif low_overlap:
        problems.append(f"only {found.overlap:.0%} of the answer's words appear in the cited passages")
    if found.missing_numbers:
        problems.append("numbers not found in the cited passages: " + ", ".join(found.missing_numbers))
    if found.missing_terms:
        problems.append("quoted terms not found in the cited passages: " + ", ".join(found.missing_terms))
    if found.missing_ids:
        problems.append("identifiers not found in the cited passages: " + ", ".join(found.missing_ids))
    return problems + [reason_of(c) for c in found.contradicted]
